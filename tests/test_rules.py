"""The rule engine on the example reports' own numbers and mistakes (domain.md §8–9)."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
from seed_reports import R000, R001, R002, R003

from xl_addin.definition.units import Unit
from xl_addin.rules.engine import validate
from xl_addin.rules.ratios import compute_ratios
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook, run_cli


def _findings(path):
    data = read_workbook(path)
    # leaving out the missing inputs and the outline information (sections with nothing to tell)
    return data, [f for f in validate(data) if f.rule not in ("required", "required_list", "muc_trong")]


def test_002_off_by_one_truncations_and_symbol(tmp_path):
    path = filled_workbook(tmp_path, R002, unit=Unit("440", "Huyện Đức Thọ", "huyen", "42", "QD124_2004"),
                           period="6T-2023")
    data, findings = _findings(path)
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"tthc_can_doi_ket_qua", "ty_le_kh_cchc_sai_so_lam_tron", "ty_le_giai_ngan_sai_so_lam_tron",
                            "ty_le_thu_ns_sai_so_lam_tron", "van_ban_loai_ky_hieu"}
    balance = by_rule["tthc_can_doi_ket_qua"]
    assert balance.importance == "error" and balance.gap == 1
    assert "7.432" in balance.message and "7.431" in balance.message
    layout = compute_layout(data.definition)
    assert f"Số liệu!{layout.fields['tthc_tiep_nhan_tong'].ref}" in balance.cells
    for code in ("ty_le_kh_cchc", "ty_le_giai_ngan", "ty_le_thu_ns"):
        assert by_rule[f"{code}_sai_so_lam_tron"].importance == "warning"
    ratios = compute_ratios(data)
    assert ratios["ty_le_kh_cchc"].value == Decimal("26.67") and ratios["ty_le_kh_cchc"].formatted == "26,67%"
    assert ratios["ty_le_giai_ngan"].formatted == "36,94%"
    assert ratios["ty_le_thu_ns"].formatted == "25,94%"
    assert ratios["ty_le_kh_cchc_hoat_dong"].formatted == "29,33%"
    assert ratios["ty_le_nv_cap_tren_dung_han"].formatted == "97,78%"
    assert ratios["ty_le_pakn_xu_ly"].formatted == "không phát sinh"
    symbol = by_rule["van_ban_loai_ky_hieu"]
    assert symbol.importance == "error" and "111/KH-UBND" in symbol.message and "«QĐ»" in symbol.message


def test_003_ratio_error_and_staff_sum(tmp_path):
    path = filled_workbook(tmp_path, R003, unit=Unit("18124", "Phường Đức Thuận", "phuong", "437", "QD124_2004"),
                           period="N-2021")
    data, findings = _findings(path)
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"ty_le_gq_dung_han_ty_le_nhap_sai", "nhan_su_can_doi"}
    assert by_rule["ty_le_gq_dung_han_ty_le_nhap_sai"].importance == "error"
    assert "99,98%" in by_rule["ty_le_gq_dung_han_ty_le_nhap_sai"].message
    assert "99,95%" in by_rule["ty_le_gq_dung_han_ty_le_nhap_sai"].message
    staff = by_rule["nhan_su_can_doi"]
    assert staff.importance == "error" and staff.gap == -2 and "41" in staff.message and "43" in staff.message
    assert compute_ratios(data)["ty_le_gq_dung_han"].formatted == "99,95%"
    assert len(staff.cells) == 5


def test_001_consistent_report_has_no_findings(tmp_path):
    path = filled_workbook(tmp_path, R001, unit=Unit("10525", "Phường Trần Hưng Đạo", "phuong", "288", "QD124_2004"),
                           period="N-2023")
    data, findings = _findings(path)
    assert findings == []
    ratios = compute_ratios(data)
    assert ratios["ty_le_gq_dung_han"].formatted == "100%"
    assert ratios["ty_le_truc_tuyen"].formatted == "99,15%"
    assert ratios["ty_le_hai_long"].formatted == "100%"


def test_000_future_document_date_and_budget_ratio(tmp_path):
    path = filled_workbook(tmp_path, R000, unit=Unit("18085", "Phường Hà Huy Tập", "phuong", "436", "QD124_2004"),
                           period="6T-2022")
    data, findings = _findings(path)
    rules = sorted(f.rule for f in findings)
    assert rules == ["van_ban_ngay_ngoai_ky", "van_ban_ngay_sau_ngay_bao_cao"]
    late = next(f for f in findings if f.rule == "van_ban_ngay_sau_ngay_bao_cao")
    assert late.importance == "error" and "225/QĐ-UBND" in late.message and "31/12/2022" in late.message
    assert compute_ratios(data)["ty_le_thu_ns"].formatted == "42,24%"


def test_share_above_100_and_typed_percent_out_of_range(tmp_path, definition):
    path = filled_workbook(tmp_path, {"values": {"pakn_tiep_nhan": 3, "pakn_da_xu_ly": 4}})
    pos = compute_layout(definition).fields["van_ban_dien_tu_ty_le"]
    wb = openpyxl.load_workbook(path)
    wb[pos.sheet][pos.ref].value = 1.01  # "đạt trên 100%" (002-43)
    wb.save(path)
    _data, findings = _findings(path)
    rules = {f.rule: f for f in findings}
    assert rules["ty_le_pakn_xu_ly_tren_100"].importance == "error"
    assert rules["pakn_xu_ly_le_tiep_nhan"].importance == "error"
    assert rules["value_out_of_bounds"].fields == ["van_ban_dien_tu_ty_le"]


def test_missing_input_is_its_own_finding(tmp_path):
    values = dict(R001["values"])
    del values["tthc_ky_truoc"]
    path = filled_workbook(tmp_path, {"values": values})
    data = read_workbook(path)
    findings = validate(data)
    missing = [f for f in findings if f.rule == "required" and f.fields == ["tthc_ky_truoc"]]
    assert len(missing) == 1 and missing[0].importance == "error"
    # the identity that needs the missing value is skipped, not reported as failing
    assert not [f for f in findings if f.rule == "tthc_tiep_nhan_can_doi"]


def test_table_rows_balance_and_column_sums(tmp_path):
    payload = {"values": {"tthc_tiep_nhan_tong": 30, "tthc_da_gq_tong": 20, "tthc_dang_gq_tong": 5},
               "tables": {"bieu_06a": [
                   {"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 10, "truc_tuyen": 7, "truc_tiep": 2, "ky_truoc": 0,
                    "da_gq_tong": 8, "truoc_han": 8, "dung_han": 0, "qua_han": 0, "dang_gq_tong": 2, "trong_han": 2,
                    "dang_qua_han": 0, "cho_bo_sung": 0, "tra_lai": 0},
                   {"linh_vuc": "Đất đai", "tiep_nhan_tong": 20, "truc_tuyen": 10, "truc_tiep": 10, "ky_truoc": 0,
                    "da_gq_tong": 12, "truoc_han": 10, "dung_han": 2, "qua_han": 0, "dang_gq_tong": 3, "trong_han": 3,
                    "dang_qua_han": 0, "cho_bo_sung": 1, "tra_lai": 0}]}}
    path = filled_workbook(tmp_path, payload)
    _data, findings = _findings(path)
    row = [f for f in findings if f.rule == "bieu_06a_dong_can_doi"]
    assert len(row) == 1 and "Đất đai" in row[0].message and row[0].cells[0].startswith("Biểu 06a!")
    assert not [f for f in findings if f.rule.startswith("bieu_06a_tong")]


def test_cli_validate_json_shape_and_exit_codes(tmp_path):
    bad = filled_workbook(tmp_path, R003, name="r003.xlsx")
    good = filled_workbook(tmp_path, {"values": R001["values"]}, name="r001.xlsx")
    r = run_cli("validate", str(bad), str(good), "--json")
    assert r.returncode == 1
    import json

    payload = json.loads(r.stdout)
    assert [p["file"] for p in payload] == [str(bad), str(good)]
    f = payload[0]["findings"][0]
    assert set(f) >= {"rule", "importance", "fields", "cells", "message", "values"}
    assert payload[0]["error"] is None
    r = run_cli("ratios", str(bad), "--json")
    out = json.loads(r.stdout)
    assert out["ratios"]["ty_le_gq_dung_han"] == 99.95 and out["formatted"]["ty_le_gq_dung_han"] == "99,95%"
    # 003 states nothing on feedback: no value, "chưa có số liệu" (never 0%, never "không phát sinh")
    assert out["ratios"]["ty_le_pakn_xu_ly"] is None and out["formatted"]["ty_le_pakn_xu_ly"] == "chưa có số liệu"
    r = run_cli("ratios", str(good), "--json")
    out = json.loads(r.stdout)  # 001: none received (0/0): "không phát sinh"
    assert out["ratios"]["ty_le_pakn_xu_ly"] is None and out["formatted"]["ty_le_pakn_xu_ly"] == "không phát sinh"
    text = tmp_path / "text.xlsx"
    text.write_text("không phải sổ tính", encoding="utf-8")
    r = run_cli("validate", str(good), str(text), "--json")
    assert r.returncode == 2 and json.loads(r.stdout)[1]["error"]


def test_typed_ratio_judged_at_its_own_precision(tmp_path, definition):
    """42 % typed for 42,24 % agrees; 99,7 % for 99,76 % is a cut, not a rounding (warning); 100 %
    typed for 99,99 % is wrong (error). The typed cells hold what Excel stores: float fractions."""
    values = {"thu_ns_thuc_hien": 1.845655, "thu_ns_ke_hoach": 4.369,  # 000: 42,24 %
              "tthc_da_gq_tong": 1250, "tthc_da_gq_truoc_han": 1247, "tthc_da_gq_dung_han": 0,
              "tthc_da_gq_qua_han": 3,  # 99,76 %
              "kh_cchc_nhiem_vu_tong": 10000, "kh_cchc_nhiem_vu_hoan_thanh": 9999}  # 99,99 %
    path = filled_workbook(tmp_path, {"values": values})
    layout = compute_layout(definition)

    def judged(typed: dict) -> dict:
        wb = openpyxl.load_workbook(path)
        for code, fraction in typed.items():
            pos = layout.fields[code]
            wb[pos.sheet][pos.ref].value = fraction
        out = tmp_path / f"typed-{len(list(tmp_path.iterdir()))}.xlsx"
        wb.save(out)
        return {f.rule: f for f in _findings(out)[1] if "_ty_le_" in f.rule or "_sai_so_" in f.rule}

    agreeing = judged({"thu_ns_ty_le_bao_cao": 0.42, "tthc_ty_le_dung_han_phan_mem": 0.998,
                       "kh_cchc_ty_le_bao_cao": 0.9999})
    assert agreeing == {}
    # 0.4224 is stored as a float; its shortest form gives two decimals: 42,24 % agrees
    assert judged({"thu_ns_ty_le_bao_cao": 0.4224}) == {}
    found = judged({"thu_ns_ty_le_bao_cao": 0.4225, "tthc_ty_le_dung_han_phan_mem": 0.997,
                    "kh_cchc_ty_le_bao_cao": 1.0})
    cut = found.pop("ty_le_gq_dung_han_sai_so_lam_tron")
    assert cut.importance == "warning" and "99,7%" in cut.message and "99,8%" in cut.message
    hundred = found.pop("ty_le_kh_cchc_ty_le_nhap_sai")
    assert hundred.importance == "error" and "100%" in hundred.message and "99,99%" in hundred.message
    wrong = found.pop("ty_le_thu_ns_ty_le_nhap_sai")
    assert wrong.importance == "error" and "42,25%" in wrong.message
    assert found == {}


def test_typed_verdict_rules():
    from xl_addin.rules.engine import typed_places, typed_verdict

    D = Decimal
    assert typed_places(D("42")) == 0 and typed_places(D("42.240")) == 2 and typed_places(D("30.000000000000004")) == 4
    assert typed_verdict(D("42"), D("1.845655"), D("4.369"))[0] == "agrees"
    assert typed_verdict(D("42.2"), D("1.845655"), D("4.369"))[0] == "agrees"
    assert typed_verdict(D("99.7"), D("1247"), D("1250"))[0] == "truncated"
    assert typed_verdict(D("26.66"), D("16"), D("60"))[0] == "truncated"  # 002: 26,66 for 26,67
    assert typed_verdict(D("99.98"), D("1904"), D("1905"))[0] == "wrong"  # 003
    assert typed_verdict(D("100"), D("9999"), D("10000"))[0] == "wrong"
    assert typed_verdict(D("100"), D("5"), D("5"))[0] == "agrees"
    assert typed_verdict(D("0"), D("0"), D("5"))[0] == "agrees"
    assert typed_verdict(D("0"), D("3"), D("1000"))[0] == "truncated"  # 0,3 %: cut, never "agrees"
    assert typed_verdict(D("1"), D("1"), D("200"))[0] == "agrees"  # 0,5 % rounds half up to 1 %


def test_document_register_checks_across_rows_and_against_the_period(tmp_path):
    """001's register as a clerk would copy it: 08/KH-UBND of 22/02/2023 is cited several times in
    the report (listed twice: an error naming both rows); 70/KH-UBND exists in 2022 (the ward's) and
    in 2023 (the city's) — numbers start again each year, so that is no duplicate; the 2021 công
    văn cited as a basis is dated before the period (a warning)."""
    docs = [("62/KH-UBND", "2022-12-24", "ke_hoach", "Thực hiện CCHC giai đoạn 2021 - 2025 trên địa bàn phường"),
            ("70/KH-UBND", "2022-12-30", "ke_hoach", "Tuyên truyền công tác CCHC năm 2023"),
            ("08/KH-UBND", "2023-02-22", "ke_hoach", "Xây dựng, kiểm tra, xử lý, rà soát văn bản QPPL"),
            ("70/KH-UBND", "2023-03-01", "ke_hoach", "Rà soát, hệ thống hóa văn bản QPPL kỳ 2019 - 2023"),
            ("08/KH-UBND", "2023-02-22", "ke_hoach", "Công tác xây dựng, kiểm tra văn bản QPPL năm 2023"),
            ("2937/UBND-NV", "2021-11-30", "cong_van", "Xây dựng kế hoạch CCHC giai đoạn 2021 – 2025")]
    payload = {"values": {**R001["values"], "ngay_bao_cao": "2023-12-15"},
               "lists": {"van_ban": [{"so_ky_hieu": a, "ngay": b, "loai": c, "trich_yeu": d} for a, b, c, d in docs]}}
    path = filled_workbook(tmp_path, payload, unit=Unit("10525", "Phường Trần Hưng Đạo", "phuong", "288", "QD124_2004"),
                           period="N-2023")
    data, findings = _findings(path)
    assert sorted(f.rule for f in findings) == ["van_ban_trung_so", "van_ban_truoc_ky"]
    dup = next(f for f in findings if f.rule == "van_ban_trung_so")
    block = compute_layout(data.definition).lists["van_ban"]
    rows = [block.first_row + 2, block.first_row + 4]
    assert dup.importance == "error" and "08/KH-UBND" in dup.message
    assert dup.cells == [f"Văn bản!B{r}" for r in rows] and all(str(r) in dup.message for r in rows)
    before = next(f for f in findings if f.rule == "van_ban_truoc_ky")
    assert before.importance == "warning" and "2937/UBND-NV" in before.message and "15/12/2022" in before.message


def test_report_signed_before_the_window_closes_is_a_warning(tmp_path):
    """004 is dated 03/6/2022 for the six months to 14/6/2022: its figures can only be estimates."""
    path = filled_workbook(tmp_path, {"values": {"ngay_bao_cao": "2022-06-03"}},
                           unit=Unit("18085", "Phường Hà Huy Tập", "phuong", "436", "QD124_2004"), period="6T-2022")
    _data, findings = _findings(path)
    [early] = [f for f in findings if f.rule == "ngay_bao_cao_truoc_cuoi_ky"]
    assert early.importance == "warning"
    assert "03/06/2022" in early.message and "14/06/2022" in early.message and "11 ngày" in early.message
    on_time = filled_workbook(tmp_path, {"values": {"ngay_bao_cao": "2022-06-14"}}, name="on-time.xlsx",
                              unit=Unit("18085", "Phường Hà Huy Tập", "phuong", "436", "QD124_2004"), period="6T-2022")
    assert not [f for f in _findings(on_time)[1] if f.rule == "ngay_bao_cao_truoc_cuoi_ky"]


def test_amounts_in_a_rule_finding_are_told_in_the_unit_the_workbook_types(tmp_path):
    """A commune types money in đồng, a district in tỷ đồng (don_vi_tien): a rule between two
    amounts tells them, and the gap, as the clerk typed them, with the unit."""
    payload = {"values": {"giai_ngan_thuc_hien": 10, "giai_ngan_ke_hoach": 2}}  # tỷ đồng: 10 > 3 × 2
    commune = read_workbook(filled_workbook(tmp_path, payload, name="xa.xlsx"))
    [found] = [f for f in validate(commune) if f.rule == "giai_ngan_qua_300"]
    assert "10.000.000.000 đồng" in found.message and "6.000.000.000 đồng" in found.message, found.message
    assert "4.000.000.000 đồng" in found.message, found.message  # the gap
    district = read_workbook(filled_workbook(tmp_path, payload, name="huyen.xlsx", period="6T-2025",
                                             unit=Unit("436", "Huyện Thử", "huyen", "42", "")))
    [found] = [f for f in validate(district) if f.rule == "giai_ngan_qua_300"]
    assert "10 tỷ đồng" in found.message and "6 tỷ đồng" in found.message and "4 tỷ đồng" in found.message, \
        found.message
