"""Judged in the right period: local government by period (no district level from 1/7/2025, periods
that straddle the change), and the official forms by period and by province profile."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.errors import CchcError
from xl_addin.merge.run import run_merge
from xl_addin.narrative import build_report
from xl_addin.rules.export import export_file
from xl_addin.workbook.build import UnitStamper, build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.reader import read_workbook

from conftest import run_cli

# Two communes of the new structure in Hà Tĩnh (domain.md §12.4): code list QĐ 19/2025, parent the province
THANH_SEN = Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025")
DUC_THO = Unit("18229", "Xã Đức Thọ", "xa", "42", "QD19_2025")
# Before 1/7/2025: huyện Đức Thọ (report 002) and phường Hà Huy Tập under TP Hà Tĩnh (report 000)
HUYEN_DUC_THO = Unit("440", "Huyện Đức Thọ", "huyen", "42", "QD124_2004")
HA_HUY_TAP = Unit("18085", "Phường Hà Huy Tập", "phuong", "436", "QD124_2004")


def _units_csv(path: Path, units: list[Unit], receiver: tuple[str, str, str] = ("42", "Tỉnh Hà Tĩnh", "tinh")) -> Path:
    lines = ["code,name,level,parent_code,code_list", ",".join(receiver) + ",,QD19_2025"]
    lines += [f"{u.code},{u.name},{u.level},{u.parent_code},{u.code_list}" for u in units]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- levels by period
@pytest.mark.parametrize("period", ["Q3-2025", "6T-2026"])
def test_district_refused_for_periods_ending_from_july_2025(tmp_path, period):
    """A huyện, and a phường whose parent is one, cannot report for a period ending on or after
    1/7/2025; every refused unit is named with its reason and nothing is written."""
    csv = _units_csv(tmp_path / "units.csv", [HUYEN_DUC_THO, HA_HUY_TAP, THANH_SEN])
    out = tmp_path / "out"
    r = run_cli("build", "--units", str(csv), "--period", period, "--out", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "440 Huyện Đức Thọ" in r.stderr and "cấp «Huyện" in r.stderr
    assert "18085 Phường Hà Huy Tập: trực thuộc đơn vị 436" in r.stderr
    assert "18073" not in r.stderr.split("\n", 1)[1] and "01/7/2025" in r.stderr
    assert not out.exists() or not list(out.iterdir())


def test_district_built_for_earlier_periods(tmp_path, definition):
    results = build_unit_workbooks(definition, [HUYEN_DUC_THO, HA_HUY_TAP], parse_period("6T-2024", definition),
                                   tmp_path)
    assert [r.unit.code for r in results] == ["440", "18085"]
    data = read_workbook(results[0].path)
    assert data.meta["unit_level"] == "huyen" and data.meta["code_list"] == "QD124_2004"


def test_levels_by_period_are_data(definition):
    """One accessor (ReportDefinition.level_era) gives the levels, their receivers and the code list
    in force for a period: its last day decides."""
    before = definition.level_era(dt.date(2025, 6, 30))
    after = definition.level_era(parse_period("Q3-2025", definition))
    assert before.code_list == "QD124_2004" and before.receiver("xa") == "huyen" and "huyen" in before.levels
    assert after.code_list == "QD19_2025" and after.receiver("xa") == "tinh" and "huyen" not in after.levels
    assert after.receiver("dac_khu") == "tinh" and after.receiver("tinh") is None
    straddling = [c for c in ("Q2-2025", "Q3-2025", "9T-2025", "N-2025", "Q4-2025", "6T-2026")
                  if parse_period(c, definition).straddles_reorganisation]
    assert straddling == ["Q3-2025", "9T-2025", "N-2025"]


def _payload(giai_ngan: float) -> dict:
    values = {"so_ky_hieu": "/BC-UBND", "dia_danh": "Hà Tĩnh", "ngay_bao_cao": "2025-09-16", "nguoi_ky": "Trần Văn An",
              "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm", "tthc_ky_truoc": 12, "tthc_moi_truc_tuyen": 700,
              "tthc_moi_truc_tiep": 88, "tthc_tiep_nhan_tong": 800, "tthc_da_gq_truoc_han": 760,
              "tthc_da_gq_dung_han": 20, "tthc_da_gq_qua_han": 4, "tthc_da_gq_tong": 784, "tthc_dang_gq_trong_han": 16,
              "tthc_dang_gq_qua_han": 0, "tthc_dang_gq_tong": 16, "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0,
              "giai_ngan_thuc_hien": giai_ngan, "giai_ngan_ke_hoach": 146.25}
    docs = [{"so_ky_hieu": "15/KH-UBND", "ngay": "2025-07-02", "loai": "ke_hoach",
             "trich_yeu": "Cải cách hành chính của chính quyền địa phương hai cấp năm 2025"}]
    return {"values": values, "lists": {"van_ban": docs}}


def test_two_communes_q3_2025_built_filled_exported_and_merged(tmp_path):
    """No province could merge its communes' Q3-2025 reports: built by `cchc build`, filled, exported,
    merged by `cchc merge` — and the province's report marks the total built on a commune's
    implausible amount (54,020 tỷ typed as 54020)."""
    csv = _units_csv(tmp_path / "units.csv", [THANH_SEN, DUC_THO])
    blank = tmp_path / "blank"
    r = run_cli("build", "--units", str(csv), "--period", "Q3-2025", "--out", str(blank))
    assert r.returncode == 0, r.stderr
    sent = tmp_path / "nop"
    communes = sorted(p for p in blank.glob("*.xlsx") if not p.name.startswith("42_"))  # the province's own too
    for path, amount in zip(communes, (54.02, 54020), strict=True):
        filled = tmp_path / "filled" / path.name
        fill_workbook(path, _payload(amount), filled)
        export_file(filled, sent, dt.datetime(2025, 9, 16, 8, 30))
    assert sorted(p.name[:5] for p in sent.glob("*.xlsx")) == ["18073", "18229"]
    summary = tmp_path / "tong-hop.xlsx"
    r = run_cli("merge", str(sent), "-o", str(summary), "--units", str(csv), "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert sorted(m["unit"] for m in payload["merged"]) == ["18073", "18229"] and not payload["rejected"]
    assert payload["period"] == {"code": "Q3-2025", "from": "2025-06-15", "to": "2025-09-14"}
    assert payload["totals"]["tthc_tiep_nhan_tong"] == 1600 and payload["missing_units"] == []
    data = read_workbook(summary)
    assert data.meta["kind"] == "summary" and data.meta["code_list"] == "QD19_2025"
    marked = [p for p in data.problems if p.code == "value_implausible_units"]
    assert [p.field for p in marked] == ["giai_ngan_thuc_hien"] and "Xã Đức Thọ" in marked[0].message
    report = build_report(data)
    assert any("Xã Đức Thọ" in b.text for b in report.warnings)
    line = next(b.text for b in report.body if "giải ngân vốn đầu tư công" in b.text)
    assert "(cần kiểm tra lại)" in line and "54.074,02 tỷ đồng" in line


def _typed_in(path: Path, payload: dict | None = None) -> Path:
    """The workbook with a value typed in (a merge rejects a workbook nobody filled in)."""
    staged = path.with_name(".~" + path.name)
    fill_workbook(path, payload or {"values": {"van_ban_chi_dao": 3}}, staged)
    staged.replace(path)
    return path


def _district_era_file(tmp_path: Path, definition, period_code: str) -> Path:
    """A Q3-2025 workbook of a district-era phường, as an earlier version of the tool built them."""
    period = parse_period(period_code, definition)
    path = tmp_path / f"18085_Ha-Huy-Tap_{period_code}.xlsx"
    path.write_bytes(UnitStamper(definition).workbook_bytes(HA_HUY_TAP, period))
    return _typed_in(path)


def test_straddling_merge_refuses_district_era_files_only(tmp_path, definition):
    new = tmp_path / "moi"
    built = build_unit_workbooks(definition, [THANH_SEN, DUC_THO], parse_period("Q3-2025", definition), new)
    for b in built:
        _typed_in(b.path)
    merged = run_merge(new)
    assert len(merged.merged) == 2 and merged.period.code == "Q3-2025"
    mixed = tmp_path / "lan"
    shutil.copytree(new, mixed)
    old = _district_era_file(mixed, definition, "Q3-2025")
    with pytest.raises(CchcError) as info:
        run_merge(mixed)
    assert info.value.code == "merge_straddles_reorganisation" and old.name in info.value.message
    # a district summary of that period (made by a district that still merged) is refused the same way
    summaries = tmp_path / "huyen"
    summaries.mkdir()
    district = _units_csv(tmp_path / "huyen.csv", [Unit(THANH_SEN.code, THANH_SEN.name, "phuong", "436", "QD19_2025")],
                          receiver=("436", "Thành phố Hà Tĩnh", "huyen"))
    one = tmp_path / "mot"
    one.mkdir()
    shutil.copy(built[0].path, one / built[0].path.name)
    run_merge(one, output=summaries / "tong-hop-436.xlsx", units_path=district, receiver_code="436")
    shutil.copy(built[1].path, summaries / built[1].path.name)
    with pytest.raises(CchcError) as info:
        run_merge(summaries)
    assert info.value.code == "merge_straddles_reorganisation" and "tong-hop-436.xlsx" in info.value.message
    # the same district-era file in a period wholly before the change merges as it always did
    before = tmp_path / "truoc"
    before.mkdir()
    _district_era_file(before, definition, "Q2-2025")
    assert len(run_merge(before).merged) == 1


# --------------------------------------------------------------------------- forms by period and profile
def _sheets(path: Path) -> list[str]:
    return openpyxl.load_workbook(path, read_only=True).sheetnames


def test_phu_luc_4_and_5_only_in_the_profiles_that_use_them(tmp_path):
    """Phụ lục 4 and 5 are the Thừa Thiên Huế scheme of 2022 (report 004): the Huế profile lists them
    among its forms; the default and Hà Tĩnh templates carry Biểu 06a only. Table codes unchanged."""
    period = "6T-2026"
    for profile, expected in ((None, False), ("ha-tinh", False), ("hue", True)):
        definition = load_definition(profile=profile)
        tables = definition.table_map()
        assert ("phu_luc_4" in tables) is expected and ("phu_luc_5" in tables) is expected
        assert [r.id for r in definition.rules if r.table == "phu_luc_5" or r.group == "phu_luc_5"] == (
            ["phu_luc_5_dong_can_doi", "phu_luc_5_thu_7"] if expected else [])
        [built] = build_unit_workbooks(definition, [THANH_SEN], parse_period(period, definition),
                                       tmp_path / str(profile))
        sheets = _sheets(built.path)
        assert "Biểu 06a" in sheets and ("Phụ lục 4" in sheets) is expected and ("Phụ lục 5" in sheets) is expected
        assert read_workbook(built.path).problems == []


def test_a_2024_and_a_2026_workbook_show_the_form_of_their_period(tmp_path, definition):
    """With the forms as the definition has them (Biểu 06a of TT 01/2020, no end date: see
    docs/forms-by-period.md), both years carry Biểu 06a under its circular."""
    for code in ("6T-2024", "6T-2026"):
        [built] = build_unit_workbooks(definition, [THANH_SEN], parse_period(code, definition), tmp_path / code)
        ws = openpyxl.load_workbook(built.path)["Biểu 06a"]
        text = " ".join(str(c.value) for row in ws.iter_rows(max_row=8) for c in row if c.value)
        assert "Biểu số II.06a/VPCP/KSTT" in text and "Thông tư số 01/2020/TT-VPCP" in text


@pytest.fixture()
def new_circular(tmp_path, monkeypatch):
    """A definition where a circular replaces Biểu 06a from 15/02/2026: a data change only (the old
    form gets valid_to, the new one valid_from, both are listed in forms, the new one has a sheet)."""
    from xl_addin.definition.loader import definition_dir

    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    tables = root / "cchc" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    text = text.replace("    sheet: bieu_06a\n", "    sheet: bieu_06a\n    valid_to: 2026-02-14\n", 1)
    text += ('''
  - code: bieu_thu_moi
    form_number: Biểu số thử/MỚI
    title: BIỂU THỬ THEO THÔNG TƯ MỚI (dùng trong bài kiểm tra)
    sheet: bieu_thu_moi
    section: II.2
    valid_from: 2026-02-15
    open_rows: 10
    total_row: Tổng cộng
    label_column: {code: linh_vuc, label: "Lĩnh vực", type: text, width: 30}
    columns:
      - {code: tiep_nhan, label: "Tiếp nhận", type: integer, unit: "hồ sơ"}
      - {code: phi_dia_gioi, label: "Phi địa giới", type: integer, unit: "hồ sơ"}
''')
    tables.write_text(text, encoding="utf-8")
    report = root / "cchc" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    text = text.replace('  - {code: bieu_06a, name: "Biểu 06a", kind: table, landscape: true}\n',
                        '  - {code: bieu_06a, name: "Biểu 06a", kind: table, landscape: true}\n'
                        '  - {code: bieu_thu_moi, name: "Biểu mới", kind: table, landscape: true}\n')
    text = text.replace("forms: [bieu_06a]", "forms: [bieu_06a, bieu_thu_moi]")
    report.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    return root


def test_a_new_circulars_form_is_a_data_change(new_circular, tmp_path):
    definition = load_definition()
    books = {}
    for code in ("6T-2024", "6T-2026"):
        [built] = build_unit_workbooks(definition, [THANH_SEN], parse_period(code, definition), tmp_path / code)
        books[code] = built.path
    assert "Biểu 06a" in _sheets(books["6T-2024"]) and "Biểu mới" not in _sheets(books["6T-2024"])
    assert "Biểu mới" in _sheets(books["6T-2026"]) and "Biểu 06a" not in _sheets(books["6T-2026"])
    old, new = read_workbook(books["6T-2024"]), read_workbook(books["6T-2026"])
    assert old.problems == [] and new.problems == []  # each read against the template of its period
    assert set(old.definition.table_map()) == {"bieu_06a"} and set(new.definition.table_map()) == {"bieu_thu_moi"}
    assert not [r for r in new.definition.rules if r.group == "bieu_06a"]  # the old form's rules went with it
    filled = tmp_path / "filled-2026.xlsx"
    fill_workbook(books["6T-2026"], {"tables": {"bieu_thu_moi": [{"linh_vuc": "Hộ tịch", "tiep_nhan": 9,
                                                                   "phi_dia_gioi": 2}]}}, filled)
    assert read_workbook(filled).table_totals["bieu_thu_moi"]["tiep_nhan"] == 9
    shutil.copy(filled, books["6T-2026"])  # what the unit sends back (a blank workbook is not merged)
    with pytest.raises(CchcError) as info:
        fill_workbook(books["6T-2026"], {"tables": {"bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 1}]}},
                      tmp_path / "x.xlsx")
    assert info.value.code == "fill_unknown_code"
    merged = run_merge(tmp_path / "6T-2026", output=tmp_path / "tong-hop.xlsx")
    assert len(merged.merged) == 1 and "Biểu mới" in _sheets(tmp_path / "tong-hop.xlsx")
    r = run_cli("fields", "--json", "--period", "6T-2024")
    assert r.returncode == 0 and set(json.loads(r.stdout)["tables"]) == {"bieu_06a"}
    r = run_cli("fields", "--json", "--period", "6T-2026")
    assert set(json.loads(r.stdout)["tables"]) == {"bieu_thu_moi"}
