"""The narrative report: the official report (sections I–V, NĐ 30/2020 layout) written from the
workbook's own values, lists and ratios, so that text and tables can never disagree.

Public API (the CLI verb ``cchc report`` and the ribbon's Lập báo cáo / Xuất Word wire these):

- ``build_report(data, previous=None) -> Report``: the structured report (header, blocks, closing,
  recipients, signature); ``data``/``previous`` are ``WorkbookData`` or paths.
- ``render_text(report) -> str``: plain text, UTF-8, NFC.
- ``write_report_sheet(port, data, report, force=False) -> str``: the Báo cáo sheet through a
  workbook port; refuses (``report_edited_by_hand``) if the sheet was edited by hand, unless
  ``force``; ``needs_confirmation(port)`` tells beforehand (the ribbon asks the clerk).
- ``report_from_sheet(port, report) -> Report``: the report as a Báo cáo sheet edited by hand says it.
- ``write_docx(report, path)``: the .docx (with the cited forms and the digest of its body);
  ``docx_state(path)`` / ``check_overwrite(path)``: a .docx edited by hand, or not the tool's, is
  never overwritten without ``--force`` (CLI) or the clerk's yes (ribbon).
- ``docx_to_pdf(docx, pdf)``: the report's PDF, made from its .docx by LibreOffice; ``font_warning``
  when no Times New Roman twin with Vietnamese letters is installed. ``write_pdf(xlsx, pdf)``: the
  Báo cáo sheet as Excel would print it.
- ``run_report(...)``: ``cchc report FILE (-o OUT.xlsx | --in-place) [--text] [--docx OUT.docx]
  [--pdf OUT.pdf] [--previous EARLIER.xlsx] [--force]``. ``--docx``/``--pdf`` of a workbook whose
  Báo cáo sheet was edited by hand are made from that sheet (a notice says so) unless ``--force``.

The words live in ``workbook_templates/<id>/narrative/`` (phrases.yaml and Jinja templates).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import CchcError
from .docx_writer import check_overwrite, docx_state, write_docx
from .model import Appendix, Block, Header, Report
from .pdf import docx_to_pdf, font_warning, write_pdf
from .sheet import needs_confirmation, report_from_sheet, write_report_sheet
from .text import render_text
from .writer import build_report

__all__ = ["Appendix", "Block", "Header", "Report", "build_report", "check_overwrite", "docx_state", "docx_to_pdf",
           "font_warning", "needs_confirmation", "render_text", "report_from_sheet", "run_report", "write_docx",
           "write_pdf", "write_report_sheet"]


def run_report(path_in: Path | str, out: Path | str | None = None, in_place: bool = False, text: bool = False,
               docx: Path | str | None = None, pdf: Path | str | None = None, previous: Path | str | None = None,
               force: bool = False) -> dict:
    """``cchc report``: write the report of one workbook where asked; never touch the input unless ``in_place``.

    Returns ``{"file", "text", "xlsx", "docx", "pdf", "errors", "warnings", "digest", "notices",
    "dropped_control_characters"}``: ``text`` is the plain text when ``text`` was asked (the caller
    prints it; ``--text`` alone writes nothing), ``errors`` the number of validation errors (the
    report then starts with a warning block), ``notices`` what the user should know (the .docx made
    from a hand-edited sheet, a PDF without a Vietnamese Times New Roman, control characters from the
    file's text left out: Word, PDF and the sheet cannot show them, ``dropped_control_characters``
    how many). Every refusal comes before anything is written.
    """
    from ..errors import render
    from ..workbook.port import OpenpyxlPort
    from ..workbook.reader import read_workbook
    from .sheet import report_sheet_name

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
    dropped = report.dropped_control_characters
    result: dict = {"file": str(src), "text": render_text(report) if text else None, "xlsx": None, "docx": None,
                    "pdf": None, "errors": report.errors, "warnings": [b.text for b in report.warnings],
                    "digest": None, "notices": [], "dropped_control_characters": dropped}
    if dropped:
        result["notices"].append(render("report_control_characters", file=src, count=dropped))
    target = src if in_place else (Path(out) if out is not None else None)
    edited = needs_confirmation(OpenpyxlPort(src)) if (target is not None or docx or pdf) else False
    if target is not None and edited and not force:
        raise CchcError("report_edited_by_hand", file=src, sheet=report_sheet_name())
    if docx and not force:
        check_overwrite(docx)
    document = report
    if edited and not force and (docx or pdf):
        document = report_from_sheet(OpenpyxlPort(src), report)
        result["notices"].append(render("report_sheet_used", file=src, sheet=report_sheet_name()))
    if target is not None:
        port = OpenpyxlPort(src)
        result["digest"] = write_report_sheet(port, data, report, force=force)
        port.save(target)
        result["xlsx"] = str(target)
    if docx:
        result["docx"] = str(write_docx(document, docx))
    if pdf:
        warning = font_warning(render_text(document) + "".join(
            "".join(a.lines) + a.title + "".join(c.text for c in a.header) for a in document.appendices))
        if warning:
            result["notices"].append(warning)
        if docx:
            docx_to_pdf(docx, pdf)
        else:
            with tempfile.TemporaryDirectory(prefix="cchc-report-") as tmp:
                docx_to_pdf(write_docx(document, Path(tmp) / "bao-cao.docx"), pdf)
        result["pdf"] = str(pdf)
    return result
