"""One workbook per reporting unit: build the template once, stamp each copy.

Unit, period, the meta stamps and each field's per-level default (the money unit: đồng for a
commune, tỷ đồng for a district) are patched into the template's XML (``xlsxpatch``);
``--previous`` carries standing values and lists, and the carry-over figures, from the unit's
returned workbook of the previous period, and its section texts as drafts: each marked by a
fill and a note, its digest kept in the meta sheet (``carried_texts``) so validation can tell a
text left unchanged.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import write_atomic
from ..cells import a1
from ..definition import money
from ..definition.models import ReportDefinition
from ..definition.periods import Period
from ..definition.units import Unit
from ..errors import CchcError, render
from ..names import file_name, inside
from ..ui import ui
from .layout import META_SHEET, Layout, compute_layout
from .reader import WorkbookData, read_workbook
from .template import fit_text_rows, text_rows
from .template_cache import cached_template_bytes
from .xlsxpatch import XlsxPackage, free_row_heights

_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


def stamp_context(definition: ReportDefinition, unit: Unit | None, period: Period | None) -> dict[str, Any]:
    """Values the template's stamped cells take for one unit and period."""
    levels = definition.level_labels()
    ctx: dict[str, Any] = {}
    if unit is not None:
        ctx.update({
            "unit.name": unit.name, "unit.code": unit.code, "unit.level": levels.get(unit.level, unit.level),
            "unit.parent_code": unit.parent_code,
            "unit.code_list": unit.code_list or (period.code_list if period else ""),
        })
    if period is not None:
        ctx.update({
            "period.code": period.code, "period.year": period.year, "period.from": period.start,
            "period.to": period.end, "period.label": period.label,
            "period.label_cap": period.label[:1].upper() + period.label[1:],
            "period.from_text": period.start.strftime("%d/%m/%Y"), "period.to_text": period.end.strftime("%d/%m/%Y"),
        })
    return ctx


def _fill_template(template: str, ctx: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(ctx.get(m.group(1), "…")), template)


def cell_values_for_display(definition: ReportDefinition, field_code: str, value: Any,
                            money_unit: str | None = None) -> Any:
    """A typed value as it is stored in the cell (choice codes become labels, % become fractions,
    money in the contract unit becomes the workbook's ``money_unit``)."""
    f = definition.field_map()[field_code]
    if value is not None and money.is_money(definition, f):
        from decimal import Decimal

        value = money.to_workbook(definition, f, Decimal(str(value)), money_unit)
    return cell_value(definition, f.type, f.choices, value)


DRAFT_FILL = "FCE4D6"  # a section text carried from the previous period, still to rewrite


def text_digest(text: Any) -> str:
    """The digest of a section text as carried (NFC, line ends and outer spaces ignored)."""
    norm = unicodedata.normalize("NFC", str(text or "")).replace("\r\n", "\n").replace("\r", "\n").strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def cell_value(definition: ReportDefinition, ftype: str, choices: str | None, value: Any) -> Any:
    if value is None:
        return None
    if ftype == "choice":
        for opt in definition.choice_list(choices).options:
            if value in (opt.code, opt.label):
                return opt.label
        return value
    if ftype == "percent":
        from decimal import Decimal

        return Decimal(str(value)) / 100
    return value


def _structure_digest(definition: ReportDefinition, template: bytes, given: bool) -> str:
    from .tamper import expected_structure, structure_of_template

    if given:
        return structure_of_template(definition, template).digest()
    return expected_structure(definition, template).digest()


class UnitStamper:
    """Holds the template once and writes per-unit copies."""

    def __init__(self, definition: ReportDefinition, template: bytes | None = None) -> None:
        self.definition = definition
        self.layout: Layout = compute_layout(definition)
        data = template or cached_template_bytes(definition)
        self.package = XlsxPackage(data)
        # the digest of the template's locked structure, stamped into each copy's meta sheet so a
        # reader can tell quickly whether anything locked was changed (xl_addin/workbook/tamper.py)
        self.structure_digest = _structure_digest(definition, data, given=template is not None)

    def cells_for(self, unit: Unit, period: Period, previous: WorkbookData | None = None,
                  generated_at: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
        definition, layout = self.definition, self.layout
        ctx = stamp_context(definition, unit, period)
        cells: dict[str, dict[str, Any]] = {}

        def put(sheet: str, ref: str, value: Any) -> None:
            cells.setdefault(sheet, {})[ref] = value

        for sheet, ref, template in layout.text_stamps:
            put(sheet, ref, _fill_template(template, ctx))
        fmap = definition.field_map()
        values: dict[str, Any] = {}
        for code, pos in layout.fields.items():
            f = fmap[code]
            if f.stamp:
                put(pos.sheet, pos.ref, ctx.get(f.stamp))
            elif f.is_input and f.default_for(unit.level) is not None:
                values[code] = f.default_for(unit.level)
        drafts: dict[str, str] = {}
        if previous is not None:
            values.update(carried_values(definition, previous))
            drafts = carried_texts(definition, previous)
            values.update(drafts)
        unit_money = money.workbook_unit(definition, values.get(definition.money.field)) if definition.money else None
        for code, value in values.items():
            pos = layout.fields[code]
            put(pos.sheet, pos.ref, cell_values_for_display(definition, code, value, unit_money))
        if previous is not None:
            for code, rows in carried_lists(definition, previous).items():
                block = layout.lists[code]
                for i, row in enumerate(rows[: block.capacity]):
                    for col in block.definition.columns:
                        put(block.sheet, a1(block.first_row + i, block.columns[col.code]),
                            cell_value(definition, col.type, col.choices, row.get(col.code)))
        stamp = (generated_at or dt.datetime.now()).replace(microsecond=0).isoformat(sep=" ")
        meta = {
            "unit_code": unit.code, "unit_name": unit.name, "unit_level": unit.level,
            "unit_parent_code": unit.parent_code or "-", "code_list": unit.code_list or period.code_list,
            "period_code": period.code, "period_from": period.start.isoformat(), "period_to": period.end.isoformat(),
            "generated_at": stamp, "tool_version": __version__, "structure_digest": self.structure_digest,
        }
        if drafts:
            meta["carried_texts"] = json.dumps({c: text_digest(t) for c, t in drafts.items()}, sort_keys=True)
        for key, value in meta.items():
            put(META_SHEET, f"B{layout.meta_rows[key]}", value)
        return cells

    def workbook_bytes(self, unit: Unit, period: Period, previous: WorkbookData | None = None,
                       generated_at: dt.datetime | None = None) -> bytes:
        data = self.package.patched(self.cells_for(unit, period, previous, generated_at))
        drafts = carried_texts(self.definition, previous) if previous is not None else {}
        if drafts:
            data = mark_drafts(self.layout, data, list(drafts), previous.period.get("code") or "")
        return data


def carried_values(definition: ReportDefinition, previous: WorkbookData) -> dict[str, Any]:
    out = {}
    for f in definition.fields():
        if f.carry_from and previous.values.get(f.carry_from) is not None:
            out[f.code] = previous.values[f.carry_from]
        elif f.standing and f.is_input and previous.values.get(f.code) is not None:
            out[f.code] = previous.values[f.code]
    return out


def carried_texts(definition: ReportDefinition, previous: WorkbookData) -> dict[str, str]:
    """Last period's section texts, to start this period's from (never copied unmarked)."""
    out = {}
    for f in definition.fields():
        value = previous.values.get(f.code)
        if f.draft_from_previous and isinstance(value, str) and value.strip():
            out[f.code] = value
    return out


def mark_drafts(layout: Layout, data: bytes, codes: list[str], period_code: str) -> bytes:
    """Each carried text's cell gets the draft fill and a note saying where it comes from.

    Only for workbooks that carry texts (``--previous``): openpyxl adds the notes (comments and
    their VML) and keeps everything else of the stamped package."""
    import openpyxl

    from .port import OpenpyxlPort

    port = OpenpyxlPort("carried.xlsx", openpyxl.load_workbook(io.BytesIO(data)))
    note = str(ui("draft_note")).format(period=period_code)
    for code in codes:
        pos = layout.fields[code]
        port.set_fill(pos.sheet, pos.ref, DRAFT_FILL)
        port.set_note(pos.sheet, pos.ref, note)
    fit_text_rows(port.book, layout)
    buf = io.BytesIO()
    port.book.save(buf)
    return free_row_heights(buf.getvalue(), text_rows(layout))


def carried_lists(definition: ReportDefinition, previous: WorkbookData) -> dict[str, list[dict]]:
    return {lst.code: previous.lists.get(lst.code, []) for lst in definition.lists
            if lst.standing and previous.lists.get(lst.code)}


def unit_file_name(unit: Unit, period: Period) -> str:
    """``<code>_<ASCII name>_<period>.xlsx``, built by ``names.file_name`` (at most 120 characters)."""
    return file_name(unit.code, unit.name, period.code)


def _unique_names(units: list[Unit], period: Period) -> list[str]:
    """One file per unit: units whose names would be the same file (one code in two code lists,
    or names equal once slugged and cut, on a case-insensitive disk) get their code list, then a
    number, in the name."""
    names = [unit_file_name(u, period) for u in units]
    counts = collections.Counter(n.lower() for n in names)
    out, used = [], set()
    for unit, name in zip(units, names, strict=True):
        if counts[name.lower()] > 1:
            name = file_name(unit.code, unit.name, period.code, unit.code_list)
            n = 2
            while name.lower() in used:
                name = file_name(unit.code, unit.name, period.code, unit.code_list, n)
                n += 1
        used.add(name.lower())
        out.append(name)
    return out


def index_previous(folder: Path, definition: ReportDefinition) -> dict[str, WorkbookData]:
    """The previous period's returned workbooks by unit code (unreadable files are skipped)."""
    out: dict[str, WorkbookData] = {}
    if not folder.is_dir():
        raise CchcError("file_not_found", file=folder)
    for path in sorted(folder.rglob("*.xlsx")):
        if path.name.startswith("~$"):
            continue
        try:
            data = read_workbook(path)
        except CchcError:
            continue
        if data.definition.id != definition.id:
            continue
        out[data.unit["code"]] = data
    return out


@dataclass
class BuildResult:
    unit: Unit
    path: Path
    carried: bool
    texts: int = 0  # section texts carried from the previous period as drafts


def level_of_code(definition: ReportDefinition, code: str) -> str | None:
    """The level a bare administrative code has by its shape, when only one level's codes have that
    many digits (``digits`` of the level options: 3 digits is a district, huyện)."""
    if not (code.isascii() and code.isdigit()):
        return None
    found = [level for level, o in definition.level_options().items() if o.digits == len(code)]
    return found[0] if len(found) == 1 else None


def units_out_of_era(definition: ReportDefinition, units: list[Unit], period: Period) -> list[str]:
    """Why each unit cannot report for ``period``: its level, or its parent's, does not exist in the
    era the period ends in (no district level from 1/7/2025). Empty when every unit can."""
    era = definition.level_era(period)
    if era is None:
        return []
    names = definition.level_labels()
    by_code = {u.code: u for u in units}
    rows = []
    for u in units:
        if u.level not in era.levels:
            rows.append(render("build_unit_level_gone", code=u.code, name=u.name, level=names.get(u.level, u.level),
                               era=era.label))
            continue
        parent = by_code.get(u.parent_code)
        parent_level = parent.level if parent is not None else level_of_code(definition, u.parent_code or "")
        if parent_level and parent_level not in era.levels:
            rows.append(render("build_unit_parent_gone", code=u.code, name=u.name, parent=u.parent_code,
                               level=names.get(parent_level, parent_level), era=era.label))
    return rows


def build_unit_workbooks(definition: ReportDefinition, units: Iterable[Unit], period: Period, out_dir: Path,
                         previous_dir: Path | None = None,
                         progress: Callable[[Unit], None] | None = None) -> list[BuildResult]:
    units = list(units)
    definition = definition.for_period(period)  # the forms in force for the period
    refused = units_out_of_era(definition, units, period)
    if refused:
        raise CchcError("build_units_out_of_era", period=period.code, start=f"{period.start:%d/%m/%Y}",
                        end=f"{period.end:%d/%m/%Y}", rows="\n".join(f"  {r}" for r in refused))
    names = _unique_names(units, period)
    stamper = UnitStamper(definition)
    previous = index_previous(previous_dir, definition) if previous_dir else {}
    generated_at = dt.datetime.now()
    results = []
    for unit, name in zip(units, names, strict=True):
        prev = previous.get(unit.code)
        path = inside(Path(out_dir), name)
        write_atomic(path, stamper.workbook_bytes(unit, period, prev, generated_at))
        texts = len(carried_texts(definition, prev)) if prev is not None else 0
        results.append(BuildResult(unit, path, prev is not None, texts))
        if progress:
            progress(unit)
    return results
