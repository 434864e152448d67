"""Deliberate mistakes that once survived the whole suite (issue 19), each caught here on real
workbooks: built from the definition, filled, exported, read back (and recalculated by
LibreOffice where Excel's own formula is part of the question).

* a ratio's tie (x.xx5) rounded half-even instead of half-up;
* a ``same`` field whose units disagree: one value kept and the flag dropped;
* a file exported on the deadline day counted late (the whole deadline day counts as on time);
* a data validation weakened in a returned file (wider bounds, a warning instead of a stop, no
  error message) and not reported;
* the workbook-structure protection removed and not reported;
* a decrease told as «tăng» in the narrative.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period, submission_deadline
from xl_addin.definition.units import Unit
from xl_addin.merge.run import run_merge
from xl_addin.narrative import build_report
from xl_addin.rules.export import export_file
from xl_addin.rules.ratios import compute_ratios, ratio_value
from xl_addin.ui import ui
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook, needs_soffice, run_soffice

PERIOD = "6T-2026"
# A commune's half-year figures (consistent: received = new; resolved + pending = received).
BASE = {"so_ky_hieu": "25/BC-UBND", "tthc_cong_khai": 188, "tthc_ky_truoc": 0, "tthc_moi_truc_tuyen": 700,
        "tthc_moi_truc_tiep": 100, "tthc_tiep_nhan_tong": 800, "tthc_da_gq_tong": 800, "tthc_da_gq_truoc_han": 797,
        "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 3, "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0,
        "tthc_dang_gq_tong": 0, "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0}


def _unit(code: str, name: str) -> Unit:
    return Unit(code, name, "xa", "70", "")


def _returned(tmp: Path, unit: Unit, values: dict, at: dt.datetime, folder: Path) -> Path:
    """A unit's workbook built, filled and exported at ``at`` into ``folder`` (what it sends back)."""
    definition = load_definition()
    [built] = build_unit_workbooks(definition, [unit], parse_period(PERIOD, definition),
                                   tmp / f"blank-{uuid.uuid4().hex[:6]}")
    filled = tmp / f"filled-{uuid.uuid4().hex[:6]}.xlsx"
    fill_workbook(built.path, {"values": values}, filled)
    sent, _info = export_file(filled, folder, at)
    return sent


# --------------------------------------------------------------------------- rounding: a tie goes up
def test_a_ratio_on_a_tie_rounds_half_up(tmp_path):
    """797 of 800 resolved on time is 99.625 %: shown 99,63 % (half-up), never 99,62 % (half-even)."""
    path = filled_workbook(tmp_path, {"values": BASE})
    ratio = compute_ratios(read_workbook(path))["ty_le_gq_dung_han"]
    assert (ratio.numerator, ratio.denominator) == (797, 800)
    assert Decimal(797) * 100 / Decimal(800) == Decimal("99.625")  # an exact tie
    assert ratio.value == Decimal("99.63") and ratio.formatted == "99,63%"
    # both kinds of tie: an even and an odd second decimal (half-even would keep 0,12 and 0,38)
    assert ratio_value(Decimal(1), Decimal(800)) == Decimal("0.13")
    assert ratio_value(Decimal(3), Decimal(800)) == Decimal("0.38")
    assert ratio_value(Decimal(5), Decimal(8)) == Decimal("62.50")


@needs_soffice
def test_the_workbook_formula_and_python_agree_on_a_tie(tmp_path):
    """Excel's ROUND (LibreOffice here) rounds the tie up too: the ratio cell and the Python value agree."""
    src = filled_workbook(tmp_path, {"values": BASE}, name="tie.xlsx")
    run_soffice(["--calc", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(src)], tmp_path)
    ratio = compute_ratios(read_workbook(tmp_path / "lo" / "tie.xlsx"))["ty_le_gq_dung_han"]
    assert ratio.excel_value is not None and Decimal(repr(ratio.excel_value)) == Decimal("0.9963")
    assert ratio.value == Decimal("99.63") and ratio.excel_agrees is True
    # a cached value still carrying the tie (another writer's formula) is rounded half-up as well
    ratio.excel_value = 0.99625
    assert ratio.excel_agrees is True


# --------------------------------------------------------------------------- a merge: `same` and the deadline
@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mistakes-merge")
    definition = load_definition()
    deadline = submission_deadline(parse_period(PERIOD, definition), definition.deadline_working_days)
    folder = tmp / "nop"
    units = {"on_deadline": _unit("70001", "Xã Hạn Chót"), "next_day": _unit("70002", "Xã Hôm Sau"),
             "early": _unit("70003", "Xã Nộp Sớm")}
    stamps = {"on_deadline": dt.datetime.combine(deadline, dt.time(23, 59, 59)),
              "next_day": dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0, 0, 1)),
              "early": dt.datetime.combine(deadline - dt.timedelta(days=1), dt.time(9, 0))}
    # tthc_cong_khai is a `same` field: the province's published procedures, equal in every unit
    published = {"on_deadline": 188, "next_day": 190, "early": 188}
    for key, unit in units.items():
        _returned(tmp, unit, dict(BASE, tthc_cong_khai=published[key]), stamps[key], folder)
    units_csv = tmp / "units.csv"
    units_csv.write_text("code,name,level,parent_code\n70,Tỉnh Thử,tinh,\n" +
                         "".join(f"{u.code},{u.name},xa,70\n" for u in units.values()), encoding="utf-8")
    result = run_merge(folder, output=tmp / "tong-hop.xlsx", units_path=units_csv, workers=1)
    return {"result": result, "units": units, "deadline": deadline, "out": tmp / "tong-hop.xlsx"}


def test_a_same_field_the_units_disagree_on_is_left_empty_and_flagged(merged):
    result = merged["result"]
    assert len(result.merged) == 3 and not result.rejected
    assert result.aggregate.values["tthc_cong_khai"] is None  # neither 188 nor 190, never 566
    label = load_definition().field_map()["tthc_cong_khai"].label
    [flag] = [f for f in result.aggregate.flags if label in f]
    assert "188" in flag and "190" in flag
    assert "Xã Hôm Sau" in flag and "Xã Hạn Chót" in flag and "Xã Nộp Sớm" in flag
    # the summary workbook: the field's cell is empty and the flag is written under the totals
    wb = openpyxl.load_workbook(merged["out"])
    ws = wb[ui("merge.summary_sheet")]
    rows = list(ws.iter_rows(values_only=True))
    codes = list(rows[2])  # the hidden row of codes
    total = next(r for r in rows[4:] if r and r[0] is None and r[1])  # the total row has no code
    assert total[codes.index("tthc_cong_khai")] is None
    assert total[codes.index("tthc_da_gq_truoc_han")] is not None  # the sums are there
    assert any(r and r[0] == flag for r in rows)
    pos = compute_layout(load_definition()).fields["tthc_cong_khai"]
    assert wb[pos.sheet][pos.ref].value is None


def test_agreeing_units_keep_the_same_value(tmp_path):
    folder = tmp_path / "nop"
    at = dt.datetime(2026, 6, 15, 8, 0)
    for code, name in (("70011", "Xã Một"), ("70012", "Xã Hai")):
        _returned(tmp_path, _unit(code, name), BASE, at, folder)
    result = run_merge(folder, output=tmp_path / "th.xlsx", workers=1)
    assert result.aggregate.values["tthc_cong_khai"] == 188 and result.aggregate.flags == []
    assert result.aggregate.values["tthc_tiep_nhan_tong"] == 1600


def test_the_whole_deadline_day_counts_as_on_time(merged):
    wb = openpyxl.load_workbook(merged["out"])
    ws = wb[ui("merge.status_sheet")]
    columns = list(ui("merge.status_columns"))
    code_col, status_col, days_col = columns.index("Mã đơn vị"), columns.index("Tình trạng"), columns.index(
        "Số ngày muộn")
    rows = {row[code_col]: row for row in ws.iter_rows(min_row=5, values_only=True) if row[code_col]}
    words = ui("merge.unit_status")
    units = merged["units"]
    assert rows[units["on_deadline"].code][status_col] == words["on_time"]  # exported at 23:59:59 on the deadline day
    assert rows[units["early"].code][status_col] == words["on_time"]
    assert rows[units["next_day"].code][status_col] == words["late"]  # one second after midnight
    assert rows[units["next_day"].code][days_col] == 1
    statuses = {e.code: (e.status, e.days_late) for e in merged["result"].units}
    assert statuses[units["on_deadline"].code] == ("on_time", 0) and statuses[units["next_day"].code] == ("late", 1)
    assert merged["deadline"].strftime("%d/%m/%Y") in ws["A1"].value


# --------------------------------------------------------------------------- tamper: validation, structure
@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mistakes-tamper")
    return _returned(tmp, _unit("70021", "Xã Thử Khóa"), BASE, dt.datetime(2026, 6, 15, 9, 0), tmp / "nop")


def _changed(src: Path, tmp_path: Path, change) -> Path:
    wb = openpyxl.load_workbook(src)
    change(wb)
    out = tmp_path / f"{uuid.uuid4().hex[:6]}.xlsx"
    wb.save(out)
    return out


def _tamper(path: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in read_workbook(path).problems:
        if p.code.startswith("tamper_"):
            out.setdefault(p.code, []).append(p)
    return out


def _validation_of(wb, code: str):
    pos = compute_layout(load_definition()).fields[code]
    ws = wb[pos.sheet]
    [dv] = [dv for dv in ws.data_validations.dataValidation if pos.ref in dv.sqref]
    return pos, dv


@pytest.mark.parametrize("weaken", ["wider_bounds", "warning_only", "no_error_message", "any_value"])
def test_a_weakened_validation_is_reported_naming_its_cell(exported, tmp_path, weaken):
    def change(wb):
        _pos, dv = _validation_of(wb, "tthc_tiep_nhan_tong")
        if weaken == "wider_bounds":
            dv.formula1, dv.formula2 = "-1000000000", "1000000000"  # negatives now pass
        elif weaken == "warning_only":
            dv.errorStyle = "information"  # the clerk may click past it
        elif weaken == "no_error_message":
            dv.showErrorMessage = False  # Excel accepts anything silently
        else:
            dv.type, dv.operator, dv.formula1, dv.formula2 = "decimal", "greaterThan", "-1000000000", None

    assert _tamper(exported) == {}
    wb = openpyxl.load_workbook(exported)
    pos, _dv = _validation_of(wb, "tthc_tiep_nhan_tong")
    found = _tamper(_changed(exported, tmp_path, change))
    assert set(found) == {"tamper_validation_changed"}, found
    [problem] = found["tamper_validation_changed"]
    assert problem.cell == pos.sheet and problem.value == pos.ref
    assert pos.ref in problem.message and pos.sheet in problem.message


def test_a_validation_added_on_a_cell_without_one_is_harmless(exported, tmp_path):
    from openpyxl.worksheet.datavalidation import DataValidation

    def change(wb):
        pos = compute_layout(load_definition()).fields["tthc_tiep_nhan_tong"]
        dv = DataValidation(type="whole", operator="between", formula1="0", formula2="5", showErrorMessage=True)
        dv.add(f"Z{pos.row}")
        wb[pos.sheet].add_data_validation(dv)
    assert _tamper(_changed(exported, tmp_path, change)) == {}


def test_removed_workbook_structure_protection_is_reported(exported, tmp_path):
    wb = openpyxl.load_workbook(exported)
    assert wb.security is not None and wb.security.lockStructure  # the template locks its structure

    def change(wb):
        wb.security.lockStructure = False
    path = _changed(exported, tmp_path, change)
    found = _tamper(path)
    assert set(found) == {"tamper_workbook_unlocked"}, found
    [problem] = found["tamper_workbook_unlocked"]
    assert path.name in problem.message and problem.importance in ("warning", "error")


def test_structure_protection_removed_with_the_whole_protection_element(exported, tmp_path):
    def change(wb):
        wb.security = None
    assert set(_tamper(_changed(exported, tmp_path, change))) == {"tamper_workbook_unlocked"}


# --------------------------------------------------------------------------- narrative: the direction of a change
NOW = {**BASE, "so_ky_hieu": "25/BC-UBND", "nguoi_ky": "Nguyễn Thị Lan", "chuc_vu_ky": "CHỦ TỊCH",
       "tham_quyen_ky": "tm", "tthc_moi_truc_tuyen": 1500, "tthc_moi_truc_tiep": 100, "tthc_tiep_nhan_tong": 1600,
       "tthc_da_gq_tong": 1600, "tthc_da_gq_truoc_han": 1520, "tthc_da_gq_qua_han": 80}
BEFORE = {**NOW, "tthc_moi_truc_tuyen": 1900, "tthc_tiep_nhan_tong": 2000, "tthc_da_gq_tong": 2000,
          "tthc_da_gq_truoc_han": 1980, "tthc_da_gq_qua_han": 20}


def _book(tmp: Path, period: str, values: dict) -> Path:
    definition = load_definition()
    unit = Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025")
    [built] = build_unit_workbooks(definition, [unit], parse_period(period, definition),
                                   tmp / f"blank-{uuid.uuid4().hex[:6]}")
    out = tmp / f"{period}-{uuid.uuid4().hex[:4]}.xlsx"
    fill_workbook(built.path, {"values": values}, out)
    return out


def _body(report) -> str:
    return "\n".join(b.text for b in report.body)


def test_a_decrease_is_told_as_a_decrease(tmp_path):
    """2.000 dossiers last year, 1.600 now: «giảm 400 hồ sơ, tương đương 20%»; the on-time rate
    went from 99% to 95%: «giảm 4 điểm phần trăm». The other way round they are increases."""
    now, before = _book(tmp_path, PERIOD, NOW), _book(tmp_path, "6T-2025", BEFORE)
    body = _body(build_report(now, before))
    assert "1.600 hồ sơ (giảm 400 hồ sơ, tương đương 20%, so với cùng kỳ năm 2025)" in body
    assert "đạt 95% (1.520/1.600 hồ sơ), giảm 4 điểm phần trăm so với cùng kỳ năm 2025" in body
    assert "tăng" not in " ".join(line for line in body.splitlines() if "so với" in line)
    # and back: the same two workbooks the other way are increases (25% of 1.600)
    later = _book(tmp_path, "6T-2027", BEFORE)
    body = _body(build_report(later, now))
    assert "2.000 hồ sơ (tăng 400 hồ sơ, tương đương 25%, so với cùng kỳ năm 2026)" in body
    assert "tăng 4 điểm phần trăm so với cùng kỳ năm 2026" in body


def test_no_change_is_told_as_no_change(tmp_path):
    now, before = _book(tmp_path, PERIOD, NOW), _book(tmp_path, "Q1-2026", NOW)
    body = _body(build_report(now, before))
    assert "1.600 hồ sơ (không thay đổi so với kỳ trước)" in body
    assert "tăng" not in body.replace("tăng cường", "") and "giảm" not in body
