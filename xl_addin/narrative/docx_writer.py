"""The report as a Word document in the NĐ 30/2020 layout (python-docx).

A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm; Times New Roman 14 and Vietnamese
(vi-VN) in the document defaults and on the Normal style, so Word spell-checks Vietnamese and text
typed later is Times New Roman too; the header as a borderless two-column table (issuing body |
quốc hiệu and tiêu ngữ; Số | place and date); the short rules under the body's name, the tiêu ngữ
and the subject are paragraph borders narrowed by indents; the headings of I–V and their items in
Word's own Heading 1–3 styles, restyled to the NĐ 30 look (Word's navigation pane lists them); body
paragraphs justified with a 1,27 cm first-line indent (a paragraph format) and 6 pt after; Nơi nhận
and the signature side by side in a second borderless table, kept with the closing paragraph; page
numbers centred at the top from page 2; then the forms the report cites, each on landscape pages.

The tool's own files carry a custom document property (``cchc_body_digest``) with a digest of the
body as written: ``docx_state`` tells a file the tool wrote and nobody changed from one edited by
hand (or not written by the tool), which is never overwritten without asking (``check_overwrite``).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from pathlib import Path

from .. import metrics
from ..atomic import write_atomic
from ..errors import CchcError
from ..xmlescape import xml_attr, xml_text
from .model import Appendix, Report
from .text import kinh_gui_lines

FONT = "Times New Roman"
PAGE_W_CM = 21.0
LEFT_CM, RIGHT_CM = 3.0, 1.5
TEXT_CM = PAGE_W_CM - LEFT_CM - RIGHT_CM  # 16,5 cm
HEADER_COLS_CM = (6.0, 10.5)
SIGN_COLS_CM = (8.0, 8.5)
CELL_PAD_CM = 0.19  # Word's default left and right cell margins
BODY_PT = 14
BODY_LINE = 1.1  # line spacing of body paragraphs (NĐ 30: single to 1,5 lines)
INDENT_CM = 1.27  # first-line indent of body paragraphs and headings (NĐ 30: 1–1,27 cm)
LANG = "vi-VN"
RED = (0xC0, 0x00, 0x00)
# landscape pages of the appended forms: A4 turned, margins 20 mm
APPENDIX_W_CM, APPENDIX_H_CM, APPENDIX_MARGIN_CM = 29.7, 21.0, 2.0
APPENDIX_PT = 11  # the forms' text
DIGEST_PROPERTY = "cchc_body_digest"
DIGEST_VERSION = "v1"


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


def _borderless(table, widths_cm: tuple[float, ...], borders: bool = True) -> None:
    """Fixed column widths; without borders unless ``borders`` is False (a form keeps its grid)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False
    tbl = table._tbl
    tpr = tbl.tblPr
    if borders:
        edges = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            el = OxmlElement(f"w:{edge}")
            el.set(qn("w:val"), "nil")
            edges.append(el)
        tpr.append(edges)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tpr.append(layout)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=False):
            cell.width = Cm(width)
    for col, width in zip(table.columns, widths_cm, strict=False):
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
    from docx.shared import Cm

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin, section.right_margin = Cm(LEFT_CM), Cm(RIGHT_CM)
    section.header_distance = section.footer_distance = Cm(1.0)
    setup_styles(doc)
    _page_number_header(section)
    body = doc.paragraphs[0]._element if doc.paragraphs else None
    if body is not None:
        body.getparent().remove(body)

    for block in report.warnings:
        p = _para(doc, block.text, size=12, bold=True, align="justify", after=3, color=RED)
        _shade(p, "FFC7CE")
    if report.warnings:
        _para(doc, "", size=6)
    _header_table(doc, report)
    _para(doc, report.title, size=14, bold=True, before=18, keep_next=True)
    _para(doc, report.trich_yeu, size=14, bold=True, keep_next=True)
    subject_cm = min(metrics.text_width(report.trich_yeu, 14, True) / 72 * 2.54, TEXT_CM) / 3
    _rule(doc, max(subject_cm, 3.0), TEXT_CM, before=5, after=8)
    _kinh_gui(doc, report)
    for block in report.body:
        if block.kind == "heading":
            doc.add_paragraph(block.text, style=f"Heading {min(block.level, 3)}")
        else:
            _body_para(doc, block.text)
    closing = _body_para(doc, report.closing)
    closing.paragraph_format.keep_with_next = True
    _signature_table(doc, report)
    for appendix in report.appendices:
        _appendix(doc, appendix)
    return doc


def _body_para(doc, text: str):
    """A body paragraph in the Normal style (Times New Roman 14): justified, first-line indent 1,27 cm,
    6 pt after, as a paragraph format (never spaces typed in front)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    p = doc.add_paragraph(text)
    fmt = p.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Cm(INDENT_CM)
    fmt.space_after = Pt(6)
    fmt.line_spacing = BODY_LINE
    return p


def _header_table(doc, report: Report) -> None:
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


def _kinh_gui(doc, report: Report) -> None:
    from docx.shared import Cm

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


def _signature_table(doc, report: Report) -> None:
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


def setup_styles(doc) -> None:
    """Document defaults, Normal and Heading 1–3: Times New Roman 14, Vietnamese, black (NĐ 30/2020).

    python-docx's default template says Calibri 11 and en-US in the document defaults, and its
    headings use the theme's fonts in blue; all of it is replaced here."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _font_props(rpr, BODY_PT)
    ppr_default = defaults.find(qn("w:pPrDefault"))
    if ppr_default is not None:  # no 10 pt after every paragraph, single lines, unless a paragraph says otherwise
        spacing = ppr_default.find(qn("w:pPr")).find(qn("w:spacing"))
        if spacing is not None:
            for key, value in (("w:after", "0"), ("w:line", "240"), ("w:lineRule", "auto")):
                spacing.set(qn(key), value)
    _font_props(doc.styles["Normal"].element.get_or_add_rPr(), BODY_PT)
    for level in (1, 2, 3):
        style = doc.styles[f"Heading {level}"]
        rpr = style.element.get_or_add_rPr()
        for child in list(rpr):
            rpr.remove(child)
        _font_props(rpr, BODY_PT)
        font = style.font
        font.bold = True
        font.italic = level == 3
        from docx.shared import Cm, Pt, RGBColor

        font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.keep_with_next = True
        fmt.keep_together = True
        fmt.space_before = Pt(6)
        fmt.space_after = Pt(6)
        fmt.first_line_indent = Cm(INDENT_CM)
        fmt.line_spacing = BODY_LINE
        fmt.alignment = 0  # left: a long heading in capitals justified would gape
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), LANG)
    doc.core_properties.language = LANG


def _font_props(rpr, size: float) -> None:
    """Times New Roman for every script, ``size`` points, language vi-VN, on a w:rPr element."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in list(fonts.keys()):
        fonts.attrib.pop(key)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for tag in ("w:sz", "w:szCs", "w:lang"):
        old = rpr.find(qn(tag))
        if old is not None:
            rpr.remove(old)
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(int(size * 2)))
        rpr.append(el)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)
    rpr.append(lang)


# --------------------------------------------------------------------------- appended forms
def _appendix(doc, appendix: Appendix) -> None:
    """One cited form on landscape pages: number, title, the line tying it to the report, the unit
    and period, then the table (headings repeated on every page, figures right-aligned)."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(APPENDIX_W_CM), Cm(APPENDIX_H_CM)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Cm(APPENDIX_MARGIN_CM))
    section.different_first_page_header_footer = False  # the page numbers go on
    if appendix.form_number:
        _para(doc, appendix.form_number, size=12, bold=True, align="left", keep_next=True)
    _para(doc, appendix.title, size=13, bold=True, before=6, keep_next=True)
    if appendix.subtitle:
        _para(doc, appendix.subtitle, size=12, italic=True, keep_next=True)
    if appendix.lines:
        _para(doc, appendix.lines[0], size=12, italic=True, after=6, keep_next=True)
        for line in appendix.lines[1:]:
            _para(doc, line, size=12, align="left", keep_next=True)
    if appendix.unit_label:
        _para(doc, appendix.unit_label, size=11, italic=True, align="right", keep_next=True)
    _form_table(doc, appendix, APPENDIX_W_CM - 2 * APPENDIX_MARGIN_CM)
    if appendix.note:
        _para(doc, appendix.note, size=10, italic=True, align="justify", before=4)


def _form_table(doc, appendix: Appendix, width_cm: float) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ncols = len(appendix.widths)
    rows = appendix.header_rows + len(appendix.rows) + (1 if appendix.total else 0)
    table = doc.add_table(rows=rows, cols=ncols)
    table.style = doc.styles["Table Grid"]
    scale = width_cm / sum(appendix.widths)
    _borderless(table, tuple(w * scale for w in appendix.widths), borders=False)
    numbers_row = appendix.header_rows - 1
    for cell in appendix.header:
        target = table.cell(cell.row, cell.col)
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(table.cell(cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1))
        for p in list(target.paragraphs):
            p._element.getparent().remove(p._element)
        numbers = cell.row == numbers_row
        _para(target, cell.text, size=APPENDIX_PT - (1 if numbers else 0), bold=not numbers, italic=numbers)
        target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for r in range(appendix.header_rows):  # repeated at the top of every page of the form
        trpr = table.rows[r]._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:tblHeader"))
    body = [(row, False) for row in appendix.rows] + ([(appendix.total, True)] if appendix.total else [])
    for i, (values, bold) in enumerate(body, start=appendix.header_rows):
        _cant_split(table.rows[i])
        for c, text in enumerate(values):
            cell = _cell(table, i, c)
            if c == 0 and appendix.numeric[0]:
                align = "center"  # STT
            elif appendix.numeric[c]:
                align = "right"
            else:
                align = "center" if bold else "left"  # «Tổng cộng» centred, as on the form
            _para(cell, text, size=APPENDIX_PT, bold=bold, align=align)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), "center")
    tbl_pr.append(jc)


# --------------------------------------------------------------------------- edits kept
def _runs_text(paragraph) -> str:
    """A paragraph's text with its bold and italic spans marked, whatever the runs Word split it into."""
    from docx.oxml.ns import qn

    def on(rpr, tag: str) -> bool:
        el = rpr.find(qn(tag)) if rpr is not None else None
        return el is not None and el.get(qn("w:val"), "1") not in ("0", "false", "off")

    parts: list[tuple[tuple[bool, bool], str]] = []
    for run in paragraph.iter(qn("w:r")):
        rpr = run.find(qn("w:rPr"))
        text = ""
        for child in run:
            if child.tag == qn("w:t"):
                text += child.text or ""
            elif child.tag == qn("w:tab"):
                text += "\t"
            elif child.tag in (qn("w:br"), qn("w:cr")):
                text += "\n"
        if not text:
            continue
        key = (on(rpr, "w:b"), on(rpr, "w:i"))
        if parts and parts[-1][0] == key:
            parts[-1] = (key, parts[-1][1] + text)
        else:
            parts.append((key, text))
    return "".join(("*" if b else "") + ("_" if i else "") + t + ("_" if i else "") + ("*" if b else "")
                   for (b, i), t in parts)


def _canonical(element, out: list[str]) -> None:
    from docx.oxml.ns import qn

    for child in element:
        if child.tag == qn("w:p"):
            ppr = child.find(qn("w:pPr"))
            style = ppr.find(qn("w:pStyle")) if ppr is not None else None
            jc = ppr.find(qn("w:jc")) if ppr is not None else None
            out.append("p\t{}\t{}\t{}".format(style.get(qn("w:val")) if style is not None else "",
                                               jc.get(qn("w:val")) if jc is not None else "", _runs_text(child)))
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                out.append("tr")
                for tc in tr.findall(qn("w:tc")):
                    out.append("tc")
                    _canonical(tc, out)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                _canonical(content, out)


def body_digest(doc) -> str:
    """A digest of what the document says: each paragraph's style, alignment and text with its bold
    and italic spans, and the tables' cells, in order. Word's own bookkeeping on saving (run
    splits, rsids, proofing marks) leaves it unchanged; any edit of the text changes it."""
    lines: list[str] = []
    _canonical(doc.element.body, lines)
    text = unicodedata.normalize("NFC", "\n".join(lines))
    return f"{DIGEST_VERSION}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}"


def _set_digest(doc, digest: str) -> None:
    """The digest as a custom document property (docProps/custom.xml), which Word keeps on saving."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="{xml_attr(DIGEST_PROPERTY)}">'
           f"<vt:lpwstr>{xml_text(digest)}</vt:lpwstr></property></Properties>")
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), CUSTOM_PROPERTIES_CT, xml.encode("utf-8"), package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


CUSTOM_PROPERTIES_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"


def stored_digest(path: Path) -> str | None:
    """The tool's digest kept in a .docx (None: not a .docx, or not one the tool wrote)."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as zf:
            rels = etree.fromstring(zf.read("_rels/.rels"))
            target = next((r.get("Target") for r in rels if r.get("Type", "").endswith("/custom-properties")), None)
            if target is None:
                return None
            root = etree.fromstring(zf.read(target.lstrip("/")))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None
    for prop in root:
        if prop.get("name") == DIGEST_PROPERTY:
            return "".join(prop.itertext()).strip() or None
    return None


def docx_state(path: Path | str) -> str:
    """``absent``; ``ours`` (written by the tool, unchanged since); ``edited`` (written by the tool,
    changed since); ``foreign`` (not written by the tool, or not a Word document it can read)."""
    target = Path(path)
    if not target.exists():
        return "absent"
    stored = stored_digest(target)
    if stored is None:
        return "foreign"
    try:
        import docx

        current = body_digest(docx.Document(str(target)))
    except Exception:  # any file python-docx cannot open is not the tool's
        return "foreign"
    return "ours" if current == stored else "edited"


def check_overwrite(path: Path | str) -> None:
    """Refuse (``report_docx_edited`` / ``report_docx_foreign``) to overwrite a .docx edited by hand or
    not written by the tool; the CLI's ``--force`` and the ribbon's question skip this."""
    state = docx_state(path)
    if state == "edited":
        raise CchcError("report_docx_edited", file=path)
    if state == "foreign":
        raise CchcError("report_docx_foreign", file=path)


def write_docx(report: Report, path: Path | str) -> Path:
    """Write the report as a .docx (atomically: never a half-written file), with the digest of its
    body as a custom property. It overwrites whatever is at ``path``: callers that must keep a
    hand-edited file ask ``docx_state`` / ``check_overwrite`` first."""
    target = Path(path)
    doc = build_document(report)
    _set_digest(doc, body_digest(doc))
    buf = io.BytesIO()
    doc.save(buf)
    write_atomic(target, buf.getvalue())
    return target
