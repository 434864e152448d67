"""`cchc check`: the add-in's checks, ratios and Word report for a PC where the add-in cannot run."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from test_narrative import CLEAN

from xl_addin.rules.sheets import MARK_COLORS
from xl_addin.workbook.layout import compute_layout

from conftest import filled_workbook, run_cli

UNBALANCED = {"values": {"tthc_ky_truoc": 1, "tthc_moi_truc_tuyen": 1049, "tthc_moi_truc_tiep": 9,
                         "tthc_tiep_nhan_tong": 1060}}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def folder(tmp_path) -> Path:
    out = tmp_path / "Báo cáo CCHC & số liệu 2026"
    out.mkdir()
    return out


def test_outputs_beside_the_input_which_stays_unchanged(folder, definition):
    src = filled_workbook(folder, UNBALANCED, name="Phường Thành Sen 6T-2026.xlsx")
    before = _sha(src), src.stat().st_mtime_ns
    r = run_cli("check", str(src))
    assert r.returncode == 1, r.stderr  # rule errors, as `cchc validate`
    assert (_sha(src), src.stat().st_mtime_ns) == before
    xlsx = folder / "Phường Thành Sen 6T-2026_kiem-tra.xlsx"
    report = folder / "Phường Thành Sen 6T-2026_bao-cao.docx"
    assert str(xlsx) in r.stdout and str(report) in r.stdout and "Traceback" not in r.stderr
    wb = openpyxl.load_workbook(xlsx)
    assert {"Kiểm tra", "Tỷ lệ"} <= set(wb.sheetnames)
    pos = compute_layout(definition).fields["tthc_tiep_nhan_tong"]
    cell = wb[pos.sheet][pos.ref]
    assert cell.fill.fgColor.rgb.endswith(MARK_COLORS["error"]) and "chênh lệch 1" in cell.comment.text
    checks = [row for row in wb["Kiểm tra"].iter_rows(values_only=True) if row and row[0] is not None]
    assert any("tiếp nhận" in str(row) for row in checks)
    assert "Kiểm tra" not in openpyxl.load_workbook(src).sheetnames  # the clerk's own file is untouched
    text = "\n".join(p.text for p in docx.Document(report).paragraphs)
    assert "BÁO CÁO" in text and "phường Thành Sen" in text and "CẢNH BÁO" in text


def test_clean_workbook_exits_0_and_out_dir_takes_the_outputs(folder, tmp_path):
    src = filled_workbook(folder, CLEAN, name="sạch.xlsx")
    out = tmp_path / "kết quả"
    r = run_cli("check", str(src), "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sạch_bao-cao.docx", "sạch_kiem-tra.xlsx"]
    assert not [p for p in folder.iterdir() if p.name.endswith(("_kiem-tra.xlsx", "_bao-cao.docx"))]
    text = "\n".join(p.text for p in docx.Document(out / "sạch_bao-cao.docx").paragraphs)
    assert "CẢNH BÁO" not in text


def test_unreadable_file_exits_2_and_writes_nothing(folder):
    bad = folder / "không phải sổ tính.xlsx"
    bad.write_text("mã,tên\n1,a\n", encoding="utf-8")
    r = run_cli("check", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "không phải sổ tính.xlsx" in r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["không phải sổ tính.xlsx"]
    r = run_cli("check", str(folder / "không có.xlsx"))
    assert r.returncode == 2 and "Không tìm thấy" in r.stderr


def test_an_output_that_cannot_be_written_is_named(folder):
    src = filled_workbook(folder, UNBALANCED, name="đơn vị.xlsx")
    (folder / "đơn vị_kiem-tra.xlsx").mkdir()  # as when Windows keeps the previous result open in Excel
    r = run_cli("check", str(src))
    assert r.returncode == 2 and "đơn vị_kiem-tra.xlsx" in r.stderr and "đang mở" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_file_and_no_dialog_say_what_to_do(folder):
    r = run_cli("check")
    assert r.returncode == 2 and "kiem-tra.bat" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("check", "--pick", env={"DISPLAY": ""})  # no screen here: the dialog cannot open
    assert r.returncode == 2 and "hộp thoại" in r.stderr and "Traceback" not in r.stderr


def test_export_takes_the_same_pick_and_open_options(folder):
    src = filled_workbook(folder, CLEAN, name="nộp & gửi.xlsx")
    r = run_cli("export", "--help")
    assert "--pick" in r.stdout and "--open" in r.stdout
    r = run_cli("export", str(src), "--out", str(folder / "bản nộp"))
    assert r.returncode == 0, r.stderr
    [sent] = (folder / "bản nộp").iterdir()
    assert zipfile.is_zipfile(sent)
    shutil.rmtree(folder / "bản nộp")


def test_a_workbook_dropped_on_kiem_tra_bat_with_an_ampersand_and_no_space(tmp_path):
    """Explorer leaves such a path unquoted and cmd splits it at «&»: the batch file passes its own
    command line (%cmdcmdline%) and cchc reads the path from it."""
    folder = tmp_path / "BaoCao&SoLieu"
    folder.mkdir()
    src = filled_workbook(folder, CLEAN, name="XaDucTho.xlsx")
    line = f'C:\\WINDOWS\\system32\\cmd.exe /c ""C:\\cchc\\kiem-tra.bat" {src}"'
    r = run_cli("check", "--dropped", "kiem-tra.bat", str(tmp_path / "BaoCao"), env={"CCHC_CMDLINE": line})
    assert r.returncode == 0, r.stdout + r.stderr
    assert (folder / "XaDucTho_kiem-tra.xlsx").is_file() and (folder / "XaDucTho_bao-cao.docx").is_file()


def test_a_word_report_edited_since_the_last_check_is_kept(folder):
    """The clerk checks, edits the Word report, fixes a number and checks again: the edited report
    is kept as it is and the new one gets a name of its own (never lost by a second check)."""
    src = filled_workbook(folder, CLEAN, name="sạch.xlsx")
    assert run_cli("check", str(src)).returncode == 0
    report = folder / "sạch_bao-cao.docx"
    doc = docx.Document(report)
    doc.add_paragraph("Đoạn do văn thư viết thêm.")
    doc.save(report)
    edited = _sha(report)
    r = run_cli("check", str(src))
    assert r.returncode == 0, r.stdout + r.stderr
    assert _sha(report) == edited
    fresh = folder / "sạch_bao-cao (2).docx"
    assert fresh.exists() and str(fresh) in r.stdout and str(report) in r.stdout
    assert "Đoạn do văn thư viết thêm." not in "\n".join(p.text for p in docx.Document(fresh).paragraphs)
    # a report the tool wrote and nobody touched is simply replaced on the next check
    before = sorted(p.name for p in folder.iterdir())
    assert run_cli("check", str(src)).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == before
    # a Word file of the same name the tool did not write is kept too
    foreign = folder / "khác_bao-cao.docx"
    docx.Document().save(foreign)
    other = shutil.copy(src, folder / "khác.xlsx")
    assert run_cli("check", str(other)).returncode == 0
    assert (folder / "khác_bao-cao (2).docx").exists() and len(docx.Document(foreign).paragraphs) == 0
