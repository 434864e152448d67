"""Xuất file nộp: a clean copy of the workbook, ready to send to the receiving office.

Validation marks and the Kiểm tra sheet are removed; the validated state, the export time and
an incremented submission counter are stamped into the meta sheet — how the receiving office
tells a corrected resend from the original (file times are reset by mail and USB copies).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..definition.units import ascii_name
from ..ui import ui
from ..workbook.layout import META_SHEET
from ..workbook.port import WorkbookPort
from ..workbook.reader import WorkbookData, read_port
from .engine import summary, validate
from .sheets import _meta_ref, clear_marks


def export_name(data: WorkbookData) -> str:
    unit = data.unit
    return f"{unit['code']}_{ascii_name(unit['name'])}_{data.period['code']}.xlsx"


def prepare_export(port: WorkbookPort, at: dt.datetime | None = None) -> tuple[WorkbookData, dict]:
    """Clean marks and stamp the meta sheet through the port; the caller saves the copy."""
    at = at or dt.datetime.now().replace(microsecond=0)
    data = read_port(port)
    findings = validate(data)
    counts = summary(findings)
    layout = data.layout
    try:
        counter = int(data.meta.get("submission_counter") or 0) + 1
    except (TypeError, ValueError):
        counter = 1
    marked = {s for s in str(data.meta.get("marked_cells") or "").split(";") if "!" in s}
    port.unprotect(sorted({m.split("!", 1)[0] for m in marked} | {META_SHEET}))
    try:
        clear_marks(port, data)
        if ui("sheets.check") in port.sheet_names():
            port.delete_sheet(ui("sheets.check"))
        port.write_cells(META_SHEET, {
            _meta_ref(layout, "validated_at"): at.isoformat(sep=" "),
            _meta_ref(layout, "validation_errors"): counts["error"],
            _meta_ref(layout, "exported_at"): at.isoformat(sep=" "),
            _meta_ref(layout, "submission_counter"): counter,
            _meta_ref(layout, "marked_cells"): "-",
        })
    finally:
        port.protect(sorted({m.split("!", 1)[0] for m in marked} | {META_SHEET}))
    return data, {"errors": counts["error"], "warnings": counts["warning"], "counter": counter,
                  "exported_at": at.isoformat(sep=" ")}


def export_file(path: Path, out_dir: Path | None = None, at: dt.datetime | None = None) -> tuple[Path, dict]:
    """Command-line export: the input file is never modified; the clean copy goes to ``out_dir``."""
    from ..workbook.port import OpenpyxlPort
    from ..workbook.reader import check_is_xlsx

    path = Path(path)
    check_is_xlsx(path)
    port = OpenpyxlPort(path)
    data, info = prepare_export(port, at)
    target = (out_dir or path.parent) / export_name(data)
    if target.resolve() == path.resolve():
        target = target.with_name(target.stem + "_nop.xlsx")
    port.save(target)
    return target, info
