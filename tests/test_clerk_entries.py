"""What the clerk types (issue 13): amounts as the unit states them, the current indicators,
required per level, the written part of each section, a ratio never built on an empty part.

The first tests are the defects found by trying the tool on the example reports, each as it was
seen: a ward's đồng refused, triệu accepted ×1000, 1,845655 shown as 1,846, 0 % online from a
total typed as 0 online, a ward asked for a district's numbers, no place for the written part."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from xl_addin.definition import money
from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.narrative import build_report, render_text
from xl_addin.rules.engine import validate
from xl_addin.rules.ratios import compute_ratios
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook, run_cli

WARD = Unit("18085", "Phường Hà Huy Tập", "phuong", "436", "QD124_2004")
DISTRICT = Unit("440", "Huyện Đức Thọ", "huyen", "42", "QD124_2004")


def _blank(tmp_path, unit=WARD, period="6T-2022", name="blank"):
    definition = load_definition()
    [built] = build_unit_workbooks(definition, [unit], parse_period(period, definition), tmp_path / name)
    return definition, built.path


def _typed(path, out, cells: dict):
    """Values typed into cells as Excel stores them (a number typed is a double)."""
    layout = compute_layout(load_definition())
    wb = openpyxl.load_workbook(path)
    for code, value in cells.items():
        pos = layout.fields[code]
        wb[pos.sheet][pos.ref].value = value
    wb.save(out)
    return out


# --------------------------------------------------------------------------- the defects
def test_a_ward_types_dong_as_its_reports_state_it_and_reads_back_ty_dong_exactly(tmp_path):
    """000: «1.845.655.000 đồng/4.369.000.000 đồng» typed as the ward writes it. The template let
    no amount above 10.000.000 (tỷ) in, so 1845655000 was refused; now the ward's workbook types
    đồng and the value read is the contract's tỷ đồng, exactly."""
    definition, blank = _blank(tmp_path)
    layout = compute_layout(definition)
    wb = openpyxl.load_workbook(blank)
    unit = layout.fields["don_vi_tien"]
    assert wb[unit.sheet][unit.ref].value == "đồng"  # a ward's default (data: default per level)
    pos = layout.fields["thu_ns_thuc_hien"]
    [rule] = [dv for dv in wb[pos.sheet].data_validations.dataValidation if pos.ref in str(dv.sqref)]
    assert "don_vi_tien" in rule.formula2  # the upper bound follows the chosen unit, live
    path = _typed(blank, tmp_path / "typed.xlsx", {"thu_ns_thuc_hien": 1845655000.0, "thu_ns_ke_hoach": 4369000000.0})
    data = read_workbook(path)
    assert data.money_unit == "dong"
    assert data.values["thu_ns_thuc_hien"] == Decimal("1.845655")  # exact, never rounded
    assert data.values["thu_ns_ke_hoach"] == Decimal("4.369")
    assert not [p for p in data.problems if p.field in ("thu_ns_thuc_hien", "thu_ns_ke_hoach")]
    assert compute_ratios(data)["ty_le_thu_ns"].formatted == "42,24%"
    out = json.loads(run_cli("read", str(path), "--json").stdout)
    assert out["values"]["thu_ns_thuc_hien"] == 1.845655 and out["values"]["don_vi_tien"] == "dong"
    assert "1.845.655.000 đồng/4.369.000.000 đồng" in render_text(build_report(data))


def test_an_amount_typed_in_trieu_for_a_ward_is_flagged_not_accepted_x1000(tmp_path):
    """1.845.655.000 đồng typed as 1845,655 (triệu) in a workbook that types tỷ đồng: 1.845,655 tỷ
    passed the district-tuned bound (5.000 tỷ) silently; the ward's own bound catches it."""
    _definition, blank = _blank(tmp_path)
    path = _typed(blank, tmp_path / "typed.xlsx", {"don_vi_tien": "tỷ đồng", "thu_ns_thuc_hien": 1845.655})
    data = read_workbook(path)
    [p] = [p for p in data.problems if p.field == "thu_ns_thuc_hien"]
    assert p.code == "value_implausible"
    assert "1.845,655 tỷ đồng" in p.message and "quá 1.000" in p.message  # the ward's bound, in the workbook's unit
    # the same amount is plausible for a district
    _definition, district = _blank(tmp_path, DISTRICT, "6T-2023", "district")
    path = _typed(district, tmp_path / "district.xlsx", {"thu_ns_thuc_hien": 1845.655})
    assert not [p for p in read_workbook(path).problems if p.field == "thu_ns_thuc_hien"]


def test_tỷ_typed_where_the_unit_is_dong_is_flagged(tmp_path):
    """1,845655 typed as tỷ in a ward's đồng workbook reads as 1,845655 đồng: a fraction of a đồng."""
    _definition, blank = _blank(tmp_path)
    path = _typed(blank, tmp_path / "typed.xlsx", {"thu_ns_thuc_hien": 1.845655, "thu_ns_ke_hoach": 4.0})
    problems = {p.field: p for p in read_workbook(path).problems}
    assert problems["thu_ns_thuc_hien"].code == "value_money_unit_suspect"
    assert "phần lẻ" in problems["thu_ns_thuc_hien"].message
    assert problems["thu_ns_ke_hoach"].code == "value_money_unit_suspect"  # 4 đồng: meant 4 tỷ
    assert "dưới 1.000 đồng" in problems["thu_ns_ke_hoach"].message


def test_money_cells_show_full_precision_and_the_amount_in_dong(tmp_path):
    """The cell showed 1,845655 as «1,846» (#,##0.000): the clerk could not check the entry."""
    definition, blank = _blank(tmp_path, DISTRICT, "6T-2023")
    layout = compute_layout(definition)
    wb = openpyxl.load_workbook(blank)
    pos = layout.fields["giai_ngan_thuc_hien"]
    ws = wb[pos.sheet]
    fmt = ws[pos.ref].number_format
    assert fmt.endswith("#,##0.#########") and fmt.startswith("[$-42A]")  # every decimal typed, Vietnamese marks
    echo = ws.cell(row=pos.row, column=pos.col + 1)
    assert echo.value.startswith("=IF(ISNUMBER(" + pos.ref) and "don_vi_tien" in echo.value
    assert echo.number_format.endswith('" đồng"')
    unit = ws.cell(row=pos.row, column=pos.col - 1)
    assert unit.value == '=IF(don_vi_tien="","tỷ đồng",don_vi_tien)'


def test_a_total_of_new_dossiers_without_the_split_gives_no_online_share(tmp_path):
    """Five of eight real reports give only the total of new dossiers: the clerk had to type 0
    online and the report said «Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 0%»."""
    path = filled_workbook(tmp_path, {"values": {
        "tthc_tiep_nhan_tong": 420, "tthc_ky_truoc": 0, "tthc_moi_tong": 420, "tthc_da_gq_tong": 420,
        "tthc_da_gq_dung_va_truoc_han": 420, "tthc_da_gq_qua_han": 0, "tthc_dang_gq_tong": 0,
        "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0, "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0}},
        unit=WARD, period="6T-2022")
    data = read_workbook(path)
    online = compute_ratios(data)["ty_le_truc_tuyen"]
    assert online.value is None and online.formatted == "chưa có số liệu" and online.status == "missing"
    out = json.loads(run_cli("ratios", str(path), "--json").stdout)
    assert out["ratios"]["ty_le_truc_tuyen"] is None and out["formatted"]["ty_le_truc_tuyen"] == "chưa có số liệu"
    assert out["ratios"]["ty_le_gq_dung_han"] == 100  # one number for on time and early is enough
    findings = validate(data)
    assert not [f for f in findings if f.rule in ("tthc_tiep_nhan_can_doi", "tthc_da_gq_can_doi")]
    text = render_text(build_report(data))
    assert "trực tuyến đạt" not in text and not re.search(r"(?<![\d,])0%", text)
    assert "số mới tiếp nhận trong kỳ 420 hồ sơ" in text


def test_online_typed_without_direct_states_no_share_and_no_sum(tmp_path):
    """000: 179 online dossiers and no in-person figure: the share would be 100 % of 179."""
    path = filled_workbook(tmp_path, {"values": {"tthc_tiep_nhan_tong": 420, "tthc_moi_truc_tuyen": 179}},
                           unit=WARD, period="6T-2022")
    data = read_workbook(path)
    assert compute_ratios(data)["ty_le_truc_tuyen"].formatted == "chưa có số liệu"
    text = render_text(build_report(data))
    assert "trực tuyến đạt" not in text and "số mới tiếp nhận trực tuyến 179 hồ sơ" in text


def test_a_ward_is_not_asked_for_a_districts_numbers(tmp_path):
    """Each ward example lacks the plan's task counts, the tasks from above, the legal documents
    and the staffing quota; clerks typed 0 and the report then said «không phát sinh nhiệm vụ cấp
    trên giao». Required sets are per level now."""
    ward = read_workbook(filled_workbook(tmp_path, {"values": {}}, unit=WARD, period="6T-2022", name="ward.xlsx"))
    district = read_workbook(filled_workbook(tmp_path, {"values": {}}, unit=DISTRICT, period="6T-2023",
                                             name="district.xlsx"))
    district_only = {"kh_cchc_nhiem_vu_tong", "kh_cchc_nhiem_vu_hoan_thanh", "nv_cap_tren_giao_tong",
                     "nv_cap_tren_dung_han", "nv_cap_tren_qua_han", "vbqppl_ban_hanh", "vbqppl_ra_soat",
                     "bien_che_giao", "bien_che_co_mat"}
    asked = {f.fields[0] for f in validate(ward) if f.rule == "required"}
    assert not asked & district_only and {"tthc_tiep_nhan_tong", "tthc_cong_khai"} <= asked
    asked = {f.fields[0] for f in validate(district) if f.rule == "required"}
    assert district_only <= asked
    assert "không phát sinh nhiệm vụ cấp trên giao" not in render_text(build_report(ward))
    fields = json.loads(run_cli("fields", "--json").stdout)["fields"]
    by_code = {f["code"]: f for f in fields}
    assert by_code["nv_cap_tren_giao_tong"]["required"] is False
    assert by_code["nv_cap_tren_giao_tong"]["required_levels"] == ["huyen", "tinh"]
    assert by_code["tthc_tiep_nhan_tong"]["required"] is True


def test_every_indicator_the_issue_names_is_a_field_or_a_ratio():
    definition = load_definition()
    named = ["tthc_moi_tong", "tthc_toan_trinh", "tthc_mot_phan", "tthc_thanh_toan_truc_tuyen", "tthc_tra_kq_bcci",
             "tthc_ket_qua_dien_tu", "tthc_phi_dia_gioi", "tthc_da_gq_dung_va_truoc_han", "tiep_cong_dan_luot",
             "don_thu_tiep_nhan", "don_thu_da_gq", "vien_chuc_giao", "vien_chuc_co_mat", "kinh_phi_cchc", "don_vi_tien"]
    fields = definition.field_map()
    assert set(named) <= set(fields)
    assert {"ty_le_toan_trinh", "ty_le_thanh_toan_truc_tuyen", "ty_le_tra_kq_bcci", "ty_le_don_thu_da_gq"} <= set(
        definition.ratio_map())
    assert fields["kinh_phi_cchc"].type == "money" and fields["don_vi_tien"].aggregate == "none"
    texts = ["noi_dung_i_1", "noi_dung_i_2", "noi_dung_i_3", "noi_dung_i_4", "noi_dung_i_5", "noi_dung_i_6",
             "noi_dung_ii_1", "noi_dung_ii_2", "noi_dung_ii_3", "noi_dung_ii_4", "noi_dung_ii_5", "noi_dung_ii_6_1",
             "noi_dung_ii_6_2"]
    assert [f.code for f in definition.fields() if f.code.startswith("noi_dung_")] == texts
    assert all(fields[c].aggregate == "none" and fields[c].max_length == 32767 for c in texts)
    ha_tinh = load_definition(profile="ha-tinh").field_map()
    assert {"noi_dung_ii_7", "noi_dung_ii_8", "noi_dung_ii_9", "noi_dung_ii_10"} <= set(ha_tinh)


# --------------------------------------------------------------------------- money, exactly
@pytest.mark.parametrize("unit, typed", [("dong", Decimal("1845655000")), ("trieu_dong", Decimal("1845.655")),
                                         ("ty_dong", Decimal("1.845655"))])
def test_money_converts_exactly_both_ways(unit, typed):
    definition = load_definition()
    f = definition.field_map()["thu_ns_thuc_hien"]
    assert money.to_contract(definition, f, typed, unit) == Decimal("1.845655")
    assert money.to_workbook(definition, f, Decimal("1.845655"), unit) == typed
    shown = money.in_workbook_unit(definition, f, Decimal("1.845655"), unit)
    assert shown.value == typed
    # a bound (contract unit) scaled into the workbook's unit, for live checks and messages
    bound = money.in_workbook_unit(definition, f, f.plausible_bound("phuong"), unit)
    assert bound.value == Decimal(1000) * Decimal(10) ** {"dong": 9, "trieu_dong": 3, "ty_dong": 0}[unit]
    assert money.in_workbook_unit(definition, f, 5, None).text == "5 tỷ đồng"  # no choice: tỷ đồng


def test_fill_takes_amounts_in_ty_dong_and_writes_them_in_the_workbooks_unit(tmp_path):
    definition, blank = _blank(tmp_path)
    layout = compute_layout(definition)
    from xl_addin.workbook.fill import fill_workbook

    out = tmp_path / "trieu.xlsx"
    fill_workbook(blank, {"values": {"thu_ns_thuc_hien": 1.845655, "don_vi_tien": "trieu_dong"}}, out)
    pos = layout.fields["thu_ns_thuc_hien"]
    assert openpyxl.load_workbook(out)[pos.sheet][pos.ref].value == 1845.655  # the unit applied first
    assert read_workbook(out).values["thu_ns_thuc_hien"] == Decimal("1.845655")


def test_bounds_are_per_level_through_the_one_accessor():
    f = load_definition().field_map()["tthc_tiep_nhan_tong"]
    assert f.plausible_bound("phuong") == 100000 and f.plausible_bound("huyen") == 500000
    assert f.plausible_bound("tinh") == 5000000 and f.plausible_bound(None) == 5000000
    money_field = load_definition().field_map()["thu_ns_thuc_hien"]
    assert money_field.max_bound("xa") == 100000 and money_field.max_bound("so") == 10000000


# --------------------------------------------------------------------------- zero, empty, new fields
def test_a_typed_zero_is_told_as_zero_and_an_empty_number_left_out(tmp_path):
    path = filled_workbook(tmp_path, {"values": {"tthc_tra_kq_bcci": 0, "tthc_da_gq_tong": 10, "to_hoa_giai": 0}},
                           unit=WARD, period="6T-2022")
    text = render_text(build_report(path))
    assert "Trả kết quả qua dịch vụ bưu chính công ích: trong kỳ không có hồ sơ" in text
    assert "Số tổ hòa giải ở cơ sở: không có" in text
    assert "thanh toán phí, lệ phí trực tuyến" not in text  # left empty: not told


def test_every_new_field_filled_is_found_in_the_report_text(tmp_path):
    """Every input field added in 1.1 (indicators, texts, the money unit), each with its own
    value, appears in the report: through its section's phrases or the generic sentence."""
    definition = load_definition()
    values: dict[str, object] = {}
    expected: dict[str, str] = {}
    typed_by = {r.typed: r for r in definition.ratios if r.typed}
    n = 0
    for f in definition.fields():
        if f.since != "1.1" or not f.is_input:
            continue
        n += 1
        if f.type == "long_text":
            values[f.code] = expected[f.code] = f"Phần viết số {n} của mục {f.section}."
        elif f.type == "choice":  # the money unit: tỷ đồng; a qualifier or a status: its first option
            values[f.code] = "ty_dong" if f.code == definition.money.field else \
                definition.choice_list(f.choices).options[0].code
        elif f.type == "percent":
            values[f.code] = 10 + n / 4
            expected[f.code] = f"{Decimal(str(10 + n / 4)).normalize():f}".replace(".", ",") + "%"
        elif f.type == "money":
            values[f.code] = 1000 + n  # tỷ đồng, kept as typed (the workbook types tỷ đồng)
            expected[f.code] = f"1.{n:03d} tỷ đồng"
        elif f.unit and "đồng" in f.unit:
            values[f.code] = 200000 + n * 1000
            expected[f.code] = f"{200 + n}.000 đồng"
        else:
            values[f.code] = 100 + n
            expected[f.code] = str(100 + n)
    for code, ratio in typed_by.items():
        if code in expected and ratio.numerator in values and ratio.denominator in values:
            # a typed ratio whose parts are there: the report tells the ratio computed from them
            share = Decimal(values[ratio.numerator]) * 100 / Decimal(values[ratio.denominator])
            shown = share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
            expected[code] = f"{shown:f}".replace(".", ",") + "%"
    path = filled_workbook(tmp_path, {"values": values}, unit=DISTRICT, period="6T-2023")
    report = build_report(path)
    body = "\n".join(b.text for b in report.body)
    missing = {code: text for code, text in expected.items() if text not in body}
    assert not missing, missing
    assert len(expected) > 60


# --------------------------------------------------------------------------- the written part
def test_build_previous_carries_section_texts_as_marked_drafts(tmp_path):
    """Last period's texts come in as drafts: the text unchanged, a fill and a note on the cell,
    its digest in _meta; validation says which are still unchanged, and stops once rewritten."""
    definition = load_definition()
    before = filled_workbook(tmp_path, {"values": {
        "noi_dung_i_1": "Ban hành Kế hoạch CCHC năm 2026.\nTổ chức hội nghị triển khai.",
        "noi_dung_ii_6_2": "Duy trì hệ thống quản lý chất lượng.", "don_vi_tien": "trieu_dong",
        "tthc_dang_gq_tong": 7}}, period="6T-2026", name="6T-2026.xlsx")
    previous = tmp_path / "ky-truoc"
    previous.mkdir()
    before.rename(previous / before.name)
    unit = Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025")
    [result] = build_unit_workbooks(definition, [unit], parse_period("N-2026", definition), tmp_path / "moi",
                                    previous_dir=previous)
    assert result.carried and result.texts == 2
    layout = compute_layout(definition)
    wb = openpyxl.load_workbook(result.path)
    pos = layout.fields["noi_dung_i_1"]
    cell = wb[pos.sheet][pos.ref]
    assert cell.value == "Ban hành Kế hoạch CCHC năm 2026.\nTổ chức hội nghị triển khai."  # the text itself unchanged
    assert cell.fill.fgColor.rgb.endswith("FCE4D6") and "kỳ trước (6T-2026)" in cell.comment.text
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}
    assert set(json.loads(meta["carried_texts"])) == {"noi_dung_i_1", "noi_dung_ii_6_2"}
    unit_cell = layout.fields["don_vi_tien"]
    assert wb[unit_cell.sheet][unit_cell.ref].value == "triệu đồng"  # the unit chosen stays chosen
    empty_rows = [pos.row for code, pos in layout.fields.items() if code.startswith("noi_dung") and code not in
                  ("noi_dung_i_1", "noi_dung_ii_6_2")]
    assert wb[pos.sheet].row_dimensions[pos.row].height > wb[pos.sheet].row_dimensions[empty_rows[0]].height
    data = read_workbook(result.path)
    assert data.values["tthc_ky_truoc"] == 7 and not [p for p in data.problems if p.code.startswith("tamper")]
    unchanged = [f for f in validate(data) if f.rule == "noi_dung_chua_sua"]
    assert [f.fields for f in unchanged] == [["noi_dung_i_1"], ["noi_dung_ii_6_2"]]
    assert {f.importance for f in unchanged} == {"info"} and "Nội dung!" in unchanged[0].cells[0]
    # rewritten: no more notice for that text
    from xl_addin.workbook.fill import fill_workbook

    out = tmp_path / "da-sua.xlsx"
    fill_workbook(result.path, {"values": {"noi_dung_i_1": "Ban hành Kế hoạch CCHC năm 2027."}}, out)
    assert [f.fields for f in validate(read_workbook(out)) if f.rule == "noi_dung_chua_sua"] == [["noi_dung_ii_6_2"]]
    r = run_cli("build", "--units", str(_units_csv(tmp_path)), "--period", "N-2026", "--out", str(tmp_path / "cli"),
                "--previous", str(previous))
    assert r.returncode == 0 and "Đã chép 2 phần viết của 1 đơn vị" in r.stdout


def _units_csv(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name,level,parent_code,code_list\n18073,Phường Thành Sen,phuong,42,QD19_2025\n",
                    encoding="utf-8")
    return path


def test_section_texts_are_woven_after_the_sentences_as_typed(tmp_path):
    path = filled_workbook(tmp_path, {"values": {
        "kiem_tra_so_cuoc": 2,
        "noi_dung_i_3": "Đoàn kiểm tra làm việc tại 4 tổ dân phố.\n\n  Kết thúc đợt 1 vào tháng 5.  "}},
        unit=WARD, period="6T-2022")
    report = build_report(path)
    blocks = [b for b in report.body if b.section == "I.3"]
    assert [b.kind for b in blocks] == ["heading", "paragraph", "paragraph", "paragraph"]
    assert blocks[1].text.startswith("Trong 6 tháng đầu năm 2022")  # the generated sentence first
    assert [b.text for b in blocks[2:]] == ["Đoàn kiểm tra làm việc tại 4 tổ dân phố.", "Kết thúc đợt 1 vào tháng 5."]
    # a text is a text: never a template, never a heading or a list marker of the writer
    path = filled_workbook(tmp_path, {"values": {"noi_dung_i_4": "{{ 7*7 }} # không phải tiêu đề"}},
                           unit=WARD, period="6T-2022", name="raw.xlsx")
    blocks = [b for b in build_report(path).body if b.section == "I.4"]
    assert blocks[-1].text == "{{ 7*7 }} # không phải tiêu đề" and blocks[-1].kind == "paragraph"
