"""The list of reporting units: ``code,name,level,parent_code[,code_list]`` as CSV or .xlsx.

GSO codes are kept as zero-padded text (xã/phường/thị trấn/đặc khu 5 digits, huyện 3,
tỉnh 2). Offices without a GSO code (sở, phòng) use a code unique within the list. A list
with duplicate codes, empty names, bad codes or unknown levels is refused with every bad
row named.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import CchcError, render
from ..letters import unaccented
from .models import ChoiceOption, ReportDefinition

_OFFICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$", re.ASCII)
REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent_code: str = ""
    code_list: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.code_list, self.code)


def ascii_name(text: str) -> str:
    """ASCII file-name form: diacritics removed, đ/Đ → d/D, spaces → '-'."""
    text = unaccented(text)
    text = re.sub(r"[^A-Za-z0-9 _-]+", "", text)
    return re.sub(r"\s+", "-", text.strip())


def _levels(definition: ReportDefinition | None) -> Mapping[str, ChoiceOption]:
    """The unit levels of ``definition`` (the default report definition when None)."""
    if definition is None:
        from .loader import load_definition

        definition = load_definition()
    return definition.level_options()


def check_code(code: str, level: str, definition: ReportDefinition | None = None) -> str | None:
    """A Vietnamese explanation of what is wrong with ``code`` at ``level``, or None. A level with
    ``digits`` (its option in the definition) has zero-padded codes of that many digits."""
    option = _levels(definition).get(level)
    digits = option.digits if option is not None else None
    if digits:
        if not (code.isascii() and code.isdigit()):  # full-width digits (１８０７３) are not a code
            return render("units_code_digits", code=code, digits=digits)
        if len(code) != digits:
            hint = render("units_code_zero_hint") if len(code) < digits else ""
            return render("units_code_exact_digits", code=code, digits=digits, hint=hint)
        return None
    if not _OFFICE_CODE.match(code):
        return render("units_code_chars", code=code)
    return None


def _rows_from_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CchcError("units_unreadable", file=path, detail=render("units_not_utf8")) from None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, dict]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))  # the line the row ends on (blank lines counted)
    except csv.Error as exc:  # a field over the csv module's limit, a stray quote…
        detail = render("units_csv_line", line_num=reader.line_num, exc=exc)
        raise CchcError("units_unreadable", file=path, detail=detail) from None
    return _normalise(path, list(reader.fieldnames or []), rows)


def _rows_from_xlsx(path: Path) -> list[tuple[int, dict[str, str]]]:
    # the same pre-flight and sheet limits as a returned workbook (a far cell would make
    # python-calamine allocate its whole grid and abort the process)
    from ..workbook import safety
    from ..workbook.grid import _calamine, _grid

    pre = safety.preflight(path)
    try:
        sheets = pre.parts().sheets
        if not sheets:
            raise CchcError("units_columns", file=path, missing=", ".join(REQUIRED_COLUMNS))
        first = sheets[0][0]
        pre.scan_sheet(first)
        book = _calamine(pre)
        if first not in book.sheet_names:
            raise CchcError("units_unreadable", file=path, detail=render("units_sheet_unreadable", first=first))
        rows = _grid(book, first, pre)
    finally:
        pre.close()
    if not rows:
        raise CchcError("units_columns", file=path, missing=", ".join(REQUIRED_COLUMNS))
    header = [str(h).strip() for h in rows[0]]
    out = []
    for line, row in enumerate(rows[1:], start=2):
        out.append((line, {h: _cell_text(v) for h, v in zip(header, row, strict=False)}))  # short rows: blanks
    return _normalise(path, header, out)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise(path: Path, header: list[str], rows: list[tuple[int, dict]]) -> list[tuple[int, dict[str, str]]]:
    """(line number in the file, row) of every row that is not blank."""
    header = [(h or "").strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CchcError("units_columns", file=path, missing=", ".join(missing))
    out = []
    for line, row in rows:
        clean = {(k or "").strip().lower(): unicodedata.normalize("NFC", v.strip() if isinstance(v, str) else "")
                 for k, v in row.items() if k is not None}
        if any(clean.values()):
            out.append((line, clean))
    return out


def load_units(path: Path, definition: ReportDefinition | None = None) -> list[Unit]:
    """The units of a list (CSV or .xlsx), checked against the levels of ``definition`` (default:
    the shipped report definition)."""
    path = Path(path)
    levels = tuple(_levels(definition))
    if not path.is_file():
        raise CchcError("file_not_found", file=path)
    rows = _rows_from_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_from_csv(path)
    problems: list[str] = []
    units: list[Unit] = []
    seen: dict[tuple[str, str], int | str] = {}
    for i, row in rows:
        code, name, level = row.get("code", ""), row.get("name", ""), row.get("level", "").lower()
        parent, code_list = row.get("parent_code", ""), row.get("code_list", "")
        errs = []
        if not name:
            errs.append(render("units_name_blank"))
        if level not in levels:
            errs.append(render("units_level_invalid", level=level, value=", ".join(levels)))
        if not code:
            errs.append(render("units_code_blank"))
        elif level in levels:
            bad = check_code(code, level, definition)
            if bad:
                errs.append(bad)
        key = (code_list, code)
        if code and key in seen:
            errs.append(render("units_code_twice", code=code, value=seen[key]))
        elif code:
            seen[key] = i
        if errs:
            problems.append(render("units_row", i=i) + "; ".join(errs))
        else:
            units.append(Unit(code=code, name=name, level=level, parent_code=parent, code_list=code_list))
    if problems:
        raise CchcError("units_rows", file=path, rows="\n".join(problems))
    if not units:
        raise CchcError("units_rows", file=path, rows=render("units_none"))
    return units
