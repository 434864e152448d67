"""Tổng hợp, the specialist's sheet of a summary workbook: written and read here only.

The one place that knows where things sit on Tổng hợp, so the merge that writes it, a merge one
level up that reads a lower-level summary, and anything reading summaries across periods agree.

    write(writer, definition, rows, ...)  -> the sheet added to a summary package
    read_rows(book) / read_file(path)     -> SummaryTable(layout, rows: [UnitRow])
    read_port(port)                       -> the same, through a workbook port (the ribbon)

A ``UnitRow`` is one unit: code, name, status (``on_time``, ``late``, ``unknown_time``,
``missing``, ``rejected``; None where the layout did not record it), days late, level, error
count, and the values by field or ratio code (None: no value; missing and rejected units have
none, so a level above never counts them as reported); from layout 3 also whether the unit is in
the office's list of units (``expected``) and the rules its own report fails (``rules``).
``SummaryTable.units_listed`` says whether the merge had that list (None: the layout does not say).

Layouts (the version is the ``summary_layout`` entry of the summary's ``_meta`` sheet):

* **1** (no entry; summaries written before this module): row 3 holds the codes of the columns
  (``don_vi_ma``, ``don_vi_ten``, fields, ratios), one row per merged unit from row 4, then a
  total row whose code is ``TONG``. No status, no days late.
* **2**: row 1 title, row 2 the state of the submissions, row 3 the codes (hidden), row 4 the
  Vietnamese headers, one row per expected unit (missing and rejected ones too, greyed, no
  values) and per other unit found from row 5, sorted by code; the total row has no code. Columns:
  code, name, status label, days late, errors, the fields and ratios, then hidden ``_trang_thai``
  (the status code) and ``_cap`` (the unit's level). Formats by type, status fills (red: missing,
  rejected; amber: late, not exported), notes on values to look at twice, print titles, autofilter.
* **3**: layout 2, plus the figures each unit reports that the merge does not add up (``aggregate:
  none`` numbers such as a typed percentage: a column each, among the fields in the definition's
  order, no total), and two more hidden columns after ``_cap``: ``_phai_nop`` (1 for a unit of the
  office's list, ``--units``) and ``_loi_ma`` (the codes of the rules the unit's own report fails,
  errors only, space-separated). What the summary's narrative reads back: the completeness sentence,
  the coverage of a total, the range of a figure the units report one by one, the units behind a
  finding.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..definition.models import ReportDefinition
from ..memo import per_object
from ..ui import ui, ui_text
from ..workbook.xlsxpatch import PackageWriter, sheet_xml
from ..xmlescape import ooxml_escape, xml_attr

LAYOUT_VERSION = 3
META_KEY = "summary_layout"  # in the _meta sheet
CODE_KEY, NAME_KEY = "don_vi_ma", "don_vi_ten"  # the unit's code and name columns (both layouts)
STATUS_LABEL_KEY, DAYS_KEY, ERRORS_KEY = "_tinh_trang", "_so_ngay_muon", "_so_loi"
STATUS_KEY, LEVEL_KEY = "_trang_thai", "_cap"  # hidden columns
EXPECTED_KEY, RULES_KEY = "_phai_nop", "_loi_ma"  # hidden columns (layout 3)
HIDDEN = (STATUS_KEY, LEVEL_KEY, EXPECTED_KEY, RULES_KEY)
TITLE_ROW, STATE_ROW, CODES_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 4, 5
LAYOUT1_TOTAL = "TONG"
STATUSES = ("on_time", "late", "unknown_time", "missing", "rejected")
REPORTED = (None, "on_time", "late", "unknown_time")
RED, AMBER, GREY = "FFC7CE", "FFEB9C", "F2F2F2"
FORMATS = {"count": "#,##0", "money": "#,##0.000", "decimal": "#,##0.00", "percent": "0.00"}
_KINDS = {"integer": "count", "money": "money", "decimal": "decimal", "percent": "percent"}
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_COMMENTS_PART, _VML_PART = "xl/comments/comment_tong_hop.xml", "xl/drawings/vmlDrawing_tong_hop.vml"


@dataclass
class UnitRow:
    code: str
    name: str
    status: str | None = None
    days_late: int | None = None
    level: str | None = None
    errors: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    expected: bool | None = None  # in the office's list of units (None: the layout did not record it)
    rules: list[str] = field(default_factory=list)  # the rules its own report fails (errors), by code

    @property
    def reported(self) -> bool:
        return self.status in REPORTED


@dataclass
class SummaryTable:
    layout: int
    rows: list[UnitRow]

    @property
    def units_listed(self) -> bool | None:
        """Whether the merge had the office's list of units (``--units``); None when the layout
        does not record it (before 3). Every unit of the list has a row, so a list gives a row
        marked expected."""
        if self.layout < 3:
            return None
        return any(r.expected for r in self.rows)

    @property
    def reported(self) -> list[UnitRow]:
        return [r for r in self.rows if r.reported]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # code | name | status | days | errors | count | money | decimal | percent | hidden
    aggregate: str | None = None  # sum | same | max for a field's column
    width: float = 12


@dataclass
class Note:
    """A remark on a cell: shown as the cell's note, the cell coloured by its importance."""

    importance: str  # error | warning | info
    text: str


def value_columns(definition: ReportDefinition) -> list[Column]:
    """The fields added up by the merge and the ratios, in the definition's order (worked out
    once per definition: asked for every unit of a merge)."""
    return per_object(definition, "summary_value_columns", lambda: tuple(_value_columns(definition)))


def _column(f) -> Column:
    return Column(f.code, f"{f.label} ({f.unit})" if f.unit else f.label, _KINDS[f.type], f.aggregate)


def _value_columns(definition: ReportDefinition) -> list[Column]:
    cols = [_column(f) for f in definition.fields() if f.type in _KINDS and f.aggregate in ("sum", "same", "max")]
    cols += [Column(r.code, f"{r.label} (%)", "percent") for r in definition.ratios]
    return cols


def unit_columns(definition: ReportDefinition) -> list[Column]:
    """The figures each unit reports that the merge does not add up (``aggregate: none`` numbers
    the unit types, a typed percentage say), but a ratio's typed twin (the ratio has its column)."""
    return per_object(definition, "summary_unit_columns", lambda: tuple(_unit_columns(definition)))


def _unit_columns(definition: ReportDefinition) -> list[Column]:
    typed = {r.typed for r in definition.ratios if r.typed}
    return [_column(f) for f in definition.fields()
            if f.type in _KINDS and f.aggregate == "none" and f.is_input and f.code not in typed]


def shown_columns(definition: ReportDefinition) -> list[Column]:
    """Tổng hợp's value columns: the fields (added up or per unit) in the definition's order, then the ratios."""
    return per_object(definition, "summary_shown_columns", lambda: tuple(_shown_columns(definition)))


def _shown_columns(definition: ReportDefinition) -> list[Column]:
    keys = {c.key for c in value_columns(definition)} | {c.key for c in unit_columns(definition)}
    fields = [_column(f) for f in definition.fields() if f.code in keys]
    return fields + [Column(r.code, f"{r.label} (%)", "percent") for r in definition.ratios]


def columns(definition: ReportDefinition) -> list[Column]:
    labels = ui("merge.summary_columns")
    return [Column(CODE_KEY, labels["code"], "code", width=9), Column(NAME_KEY, labels["name"], "name", width=26),
            Column(STATUS_LABEL_KEY, labels["status"], "status", width=13),
            Column(DAYS_KEY, labels["days_late"], "days", width=7), Column(ERRORS_KEY, labels["errors"], "errors",
                                                                            width=7),
            *shown_columns(definition), *(Column(key, key, "hidden") for key in HIDDEN)]


# --------------------------------------------------------------------------- styles
_FONTS = [
    '<font><b val="1"/><sz val="11"/><name val="Times New Roman"/></font>',
    '<font><b val="1"/><sz val="13"/><name val="Times New Roman"/></font>',
    '<font><sz val="11"/><name val="Times New Roman"/></font>',
    '<font><sz val="11"/><color rgb="FF808080"/><name val="Times New Roman"/></font>',
    '<font><sz val="8"/><color rgb="FF808080"/><name val="Consolas"/></font>',
]
_FILLS = [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/></patternFill></fill>'
          for c in (GREY, RED, AMBER)]
_WRAP = '<alignment horizontal="center" vertical="center" wrapText="1"/>'
_LEFT = '<alignment vertical="top" wrapText="1"/>'
_FILL = {"error": 1, "warning": 2, "info": 2}


def _style_table() -> dict[str, dict]:
    table: dict[str, dict] = {
        "title": {"font": 1}, "state": {"font": 2, "align": _LEFT}, "codes": {"font": 4},
        "header": {"font": 0, "fill": 0, "align": _WRAP}, "text": {"font": 2}, "grey": {"font": 3, "fill": 0},
        "total_label": {"font": 0}, "flag": {"font": 2, "fill": 2, "align": _LEFT},
        "whole": {"font": 2, "format": "0"}, "whole_grey": {"font": 3, "fill": 0, "format": "0"},
    }
    for status, fill in (("on_time", None), ("late", 2), ("unknown_time", 2), ("missing", 1), ("rejected", 1)):
        table[f"status_{status}"] = {"font": 2 if fill != 1 else 3, "fill": fill}
    for kind, fmt in FORMATS.items():
        table[kind] = {"font": 2, "format": fmt}
        table[f"{kind}_grey"] = {"font": 3, "fill": 0, "format": fmt}
        table[f"{kind}_total"] = {"font": 0, "format": fmt}
        for importance, fill in _FILL.items():
            table[f"{kind}_{importance}"] = {"font": 2, "fill": fill, "format": fmt}
            table[f"{kind}_total_{importance}"] = {"font": 0, "fill": fill, "format": fmt}
    return table


def add_styles(writer: PackageWriter) -> dict[str, int]:
    table = _style_table()
    return dict(zip(table, writer.add_styles(_FONTS, _FILLS, list(table.values())), strict=True))


# --------------------------------------------------------------------------- writing
def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _letter(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _worst(notes: list[Note]) -> str:
    return min((n.importance for n in notes), key=lambda i: {"error": 0, "warning": 1, "info": 2}[i])


def write(writer: PackageWriter, definition: ReportDefinition, rows: list[UnitRow], *, title: str, state: str,
          totals: dict[str, Any], notes: dict[tuple[str, str], list[Note]] | None = None,
          total_notes: dict[str, list[Note]] | None = None, excluded: dict[str, set[str]] | None = None,
          flags: list[str] | None = None, protection_hash: str | None = None) -> int:
    """Add Tổng hợp to ``writer`` (after its other sheets); returns the sheet's position.

    ``rows`` in the order shown (by code); ``totals``: the total of every column (a ``sum`` column
    is written as a formula over the rows, blank when its total is None); ``notes``: by (unit code, column
    key); ``total_notes``: by column key; ``excluded``: column key -> unit codes whose value the
    total leaves out (``--exclude-implausible``); ``flags``: remarks listed under the table."""
    notes, total_notes, excluded = notes or {}, total_notes or {}, excluded or {}
    st = add_styles(writer)
    cols = columns(definition)
    index = {c.key: i for i, c in enumerate(cols, start=1)}
    status_labels = ui("merge.unit_status")
    grid: list[list[Any]] = [[title], [state], [c.key for c in cols], [c.label for c in cols]]
    values = cols[5:-len(HIDDEN)]
    # a style per column; a greyed row (missing, rejected) by its row style; exceptions per cell
    column_styles = {1: st["text"], 2: st["text"], 3: st["text"], 4: st["whole"], 5: st["whole"]}
    column_styles.update({index[c.key]: st[c.kind] for c in values})
    cell_styles: dict[tuple[int, int], int] = {}
    row_styles: dict[int, int] = {}
    comments: dict[str, str] = {}
    row_of: dict[str, int] = {}
    for r, unit in enumerate(rows, start=FIRST_ROW):
        row_of[unit.code] = r
        shown = unit.status in REPORTED
        line: list[Any] = [unit.code, unit.name, status_labels.get(unit.status or "", ""),
                           unit.days_late if unit.status == "late" else (0 if unit.status == "on_time" else None),
                           unit.errors if shown else None]
        if shown:
            got = unit.values
            line += [_num(got.get(c.key)) for c in values]
        else:
            line += [None] * len(values)
            row_styles[r] = st["grey"]
        line += [unit.status, unit.level, 1 if unit.expected else None, " ".join(unit.rules) or None]
        grid.append(line)
        if unit.status in STATUSES and unit.status != "on_time":
            cell_styles[(r, 3)] = st[f"status_{unit.status}"]
    last = FIRST_ROW + len(rows) - 1
    total_row = last + 1
    count = sum(1 for u in rows if u.status in REPORTED)
    total: list[Any] = [None, ui("merge.totals_label").format(count=count), None, None, None]
    for c in values:
        col = index[c.key]
        if c.aggregate == "sum" and rows and totals.get(c.key) is not None:  # a column nobody filled stays blank
            letter = _letter(col)
            minus = "".join(f"-{letter}{row_of[code]}" for code in sorted(excluded.get(c.key, ())) if code in row_of)
            total.append(("=", f"SUM({letter}{FIRST_ROW}:{letter}{last}){minus}"))
        else:
            total.append(_num(totals.get(c.key)))
        worst = _worst(total_notes[c.key]) if total_notes.get(c.key) else None
        cell_styles[(total_row, col)] = st[f"{c.kind}_total_{worst}" if worst else f"{c.kind}_total"]
        if c.key in total_notes:
            comments[f"{_letter(col)}{total_row}"] = "\n".join(n.text for n in total_notes[c.key])
    grid.append(total)
    cell_styles[(total_row, 2)] = st["total_label"]
    for (code, key), found in notes.items():
        if code in row_of and key in index and found:
            r, col = row_of[code], index[key]
            kind = cols[col - 1].kind
            if kind in FORMATS:
                cell_styles[(r, col)] = st[f"{kind}_{_worst(found)}"]
            comments[f"{_letter(col)}{r}"] = "\n".join(dict.fromkeys(n.text for n in found))
    if flags:
        grid += [[], [ui("merge.flags_title")]]
        for text in flags:
            grid.append([text])
            cell_styles[(len(grid), 1)] = st["flag"]
    widths = {i: c.width for i, c in enumerate(cols, start=1) if c.kind != "hidden"}
    hidden = {i for i, c in enumerate(cols, start=1) if c.kind == "hidden"}
    visible_width = sum(widths.values())
    xml = sheet_xml(grid, widths=widths, hidden_cols=hidden, hidden_rows={CODES_ROW},
                    row_styles={TITLE_ROW: st["title"], STATE_ROW: st["state"], CODES_ROW: st["codes"],
                                HEADER_ROW: st["header"], **row_styles},
                    cell_styles=cell_styles, column_styles=column_styles, freeze=f"F{FIRST_ROW}",
                    protection_hash=protection_hash,
                    fit_width=max(1, round(visible_width / 190)), heights={STATE_ROW: 32, HEADER_ROW: 105},
                    autofilter=f"A{HEADER_ROW}:{_letter(len(cols) - len(HIDDEN))}{max(last, HEADER_ROW)}",
                    merges=[f"A{STATE_ROW}:{_letter(min(12, len(cols)))}{STATE_ROW}"],
                    legacy_drawing_rid="rIdV1" if comments else None,
                    footer="&C" + ui("merge.page_footer"))
    name = ui("merge.summary_sheet")
    rels = _comment_parts(writer, name, comments) if comments else None
    position = writer.add_sheet(name, xml, rels)
    quoted = "'" + name.replace("'", "''") + "'"
    writer.add_defined_name("_xlnm.Print_Titles", f"{quoted}!$A:$C,{quoted}!${CODES_ROW}:${HEADER_ROW}", position)
    writer.add_defined_name("_xlnm._FilterDatabase",
                            f"{quoted}!$A${HEADER_ROW}:${_letter(len(cols) - len(HIDDEN))}${max(last, HEADER_ROW)}",
                            position, hidden=True)
    return position


def _comment_parts(writer: PackageWriter, sheet: str, comments: dict[str, str]) -> str:
    """The notes' parts (comments and their legacy VML shapes, which Excel needs to show them),
    written by openpyxl once; returns the sheet's relationships."""
    import openpyxl
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    author = ooxml_escape(ui("note_author"))
    for ref, text in comments.items():  # openpyxl escapes entities itself, not control characters
        ws[ref].comment = Comment(ooxml_escape(text[:2000]), author, width=320, height=110)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        names = zf.namelist()
        comments_xml = zf.read(next(n for n in names if n.startswith("xl/comments")))
        vml = zf.read(next(n for n in names if n.endswith(".vml")))
    writer.add_part(_COMMENTS_PART, comments_xml,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml")
    writer.add_default_type("vml", "application/vnd.openxmlformats-officedocument.vmlDrawing")
    writer.add_part(_VML_PART, vml)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rIdC1" Type="{xml_attr(_RELS)}/comments" Target="/{xml_attr(_COMMENTS_PART)}"/>'
            f'<Relationship Id="rIdV1" Type="{xml_attr(_RELS)}/vmlDrawing" Target="/{xml_attr(_VML_PART)}"/>'
            '</Relationships>')


# --------------------------------------------------------------------------- reading
def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return value


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def layout_of(meta: dict[str, Any]) -> int:
    try:
        return int(float(str(meta.get(META_KEY) or 1)))
    except ValueError:
        return 1


def read_rows(book) -> SummaryTable:
    """The unit rows of a summary's Tổng hợp (a python-calamine workbook, already checked by the
    pre-flight); empty when the workbook has no such sheet."""
    from ..workbook.grid import sheet_grid
    from ..workbook.layout import META_SHEET
    from ..workbook.reader import read_meta_grid

    names = list(book.sheet_names)
    meta = read_meta_grid(sheet_grid(book, META_SHEET)) if META_SHEET in names else {}
    sheet = ui("merge.summary_sheet")
    return read_grid(sheet_grid(book, sheet) if sheet in names else [], layout_of(meta))


def read_grid(grid: list[list[Any]], layout: int) -> SummaryTable:
    """The unit rows of Tổng hợp's cells (``grid``, row 1 first) in the given layout."""
    first = FIRST_ROW if layout >= 2 else CODES_ROW + 1
    if len(grid) < first:
        return SummaryTable(layout, [])
    codes = [_text(c) for c in grid[CODES_ROW - 1]]
    rows = []
    for line in grid[first - 1:]:
        record = {c: v for c, v in zip(codes, line, strict=False) if c}
        code = _text(record.get(CODE_KEY))
        if not code or (layout == 1 and code == LAYOUT1_TOTAL):
            break
        rows.append(_unit_row(record, code, layout))
    return SummaryTable(layout, rows)


def _unit_row(record: dict[str, Any], code: str, layout: int) -> UnitRow:
    status = _text(record.get(STATUS_KEY)) or None
    status = status if status in STATUSES else None
    days = _number(record.get(DAYS_KEY))
    errors = _number(record.get(ERRORS_KEY))
    values = {k: _number(v) for k, v in record.items() if k not in (CODE_KEY, NAME_KEY) and not k.startswith("_")}
    if status in ("missing", "rejected"):
        values = {k: None for k in values}
    late = int(days) if days is not None and status == "late" else (0 if status == "on_time" else None)
    expected = _number(record.get(EXPECTED_KEY)) == 1 if layout >= 3 else None
    return UnitRow(code, _text(record.get(NAME_KEY)), status, late, _text(record.get(LEVEL_KEY)) or None,
                   int(errors) if errors is not None else None, values, expected,
                   _text(record.get(RULES_KEY)).split())


def read_file(path: Path, raw: bytes | None = None) -> SummaryTable:
    """``read_rows`` of a summary file, through the same pre-flight and limits as every read: the
    meta sheet's and the Tổng hợp sheet's extent is checked before python-calamine builds their
    grids (a far cell would make it allocate the whole grid and abort the process)."""
    from ..errors import CchcError
    from ..workbook import safety
    from ..workbook.grid import _calamine
    from ..workbook.layout import META_SHEET

    path = Path(path)
    pre = safety.preflight(path, raw)
    try:
        sheets = (META_SHEET, ui("merge.summary_sheet"))
        for name in sheets:
            if pre.sheet_part(name) is not None:
                pre.scan_sheet(name)
        book = _calamine(pre)
        unseen = [n for n in sheets if n in book.sheet_names and pre.sheet_part(n) is None]
        if unseen:  # never parse a sheet that was not checked first
            raise CchcError("workbook_xml_damaged", file=path, where=ui("words.workbook_part"),
                            detail=ui_text("words.sheet_not_in_workbook_xml", sheet=unseen[0]))
        return read_rows(book)
    finally:
        pre.close()


PORT_BLOCK = 500  # rows read at a time through a workbook port: one round trip for most summaries


def read_port(port, meta: dict[str, Any]) -> SummaryTable:
    """``read_rows`` through a workbook port (the ribbon's open summary; ``meta``: its _meta sheet):
    the codes row, then blocks of rows until a row without a code — round trips grow with the number
    of units in blocks of ``PORT_BLOCK``, never with the number of fields."""
    layout = layout_of(meta)
    sheet = ui("merge.summary_sheet")
    if sheet not in port.sheet_names():
        return SummaryTable(layout, [])
    head = port.read_sheet(sheet, FIRST_ROW - 1, 2000)
    codes = head[CODES_ROW - 1] if len(head) >= CODES_ROW else []
    width = max((i + 1 for i, c in enumerate(codes) if _text(c)), default=1)
    rows = port.read_sheet(sheet, FIRST_ROW - 1 + PORT_BLOCK, width)
    while len(rows) >= FIRST_ROW - 1 + PORT_BLOCK and _text((rows[-1] or [None])[0]):
        rows = port.read_sheet(sheet, len(rows) + PORT_BLOCK, width)
    return read_grid(rows, layout)
