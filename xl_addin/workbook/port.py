"""The workbook port: the few bulk operations the add-in needs, with two adapters.

``OpenpyxlPort`` works on files (tests, the command line); ``XlwingsPort`` on a live book
(the ribbon, and xlwings' remote engine in tests). Every method is one round trip per sheet
or per finding, never per field: ``calls`` counts the round trips so a test can prove it.
COM-only operations (protection, borders, hyperlinks, page setup, message boxes, dialogs) sit
in small functions listed one by one in ``docs/windows-smoke-test.md``.

Both adapters write what Excel would keep: every string is text (through COM with Excel's text
prefix, an apostrophe, so Excel never re-types «2026-06-16 09:00:00» into a date or «1.049» into a
number), a ``Link`` is a cell that jumps to a cell of the workbook, and a ``SheetLook`` gives a
table the tool writes (Kiểm tra, Tỷ lệ) its fonts, wrapping, row heights, fills and print setup.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.hyperlink import Hyperlink

from .. import metrics
from ..cells import col_letters, quote_sheet, ref_to_rc
from .layout import LISTS_SHEET, META_SHEET
from .protection import COM_PROTECTION, PASSWORD, protect_sheet
from .safety import set_inert_text

log = logging.getLogger("cchc.port")

Grid = list[list[Any]]
FONT = "Times New Roman"
HEADER_FILL = "F2F2F2"
LINK_COLOR = "0563C1"
# Excel constants used through COM
XL_CONTINUOUS, XL_THIN, XL_THICK, XL_TOP, XL_RIGHT, XL_LANDSCAPE, XL_PAPER_A4 = 1, 2, 4, -4160, -4152, 2, 9
BORDER_WEIGHT = {"thin": XL_THIN, "thick": XL_THICK}


@dataclass(frozen=True)
class Link:
    """A cell value that is also a link to a cell of the workbook (shown as ``text``)."""

    text: str
    sheet: str
    ref: str

    @property
    def location(self) -> str:
        return f"{quote_sheet(self.sheet)}!{self.ref}"

    def __str__(self) -> str:
        return self.text


@dataclass
class SheetLook:
    """How a table the tool writes looks on screen and on paper.

    Rows above ``header_row`` are the title (row 1 bold, larger), summary and legend lines, never
    wrapped (a long line runs over the empty cells to its right); ``header_row`` is the table's
    header: bold, shaded, repeated on every printed page; from it down every cell is wrapped,
    top-aligned and framed, and each row as high as its text (``fit``). Landscape A4, one page wide.
    """

    header_row: int
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> RRGGBB
    thick: set[tuple[int, int]] = field(default_factory=set)  # cells framed with a thick border
    heights: dict[int, float] = field(default_factory=dict)  # row -> points
    right: set[int] = field(default_factory=set)  # columns of numbers (kept as text): aligned right
    landscape: bool = True
    font_size: float = 11
    title_size: float = 14

    def fit(self, rows: Grid, widths: dict[int, float]) -> None:
        """Row heights of the table for its wrapped text (Excel does not grow rows written through COM)."""
        for r, row in enumerate(rows, start=1):
            if r < self.header_row:
                continue
            lines = 1
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                width_pt = (widths.get(c, 8.43) * 7 + 5) * 0.75 - 4
                lines = max(lines, metrics.wrap_lines(str(value), width_pt * 0.95, self.font_size,
                                                      bold=r == self.header_row))
            if lines > 1:
                self.heights[r] = min(409.0, round(lines * self.font_size * 1.2 + 4, 1))

    def page_setup(self) -> list[tuple[str, Any]]:
        """Excel's ``PageSetup`` properties, in the order they are set."""
        return [("PaperSize", XL_PAPER_A4), ("Orientation", XL_LANDSCAPE if self.landscape else 1), ("Zoom", False),
                ("FitToPagesWide", 1), ("FitToPagesTall", False),
                ("PrintTitleRows", f"${self.header_row}:${self.header_row}"),
                ("LeftMargin", 36), ("RightMargin", 36), ("TopMargin", 43), ("BottomMargin", 43),
                ("CenterHorizontally", True)]


class WorkbookPort(Protocol):
    calls: int

    def sheet_names(self) -> list[str]: ...

    def read_sheet(self, name: str, rows: int, cols: int) -> Grid: ...

    def write_sheet(self, name: str, rows: Grid, widths: dict[int, float], header_rows: int = 1,
                    after: str | None = None, look: SheetLook | None = None) -> None: ...

    def write_cells(self, sheet: str, cells: dict[str, Any]) -> None: ...

    def set_fill(self, sheet: str, ref: str, rgb: str | None, border: str | None = None) -> None: ...

    def set_note(self, sheet: str, ref: str, text: str | None) -> None: ...

    def delete_sheet(self, name: str) -> None: ...

    def activate(self, name: str) -> None: ...

    def unprotect(self, sheets: list[str]) -> None: ...

    def protect(self, sheets: list[str]) -> None: ...


@contextlib.contextmanager
def unlocked(port: WorkbookPort, sheets: list[str]) -> Iterator[None]:
    """Lift the structure lock and the given sheets' protection; protect them again whatever happens."""
    sheets = sorted(set(sheets))
    port.unprotect(sheets)
    try:
        yield
    finally:
        port.protect(sheets)


def activate(port: WorkbookPort, name: str) -> None:
    """Show ``name`` to the clerk (ports written before ``activate`` existed simply skip it)."""
    method = getattr(port, "activate", None)
    if method is not None:
        method(name)


def _links(rows: Grid) -> list[tuple[int, int, Link]]:
    return [(r, c, v) for r, row in enumerate(rows, start=1) for c, v in enumerate(row, start=1) if isinstance(v, Link)]


def _first_visible(names: list[str]) -> str:
    return next(n for n in names if n not in (META_SHEET, LISTS_SHEET))


# --------------------------------------------------------------------------- openpyxl
class OpenpyxlPort:
    """A workbook file opened with openpyxl (formulas kept). ``save`` writes it back atomically."""

    def __init__(self, path: Path | str, workbook=None) -> None:
        import openpyxl

        self.path = Path(path)
        self.calls = 0
        self.book = workbook if workbook is not None else openpyxl.load_workbook(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    def sheet_names(self) -> list[str]:
        self.calls += 1
        return list(self.book.sheetnames)

    def read_sheet(self, name: str, rows: int, cols: int) -> Grid:
        self.calls += 1
        ws = self.book[name]
        return [list(r) for r in ws.iter_rows(min_row=1, max_row=rows, max_col=cols, values_only=True)]

    def write_sheet(self, name: str, rows: Grid, widths: dict[int, float], header_rows: int = 1,
                    after: str | None = None, look: SheetLook | None = None) -> None:
        """A fresh sheet (an old one of that name is replaced where it stood)."""
        self.calls += 1
        names = self.book.sheetnames
        if name in names:
            index = names.index(name)
            del self.book[name]
        else:
            index = names.index(after) + 1 if after in names else None
        ws = self.book.create_sheet(name, index)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                set_inert_text(ws.cell(row=r, column=c), value.text if isinstance(value, Link) else value)
        for r, c, link in _links(rows):
            ws.cell(row=r, column=c).hyperlink = Hyperlink(ref=f"{col_letters(c)}{r}", location=link.location,
                                                           display=link.text)
        for col, width in widths.items():
            ws.column_dimensions[col_letters(col)].width = width
        if look is not None:
            _style_openpyxl(ws, rows, look)
            return
        for r, row in enumerate(rows, start=1):
            for c in range(1, len(row) + 1):
                cell = ws.cell(row=r, column=c)
                cell.font = Font(name=FONT, size=11, bold=r <= header_rows)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(row=header_rows + 1, column=1)

    def write_cells(self, sheet: str, cells: dict[str, Any]) -> None:
        self.calls += 1
        ws = self.book[sheet]
        for ref, value in cells.items():
            set_inert_text(ws[ref], value)

    def set_fill(self, sheet: str, ref: str, rgb: str | None, border: str | None = None) -> None:
        self.calls += 1
        cell = self.book[sheet][ref]
        cell.fill = PatternFill("solid", fgColor="FF" + rgb) if rgb else PatternFill(fill_type=None)
        if border:
            side = Side(style=border, color="FF000000")
            cell.border = Border(left=side, right=side, top=side, bottom=side)

    def set_note(self, sheet: str, ref: str, text: str | None) -> None:
        self.calls += 1
        cell = self.book[sheet][ref]
        cell.comment = Comment(text, "CCHC Report Kit", width=320, height=140) if text else None

    def delete_sheet(self, name: str) -> None:
        self.calls += 1
        if name in self.book.sheetnames:
            del self.book[name]

    def activate(self, name: str) -> None:
        self.calls += 1
        self.book.active = self.book.sheetnames.index(name)
        for ws in self.book.worksheets:
            ws.sheet_view.tabSelected = ws.title == name

    def unprotect(self, sheets: list[str]) -> None:
        self.calls += 1  # openpyxl writes through protection; nothing to do

    def protect(self, sheets: list[str]) -> None:
        self.calls += 1
        for name in sheets:
            if name in self.book.sheetnames:
                protect_sheet(self.book[name])

    def save(self, path: Path | None = None) -> Path:
        from ..atomic import write_atomic

        target = Path(path or self.path)
        buf = io.BytesIO()
        self.book.save(buf)
        write_atomic(target, buf.getvalue())
        return target


def _style_openpyxl(ws, rows: Grid, look: SheetLook) -> None:
    width = max((len(r) for r in rows), default=1)
    thin = Side(style="thin", color="FF000000")
    thick = Side(style="thick", color="FF000000")
    for r in range(1, len(rows) + 1):
        for c in range(1, width + 1):
            cell = ws.cell(row=r, column=c)
            in_table = r >= look.header_row
            size = look.title_size if r == 1 else look.font_size
            is_link = cell.hyperlink is not None
            cell.font = Font(name=FONT, size=size, bold=r == 1 or r == look.header_row,
                             color=("FF" + LINK_COLOR) if is_link else None, underline="single" if is_link else None)
            right = in_table and r > look.header_row and c in look.right
            cell.alignment = Alignment(wrap_text=in_table, vertical="top" if in_table else None,
                                       horizontal="right" if right else None)
            if in_table:
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if r == look.header_row:
                cell.fill = PatternFill("solid", fgColor="FF" + HEADER_FILL)
    for (r, c), rgb in look.fills.items():
        ws.cell(row=r, column=c).fill = PatternFill("solid", fgColor="FF" + rgb)
    for r, c in look.thick:
        ws.cell(row=r, column=c).border = Border(left=thick, right=thick, top=thick, bottom=thick)
    for r, height in look.heights.items():
        ws.row_dimensions[r].height = height
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if look.landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{look.header_row}:{look.header_row}"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = None


# --------------------------------------------------------------------------- xlwings
class XlwingsPort:
    """A live xlwings book (COM under RunPython, or the remote engine in tests)."""

    def __init__(self, book) -> None:
        self.book = book
        self.calls = 0

    @property
    def name(self) -> str:
        return self.book.name

    @property
    def com(self) -> bool:
        return _is_com(self.book)

    def sheet_names(self) -> list[str]:
        self.calls += 1
        return [s.name for s in self.book.sheets]

    def read_sheet(self, name: str, rows: int, cols: int) -> Grid:
        self.calls += 1
        value = self.book.sheets[name].range((1, 1), (rows, cols)).options(ndim=2).value
        return [list(r) for r in (value or [])]

    def write_sheet(self, name: str, rows: Grid, widths: dict[int, float], header_rows: int = 1,
                    after: str | None = None, look: SheetLook | None = None) -> None:
        """A fresh sheet after ``after`` (an old one of that name is deleted first: no stale formats)."""
        names = self.sheet_names()
        if name in names:
            index = names.index(name)
            after = names[index - 1] if index > 0 else after
            self.book.sheets[name].delete()
            self.calls += 1
            names.remove(name)
        sheet = self._add_sheet(name, after, names)
        width = max((len(r) for r in rows), default=1)
        block = [[excel_value(v) for v in r] + [None] * (width - len(r)) for r in rows]
        if block:
            sheet.range((1, 1)).value = block
            self.calls += 1
        for r, c, link in _links(rows):
            if self.com:
                com_add_link(sheet, r, c, link)
            else:
                sheet.range((r, c)).add_hyperlink("#" + link.location, link.text)
            self.calls += 1
        if look is not None and block:
            self._style(sheet, len(block), width, look)
        elif block:
            sheet.range((1, 1), (header_rows, width)).font.bold = True
            self.calls += 1
        for col, w in widths.items():
            sheet.range((1, col)).column_width = w
            self.calls += 1

    def _add_sheet(self, name: str, after: str | None, names: list[str]):
        """COM: add before the first sheet, then move after ``after``: an added sheet's neighbour is never a
        hidden sheet (xlwings' ``add(after=…)`` adds before the next sheet, which is very hidden here)."""
        sheets = self.book.sheets
        anchor = after if after in names else None
        if not self.com:
            sheet = sheets.add(name, after=sheets[anchor] if anchor else None)
            self.calls += 1
            return sheet
        sheet = sheets.add(name, before=sheets[_first_visible(names)])
        self.calls += 2
        if anchor:
            sheet.api.Move(After=sheets[anchor].api)
            self.calls += 1
        return sheet

    def _style(self, sheet, n: int, width: int, look: SheetLook) -> None:
        """A few grouped calls: fonts, wrapping, frames, fills by colour, heights by value, page setup."""
        whole = sheet.range((1, 1), (n, width))
        whole.font.name = FONT
        whole.font.size = look.font_size
        title = sheet.range((1, 1))
        title.font.bold = True
        title.font.size = look.title_size
        header = sheet.range((look.header_row, 1), (look.header_row, width))
        header.font.bold = True
        header.color = "#" + HEADER_FILL
        table = sheet.range((look.header_row, 1), (n, width))
        table.wrap_text = True
        self.calls += 7
        by_colour: dict[str, list[str]] = {}
        for (r, c), rgb in look.fills.items():
            by_colour.setdefault(rgb, []).append(f"{col_letters(c)}{r}")
        for rgb, refs in sorted(by_colour.items()):
            for address in self._groups(refs):
                sheet.range(address).color = "#" + rgb
                self.calls += 1
        by_height: dict[float, list[str]] = {}
        for r, height in look.heights.items():
            by_height.setdefault(height, []).append(f"A{r}")
        for height, refs in sorted(by_height.items()):
            for address in self._groups(refs):
                sheet.range(address).row_height = height
                self.calls += 1
        if not self.com:
            return
        table.api.VerticalAlignment = XL_TOP
        table.api.Borders.LineStyle = XL_CONTINUOUS
        self.calls += 2
        if n > look.header_row:
            for c in sorted(look.right):
                sheet.range((look.header_row + 1, c), (n, c)).api.HorizontalAlignment = XL_RIGHT
                self.calls += 1
        for r, c in sorted(look.thick):
            sheet.range((r, c)).api.BorderAround(XL_CONTINUOUS, XL_THICK)
            self.calls += 1
        self.calls += com_page_setup(sheet, look.page_setup())

    def _groups(self, refs: list[str]) -> list[str]:
        # COM takes union addresses ("A1,A3"); the remote engine one area per call
        return ranges(refs) if self.com else refs

    def write_cells(self, sheet: str, cells: dict[str, Any]) -> None:
        """Contiguous runs in one column are written as one block."""
        ws = self.book.sheets[sheet]
        for start, values in _column_runs(cells):
            ws.range(start).options(ndim=2).value = [[excel_value(v)] for v in values]
            self.calls += 1

    def set_fill(self, sheet: str, ref: str, rgb: str | None, border: str | None = None) -> None:
        rng = self.book.sheets[sheet].range(ref)
        rng.color = ("#" + rgb) if rgb else None
        self.calls += 1
        if border and self.com:
            rng.api.BorderAround(XL_CONTINUOUS, BORDER_WEIGHT[border])
            self.calls += 1

    def set_note(self, sheet: str, ref: str, text: str | None) -> None:
        self.calls += 1
        rng = self.book.sheets[sheet].range(ref)
        note = rng.note
        if text is None:
            if note is not None:
                note.delete()
        elif note is not None:
            note.text = text
        else:
            rng.add_note(text)

    def delete_sheet(self, name: str) -> None:
        self.calls += 1
        if name in [s.name for s in self.book.sheets]:
            self.book.sheets[name].delete()

    def activate(self, name: str) -> None:
        self.calls += 1
        self.book.sheets[name].activate()

    # COM-only: no equivalent on the remote engine (docs/windows-smoke-test.md lists these)
    def unprotect(self, sheets: list[str]) -> None:
        self.calls += 1
        com_unprotect(self.book, sheets)

    def protect(self, sheets: list[str]) -> None:
        self.calls += 1
        com_protect(self.book, sheets)


def excel_value(value: Any) -> Any:
    """What goes through COM for a value: text with Excel's text prefix (never re-typed into a date,
    a number or a formula, whatever the PC's regional settings), numbers as floats (pywin32 would send
    a ``Decimal`` as a currency, which Excel formats as money)."""
    if isinstance(value, Link):
        value = value.text
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, Decimal):
        return float(value)
    return value


def ranges(refs: list[str], limit: int = 240) -> list[str]:
    """Union addresses ("A1:G1,A3:G3") short enough for one Excel call each."""
    out, current = [], ""
    for ref in refs:
        if current and len(current) + len(ref) + 1 > limit:
            out.append(current)
            current = ""
        current = f"{current},{ref}" if current else ref
    if current:
        out.append(current)
    return out


def _column_runs(cells: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    by_col: dict[int, dict[int, Any]] = {}
    for ref, value in cells.items():
        row, col = ref_to_rc(ref)
        by_col.setdefault(col, {})[row] = value
    runs = []
    for col, rows in sorted(by_col.items()):
        ordered = sorted(rows)
        start = prev = ordered[0]
        values = [rows[start]]
        for r in ordered[1:]:
            if r == prev + 1:
                values.append(rows[r])
            else:
                runs.append((f"{col_letters(col)}{start}", values))
                start, values = r, [rows[r]]
            prev = r
        runs.append((f"{col_letters(col)}{start}", values))
    return runs


def _is_com(book) -> bool:
    api = getattr(book, "api", None)
    return api is not None and not isinstance(api, (dict, list))


def com_unprotect(book, sheets: list[str]) -> None:
    """Windows/COM: lift the workbook-structure lock and the sheets' protection before writing."""
    if not _is_com(book):
        return
    if book.api.ProtectStructure or book.api.ProtectWindows:
        book.api.Unprotect(PASSWORD)
    present = {s.name for s in book.sheets}
    for name in sheets:
        if name in present:
            ws = book.sheets[name].api
            if ws.ProtectContents:
                ws.Unprotect(PASSWORD)


def com_protect(book, sheets: list[str]) -> None:
    """Windows/COM: protect again (in a ``finally``) with the template's permissions; then the structure."""
    if not _is_com(book):
        return
    present = {s.name for s in book.sheets}
    for name in sheets:
        if name in present:
            ws = book.sheets[name].api
            if not ws.ProtectContents:
                ws.Protect(Password=PASSWORD, **COM_PROTECTION)
    if not book.api.ProtectStructure:
        book.api.Protect(PASSWORD, True, False)


def com_add_link(sheet, row: int, col: int, link: Link) -> None:
    """Windows/COM: a hyperlink to a cell of this workbook (``Hyperlinks.Add`` with a sub-address)."""
    sheet.api.Hyperlinks.Add(Anchor=sheet.range((row, col)).api, Address="", SubAddress=link.location,
                             TextToDisplay=link.text)


def com_page_setup(sheet, settings: list[tuple[str, Any]]) -> int:
    """Windows/COM: page setup, one property at a time. With no printer installed Excel refuses them
    (each alone, so one refusal does not skip the rest); the sheet is still right on screen. Returns
    the number of calls made."""
    api = sheet.api
    app = api.Application
    calls = 0
    with contextlib.suppress(Exception):
        app.PrintCommunication = False
        calls += 1
    failed = []
    try:
        for name, value in settings:
            calls += 1
            try:
                setattr(api.PageSetup, name, value)
            except Exception:  # no printer (or a driver that refuses this setting)
                failed.append(name)
    finally:
        with contextlib.suppress(Exception):
            app.PrintCommunication = True
            calls += 1
    if failed:
        log.info("page setup of %s not applied (no printer?): %s", sheet.name, ", ".join(failed))
    return calls


__all__ = ["Link", "OpenpyxlPort", "SheetLook", "WorkbookPort", "XlwingsPort", "activate", "com_add_link",
           "com_page_setup",
           "com_protect", "com_unprotect", "excel_value", "ranges", "unlocked"]
