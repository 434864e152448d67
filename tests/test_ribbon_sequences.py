"""Every ribbon button in the sequences clerks use, on the strict Excel double (tests/excel_double.py).

The ribbon's own Python runs as in Excel: ``xl_addin.ribbon`` → ``XlwingsPort`` → xlwings' objects →
COM. After every step the workbook is saved by the double (as Ctrl+S or SaveCopyAs would) and read
back with openpyxl; the message boxes are those the clerk saw. Each step must leave the template's
protection as it was (every sheet's protection attributes and the structure lock), also after an
error, and ``_meta`` stamps as text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from excel_double import EN_US, Excel, protection_of
from seed_reports import R001, R002, R003

from xl_addin import ribbon
from xl_addin.ui import ui
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.port import XlwingsPort

from conftest import filled_workbook

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ERROR_FILL, WARNING_FILL, INPUT_FILL = "FFC7CE", "F4B084", "FFF2CC"


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seq")
    return {name: filled_workbook(folder, payload, name=f"{name}.xlsx")
            for name, payload in (("r001", R001), ("r002", R002), ("r003", R003))}


@pytest.fixture
def clerk(books, tmp_path):
    """Open a copy of a filled workbook (a Vietnamese path) in a fresh Excel."""
    def open_book(name: str = "r003", **excel_options):
        folder = tmp_path / "Báo cáo CCHC"
        folder.mkdir(exist_ok=True)
        path = folder / "Báo cáo 6 tháng – Phường Thành Sen.xlsx"
        shutil.copy(books[name], path)
        excel = Excel(**excel_options)
        return excel, excel.open(path), path
    return open_book


def snapshot(book, tmp_path: Path) -> openpyxl.Workbook:
    """What the workbook holds now (SaveCopyAs keeps the open book as it is)."""
    target = tmp_path / f"snap-{len(list(tmp_path.glob('snap-*')))}.xlsx"
    book.api.SaveCopyAs(str(target))
    return openpyxl.load_workbook(target)


def meta_of(wb) -> dict:
    return {r[0].value: r[1].value for r in wb["_meta"].iter_rows() if r[0].value}


def assert_as_template(wb, template: Path) -> None:
    """Protection attributes and the structure lock as the template has them; stamps are text."""
    tpl = openpyxl.load_workbook(template)
    assert wb.security is not None and wb.security.lockStructure
    assert wb.security.workbookPassword == tpl.security.workbookPassword
    reference = protection_of(tpl["Số liệu"])
    for ws in tpl.worksheets:
        assert protection_of(wb[ws.title]) == protection_of(ws), ws.title
        assert wb[ws.title].sheet_state == ws.sheet_state
    for name in (ui("sheets.check"), ui("sheets.ratios")):
        if name in wb.sheetnames:
            assert protection_of(wb[name]) == reference, name
    names = wb.sheetnames
    assert [n for n in names if n in tpl.sheetnames] == tpl.sheetnames  # the template's order kept
    last_visible = max(names.index(ws.title) for ws in tpl.worksheets if ws.sheet_state == "visible")
    for name in names:
        if name not in tpl.sheetnames:
            assert last_visible < names.index(name) < names.index("_lists"), names
    for key in ("validated_at", "exported_at", "generated_at"):
        value = meta_of(wb).get(key)
        assert value in (None, "-") or (isinstance(value, str) and STAMP.match(value)), (key, value)


def no_surprises(excel: Excel) -> None:
    assert excel.refusals == []
    assert not [a for a in excel.alerts if "không mong đợi" in a.text], [a.text for a in excel.alerts]


def check_rows(wb) -> tuple[int, list[tuple]]:
    rows = list(wb[ui("sheets.check")].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == ui("check_columns")[0])
    return header, rows


def fill_of(cell) -> str | None:
    return str(cell.fill.fgColor.rgb)[-6:] if cell.fill.fill_type == "solid" else None


# ----------------------------------------------------------------------------- Kiểm tra số liệu
def test_validate_twice(clerk, tmp_path, definition):
    excel, book, path = clerk("r003")
    first = ribbon.validate(book)
    wb = snapshot(book, tmp_path)
    assert ui("sheets.check") in wb.sheetnames and wb.active.title == ui("sheets.check")
    assert_as_template(wb, path)
    second = ribbon.validate(book)  # the Kiểm tra sheet the first run left protected is rewritten
    assert [f.rule for f in second] == [f.rule for f in first]
    wb = snapshot(book, tmp_path)
    assert_as_template(wb, path)
    header, rows = check_rows(wb)
    assert len(rows) - header - 1 == len(second)
    total = compute_layout(definition).fields["nhan_su_tong"]
    cell = wb[total.sheet][total.ref]
    assert fill_of(cell) == ERROR_FILL and cell.border.left.style == "thick"
    assert "Các thành phần nhân sự" in cell.comment.text
    no_surprises(excel)


def test_validate_fix_validate_clears_old_marks(clerk, tmp_path, definition):
    excel, book, path = clerk("r003")
    total = compute_layout(definition).fields["nhan_su_tong"]
    ribbon.validate(book)
    book.sheets[total.sheet].range(total.ref).value = 43  # the clerk types the right total (an input cell)
    findings = ribbon.validate(book)
    assert "nhan_su_can_doi" not in {f.rule for f in findings}
    wb = snapshot(book, tmp_path)
    cell = wb[total.sheet][total.ref]
    assert fill_of(cell) == INPUT_FILL and cell.comment is None and cell.border.left.style == "thin"
    assert total.ref not in meta_of(wb)["marked_cells"]
    assert_as_template(wb, path)
    no_surprises(excel)


def test_check_sheet_a_clerk_can_read(clerk, tmp_path, definition):
    excel, book, path = clerk("r002")
    findings = ribbon.validate(book)
    wb = snapshot(book, tmp_path)
    ws = wb[ui("sheets.check")]
    header, rows = check_rows(wb)
    columns = list(ui("check_columns"))
    assert list(rows[header][:len(columns)]) == columns
    codes = {f.code for f in definition.fields()} | {r.code for r in definition.ratios}
    text = " ".join(str(v) for r in rows for v in r if v is not None)
    assert not [c for c in codes if "_" in c and c in text], "no field codes on the Kiểm tra sheet"
    unit_col = columns.index(ui("check_unit_column"))
    units = {r[unit_col] for r in rows[header + 1:]}
    assert "tỷ đồng" in units or "%" in units
    # one link per finding, to the finding's first cell
    links = {c.row: c.hyperlink for r in ws.iter_rows(min_row=header + 2) for c in r if c.hyperlink}
    assert len(links) == len(findings)
    for f, row in zip(findings, range(header + 2, header + 2 + len(findings)), strict=True):
        sheet, ref = f.cells[0].split("!")
        assert links[row].location == f"'{sheet}'!{ref}"
    # wrapped text, readable rows, landscape one page wide, the header repeated, a legend
    assert ws.cell(row=1, column=1).alignment.wrap_text in (None, False)
    assert all(ws.cell(row=header + 2, column=c).alignment.wrap_text for c in range(1, len(columns) + 1))
    assert ws.row_dimensions[header + 2].height
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${header + 1}:${header + 1}"
    legend = {fill_of(c): c for r in ws.iter_rows(max_row=header) for c in r if fill_of(c)}
    assert {ERROR_FILL, WARNING_FILL} <= set(legend)
    assert legend[WARNING_FILL].border.left.style == "thick"
    assert wb.active.title == ui("sheets.check")
    no_surprises(excel)


def test_validate_on_an_english_locale_excel_writes_text(clerk, tmp_path):
    excel, book, path = clerk("r002", locale=EN_US)
    ribbon.validate(book)
    ribbon.ratios(book)
    wb = snapshot(book, tmp_path)
    for name in (ui("sheets.check"), ui("sheets.ratios")):
        for row in wb[name].iter_rows():
            for cell in row:
                if cell.row > 1 and isinstance(cell.value, (int, float)) and cell.column != 1:
                    pytest.fail(f"{name}!{cell.coordinate} re-typed to a number: {cell.value}")
    assert_as_template(wb, path)
    no_surprises(excel)


def test_no_printer(clerk, tmp_path):
    excel, book, path = clerk("r003", printer=False)
    ribbon.validate(book)
    ribbon.ratios(book)
    ribbon.report(book)
    wb = snapshot(book, tmp_path)
    assert {ui("sheets.check"), ui("sheets.ratios"), ui("sheets.report")} <= set(wb.sheetnames)
    assert_as_template(wb, path)
    assert excel.refusals and all("PageSetup" in r for r in excel.refusals)
    assert not excel.alerts, "no printer is no reason for a message box"


def test_an_error_midway_leaves_the_protection_as_it_was(clerk, tmp_path, monkeypatch):
    from xl_addin.rules import sheets

    excel, book, path = clerk("r003")
    ribbon.validate(book)

    def boom(*_a, **_k):
        raise RuntimeError("hỏng giữa chừng")

    monkeypatch.setattr(sheets, "check_rows", boom)
    ribbon.validate(book)
    assert [a for a in excel.alerts if "không mong đợi" in a.text]
    assert_as_template(snapshot(book, tmp_path), path)


# ----------------------------------------------------------------------------- Tính tỷ lệ
def test_ratios_twice(clerk, tmp_path, definition):
    excel, book, path = clerk("r002")
    ribbon.ratios(book)
    results = ribbon.ratios(book)
    wb = snapshot(book, tmp_path)
    assert_as_template(wb, path)
    ws = wb[ui("sheets.ratios")]
    assert wb.active.title == ws.title
    rows = list(ws.iter_rows(values_only=True))
    columns = list(ui("ratios_columns"))
    header = next(i for i, r in enumerate(rows) if r and r[0] == columns[0])
    label = {r.code: r.label for r in definition.ratios}
    row = next(r for r in rows[header + 1:] if r[0] == label["ty_le_giai_ngan"])  # the label first
    assert row[columns.index(ui("check_unit_column"))] == "tỷ đồng"
    assert results["ty_le_giai_ngan"].formatted in row
    assert not [c for c in (r.code for r in definition.ratios) if any(c == v for r in rows for v in r)]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    no_surprises(excel)


# ----------------------------------------------------------------------------- Lập báo cáo
def test_report_hand_edit_report_asks(clerk, tmp_path):
    excel, book, path = clerk("r002")
    assert ribbon.report(book)
    assert_as_template(snapshot(book, tmp_path), path)
    book.sheets[ui("sheets.report")].range("A30").value = "sửa tay"
    excel.answers.append("no")
    assert ribbon.report(book) is None  # the clerk keeps the hand edit
    assert excel.alerts[-1].buttons == "yes_no"
    excel.answers.append("yes")
    assert ribbon.report(book)
    wb = snapshot(book, tmp_path)
    assert "sửa tay" not in [c.value for r in wb[ui("sheets.report")].iter_rows() for c in r]
    assert_as_template(wb, path)
    ribbon.validate(book)  # validate after report
    assert_as_template(snapshot(book, tmp_path), path)
    no_surprises(excel)


# ----------------------------------------------------------------------------- Xuất Word
def test_export_word_asks_before_overwriting_an_edited_docx(clerk, tmp_path):
    """Issue 15, defect: Xuất Word overwrote a hand-edited .docx without asking."""
    import docx

    excel, book, path = clerk("r002")
    written = Path(ribbon.report(book, docx=True))
    assert written == path.with_suffix(".docx") and written.exists()
    assert [a.buttons for a in excel.alerts] == ["ok"]  # «Đã lưu báo cáo Word»
    assert Path(ribbon.report(book, docx=True)) == written  # its own file, unchanged: no question
    assert [a.buttons for a in excel.alerts] == ["ok", "ok"]
    doc = docx.Document(str(written))
    doc.add_paragraph("Ý kiến của Chủ tịch: đề nghị bổ sung số liệu quý II.")
    doc.save(str(written))
    edited = written.read_bytes()
    excel.answers.append("no")
    assert ribbon.report(book, docx=True) is None
    assert excel.alerts[-1].buttons == "yes_no" and written.name in excel.alerts[-1].text
    assert written.read_bytes() == edited  # the clerk kept the chairman's edit
    excel.answers.append("yes")
    assert Path(ribbon.report(book, docx=True)) == written
    assert "Ý kiến của Chủ tịch" not in "\n".join(p.text for p in docx.Document(str(written)).paragraphs)
    assert_as_template(snapshot(book, tmp_path), path)
    no_surprises(excel)


def test_export_word_from_a_hand_edited_report_sheet_uses_the_edit(clerk, tmp_path):
    """Issue 15: Xuất Word with a Báo cáo sheet edited by hand keeps the sheet and writes the .docx from it."""
    import docx

    excel, book, path = clerk("r002")
    assert ribbon.report(book)
    sheet = book.sheets[ui("sheets.report")]
    row = next(r for r in range(1, 200) if str(sheet.range(f"A{r}").value or "").startswith("Trên đây là báo cáo"))
    sheet.range(f"A{row}").value = "Trên đây là báo cáo đã được Chủ tịch duyệt./."
    written = Path(ribbon.report(book, docx=True))
    assert "sửa tay" in excel.alerts[-1].text and excel.alerts[-1].buttons == "ok"
    assert "Trên đây là báo cáo đã được Chủ tịch duyệt./." in [p.text for p in docx.Document(str(written)).paragraphs]
    wb = snapshot(book, tmp_path)
    assert "Trên đây là báo cáo đã được Chủ tịch duyệt./." in [c.value for r in wb[ui("sheets.report")].iter_rows()
                                                            for c in r]
    assert_as_template(wb, path)
    no_surprises(excel)


# ----------------------------------------------------------------------------- Xuất file nộp
def test_export_then_keep_working(clerk, tmp_path, definition):
    excel, book, path = clerk("r003")
    ribbon.validate(book)
    saved = Path(ribbon.export(book))
    assert saved.name == "18073_Phuong-Thanh-Sen_6T-2026.xlsx" and saved.parent == path.parent
    copy = openpyxl.load_workbook(saved)
    assert ui("sheets.check") not in copy.sheetnames
    total = compute_layout(definition).fields["nhan_su_tong"]
    assert fill_of(copy[total.sheet][total.ref]) == INPUT_FILL and copy[total.sheet][total.ref].comment is None
    stamps = meta_of(copy)
    assert STAMP.match(stamps["exported_at"]) and int(stamps["submission_counter"]) == 1
    assert stamps["marked_cells"] == "-"
    assert_as_template(copy, path)
    # the clerk's open workbook is as it was: marks and Kiểm tra stay; only _meta records the export
    wb = snapshot(book, tmp_path)
    assert ui("sheets.check") in wb.sheetnames and fill_of(wb[total.sheet][total.ref]) == ERROR_FILL
    assert meta_of(wb)["exported_at"] == stamps["exported_at"] and int(meta_of(wb)["submission_counter"]) == 1
    assert_as_template(wb, path)
    assert "Đã lưu bản nộp" in excel.alerts[-1].text
    # keep working: fix, validate, export again: the counter counts on
    book.sheets[total.sheet].range(total.ref).value = 43
    ribbon.validate(book)
    again = openpyxl.load_workbook(ribbon.export(book))
    assert int(meta_of(again)["submission_counter"]) == 2
    assert int(meta_of(snapshot(book, tmp_path))["submission_counter"]) == 2
    no_surprises(excel)


# ----------------------------------------------------------------------------- Tổng hợp thư mục
@pytest.fixture
def no_workbook(monkeypatch):
    """Excel with no workbook open: RunPython's caller is missing, the active application is there."""
    excel = Excel()

    def no_caller():
        raise Exception("xlwings: no caller (no active workbook)")

    monkeypatch.setattr(ribbon, "_caller", no_caller)
    monkeypatch.setattr(ribbon, "_active_app", lambda: excel.app, raising=False)
    return excel


def test_merge_an_empty_folder_shows_a_message(no_workbook, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    assert ribbon.merge(folder=folder) is None
    [box] = no_workbook.alerts
    assert str(folder) in box.text


def test_merge_a_folder_of_bad_files_shows_why(no_workbook, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "ghi-chu.xlsx").write_text("đây là văn bản", encoding="utf-8")
    ribbon.merge(folder=folder)
    [box] = no_workbook.alerts
    assert "hong.xlsx" in box.text and "ghi-chu.xlsx" in box.text


def test_merge_reports_what_it_merged_and_a_locked_output(no_workbook, books, tmp_path, monkeypatch):
    from xl_addin.definition.units import Unit

    folder = tmp_path / "nop"
    folder.mkdir()
    for i, payload in enumerate((R001, R003)):
        unit = Unit(f"1800{i}", f"Xã Thử {i}", "xa", "42")
        shutil.copy(filled_workbook(tmp_path, payload, unit=unit, name=f"u{i}.xlsx"), folder / f"u{i}.xlsx")
    (folder / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    summary = Path(ribbon.merge(folder=folder))
    assert summary.exists()
    box = no_workbook.alerts[-1]
    assert str(summary) in box.text and "hong.xlsx" in box.text
    # the summary is open in Excel on Windows: replacing it is refused by the file system (simulated here)
    import os

    real_replace = os.replace

    def locked(src, dst):
        if Path(dst) == summary:
            raise PermissionError(13, "The process cannot access the file because it is being used")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    assert ribbon.merge(folder=folder) is None
    box = no_workbook.alerts[-1]
    assert summary.name in box.text and "không mong đợi" not in box.text


def test_a_button_with_no_workbook_says_so(no_workbook):
    assert ribbon.validate() == []
    [box] = no_workbook.alerts
    assert "không mong đợi" not in box.text and box.text


# ----------------------------------------------------------------------------- Kiểm tra cài đặt, Hướng dẫn
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_diagnostics_on_default_separators(clerk, locale):
    excel, book, path = clerk("r001", **({"locale": EN_US} if locale == "en" else {}))
    checks = {c["check"]: c for c in ribbon.diagnostics(book)}
    [box] = excel.alerts
    assert "không mong đợi" not in box.text
    assert checks["template"]["ok"] and checks["path"]["ok"] and "Phường Thành Sen" in checks["path"]["detail"]
    sep, dates = checks["separators"], checks["date_order"]
    if locale == "vi":
        assert "«,»" in sep["detail"] and "16/06/2026" in dates["detail"]
    else:
        assert "«.»" in sep["detail"] and "54.02" in sep["detail"] and "06/16/2026" in dates["detail"]
    assert sep["label"] in box.text and dates["label"] in box.text
    no_surprises(excel)


def test_diagnostics_with_no_workbook(no_workbook):
    checks = {c["check"]: c for c in ribbon.diagnostics()}
    assert not checks["template"]["ok"] and checks["separators"]["detail"]
    [box] = no_workbook.alerts
    assert "không mong đợi" not in box.text


def test_help():
    guide = Path(ribbon.help(open_browser=False))
    text = guide.read_text(encoding="utf-8")
    assert "Kiểm tra số liệu" in text and "Xuất file nộp" in text


# ----------------------------------------------------------------------------- round trips
def test_round_trips_do_not_grow_with_the_number_of_fields(tmp_path, monkeypatch):
    """Two definitions of very different size, same findings: the same number of port calls."""
    from xl_addin.definition.loader import definition_dir, load_definition
    from xl_addin.definition.periods import parse_period
    from xl_addin.definition.units import Unit
    from xl_addin.workbook.build import build_unit_workbooks

    counts = []
    for extra in (0, 300):
        root = tmp_path / f"tpl{extra}"
        shutil.copytree(definition_dir(), root / "cchc")
        if extra:
            sections = root / "cchc" / "sections.yaml"
            text = sections.read_text(encoding="utf-8")
            anchor = "      - code: II.3\n"
            more = "".join(f"          - {{code: them_{i}, label: \"Chỉ tiêu thêm {i}\", type: integer, unit: lượt,"
                           f" aggregate: sum}}\n" for i in range(extra))
            sections.write_text(text.replace(anchor, more + anchor, 1), encoding="utf-8")
        monkeypatch.setenv("CCHC_TEMPLATES", str(root))
        definition = load_definition()
        [built] = build_unit_workbooks(definition, [Unit("18073", "Phường Thành Sen", "phuong", "42")],
                                       parse_period("6T-2026", definition), tmp_path / f"out{extra}")
        assert len(definition.fields()) >= 80 + extra
        for command in (ribbon.validate, ribbon.ratios):
            excel = Excel()
            port = XlwingsPort(excel.open(built.path))
            command(port)
            counts.append(port.calls)
            no_surprises(excel)
    assert counts[0] == counts[2] and counts[1] == counts[3]
