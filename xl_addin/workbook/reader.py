"""Read every field, list and table of a filled workbook by code.

Values come from a grid per sheet (python-calamine for files; the workbook port for a live
book). The cell positions come from the layout of the workbook's own template version, not
from what the file claims. Cached formula results are never trusted: computed fields are
recomputed from the definition. Text typed into a number cell is reported, never read as 0.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .. import vnnum
from ..limits import MAX_ABS_NUMBER
from ..definition import expr
from ..definition.loader import load_definition
from ..definition.models import NUMERIC_TYPES, Column, FieldDef, ReportDefinition
from ..errors import CchcError, render
from .layout import LISTS_SHEET, META_SHEET, Layout, a1, compute_layout

Grid = list[list[Any]]
_EPOCH = dt.datetime(1899, 12, 30)


@dataclass
class Problem:
    code: str
    cell: str
    value: Any
    message: str
    field: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "cell": self.cell, "value": to_jsonable(self.value), "message": self.message,
                "field": self.field}


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

    @property
    def template(self) -> dict:
        return {"id": self.definition.id, "version": self.definition.version, "profile": self.definition.profile}

    @property
    def unit(self) -> dict:
        return {"code": str(self.meta.get("unit_code") or self.values.get("don_vi_ma") or ""),
                "name": str(self.meta.get("unit_name") or self.values.get("don_vi_ten") or "")}

    @property
    def period(self) -> dict:
        return {"code": str(self.meta.get("period_code") or self.values.get("ky_bao_cao") or ""),
                "from": _iso(self.meta.get("period_from") or self.values.get("tu_ngay")),
                "to": _iso(self.meta.get("period_to") or self.values.get("den_ngay"))}

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "template": self.template,
            "unit": self.unit,
            "period": self.period,
            "values": {k: to_jsonable(v) for k, v in self.values.items()},
            "lists": {k: [{c: to_jsonable(v) for c, v in row.items()} for row in rows] for k, rows in self.lists.items()},
            "tables": {k: [{c: to_jsonable(v) for c, v in row.items()} for row in rows] for k, rows in self.tables.items()},
            "table_totals": {k: {c: to_jsonable(v) for c, v in row.items()} for k, row in self.table_totals.items()},
            "problems": [p.to_dict() for p in self.problems],
        }


def _iso(value: Any) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if value in (None, "", "-"):
        return None
    return str(value)[:10]


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


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


def _text_date(text: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


class Converter:
    """Turns raw cell values into typed values, collecting problems with file, sheet and cell."""

    def __init__(self, definition: ReportDefinition, file_label: str) -> None:
        self.definition = definition
        self.file = file_label
        self.problems: list[Problem] = []
        self._choices = {cl.code: cl for cl in definition.choice_lists}

    def problem(self, code: str, sheet: str, ref: str, value: Any, item: FieldDef | Column, field_code: str | None,
                **extra: Any) -> None:
        message = render(code, file=self.file, sheet=sheet, cell=ref, label=item.label, value=value, **extra)
        self.problems.append(Problem(code, f"{sheet}!{ref}", value, message, field_code))

    def convert(self, item: FieldDef | Column, raw: Any, sheet: str, ref: str, field_code: str | None) -> Any:
        if _blank(raw):
            return None
        t = item.type
        if t in NUMERIC_TYPES:
            return self._number(item, raw, sheet, ref, field_code)
        if t == "date":
            value = _as_date(raw)
            if value is None:
                parsed = _text_date(str(raw)) if isinstance(raw, str) else None
                self.problem("value_not_date", sheet, ref, raw, item, field_code)
                del parsed  # a date typed as text is reported, not used
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
        return unicodedata.normalize("NFC", str(raw))

    def _number(self, item: FieldDef | Column, raw: Any, sheet: str, ref: str, field_code: str | None) -> Any:
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
                         field_code, bounds=f"tối đa {vnnum.number(MAX_ABS_NUMBER)}")
            return None
        if item.type == "percent":
            value = (value * 100).normalize()
        if item.type == "integer":
            if value != value.to_integral_value():
                self.problem("value_not_integer", sheet, ref, vnnum.number(value), item, field_code)
                return None
            value = value.to_integral_value()
        if value < 0 and (item.min is None or item.min >= 0):
            self.problem("value_negative", sheet, ref, vnnum.number(value), item, field_code)
            return value
        lo, hi = item.min, item.max
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"{vnnum.number(lo) if lo is not None else '…'} – {vnnum.number(hi) if hi is not None else '…'}"
            self.problem("value_out_of_bounds", sheet, ref, vnnum.number(value), item, field_code, bounds=bounds)
        elif item.plausible_max is not None and value > item.plausible_max:
            self.problem("value_implausible", sheet, ref, vnnum.number(value), item, field_code,
                         unit=item.unit or "", limit=vnnum.number(item.plausible_max))
        return value


# --------------------------------------------------------------------------- extraction
def _cell(grid: Grid | None, row: int, col: int) -> Any:
    if grid is None or row - 1 >= len(grid):
        return None
    line = grid[row - 1]
    return line[col - 1] if col - 1 < len(line) else None


def extract(definition: ReportDefinition, grids: dict[str, Grid], file_label: str, meta: dict[str, Any]) -> WorkbookData:
    """Typed values by code from raw sheet grids (any source: calamine, openpyxl, xlwings)."""
    layout = compute_layout(definition)
    conv = Converter(definition, file_label)
    data = WorkbookData(file_label, definition, layout, meta)
    fmap = definition.field_map()
    for code, pos in layout.fields.items():
        f = fmap[code]
        data.cells[code] = pos.address
        if f.computed:
            continue
        data.values[code] = conv.convert(f, _cell(grids.get(pos.sheet), pos.row, pos.col), pos.sheet, pos.ref, code)
    for code, pos in layout.ratios.items():
        data.cells[code] = pos.address
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
            row = {c.code: None if _blank(raws[c.code]) else
                   conv.convert(c, raws[c.code], block.sheet, a1(r, block.columns[c.code]), code)
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
                out[table.label_column.code] = None if _blank(raw) else conv.convert(
                    table.label_column, raw, block.sheet, a1(r, block.label_col), code)
            for col in inputs:
                raw = _cell(grid, r, block.columns[col.code])
                out[col.code] = None if _blank(raw) else conv.convert(col, raw, block.sheet,
                                                                      a1(r, block.columns[col.code]), code)
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
    # keep the definition's order of fields
    data.values = {code: data.values.get(code) for code in layout.fields}
    data.problems = conv.problems
    return data


def _computed_in_order(definition: ReportDefinition) -> list[FieldDef]:
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
def check_is_xlsx(path: Path) -> None:
    if not path.exists():
        raise CchcError("file_not_found", file=path)
    if not path.is_file():
        raise CchcError("not_a_workbook", file=path)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head != b"PK\x03\x04" or not zipfile.is_zipfile(path):
        raise CchcError("not_a_workbook", file=path)


def read_meta_grid(grid: Grid) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for row in grid:
        if row and isinstance(row[0], str) and row[0]:
            value = row[1] if len(row) > 1 else None
            meta[row[0]] = None if value in ("", "-") else value
    return meta


def open_calamine(path: Path):
    from python_calamine import CalamineWorkbook

    check_is_xlsx(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged archives
        raise CchcError("workbook_unreadable", file=path, detail=str(exc).splitlines()[0][:200]) from None


def sheet_grid(book, name: str) -> Grid:
    return book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def definition_for_meta(meta: dict[str, Any], path: Path | str) -> ReportDefinition:
    template_id = str(meta.get("template_id") or "")
    version = str(meta.get("template_version") or "")
    profile = meta.get("profile") or None
    try:
        definition = load_definition(template_id, profile=profile)
    except CchcError as exc:
        if exc.code in ("definition_missing", "profile_unknown"):
            raise CchcError("template_unknown", file=path, template=template_id, version=version) from None
        raise
    if definition.version != version:
        raise CchcError("template_unknown", file=path, template=template_id, version=version)
    return definition


def data_sheets(layout: Layout) -> list[str]:
    """The sheets that hold values (the instructions sheet and the hidden ones hold none)."""
    kinds = {s.name: s.kind for s in layout.definition.sheets}
    return [n for n in layout.sheet_names if kinds.get(n) not in (None, "instructions")]


def read_workbook(path: Path | str) -> WorkbookData:
    """Read a filled workbook from a file (fast path: python-calamine)."""
    path = Path(path)
    book = open_calamine(path)
    names = set(book.sheet_names)
    if META_SHEET not in names:
        raise CchcError("not_our_template", file=path)
    try:
        meta = read_meta_grid(sheet_grid(book, META_SHEET))
        if not meta.get("template_id"):
            raise CchcError("not_our_template", file=path)
        definition = definition_for_meta(meta, path)
        layout = compute_layout(definition)
        grids: dict[str, Grid] = {}
        for name in data_sheets(layout):
            if name not in names:
                raise CchcError("sheet_missing", file=path, sheet=name)
            grids[name] = sheet_grid(book, name)
    finally:
        close = getattr(book, "close", None)
        if close:
            close()
    return extract(definition, grids, str(path), meta)


def read_port(port) -> WorkbookData:
    """Read a live or opened workbook through the workbook port: one bulk read per sheet."""
    names = set(port.sheet_names())
    label = getattr(port, "name", "sổ tính")
    if META_SHEET not in names:
        raise CchcError("not_our_template", file=label)
    meta = read_meta_grid(port.read_sheet(META_SHEET, 60, 2))
    if not meta.get("template_id"):
        raise CchcError("not_our_template", file=label)
    definition = definition_for_meta(meta, label)
    layout = compute_layout(definition)
    grids: dict[str, Grid] = {}
    for name in layout.sheet_names:
        if name in (META_SHEET, LISTS_SHEET):
            continue
        if name not in names:
            raise CchcError("sheet_missing", file=label, sheet=name)
        rows, cols = layout.extent(name)
        grids[name] = port.read_sheet(name, rows, cols)
    return extract(definition, grids, label, meta)
