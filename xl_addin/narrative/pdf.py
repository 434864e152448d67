"""PDF of the Báo cáo sheet, rendered by LibreOffice headless from a copy holding only that sheet."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import CchcError
from ..workbook.build import write_atomic
from ..workbook.reader import check_is_xlsx
from .sheet import report_sheet_name, tighten_rows


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(src: Path, out_dir: Path, timeout: int = 180) -> Path:
    """``soffice --headless --convert-to pdf`` with a private profile (parallel runs never clash)."""
    exe = soffice_path()
    if exe is None:
        raise CchcError("report_soffice_missing", file=src)
    with tempfile.TemporaryDirectory(prefix="cchc-lo-") as profile:
        cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(out_dir), str(src)]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CchcError("report_pdf_failed", file=src, detail=f"LibreOffice chạy quá {timeout} giây") from None
    pdf = out_dir / (src.stem + ".pdf")
    if not pdf.is_file():
        detail = (result.stderr or result.stdout or "").strip().splitlines()
        raise CchcError("report_pdf_failed", file=src, detail=(detail[-1] if detail else f"mã thoát {result.returncode}"))
    return pdf


def write_pdf(xlsx_path: Path | str, pdf_path: Path | str) -> Path:
    """Render the Báo cáo sheet of ``xlsx_path`` (written by ``write_report_sheet``) to ``pdf_path``."""
    import openpyxl
    from openpyxl.styles import Font

    src, target = Path(xlsx_path), Path(pdf_path)
    check_is_xlsx(src)
    name = report_sheet_name()
    book = openpyxl.load_workbook(src, rich_text=True)
    if name not in book.sheetnames:
        raise CchcError("report_sheet_missing", file=src, sheet=name)
    for other in list(book.sheetnames):
        if other != name:
            del book[other]
    for defined in list(book.defined_names):
        del book.defined_names[defined]
    book.active = 0
    book[name].sheet_state = "visible"
    # Column widths are counted in digits of the workbook's default font: Calibri, which Excel has
    # and LibreOffice often lacks (its stand-in is wider and the page would shrink). The copy's
    # default is Times New Roman, whose digit is as wide as Calibri's at 11 pt and which
    # LibreOffice always has a metric twin of (Liberation Serif).
    book._named_styles["Normal"].font = Font(name="Times New Roman", size=11)
    tighten_rows(book[name])
    with tempfile.TemporaryDirectory(prefix="cchc-pdf-") as tmp:
        copy = Path(tmp) / "bao-cao.xlsx"
        buf = io.BytesIO()
        book.save(buf)
        copy.write_bytes(buf.getvalue())
        pdf = convert_to_pdf(copy, Path(tmp))
        write_atomic(target, pdf.read_bytes())
    return target
