"""The workbook port: the few bulk operations the add-in needs, with two adapters.

``OpenpyxlPort`` works on files (tests, the command line); ``XlwingsPort`` on a live book
(the ribbon, and xlwings' remote engine in tests). Every method is one round trip per sheet
or per finding, never per field: ``calls`` counts the round trips so a test can prove it.
COM-only operations (protection, message boxes, dialogs) sit in small functions of
``XlwingsPort`` listed one by one in ``docs/windows-smoke-test.md``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Protocol

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

from .protection import PASSWORD
from .safety import inert_text, set_inert_text

Grid = list[list[Any]]


class WorkbookPort(Protocol):
    calls: int

    def sheet_names(self) -> list[str]: ...

    def read_sheet(self, name: str, rows: int, cols: int) -> Grid: ...

    def write_sheet(self, name: str, rows: Grid, widths: dict[int, float], header_rows: int = 1,
                    after: str | None = None) -> None: ...

    def write_cells(self, sheet: str, cells: dict[str, Any]) -> None: ...

    def set_fill(self, sheet: str, ref: str, rgb: str | None) -> None: ...

    def set_note(self, sheet: str, ref: str, text: str | None) -> None: ...

    def delete_sheet(self, name: str) -> None: ...

    def unprotect(self, sheets: list[str]) -> None: ...

    def protect(self, sheets: list[str]) -> None: ...


def ref_to_rc(ref: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(ref)
    return row, column_index_from_string(letters)


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
                    after: str | None = None) -> None:
        self.calls += 1
        if name in self.book.sheetnames:
            ws = self.book[name]
            ws.delete_rows(1, ws.max_row)
        else:
            index = self.book.sheetnames.index(after) + 1 if after in self.book.sheetnames else None
            ws = self.book.create_sheet(name, index)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                set_inert_text(ws.cell(row=r, column=c), value)  # text from returned files stays text
        for col, width in widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        for r, row in enumerate(rows, start=1):
            for c in range(1, len(row) + 1):
                cell = ws.cell(row=r, column=c)
                cell.font = Font(name="Times New Roman", size=11, bold=r <= header_rows)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(row=header_rows + 1, column=1)

    def write_cells(self, sheet: str, cells: dict[str, Any]) -> None:
        self.calls += 1
        ws = self.book[sheet]
        for ref, value in cells.items():
            set_inert_text(ws[ref], value)

    def set_fill(self, sheet: str, ref: str, rgb: str | None) -> None:
        self.calls += 1
        cell = self.book[sheet][ref]
        cell.fill = PatternFill("solid", fgColor="FF" + rgb) if rgb else PatternFill(fill_type=None)

    def set_note(self, sheet: str, ref: str, text: str | None) -> None:
        self.calls += 1
        cell = self.book[sheet][ref]
        cell.comment = Comment(text, "CCHC Report Kit", width=320, height=140) if text else None

    def delete_sheet(self, name: str) -> None:
        self.calls += 1
        if name in self.book.sheetnames:
            del self.book[name]

    def unprotect(self, sheets: list[str]) -> None:
        self.calls += 1  # openpyxl writes through protection; nothing to do

    def protect(self, sheets: list[str]) -> None:
        self.calls += 1
        for name in sheets:
            ws = self.book[name]
            ws.protection.set_password(PASSWORD)
            ws.protection.sheet = True
            ws.protection.formatColumns = False
            ws.protection.formatRows = False

    def save(self, path: Path | None = None) -> Path:
        from .build import write_atomic

        target = Path(path or self.path)
        buf = io.BytesIO()
        self.book.save(buf)
        write_atomic(target, buf.getvalue())
        return target


# --------------------------------------------------------------------------- xlwings
class XlwingsPort:
    """A live xlwings book (COM under RunPython, or the remote engine in tests)."""

    def __init__(self, book) -> None:
        self.book = book
        self.calls = 0

    @property
    def name(self) -> str:
        return self.book.name

    def sheet_names(self) -> list[str]:
        self.calls += 1
        return [s.name for s in self.book.sheets]

    def read_sheet(self, name: str, rows: int, cols: int) -> Grid:
        self.calls += 1
        value = self.book.sheets[name].range((1, 1), (rows, cols)).options(ndim=2).value
        return [list(r) for r in (value or [])]

    def write_sheet(self, name: str, rows: Grid, widths: dict[int, float], header_rows: int = 1,
                    after: str | None = None) -> None:
        names = [s.name for s in self.book.sheets]
        if name in names:
            sheet = self.book.sheets[name]
            sheet.clear_contents()
        else:
            anchor = self.book.sheets[after] if after in names else None
            sheet = self.book.sheets.add(name, after=anchor)
        self.calls += 2
        width = max((len(r) for r in rows), default=1)
        block = [[inert_text(v) for v in r] + [None] * (width - len(r)) for r in rows]
        if block:
            sheet.range((1, 1)).value = block
            sheet.range((1, 1), (header_rows, width)).font.bold = True
            self.calls += 2
        for col, w in widths.items():
            sheet.range((1, col)).column_width = w
            self.calls += 1

    def write_cells(self, sheet: str, cells: dict[str, Any]) -> None:
        """Contiguous runs in one column are written as one block."""
        ws = self.book.sheets[sheet]
        for start, values in _column_runs(cells):
            ws.range(start).options(ndim=2).value = [[inert_text(v)] for v in values]
            self.calls += 1

    def set_fill(self, sheet: str, ref: str, rgb: str | None) -> None:
        self.calls += 1
        self.book.sheets[sheet].range(ref).color = ("#" + rgb) if rgb else None

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

    # COM-only: no equivalent on the remote engine (docs/windows-smoke-test.md lists these)
    def unprotect(self, sheets: list[str]) -> None:
        self.calls += 1
        com_unprotect(self.book, sheets)

    def protect(self, sheets: list[str]) -> None:
        self.calls += 1
        com_protect(self.book, sheets)


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
                runs.append((f"{get_column_letter(col)}{start}", values))
                start, values = r, [rows[r]]
            prev = r
        runs.append((f"{get_column_letter(col)}{start}", values))
    return runs


def _is_com(book) -> bool:
    api = getattr(book, "api", None)
    return api is not None and not isinstance(api, (dict, list))


def com_unprotect(book, sheets: list[str]) -> None:
    """Windows/COM: lift workbook-structure and sheet protection before writing."""
    if not _is_com(book):
        return
    book.api.Unprotect(PASSWORD)
    for name in sheets:
        if name in [s.name for s in book.sheets]:
            book.sheets[name].api.Unprotect(PASSWORD)


def com_protect(book, sheets: list[str]) -> None:
    """Windows/COM: protect again (in a ``finally``), inputs stay unlocked as designed."""
    if not _is_com(book):
        return
    for name in sheets:
        if name in [s.name for s in book.sheets]:
            book.sheets[name].api.Protect(Password=PASSWORD, DrawingObjects=True, Contents=True, Scenarios=True,
                                          AllowFormattingColumns=True, AllowFormattingRows=True)
    book.api.Protect(PASSWORD, True, False)
