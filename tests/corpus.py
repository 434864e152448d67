"""A corpus of hostile and broken inputs, generated at test time (no binary blobs are committed).

Every case says what it is, the reason code expected and the outcome:

* ``rejected``: reading refuses the file with ``code`` (``CchcError.code``); the merge rejects it
  with the same code (or skips it, ``merge_code``, when its name is not a .xlsx);
* ``read``: the file is read and ``code`` is among the problems found while reading;
* ``merge``: a case only the merge can show (``merge_code``: skipped, superseded, conflict).

``generate(folder)`` writes every case into ``folder`` and returns ``[(case, path)]``. The base
is one real unit workbook built from the definition and filled with the demo's data; each case
changes a copy of it in the way its kind says (bytes of the zip, parts of the XML, or openpyxl).
"""

from __future__ import annotations

import io
import os
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

UNIT_CODE = "18073"
PERIOD = "6T-2026"
INJECTIONS = ['=HYPERLINK("http://vi-du.invalid/x","Bấm vào đây")', "=cmd|' /C calc'!A0", "+cmd|' /C notepad'!A0",
              "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


@dataclass
class Case:
    kind: str
    what: str
    code: str | None
    outcome: str  # rejected | read | merge
    name: str = ""
    merge_code: str | None = None  # what the merge says when it differs from ``code``

    @property
    def file_name(self) -> str:
        return self.name or f"{self.kind}.xlsx"


# --------------------------------------------------------------------------- the base workbook
class Base:
    """One filled unit workbook, and the ways to derive a damaged copy from it."""

    def __init__(self, folder: Path) -> None:
        from xl_addin.definition.loader import load_definition, read_yaml
        from xl_addin.definition.periods import parse_period
        from xl_addin.definition.units import Unit
        from xl_addin.demo import demo_dir, sample_data, to_fill_payload
        from xl_addin.workbook.build import build_unit_workbooks
        from xl_addin.workbook.fill import fill_workbook
        from xl_addin.workbook.layout import compute_layout

        self.definition = load_definition()
        self.layout = compute_layout(self.definition)
        period = parse_period(PERIOD, self.definition)
        unit = Unit(UNIT_CODE, "Phường Thành Sen", "phuong", "42", "QD19_2025")
        [built] = build_unit_workbooks(self.definition, [unit], period, folder / ".base")
        sample = dict(read_yaml(demo_dir() / "sample.yaml"))
        sample["mistakes"] = {}
        payload = to_fill_payload(self.definition, sample_data(sample, unit.code, unit.name))
        filled = folder / ".base" / "filled.xlsx"
        fill_workbook(built.path, payload, filled)
        self.data = filled.read_bytes()
        self._serial = 0

    # ---------------------------------------------------------------- cells and units
    def cell(self, code: str) -> tuple[str, str]:
        pos = self.layout.fields[code]
        return pos.sheet, pos.ref

    def meta_ref(self, key: str) -> str:
        return f"B{self.layout.meta_rows[key]}"

    def patched(self, cells: dict[str, dict[str, object]], data: bytes | None = None) -> bytes:
        from xl_addin.workbook.xlsxpatch import XlsxPackage

        return XlsxPackage(data or self.data).patched(cells)

    def unit_copy(self, cells: dict[str, dict[str, object]] | None = None, data: bytes | None = None) -> bytes:
        """A copy for a unit of its own (so merged cases never collide), with ``cells`` written."""
        self._serial += 1
        code = f"18{self._serial:03d}"
        stamp = {"_meta": {self.meta_ref("unit_code"): code, self.meta_ref("unit_name"): f"Phường Thử {code}"}}
        for field_code, value in (("don_vi_ma", code), ("don_vi_ten", f"Phường Thử {code}")):
            sheet, ref = self.cell(field_code)  # the locked cells show what the meta sheet says
            stamp.setdefault(sheet, {})[ref] = value
        for sheet, values in (cells or {}).items():
            stamp.setdefault(sheet, {}).update(values)
        return self.patched(stamp, data)

    def value(self, code: str, value: object) -> bytes:
        sheet, ref = self.cell(code)
        return self.unit_copy({sheet: {ref: value}})

    def meta(self, key: str, value: object) -> bytes:
        return self.unit_copy({"_meta": {self.meta_ref(key): value}})

    def with_openpyxl(self, change: Callable[[openpyxl.Workbook], None], unit: bool = True) -> bytes:
        data = self.unit_copy() if unit else self.data
        wb = openpyxl.load_workbook(io.BytesIO(data))
        change(wb)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    def summary_copy(self, rows: list[list], far_cell: bool = False, code: str | None = None,
                     level: str | None = None) -> bytes:
        """A unit's file claiming to be a lower-level summary (kind = summary in its meta sheet),
        with a «Tổng hợp» sheet of ``rows`` (a far cell at XFD1048576 with ``far_cell``); ``code``
        and ``level`` change the unit in the meta sheet and the locked cells alike."""
        data = self.unit_copy({"_meta": {self.meta_ref("kind"): "summary"}})
        for key, field_code, value in (("unit_code", "don_vi_ma", code), ("unit_level", "don_vi_cap", level)):
            if value:
                sheet, ref = self.cell(field_code)
                data = self.patched({"_meta": {self.meta_ref(key): value}, sheet: {ref: value}}, data)
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb.create_sheet("Tổng hợp")
        for row in rows:
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
        if far_cell:
            data = insert_rows(self, "Tổng hợp", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', data)
        return data

    def with_cell_xml(self, sheet: str, ref: str, cell_xml: str, data: bytes | None = None) -> bytes:
        """A unit copy whose cell ``ref`` is replaced by raw sheet XML (an error value, …)."""
        import re

        data = data or self.unit_copy()
        part = self.sheet_part(sheet, data)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = zf.read(part).decode("utf-8")

        def swap(m: re.Match) -> str:
            style = re.search(r' s="\d+"', m.group(1))
            return cell_xml.format(ref=ref, s=style.group(0) if style else "")

        xml, n = re.subn(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)', swap, xml, count=1, flags=re.S)
        assert n == 1, ref
        return rezip(data, replace={part: xml.encode("utf-8")})

    # ---------------------------------------------------------------- the zip
    def sheet_part(self, sheet: str, data: bytes | None = None) -> str:
        from xl_addin.workbook.xlsxpatch import XlsxPackage

        return XlsxPackage(data or self.data).sheet_parts[sheet]


def summary_rows(codes: list[str], value: int = 999_999) -> list[list]:
    """The «Tổng hợp» sheet of a summary: title, labels, codes (row 3), one row per unit, totals."""
    return [["TỔNG HỢP"], ["Mã", "Tên", "Tiếp nhận"], ["don_vi_ma", "don_vi_ten", "tthc_tiep_nhan_tong"]] + \
        [[c, f"Đơn vị {c}", value] for c in codes] + [["TONG", "Cộng", value * len(codes)]]


def rezip(data: bytes, replace: dict[str, bytes] | None = None, drop: set[str] = frozenset(),
          add: dict[str, bytes] | None = None, level: int = 6) -> bytes:
    replace = replace or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename in drop:
                continue
            out.writestr(info.filename, replace.get(info.filename, src.read(info)), compresslevel=level)
        for name, content in (add or {}).items():
            out.writestr(name, content, compresslevel=9)
    return buf.getvalue()


def _central_records(data: bytes):
    """(offset of each central-directory record, its file name)."""
    eocd = data.rfind(b"PK\x05\x06")
    count = struct.unpack_from("<H", data, eocd + 10)[0]
    pos = struct.unpack_from("<I", data, eocd + 16)[0]
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        yield pos, data[pos + 46: pos + 46 + name_len].decode("utf-8")
        pos += 46 + name_len + extra_len + comment_len


def set_crc(data: bytes, name: str, crc: int) -> bytes:
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        local = zf.getinfo(name).header_offset
    struct.pack_into("<I", out, local + 14, crc)
    for pos, entry in _central_records(data):
        if entry == name:
            struct.pack_into("<I", out, pos + 16, crc)
    return bytes(out)


def set_declared_size(data: bytes, name: str, size: int) -> bytes:
    out = bytearray(data)
    for pos, entry in _central_records(data):
        if entry == name:
            struct.pack_into("<I", out, pos + 24, size)
    return bytes(out)


def set_encrypted_flag(data: bytes, name: str) -> bytes:
    out = bytearray(data)
    for pos, entry in _central_records(data):
        if entry == name:
            flags = struct.unpack_from("<H", out, pos + 8)[0]
            struct.pack_into("<H", out, pos + 8, flags | 1)
    return bytes(out)


def flip_bytes(data: bytes, name: str) -> bytes:
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    local = info.header_offset
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    for i in range(middle, middle + 24):
        out[i] ^= 0x5A
    return bytes(out)


def garble_central_directory(data: bytes) -> bytes:
    out = bytearray(data)
    eocd = data.rfind(b"PK\x05\x06")
    start = struct.unpack_from("<I", data, eocd + 16)[0]
    out[start: start + 80] = b"\xab" * 80
    return bytes(out)


def ole_file(streams: dict[str, bytes]) -> bytes:
    from xl_addin.addin.cfb import CompoundFile

    cf = CompoundFile()
    for name, content in streams.items():
        cf.add_stream(name, content)
    return cf.to_bytes()


def encrypted(data: bytes) -> bytes:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:  # the container an encrypted workbook has, without the cryptography
        return ole_file({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * 64,
                         "EncryptedPackage": os.urandom(4096)})
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("matkhau123", out)
    return out.getvalue()


def insert_rows(base: Base, sheet: str, rows_xml: str, data: bytes | None = None) -> bytes:
    data = data or base.unit_copy()
    part = base.sheet_part(sheet, data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read(part).decode("utf-8")
    xml = xml.replace("</sheetData>", rows_xml + "</sheetData>", 1)
    return rezip(data, replace={part: xml.encode("utf-8")})


def minimal_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buf.getvalue()


def insert_two_rows(wb: openpyxl.Workbook) -> None:
    """Rows inserted in Số liệu after its protection was removed: the numbers below move down."""
    wb["Số liệu"].protection.sheet = False
    wb["Số liệu"].insert_rows(20, 2)


# --------------------------------------------------------------------------- the cases
SO_LIEU = "Số liệu"


def _set(sheet_name, ref, value, typed=None):
    def change(wb):
        cell = wb[sheet_name][ref]
        cell.value = value
        if typed:
            cell.data_type = typed
    return change


def _repoint(wb):
    wb.defined_names["tthc_tra_lai"].attr_text = "'Số liệu'!$D$60"


def _no_validation(wb):
    wb[SO_LIEU].data_validations.dataValidation = []


def _unprotect(wb):
    wb[SO_LIEU].protection.sheet = False


def not_ours() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "Báo cáo"
    wb.active["A1"] = "Báo cáo tự làm"
    wb.active["B2"] = 15
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def huge_file(path: Path) -> None:
    with path.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(65 * 2**20)  # sparse: quick to make


def cases(base: Base) -> list[tuple[Case, Callable[[], bytes | None]]]:
    d = base
    so_lieu = "Số liệu"
    B = d.cell
    def list_cell(list_code: str, column: str) -> tuple[str, str]:
        from xl_addin.cells import a1

        block = d.layout.lists[list_code]
        return block.sheet, a1(block.first_row, block.columns[column])

    def openpyxl_edit(fn):
        return lambda: d.with_openpyxl(fn)

    def _unprotect_and_label(wb):
        ws = wb[so_lieu]
        ws.protection.sheet = False
        ws["B" + B("tthc_tiep_nhan_tong")[1][1:]].value = "Tổng số hồ sơ (đã sửa nhãn)"

    def nfd() -> bytes:
        s1, r1 = B("co_quan_chu_quan")
        s2, r2 = B("dia_danh")
        return d.unit_copy({s1: {r1: unicodedata.normalize("NFD", "UBND THỊ XÃ HƯƠNG TRÀ")},
                            s2: {r2: unicodedata.normalize("NFD", "Phường Thành Sen")}})

    def injection() -> bytes:
        block = d.layout.lists["kien_nghi"]
        col = block.columns["noi_dung"]
        from xl_addin.cells import a1

        cells = {block.sheet: {a1(block.first_row + i, col): text for i, text in enumerate(INJECTIONS)}}
        s1, r1 = B("co_quan_chu_quan")
        cells.setdefault(s1, {})[r1] = INJECTIONS[0]
        return d.unit_copy(cells)

    def bomb_ratio() -> bytes:
        return rezip(d.unit_copy(), add={"xl/media/image1.bin": b"\x00" * (12 * 2**20)})

    def bomb_declared() -> bytes:
        return set_declared_size(d.unit_copy(), "docProps/app.xml", 0xF0000000)

    def many_entries() -> bytes:
        return rezip(d.unit_copy(), add={f"customXml/item{i}.xml": b"" for i in range(5_001)})

    def far_cell() -> bytes:
        return insert_rows(d, so_lieu, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')

    def many_rows() -> bytes:
        rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(200, 12_200))
        return insert_rows(d, "Văn bản", rows)

    def rows_without_ref() -> bytes:
        # no r="…": python-calamine places each row after the previous one, 12.000 rows down
        return insert_rows(d, "Văn bản", "<row><c><v>1</v></c></row>" * 12_000)

    def cells_without_ref() -> bytes:
        # one row of 300 cells without r="…": python-calamine places them side by side
        return insert_rows(d, "Văn bản", '<row r="400">' + "<c><v>1</v></c>" * 300 + "</row>")

    def prefixed_far_cell() -> bytes:
        ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        return insert_rows(d, so_lieu, f'<x:row xmlns:x="{ns}" r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c>'
                                       '</x:row>')

    def xlsm() -> bytes:
        data = d.unit_copy()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            types = zf.read("[Content_Types].xml").decode("utf-8")
        types = types.replace("</Types>",
                              '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
        vba = ole_file({"VBA/dir": b"\x01" * 64, "PROJECT": b'ID="{00000000}"\r\nModule=Module1\r\n'})
        return rezip(data, replace={"[Content_Types].xml": types.encode("utf-8")}, add={"xl/vbaProject.bin": vba})

    def conflict_pair() -> bytes:
        # same unit and stamps as "duplicate_a", one value different: neither can be told newer
        sheet_name, ref = B("tthc_tiep_nhan_tong")
        return d.patched({sheet_name: {ref: 1234}}, DUP_A[0])

    DUP_A: list[bytes] = []

    def dup_a() -> bytes:
        DUP_A.append(d.unit_copy())
        return DUP_A[0]

    out: list[tuple[Case, Callable]] = [
        # ---- what the file really is
        (Case("empty", "tệp rỗng 0 byte", "file_empty", "rejected"), lambda: b""),
        (Case("text_renamed", "văn bản gõ bằng Notepad, đặt đuôi .xlsx", "file_is_text", "rejected"),
         lambda: "Báo cáo CCHC 6 tháng: tiếp nhận 1.059 hồ sơ.\nĐã giải quyết 1.000.".encode()),
        (Case("csv_renamed", "tệp CSV đặt đuôi .xlsx", "file_is_csv", "rejected"),
         lambda: "ma,ten,so_ho_so\n18073,Phường Thành Sen,1059\n18229,Xã Đức Thọ,87\n".encode()),
        (Case("pdf_renamed", "tệp PDF đặt đuôi .xlsx", "file_is_pdf", "rejected"),
         lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
        (Case("html_export", "«xuất Excel» của phần mềm web (HTML)", "file_is_html", "rejected"),
         lambda: "<html><head><meta charset='utf-8'></head><body><table><tr><td>Số hồ sơ</td><td>1059</td></tr>"
                 "</table></body></html>".encode()),
        (Case("spreadsheetml_2003", "sổ tính XML 2003 đặt đuôi .xlsx", "file_is_spreadsheetml", "rejected"),
         lambda: b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                 b'<Worksheet ss:Name="Sheet1"/></Workbook>'),
        (Case("photo_renamed", "ảnh chụp báo cáo đặt đuôi .xlsx", "file_is_image", "rejected"),
         lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(512)),
        (Case("docx_renamed", "văn bản Word (.docx) đặt đuôi .xlsx", "file_is_word", "rejected"),
         lambda: minimal_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})),
        (Case("ods_renamed", "bảng tính LibreOffice (.ods) đặt đuôi .xlsx", "file_is_ods", "rejected"),
         lambda: minimal_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})),
        (Case("zip_of_photos", "tệp nén chứa ảnh, đặt đuôi .xlsx", "zip_not_workbook", "rejected"),
         lambda: minimal_zip({"anh1.jpg": b"\xff\xd8\xff" + b"\x00" * 100})),
        (Case("encrypted", "sổ tính đặt mật khẩu mở tệp (OLE, EncryptionInfo)", "workbook_encrypted", "rejected"),
         lambda: encrypted(d.unit_copy())),
        (Case("legacy_xls", "sổ tính Excel 97–2003 (.xls)", "workbook_legacy_xls", "rejected", name="legacy_xls.xls",
              merge_code="merge_not_xlsx"),
         lambda: ole_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\x00" * 600})),
        (Case("legacy_xls_renamed", "sổ tính .xls đổi đuôi thành .xlsx", "workbook_legacy_xls", "rejected"),
         lambda: ole_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\x00" * 600})),
        (Case("ole_other", "tệp Office đời cũ (OLE) không phải sổ tính", "ole_not_workbook", "rejected"),
         lambda: ole_file({"Contents": b"\x00" * 700})),
        (Case("too_large", "tệp 65 MB (vượt giới hạn kích thước)", "file_too_large", "rejected"), huge_file),
        (Case("folder_named_xlsx", "thư mục đặt tên như sổ tính", "file_is_folder", "rejected",
              merge_code="merge_folder_named_like_file"), "folder"),
        # ---- the zip container
        (Case("truncated", "tải về chưa hết (nửa đầu tệp)", "zip_truncated", "rejected"),
         lambda: (lambda b: b[: len(b) // 2])(d.unit_copy())),
        (Case("garbage_directory", "mục lục tệp nén bị ghi rác", "zip_corrupt", "rejected"),
         lambda: garble_central_directory(d.unit_copy())),
        (Case("bad_crc", "mã kiểm tra CRC sai ở trang Số liệu", "zip_entry_damaged", "rejected"),
         lambda: set_crc(d.unit_copy(), d.sheet_part(so_lieu), 0x12345678)),
        (Case("flipped_bytes", "vài byte bị hỏng trong dữ liệu nén của trang Số liệu", "zip_entry_damaged", "rejected"),
         lambda: flip_bytes(d.unit_copy(), d.sheet_part(so_lieu))),
        (Case("sheet_part_missing", "trang khai báo nhưng mất phần dữ liệu", "zip_entry_missing", "rejected"),
         lambda: rezip(d.unit_copy(), drop={d.sheet_part(so_lieu)})),
        (Case("zip_password", "tệp nén có cờ mã hóa (mật khẩu zip)", "workbook_encrypted", "rejected"),
         lambda: set_encrypted_flag(d.unit_copy(), "docProps/app.xml")),
        (Case("zip_bomb_ratio", "bom nén: 12 MB số 0 nén còn vài kB", "zip_bomb_ratio", "rejected"), bomb_ratio),
        (Case("zip_bomb_declared", "bom nén: khai báo giải nén 3,75 GB", "zip_bomb_size", "rejected"), bomb_declared),
        (Case("zip_many_entries", "5.001 phần rỗng trong tệp nén", "zip_too_many_entries", "rejected"), many_entries),
        (Case("far_cell", "một ô ở XFD1048576 (lưới 17 tỷ ô nếu đọc ngây thơ)", "sheet_too_large", "rejected"),
         far_cell),
        (Case("many_rows", "12.000 dòng rác ở trang Văn bản", "sheet_too_large", "rejected"), many_rows),
        (Case("rows_without_ref", "12.000 dòng không ghi địa chỉ (r) ở trang Văn bản", "sheet_too_large", "rejected"),
         rows_without_ref),
        (Case("cells_without_ref", "một dòng 300 ô không ghi địa chỉ (r)", "sheet_too_large", "rejected"),
         cells_without_ref),
        (Case("prefixed_far_cell", "ô ở XFD1048576 viết với tiền tố không gian tên (x:c)", "sheet_too_large",
              "rejected"), prefixed_far_cell),
        (Case("macros", "sổ tính có vbaProject.bin (.xlsm): đọc giá trị, không chạy macro", "workbook_has_macros",
              "read", name="macros.xlsm", merge_code="merge_not_xlsx"), xlsm),
        (Case("macros_renamed", "sổ tính có macro đổi đuôi thành .xlsx", "workbook_has_macros", "read"), xlsm),
        # ---- template, meta sheet and versions
        (Case("not_ours", "sổ tính tự làm, không phải mẫu", "not_our_template", "rejected"), not_ours),
        (Case("meta_deleted", "trang thông tin mẫu (_meta) bị xóa", "meta_sheet_missing", "rejected"),
         openpyxl_edit(lambda wb: wb.remove(wb["_meta"]))),
        (Case("meta_template_id", "trang _meta: mã mẫu bị sửa", "template_unknown", "rejected"),
         lambda: d.meta("template_id", "mau_khac")),
        (Case("meta_path_traversal", "trang _meta: hồ sơ tỉnh «../report»", "template_unknown", "rejected"),
         lambda: d.meta("profile", "../report")),
        (Case("meta_version_garbage", "trang _meta: phiên bản bị sửa thành chữ", "template_version_invalid",
              "rejected"),
         lambda: d.meta("template_version", "1.0-đã sửa")),
        (Case("future_version", "mẫu phiên bản 2.0 (mới hơn công cụ)", "template_version_newer", "rejected"),
         lambda: d.meta("template_version", "2.0")),
        (Case("unsupported_old_version", "mẫu phiên bản 0.5 (cũ, không khai báo)", "template_version_unsupported",
              "rejected"), lambda: d.meta("template_version", "0.5")),
        (Case("old_version", "mẫu phiên bản 0.9 (đọc qua bảng chuyển đổi)", "template_old_version", "read",
              # a 1.1 workbook relabelled 0.9: its structure is not 0.9's, so the merge keeps it out
              merge_code="merge_tampered_layout"),
         lambda: d.meta("template_version", "0.9")),
        (Case("unit_code_lost_zeros", "mã đơn vị 00004 mất số 0 thành số 4", "unit_code_format", "rejected"),
         lambda: d.patched({"_meta": {d.meta_ref("unit_code"): 4}})),
        (Case("sheet_renamed", "trang «Số liệu» bị đổi tên", "sheet_renamed", "rejected"),
         openpyxl_edit(lambda wb: setattr(wb[so_lieu], "title", "So lieu"))),
        (Case("sheet_deleted", "trang «Biểu 06a» bị xóa", "sheet_missing", "rejected"),
         openpyxl_edit(lambda wb: wb.remove(wb["Biểu 06a"]))),
        (Case("instructions_deleted", "trang «Hướng dẫn» bị xóa", "tamper_sheet_removed", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(lambda wb: wb.remove(wb["Hướng dẫn"]))),
        (Case("sheets_reordered", "thứ tự trang bị đảo", "tamper_sheet_order", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(lambda wb: wb.move_sheet("Biểu 06a", offset=-3))),
        (Case("sheet_added", "thêm trang lạ «Nháp»", "tamper_sheet_added", "read"),
         openpyxl_edit(lambda wb: wb.create_sheet("Nháp"))),
        (Case("name_deleted", "tên vùng tthc_tra_lai bị xóa", "tamper_name_missing", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(lambda wb: wb.defined_names.pop("tthc_tra_lai"))),
        (Case("name_repointed", "tên vùng tthc_tra_lai trỏ sang ô khác", "tamper_name_moved", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(_repoint)),
        (Case("formula_overwritten", "ô tự tính (chênh lệch) bị gõ đè số 0", "tamper_formula_replaced", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(_set(*B("tthc_chenh_lech"), 0))),
        (Case("formula_edited", "công thức ô tự tính bị sửa", "tamper_formula_changed", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(_set(*B("tthc_chenh_lech"), "=0*1"))),
        (Case("protection_removed", "trang Số liệu bị gỡ khóa", "tamper_protection_removed", "read"),
         openpyxl_edit(_unprotect)),
        (Case("label_changed", "gỡ khóa và sửa nhãn chỉ tiêu", "tamper_label_changed", "read",
              merge_code="merge_tampered_layout"),
         openpyxl_edit(_unprotect_and_label)),
        (Case("validation_removed", "ràng buộc nhập liệu bị xóa (dán đè định dạng)", "tamper_validation_changed",
              "read"), openpyxl_edit(_no_validation)),
        (Case("formula_in_input", "ô nhập chứa công thức =10+5", "value_formula_in_input", "read"),
         openpyxl_edit(_set(*B("tthc_tiep_nhan_tong"), "=10+5"))),
        # ---- values
        (Case("text_in_count", "chữ trong ô số («mười lăm»)", "value_not_number", "read"),
         lambda: d.value("tthc_tiep_nhan_tong", "mười lăm")),
        (Case("vn_thousands_text", "«1.059» gõ dạng chữ", "value_text_number", "read"),
         lambda: d.value("tthc_tiep_nhan_tong", "1.059")),
        (Case("vn_decimal_text", "«99,5» gõ dạng chữ vào ô tỷ lệ", "value_text_number", "read"),
         lambda: d.value("tthc_ty_le_dung_han_phan_mem", "99,5")),
        (Case("negative", "số âm trong ô đếm", "value_negative", "read"), lambda: d.value("tthc_tiep_nhan_tong", -5)),
        (Case("fraction", "số lẻ 2,5 trong ô số nguyên", "value_not_integer", "read"),
         lambda: d.value("tthc_tiep_nhan_tong", 2.5)),
        (Case("absurd_number", "số 1e20 trong ô đếm", "value_out_of_bounds", "read"),
         lambda: d.value("tthc_tiep_nhan_tong", 1e20)),
        (Case("implausible_number", "2.000.000 hồ sơ ở một phường", "value_implausible", "read"),
         lambda: d.value("tthc_tiep_nhan_tong", 2_000_000)),
        (Case("date_as_text", "ngày ký gõ dạng chữ «15/06/2026»", "value_not_date", "read"),
         lambda: d.value("ngay_bao_cao", "15/06/2026")),
        (Case("date_far_past", "ô ngày của danh sách văn bản mang số -10^20 (python-calamine hoảng)",
              "sheet_value_unreadable", "rejected"), openpyxl_edit(_set(*list_cell("van_ban", "ngay"), -10**20))),
        (Case("formula_injection", "=HYPERLINK, =cmd|, +, -, @ trong ô chữ", "value_formula_text", "read"), injection),
        (Case("nfd_text", "chữ tiếng Việt dạng NFD (gõ trên máy Mac)", "value_not_nfc", "read"), nfd),
        (Case("text_too_long", "40.000 ký tự trong một ô", "value_text_too_long", "read"),
         lambda: d.value("kinh_gui", "Kính gửi " + "x" * 40_000)),
        # ---- issue 18: hostile folders, round two
        (Case("summary_far_cell", "tệp tự nhận là tổng hợp, trang «Tổng hợp» có ô XFD1048576", None, "merge",
              merge_code="sheet_too_large"), lambda: d.summary_copy(summary_rows(["99001"]), far_cell=True)),
        (Case("meta_claims_other_unit", "_meta ghi mã đơn vị khác với ô đã khóa", "meta_contradicts_cells",
              "rejected"), lambda: d.unit_copy({"_meta": {d.meta_ref("unit_code"): "18999"}})),
        (Case("meta_relabelled_period", "_meta đổi kỳ 6T-2026 thành Q1-2026, ô đã khóa vẫn 6T-2026",
              "meta_contradicts_cells", "rejected"), lambda: d.meta("period_code", "Q1-2026")),
        (Case("meta_digest_forged", "_meta: mã cấu trúc (structure_digest) bị sửa", "meta_contradicts_cells",
              "rejected"), lambda: d.meta("structure_digest", "s1:0000:0000")),
        (Case("error_value", "ô nhập chứa giá trị lỗi #N/A", "value_error", "read"),
         lambda: d.with_cell_xml(*B("tthc_tiep_nhan_tong"), '<c r="{ref}"{s} t="e"><v>#N/A</v></c>')),
        (Case("nbsp_only", "ô chữ chỉ có dấu cách không ngắt (dán từ web)", "value_nbsp", "read"),
         lambda: d.value("co_quan_chu_quan", "\u00a0")),
        (Case("date_holds_time", "ô ngày chứa giờ 08:30", "value_not_date", "read"),
         openpyxl_edit(_set(*B("ngay_bao_cao"), __import__("datetime").time(8, 30)))),
        (Case("rows_inserted", "gỡ khóa Số liệu và chèn 2 dòng (số bị lệch xuống)", "tamper_label_changed", "read",
              merge_code="merge_tampered_layout"), openpyxl_edit(insert_two_rows)),
        (Case("temp_file", "tệp tạm .~cchc-… do một lần ghi bị ngắt", "zip_truncated", "rejected",
              name=".~cchc-1a2b3c.tmp", merge_code="merge_temp_file"),
         lambda: d.unit_copy()[:2000]),
        # ---- the merge's own cases
        (Case("lock_file", "tệp khóa tạm của Excel (~$…)", "file_is_excel_lock", "rejected", name="~$bao-cao.xlsx",
              merge_code="merge_lock_file"),
         lambda: b"\x0bNguyen Van A" + b" " * 40),
        (Case("duplicate_a", "đơn vị nộp hai bản khác nhau, cùng dấu thời gian (bản 1)", None, "merge",
              merge_code="merge_conflict"), dup_a),
        (Case("duplicate_b", "đơn vị nộp hai bản khác nhau, cùng dấu thời gian (bản 2)", None, "merge",
              merge_code="merge_conflict"), conflict_pair),
        (Case("identical_copy", "bản sao giống hệt của một tệp", None, "merge", merge_code="merge_identical_copy"),
         lambda: DUP_A[0]),
    ]
    return out


def generate(folder: Path) -> list[tuple[Case, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    base = Base(folder)
    made = []
    for case, make in cases(base):
        path = folder / case.file_name
        if make == "folder":
            path.mkdir()
        elif make.__code__.co_argcount == 1:
            make(path)
        else:
            path.write_bytes(make())
        made.append((case, path))
    # the base itself stays out of the corpus folder
    import shutil

    shutil.rmtree(folder / ".base", ignore_errors=True)
    return made
