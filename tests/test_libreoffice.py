"""LibreOffice headless as a real spreadsheet engine: recalculation and rendering."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from test_fill_read import _payload

from xl_addin.definition.loader import load_definition
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook, needs_soffice, run_soffice

pytestmark = [needs_soffice, pytest.mark.libreoffice]


def test_libreoffice_recalculates_computed_cells_like_python(tmp_path):
    definition = load_definition(profile="hue")  # a profile with Phụ lục 4, whose total column is a formula
    payload = _payload()
    payload["values"]["tthc_tiep_nhan_tong"] = 1060  # a mismatch the clerk should see live
    payload["tables"]["phu_luc_4"] = [{"row": "vbqppl_ra_soat", "quy_1": 2, "quy_2": 3}]
    filled = filled_workbook(tmp_path, payload, profile="hue")
    outdir = tmp_path / "lo"
    result = run_soffice(["--calc", "--convert-to", "xlsx", "--outdir", str(outdir), str(filled)], tmp_path)
    converted = outdir / filled.name
    assert converted.exists(), result.stderr
    python = read_workbook(filled)
    wb = openpyxl.load_workbook(converted, data_only=True)
    layout = compute_layout(definition)
    checked = 0
    for f in definition.fields():
        if not f.computed:
            continue
        pos = layout.fields[f.code]
        engine = wb[pos.sheet][pos.ref].value
        ours = python.values[f.code]
        if ours is None:
            assert engine in (None, ""), f.code
        else:
            assert engine == pytest.approx(float(ours)), f.code
            checked += 1
    assert checked >= 3
    assert python.values["tthc_chenh_lech"] == 1
    block = layout.tables["bieu_06a"]
    ws = wb[block.sheet]
    assert ws.cell(row=block.total_row, column=block.columns["tiep_nhan_tong"]).value == 15
    p4 = layout.tables["phu_luc_4"]
    row = p4.first_row + p4.row_codes.index("vbqppl_ra_soat")
    assert wb[p4.sheet].cell(row=row, column=p4.columns["tong_cong"]).value == 5


def test_template_renders_to_pdf_and_png(tmp_path, unit_books):
    src = tmp_path / "unit.xlsx"
    shutil.copy(unit_books[0].path, src)
    result = run_soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(src)], tmp_path)
    pdf = tmp_path / "unit.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000, result.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages")))
    assert pages >= 8  # one page or more per visible sheet
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                       check=True)
        pngs = sorted(tmp_path.glob("page-*.png"))
        assert len(pngs) == 2 and all(p.stat().st_size > 2000 for p in pngs)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Phường Thành Sen" in text and "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC" in text
