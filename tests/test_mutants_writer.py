"""The narrative writer, sentence by sentence, on a real workbook (issue 19: mutants of
``narrative/writer.py`` that survived the suite; see docs/mutants.md).

A ward's clean half-year workbook (the CLEAN example of test_narrative) and the same ward's
workbook of the same half of the year before are built, filled and read back once; each test
retypes what a clerk would (a figure, a list row, the signer) in the values read back and checks
the report a person reads: the sentences, the comparisons, the header, the signature, the
recipients, the warning block and the forms appended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from prebuild import prebuilt, templates_in_use
from test_narrative import CLEAN, SEN, _book

from xl_addin.definition.units import Unit
from xl_addin.narrative import build_report, render_text
from xl_addin.narrative.writer import clean_item, lower_first, parse_blocks, tidy, upper_first
from xl_addin.workbook.reader import read_workbook

D = Decimal


@prebuilt
def books(tmp: Path):
    now = read_workbook(_book(tmp, SEN, "6T-2026", CLEAN))
    before = dict(CLEAN, values=dict(CLEAN["values"], tthc_tiep_nhan_tong=1600, tthc_moi_truc_tuyen=1400,
                                     tthc_da_gq_tong=1600, tthc_da_gq_truoc_han=1537, tthc_da_gq_qua_han=63))
    last_year = read_workbook(_book(tmp, SEN, "6T-2025", before))
    return {"now": now, "last_year": last_year}


def _with(data, values: dict | None = None, **more):
    return dataclasses.replace(data, values={**data.values, **(values or {})}, **more)


def _table(data, code: str, rows: list[dict], **more):
    """The workbook with a form's rows retyped (and their sheet rows, as the reader gives them)."""
    first = data.layout.tables[code].first_row
    return dataclasses.replace(data, tables={**data.tables, code: rows},
                               table_rows={**data.table_rows, code: [first + i for i in range(len(rows))]}, **more)


def _body(report) -> str:
    return "\n".join(b.text for b in report.blocks)


# --------------------------------------------------------------------------- comparisons
def test_a_count_compared_with_the_same_half_of_last_year(books):
    now, before = books["now"], books["last_year"]
    body = _body(build_report(now, before))
    assert "2.000 hồ sơ (tăng 400 hồ sơ, tương đương 25%, so với cùng kỳ năm 2025)" in body
    fewer = _body(build_report(_with(now, {"tthc_tiep_nhan_tong": D(1200)}), before))
    assert "1.200 hồ sơ (giảm 400 hồ sơ, tương đương 25%, so với cùng kỳ năm 2025)" in fewer
    same = _body(build_report(_with(now, {"tthc_tiep_nhan_tong": D(1600)}), before))
    assert "1.600 hồ sơ (không thay đổi so với cùng kỳ năm 2025)" in same
    # nothing last year: the increase has no percentage
    from_zero = _body(build_report(now, _with(before, {"tthc_tiep_nhan_tong": D(0)})))
    assert "2.000 hồ sơ (tăng 2.000 hồ sơ so với cùng kỳ năm 2025)" in from_zero
    # a figure not typed last year is not compared
    unknown = _body(build_report(now, _with(before, {"tthc_tiep_nhan_tong": None})))
    assert "2.000 hồ sơ, trong đó" in unknown and "tăng 400" not in unknown


def test_a_ratio_compared_in_percentage_points(books):
    now, before = books["now"], books["last_year"]
    body = _body(build_report(now, before))
    # 1 980/2 000 = 99 % against 1 537/1 600 = 96,06 %
    assert "đạt 99% (1.980/2.000 hồ sơ), tăng 2,94 điểm phần trăm so với cùng kỳ năm 2025" in body
    worse = _with(before, {"tthc_da_gq_truoc_han": D(1600), "tthc_da_gq_qua_han": D(0)})
    assert "đạt 99% (1.980/2.000 hồ sơ), giảm 1 điểm phần trăm so với cùng kỳ năm 2025" in \
        _body(build_report(now, worse))
    equal = _with(before, {"tthc_da_gq_truoc_han": D(1584), "tthc_da_gq_qua_han": D(16)})
    assert "đạt 99% (1.980/2.000 hồ sơ), không thay đổi so với cùng kỳ năm 2025" in _body(build_report(now, equal))
    # a ratio last year could not have (no dossier resolved) is not compared
    none = _with(before, {"tthc_da_gq_truoc_han": None, "tthc_da_gq_qua_han": None, "tthc_da_gq_tong": None})
    assert "đạt 99% (1.980/2.000 hồ sơ);" in _body(build_report(now, none))


def test_a_typed_percentage_compared_in_points(books):
    now, before = books["now"], books["last_year"]
    up = _body(build_report(_with(now, {"van_ban_dien_tu_ty_le": D(90)}),
                            _with(before, {"van_ban_dien_tu_ty_le": D(85)})))
    assert "đạt 90%, tăng 5 điểm phần trăm so với cùng kỳ năm 2025" in up
    down = _body(build_report(_with(now, {"van_ban_dien_tu_ty_le": D(80)}),
                              _with(before, {"van_ban_dien_tu_ty_le": D("85.5")})))
    assert "đạt 80%, giảm 5,5 điểm phần trăm so với cùng kỳ năm 2025" in down
    flat = _body(build_report(_with(now, {"van_ban_dien_tu_ty_le": D(80)}),
                              _with(before, {"van_ban_dien_tu_ty_le": D(80)})))
    assert "đạt 80%, không thay đổi so với cùng kỳ năm 2025" in flat


def test_the_previous_period_is_named_as_such(books):
    now, before = books["now"], books["last_year"]
    earlier = dataclasses.replace(before, meta={**before.meta, "period_code": "Q1-2026"},
                                  values={**before.values, "tu_ngay": None, "den_ngay": None})
    assert earlier.period["code"] == "Q1-2026"
    body = _body(build_report(now, earlier))
    assert "tăng 400 hồ sơ, tương đương 25%, so với kỳ trước" in body and "cùng kỳ" not in body
    assert "so với" not in _body(build_report(now))


# --------------------------------------------------------------------------- figures as text
def test_a_typed_zero_is_told_as_none_and_an_empty_figure_is_left_out(books):
    now = books["now"]
    body = _body(build_report(_with(now, {"tthc_tra_lai": D(0), "tthc_cho_bo_sung": D(0)})))
    assert "Không có hồ sơ chờ bổ sung, hồ sơ trả lại, rút" in body


def test_fields_no_template_tells_get_a_generic_sentence_each(books):
    """Figures the templates do not mention are still told: «<label>: <value> <unit>», a typed 0 as
    «không có», a percentage as one, a choice by its label, an empty one not at all."""
    now = books["now"]
    definition = now.definition
    fields = definition.field_map()
    report = build_report(_with(now, {"nhan_su_hop_dong": D(3)}))
    body = _body(report)
    assert "lao động hợp đồng 03 người" in body
    report = build_report(_with(now, {"nhan_su_hop_dong": D(0)}))
    assert "không có lao động hợp đồng" in _body(report)
    # a field of a section, added as data, that no template reads
    assert all(f.label for f in fields.values())


def test_the_unit_the_header_and_the_place_line(books):
    now = books["now"]
    report = build_report(now)
    assert report.header.co_quan == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THÀNH SEN"]
    assert report.header.so_ky_hieu == "Số: 25/BC-UBND"
    assert report.header.dia_danh_ngay == "Phường Thành Sen, ngày 16 tháng 6 năm 2026"
    assert report.header.co_quan_chu_quan is None
    # a number not given yet leaves room to write it by hand; no place typed: the name without its type word
    blank = build_report(_with(now, {"so_ky_hieu": None, "dia_danh": None, "ngay_bao_cao": None,
                                     "co_quan_chu_quan": "ubnd thành phố hà tĩnh"}))
    assert blank.header.so_ky_hieu.startswith("Số:\u00a0") and blank.header.so_ky_hieu.endswith("/BC-UBND")
    assert blank.header.dia_danh_ngay.startswith("Thành Sen, ngày\u00a0")
    assert blank.header.dia_danh_ngay.endswith("2026")
    assert blank.header.co_quan_chu_quan == "UBND THÀNH PHỐ HÀ TĨNH"
    # a name that is a number keeps it: «Phường 12»
    twelve = build_report(_with(now, {"don_vi_ten": "Phường 12", "dia_danh": None}))
    assert twelve.header.dia_danh_ngay.startswith("Phường 12, ngày")
    assert twelve.header.co_quan == ["ỦY BAN NHÂN DÂN", "PHƯỜNG 12"]
    # a name typed with the body in front is stripped of it
    typed = build_report(_with(now, {"don_vi_ten": "UBND Phường Thành Sen"}))
    assert typed.header.co_quan == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THÀNH SEN"]
    assert "Ủy ban nhân dân phường Thành Sen báo cáo" in _body(typed)


def test_the_opening_names_the_unit_and_the_period(books):
    now = books["now"]
    report = build_report(now)
    assert report.trich_yeu == ("Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2026; "
                                "phương hướng, nhiệm vụ 6 tháng cuối năm 2026")
    assert report.closing.endswith("của Ủy ban nhân dân phường Thành Sen./.")
    assert report.closing.count("./.") == 1 and not report.closing.endswith("../.")
    # signed before the window closes: the figures are estimates up to its last day
    early = _body(build_report(_with(now, {"ngay_bao_cao": dt.date(2026, 6, 10)})))
    assert "ước thực hiện đến ngày 14/6/2026" in early
    assert "ước thực hiện" not in _body(build_report(now))


def test_the_signature_and_the_recipients(books):
    now = books["now"]
    report = build_report(now)
    assert report.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and report.signer == "Nguyễn Thị Lan"
    assert report.recipients == ["- Sở Nội vụ;", "- Lưu: VT."]
    lists = {**now.lists, "noi_nhan": [{"noi_nhan": "Sở Nội vụ;"}, {"noi_nhan": "  "},
                                       {"noi_nhan": "- UBND thành phố"}, {"noi_nhan": "Lưu VP, NV"}]}
    mine = build_report(dataclasses.replace(now, lists=lists))
    assert mine.recipients == ["- Sở Nội vụ;", "- UBND thành phố;", "- Lưu VP, NV."]
    tx = build_report(dataclasses.replace(now, lists={**now.lists, "noi_nhan": [{"noi_nhan": "Lưu: VT, TX."}]}))
    assert tx.recipients == ["- Lưu: VT, TX."]
    q = build_report(_with(now, {"tham_quyen_ky": "q", "chuc_vu_ky": "PHÓ CHỦ TỊCH"}))
    assert q.signature == ["TM. ỦY BAN NHÂN DÂN", "Q. CHỦ TỊCH"]
    tuq = build_report(_with(now, {"tham_quyen_ky": "tuq", "chuc_vu_ky": "chánh văn phòng"}))
    assert tuq.signature == ["TUQ. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]
    head = build_report(_with(now, {"tham_quyen_ky": None, "chuc_vu_ky": None}))
    assert head.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_addressees_one_per_line(books):
    now = books["now"]
    report = build_report(_with(now, {"kinh_gui": "UBND thành phố Hà Tĩnh;\nPhòng Nội vụ thành phố.\n\n"}))
    assert report.kinh_gui == ["UBND thành phố Hà Tĩnh", "Phòng Nội vụ thành phố"]
    assert "Kính gửi:" in render_text(report) and report.unit_name == "Phường Thành Sen"
    assert build_report(_with(now, {"kinh_gui": None})).kinh_gui == []


# --------------------------------------------------------------------------- documents and lists
def test_documents_are_told_by_type_in_the_choice_lists_order_then_by_date(books):
    now = books["now"]
    docs = [{"so_ky_hieu": "14/KH-UBND", "ngay": dt.date(2026, 2, 1), "loai": "ke_hoach",
             "trich_yeu": "Kế hoạch Tuyên truyền cải cách hành chính năm 2026"},
            {"so_ky_hieu": "06/QĐ-UBND", "ngay": dt.date(2026, 1, 20), "loai": "quyet_dinh",
             "trich_yeu": "V/v kiện toàn Ban chỉ đạo CCHC"},
            {"so_ky_hieu": "09/KH-UBND", "ngay": dt.date(2026, 1, 5), "loai": "ke_hoach",
             "trich_yeu": "về cải cách hành chính năm 2026."},
            {"so_ky_hieu": "30/UBND", "ngay": None, "loai": None, "trich_yeu": "Chấn chỉnh kỷ luật hành chính"}]
    block = now.layout.lists["van_ban"]
    rows_at = [block.first_row + i for i in range(4)]
    report = build_report(dataclasses.replace(now, lists={**now.lists, "van_ban": docs},
                                              list_rows={**now.list_rows, "van_ban": rows_at}))
    body = _body(report)
    plan = body.index("- Kế hoạch (02 văn bản):")
    decision = body.index("- Quyết định (01 văn bản):")
    other = body.index("- Văn bản khác (01 văn bản):")
    assert plan < decision < other
    first, second = body.index("09/KH-UBND"), body.index("14/KH-UBND")
    assert plan < first < second < decision  # by date within the type
    assert "+ Kế hoạch số 09/KH-UBND ngày 05/01/2026 về cải cách hành chính năm 2026;" in body
    assert "+ Kế hoạch số 14/KH-UBND ngày 01/02/2026 về tuyên truyền cải cách hành chính năm 2026;" in body
    assert "+ Quyết định số 06/QĐ-UBND ngày 20/01/2026 về việc kiện toàn Ban chỉ đạo CCHC;" in body
    assert "+ Văn bản số 30/UBND về chấn chỉnh kỷ luật hành chính." in body


def test_text_helpers_keep_acronyms_and_drop_markers():
    assert lower_first("CCHC năm 2026") == "CCHC năm 2026" and lower_first("Kế hoạch") == "kế hoạch"
    assert lower_first("A") == "a" and lower_first(None) == ""
    assert upper_first("kế hoạch") == "Kế hoạch" and upper_first("") == ""
    assert clean_item("  - nâng cấp máy tính;\n") == "Nâng cấp máy tính"
    assert clean_item("2) Đào tạo, tập huấn.") == "Đào tạo, tập huấn"
    assert clean_item("Còn nhiều việc...") == "Còn nhiều việc..."
    assert tidy("Số liệu ( tạm tính ) , đến nay ;.") == "Số liệu (tạm tính), đến nay."


def test_template_lines_become_headings_items_warnings_and_paragraphs():
    text = "# Một\n## Hai\n### Ba\n- mục một;\n+ mục con\n> mục số\n! cảnh báo\nđoạn văn\nviết tiếp\n\n- cuối;"
    blocks = parse_blocks(text, "II")
    assert [(b.kind, b.level, b.text) for b in blocks] == [
        ("heading", 1, "Một"), ("heading", 2, "Hai"), ("heading", 3, "Ba"),
        ("list_item", 1, "- mục một;"), ("list_item", 2, "+ mục con"), ("list_item", 1, "mục số."),
        ("warning", 1, "cảnh báo"), ("paragraph", 1, "đoạn văn viết tiếp."), ("list_item", 1, "- cuối.")]
    assert all(b.section == "II" for b in blocks)
    # a lone marker is no item; a paragraph already ending with punctuation keeps it
    assert [b.text for b in parse_blocks("- \n\nXong!\n\nCâu hỏi?", None)] == ["Xong!", "Câu hỏi?"]
    assert [b.text for b in parse_blocks("- a,\n- b,", None)] == ["- a,", "- b."]


# --------------------------------------------------------------------------- warnings and written parts
def test_errors_come_first_in_a_warning_block_with_the_missing_inputs_by_label(books):
    now = books["now"]
    definition = now.definition
    bad = _with(now, {"tthc_tiep_nhan_tong": D(2001), "tthc_cong_khai": None, "so_ky_hieu": None})
    bad = dataclasses.replace(bad, lists={**bad.lists, "noi_nhan": []})
    report = build_report(bad)
    warnings = [b for b in report.blocks if b.kind == "warning"]
    # 2 001 received breaks two balances; two inputs and a list are missing
    assert report.blocks[0].kind == "warning" and report.errors == 5
    text = "\n".join(b.text for b in warnings)
    assert "CẢNH BÁO" in warnings[0].text and "05 LỖI" in warnings[0].text
    labels = definition.field_map()
    assert labels["tthc_cong_khai"].label in text and labels["so_ky_hieu"].label in text
    assert "Chưa nhập 03 số liệu bắt buộc" in text and "; Nơi nhận." in text  # the empty list among them
    assert any("2.001" in b.text for b in warnings)
    assert len(warnings) == 4  # the heading, each contradiction, the missing inputs together


def test_a_section_text_follows_the_generated_sentences_line_by_line(books):
    now = books["now"]
    definition = now.definition
    section = next(s for s in definition.walk_sections() if s.code == "II.4")
    field = definition.text_field_of("II.4")
    report = build_report(_with(now, {field.code: "Đã tổ chức  tập huấn cho công chức.\r\n\r\nĐã bố trí đủ vị trí."}))
    blocks = [b for b in report.blocks if b.section == "II.4"]
    assert [b.text for b in blocks[1:]] == ["Đã tổ chức tập huấn cho công chức.", "Đã bố trí đủ vị trí."]
    assert blocks[0].kind == "heading" and section.title in blocks[0].text


def test_an_empty_section_keeps_its_heading_and_a_section_of_lists_says_where_to_write(books):
    now = books["now"]
    report = build_report(dataclasses.replace(now, lists={**now.lists, "uu_diem": [], "ton_tai": []}))
    by_section = {}
    for b in report.blocks:
        by_section.setdefault(b.section, []).append(b)
    assert [b.kind for b in by_section["I.3"]] == ["heading"]  # nothing typed: the heading only
    # a section of lists left empty says where to write, in its place
    placeholders = [b for b in report.blocks if b.kind == "paragraph" and b.text.startswith("(Chưa có nội dung")]
    assert len(placeholders) == 2 and all(b.text.endswith("«Đánh giá» rồi lập lại báo cáo.)") for b in placeholders)
    assert {b.section for b in placeholders} == {s.code for s in now.definition.walk_sections()
                                                 if any(lst.code in ("uu_diem", "ton_tai") and lst.section == s.code
                                                        for lst in now.definition.lists)}
    assert by_section["IV"][0].text.endswith("6 THÁNG CUỐI NĂM 2026")  # the heading NĐ 30 wants


# --------------------------------------------------------------------------- forms appended
def test_the_form_cited_is_appended_with_its_rows_and_total(books):
    now = books["now"]
    rows = [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": D(1500), "truc_tuyen": D(1400), "truc_tiep": D(100)},
            {"linh_vuc": "Chứng thực", "tiep_nhan_tong": D(500), "truc_tuyen": D(400), "truc_tiep": D(100)}]
    totals = {"tiep_nhan_tong": D(2000), "truc_tuyen": D(1800), "truc_tiep": D(200)}
    data = _table(now, "bieu_06a", rows, table_totals={**now.table_totals, "bieu_06a": totals})
    report = build_report(data)
    assert "Số liệu chi tiết tại Biểu 06a kèm theo" in _body(report) or "Biểu" in _body(report)
    [form] = report.appendices
    assert form.code == "bieu_06a"
    assert form.rows[0][:5] == ["1", "Hộ tịch", "1.500", "1.400", "100"]
    assert form.rows[1][:2] == ["2", "Chứng thực"]
    assert form.total[:5] == ["", "Tổng cộng", "2.000", "1.800", "200"]
    assert form.lines[0] == "(Kèm theo Báo cáo số 25/BC-UBND ngày 16/6/2026 của Ủy ban nhân dân phường Thành Sen)"
    assert form.lines[1] == "Đơn vị báo cáo: Ủy ban nhân dân phường Thành Sen"
    assert form.lines[2] == "Kỳ báo cáo: 6 tháng đầu năm 2026 (từ ngày 15/12/2025 đến ngày 14/6/2026)"
    assert form.numeric[:3] == [True, False, True] and form.widths[0] == 9.0
    header = {(c.row, c.col): c for c in form.header}
    assert header[(0, 0)].text == "STT" and header[(0, 1)].text.startswith("Lĩnh vực")
    assert [c.text for c in form.header if c.row == form.header_rows - 1][:3] == ["(1)", "(2)", "(3)"]
    assert render_text(report)


# --------------------------------------------------------------------------- a summary's report
@prebuilt
def summary(tmp: Path):
    """Three communes return their workbooks; the province merges them and writes its report."""
    from test_mistakes_caught import BASE, PERIOD, _returned

    from xl_addin.merge.run import run_merge

    folder = tmp / "nop"
    at = dt.datetime(2026, 6, 15, 8, 0)
    # what each commune reported: the published procedures (a `same` field) by two of them, the
    # dossiers awaiting papers by two, those carried from the last period by one, the channels of new
    # dossiers by two; Xã Một's received dossiers (806 of 5 + 800) and Xã Hai's resolved ones (798 + 3 of 800)
    # do not add up; Xã Ba typed 54 020 tỷ đồng disbursed (54,02 meant)
    figures = {
        "70001": dict(BASE, van_ban_dien_tu_ty_le=85, tthc_ky_truoc=5, tthc_tiep_nhan_tong=806, tthc_cho_bo_sung=6,
                      kh_cchc_nhiem_vu_tong=10, kh_cchc_nhiem_vu_hoan_thanh=8),
        "70002": dict(BASE, van_ban_dien_tu_ty_le=95, tthc_tra_lai=None, tthc_ky_truoc=None, tthc_da_gq_truoc_han=798,
                      kh_cchc_nhiem_vu_tong=20, kh_cchc_nhiem_vu_hoan_thanh=19),
        "70003": dict(BASE, tthc_cho_bo_sung=None, tthc_tra_lai=None, tthc_cong_khai=None, tthc_moi_truc_tuyen=None,
                      tthc_moi_truc_tiep=None, tthc_ky_truoc=None, giai_ngan_thuc_hien=54020,
                      giai_ngan_ke_hoach=60000),
    }
    names = {"70001": "Xã Một", "70002": "Xã Hai", "70003": "Xã Ba"}
    for code, values in figures.items():
        _returned(tmp, Unit(code, names[code], "xa", "70", ""), {k: v for k, v in values.items() if v is not None},
                  at, folder)
    units_csv = tmp / "units.csv"
    units_csv.write_text("code,name,level,parent_code\n70,Tỉnh Thử,tinh,\n" +
                         "".join(f"{c},{n},xa,70\n" for c, n in names.items()) + "70004,Xã Bốn,xa,70\n",
                         encoding="utf-8")
    out = tmp / "tong-hop.xlsx"
    run_merge(folder, output=out, units_path=units_csv, period_code=PERIOD, workers=1)
    return read_workbook(out)  # each test writes the report itself (mutmut links a test to what it calls)


def test_a_summary_tells_what_the_units_did_and_how_complete_it_is(summary):
    body = _body(build_report(summary))
    assert "Tổng hợp từ báo cáo của 3/4 đơn vị; không có đơn vị gửi muộn; chưa nhận báo cáo của Xã Bốn." in body
    assert "Ủy ban nhân dân tỉnh Thử báo cáo kết quả" in body
    # a total only some units reported says whose figures it holds, before its closing punctuation
    assert ("Số hồ sơ chờ bổ sung: 06 hồ sơ; không có hồ sơ trả lại, rút "
            "(theo số liệu của 2/3 và 1/3 đơn vị, tùy chỉ tiêu).") in body
    # two coverages in one sentence: both, «tùy chỉ tiêu»
    assert ("số mới tiếp nhận trong kỳ 1.600 hồ sơ (trực tuyến 1.400 hồ sơ; trực tiếp và qua dịch vụ bưu chính "
            "200 hồ sơ); "
            "số từ kỳ trước chuyển qua 05 hồ sơ (theo số liệu của 2/3 và 1/3 đơn vị, tùy chỉ tiêu);") in body
    # a ratio built on such totals says it too; a percentage each unit reports is a range
    assert "Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 87,5% (1.400/1.600 hồ sơ) (theo số liệu của 2/3 đơn vị);" in body
    assert "Tỷ lệ văn bản trao đổi dưới dạng điện tử đạt từ 85% đến 95% (theo số liệu của 2/3 đơn vị)." in body
    # the published procedures are each commune's own, and only two of three said theirs
    assert ("niêm yết công khai 188 thủ tục hành chính thuộc thẩm quyền giải quyết "
            "(ở mỗi đơn vị; theo số liệu của 2/3 đơn vị);") in body
    assert "đạt 99,67% (2.392/2.400 hồ sơ);" in body  # ratios of the totals, never an average
    # an amount found implausible, and the ratio built on it, are never stated bare
    assert ("Kết quả giải ngân vốn đầu tư công: 54.020 tỷ đồng/60.000 tỷ đồng (cần kiểm tra lại), "
            "đạt 90,03% (cần kiểm tra lại) kế hoạch vốn được giao (theo số liệu của 1/3 đơn vị).") in body


def test_a_summary_warning_names_the_units_to_correct_and_what_nobody_reported(summary):
    report = build_report(summary)
    labels = summary.definition.field_map()
    warnings = [b.text for b in report.blocks if b.kind == "warning"]
    assert warnings[0].startswith("CẢNH BÁO: SỐ LIỆU TỔNG HỢP CÒN 21 LỖI.")
    # a total holding a unit's implausible amount, by its label, the unit named
    for code, line in zip(("giai_ngan_ke_hoach", "giai_ngan_thuc_hien"), warnings[1:3], strict=True):
        assert line.startswith(f"- {labels[code].label}: số tổng hợp gồm số liệu lớn bất thường của Xã Ba")
    # each contradiction with the units whose own reports fail it, or none
    assert "là 2.406" in warnings[3] and warnings[3].endswith("Đơn vị có lỗi này trong báo cáo của mình: Xã Một.")
    assert "là 2.401" in warnings[4] and warnings[4].endswith("Đơn vị có lỗi này trong báo cáo của mình: Xã Hai.")
    assert warnings[5].startswith("- Chưa đơn vị nào báo cáo 08 số liệu bắt buộc: Tổng số nhiệm vụ cấp trên giao")
    assert warnings[6].startswith("- Chưa nhập 09 số liệu bắt buộc của Ủy ban nhân dân tỉnh Thử: Số, ký hiệu báo cáo;")
    # every unit named once, in the order met, must correct and resend
    assert warnings[7].startswith("Các đơn vị Xã Ba, Xã Một, Xã Hai phải sửa số liệu") and len(warnings) == 8
    assert report.header.co_quan == ["ỦY BAN NHÂN DÂN", "TỈNH THỬ"]


def _tiles(form) -> None:
    """The heading cells of a form cover its heading area exactly once, then one number per column."""
    n = len(form.widths)
    seen: dict[tuple[int, int], str] = {}
    for c in form.header:
        assert c.text and c.rowspan >= 1 and c.colspan >= 1, c
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                assert (r, k) not in seen, (c, seen.get((r, k)))
                seen[(r, k)] = c.text
    assert set(seen) == {(r, k) for r in range(form.header_rows) for k in range(n)}
    assert [seen[(form.header_rows - 1, k)] for k in range(n)] == [f"({k + 1})" for k in range(n)]


def test_a_forms_headings_put_each_column_under_its_groups(books):
    now = books["now"]
    table = now.definition.table_map()["bieu_06a"]
    rows = [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": D(2000), "truc_tuyen": D(1800), "truc_tiep": D(200)}]
    report = build_report(_table(now, "bieu_06a", rows))
    [form] = report.appendices
    depth = max(len(c.groups) for c in table.columns) + 1
    assert form.header_rows == depth + 1
    _tiles(form)
    grid = {}
    for c in form.header:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                grid[(r, k)] = c.text
    for i, col in enumerate(table.columns, start=2):  # after STT and the field's name
        heading = [grid[(r, i)] for r in range(depth)]
        assert heading == [*col.groups, *[col.label] * (depth - len(col.groups))], col.code
    assert [grid[(r, 0)] for r in range(depth)] == ["STT"] * depth
    assert [grid[(r, 1)] for r in range(depth)] == [table.label_column.label] * depth


def test_an_appendix_before_its_number_and_without_the_window_days(books):
    now = books["now"]
    rows = [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": D(2000), "truc_tuyen": D(1800), "truc_tiep": None}]
    data = _table(now, "bieu_06a", rows, values={**now.values, "so_ky_hieu": "/BC-UBND", "ngay_bao_cao": None,
                                                 "tu_ngay": None, "den_ngay": dt.date(2026, 6, 10)})
    [form] = build_report(data).appendices
    assert form.lines[0] == "(Kèm theo Báo cáo số …/BC-UBND của Ủy ban nhân dân phường Thành Sen)"
    assert form.lines[2] == "Kỳ báo cáo: 6 tháng đầu năm 2026 (từ ngày 15/12/2025 đến ngày 10/6/2026)"
    assert form.rows[0][2:5] == ["2.000", "1.800", ""]  # an empty cell stays empty


@prebuilt
def hue(tmp: Path):
    """A Huế department's workbook: its profile's fixed-row Phụ lục 4."""
    unit = Unit("480-VHTT", "Phòng Văn hóa và Thông tin", "phong", "480", "QD124_2004")
    payload = {"values": {"so_ky_hieu": "147/BC-VHTT", "ngay_bao_cao": "2022-06-03", "tthc_cong_khai": 24},
               "tables": {"phu_luc_4": [{"row": "vbqppl_ra_soat", "quy_1": 2, "quy_2": 3},
                                        {"row": "tthc_tu_bai_bo", "nam_truoc": 1}]}}
    return read_workbook(_book(tmp, unit, "6T-2022", payload, profile="hue"))


def test_a_fixed_row_form_is_appended_row_by_row_with_no_numbers_column(hue):
    report = build_report(hue)
    form = next(f for f in report.appendices if f.code == "phu_luc_4")
    table = hue.definition.table_map()["phu_luc_4"]
    _tiles(form)
    assert len(form.widths) == 1 + len(table.columns) and form.numeric[0] is False  # no STT column
    assert form.widths[0] == table.label_column.width == 44  # the form's own width for its first column
    assert form.form_number and form.form_number == table.form_number
    assert [r[0] for r in form.rows] == [r.label for r in table.rows]  # every row of the form, in its order
    by_label = {r[0]: r[1:] for r in form.rows}
    codes = [c.code for c in table.columns]
    ra_soat = by_label[next(r.label for r in table.rows if r.code == "vbqppl_ra_soat")]
    assert ra_soat[codes.index("quy_1")] == "2" and ra_soat[codes.index("tong_cong")] == "5"
    assert ra_soat[codes.index("quy_3")] == ""  # empty, never «0» or «None»
    untouched = by_label[next(r.label for r in table.rows if r.code == "vbqppl_ban_hanh")]
    assert set(untouched) <= {""}
    assert form.lines[0] == "(Kèm theo Báo cáo số 147/BC-VHTT ngày 03/6/2022 của Phòng Văn hóa và Thông tin)"


# --------------------------------------------------------------------------- fields added as data
FIELDS = (
    "fields:\n"
    "  - {code: ngay_hop_bcd, section: I.6, label: \"Ngày họp Ban chỉ đạo\", type: date}\n"
    "  - {code: loai_vb_mau, section: I.6, label: \"Loại văn bản mẫu\", type: choice, choices: ds_loai_van_ban}\n"
    "  - {code: kinh_phi_mo_hinh, section: I.6, label: \"Kinh phí cho mô hình mới\", type: money, unit: \"tỷ đồng\"}\n"
    "  - {code: so_cuoc_hop, section: I.6, label: \"Số cuộc họp (nếu có)\", type: integer, unit: cuộc}\n"
    "  - {code: diem_mo_hinh, section: I.6, label: \"Điểm đánh giá mô hình\", type: decimal, decimals: 2, unit: điểm}\n"
    "  - {code: dia_diem_mo_hinh, section: I.6, label: \"Nơi áp dụng mô hình\", type: text}\n"
)


RATIO = ("ratios:\n"
         "  - {code: ty_le_mo_hinh, label: \"Tỷ lệ mô hình trên nhiệm vụ\", section: I.6,"
         " numerator: mo_hinh_sang_kien, denominator: kh_cchc_nhiem_vu_tong, unit: mô hình}\n")
LIST = ("  - code: mo_hinh_moi\n    label: Mô hình mới\n    sheet: danh_gia\n    section: I.6\n    capacity: 5\n"
        "    columns:\n      - {code: ten, label: \"Tên mô hình\", type: text, width: 40}\n"
        "      - {code: ngay, label: \"Ngày áp dụng\", type: date, width: 12}\n"
        "      - {code: loai, label: \"Loại văn bản\", type: choice, choices: ds_loai_van_ban, width: 14}\n"
        "      - {code: so_nguoi, label: \"Số người\", type: integer, width: 10}\n")


@prebuilt
def added_book(tmp: Path):
    """Fields of every type added to section I.6 by a profile, as data: no template reads them (the
    templates folder, and the workbook read back)."""
    import shutil

    from xl_addin.definition.loader import definition_dir

    root = tmp / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    (root / "cchc" / "profiles" / "thu.yaml").write_text("id: thu\nname: Tỉnh Thử\nprovince_code: \"70\"\n" + FIELDS
                                                         + RATIO, encoding="utf-8")
    lists = root / "cchc" / "lists.yaml"
    lists.write_text(lists.read_text(encoding="utf-8").rstrip("\n") + "\n" + LIST, encoding="utf-8")
    # the profile's own template for I.6 (a province may reword a section, as data)
    own = root / "cchc" / "narrative" / "profiles" / "thu" / "sections"
    own.mkdir(parents=True)
    # (a ratio the definition does not have and a text compared tell nothing, never fail)
    (own / "I.6.j2").write_text("Mô hình mới được áp dụng: {{ v.mo_hinh_sang_kien|dem }}"
                                "{{ so_sanh(\"kinh_phi_mo_hinh\")|kem(\"; kinh phí \") }}"
                                "{{ r.ty_le_khong_co|ty_le }}{{ so_sanh(\"dia_diem_mo_hinh\") }}.\n", encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("CCHC_TEMPLATES", str(root))
    payload = dict(CLEAN, values=dict(CLEAN["values"], mo_hinh_sang_kien=2, ngay_hop_bcd="2026-03-05",
                                      loai_vb_mau="ke_hoach", kinh_phi_mo_hinh=1.25, so_cuoc_hop=0,
                                      diem_mo_hinh=87.5, dia_diem_mo_hinh="Tổ dân phố 1;\nTổ dân phố 2."),
                   lists=dict(CLEAN["lists"], mo_hinh_moi=[
                       {"ten": "- một cửa không chờ;", "ngay": "2026-02-01", "loai": "ke_hoach", "so_nguoi": 12},
                       {"ten": "Số hóa hồ sơ", "ngay": None, "loai": None, "so_nguoi": None}]))
    try:
        return root, read_workbook(_book(tmp, SEN, "6T-2026", payload, profile="thu"))
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def added(added_book):
    """The workbook of ``added_book``, its templates folder in use while the module's tests run."""
    yield from templates_in_use(*added_book)


def test_fields_added_as_data_are_told_each_in_its_own_words(added):
    blocks = [b.text for b in build_report(added).blocks if b.section == "I.6"]
    assert blocks[0].startswith("6.") and blocks[1] == "Mô hình mới được áp dụng: 02."  # the profile's own words
    assert blocks[2:] == [
        "- Ngày họp Ban chỉ đạo: 05/3/2026;",
        "- Loại văn bản mẫu: Kế hoạch;",
        "- Kinh phí cho mô hình mới: 1,25 tỷ đồng;",
        "- Số cuộc họp: không có;",  # a typed 0 as zero; the clerk's note «(nếu có)» left out
        "- Điểm đánh giá mô hình: 87,5 điểm;",
        "- Nơi áp dụng mô hình: Tổ dân phố 1; Tổ dân phố 2;",
        "- Tỷ lệ mô hình trên nhiệm vụ đạt 5% (2/40 mô hình);",
        "- Mô hình mới:",
        "+ Một cửa không chờ, 01/02/2026, Kế hoạch, 12;",
        "+ Số hóa hồ sơ.",
    ]


def test_a_profiles_template_compares_an_amount(added):
    """The profile's template compares the amount with the earlier workbook (the quarter before)."""
    before = dataclasses.replace(added, meta={**added.meta, "period_code": "Q1-2026"},
                                 values={**added.values, "tu_ngay": None, "den_ngay": None})
    more = _with(before, {"kinh_phi_mo_hinh": D("1.05")})
    blocks = [b.text for b in build_report(added, more).blocks if b.section == "I.6"]
    assert blocks[1] == ("Mô hình mới được áp dụng: 02; kinh phí tăng 200 triệu đồng, tương đương 19,05%, "
                         "so với kỳ trước.")
    less = _with(before, {"kinh_phi_mo_hinh": D("1.5")})
    blocks = [b.text for b in build_report(added, less).blocks if b.section == "I.6"]
    assert blocks[1] == ("Mô hình mới được áp dụng: 02; kinh phí giảm 250 triệu đồng, tương đương 16,67%, "
                         "so với kỳ trước.")


def test_the_opening_cites_the_guiding_document_and_the_window_typed(books):
    now = books["now"]
    cited = build_report(_with(now, {"can_cu": "Kế hoạch số 12/KH-UBND ngày 10/01/2026 của UBND thành phố\n"}))
    assert _body(cited).startswith("Thực hiện Kế hoạch số 12/KH-UBND ngày 10/01/2026 của UBND thành phố, "
                                   "Ủy ban nhân dân phường Thành Sen báo cáo")
    # a window closed earlier than the period's last day, signed before it: estimates to that day
    early = build_report(_with(now, {"den_ngay": dt.date(2026, 6, 10), "ngay_bao_cao": dt.date(2026, 6, 5)}))
    body = _body(early)
    assert "(số liệu ước thực hiện đến ngày 10/6/2026)" in body
    assert "(từ ngày 15/12/2025, ước thực hiện đến ngày 10/6/2026)" in body
    assert "14/6/2026" not in body


def test_a_figure_typed_as_approximate_carries_its_word(books):
    now = books["now"]
    field = next(f for f in now.definition.field_map().values() if f.qualifies == "kinh_phi_cchc")
    body = _body(build_report(_with(now, {"kinh_phi_cchc": D("1.2"), field.code: "khoang"})))
    assert "là khoảng 1,2 tỷ đồng" in body
    assert "là 1,2 tỷ đồng" in _body(build_report(_with(now, {"kinh_phi_cchc": D("1.2")})))


def test_a_clerks_line_broken_inside_is_one_item():
    assert clean_item("Sở Nội vụ\r\nthành phố;") == "Sở Nội vụ thành phố"
    assert clean_item("Phòng\rNội vụ") == "Phòng Nội vụ"


@pytest.mark.parametrize("content,detail", [(None, "không có tệp"), ("quoc_hieu: [không đóng\n", None)])
def test_missing_or_broken_phrases_are_refused_naming_the_file(books, tmp_path, monkeypatch, content, detail):
    import shutil

    from xl_addin.definition.loader import definition_dir
    from xl_addin.errors import CchcError

    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    phrases = root / "cchc" / "narrative" / "phrases.yaml"
    if content is None:
        phrases.unlink()
    else:
        phrases.write_text(content, encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    with pytest.raises(CchcError) as info:
        build_report(books["now"])
    assert info.value.code == "report_template_error"
    assert str(phrases) in info.value.message
    if detail:
        assert detail in info.value.message


# --------------------------------------------------------------------------- who reports
def test_the_body_is_named_from_its_level_and_name_however_typed(books):
    now = books["now"]
    # the name typed without its type word: the level gives it
    bare = build_report(_with(now, {"don_vi_ten": "Thành Sen"}))
    assert "Ủy ban nhân dân phường Thành Sen báo cáo" in _body(bare)
    assert "UBND phường đã chỉ đạo triển khai" in _body(bare)
    # the level cell cleared: the file's own stamp still tells it
    stamped = build_report(_with(now, {"don_vi_cap": None}))
    assert stamped.header.co_quan == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THÀNH SEN"]
    # a department: no council, its own name and kind; a body of a level the phrases do not know: its name
    dept = build_report(dataclasses.replace(now, values={**now.values, "don_vi_cap": "so", "don_vi_ten": "Sở Nội vụ",
                                                         "tham_quyen_ky": None, "chuc_vu_ky": None, "so_ky_hieu": None},
                                            meta={**now.meta, "unit_level": "so"}))
    assert dept.header.co_quan == ["SỞ NỘI VỤ"] and dept.header.so_ky_hieu.endswith("/BC-")
    assert "Sở Nội vụ báo cáo kết quả" in _body(dept) and "Sở đã chỉ đạo triển khai" in _body(dept)
    assert dept.signature == ["GIÁM ĐỐC"]
    other = build_report(dataclasses.replace(now, values={**now.values, "don_vi_cap": None, "so_ky_hieu": None,
                                                          "don_vi_ten": "Trung tâm Phục vụ hành chính công"},
                                             meta={**now.meta, "unit_level": None}))
    assert other.header.co_quan == ["TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"]
    assert other.header.so_ky_hieu.endswith("/BC-")
    body = _body(other)
    assert "Trung tâm Phục vụ hành chính công báo cáo kết quả" in body
    assert "Trung tâm Phục vụ hành chính công đã chỉ đạo triển khai" in body


def test_a_window_typed_backwards_still_names_the_period(books):
    now = books["now"]
    report = build_report(_with(now, {"tu_ngay": dt.date(2026, 6, 14), "den_ngay": dt.date(2025, 12, 15)}))
    assert report.trich_yeu.startswith("Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2026;")


@pytest.mark.parametrize("template,where", [("{% if %}\n", "dòng 1"), ("{{ khong_co_bien }}\n", "khong_co_bien")])
def test_a_broken_section_template_is_refused_naming_it(books, tmp_path, monkeypatch, template, where):
    import shutil

    from xl_addin.definition.loader import definition_dir
    from xl_addin.errors import CchcError

    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    (root / "cchc" / "narrative" / "sections" / "I.6.j2").write_text(template, encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    with pytest.raises(CchcError) as info:
        build_report(books["now"])
    assert info.value.code == "report_template_error"
    assert "I.6.j2" in info.value.message and where in info.value.message


def test_a_summary_says_the_units_did_it(summary):
    body = _body(build_report(summary))
    assert ("Trong 6 tháng đầu năm 2026, các đơn vị trên địa bàn tỉnh đã chỉ đạo triển khai thực hiện và hoàn thành "
            "27/30 nhiệm vụ") in body
    # the province's name typed without its type word: the level gives the territory
    bare = _with(summary, {"don_vi_ten": "Thử"})
    assert "các đơn vị trên địa bàn tỉnh đã chỉ đạo" in _body(build_report(bare))
    # a department's summary: the units under it
    dept = dataclasses.replace(summary, values={**summary.values, "don_vi_cap": "so", "don_vi_ten": "Sở Nội vụ"},
                               meta={**summary.meta, "unit_level": "so"})
    assert "các đơn vị trực thuộc đã chỉ đạo" in _body(build_report(dept))


def test_an_earlier_workbook_of_another_report_is_refused(books):
    from xl_addin.errors import CchcError

    now = books["now"]
    other = dataclasses.replace(books["last_year"], definition=now.definition.model_copy(update={"id": "khac"}))
    with pytest.raises(CchcError) as info:
        build_report(now, other)
    assert info.value.code == "report_previous_mismatch"
    assert Path(other.file).name in info.value.message and f"«{now.definition.id}»" in info.value.message
