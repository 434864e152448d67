"""Xuất file nộp: a clean copy of the workbook, ready to send to the receiving office.

The copy has no validation marks and no Kiểm tra sheet; its meta sheet carries the validated
state, the export time and an incremented submission counter — how the receiving office tells a
corrected resend from the original (file times are reset by mail and USB copies). Stamps are
text ``YYYY-MM-DD HH:MM:SS``.

From the ribbon the clerk's open workbook stays as the clerk had it (marks and Kiểm tra stay):
only its meta sheet records the export time and counter, so the next export counts on. The copy
is Excel's own ``SaveCopyAs`` of the open workbook, cleaned on disk by the same code as the
command line's export (``clean_copy`` through the openpyxl adapter): the two paths agree.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CchcError
from ..names import file_name, inside
from ..ui import ui
from ..workbook.layout import META_SHEET
from ..workbook.port import WorkbookPort, unlocked
from ..workbook.reader import WorkbookData, read_port
from .engine import summary, validate
from .sheets import _meta_ref, _parse_marks, clear_marks


def export_name(data: WorkbookData) -> str:
    """``<code>_<ASCII name>_<period>.xlsx`` from the file's own meta sheet, slugged (``names``):
    a code or period read from the file never becomes a path."""
    unit = data.unit
    return file_name(unit["code"], unit["name"], data.period["code"])


@dataclass
class Export:
    """What one export stamps: when, which submission, and the validation counts."""

    at: dt.datetime
    counter: int
    errors: int
    warnings: int

    @property
    def stamp(self) -> str:
        return self.at.isoformat(sep=" ")

    def info(self) -> dict:
        return {"errors": self.errors, "warnings": self.warnings, "counter": self.counter, "exported_at": self.stamp}


def plan_export(data: WorkbookData, at: dt.datetime | None = None) -> Export:
    at = at or dt.datetime.now().replace(microsecond=0)
    counts = summary(validate(data))
    try:
        counter = int(data.meta.get("submission_counter") or 0) + 1
    except (TypeError, ValueError):
        counter = 1
    return Export(at, counter, counts["error"], counts["warning"])


def record_export(port: WorkbookPort, data: WorkbookData, export: Export) -> None:
    """In the clerk's open workbook: only the meta sheet records the export."""
    layout = data.layout
    with unlocked(port, [META_SHEET]):
        port.write_cells(META_SHEET, {_meta_ref(layout, "exported_at"): export.stamp,
                                      _meta_ref(layout, "submission_counter"): export.counter})


def clean_copy(port: WorkbookPort, data: WorkbookData, export: Export) -> None:
    """In the copy: marks and the Kiểm tra sheet removed, every stamp written."""
    layout = data.layout
    marked = {sheet for sheet, _ in _parse_marks(data.meta.get("marked_cells"))}
    with unlocked(port, [*marked, META_SHEET]):
        clear_marks(port, data)
        if ui("sheets.check") in port.sheet_names():
            port.delete_sheet(ui("sheets.check"))
        port.write_cells(META_SHEET, {
            _meta_ref(layout, "validated_at"): export.stamp,
            _meta_ref(layout, "validation_errors"): export.errors,
            _meta_ref(layout, "exported_at"): export.stamp,
            _meta_ref(layout, "submission_counter"): export.counter,
            _meta_ref(layout, "marked_cells"): "-",
        })


def prepare_export(port: WorkbookPort, at: dt.datetime | None = None) -> tuple[WorkbookData, dict]:
    """Read, plan and clean through one port (the command line's copy in memory); the caller saves it."""
    data = read_port(port)
    export = plan_export(data, at)
    clean_copy(port, data, export)
    return data, export.info()


def clean_file(source: Path, target: Path, data: WorkbookData, export: Export) -> Path:
    """Clean a copy saved by Excel into ``target`` (written atomically; ``source`` is left as it is)."""
    from ..workbook.port import OpenpyxlPort

    port = OpenpyxlPort(source)
    clean_copy(port, data, export)
    return port.save(target)


def export_target(folder: Path, data: WorkbookData, own: Path | None = None) -> Path:
    """Where the copy goes: inside ``folder`` (a name from the file never leaves it), never the
    input itself."""
    target = inside(Path(folder), export_name(data))
    if own is not None and os.path.realpath(target) == os.path.realpath(own):
        target = inside(Path(folder), Path(export_name(data)).stem + "_nop.xlsx")
    return target


def export_file(path: Path, out_dir: Path | None = None, at: dt.datetime | None = None) -> tuple[Path, dict]:
    """Command-line export: the input file is never modified; the clean copy goes to ``out_dir``."""
    path = Path(path)
    check_export_input(path)
    port = open_for_export(path)
    data, info = prepare_export(port, at)
    target = export_target(out_dir or path.parent, data, own=path)
    port.save(target)  # through a temporary file, renamed: never a half-written copy
    return target, info


def check_export_input(path: Path) -> None:
    """The same pre-flight as every read, and every sheet within the size limits (an extra sheet of
    millions of cells would otherwise make openpyxl take minutes and gigabytes)."""
    from ..workbook.reader import check_is_xlsx

    pre = check_is_xlsx(path)
    try:
        pre.scan_sheets([name for name, _part in pre.parts().sheets])
    finally:
        pre.close()


def open_for_export(path: Path):
    from ..workbook.port import OpenpyxlPort
    from ..workbook.safety import ZIP_ERRORS, detail

    try:
        return OpenpyxlPort(path)
    except CchcError:
        raise
    except ZIP_ERRORS + (SyntaxError, TypeError, AttributeError) as exc:  # openpyxl on damaged XML
        raise CchcError("workbook_xml_damaged", file=path, where=ui("words.workbook"), detail=detail(exc)) from None
