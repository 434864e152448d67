"""Unit lists (CSV and .xlsx) and reporting periods."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import ascii_name, load_units
from xl_addin.errors import CchcError


@pytest.mark.parametrize("code,start,end,label,next_label", [
    ("T01-2026", (2025, 12, 15), (2026, 1, 14), "tháng 1 năm 2026", "tháng 2 năm 2026"),
    ("Q1-2026", (2025, 12, 15), (2026, 3, 14), "quý I năm 2026", "quý II năm 2026"),
    ("Q3-2026", (2026, 6, 15), (2026, 9, 14), "quý III năm 2026", "quý IV năm 2026"),
    ("Q4-2026", (2026, 9, 15), (2026, 12, 14), "quý IV năm 2026", "quý I năm 2027"),
    ("6T-2023", (2022, 12, 15), (2023, 6, 14), "6 tháng đầu năm 2023", "6 tháng cuối năm 2023"),
    ("9T-2026", (2025, 12, 15), (2026, 9, 14), "9 tháng đầu năm 2026", "quý IV năm 2026"),
    ("N-2026", (2025, 12, 15), (2026, 12, 14), "năm 2026", "năm 2027"),
])
def test_nd09_windows(definition, code, start, end, label, next_label):
    p = parse_period(code, definition)
    assert (p.start, p.end) == (dt.date(*start), dt.date(*end))
    assert (p.label, p.next_label) == (label, next_label)


def test_calendar_override_and_code_lists(definition):
    p = parse_period("N-2023", definition, dt.date(2023, 1, 1), dt.date(2023, 11, 30))
    assert (p.start, p.end, p.code_list) == (dt.date(2023, 1, 1), dt.date(2023, 11, 30), "QD124_2004")
    assert parse_period("N-2025", definition).straddles_reorganisation
    assert not parse_period("6T-2026", definition).straddles_reorganisation


@pytest.mark.parametrize("bad", ["Q5-2026", "T13-2026", "6T2026", "2026", "", "H1-2026"])
def test_bad_period_codes(definition, bad):
    with pytest.raises(CchcError) as info:
        parse_period(bad, definition)
    assert info.value.code == "period_invalid"


def test_dates_reversed(definition):
    with pytest.raises(CchcError) as info:
        parse_period("Q1-2026", definition, dt.date(2026, 3, 1), dt.date(2026, 1, 1))
    assert info.value.code == "period_dates_invalid"


def test_units_csv_and_xlsx_keep_leading_zeros(tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text("code,name,level,parent_code\n00004,Phường Ba Đình,phuong,01\n18229,Xã Đức Thọ,xa,42\n"
                   "NV,Sở Nội vụ,so,42\n", encoding="utf-8")
    units = load_units(csv)
    assert [u.code for u in units] == ["00004", "18229", "NV"]
    xlsx = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code", "name", "level", "parent_code", "code_list"])
    ws.append(["00004", "Phường Ba Đình", "phuong", "01", "QD19_2025"])
    ws.append(["440", "Huyện Đức Thọ", "huyen", "42", "QD124_2004"])
    wb.save(xlsx)
    units = load_units(xlsx)
    assert [(u.code, u.code_list) for u in units] == [("00004", "QD19_2025"), ("440", "QD124_2004")]


def test_bad_unit_list_lists_every_bad_row(tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text("code,name,level,parent_code\n4,Phường Ba Đình,phuong,01\n18229,,xa,42\n18229,Xã Đức Thọ,xa,42\n"
                   "18229,Xã Khác,xa,42\n12345,Xã X,thon,42\n", encoding="utf-8")
    with pytest.raises(CchcError) as info:
        load_units(csv)
    msg = info.value.message
    assert info.value.code == "units_rows"
    for line in ("dòng 2", "dòng 3", "dòng 5", "dòng 6"):
        assert line in msg
    assert "mất số 0" in msg and "trùng với dòng 3" in msg and "tên đơn vị trống" in msg and "«thon»" in msg


def test_missing_columns(tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text("ma,ten\n1,a\n", encoding="utf-8")
    with pytest.raises(CchcError) as info:
        load_units(csv)
    assert info.value.code == "units_columns"


def test_ascii_name():
    assert ascii_name("Phường Đức Thuận") == "Phuong-Duc-Thuan"
    assert ascii_name("Đặc khu Hòn Ngư") == "Dac-khu-Hon-Ngu"
