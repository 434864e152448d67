"""Ribbon entry points through both adapters: openpyxl on real files, xlwings' remote engine."""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from xl_addin import ribbon
from xl_addin.definition.loader import definition_dir
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.port import OpenpyxlPort

from conftest import filled_workbook, needs_xlwings_key, remote_book
from seed_reports import R001, R003


def test_validate_writes_check_sheet_colours_and_notes_then_clears_them(tmp_path, definition):
    path = filled_workbook(tmp_path, R003)
    layout = compute_layout(definition)
    total = layout.fields["nhan_su_tong"]
    port = OpenpyxlPort(path)
    findings = ribbon.validate(port)
    port.save()
    assert {"ty_le_gq_dung_han_ty_le_nhap_sai", "nhan_su_can_doi"} <= {f.rule for f in findings}
    wb = openpyxl.load_workbook(path)
    assert "Kiểm tra" in wb.sheetnames
    rows = list(wb["Kiểm tra"].iter_rows(values_only=True))
    assert rows[0][0] == "KẾT QUẢ KIỂM TRA SỐ LIỆU" and "lỗi" in rows[1][0]
    messages = [r[7] for r in rows[4:]]
    assert any("41" in m and "43" in m for m in messages)
    cell = wb[total.sheet][total.ref]
    assert cell.fill.fgColor.rgb == "FFFFC7CE"
    assert "Các thành phần nhân sự" in cell.comment.text
    assert all(ws.protection.sheet for ws in wb.worksheets)
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}
    assert meta["validated_at"] and meta["validation_errors"] >= 2 and total.ref in meta["marked_cells"]
    # fix the staff total and validate again: the old mark and note are gone
    wb[total.sheet][total.ref].value = 43
    wb.save(path)
    port = OpenpyxlPort(path)
    findings = ribbon.validate(port)
    port.save()
    assert "nhan_su_can_doi" not in {f.rule for f in findings}
    wb = openpyxl.load_workbook(path)
    cell = wb[total.sheet][total.ref]
    assert cell.fill.fgColor.rgb == "FFFFF2CC" and cell.comment is None
    assert total.ref not in (wb["_meta"]["B21"].value or "")


def test_ratios_sheet(tmp_path):
    path = filled_workbook(tmp_path, R001)
    port = OpenpyxlPort(path)
    results = ribbon.ratios(port)
    port.save()
    assert results["ty_le_gq_dung_han"].formatted == "100%"
    rows = list(openpyxl.load_workbook(path)["Tỷ lệ"].iter_rows(values_only=True))
    row = next(r for r in rows if r[0] == "ty_le_truc_tuyen")
    assert row[4] == pytest.approx(99.15) and row[5] == "99,15%" and row[2] == "1.049" and row[3] == "1.058"
    assert "Chưa tính" in row[6]  # files written by openpyxl carry no cached results


def test_round_trips_do_not_grow_with_the_number_of_fields(tmp_path, monkeypatch):
    """Two definitions of very different size, same findings: the same number of port calls."""
    from xl_addin.definition.loader import load_definition
    from xl_addin.definition.periods import parse_period
    from xl_addin.definition.units import Unit
    from xl_addin.workbook.build import build_unit_workbooks

    counts = []
    for extra in (0, 300):
        root = tmp_path / f"tpl{extra}"
        shutil.copytree(definition_dir(), root / "cchc")
        if extra:
            sections = root / "cchc" / "sections.yaml"
            text = sections.read_text(encoding="utf-8")
            anchor = "      - code: II.3\n"
            more = "".join(f"          - {{code: them_{i}, label: \"Chỉ tiêu thêm {i}\", type: integer, unit: lượt,"
                           f" aggregate: sum}}\n" for i in range(extra))
            sections.write_text(text.replace(anchor, more + anchor, 1), encoding="utf-8")
        monkeypatch.setenv("CCHC_TEMPLATES", str(root))
        definition = load_definition()
        [built] = build_unit_workbooks(definition, [Unit("18073", "Phường Thành Sen", "phuong", "42")],
                                       parse_period("6T-2026", definition), tmp_path / f"out{extra}")
        assert len(definition.fields()) >= 80 + extra
        port = OpenpyxlPort(built.path)
        ribbon.validate(port)
        counts.append(port.calls)
        port = OpenpyxlPort(built.path)
        ribbon.ratios(port)
        counts.append(port.calls)
    assert counts[0] == counts[2] and counts[1] == counts[3]


@needs_xlwings_key
def test_remote_engine_records_the_validate_actions(tmp_path, definition):
    path = filled_workbook(tmp_path, R003)
    book = remote_book(path)
    findings = ribbon.validate(book)
    actions = book.json()["actions"]
    funcs = [a["func"] for a in actions]
    assert funcs[0] == "addSheet" and actions[0]["args"][1] == "Kiểm tra"
    written = next(a for a in actions if a["func"] == "setValues")
    assert written["values"][0][0] == "KẾT QUẢ KIỂM TRA SỐ LIỆU"
    layout = compute_layout(definition)
    total = layout.fields["nhan_su_tong"]
    sheet_pos = layout.sheet_names.index(total.sheet)
    colours = [a for a in actions if a["func"] == "setRangeColor"]
    assert any(a["sheet_position"] == sheet_pos and a["start_row"] == total.row - 1 and a["start_column"] == total.col - 1
               and a["args"][0].lower() == "#ffc7ce" for a in colours)
    notes = [a for a in actions if a["func"] == "addNote"]
    marked = {c for f in findings for c in f.cells}
    assert len(colours) == len(notes) == len(marked)
    meta_pos = layout.sheet_names.index("_meta") + 1  # the Kiểm tra sheet was inserted before it
    meta = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == meta_pos]
    assert meta, "validation stamps are written to the meta sheet"
    # bulk reads and writes: the action count follows the findings, not the 80+ fields
    assert len(actions) <= 3 + 9 + 2 * len(marked) + 2


@needs_xlwings_key
def test_remote_engine_ratios(tmp_path):
    path = filled_workbook(tmp_path, R001)
    book = remote_book(path)
    results = ribbon.ratios(book)
    actions = book.json()["actions"]
    assert results["ty_le_gq_dung_han"].formatted == "100%"
    values = next(a for a in actions if a["func"] == "setValues")["values"]
    assert any(r[0] == "ty_le_gq_dung_han" and r[5] == "100%" for r in values)
