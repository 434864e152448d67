"""Generated templates and per-unit workbooks, reopened with openpyxl."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from test_definition import CONTRACT

from xl_addin.definition.loader import load_definition
from xl_addin.workbook.layout import LISTS_SHEET, META_SHEET, compute_layout


@pytest.fixture(scope="module")
def book(unit_books):
    return openpyxl.load_workbook(unit_books[0].path)


def test_every_sheet_protected_and_structure_locked(book):
    for ws in book.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.protection.password, ws.title
    assert book.security.lockStructure


def test_meta_and_list_sheets_very_hidden(book):
    assert book[META_SHEET].sheet_state == "veryHidden"
    assert book[LISTS_SHEET].sheet_state == "veryHidden"
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    assert visible[:3] == ["Hướng dẫn", "Thông tin chung", "Số liệu"]


def test_every_contract_code_is_a_defined_name_on_its_cell(book, definition):
    layout = compute_layout(definition)
    for code in CONTRACT:
        name = book.defined_names[code]
        (sheet, ref), = list(name.destinations)
        pos = layout.fields[code]
        assert (sheet, ref.replace("$", "")) == (pos.sheet, pos.ref), code
    for code, block in {**layout.lists, **layout.tables}.items():
        (sheet, ref), = list(book.defined_names[code].destinations)
        assert sheet == block.sheet and ref == block.range_ref()


def _validated_cells(ws) -> set[str]:
    cells = set()
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                for cell in row:
                    cells.add(cell.coordinate)
    return cells


def test_inputs_unlocked_with_validation_everything_else_locked(book, definition):
    layout = compute_layout(definition)
    fields = definition.field_map()
    for code, pos in layout.fields.items():
        cell = book[pos.sheet][pos.ref]
        f = fields[code]
        assert cell.protection.locked is (not f.is_input), code
        if f.is_input:
            assert pos.ref in _validated_cells(book[pos.sheet]), code
        if f.computed:
            assert str(cell.value).startswith("="), code
    for block in layout.lists.values():
        ws = book[block.sheet]
        validated = _validated_cells(ws)
        for col in block.columns.values():
            for r in (block.first_row, block.last_row):
                cell = ws.cell(row=r, column=col)
                assert cell.protection.locked is False and cell.coordinate in validated
    for block in layout.tables.values():
        ws = book[block.sheet]
        validated = _validated_cells(ws)
        for code, col in block.columns.items():
            cell = ws.cell(row=block.first_row, column=col)
            computed = next(c for c in block.definition.columns if c.code == code).computed
            assert cell.protection.locked is computed
            if not computed:
                assert cell.coordinate in validated
        if block.total_row:
            assert str(ws.cell(row=block.total_row, column=block.last_col).value).startswith("=SUM(")
    # labels, help and the unit line are locked
    ws = book["Số liệu"]
    assert ws["B5"].protection.locked and ws["A2"].protection.locked


def test_validation_messages_are_vietnamese_and_within_excel_limits(book):
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert dv.showInputMessage
            assert len(dv.promptTitle or "") <= 32 and len(dv.prompt or "") <= 255
            if dv.type is None:  # a message only: what a computed cell's live colour means
                assert "Nền đỏ" in dv.prompt and not dv.showErrorMessage
                continue
            assert dv.showErrorMessage
            assert len(dv.error or "") <= 225 and dv.error
    some = book["Số liệu"].data_validations.dataValidation[0]
    assert "Nhập" in some.prompt


def test_stamped_unit_period_and_meta(book, unit_books, period):
    unit = unit_books[0].unit
    info = book["Thông tin chung"]
    names = {n: list(book.defined_names[n].destinations)[0][1].replace("$", "") for n in
             ("don_vi_ten", "don_vi_ma", "ky_bao_cao", "nam", "tu_ngay", "den_ngay", "don_vi_cap")}
    assert info[names["don_vi_ten"]].value == unit.name
    assert info[names["don_vi_ma"]].value == unit.code
    assert info[names["ky_bao_cao"]].value == "6T-2026"
    assert info[names["nam"]].value == 2026
    assert info[names["tu_ngay"]].value == dt.datetime(2025, 12, 15)
    assert info[names["den_ngay"]].value == dt.datetime(2026, 6, 14)
    assert info[names["don_vi_cap"]].value == "Phường"
    meta = {r[0].value: r[1].value for r in book[META_SHEET].iter_rows()}
    assert meta["template_id"] == "cchc" and meta["template_version"] == "1.1"
    assert meta["unit_code"] == unit.code and meta["period_code"] == "6T-2026"
    assert meta["code_list"] == "QD19_2025" and meta["submission_counter"] == 0
    assert len(meta["definition_hash"]) == 16
    for key in ("validated_at", "exported_at"):
        assert key in meta
    assert book.calculation.fullCalcOnLoad


def test_print_setup_fonts_and_frozen_headers(book):
    for name in ("Số liệu", "Biểu 06a"):
        ws = book[name]
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.freeze_panes
    assert book["Biểu 06a"].page_setup.orientation == "landscape"
    # every sheet is laid on the page the definition asks for (the wide fields sheets on landscape:
    # on portrait A4 their six columns print at under half size)
    for sheet in load_definition().sheets:
        if sheet.name in book.sheetnames and sheet.kind in ("fields", "table", "checks"):
            expected = "landscape" if sheet.landscape else "portrait"
            assert book[sheet.name].page_setup.orientation == expected, sheet.name
    assert book["Số liệu"].page_setup.orientation == "landscape"
    assert book["Số liệu"]["B5"].font.name == "Times New Roman"
    count = compute_layout(load_definition()).fields["van_ban_chi_dao"]
    assert book["Số liệu"][count.ref].number_format == "[$-42A]#,##0"


def test_file_names_are_ascii(unit_books):
    names = sorted(r.path.name for r in unit_books)
    assert names == ["00004_Phuong-Ba-Dinh_6T-2026.xlsx", "18073_Phuong-Thanh-Sen_6T-2026.xlsx",
                     "18229_Xa-Duc-Tho_6T-2026.xlsx"]


def test_official_table_headers(book):
    ws = book["Biểu 06a"]
    values = [c.value for row in ws.iter_rows(min_row=1, max_row=12) for c in row if c.value]
    assert "Biểu số II.06a/VPCP/KSTT" in values
    assert "Số hồ sơ nhận giải quyết" in values and "Từ kỳ trước" in values
    numbers = [v for v in values if isinstance(v, str) and v.startswith("(") and v.endswith(")") and v[1:-1].isdigit()]
    assert [f"({i})" for i in range(1, 16)] == numbers
