"""The report as a structure: header, blocks, closing, recipients, signature.

Every output (plain text, the Báo cáo sheet, the .docx) is drawn from this one model, so the
three can never say different things.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, Literal

from ..xmlescape import plain_text

BlockKind = Literal["heading", "paragraph", "list_item", "warning"]


@dataclass
class Block:
    kind: BlockKind
    level: int
    text: str
    section: str | None = None  # the outline section the block belongs to (None: opening, warnings)


@dataclass
class Header:
    """The NĐ 30/2020 header table: issuing body on the left, quốc hiệu and tiêu ngữ on the right."""

    co_quan_chu_quan: str | None  # the superior body, capitals, not bold
    co_quan: list[str]  # the issuing body's name, capitals, bold (one or two lines)
    so_ky_hieu: str  # "Số: 147/BC-VHTT"
    quoc_hieu: str
    tieu_ngu: str
    dia_danh_ngay: str  # "Hương Trà, ngày 03 tháng 6 năm 2022" (italic)


@dataclass
class HeaderCell:
    """A header cell of an appendix table: its text and where it sits (0-based), with its spans."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Appendix:
    """An official form the report cites («Số liệu chi tiết tại Biểu số II.06a/VPCP/KSTT kèm theo»),
    laid out as the form is: printed after the signature on landscape pages."""

    code: str
    form_number: str | None
    title: str
    subtitle: str | None
    lines: list[str]  # «(Kèm theo Báo cáo số …)», «Đơn vị báo cáo: …», «Kỳ báo cáo: …»
    unit_label: str | None
    header: list[HeaderCell]  # the form's column headings (groups merged), then the column numbers
    header_rows: int
    widths: list[float]  # relative column widths
    numeric: list[bool]  # per column: figures (right-aligned) or text
    rows: list[list[str]]  # the filled rows, as printed
    total: list[str] | None  # the total row (bold), when the form has one
    note: str | None


@dataclass
class Report:
    header: Header
    title: str  # "BÁO CÁO"
    trich_yeu: str  # the subject line under the title
    kinh_gui: list[str]  # addressees; empty when none
    kinh_gui_label: str
    blocks: list[Block]  # warnings first (if any), then the opening and the body I–V
    closing: str  # "Trên đây là báo cáo …./."
    recipients_label: str  # "Nơi nhận:"
    recipients: list[str]  # "- Sở Nội vụ;" … "- Lưu: VT."
    signature: list[str]  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"
    signer: str  # the signer's full name ("" when not yet known)
    errors: int = 0  # validation errors found in the workbook when the report was written
    period_code: str = ""
    unit_code: str = ""
    unit_name: str = ""
    sections: list[str] = field(default_factory=list)  # outline sections present, in order
    appendices: list[Appendix] = field(default_factory=list)  # the forms the body cites, in order
    from_sheet: bool = False  # read back from a Báo cáo sheet edited by hand (not written from the values)
    # control characters found in the workbook's text and left out of the report (drop_control_characters)
    dropped_control_characters: int = 0

    @property
    def warnings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "warning"]

    @property
    def body(self) -> list[Block]:
        return [b for b in self.blocks if b.kind != "warning"]

    def to_dict(self) -> dict:
        return asdict(self)


def drop_control_characters(report: Report) -> int:
    """Remove, in place, every control character from the report's text (a unit name or a list
    entry copied from a returned file may hold one: Word, PDF and the sheet cannot show it).
    Returns how many were dropped, for the caller to report."""
    dropped = 0

    def clean(value: Any) -> Any:
        nonlocal dropped
        if isinstance(value, str):
            text, count = plain_text(value)
            dropped += count
            return text
        if isinstance(value, list):
            return [clean(v) for v in value]
        if is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                setattr(value, f.name, clean(getattr(value, f.name)))
        return value

    clean(report)
    return dropped
