"""The Báo cáo sheet: the report inside the workbook, laid out like a signed NĐ 30/2020 document.

The 16,5 cm line is cut into columns at every edge the layout needs (``Geometry``): the header's
left block (issuing body, one cell over the header rows) and right block (quốc hiệu, tiêu ngữ),
and the short rules under the body's name, the tiêu ngữ and the subject, drawn as top borders of
the cells they span so that each is centred where it belongs. Body paragraphs are merged across
the line, wrapped and justified (Excel has no first-line indent: the .docx has it); every row gets
the height its text needs (neither Excel nor LibreOffice grows a merged cell), A4 portrait, NĐ 30
margins, page numbers from page 2.

Page breaks are left to Excel (no manual break: a break placed from estimated heights lands
elsewhere on another printer and leaves half-empty pages). Excel never splits a row across pages
and has no "keep with next", so what must stay together shares a row: a heading (or a run of
headings) and the block after it are one cell, the headings bold (rich text); Nơi nhận and the
signature with the signer's name are one row.

Values go through the workbook port in one ``write_sheet``; the openpyxl adapter then gets
the rich formatting on ``port.book``; the xlwings adapter a few grouped formatting calls.
A digest of the sheet's text in the meta sheet tells later runs whether the clerk edited the
sheet by hand (``needs_confirmation``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from openpyxl.utils import get_column_letter

from .. import metrics
from ..errors import CchcError
from ..ui import ui
from ..workbook.layout import META_KEYS, META_SHEET
from ..workbook.port import WorkbookPort, activate, com_page_setup, ranges
from ..workbook.reader import WorkbookData, read_meta_grid
from .model import Block, Report
from .text import kinh_gui_lines

log = logging.getLogger("cchc.narrative")

MAX_COLS = 12  # the layout cuts at most 10 columns; readers look a little further
LEFT_CM = 6.0  # issuing body's column of the header table (at least)
TEXT_CM = 16.5  # A4 210 mm − 30 mm − 15 mm
LINE = 1.17  # line height as a multiple of the font size
PAD = 3.0  # points added to a row beyond its lines
AFTER = 4.0  # points after a body paragraph (NĐ 30: at least 6 pt; rows add their own padding)
RULE_GAP = 5.0  # points between a line of text and the rule drawn under it
# Share of a row's width the text may fill when rows are sized. Excel lays text out in whole
# screen pixels (Times New Roman letters round up by 3–4 %), so the workbook keeps a margin.
FIT_EXCEL = 0.95
LO_PT_PER_CHAR = 5.5  # LibreOffice: a width unit is one Times New Roman digit at 11 pt (7,33 px), no padding
FONT = "Times New Roman"
DIGEST_VERSION = "v1"

STYLES: dict[str, dict[str, Any]] = {
    "warning": {"size": 12, "bold": True, "color": "C00000", "h": "justify", "fill": "FFC7CE"},
    "chu_quan": {"size": 12, "h": "center"},
    "co_quan": {"size": 12, "bold": True, "h": "center"},
    "quoc_hieu": {"size": 12, "bold": True, "h": "center"},
    "tieu_ngu": {"size": 13, "bold": True, "h": "center"},
    "number": {"size": 13, "h": "center"},
    "date_line": {"size": 13, "italic": True, "h": "center"},
    "title": {"size": 14, "bold": True, "h": "center"},
    "subject": {"size": 14, "bold": True, "h": "center"},
    "addressee": {"size": 14, "h": "center"},
    "addressee_label": {"size": 14, "h": "right"},
    "addressee_item": {"size": 14, "h": "left"},
    "h1": {"size": 13, "bold": True, "h": "left"},
    "h2": {"size": 13, "bold": True, "h": "left"},
    "h3": {"size": 13, "bold": True, "italic": True, "h": "left"},
    "p": {"size": 13, "h": "justify"},
    "li": {"size": 13, "h": "justify"},
    "recipients_label": {"size": 12, "bold": True, "italic": True, "h": "left"},
    "recipients": {"size": 11, "h": "left"},  # the Nơi nhận block: one cell, label then entries
    "sig": {"size": 13, "bold": True, "h": "center"},
}


@dataclass
class Part:
    first: int  # first column (1-based)
    last: int  # last column
    text: str
    style: str
    down: int = 0  # rows merged below this one
    lines: list[str] | None = None  # a style per line of ``text`` (headings sharing a cell with a paragraph)


@dataclass
class Row:
    parts: list[Part] = field(default_factory=list)
    rules: list[int] = field(default_factory=list)  # columns whose top border is drawn
    height: float = 0.0
    space: float = 0.0  # extra points below the text
    fixed: bool = False  # height set by the layout, not by its parts


@dataclass
class SheetLayout:
    rows: list[Row]
    widths_cm: list[float]
    chu_quan: bool = False  # the header's first line is the superior body (not bold)

    @property
    def ncols(self) -> int:
        return len(self.widths_cm)

    @property
    def widths_chars(self) -> dict[int, float]:
        return {i + 1: cm_to_chars(cm) for i, cm in enumerate(self.widths_cm)}

    def grid(self) -> list[list[Any]]:
        out = []
        for row in self.rows:
            values: list[Any] = [None] * self.ncols
            for part in row.parts:
                values[part.first - 1] = part.text
            out.append(values)
        return out


def to_pixels(points: float) -> float:
    """A row height Excel keeps as it is: whole screen pixels (0,75 pt), rounded up."""
    return math.ceil(round(points / 0.75, 3)) * 0.75


def chars_to_pt(chars: float) -> float:
    return (chars * 7 + 5) * 0.75


def cm_to_chars(cm: float) -> float:
    """Excel column width (characters of the default 11 pt font: 7 px + 5 px padding at 96 dpi)."""
    pixels = cm / 2.54 * 96
    return round(max(pixels - 5, 0) / 7, 2)


def _cm(text: str, style: str) -> float:
    s = STYLES[style]
    return metrics.text_width(text, s["size"], s.get("bold", False)) / 72 * 2.54


class Geometry:
    """Where things sit across the 16,5 cm line, in cm; the columns are cut at every edge used.

    The header's left block is 6 cm (wider, up to 7,5 cm, when the body's name would wrap); the
    rule under the body's name is a third of the name, centred in the left block; the tiêu ngữ's
    rule is as wide as the tiêu ngữ, centred over the right block; the subject's rule is a third
    of the subject line, centred on the page; Nơi nhận takes the left half of the signature area.
    """

    def __init__(self, report: Report) -> None:
        h = report.header
        names = list(h.co_quan) + ([h.co_quan_chu_quan] if h.co_quan_chu_quan else [])
        widest = max((_cm(x, "co_quan") for x in names), default=4.0)
        room = TEXT_CM - _cm(h.quoc_hieu, "quoc_hieu") - 0.9  # quốc hiệu keeps to one line
        self.left = min(max(LEFT_CM, widest / FIT_EXCEL + 0.3), max(room, LEFT_CM))
        own = max((_cm(x, "co_quan") for x in h.co_quan), default=4.0)
        rule = min(max(own / 3, 1.5), 3.0)
        self.name_rule = ((self.left - rule) / 2, (self.left + rule) / 2)
        motto = min(max(_cm(h.tieu_ngu, "tieu_ngu") + 0.1, 3.0), TEXT_CM - self.left - 0.4)
        centre = (self.left + TEXT_CM) / 2
        self.motto_rule = (centre - motto / 2, centre + motto / 2)
        subject = min(max(min(_cm(report.trich_yeu, "subject"), TEXT_CM) / 3, 3.0), 6.0)
        self.subject_rule = (TEXT_CM / 2 - subject / 2, TEXT_CM / 2 + subject / 2)
        self.sign = TEXT_CM / 2
        edges = {0.0, TEXT_CM, self.left, self.sign, *self.name_rule, *self.motto_rule, *self.subject_rule}
        cuts = sorted(round(x, 2) for x in edges)
        self.edges = []
        for x in cuts:  # edges closer than 3 mm are one edge (a rule 3 mm longer is not seen)
            if not self.edges or x - self.edges[-1] > 0.3:
                self.edges.append(x)
            elif x == TEXT_CM:
                self.edges[-1] = x

    @property
    def widths(self) -> list[float]:
        return [b - a for a, b in zip(self.edges, self.edges[1:], strict=False)]  # pairs of neighbours

    def col(self, x: float) -> int:
        """The 1-based column that starts at ``x`` cm."""
        return min(range(len(self.edges)), key=lambda i: abs(self.edges[i] - x)) + 1

    def span(self, a: float, b: float) -> tuple[int, int]:
        return self.col(a), self.col(b) - 1

    def cols(self, a: float, b: float) -> list[int]:
        first, last = self.span(a, b)
        return list(range(first, last + 1))


def _text_height(text: str, width_pt: float, size: float, bold: bool, fit: float) -> float:
    lines = metrics.wrap_lines(text, (width_pt - 5) * fit, size, bold)
    return lines * size * LINE + PAD


def _part_lines(part: Part, widths_pt: list[float]) -> float:
    width = sum(widths_pt[part.first - 1: part.last])
    if part.lines:  # the lines follow one another in the cell: one padding for the whole cell
        return PAD + sum(_text_height(text, width, STYLES[st]["size"], STYLES[st].get("bold", False), FIT_EXCEL) - PAD
                         for text, st in zip(part.text.split("\n"), part.lines, strict=True))
    style = STYLES[part.style]
    return _text_height(part.text, width, style["size"], style.get("bold", False), FIT_EXCEL)


def _groups(blocks: list) -> list[list]:
    """The body in cells: a run of headings with the block after it share one cell (Excel keeps a
    row on one page, so a heading never ends a page); every other block has its own."""
    out: list[list] = []
    i = 0
    while i < len(blocks):
        group = [blocks[i]]
        i += 1
        if group[0].kind == "heading":
            while i < len(blocks) and blocks[i].kind == "heading":
                group.append(blocks[i])
                i += 1
            if i < len(blocks):
                group.append(blocks[i])
                i += 1
        out.append(group)
    return out


def _style_of(block) -> str:
    return {"heading": f"h{min(block.level, 3)}", "list_item": "li"}.get(block.kind, "p")


def build_layout(report: Report) -> SheetLayout:
    geo = Geometry(report)
    widths = geo.widths
    widths_pt = [w / 2.54 * 72 for w in widths]
    n = len(widths)
    full = (1, n)
    left_block = geo.span(0, geo.left)
    right_block = geo.span(geo.left, TEXT_CM)
    rows: list[Row] = []
    h = report.header

    def spacer(points: float) -> None:
        rows.append(Row(height=points))

    for block in report.warnings:
        rows.append(Row([Part(*full, block.text, "warning")], space=2))
    if report.warnings:
        spacer(8)
    # The issuing body is one cell over the header rows (its name may wrap); quốc hiệu and tiêu ngữ
    # have a row each, then the rules: each sits just under its own text.
    left_pt = sum(widths_pt[left_block[0] - 1: left_block[1]])
    names = [part for x in h.co_quan
             for part in metrics.balanced_lines(x, (left_pt - 5) * FIT_EXCEL, STYLES["co_quan"]["size"], True)]
    body_text = "\n".join(([h.co_quan_chu_quan] if h.co_quan_chu_quan else []) + names)
    lines = [(h.co_quan_chu_quan, "chu_quan")] if h.co_quan_chu_quan else []
    lines += [(x, "co_quan") for x in names]
    body_h = PAD + sum(metrics.wrap_lines(t, (left_pt - 5) * FIT_EXCEL, STYLES[st]["size"], True)
                       * STYLES[st]["size"] * LINE for t, st in lines)
    top = [Row([Part(*right_block, h.quoc_hieu, "quoc_hieu")]),
           Row([Part(*right_block, h.tieu_ngu, "tieu_ngu")], space=RULE_GAP)]
    for row in top:
        row.height = max(_part_lines(p, widths_pt) for p in row.parts) + row.space
    fixed = sum(r.height for r in top)
    if body_h + RULE_GAP <= fixed:
        top.append(Row(rules=geo.cols(*geo.motto_rule) + geo.cols(*geo.name_rule), height=6, fixed=True))
    else:
        top.append(Row(rules=geo.cols(*geo.motto_rule), height=body_h + RULE_GAP - fixed, fixed=True))
        top.append(Row(rules=geo.cols(*geo.name_rule), height=6, fixed=True))
    for row in top:
        row.fixed = True
    top[0].parts.insert(0, Part(*left_block, body_text, "co_quan", down=len(top) - 2))
    rows += top
    rows.append(Row([Part(*left_block, h.so_ky_hieu, "number"), Part(*right_block, h.dia_danh_ngay, "date_line")]))
    spacer(10)
    rows.append(Row([Part(*full, report.title, "title")]))
    rows.append(Row([Part(*full, report.trich_yeu, "subject")], space=RULE_GAP))
    rows.append(Row(rules=geo.cols(*geo.subject_rule), height=8))
    kg = kinh_gui_lines(report)
    if len(kg) == 1:
        rows.append(Row([Part(*full, kg[0], "addressee")]))
    elif kg:
        label_at = geo.span(geo.name_rule[0], geo.left)
        for i, item in enumerate(kg[1:]):
            row = Row([Part(*right_block, item, "addressee_item")])
            if i == 0:
                row.parts.insert(0, Part(*label_at, kg[0] + "\u00a0", "addressee_label"))
            rows.append(row)
    spacer(8)
    for group in _groups(report.body):
        styles = [_style_of(b) for b in group]
        last = "p" if styles[-1] == "li" else styles[-1]
        part = Part(*full, "\n".join(b.text for b in group), last, lines=styles if len(group) > 1 else None)
        rows.append(Row([part], space=AFTER))
    rows.append(Row([Part(*full, report.closing, "p")], space=AFTER + 4))
    for row in rows:
        if row.parts and not row.fixed:
            row.height = max(_part_lines(p, widths_pt) for p in row.parts) + row.space
    rows.append(_tail_row(report, widths_pt, geo))
    for row in rows:
        row.height = to_pixels(row.height)
    return SheetLayout(rows, widths, chu_quan=bool(h.co_quan_chu_quan))


SIGN_SPACE = 4  # empty lines left for the signature and seal


def signature_text(report: Report) -> str:
    """The signature cell: authority and title, room to sign, the signer's name."""
    return "\n".join(list(report.signature) + [""] * SIGN_SPACE + ([report.signer] if report.signer else []))


def _tail_row(report: Report, widths_pt: list[float], geo: Geometry) -> Row:
    """Nơi nhận on the left (label, then the entries), the signature on the right: one row, which
    Excel never splits across pages."""
    sig = STYLES["sig"]
    left_first, left_last = geo.span(0, geo.sign)
    right_first, right_last = geo.span(geo.sign, TEXT_CM)
    block = "\n".join([report.recipients_label] + report.recipients)
    width = sum(widths_pt[left_first - 1: left_last])
    label = STYLES["recipients_label"]
    entry = STYLES["recipients"]
    left = label["size"] * LINE + PAD + sum(
        metrics.wrap_lines(x, (width - 5) * FIT_EXCEL, entry["size"]) * entry["size"] * LINE for x in report.recipients)
    right = (len(report.signature) + SIGN_SPACE + 1) * sig["size"] * LINE + PAD
    return Row([Part(left_first, left_last, block, "recipients"),
                Part(right_first, right_last, signature_text(report), "sig")], height=max(left, right), fixed=True)


# --------------------------------------------------------------------------- digest
def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").strip()
    return text or None


def _hash(grid: list[list[Any]]) -> str:
    h = hashlib.sha256()
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row or [], start=1):
            text = _cell_text(value)
            if text is not None:
                h.update(f"{r}\t{c}\t{text}\n".encode())
    return h.hexdigest()[:40]


def sheet_digest(grid: list[list[Any]]) -> str:
    """``v1:<rows>:<hash of every non-empty cell>``, stored in the meta sheet (key report_digest)."""
    return f"{DIGEST_VERSION}:{len(grid)}:{_hash(grid)}"


def report_sheet_name() -> str:
    return ui("sheets.report")


def needs_confirmation(port: WorkbookPort) -> bool:
    """True when the Báo cáo sheet holds text the tool did not write (edited by hand since)."""
    name = report_sheet_name()
    if name not in port.sheet_names():
        return False
    meta = read_meta_grid(port.read_sheet(META_SHEET, len(META_KEYS), 2))
    stored = str(meta.get("report_digest") or "")
    parts = stored.split(":")
    rows = int(parts[1]) if len(parts) == 3 and parts[0] == DIGEST_VERSION and parts[1].isdigit() else 0
    grid = port.read_sheet(name, max(rows, 200) + 50, MAX_COLS)
    if rows == 0:
        return any(_cell_text(v) for row in grid for v in (row or []))
    return _hash(grid) != parts[2]


def _stored_rows(port: WorkbookPort) -> int:
    meta = read_meta_grid(port.read_sheet(META_SHEET, len(META_KEYS), 2))
    parts = str(meta.get("report_digest") or "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[0] == DIGEST_VERSION and parts[1].isdigit() else 0


# --------------------------------------------------------------------------- reading back
_NUMBERED = re.compile(r"^(?:(?P<roman>[IVXL]+)|(?P<arabic>\d+(?:\.\d+)*))\.\s+\S")


def _guess(text: str) -> tuple[str, int]:
    """The kind and level of a line the clerk added: a numbered line without closing punctuation is a
    heading (I. → 1, 1. → 2, 1.1. → 3), a line starting with - or + a list item, else a paragraph."""
    m = _NUMBERED.match(text)
    if m and not text.rstrip().endswith((".", ";", ":", ",")) and len(text) <= 200:
        return "heading", 1 if m.group("roman") else min(2 + m.group("arabic").count("."), 3)
    if text.startswith(("- ", "+ ")):
        return "list_item", 1 if text[0] == "-" else 2
    return "paragraph", 1


def _body_blocks(lines: list[str], report: Report) -> list[Block]:
    """Lines of the body as blocks: a line the tool wrote keeps its kind and section; a line the
    clerk added or changed is guessed (``_guess``) and belongs to the section before it."""
    known: dict[str, list[Block]] = {}
    for block in report.body:
        known.setdefault(block.text, []).append(block)
    out: list[Block] = []
    section: str | None = None
    for line in lines:
        same = known.get(line)
        if same:
            b = same.pop(0)
            section = b.section
            out.append(Block(b.kind, b.level, line, b.section))
        else:
            kind, level = _guess(line)
            out.append(Block(kind, level, line, section))
    return out


def _names(items: list[str]) -> list[str]:
    out = []
    for item in items:
        text = item.strip()
        if text.startswith("- "):
            text = text[2:]
        out.append(text.rstrip(";.").strip())
    return [x for x in out if x]


def report_from_sheet(port: WorkbookPort, report: Report) -> Report:
    """The report as the Báo cáo sheet says it now (edited by hand): header, warnings, body, closing,
    Nơi nhận and signature read from the sheet's cells (values only, through the port), each part
    found by what it starts with, so rows the clerk inserted or deleted do not matter. ``report`` is
    the report written from the values: what the sheet did not change keeps its structure (the kind
    and section of each block, the header's lines), and the appendices are its own."""
    name = report_sheet_name()
    grid = port.read_sheet(name, max(_stored_rows(port), 200) + 100, MAX_COLS)
    rows = [[(c, t) for c, v in enumerate(row or [], start=1) if (t := _cell_text(v))] for row in grid]
    expected = {(p.style, p.text) for row in build_layout(report).rows for p in row.parts}
    h = report.header
    top = next((i for i, row in enumerate(rows) if any(t == h.quoc_hieu for _c, t in row)), None)
    tail = next((i for i in range(len(rows) - 1, -1, -1)
                 if any(t.startswith(report.recipients_label) for _c, t in rows[i])), None)
    if top is None or tail is None or tail <= top:  # the layout is gone: every text is body
        lines = [ln for row in rows for _c, t in row for ln in t.split("\n") if ln.strip()]
        return replace(report, blocks=_body_blocks(lines, report), from_sheet=True)
    warnings = [Block("warning", 1, t, None) for row in rows[:top] for _c, t in row]
    left = rows[top][0][1] if rows[top][0][0] == 1 else ""
    chu_quan, co_quan = h.co_quan_chu_quan, list(h.co_quan)
    if ("co_quan", left) not in expected and left:
        parts = left.split("\n")
        chu_quan, co_quan = (parts[0], parts[1:]) if h.co_quan_chu_quan and len(parts) > 1 else (None, parts)
    so_prefix = h.so_ky_hieu.split(":")[0] + ":"
    so_row = next((i for i in range(top + 1, tail) if any(t.startswith(so_prefix) for _c, t in rows[i])), None)
    if so_row is None:
        so_row = top
    between = [t for row in rows[top + 1:so_row] for _c, t in row]
    so = next((t for _c, t in rows[so_row] if t.startswith(so_prefix)), h.so_ky_hieu)
    place = next((t for _c, t in rows[so_row] if not t.startswith(so_prefix)), h.dia_danh_ngay)
    header = replace(h, co_quan_chu_quan=chu_quan, co_quan=co_quan, so_ky_hieu=so, dia_danh_ngay=place,
                     tieu_ngu=between[0] if between else h.tieu_ngu)
    rest = [row for row in rows[so_row + 1:tail] if row]
    title = rest[0][0][1] if rest else report.title
    subject = rest[1][0][1] if len(rest) > 1 else report.trich_yeu
    rest = rest[2:]
    kinh_gui = []
    while rest and (rest[0][0][0] > 1 or rest[0][0][1].startswith(report.kinh_gui_label)):
        kinh_gui += [t for _c, t in rest.pop(0)]
    if kinh_gui:
        first = kinh_gui[0].replace("\u00a0", " ").strip()
        items = kinh_gui[1:] if first == report.kinh_gui_label else [first[len(report.kinh_gui_label):]] + kinh_gui[1:]
        kinh_gui = _names(items)
    closing = rest.pop()[0][1] if rest else report.closing
    lines = [ln for row in rest for _c, t in row for ln in t.split("\n") if ln.strip()]
    noi_nhan = next(t for _c, t in rows[tail] if t.startswith(report.recipients_label)).split("\n")
    sign = next((t for c, t in rows[tail] if c > 1 and not t.startswith(report.recipients_label)), "")
    signature, signer = list(report.signature), report.signer
    if sign != signature_text(report):
        sign_lines = sign.split("\n")
        blank = next((i for i, x in enumerate(sign_lines) if not x.strip()), len(sign_lines))
        signature = [x for x in sign_lines[:blank] if x.strip()]
        signer = next((x.strip() for x in reversed(sign_lines[blank:]) if x.strip()), "")
    return replace(report, header=header, title=title, trich_yeu=subject,
                   kinh_gui=kinh_gui,
                   blocks=warnings + _body_blocks(lines, report), closing=closing,
                   recipients=[x for x in noi_nhan[1:] if x.strip()], signature=signature, signer=signer,
                   from_sheet=True)


# --------------------------------------------------------------------------- writing
def write_report_sheet(port: WorkbookPort, data: WorkbookData, report: Report, force: bool = False) -> str:
    """Write (or rewrite) the Báo cáo sheet through the port; returns the digest stored in the meta sheet.

    Refuses with ``report_edited_by_hand`` when the sheet was edited by hand since it was
    written, unless ``force`` (the ribbon asks first with ``needs_confirmation``).
    """
    if not force and needs_confirmation(port):
        raise CchcError("report_edited_by_hand", file=getattr(port, "name", ""), sheet=report_sheet_name())
    layout = build_layout(report)
    grid = layout.grid()
    name = report_sheet_name()
    digest = sheet_digest(grid)
    after = data.definition.sheets[-1].name
    port.unprotect([META_SHEET])
    try:
        port.delete_sheet(name)  # a fresh sheet: no stale merges, heights or breaks of the last run
        port.write_sheet(name, grid, widths=layout.widths_chars, header_rows=1, after=after)
        if _openpyxl_book(port) is not None:
            _format_openpyxl(_openpyxl_book(port), name, layout)
        else:
            _format_xlwings(port, name, layout)
        port.write_cells(META_SHEET, {f"B{data.layout.meta_rows['report_digest']}": digest})
    finally:
        port.protect([META_SHEET])
    activate(port, name)
    return digest


def _openpyxl_book(port: Any):
    from openpyxl import Workbook

    book = getattr(port, "book", None)
    return book if isinstance(book, Workbook) else None


def _format_openpyxl(book, name: str, layout: SheetLayout) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.pagebreak import RowBreak

    ws = book[name]
    ws.freeze_panes = None
    ws.sheet_view.showGridLines = False
    thin = Side(style="thin", color="000000")
    fonts: dict[str, Font] = {}
    for key, s in STYLES.items():
        fonts[key] = Font(name=FONT, size=s["size"], bold=s.get("bold", False), italic=s.get("italic", False),
                          color=s.get("color"))
    blank_font = Font(name=FONT, size=13)
    for r, row in enumerate(layout.rows, start=1):
        for c in range(1, layout.ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = blank_font
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for part in row.parts:
            s = STYLES[part.style]
            if part.last > part.first or part.down:
                ws.merge_cells(start_row=r, start_column=part.first, end_row=r + part.down, end_column=part.last)
            cell = ws.cell(row=r, column=part.first)
            cell.font = fonts[part.style]
            cell.alignment = Alignment(horizontal=s["h"], vertical="top", wrap_text=True)
            if part.style == "recipients":
                cell.value = _noi_nhan_rich(part.text)
            elif part.style == "co_quan" and "\n" in part.text and layout.chu_quan:
                cell.value = _two_styles(part.text, "chu_quan", "co_quan")
            elif part.lines:
                cell.value = _rich_lines(part.text, part.lines)
            if s.get("fill"):
                for c in range(part.first, part.last + 1):
                    ws.cell(row=r, column=c).fill = PatternFill("solid", fgColor="FF" + s["fill"])
        for c in row.rules:
            ws.cell(row=r, column=c).border = Border(top=thin)
        ws.row_dimensions[r].height = row.height
    for col, width in layout.widths_chars.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.print_area = f"A1:{get_column_letter(layout.ncols)}{len(layout.rows)}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    mm = 1 / 25.4
    ws.page_margins = PageMargins(left=30 * mm, right=15 * mm, top=20 * mm, bottom=20 * mm, header=8 * mm,
                                  footer=8 * mm)
    ws.HeaderFooter.differentFirst = True
    ws.oddHeader.center.text = "&P"
    ws.oddHeader.center.font = f"{FONT},Regular"
    ws.oddHeader.center.size = 13
    ws.row_breaks = RowBreak()  # Excel places the page breaks
    book.active = book.sheetnames.index(name)
    for other in book.worksheets:
        other.sheet_view.tabSelected = other.title == name


def _inline(key: str):
    from openpyxl.cell.text import InlineFont

    s = STYLES[key]
    return InlineFont(rFont=FONT, sz=s["size"], b=s.get("bold", False), i=s.get("italic", False))


def _rich_lines(text: str, styles: list[str]):
    """Rich text with a style per line (headings bold, the paragraph after them plain)."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock

    lines = text.split("\n")
    return CellRichText([TextBlock(_inline(st), line + ("\n" if i < len(lines) - 1 else ""))
                         for i, (line, st) in enumerate(zip(lines, styles, strict=True))])


def line_spans(text: str, styles: list[str]) -> list[tuple[int, int, str]]:
    """(start, length, style) of each line of ``text`` that is not in the cell's own style (0-based)."""
    spans, start = [], 0
    for line, style in zip(text.split("\n"), styles, strict=True):
        spans.append((start, len(line), style))
        start += len(line) + 1
    return spans


def _two_styles(text: str, first: str, rest: str):
    """Rich text: the first line in one style, the others in another."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    def font(key: str) -> InlineFont:
        s = STYLES[key]
        return InlineFont(rFont=FONT, sz=s["size"], b=s.get("bold", False), i=s.get("italic", False))

    head, _, tail = text.partition("\n")
    blocks = [TextBlock(font(first), head)]
    if tail:
        blocks.append(TextBlock(font(rest), "\n" + tail))
    return CellRichText(blocks)


def _noi_nhan_rich(text: str):
    """The Nơi nhận label in 12 pt bold italic, the entries in 11 pt (NĐ 30/2020)."""
    return _two_styles(text, "recipients_label", "recipients")


def _format_xlwings(port: Any, name: str, layout: SheetLayout) -> None:
    """A few grouped formatting calls on a live book; values are already written either way."""
    book = getattr(port, "book", None)
    if book is None or not hasattr(book, "sheets"):
        return
    n = len(layout.rows)
    try:
        sheet = book.sheets[name]
        whole = sheet.range((1, 1), (n, layout.ncols))
        whole.font.name = FONT
        whole.font.size = 13
        whole.wrap_text = True
        port.calls += 3
        bold, merges, heights = [], [], {}
        for r, row in enumerate(layout.rows, start=1):
            for part in row.parts:
                ref = f"{get_column_letter(part.first)}{r}:{get_column_letter(part.last)}{r + part.down}"
                if part.last > part.first or part.down:
                    merges.append(ref)
                if STYLES[part.style].get("bold"):
                    bold.append(ref)
            heights.setdefault(round(row.height, 1), []).append(f"A{r}")
        api = getattr(sheet, "api", None)
        com = api is not None and not isinstance(api, (dict, list))

        def groups(refs: list[str]) -> list[str]:
            # COM takes union addresses ("A1:G1,A3:G3"); the remote engine one area per call
            return ranges(refs) if com else refs

        for address in groups(bold):
            sheet.range(address).font.bold = True
            port.calls += 1
        for address in groups(merges):
            sheet.range(address).merge()
            port.calls += 1
        for height, refs in heights.items():
            for address in groups(refs):
                sheet.range(address).row_height = height
                port.calls += 1
        if com:  # page setup has no xlwings API: COM only, one property at a time (no printer: refused)
            port.calls += com_page_setup(sheet, [("PaperSize", 9), ("Orientation", 1),
                                                 ("PrintArea", f"$A$1:${get_column_letter(layout.ncols)}${n}")])
    except Exception:  # formatting is a nicety on a live book; never lose the written values over it
        log.warning(ui("log.report_page_setup"), exc_info=True)
        return
    _headings_xlwings(port, book.sheets[name], layout)


def _headings_xlwings(port: Any, sheet: Any, layout: SheetLayout) -> None:
    """Headings sharing a cell with the paragraph after them, bold (italic at level 3): a
    Characters call per heading line (the calls grow with the outline's headings, not with fields)."""
    try:
        for r, row in enumerate(layout.rows, start=1):
            for part in row.parts:
                if not part.lines:
                    continue
                cell = sheet.range((r, part.first))
                for start, length, style in line_spans(part.text, part.lines):
                    s = STYLES[style]
                    if style == part.style or not length:
                        continue
                    font = cell.characters[start:start + length].font
                    font.bold = bool(s.get("bold"))
                    port.calls += 1
                    if s.get("italic"):
                        font.italic = True
                        port.calls += 1
    except Exception:  # an engine without Characters (the remote one) shows the headings plain
        log.warning(ui("log.report_headings"), exc_info=True)


def libreoffice_widths(ws) -> None:
    """Column widths for LibreOffice, which counts no padding per column: the same centimetres as in
    Excel (the rows keep the heights sized for Excel, a little roomy in LibreOffice, never clipped)."""
    for c in range(1, ws.max_column + 1):
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = round(chars_to_pt(ws.column_dimensions[letter].width or 8.43)
                                                   / LO_PT_PER_CHAR, 2)
