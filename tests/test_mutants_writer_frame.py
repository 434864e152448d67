"""The report's frame and text helpers on a real workbook (issue 19: mutants of
``narrative/writer.py`` that survived the suite, in the header, the place name, the labels of
choices, the phrases a template folder may leave out and the compiled-template cache).

The ward's clean half-year workbook of test_narrative is built, filled and read back once (the
``books`` input of test_mutants_writer); each test retypes what a clerk or IT would change and
checks what a person reads in the report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
import test_mutants_writer
import yaml
from test_mutants_writer import _body, _with

from xl_addin import memo
from xl_addin.definition.loader import definition_dir
from xl_addin.narrative import build_report
from xl_addin.narrative.writer import lower_first
from xl_addin.resources import cache_root

books = test_mutants_writer.books  # the ward's workbooks, read back (a fixture: built once per process)
summary = test_mutants_writer.summary  # a province's summary of its units, merged and read back


def _templates_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """IT's own copy of the report definition (``$CCHC_TEMPLATES``), to edit its narrative files."""
    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    return root / "cchc" / "narrative"


# --------------------------------------------------------------------------- the compiled templates
def test_templates_compiled_once_are_kept_in_a_cache_folder_that_already_exists(books, tmp_path, monkeypatch):
    """The second process (the folder made by the first) still keeps the compiled templates: a fresh
    `cchc` command loads them instead of compiling every template again."""
    monkeypatch.setenv("CCHC_CACHE_DIR", str(tmp_path / "cache"))
    folder = cache_root() / "narrative"
    folder.mkdir(parents=True)  # made by an earlier run
    memo.clear()  # a fresh process: the environment is built again
    try:
        report = build_report(books["now"])
        assert report.header.dia_danh_ngay == "Phường Thành Sen, ngày 16 tháng 6 năm 2026"
        compiled = list(folder.iterdir())
        assert len(compiled) >= 10 and all(p.suffix == ".jinja" for p in compiled)
        # a folder that cannot be written costs the compiling only: the report is the same
        shutil.rmtree(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_text("not a folder", encoding="utf-8")
        memo.clear()
        assert _body(build_report(books["now"])) == _body(report)
    finally:
        memo.clear()  # the next tests build their environment with the user's cache folder


# --------------------------------------------------------------------------- phrases a folder may leave out
def _without(narrative: Path, *keys: str) -> None:
    """IT's phrases.yaml without some of its optional entries."""
    phrases = narrative / "phrases.yaml"
    data = yaml.safe_load(phrases.read_text(encoding="utf-8"))
    for key in keys:
        del data[key]
    phrases.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_phrases_file_without_the_optional_word_lists_still_writes_the_report(books, tmp_path, monkeypatch):
    """phrases.yaml's type words (loai_ten) and clerk's notes to drop from labels (bo_ghi_chu_nhan) are
    optional: without them the place is the unit's whole name and a label is told as written."""
    _without(_templates_copy(tmp_path, monkeypatch), "loai_ten", "bo_ghi_chu_nhan")
    now = books["now"]
    # a rate typed by the clerk whose parts are not typed: no template tells it, a sentence of its own does
    typed = {"dia_danh": None, "kh_cchc_hoat_dong_ty_le_bao_cao": 90,
             "kh_cchc_hoat_dong_tong": None, "kh_cchc_hoat_dong_hoan_thanh": None}
    report = build_report(_with(now, typed))
    assert report.header.dia_danh_ngay == "Phường Thành Sen, ngày 16 tháng 6 năm 2026"
    assert "- Tỷ lệ hoàn thành hoạt động đã báo cáo (nếu có, để đối chiếu): 90%." in _body(report)


def test_a_phrases_file_without_levels_or_prefixes_names_the_body_as_typed(books, tmp_path, monkeypatch):
    """Without the levels (cap_don_vi) and the prefixes to drop (bo_tien_to) the body is named as typed."""
    _without(_templates_copy(tmp_path, monkeypatch), "cap_don_vi", "bo_tien_to")
    report = build_report(_with(books["now"], {"don_vi_ten": "UBND Phường Thành Sen"}))
    assert report.header.co_quan == ["UBND PHƯỜNG THÀNH SEN"]


# --------------------------------------------------------------------------- the place name
def test_a_place_whose_name_is_a_number_typed_with_a_space_keeps_its_type_word(books):
    """«Phường 1 2» (a number with a stray space) is a number still: the place keeps «Phường»,
    as «Phường 12» does; a name of words loses it."""
    now = books["now"]
    spaced = build_report(_with(now, {"don_vi_ten": "Phường 1 2", "dia_danh": None}))
    assert spaced.header.dia_danh_ngay.startswith("Phường 1 2, ngày 16 tháng 6 năm 2026")
    worded = build_report(_with(now, {"don_vi_ten": "Phường Bắc Hà", "dia_danh": None}))
    assert worded.header.dia_danh_ngay.startswith("Bắc Hà, ngày 16 tháng 6 năm 2026")


# --------------------------------------------------------------------------- choices
def test_a_template_naming_an_empty_or_unknown_choice(books, tmp_path, monkeypatch):
    """A section template (data IT may edit) that names a choice by its label: an empty one says
    nothing, one not in the list is told as given."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    (narrative / "sections" / "I.6.j2").write_text(
        'Loại trống: [{{ none|nhan("ds_loai_van_ban") }}]; loại lạ: [{{ "Tờ trình"|nhan("ds_loai_van_ban") }}]; '
        'loại có: [{{ "ke_hoach"|nhan("ds_loai_van_ban") }}].\n', encoding="utf-8")
    body = _body(build_report(books["now"]))
    assert "Loại trống: []; loại lạ: [Tờ trình]; loại có: [Kế hoạch]." in body


# --------------------------------------------------------------------------- the header's place and year
def _other_body(now, **values):
    """The report of a body of a level the phrases do not know (a public-service centre)."""
    return dataclasses.replace(now, values={**now.values, "don_vi_cap": None, "so_ky_hieu": None,
                                            "don_vi_ten": "Trung tâm Phục vụ hành chính công", **values},
                               meta={**now.meta, "unit_level": None})


def test_a_place_the_tool_cannot_tell_is_left_dotted_to_write_by_hand(books):
    """A department's or a centre's place is its province's or town's name, which its own name does not
    hold: with no place typed the line keeps dots for it (NĐ 30: «Địa danh, ngày … tháng … năm …»)."""
    now = books["now"]
    dept = build_report(dataclasses.replace(now, values={**now.values, "don_vi_cap": "so", "don_vi_ten": "Sở Nội vụ",
                                                         "dia_danh": None},
                                            meta={**now.meta, "unit_level": "so"}))
    assert dept.header.dia_danh_ngay == "……, ngày 16 tháng 6 năm 2026"
    centre = build_report(_other_body(now, dia_danh=None))
    assert centre.header.dia_danh_ngay == "……, ngày 16 tháng 6 năm 2026"
    typed = build_report(_other_body(now, dia_danh="Hà Tĩnh"))
    assert typed.header.dia_danh_ngay == "Hà Tĩnh, ngày 16 tháng 6 năm 2026"


def test_no_date_and_no_period_leave_the_year_to_write_by_hand(books):
    """Neither a signing day nor a period the tool can read: «…, ngày … tháng … năm 20…»."""
    now = books["now"]
    # the period's code neither in the file's stamp nor in its cell (a sheet damaged by hand)
    undated = build_report(dataclasses.replace(_with(now, {"ngay_bao_cao": None, "ky_bao_cao": None}),
                                               meta={**now.meta, "period_code": None}))
    line = undated.header.dia_danh_ngay
    assert line.startswith("Phường Thành Sen, ngày") and line.endswith("năm 20…")
    dated_period = build_report(_with(now, {"ngay_bao_cao": None}))
    assert dated_period.header.dia_danh_ngay.endswith("năm 2026")


# --------------------------------------------------------------------------- the signature
def test_a_signature_for_a_body_whose_head_the_phrases_do_not_name(books):
    """A centre's head is not in the phrases: its signer's own title signs, a deputy signs «KT.» for the
    head his title names, a signer by order «TL.» with the head's title left to write; never a made-up
    title."""
    now = books["now"]
    untitled = build_report(_other_body(now, tham_quyen_ky=None, chuc_vu_ky=None))
    assert untitled.signature == []
    deputy = build_report(_other_body(now, tham_quyen_ky="kt", chuc_vu_ky="Phó Giám đốc"))
    assert deputy.signature == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    by_order = build_report(_other_body(now, tham_quyen_ky="tl", chuc_vu_ky="Chánh Văn phòng"))
    assert by_order.signature == ["TL.", "CHÁNH VĂN PHÒNG"]


def test_a_signer_for_the_chairman_who_is_no_deputy(books):
    """«KT.» chosen for a signer whose title is not a deputy's: he signs for the chairman, whose title
    is the level's head («KT. CHỦ TỊCH»), never a cut of his own."""
    now = books["now"]
    member = build_report(_with(now, {"tham_quyen_ky": "kt", "chuc_vu_ky": "Ủy viên"}))
    assert member.signature == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "ỦY VIÊN"]


# --------------------------------------------------------------------------- the recipients
def test_a_file_copy_line_ending_in_dots_ends_with_one_full_stop(books):
    """«Lưu: VT, VP...» (the clerk's dots): the last recipient line ends with one full stop."""
    now = books["now"]
    lists = {**now.lists, "noi_nhan": [{"noi_nhan": "Sở Nội vụ"}, {"noi_nhan": "Lưu: VT, VP..."}]}
    report = build_report(dataclasses.replace(now, lists=lists))
    assert report.recipients == ["- Sở Nội vụ;", "- Lưu: VT, VP."]


# --------------------------------------------------------------------------- text helpers
def test_a_two_letter_acronym_keeps_its_case():
    """«VP» (văn phòng), «TW» (trung ương): an acronym of two letters is still an acronym; one capital
    letter is a word's."""
    assert lower_first("VP UBND phường tổ chức tập huấn") == "VP UBND phường tổ chức tập huấn"
    assert lower_first("TW giao") == "TW giao" and lower_first("Ủy ban") == "ủy ban"


# --------------------------------------------------------------------------- templates' names
def test_a_template_reading_a_private_name_is_refused_naming_it(books, tmp_path, monkeypatch):
    """``v._x`` is no field code (codes never start with «_»): a template that reads one is refused
    naming the file, never printing «None»."""
    from xl_addin.errors import CchcError

    narrative = _templates_copy(tmp_path, monkeypatch)
    (narrative / "sections" / "I.6.j2").write_text("Giá trị: {{ v._mapping_khac }}.\n", encoding="utf-8")
    with pytest.raises(CchcError) as info:
        build_report(books["now"])
    assert info.value.code == "report_template_error" and "I.6.j2" in info.value.message




# --------------------------------------------------------------------------- the period in the text
def _no_period(now, **values):
    """A workbook whose period code is neither stamped nor in its cell (a sheet damaged by hand)."""
    return dataclasses.replace(now, values={**now.values, "ky_bao_cao": None, **values},
                               meta={**now.meta, "period_code": None})


def test_the_opening_and_the_closing_name_the_period_and_the_year(books):
    """NĐ 30 reports open with the year's task and close with the period and the next one; without a
    period they name neither, and the year comes from its cell; the year cell cleared, from the period."""
    now = books["now"]
    report = build_report(now)
    body = _body(report)
    assert body.startswith("Thực hiện nhiệm vụ cải cách hành chính năm 2026, Ủy ban nhân dân phường Thành Sen báo cáo "
                           "kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2026 như sau:")
    assert report.closing == ("Trên đây là báo cáo kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm "
                              "2026; phương hướng, nhiệm vụ 6 tháng cuối năm 2026 của Ủy ban nhân dân phường "
                              "Thành Sen./.")
    cleared = build_report(_with(now, {"nam": None}))
    assert _body(cleared).startswith("Thực hiện nhiệm vụ cải cách hành chính năm 2026, Ủy ban")
    assert "theo Kế hoạch cải cách hành chính năm 2026." in _body(cleared)
    none = build_report(_no_period(now))
    assert _body(none).startswith("Thực hiện nhiệm vụ cải cách hành chính năm 2026, Ủy ban nhân dân phường Thành Sen "
                                  "báo cáo kết quả thực hiện công tác cải cách hành chính như sau:")
    assert none.closing == "Trên đây là báo cáo kết quả thực hiện công tác cải cách hành chính của Ủy ban nhân dân " \
                           "phường Thành Sen./."


def test_the_files_window_is_told_as_typed_or_from_the_period(books):
    """The applications' window: the days typed («từ ngày 15/12/2025»); the first day cleared, the
    period's; typed backwards, as typed (the warning block says what is wrong), never the tool's guess."""
    now = books["now"]
    lead = "- Kết quả tiếp nhận, giải quyết hồ sơ thủ tục hành chính ({}):"
    assert lead.format("từ ngày 15/12/2025 đến ngày 14/6/2026") in _body(build_report(now))
    cleared = build_report(_with(now, {"tu_ngay": None}))
    assert lead.format("từ ngày 15/12/2025 đến ngày 14/6/2026") in _body(cleared)
    backwards = build_report(_with(now, {"tu_ngay": dt.date(2026, 6, 14), "den_ngay": dt.date(2025, 12, 15)}))
    assert lead.format("từ ngày 14/6/2026 đến ngày 15/12/2025") in _body(backwards)
    last_day = build_report(_with(now, {"den_ngay": None}))
    assert lead.format("từ ngày 15/12/2025 đến ngày 14/6/2026") in _body(last_day)
    # signed on the window's last day: the figures are final, not estimates
    on_the_day = _body(build_report(_with(now, {"ngay_bao_cao": dt.date(2026, 6, 14)})))
    assert lead.format("từ ngày 15/12/2025 đến ngày 14/6/2026") in on_the_day and "ước thực hiện" not in on_the_day


# --------------------------------------------------------------------------- a template as data
_NAMES = ("Kỳ: {{ ky }}; kỳ tới: {{ ky_toi }}; năm: {{ nam }}; từ: {{ tu_ngay|ngay if tu_ngay else '' }}; "
          "đến: {{ den_ngay|ngay if den_ngay else '' }}; biểu 06a: {{ bang.bieu_06a|length }} dòng.\n\n"
          "{% for x in ds.danh_sach_khong_co %}{{ x }}{% else %}Danh sách không có: trống.{% endfor %}\n\n\n"
          "Tỷ lệ không có: {{ r.ty_le_khong_co|ty_le if r.ty_le_khong_co.value else 'chưa tính được' }}.\n\n"
          "Mốc: «{{ moc }}».\n\n"
          "Loại đơn vị: «{{ loai_don_vi }}»; cấp mình: «{{ cap_minh }}»; "
          "có so sánh: {{ 'có' if co_so_sanh else 'không' }}.\n")


def test_a_section_template_reads_the_period_the_forms_and_what_the_definition_lacks(books, tmp_path, monkeypatch):
    """A province's own section template (data IT may write) reads the period's names, the year, the
    window, a form's rows; a list or a ratio the definition lacks reads as empty, never a crash."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    (narrative / "sections" / "I.6.j2").write_text(_NAMES, encoding="utf-8")
    now = books["now"]
    rows = len(now.tables["bieu_06a"])
    body = _body(build_report(now))
    assert (f"Kỳ: 6 tháng đầu năm 2026; kỳ tới: 6 tháng cuối năm 2026; năm: 2026; từ: 15/12/2025; "
            f"đến: 14/6/2026; biểu 06a: {rows} dòng.") in body.splitlines()
    assert {"Danh sách không có: trống.", "Tỷ lệ không có: chưa tính được.",
            "Loại đơn vị: «phường»; cấp mình: «cấp phường»; có so sánh: không."} <= set(body.splitlines())
    assert "Mốc: «đến ngày 14/6/2026»." in body.splitlines()
    compared = _body(build_report(now, books["last_year"]))
    assert "Loại đơn vị: «phường»; cấp mình: «cấp phường»; có so sánh: có." in compared.splitlines()
    # the window's days cleared: the period's; typed backwards: as typed
    cleared = _body(build_report(_with(now, {"tu_ngay": None, "den_ngay": None})))
    assert f"Kỳ: 6 tháng đầu năm 2026; kỳ tới: 6 tháng cuối năm 2026; năm: 2026; từ: 15/12/2025; " \
           f"đến: 14/6/2026; biểu 06a: {rows} dòng." in cleared.splitlines()
    backwards = _body(build_report(_with(now, {"tu_ngay": dt.date(2026, 6, 14), "den_ngay": dt.date(2025, 12, 15)})))
    assert f"Kỳ: 6 tháng đầu năm 2026; kỳ tới: 6 tháng cuối năm 2026; năm: 2026; từ: 14/6/2026; " \
           f"đến: 15/12/2025; biểu 06a: {rows} dòng." in backwards.splitlines()
    # a body of a level the phrases do not know has no kind word
    other = _body(build_report(_other_body(now)))
    line = next(x for x in other.splitlines() if x.startswith("Loại đơn vị:"))
    assert line.startswith("Loại đơn vị: «»; cấp mình: «cấp") and "None" not in line and "XXXX" not in line
    dept = _body(build_report(dataclasses.replace(now, values={**now.values, "don_vi_cap": "so"},
                                                  meta={**now.meta, "unit_level": "so"})))
    assert "Loại đơn vị: «sở»; cấp mình: «cấp sở»; có so sánh: không." in dept.splitlines()
    # nothing tells the period: its names, the year and the window are empty, never a made-up word
    bare = _body(build_report(_no_period(now, nam=None, tu_ngay=None, den_ngay=None)))
    assert f"Kỳ:; kỳ tới:; năm:; từ:; đến:; biểu 06a: {rows} dòng." in bare.splitlines()
    assert "Mốc: «»." in bare.splitlines()


def test_a_template_that_tells_a_ratio_tells_its_parts(books, tmp_path, monkeypatch):
    """A province's section template telling the tasks' rate only: «75% (30/40 nhiệm vụ)» holds the two
    counts, never told again in sentences of their own."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    (narrative / "sections" / "I.2.j2").write_text(
        "Tỷ lệ hoàn thành nhiệm vụ: {{ r.ty_le_kh_cchc|ty_le }}.\n", encoding="utf-8")
    now = books["now"]
    fields = now.definition.field_map()
    body = _body(build_report(now))
    assert "Tỷ lệ hoàn thành nhiệm vụ: 75% (30/40 nhiệm vụ)." in body.splitlines()
    for code in ("kh_cchc_nhiem_vu_tong", "kh_cchc_nhiem_vu_hoan_thanh"):
        assert fields[code].label not in body


def test_a_summarys_own_level_is_each_units(summary, tmp_path, monkeypatch):
    """In a summary the figures are the units', each at its own level: «cấp mình» says so."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    (narrative / "sections" / "I.6.j2").write_text(_NAMES, encoding="utf-8")
    body = _body(build_report(summary))
    assert "Loại đơn vị: «tỉnh»; cấp mình: «cấp của từng đơn vị (cộng lại)»; có so sánh: không." in body.splitlines()


# --------------------------------------------------------------------------- the guiding documents
@pytest.mark.parametrize("typed,told", [
    # one document a line (Alt+Enter), each told once, joined as a list in a sentence
    ("Kế hoạch số 05/KH-UBND ngày 10/01/2026\nKế hoạch số 20/KH-UBND", "Kế hoạch số 05/KH-UBND ngày 10/01/2026; "
                                                                        "Kế hoạch số 20/KH-UBND"),
    # pasted from Word: its paragraphs end in a bare carriage return
    ("Kế hoạch số 05/KH-UBND\rKế hoạch số 20/KH-UBND", "Kế hoạch số 05/KH-UBND; Kế hoạch số 20/KH-UBND"),
    # lines closed by the clerk's own «;» or «.»; a Roman numeral ending in X kept whole
    ("Kế hoạch số 05/KH-UBND;\r\nNghị quyết của Tỉnh ủy khóa XIX\r\nKế hoạch số 20/KH-UBND;",
     "Kế hoạch số 05/KH-UBND; Nghị quyết của Tỉnh ủy khóa XIX; Kế hoạch số 20/KH-UBND"),
    ("Kế hoạch số 05/KH-UBND\nNghị quyết của Tỉnh ủy khóa XIX.", "Kế hoạch số 05/KH-UBND; Nghị quyết của Tỉnh ủy "
                                                                  "khóa XIX"),
])
def test_the_guiding_documents_typed_on_several_lines_open_the_report(books, typed, told):
    body = _body(build_report(_with(books["now"], {"can_cu": typed})))
    assert body.startswith(f"Thực hiện {told}, Ủy ban nhân dân phường Thành Sen báo cáo kết quả thực hiện công tác "
                           "cải cách hành chính 6 tháng đầu năm 2026 như sau:")


def test_a_broken_template_is_refused_naming_its_whole_path(books, tmp_path, monkeypatch):
    """IT is told the file to open: the whole path of the broken template, in a syntax error as in a
    name the template does not know."""
    from xl_addin.errors import CchcError

    narrative = _templates_copy(tmp_path, monkeypatch)
    broken = narrative / "sections" / "I.6.j2"
    for text in ("{% if %}\n", "{{ khong_co_bien }}\n"):
        broken.write_text(text, encoding="utf-8")
        memo.clear()  # IT edits between two reports: the template is read again
        with pytest.raises(CchcError) as info:
            build_report(books["now"])
        assert str(broken) in info.value.message


# --------------------------------------------------------------------------- who reports
def test_the_body_is_named_from_its_cells_then_from_the_files_stamp(books):
    """The level and the name typed in their cells come first; a cell cleared, the file's stamp tells it;
    both missing, the name is left dotted to write by hand. A name typed without its type word takes the
    level's («Nội vụ» at level «sở»: «Sở»); with it, the short name is the level's body and kind."""
    now = books["now"]
    assert "UBND phường đã chỉ đạo triển khai thực hiện và hoàn thành 30/40 nhiệm vụ" in _body(build_report(now))
    dept = build_report(dataclasses.replace(now, values={**now.values, "don_vi_cap": "so", "don_vi_ten": "Sở Nội vụ",
                                                         "tham_quyen_ky": None, "chuc_vu_ky": None},
                                            meta={**now.meta, "unit_level": None}))
    assert dept.header.co_quan == ["SỞ NỘI VỤ"] and dept.signature == ["GIÁM ĐỐC"]
    bare = build_report(dataclasses.replace(now, values={**now.values, "don_vi_cap": "so", "don_vi_ten": "Nội vụ",
                                                         "tham_quyen_ky": None, "chuc_vu_ky": None},
                                            meta={**now.meta, "unit_level": "so"}))
    assert "Sở đã chỉ đạo triển khai" in _body(bare)
    stamped = build_report(_with(now, {"don_vi_ten": None}))
    assert stamped.header.co_quan == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THÀNH SEN"]
    unnamed = build_report(dataclasses.replace(now, values={**now.values, "don_vi_ten": None},
                                               meta={**now.meta, "unit_name": None}))
    assert unnamed.header.co_quan == ["ỦY BAN NHÂN DÂN", "……"]


def test_a_summary_without_its_subject_phrases_names_the_territory_or_the_body(summary, tmp_path, monkeypatch):
    """IT's phrases.yaml without the summary's subjects («các đơn vị trên địa bàn …», «… trực thuộc»):
    a province's summary says what the province did, a department's what the department did."""
    _without(_templates_copy(tmp_path, monkeypatch), "tong_hop_chu_the", "tong_hop_chu_the_truc_thuoc")
    body = _body(build_report(summary))
    assert "Trong 6 tháng đầu năm 2026, tỉnh đã chỉ đạo triển khai thực hiện" in body
    dept = dataclasses.replace(summary, values={**summary.values, "don_vi_cap": "so", "don_vi_ten": "Sở Nội vụ"},
                               meta={**summary.meta, "unit_level": "so"})
    assert "Trong 6 tháng đầu năm 2026, Sở đã chỉ đạo triển khai thực hiện" in _body(build_report(dept))


# --------------------------------------------------------------------------- refusals that name the file
def test_broken_phrases_are_refused_with_the_yaml_error_first_line(books, tmp_path, monkeypatch):
    from xl_addin.errors import CchcError

    phrases = _templates_copy(tmp_path, monkeypatch) / "phrases.yaml"
    phrases.write_text("quoc_hieu: [không đóng\n", encoding="utf-8")
    with pytest.raises(CchcError) as info:
        build_report(books["now"])
    assert "while parsing a flow sequence" in info.value.message


def test_a_definition_folder_without_its_own_narrative_uses_the_built_in_one(books, tmp_path, monkeypatch):
    """IT's copy of the definition without a narrative folder: the report is written with the built-in
    templates and phrases."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    shutil.rmtree(narrative)
    report = build_report(books["now"])
    assert report.header.dia_danh_ngay == "Phường Thành Sen, ngày 16 tháng 6 năm 2026"


def test_phrases_edited_between_two_reports_are_read_again(books, tmp_path, monkeypatch):
    """The add-in stays open: IT edits phrases.yaml (the file copy line) and the next report uses it."""
    import os

    narrative = _templates_copy(tmp_path, monkeypatch)
    now = books["now"]
    assert build_report(now).recipients[-1] == "- Lưu: VT."
    phrases = narrative / "phrases.yaml"
    data = yaml.safe_load(phrases.read_text(encoding="utf-8"))
    data["luu"] = "Lưu: VT, VP."
    phrases.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stat = phrases.stat()
    os.utime(phrases, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert build_report(now).recipients[-1] == "- Lưu: VT, VP."


def test_a_section_text_pasted_from_word_keeps_its_paragraphs(books):
    """Word's paragraphs end in a bare carriage return: each is a paragraph of the report."""
    now = books["now"]
    body = _body(build_report(_with(now, {"noi_dung_i_6": "Mô hình «Một cửa thân thiện».\rSáng kiến số hóa hồ sơ."})))
    lines = body.splitlines()
    assert "Mô hình «Một cửa thân thiện»." in lines and "Sáng kiến số hóa hồ sơ." in lines


@pytest.fixture
def department(books):
    return dataclasses.replace(books["now"], values={**books["now"].values, "don_vi_cap": "so",
                                                      "don_vi_ten": "Sở Nội vụ", "tham_quyen_ky": None},
                               meta={**books["now"].meta, "unit_level": "so"})


@pytest.mark.parametrize("title,authority,signature", [
    ("Phó Giám đốc", None, ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]),
    ("Giám đốc", None, ["GIÁM ĐỐC"]),
    ("Phó Giám đốc", "kt", ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]),
])
def test_who_signs_for_a_body_without_a_council(department, title, authority, signature):
    """NĐ 30: a deputy signs «KT.» for the head. A Sở's deputy director with no signing authority
    chosen signs «KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC», never «PHÓ GIÁM ĐỐC» alone; the director signs alone."""
    data = _with(department, {"chuc_vu_ky": title, "tham_quyen_ky": authority})
    assert build_report(data).signature == signature


def test_the_reports_subject_codes_outline_and_signer_as_the_sheet_and_word_file_use_them(books, tmp_path,
                                                                                           monkeypatch):
    """What the report sheet, the Word file and the output names read from the report: its subject
    («V/v …», without a period the subject alone), the period's and unit's codes, the outline's
    sections, the signer's name (empty, never a placeholder, when not typed); a closing template
    ending in its own punctuation still ends «./.» once."""
    now = books["now"]
    report = build_report(now)
    assert report.trich_yeu == ("Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2026; phương hướng, "
                                "nhiệm vụ 6 tháng cuối năm 2026")
    assert (report.period_code, report.unit_code, report.unit_name) == ("6T-2026", "18073", "Phường Thành Sen")
    assert report.sections[:3] == ["I", "I.1", "I.2"] and "V" in report.sections
    assert build_report(_no_period(now)).trich_yeu == "Kết quả thực hiện công tác cải cách hành chính"
    assert build_report(_no_period(now)).period_code == ""  # never a placeholder
    unsigned = build_report(_with(now, {"nguoi_ky": None}))
    assert unsigned.signer == ""
    closing = _templates_copy(tmp_path, monkeypatch) / "ket_thuc.j2"
    closing.write_text(closing.read_text(encoding="utf-8").rstrip() + ";\n", encoding="utf-8")
    memo.clear()
    assert build_report(now).closing.endswith("phường Thành Sen./.")
