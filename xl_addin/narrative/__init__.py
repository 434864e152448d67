"""The narrative report: the official report (sections I–V, NĐ 30/2020 layout) written from the
workbook's own values, lists and ratios, so that text and tables can never disagree.

Public API (the CLI verb ``cchc report`` and the ribbon's Lập báo cáo / Xuất Word wire these):

- ``build_report(data, previous=None) -> Report``: the structured report (header, blocks, closing,
  recipients, signature); ``data``/``previous`` are ``WorkbookData`` or paths.
- ``render_text(report) -> str``: plain text, UTF-8, NFC.
- ``write_report_sheet(port, data, report, force=False) -> str``: the Báo cáo sheet through a
  workbook port; refuses (``report_edited_by_hand``) if the sheet was edited by hand, unless
  ``force``; ``needs_confirmation(port)`` tells beforehand (the ribbon asks the clerk).
- ``write_docx(report, path)``, ``write_pdf(xlsx_path, pdf_path)``.
- ``run_report(...)``: ``cchc report FILE (-o OUT.xlsx | --in-place) [--text] [--docx OUT.docx]
  [--pdf OUT.pdf] [--previous EARLIER.xlsx] [--force]``.

The words live in ``workbook_templates/<id>/narrative/`` (phrases.yaml and Jinja templates).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import CchcError
from .docx_writer import write_docx
from .model import Block, Header, Report
from .pdf import write_pdf
from .sheet import needs_confirmation, write_report_sheet
from .text import render_text
from .writer import build_report

__all__ = ["Block", "Header", "Report", "build_report", "needs_confirmation", "render_text", "run_report",
           "write_docx", "write_pdf", "write_report_sheet"]


def run_report(path_in: Path | str, out: Path | str | None = None, in_place: bool = False, text: bool = False,
               docx: Path | str | None = None, pdf: Path | str | None = None, previous: Path | str | None = None,
               force: bool = False) -> dict:
    """``cchc report``: write the report of one workbook where asked; never touch the input unless ``in_place``.

    Returns ``{"file", "text", "xlsx", "docx", "pdf", "errors", "warnings", "digest"}``: ``text`` is the
    plain text when ``text`` was asked (the caller prints it; ``--text`` alone writes nothing),
    ``errors`` the number of validation errors (the report then starts with a warning block).
    """
    from ..workbook.port import OpenpyxlPort
    from ..workbook.reader import read_workbook

    src = Path(path_in)
    if out is not None and in_place:
        raise CchcError("report_output_conflict", file=out)
    if not (out or in_place or text or docx or pdf):
        raise CchcError("report_no_output", file=src)
    data = read_workbook(src)
    if out is not None and Path(out).resolve() == src.resolve():
        raise CchcError("report_output_is_input", file=out)
    earlier = read_workbook(Path(previous)) if previous else None
    report = build_report(data, earlier)
    result: dict = {"file": str(src), "text": render_text(report) if text else None, "xlsx": None, "docx": None,
                    "pdf": None, "errors": report.errors, "warnings": [b.text for b in report.warnings],
                    "digest": None}
    target = src if in_place else (Path(out) if out is not None else None)
    if target is not None:
        port = OpenpyxlPort(src)
        result["digest"] = write_report_sheet(port, data, report, force=force)
        port.save(target)
        result["xlsx"] = str(target)
    if pdf:
        if target is not None:
            write_pdf(target, pdf)
        else:  # no workbook asked for: render from a throw-away copy
            with tempfile.TemporaryDirectory(prefix="cchc-report-") as tmp:
                copy = Path(tmp) / src.name
                port = OpenpyxlPort(src)
                write_report_sheet(port, data, report, force=True)
                port.save(copy)
                write_pdf(copy, pdf)
        result["pdf"] = str(pdf)
    if docx:
        result["docx"] = str(write_docx(report, docx))
    return result
