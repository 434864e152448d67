"""Locale traps: what a clerk types must mean the same on a Vietnamese and on an English-locale PC.

Dates are checked by a date validation (never a text pattern) with a live example beside each
date input (built-in format 14, the PC's short date, so it shows the order dates are typed in);
no help text assumes a decimal comma; the Hướng dẫn sheet explains the marks of Kiểm tra số liệu.
"""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from xl_addin.ui import ui
from xl_addin.workbook.layout import F_UNIT, compute_layout
from xl_addin.workbook.template import build_template_bytes

from conftest import needs_soffice, run_soffice


@pytest.fixture(scope="module")
def template(definition):
    data = build_template_bytes(definition)
    return data, openpyxl.load_workbook(io.BytesIO(data))


def _date_cells(definition):
    layout = compute_layout(definition)
    fields = [(pos.sheet, pos.row, pos.col, (pos.sheet, pos.row, F_UNIT)) for code, pos in layout.fields.items()
              if definition.field_map()[code].type == "date" and definition.field_map()[code].is_input]
    lists = []
    for block in layout.lists.values():
        for col in block.definition.columns:
            if col.type == "date":
                lists.append((block.sheet, block.first_row, block.columns[col.code],
                              (block.sheet, block.first_row, block.last_col + 1)))
    return fields + lists


def test_every_date_input_has_a_date_validation_and_a_live_example(template, definition):
    _, wb = template
    cells = _date_cells(definition)
    assert len(cells) >= 2  # the report date and the documents' dates
    for sheet, row, col, (ex_sheet, ex_row, ex_col) in cells:
        ws = wb[sheet]
        ref = f"{openpyxl.utils.get_column_letter(col)}{row}"
        [dv] = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
        assert dv.type == "date" and dv.formula1 == "DATE(2000,1,1)"
        assert "gõ ngày theo mẫu ở ô bên cạnh" in dv.prompt.lower() and "dd/mm" not in dv.prompt
        example = wb[ex_sheet].cell(row=ex_row, column=ex_col)
        assert example.value == "=DATE(2026,6,16)" and example.number_format == "mm-dd-yy"
        assert example.protection.locked


def test_the_example_uses_built_in_format_14(template):
    """Format 14 is not a format string Excel stores: it is the PC's short date (day/month order)."""
    data, _ = template
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        styles = zf.read("xl/styles.xml").decode()
        sheets = {n: zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")}
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    fourteen = {i for i, xf in enumerate(re.findall(r"<xf [^>]*>", xfs)) if 'numFmtId="14"' in xf}
    example = re.compile(r'<c r="\w+" s="(\d+)"[^>]*><f>DATE\(2026,6,16\)')
    cells = [m for body in sheets.values() for m in example.finditer(body)]
    assert cells and all(int(m.group(1)) in fourteen for m in cells)


@needs_soffice
def test_libreoffice_shows_the_example_as_a_date(template, tmp_path):
    data, _ = template
    src = tmp_path / "mau.xlsx"
    src.write_bytes(data)
    out = tmp_path / "out"
    run_soffice(["--convert-to", "xlsx", "--outdir", str(out), str(src)], cwd=tmp_path)
    wb = openpyxl.load_workbook(out / "mau.xlsx", data_only=True)
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
              if hasattr(c.value, "year") and (c.value.year, c.value.month, c.value.day) == (2026, 6, 16)]
    assert values


def test_no_help_text_assumes_a_decimal_comma(definition):
    """Wherever a text says how to type a decimal amount, it gives both separators."""
    texts = [f.help or "" for f in definition.fields()] + [lst.help or "" for lst in definition.lists]
    texts += list(definition.instructions)
    for text in texts:
        for m in re.finditer(r"gõ (?:là )?(\d+),(\d+)", text):
            assert f"{m.group(1)}.{m.group(2)}" in text, text
    assert any("54.02" in t for t in texts)


def test_guide_sheet_explains_the_marks_and_dates(template):
    _, wb = template
    ws = wb[wb.sheetnames[0]]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    marks = ui("marks")
    for key in ("error", "warning"):
        cell = cells[ui(f"template.legend_marks.{key}")]
        assert str(cell.fill.fgColor.rgb)[-6:] == marks[key] and cell.border.left.style == "thick"
    assert ui("template.legend_date") in cells
    assert marks["warning"] != "FFF2CC" and marks["warning"] != "FFEB9C"  # no longer the input fill's yellow
