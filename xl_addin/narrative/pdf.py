"""PDFs rendered by LibreOffice headless: the report's PDF from its .docx (``docx_to_pdf``: Word's
own layout, so no line is clipped and the cited forms come along), and the Báo cáo sheet as Excel
would print it (``write_pdf``, from a copy holding only that sheet).

LibreOffice sets Times New Roman in a metric twin (Liberation Serif, same widths): Liberation Serif
1.x (Debian's fonts-liberation) has no Vietnamese letters, so they came from another font and the
lines mixed fonts. ``font_warning`` asks fontconfig for a twin that has every letter of the text.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

from ..atomic import write_atomic
from ..errors import CchcError
from ..ui import ui_text
from ..workbook.reader import check_is_xlsx
from .sheet import libreoffice_widths, report_sheet_name


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
            detail = ui_text("words.soffice_timeout", timeout=timeout)
            raise CchcError("report_pdf_failed", file=src, detail=detail) from None
    pdf = out_dir / (src.stem + ".pdf")
    if not pdf.is_file():
        detail = (result.stderr or result.stdout or "").strip().splitlines()
        last = detail[-1] if detail else ui_text("exit.code", code=result.returncode)
        raise CchcError("report_pdf_failed", file=src, detail=last)
    return pdf


# Times New Roman and the fonts with its metrics (the same advance widths): LibreOffice sets one of
# these for Times New Roman. Liberation Serif 2 (fonts-liberation2) has the Vietnamese letters.
TIMES_TWINS = ("Times New Roman", "Liberation Serif", "Tinos")


def font_warning(text: str) -> str | None:
    """A warning (message and action) when no Times New Roman twin has every letter of ``text``;
    None when one has, or without fontconfig (Windows, macOS: Times New Roman itself is there)."""
    from ..errors import catalogue, render

    fc = shutil.which("fc-list")
    if fc is None:
        return None
    letters = sorted({ord(c) for c in unicodedata.normalize("NFC", text) if ord(c) > 0x7E and not c.isspace()})
    charset = (":charset=" + " ".join(f"{c:x}" for c in letters)) if letters else ""
    for family in TIMES_TWINS:
        try:
            found = subprocess.run([fc, f"{family}{charset}", "family"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None  # fontconfig unusable: nothing to say for sure
        if found.stdout.strip():
            return None
    advice = catalogue()["report_font_missing"]["action"]
    return f"{render('report_font_missing', fonts=', '.join(TIMES_TWINS))} {advice}"


def docx_to_pdf(docx_path: Path | str, pdf_path: Path | str) -> Path:
    """The report's PDF: its .docx (``write_docx``) converted by LibreOffice (atomically)."""
    src, target = Path(docx_path), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="cchc-pdf-") as tmp:
        copy = Path(tmp) / "bao-cao.docx"
        shutil.copyfile(src, copy)
        pdf = convert_to_pdf(copy, Path(tmp))
        write_atomic(target, pdf.read_bytes())
    return target


def write_pdf(xlsx_path: Path | str, pdf_path: Path | str) -> Path:
    """The Báo cáo sheet of ``xlsx_path`` (written by ``write_report_sheet``) as Excel would print it
    (A4 portrait, page breaks where the rows fall), to ``pdf_path``. The report's own PDF is
    ``docx_to_pdf``."""
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
    libreoffice_widths(book[name])
    with tempfile.TemporaryDirectory(prefix="cchc-pdf-") as tmp:
        copy = Path(tmp) / "bao-cao.xlsx"
        buf = io.BytesIO()
        book.save(buf)
        copy.write_bytes(buf.getvalue())
        pdf = convert_to_pdf(copy, Path(tmp))
        write_atomic(target, pdf.read_bytes())
    return target
