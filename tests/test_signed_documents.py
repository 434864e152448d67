"""The documents a chairman signs (issue 15): the .docx in the NĐ 30/2020 look with Vietnamese as its
language, heading styles and the appendix tables it cites; the PDF made from the .docx; hand edits
kept (an edited .docx is never overwritten without asking, an edited Báo cáo sheet is what the .docx
says); and the narrative's details (zeros, qualifiers, planned work, the place name, Biểu 06a findings
in words, the Báo cáo sheet paginated by Excel)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from test_narrative import CLEAN, EXAMPLES, SEN, _body, _book, _data

from xl_addin.definition.loader import load_definition
from xl_addin.errors import CchcError
from xl_addin.narrative import build_report, render_text, run_report, write_docx
from xl_addin.workbook.port import OpenpyxlPort

from conftest import needs_soffice, run_cli

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REPORT_SHEET = "Báo cáo"
BIEU_06A = [
    {"linh_vuc": "Tư pháp - Hộ tịch", "tiep_nhan_tong": 1200, "truc_tuyen": 1100, "truc_tiep": 100, "ky_truoc": 0,
     "da_gq_tong": 1200, "truoc_han": 1190, "dung_han": 0, "qua_han": 10, "dang_gq_tong": 0, "trong_han": 0,
     "dang_qua_han": 0, "cho_bo_sung": 0, "tra_lai": 0},
    {"linh_vuc": "Đất đai", "tiep_nhan_tong": 800, "truc_tuyen": 700, "truc_tiep": 100, "ky_truoc": 0,
     "da_gq_tong": 800, "truoc_han": 790, "dung_han": 0, "qua_han": 10, "dang_gq_tong": 0, "trong_han": 0,
     "dang_qua_han": 0, "cho_bo_sung": 0, "tra_lai": 0},
]


def _clean(**values) -> dict:
    return {"values": {**CLEAN["values"], **values}, "lists": CLEAN["lists"], "tables": {"bieu_06a": BIEU_06A}}


@pytest.fixture(scope="module")
def commune(tmp_path_factory) -> Path:
    """A clean ward workbook with Biểu 06a filled (its rows add up to the totals of Số liệu)."""
    return _book(tmp_path_factory.mktemp("commune"), SEN, "6T-2026", _clean())


def _xml(doc, part: str = "styles"):
    return doc.styles.element if part == "styles" else doc.settings.element


# --------------------------------------------------------------------------- 1. Word
def test_docx_is_vietnamese_times_new_roman_14_with_heading_styles(commune, tmp_path):
    """Defects: en-US in the document defaults and no language on Normal; Calibri 11 defaults; no heading style."""
    import docx

    path = write_docx(build_report(commune), tmp_path / "bao-cao.docx")
    doc = docx.Document(str(path))
    styles = doc.styles.element
    rpr = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    fonts = rpr.find(f"{W}rFonts")
    for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
        assert fonts.get(f"{W}{attr}") == "Times New Roman", attr
    assert not [k for k in fonts.keys() if k.endswith("Theme") or k.endswith("theme")]  # no theme font wins
    assert rpr.find(f"{W}sz").get(f"{W}val") == "28" and rpr.find(f"{W}lang").get(f"{W}val") == "vi-VN"
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt == 14
    assert normal.element.find(f"{W}rPr/{W}lang").get(f"{W}val") == "vi-VN"
    assert doc.settings.element.find(f"{W}themeFontLang").get(f"{W}val") == "vi-VN"
    # every heading of the report is a paragraph in a built-in heading style, in the NĐ 30 look
    report = build_report(commune)
    by_text = {p.text: p for p in doc.paragraphs}
    for block in report.body:
        if block.kind == "heading":
            p = by_text[block.text]
            assert p.style.name == f"Heading {min(block.level, 3)}", block.text
    tops = [p.text.split(".")[0] for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert tops == ["I", "II", "III", "IV", "V"]
    for level in (1, 2, 3):
        style = doc.styles[f"Heading {level}"]
        assert style.font.name == "Times New Roman" and style.font.size.pt == 14 and style.font.bold
        assert style.font.italic == (level == 3) and str(style.font.color.rgb) == "000000"
        assert style.paragraph_format.keep_with_next
        assert style.element.find(f"{W}rPr/{W}rFonts").get(f"{W}asciiTheme") is None
    # body paragraphs: justified, first-line indent 1,27 cm as a paragraph format, never spaces
    body = [p for p in doc.paragraphs if p.style.name == "Normal" and p.text.startswith("+ Số hồ sơ đã giải quyết")]
    assert body and body[0].paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    assert not [p.text for p in doc.paragraphs if p.text.startswith(("\u00a0", " ", "\t"))]


def test_docx_appends_the_forms_it_cites_as_landscape_pages(commune, tmp_path):
    """Defect: «Số liệu chi tiết tại Biểu số II.06a/VPCP/KSTT kèm theo» pointed at a table the document lacked."""
    import docx
    from docx.enum.section import WD_ORIENT

    report = build_report(commune)
    cited = [b.text for b in report.body if "kèm theo" in b.text]
    assert cited == ["Số liệu chi tiết tại Biểu số II.06a/VPCP/KSTT kèm theo."]
    assert [a.code for a in report.appendices] == ["bieu_06a"]
    doc = docx.Document(str(write_docx(report, tmp_path / "bao-cao.docx")))
    assert [s.orientation for s in doc.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]
    landscape = doc.sections[1]
    assert landscape.page_width > landscape.page_height and round(landscape.page_width.mm) == 297
    table = doc.tables[-1]
    cells = [[c.text for c in row.cells] for row in table.rows]
    flat = [t for row in cells for t in row]
    assert "Lĩnh vực, công việc giải quyết theo cấp" in flat and "Số hồ sơ nhận giải quyết" in flat
    assert "(1)" in flat and "(15)" in flat  # the column numbers of the form
    row = next(r for r in cells if "Tư pháp - Hộ tịch" in r)
    assert row[:5] == ["1", "Tư pháp - Hộ tịch", "1.200", "1.100", "100"]
    total = next(r for r in cells if "Tổng cộng" in r)
    assert "2.000" in total and "1.980" in total
    texts = [p.text for p in doc.paragraphs]
    assert "Biểu số II.06a/VPCP/KSTT" in texts
    assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC" in texts
    assert any(t.startswith("(Kèm theo Báo cáo số 25/BC-UBND ngày 16/6/2026") for t in texts)
    # the page numbers go on over the appendix (its first page too)
    assert not landscape.different_first_page_header_footer and landscape.header.is_linked_to_previous


def test_an_unfilled_form_is_neither_cited_nor_appended(tmp_path):
    data = _data(load_definition(), {k: Decimal(v) if isinstance(v, int) else v for k, v in CLEAN["values"].items()})
    report = build_report(data)
    assert not report.appendices and "kèm theo" not in _body(report)


def test_004_appends_phu_luc_5_it_cites(tmp_path):
    ex = EXAMPLES["004"]
    book = _book(tmp_path, ex["unit"], ex["period"], ex["payload"], ex.get("profile"))
    report = build_report(book)
    assert [a.code for a in report.appendices] == ["phu_luc_5"]
    assert "Số liệu chi tiết tại Phụ lục 5 kèm theo." in _body(report)


def test_the_report_sheet_indents_by_format_not_by_spaces(commune, tmp_path):
    """Defect: the first-line indent of the Báo cáo sheet was ten non-breaking spaces typed into each cell."""
    out = tmp_path / "out.xlsx"
    run_report(commune, out=out)
    ws = openpyxl.load_workbook(out)[REPORT_SHEET]
    texts = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert texts and not [t for t in texts if t.startswith(("\u00a0", " "))]
    assert not [t for t in texts if "\u00a0\u00a0\u00a0" in t and not t.startswith(("Số:", "Phường", "Thành Sen"))]


# --------------------------------------------------------------------------- 2. PDF
def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@needs_soffice
@pytest.mark.libreoffice
def test_pdf_is_made_from_the_docx_and_holds_every_line_of_the_text(commune, tmp_path):
    """Defect: the PDF rendered from the sheet's estimated row heights clipped lines («như sau:» cut in half)."""
    text = run_cli("report", str(commune), "--text")
    assert text.returncode == 0, text.stderr
    pdf = tmp_path / "bao-cao.pdf"
    made = run_cli("report", str(commune), "--pdf", str(pdf))
    assert made.returncode == 0, made.stderr
    lines = [ln for ln in _pdftotext(pdf).splitlines() if not ln.strip().isdigit()]  # page numbers
    rendered = _words(" ".join(lines))
    pieces = [p for line in text.stdout.splitlines() for p in line.split("   ") if p.strip()]
    missing = [p.strip() for p in pieces if _words(p) not in rendered]
    assert not missing, missing[:5]
    assert "Tư pháp - Hộ tịch" in rendered  # the appendix is in the PDF too
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "595" in info  # A4 portrait first page


def _fonts_conf(folder: Path, font_dirs: list[str]) -> Path:
    conf = folder / "fonts.conf"
    dirs = "".join(f"<dir>{d}</dir>" for d in font_dirs)
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>{dirs}'
                    f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    return conf


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_a_missing_vietnamese_times_new_roman_twin_is_warned_about(tmp_path, monkeypatch):
    """Defect: without a Times New Roman metric twin that has Vietnamese glyphs, the PDF mixed fonts silently."""
    from xl_addin.narrative.pdf import font_warning

    monkeypatch.setenv("FONTCONFIG_FILE", str(_fonts_conf(tmp_path, ["/usr/share/fonts/truetype/dejavu"])))
    warning = font_warning("Ủy ban nhân dân phường")
    assert warning is not None and "Times New Roman" in warning and "fonts-liberation2" in warning
    monkeypatch.delenv("FONTCONFIG_FILE")
    assert font_warning("Report") is None  # plain ASCII: Liberation Serif 1 has it


# --------------------------------------------------------------------------- 3. Edits kept
def test_an_edited_docx_is_refused_without_force(commune, tmp_path):
    """Defect: --docx overwrote a .docx the chairman's office had edited, without asking."""
    import docx

    target = tmp_path / "bao-cao.docx"
    run_report(commune, docx=target)
    run_report(commune, docx=target)  # the tool's own, unchanged: rewritten without a word
    doc = docx.Document(str(target))
    p = next(p for p in doc.paragraphs if p.text.startswith("Trên đây là báo cáo"))
    p.add_run(" Văn phòng bổ sung.")
    doc.save(str(target))
    before = target.read_bytes()
    with pytest.raises(CchcError) as err:
        run_report(commune, docx=target)
    assert err.value.code == "report_docx_edited" and "--force" in err.value.action
    assert target.read_bytes() == before
    cli = run_cli("report", str(commune), "--docx", str(target))
    assert cli.returncode == 1 and "--force" in cli.stderr and target.read_bytes() == before
    run_report(commune, docx=target, force=True)
    assert "Văn phòng bổ sung." not in "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
    # a Word file the tool did not write is never overwritten either
    other = tmp_path / "khac.docx"
    docx.Document().save(str(other))
    with pytest.raises(CchcError) as err:
        run_report(commune, docx=other)
    assert err.value.code == "report_docx_foreign"


def test_docx_from_a_hand_edited_report_sheet_uses_the_edit(commune, tmp_path):
    """Defect: --docx ignored the hand edits in the Báo cáo sheet silently."""
    import docx

    book = tmp_path / "book.xlsx"
    shutil.copy(commune, book)
    run_report(book, in_place=True)
    wb = openpyxl.load_workbook(book)
    ws = wb[REPORT_SHEET]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "1.980/2.000" in c.value)
    cell.value = cell.value.replace("đạt 99%", "đạt 99% (phường xếp thứ nhất toàn tỉnh)")
    wb.save(book)
    result = run_report(book, docx=tmp_path / "sua-tay.docx")
    assert any("sửa tay" in n for n in result["notices"])
    text = "\n".join(p.text for p in docx.Document(result["docx"]).paragraphs)
    assert "(phường xếp thứ nhất toàn tỉnh)" in text and "Nguyễn Thị Lan" in "\n".join(
        c.text for t in docx.Document(result["docx"]).tables for row in t.rows for c in row.cells)
    forced = run_report(book, docx=tmp_path / "lap-lai.docx", force=True)
    assert "(phường xếp thứ nhất toàn tỉnh)" not in "\n".join(p.text for p in docx.Document(forced["docx"]).paragraphs)
    assert not forced["notices"] or not any("sửa tay" in n for n in forced["notices"])


# --------------------------------------------------------------------------- 5. Narrative details
def _numbers(values: dict) -> dict:
    return {k: (Decimal(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in values.items()}


def _section_text(report, code: str) -> str:
    return "\n".join(b.text for b in report.body if b.section == code)


def _zero_changes(definition, base: dict, code: str, section: str) -> bool:
    without = {k: v for k, v in base.items() if k != code}
    a = _section_text(build_report(_data(definition, without)), section)
    b = _section_text(build_report(_data(definition, {**without, code: Decimal(0)})), section)
    return a != b


def test_every_typed_zero_is_told():
    """Defect: zeros dropped («tuyển dụng 0», «trả lại 0»): a field typed 0 changes what its section says,
    by itself or, when a total it is part of is 0 too («Không còn hồ sơ đang giải quyết»), once that
    total is left empty."""
    definition = load_definition()
    base = _numbers(CLEAN["values"])
    fields = definition.field_map()
    untold = []
    for f in definition.fields():
        if not (f.is_input and f.type in ("integer", "decimal", "money")) or not f.section or f.section == "TT":
            continue
        if _zero_changes(definition, base, f.code, f.section):
            continue
        alone = {k: v for k, v in base.items() if not (v == 0 and fields.get(k) and fields[k].section == f.section)}
        if not _zero_changes(definition, alone, f.code, f.section):
            untold.append(f.code)
    assert not untold
    # an alternative to trước hạn + đúng hạn: told when those are not typed
    alone = {k: v for k, v in base.items() if k not in ("tthc_da_gq_truoc_han", "tthc_da_gq_dung_han")}
    assert _zero_changes(definition, alone, "tthc_da_gq_dung_va_truoc_han", "II.2")


def test_zero_recruitment_and_zero_returned_dossiers_read_as_zero():
    definition = load_definition()
    body = _body(build_report(_data(definition, _numbers({**CLEAN["values"], "tuyen_dung": 0, "tthc_tra_lai": 0,
                                                          "tthc_cho_bo_sung": 0}))))
    assert "không thực hiện tuyển dụng" in body
    assert "+ Không có hồ sơ chờ bổ sung, hồ sơ trả lại, rút;" in body


def test_qualifiers_are_told():
    """Defect: «khoảng», «trên», «dự kiến» lost: a field declaring qualifier: true has a companion choice."""
    definition = load_definition(profile="ha-tinh")
    fields = definition.field_map()
    for code in ("van_ban_dien_tu_ty_le", "thu_ns_thuc_hien", "giai_ngan_thuc_hien", "dau_tu_thuc_hien"):
        assert fields[code].qualifier and fields[f"{code}_uoc_tinh"].type == "choice", code
        assert fields[f"{code}_uoc_tinh"].since == "1.1"
    codes = [o.code for o in definition.choice_list(fields["van_ban_dien_tu_ty_le_uoc_tinh"].choices).options]
    assert codes == ["khoang", "tren", "duoi", "uoc", "du_kien"]
    data = _data(definition, _numbers({**CLEAN["values"], "van_ban_dien_tu_ty_le": 90,
                                       "van_ban_dien_tu_ty_le_uoc_tinh": "tren", "dau_tu_thuc_hien": 10,
                                       "dau_tu_thuc_hien_uoc_tinh": "khoang", "thu_ns_thuc_hien": 1.845655,
                                       "thu_ns_ke_hoach": 4.369, "thu_ns_thuc_hien_uoc_tinh": "uoc"}))
    body = _body(build_report(data))
    assert "Tỷ lệ văn bản trao đổi dưới dạng điện tử đạt trên 90%" in body
    assert "giá trị vốn đầu tư thực hiện trên địa bàn đạt khoảng 10 tỷ đồng" in body
    assert "ước 1.845.655.000 đồng/4.369.000.000 đồng" in body
    # without a qualifier the number stands as typed
    plain = _body(build_report(_data(definition, _numbers({**CLEAN["values"], "van_ban_dien_tu_ty_le": 90}))))
    assert "đạt 90%" in plain and "trên 90%" not in plain


def test_a_planned_inspection_is_not_told_as_done():
    """Defect: a planned inspection written as done («đã tổ chức»)."""
    definition = load_definition()
    values = _numbers({**CLEAN["values"], "kiem_tra_so_cuoc": 2, "kiem_tra_so_don_vi": 10})
    told = {}
    for status in (None, "da_thuc_hien", "dang_thuc_hien", "du_kien"):
        told[status] = _section_text(build_report(_data(definition, {**values, "kiem_tra_trang_thai": status})), "I.3")
    assert "đã tổ chức 02 cuộc kiểm tra" in told[None] and told[None] == told["da_thuc_hien"]
    assert "đang tổ chức 02 cuộc kiểm tra" in told["dang_thuc_hien"] and "đã tổ chức" not in told["dang_thuc_hien"]
    assert "dự kiến tổ chức 02 cuộc kiểm tra" in told["du_kien"] and "đã" not in told["du_kien"]
    training = _section_text(build_report(_data(definition, {**values, "dao_tao_boi_duong": Decimal(710),
                                                             "dao_tao_trang_thai": "du_kien"})), "II.4")
    assert "dự kiến cử 710 lượt người tham gia đào tạo, bồi dưỡng" in training and "đã cử" not in training


@pytest.mark.parametrize("name, level, place", [
    ("Huyện Đức Thọ", "huyen", "Đức Thọ"), ("Xã Đức Thọ", "xa", "Đức Thọ"), ("Phường Thành Sen", "phuong", "Thành Sen"),
    ("Phường 12", "phuong", "Phường 12"), ("Quận 1", "huyen", "Quận 1"), ("Thị xã Hồng Lĩnh", "huyen", "Hồng Lĩnh"),
])
def test_the_place_name_is_the_unit_without_its_type_word(name, level, place):
    """Defect: «Huyện Đức Thọ, ngày…» where NĐ 30 writes «Đức Thọ, ngày…»; a name that is a number keeps it."""
    data = _data(load_definition(), {"don_vi_ten": name, "ngay_bao_cao": dt.date(2026, 6, 16)}, level=level)
    assert build_report(data).header.dia_danh_ngay == f"{place}, ngày 16 tháng 6 năm 2026"


def test_a_typed_place_name_wins_and_its_help_says_when_to_type_it():
    definition = load_definition()
    data = _data(definition, {"don_vi_ten": "Phường Trần Hưng Đạo", "dia_danh": "Phường Trần Hưng Đạo",
                              "ngay_bao_cao": dt.date(2026, 6, 16)})
    assert build_report(data).header.dia_danh_ngay.startswith("Phường Trần Hưng Đạo, ngày 16")
    help_text = definition.field_map()["dia_danh"].help
    assert "Phường Trần Hưng Đạo" in help_text and "tên người" in help_text
    assert not definition.field_map()["dia_danh"].required_for("phuong")


def test_bieu_06a_findings_are_told_in_words(tmp_path):
    """Defect: the warning block quoted column codes («truc_tuyen + truc_tiep + ky_truoc»)."""
    rows = [dict(BIEU_06A[0], truc_tuyen=1000), dict(BIEU_06A[1], da_gq_tong=700)]
    book = _book(tmp_path, SEN, "6T-2026", {**_clean(), "tables": {"bieu_06a": rows}})
    report = build_report(book)
    warnings = " ".join(b.text for b in report.warnings)
    assert "Tư pháp - Hộ tịch" in warnings and "Đất đai" in warnings
    definition = load_definition()
    codes = {c.code for t in definition.tables for c in t.columns}
    assert not [c for c in codes if c in warnings.replace("(", " ").replace(")", " ").split()]
    assert "Trực tuyến (4)" in warnings


def test_the_report_sheet_leaves_page_breaks_to_excel(commune, tmp_path):
    """Defect: hard page breaks at fixed rows left half-empty pages. No manual break; a heading shares its row
    with what follows (a row never splits across pages); Nơi nhận and the signature are one row."""
    out = tmp_path / "out.xlsx"
    run_report(commune, out=out)
    ws = openpyxl.load_workbook(out)[REPORT_SHEET]
    assert not ws.row_breaks.brk
    texts = {r: ws.cell(r, 1).value for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, str)}
    heading = next(t for t in texts.values() if t.startswith("I. CÔNG TÁC CHỈ ĐẠO"))
    assert heading.split("\n")[1] == "1. Tổ chức chỉ đạo, điều hành; ban hành kế hoạch cải cách hành chính"
    assert len(heading.split("\n")) >= 3  # the headings with the first paragraph after them
    sign_row = next(r for r, t in texts.items() if t.startswith("Nơi nhận:"))
    right = [ws.cell(sign_row, c).value for c in range(2, ws.max_column + 1) if ws.cell(sign_row, c).value]
    assert right and right[0].startswith("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH") and right[0].endswith("Nguyễn Thị Lan")
    assert sign_row == ws.max_row


def test_the_edited_sheet_is_read_back_as_the_report(commune, tmp_path):
    """The sheet written for a report reads back as the same report (the .docx from the sheet says the same)."""
    from xl_addin.narrative.sheet import report_from_sheet

    out = tmp_path / "out.xlsx"
    run_report(commune, out=out)
    report = build_report(commune)
    again = report_from_sheet(OpenpyxlPort(out), report)
    assert render_text(again) == render_text(report)
    assert [(b.kind, b.level) for b in again.body] == [(b.kind, b.level) for b in report.body]



def test_no_total_across_levels_unless_reported_as_such():
    """Defect: totals adding up different levels stated as if reported. A district's disbursement by
    budget level (002: cấp huyện 39,278 + cấp xã 14,742 tỷ đồng) is told by level; the total 54,02 only
    when the district typed it; a summary never calls the units' own levels the receiver's («cấp tỉnh»)."""
    definition = load_definition()
    parts = _numbers({"giai_ngan_cap_minh_thuc_hien": 39.278, "giai_ngan_cap_minh_ke_hoach": 80.5,
                      "giai_ngan_cap_xa_thuc_hien": 14.742, "giai_ngan_cap_xa_ke_hoach": 65.75})
    by_level = _section_text(build_report(_data(definition, {**parts, "don_vi_ten": "Huyện Đức Thọ"}, level="huyen")),
                             "II.5")
    assert "vốn ngân sách cấp huyện 39,278 tỷ đồng/80,5 tỷ đồng, đạt 48,79%" in by_level
    assert "vốn ngân sách cấp xã 14,742 tỷ đồng/65,75 tỷ đồng, đạt 22,42%" in by_level
    assert "54,02" not in by_level and "146,25" not in by_level
    typed = _numbers({**parts, "giai_ngan_thuc_hien": 54.02, "giai_ngan_ke_hoach": 146.25})
    district = _data(definition, {**typed, "don_vi_ten": "Huyện Đức Thọ"}, level="huyen")
    told = _section_text(build_report(district), "II.5")
    assert "54,02 tỷ đồng/146,25 tỷ đồng, đạt 36,94% kế hoạch vốn được giao; trong đó: vốn ngân sách cấp huyện" in told
    summary = _data(definition, {**typed, "don_vi_ten": "Tỉnh Hà Tĩnh"}, level="tinh")
    summary.meta["kind"] = "summary"
    merged = _section_text(build_report(summary), "II.5")
    assert "cấp tỉnh" not in merged and "vốn ngân sách cấp của từng đơn vị (cộng lại) 39,278 tỷ đồng" in merged
