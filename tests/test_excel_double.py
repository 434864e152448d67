"""The strict Excel double's own tests: one per refusal or re-typing rule (tests/excel_double.py).

Each rule is what Excel does to the real workbook the template builder writes (protected sheets,
a locked structure, very hidden sheets), through the same COM calls xlwings 0.37.8 makes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import openpyxl
import pytest
from excel_double import EN_US, VI_VN, ComError, DoubleError, Excel, protection_of, retype
from seed_reports import R001

from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.protection import PASSWORD

from conftest import filled_workbook


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return filled_workbook(tmp_path_factory.mktemp("double"), R001)


@pytest.fixture
def path(built, tmp_path):
    target = tmp_path / "Báo cáo Quý I – Xã Phước Hưng.xlsx"
    shutil.copy(built, target)
    return target


@pytest.fixture
def excel():
    return Excel()


@pytest.fixture
def book(excel, path):
    return excel.open(path)


@pytest.fixture
def cells(definition):
    layout = compute_layout(definition)
    total = layout.fields["tthc_tiep_nhan_tong"]
    label = f"B{total.row}"
    return {"sheet": total.sheet, "input": total.ref, "label": label}


def refused(excel: Excel, action, needle: str = "") -> str:
    before = len(excel.refusals)
    with pytest.raises(ComError) as info:
        action()
    assert len(excel.refusals) == before + 1, "every refusal is recorded"
    assert needle.lower() in str(info.value).lower()
    return str(info.value)


# ----------------------------------------------------------------------------- workbook structure
def test_structure_lock_refuses_adding_a_sheet_until_unprotected(excel, book):
    sheets = book.api.Worksheets
    assert book.api.ProtectStructure
    refused(excel, lambda: sheets.Add(Before=sheets("Số liệu")), "protected")
    book.api.Unprotect(PASSWORD)
    new = sheets.Add(Before=sheets("Số liệu"))
    assert new.Name == "Sheet1" and book.api.ActiveSheet.Name == "Sheet1"


def test_structure_lock_refuses_deleting_renaming_moving_hiding(excel, book):
    sheet = book.api.Worksheets("Đánh giá")
    excel.application.DisplayAlerts = False
    refused(excel, sheet.Delete, "protected")
    refused(excel, lambda: setattr(sheet, "Name", "Khác"), "protected")
    refused(excel, lambda: sheet.Move(Before=book.api.Worksheets("Số liệu")), "protected")
    refused(excel, lambda: setattr(sheet, "Visible", 0), "protected")


def test_workbook_password_and_double_protect(excel, book):
    refused(excel, lambda: book.api.Unprotect("sai"), "password")
    refused(excel, lambda: book.api.Protect(PASSWORD, True, False), "already protected")
    book.api.Unprotect(PASSWORD)
    assert not book.api.ProtectStructure
    book.api.Unprotect(PASSWORD)  # unprotecting an unprotected workbook is a no-op in Excel
    book.api.Protect(PASSWORD, True, False)
    assert book.api.ProtectStructure


def test_adding_next_to_a_very_hidden_sheet_is_refused(excel, book):
    """xlwings adds "after" as Add(Before=next sheet): after the last visible sheet that is _lists."""
    book.api.Unprotect(PASSWORD)
    last_visible = [s for s in book.sheets if s.visible][-1]
    refused(excel, lambda: book.sheets.add("Kiểm tra", after=last_visible), "hidden")
    assert book.api.Worksheets(last_visible.index + 1).Name == "_lists"


def test_activating_a_hidden_sheet_and_deleting_with_alerts_on(excel, book):
    refused(excel, book.api.Worksheets("_meta").Activate, "hidden")
    book.api.Unprotect(PASSWORD)
    assert excel.application.DisplayAlerts
    refused(excel, book.api.Worksheets("Đánh giá").Delete, "DisplayAlerts")
    book.sheets["Đánh giá"].delete()  # xlwings turns the alerts off around Delete
    assert "Đánh giá" not in book.sheets and excel.application.DisplayAlerts


# ----------------------------------------------------------------------------- sheet protection
def test_values_into_locked_cells_are_refused_inputs_are_accepted(excel, book, cells):
    ws = book.sheets[cells["sheet"]]
    refused(excel, lambda: setattr(ws.range(cells["label"]), "value", "sửa nhãn"), "protected sheet")
    ws.range(cells["input"]).value = 1060
    assert ws.range(cells["input"]).value == 1060.0


def test_a_block_with_one_locked_cell_writes_nothing(excel, book, cells):
    ws = book.sheets[cells["sheet"]]
    before = ws.range(cells["input"]).value
    row = int(cells["input"][1:])
    refused(excel, lambda: setattr(ws.range(f"C{row}"), "value", [["đơn vị", 5]]), "protected sheet")
    assert ws.range(cells["input"]).value == before


def test_clear_contents_on_a_protected_sheet_is_refused(excel, book):
    refused(excel, book.sheets["Số liệu"].clear_contents, "protected sheet")


def test_formats_notes_and_links_are_refused_on_protected_sheets(excel, book, cells):
    rng = book.sheets[cells["sheet"]].range(cells["input"])
    refused(excel, lambda: setattr(rng, "color", "#FFC7CE"), "protected sheet")
    refused(excel, lambda: setattr(rng.font, "bold", True), "protected sheet")
    refused(excel, lambda: setattr(rng, "wrap_text", True), "protected sheet")
    refused(excel, lambda: setattr(rng, "number_format", "@"), "protected sheet")
    refused(excel, lambda: rng.api.BorderAround(1, 4), "protected sheet")
    refused(excel, lambda: rng.add_note("ghi chú"), "protected sheet")
    refused(excel, lambda: rng.add_hyperlink("#'Số liệu'!A1", "x"), "protected sheet")


def test_column_widths_and_row_heights_follow_the_template_permissions(excel, book, cells):
    rng = book.sheets[cells["sheet"]].range(cells["input"])
    rng.column_width = 30  # the template allows formatting columns and rows
    rng.row_height = 30
    assert rng.column_width == 30 and rng.row_height == 30
    refused(excel, lambda: setattr(rng, "row_height", 500), "409")


def test_sheet_passwords(excel, book):
    sheet = book.api.Worksheets("Số liệu")
    refused(excel, lambda: sheet.Unprotect("sai"), "password")
    refused(excel, lambda: sheet.Protect(Password="khác"), "another password")
    sheet.Protect(Password=PASSWORD, DrawingObjects=False, Contents=True, Scenarios=False,
                  AllowFormattingColumns=True, AllowFormattingRows=True)  # same password: re-applied
    sheet.Unprotect(PASSWORD)
    assert not sheet.ProtectContents
    sheet.Unprotect(PASSWORD)  # no-op


def test_a_second_note_on_one_cell_is_refused(excel, book, cells):
    book.api.Worksheets(cells["sheet"]).Unprotect(PASSWORD)
    rng = book.sheets[cells["sheet"]].range(cells["input"])
    note = rng.add_note("một")
    refused(excel, lambda: rng.add_note("hai"), "has a note")
    note.text = "hai"
    assert rng.note.text == "hai"
    rng.note.delete()
    assert rng.note is None


# ----------------------------------------------------------------------------- re-typing
@pytest.mark.parametrize("text, locale, expected", [
    ("2026-06-16 09:00:00", VI_VN, dt.datetime(2026, 6, 16, 9, 0)),
    ("2026-06-16", EN_US, dt.datetime(2026, 6, 16)),
    ("1.049", VI_VN, 1049.0),
    ("1.049", EN_US, 1.049),
    ("54,02", VI_VN, 54.02),
    ("36,94%", VI_VN, 0.3694),
    ("00004", VI_VN, 4.0),
    ("16/06/2026", VI_VN, dt.datetime(2026, 6, 16)),
    ("06/07/2026", EN_US, dt.datetime(2026, 6, 7)),
    ("09:30", VI_VN, dt.time(9, 30)),
    ("TRUE", VI_VN, True),
])
def test_strings_are_retyped_as_when_typed(text, locale, expected):
    kind, value, _ = retype(text, locale)
    assert value == pytest.approx(expected) if isinstance(expected, float) else value == expected, (kind, value)


@pytest.mark.parametrize("text, locale, expected", [
    ("'2026-06-16 09:00:00", VI_VN, "2026-06-16 09:00:00"),  # a leading apostrophe keeps text
    ("'=1+1", VI_VN, "=1+1"),
    ("16/06/2026", EN_US, "16/06/2026"),  # not a date in month-day order: kept as typed
    ("Số liệu!D76", VI_VN, "Số liệu!D76"),
    ("14/KH-UBND", VI_VN, "14/KH-UBND"),
])
def test_strings_that_stay_text(text, locale, expected):
    assert retype(text, locale) == ("text", expected, None)


def test_formulas_and_text_format():
    assert retype("=SUM(A1:A3)", VI_VN)[:2] == ("formula", "=SUM(A1:A3)")
    assert retype("-Nội dung", VI_VN)[:2] == ("formula", "=-Nội dung")
    assert retype("00004", VI_VN, "@") == ("text", "00004", None)  # a text cell keeps what was written


@pytest.mark.parametrize("text, locale", [("36,94%", EN_US), ("1,2,3", EN_US), ("1/2", VI_VN), ("-", VI_VN),
                                          ("'x", None)])
def test_unsure_retyping_is_refused(text, locale):
    with pytest.raises(ComError, match="unsure"):
        retype(text, locale or VI_VN, "@" if locale is None else "General")


def test_retyping_through_range_value_uses_the_pcs_separators(path):
    for locale, expected in ((VI_VN, 1049.0), (EN_US, 1.049)):
        excel = Excel(locale=locale)
        book = excel.open(path)
        book.api.Worksheets("_meta").Unprotect(PASSWORD)
        meta = book.sheets["_meta"]
        meta.range("B30").value = [["1.049", "2026-06-16 09:00:00", "'2026-06-16 09:00:00"]]
        assert meta.range("B30").value == expected
        assert meta.range("C30").value == dt.datetime(2026, 6, 16, 9)
        assert meta.range("D30").value == "2026-06-16 09:00:00"
    excel.application.UseSystemSeparators = False  # Excel's own separators win over the region's
    excel.application.DecimalSeparator, excel.application.ThousandsSeparator = ",", "."
    meta.range("E30").value = "1.049"
    assert meta.range("E30").value == 1049.0


def test_decimals_are_refused(excel, book):
    book.api.Worksheets("_meta").Unprotect(PASSWORD)
    with pytest.raises(ComError, match="currency"):
        book.sheets["_meta"].range("B30").value = Decimal("1.5")


def test_reads_return_floats_datetimes_and_cached_formula_values(book, cells):
    ws = book.sheets[cells["sheet"]]
    grid = ws.range((1, 1), (3, 2)).options(ndim=2).value
    assert len(grid) == 3 and all(len(r) == 2 for r in grid)
    assert isinstance(ws.range(cells["input"]).value, float)
    layout = compute_layout(book_definition())
    ratio = layout.ratios["ty_le_gq_dung_han"]
    assert book.sheets[ratio.sheet].range(ratio.ref).value is None  # no cached value: the double does not calculate


def book_definition():
    from xl_addin.definition.loader import load_definition

    return load_definition()


# ----------------------------------------------------------------------------- application
def test_international_is_an_array_property(excel):
    intl = excel.application.International
    assert isinstance(intl, tuple) and len(intl) == 45
    assert intl[3 - 1] == "," and intl[4 - 1] == "." and intl[32 - 1] == 1  # xlDecimalSeparator, …, xlDateOrder
    with pytest.raises(TypeError):
        excel.application.International(3)  # what pywin32 does with the call the diagnostics used to make
    assert Excel(locale=EN_US).application.International[32 - 1] == 0


def test_page_setup_without_a_printer(path, tmp_path):
    excel = Excel(printer=False)
    book = excel.open(path)
    refused(excel, lambda: setattr(book.api.Worksheets("Số liệu").PageSetup, "PaperSize", 9), "printer")
    refused(excel, lambda: book.api.Worksheets("Số liệu").PageSetup.Orientation, "printer")
    with_printer = Excel()
    book = with_printer.open(path)
    setup = book.api.Worksheets("Số liệu").PageSetup
    setup.Orientation = 2
    setup.Zoom = False
    setup.FitToPagesWide, setup.FitToPagesTall = 1, False
    setup.PrintTitleRows = "$4:$4"
    with pytest.raises(AttributeError):
        setup.BlackAndWhite = True  # what the double does not model, it does not accept either
    book.api.SaveCopyAs(str(tmp_path / "copy.xlsx"))
    ws = openpyxl.load_workbook(tmp_path / "copy.xlsx")["Số liệu"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$4:$4"


def test_questions_need_an_answer_and_boxes_are_recorded(book):
    app = book.app
    assert app.alert("Xong.", title="CCHC") == "ok"
    with pytest.raises(DoubleError):
        app.alert("Ghi đè?", title="CCHC", buttons="yes_no")
    book.api._excel.answers.append("no")
    assert app.alert("Ghi đè?", title="CCHC", buttons="yes_no") == "no"
    assert [(a.text, a.buttons, a.answer) for a in book.api._excel.alerts] == [("Xong.", "ok", "ok"),
                                                                                 ("Ghi đè?", "yes_no", "no")]


def test_no_workbook_and_protected_view(path):
    excel = Excel()
    assert excel.application.ActiveWorkbook is None
    excel.open_in_protected_view(path)
    assert excel.application.ActiveWorkbook is None and excel.application.ActiveProtectedViewWindow


def test_saving_keeps_what_the_template_set(excel, book, path, tmp_path):
    before = openpyxl.load_workbook(path)
    book.api.SaveCopyAs(str(tmp_path / "copy.xlsx"))
    after = openpyxl.load_workbook(tmp_path / "copy.xlsx")
    assert after.security.lockStructure and after.security.workbookPassword == before.security.workbookPassword
    for ws in before.worksheets:
        assert protection_of(after[ws.title]) == protection_of(ws)
        assert after[ws.title].sheet_state == ws.sheet_state
    refused(excel, lambda: book.api.SaveCopyAs(str(path)), "open")
