"""The report as a Word document in the NĐ 30/2020 layout (python-docx).

A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm; Times New Roman; the header as
a borderless two-column table (issuing body | quốc hiệu and tiêu ngữ; Số | place and date);
the short rules under the body's name, the tiêu ngữ and the subject are paragraph borders
narrowed by indents; body paragraphs justified with a first-line indent and 6 pt after; Nơi
nhận and the signature side by side in a second borderless table; page numbers centred at the
top from page 2.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..workbook.build import write_atomic
from .. import metrics
from .model import Report
from .text import kinh_gui_lines

FONT = "Times New Roman"
PAGE_W_CM = 21.0
LEFT_CM, RIGHT_CM = 3.0, 1.5
TEXT_CM = PAGE_W_CM - LEFT_CM - RIGHT_CM  # 16,5 cm
HEADER_COLS_CM = (6.0, 10.5)
SIGN_COLS_CM = (8.0, 8.5)
CELL_PAD_CM = 0.19  # Word's default left and right cell margins
BODY_PT = 14
RED = (0xC0, 0x00, 0x00)


def _set_fonts(run, size: float, bold: bool = False, italic: bool = False, color=None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    if color:
        run.font.color.rgb = RGBColor(*color)
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _para(container, text: str = "", size: float = BODY_PT, bold: bool = False, italic: bool = False,
          align: str = "center", before: float = 0, after: float = 0, indent_first: float | None = None,
          color=None, keep_next: bool = False, line: float | None = None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    p = container.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT,
                     "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = line if line is not None else 1.0
    if indent_first is not None:
        fmt.first_line_indent = Cm(indent_first)
    fmt.keep_with_next = keep_next
    if text:
        _set_fonts(p.add_run(text), size, bold, italic, color)
    return p


def _rule(container, width_cm: float, box_cm: float, before: float = 5, after: float = 2) -> None:
    """A short solid line of ``width_cm``, centred in a box ``box_cm`` wide (a paragraph's top border)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    p = _para(container, "", size=2, before=before, after=after)
    side = max((box_cm - width_cm) / 2, 0)
    p.paragraph_format.left_indent = Cm(side)
    p.paragraph_format.right_indent = Cm(side)
    ppr = p._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    ppr.append(borders)
    p.paragraph_format.line_spacing = Pt(2)


def _borderless(table, widths_cm: tuple[float, ...]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False
    tbl = table._tbl
    tpr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tpr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tpr.append(layout)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    for col, width in zip(table.columns, widths_cm):
        col.width = Cm(width)


def _cell(table, row: int, col: int):
    cell = table.cell(row, col)
    # a new cell holds one empty paragraph: drop it so the cell holds only ours
    for p in list(cell.paragraphs):
        p._element.getparent().remove(p._element)
    return cell


def _page_number_header(section) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section.different_first_page_header_footer = True
    header = section.header
    p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    p.paragraph_format.alignment = 1  # centre
    run = p.add_run()
    _set_fonts(run, 13)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)


def build_document(report: Report):
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin, section.right_margin = Cm(LEFT_CM), Cm(RIGHT_CM)
    section.header_distance = section.footer_distance = Cm(1.0)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _page_number_header(section)
    body = doc.paragraphs[0]._element if doc.paragraphs else None
    if body is not None:
        body.getparent().remove(body)

    for block in report.warnings:
        p = _para(doc, block.text, size=12, bold=True, align="justify", after=3, color=RED)
        _shade(p, "FFC7CE")
    if report.warnings:
        _para(doc, "", size=6)

    h = report.header
    table = doc.add_table(rows=2, cols=2)
    _borderless(table, HEADER_COLS_CM)
    left = _cell(table, 0, 0)
    box_pt = (HEADER_COLS_CM[0] - 2 * CELL_PAD_CM) / 2.54 * 72 - 2
    if h.co_quan_chu_quan:
        for part in metrics.balanced_lines(h.co_quan_chu_quan, box_pt, 12):
            _para(left, part, size=12)
    name_size = _fit_size(h.co_quan, box_pt, (13, 12), bold=True)  # NĐ 30: 12–13 pt
    for line in h.co_quan:
        for part in metrics.balanced_lines(line, box_pt, name_size, True):
            _para(left, part, size=name_size, bold=True)
    name_cm = max((metrics.text_width(x, name_size, True) for x in h.co_quan), default=100) / 72 * 2.54
    _rule(left, min(max(name_cm / 3, 1.5), 3.0), HEADER_COLS_CM[0] - 2 * CELL_PAD_CM)
    right = _cell(table, 0, 1)
    _para(right, h.quoc_hieu, size=13, bold=True)
    _para(right, h.tieu_ngu, size=14, bold=True)
    motto_cm = metrics.text_width(h.tieu_ngu, 14, True) / 72 * 2.54
    _rule(right, motto_cm, HEADER_COLS_CM[1] - 2 * CELL_PAD_CM)
    _para(_cell(table, 1, 0), h.so_ky_hieu, size=13, before=4)
    date_box = (HEADER_COLS_CM[1] - 2 * CELL_PAD_CM) / 2.54 * 72 - 2
    _para(_cell(table, 1, 1), h.dia_danh_ngay, size=_fit_size([h.dia_danh_ngay], date_box, (14, 13, 12)), italic=True,
          before=4)

    _para(doc, report.title, size=14, bold=True, before=18, keep_next=True)
    _para(doc, report.trich_yeu, size=14, bold=True, keep_next=True)
    subject_cm = min(metrics.text_width(report.trich_yeu, 14, True) / 72 * 2.54, TEXT_CM) / 3
    _rule(doc, max(subject_cm, 3.0), TEXT_CM, before=5, after=8)
    kg = kinh_gui_lines(report)
    if len(kg) == 1:
        _para(doc, kg[0], size=14, after=6)
    elif kg:  # "Kính gửi:" then the addressees one under another, aligned after the label
        label_cm = metrics.text_width(kg[0], 14) / 72 * 2.54 + 0.3
        items = kg[1:]
        for i, line in enumerate(items):
            p = _para(doc, f"{kg[0]}\t{line}" if i == 0 else line, size=14, align="left",
                      after=0 if i < len(items) - 1 else 6)
            p.paragraph_format.left_indent = Cm(3.5 + label_cm)
            if i == 0:
                p.paragraph_format.first_line_indent = Cm(-label_cm)
                p.paragraph_format.tab_stops.add_tab_stop(Cm(3.5 + label_cm))
    for block in report.body:
        heading = block.kind == "heading"
        _para(doc, block.text, size=BODY_PT, bold=heading, italic=heading and block.level >= 3,
              align="left" if heading else "justify", after=6, indent_first=1.27, keep_next=heading, line=1.1)
    _para(doc, report.closing, size=BODY_PT, align="justify", after=6, indent_first=1.27, keep_next=True, line=1.1)

    sign = doc.add_table(rows=1, cols=2)
    _borderless(sign, SIGN_COLS_CM)
    row = sign.rows[0]
    _cant_split(row)
    left = _cell(sign, 0, 0)
    _para(left, report.recipients_label, size=12, bold=True, italic=True, align="left", before=6)
    for item in report.recipients:
        _para(left, item, size=11, align="left")
    right = _cell(sign, 0, 1)
    for i, line in enumerate(report.signature):
        _para(right, line, size=14, bold=True, before=6 if i == 0 else 0)
    for _ in range(4):
        _para(right, "", size=14)
    _para(right, report.signer, size=14, bold=True)
    return doc


def _fit_size(lines: list[str], box_pt: float, sizes: tuple[float, ...], bold: bool = False) -> float:
    """The largest of ``sizes`` at which every line fits on one line of the box (else the smallest)."""
    for size in sizes:
        if all(metrics.text_width(x, size, bold) <= box_pt * 0.95 for x in lines):
            return size
    return sizes[-1]


def _shade(paragraph, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    paragraph._element.get_or_add_pPr().append(shd)


def _cant_split(row) -> None:
    from docx.oxml import OxmlElement

    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


def write_docx(report: Report, path: Path | str) -> Path:
    """Write the report as a .docx (atomically: never a half-written file)."""
    target = Path(path)
    buf = io.BytesIO()
    build_document(report).save(buf)
    write_atomic(target, buf.getvalue())
    return target
