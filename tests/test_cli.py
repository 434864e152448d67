"""The `cchc` command line end to end, including bad input: clear message, exit code, no traceback."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli


def _no_traceback(result):
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_build_read_fill_fields(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code\n18073,Phường Thành Sen,phuong,42\n18229,Xã Đức Thọ,xa,42\n",
                     encoding="utf-8")
    r = run_cli("build", "--units", str(units), "--period", "6T-2026", "--profile", "ha-tinh", "--out",
                str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "Đã tạo 2 sổ tính" in r.stdout
    book = tmp_path / "out" / "18229_Xa-Duc-Tho_6T-2026.xlsx"
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"values": {"dn_thanh_lap_moi": 15, "dn_ke_hoach": 20, "tthc_tra_lai": 0}}),
                    encoding="utf-8")
    r = run_cli("fill", str(book), "--data", str(data), "-o", str(tmp_path / "filled.xlsx"))
    assert r.returncode == 0, r.stderr
    r = run_cli("read", str(tmp_path / "filled.xlsx"), "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert set(payload) >= {"file", "template", "unit", "period", "values", "lists", "tables", "problems"}
    assert payload["template"]["profile"] == "ha-tinh"
    assert payload["values"]["dn_thanh_lap_moi"] == 15 and payload["values"]["tthc_tra_lai"] == 0
    r = run_cli("fields", "--json")
    fields = json.loads(r.stdout)["fields"]
    row = next(f for f in fields if f["code"] == "tthc_tiep_nhan_tong")
    assert set(row) >= {"code", "label", "sheet", "cell", "type", "unit", "section"} and row["sheet"] == "Số liệu"


def test_custom_window(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code\n10525,Phường Trần Hưng Đạo,phuong,30\n", encoding="utf-8")
    r = run_cli("build", "--units", str(units), "--period", "N-2023", "--from", "2023-01-01", "--to", "2023-11-30",
                "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "01/01/2023 – 30/11/2023" in r.stdout


@pytest.mark.parametrize("args,expect,code", [
    (["build", "--units", "{tmp}/missing.csv", "--period", "6T-2026", "--out", "{tmp}/o"], "Không tìm thấy tệp", 1),
    (["build", "--units", "{tmp}/bad.csv", "--period", "6T-2026", "--out", "{tmp}/o"], "dòng 2", 1),
    (["build", "--units", "{tmp}/good.csv", "--period", "Q5-2026", "--out", "{tmp}/o"], "Mã kỳ báo cáo", 1),
    (["build", "--units", "{tmp}/good.csv", "--period", "6T-2026", "--profile", "hanoi", "--out", "{tmp}/o"],
     "Không có hồ sơ tỉnh", 1),
    (["build", "--units", "{tmp}/good.csv", "--period", "6T-2026", "--from", "15.12.2025", "--out", "{tmp}/o"],
     "--from «15.12.2025» không phải ngày hợp lệ (dạng YYYY-MM-DD hoặc DD/MM/YYYY", 1),
    (["read", "{tmp}/text.xlsx", "--json"], "không phải là sổ tính Excel", 2),
    (["read", "{tmp}/missing.xlsx"], "Không tìm thấy tệp", 2),
    (["fill", "{tmp}/text.xlsx", "--data", "{tmp}/data.json", "-o", "{tmp}/x.xlsx"], "không phải là sổ tính Excel", 1),
])
def test_bad_input_gives_message_and_exit_code(tmp_path, args, expect, code):
    (tmp_path / "bad.csv").write_text("code,name,level,parent_code\n123,,xa,42\n", encoding="utf-8")
    (tmp_path / "good.csv").write_text("code,name,level,parent_code\n18229,Xã Đức Thọ,xa,42\n", encoding="utf-8")
    (tmp_path / "text.xlsx").write_text("đây là văn bản, không phải sổ tính", encoding="utf-8")
    (tmp_path / "data.json").write_text("{}", encoding="utf-8")
    r = run_cli(*[a.format(tmp=tmp_path) for a in args])
    assert r.returncode == code, (r.stdout, r.stderr)
    assert expect in r.stderr
    _no_traceback(r)


def test_fill_with_malformed_json_and_unknown_code(tmp_path, unit_books):
    bad = tmp_path / "bad.json"
    bad.write_text("{values: 1", encoding="utf-8")
    r = run_cli("fill", str(unit_books[0].path), "--data", str(bad), "-o", str(tmp_path / "o.xlsx"))
    assert r.returncode == 1 and "Không đọc được tệp dữ liệu" in r.stderr
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"values": {"tong_hop_khong_co": 3}}), encoding="utf-8")
    r = run_cli("fill", str(unit_books[0].path), "--data", str(unknown), "-o", str(tmp_path / "o.xlsx"))
    assert r.returncode == 1 and "tong_hop_khong_co" in r.stderr
    _no_traceback(r)


def test_malformed_definition_through_the_cli(tmp_path):
    import shutil

    from xl_addin.definition.loader import definition_dir

    root = tmp_path / "tpl"
    shutil.copytree(definition_dir(), root / "cchc")
    path = root / "cchc" / "lists.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("capacity: 60", "capacity: sáu mươi"), encoding="utf-8")
    r = run_cli("fields", env={"CCHC_TEMPLATES": str(root)})
    assert r.returncode == 1
    assert "lists.yaml" in r.stderr and "dòng" in r.stderr and "van_ban" in r.stderr
    _no_traceback(r)
