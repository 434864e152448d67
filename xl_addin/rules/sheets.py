"""Show validation findings and ratios inside the workbook, through the workbook port.

``apply_validation`` writes the Kiểm tra sheet, colours the offending cells (red for errors,
orange for warnings, both with a thick frame) and notes them, after clearing the marks of the
previous run (recorded in the meta sheet, so no formats need to be read back); ``apply_ratios``
writes the Tỷ lệ sheet. Both sheets are for a clerk: labels, never field codes; each amount with
its unit; one link per finding to its cell; wrapped text, rows as high as their text, landscape
and one page wide on paper, the header repeated, a legend. The structure lock and the sheets'
protection are lifted and restored in a ``finally``. Round trips grow with the number of
findings, never with the number of fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..definition.models import Column, FieldDef, ListDef, Ratio, ReportDefinition, TableDef
from ..ui import ui
from ..workbook.layout import META_SHEET, Layout
from ..workbook.port import Link, SheetLook, WorkbookPort, activate, unlocked
from ..workbook.reader import WorkbookData
from .engine import Finding, _fmt, summary
from .ratios import RatioResult

MARK_COLORS: dict[str, str] = dict(ui("marks"))
MARK_BORDER = {"error": "thick", "warning": "thick", "info": "thin"}
ORIGINAL_FILL = {"input": "FFF2CC", "computed": "E7E6E6", "stamp": "DDEBF7", "other": None}
_RANK = {"error": 0, "warning": 1, "info": 2}
CHECK_WIDTHS: dict[int, float] = {1: 5, 2: 10, 3: 28, 4: 22, 5: 10, 6: 10, 7: 48, 8: 34, 9: 17}
RATIO_WIDTHS: dict[int, float] = {1: 46, 2: 12, 3: 12, 4: 13, 5: 12, 6: 30, 7: 14}


def _meta_ref(layout: Layout, key: str) -> str:
    return f"B{layout.meta_rows[key]}"


def _parse_marks(text: Any) -> list[tuple[str, str]]:
    if not text or text == "-":
        return []
    out = []
    for item in str(text).split(";"):
        if "!" in item:
            sheet, ref = item.rsplit("!", 1)
            out.append((sheet, ref))
    return out


def _last_visible(layout: Layout) -> str:
    return [s.name for s in layout.definition.sheets][-1]


def clear_marks(port: WorkbookPort, data: WorkbookData) -> int:
    marks = _parse_marks(data.meta.get("marked_cells"))
    for sheet, ref in marks:
        port.set_fill(sheet, ref, ORIGINAL_FILL[data.layout.cell_kind(sheet, ref)], border="thin")
        port.set_note(sheet, ref, None)
    return len(marks)


# --------------------------------------------------------------------------- labels and units
def money_unit(data: WorkbookData, unit: str | None) -> str | None:
    """The unit amounts of money are shown in. Today each money field's own unit from the definition;
    the one place to read a workbook-level choice of money unit from."""
    return unit


def field_unit(data: WorkbookData, code: str) -> str:
    """The unit a value of ``code`` (a field, a ratio, a table or list column) is counted in."""
    definition = data.definition
    f = definition.field_map().get(code)
    if f is not None:
        return (money_unit(data, f.unit) if f.type == "money" else f.unit) or ""
    if code in definition.ratio_map():
        return "%"
    for item in _tables_and_lists(definition):
        for col in item.columns:
            if col.code == code:
                return (money_unit(data, col.unit) if col.type == "money" else col.unit) or ""
    return ""


def ratio_unit(data: WorkbookData, ratio: Ratio) -> str:
    """The unit of a ratio's numerator and denominator (amounts in the workbook's money unit)."""
    from ..definition import expr

    fields = data.definition.field_map()
    codes = expr.field_refs(expr.parse(ratio.numerator)) | expr.field_refs(expr.parse(ratio.denominator))
    if codes and all(fields[c].type == "money" for c in codes if c in fields):
        return money_unit(data, ratio.unit) or ""
    return ratio.unit or ""


def labels_of(data: WorkbookData) -> dict[str, str]:
    definition = data.definition
    labels: dict[str, str] = {}
    for item in _tables_and_lists(definition):
        for col in item.columns:
            labels.setdefault(col.code, col.label)
    labels.update({lst.code: lst.label for lst in definition.lists})
    labels.update({t.code: t.title for t in definition.tables})
    labels.update({r.code: r.label for r in definition.ratios})
    labels.update({f.code: f.label for f in definition.fields()})
    return labels


def choice_labels(data: WorkbookData) -> dict[str, dict[str, str]]:
    """Option labels of every choice field and column: a finding shows «Quyết định», not its code."""
    definition = data.definition
    items: list[FieldDef | Column] = [*definition.fields(),
                                      *(c for t in _tables_and_lists(definition) for c in t.columns)]
    return {i.code: {o.code: o.label for o in definition.choice_list(i.choices).options}
            for i in items if i.type == "choice" and i.choices}


def _shown(choices: dict[str, dict[str, str]], code: str, value: Any) -> str:
    labels = choices.get(code, {})
    return labels[value] if isinstance(value, str) and value in labels else _fmt(value)


def _tables_and_lists(definition: ReportDefinition) -> list[TableDef | ListDef]:
    return [*definition.tables, *definition.lists]


def _link(cells: list[str]) -> Link | str:
    """The first cell of a finding, as a link (with how many other cells it marks)."""
    if not cells or "!" not in cells[0]:
        return ""
    sheet, ref = cells[0].split("!", 1)
    text = f"{sheet}!{ref}"
    if len(cells) > 1:
        text = ui("check_more_cells").format(cell=text, count=len(cells) - 1)
    return Link(text, sheet, ref)


# --------------------------------------------------------------------------- Kiểm tra
def check_rows(data: WorkbookData, findings: list[Finding], at: dt.datetime) -> tuple[list[list[Any]], SheetLook]:
    """The Kiểm tra sheet: title, summary, legend, then one row per finding."""
    counts = summary(findings)
    when = at.strftime("%H:%M %d/%m/%Y")
    if findings:
        head = ui("check_summary").format(at=when, errors=counts["error"], warnings=counts["warning"],
                                          infos=counts["info"])
    else:
        head = ui("check_clean").format(at=when)
    legend = ui("check_legend")
    rows: list[list[Any]] = [[ui("check_title")], [head],
                             [None, ui("importance.error"), legend["error"]],
                             [None, ui("importance.warning"), legend["warning"]],
                             [None, None, ui("check_hint")], [], list(ui("check_columns"))]
    look = SheetLook(header_row=len(rows), right={1, 6})
    for r, importance in ((3, "error"), (4, "warning")):
        look.fills[(r, 2)] = MARK_COLORS[importance]
        look.thick.add((r, 2))
    labels = labels_of(data)
    choices = choice_labels(data)
    for i, f in enumerate(findings, start=1):
        codes = [c for c in f.fields if c] or [k for k in f.values if k in labels]
        if len(codes) == 1:
            subject = labels.get(codes[0]) or f.name
        else:
            subject = f.name or "; ".join(label for label in (labels.get(c) for c in codes) if label)
        shown = [(labels.get(k), _shown(choices, k, v)) for k, v in f.values.items()]
        if len(shown) == 1:
            value = shown[0][1]
        else:
            value = "\n".join(f"{label}: {v}" for label, v in shown if label)
        units = list(dict.fromkeys(u for u in (field_unit(data, k) for k in (f.values or dict.fromkeys(codes))) if u))
        rows.append([i, ui(f"importance.{f.importance}"), subject, value, "; ".join(units),
                     _fmt(f.gap) if f.gap is not None else "", f.message, f.instruction, _link(f.cells)])
        look.fills[(len(rows), 2)] = MARK_COLORS[f.importance]
    look.fit(rows, CHECK_WIDTHS)
    return rows, look


def apply_validation(port: WorkbookPort, data: WorkbookData, findings: list[Finding],
                     at: dt.datetime | None = None) -> None:
    at = at or dt.datetime.now().replace(microsecond=0)
    layout = data.layout
    check = ui("sheets.check")
    touched = {c.split("!", 1)[0] for f in findings for c in f.cells if "!" in c} \
        | {s for s, _ in _parse_marks(data.meta.get("marked_cells"))}
    with unlocked(port, [*touched, META_SHEET, check]):
        clear_marks(port, data)
        rows, look = check_rows(data, findings, at)
        port.write_sheet(check, rows, widths=CHECK_WIDTHS, header_rows=look.header_row,
                         after=_last_visible(layout), look=look)
        worst: dict[str, str] = {}
        notes: dict[str, list[str]] = {}
        for f in findings:
            for cell in f.cells:
                if "!" not in cell:
                    continue
                if cell not in worst or _RANK[f.importance] < _RANK[worst[cell]]:
                    worst[cell] = f.importance
                notes.setdefault(cell, []).append(f"[{ui(f'importance.{f.importance}')}] {f.message}")
        for cell, importance in worst.items():
            sheet, ref = cell.split("!", 1)
            port.set_fill(sheet, ref, MARK_COLORS[importance], border=MARK_BORDER[importance])
            port.set_note(sheet, ref, "\n".join(dict.fromkeys(notes[cell]))[:2000])
        port.write_cells(META_SHEET, {
            _meta_ref(layout, "validated_at"): at.isoformat(sep=" "),
            _meta_ref(layout, "validation_errors"): summary(findings)["error"],
            _meta_ref(layout, "marked_cells"): ";".join(worst) or "-",
        })
    activate(port, check)


# --------------------------------------------------------------------------- Tỷ lệ
def ratio_rows(data: WorkbookData, results: dict[str, RatioResult]) -> tuple[list[list[Any]], SheetLook]:
    agree = ui("agree")
    notes = ui("ratios_notes")
    rows: list[list[Any]] = [[ui("ratios_title")], *([n] for n in notes), [], list(ui("ratios_columns"))]
    look = SheetLook(header_row=len(rows), right={2, 3, 5})
    ratios = data.definition.ratio_map()
    cells = data.layout.ratios
    for r in results.values():
        state = r.excel_agrees
        where = cells.get(r.code)
        rows.append([r.label, _fmt(r.numerator), _fmt(r.denominator), ratio_unit(data, ratios[r.code]), r.formatted,
                     agree["none" if state is None else ("true" if state else "false")],
                     Link(f"{where.sheet}!{where.ref}", where.sheet, where.ref) if where else ""])
    look.fit(rows, RATIO_WIDTHS)
    return rows, look


def apply_ratios(port: WorkbookPort, data: WorkbookData, results: dict[str, RatioResult]) -> None:
    name = ui("sheets.ratios")
    with unlocked(port, [name]):
        rows, look = ratio_rows(data, results)
        port.write_sheet(name, rows, widths=RATIO_WIDTHS, header_rows=look.header_row,
                         after=_last_visible(data.layout), look=look)
    activate(port, name)
