"""The narrative writer's figures, comparisons and forms, as a reader of the report sees them
(issue 19: mutants of ``narrative/writer.py`` that survived; see docs/mutants.md).

The ward's workbooks of ``test_mutants_writer`` (this half-year and the same half of last year) and a
province's profile adding, as data, a percentage, a decimal with one decimal place and a count,
which a section template of its own compares with the quarter before; each test
retypes what a clerk would and checks the sentences and the forms appended against the
forms' own layout (Biểu 06a: domain.md §6.2) and the Vietnamese number format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import test_mutants_writer as writer_tests
from prebuild import prebuilt, templates_in_use
from test_mutants_writer import _body, _table, _with
from test_narrative import CLEAN, SEN, _book

from xl_addin.narrative import build_report

D = Decimal
books, hue = writer_tests.books, writer_tests.hue  # the ward's and the Huế workbooks (fixtures, used by name)

FIELDS = (
    "fields:\n"
    "  - {code: ty_le_mau_so_hoa, section: I.6, label: \"Tỷ lệ hồ sơ được số hóa\", type: percent, unit: \"%\"}\n"
    "  - {code: diem_danh_gia, section: I.6, label: \"Điểm đánh giá mô hình\", type: decimal, decimals: 1,"
    " unit: điểm, qualifier: true}\n"
    "  - {code: so_dot_kiem_tra, section: I.6, label: \"Số đợt kiểm tra\", type: integer, unit: đợt}\n"
    "  - {code: so_dot_giam_sat, section: I.6, label: \"Số đợt giám sát\", type: integer, unit: đợt}\n"
    "  - {code: tong_so_dot, section: I.6, label: \"Tổng số đợt kiểm tra, giám sát\", type: integer, unit: đợt,"
    " formula: \"so_dot_kiem_tra + so_dot_giam_sat\"}\n"
    "ratios:\n"
    "  - {code: ty_le_dot_giam_sat, label: \"Tỷ lệ đợt giám sát\", section: I.6, numerator: so_dot_giam_sat,"
    " denominator: tong_so_dot, unit: đợt}\n"
    "  - {code: ty_le_kiem_tra_nhiem_vu, label: \"Tỷ lệ đợt kiểm tra trên nhiệm vụ\", section: I.6,"
    " numerator: so_dot_kiem_tra, denominator: kh_cchc_nhiem_vu_tong, unit: đợt}\n"
)
LIST = ("  - code: dot_kiem_tra\n    label: Các đợt kiểm tra\n    sheet: danh_gia\n    section: I.6\n    capacity: 5\n"
        "    columns:\n      - {code: noi_dung, label: \"Nội dung\", type: text, width: 40}\n"
        "      - {code: ngay, label: \"Ngày\", type: date, width: 12}\n"
        "      - {code: so_nguoi, label: \"Số người\", type: integer, width: 10}\n")
# the profile's own words for I.6: a comparison told after a colon, one after the filter's own comma,
# and the name of a ratio the definition does not have (which tells nothing)
TEMPLATE = ("Kết quả đánh giá mô hình{{ so_sanh(\"diem_danh_gia\")|kem(\": \") }}; "
            "số đợt kiểm tra{{ so_sanh(\"so_dot_kiem_tra\")|kem }}{{ r.ty_le_khong_co.label }}"
            "{{ so_sanh(\"ty_le_mau_so_hoa\")|kem(\"; tỷ lệ số hóa \") }}"
            "{{ r.ty_le_khong_co|phan_so }}{{ r.ty_le_kh_cchc|phan_so|kem(\"; nhiệm vụ \") }}.\n")


@prebuilt
def figures_book(tmp: Path):
    """A profile's fields of three more kinds, none read by a template (the templates folder, and the
    workbook read back)."""
    import shutil

    from xl_addin.definition.loader import definition_dir

    root = tmp / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    # Biểu 06a's first column without its own width: the form's sheet and the form appended take the default
    tables = root / "cchc" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    label = "giải quyết theo cấp\", type: text"
    tables.write_text(text.replace(label + ", width: 34}", label + "}"), encoding="utf-8")
    lists = root / "cchc" / "lists.yaml"
    lists.write_text(lists.read_text(encoding="utf-8").rstrip("\n") + "\n" + LIST, encoding="utf-8")
    (root / "cchc" / "profiles" / "thu.yaml").write_text("id: thu\nname: Tỉnh Thử\nprovince_code: \"70\"\n" + FIELDS,
                                                         encoding="utf-8")
    own = root / "cchc" / "narrative" / "profiles" / "thu" / "sections"
    own.mkdir(parents=True)
    (own / "I.6.j2").write_text(TEMPLATE, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("CCHC_TEMPLATES", str(root))
    payload = dict(CLEAN, values=dict(CLEAN["values"], ty_le_mau_so_hoa=12.5, diem_danh_gia=8.25, so_dot_kiem_tra=3,
                                                       so_dot_giam_sat=2))
    try:
        return root, read_back(_book(tmp, SEN, "6T-2026", payload, profile="thu"))
    finally:
        mp.undo()


def read_back(path: Path):
    from xl_addin.workbook.reader import read_workbook

    return read_workbook(path)


@pytest.fixture(scope="module")
def figures(figures_book):
    """The workbook of ``figures_book``, its templates folder in use while the module's tests run."""
    yield from templates_in_use(*figures_book)


def _quarter_before(data, values: dict):
    """The same workbook as the quarter before, with ``values`` typed then."""
    return dataclasses.replace(data, meta={**data.meta, "period_code": "Q1-2026"},
                               values={**data.values, "tu_ngay": None, "den_ngay": None, **values})


def _section(report, code: str) -> list[str]:
    return [b.text for b in report.blocks if b.section == code]


# --------------------------------------------------------------------------- figures no template tells
def test_a_percentage_a_decimal_and_a_count_told_each_in_its_own_format(figures):
    blocks = _section(build_report(figures), "I.6")
    assert blocks[2:] == [
        "- Tỷ lệ hồ sơ được số hóa: 12,5%;",  # a percentage as one
        "- Điểm đánh giá mô hình: 8,3 điểm;",  # one decimal place, rounded half up, its unit
        "- Số đợt kiểm tra: 03 đợt;",  # a count: one to nine with a leading zero
        "- Số đợt giám sát: 02 đợt;",  # their total, computed, is not told again
        "- Tỷ lệ đợt giám sát đạt 40% (2/5 đợt);",
        "- Tỷ lệ đợt kiểm tra trên nhiệm vụ đạt 7,5% (3/40 đợt).",
    ]
    # a typed 0 %: a percentage told as 0 %, never «không có» (as a count of 0 is)
    zero = _section(build_report(_with(figures, {"ty_le_mau_so_hoa": D(0), "so_dot_kiem_tra": D(0)})), "I.6")
    assert "- Tỷ lệ hồ sơ được số hóa: 0%;" in zero and "- Số đợt kiểm tra: không có;" in zero


# --------------------------------------------------------------------------- comparisons
def test_a_decimal_a_count_and_a_percentage_compared_with_the_quarter_before(figures):
    before = _quarter_before(figures, {"diem_danh_gia": D(8), "so_dot_kiem_tra": D(1), "ty_le_mau_so_hoa": D(12)})
    [_, opening, *_rest] = _section(build_report(figures, before), "I.6")
    # 8,25 against 8: a gap of 0,25 told to the field's one decimal place; 3 against 1: «02», no unit word
    assert opening == ("Kết quả đánh giá mô hình: tăng 0,3 điểm, tương đương 3,13%, so với kỳ trước; "
                       "số đợt kiểm tra, tăng 02 đợt, tương đương 200%, so với kỳ trước; "
                       "tỷ lệ số hóa tăng 0,5 điểm phần trăm so với kỳ trước; nhiệm vụ 30/40.")
    # a whole gap of a decimal is no count: «5», never «05»; a figure below 1 before still has its share
    low = _quarter_before(figures, {"diem_danh_gia": D("3.25"), "so_dot_kiem_tra": D("0.5"), "ty_le_mau_so_hoa": None})
    [_, opening, *_rest] = _section(build_report(figures, low), "I.6")
    assert opening.startswith("Kết quả đánh giá mô hình: tăng 5 điểm, tương đương 153,85%, so với kỳ trước; "
                              "số đợt kiểm tra, tăng 2,5 đợt, tương đương 500%, so với kỳ trước")


def test_a_ratio_up_by_less_than_a_point_is_an_increase(books):
    now, before = books["now"], books["last_year"]
    # 1 980/2 000 = 99 % against 1 576/1 600 = 98,5 %
    earlier = _with(before, {"tthc_da_gq_truoc_han": D(1576), "tthc_da_gq_qua_han": D(24)})
    assert "đạt 99% (1.980/2.000 hồ sơ), tăng 0,5 điểm phần trăm so với cùng kỳ năm 2025" in \
        _body(build_report(now, earlier))


def test_a_typed_percentage_up_by_less_than_a_point_is_an_increase(books):
    now, before = books["now"], books["last_year"]
    up = _body(build_report(_with(now, {"van_ban_dien_tu_ty_le": D(90)}),
                            _with(before, {"van_ban_dien_tu_ty_le": D("89.5")})))
    assert "đạt 90%, tăng 0,5 điểm phần trăm so với cùng kỳ năm 2025" in up


def test_a_figure_not_typed_last_year_is_not_compared(books):
    now, before = books["now"], books["last_year"]
    body = _body(build_report(now, _with(before, {"tthc_tiep_nhan_tong": None})))
    assert "+ Tổng số hồ sơ tiếp nhận: 2.000 hồ sơ, trong đó: số mới tiếp nhận" in body


# --------------------------------------------------------------------------- forms appended
ROWS = [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": D(2000), "truc_tuyen": D(1800), "truc_tiep": D(200)}]


def test_bieu_06a_carries_its_circular_its_unit_and_its_balance_note(books):
    [form] = build_report(_table(books["now"], "bieu_06a", ROWS)).appendices
    assert form.subtitle == "(Theo Thông tư số 01/2020/TT-VPCP ngày 21/10/2020 của Văn phòng Chính phủ)"
    assert form.unit_label == "Đơn vị tính: Số hồ sơ TTHC"  # domain.md §6.2
    assert form.note.startswith("Quy ước cân đối") and "(3) = (4) + (5) + (6)" in form.note


def test_bieu_06a_groups_merge_over_their_columns(books):
    """Row by row, the heading cells of Biểu 06a: each group one cell over all its columns (domain.md §6.2)."""
    [form] = build_report(_table(books["now"], "bieu_06a", ROWS)).appendices
    rows = {}
    for c in sorted(form.header, key=lambda c: (c.row, c.col)):
        rows.setdefault(c.row, []).append((c.text, c.col, c.colspan))
    assert rows[0] == [("STT", 0, 1), ("Lĩnh vực, công việc giải quyết theo cấp", 1, 1),
                       ("Số hồ sơ nhận giải quyết", 2, 4), ("Kết quả giải quyết", 6, 7), ("Hồ sơ khác", 13, 2)]
    assert rows[1] == [("Tổng số", 2, 1), ("Số mới tiếp nhận", 3, 2), ("Từ kỳ trước", 5, 1),
                       ("Số hồ sơ đã giải quyết", 6, 4), ("Số hồ sơ đang giải quyết", 10, 3),
                       ("Chờ bổ sung", 13, 1), ("Trả lại, rút", 14, 1)]
    assert rows[2] == [("Trực tuyến", 3, 1), ("Trực tiếp, dịch vụ bưu chính", 4, 1),
                       ("Tổng số", 6, 1), ("Trước hạn", 7, 1), ("Đúng hạn", 8, 1), ("Quá hạn", 9, 1),
                       ("Tổng số", 10, 1), ("Trong hạn", 11, 1), ("Quá hạn", 12, 1)]
    assert [t for t, _c, _s in rows[3]] == [f"({k})" for k in range(1, 16)]


def test_a_fixed_row_form_has_a_kind_for_each_column(hue):
    form = next(f for f in build_report(hue).appendices if f.code == "phu_luc_4")
    table = hue.definition.table_map()["phu_luc_4"]
    # no STT column: the row's name, then the form's columns of figures
    assert form.numeric == [False] + [True] * len(table.columns) and len(form.numeric) == len(form.widths)


def test_a_form_before_its_number_is_given_names_the_bodys_symbol(books):
    now = books["now"]
    data = _table(now, "bieu_06a", ROWS, values={**now.values, "so_ky_hieu": None})
    [form] = build_report(data).appendices
    # the number left to be written by hand, before the ward's symbol, as in the report's header
    assert form.lines[0] == "(Kèm theo Báo cáo số …/BC-UBND ngày 16/6/2026 của Ủy ban nhân dân phường Thành Sen)"


def test_a_form_names_the_window_the_clerk_typed(books):
    now = books["now"]
    # a window typed backwards (a rule flags it): the form states the days as the clerk typed them
    data = _table(now, "bieu_06a", ROWS, values={**now.values, "tu_ngay": dt.date(2026, 6, 14),
                                                 "den_ngay": dt.date(2025, 12, 15)})
    report = build_report(data)
    [form] = report.appendices
    assert form.lines[2] == "Kỳ báo cáo: 6 tháng đầu năm 2026 (từ ngày 14/6/2026 đến ngày 15/12/2025)"


def test_a_figure_no_template_tells_keeps_its_word(figures):
    told = _section(build_report(_with(figures, {"diem_danh_gia_uoc_tinh": "khoang"})), "I.6")
    # the word is told with its figure, never as a figure of its own
    assert told[2:] == ["- Tỷ lệ hồ sơ được số hóa: 12,5%;", "- Điểm đánh giá mô hình: khoảng 8,3 điểm;",
                        "- Số đợt kiểm tra: 03 đợt;", "- Số đợt giám sát: 02 đợt;",
                        "- Tỷ lệ đợt giám sát đạt 40% (2/5 đợt);",
                        "- Tỷ lệ đợt kiểm tra trên nhiệm vụ đạt 7,5% (3/40 đợt)."]


def test_a_typed_ratio_is_told_only_when_the_tool_cannot_compute_it(books):
    now = books["now"]
    typed = _with(now, {"kh_cchc_ty_le_bao_cao": D(75)})
    # 30/40 tasks: the tool's 75 % is told; the clerk's own figure, kept to compare with, is not repeated
    assert _section(build_report(typed), "I.2")[1:] == [
        "Trong 6 tháng đầu năm 2026, UBND phường đã chỉ đạo triển khai thực hiện và hoàn thành 30/40 nhiệm vụ, "
        "đạt 75% theo Kế hoạch cải cách hành chính năm 2026."]
    # the plan's number of tasks left empty: the ratio typed is all the report can say
    assert _section(build_report(_with(typed, {"kh_cchc_nhiem_vu_tong": None})), "I.2")[1:] == [
        "Trong 6 tháng đầu năm 2026, UBND phường đã chỉ đạo triển khai thực hiện và hoàn thành 30 nhiệm vụ "
        "theo Kế hoạch cải cách hành chính năm 2026.",
        "- Tỷ lệ hoàn thành nhiệm vụ đã báo cáo: 75%."]
    # the activities' ratio, typed too, computed from its parts: only the tasks' typed ratio is told
    both = _with(typed, {"kh_cchc_nhiem_vu_tong": None, "kh_cchc_hoat_dong_tong": D(20),
                         "kh_cchc_hoat_dong_hoan_thanh": D(10), "kh_cchc_hoat_dong_ty_le_bao_cao": D(50)})
    assert _section(build_report(both), "I.2")[2:] == ["- Tỷ lệ hoàn thành nhiệm vụ đã báo cáo: 75%."]


def test_a_change_from_nothing_has_no_share(figures):
    """A score below zero (penalty points) after none the quarter before: no percentage of nothing."""
    before = _quarter_before(figures, {"diem_danh_gia": D(0), "so_dot_kiem_tra": D(3), "ty_le_mau_so_hoa": None})
    [_, opening, *_rest] = _section(build_report(_with(figures, {"diem_danh_gia": D("-1.5")}), before), "I.6")
    assert opening == ("Kết quả đánh giá mô hình: giảm 1,5 điểm so với kỳ trước; "
                       "số đợt kiểm tra, không thay đổi so với kỳ trước; nhiệm vụ 30/40.")
    # and half a point above it: a rise, however small
    [_, opening, *_rest] = _section(build_report(_with(figures, {"diem_danh_gia": D("0.5")}), before), "I.6")
    assert opening.startswith("Kết quả đánh giá mô hình: tăng 0,5 điểm so với kỳ trước;")


def test_a_ratios_parts_are_told_only_when_both_are_known(figures):
    opening = _section(build_report(figures), "I.6")[1]
    assert opening.endswith("; nhiệm vụ 30/40.")
    # the plan's number of tasks left empty: no fraction «8/…», and nothing for a ratio the definition lacks
    opening = _section(build_report(_with(figures, {"kh_cchc_nhiem_vu_tong": None})), "I.6")[1]
    assert opening == "Kết quả đánh giá mô hình; số đợt kiểm tra."


def test_a_form_appended_is_as_wide_as_its_sheet(figures):
    """The form's columns in the report have the widths of the form's sheet in the workbook (the default
    ones where the definition gives none), the row number's column apart."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    [form] = build_report(_table(figures, "bieu_06a", ROWS)).appendices
    block = figures.layout.tables["bieu_06a"]
    book = load_workbook(figures.file)
    ws = book[block.sheet] if block.sheet in book.sheetnames else next(
        w for w in book.worksheets if w.title == figures.definition.sheet_map()[block.sheet].title)
    cols = [block.label_col, *[block.columns[c.code] for c in block.definition.columns]]
    assert form.widths[1:] == [ws.column_dimensions[get_column_letter(c)].width for c in cols]


def test_a_fixed_row_forms_total_lines_up_with_its_columns(hue):
    """A form of fixed rows with a total row (as a province may define one): the total under each column."""
    definition = hue.definition
    tables = [t.model_copy(update={"total_row": "Tổng cộng"}) if t.code == "phu_luc_4" else t
              for t in definition.tables]
    data = dataclasses.replace(hue, definition=definition.model_copy(update={"tables": tables}),
                               table_totals={**hue.table_totals, "phu_luc_4": {"quy_1": D(2), "quy_2": D(3)}})
    form = next(f for f in build_report(data).appendices if f.code == "phu_luc_4")
    codes = [c.code for c in tables[[t.code for t in tables].index("phu_luc_4")].columns]
    assert len(form.total) == len(form.widths) and form.total[0] == "Tổng cộng"
    assert form.total[1 + codes.index("quy_1")] == "2" and form.total[1 + codes.index("quy_2")] == "3"


def test_the_body_names_each_form_it_appends(books, hue):
    report = build_report(_table(books["now"], "bieu_06a", ROWS))
    # in the form's own section (II.2, the procedures), after what it details
    assert "Số liệu chi tiết tại Biểu số II.06a/VPCP/KSTT kèm theo." in _section(report, "II.2")
    assert _body(report).count("Số liệu chi tiết tại") == 1
    # a form number written in capitals is named in a sentence's case: «Phụ lục 4»
    assert "Số liệu chi tiết tại Phụ lục 4 kèm theo." in _body(build_report(hue))


def test_a_form_with_no_figure_is_neither_cited_nor_appended(books, hue):
    now = books["now"]
    # Biểu 06a with a field of work named and no figure typed against it
    named = _table(now, "bieu_06a", [{"linh_vuc": "Hộ tịch", **{c.code: None for c in
                                                              now.definition.table_map()["bieu_06a"].columns}}])
    report = build_report(named)
    assert report.appendices == [] and "Số liệu chi tiết" not in _body(report)
    # Phụ lục 4's rows, each with its code and no figure
    table = hue.definition.table_map()["phu_luc_4"]
    empty = [{"row": r.code, **{c.code: None for c in table.columns}} for r in table.rows]
    report = build_report(dataclasses.replace(hue, tables={**hue.tables, "phu_luc_4": empty}))
    assert "phu_luc_4" not in [f.code for f in report.appendices] and "Phụ lục 4" not in _body(report)


def test_a_list_rows_empty_cells_are_left_out(figures):
    """A live workbook gives an empty cell as an empty text: left out as an empty one is."""
    rows = [{"noi_dung": "Kiểm tra bộ phận một cửa", "ngay": "", "so_nguoi": ""},
            {"noi_dung": "", "ngay": dt.date(2026, 3, 5), "so_nguoi": D(4)}]
    blocks = _section(build_report(dataclasses.replace(figures, lists={**figures.lists, "dot_kiem_tra": rows})), "I.6")
    assert blocks[-3:] == ["- Các đợt kiểm tra:", "+ Kiểm tra bộ phận một cửa;", "+ 05/3/2026, 4."]


def test_a_ratio_the_tool_cannot_compute_is_not_told(figures):
    blocks = _section(build_report(_with(figures, {"so_dot_giam_sat": None})), "I.6")
    # no «Tỷ lệ đợt giám sát đạt» with nothing after it; the next ratio still told
    assert blocks[-2:] == ["- Số đợt kiểm tra: 03 đợt;", "- Tỷ lệ đợt kiểm tra trên nhiệm vụ đạt 7,5% (3/40 đợt)."]
