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
from test_mutants_writer import _body, _with

from xl_addin import memo
from xl_addin.definition.loader import definition_dir
from xl_addin.narrative import build_report
from xl_addin.resources import cache_root

books = test_mutants_writer.books  # the ward's workbooks, read back (a fixture: built once per process)


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
def test_a_phrases_file_without_the_optional_word_lists_still_writes_the_report(books, tmp_path, monkeypatch):
    """phrases.yaml's type words (loai_ten) and clerk's notes to drop from labels (bo_ghi_chu_nhan) are
    optional: without them the place is the unit's whole name and a label is told as written."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    phrases = narrative / "phrases.yaml"
    lines = phrases.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("loai_ten:", "bo_ghi_chu_nhan:"))]
    assert len(kept) == len(lines) - 2
    phrases.write_text("".join(kept), encoding="utf-8")
    now = books["now"]
    # a rate typed by the clerk whose parts are not typed: no template tells it, a sentence of its own does
    typed = {"dia_danh": None, "kh_cchc_hoat_dong_ty_le_bao_cao": 90,
             "kh_cchc_hoat_dong_tong": None, "kh_cchc_hoat_dong_hoan_thanh": None}
    report = build_report(_with(now, typed))
    assert report.header.dia_danh_ngay == "Phường Thành Sen, ngày 16 tháng 6 năm 2026"
    assert "- Tỷ lệ hoàn thành hoạt động đã báo cáo (nếu có, để đối chiếu): 90%." in _body(report)


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
def test_a_document_type_typed_outside_the_list_is_told_as_typed(books):
    """A type the clerk typed that is not in the list's choices («Tờ trình») goes with the other
    documents and names its document as typed."""
    now = books["now"]
    docs = [{"so_ky_hieu": "14/KH-UBND", "ngay": dt.date(2026, 2, 1), "loai": "ke_hoach",
             "trich_yeu": "Kế hoạch Tuyên truyền cải cách hành chính năm 2026"},
            {"so_ky_hieu": "03/TTr-UBND", "ngay": dt.date(2026, 3, 2), "loai": "Tờ trình",
             "trich_yeu": "về kiện toàn Tổ công tác cải cách hành chính"}]
    block = now.layout.lists["van_ban"]
    report = build_report(dataclasses.replace(
        now, lists={**now.lists, "van_ban": docs},
        list_rows={**now.list_rows, "van_ban": [block.first_row, block.first_row + 1]}))
    body = _body(report)
    assert "- Kế hoạch (01 văn bản):" in body and "- Văn bản khác (01 văn bản):" in body
    # NĐ 30: a month from March on is written without its 0
    assert "+ Tờ trình số 03/TTr-UBND ngày 02/3/2026 về kiện toàn Tổ công tác cải cách hành chính." in body


def test_a_template_naming_an_empty_or_unknown_choice(books, tmp_path, monkeypatch):
    """A section template (data IT may edit) that names a choice by its label: an empty one says
    nothing, one not in the list is told as given."""
    narrative = _templates_copy(tmp_path, monkeypatch)
    (narrative / "sections" / "I.6.j2").write_text(
        'Loại trống: [{{ none|nhan("ds_loai_van_ban") }}]; loại lạ: [{{ "Tờ trình"|nhan("ds_loai_van_ban") }}]; '
        'loại có: [{{ "ke_hoach"|nhan("ds_loai_van_ban") }}].\n', encoding="utf-8")
    body = _body(build_report(books["now"]))
    assert "Loại trống: []; loại lạ: [Tờ trình]; loại có: [Kế hoạch]." in body
