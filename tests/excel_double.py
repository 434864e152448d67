"""A strict Excel for the ribbon tests: xlwings' objects over a fake of Excel's COM object model.

The ribbon runs ``xl_addin.ribbon`` → ``XlwingsPort`` → an xlwings ``Book`` → COM. This double
keeps the two lower layers apart as Windows does:

* **xlwings layer** (``App``, ``Book``, ``Sheets``, ``Sheet``, ``Range``, ``Font``, ``Characters``, ``Note``):
  the methods of xlwings 0.37.8 the add-in uses, each making the COM calls that
  ``xlwings/_xlwindows.py`` makes (named in its docstring), with ``main.py``'s value conversion
  (a scalar for one cell, a list for a row, ``options(ndim=2)``, a 2-D block resizes the range,
  ``None`` written as ``""``).
* **COM layer** (``Application``, ``Workbook``, ``Worksheets``, ``Worksheet``, ``ComRange``,
  ``Comment``, ``Hyperlinks``, ``PageSetup``, ``Interior``, ``ComFont``, ``ComCharacters``): backed by a real .xlsx
  file loaded with openpyxl, so protection, locked cells, the structure lock and very hidden sheets
  are those the template builder wrote. It refuses what Excel refuses:

  - workbook-structure protection: adding, deleting, renaming, moving, hiding sheets;
  - sheet protection as the file sets it: values into locked cells, ``ClearContents`` over locked
    cells, cell formats, borders and fills (unless formatting cells is allowed), column widths and
    row heights (unless allowed), notes, hyperlinks (unless allowed);
  - a wrong password; protecting what is already protected (workbook) or with another password (sheet);
  - ``Range.Value`` re-types strings as Excel does when they are typed: ISO dates and date-times,
    dates in the machine's date order, times, numbers and percentages with the machine's
    separators (``1.049`` is 1049 in Việt Nam and 1.049 in the USA), ``TRUE``/``FALSE``, a leading
    ``=`` (also ``+``, ``-``, ``@`` before text) makes a formula; a leading apostrophe or a text
    format (``@``) keeps text. Strings made of digits and punctuation that fit none of these are
    refused: nobody here knows what Excel makes of them. ``Decimal`` is refused (pywin32 sends it
    as a currency, which Excel formats as money);
  - ``Worksheets.Add`` / ``Move`` with a hidden or very hidden sheet as the anchor (unsure: refused),
    activating a hidden sheet, deleting a sheet while ``DisplayAlerts`` is on (a dialog would block),
    ``AddComment`` on a cell that has one;
  - ``Application.International`` is a property returning the whole 45-item array (0-based in
    Python): ``International(3)`` fails as it does under pywin32;
  - ``PageSetup`` raises on every property when the PC has no printer;
  - a yes/no message box nobody scripted an answer for.

Every refusal is also appended to ``Excel.refusals``, so a test sees one that production code
swallowed in a broad ``except``. What the double cannot do is said where it matters: it does not
recalculate (a formula cell reads the value cached in the file, ``None`` when there is none).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment as XlComment
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.styles import Font as XlFont
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.protection import hash_password
from openpyxl.worksheet.hyperlink import Hyperlink

MAX_ROW, MAX_COL = 1_048_576, 16_384
XL_SHEET_VISIBLE, XL_SHEET_HIDDEN, XL_SHEET_VERY_HIDDEN = -1, 0, 2
XL_COLOR_INDEX_NONE = -4142
XL_CALC = {"automatic": -4105, "manual": -4135, "semiautomatic": 2}
_STATE = {"visible": XL_SHEET_VISIBLE, "hidden": XL_SHEET_HIDDEN, "veryHidden": XL_SHEET_VERY_HIDDEN}
_WEIGHT = {1: "hair", 2: "thin", -4138: "medium", 4: "thick"}
_H_ALIGN = {-4131: "left", -4108: "center", -4152: "right", 1: "general", -4130: "justify"}
_V_ALIGN = {-4160: "top", -4108: "center", -4107: "bottom"}

PROTECTED_CELL = ("The cell or chart you're trying to change is on a protected sheet. To make a change, "
                  "unprotect the sheet. You might be requested to enter a password.")
STRUCTURE_LOCKED = "Workbook is protected and cannot be changed."


class ComError(Exception):
    """What pywin32 raises for a failed call (``pywintypes.com_error``): hresult, text, excepinfo, argerror."""

    def __init__(self, text: str, hresult: int = -2147352567) -> None:
        super().__init__(hresult, "Exception occurred.", (0, "Microsoft Excel", text, "xlmain11.chm", 0, -2146827284),
                         None)
        self.text = text

    def __str__(self) -> str:
        return self.text


class DoubleError(AssertionError):
    """The test asked the double for something it cannot decide (an unanswered question)."""


@dataclass(frozen=True)
class Locale:
    """Regional settings of the PC, as Excel reads them (Windows region + Excel options)."""

    name: str
    decimal: str
    thousands: str
    list_sep: str
    date_order: int  # xlDateOrder: 0 month-day-year, 1 day-month-year, 2 year-month-day
    date_sep: str = "/"
    country: int = 84


VI_VN = Locale("vi-VN", ",", ".", ";", 1, "/", 84)
EN_US = Locale("en-US", ".", ",", ",", 0, "/", 1)
EN_GB = Locale("en-GB", ".", ",", ",", 1, "/", 44)


@dataclass
class Alert:
    text: str
    title: str
    buttons: str
    answer: str


# =========================================================================== re-typing
_UNSURE = re.compile(r"[\d\s.,:;/%+\-()eE$€₫đ]+")


def _to_number(text: str, decimal: str, thousands: str) -> float | None:
    t = text.strip()
    negative = t.startswith("(") and t.endswith(")")
    if negative:
        t = t[1:-1].strip()
    sign = 1.0
    if t[:1] in "+-":
        sign, t = (-1.0 if t[0] == "-" else 1.0), t[1:]
    d, th = re.escape(decimal), re.escape(thousands)
    m = re.fullmatch(rf"(\d{{1,3}}(?:{th}\d{{3}})+|\d+)?(?:{d}(\d+))?(?:[eE]([+-]?\d+))?", t)
    if not t or not m or (m.group(1) is None and m.group(2) is None):
        return None
    whole = (m.group(1) or "0").replace(thousands, "")
    value = float(f"{whole}.{m.group(2) or '0'}e{m.group(3) or '0'}")
    return -value * sign if negative else value * sign


def _date(order: int, a: int, b: int, c: int) -> dt.date | None:
    day, month, year = {0: (b, a, c), 1: (a, b, c), 2: (c, b, a)}[order]
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def retype(text: str, locale: Locale, number_format: str = "General") -> tuple[str, Any, str | None]:
    """What Excel stores for a string written through ``Range.Value``: (kind, value, number format).

    kind is ``text``, ``number``, ``date``, ``bool``, ``formula`` or ``empty``; the format is the one
    Excel gives a General cell (``None``: unchanged). Raises ``ComError`` where nobody here knows.
    """
    if text == "":
        return "empty", None, None
    if number_format == "@":
        if text.startswith("'"):
            raise ComError("unsure: does a text-formatted cell keep a leading apostrophe? (the double refuses)")
        return "text", text, None
    if text.startswith("'"):
        return "text", text[1:], None
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return "bool", stripped.upper() == "TRUE", None
    if text.startswith("=") and len(text) > 1:
        return "formula", text, None
    if text[:1] in "+-@" and len(text) > 1 and _to_number(text, locale.decimal, locale.thousands) is None \
            and not _UNSURE.fullmatch(text):
        return "formula", "=" + text, None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?", stripped)
    if m:
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        try:
            return "date", dt.datetime(y, mo, d, hh, mm, ss), ("yyyy-mm-dd h:mm:ss" if m.group(4) else "mm-dd-yy")
        except ValueError:
            return "text", text, None
    sep = re.escape(locale.date_sep)
    m = re.fullmatch(rf"(\d{{1,2}})({sep}|-)(\d{{1,2}})\2(\d{{4}})(?: (\d{{1,2}}):(\d{{2}}))?", stripped)
    if m:
        date = _date(locale.date_order, int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if date is None:
            return "text", text, None  # not a date in this machine's order: Excel keeps what was typed
        hh, mm = int(m.group(5) or 0), int(m.group(6) or 0)
        return "date", dt.datetime(date.year, date.month, date.day, hh, mm), "mm-dd-yy"
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", stripped)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return "date", dt.time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)), "h:mm"
    body = stripped[:-1].rstrip() if stripped.endswith("%") else stripped
    number = _to_number(body, locale.decimal, locale.thousands) if body else None
    if number is not None:
        if stripped.endswith("%"):
            return "number", number / 100, "0%"
        return "number", number, None
    if _UNSURE.fullmatch(stripped) and stripped:
        raise ComError(f"unsure how Excel ({locale.name}) re-types {text!r} (the double refuses)")
    return "text", text, None


# =========================================================================== addresses
Area = tuple[int, int, int, int]  # first row, first col, last row, last col


def _parse_cell(ref: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(ref.replace("$", ""))
    return row, column_index_from_string(letters)


def _parse_area(text: str) -> Area:
    text = text.replace("$", "").strip()
    if ":" in text:
        a, b = text.split(":")
        if a.isdigit() and b.isdigit():
            return int(a), 1, int(b), MAX_COL
        if a.isalpha() and b.isalpha():
            return 1, column_index_from_string(a), MAX_ROW, column_index_from_string(b)
        (r1, c1), (r2, c2) = _parse_cell(a), _parse_cell(b)
        return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
    r, c = _parse_cell(text)
    return r, c, r, c


def _a1(area: Area) -> str:
    r1, c1, r2, c2 = area
    first = f"${get_column_letter(c1)}${r1}"
    return first if (r1, c1) == (r2, c2) else f"{first}:${get_column_letter(c2)}${r2}"


# =========================================================================== COM layer
class Application:
    """``Excel.Application``."""

    def __init__(self, excel: Excel) -> None:
        self._excel = excel
        self.Name = "Microsoft Excel"
        self.Version = "16.0"
        self.Path = r"C:\Program Files\Microsoft Office\root\Office16"
        self.Hwnd = 4242
        self.DisplayAlerts = True
        self.ScreenUpdating = True
        self.EnableEvents = True
        self.Calculation = XL_CALC["automatic"]
        self.PrintCommunication = True
        self.StatusBar = False
        self.UseSystemSeparators = True
        self.DecimalSeparator = excel.locale.decimal
        self.ThousandsSeparator = excel.locale.thousands
        self.Workbooks = Workbooks(excel)
        self.ActiveProtectedViewWindow = None

    @property
    def Application(self) -> Application:
        return self

    @property
    def International(self) -> tuple:
        """The whole array, as pywin32 returns a property with only optional arguments; index it 0-based."""
        loc = self._excel.locale
        values: list[Any] = [None] * 45
        values[0], values[1] = loc.country, loc.country
        values[2], values[3], values[4] = loc.decimal, loc.thousands, loc.list_sep
        values[16], values[17] = loc.date_sep, ":"
        values[31] = loc.date_order
        values[43] = loc.date_order == 0
        return tuple(values)

    def _separators(self) -> tuple[str, str]:
        """The separators Excel parses and shows numbers with right now."""
        if self.UseSystemSeparators:
            return self._excel.locale.decimal, self._excel.locale.thousands
        return self.DecimalSeparator, self.ThousandsSeparator

    @property
    def ActiveWorkbook(self) -> Workbook | None:
        return self._excel.active

    @property
    def ActiveSheet(self) -> Worksheet | None:
        book = self._excel.active
        return book.ActiveSheet if book else None


class Workbooks:
    def __init__(self, excel: Excel) -> None:
        self._excel = excel

    @property
    def Count(self) -> int:
        return len(self._excel.books)

    def __iter__(self) -> Iterator[Workbook]:
        return iter(list(self._excel.books))

    def __call__(self, key: int | str) -> Workbook:
        if isinstance(key, int):
            return self._excel.books[key - 1]
        for book in self._excel.books:
            if book.Name.lower() == key.lower():
                return book
        raise ComError("Subscript out of range")

    def Open(self, Filename: str, *args: Any, **kwargs: Any) -> Workbook:  # noqa: N803 - COM names
        return self._excel.open_com(Path(Filename))


class Workbook:
    """``Excel.Workbook`` over an openpyxl workbook (formulas) and the values cached in the file."""

    def __init__(self, excel: Excel, path: Path) -> None:
        self._excel = excel
        self._path = Path(path)
        data = path.read_bytes()
        self._wb = openpyxl.load_workbook(io.BytesIO(data))
        cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        self._cached: dict[tuple[str, str], Any] = {}
        for ws in self._wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        self._cached[(ws.title, cell.coordinate)] = cached[ws.title][cell.coordinate].value
        self.Saved = True
        self._sheets: dict[Any, Worksheet] = {}

    # -- identity
    @property
    def Name(self) -> str:
        return self._path.name

    @property
    def FullName(self) -> str:
        return str(self._path)

    @property
    def Path(self) -> str:
        return str(self._path.parent)

    @property
    def Application(self) -> Application:
        return self._excel.application

    @property
    def Worksheets(self) -> Worksheets:
        return Worksheets(self)

    Sheets = Worksheets

    def _sheet(self, ws) -> Worksheet:
        if ws not in self._sheets:
            self._sheets[ws] = Worksheet(self, ws)
        return self._sheets[ws]

    @property
    def ActiveSheet(self) -> Worksheet:
        return self._sheet(self._wb.active)

    # -- protection
    @property
    def ProtectStructure(self) -> bool:
        return bool(self._wb.security and self._wb.security.lockStructure)

    @property
    def ProtectWindows(self) -> bool:
        return bool(self._wb.security and self._wb.security.lockWindows)

    def _check_structure(self, action: str) -> None:
        if self.ProtectStructure:
            self._excel.refuse(f"{action}: {STRUCTURE_LOCKED}")

    def Protect(self, Password: str | None = None, Structure: bool | None = None,  # noqa: N803
                Windows: bool | None = None) -> None:
        if self.ProtectStructure or self.ProtectWindows:
            self._excel.refuse("Workbook.Protect on a workbook already protected (unsure: the double refuses)")
        from openpyxl.workbook.protection import WorkbookProtection

        self._wb.security = WorkbookProtection(lockStructure=bool(Structure), lockWindows=bool(Windows) or None)
        if Password:
            self._wb.security.workbookPassword = Password
        self.Saved = False

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N803
        sec = self._wb.security
        if not (sec and (sec.lockStructure or sec.lockWindows)):
            return
        stored = sec.workbookPassword
        if stored and (not Password or hash_password(Password).upper() != str(stored).upper()):
            self._excel.refuse("The password you supplied is not correct. Verify that the CAPS LOCK key is off.")
        sec.lockStructure = None
        sec.lockWindows = None
        sec._workbook_password = None
        self.Saved = False

    # -- saving
    def _bytes(self) -> bytes:
        buf = io.BytesIO()
        self._wb.save(buf)
        return buf.getvalue()

    def SaveCopyAs(self, Filename: str) -> None:  # noqa: N803
        target = Path(Filename)
        if any(b.FullName.lower() == str(target).lower() for b in self._excel.books):
            self._excel.refuse(f"Cannot access '{target.name}': a workbook with this name is open")
        if not target.parent.is_dir():
            self._excel.refuse(f"Cannot access '{target}'.")
        target.write_bytes(self._bytes())
        self._excel.log.append(("SaveCopyAs", str(target)))

    def Save(self) -> None:
        self._path.write_bytes(self._bytes())
        self.Saved = True

    def Close(self, SaveChanges: bool = False) -> None:  # noqa: N803
        if SaveChanges:
            self.Save()
        self._excel.books.remove(self)


class Worksheets:
    def __init__(self, book: Workbook) -> None:
        self._book = book

    @property
    def Count(self) -> int:
        return len(self._book._wb.worksheets)

    def __iter__(self) -> Iterator[Worksheet]:
        return iter([self._book._sheet(ws) for ws in self._book._wb.worksheets])

    def __call__(self, key: int | str) -> Worksheet:
        wb = self._book._wb
        if isinstance(key, int):
            if not 1 <= key <= len(wb.worksheets):
                raise ComError("Subscript out of range")
            return self._book._sheet(wb.worksheets[key - 1])
        for ws in wb.worksheets:
            if ws.title.lower() == key.lower():
                return self._book._sheet(ws)
        raise ComError("Subscript out of range")

    Item = __call__

    def _anchor(self, sheet: Worksheet | None, what: str) -> int | None:
        if sheet is None:
            return None
        if sheet.Visible != XL_SHEET_VISIBLE:
            self._book._excel.refuse(f"{what} next to the hidden sheet «{sheet.Name}» (unsure: the double refuses; "
                                     "see docs/windows-smoke-test.md)")
        return sheet.Index

    def Add(self, Before: Worksheet | None = None, After: Worksheet | None = None, Count: int = 1,  # noqa: N803
            Type: Any = None) -> Worksheet:  # noqa: N803
        book = self._book
        book._check_structure("Sheets.Add")
        before, after = self._anchor(Before, "Sheets.Add"), self._anchor(After, "Sheets.Add")
        wb = book._wb
        if before is not None:
            index = before - 1
        elif after is not None:
            index = after
        else:
            index = wb.worksheets.index(wb.active)
        n = 1
        while f"Sheet{n}".lower() in {s.lower() for s in wb.sheetnames}:
            n += 1
        ws = wb.create_sheet(f"Sheet{n}", index)
        book.Saved = False
        sheet = book._sheet(ws)
        sheet.Activate()
        return sheet


class Worksheet:
    """``Excel.Worksheet``."""

    def __init__(self, book: Workbook, ws) -> None:
        self._book = book
        self._ws = ws
        self.PageSetup = PageSetup(self)
        self.Hyperlinks = Hyperlinks(self)

    @property
    def _excel(self) -> Excel:
        return self._book._excel

    @property
    def Parent(self) -> Workbook:
        return self._book

    @property
    def Application(self) -> Application:
        return self._excel.application

    @property
    def Name(self) -> str:
        return self._ws.title

    @Name.setter
    def Name(self, value: str) -> None:
        self._book._check_structure("Worksheet.Name")
        if len(value) > 31 or re.search(r"[\[\]:*?/\\]", value) or value.startswith("'"):
            self._excel.refuse(f"That name is not valid: {value!r}")
        if value.lower() in {s.lower() for s in self._book._wb.sheetnames if s != self._ws.title}:
            self._excel.refuse(f"That name is already taken: {value!r}")
        self._ws.title = value
        self._book.Saved = False

    @property
    def Index(self) -> int:
        return self._book._wb.worksheets.index(self._ws) + 1

    @property
    def Visible(self) -> int:
        return _STATE[self._ws.sheet_state]

    @Visible.setter
    def Visible(self, value: int) -> None:
        self._book._check_structure("Worksheet.Visible")
        self._ws.sheet_state = {v: k for k, v in _STATE.items()}[int(value)]

    # -- protection
    @property
    def ProtectContents(self) -> bool:
        return bool(self._ws.protection.sheet)

    @property
    def ProtectDrawingObjects(self) -> bool:
        return bool(self._ws.protection.sheet and self._ws.protection.objects)

    def Protect(self, Password: str | None = None, DrawingObjects: bool = True, Contents: bool = True,  # noqa: N803
                Scenarios: bool = True, UserInterfaceOnly: bool = False, AllowFormattingCells: bool = False,
                AllowFormattingColumns: bool = False, AllowFormattingRows: bool = False,
                AllowInsertingColumns: bool = False, AllowInsertingRows: bool = False,
                AllowInsertingHyperlinks: bool = False, AllowDeletingColumns: bool = False,
                AllowDeletingRows: bool = False, AllowSorting: bool = False, AllowFiltering: bool = False,
                AllowUsingPivotTables: bool = False) -> None:
        p = self._ws.protection
        if p.sheet and p.password and (not Password or hash_password(Password).upper() != str(p.password).upper()):
            self._excel.refuse("Worksheet.Protect with another password on a protected sheet (the double refuses)")
        p.sheet = bool(Contents)
        p.objects = bool(DrawingObjects)
        p.scenarios = bool(Scenarios)
        p.formatCells = not AllowFormattingCells
        p.formatColumns = not AllowFormattingColumns
        p.formatRows = not AllowFormattingRows
        p.insertColumns = not AllowInsertingColumns
        p.insertRows = not AllowInsertingRows
        p.insertHyperlinks = not AllowInsertingHyperlinks
        p.deleteColumns = not AllowDeletingColumns
        p.deleteRows = not AllowDeletingRows
        p.sort = not AllowSorting
        p.autoFilter = not AllowFiltering
        p.pivotTables = not AllowUsingPivotTables
        p.selectLockedCells = False
        p.selectUnlockedCells = False
        if Password:
            p.set_password(Password)
        self._book.Saved = False

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N803
        p = self._ws.protection
        if not p.sheet:
            return
        if p.password and (not Password or hash_password(Password).upper() != str(p.password).upper()):
            self._excel.refuse("The password you supplied is not correct. Verify that the CAPS LOCK key is off.")
        p.sheet = False
        p._password = None
        self._book.Saved = False

    def _allowed(self, what: str) -> bool:
        p = self._ws.protection
        if not p.sheet:
            return True
        return {"cells": not p.formatCells, "columns": not p.formatColumns, "rows": not p.formatRows,
                "hyperlinks": not p.insertHyperlinks, "objects": False}[what]

    def _guard_format(self, what: str, action: str) -> None:
        if not self._allowed(what):
            self._excel.refuse(f"{action}: {PROTECTED_CELL}")

    # -- ranges
    def Range(self, cell1: Any, cell2: Any = None) -> ComRange:  # noqa: N802
        if cell2 is None:
            if isinstance(cell1, ComRange):
                return cell1
            return ComRange(self, [_parse_area(part) for part in str(cell1).split(",")])
        a = cell1 if isinstance(cell1, ComRange) else self.Range(cell1)
        b = cell2 if isinstance(cell2, ComRange) else self.Range(cell2)
        (r1, c1, _, _), (_, _, r2, c2) = a._areas[0], b._areas[-1]
        return ComRange(self, [(min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))])

    @property
    def Cells(self) -> ComRange:  # noqa: N802
        return ComRange(self, [(1, 1, MAX_ROW, MAX_COL)])

    @property
    def Rows(self) -> ComRange:  # noqa: N802
        return self.Cells

    def Activate(self) -> None:
        if self.Visible != XL_SHEET_VISIBLE:
            self._excel.refuse("Activate method of Worksheet class failed (the sheet is hidden)")
        wb = self._book._wb
        wb.active = wb.worksheets.index(self._ws)
        for other in wb.worksheets:
            other.sheet_view.tabSelected = other is self._ws

    def Select(self) -> None:
        self.Activate()

    def Delete(self) -> None:
        book = self._book
        book._check_structure("Worksheet.Delete")
        if self._excel.application.DisplayAlerts:
            self._excel.refuse("Worksheet.Delete with DisplayAlerts on: Excel asks «Delete this sheet?» and waits")
        wb = book._wb
        visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        if visible == [self._ws]:
            self._excel.refuse("A workbook must contain at least one visible worksheet.")
        was_active = wb.active is self._ws
        position = wb.worksheets.index(self._ws)
        wb.remove(self._ws)
        for key in [(self._ws.title, c) for (s, c) in book._cached if s == self._ws.title]:
            book._cached.pop(key, None)
        if was_active:
            rest = [ws for ws in wb.worksheets[position:] + wb.worksheets[:position][::-1]
                    if ws.sheet_state == "visible"]
            wb.active = wb.worksheets.index(rest[0])
        book.Saved = False

    def Move(self, Before: Worksheet | None = None, After: Worksheet | None = None) -> None:  # noqa: N803
        book = self._book
        book._check_structure("Worksheet.Move")
        sheets = Worksheets(book)
        before = sheets._anchor(Before, "Worksheet.Move")
        sheets._anchor(After, "Worksheet.Move")
        wb = book._wb
        target = (Before._ws if Before is not None else After._ws)
        wb._sheets.remove(self._ws)
        index = wb._sheets.index(target) + (0 if before is not None else 1)
        wb._sheets.insert(index, self._ws)
        self.Activate()
        book.Saved = False


class ComRange:
    """``Excel.Range``: one or more rectangular areas of a worksheet."""

    def __init__(self, sheet: Worksheet, areas: list[Area]) -> None:
        self._sheet = sheet
        self._areas = areas

    # -- geometry
    @property
    def Worksheet(self) -> Worksheet:  # noqa: N802
        return self._sheet

    @property
    def Parent(self) -> Worksheet:  # noqa: N802
        return self._sheet

    @property
    def Row(self) -> int:  # noqa: N802
        return self._areas[0][0]

    @property
    def Column(self) -> int:  # noqa: N802
        return self._areas[0][1]

    @property
    def Count(self) -> int:  # noqa: N802
        return sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in self._areas)

    @property
    def Address(self) -> str:  # noqa: N802
        return ",".join(_a1(a) for a in self._areas)

    def __call__(self, row: int, col: int) -> ComRange:
        r1, c1, _, _ = self._areas[0]
        return ComRange(self._sheet, [(r1 + row - 1, c1 + col - 1, r1 + row - 1, c1 + col - 1)])

    def _one_area(self, action: str) -> Area:
        if len(self._areas) != 1:
            raise ComError(f"{action}: that command cannot be used on multiple selections")
        return self._areas[0]

    def _coords(self) -> Iterator[tuple[int, int]]:
        for r1, c1, r2, c2 in self._areas:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    yield r, c

    def _is_huge(self) -> bool:
        return self.Count > 100_000

    @property
    def _ws(self):
        return self._sheet._ws

    @property
    def _excel(self) -> Excel:
        return self._sheet._excel

    def _existing(self) -> Iterator[Any]:
        for (r, c), cell in list(self._ws._cells.items()):
            if any(r1 <= r <= r2 and c1 <= c <= c2 for r1, c1, r2, c2 in self._areas):
                yield cell

    def _check_contents(self, action: str) -> None:
        if not self._sheet.ProtectContents:
            return
        if self._is_huge():
            self._excel.refuse(f"{action}: {PROTECTED_CELL}")  # default cells are locked
        for r, c in self._coords():
            if self._ws.cell(row=r, column=c).protection.locked:
                self._excel.refuse(f"{action} ({get_column_letter(c)}{r}): {PROTECTED_CELL}")

    def _format(self, what: str, action: str, apply) -> None:
        self._sheet._guard_format(what, action)
        if self._is_huge():
            raise DoubleError(f"{action} over the whole sheet is not modelled")
        for r, c in self._coords():
            apply(self._ws.cell(row=r, column=c))
        self._sheet._book.Saved = False

    # -- values
    def _read_one(self, r: int, c: int) -> Any:
        cell = self._ws.cell(row=r, column=c)
        value = cell.value
        if cell.data_type == "f":
            value = self._sheet._book._cached.get((self._ws.title, cell.coordinate))
        if isinstance(value, bool) or value is None or isinstance(value, (str, dt.datetime)):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        if isinstance(value, (int, float)):
            return float(value)
        return str(value)

    @property
    def Value(self) -> Any:  # noqa: N802
        r1, c1, r2, c2 = self._one_area("Value")
        if (r1, c1) == (r2, c2):
            return self._read_one(r1, c1)
        return tuple(tuple(self._read_one(r, c) for c in range(c1, c2 + 1)) for r in range(r1, r2 + 1))

    @Value.setter
    def Value(self, data: Any) -> None:  # noqa: N802
        r1, c1, r2, c2 = self._one_area("Value")
        shape = (r2 - r1 + 1, c2 - c1 + 1)
        if isinstance(data, (list, tuple)):
            rows = [list(row) if isinstance(row, (list, tuple)) else [row] for row in data]
            if shape[0] == 1 and rows and len(rows) > 1 and all(len(r) == 1 for r in rows):
                rows = [[r[0] for r in rows]]  # a 1-D array is a row
            if (len(rows), max((len(r) for r in rows), default=0)) != shape or len({len(r) for r in rows}) > 1:
                raise DoubleError(f"an array of {len(rows)} rows written into {self.Address} ({shape}): xlwings "
                                  "resizes the range to the data, a direct COM call must do the same")
        else:
            rows = [[data] * shape[1] for _ in range(shape[0])]
        self._check_contents("Range.Value")
        sep = self._excel.application._separators()
        locale = Locale(self._excel.locale.name, sep[0], sep[1], self._excel.locale.list_sep,
                        self._excel.locale.date_order, self._excel.locale.date_sep)
        planned = []
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                cell = self._ws.cell(row=r1 + i, column=c1 + j)
                planned.append((cell, self._convert(value, locale, cell.number_format)))
        for cell, (kind, value, fmt) in planned:  # nothing is written unless every value is accepted
            self._store(cell, kind, value, fmt)
        self._sheet._book.Saved = False

    def _convert(self, value: Any, locale: Locale, number_format: str) -> tuple[str, Any, str | None]:
        if isinstance(value, Decimal):
            raise ComError("a Decimal reaches Excel as a currency (VT_CY) and is formatted as money "
                           "(the double refuses: write a float or text)")
        if value is None or value == "":
            return "empty", None, None
        if isinstance(value, bool):
            return "bool", value, None
        if isinstance(value, (int, float)):
            return "number", float(value), None
        if isinstance(value, dt.datetime):
            return "date", value, "mm-dd-yy" if value.time() == dt.time() else "yyyy-mm-dd h:mm:ss"
        if isinstance(value, dt.date):
            return "date", dt.datetime(value.year, value.month, value.day), "mm-dd-yy"
        if isinstance(value, str):
            try:
                return retype(value, locale, number_format)
            except ComError as exc:
                self._excel.refusals.append(str(exc))
                raise
        raise DoubleError(f"cannot pass {type(value).__name__} through COM")

    def _store(self, cell, kind: str, value: Any, fmt: str | None) -> None:
        book = self._sheet._book
        book._cached.pop((self._ws.title, cell.coordinate), None)
        if kind == "formula":
            cell.value = value
            book._cached[(self._ws.title, cell.coordinate)] = None  # the double does not recalculate
        else:
            cell.value = value
            if kind == "text":
                cell.data_type = "s"
        if fmt and cell.number_format == "General":
            cell.number_format = fmt

    @property
    def Formula(self) -> Any:  # noqa: N802
        r1, c1, _, _ = self._one_area("Formula")
        value = self._ws.cell(row=r1, column=c1).value
        return "" if value is None else value

    def ClearContents(self) -> None:  # noqa: N802
        self._check_contents("Range.ClearContents")
        for cell in self._existing():
            cell.value = None
            self._sheet._book._cached.pop((self._ws.title, cell.coordinate), None)
        self._sheet._book.Saved = False

    # -- formats
    @property
    def Interior(self) -> Interior:  # noqa: N802
        return Interior(self)

    @property
    def Font(self) -> ComFont:  # noqa: N802
        return ComFont(self)

    def GetCharacters(self, Start: int | None = None, Length: int | None = None) -> ComCharacters:  # noqa: N802, N803
        """``Range.Characters``: part of one cell's text (formatting a part of a formula or a number is
        not something the add-in does: refused as not modelled)."""
        r1, c1, r2, c2 = self._one_area("Characters")
        if (r1, c1) != (r2, c2):
            raise DoubleError("Characters over several cells is not modelled")
        cell = self._ws.cell(row=r1, column=c1)
        if cell.data_type == "f" or not isinstance(cell.value, (str, CellRichText)):
            raise DoubleError("Characters of a formula or a number is not modelled")
        return ComCharacters(self, cell, Start or 1, Length)

    @property
    def NumberFormat(self) -> str:  # noqa: N802
        r1, c1, _, _ = self._areas[0]
        return self._ws.cell(row=r1, column=c1).number_format

    @NumberFormat.setter
    def NumberFormat(self, value: str) -> None:  # noqa: N802
        self._format("cells", "Range.NumberFormat", lambda cell: setattr(cell, "number_format", value))

    @property
    def WrapText(self) -> bool:  # noqa: N802
        r1, c1, _, _ = self._areas[0]
        return bool(self._ws.cell(row=r1, column=c1).alignment.wrap_text)

    @WrapText.setter
    def WrapText(self, value: bool) -> None:  # noqa: N802
        def apply(cell):
            a = cell.alignment
            cell.alignment = Alignment(horizontal=a.horizontal, vertical=a.vertical, wrap_text=bool(value),
                                       indent=a.indent)
        self._format("cells", "Range.WrapText", apply)

    def _align(self, attr: str, value: str) -> None:
        def apply(cell):
            a = cell.alignment
            kwargs = dict(horizontal=a.horizontal, vertical=a.vertical, wrap_text=a.wrap_text, indent=a.indent)
            kwargs[attr] = value
            cell.alignment = Alignment(**kwargs)
        self._format("cells", f"Range.{attr}", apply)

    @property
    def HorizontalAlignment(self) -> int:  # noqa: N802
        raise DoubleError("reading HorizontalAlignment is not modelled")

    @HorizontalAlignment.setter
    def HorizontalAlignment(self, value: int) -> None:  # noqa: N802
        self._align("horizontal", _H_ALIGN[value])

    @property
    def VerticalAlignment(self) -> int:  # noqa: N802
        raise DoubleError("reading VerticalAlignment is not modelled")

    @VerticalAlignment.setter
    def VerticalAlignment(self, value: int) -> None:  # noqa: N802
        self._align("vertical", _V_ALIGN[value])

    @property
    def Borders(self) -> Borders:  # noqa: N802
        return Borders(self)

    def BorderAround(self, LineStyle: int = 1, Weight: int = 2, ColorIndex: Any = None,  # noqa: N802, N803
                     Color: int | None = None) -> None:  # noqa: N803
        side = Side(style=_WEIGHT[Weight], color="FF" + _bgr_to_rgb(Color or 0))
        areas = self._areas

        def apply(cell):
            r, c = cell.row, cell.column
            for r1, c1, r2, c2 in areas:
                if r1 <= r <= r2 and c1 <= c <= c2:
                    b = cell.border
                    cell.border = Border(left=side if c == c1 else b.left, right=side if c == c2 else b.right,
                                         top=side if r == r1 else b.top, bottom=side if r == r2 else b.bottom)
        self._format("cells", "Range.BorderAround", apply)

    @property
    def ColumnWidth(self) -> float:  # noqa: N802
        _, c1, _, _ = self._areas[0]
        width = self._ws.column_dimensions[get_column_letter(c1)].width
        return width or 8.43

    @ColumnWidth.setter
    def ColumnWidth(self, value: float) -> None:  # noqa: N802
        self._sheet._guard_format("columns", "Range.ColumnWidth")
        for _, c1, _, c2 in self._areas:
            for c in range(c1, c2 + 1):
                self._ws.column_dimensions[get_column_letter(c)].width = value

    @property
    def RowHeight(self) -> float:  # noqa: N802
        r1, _, _, _ = self._areas[0]
        return self._ws.row_dimensions[r1].height or 15.0

    @RowHeight.setter
    def RowHeight(self, value: float) -> None:  # noqa: N802
        self._sheet._guard_format("rows", "Range.RowHeight")
        if value > 409:
            self._excel.refuse("Unable to set the RowHeight property of the Range class (more than 409 points)")
        for r1, _, r2, _ in self._areas:
            for r in range(r1, r2 + 1):
                self._ws.row_dimensions[r].height = value

    def Merge(self, Across: bool = False) -> None:  # noqa: N802, N803
        self._sheet._guard_format("cells", "Range.Merge")
        for r1, c1, r2, c2 in self._areas:
            self._ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)

    # -- notes
    @property
    def Comment(self) -> Comment | None:  # noqa: N802
        r1, c1, _, _ = self._one_area("Comment")
        cell = self._ws.cell(row=r1, column=c1)
        return Comment(self, cell) if cell.comment is not None else None

    def AddComment(self, Text: str | None = None) -> Comment:  # noqa: N802, N803
        r1, c1, r2, c2 = self._one_area("AddComment")
        if (r1, c1) != (r2, c2):
            self._excel.refuse("AddComment on more than one cell")
        self._sheet._guard_format("objects", "Range.AddComment")
        cell = self._ws.cell(row=r1, column=c1)
        if cell.comment is not None:
            self._excel.refuse("Application-defined or object-defined error (AddComment on a cell that has a note)")
        cell.comment = XlComment(Text or "", self._excel.user, width=320, height=140)
        self._sheet._book.Saved = False
        return Comment(self, cell)


class Borders:
    """``Range.Borders``: setting LineStyle or Weight draws every edge and inside line of the range."""

    def __init__(self, rng: ComRange) -> None:
        self._rng = rng

    def _draw(self, style: str | None, action: str) -> None:
        side = Side(style=style, color="FF000000") if style else Side()
        self._rng._format("cells", action, lambda cell: setattr(cell, "border", Border(left=side, right=side,
                                                                                    top=side, bottom=side)))

    LineStyle = property(lambda self: None, lambda self, v: self._draw("thin" if v == 1 else None, "Borders.LineStyle"))
    Weight = property(lambda self: None, lambda self, v: self._draw(_WEIGHT[v], "Borders.Weight"))


def _rgb_to_bgr(rgb: str) -> int:
    r, g, b = int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16)
    return r + g * 256 + b * 65536


def _bgr_to_rgb(value: int) -> str:
    return f"{value & 0xFF:02X}{(value >> 8) & 0xFF:02X}{(value >> 16) & 0xFF:02X}"


class Interior:
    def __init__(self, rng: ComRange) -> None:
        self._rng = rng

    def _first(self):
        r1, c1, _, _ = self._rng._areas[0]
        return self._rng._ws.cell(row=r1, column=c1)

    @property
    def Color(self) -> int:  # noqa: N802
        fill = self._first().fill
        if fill.fill_type != "solid":
            return 0xFFFFFF
        return _rgb_to_bgr(str(fill.fgColor.rgb)[-6:])

    @Color.setter
    def Color(self, value: int) -> None:  # noqa: N802
        fill = PatternFill("solid", fgColor="FF" + _bgr_to_rgb(int(value)))
        self._rng._format("cells", "Interior.Color", lambda cell: setattr(cell, "fill", fill))

    @property
    def ColorIndex(self) -> int:  # noqa: N802
        return XL_COLOR_INDEX_NONE if self._first().fill.fill_type is None else 1

    @ColorIndex.setter
    def ColorIndex(self, value: int) -> None:  # noqa: N802
        if value != XL_COLOR_INDEX_NONE:
            raise DoubleError("only xlColorIndexNone is modelled")
        empty = PatternFill(fill_type=None)
        self._rng._format("cells", "Interior.ColorIndex", lambda cell: setattr(cell, "fill", empty))


class ComFont:
    def __init__(self, rng: ComRange) -> None:
        self._rng = rng

    def _get(self, attr: str) -> Any:
        r1, c1, _, _ = self._rng._areas[0]
        return getattr(self._rng._ws.cell(row=r1, column=c1).font, attr)

    def _set(self, attr: str, value: Any) -> None:
        def apply(cell):
            f = cell.font
            kwargs = dict(name=f.name, size=f.size, bold=f.bold, italic=f.italic, underline=f.underline,
                          color=f.color)
            kwargs[attr] = value
            cell.font = XlFont(**kwargs)
        self._rng._format("cells", f"Font.{attr}", apply)

    Bold = property(lambda self: bool(self._get("bold")), lambda self, v: self._set("bold", bool(v)))
    Italic = property(lambda self: bool(self._get("italic")), lambda self, v: self._set("italic", bool(v)))
    Size = property(lambda self: self._get("size"), lambda self, v: self._set("size", v))
    Name = property(lambda self: self._get("name"), lambda self, v: self._set("name", v))
    Color = property(lambda self: _rgb_to_bgr(str(self._get("color").rgb)[-6:]) if self._get("color") else 0,
                     lambda self, v: self._set("color", "FF" + _bgr_to_rgb(int(v))))


class ComCharacters:
    """``Excel.Characters``: ``Start`` is 1-based; without ``Length`` it runs to the end of the text."""

    def __init__(self, rng: ComRange, cell, start: int, length: int | None) -> None:
        self._rng = rng
        self._cell = cell
        self._start = start
        self._length = length

    @property
    def _text(self) -> str:
        return str(self._cell.value or "")

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self._text) - self._start + 1 if self._length is None else self._length

    @property
    def Text(self) -> str:  # noqa: N802
        return self._text[self._start - 1: self._start - 1 + self.Count]

    @property
    def Font(self) -> ComCharFont:  # noqa: N802
        return ComCharFont(self)


class ComCharFont:
    """The font of part of a cell's text: the cell becomes rich text (as Excel keeps it)."""

    def __init__(self, chars: ComCharacters) -> None:
        self._chars = chars

    def _set(self, attr: str, value: bool) -> None:
        rng, cell = self._chars._rng, self._chars._cell
        rng._sheet._guard_format("cells", f"Characters.Font.{attr}")
        base = cell.font
        text = self._chars._text
        if isinstance(cell.value, CellRichText):
            pieces = [(b.text, b.font) if isinstance(b, TextBlock) else (str(b), None) for b in cell.value]
        else:
            pieces = [(text, None)]
        plain = InlineFont(rFont=base.name, sz=base.size, b=base.bold, i=base.italic)
        chars: list[tuple[str, InlineFont]] = [(ch, font or plain) for piece, font in pieces for ch in piece]
        first, last = self._chars._start - 1, self._chars._start - 1 + self._chars.Count
        for k in range(first, min(last, len(chars))):
            ch, font = chars[k]
            font = copy.copy(font)
            setattr(font, "b" if attr == "Bold" else "i", bool(value))
            chars[k] = (ch, font)
        blocks: list[TextBlock] = []
        for ch, font in chars:
            if blocks and blocks[-1].font == font:
                blocks[-1] = TextBlock(font, blocks[-1].text + ch)
            else:
                blocks.append(TextBlock(font, ch))
        cell.value = CellRichText(blocks)
        rng._sheet._book.Saved = False

    Bold = property(lambda self: None, lambda self, v: self._set("Bold", v))
    Italic = property(lambda self: None, lambda self, v: self._set("Italic", v))


class Comment:
    """``Excel.Comment`` (a note)."""

    def __init__(self, rng: ComRange, cell) -> None:
        self._rng = rng
        self._cell = cell

    def Text(self, Text: str | None = None, Start: int | None = None, Overwrite: bool | None = None) -> str:  # noqa: N802, N803
        if Text is None:
            return self._cell.comment.text if self._cell.comment else ""
        self._rng._sheet._guard_format("objects", "Comment.Text")
        if Start is not None:
            raise DoubleError("Comment.Text with Start is not modelled")
        old = self._cell.comment
        self._cell.comment = XlComment(Text, old.author if old else self._rng._excel.user, width=320, height=140)
        return Text

    def Delete(self) -> None:  # noqa: N802
        self._rng._sheet._guard_format("objects", "Comment.Delete")
        self._cell.comment = None


class Hyperlinks:
    def __init__(self, sheet: Worksheet) -> None:
        self._sheet = sheet

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self._sheet._ws._hyperlinks) + sum(
            1 for row in self._sheet._ws.iter_rows() for c in row if c.hyperlink is not None)

    def Add(self, Anchor: ComRange, Address: str, SubAddress: str | None = None,  # noqa: N802, N803
            ScreenTip: str | None = None, TextToDisplay: str | None = None) -> _Hyperlink:  # noqa: N803
        if not isinstance(Anchor, ComRange) or Anchor._sheet is not self._sheet:
            raise ComError("Hyperlinks.Add: the anchor must be a range of this sheet")
        self._sheet._guard_format("hyperlinks", "Hyperlinks.Add")
        r1, c1, _, _ = Anchor._one_area("Hyperlinks.Add")
        cell = self._sheet._ws.cell(row=r1, column=c1)
        if Address and Address.startswith("#"):
            Address, SubAddress = "", Address[1:]
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=SubAddress or None, target=Address or None,
                                   tooltip=ScreenTip, display=TextToDisplay)
        text = TextToDisplay if TextToDisplay is not None else (cell.value if cell.value is not None
                                                                 else (Address or SubAddress))
        cell.value = text
        f = cell.font
        cell.font = XlFont(name=f.name, size=f.size, bold=f.bold, italic=f.italic, underline="single",
                           color="FF0563C1")
        self._sheet._book.Saved = False
        return _Hyperlink(cell)


class _Hyperlink:
    def __init__(self, cell) -> None:
        self._cell = cell

    @property
    def TextToDisplay(self) -> str:  # noqa: N802
        return self._cell.value

    @TextToDisplay.setter
    def TextToDisplay(self, value: str | None) -> None:  # noqa: N802
        if value is not None:
            self._cell.value = value

    @property
    def ScreenTip(self) -> str | None:  # noqa: N802
        return self._cell.hyperlink.tooltip

    @ScreenTip.setter
    def ScreenTip(self, value: str | None) -> None:  # noqa: N802
        self._cell.hyperlink.tooltip = value

    @property
    def SubAddress(self) -> str | None:  # noqa: N802
        return self._cell.hyperlink.location


class PageSetup:
    """``Excel.PageSetup``; with no printer installed every property raises (Excel asks the driver)."""

    _PROPS = ("PaperSize", "Orientation", "Zoom", "FitToPagesWide", "FitToPagesTall", "PrintTitleRows",
              "PrintArea", "CenterHorizontally", "LeftMargin", "RightMargin", "TopMargin", "BottomMargin")

    def __init__(self, sheet: Worksheet) -> None:
        object.__setattr__(self, "_sheet", sheet)

    def __getattr__(self, name: str) -> Any:
        if name not in self._PROPS:
            raise AttributeError(name)
        self._printer(name)
        ws = self._sheet._ws
        landscape = ws.page_setup.orientation == "landscape"
        return {"PaperSize": ws.page_setup.paperSize, "Orientation": 2 if landscape else 1,
                "PrintArea": ws.print_area, "PrintTitleRows": ws.print_title_rows}.get(name)

    def _printer(self, name: str) -> None:
        if not self._sheet._excel.printer:
            self._sheet._excel.refuse(f"Unable to set the {name} property of the PageSetup class (no printer)")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._PROPS:
            raise AttributeError(f"PageSetup.{name} is not modelled")
        self._printer(name)
        ws = self._sheet._ws
        if name == "PaperSize":
            ws.page_setup.paperSize = int(value)
        elif name == "Orientation":
            ws.page_setup.orientation = "landscape" if value == 2 else "portrait"
        elif name == "Zoom":
            ws.sheet_properties.pageSetUpPr.fitToPage = value is False
            if value is not False:
                ws.page_setup.scale = int(value)
        elif name in ("FitToPagesWide", "FitToPagesTall"):
            attr = "fitToWidth" if name == "FitToPagesWide" else "fitToHeight"
            setattr(ws.page_setup, attr, 0 if value is False else int(value))
        elif name == "PrintTitleRows":
            ws.print_title_rows = str(value).replace("$", "") if value else None
        elif name == "PrintArea":
            ws.print_area = str(value).replace("$", "") if value else None
        elif name == "CenterHorizontally":
            ws.print_options.horizontalCentered = bool(value)
        else:  # margins in points
            setattr(ws.page_margins, name[:-6].lower(), float(value) / 72)


# =========================================================================== xlwings layer
class App:
    """``xlwings.App`` on Windows (``_xlwindows.App``)."""

    def __init__(self, excel: Excel) -> None:
        self._excel = excel

    @property
    def api(self) -> Application:
        return self._excel.application

    @property
    def books(self) -> list[Book]:
        return [Book(b) for b in self._excel.books]

    @property
    def hwnd(self) -> int:
        return self.api.Hwnd

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: Any = None) -> str:
        """``win32api.MessageBox`` over Excel's window: records the box, returns the button pressed."""
        buttons = buttons or "ok"
        if buttons == "ok":
            answer = "ok"
        elif self._excel.answers:
            answer = self._excel.answers.pop(0)
        else:
            raise DoubleError(f"a {buttons} question nobody answers: {prompt!r}")
        self._excel.alerts.append(Alert("" if prompt is None else prompt, "" if title is None else title, buttons,
                                        answer))
        return answer

    @property
    def screen_updating(self) -> bool:
        return self.api.ScreenUpdating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self.api.ScreenUpdating = value

    @property
    def display_alerts(self) -> bool:
        return self.api.DisplayAlerts

    @display_alerts.setter
    def display_alerts(self, value: bool) -> None:
        self.api.DisplayAlerts = value

    @property
    def calculation(self) -> str:
        return {v: k for k, v in XL_CALC.items()}[self.api.Calculation]

    @calculation.setter
    def calculation(self, value: str) -> None:
        self.api.Calculation = XL_CALC[value]

    @contextlib.contextmanager
    def properties(self, **kwargs: Any) -> Iterator[App]:
        """``main.App.properties``: set, then restore even on error."""
        initial = {}
        for attribute, value in kwargs.items():
            initial[attribute] = getattr(self, attribute, value)
            setattr(self, attribute, value)
        try:
            yield self
        finally:
            for attribute, value in initial.items():
                setattr(self, attribute, value)


class Book:
    """``xlwings.Book`` (``_xlwindows.Book``)."""

    def __init__(self, com: Workbook) -> None:
        self._com = com

    @property
    def api(self) -> Workbook:
        return self._com

    @property
    def name(self) -> str:
        return self._com.Name

    @property
    def fullname(self) -> str:
        return self._com.FullName

    @property
    def app(self) -> App:
        return App(self._com._excel)

    @property
    def sheets(self) -> Sheets:
        return Sheets(self._com.Worksheets)

    def save(self, path: str | None = None) -> None:
        if path:
            raise DoubleError("Save As is not modelled")
        self._com.Save()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Book) and other._com is self._com


class Sheets:
    """``xlwings.main.Sheets`` over ``_xlwindows.Sheets``."""

    def __init__(self, com: Worksheets) -> None:
        self._com = com

    @property
    def api(self) -> Worksheets:
        return self._com

    def __len__(self) -> int:
        return self._com.Count

    @property
    def count(self) -> int:
        return len(self)

    def __iter__(self) -> Iterator[Sheet]:
        return (Sheet(s) for s in self._com)

    def __call__(self, key: int | str) -> Sheet:
        return Sheet(self._com(key))

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            if key >= len(self):
                raise IndexError(f"Index {key} out of range ({len(self)} elements)")
            return self(key + 1)
        return self(key)

    def __contains__(self, key: str) -> bool:
        return any(s.Name.lower() == key.lower() for s in self._com)

    @property
    def active(self) -> Sheet:
        return Sheet(self._com._book.ActiveSheet)

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        """``_xlwindows.Sheets.add``: "After" is done as "Add(Before=the next sheet)" (an xlwings workaround)."""
        if name is not None and name.lower() in (s.Name.lower() for s in self._com):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        if before:
            sheet = Sheet(self._com.Add(Before=before.api))
        elif after:
            count = self._com.Count
            new_index = after.api.Index + 1
            if new_index > count:
                xl_sheet = self._com.Add(Before=after.api)
                self._com(self._com.Count).Move(Before=self._com(self._com.Count - 1))
                self._com(self._com.Count).Activate()
            else:
                xl_sheet = self._com.Add(Before=self._com(after.api.Index + 1))
            sheet = Sheet(xl_sheet)
        else:
            sheet = Sheet(self._com.Add())
        if name is not None:
            sheet.name = name
        return sheet


class Sheet:
    """``xlwings.Sheet`` (``_xlwindows.Sheet``)."""

    def __init__(self, com: Worksheet) -> None:
        self._com = com

    @property
    def api(self) -> Worksheet:
        return self._com

    @property
    def name(self) -> str:
        return self._com.Name

    @name.setter
    def name(self, value: str) -> None:
        self._com.Name = value

    @property
    def index(self) -> int:
        return self._com.Index

    @property
    def book(self) -> Book:
        return Book(self._com.Parent)

    @property
    def visible(self) -> bool:
        return self._com.Visible == XL_SHEET_VISIBLE

    def range(self, cell1: Any, cell2: Any = None) -> Range:
        if isinstance(cell1, tuple):
            if 0 in cell1:
                raise IndexError("Attempted to access 0-based Range. xlwings/Excel Ranges are 1-based.")
            first = self._com.Cells(cell1[0], cell1[1])
        elif isinstance(cell1, Range):
            first = cell1.api
        else:
            first = self._com.Range(cell1)
        if cell2 is None:
            return Range(first)
        if isinstance(cell2, tuple):
            second = self._com.Cells(cell2[0], cell2[1])
        elif isinstance(cell2, Range):
            second = cell2.api
        else:
            second = self._com.Range(cell2)
        return Range(self._com.Range(first, second))

    @property
    def cells(self) -> Range:
        return Range(self._com.Cells)

    def clear_contents(self) -> None:
        self._com.Cells.ClearContents()

    def delete(self) -> None:
        app = self._com.Parent.Application
        alerts = app.DisplayAlerts
        app.DisplayAlerts = False
        try:
            self._com.Delete()
        finally:
            app.DisplayAlerts = alerts

    def activate(self) -> None:
        self._com.Activate()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sheet) and other._com._ws is self._com._ws


class Range:
    """``xlwings.Range`` (``main.Range`` conversion over ``_xlwindows.Range``)."""

    def __init__(self, com: ComRange, **options: Any) -> None:
        self._com = com
        self._options = options

    @property
    def api(self) -> ComRange:
        return self._com

    def options(self, **options: Any) -> Range:
        return Range(self._com, **options)

    @property
    def sheet(self) -> Sheet:
        return Sheet(self._com.Worksheet)

    @property
    def row(self) -> int:
        return self._com.Row

    @property
    def column(self) -> int:
        return self._com.Column

    @property
    def shape(self) -> tuple[int, int]:
        r1, c1, r2, c2 = self._com._areas[0]
        return r2 - r1 + 1, c2 - c1 + 1

    @property
    def address(self) -> str:
        return self._com.Address

    def resize(self, rows: int, cols: int) -> Range:
        r1, c1, _, _ = self._com._areas[0]
        return Range(ComRange(self._com._sheet, [(r1, c1, r1 + rows - 1, c1 + cols - 1)]), **self._options)

    @property
    def raw_value(self) -> Any:
        return self._com.Value

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        self._com.Value = data

    @property
    def value(self) -> Any:
        raw = self._com.Value
        rows, cols = self.shape
        grid = [[raw]] if rows == cols == 1 else [list(r) for r in raw]
        ndim = self._options.get("ndim")
        if ndim == 2:
            return grid
        if rows == cols == 1:
            return grid[0][0]
        if rows == 1:
            return grid[0]
        if cols == 1:
            return [r[0] for r in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        def prep(x: Any) -> Any:  # _xlwindows.Engine.prepare_xl_data_element
            return "" if x is None else x

        if isinstance(data, (list, tuple)):
            rows = [list(r) for r in data] if data and isinstance(data[0], (list, tuple)) else [list(data)]
            if len({len(r) for r in rows}) > 1:
                raise Exception("All elements of a 2d list or tuple must be of the same length")
            block = [[prep(x) for x in r] for r in rows]
            self.resize(len(block), len(block[0]))._com.Value = tuple(tuple(r) for r in block)
        else:
            self._com.Value = prep(data)

    def clear_contents(self) -> None:
        self._com.ClearContents()

    @property
    def color(self) -> tuple[int, int, int] | None:
        if self._com.Interior.ColorIndex == XL_COLOR_INDEX_NONE:
            return None
        value = self._com.Interior.Color
        return value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF

    @color.setter
    def color(self, color_or_rgb: Any) -> None:
        if isinstance(color_or_rgb, str):
            color_or_rgb = tuple(int(color_or_rgb.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
        if color_or_rgb is None:
            self._com.Interior.ColorIndex = XL_COLOR_INDEX_NONE
        elif isinstance(color_or_rgb, int):
            self._com.Interior.Color = color_or_rgb
        else:
            r, g, b = color_or_rgb
            self._com.Interior.Color = r + g * 256 + b * 65536

    @property
    def font(self) -> Font:
        return Font(self._com.Font)

    @property
    def characters(self) -> Characters:
        """``_xlwindows.Range.characters``: ``Characters(parent, xl=Range.GetCharacters)``."""
        return Characters(self._com.GetCharacters)

    @property
    def column_width(self) -> float:
        return self._com.ColumnWidth

    @column_width.setter
    def column_width(self, value: float) -> None:
        self._com.ColumnWidth = value

    @property
    def row_height(self) -> float:
        return self._com.RowHeight

    @row_height.setter
    def row_height(self, value: float) -> None:
        self._com.RowHeight = value

    @property
    def wrap_text(self) -> bool:
        return self._com.WrapText

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        self._com.WrapText = value

    @property
    def number_format(self) -> str:
        return self._com.NumberFormat

    @number_format.setter
    def number_format(self, value: str) -> None:
        self._com.NumberFormat = value

    def merge(self, across: bool = False) -> None:
        self._com.Merge(across)

    @property
    def note(self) -> Note | None:
        comment = self._com.Comment
        return Note(comment) if comment else None

    def add_note(self, text: str) -> Note:
        return Note(self._com.AddComment(text))

    def add_hyperlink(self, address: str, text_to_display: str | None = None, screen_tip: str | None = None) -> None:
        """``_xlwindows.Range.add_hyperlink``: Add(Anchor, Address), then the text and tip."""
        link = self._com.Worksheet.Hyperlinks.Add(Anchor=self._com, Address=address)
        link.TextToDisplay = text_to_display
        link.ScreenTip = screen_tip


class Characters:
    """``xlwings.Characters`` (``_xlwindows.Characters``): slicing as xlwings does (``[a:b]`` is Start a + 1,
    Length b − a); the length of an unsliced object comes from ``GetCharacters().Count``."""

    def __init__(self, getter: Any, start: int | None = None, length: int | None = None) -> None:
        self._get = getter
        self.start = start if start else 1
        self.length = length if length else getter().Count

    @property
    def api(self) -> ComCharacters:
        return self._get(self.start, self.length)

    @property
    def text(self) -> str:
        return self._get(self.start, self.length).Text

    @property
    def font(self) -> Font:
        return Font(self._get(self.start, self.length).Font)

    def __getitem__(self, item: slice | int) -> Characters:
        if isinstance(item, slice):
            if (item.start and item.start < 0) or (item.stop and item.stop < 0):
                raise ValueError("Characters object does not support slicing with negative indexes")
            start = item.start + 1 if item.start else 1
            length = item.stop + 1 - start if item.stop else self.length + 1 - start
            return Characters(self._get, start, length)
        if item >= 0:
            return Characters(self._get, item + 1, 1)
        return Characters(self._get, len(self.text) + 1 + item, 1)


class Font:
    def __init__(self, com: ComFont) -> None:
        self._com = com

    @property
    def api(self) -> ComFont:
        return self._com

    bold = property(lambda self: self._com.Bold, lambda self, v: setattr(self._com, "Bold", v))
    italic = property(lambda self: self._com.Italic, lambda self, v: setattr(self._com, "Italic", v))
    size = property(lambda self: self._com.Size, lambda self, v: setattr(self._com, "Size", v))
    name = property(lambda self: self._com.Name, lambda self, v: setattr(self._com, "Name", v))


class Note:
    def __init__(self, com: Comment) -> None:
        self._com = com

    @property
    def api(self) -> Comment:
        return self._com

    @property
    def text(self) -> str:
        return self._com.Text()

    @text.setter
    def text(self, value: str) -> None:
        self._com.Text(value)

    def delete(self) -> None:
        self._com.Delete()


# =========================================================================== the running Excel
@dataclass
class Excel:
    """One running Excel: its workbooks, the PC's regional settings and printer, the boxes it showed.

    ``answers``: the buttons the clerk will press for yes/no questions, in order.
    """

    locale: Locale = VI_VN
    printer: bool = True
    answers: list[str] = field(default_factory=list)
    user: str = "Nguyễn Thị Hoà"
    alerts: list[Alert] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.books: list[Workbook] = []
        self.application = Application(self)
        self.app = App(self)
        self._active: Workbook | None = None

    def refuse(self, text: str) -> None:
        self.refusals.append(text)
        raise ComError(text)

    def open_com(self, path: Path) -> Workbook:
        book = Workbook(self, Path(path))
        self.books.append(book)
        self._active = book
        self.application.ActiveProtectedViewWindow = None
        return book

    def open(self, path: Path | str) -> Book:
        """The clerk double-clicks the file: it opens and becomes the active workbook."""
        return Book(self.open_com(Path(path)))

    def open_in_protected_view(self, path: Path | str) -> None:
        """A file from e-mail or the web: Excel shows it read-only, outside the Workbooks collection."""
        self.application.ActiveProtectedViewWindow = str(path)
        self._active = None

    @property
    def active(self) -> Workbook | None:
        if self.application.ActiveProtectedViewWindow is not None:
            return None
        return self._active if self._active in self.books else None


def protection_of(ws) -> dict[str, Any]:
    """A sheet's protection attributes as saved (compare a step's result with the template's)."""
    p = ws.protection
    keys = ("sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows", "insertColumns",
            "insertRows", "insertHyperlinks", "deleteColumns", "deleteRows", "selectLockedCells",
            "selectUnlockedCells", "sort", "autoFilter", "pivotTables", "password")
    return {k: getattr(p, k) for k in keys}
