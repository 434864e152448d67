"""The merge's aggregation, rule by rule, on real returned workbooks (issue 19: mutants of
``merge/aggregate.py`` that survived the suite; see docs/mutants.md).

Each unit's workbook is built from the definition, filled, written to disk and read back the way
the merge reads it (``inspect_file``); ``aggregate`` then adds them up. What is checked is what the
provincial specialist sees in the summary: totals, the open and fixed tables row by row, the
units' requests with their unit, the flags, the totals that hold an implausible value.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from prebuild import prebuilt

from xl_addin.definition.loader import definition_dir, load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.merge.aggregate import UNIT_CODE, UNIT_NAME, aggregate, unit_values
from xl_addin.merge.collect import inspect_file
from xl_addin.merge.summary_layout import unit_columns, value_columns
from xl_addin.rules.ratios import ratio_value
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import compute_layout

PERIOD = "6T-2026"


def _returned(tmp: Path, definition, unit: Unit, payload: dict) -> object:
    """A unit's workbook built, filled, saved and read back as the merge reads it."""
    [built] = build_unit_workbooks(definition, [unit], parse_period(PERIOD, definition),
                                   tmp / f"blank-{uuid.uuid4().hex[:6]}")
    path = tmp / f"{unit.code}-{uuid.uuid4().hex[:6]}.xlsx"
    fill_workbook(built.path, payload, path)
    sub = inspect_file(str(path), path.name)
    assert sub.status == "read", sub.reason
    return sub


def _rows(n: int, prefix: str, start: int = 1) -> list[dict]:
    return [{"linh_vuc": f"{prefix} {i}", "tiep_nhan_tong": i} for i in range(start, start + n)]


# Three communes of a half-year: consistent figures (received = resolved; on time + late = resolved).
A = {"tthc_cong_khai": 188, "tthc_moi_truc_tuyen": 700, "tthc_moi_truc_tiep": 100, "tthc_tiep_nhan_tong": 800,
     "tthc_da_gq_tong": 800, "tthc_da_gq_truoc_han": 797, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 3,
     "kh_cchc_nhiem_vu_tong": 10, "kh_cchc_nhiem_vu_hoan_thanh": 9, "giai_ngan_thuc_hien": 54020}
B = {"tthc_cong_khai": 188, "tthc_moi_truc_tuyen": 50, "tthc_moi_truc_tiep": 150, "tthc_tiep_nhan_tong": 200,
     "tthc_da_gq_tong": 200, "tthc_da_gq_truoc_han": 190, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 10,
     "kh_cchc_nhiem_vu_tong": 6, "kh_cchc_nhiem_vu_hoan_thanh": 3}
C = {"tthc_cong_khai": 188, "tthc_tiep_nhan_tong": 5}


@prebuilt
def returned(tmp: Path):
    definition = load_definition()
    units = [Unit("70001", "Phường Một", "phuong", "70", ""), Unit("70002", "Xã Hai", "xa", "70", ""),
             Unit("70003", "Xã Ba", "xa", "70", "")]
    subs = [
        _returned(tmp, definition, units[0], {
            "values": A,
            "tables": {"bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 40, "truc_tuyen": 30, "truc_tiep": 10},
                                    {"linh_vuc": "Đất đai", "tiep_nhan_tong": 7}]},
            "lists": {"kien_nghi": [{"noi_dung": "Tập huấn phần mềm một cửa cho công chức."}]}}),
        _returned(tmp, definition, units[1], {
            "values": B,
            # the same field typed differently: another case, another Unicode form, spaces around
            "tables": {"bieu_06a": [{"linh_vuc": "  HỘ TỊCH ", "tiep_nhan_tong": 2, "truc_tuyen": 2},
                                    {"linh_vuc": "Chứng thực", "tiep_nhan_tong": 5}]},
            "lists": {"kien_nghi": [{"noi_dung": "Bổ sung máy quét hồ sơ."},
                                    {"noi_dung": "Hỗ trợ kinh phí số hóa."}]}}),
        _returned(tmp, definition, units[2], {"values": C}),
    ]
    return {"definition": definition, "subs": subs, "tmp": tmp}


def test_sums_skip_the_units_that_left_a_field_empty(returned):
    agg = aggregate(returned["definition"], returned["subs"])
    assert agg.values["tthc_tiep_nhan_tong"] == 1005  # 800 + 200 + 5
    assert agg.values["tthc_moi_truc_tuyen"] == 750  # the third commune typed nothing: not a 0, not a failure
    assert agg.values["tthc_cho_bo_sung"] is None  # nobody typed it: empty, never 0
    assert agg.values["tthc_cong_khai"] == 188 and agg.flags == []  # a `same` field all agree on
    # a field that is never added up (the report's own number) stays out of the totals
    assert "so_ky_hieu" not in agg.values and "noi_dung_i_1" not in agg.values


def test_computed_fields_and_ratios_come_from_the_totals(returned):
    definition = returned["definition"]
    agg = aggregate(definition, returned["subs"])
    # the computed total of received dossiers by channel is worked out again from the summed parts
    assert agg.values["tthc_tiep_nhan_theo_thanh_phan"] is not None
    on_time = agg.ratios["ty_le_gq_dung_han"]
    assert (on_time.numerator, on_time.denominator) == (987, 1000)  # 797 + 190 of 800 + 200, never an average
    assert on_time.value == Decimal("98.70")
    tasks = agg.ratios["ty_le_kh_cchc"]
    assert (tasks.numerator, tasks.denominator, tasks.value) == (12, 16, Decimal("75.00"))
    assert tasks.code == "ty_le_kh_cchc" and tasks.label == definition.ratio_map()["ty_le_kh_cchc"].label


def test_open_table_rows_are_joined_by_their_label_whatever_its_case(returned):
    agg = aggregate(returned["definition"], returned["subs"])
    rows = {r["linh_vuc"]: r for r in agg.tables["bieu_06a"]}
    assert list(rows) == ["Hộ tịch", "Đất đai", "Chứng thực"]  # in the order first met, named as first typed
    assert rows["Hộ tịch"]["tiep_nhan_tong"] == 42 and rows["Hộ tịch"]["truc_tuyen"] == 32
    assert rows["Hộ tịch"]["truc_tiep"] == 10
    assert rows["Đất đai"]["tiep_nhan_tong"] == 7 and rows["Đất đai"]["truc_tuyen"] is None  # never a made-up 0
    assert rows["Chứng thực"]["tiep_nhan_tong"] == 5
    # every column of the form is there, typed or not
    codes = {c.code for c in returned["definition"].table_map()["bieu_06a"].columns}
    assert all(codes <= set(r) for r in rows.values())


def test_an_open_table_longer_than_the_form_ends_with_one_other_row(returned):
    """More fields than the summary's rows: the last row is «Khác» and adds up the rest (a unit's own
    «Khác» row goes there too); no figure is lost. (Two units' tables as read back, retyped.)"""
    definition = returned["definition"]
    n_rows = compute_layout(definition).tables["bieu_06a"].n_rows
    first, second = returned["subs"][:2]
    first = dataclasses.replace(first, tables={"bieu_06a": _rows(n_rows - 5, "Lĩnh vực")})
    second = dataclasses.replace(second, tables={"bieu_06a": [
        *_rows(8, "Lĩnh vực", start=n_rows - 4), {"linh_vuc": "khác", "tiep_nhan_tong": 1000},
        {"linh_vuc": "Lĩnh vực 1", "tiep_nhan_tong": 100}, {"linh_vuc": None, "tiep_nhan_tong": None},
        {"linh_vuc": "   ", "tiep_nhan_tong": None}]})
    agg = aggregate(definition, [first, second])
    rows = agg.tables["bieu_06a"]
    assert len(rows) == n_rows
    assert [r["linh_vuc"] for r in rows[:-1]] == [f"Lĩnh vực {i}" for i in range(1, n_rows)]
    other = rows[-1]
    assert other["linh_vuc"] == "Khác"
    beyond = range(n_rows, n_rows + 4)  # the four fields past the last row
    assert other["tiep_nhan_tong"] == sum(beyond) + 1000
    assert rows[0]["tiep_nhan_tong"] == 101  # a field already on the sheet keeps its own row
    total = sum(r["tiep_nhan_tong"] for r in rows)
    assert total == sum(range(1, n_rows + 4)) + 1000 + 100


def test_figures_on_a_row_without_a_name_are_counted_under_other(returned):
    """The form's open rows are joined by name: figures typed on a row left without one are added up
    in the «Khác» row (never lost from the summary's form, whose totals then match the units'); a
    nameless row with no figure adds nothing; a name is kept as typed, its spaces tidied."""
    definition, subs = returned["definition"], returned["subs"]
    named = dataclasses.replace(subs[0], tables={"bieu_06a": [{"linh_vuc": "  Hộ   tịch ",
                                                               "tiep_nhan_tong": Decimal(4)}]})
    nameless = dataclasses.replace(subs[1], tables={"bieu_06a": [{"linh_vuc": None, "tiep_nhan_tong": Decimal(5)},
                                                                 {"linh_vuc": "", "tiep_nhan_tong": Decimal(6)},
                                                                 {"linh_vuc": " ", "tiep_nhan_tong": None}]})
    rows = aggregate(definition, [named, nameless]).tables["bieu_06a"]
    assert [(r["linh_vuc"], r["tiep_nhan_tong"]) for r in rows] == [("Hộ tịch", 4), ("Khác", 11)]
    assert [(r["linh_vuc"], r["tiep_nhan_tong"]) for r in aggregate(definition, [nameless]).tables["bieu_06a"]] \
        == [("Khác", 11)]
    empty = dataclasses.replace(subs[1], tables={"bieu_06a": [{"linh_vuc": None, "tiep_nhan_tong": None},
                                                              {"linh_vuc": "Đất đai", "tiep_nhan_tong": Decimal(6)}]})
    # an empty row left between named ones adds nothing, and the rows after it still count
    assert [(r["linh_vuc"], r["tiep_nhan_tong"]) for r in aggregate(definition, [empty]).tables["bieu_06a"]] \
        == [("Đất đai", 6)]
    # a nameless row among named ones: the rows after it still count, and a unit's own «Khác» joins it
    mixed = dataclasses.replace(subs[1], tables={"bieu_06a": [{"linh_vuc": None, "tiep_nhan_tong": Decimal(5)},
                                                              {"linh_vuc": "Đất đai", "tiep_nhan_tong": Decimal(6)},
                                                              {"linh_vuc": "khác", "tiep_nhan_tong": Decimal(1)}]})
    rows = aggregate(definition, [mixed]).tables["bieu_06a"]
    assert [(r["linh_vuc"], r["tiep_nhan_tong"]) for r in rows] == [("Khác", 6), ("Đất đai", 6)]


def test_a_file_of_a_template_without_a_table_or_a_list_adds_nothing_to_them(returned):
    """A unit's file built from a template version without the form or the list (read back with
    neither): the merge adds up what it has and compiles the others' rows."""
    definition, subs = returned["definition"], returned["subs"]
    older = dataclasses.replace(subs[0], tables={}, lists={})
    agg = aggregate(definition, [older, subs[1]])
    assert [r["linh_vuc"] for r in agg.tables["bieu_06a"]] == ["HỘ TỊCH", "Chứng thực"]  # spaces tidied
    assert [i["noi_dung"] for i in agg.lists["kien_nghi"]] == ["Bổ sung máy quét hồ sơ.", "Hỗ trợ kinh phí số hóa."]
    assert agg.values["tthc_tiep_nhan_tong"] == 1000


def test_a_request_of_a_file_without_its_unit_shows_empty_cells_never_none(returned):
    definition, subs = returned["definition"], returned["subs"]
    unknown = dataclasses.replace(subs[0], unit={**subs[0].unit, "code": None, "name": None})
    [item] = aggregate(definition, [unknown]).lists["kien_nghi"]
    assert (item[UNIT_CODE], item[UNIT_NAME]) == ("", "")


def test_the_units_requests_are_compiled_each_with_its_unit(returned):
    agg = aggregate(returned["definition"], returned["subs"])
    items = agg.lists["kien_nghi"]
    assert [(i["noi_dung"], i[UNIT_CODE], i[UNIT_NAME]) for i in items] == [
        ("Tập huấn phần mềm một cửa cho công chức.", "70001", "Phường Một"),
        ("Bổ sung máy quét hồ sơ.", "70002", "Xã Hai"),
        ("Hỗ trợ kinh phí số hóa.", "70002", "Xã Hai")]
    # lists the merge does not compile (the office's own documents, its recipients) stay empty
    assert set(agg.lists) == {lst.code for lst in returned["definition"].lists if lst.aggregate == "list"}


def test_implausible_values_inside_a_total_are_named_and_can_be_left_out(returned):
    definition, subs = returned["definition"], returned["subs"]
    found = [f for f in subs[0].findings if f["rule"] == "value_implausible"]
    assert found and found[0]["fields"] == ["giai_ngan_thuc_hien"]  # 54 020 tỷ đồng disbursed by one ward
    agg = aggregate(definition, subs)
    assert agg.suspect == {"giai_ngan_thuc_hien": ["Phường Một"]}
    assert agg.values["giai_ngan_thuc_hien"] == 54020
    # the same unit twice (a resent copy read as another file) is named once
    assert aggregate(definition, [subs[0], subs[0]]).suspect == {"giai_ngan_thuc_hien": ["Phường Một"]}
    # `cchc merge --exclude-implausible`: the value stays out of the total and is no longer suspect
    out = aggregate(definition, subs, {"giai_ngan_thuc_hien": {"70001"}})
    assert out.values["giai_ngan_thuc_hien"] is None and out.suspect == {}
    assert out.values["tthc_tiep_nhan_tong"] == 1005  # only that field of that unit is left out
    # leaving out one unit's value of an added-up field keeps the others'
    out = aggregate(definition, subs, {"tthc_tiep_nhan_tong": {"70001"}})
    assert out.values["tthc_tiep_nhan_tong"] == 205
    assert out.suspect == {"giai_ngan_thuc_hien": ["Phường Một"]}


def test_a_unit_row_of_the_summary_holds_its_figures_and_ratios(returned):
    definition, subs = returned["definition"], returned["subs"]
    row = unit_values(definition, subs[1])
    assert row["tthc_tiep_nhan_tong"] == 200 and row["tthc_cong_khai"] == 188
    assert row["ty_le_gq_dung_han"] == ratio_value(Decimal(190), Decimal(200)) == Decimal("95.00")
    # every ratio has its column, computed or not; every figure the unit typed has its own
    assert {r.code for r in definition.ratios} <= set(row)
    assert row["ty_le_giai_ngan"] is None
    typed = {k for k, v in subs[1].values.items() if v is not None}
    shown = {c.key for c in [*value_columns(definition), *unit_columns(definition)]}
    assert typed & shown <= set(row)
    assert set(row) - {r.code for r in definition.ratios} <= shown


def test_a_same_field_shows_each_value_with_its_units_a_few_by_name(returned):
    """Seven communes' copies of one returned file, each with its own name and published count: four
    say 1 190, three say 1 188."""
    definition, sub = returned["definition"], returned["subs"][1]
    subs = [dataclasses.replace(sub, unit={**sub.unit, "code": f"7010{i}", "name": f"Xã Số {i}"},
                                values={**sub.values, "tthc_cong_khai": Decimal(1190 if i < 4 else 1188)})
            for i in range(7)]
    agg = aggregate(definition, subs)
    assert agg.values["tthc_cong_khai"] is None
    [flag] = agg.flags
    assert definition.field_map()["tthc_cong_khai"].label in flag
    # each value in Vietnamese form, the smaller first; at most three units named, then «…»
    assert flag.index("1.188") < flag.index("1.190")
    assert "Xã Số 6" in flag and "Xã Số 0" in flag and "Xã Số 2" in flag and "Xã Số 3" not in flag
    assert flag.count("…") == 1
    # the values part as the specialist reads it: value (units), one value after the other; three
    # units are all named, a fourth makes «…»
    assert "1.188 (Xã Số 4, Xã Số 5, Xã Số 6); 1.190 (Xã Số 0, Xã Số 1, Xã Số 2…)" in flag


# --------------------------------------------------------------------------- added as data: max, list, fixed rows
EXTRA_RATIOS = (
    '  - {code: ty_le_truc_tuyen_bieu, label: "Tỷ lệ trực tuyến theo Biểu 06a", section: II.2, share: true,\n'
    '     numerator: "sum(bieu_06a.truc_tuyen)", denominator: "sum(bieu_06a.tiep_nhan_tong)", unit: hồ sơ}\n'
    '  - {code: kien_nghi_nhiem_vu, label: "Kiến nghị trên một nhiệm vụ kế hoạch", section: V,\n'
    '     numerator: "count(kien_nghi)", denominator: kh_cchc_nhiem_vu_tong, unit: kiến nghị}\n')


@prebuilt
def custom(tmp: Path):
    """A province profile that adds a figure kept at its largest (``max``) and a text compiled unit by
    unit (``list``), as data only; Huế's fixed-row Phụ lục 4 comes with the profile it extends."""
    root = tmp / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    hue = (root / "cchc" / "profiles" / "hue.yaml").read_text(encoding="utf-8")
    (root / "cchc" / "profiles" / "thu.yaml").write_text(
        hue.replace("id: hue", "id: thu") +
        "fields:\n"
        "  - {code: cds_diem, section: I.5, label: \"Điểm chuyển đổi số cao nhất\", type: decimal, unit: điểm,"
        " decimals: 2, max: 100, plausible_max: 95, aggregate: max}\n"
        "  - {code: dau_moi, section: I.5, label: \"Đầu mối chuyển đổi số\", type: text, aggregate: list}\n"
        "  - {code: so_tthc_tinh, section: I.5, label: \"Số TTHC của tỉnh\", type: integer, unit: thủ tục,"
        " plausible_max: 3000, aggregate: same}\n",
        encoding="utf-8")
    ratios = root / "cchc" / "ratios.yaml"
    ratios.write_text(ratios.read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA_RATIOS, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("CCHC_TEMPLATES", str(root))
    try:
        definition = load_definition(profile="thu")
        units = [Unit("46001", "Phường Thuận Hòa", "phuong", "46", ""), Unit("46002", "Xã Phú Mậu", "xa", "46", ""),
                 Unit("46003", "Xã Hương Phong", "xa", "46", "")]
        payloads = [
            {"values": {"cds_diem": 87.5, "dau_moi": "Ông Lê Văn A", "so_tthc_tinh": 1800},
             "tables": {"phu_luc_4": [{"row": "tthc_ra_soat", "quy_1": 2, "quy_2": 3},
                                      {"row": "vbqppl_ban_hanh", "quy_1": 1}]}},
            {"values": {"cds_diem": 91.25, "so_tthc_tinh": 1800},
             "tables": {"phu_luc_4": [{"row": "vbqppl_ban_hanh", "quy_2": 4, "nam_truoc": 6}]}},
            {"values": {"cds_diem": 64, "dau_moi": "Bà Trần Thị B"}},
            # 99 points (above what is plausible), 18 000 procedures (a slip for 1 800), and text typed
            # in a number cell before them: all three found while reading
            {"values": {"cds_diem": 99, "so_tthc_tinh": 18000}},
        ]
        units.append(Unit("46004", "Xã Hải Dương", "xa", "46", ""))
        subs = [_returned(tmp, definition, u, p) for u, p in zip(units, payloads, strict=True)]
        pos = compute_layout(definition).fields["kh_cchc_nhiem_vu_tong"]
        wb = openpyxl.load_workbook(subs[3].path)
        wb[pos.sheet][pos.ref].value = "khoảng 700"
        wb.save(subs[3].path)
        subs[3] = inspect_file(subs[3].path, Path(subs[3].path).name)
    finally:
        mp.undo()
    return {"definition": definition, "subs": subs}


def test_a_max_field_keeps_the_largest_and_a_list_field_names_each_unit(custom):
    agg = aggregate(custom["definition"], custom["subs"][:3])
    assert agg.values["cds_diem"] == Decimal("91.25")  # the largest, never a sum (242,75) or the first
    assert agg.values["dau_moi"] == "Phường Thuận Hòa: Ông Lê Văn A\nXã Hương Phong: Bà Trần Thị B"


def test_ratios_added_as_data_over_a_table_column_and_the_requests_come_from_the_totals(custom):
    definition, subs = custom["definition"], custom["subs"]
    first = dataclasses.replace(subs[0], values={**subs[0].values, "kh_cchc_nhiem_vu_tong": Decimal(5)},
                                tables={"bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": Decimal(40),
                                                      "truc_tuyen": Decimal(30)}]},
                                lists={"kien_nghi": [{"noi_dung": "Tập huấn"}, {"noi_dung": "Kinh phí"}]})
    second = dataclasses.replace(subs[1], values={**subs[1].values, "kh_cchc_nhiem_vu_tong": Decimal(3)},
                                 tables={"bieu_06a": [{"linh_vuc": "Chứng thực", "tiep_nhan_tong": Decimal(24),
                                                       "truc_tuyen": Decimal(3)}]},
                                 lists={"kien_nghi": [{"noi_dung": "Máy quét"}, {"noi_dung": ""}]})
    agg = aggregate(definition, [first, second])
    table = agg.ratios["ty_le_truc_tuyen_bieu"]
    assert (table.numerator, table.denominator, table.value) == (33, 64, Decimal("51.56"))
    count = agg.ratios["kien_nghi_nhiem_vu"]
    assert (count.numerator, count.denominator, count.value) == (3, 8, Decimal("37.50"))


def test_fixed_rows_first_met_out_of_the_forms_order_are_put_back_in_it(custom):
    """A unit whose file has only some of the form's rows (an older version of the form) comes first:
    the summary still lists the rows in the form's order."""
    definition, subs = custom["definition"], custom["subs"]
    late = dataclasses.replace(subs[0], tables={"phu_luc_4": [{"row": "tthc_ra_soat", "quy_1": Decimal(2)}]})
    early = dataclasses.replace(subs[1], tables={"phu_luc_4": [{"row": "vbqppl_ban_hanh", "quy_1": Decimal(1)},
                                                               {"row": "tthc_ra_soat", "quy_1": Decimal(3)}]})
    rows = aggregate(definition, [late, early]).tables["phu_luc_4"]
    assert [(r["row"], r["quy_1"], r["tong_cong"]) for r in rows] == [("vbqppl_ban_hanh", 1, 1), ("tthc_ra_soat", 5, 5)]


def test_fixed_rows_keep_the_forms_order_and_their_total_column(custom):
    definition = custom["definition"]
    agg = aggregate(definition, custom["subs"])
    rows = agg.tables["phu_luc_4"]
    order = [r.code for r in definition.table_map()["phu_luc_4"].rows]
    # the form's order, not the files' (the first file lists tthc_ra_soat first)
    assert [r["row"] for r in rows] == [c for c in order if c in {r["row"] for r in rows}]
    assert rows[0]["row"] == "vbqppl_ban_hanh"
    by_row = {r["row"]: r for r in rows}
    ban_hanh, ra_soat = by_row["vbqppl_ban_hanh"], by_row["tthc_ra_soat"]
    assert (ban_hanh["quy_1"], ban_hanh["quy_2"], ban_hanh["nam_truoc"]) == (1, 4, 6)
    assert ban_hanh["tong_cong"] == 5  # the form's own total column, worked out from the summed quarters
    assert ra_soat["tong_cong"] == 5 and ra_soat["quy_3"] is None


def test_implausible_values_of_max_and_same_fields_are_named_too(custom):
    definition, subs = custom["definition"], custom["subs"]
    rules = [f["rule"] for f in subs[3].findings]
    assert rules.index("value_text_number") < rules.index("value_implausible")  # another finding first
    agg = aggregate(definition, subs)
    assert agg.values["cds_diem"] == 99
    assert agg.suspect == {"cds_diem": ["Xã Hải Dương"], "so_tthc_tinh": ["Xã Hải Dương"]}
    assert agg.values["so_tthc_tinh"] is None and len(agg.flags) == 1  # 1 800 against 18 000: flagged
    # a list field's text is never a figure to suspect, nor one left empty
    assert aggregate(definition, subs[:3]).suspect == {}
