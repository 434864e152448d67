"""The workbook port's two adapters: the same Kiểm tra and Tỷ lệ sheets through both; the remote engine.

The ribbon's own sequences run on the strict Excel double (tests/test_ribbon_sequences.py). Here the
openpyxl adapter is used on purpose: it is the command line's adapter, and a clerk must get the
same sheets whichever path wrote them.
"""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from excel_double import Excel
from seed_reports import R001, R002, R003

from xl_addin import ribbon
from xl_addin.ui import ui
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.port import OpenpyxlPort, excel_value

from conftest import filled_workbook, needs_xlwings_key, remote_book


def _sheet(wb, name):
    ws = wb[name]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    links = {c.coordinate: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    fills = {c.coordinate: str(c.fill.fgColor.rgb)[-6:] for row in ws.iter_rows() for c in row
             if c.fill.fill_type == "solid"}
    thick = {c.coordinate for row in ws.iter_rows() for c in row if c.border.left.style == "thick"}
    wrapped = {c.coordinate for row in ws.iter_rows() for c in row if c.alignment.wrap_text}
    heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
    setup = (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight,
             ws.sheet_properties.pageSetUpPr.fitToPage, ws.print_title_rows, ws.page_setup.paperSize)
    return values, links, fills, thick, wrapped, heights, setup


def test_both_adapters_write_the_same_check_and_ratio_sheets(tmp_path, definition):
    source = filled_workbook(tmp_path, R002)
    by_files, by_excel = tmp_path / "files.xlsx", tmp_path / "excel.xlsx"
    shutil.copy(source, by_files)
    port = OpenpyxlPort(by_files)
    findings = ribbon.validate(port)
    ribbon.ratios(port)
    port.save()
    excel = Excel()
    book = excel.open(source)
    assert [f.rule for f in ribbon.validate(book)] == [f.rule for f in findings]
    ribbon.ratios(book)
    book.api.SaveCopyAs(str(by_excel))
    assert excel.refusals == []
    a, b = openpyxl.load_workbook(by_files), openpyxl.load_workbook(by_excel)
    for name in (ui("sheets.check"), ui("sheets.ratios")):
        left, right = _sheet(a, name), _sheet(b, name)
        # the time of the check differs between the two runs
        left[0][1], right[0][1] = left[0][1][:12], right[0][1][:12]
        assert left == right, name
    layout = compute_layout(definition)
    total = layout.fields["tthc_tiep_nhan_tong"]
    for wb in (a, b):
        cell = wb[total.sheet][total.ref]
        assert str(cell.fill.fgColor.rgb)[-6:] == "FFC7CE" and cell.border.left.style == "thick"
        assert "Cân đối" in cell.comment.text


def test_text_goes_through_com_as_text():
    assert excel_value("2026-06-16 09:00:00") == "'2026-06-16 09:00:00"
    assert excel_value("1.049") == "'1.049" and excel_value("=1+1") == "'=1+1" and excel_value("") is None
    from decimal import Decimal

    assert excel_value(Decimal("54.02")) == 54.02 and excel_value(3) == 3


@needs_xlwings_key
def test_remote_engine_records_the_validate_actions(tmp_path, definition):
    path = filled_workbook(tmp_path, R003)
    book = remote_book(path)
    findings = ribbon.validate(book)
    actions = book.json()["actions"]
    funcs = [a["func"] for a in actions]
    assert funcs[0] == "addSheet" and actions[0]["args"][1] == "Kiểm tra"
    written = next(a for a in actions if a["func"] == "setValues")
    assert written["values"][0][0] == "'KẾT QUẢ KIỂM TRA SỐ LIỆU"  # Excel's text prefix: never re-typed
    links = [a for a in actions if a["func"] == "addHyperlink"]
    assert len(links) == len(findings) and all(a["args"][0].startswith("#'") for a in links)
    layout = compute_layout(definition)
    total = layout.fields["nhan_su_tong"]
    sheet_pos = layout.sheet_names.index(total.sheet)
    colours = [a for a in actions if a["func"] == "setRangeColor"]
    assert any(a["sheet_position"] == sheet_pos and a["start_row"] == total.row - 1
               and a["start_column"] == total.col - 1 and a["args"][0].lower() == "#ffc7ce" for a in colours)
    notes = [a for a in actions if a["func"] == "addNote"]
    marked = {c for f in findings for c in f.cells}
    assert len(notes) == len(marked)
    meta_pos = layout.sheet_names.index("_meta") + 1  # the Kiểm tra sheet was inserted before it
    meta = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == meta_pos]
    assert meta, "validation stamps are written to the meta sheet"
    assert funcs[-1] == "activateSheet"


@needs_xlwings_key
def test_remote_engine_ratios(tmp_path, definition):
    path = filled_workbook(tmp_path, R001)
    book = remote_book(path)
    results = ribbon.ratios(book)
    actions = book.json()["actions"]
    assert results["ty_le_gq_dung_han"].formatted == "100%"
    values = next(a for a in actions if a["func"] == "setValues")["values"]
    label = definition.ratio_map()["ty_le_gq_dung_han"].label
    assert any(r[0] == "'" + label and r[4] == "'100%" for r in values)


@pytest.mark.parametrize("payload", [R001])
def test_ratios_sheet_numbers_and_units(tmp_path, payload, definition):
    excel = Excel()
    book = excel.open(filled_workbook(tmp_path, payload))
    results = ribbon.ratios(book)
    book.api.SaveCopyAs(str(tmp_path / "copy.xlsx"))
    rows = list(openpyxl.load_workbook(tmp_path / "copy.xlsx")[ui("sheets.ratios")].iter_rows(values_only=True))
    label = definition.ratio_map()["ty_le_truc_tuyen"].label
    row = next(r for r in rows if r[0] == label)
    assert row[1:5] == ("1.049", "1.058", "hồ sơ", "99,15%") and results["ty_le_truc_tuyen"].formatted == "99,15%"
    assert "Chưa tính" in row[5]  # the double does not calculate: no cached result
    where = compute_layout(definition).ratios["ty_le_truc_tuyen"]
    assert row[6] == f"{where.sheet}!{where.ref}"
