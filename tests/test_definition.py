"""The report definition: contract codes, validation of malformed definitions, the grammar."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from xl_addin.definition import expr
from xl_addin.definition.loader import definition_dir, load_definition_from
from xl_addin.errors import CchcError

CONTRACT = """don_vi_ten don_vi_ma don_vi_cap co_quan_chu_quan ky_bao_cao nam tu_ngay den_ngay so_ky_hieu dia_danh
ngay_bao_cao nguoi_ky chuc_vu_ky tham_quyen_ky kinh_gui kh_cchc_nhiem_vu_tong kh_cchc_nhiem_vu_hoan_thanh
nv_cap_tren_giao_tong nv_cap_tren_dung_han nv_cap_tren_qua_han kiem_tra_so_don_vi tuyen_truyen_tin_bai
vbqppl_ban_hanh vbqppl_ra_soat gop_y_du_thao tthc_cong_khai tthc_ky_truoc tthc_moi_truc_tuyen tthc_moi_truc_tiep
tthc_tiep_nhan_tong tthc_da_gq_truoc_han tthc_da_gq_dung_han tthc_da_gq_qua_han tthc_da_gq_tong
tthc_dang_gq_trong_han tthc_dang_gq_qua_han tthc_dang_gq_tong tthc_cho_bo_sung tthc_tra_lai pakn_tiep_nhan
pakn_da_xu_ly hai_long_rat hai_long_hai_long hai_long_binh_thuong hai_long_khong hai_long_tong dvctt_toan_trinh
dvctt_mot_phan so_hoa_ho_so bien_che_giao bien_che_co_mat nhan_su_tong nhan_su_cbcc nhan_su_kct_xa
nhan_su_kct_thon nhan_su_hop_dong thu_ns_thuc_hien thu_ns_ke_hoach giai_ngan_thuc_hien giai_ngan_ke_hoach""".split()
HA_TINH = ["dn_thanh_lap_moi", "dn_ke_hoach", "dn_dong_gop_ns", "dn_dong_gop_ns_ke_hoach"]
PRINTED_TOTALS = ["tthc_tiep_nhan_tong", "tthc_da_gq_tong", "tthc_dang_gq_tong", "hai_long_tong",
                  "nv_cap_tren_giao_tong", "nhan_su_tong"]


def test_contract_codes_exist(definition):
    fields = definition.field_map()
    assert sorted(set(CONTRACT) - set(fields)) == []
    # totals the official forms print stay input cells, so a mismatch with their parts can be caught
    assert all(fields[c].is_input for c in PRINTED_TOTALS)


def test_sections_follow_outline(definition):
    top = [s.code for s in definition.sections if s.outline]
    assert top == ["I", "II", "III", "IV", "V"]
    assert [c.code for c in definition.sections[2].children][:6] == ["II.1", "II.2", "II.3", "II.4", "II.5", "II.6"]


def test_ha_tinh_profile_adds_items_7_to_10():
    from xl_addin.definition.loader import load_definition

    d = load_definition(profile="ha-tinh")
    ii = next(s for s in d.sections if s.code == "II")
    assert [c.code for c in ii.children][-4:] == ["II.7", "II.8", "II.9", "II.10"]
    assert set(HA_TINH) <= set(d.field_map())


def test_every_field_declares_type_unit_and_aggregation(definition):
    for f in definition.fields():
        if f.type in ("integer", "decimal", "percent", "money"):
            assert f.unit, f.code
        assert f.aggregate in ("sum", "same", "max", "list", "none")
        assert f.label == __import__("unicodedata").normalize("NFC", f.label)


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "cchc"
    shutil.copytree(definition_dir(), target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize("file,old,new,expect", [
    ("sections.yaml", "{code: tthc_tra_lai, label:", "{code: tthc_tra_lai, lable:", "lable"),
    ("sections.yaml", "code: tthc_cho_bo_sung, label: \"Số hồ sơ chờ bổ sung\", type: integer",
     "code: tthc_cho_bo_sung, label: \"Số hồ sơ chờ bổ sung\", type: integr", "integr"),
    ("sections.yaml", "formula: \"tthc_dang_gq_trong_han + tthc_dang_gq_qua_han\"",
     "formula: \"tthc_dang_gq_trong_han + khong_co\"", "khong_co"),
    ("sections.yaml", "{code: nhan_su_cbcc,", "{code: A1,", "A1"),
    ("sections.yaml", "{code: ky_luat,", "{code: bo_nhiem,", "bo_nhiem"),
    ("tables.yaml", "formula: \"quy_1 + quy_2 + quy_3 + quy_4\"", "formula: \"quy_1 + quy_9\"", "quy_9"),
])
def test_malformed_definition_names_file_line_and_field(tmp_path, file, old, new, expect):
    folder = _broken_copy(tmp_path, file, old, new)
    with pytest.raises(CchcError) as info:
        load_definition_from(folder)
    message = info.value.message
    assert info.value.code == "definition_invalid"
    assert expect in message
    assert "dòng" in message
    if expect not in ("bo_nhiem",):  # duplicates are found across the whole definition
        assert file in message


def test_yaml_syntax_error_names_line(tmp_path):
    folder = _broken_copy(tmp_path, "lists.yaml", "  - code: uu_diem\n", "  - code: uu_diem\n   bad: [\n")
    with pytest.raises(CchcError) as info:
        load_definition_from(folder)
    assert info.value.code == "definition_yaml"
    assert "lists.yaml" in info.value.message


def test_grammar_evaluates_in_decimal_with_spreadsheet_blanks():
    node = expr.parse("a + b - (c * 2) / d")
    assert expr.evaluate(node, expr.Env({"a": 1, "b": 2.5, "c": 3, "d": 4})) == Decimal("2.0")
    assert expr.evaluate(expr.parse("a + b"), expr.Env({"a": None, "b": 4})) == 4
    assert expr.evaluate(expr.parse("a + b"), expr.Env({})) is None
    assert expr.evaluate(expr.parse("a / b"), expr.Env({"a": 1, "b": 0})) is None
    env = expr.Env({}, columns={("t", "x"): [1, None, 2]}, list_counts={"l": 3})
    assert expr.evaluate(expr.parse("sum(t.x) + count(l)"), env) == 6


def test_grammar_translates_to_excel():
    node = expr.parse("a - (b + c) / 2")
    text = expr.to_excel(node, column_range=lambda t, c: f"INDEX({t},0,1)", list_range=lambda name: name)
    assert text == 'a-IF(N(2)=0,"",(b+c)/2)'
    assert expr.to_excel(expr.parse("sum(t.x)"), column_range=lambda t, c: f"INDEX({t},0,3)",
                         list_range=lambda name: name) == "SUM(INDEX(t,0,3))"


@pytest.mark.parametrize("bad", ["a +", "import os", "__import__('os')", "a.b.c", "sum(a)", "open('x')",
                                 "a if b else c", "'text'", "a ** 2"])
def test_grammar_refuses_anything_else(bad):
    with pytest.raises(expr.ExprError):
        expr.parse(bad)


@pytest.mark.parametrize("new,expect", [
    # a date moved by days: the finding would show day numbers («738.871»), never a date
    ("left: ngay_bao_cao, operator: \">=\", right: \"den_ngay + 3\"", "den_ngay"),
    # a date against a number
    ("left: ngay_bao_cao, operator: \">=\", right: tthc_tiep_nhan_tong", "ngay_bao_cao"),
    # an empty date counted as day 0 («cách 738.868 ngày»)
    ("left: ngay_bao_cao, operator: \">=\", right: den_ngay, missing: never_skip", "never_skip"),
])
def test_a_rule_on_dates_compares_two_dates_as_typed(tmp_path, new, expect):
    """A rule reading a date compares it with another date field, whole, and skips an empty one:
    the definition refuses anything else, naming the rule (the engine tells dates and days only then)."""
    folder = _broken_copy(tmp_path, "rules.yaml", "left: ngay_bao_cao, operator: \">=\", right: den_ngay", new)
    with pytest.raises(CchcError) as info:
        load_definition_from(folder)
    assert info.value.code == "definition_invalid"
    assert "ngay_bao_cao_truoc_cuoi_ky" in info.value.message and expect in info.value.message
