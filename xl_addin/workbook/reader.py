"""Read every field, list and table of a filled workbook by code.

Values come from a grid per sheet (python-calamine for files; the workbook port for a live
book). The cell positions come from the layout of the workbook's own template version, not
from what the file claims. Cached formula results are never trusted: computed fields are
recomputed from the definition. Text typed into a number cell is reported, never read as 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .. import vnnum
from ..cells import a1, col_number, ref_to_rc
from ..definition import expr, money
from ..definition.loader import is_known, load_definition
from ..definition.models import NUMERIC_TYPES, Column, FieldDef, ReportDefinition, TemplateVersion
from ..errors import CchcError, catalogue, render
from ..limits import MAX_ABS_NUMBER, MAX_TEXT_LENGTH
from ..memo import freeze, per_object
from ..problems import Problem, to_jsonable
from ..ui import ui, ui_text
from . import safety
from .grid import Grid, _calamine, _grid
from .layout import LISTS_SHEET, META_SHEET, FieldCell, Layout, compute_layout

_EPOCH = dt.datetime(1899, 12, 30)


def problem_importance(code: str) -> str | None:
    return catalogue().get(code, {}).get("importance")


@dataclass
class WorkbookData:
    file: str
    definition: ReportDefinition
    layout: Layout
    meta: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    table_totals: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # field and ratio code -> "Sheet!A1"
    list_rows: dict[str, list[int]] = field(default_factory=dict)  # sheet row of each list row read
    table_rows: dict[str, list[int]] = field(default_factory=dict)  # sheet row of each table row read
    excel_ratios: dict[str, Any] = field(default_factory=dict)  # what the workbook's own ratio cells hold
    # the template version the file was built from when it is a past one (read through versions.yaml)
    source_version: str | None = None
    # the money unit the workbook types amounts in (don_vi_tien; values are in each field's own unit)
    money_unit: str | None = None

    @property
    def template(self) -> dict:
        out = {"id": self.definition.id, "version": self.definition.version, "profile": self.definition.profile}
        if self.source_version:
            out["source_version"] = self.source_version
        return out

    @property
    def unit(self) -> dict:
        return {"code": _meta_text(self.meta.get("unit_code")) or str(self.stamped("unit.code") or ""),
                "name": _meta_text(self.meta.get("unit_name")) or str(self.stamped("unit.name") or "")}

    @property
    def period(self) -> dict:
        return {"code": _meta_text(self.meta.get("period_code")) or str(self.stamped("period.code") or ""),
                "from": _iso(self.meta.get("period_from") or self.stamped("period.from")),
                "to": _iso(self.meta.get("period_to") or self.stamped("period.to"))}

    def stamped(self, source: str) -> Any:
        """The value of the field the definition stamps from ``source`` (``unit.code``…), if any."""
        code = self.definition.stamped(source)
        return self.values.get(code) if code else None

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "template": self.template,
            "unit": self.unit,
            "period": self.period,
            "values": {k: to_jsonable(v) for k, v in self.values.items()},
            "lists": {k: [{c: to_jsonable(v) for c, v in row.items()} for row in rows]
                      for k, rows in self.lists.items()},
            "tables": {k: [{c: to_jsonable(v) for c, v in row.items()} for row in rows]
                       for k, rows in self.tables.items()},
            "table_totals": {k: {c: to_jsonable(v) for c, v in row.items()} for k, row in self.table_totals.items()},
            "problems": [p.to_dict() for p in self.problems],
        }


def _iso(value: Any) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if value in (None, "", "-"):
        return None
    return str(value)[:10]


# --------------------------------------------------------------------------- conversion
def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _as_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        return (_EPOCH + dt.timedelta(days=float(raw))).date()
    return None


class Converter:
    """Turns raw cell values into typed values, collecting problems with file, sheet and cell."""

    def __init__(self, definition: ReportDefinition, file_label: str) -> None:
        self.definition = definition
        self.file = file_label
        self.problems: list[Problem] = []
        self._choices = {cl.code: cl for cl in definition.choice_lists}
        self.level: str | None = None  # the unit's level, for per-level bounds (None: the general bound)
        # the workbook's money unit (don_vi_tien); money cells are read in it and turned into each
        # field's contract unit. None: the definition has no money settings
        self.money_unit: str | None = money.workbook_unit(definition, None)

    def set_level(self, level: Any) -> None:
        """The unit's level as stamped in the meta sheet (an unknown level: the general bounds)."""
        text = str(level or "").strip()
        self.level = text if text in self.definition.levels() else None

    def _money_sense(self, item: FieldDef | Column, typed: Decimal, value: Decimal, sheet: str,
                     ref: str | tuple[int, int], field_code: str | None) -> None:
        """An amount with a fraction of a đồng, or under 1.000 đồng, was typed in another unit than
        the one chosen (1,845655 typed as tỷ while the workbook types đồng)."""
        one_dong = money.dong_unit(self.definition)
        dong = money.to_workbook(self.definition, item, value, one_dong) if one_dong else None
        if dong is None or dong == 0:
            return
        if dong != dong.to_integral_value():
            why = ui("money_why.fraction")
        elif abs(dong) < 1000:
            why = ui("money_why.tiny")
        else:
            return
        # the amount as the workbook shows it, only for the message (formatting a number is slow)
        shown = money.in_workbook_unit(self.definition, item, value, self.money_unit)
        if shown is None:
            return
        self.problem("value_money_unit_suspect", sheet, ref, vnnum.number(typed), item, field_code, unit=shown.unit,
                     dong=vnnum.number(dong), why=why)

    def _shown(self, item: FieldDef | Column, amount: Decimal | None) -> str:
        """A bound or amount (contract unit) as the workbook shows it."""
        if amount is None:
            return "…"
        shown = money.in_workbook_unit(self.definition, item, amount, self.money_unit)
        return vnnum.number(shown.value) if shown is not None else vnnum.number(amount)

    def problem(self, code: str, sheet: str, ref: str | tuple[int, int], value: Any, item: FieldDef | Column,
                field_code: str | None, **extra: Any) -> None:
        if isinstance(ref, tuple):  # (row, column): turned into A1 only when there is a problem to tell
            ref = a1(*ref)
        message = render(code, file=self.file, sheet=sheet, cell=ref, label=item.label, value=value, **extra)
        self.problems.append(Problem(code, f"{sheet}!{ref}", value, message, field_code, problem_importance(code)))

    def _text(self, item: FieldDef | Column, raw: Any, sheet: str, ref: str | tuple[int, int],
              field_code: str | None) -> str:
        raw_text = str(raw)
        text = unicodedata.normalize("NFC", raw_text)
        if text != raw_text:
            self.problem("value_not_nfc", sheet, ref, text[:80], item, field_code)
        if len(text) > MAX_TEXT_LENGTH:
            self.problem("value_text_too_long", sheet, ref, text[:80], item, field_code, length=len(text),
                         limit=MAX_TEXT_LENGTH)
            text = text[:MAX_TEXT_LENGTH]
        if safety.looks_like_formula(text):
            self.problem("value_formula_text", sheet, ref, text[:120], item, field_code)
        return text

    def convert(self, item: FieldDef | Column, raw: Any, sheet: str, ref: str | tuple[int, int],
                field_code: str | None) -> Any:
        if _blank(raw):
            if isinstance(raw, str) and "\u00a0" in raw:  # a lone non-breaking space: looks empty, is not
                self.problem("value_nbsp", sheet, ref, raw, item, field_code)
            return None
        t = item.type
        if t in NUMERIC_TYPES:
            return self._number(item, raw, sheet, ref, field_code)
        if t == "date":
            value = _as_date(raw)
            if value is None:  # a date typed as text (or a time, a serial before 1900) is reported, never used
                shown = raw.isoformat() if isinstance(raw, (dt.time, dt.datetime)) else raw
                self.problem("value_not_date", sheet, ref, shown, item, field_code)
            return value
        if t == "choice":
            text = unicodedata.normalize("NFC", str(raw)).strip()
            cl = self._choices[item.choices]
            for opt in cl.options:
                if text == opt.label or text == opt.code:
                    return opt.code
            self.problem("value_not_choice", sheet, ref, text, item, field_code,
                         choices=", ".join(o.label for o in cl.options))
            return None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, (dt.date, dt.datetime)):
            raw = raw.strftime("%d/%m/%Y")
        return self._text(item, raw, sheet, ref, field_code)

    def _number(self, item: FieldDef | Column, raw: Any, sheet: str, ref: str | tuple[int, int],
                field_code: str | None) -> Any:
        if type(raw) is float and item.type == "integer" and raw.is_integer() and 0 <= raw <= MAX_ABS_NUMBER:
            # the common case, a count typed into a count cell: the same value as below, quicker
            value = Decimal(int(raw))
            lo, hi = item.min, item.max_bound(self.level)
            bound = item.plausible_bound(self.level)
            if (lo is None or value >= lo) and (hi is None or value <= hi) and (
                    bound is None or value <= bound):
                return value
        if isinstance(raw, bool) or isinstance(raw, (dt.date, dt.datetime, dt.time, dt.timedelta)):
            self.problem("value_not_number", sheet, ref, str(raw), item, field_code)
            return None
        if isinstance(raw, str):
            parsed, note = vnnum.parse_text_number(raw)
            if parsed is None:
                self.problem("value_not_number", sheet, ref, raw, item, field_code)
            else:
                shown = vnnum.number(parsed) + (f" ({note})" if note else "")
                self.problem("value_text_number", sheet, ref, raw, item, field_code, parsed=shown)
            return None
        try:
            value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        except (InvalidOperation, TypeError, ValueError):
            self.problem("value_not_number", sheet, ref, str(raw), item, field_code)
            return None
        if not value.is_finite():
            self.problem("value_not_number", sheet, ref, str(raw), item, field_code)
            return None
        if abs(value) > MAX_ABS_NUMBER:
            self.problem("value_out_of_bounds", sheet, ref, f"{raw:g}" if isinstance(raw, float) else str(raw), item,
                         field_code, bounds=ui_text("words.at_most", value=vnnum.number(MAX_ABS_NUMBER)))
            return None
        if item.type == "percent":
            value = (value * 100).normalize()
        if item.type == "integer":
            if value != value.to_integral_value():
                self.problem("value_not_integer", sheet, ref, vnnum.number(value), item, field_code)
                return None
            value = value.to_integral_value()
        typed = value
        if item.type == "money" and self.money_unit is not None:
            # typed in the workbook's unit (1845655000 đồng), kept in the contract unit (1.845655 tỷ đồng)
            value = money.to_contract(self.definition, item, value, self.money_unit)
            self._money_sense(item, typed, value, sheet, ref, field_code)
        if value < 0 and (item.min is None or item.min >= 0):
            self.problem("value_negative", sheet, ref, vnnum.number(typed), item, field_code)
            return value
        lo, hi = item.min, item.max_bound(self.level)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"{self._shown(item, lo)} – {self._shown(item, hi)}"
            self.problem("value_out_of_bounds", sheet, ref, vnnum.number(typed), item, field_code, bounds=bounds)
        elif (bound := item.plausible_bound(self.level)) is not None and value > bound:
            shown = money.in_workbook_unit(self.definition, item, bound, self.money_unit)
            self.problem("value_implausible", sheet, ref, vnnum.number(typed), item, field_code,
                         unit=shown.unit if shown is not None else (item.unit or ""), limit=self._shown(item, bound))
        return value


# --------------------------------------------------------------------------- extraction
def _cell(grid: Grid | None, row: int, col: int) -> Any:
    if grid is None or row - 1 >= len(grid):
        return None
    line = grid[row - 1]
    return line[col - 1] if col - 1 < len(line) else None


def extract(definition: ReportDefinition, grids: dict[str, Grid], file_label: str, meta: dict[str, Any],
            layout: Layout | None = None) -> WorkbookData:
    """Typed values by code from raw sheet grids (any source: calamine, openpyxl, xlwings).

    ``layout``: where the fields sit when it is not the definition's own layout (a workbook of a
    past template version, see ``layout_for``)."""
    layout = layout or compute_layout(definition)
    conv = Converter(definition, file_label)
    conv.set_level(meta.get("unit_level"))
    data = WorkbookData(file_label, definition, layout, meta)
    cells, plan = _field_plan(definition, layout)
    data.cells = dict(cells)
    values = data.values
    unit_field = definition.money.field if definition.money is not None else None
    if unit_field is not None and unit_field in layout.fields:  # money is read in the unit the workbook chose
        pos = layout.fields[unit_field]
        raw = _cell(grids.get(pos.sheet), pos.row, pos.col)
        chosen = None if raw is None or raw == "" else conv.convert(definition.field_map()[unit_field], raw, pos.sheet,
                                                                     pos.ref, unit_field)
        conv.money_unit = money.workbook_unit(definition, chosen)
        conv.problems.clear()  # reported once, when the field itself is read below
    for sheet, entries in plan:
        grid = grids.get(sheet) or []
        height = len(grid)
        for code, r0, c0, f, ref in entries:
            line = grid[r0] if r0 < height else ()
            raw = line[c0] if c0 < len(line) else None
            values[code] = None if raw is None or raw == "" else conv.convert(f, raw, sheet, ref, code)
    for code, pos in layout.ratios.items():
        raw = _cell(grids.get(pos.sheet), pos.row, pos.col)
        # a formula text (openpyxl without cached values) is not a computed value
        data.excel_ratios[code] = None if isinstance(raw, str) and raw.startswith("=") else raw
    for code, block in layout.lists.items():
        rows, positions = [], []
        grid = grids.get(block.sheet)
        first, last = block.first_col - 1, block.last_col
        for r in range(block.first_row, block.last_row + 1):
            line = grid[r - 1] if grid is not None and r - 1 < len(grid) else ()
            segment = line[first:last]
            if segment.count("") + segment.count(None) == len(segment):  # an empty row, checked in C
                continue
            raws = {c.code: _cell(grid, r, block.columns[c.code]) for c in block.definition.columns}
            # convert() takes blanks too: a lone non-breaking space is reported there, never dropped
            row = {c.code: conv.convert(c, raws[c.code], block.sheet, (r, block.columns[c.code]), code)
                   for c in block.definition.columns}
            if all(v is None for v in row.values()) and all(_blank(v) for v in raws.values()):
                continue  # only spaces
            rows.append(row)
            positions.append(r)
        data.lists[code] = rows
        data.list_rows[code] = positions
    columns: dict[tuple[str, str], list[Any]] = {}
    for code, block in layout.tables.items():
        table = block.definition
        grid = grids.get(block.sheet)
        rows, positions = [], []
        inputs = [c for c in table.columns if not c.computed]
        computed = [c for c in table.columns if c.computed]
        span = (block.label_col - 1, block.last_col)
        for i in range(block.n_rows):
            r = block.first_row + i
            row_def = table.rows[i] if table.fixed else None
            if row_def is not None and not row_def.input:
                continue
            line = grid[r - 1] if grid is not None and r - 1 < len(grid) else ()
            segment = line[span[0]:span[1]]
            if row_def is None and segment.count("") + segment.count(None) == len(segment):
                continue
            out: dict[str, Any] = {}
            if row_def is not None:
                out["row"] = row_def.code
            else:
                raw = _cell(grid, r, block.label_col)
                out[table.label_column.code] = conv.convert(table.label_column, raw, block.sheet,
                                                            (r, block.label_col), code)
            for col in inputs:
                raw = _cell(grid, r, block.columns[col.code])
                out[col.code] = conv.convert(col, raw, block.sheet, (r, block.columns[col.code]), code)
            for col in computed:
                out[col.code] = expr.evaluate(expr.parse(col.formula), expr.Env(out))
            if row_def is None and all(v is None for k, v in out.items()):
                continue
            rows.append(out)
            positions.append(r)
        data.tables[code] = rows
        data.table_rows[code] = positions
        totals = {}
        for col in table.columns:
            vals = [row.get(col.code) for row in rows if row.get(col.code) is not None]
            columns[(code, col.code)] = [row.get(col.code) for row in rows]
            totals[col.code] = sum(vals, Decimal(0)) if vals else None
        data.table_totals[code] = totals
    env = expr.Env(data.values, columns, {k: len(v) for k, v in data.lists.items()})
    for f in _computed_in_order(definition):
        data.values[f.code] = expr.evaluate(f.parsed, env)
    # keep the definition's order of fields; a field the workbook's template version did not have is None
    data.values = {code: data.values.get(code) for code in definition.field_map()}
    data.money_unit = conv.money_unit
    data.problems = conv.problems + _suspect_totals(definition, layout, meta, file_label)
    return data


IMPLAUSIBLE = ("value_implausible", "value_implausible_units")


def _suspect_totals(definition: ReportDefinition, layout: Layout, meta: dict[str, Any], file_label: str
                    ) -> list[Problem]:
    """A summary's totals built on values its units typed implausibly (``suspect_fields``, written
    by the merge): each is an error naming the units, so the summary's report marks it too."""
    raw = meta.get("suspect_fields")
    if not raw or str(meta.get("kind") or "unit") != "summary":
        return []
    try:
        parsed = json.loads(str(raw))
    except ValueError:
        return []
    if not isinstance(parsed, dict):
        return []
    fmap = definition.field_map()
    out = []
    for code, units in parsed.items():
        pos = layout.fields.get(code)
        if pos is None or not isinstance(units, list):
            continue
        names = ", ".join(str(u) for u in units[:10]) + ("…" if len(units) > 10 else "")
        out.append(Problem("value_implausible_units", pos.address, None,
                           render("value_implausible_units", file=file_label, sheet=pos.sheet, cell=pos.ref,
                                  label=fmap[code].label, units=names),
                           code, problem_importance("value_implausible_units")))
    return out


def implausible_fields(data: WorkbookData) -> set[str]:
    """Fields whose value (or a part it is computed from) was found implausible: what the narrative
    never states without marking it."""
    found = {p.field for p in data.problems if p.code in IMPLAUSIBLE and p.field in data.values}
    if not found:
        return found
    for f in _computed_in_order(data.definition):
        if expr.field_refs(f.parsed) & found:
            found.add(f.code)
    return found


def _field_plan(definition: ReportDefinition, layout: Layout) -> tuple[dict[str, str], list]:
    """Where each field and ratio sits ("Sheet!A1"), and the input fields grouped by sheet with
    their 0-based positions (worked out once per layout)."""
    return per_object(layout, "field_plan", lambda: freeze(_build_field_plan(definition, layout)))


def _build_field_plan(definition: ReportDefinition, layout: Layout) -> tuple[dict[str, str], list]:
    fmap = definition.field_map()
    cells = {code: pos.address for code, pos in layout.fields.items()}
    cells.update({code: pos.address for code, pos in layout.ratios.items()})
    by_sheet: dict[str, list] = {}
    for code, pos in layout.fields.items():
        if not fmap[code].computed:
            by_sheet.setdefault(pos.sheet, []).append((code, pos.row - 1, pos.col - 1, fmap[code], pos.ref))
    return cells, list(by_sheet.items())


def _computed_in_order(definition: ReportDefinition) -> list[FieldDef]:
    """The computed fields, each after the computed fields it uses (worked out once per definition)."""
    return per_object(definition, "computed_order", lambda: tuple(_computed_order(definition)))


def _computed_order(definition: ReportDefinition) -> list[FieldDef]:
    fmap = definition.field_map()
    done: set[str] = set()
    order: list[FieldDef] = []

    def visit(f: FieldDef) -> None:
        if f.code in done:
            return
        done.add(f.code)
        for ref in expr.field_refs(f.parsed):
            if fmap[ref].computed:
                visit(fmap[ref])
        order.append(f)

    for f in fmap.values():
        if f.computed:
            visit(f)
    return order


# --------------------------------------------------------------------------- files
def check_is_xlsx(path: Path) -> safety.Preflight:
    """Refuse a file that is not a readable .xlsx within the safety limits (``safety.preflight``):
    each kind of bad input has its own reason code. Nothing is unpacked."""
    return safety.preflight(Path(path))


_NAME_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_TEMPLATE_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def read_meta_grid(grid: Grid) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for row in grid:
        if row and isinstance(row[0], str) and row[0]:
            value = row[1] if len(row) > 1 else None
            if isinstance(value, str):
                value = unicodedata.normalize("NFC", value)[:MAX_TEXT_LENGTH]
            meta[row[0]] = None if value in ("", "-") else value
    return meta


def _meta_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _meta_day(value: Any) -> dt.date | None:
    """The last day of a workbook's period as its meta sheet holds it (ISO text); None if unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


def resolve_template(meta: dict[str, Any], path: Path | str) -> tuple[ReportDefinition, TemplateVersion | None]:
    """The definition a workbook's meta sheet names, and its past version when it is an older one.

    Unknown template or profile: ``template_unknown``; a version that is not a version
    (the meta sheet was edited): ``template_version_invalid``; newer than the tool knows:
    ``template_version_newer`` (update the tool); older and not declared in versions.yaml:
    ``template_version_unsupported``.
    """
    from packaging.version import InvalidVersion, Version

    template_id = _meta_text(meta.get("template_id"))
    version = _meta_text(meta.get("template_version"))
    profile = _meta_text(meta.get("profile")) or None
    unknown = CchcError("template_unknown", file=path, template=template_id, version=version)
    if not _TEMPLATE_ID.match(template_id) or not is_known(template_id, profile):
        raise unknown
    try:
        definition = load_definition(template_id, profile=profile)
    except CchcError as exc:
        if exc.code in ("definition_missing", "profile_unknown"):
            raise unknown from None
        raise
    definition = definition.for_period(_meta_day(meta.get("period_to")))  # the forms of the workbook's period
    if version == definition.version:
        return definition, None
    try:
        found, current = Version(version), Version(definition.version)
    except InvalidVersion:
        raise CchcError("template_version_invalid", file=path, version=version[:40]) from None
    if found == current:
        return definition, None
    known = ", ".join([definition.version] + [v.version for v in definition.versions])
    if found > current:
        raise CchcError("template_version_newer", file=path, template=template_id, version=version, known=known)
    for past in definition.versions:
        if Version(past.version) == found:
            return definition, past
    raise CchcError("template_version_unsupported", file=path, template=template_id, version=version,
                    known=", ".join(v.version for v in definition.versions) or ui("words.none"),
                    current=definition.version)


def definition_for_meta(meta: dict[str, Any], path: Path | str) -> ReportDefinition:
    """The definition of a workbook that is written to (``cchc fill``): the current version only."""
    definition, past = resolve_template(meta, path)
    if past is not None:
        raise CchcError("fill_old_version", file=path, version=past.version, current=definition.version)
    return definition


def layout_for(definition: ReportDefinition, past: TemplateVersion | None,
               names: dict[str, str] | None = None) -> Layout:
    """Where the fields sit in a workbook of ``past`` (None: the current layout).

    The definition as that version had it (``as_of``: without what was added since) is laid out;
    a field moved since then is read at the cell versions.yaml declares, a renamed one where its
    old defined name points in the file.
    """
    if past is None:
        return compute_layout(definition)
    layout = compute_layout(definition.as_of(past.version))
    if not past.renamed and not past.moved:
        return layout  # laid out as that version had it, nothing else changed (kept once per definition)
    fields = dict(layout.fields)
    for old, new in past.renamed.items():
        target = (names or {}).get(old)
        m = _NAME_REF.match(target or "")
        if m and new not in past.moved:
            sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
            fields[new] = FieldCell(new, sheet, int(m.group(4)), col_number(m.group(3)))
    for code, where in past.moved.items():
        sheet, ref = where.rsplit("!", 1)
        row, col = ref_to_rc(ref)
        fields[code] = FieldCell(code, sheet, row, col)
    return dataclasses.replace(layout, fields=fields)


def check_unit_code(meta: dict[str, Any], path: Path | str, definition: ReportDefinition | None = None) -> None:
    """A unit workbook's code must have the unit list's shape (zero-padded GSO codes)."""
    from ..definition.units import check_code

    if str(meta.get("kind") or "unit") != "unit":
        return
    code, level = meta.get("unit_code"), meta.get("unit_level")
    if code is None or level is None:
        return
    text = _meta_text(code)
    bad = check_code(text, str(level), definition)
    if bad:
        raise CchcError("unit_code_format", file=path, code=text, detail=bad)


def data_sheets(layout: Layout) -> list[str]:
    """The sheets that hold values (the instructions and checks sheets and the hidden ones hold none)."""
    kinds = {s.name: s.kind for s in layout.definition.sheets}
    return [n for n in layout.sheet_names if kinds.get(n) not in (None, "instructions", "checks")]


def sheets_read(layout: Layout) -> list[str]:
    """Every sheet ``read_workbook`` hands to python-calamine, in order: the meta sheet, then each
    sheet of the template (the data sheets for the values, the others for the tamper check) but the
    live-checks sheet, which holds only formulas over the others (halving the read time it would
    cost). ``benchmarks/merge_bench.py`` reads the same list for its raw-read floor."""
    checks = {s.name for s in layout.definition.sheets if s.kind == "checks"}
    return [META_SHEET] + [n for n in layout.sheet_names if n != META_SHEET and n not in checks]


def _likely_sheets() -> list[str]:
    """The sheets ``read_workbook`` reads in a workbook of the current default template."""
    try:
        return sheets_read(compute_layout(load_definition()))
    except CchcError:
        return [META_SHEET]


def _no_meta(path: Path, names: set[str]) -> CchcError:
    try:
        ours = {s.name for s in load_definition().sheets}
    except CchcError:
        ours = set()
    if len(ours & names) >= 3:
        return CchcError("meta_sheet_missing", file=path)
    return CchcError("not_our_template", file=path)


def _check_sheets(needed: list[str], names: list[str], layout: Layout, path: Path) -> None:
    missing = [n for n in needed if n not in names]
    if not missing:
        return
    from .tamper import tool_sheets

    expected = set(layout.sheet_names)
    strangers = [n for n in names if n not in expected and n not in tool_sheets()]
    if strangers:
        # a data sheet gone and a sheet the template does not have: the same sheet, renamed
        raise CchcError("sheet_renamed", file=path, sheet=missing[0], found=strangers[0])
    raise CchcError("sheet_missing", file=path, sheet=missing[0])


# the meta sheet's identity keys and the stamp (definition) of the locked cell that shows each one
META_STAMPS = {"unit_code": "unit.code", "unit_name": "unit.name", "unit_level": "unit.level",
               "period_code": "period.code", "period_from": "period.from", "period_to": "period.to"}


def _shown(raw: Any) -> str:
    if isinstance(raw, (dt.datetime, dt.date)):
        return raw.isoformat()[:10]
    return _meta_text(unicodedata.normalize("NFC", raw) if isinstance(raw, str) else raw)


def check_meta_against_cells(definition: ReportDefinition, layout: Layout, meta: dict[str, Any],
                             grids: dict[str, Grid], path: Path | str, past: TemplateVersion | None) -> None:
    """The unit and period the meta sheet claims must be the ones the stamped, locked cells show
    (``meta_contradicts_cells``; docs/identity.md lists the fields; the structure digest is
    compared by ``tamper.check``). Codes read as numbers are compared as text (99004.0 is 99004)."""
    fmap = definition.field_map()
    by_stamp = {fmap[code].stamp: (code, pos) for code, pos in layout.fields.items() if fmap[code].stamp}
    for key, stamp in META_STAMPS.items():
        if stamp not in by_stamp:
            continue
        code, pos = by_stamp[stamp]
        claimed = _shown(meta.get(key))
        if claimed[:10] and stamp in ("period.from", "period.to"):
            claimed = claimed[:10]
        shown = _shown(_cell(grids.get(pos.sheet), pos.row, pos.col))
        if claimed == shown:
            continue
        f = fmap[code]
        if f.type == "choice" and f.choices:
            labels = {o.label: o.code for o in definition.choice_list(f.choices).options}
            if labels.get(shown) == claimed:
                continue
        raise CchcError("meta_contradicts_cells", file=path, field=key, meta=claimed or ui("blank"), cell=pos.address,
                        cell_value=shown or ui("blank"))


def error_cell_problems(layout: Layout, scans: dict[str, safety.SheetScan], file: str) -> list[Problem]:
    """An error value (#N/A, #DIV/0!…) in an input cell: python-calamine reads it as empty, so it
    is named here, never taken for a blank."""
    return [Problem("value_error", f"{sheet}!{ref}", value,
                    render("value_error", file=file, sheet=sheet, cell=ref, label=label, value=value),
                    None, problem_importance("value_error"))
            for sheet, ref, value, label in _in_inputs(layout, scans, "errors")]


def _in_inputs(layout: Layout, scans: dict[str, safety.SheetScan], found: str) -> list[tuple[str, str, Any, str]]:
    """(sheet, A1, what was found, the cell's label) of each cell of a scan's ``found`` map
    (``errors`` or ``formulas``) that is an input cell of the layout."""
    kinds = layout._kinds()
    hits = [(sheet, ref, value) for sheet, scan in scans.items() for ref, value in getattr(scan, found).items()
            if kinds.get((sheet, ref)) == "input"]
    if not hits:
        return []
    from .tamper import cell_labels

    labels = cell_labels(layout)
    return [(sheet, ref, value, labels.get((sheet, ref), ref)) for sheet, ref, value in hits]


def _name_position(target: str | None) -> tuple[str, int, int, int, int] | None:
    """(sheet, first row, first column, last row, last column) of a defined name's reference."""
    m = re.match(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
                 r"(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?$", target or "")
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    r1, c1 = int(m.group(4)), col_number(m.group(3))
    r2, c2 = (int(m.group(6)), col_number(m.group(5))) if m.group(5) else (r1, c1)
    return sheet, r1, c1, r2, c2


def layout_by_names(layout: Layout, names: dict[str, str]) -> Layout:
    """Where the fields, lists and tables are according to the file's own defined names (each
    field is a name equal to its code; each list and table a name over its data block): how
    ``--accept-tampered`` reads a workbook whose rows or columns were inserted or deleted (Excel
    and LibreOffice move the names with the cells). What has no usable name stays where the
    template has it."""
    fields = dict(layout.fields)
    for code, pos in layout.fields.items():
        found = _name_position(names.get(code))
        if found and found[0] == pos.sheet and found[1:3] == found[3:5]:
            fields[code] = FieldCell(code, pos.sheet, found[1], found[2])
    lists = dict(layout.lists)
    for code, block in layout.lists.items():
        found = _name_position(names.get(code))
        if found and found[0] == block.sheet and found[3] - found[1] == block.last_row - block.first_row:
            shift = found[2] - block.first_col
            lists[code] = dataclasses.replace(block, first_row=found[1],
                                              columns={k: v + shift for k, v in block.columns.items()})
    tables = dict(layout.tables)
    for code, block in layout.tables.items():
        found = _name_position(names.get(code))
        if found and found[0] == block.sheet and found[3] - found[1] == block.last_row - block.first_row:
            shift = found[2] - block.label_col
            tables[code] = dataclasses.replace(block, first_row=found[1], label_col=found[2],
                                               columns={k: v + shift for k, v in block.columns.items()},
                                               total_row=block.total_row + found[1] - block.first_row
                                               if block.total_row else None)
    return dataclasses.replace(layout, fields=fields, lists=lists, tables=tables)


def read_workbook(path: Path | str, raw: bytes | None = None, by_names: bool = False) -> WorkbookData:
    """Read a filled workbook from a file (fast path: python-calamine).

    Every read starts with the pre-flight (``safety.preflight``: what the file is, the zip and
    size limits); each sheet's extent is checked before calamine parses it; the meta sheet's
    identity is checked against the stamped cells (``check_meta_against_cells``); the workbook's
    locked structure is compared with its template (``tamper.check``) and every difference is a
    problem with its own code. Nothing in the file is ever executed.

    ``by_names``: read the fields, lists and tables where the file's own defined names put them
    (``--accept-tampered``), not where the template has them.
    """
    from . import tamper

    path = Path(path)
    pre = safety.preflight(path, raw)
    parts = pre.parts()
    order = [name for name, _part in parts.sheets]
    if META_SHEET in order:
        # the sheets a workbook of the current template has are checked (and unpacked) before
        # python-calamine opens the file, so it gets them unpacked: each part is inflated once
        for name in _likely_sheets():
            if name in order:
                pre.scan_sheet(name)
    book = _calamine(pre)
    try:
        names = list(book.sheet_names)
        if META_SHEET not in names:
            raise _no_meta(path, set(names))
        pre.scan_sheet(META_SHEET)
        meta = read_meta_grid(_grid(book, META_SHEET, pre))
        if not meta.get("template_id"):
            raise CchcError("not_our_template", file=path)
        definition, past = resolve_template(meta, path)
        check_unit_code(meta, path, definition)
        layout = layout_for(definition, past, parts.names)
        needed = data_sheets(layout)
        _check_sheets(needed, names, layout, path)
        unseen = [n for n in needed if n not in order]
        if unseen:  # python-calamine reads a sheet our own reading of workbook.xml does not: never
            # parse a sheet that was not checked first
            raise CchcError("workbook_xml_damaged", file=path, where=ui("words.workbook_part"),
                            detail=ui_text("words.sheet_not_in_workbook_xml", sheet=unseen[0]))
        template_sheets = [n for n in sheets_read(layout)[1:] if n in names and n in order]
        if past is not None:  # its stamped digest covers every sheet it was built with, forms of its
            # profile since dropped included (a 1.0 default workbook's Phụ lục 4 and 5)
            template_sheets += [n for n in tamper.sheets_to_scan(order) if n in names and n not in template_sheets]
        scans = pre.scan_sheets(template_sheets)
        grids: dict[str, Grid] = {name: _grid(book, name, pre) for name in template_sheets}
    finally:
        close = getattr(book, "close", None)
        if close:
            close()
        pre.close()
    check_meta_against_cells(definition, layout, meta, grids, path, past)
    read_layout = layout_by_names(layout, parts.names) if by_names else layout
    data = extract(definition, {n: grids[n] for n in needed}, str(path), meta, layout=read_layout)
    label = str(path)
    extra: list[Problem] = error_cell_problems(read_layout, scans, label)
    if past is not None:
        data.source_version = past.version
        changes = "; ".join([f"«{old}» → «{new}»" for old, new in past.renamed.items()]
                            + [ui_text("words.moved", code=code, where=where) for code, where in past.moved.items()]) \
            or past.note or ui("words.no_field_changed")
        extra.append(Problem("template_old_version", "", past.version,
                             render("template_old_version", file=label, version=past.version,
                                    current=definition.version, changes=changes),
                             None, problem_importance("template_old_version")))
        extra.extend(_forms_not_read(layout, grids, scans, label, definition.version))
    if pre.has_macros:
        entry = next((n for n in pre.infos if n.lower().endswith("vbaproject.bin")), "vbaProject.bin")
        extra.append(Problem("workbook_has_macros", "", entry, render("workbook_has_macros", file=label, entry=entry),
                             None, problem_importance("workbook_has_macros")))
    extra.extend(_formulas_in_inputs(layout, scans, label))
    extra.extend(tamper.check(pre, scans, grids, definition, layout, meta, label,
                              past_version=past.version if past is not None else None, data_sheets=set(needed)))
    data.problems = extra + data.problems
    return data


def _forms_not_read(layout: Layout, grids: dict[str, Grid], scans: dict[str, safety.SheetScan], file: str,
                    current: str) -> list[Problem]:
    """Figures typed in a sheet of a past version's workbook that its reading layout has no place
    for (a form the current template dropped for the unit's profile: a 1.0 default workbook's
    Phụ lục 4 and 5): a number in a cell with the data validation of an input cell."""
    out = []
    for sheet, grid in grids.items():
        if sheet in layout.sheet_names or sheet not in scans:
            continue
        inputs = scans[sheet].validation_cells()
        cells = [a1(r, c) for r, row in enumerate(grid, 1) for c, v in enumerate(row, 1)
                 if (c, r) in inputs and isinstance(v, (int, float)) and not isinstance(v, bool)]
        if cells:
            shown = ", ".join(cells[:5]) + (", …" if len(cells) > 5 else "")
            out.append(Problem("form_not_read", f"{sheet}!{cells[0]}", len(cells),
                               render("form_not_read", file=file, sheet=sheet, cells=shown, current=current),
                               None, problem_importance("form_not_read")))
    return out


def _formulas_in_inputs(layout: Layout, scans: dict[str, safety.SheetScan], file: str) -> list[Problem]:
    return [Problem("value_formula_in_input", f"{sheet}!{ref}", "=" + formula,
                    render("value_formula_in_input", file=file, sheet=sheet, cell=ref, label=label,
                           formula=formula[:120]),
                    None, problem_importance("value_formula_in_input"))
            for sheet, ref, formula, label in _in_inputs(layout, scans, "formulas")]


def read_port(port) -> WorkbookData:
    """Read a live or opened workbook through the workbook port: one bulk read per sheet."""
    names = set(port.sheet_names())
    label = getattr(port, "name", None) or ui("words.workbook")
    if META_SHEET not in names:
        raise CchcError("not_our_template", file=label)
    meta = read_meta_grid(port.read_sheet(META_SHEET, 60, 2))
    if not meta.get("template_id"):
        raise CchcError("not_our_template", file=label)
    definition, past = resolve_template(meta, label)
    layout = layout_for(definition, past)
    grids: dict[str, Grid] = {}
    checks = {s.name for s in definition.sheets if s.kind == "checks"}  # formulas only: nothing to read
    for name in layout.sheet_names:
        if name in (META_SHEET, LISTS_SHEET) or name in checks:
            continue
        if name not in names:
            raise CchcError("sheet_missing", file=label, sheet=name)
        rows, cols = layout.extent(name)
        grids[name] = port.read_sheet(name, rows, cols)
    data = extract(definition, grids, label, meta, layout=layout)
    if past is not None:
        data.source_version = past.version
    return data
