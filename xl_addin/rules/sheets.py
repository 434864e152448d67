"""Show validation findings and ratios inside the workbook, through the workbook port.

``apply_validation`` writes the Kiểm tra sheet, colours the offending cells and notes them,
after clearing the marks of the previous run (recorded in the meta sheet, so no formats need
to be read back); ``apply_ratios`` writes the Tỷ lệ sheet. Protection is lifted and restored
in a ``finally``. Round trips grow with the number of findings, never with the number of fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..ui import ui
from ..workbook.layout import META_SHEET, Layout
from ..workbook.port import WorkbookPort
from ..workbook.reader import WorkbookData
from .engine import Finding, _fmt, summary
from .ratios import RatioResult

MARK_COLORS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
ORIGINAL_FILL = {"input": "FFF2CC", "computed": "E7E6E6", "stamp": "DDEBF7", "other": None}
_RANK = {"error": 0, "warning": 1, "info": 2}


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
        port.set_fill(sheet, ref, ORIGINAL_FILL[data.layout.cell_kind(sheet, ref)])
        port.set_note(sheet, ref, None)
    return len(marks)


def check_rows(data: WorkbookData, findings: list[Finding], at: dt.datetime) -> list[list[Any]]:
    counts = summary(findings)
    if findings:
        head = ui("check_summary").format(at=at.strftime("%H:%M %d/%m/%Y"), errors=counts["error"],
                                          warnings=counts["warning"], infos=counts["info"])
    else:
        head = ui("check_clean").format(at=at.strftime("%H:%M %d/%m/%Y"))
    rows: list[list[Any]] = [[ui("check_title")], [head], [], list(ui("check_columns"))]
    labels = {f.code: f.label for f in data.definition.fields()}
    labels.update({r.code: r.label for r in data.definition.ratios})
    labels.update({lst.code: lst.label for lst in data.definition.lists})
    for i, f in enumerate(findings, start=1):
        sheet, ref = (f.cells[0].split("!", 1) if f.cells else ("", ""))
        values = "; ".join(f"{labels.get(k, k)}: {_fmt(v)}" for k, v in f.values.items())
        refs = ", ".join(c.split("!", 1)[1] if c.split("!", 1)[0] == sheet else c for c in f.cells)
        rows.append([i, ui(f"importance.{f.importance}"), sheet, refs,
                     "; ".join(labels.get(c, c) for c in f.fields), values, _fmt(f.gap) if f.gap is not None else "",
                     f.message, f.instruction])
    return rows


def apply_validation(port: WorkbookPort, data: WorkbookData, findings: list[Finding],
                     at: dt.datetime | None = None) -> None:
    at = at or dt.datetime.now().replace(microsecond=0)
    layout = data.layout
    check = ui("sheets.check")
    touched = sorted({c.split("!", 1)[0] for f in findings for c in f.cells}
                     | {s for s, _ in _parse_marks(data.meta.get("marked_cells"))})
    port.unprotect(touched + [META_SHEET])
    try:
        clear_marks(port, data)
        port.write_sheet(check, check_rows(data, findings, at), widths={1: 5, 2: 10, 3: 14, 4: 12, 5: 40, 6: 40,
                                                                          7: 11, 8: 70, 9: 55},
                         header_rows=4, after=_last_visible(layout))
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
            port.set_fill(sheet, ref, MARK_COLORS[importance])
            port.set_note(sheet, ref, "\n".join(dict.fromkeys(notes[cell]))[:2000])
        port.write_cells(META_SHEET, {
            _meta_ref(layout, "validated_at"): at.isoformat(sep=" "),
            _meta_ref(layout, "validation_errors"): summary(findings)["error"],
            _meta_ref(layout, "marked_cells"): ";".join(worst) or "-",
        })
    finally:
        port.protect(sorted(set(touched) | {check, META_SHEET}))


def ratio_rows(results: dict[str, RatioResult]) -> list[list[Any]]:
    agree = ui("agree")
    rows: list[list[Any]] = [[ui("ratios_title")], [], list(ui("ratios_columns"))]
    for r in results.values():
        state = r.excel_agrees
        rows.append([r.code, r.label, _fmt(r.numerator), _fmt(r.denominator),
                     float(r.value) if r.value is not None else None, r.formatted,
                     agree["none" if state is None else ("true" if state else "false")]])
    return rows


def apply_ratios(port: WorkbookPort, data: WorkbookData, results: dict[str, RatioResult]) -> None:
    name = ui("sheets.ratios")
    try:
        port.write_sheet(name, ratio_rows(results), widths={1: 26, 2: 55, 3: 14, 4: 14, 5: 12, 6: 16, 7: 30},
                         header_rows=3, after=_last_visible(data.layout))
    finally:
        port.protect([name])
