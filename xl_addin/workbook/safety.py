"""Pre-flight checks of a returned file, before any spreadsheet parser sees it, and inert text.

``preflight(path)`` tells what the file really is (an empty file, a text, CSV, HTML or PDF file
renamed .xlsx, a password-encrypted or legacy Office file, a truncated or damaged zip, a zip
bomb…) and refuses it with its own reason code; the limits come from ``xl_addin.limits``. The
file is read into memory once (within ``MAX_FILE_BYTES``); only the zip's central directory is
looked at then. ``Preflight.scan_sheet`` then unpacks one sheet
part with a size cap and reads, as an XML parser does whatever the spelling (``parse_sheet_xml``),
how far its cells reach (checked against the row and column limits before python-calamine builds
its grid), its formulas, its validations and its protection, which the tamper check compares with
the template; a sheet that is not well-formed XML, or has a DTD, is refused.

``inert_text`` / ``set_inert_text``: text that came from a returned file and starts like a
formula (``=``, ``+``, ``-``, ``@``) is written by every writer as a string cell, never as a formula.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.parsers import expat

from .. import limits
from ..cells import col_letters, col_number
from ..errors import CchcError
from ..memo import cached, freeze
from ..ui import ui, ui_text

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_ZIP_SPANNED = b"PK\x07\x08"
_EOCD = b"PK\x05\x06"
_SNIFF = 64 * 1024
WORKBOOK_PART = "xl/workbook.xml"
# errors a damaged archive or part raises while being read (zlib and zipfile, not our code)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError,
              KeyError, IndexError, OverflowError, UnicodeDecodeError)


def human_size(n: int) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.1f}".replace(".", ",") + f" {unit}"
    return f"{n} byte"


# --------------------------------------------------------------------------- inert text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# after +, - or @: a function call (+HYPERLINK(…), @SUM(…)), possibly after arithmetic (-2+3+cmd|…)
_FORMULA_LIKE = re.compile(r"^[+\-@][\d.\s+\-*/^&]*[A-Za-z_][A-Za-z0-9_.]*\s*[(|]")


def looks_like_formula(text: Any) -> bool:
    """Text that a spreadsheet could take for a formula (``=HYPERLINK(…)``, ``=cmd|…``, ``@SUM(…)``,
    ``-2+3+cmd|…``). A bullet such as ``- Cải cách hành chính: …`` is not."""
    if not isinstance(text, str) or len(text) < 2:
        return False
    text = text.lstrip("\t\r\n ")
    return (text.startswith("=") and bool(text[1:].strip())) or bool(_FORMULA_LIKE.match(text))


def inert_text(value: Any) -> Any:
    """What a COM/xlwings or CSV writer must store for a text from a returned file.

    Text starting with ``=``, ``+``, ``-``, ``@`` or a control character gets Excel's text prefix
    (a leading apostrophe, which Excel hides and keeps out of the value); other values are
    returned unchanged. Writers that set the cell type themselves (openpyxl: ``set_inert_text``;
    XML writers that emit ``t="inlineStr"``/``t="s"``; XlsxWriter's ``write_string``) keep the text
    as it is, so what the user sees is identical.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def set_inert_text(cell, value: Any) -> None:
    """Assign ``value`` to an openpyxl cell; a string is always a string cell, never a formula.

    openpyxl turns any string starting with ``=`` into a formula on assignment; this helper
    assigns and then forces the string type, so ``=HYPERLINK(…)`` is stored and shown as typed.
    """
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


# --------------------------------------------------------------------------- sheets
_RANGE_TOKEN = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?$")
_SPACES_OUTSIDE_QUOTES = re.compile(r""""[^"]*"|'(?:[^']|'')*'|(\s+)""")
_QUOTED_SHEET = re.compile(r"""("[^"]*")|'((?:[^']|'')+)'!""")


# a number written with an exponent, outside a string (not part of a reference or a name): LibreOffice
# writes 10000000000000000 back as 1E+016
_EXPONENT_NUMBER = re.compile(r""""[^"]*"|(?<![A-Za-z0-9_$.])(\d+(?:\.\d+)?[Ee][+-]?\d+)(?![A-Za-z0-9_(])""")


def _plain_number(m: re.Match) -> str:
    if not m.group(1):
        return m.group(0)  # a string literal, as it is
    from decimal import Decimal, InvalidOperation

    try:
        return format(Decimal(m.group(1)), "f")
    except InvalidOperation:
        return m.group(1)


def normalize_formula(text: str) -> str:
    """A formula as text that compares across writers: no leading ``=``, no blanks outside strings,
    no ``_xlfn.`` prefixes, numbers without an exponent (1E+016 is 10000000000000000)."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    text = text.replace("_xlfn.", "").replace("_xlws.", "")
    text = _SPACES_OUTSIDE_QUOTES.sub(lambda m: "" if m.group(1) else m.group(0), text)
    if "E" in text or "e" in text:
        text = _EXPONENT_NUMBER.sub(_plain_number, text)
    if "'" in text:  # 'Sheet'!A1 and Sheet!A1 are the same reference
        text = _QUOTED_SHEET.sub(lambda m: m.group(1) or m.group(2).replace("''", "'") + "!", text)
    return text


@dataclass
class SheetScan:
    name: str
    part: str
    # how far the cells reach when that is beyond MAX_SHEET_ROWS or MAX_SHEET_COLUMNS (then the
    # sheet is refused); 0 means "within the limits"
    max_row: int = 0
    max_col: int = 0
    formulas: dict[str, str] = field(default_factory=dict)  # A1 -> normalized formula
    protected: bool = False
    # cells holding a number python-calamine may fail on (a date far before year 1: it panics)
    suspect: list[str] = field(default_factory=list)
    # cells holding an error value (#N/A, #DIV/0!…): python-calamine reads them as empty
    errors: dict[str, str] = field(default_factory=dict)
    validations: dict[tuple, list[tuple[int, int, int]]] = field(default_factory=dict)  # rule -> (col, first, last)

    def validation_cells(self) -> dict[tuple[int, int], tuple]:
        out: dict[tuple[int, int], tuple] = {}
        for key, runs in self.validations.items():
            for col, first, last in runs:
                for row in range(first, last + 1):
                    out[(col, row)] = key
        return out


def _runs(cells: set[tuple[int, int]]) -> list[tuple[int, int, int]]:
    runs: list[tuple[int, int, int]] = []
    for col, row in sorted(cells):
        if runs and runs[-1][0] == col and runs[-1][2] == row - 1:
            runs[-1] = (col, runs[-1][1], row)
        else:
            runs.append((col, row, row))
    return runs


def _sqref_cells(sqref: str, cap: int = 200_000) -> set[tuple[int, int]]:
    cells: set[tuple[int, int]] = set()
    for token in sqref.split():
        m = _RANGE_TOKEN.match(token)
        if not m:
            continue
        c1, r1 = col_number(m.group(1)), int(m.group(2))
        c2, r2 = (col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
        c1, c2 = sorted((c1, c2))
        r1, r2 = sorted((r1, r2))
        # a validation over whole columns (A1:A1048576) is kept as its bounds, not cell by cell
        r2 = min(r2, r1 + limits.MAX_SHEET_ROWS)
        c2 = min(c2, c1 + limits.MAX_SHEET_COLUMNS)
        for c in range(c1, c2 + 1):
            for r in range(r1, r2 + 1):
                cells.add((c, r))
                if len(cells) > cap:
                    return cells
    return cells


_OPERATOR_TYPES = {"whole", "decimal", "date", "time", "textLength"}


def _validation_key(a: dict[str, str], f1: str, f2: str) -> tuple:
    kind = a.get("type") or "none"
    operator = a.get("operator") or ("between" if kind in _OPERATOR_TYPES else "")
    if kind not in _OPERATOR_TYPES:
        operator = ""
    if operator not in ("between", "notBetween"):
        f2 = ""  # a one-formula rule: some writers put a dummy second formula
    if kind == "none":
        f1 = f2 = ""  # "any value" (an input message only): LibreOffice writes a dummy formula 0
    style = a.get("errorStyle") or "stop"
    shows = a.get("showErrorMessage", "0") in ("1", "true")
    return (kind, operator, normalize_formula(f1), normalize_formula(f2), style, shows)


# --------------------------------------------------------------------------- the sheet scan
# One sheet part, read two ways that give the same SheetScan (tests/test_sheet_scan.py writes the
# template's sheets again in spellings chosen at random and compares):
#  * ``parser_scan``: expat (the XML parser of Python's standard library, no DTD) reads any
#    well-formed spelling — CDATA sections, single-quoted attributes in any order, namespace
#    prefixes, character references, comments, processing instructions, blanks inside tags;
#  * ``quick_scan``: regular expressions over the bytes, for the one spelling Excel, LibreOffice,
#    openpyxl, XlsxWriter and our own XML patch write. It first proves that the part is written
#    that way (none of the other spellings occurs in the head and the cells, every cell tag is
#    <c r="A1" a="…">, every <f> read whole) and returns None otherwise: the parser reads it.
# The cost of the parser fallback, from ``benchmarks/scan_bench.py --units 200 --repeat 5`` (200 filled
# template-1.1 workbooks, the 9 sheets a merge reads: 472 KiB of sheet XML and 84 formulas each; one
# process, median of 5 alternating turns, the 2-core VM shared with other engineers at a load of
# 3.5-4.1): the quick scan 1.84 ms per workbook, 1.53 ms of it the proof that the parts are written the
# usual way; the parser scan 28.4 ms, 15x the quick scan and 4.9x python-calamine's own read of the
# same sheets (5.83 ms). A file that needs the parser costs about 27 ms more to read: 1,000 of them
# about 13 s more on a merge's 2 worker processes. Every file of the benchmark (written the way
# Excel, LibreOffice, openpyxl, XlsxWriter and our patch write) takes the quick path; the script
# checks it.

class SheetXmlError(ValueError):
    """A sheet part that an XML parser refuses (not well-formed), or one with a DTD (``dtd``)."""

    def __init__(self, detail: str, dtd: bool = False) -> None:
        super().__init__(detail)
        self.dtd = dtd


_HUGE = 10**10
_REF_VALUE = re.compile(r"([A-Za-z]*)([0-9]*)")


def _ref_parts(value: str | None) -> tuple[str, int]:
    """(column letters, row number) of an r="…" value; ("", 0) when it is not letters then digits."""
    m = _REF_VALUE.fullmatch(value) if value else None
    if m is None:
        return "", 0
    digits = m.group(2)
    return m.group(1), (int(digits) if len(digits) <= 10 else _HUGE) if digits else 0


class _Placer:
    """Where python-calamine puts each cell: at its own reference when it has one (whatever its row
    tag says); without one, in the next column of the row of the last row tag, a row tag without a
    reference being the next row. Row tags alone reach nowhere: the grid ends at its last cell."""

    __slots__ = ("row", "col", "max_row", "max_col")

    def __init__(self) -> None:
        self.row = self.col = self.max_row = self.max_col = 0

    def row_tag(self, r: str | None) -> None:
        number = _ref_parts(r)[1]
        self.row = number if number else self.row + 1
        self.col = 0

    def cell(self, r: str | None) -> str:
        letters, number = _ref_parts(r)
        if letters and number:
            self.col = col_number(letters) if len(letters) <= 6 else _HUGE
            row = number
        else:
            self.col += 1
            row = max(self.row, 1)
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, self.col)
        return f"{col_letters(min(self.col, 16384 * 26))}{row}"


def _local(name: str) -> str:
    return name[name.rfind(":") + 1:]


_CAPTURED_IN_CELLS = frozenset({"f", "v"})
_CAPTURED_IN_VALIDATIONS = frozenset({"formula1", "formula2", "sqref", "f"})


class _SheetReader:
    """expat handlers: cells (in every sheetData), then protection and validations (outside it)."""

    def __init__(self, tail_only: bool = False) -> None:
        self.place = _Placer()
        self.in_data = 0  # depth of sheetData elements
        self.after_data = tail_only  # the first sheetData has ended
        self.cells: list[list] = []  # open cells: [reference, is an error cell, its value]
        self.capture: list[tuple[str, list[str], dict]] = []  # elements whose text is collected
        self.formulas: list[tuple[str, str | None, str | None, str]] = []  # (cell, t, si, text)
        self.suspect: list[str] = []
        self.errors: dict[str, str] = {}
        self.protected: bool | None = None
        self.validation: dict[str, str] | None = None
        self.vtexts: dict[str, str] = {}
        self.by_key: dict[tuple, set[tuple[int, int]]] = {}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        n = _local(name)
        if self.in_data:
            if n == "c":
                self.cells.append([self.place.cell(attributes.get("r")), attributes.get("t") == "e", None])
            elif n == "row":
                self.place.row_tag(attributes.get("r"))
            elif n in _CAPTURED_IN_CELLS and self.cells:
                self.capture.append((n, [], attributes))
            elif n == "sheetData":
                self.in_data += 1
        elif n == "sheetData":
            self.in_data = 1
        elif not self.after_data:
            return
        elif n == "sheetProtection":
            if self.protected is None:
                self.protected = attributes.get("sheet", "0") in ("1", "true")
        elif n == "dataValidation":
            self.validation, self.vtexts = attributes, {}
        elif n in _CAPTURED_IN_VALIDATIONS and self.validation is not None:
            self.capture.append((n, [], attributes))

    def text(self, data: str) -> None:
        if self.capture:
            self.capture[-1][1].append(data)

    def end(self, name: str) -> None:
        n = _local(name)
        if self.capture and self.capture[-1][0] == n:
            _, parts, attributes = self.capture.pop()
            self._captured(n, "".join(parts), attributes)
        elif self.in_data:
            if n == "c" and self.cells:
                ref, is_error, value = self.cells.pop()
                if is_error:
                    self.errors[ref.upper()] = value if value is not None else "#?"
            elif n == "sheetData":
                self.in_data -= 1
                self.after_data = True
        elif n == "dataValidation" and self.validation is not None:
            f1 = self.vtexts.get("f1", self.vtexts.get("formula1", ""))
            f2 = self.vtexts.get("f2", self.vtexts.get("formula2", ""))
            sqref = self.validation.get("sqref", self.vtexts.get("sqref", ""))
            key = _validation_key(self.validation, f1, f2)
            self.by_key.setdefault(key, set()).update(_sqref_cells(sqref))
            self.validation = None

    def _captured(self, n: str, text: str, attributes: dict[str, str]) -> None:
        if self.in_data:
            cell = self.cells[-1]
            if n == "f":
                self.formulas.append((cell[0].upper(), attributes.get("t"), attributes.get("si"), text))
                return
            if cell[1] and cell[2] is None:
                cell[2] = text if len(text) <= 40 else "#?"
            if _is_suspect(text):
                self.suspect.append(cell[0])
        elif n == "f":  # <xm:f> inside an x14 validation's <x14:formula1>
            outer = self.capture[-1][0] if self.capture else ""
            if outer in ("formula1", "formula2"):
                self.vtexts.setdefault("f" + outer[-1], text)
        else:
            self.vtexts.setdefault(n, text)


def _refuse_dtd(*_args: Any) -> None:
    raise SheetXmlError("DOCTYPE", dtd=True)


_R = TypeVar("_R", "_SheetReader", "_PartsReader")


def _parse(data: bytes, reader: _R) -> _R:
    """Run expat over ``data`` with ``reader``'s handlers; a DTD is refused as soon as it starts
    (before any entity it declares could be expanded)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.StartDoctypeDeclHandler = _refuse_dtd
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise SheetXmlError(str(exc)) from None
    return reader


def exact_extent(data: bytes) -> tuple[int, int]:
    """How far the cells of a sheet part reach (last row, last column), placed as python-calamine does."""
    place = _parse(data, _SheetReader()).place
    return place.max_row, place.max_col


@cached(maxsize=4096)
def _formula_entry(t: str | None, si: str | None, text: str) -> tuple[str | None, str, str]:
    """(shared-formula index or None, text, normalized text) of one <f> element (the same formulas
    come back in every file of a template: worked out once)."""
    return (si if t == "shared" and si is not None else None), text, normalize_formula(text)


def _resolve_formulas(scan: SheetScan, found: list[tuple[str, str | None, str | None, str]]) -> None:
    """The formulas by cell, a shared formula's children translated from its master."""
    shared: dict[str, tuple[str, str]] = {}
    pending: list[tuple[str, str]] = []
    for ref, t, si, text in found:
        index, text, normalized = _formula_entry(t, si, text)
        if index is not None:
            if text:
                shared[index] = (ref, text)
            else:
                pending.append((ref, index))
                continue
        scan.formulas[ref] = normalized
    if not pending:
        return
    from openpyxl.formula.translate import Translator, TranslatorError

    for ref, index in pending:
        master = shared.get(index)
        if master is None:
            scan.formulas[ref] = "?"
            continue
        try:
            scan.formulas[ref] = normalize_formula(Translator("=" + master[1], origin=master[0]).translate_formula(ref))
        except (TranslatorError, ValueError, KeyError, IndexError):
            scan.formulas[ref] = "?"


def _within(scan: SheetScan, place: _Placer) -> None:
    if place.max_row > limits.MAX_SHEET_ROWS or place.max_col > limits.MAX_SHEET_COLUMNS:
        scan.max_row, scan.max_col = place.max_row, place.max_col


def parser_scan(name: str, part: str, data: bytes) -> SheetScan:
    """The scan as an XML parser reads the part (any well-formed spelling); SheetXmlError when
    expat refuses it or it has a DTD."""
    reader = _parse(data, _SheetReader())
    scan = SheetScan(name, part)
    _within(scan, reader.place)
    _resolve_formulas(scan, reader.formulas)
    scan.suspect, scan.errors = reader.suspect, reader.errors
    scan.protected = bool(reader.protected)
    scan.validations = {key: _runs(cells) for key, cells in sorted(reader.by_key.items())}
    return scan


SUSPECT_BELOW = -1e10  # python-calamine's date conversion panics below about -1.07e11 days
_NEGATIVE_NUMBER = re.compile(r"-[0-9.]+(?:[eE][+-]?[0-9]+)?")


def _is_suspect(text: str) -> bool:
    """A hugely negative number: as a date, python-calamine cannot convert it."""
    if not text.startswith("-") or not _NEGATIVE_NUMBER.fullmatch(text):
        return False
    try:
        return float(text) <= SUSPECT_BELOW
    except ValueError:
        return False


# ---- the quick scan
# XML 1.0 §4.6: the five predefined entities; §4.1: character references to characters XML allows
_XML_REF = re.compile(r"&(?:#x([0-9A-Fa-f]{1,8})|#([0-9]{1,10})|(amp|lt|gt|quot|apos));")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml_char(m: re.Match) -> str:
    if m.group(3):
        return _PREDEFINED[m.group(3)]
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if not (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF):
        raise ValueError(code)
    return chr(code)


def xml_unescape(text: str) -> str | None:
    """Text with its references resolved as XML does; None when it holds one XML does not define
    (``&nbsp;``, ``&#0;``, a bare ``&``), which a parser refuses."""
    if "&" not in text:
        return text
    if "&" in _XML_REF.sub("", text):
        return None
    try:
        return _XML_REF.sub(_xml_char, text)
    except ValueError:
        return None


# A cell within the limits (column ≤ GR = 200, row ≤ 9999) written the usual way: <c r="A1"
# a="…" …> with unprefixed, double-quoted attributes holding no reference and no blank but spaces.
_SMALL_REF = rb'(?:[A-Fa-f]?[A-Za-z]|[Gg][A-Ra-r])[1-9][0-9]{0,3}'
assert col_number("GR") <= limits.MAX_SHEET_COLUMNS and 9999 <= limits.MAX_SHEET_ROWS
_PLAIN_ATTRS = rb'(?: [A-Za-z]+="[^"<&\t\n\r]*")*'
# anything else in the head or the cells sends the part to the parser: one search (each branch
# starts with its own character after "<", so a tag that is none of them costs one comparison)
_UNPLAIN = re.compile(
    rb'<(?:[!?]'  # a CDATA section, a comment, a DTD, a processing instruction
    rb'|c(?=[\s/>])(?! r="' + _SMALL_REF + rb'"' + _PLAIN_ATTRS + rb'/?>)'  # a cell written otherwise
    rb'|f(?=[\s/>])(?!' + _PLAIN_ATTRS + rb'(?:/>|>[^<]*</f>))'  # a formula the quick pattern cannot read whole
    # a value written otherwise, holding a reference, or a number that may be below SUSPECT_BELOW
    rb'|v(?:(?!>|/>)|>(?:[^<&]*&|-(?:[0-9]{11}|[0-9.]*[eE])))'
    rb'|/v(?!>))'
)
# a namespace prefix on an element the scan reads (on any other it changes nothing: both readings
# go by local names, as python-calamine does); a colon in a text only sends the part to the parser
_PREFIXED = re.compile(rb':(?:c|f|v|sheetData)[\s/>]')
_CELL_OPEN = re.compile(rb'<c r="(' + _SMALL_REF + rb')"' + _PLAIN_ATTRS + rb'>')
_FAST_FORMULA = re.compile(rb'<f(' + _PLAIN_ATTRS + rb')(?:/>|>([^<]*)</f>)')
_PLAIN_ATTR = re.compile(rb'([A-Za-z]+)="([^"]*)"')
_DECLARATION = re.compile(rb'(?:\xef\xbb\xbf)?<\?xml[ \t\r\n][^<>]*?\?>')
_ENCODING = re.compile(rb'encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')


@cached(maxsize=4096)
def _quick_formula(fattrs: bytes, raw: bytes) -> tuple[str | None, str | None, str] | None:
    """(t, si, text) of one <f> element written the usual way; None when a parser must read it."""
    found = _PLAIN_ATTR.findall(fattrs)
    names = dict(found)
    if len(names) != len(found):
        return None  # an attribute twice: not well-formed
    try:
        text = xml_unescape(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if text is None:
        return None
    t, si = names.get(b"t"), names.get(b"si")
    return (t.decode() if t is not None else None), (si.decode() if si is not None else None), text


def _cells_area(data: bytes) -> tuple[int, int, int] | None:
    """(start of the document after its declaration, start of <sheetData>, end of </sheetData>)
    when the part is UTF-8 and its cells are in one plain <sheetData> element."""
    start = 0
    decl = _DECLARATION.match(data)
    if decl:
        enc = _ENCODING.search(decl.group(0))
        if enc and enc.group(1).lower() not in (b"utf-8", b"utf8"):
            return None
        start = decl.end()
    elif data.startswith(b"\xef\xbb\xbf"):
        start = 3
    begin = data.find(b"<sheetData>", start)
    if begin < 0:
        empty = data.find(b"<sheetData/>", start)
        return (start, empty, empty + 12) if empty >= 0 else None
    end = data.find(b"</sheetData>", begin)
    return (start, begin, end + 12) if end >= 0 else None


def quick_scan(name: str, part: str, data: bytes) -> SheetScan | None:
    """The scan of a part written the usual way, or None when it is not (the parser then reads it)."""
    area = _cells_area(data)
    if area is None:
        return None
    start, begin, end = area
    if (_UNPLAIN.search(data, start, end) or _PREFIXED.search(data, start, end)
            or data.find(b"\r", start, end) >= 0 or data.find(b' t="e"', begin, end) >= 0):
        return None  # an error value too: the parser reads it with its cell
    tail = _tail(data, end)
    if tail is None:
        return None
    found = []
    for m in _FAST_FORMULA.finditer(data, begin, end):
        pos = m.start()
        at = data.rfind(b"<c ", max(begin, pos - 600), pos)
        cell = _CELL_OPEN.fullmatch(data, at, pos) if at >= 0 else None
        entry = _quick_formula(m.group(1), m.group(2) or b"") if cell else None
        if entry is None:
            return None  # a formula that is not the first thing in its cell, or text a parser must read
        found.append((cell.group(1).decode("ascii").upper(), *entry))
    scan = SheetScan(name, part)
    _resolve_formulas(scan, found)
    scan.protected, scan.validations = tail
    return scan


_TAILS: dict[int, list[tuple[bytes, tuple[bool, dict] | None]]] = {}


def _tail(data: bytes, end: int) -> tuple[bool, dict[tuple, list[tuple[int, int, int]]]] | None:
    """Protection and validations from what follows the cells (the same bytes in every copy of a
    template: parsed once, then compared, not hashed), read by the parser as a fragment; None when
    it is not the usual end of a sheet (then the whole part goes to the parser)."""
    size = len(data) - end
    known = _TAILS.setdefault(size, [])
    for tail, result in known:
        if data.startswith(tail, end):
            return result
    tail = data[end:]
    result = None
    body = tail.rstrip()
    if body.endswith(b"</worksheet>") and b"sheetData" not in body:
        try:
            reader = _parse(b"<_>" + body[:-12] + b"</_>", _SheetReader(tail_only=True))
            result = (bool(reader.protected), {key: _runs(cells) for key, cells in sorted(reader.by_key.items())})
        except SheetXmlError:
            result = None
    if len(known) > 8 or len(_TAILS) > 256:
        _TAILS.clear()
        known = _TAILS.setdefault(size, [])
    known.append((tail, result))
    return result


def quick_extent_ok(data: bytes) -> bool:
    """True when the quick scan reads the part (which proves its cells within the limits)."""
    return quick_scan("", "", data) is not None


def parse_sheet_xml(name: str, part: str, data: bytes) -> SheetScan:
    """The scan of one sheet part: the quick scan when it can show its reading right, else the parser."""
    scan = quick_scan(name, part, data)
    return scan if scan is not None else parser_scan(name, part, data)


# --------------------------------------------------------------------------- the package
@dataclass(frozen=True)
class WorkbookParts:
    sheets: tuple[tuple[str, str], ...]  # (name, part path) in workbook order
    names: Mapping[str, str]  # defined name (with "@<sheet index>" when sheet-scoped) -> normalized reference
    locked: bool  # workbook structure protection
    # the spreadsheet program that last saved the file when it is not Excel (LibreOffice, WPS), else ""
    saved_by: str = ""
    # a <workbookProtection> element is there (LibreOffice writes it without lockStructure when it
    # saves a workbook whose structure is protected: the lock is LibreOffice's, not gone)
    protection_element: bool = False


_OTHER_APPS = (("libreoffice", "LibreOffice"), ("openoffice", "OpenOffice"), ("wps", "WPS Office"),
               ("kingsoft", "WPS Office"))


class Preflight:
    """What the pre-flight learnt from a file that looks like a workbook: its zip directory."""

    def __init__(self, path: Path, size: int, infos: dict[str, zipfile.ZipInfo], data: bytes | None = None) -> None:
        self.path = path
        self.size = size
        self.infos = infos
        self.data = data  # the package's bytes (a file read once, or the template), else read from ``path``
        self.has_macros = "xl/vbaProject.bin" in infos or any(n.lower().endswith("vbaproject.bin") for n in infos)
        self._parts: WorkbookParts | None = None
        self._zip: zipfile.ZipFile | None = None
        self._unpacked: dict[str, bytes] = {}  # parts unpacked (and checked) so far
        self._scans: dict[str, SheetScan] = {}

    @classmethod
    def from_bytes(cls, data: bytes, label: str | None = None) -> Preflight:
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = {info.filename: info for info in zf.infolist()}
        return cls(Path(label or ui("words.template")), len(data), infos, data)

    def open_zip(self) -> zipfile.ZipFile:
        if self.data is not None:
            import io

            return zipfile.ZipFile(io.BytesIO(self.data))
        return zipfile.ZipFile(self.path)

    def zip(self) -> zipfile.ZipFile:
        """One open handle for all the parts read after the pre-flight (closed by ``close``)."""
        if self._zip is None:
            try:
                self._zip = self.open_zip()
            except ZIP_ERRORS as exc:
                if self.data is None and not self.path.exists():
                    raise CchcError("file_not_found", file=self.path) from None
                raise CchcError("zip_corrupt", file=self.path, detail=detail(exc)) from None
        return self._zip

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    # ---------------------------------------------------------------- reading parts
    def read_part(self, name: str, cap: int, zf: zipfile.ZipFile | None = None) -> bytes:
        """One part, unpacked with a cap on its real size (a lying directory cannot get past it)."""
        info = self.infos[name]
        if zf is None and self.data is not None and info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
            hit = self._unpacked.get(name)
            if hit is not None and len(hit) <= cap:
                return hit
            data = self._inflate(info, cap)
            self._unpacked[name] = data
            return data
        zf = zf or self.zip()
        try:
            with zf.open(info) as fh:
                data = fh.read(cap + 1)
        except ZIP_ERRORS as exc:
            if self.data is None and not self.path.exists():
                raise CchcError("file_not_found", file=self.path) from None
            raise CchcError("zip_entry_damaged", file=self.path, entry=name, detail=detail(exc)) from None
        if len(data) > cap:
            raise too_large(self.path, info, cap)
        return data

    def _packed(self, info: zipfile.ZipInfo) -> memoryview:
        """The bytes of one entry as they are in the zip (compressed), from the bytes in memory."""
        data = self.data
        assert data is not None
        off = info.header_offset
        if data[off:off + 4] != _ZIP_LOCAL:
            raise zipfile.BadZipFile("no local header")
        nlen, xlen = struct.unpack_from("<HH", data, off + 26)
        start = off + 30 + nlen + xlen
        packed = memoryview(data)[start:start + info.compress_size]
        if len(packed) != info.compress_size:
            raise zipfile.BadZipFile("truncated entry")
        return packed

    def reader_package(self) -> bytes | None:
        """The package python-calamine reads: the parts unpacked and checked here go in stored (so
        they are unpacked once, not twice, and calamine reads exactly what was checked), every
        other entry as it is. None when the file is not held in memory."""
        if self.data is None:
            return None
        from .xlsxpatch import Packed, write_zip

        entries = []
        try:
            for name, info in self.infos.items():
                unpacked = self._unpacked.get(name)
                if unpacked is not None:
                    entries.append((name, Packed(info.CRC, len(unpacked), unpacked, zipfile.ZIP_STORED)))
                else:
                    entries.append((name, Packed(info.CRC, info.file_size, self._packed(info), info.compress_type)))
        except ZIP_ERRORS + (struct.error,):
            return self.data  # a damaged entry: calamine meets it in the original and says so
        return write_zip(entries)

    def _inflate(self, info: zipfile.ZipInfo, cap: int) -> bytes:
        """A part straight from the bytes in memory (zlib, CRC checked): a third quicker than zipfile."""
        try:
            packed = self._packed(info)
            if info.compress_type == zipfile.ZIP_STORED:
                out = bytes(packed[:cap + 1])
            else:
                out = zlib.decompressobj(-15).decompress(packed, cap + 1)
        except ZIP_ERRORS + (struct.error,) as exc:
            raise CchcError("zip_entry_damaged", file=self.path, entry=info.filename, detail=detail(exc)) from None
        if len(out) > cap:
            raise too_large(self.path, info, cap)
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise CchcError("zip_entry_damaged", file=self.path, entry=info.filename, detail=ui("words.bad_crc"))
        return out

    def parts(self) -> WorkbookParts:
        if self._parts is None:
            self._parts = self._read_parts()
        return self._parts

    def _read_parts(self) -> WorkbookParts:
        if WORKBOOK_PART not in self.infos:
            raise CchcError("zip_not_workbook", file=self.path)
        workbook = self.read_part(WORKBOOK_PART, limits.MAX_WORKBOOK_XML_BYTES)
        rels_name = "xl/_rels/workbook.xml.rels"
        rels = self.read_part(rels_name, limits.MAX_WORKBOOK_XML_BYTES) if rels_name in self.infos else b""
        # what python-calamine parses when the workbook is opened: keep it within the limits too
        for extra in ("xl/sharedStrings.xml", "xl/styles.xml"):
            if extra in self.infos:
                self.read_part(extra, limits.MAX_WORKBOOK_XML_BYTES)
        app = b""
        if "docProps/app.xml" in self.infos:
            app = self.read_part("docProps/app.xml", limits.MAX_WORKBOOK_XML_BYTES)
        try:
            return _parse_parts(workbook, rels, app)
        except SheetXmlError as exc:
            raise CchcError("workbook_xml_damaged", file=self.path, where=xml_where(None),
                            detail="DOCTYPE (DTD)" if exc.dtd else detail(exc)) from None

    def sheet_part(self, sheet: str) -> str | None:
        for name, part in self.parts().sheets:
            if name == sheet:
                return part
        return None

    def scan_sheet(self, sheet: str) -> SheetScan:
        """Unpack one sheet within the size cap and check how far its cells reach, before it is parsed."""
        hit = self._scans.get(sheet)
        if hit is not None:
            return hit
        part = self.sheet_part(sheet)
        if not part or part not in self.infos:
            raise CchcError("zip_entry_missing", file=self.path, sheet=sheet, entry=part or "?")
        data = self.read_part(part, limits.MAX_SHEET_XML_BYTES)
        try:
            scan = parse_sheet_xml(sheet, part, data)
        except SheetXmlError as exc:
            if exc.dtd:
                raise CchcError("workbook_xml_dtd", file=self.path, sheet=sheet) from None
            raise CchcError("workbook_xml_damaged", file=self.path, where=xml_where(sheet),
                            detail=detail(exc)) from None
        if scan.max_row > limits.MAX_SHEET_ROWS or scan.max_col > limits.MAX_SHEET_COLUMNS:
            raise CchcError("sheet_too_large", file=self.path, sheet=sheet,
                            cell=f"{col_letters(min(scan.max_col, 16384))}{scan.max_row}",
                            rows=scan.max_row, cols=scan.max_col, max_rows=limits.MAX_SHEET_ROWS,
                            max_cols=limits.MAX_SHEET_COLUMNS)
        self._scans[sheet] = scan
        return scan

    def scanned(self, sheet: str) -> SheetScan | None:
        """The scan of a sheet, when it has been scanned."""
        return self._scans.get(sheet)

    def scan_sheets(self, sheets: list[str]) -> dict[str, SheetScan]:
        return {name: self.scan_sheet(name) for name in sheets}


def too_large(path: Path, info: zipfile.ZipInfo, cap: int) -> CchcError:
    """A part that unpacks beyond what the reader takes: a zip bomb when it packs far better than
    XML does (``zip_bomb_size``), else simply too big a part (``part_too_large``: a very large
    shared-strings table, a sheet pasted full of text)."""
    if cap / max(1, info.compress_size) > limits.MAX_COMPRESSION_RATIO:
        return CchcError("zip_bomb_size", file=path, entry=info.filename, size=f"> {human_size(cap)}",
                         limit=human_size(cap))
    return CchcError("part_too_large", file=path, entry=info.filename, size=f"> {human_size(cap)}",
                     limit=human_size(cap))


class _PartsReader:
    """expat handlers for xl/workbook.xml, its relationships and docProps/app.xml (local names;
    an attribute by its local name, the first one when two share it: ``r:id`` is ``id``)."""

    def __init__(self) -> None:
        self.sheets: list[dict[str, str]] = []
        self.names: list[tuple[dict[str, str], str]] = []
        self.protection: dict[str, str] | None = None
        self.file_version: dict[str, str] = {}
        self.relationships: list[dict[str, str]] = []
        self.application = ""
        self.capture: tuple[str, dict[str, str], list[str]] | None = None

    def start(self, name: str, attributes: dict[str, str]) -> None:
        n = _local(name)
        a: dict[str, str] = {}
        for key, value in attributes.items():
            a.setdefault(_local(key), value)
        if n == "sheet":
            self.sheets.append(a)
        elif n == "Relationship":
            self.relationships.append(a)
        elif n == "workbookProtection" and self.protection is None:
            self.protection = a
        elif n == "fileVersion" and not self.file_version:
            self.file_version = a
        elif n in ("definedName", "Application") and self.capture is None:
            self.capture = (n, a, [])

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture[2].append(data)

    def end(self, name: str) -> None:
        if self.capture is not None and _local(name) == self.capture[0]:
            n, a, parts = self.capture
            self.capture = None
            if n == "definedName":
                self.names.append((a, "".join(parts)))
            elif not self.application:
                self.application = "".join(parts)[:200]


def _read_xml(data: bytes) -> _PartsReader:
    reader = _PartsReader()
    if data:
        _parse(data, reader)
    return reader


def saved_by(application: str, file_version: dict[str, str]) -> str:
    """The program that saved the package when it is not Excel ("" for Excel and unknown writers)."""
    found = application
    if file_version.get("appName", "").lower() == "calc":
        found = found or "LibreOffice"
    low = found.lower()
    for needle, label in _OTHER_APPS:
        if needle in low:
            return label
    return ""


@cached(maxsize=64)  # the same workbook.xml in every copy of a template
def _parse_parts(workbook: bytes, rels: bytes, app: bytes = b"") -> WorkbookParts:
    """The workbook's sheets, defined names, structure lock and saving program, read by expat
    (SheetXmlError when workbook.xml or its relationships are not well-formed or have a DTD; a
    damaged docProps/app.xml only loses the program's name)."""
    book, links = _read_xml(workbook), _read_xml(rels)
    try:
        application = _read_xml(app).application
    except SheetXmlError:
        application = ""
    targets = {}
    for a in links.relationships:
        if "Id" in a and "Target" in a:
            target = a["Target"]
            targets[a["Id"]] = target.lstrip("/") if target.startswith("/") else _join("xl", target)
    sheets = [(a["name"], targets.get(a.get("id", ""), "")) for a in book.sheets if "name" in a]
    names = {}
    for a, text in book.names:
        name = a.get("name", "")
        if not name or name.startswith("_xlnm."):
            continue
        key = name if a.get("localSheetId") is None else f"{name}@{a['localSheetId']}"
        names[key] = normalize_formula(text)
    prot = book.protection
    locked = prot is not None and prot.get("lockStructure", "0") in ("1", "true")
    return WorkbookParts(tuple(sheets), freeze(names), locked, saved_by(application, book.file_version),
                         prot is not None)




def _join(base: str, target: str) -> str:
    import posixpath

    return posixpath.normpath(posixpath.join(base, target))


def detail(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# --------------------------------------------------------------------------- what the file is
def _decode_text(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            # the sniffed head may cut a multi-byte character at its end
            try:
                text = head[:-4].decode(encoding)
            except UnicodeDecodeError:
                continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if text and printable / len(text) > 0.95:
            return text
    return None


def _is_csv(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if len(lines) < 2:
        return False
    for sep in (",", ";", "\t", "|"):
        counts = [line.count(sep) for line in lines[:-1] or lines]
        if counts[0] >= 1 and all(c == counts[0] for c in counts):
            return True
    return False


def sniff_kind(head: bytes) -> str:
    """The reason code for a file that is not a zip package, from its first bytes."""
    if head.startswith(b"%PDF"):
        return "file_is_pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")):
        return "file_is_image"
    text = _decode_text(head)
    if text is None:
        return "not_a_workbook"
    low = text.lstrip().lower()[:4096]
    if "urn:schemas-microsoft-com:office:spreadsheet" in low and "<workbook" in low:
        return "file_is_spreadsheetml"
    if low.startswith(("<!doctype html", "<html", "<table", "<meta")) or "<html" in low[:512]:
        return "file_is_html"
    if _is_csv(text):
        return "file_is_csv"
    return "file_is_text"


def _ole_kind(data: bytes) -> str:
    """Encrypted OOXML, legacy .xls, or another OLE document, from the stream names in its directory."""

    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptionInfo") or has("EncryptedPackage"):
        return "workbook_encrypted"
    if has("Workbook") or has("Book"):
        return "workbook_legacy_xls"
    if has("WordDocument"):
        return "file_is_word"
    return "ole_not_workbook"


def _zip_kind(infos: dict[str, zipfile.ZipInfo], zf: zipfile.ZipFile) -> str | None:
    if WORKBOOK_PART in infos and "[Content_Types].xml" in infos:
        return None
    if "mimetype" in infos:
        try:
            with zf.open(infos["mimetype"]) as fh:
                mimetype = fh.read(200)
        except ZIP_ERRORS:
            mimetype = b""
        if b"spreadsheet" in mimetype:
            return "file_is_ods"
    if "word/document.xml" in infos:
        return "file_is_word"
    if "EncryptedPackage" in infos or "EncryptionInfo" in infos:
        return "workbook_encrypted"
    return "zip_not_workbook"


def preflight(path: Path | str, raw: bytes | None = None) -> Preflight:
    """Refuse, with its own reason code, a file that is not a readable workbook within the limits.

    The file is read once, into memory (it is within ``MAX_FILE_BYTES`` by then): the hash, the
    zip directory, every part and python-calamine all work on those bytes, so a file replaced
    while it is read is read whole or not at all. ``raw``: the bytes, when the caller has read
    them already (the merge hashes them). Unpacks nothing.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise CchcError("file_not_found", file=path) from None
    except OSError as exc:
        raise CchcError("workbook_unreadable", file=path, detail=detail(exc)) from None
    if path.is_dir():
        raise CchcError("file_is_folder", file=path)
    if path.name.startswith("~$"):
        raise CchcError("file_is_excel_lock", file=path)
    if raw is None and not path.is_file():
        raise CchcError("not_a_workbook", file=path)
    size = stat.st_size if raw is None else len(raw)
    if size == 0:
        raise CchcError("file_empty", file=path)
    if size > limits.MAX_FILE_BYTES:
        raise CchcError("file_too_large", file=path, size=human_size(size), limit=human_size(limits.MAX_FILE_BYTES))
    if raw is None:
        raw = read_capped(path)
        size = len(raw)
        if size == 0:
            raise CchcError("file_empty", file=path)
    head, tail = raw[:_SNIFF], raw[max(0, size - 65_557):]
    if head.startswith(OLE_SIGNATURE):
        raise CchcError(_ole_kind(raw), file=path)
    if not head.startswith((_ZIP_LOCAL, _ZIP_EMPTY, _ZIP_SPANNED)):
        kind = sniff_kind(head)
        if kind == "not_a_workbook" and _EOCD in tail:
            # a zip directory at the end but a damaged start: a workbook whose first bytes were hit
            raise CchcError("zip_corrupt", file=path, detail=ui("words.head_damaged"))
        raise CchcError(kind, file=path)
    if _EOCD not in tail:
        raise CchcError("zip_truncated", file=path, size=human_size(size))
    zf, infos = _open_zip(path, raw)
    pre = Preflight(path, size, infos, raw)
    pre._zip = zf
    return pre


def _open_zip(path: Path, raw: bytes) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """The zip directory of a workbook's bytes, refused when it is not a workbook's, names too many
    parts, is encrypted or would unpack beyond the limits (a zip bomb)."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infolist = zf.infolist()
    except ZIP_ERRORS as exc:
        raise CchcError("zip_corrupt", file=path, detail=detail(exc)) from None
    if len(infolist) > limits.MAX_ZIP_ENTRIES:
        raise CchcError("zip_too_many_entries", file=path, count=len(infolist), limit=limits.MAX_ZIP_ENTRIES)
    infos = {info.filename: info for info in infolist}
    kind = _zip_kind(infos, zf)
    if kind:
        raise CchcError(kind, file=path)
    total = 0
    for info in infolist:
        if info.flag_bits & 0x1:
            raise CchcError("workbook_encrypted", file=path)
        total += info.file_size
        if info.file_size > limits.MAX_PART_BYTES:
            raise CchcError("zip_bomb_size", file=path, entry=info.filename, size=human_size(info.file_size),
                            limit=human_size(limits.MAX_PART_BYTES))
        if info.file_size > limits.RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(1, info.compress_size)
            if ratio > limits.MAX_COMPRESSION_RATIO:
                raise CchcError("zip_bomb_ratio", file=path, entry=info.filename, ratio=int(ratio),
                                limit=limits.MAX_COMPRESSION_RATIO)
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise CchcError("zip_bomb_size", file=path, entry=ui("words.whole_archive"), size=human_size(total),
                        limit=human_size(limits.MAX_UNCOMPRESSED_BYTES))
    return zf, infos


def read_capped(path: Path) -> bytes:
    """The bytes of a file, refused beyond ``MAX_FILE_BYTES`` (a file that grows while it is read)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(limits.MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CchcError("file_not_found", file=path) from None
    except OSError as exc:
        raise CchcError("workbook_unreadable", file=path, detail=detail(exc)) from None
    if len(raw) > limits.MAX_FILE_BYTES:
        raise CchcError("file_too_large", file=path, size=f"> {human_size(limits.MAX_FILE_BYTES)}",
                        limit=human_size(limits.MAX_FILE_BYTES))
    return raw


def diagnose_read_error(pre: Preflight, exc: BaseException, sheet: str | None = None) -> CchcError:
    """The specific reason a parser failed on a file that passed the pre-flight."""
    path = pre.path
    if pre.data is None and not path.exists():
        return CchcError("file_not_found", file=path)
    try:
        with pre.open_zip() as zf:
            bad = zf.testzip()
    except ZIP_ERRORS as zexc:
        return CchcError("zip_corrupt", file=path, detail=detail(zexc))
    if bad:
        return CchcError("zip_entry_damaged", file=path, entry=bad, detail=ui("words.bad_crc"))
    if isinstance(exc, (OSError, MemoryError)):
        return CchcError("workbook_unreadable", file=path, detail=detail(exc))
    # the archive is sound: the XML inside it is not
    return CchcError("workbook_xml_damaged", file=path, where=xml_where(sheet), detail=detail(exc))


def xml_where(sheet: str | None) -> str:
    """Where damaged XML is, for ``workbook_xml_damaged``: a sheet, or the workbook's own parts."""
    return ui_text("words.sheet", sheet=sheet) if sheet else ui("words.workbook_part")
