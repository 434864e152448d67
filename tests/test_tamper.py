"""Tamper detection: the locked structure of a returned workbook against its template."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.rules.engine import validate
from xl_addin.rules.export import export_file
from xl_addin.workbook import tamper
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook

VALUES = {"values": {"tthc_tiep_nhan_tong": 120, "tthc_da_gq_tong": 100, "tthc_dang_gq_tong": 15,
                     "tthc_cho_bo_sung": 3, "tthc_tra_lai": 2, "so_ky_hieu": "147/BC-UBND"}}


def _cells():
    """Where the cells the tests tamper with sit in the current template."""
    from xl_addin.workbook.layout import compute_layout

    fields = compute_layout(load_definition()).fields
    total, gap = fields["tthc_tiep_nhan_tong"], fields["tthc_chenh_lech"]
    return {"value": total.ref, "label": f"B{total.row}", "formula": gap.ref}


CELLS = _cells()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tamper")
    filled = filled_workbook(tmp, VALUES)
    sent, _info = export_file(filled, tmp / "nop", dt.datetime(2026, 6, 16, 9, 0))
    return sent


def _tampered(src, tmp_path, change, name="x.xlsx"):
    wb = openpyxl.load_workbook(src)
    change(wb)
    out = tmp_path / name
    wb.save(out)
    return out


def _codes(path):
    return [p.code for p in read_workbook(path).problems if p.code.startswith("tamper_")]


def test_build_stamps_the_template_digest(exported):
    data = read_workbook(exported)
    assert data.meta["structure_digest"] == tamper.template_digest(load_definition())
    assert data.meta["structure_digest"].startswith("s1:")


def test_untouched_files_have_no_findings_through_every_writer(exported, tmp_path):
    from xl_addin.narrative import run_report

    assert _codes(exported) == []  # built, filled and exported (openpyxl round trips)
    report = tmp_path / "bao-cao.xlsx"
    run_report(exported, out=report)  # adds the Báo cáo sheet and a meta stamp
    assert _codes(report) == []
    resaved = _tampered(exported, tmp_path, lambda wb: None)  # a plain re-save
    assert _codes(resaved) == []


def test_formula_overwritten_by_a_number_is_an_error_naming_the_cell(exported, tmp_path):
    path = _tampered(exported, tmp_path, lambda wb: wb["Số liệu"].__setitem__(CELLS["formula"], 0))
    data = read_workbook(path)
    [p] = [p for p in data.problems if p.code == "tamper_formula_replaced"]
    assert p.cell == f"Số liệu!{CELLS['formula']}" and p.importance == "error"
    assert CELLS["formula"] in p.message and "x.xlsx" in p.message and "Chênh lệch" in p.message
    assert data.values["tthc_chenh_lech"] == 0  # recomputed from the inputs, never the typed number
    findings = {f.rule: f for f in validate(data)}
    assert "tamper_formula_replaced" in findings


def test_comparison_lists_sheet_cell_expected_found(exported, tmp_path):
    def change(wb):
        ws = wb["Số liệu"]
        ws.protection.sheet = False
        ws[CELLS["label"]].value = "Tổng số hồ sơ (đã sửa)"
        ws[CELLS["formula"]].value = 5
        wb.defined_names["tthc_tra_lai"].attr_text = "'Số liệu'!$D$9"
        del wb.defined_names["bien_che_giao"]
        wb["Số liệu"].data_validations.dataValidation = []
    path = _tampered(exported, tmp_path, change)
    definition = load_definition()
    from python_calamine import CalamineWorkbook

    from xl_addin.workbook.safety import preflight

    pre = preflight(path)
    order = [n for n, _ in pre.parts().sheets]
    scans = pre.scan_sheets(tamper.template_sheets(order))
    book = CalamineWorkbook.from_path(str(path))
    grids = {n: book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in scans}
    expected = tamper.expected_structure(definition)
    from xl_addin.workbook.layout import compute_layout

    found = tamper.found_structure(pre, scans, grids, compute_layout(definition), expected)
    diffs = [d.to_dict() for d in tamper.compare(expected, found, set())]
    by_code = {d["code"]: d for d in diffs}
    assert by_code["tamper_label_changed"] == {"code": "tamper_label_changed", "sheet": "Số liệu",
                                               "cell": CELLS["label"],
                                               "expected": by_code["tamper_label_changed"]["expected"],
                                               "found": "Tổng số hồ sơ (đã sửa)", "name": ""}
    assert by_code["tamper_label_changed"]["expected"].startswith("Tổng số hồ sơ tiếp nhận")
    replaced = by_code["tamper_formula_replaced"]
    assert replaced["cell"] == CELLS["formula"] and replaced["found"] == "5"
    assert by_code["tamper_formula_replaced"]["expected"].startswith("=")
    assert by_code["tamper_name_moved"]["name"] == "tthc_tra_lai"
    assert by_code["tamper_name_moved"]["found"].endswith("$D$9")
    assert by_code["tamper_name_missing"]["name"] == "bien_che_giao"
    assert by_code["tamper_protection_removed"]["sheet"] == "Số liệu"
    assert by_code["tamper_validation_changed"]["sheet"] == "Số liệu"
    importance = {p.code: p.importance for p in read_workbook(path).problems}
    assert importance["tamper_label_changed"] == "warning"
    assert importance["tamper_name_moved"] == "error" and importance["tamper_formula_replaced"] == "error"
    assert importance["tamper_protection_removed"] == "warning"


def test_tool_sheets_notes_and_colours_are_ignored(exported, tmp_path):
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    def change(wb):
        ws = wb["Số liệu"]
        ws[CELLS["value"]].fill = PatternFill("solid", fgColor="FFFFC7CE")
        ws[CELLS["value"]].comment = Comment("Lỗi: tổng không khớp", "CCHC Report Kit")
        ws[CELLS["label"]].fill = PatternFill("solid", fgColor="FF00FF00")
        for name in ("Kiểm tra", "Tỷ lệ", "Tổng hợp"):
            wb.create_sheet(name)["A1"] = "=1+1"
        wb["_meta"]["B14"] = "2030-01-01 00:00:00"
    assert _codes(_tampered(exported, tmp_path, change)) == []


def test_quick_check_skips_the_full_comparison_when_nothing_changed(exported, monkeypatch):
    def boom(*_a, **_k):
        raise AssertionError("the full comparison ran on an untouched file")

    monkeypatch.setattr(tamper, "compare", boom)
    assert _codes(exported) == []


def test_many_changed_cells_are_capped(exported, tmp_path):
    from xl_addin import limits

    def change(wb):
        ws = wb["Số liệu"]
        for row in range(5, 99):
            ws.cell(row=row, column=2).value = f"nhãn sửa {row}"
    data = read_workbook(_tampered(exported, tmp_path, change))
    labels = [p for p in data.problems if p.code == "tamper_label_changed"]
    assert len(labels) == limits.MAX_TAMPER_FINDINGS
    assert any(p.code == "tamper_more" for p in data.problems)


def test_tamper_check_is_fast_enough_for_a_merge(exported):
    import time

    read_workbook(exported)
    start = time.perf_counter()
    for _ in range(20):
        read_workbook(exported)
    assert (time.perf_counter() - start) / 20 < 0.1  # generous: ~10 ms on 2 cores
