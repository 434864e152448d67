"""A summary's report and the sections' frame, on real workbooks (issue 19: mutants of
``narrative/writer.py`` that survived the suite; see docs/mutants.md).

What a reader of a merged workbook's report sees: the coverage notes («theo số liệu của 2/3 đơn
vị», «ở mỗi đơn vị»), said once for a list of items under their lead; the warning block naming
what no unit reported and the units to resend, its error lines capped by the phrases' limit; the
units' own requests left out of section V in a summary written in Tổng hợp layout 1 or 2; the
sections' headings, numbers and placeholders.

The workbooks are the merged summary of test_mutants_writer (three communes merged by
``run_merge``), the ward's clean workbook and a real summary of Tổng hợp layout 1
(``fixtures/tong-hop-401_layout1.xlsx``), read back and retyped as a clerk or the merge would.
"""

from __future__ import annotations

import dataclasses
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import test_mutants_writer as writer_tests
from prebuild import prebuilt
from test_mutants_writer import _body, _with

from xl_addin.definition.loader import load_definition
from xl_addin.merge import summary_layout
from xl_addin.narrative import build_report, render_text
from xl_addin.narrative.fmt import cover_mark
from xl_addin.narrative.writer import load_phrases, parse_blocks
from xl_addin.workbook.reader import read_workbook

D = Decimal
books, summary = writer_tests.books, writer_tests.summary  # the ward's workbook and the merged summary (fixtures)
LAYOUT1 = Path(__file__).parent / "fixtures" / "tong-hop-401_layout1.xlsx"


def _warnings(report) -> list[str]:
    return [b.text for b in report.blocks if b.kind == "warning"]


def _section(report, code: str) -> list[str]:
    return [b.text for b in report.blocks if b.section == code]


# --------------------------------------------------------------------------- coverage notes
def _parsed(text: str) -> list[str]:
    """``text`` as a section template writes it, the figures' coverage marks in it, as the report tells it."""
    return [b.text for b in parse_blocks(text, None, load_phrases(load_definition()))]


def test_a_lead_says_once_the_coverage_all_its_items_share():
    """Items «+ …» that all hold totals of the same 2 of 3 units, under a lead ending with «:» that
    holds none: the lead carries the note, the items no more."""
    two, one = cover_mark("2/3"), cover_mark("1/3")
    lead = "- Kết quả giải quyết hồ sơ:"
    note = "(theo số liệu của 2/3 đơn vị)"
    assert _parsed(f"{lead}\n+ đã giải quyết 10 hồ sơ{two};\n+ trả lại 02 hồ sơ{two};\n\nĐoạn sau.") == [
        f"- Kết quả giải quyết hồ sơ {note}:", "+ đã giải quyết 10 hồ sơ;", "+ trả lại 02 hồ sơ.", "Đoạn sau."]
    # a lone item keeps its own note; so do items whose notes differ, or under a lead not ending with «:»
    assert _parsed(f"{lead}\n+ đã giải quyết 10 hồ sơ{two};") == [
        lead, f"+ đã giải quyết 10 hồ sơ {note}."]
    assert _parsed(f"Kết quả:\n{lead}\n+ đã giải quyết 10 hồ sơ{two};") == [
        "Kết quả:", lead, f"+ đã giải quyết 10 hồ sơ {note}."]
    assert _parsed(f"{lead}\n+ đã giải quyết 10 hồ sơ{two};\n+ trả lại 02 hồ sơ{one};") == [
        lead, f"+ đã giải quyết 10 hồ sơ {note};", "+ trả lại 02 hồ sơ (theo số liệu của 1/3 đơn vị)."]
    assert _parsed(f"- Kết quả giải quyết hồ sơ\n+ đã giải quyết 10 hồ sơ{two};\n+ trả lại 02 hồ sơ{two}") \
        == ["- Kết quả giải quyết hồ sơ", f"+ đã giải quyết 10 hồ sơ {note};", f"+ trả lại 02 hồ sơ {note}."]
    # an item without a note among them: each says its own
    assert _parsed(f"{lead}\n+ đã giải quyết 10 hồ sơ{two};\n+ trả lại 02 hồ sơ;") == [
        lead, f"+ đã giải quyết 10 hồ sơ {note};", "+ trả lại 02 hồ sơ."]
    # a lead with its own note keeps it, and the items theirs
    assert _parsed(f"{lead[:-1]}{one}:\n+ đã giải quyết 10 hồ sơ{two};\n+ trả lại 02 hồ sơ{two}") == [
        "- Kết quả giải quyết hồ sơ (theo số liệu của 1/3 đơn vị):", f"+ đã giải quyết 10 hồ sơ {note};",
        f"+ trả lại 02 hồ sơ {note}."]
    # first-level items are no sub-items: each keeps its note
    assert _parsed(f"Kết quả:\n- đã giải quyết 10 hồ sơ{two};\n- trả lại 02 hồ sơ{two}") == [
        "Kết quả:", f"- đã giải quyết 10 hồ sơ {note};", f"- trả lại 02 hồ sơ {note}."]
    # two leads one after the other, the second with its items
    assert _parsed(f"Kết quả:\n{lead}\n+ đã giải quyết 10 hồ sơ{two};\n+ trả lại 02 hồ sơ{two}") == [
        "Kết quả:", f"{lead[:-1]} {note}:", "+ đã giải quyết 10 hồ sơ;", "+ trả lại 02 hồ sơ."]


def test_a_figure_each_unit_reports_says_so():
    """A ``same`` field's figure is each unit's: «ở mỗi đơn vị», with the units that reported it when
    not all; the note goes before the closing punctuation, or at the end of a sentence without one."""
    each, part, two = cover_mark("="), cover_mark("=2/3"), cover_mark("2/3")
    assert _parsed(f"- Niêm yết 188 thủ tục{each};") == ["- Niêm yết 188 thủ tục (ở mỗi đơn vị)."]
    assert _parsed(f"Niêm yết 188 thủ tục{part}") == [
        "Niêm yết 188 thủ tục (ở mỗi đơn vị; theo số liệu của 2/3 đơn vị)."]
    # a total of the same units beside it: said once
    assert _parsed(f"Niêm yết 188 thủ tục{part}, tiếp nhận 800 hồ sơ{two}.") == [
        "Niêm yết 188 thủ tục, tiếp nhận 800 hồ sơ (ở mỗi đơn vị; theo số liệu của 2/3 đơn vị)."]
    assert _parsed(f"Tiếp nhận 800 hồ sơ{cover_mark('1/3')}, niêm yết 188 thủ tục{part}.") == [
        "Tiếp nhận 800 hồ sơ, niêm yết 188 thủ tục (ở mỗi đơn vị; theo số liệu của 1/3 và 2/3 đơn vị, "
        "tùy chỉ tiêu)."]


def test_a_zero_total_only_some_units_reported_says_whose_it_is(summary):
    """Xã Một alone reported its returned dossiers (0), Xã Một and Xã Hai their dossiers awaiting
    papers (6 and 0): «không có hồ sơ trả lại» is a total of 1 of the 3 units."""
    body = _body(build_report(summary))
    assert ("Số hồ sơ chờ bổ sung: 06 hồ sơ; không có hồ sơ trả lại, rút "
            "(theo số liệu của 2/3 và 1/3 đơn vị, tùy chỉ tiêu).") in body


# --------------------------------------------------------------------------- warning block
def test_a_required_figure_no_unit_reported_is_the_units_not_the_offices(summary):
    """The procedures posted (each commune's own figure, ``same``) left empty by every unit: the
    warning says no unit reported it, never that the office has to type it."""
    label = summary.definition.field_map()["tthc_cong_khai"].label
    warnings = _warnings(build_report(_with(summary, {"tthc_cong_khai": None})))
    nobody = next(w for w in warnings if w.startswith("- Chưa đơn vị nào báo cáo"))
    office = next(w for w in warnings if w.startswith("- Chưa nhập"))
    assert nobody.startswith("- Chưa đơn vị nào báo cáo 09 số liệu bắt buộc: ") and label in nobody
    assert label not in office


@prebuilt
def highest(tmp: Path):
    """A province profile adds a required figure the merge keeps at its largest (``max``), as data;
    two communes return their workbooks without it and the province merges them."""
    import datetime as dt

    from test_mistakes_caught import BASE, PERIOD

    from xl_addin.definition.loader import definition_dir, load_definition
    from xl_addin.definition.periods import parse_period
    from xl_addin.definition.units import Unit
    from xl_addin.merge.run import run_merge
    from xl_addin.rules.export import export_file
    from xl_addin.workbook.build import build_unit_workbooks
    from xl_addin.workbook.fill import fill_workbook

    root = tmp / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    (root / "cchc" / "profiles" / "thu.yaml").write_text(
        "id: thu\nname: Tỉnh Thử\nprovince_code: \"70\"\nfields:\n"
        "  - {code: cds_diem, section: I.5, label: \"Điểm chuyển đổi số cao nhất\", type: decimal, unit: điểm,"
        " decimals: 2, max: 100, aggregate: max, required: true}\n", encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("CCHC_TEMPLATES", str(root))
    try:
        definition = load_definition(profile="thu")
        folder = tmp / "nop"
        for code, name in (("70001", "Xã Một"), ("70002", "Xã Hai")):
            [built] = build_unit_workbooks(definition, [Unit(code, name, "xa", "70", "")],
                                           parse_period(PERIOD, definition), tmp / f"blank-{code}")
            filled = tmp / f"filled-{code}.xlsx"
            fill_workbook(built.path, {"values": BASE}, filled)
            export_file(filled, folder, dt.datetime(2026, 6, 15, 8, 0))
        out = tmp / "tong-hop.xlsx"
        run_merge(folder, output=out, period_code=PERIOD, workers=1)
        return read_workbook(out)
    finally:
        mp.undo()


def test_a_required_highest_figure_no_unit_reported_is_the_units_not_the_offices(highest):
    label = highest.definition.field_map()["cds_diem"].label
    warnings = _warnings(build_report(highest))
    nobody = next(w for w in warnings if w.startswith("- Chưa đơn vị nào báo cáo"))
    office = next(w for w in warnings if w.startswith("- Chưa nhập"))
    assert label in nobody and label not in office


@pytest.fixture
def phrases_folder(tmp_path, monkeypatch):
    """A copy of the templates whose phrases.yaml a test rewrites (a province's wording, as data)."""
    from xl_addin.definition.loader import definition_dir

    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    return root / "cchc" / "narrative" / "phrases.yaml"


def _limit(phrases: Path, line: str | None) -> None:
    text = phrases.read_text(encoding="utf-8")
    old = next(x for x in text.splitlines() if x.startswith("canh_bao_toi_da:"))
    phrases.write_text(text.replace(old, line or ""), encoding="utf-8")


def test_the_warning_block_lists_as_many_errors_as_the_phrases_say(books, phrases_folder):
    """«canh_bao_toi_da: 2»: two contradictions and two missing inputs listed, the rest counted."""
    _limit(phrases_folder, "canh_bao_toi_da: 2")
    labels = books["now"].definition.field_map()
    bad = _with(books["now"], {"tthc_tiep_nhan_tong": D(2001), "tthc_da_gq_truoc_han": D(1000),
                               "tthc_cong_khai": None, "so_ky_hieu": None, "nguoi_ky": None})
    warnings = _warnings(build_report(bad))
    contradictions = [w for w in warnings[1:] if w.startswith("- ") and not w.startswith(("- …", "- Chưa nhập"))]
    assert len(contradictions) == 2
    assert warnings[3].startswith("- … và 0") and warnings[3].endswith(" lỗi khác.")
    missing = warnings[4]
    assert missing.startswith("- Chưa nhập 03 số liệu bắt buộc: ")
    assert missing.endswith("; … và 01 số liệu khác.") and missing.count(";") == 2
    assert labels["so_ky_hieu"].label in missing and labels["nguoi_ky"].label in missing


def test_without_a_limit_in_the_phrases_the_warning_lists_twelve(books, phrases_folder):
    _limit(phrases_folder, None)
    now = books["now"]
    required = [f.code for f in now.definition.fields()
                if f.required_for(now.meta.get("unit_level") or "phuong") and f.is_input and f.code in now.cells
                and now.values.get(f.code) is not None]
    assert len(required) >= 13
    warnings = _warnings(build_report(_with(now, dict.fromkeys(required[:13]))))
    missing = next(w for w in warnings if w.startswith("- Chưa nhập"))
    assert missing.startswith("- Chưa nhập 13 số liệu bắt buộc: ")
    assert missing.endswith("; … và 01 số liệu khác.") and missing.count(";") == 12


# --------------------------------------------------------------------------- the units' own requests
@prebuilt
def layout1(tmp: Path):
    """A real district summary written in Tổng hợp layout 1 (its units' requests in its own list)."""
    return read_workbook(LAYOUT1)


def _requests(report) -> list[str]:
    return _section(report, "V")[1:]


def test_a_summary_of_layout_1_or_2_leaves_its_units_requests_out_of_v(layout1):
    units = [r.name for r in summary_layout.read_file(LAYOUT1).rows]
    assert all(row["noi_dung"].startswith(tuple(units)) for row in layout1.lists["kien_nghi"])
    assert _requests(build_report(layout1)) == ["Không có kiến nghị, đề xuất."]
    # the district's own request, typed beside them, is told
    own = {"noi_dung": "Đề nghị tỉnh bổ sung biên chế cho Bộ phận Một cửa."}
    mixed = dataclasses.replace(layout1, lists={**layout1.lists, "kien_nghi": [*layout1.lists["kien_nghi"], own]})
    assert _requests(build_report(mixed)) == ["- Đề nghị tỉnh bổ sung biên chế cho Bộ phận Một cửa."]
    # a list the merge does not compile unit by unit is the office's own, whatever its items start with
    praise = [{"noi_dung": f"{units[0]}: hoàn thành sớm việc số hóa hồ sơ."}]
    told = build_report(dataclasses.replace(mixed, lists={**mixed.lists, "uu_diem": praise}))
    assert f"- {units[0]}: hoàn thành sớm việc số hóa hồ sơ." in [b.text for b in told.blocks if b.section == "III"]
    # the same in layout 2 (the ribbon hands the table it read)
    table = dataclasses.replace(summary_layout.read_file(LAYOUT1), layout=2)
    assert _requests(build_report(mixed, units=table)) == ["- Đề nghị tỉnh bổ sung biên chế cho Bộ phận Một cửa."]


def test_a_summary_of_layout_3_tells_every_request_of_its_own(summary):
    """Layout 3 files the units' requests on their own sheet: the office's list is all its own, even
    an item naming a commune first."""
    rows = [{"noi_dung": "Xã Một: đề nghị tỉnh hỗ trợ kinh phí sửa trụ sở."},
            {"noi_dung": "Đề nghị tập huấn chuyển đổi số."}]
    data = dataclasses.replace(summary, lists={**summary.lists, "kien_nghi": rows})
    assert _requests(build_report(data)) == ["- Xã Một: đề nghị tỉnh hỗ trợ kinh phí sửa trụ sở;",
                                             "- Đề nghị tập huấn chuyển đổi số."]


def test_render_text_of_a_layout_1_summary_counts_its_units(layout1):
    assert "Tổng hợp từ báo cáo của 3 đơn vị." in render_text(build_report(layout1))


# --------------------------------------------------------------------------- the sections' frame
def _headings(report) -> dict[str, tuple[int, str]]:
    """Each outline section's own heading (its first block): level and text."""
    out: dict[str, tuple[int, str]] = {}
    for b in report.blocks:
        if b.section and b.section not in out:
            assert b.kind == "heading", b
            out[b.section] = (b.level, b.text)
    return out


def test_the_outline_headings_are_numbered_and_leveled_as_nd30_wants(books):
    """Parts by Roman numeral («I. …», level 1), their sections by number («1. …», level 2), a
    section's subsections by both («6.1. …», level 3); every section's sentences follow its heading."""
    report = build_report(books["now"])
    headings = _headings(report)
    assert list(headings) == ["I", "I.1", "I.2", "I.3", "I.4", "I.5", "I.6", "II", "II.1", "II.2", "II.3", "II.4",
                              "II.5", "II.6", "II.6.1", "II.6.2", "III", "IV", "V"]
    assert headings["I"] == (1, "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH")
    assert headings["I.3"] == (2, "3. Kiểm tra cải cách hành chính")
    assert headings["II.6"] == (2, "6. Xây dựng và phát triển Chính quyền điện tử, Chính quyền số")
    assert headings["II.6.1"] == (3, "6.1. Ứng dụng công nghệ thông tin trong hoạt động của đơn vị")
    assert headings["IV"] == (1, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH 6 THÁNG CUỐI NĂM 2026")
    ii2 = [b for b in report.blocks if b.section == "II.2"]
    assert len(ii2) > 3 and all(b.kind != "heading" for b in ii2[1:])
    assert any(b.text.startswith("- Kết quả tiếp nhận, giải quyết hồ sơ") for b in ii2)


def test_a_provinces_heading_wording_may_name_either_period(books, phrases_folder):
    """Headings reworded as data (``tieu_de_muc``): the period reported and the next, in capitals."""
    text = phrases_folder.read_text(encoding="utf-8")
    phrases_folder.write_text(text.replace("tieu_de_muc:\n", "tieu_de_muc:\n  III: \"ĐÁNH GIÁ CHUNG {ky_hoa}\"\n"),
                              encoding="utf-8")
    headings = _headings(build_report(books["now"]))
    assert headings["III"] == (1, "III. ĐÁNH GIÁ CHUNG 6 THÁNG ĐẦU NĂM 2026")
    assert headings["IV"] == (1, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH 6 THÁNG CUỐI NĂM 2026")


def test_phrases_without_heading_wording_keep_the_definitions_titles(books, phrases_folder):
    text = phrases_folder.read_text(encoding="utf-8")
    block = text[text.index("tieu_de_muc:\n"):]
    block = block[:block.index("\n\n") + 1]
    phrases_folder.write_text(text.replace(block, ""), encoding="utf-8")
    assert _headings(build_report(books["now"]))["IV"] == (1, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH KỲ TỚI")


def test_without_a_period_a_heading_keeps_its_own_title(books):
    now = books["now"]
    stamp = now.definition.stamped("period.code")
    bare = _with(now, {stamp: None} if stamp else {}, meta={**now.meta, "period_code": ""})
    assert not bare.period["code"]
    assert _headings(build_report(bare))["IV"] == (1, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH KỲ TỚI")


def test_a_report_without_written_parts_says_where_figures_are_missing(books):
    """A definition without section texts (``section_texts`` unset): a section of figures left empty
    says to type them, one of lists says where to write; a section with sentences says nothing more."""
    now = books["now"]
    plain = dataclasses.replace(now, definition=now.definition.model_copy(update={"section_texts": None}))
    report = build_report(dataclasses.replace(plain, lists={**plain.lists, "phuong_huong": []}))
    by_section: dict[str, list] = {}
    for b in report.blocks:
        by_section.setdefault(b.section, []).append(b)
    [heading, placeholder] = by_section["I.3"]
    assert heading.text == "3. Kiểm tra cải cách hành chính"
    assert placeholder.kind == "paragraph"
    assert placeholder.text == "(Chưa có số liệu; nhập số liệu vào sổ tính rồi lập lại báo cáo.)"
    assert [b.text for b in by_section["IV"][1:]] == ["(Chưa có nội dung; nhập tại trang «Đánh giá» rồi lập lại "
                                                      "báo cáo.)"]
    # figures and a list of documents, none typed: the figures are what is missing
    assert not now.lists.get("van_ban")
    assert [b.text for b in by_section["I.1"][1:]] == [placeholder.text]
    assert not any(b.text.startswith("(Chưa có") for b in by_section["II.2"])
    assert [b.kind for b in by_section["II"]] == ["heading"]  # a part with sections says nothing itself


def test_a_section_of_lists_whose_template_tells_nothing_says_where_to_write(books, phrases_folder):
    """A province's own IV template that only lists the tasks (no words of its own when there are
    none): the report still says where to write them, never «no figures»."""
    template = phrases_folder.parent / "sections" / "IV.j2"
    template.write_text("{% for x in ds.phuong_huong %}\n> {{ loop.index }}. {{ x.noi_dung|sach }}.\n{% endfor %}\n",
                        encoding="utf-8")
    now = books["now"]
    report = build_report(dataclasses.replace(now, lists={**now.lists, "phuong_huong": []}))
    assert _section(report, "IV")[1:] == ["(Chưa có nội dung; nhập tại trang «Đánh giá» rồi lập lại báo cáo.)"]
    tasks = [{"noi_dung": "Tiếp tục số hóa hồ sơ"}]
    assert _section(build_report(dataclasses.replace(now, lists={**now.lists, "phuong_huong": tasks})), "IV")[1:] \
        == ["1. Tiếp tục số hóa hồ sơ."]
