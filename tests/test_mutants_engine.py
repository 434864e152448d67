"""The rule engine, part by part, on a real workbook (issue 19: mutants of ``rules/engine.py``
that survived the suite; see docs/mutants.md).

One commune's half-year report is built from the definition, filled and read back once; each
test then changes what a clerk would change (a figure typed, a document row) in the values read
back, or adds a rule as data — operators, tolerances and pairs the base definition does not use
yet, which a province may add without Python — and checks what the clerk sees: which finding,
how important, naming which cells, with which figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from prebuild import prebuilt
from seed_reports import R001

from xl_addin.definition.models import Rule
from xl_addin.definition.units import Unit
from xl_addin.errors import catalogue
from xl_addin.rules.engine import Finding, summary, validate
from xl_addin.workbook.layout import a1, compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook

D = Decimal


def _filled_001(tmp: Path) -> Path:
    """001 (a ward's 2023 report, consistent), signed, filled into its workbook."""
    signed = {"ngay_bao_cao": "2023-12-15", "so_ky_hieu": "312/BC-UBND", "nguoi_ky": "Nguyễn Văn An",
              "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm", "tthc_cong_khai": 188}
    path = filled_workbook(tmp, {"values": {**R001["values"], **signed},
                                 "tables": {"bieu_06a": [
                                     {"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 1059, "truc_tuyen": 1049, "truc_tiep": 9,
                                      "ky_truoc": 1, "da_gq_tong": 1059, "truoc_han": 1054, "dung_han": 5, "qua_han": 0,
                                      "dang_gq_tong": 0, "trong_han": 0, "dang_qua_han": 0}]},
                                 "lists": {"van_ban": [{"so_ky_hieu": "62/KH-UBND", "ngay": "2023-01-05",
                                                        "loai": "ke_hoach", "trich_yeu": "Thực hiện CCHC năm 2023"}],
                                           "noi_nhan": [{"noi_nhan": "UBND thành phố"}],
                                           "uu_diem": [{"noi_dung": "Bộ phận Một cửa hoạt động nền nếp."}],
                                           "ton_tai": [{"noi_dung": "Số hóa hồ sơ còn chậm."}],
                                           "phuong_huong": [{"noi_dung": "Đẩy mạnh dịch vụ công trực tuyến."}]}},
                           unit=Unit("10525", "Phường Trần Hưng Đạo", "phuong", "288", "QD124_2004"), period="N-2023")
    return path


@prebuilt
def base(tmp: Path):
    """001 (a ward's 2023 report, consistent) as read back from its workbook."""
    data = read_workbook(_filled_001(tmp))
    assert not [f for f in validate(data) if f.importance != "info"], "001 must be clean to start from"
    return data


def _with(data, values: dict | None = None, rules: str | None = None, lists: dict | None = None, **more):
    """The workbook as read back, with figures retyped, list rows changed or rules added as data."""
    definition = data.definition
    if rules is not None:
        added = [Rule.model_validate(r) for r in yaml.safe_load(rules)]
        definition = definition.model_copy(update={"rules": added})
    out = dataclasses.replace(data, definition=definition, values={**data.values, **(values or {})},
                              lists={**data.lists, **(lists or {})}, problems=list(data.problems), **more)
    return out


def _by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def _rule(rid: str, left: str, op: str, right: str, **extra) -> str:
    parts = {"id": rid, "name": f"Luật {rid}", "importance": "error", "instruction": "Sửa số liệu.",
             "left": left, "operator": op, "right": right, **extra}
    return yaml.safe_dump([parts], allow_unicode=True)


# --------------------------------------------------------------------------- operators and tolerance
@pytest.mark.parametrize("op,left,right,fails", [
    ("==", 5, 5, False), ("==", 5, 6, True), ("==", 6, 5, True),
    ("!=", 5, 5, True), ("!=", 5, 6, False),
    (">", 6, 5, False), (">", 5, 5, True), (">", 4, 5, True),
    (">=", 5, 5, False), (">=", 4, 5, True), (">=", 6, 5, False),
    ("<", 4, 5, False), ("<", 5, 5, True), ("<", 6, 5, True),
    ("<=", 5, 5, False), ("<=", 6, 5, True), ("<=", 4, 5, False),
])
def test_each_operator_added_as_data_fails_exactly_when_it_should(base, op, left, right, fails):
    data = _with(base, {"pakn_tiep_nhan": D(left), "pakn_da_xu_ly": D(right)},
                 rules=_rule("thu", "pakn_tiep_nhan", op, "pakn_da_xu_ly"))
    found = [f for f in validate(data) if f.rule == "thu"]
    assert bool(found) is fails
    if found:
        [f] = found
        assert f.importance == "error" and f.gap == left - right
        assert list(f.fields) == ["pakn_tiep_nhan", "pakn_da_xu_ly"]
        assert f.cells == [data.cells["pakn_tiep_nhan"], data.cells["pakn_da_xu_ly"]]
        assert f.values == {"pakn_tiep_nhan": left, "pakn_da_xu_ly": right}
        labels = data.definition.field_map()
        assert labels["pakn_tiep_nhan"].label in f.message and labels["pakn_da_xu_ly"].label in f.message
        assert f.message.startswith("Luật thu: ") and f.name == "Luật thu" and f.instruction == "Sửa số liệu."
        # the gap is told for a comparison, never for «must differ»
        assert ("chênh lệch" in f.message) is (op != "!=")


@pytest.mark.parametrize("op,left,right,fails", [
    ("==", 100, 102, False), ("==", 100, 103, True), ("==", 103, 100, True),
    ("!=", 100, 102, True), ("!=", 100, 103, False),
    (">=", 98, 100, False), (">=", 97, 100, True),
    ("<=", 102, 100, False), ("<=", 103, 100, True),
    (">", 100, 100, True), ("<", 100, 100, True),  # strict comparisons take no tolerance
])
def test_a_tolerance_allows_that_gap_and_no_more(base, op, left, right, fails):
    data = _with(base, {"pakn_tiep_nhan": D(left), "pakn_da_xu_ly": D(right)},
                 rules=_rule("thu", "pakn_tiep_nhan", op, "pakn_da_xu_ly", tolerance=2))
    assert bool([f for f in validate(data) if f.rule == "thu"]) is fails


def test_the_message_tells_the_figures_the_vietnamese_way(base):
    data = _with(base, {"giai_ngan_thuc_hien": D("1234.5"), "giai_ngan_ke_hoach": D("1000")},
                 rules=_rule("thu", "giai_ngan_thuc_hien", "<=", "giai_ngan_ke_hoach"))
    [f] = [f for f in validate(data) if f.rule == "thu"]
    # amounts in the workbook's money unit (đồng here), thousands separated by dots
    assert "1.234.500.000.000 đồng" in f.message and "1.000.000.000.000 đồng" in f.message
    assert "chênh lệch 234.500.000.000 đồng" in f.message
    assert f.gap == D("234.5")  # in the contract unit (tỷ đồng)
    # labels, never codes, in the words the clerk reads
    assert "giai_ngan" not in f.message


def test_rule_labels_given_as_data_replace_the_field_labels(base):
    data = _with(base, {"pakn_tiep_nhan": D(3), "pakn_da_xu_ly": D(4)},
                 rules=_rule("thu", "pakn_tiep_nhan", ">=", "pakn_da_xu_ly", left_label="Số phản ánh nhận",
                             right_label="số đã xử lý"))
    [f] = [f for f in validate(data) if f.rule == "thu"]
    assert "Số phản ánh nhận là 3" in f.message and "số đã xử lý là 4" in f.message


# --------------------------------------------------------------------------- empty parts
@pytest.mark.parametrize("missing,typed,fails", [
    ("skip_if_any_missing", {"pakn_tiep_nhan": D(5)}, False),
    ("skip_if_all_missing", {"pakn_tiep_nhan": D(5)}, False),  # the other part empty: nothing to compare
    ("never_skip", {"pakn_tiep_nhan": D(5)}, True),  # empty counts as 0: 5 > 0
    ("never_skip", {}, False),  # nothing typed at all: nothing to check
    ("never_skip", {"pakn_da_xu_ly": D(0)}, False),
    ("skip_if_any_missing", {"pakn_tiep_nhan": D(5), "pakn_da_xu_ly": D(4)}, True),
])
def test_empty_parts_follow_the_rules_missing_setting(base, missing, typed, fails):
    values = {"pakn_tiep_nhan": None, "pakn_da_xu_ly": None, **typed}
    data = _with(base, values, rules=_rule("thu", "pakn_tiep_nhan", "<=", "pakn_da_xu_ly", missing=missing))
    found = [f for f in validate(data) if f.rule == "thu"]
    assert bool(found) is fails
    if found and missing == "never_skip":
        assert found[0].gap == 5 and "là 0" in found[0].message


# --------------------------------------------------------------------------- pairs
@pytest.mark.parametrize("op,typed,told", [
    ("compulsory_pair", {"pakn_tiep_nhan": D(5)}, ("pakn_tiep_nhan", "pakn_da_xu_ly")),
    ("compulsory_pair", {"pakn_da_xu_ly": D(5)}, ("pakn_da_xu_ly", "pakn_tiep_nhan")),
    ("compulsory_pair", {"pakn_tiep_nhan": D(5), "pakn_da_xu_ly": D(0)}, None),
    ("compulsory_pair", {}, None),
    ("exclusive_pair", {"pakn_tiep_nhan": D(5), "pakn_da_xu_ly": D(0)}, ("pakn_tiep_nhan", "pakn_da_xu_ly")),
    ("exclusive_pair", {"pakn_tiep_nhan": D(5)}, None),
    ("exclusive_pair", {}, None),
])
def test_pairs_name_what_is_there_and_what_is_missing(base, op, typed, told):
    values = {"pakn_tiep_nhan": None, "pakn_da_xu_ly": None, **typed}
    data = _with(base, values, rules=_rule("cap", "pakn_tiep_nhan", op, "pakn_da_xu_ly", importance="warning"))
    found = [f for f in validate(data) if f.rule == "cap"]
    if told is None:
        assert found == []
        return
    [f] = found
    labels = data.definition.field_map()
    first, second = (labels[c].label for c in told)
    assert f.importance == "warning" and f.name == "Luật cap" and f.instruction == "Sửa số liệu."
    assert f.message.startswith("Luật cap: ")
    assert first in f.message and second in f.message
    if op == "compulsory_pair":  # what is typed is said before what is missing
        assert f.message.index(first) < f.message.index(second)
    assert f.fields == ["pakn_da_xu_ly", "pakn_tiep_nhan"]
    assert f.cells == [data.cells["pakn_da_xu_ly"], data.cells["pakn_tiep_nhan"]]
    assert f.values == {c: values[c] for c in f.fields}


def test_a_pair_over_expressions_uses_its_labels_as_given(base):
    rules = _rule("cap", "pakn_tiep_nhan + 0", "compulsory_pair", "pakn_da_xu_ly * 1")
    data = _with(base, {"pakn_tiep_nhan": D(2), "pakn_da_xu_ly": None}, rules=rules)
    [f] = [f for f in validate(data) if f.rule == "cap"]
    assert "pakn_tiep_nhan + 0" in f.message and "pakn_da_xu_ly * 1" in f.message
    labelled = _rule("cap", "pakn_tiep_nhan + 0", "compulsory_pair", "pakn_da_xu_ly * 1",
                     left_label="Phản ánh nhận", right_label="phản ánh xử lý")
    [f] = [f for f in validate(_with(data, rules=labelled)) if f.rule == "cap"]
    assert "Phản ánh nhận" in f.message and "phản ánh xử lý" in f.message and "pakn" not in f.message


# --------------------------------------------------------------------------- dates
def test_two_dates_are_compared_as_dates_with_the_gap_in_days(base):
    data = _with(base, {"ngay_bao_cao": dt.date(2023, 12, 20)})
    rules = _rule("ngay", "ngay_bao_cao", "<=", "den_ngay", importance="warning")
    [f] = [f for f in validate(_with(data, rules=rules)) if f.rule == "ngay"]
    end = data.values["den_ngay"]
    days = (dt.date(2023, 12, 20) - end).days
    assert "20/12/2023" in f.message and end.strftime("%d/%m/%Y") in f.message
    assert f"{days} ngày" in f.message and f.gap == days
    labels = data.definition.field_map()
    for code in ("ngay_bao_cao", "den_ngay"):  # both dates by their labels, in running text
        assert labels[code].label.lower() in f.message
    assert f.cells == [data.cells["ngay_bao_cao"], data.cells["den_ngay"]]
    # the same day on both sides is no finding
    assert not [f for f in validate(_with(base, {"ngay_bao_cao": end}, rules=rules)) if f.rule == "ngay"]


# --------------------------------------------------------------------------- table rows
def test_a_table_row_rule_names_the_row_and_points_at_its_cells(base):
    block = compute_layout(base.definition).tables["bieu_06a"]
    row = dict(base.tables["bieu_06a"][0], da_gq_tong=D(1058))  # 1059 received, 1058 resolved, none pending
    data = _with(base, tables={**base.tables, "bieu_06a": [row]})
    [f] = [f for f in validate(data) if f.rule == "bieu_06a_dong_can_doi"]
    r = base.table_rows["bieu_06a"][0]
    assert "Hộ tịch" in f.message and f.importance == "error"
    assert f.cells and all(c.startswith(f"{block.sheet}!") and c.endswith(str(r)) for c in f.cells)
    assert f"{block.sheet}!{a1(r, block.columns['tiep_nhan_tong'])}" in f.cells
    # the columns are named with their number on the form; the same words («Tổng số», «Quá hạn») said
    # with their group, lower-cased after it; the others as they are
    assert ("Số hồ sơ nhận giải quyết, tổng số (3) là 1.059, phải bằng Số hồ sơ đã giải quyết, tổng số (7) + "
            "Số hồ sơ đang giải quyết, tổng số (11) + Chờ bổ sung (14) + Trả lại, rút (15) là 1.058") in f.message
    # an empty row is skipped; a row without a field name is named by its sheet row
    blank = {k: None for k in row}
    unnamed = dict(row, linh_vuc=None)
    found = [f for f in validate(_with(base, tables={**base.tables, "bieu_06a": [unnamed, blank]},
                                       table_rows={**base.table_rows, "bieu_06a": [r, r + 1]}))
             if f.rule == "bieu_06a_dong_can_doi"]
    assert len(found) == 1 and f"dòng {r}" in found[0].message


def test_a_rule_on_a_column_total_points_at_the_total_row(base):
    block = compute_layout(base.definition).tables["bieu_06a"]
    rules = _rule("cot", "sum(bieu_06a.tiep_nhan_tong)", "<=", "tthc_tiep_nhan_tong")
    data = _with(base, {"tthc_tiep_nhan_tong": D(4)}, rules=rules)
    [f] = [f for f in validate(data) if f.rule == "cot"]
    assert f.cells == [data.cells["tthc_tiep_nhan_tong"],
                       f"{block.sheet}!{a1(block.total_row, block.columns['tiep_nhan_tong'])}"]
    assert f.gap == 1055
    # a column nobody typed in is nothing to check
    empty = dict(base.tables["bieu_06a"][0], tiep_nhan_tong=None)
    assert not [f for f in validate(_with(data, tables={"bieu_06a": [empty]})) if f.rule == "cot"]


# --------------------------------------------------------------------------- the document register
def dup_rules(data):
    return data.definition.rules


def _docs(*rows):
    return {"van_ban": [{"so_ky_hieu": a, "ngay": b, "loai": c, "trich_yeu": "Về công tác CCHC"} for a, b, c in rows]}


def test_document_numbers_symbols_and_dates_are_checked_row_by_row(base):
    block = compute_layout(base.definition).lists["van_ban"]
    rows = [
        ("62/KH-UBND", dt.date(2023, 1, 5), "ke_hoach"),  # fine
        ("15 / QĐ-UBND", dt.date(2023, 2, 1), "quyet_dinh"),  # spaces and Đ: still the right form
        ("KH 14 UBND", dt.date(2023, 3, 1), "ke_hoach"),  # not a number at all
        ("20/BC-UBND", dt.date(2023, 4, 1), "ke_hoach"),  # a plan numbered as a report
        ("445/UBND-VP", dt.date(2023, 5, 1), "cong_van"),  # a công văn carries no type symbol
        ("446/KH-VP", dt.date(2024, 1, 2), "cong_van"),  # ... and a công văn with one; dated after the report
    ]
    positions = [block.first_row + i for i in range(len(rows))]
    data = _with(base, lists=_docs(*rows), list_rows={**base.list_rows, "van_ban": positions})
    found = [f for f in validate(data) if f.fields and f.fields[0] == "van_ban"]
    col = {c: block.columns[c] for c in ("so_ky_hieu", "ngay", "loai")}
    shape = [f for f in found if f.rule == "van_ban_so_ky_hieu"]
    assert [f.cells for f in shape] == [[f"{block.sheet}!{a1(positions[2], col['so_ky_hieu'])}"]]
    assert "KH 14 UBND" in shape[0].message and shape[0].importance == "warning"
    assert shape[0].instruction == next(r for r in data.definition.rules if r.id == "van_ban_so_ky_hieu").instruction
    symbol = {f.values["so_ky_hieu"]: f for f in found if f.rule == "van_ban_loai_ky_hieu"}
    assert sorted(symbol) == ["20/BC-UBND", "446/KH-VP", "KH 14 UBND"]  # the last has no symbol at all
    symbol = [symbol["20/BC-UBND"], symbol["446/KH-VP"]]
    assert symbol[0].cells == [f"{block.sheet}!{a1(positions[3], col['so_ky_hieu'])}",
                               f"{block.sheet}!{a1(positions[3], col['loai'])}"]
    assert "«BC»" in symbol[0].message and "«KH»" in symbol[0].message
    assert "«KH»" in symbol[1].message and "(cần «không có ký hiệu loại»)" in symbol[1].message  # a công văn
    after = [f for f in found if f.rule == "van_ban_ngay_sau_ngay_bao_cao"]
    assert len(after) == 1 and "446/KH-VP" in after[0].message and "02/01/2024" in after[0].message
    # named by the rule's name, the limit by its field's label in running text
    rules = {r.id: r for r in data.definition.rules}
    for f in [*after, *symbol]:
        assert f.name == rules[f.rule].name and f.message.startswith(rules[f.rule].name)
    label = data.definition.field_map()["ngay_bao_cao"].label
    assert f"sau {label.lower()} (15/12/2023)" in after[0].message
    assert after[0].cells == [f"{block.sheet}!{a1(positions[5], col['ngay'])}", data.cells["ngay_bao_cao"]]
    assert after[0].fields == ["van_ban", "ngay_bao_cao"]
    assert "15/12/2023" in after[0].message
    # the same documents dated before the period: the first day of the window is no finding, the day before is
    window = data.values["tu_ngay"]
    early = _with(data, lists=_docs(("1/KH-UBND", window, "ke_hoach"),
                                    ("2/KH-UBND", window - dt.timedelta(days=1), "ke_hoach")),
                  list_rows={**base.list_rows, "van_ban": positions[:2]})
    before = [f for f in validate(early) if f.rule == "van_ban_truoc_ky"]
    assert [f.values["so_ky_hieu"] if "so_ky_hieu" in f.values else f.values for f in before] == \
        [{"ngay": window - dt.timedelta(days=1), "tu_ngay": window}]
    assert "2/KH-UBND" in before[0].message
    # the report's own date is the limit: a document of that very day is fine
    same_day = _with(data, lists=_docs(("3/KH-UBND", data.values["ngay_bao_cao"], "ke_hoach")),
                     list_rows={**base.list_rows, "van_ban": positions[:1]})
    assert not [f for f in validate(same_day) if f.rule == "van_ban_ngay_sau_ngay_bao_cao"]


def test_a_number_used_twice_in_a_year_is_one_finding_naming_every_row(base):
    block = compute_layout(base.definition).lists["van_ban"]
    rows = [("08/KH-UBND", dt.date(2023, 2, 22), "ke_hoach"), ("08/KH-UBND", dt.date(2022, 2, 22), "ke_hoach"),
            ("08/kh-ubnd ", dt.date(2023, 3, 1), "ke_hoach"), ("09/KH-UBND", dt.date(2023, 3, 2), "ke_hoach"),
            ("08/KH-UBND", dt.date(2023, 3, 3), "ke_hoach")]
    positions = [block.first_row + i for i in range(len(rows))]
    data = _with(base, lists=_docs(*rows), list_rows={**base.list_rows, "van_ban": positions})
    [dup] = [f for f in validate(data) if f.rule == "van_ban_trung_so"]
    col = block.columns["so_ky_hieu"]
    rows_at = [positions[0], positions[2], positions[4]]  # 2022's 08 is another document
    assert dup.cells == [f"{block.sheet}!{a1(r, col)}" for r in rows_at]
    assert f"dòng {', '.join(str(r) for r in rows_at)};" in dup.message and "3" in dup.message
    assert dup.name == next(r for r in dup_rules(data) if r.id == "van_ban_trung_so").name
    assert dup.values == {"so_ky_hieu": "08/KH-UBND"} and "08/KH-UBND" in dup.message
    assert dup.fields == ["van_ban"] and dup.importance == "error"


# --------------------------------------------------------------------------- ratios
def test_a_share_above_100_names_the_ratio_and_its_parts(base):
    data = _with(base, {"pakn_tiep_nhan": D(3), "pakn_da_xu_ly": D(4)})
    found = _by_rule(validate(data))
    f = found["ty_le_pakn_xu_ly_tren_100"]
    ratio = data.definition.ratio_map()["ty_le_pakn_xu_ly"]
    assert f.importance == "error" and ratio.label in f.name and ratio.label in f.message
    assert "133,33%" in f.message and "4/3" in f.message
    assert f.fields == ["ty_le_pakn_xu_ly", "pakn_da_xu_ly", "pakn_tiep_nhan"]
    assert f.cells == [data.cells[c] for c in f.fields if c in data.cells]
    assert data.cells["pakn_da_xu_ly"] in f.cells
    assert f.values == {"ty_le_pakn_xu_ly": D("133.33")}
    # exactly 100 % is fine
    assert "ty_le_pakn_xu_ly_tren_100" not in _by_rule(validate(_with(base, {"pakn_tiep_nhan": D(4),
                                                                            "pakn_da_xu_ly": D(4)})))
    # 201 of 200 (100,5 %) is over
    assert "ty_le_pakn_xu_ly_tren_100" in _by_rule(validate(_with(base, {"pakn_tiep_nhan": D(200),
                                                                        "pakn_da_xu_ly": D(201)})))


def test_a_typed_ratio_finding_names_both_cells_and_the_gap(base):
    typed = next(r for r in base.definition.ratios if r.typed == "kh_cchc_ty_le_bao_cao")
    data = _with(base, {"kh_cchc_nhiem_vu_tong": D(8), "kh_cchc_nhiem_vu_hoan_thanh": D(7),  # 87,5 %
                        typed.typed: D("80")})
    f = _by_rule(validate(data))[f"{typed.code}_ty_le_nhap_sai"]
    assert f.importance == "error" and f.name == typed.label
    assert f.fields == [typed.typed, typed.code]
    assert f.cells == [data.cells[c] for c in f.fields if c in data.cells] and data.cells[typed.typed] in f.cells
    assert f.gap == D("7.5") and "7,5" in f.message and "80%" in f.message and "87,5%" in f.message
    assert f.values == {typed.typed: D(80), typed.code: D("87.50")}
    assert f.instruction == catalogue()["finding_ratio_mismatch"]["action"]
    cut = _by_rule(validate(_with(data, {typed.typed: D("87")})))  # 87,5 % cut to 87 %
    w = cut[f"{typed.code}_sai_so_lam_tron"]
    assert w.importance == "warning" and "87%" in w.message and "88%" in w.message
    assert w.instruction == catalogue()["finding_ratio_rounding"]["action"]
    assert not [k for k in _by_rule(validate(_with(data, {typed.typed: D("88")}))) if k.startswith(typed.code)]


# --------------------------------------------------------------------------- required, problems, outline
def test_a_missing_field_and_an_empty_required_list_name_their_cells(base):
    data = _with(base, {"tthc_ky_truoc": None}, lists={"noi_nhan": []})
    found = validate(data)
    [req] = [f for f in found if f.rule == "required" and f.fields == ["tthc_ky_truoc"]]
    sheet, ref = data.cells["tthc_ky_truoc"].split("!")
    label = data.definition.field_map()["tthc_ky_truoc"].label
    assert req.cells == [data.cells["tthc_ky_truoc"]] and sheet in req.message and ref in req.message
    assert label in req.message and req.importance == "error" and req.values == {"tthc_ky_truoc": None}
    assert req.instruction == catalogue()["finding_required"]["action"]
    lists = [f for f in found if f.rule == "required_list"]
    required = [lst for lst in data.definition.lists if lst.required]
    assert sorted(f.fields[0] for f in lists) == sorted(lst.code for lst in required if not data.lists.get(lst.code)
                                                        or lst.code == "noi_nhan")
    block = data.layout.lists["noi_nhan"]
    [nn] = [f for f in lists if f.fields == ["noi_nhan"]]
    assert nn.cells == [f"{block.sheet}!{a1(block.first_row, block.first_col)}"] and block.sheet in nn.message
    assert data.definition.list_map()["noi_nhan"].label in nn.message
    # the subject the check sheet shows for them: a short sentence-case name
    for f in (req, nn):
        assert f.name and f.name[:1].isupper() and not f.name.isupper()
    assert nn.importance == "error" and nn.instruction == catalogue()["finding_required_list"]["action"]
    # a field this workbook's template version does not have is not asked for
    older = _with(data, {"tthc_cong_khai": None, "so_ky_hieu": None},
                  cells={k: v for k, v in data.cells.items() if k not in ("tthc_ky_truoc", "so_ky_hieu")})
    required = {f.fields[0] for f in validate(older) if f.rule == "required"}
    assert not required & {"tthc_ky_truoc", "so_ky_hieu"}
    assert "tthc_cong_khai" in required  # the fields after one the template lacks still are


def test_a_problem_met_while_reading_is_a_finding_once(base, tmp_path):
    import openpyxl

    pos = compute_layout(base.definition).fields["tthc_ky_truoc"]
    wb = openpyxl.load_workbook(base.file)
    wb[pos.sheet][pos.ref].value = "khoảng 5"  # text in a number cell
    wb.save(tmp_path / "text.xlsx")
    data = read_workbook(tmp_path / "text.xlsx")
    found = validate(data)
    [problem] = [f for f in found if "tthc_ky_truoc" in f.fields]  # never also «missing»
    assert problem.rule == data.problems[0].code and problem.importance == "error"
    assert problem.cells == [f"{pos.sheet}!{pos.ref}"] and problem.values == {"tthc_ky_truoc": "khoảng 5"}
    assert problem.instruction == catalogue()[problem.rule]["action"]


def test_findings_come_errors_first_then_warnings_then_information(base):
    data = _with(base, {"tthc_ky_truoc": None, "ngay_bao_cao": dt.date(2023, 12, 1)},
                 rules=_rule("w", "pakn_tiep_nhan", "<", "pakn_da_xu_ly", importance="warning"))
    data = _with(data, {"pakn_tiep_nhan": D(5), "pakn_da_xu_ly": D(5)},
                 rules=yaml.safe_dump([*yaml.safe_load(_rule("w", "pakn_tiep_nhan", "<", "pakn_da_xu_ly",
                                                             importance="warning")),
                                       *yaml.safe_load(_rule("e", "pakn_tiep_nhan", "<", "pakn_da_xu_ly"))],
                                      allow_unicode=True))
    found = validate(data)
    order = [f.importance for f in found]
    assert order == sorted(order, key=["error", "warning", "info"].index)
    assert {"error", "warning", "info"} <= set(order)
    counts = summary(found)
    assert counts == {k: order.count(k) for k in ("error", "warning", "info")}
    assert summary([]) == {"error": 0, "warning": 0, "info": 0}


def test_sections_without_anything_and_texts_left_as_carried_are_information(base):
    definition = base.definition
    texts = {s.code: definition.text_field_of(s.code) for s in definition.walk_sections()}
    texts = {k: v for k, v in texts.items() if v is not None and v.code in base.cells}
    found = [f for f in validate(base) if f.rule == "muc_trong"]
    assert found and all(f.importance == "info" for f in found)
    empty_codes = {f.fields[0] for f in found}
    # a section whose figures were typed is never «empty»
    ii = next(s for s in definition.walk_sections() if any(f.code == "tthc_tiep_nhan_tong" for f in s.fields))
    assert texts[ii.code].code not in empty_codes
    f = found[0]
    assert f.cells == [base.cells[f.fields[0]]] and f.name and f.name in f.message
    # each section by its number as the report prints it («Mục 6.2 …»)
    from xl_addin.workbook.layout import section_numbers

    numbers = section_numbers(definition)
    by_text = {definition.text_field_of(s.code).code: s for s in definition.walk_sections()
               if definition.text_field_of(s.code) is not None}
    for g in found:
        section = by_text[g.fields[0]]
        assert f" {numbers[section.code].rstrip('.')} «{section.title}»" in g.message
    texts_sheet = definition.sheet(definition.section_texts.sheet).name
    for g in found:  # where to type: the figures' sheet, or the written part's
        section = next(s for s in definition.walk_sections() if definition.text_field_of(s.code)
                       and definition.text_field_of(s.code).code == g.fields[0])
        assert definition.sheet(section.sheet).name in g.instruction and texts_sheet in g.instruction
    # every empty section is told, those after a section with figures too (II.2 has them, II.6.2 comes later)
    assert "noi_dung_ii_6_2" in empty_codes
    # a text typed fills its section; a text carried from the previous period and left as it was is told
    from xl_addin.workbook.build import text_digest

    code = f.fields[0]
    typed = _with(base, {code: "Đã triển khai đầy đủ."})
    still = {f.fields[0] for f in validate(typed) if f.rule == "muc_trong"}
    assert code not in still and "noi_dung_ii_6_2" in still  # the sections after it are still told
    digest = text_digest("Đã triển khai đầy đủ.")
    carried = _with(typed, meta={**base.meta, "carried_texts": json.dumps({code: digest})})
    [same] = [f for f in validate(carried) if f.rule == "noi_dung_chua_sua"]
    assert same.fields == [code] and same.cells == [base.cells[code]] and same.importance == "info"
    assert same.name == definition.field_map()[code].label
    section = next(s for s in definition.walk_sections() if definition.text_field_of(s.code)
                   and definition.text_field_of(s.code).code == code)
    assert f"{numbers[section.code].rstrip('.')} «{section.title}»" in same.message
    sheet, ref = base.cells[code].split("!")
    assert sheet in same.message and ref in same.message
    assert same.instruction == catalogue()["finding_text_unchanged"]["action"]
    # damaged bookkeeping of carried texts is ignored, never a crash
    broken = _with(typed, meta={**base.meta, "carried_texts": "{not json"})
    assert not [f for f in validate(broken) if f.rule == "noi_dung_chua_sua"]


def test_a_finding_as_json_keeps_its_keys(base):
    data = _with(base, {"pakn_tiep_nhan": D(3), "pakn_da_xu_ly": D("4.5")},
                 rules=_rule("thu", "pakn_da_xu_ly", "<=", "pakn_tiep_nhan"))
    [f] = [f for f in validate(data) if f.rule == "thu"]
    out = f.to_dict()
    assert list(out) == ["rule", "importance", "fields", "cells", "message", "values", "instruction", "gap"]
    assert out["rule"] == "thu" and out["importance"] == "error" and out["fields"] == f.fields
    assert out["cells"] == f.cells and out["message"] == f.message and out["instruction"] == "Sửa số liệu."
    assert out["values"] == {"pakn_da_xu_ly": 4.5, "pakn_tiep_nhan": 3} and out["gap"] == 1.5
    json.dumps(out)


def test_a_number_with_its_year_is_checked_on_its_type_symbol(base):
    """«15/2023/QĐ-UBND» (a decision numbered with its year) listed as a plan: the symbol is QĐ."""
    block = compute_layout(base.definition).lists["van_ban"]
    data = _with(base, lists=_docs(("15/2023/QĐ-UBND", dt.date(2023, 5, 1), "ke_hoach")),
                 list_rows={**base.list_rows, "van_ban": [block.first_row]})
    [f] = [f for f in validate(data) if f.rule == "van_ban_loai_ky_hieu"]
    assert "«QĐ»" in f.message and "«KH»" in f.message and "2023»" not in f.message


def test_a_typed_ratio_is_told_at_its_own_precision(base):
    typed = next(r for r in base.definition.ratios if r.typed == "kh_cchc_ty_le_bao_cao")
    # 42 196 of 100 000 tasks: 42,196 %; typed 42,19 % is a cut of 42,20 %
    data = _with(base, {"kh_cchc_nhiem_vu_tong": D(100000), "kh_cchc_nhiem_vu_hoan_thanh": D(42196),
                        typed.typed: D("42.19")})
    f = _by_rule(validate(data))[f"{typed.code}_sai_so_lam_tron"]
    assert "42,19%" in f.message and "42,20%" in f.message
    # a float's tail (30.000000000000004 stored for 30 %) is never shown: four decimals at most
    wrong = _by_rule(validate(_with(data, {typed.typed: D("30.000000000000004")})))[f"{typed.code}_ty_le_nhap_sai"]
    assert "30,0000%" in wrong.message and "0000000004" not in wrong.message



def test_a_symbol_typed_without_its_d_bar_still_matches(base):
    """«QD» typed for «QĐ» (a keyboard without Vietnamese): the same symbol."""
    block = compute_layout(base.definition).lists["van_ban"]
    data = _with(base, lists=_docs(("15/QD-UBND", dt.date(2023, 5, 1), "quyet_dinh")),
                 list_rows={**base.list_rows, "van_ban": [block.first_row]})
    assert not [f for f in validate(data) if f.rule == "van_ban_loai_ky_hieu"]


@pytest.mark.parametrize("meta_level,cell_level", [("huyen", "huyen"), ("huyen", None), (None, "huyen")])
def test_what_is_required_follows_the_units_level(base, meta_level, cell_level):
    """The staff quota is asked of a district, not of a ward: the level comes from the file's stamp,
    else from its level cell."""
    assert "huyen" in base.definition.field_map()["bien_che_giao"].required_levels
    district = _with(base, {"don_vi_cap": cell_level, "bien_che_giao": None},
                     meta={**base.meta, "unit_level": meta_level})
    assert [f for f in validate(district) if f.rule == "required" and f.fields == ["bien_che_giao"]]
    assert not [f for f in validate(_with(base, {"bien_che_giao": None}))
                if f.rule == "required" and f.fields == ["bien_che_giao"]]


def test_a_pair_rule_on_a_forms_rows_points_at_the_row(base):
    block = compute_layout(base.definition).tables["bieu_06a"]
    rules = _rule("cap", "truc_tuyen", "compulsory_pair", "truc_tiep", table="bieu_06a")
    row = dict(base.tables["bieu_06a"][0], truc_tiep=None)
    data = _with(base, rules=rules, tables={**base.tables, "bieu_06a": [row]})
    [f] = [f for f in validate(data) if f.rule == "cap"]
    r = base.table_rows["bieu_06a"][0]
    assert f.cells == [f"{block.sheet}!{a1(r, block.columns[c])}" for c in ("truc_tiep", "truc_tuyen")]
    # the clerk reads the form's column words and numbers, never the columns' codes
    assert f.message == (f"Luật cap: có Trực tuyến ({block.columns['truc_tuyen']}) nhưng chưa có "
                         f"Trực tiếp, dịch vụ bưu chính ({block.columns['truc_tiep']}).")


def test_a_problem_met_while_reading_keeps_its_own_words(base, tmp_path):
    import openpyxl

    pos = compute_layout(base.definition).fields["tthc_ky_truoc"]
    wb = openpyxl.load_workbook(base.file)
    wb[pos.sheet][pos.ref].value = "năm"
    wb.save(tmp_path / "text.xlsx")
    data = read_workbook(tmp_path / "text.xlsx")
    [problem] = data.problems
    [f] = [f for f in validate(data) if f.rule == problem.code]
    assert f.message == problem.message and pos.ref in f.message



# --------------------------------------------------------------------------- the full run's survivors (issue 19)
@prebuilt
def misread(tmp: Path):
    """001's workbook as a clerk may send it: text typed in a number cell (Số hồ sơ kỳ trước) and a
    VBA project inside (a workbook saved as .xlsm, renamed .xlsx): two problems the reader reports."""
    import io
    import zipfile

    import openpyxl
    from corpus import ole_file, rezip

    from xl_addin.definition.loader import load_definition

    pos = compute_layout(load_definition()).fields["tthc_ky_truoc"]
    wb = openpyxl.load_workbook(_filled_001(tmp))
    wb[pos.sheet][pos.ref].value = "khoảng 5"
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        types = zf.read("[Content_Types].xml").decode("utf-8")
    types = types.replace("</Types>",
                          '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    vba = ole_file({"VBA/dir": b"\x01" * 64, "PROJECT": b'ID="{00000000}"\r\nModule=Module1\r\n'})
    out = tmp / "macros.xlsx"
    out.write_bytes(rezip(buf.getvalue(), replace={"[Content_Types].xml": types.encode("utf-8")},
                          add={"xl/vbaProject.bin": vba}))
    return read_workbook(out)


@prebuilt
def hue(tmp: Path):
    """A Huế department's half-year workbook (004): its profile's fixed-row Phụ lục 4 (section II.1)
    filled, nothing else of section II.1."""
    payload = {"values": {"so_ky_hieu": "147/BC-VHTT", "ngay_bao_cao": "2022-06-03", "tthc_cong_khai": 24},
               "tables": {"phu_luc_4": [{"row": "vbqppl_ra_soat", "quy_1": 2, "quy_2": 3},
                                        {"row": "tthc_tu_bai_bo", "nam_truoc": 1}]}}
    path = filled_workbook(tmp, payload, unit=Unit("480-VHTT", "Phòng Văn hóa và Thông tin", "phong", "480",
                                                   "QD124_2004"), period="6T-2022", profile="hue")
    return read_workbook(path)


def test_a_problem_of_the_whole_file_names_no_cell_and_keeps_its_importance(misread):
    found = validate(misread)
    [macro] = [f for f in found if f.rule == "workbook_has_macros"]
    # a warning, as the catalogue says: the values are read, the macro is never run
    assert macro.importance == "warning" and macro.importance == catalogue()["workbook_has_macros"]["importance"]
    assert macro.cells == [] and macro.fields == []  # the whole file: no cell to point at
    assert macro.values == {"value": "xl/vbaProject.bin"} and "macro" in macro.message
    [text] = [f for f in found if f.fields == ["tthc_ky_truoc"]]
    assert text.importance == "error" and text.values == {"tthc_ky_truoc": "khoảng 5"}


def test_the_fields_after_an_unreadable_one_are_still_asked_for(misread):
    data = _with(misread, {"tthc_tiep_nhan_tong": None})  # a required field after Số hồ sơ kỳ trước
    found = validate(data)
    assert not [f for f in found if f.rule == "required" and f.fields == ["tthc_ky_truoc"]]  # told as unreadable
    [req] = [f for f in found if f.rule == "required" and f.fields == ["tthc_tiep_nhan_tong"]]
    assert req.cells == [data.cells["tthc_tiep_nhan_tong"]]


def test_register_findings_name_the_rule_the_row_and_the_document_type(base):
    block = compute_layout(base.definition).lists["van_ban"]
    rules = {r.id: r for r in base.definition.rules}
    rows = [("KH 14 UBND", dt.date(2023, 3, 1), "ke_hoach"),  # no «/»: no symbol at all
            (None, dt.date(2024, 1, 2), "ke_hoach"),  # the number not typed yet; dated after the report
            ("16/KH-UBND", None, "ke_hoach"),  # the date not typed yet
            ("5/KH-UBND", dt.date(2022, 12, 1), "ke_hoach")]  # before the data window (from 15/12/2022)
    positions = [block.first_row + i for i in range(len(rows))]
    data = _with(base, lists=_docs(*rows), list_rows={**base.list_rows, "van_ban": positions})
    found = validate(data)
    [shape] = [f for f in found if f.rule == "van_ban_so_ky_hieu"]
    name = rules["van_ban_so_ky_hieu"].name
    assert shape.name == name and shape.message.startswith(f"{name} — «KH 14 UBND» ")
    assert shape.values == {"so_ky_hieu": "KH 14 UBND"}
    [symbol] = [f for f in found if f.rule == "van_ban_loai_ky_hieu"]
    assert "«KH 14 UBND» là Kế hoạch nhưng ký hiệu là «» (cần «KH»)" in symbol.message
    assert symbol.instruction == rules["van_ban_loai_ky_hieu"].instruction
    # a row without its number is named by its sheet row
    [after] = [f for f in found if f.rule == "van_ban_ngay_sau_ngay_bao_cao"]
    assert f"văn bản «dòng {positions[1]}»: ngày 02/01/2024 sau" in after.message
    assert after.instruction == rules["van_ban_ngay_sau_ngay_bao_cao"].instruction
    # a row without its date is no date finding (nor a crash)
    assert not [f for f in found if f.rule.startswith("van_ban_ngay") and "16/KH-UBND" in f.message]
    [before] = [f for f in found if f.rule == "van_ban_truoc_ky"]
    assert "«5/KH-UBND»: ngày 01/12/2022 trước ngày bắt đầu kỳ số liệu (15/12/2022)" in before.message
    # the report's date not typed yet: nothing to compare the documents with
    undated = validate(_with(data, {"ngay_bao_cao": None}))
    assert not [f for f in undated if f.rule == "van_ban_ngay_sau_ngay_bao_cao"]


def test_a_duplicate_tells_its_sheet_and_cells_and_blank_cells_are_no_duplicates(base):
    block = compute_layout(base.definition).lists["van_ban"]
    rule = next(r for r in base.definition.rules if r.id == "van_ban_trung_so")
    rows = [("08/KH-UBND", dt.date(2023, 2, 22), "ke_hoach"), ("09/KH-UBND", dt.date(2023, 3, 2), "ke_hoach"),
            ("08/KH-UBND", dt.date(2023, 3, 3), "ke_hoach")]
    positions = [block.first_row + i for i in range(len(rows))]
    data = _with(base, lists=_docs(*rows), list_rows={**base.list_rows, "van_ban": positions})
    [dup] = [f for f in validate(data) if f.rule == "van_ban_trung_so"]
    col = block.columns["so_ky_hieu"]
    first, third = a1(positions[0], col), a1(positions[2], col)
    assert dup.message == (f"{rule.name} — «08/KH-UBND» ghi ở 2 dòng của trang «{block.sheet}» "
                           f"(dòng {positions[0]}, {positions[2]}; ô {first}, {third}).")
    assert block.sheet == "Văn bản" and dup.instruction == rule.instruction
    # a check «the same summary twice» added as data: empty summaries are not the same summary
    same = _rule("trung_trich_yeu", "x", "==", "x", list="van_ban", check="unique", column="trich_yeu",
                 importance="warning")
    same = yaml.safe_dump([{k: v for k, v in r.items() if k not in ("left", "operator", "right")}
                           for r in yaml.safe_load(same)], allow_unicode=True)
    docs = [{"so_ky_hieu": f"{n}/KH-UBND", "ngay": dt.date(2023, 3, n), "loai": "ke_hoach", "trich_yeu": t}
            for n, t in [(1, None), (2, None), (3, "Kế hoạch tuyên truyền CCHC"), (4, "Kế hoạch tuyên truyền CCHC")]]
    where = [block.first_row + i for i in range(4)]
    found = [f for f in validate(_with(base, rules=same, lists={"van_ban": docs},
                                       list_rows={**base.list_rows, "van_ban": where}))
             if f.rule == "trung_trich_yeu"]
    assert [f.values for f in found] == [{"trich_yeu": "Kế hoạch tuyên truyền CCHC"}]
    assert found[0].cells == [f"{block.sheet}!{a1(r, block.columns['trich_yeu'])}" for r in where[2:]]


def test_a_date_rule_is_told_with_its_name_and_its_words(base):
    data = _with(base, {"ngay_bao_cao": dt.date(2023, 12, 20)},
                 rules=_rule("ngay", "ngay_bao_cao", "<=", "den_ngay", importance="warning"))
    [f] = [f for f in validate(data) if f.rule == "ngay"]
    assert f.message == ("Luật ngay: ngày ký báo cáo là 20/12/2023, không được sau số liệu tính đến ngày là "
                         "14/12/2023 (cách 6 ngày).")
    # (never_skip on a date, or days added to one, is refused by the definition: test_definition.py)


def test_an_empty_part_of_a_ratio_is_shown_blank_on_the_ratios_sheet(base):
    """The «Tỷ lệ» sheet (the ribbon's ratios button): a ratio whose numerator is left empty shows
    «(trống)» in its place, never «None» or 0, and no value."""
    from xl_addin.rules.ratios import compute_ratios
    from xl_addin.rules.sheets import ratio_rows

    data = _with(base, {"pakn_tiep_nhan": D(3), "pakn_da_xu_ly": None})
    rows, _look = ratio_rows(data, compute_ratios(data))
    label = data.definition.ratio_map()["ty_le_pakn_xu_ly"].label
    [row] = [r for r in rows if r and r[0] == label]
    assert row[1:3] == ["(trống)", "3"] and row[4] == "chưa có số liệu"


def test_a_ratio_in_a_rule_is_named_by_its_label(base):
    data = _with(base, {"pakn_tiep_nhan": D(10), "pakn_da_xu_ly": D(8)},
                 rules=_rule("pakn90", "ty_le_pakn_xu_ly", ">=", "90", importance="warning"))
    [f] = [f for f in validate(data) if f.rule == "pakn90"]
    label = data.definition.ratio_map()["ty_le_pakn_xu_ly"].label
    assert f.message.startswith(f"Luật pakn90: {label} là 80, không được nhỏ hơn ") and "ty_le" not in f.message


def test_amounts_are_told_in_the_workbooks_unit_only_for_money_alone(base):
    one = _with(base, {"giai_ngan_thuc_hien": D("1234.5")}, rules=_rule("tran", "giai_ngan_thuc_hien", "<=", "1000"))
    [f] = [f for f in validate(one) if f.rule == "tran"]  # one money field against a bound in tỷ đồng
    assert "là 1.234.500.000.000 đồng" in f.message and "chênh lệch 234.500.000.000 đồng" in f.message
    # money against a count: plain numbers, no unit
    mixed = _with(base, {"giai_ngan_thuc_hien": D("12.5"), "pakn_tiep_nhan": D(3)},
                  rules=_rule("tron", "giai_ngan_thuc_hien", "<=", "pakn_tiep_nhan"))
    [f] = [f for f in validate(mixed) if f.rule == "tron"]
    assert "là 12,5," in f.message and "chênh lệch 9,5." in f.message and "đồng" not in f.message
    # a form's column total alone: plain numbers, the total row pointed at
    block = compute_layout(base.definition).tables["bieu_06a"]
    row = dict(base.tables["bieu_06a"][0], qua_han=D(2), dung_han=D(3))
    cols = _with(base, rules=_rule("qh", "sum(bieu_06a.qua_han)", "==", "0"), tables={"bieu_06a": [row]})
    [f] = [f for f in validate(cols) if f.rule == "qh"]
    assert " là 2, phải bằng 0 là 0; chênh lệch 2." in f.message and f.gap == 2
    assert f.cells == [f"{block.sheet}!{a1(block.total_row, block.columns['qua_han'])}"]


def test_never_skip_counts_an_empty_part_as_zero_on_either_side_and_in_a_forms_column(base):
    left_empty = _with(base, {"pakn_tiep_nhan": None, "pakn_da_xu_ly": D(5)},
                       rules=_rule("thu", "pakn_tiep_nhan", ">=", "pakn_da_xu_ly", missing="never_skip"))
    [f] = [f for f in validate(left_empty) if f.rule == "thu"]
    assert f.gap == -5 and " là 0, " in f.message
    rule = _rule("cot", "sum(bieu_06a.tiep_nhan_tong)", "==", "tthc_tiep_nhan_tong", missing="never_skip")
    # the form's column empty, the unit's total typed
    empty = dict(base.tables["bieu_06a"][0], tiep_nhan_tong=None)
    [f] = [f for f in validate(_with(base, rules=rule, tables={"bieu_06a": [empty]})) if f.rule == "cot"]
    assert f.gap == -1059
    # the unit's total empty, the form's column typed
    [f] = [f for f in validate(_with(base, {"tthc_tiep_nhan_tong": None}, rules=rule)) if f.rule == "cot"]
    assert f.gap == 1059


def test_must_differ_is_told_without_a_gap(base):
    data = _with(base, {"pakn_tiep_nhan": D(5), "pakn_da_xu_ly": D(5)},
                 rules=_rule("khac", "pakn_tiep_nhan", "!=", "pakn_da_xu_ly"))
    [f] = [f for f in validate(data) if f.rule == "khac"]
    label = data.definition.field_map()["pakn_da_xu_ly"].label
    assert f.message.endswith(f" là 5, phải khác {label} là 5.")  # no «chênh lệch 0», nothing after it


def test_a_form_row_rule_says_a_word_shared_by_two_columns_with_its_group_past_an_empty_row(base):
    block = compute_layout(base.definition).tables["bieu_06a"]
    rules = _rule("qh", "qua_han", "==", "0", table="bieu_06a")
    row = dict(base.tables["bieu_06a"][0], qua_han=D(2), dung_han=D(3))
    blank = {k: None for k in row}  # a row left empty above (the reader keeps a row with a field name only)
    r = base.table_rows["bieu_06a"][0]
    data = _with(base, rules=rules, tables={"bieu_06a": [dict(blank, linh_vuc="Chứng thực"), row]},
                 table_rows={"bieu_06a": [r, r + 1]})
    [f] = [f for f in validate(data) if f.rule == "qh"]
    # «Quá hạn» is a column of two groups (resolved, pending): said with its group
    assert f"— dòng «Hộ tịch»: Số hồ sơ đã giải quyết, quá hạn ({block.columns['qua_han']}) là 2" in f.message
    assert f.cells == [f"{block.sheet}!{a1(r + 1, block.columns['qua_han'])}"]


def test_a_rule_on_a_fixed_row_form_names_the_forms_row(hue):
    """«A half-year report has no figures for quarters III and IV», on Huế's Phụ lục 4, as data."""
    rules = _rule("nua_nam", "quy_3 + quy_4", "==", "0", table="phu_luc_4", importance="warning",
                  missing="skip_if_all_missing")
    rows = [dict(r, quy_3=D(1)) if r["row"] == "vbqppl_ra_soat" else r for r in hue.tables["phu_luc_4"]]
    data = _with(hue, rules=rules, tables={**hue.tables, "phu_luc_4": rows})
    [f] = [f for f in validate(data) if f.rule == "nua_nam"]
    label = next(x.label for x in hue.definition.table_map()["phu_luc_4"].rows if x.code == "vbqppl_ra_soat")
    assert f"— dòng «{label}»: " in f.message and label == "2. Số lượng VB QPPL đã được rà soát"


def test_a_section_with_only_a_fixed_row_form_is_told_empty_only_when_the_form_is(hue):
    def empty_sections(data):
        return {f.fields[0] for f in validate(data) if f.rule == "muc_trong"}

    assert "noi_dung_ii_1" not in empty_sections(hue)  # Phụ lục 4 (section II.1) has figures
    # the reader gives every row of a fixed form, figures or not: all empty, the section is empty
    cleared = [{k: (v if k == "row" else None) for k, v in r.items()} for r in hue.tables["phu_luc_4"]]
    assert all(r["row"] for r in cleared)
    assert "noi_dung_ii_1" in empty_sections(_with(hue, tables={**hue.tables, "phu_luc_4": cleared}))


def test_a_section_with_figures_only_or_a_register_only_is_not_empty(base):
    def empty_sections(data):
        return {f.fields[0] for f in validate(data) if f.rule == "muc_trong"}

    sections = {s.code: s for s in base.definition.walk_sections()}
    # I.4 (communication): a figure typed, no text, no register or form in that section
    assert "noi_dung_i_4" in empty_sections(base)
    assert "noi_dung_i_4" not in empty_sections(_with(base, {"tuyen_truyen_tin_bai": D(12)}))
    # I.1: no figure and no text, only the register of documents
    bare = {f.code: None for f in sections["I.1"].fields}
    assert base.lists["van_ban"]
    assert "noi_dung_i_1" not in empty_sections(_with(base, bare))
    assert "noi_dung_i_1" in empty_sections(_with(base, bare, lists={"van_ban": []},
                                                  list_rows={**base.list_rows, "van_ban": []}))


def test_a_typed_ratio_is_told_with_its_gap_its_precision_and_rounded_half_up(base):
    typed = next(r for r in base.definition.ratios if r.typed == "kh_cchc_ty_le_bao_cao")
    data = _with(base, {"kh_cchc_nhiem_vu_tong": D(8), "kh_cchc_nhiem_vu_hoan_thanh": D(7),  # 87,5 %
                        typed.typed: D("80")})
    f = _by_rule(validate(data))[f"{typed.code}_ty_le_nhap_sai"]
    assert "tỷ lệ nhập 80% khác tỷ lệ tính được 87,5% (7/8), chênh 7,5 điểm phần trăm." in f.message
    # 42 196 of 100 000 (42,196 %) typed 42,19 %: told at the two decimals it was typed with
    cut = _with(base, {"kh_cchc_nhiem_vu_tong": D(100000), "kh_cchc_nhiem_vu_hoan_thanh": D(42196),
                       typed.typed: D("42.19")})
    w = _by_rule(validate(cut))[f"{typed.code}_sai_so_lam_tron"]
    assert "làm tròn nửa lên đến 2 chữ số thập phân phải là 42,20%" in w.message
    # beyond four decimals a typed ratio is rounded half up to four, as every figure: 87,50005 % is 87,5001 %,
    # not the 87,5000 % computed
    tail = _by_rule(validate(_with(data, {typed.typed: D("87.50005")})))
    assert "tỷ lệ nhập 87,5001% khác" in tail[f"{typed.code}_ty_le_nhap_sai"].message


def test_a_share_above_100_says_what_to_do(base):
    found = _by_rule(validate(_with(base, {"pakn_tiep_nhan": D(3), "pakn_da_xu_ly": D(4)})))
    assert found["ty_le_pakn_xu_ly_tren_100"].instruction == catalogue()["finding_ratio_over_100"]["action"]


def test_warnings_come_before_information_whatever_made_them_first(base):
    rules = yaml.safe_dump([*yaml.safe_load(_rule("i", "pakn_tiep_nhan", "<", "pakn_da_xu_ly", importance="info")),
                            *yaml.safe_load(_rule("w", "pakn_tiep_nhan", "<", "pakn_da_xu_ly",
                                                  importance="warning"))], allow_unicode=True)
    data = _with(base, {"pakn_tiep_nhan": D(5), "pakn_da_xu_ly": D(5)}, rules=rules)
    assert [f.rule for f in validate(data) if f.rule in ("i", "w")] == ["w", "i"]
