"""Every ribbon button has its Python; the entry points through both adapters."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
from seed_reports import R001, R003

from xl_addin import ribbon
from xl_addin.workbook.port import OpenpyxlPort

from conftest import ROOT, filled_workbook, needs_xlwings_key, remote_book


def test_every_button_calls_an_existing_function():
    source = (ROOT / "macros" / "Ribbon.bas").read_text(encoding="ascii")
    calls = re.findall(r'(?:RunCchc|RunWithoutWorkbook) "import xl_addin\.ribbon as r; r\.(\w+)\((.*?)\)"', source)
    assert {name for name, _ in calls} >= {"validate", "ratios", "report", "merge", "export", "diagnostics", "help"}
    for name, args in calls:
        func = getattr(ribbon, name, None)
        assert callable(func), name
        if args:
            keyword = args.split("=")[0]
            assert keyword in func.__code__.co_varnames, (name, keyword)
    xml = (ROOT / "macros" / "customUI14.xml").read_text(encoding="utf-8")
    for label in ("Kiểm tra số liệu", "Tính tỷ lệ", "Lập báo cáo", "Xuất Word", "Tổng hợp thư mục", "Xuất file nộp",
                  "Kiểm tra cài đặt", "Hướng dẫn"):
        assert f'label="{label}"' in xml, label


def test_merge_button_with_a_folder(tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    for i, payload in enumerate((R001, R003)):
        from xl_addin.definition.units import Unit

        unit = Unit(f"1800{i}", f"Xã Thử {i}", "xa", "42")
        shutil.copy(filled_workbook(tmp_path, payload, unit=unit, name=f"u{i}.xlsx"), folder / f"u{i}.xlsx")
    summary = Path(ribbon.merge(folder=folder))
    assert summary.name == "tong-hop_6T-2026.xlsx" and summary.parent == tmp_path
    assert "Tổng hợp" in openpyxl.load_workbook(summary).sheetnames


@needs_xlwings_key
def test_remote_engine_export_changes_nothing_and_reports_com_only(tmp_path):
    """The remote engine cannot save a copy: the export stops before touching the open workbook."""
    path = filled_workbook(tmp_path, R003)
    book = remote_book(path)
    assert ribbon.export(book) is None  # saving a copy needs COM (SaveCopyAs)
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    assert "chỉ chạy trong Excel" in actions[0]["args"][0]


@needs_xlwings_key
def test_remote_engine_diagnostics_shows_a_message_box(tmp_path):
    path = filled_workbook(tmp_path, R001)
    book = remote_book(path)
    checks = ribbon.diagnostics(book)
    assert {c["check"] for c in checks} >= {"interpreter", "xlwings", "template", "separators"}
    alert = [a for a in book.json()["actions"] if a["func"] == "alert"][-1]
    assert "Phiên bản xlwings" in alert["args"][0] and alert["args"][1] == "Kiểm tra cài đặt CCHC"


@needs_xlwings_key
def test_remote_engine_report_writes_the_report_sheet(tmp_path):
    from seed_reports import R002

    path = filled_workbook(tmp_path, R002)
    book = remote_book(path)
    digest = ribbon.report(book)
    assert digest
    actions = book.json()["actions"]
    assert actions[0]["func"] == "addSheet" and actions[0]["args"][1] == "Báo cáo"
    block = next(a for a in actions if a["func"] == "setValues")["values"]
    text = "\n".join(str(v) for row in block for v in row if v)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "BÁO CÁO" in text and "./." in text
    funcs = {a["func"] for a in actions}
    assert {"rangeMerge", "setRowHeight", "setFontProperty"} <= funcs
    assert not [a for a in actions if a["func"] == "alert"]


def test_report_through_files_and_refusal_after_hand_edit(tmp_path):
    """The openpyxl adapter on purpose: with no screen to ask on (files, the command line) a hand edit is kept."""
    from seed_reports import R001

    path = filled_workbook(tmp_path, R001)
    port = OpenpyxlPort(path)
    assert ribbon.report(port)
    port.save()
    wb = openpyxl.load_workbook(path)
    assert "Báo cáo" in wb.sheetnames
    ws = wb["Báo cáo"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "BÁO CÁO" == c.value.strip())
    cell.value = "BÁO CÁO (sửa tay)"
    wb.save(path)
    port = OpenpyxlPort(path)
    assert ribbon.report(port) is None  # no screen to ask on: the hand edit is kept
    assert ribbon.report(OpenpyxlPort(path), force=True)


def test_merge_button_uses_the_unit_list_beside_the_folder(tmp_path, caplog):
    import logging

    from xl_addin.definition.units import Unit
    from xl_addin.merge import summary_layout

    folder = tmp_path / "nop"
    folder.mkdir()
    for i, payload in enumerate((R001, R003)):
        unit = Unit(f"1800{i}", f"Xã Thử {i}", "xa", "42")
        shutil.copy(filled_workbook(tmp_path, payload, unit=unit, name=f"u{i}.xlsx"), folder / f"u{i}.xlsx")
    with caplog.at_level(logging.WARNING, logger="cchc.ribbon"):  # without Excel the message box is logged
        ribbon.merge(folder=folder)
    assert "không có danh sách đơn vị" in caplog.text and "danh-sach-don-vi.xlsx" in caplog.text
    (tmp_path / "danh-sach-don-vi.csv").write_text(
        "code,name,level,parent_code\n42,Tỉnh Thử,tinh,\n18000,Xã Thử 0,xa,42\n18001,Xã Thử 1,xa,42\n"
        "18002,Xã Chưa Nộp,xa,42\n", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="cchc.ribbon"):
        summary = Path(ribbon.merge(folder=folder))
    assert "danh-sach-don-vi.csv" in caplog.text
    rows = {r.code: r.status for r in summary_layout.read_file(summary).rows}
    assert rows["18002"] == "missing" and rows["18000"] in ("on_time", "unknown_time")
