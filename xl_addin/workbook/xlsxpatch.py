"""Patch cell values straight into the XML parts of an .xlsx built once from the definition.

Generating a workbook with openpyxl takes a third of a second; patching the few cells that
differ between units (unit, period, meta stamps, carried-over values) into the template's
XML takes milliseconds. Cells keep their style; strings are written inline.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
import zlib
from decimal import Decimal

from ..cells import col_letters
from ..xmlescape import xml_attr, xml_text

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# number formats every spreadsheet knows by id (ECMA-376 §18.8.30)
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
_EPOCH = dt.date(1899, 12, 30)


def excel_serial(value: dt.date) -> int:
    if isinstance(value, dt.datetime):
        value = value.date()
    return (value - _EPOCH).days


def _cell_xml(ref: str, style: str | None, value: object) -> str:
    s_attr = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s_attr}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s_attr} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        return f'<c r="{ref}"{s_attr}><v>{excel_serial(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return f'<c r="{ref}"{s_attr}><v>{text}</v></c>'
    text = str(value)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'


class XlsxPackage:
    """The parts of an .xlsx held in memory, with sheet names mapped to their XML parts."""

    def __init__(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.order = [info.filename for info in zf.infolist()]
            self.parts = {name: zf.read(name) for name in self.order}
        self.sheet_parts = self._sheet_parts()

    def _sheet_parts(self) -> dict[str, str]:
        workbook = self.parts["xl/workbook.xml"].decode("utf-8")
        rels = self.parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
        id_first = r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"'
        target_first = r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"'
        targets = {m.group(1): m.group(2) for m in re.finditer(id_first, rels)}
        targets.update({m.group(2): m.group(1) for m in re.finditer(target_first, rels)})
        out = {}
        for m in re.finditer(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
            name = _unescape(m.group(1))
            target = targets[m.group(2)]
            out[name] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl",
                                                                                                            target))
        return out

    def patched(self, cells: dict[str, dict[str, object]], compresslevel: int = 6) -> bytes:
        """A new .xlsx with ``cells[sheet_name][A1] = value`` written in place."""
        changed = {}
        for sheet, values in cells.items():
            part = self.sheet_parts[sheet]
            changed[part] = patch_sheet_xml(self.parts[part].decode("utf-8"), values).encode("utf-8")
        return write_zip([(name, changed.get(name, self.parts[name])) for name in self.order], compresslevel)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;",
                                                                                                                "&")


def patch_sheet_xml(xml: str, values: dict[str, object]) -> str:
    """Replace the ``<c>`` elements of the given references; every one must exist already."""
    if not values:
        return xml
    refs = "|".join(re.escape(r) for r in values)
    pattern = re.compile(r'<c r="(' + refs + r')"([^>]*?)(/>|>.*?</c>)', re.S)
    seen = set()

    def repl(m: re.Match) -> str:
        ref = m.group(1)
        seen.add(ref)
        style = re.search(r'\bs="(\d+)"', m.group(2))
        return _cell_xml(ref, style.group(1) if style else None, values[ref])

    out = pattern.sub(repl, xml)
    missing = set(values) - seen
    if missing:
        raise KeyError(f"cells not present in the template sheet: {sorted(missing)}")
    return out


# --------------------------------------------------------------------------- new parts
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


class PackageWriter:
    """Adds sheets, styles and parts to an :class:`XlsxPackage` as raw XML (no full parse).

    For big generated sheets (a merge's lineage of tens of thousands of rows) this is an order
    of magnitude faster than openpyxl, and it never touches the parts it does not add to.
    """

    def __init__(self, package: XlsxPackage, cells: dict[str, dict[str, object]] | None = None) -> None:
        self.package = package
        self.parts = dict(package.parts)
        self.order = list(package.order)
        for sheet, values in (cells or {}).items():
            part = package.sheet_parts[sheet]
            self.parts[part] = patch_sheet_xml(self.parts[part].decode("utf-8"), values).encode("utf-8")
        self._sheets = len(package.sheet_parts)
        self.last_sheet_part = ""

    # ---------------------------------------------------------------- styles
    def add_styles(self, fonts: list[str], fills: list[str], xfs: list[dict]) -> list[int]:
        """Append fonts, fills and cell formats; ``xfs`` items name font/fill by index in the given
        lists and may carry a number ``format`` (a built-in one by its id, another added once)."""
        xml = self.parts["xl/styles.xml"].decode("utf-8")

        def append(tag: str, items: list[str], text: str) -> tuple[str, int]:
            m = re.search(rf'<{tag} count="(\d+)">', text)
            base = int(m.group(1))
            text = text.replace(m.group(0), f'<{tag} count="{base + len(items)}">', 1)
            end = text.index(f"</{tag}>")
            return text[:end] + "".join(items) + text[end:], base

        ids: dict[str, int] = dict(_BUILTIN_FORMATS)
        m = re.search(r'<numFmts count="(\d+)">', xml)
        block = xml[m.start(): xml.index("</numFmts>")] if m else ""
        for num, code in re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"/>', block):
            ids.setdefault(_unescape(code), int(num))
        new = []
        next_id = max([int(i) for i in re.findall(r'numFmtId="(\d+)"', block)] + [163]) + 1
        for fmt in dict.fromkeys(x["format"] for x in xfs if x.get("format")):
            if fmt not in ids:
                ids[fmt] = next_id
                new.append(f'<numFmt numFmtId="{next_id}" formatCode="{xml_attr(fmt)}"/>')
                next_id += 1
        if new and m:
            xml, _ = append("numFmts", new, xml)
        elif new:
            xml = xml.replace("<fonts", f'<numFmts count="{len(new)}">{"".join(new)}</numFmts><fonts', 1)
        xml, font_base = append("fonts", fonts, xml)
        xml, fill_base = append("fills", fills, xml)
        entries = []
        for x in xfs:
            font = font_base + x["font"] if x.get("font") is not None else 0
            fill = fill_base + x["fill"] if x.get("fill") is not None else 0
            num = ids[x["format"]] if x.get("format") else 0
            align = x.get("align", "")
            attrs = (f'numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0" applyFont="1"'
                     ' applyFill="1"')
            if num:
                attrs += ' applyNumberFormat="1"'
            if align:
                entries.append(f'<xf {attrs} applyAlignment="1">{align}</xf>')
            else:
                entries.append(f"<xf {attrs}/>")
        xml, xf_base = append("cellXfs", entries, xml)
        self.parts["xl/styles.xml"] = xml.encode("utf-8")
        return [xf_base + i for i in range(len(xfs))]

    # ---------------------------------------------------------------- parts
    def add_part(self, path: str, data: bytes, content_type: str | None = None) -> None:
        if path not in self.parts:
            self.order.append(path)
        self.parts[path] = data
        if content_type:
            types = self.parts["[Content_Types].xml"].decode("utf-8")
            entry = f'<Override PartName="/{xml_attr(path)}" ContentType="{xml_attr(content_type)}"/>'
            if entry not in types:
                types = types.replace("</Types>", entry + "</Types>")
            self.parts["[Content_Types].xml"] = types.encode("utf-8")

    def add_sheet(self, name: str, xml: str | Packed, rels: str | None = None) -> int:
        """Append a worksheet after every existing sheet; returns its 0-based position."""
        self._sheets += 1
        number = self._sheets
        while f"xl/worksheets/sheet{number}.xml" in self.parts:
            number += 1
        path = f"xl/worksheets/sheet{number}.xml"
        self.last_sheet_part = path
        self.add_part(path, xml if isinstance(xml, Packed) else xml.encode("utf-8"), _SHEET_TYPE)
        if rels:
            self.add_part(f"xl/worksheets/_rels/sheet{number}.xml.rels", rels.encode("utf-8"))
        rels_path = "xl/_rels/workbook.xml.rels"
        wb_rels = self.parts[rels_path].decode("utf-8")
        rid = f"rIdS{number}"
        wb_rels = wb_rels.replace("</Relationships>",
                                  f'<Relationship Id="{rid}" Type="{_SHEET_REL}" Target="/{xml_attr(path)}"/>'
                                  "</Relationships>")
        self.parts[rels_path] = wb_rels.encode("utf-8")
        workbook = self.parts["xl/workbook.xml"].decode("utf-8")
        ids = [int(i) for i in re.findall(r'sheetId="(\d+)"', workbook)]
        entry = (f'<sheet xmlns:r="{_REL_NS}" name="{xml_attr(name)}" sheetId="{max(ids) + 1}"'
                 f' state="visible" r:id="{rid}"/>')
        workbook = workbook.replace("</sheets>", entry + "</sheets>", 1)
        self.parts["xl/workbook.xml"] = workbook.encode("utf-8")
        return len(re.findall(r"<sheet ", workbook)) - 1

    def add_default_type(self, extension: str, content_type: str) -> None:
        types = self.parts["[Content_Types].xml"].decode("utf-8")
        if f'Extension="{extension}"' not in types:
            entry = f'<Default Extension="{xml_attr(extension)}" ContentType="{xml_attr(content_type)}"/>'
            types = types.replace("<Override", entry + "<Override", 1) if "<Override" in types else \
                types.replace("</Types>", entry + "</Types>")
            self.parts["[Content_Types].xml"] = types.encode("utf-8")

    def add_defined_name(self, name: str, value: str, local_sheet: int | None = None, hidden: bool = False) -> None:
        """A defined name (``_xlnm.Print_Titles``, ``_xlnm._FilterDatabase``…), local to a sheet by position."""
        workbook = self.parts["xl/workbook.xml"].decode("utf-8")
        attrs = f' localSheetId="{int(local_sheet)}"' if local_sheet is not None else ""
        attrs += ' hidden="1"' if hidden else ""
        entry = f'<definedName name="{xml_attr(name)}"{attrs}>{xml_text(value)}</definedName>'
        if "</definedNames>" in workbook:
            workbook = workbook.replace("</definedNames>", entry + "</definedNames>", 1)
        elif "<definedNames/>" in workbook:
            workbook = workbook.replace("<definedNames/>", f"<definedNames>{entry}</definedNames>", 1)
        else:
            workbook = workbook.replace("</sheets>", f"</sheets><definedNames>{entry}</definedNames>", 1)
        self.parts["xl/workbook.xml"] = workbook.encode("utf-8")

    def set_active(self, position: int) -> None:
        workbook = self.parts["xl/workbook.xml"].decode("utf-8")
        workbook = re.sub(r'activeTab="\d+"', f'activeTab="{position}"', workbook, count=1)
        self.parts["xl/workbook.xml"] = workbook.encode("utf-8")

    def to_bytes(self, compresslevel: int = 6) -> bytes:
        """The package as a zip; a part given as :class:`Packed` (compressed elsewhere, e.g. in
        another process) goes in as it is."""
        return write_zip([(name, self.parts[name]) for name in self.order], compresslevel)


class Packed:
    """A part as it goes into the zip: already compressed (raw deflate, ``method`` 8) or stored
    as it is (``method`` 0), with what the zip directory needs to know."""

    __slots__ = ("crc", "size", "data", "method")

    def __init__(self, crc: int, size: int, data: bytes, method: int = 8) -> None:
        self.crc, self.size, self.data, self.method = crc, size, data, method

    @classmethod
    def of(cls, raw: bytes, compresslevel: int = 1) -> Packed:
        packer = zlib.compressobj(compresslevel, zlib.DEFLATED, -15)
        return cls(zlib.crc32(raw), len(raw), packer.compress(raw) + packer.flush())


_DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1  # 2026-01-01 00:00, every part: builds are reproducible


def write_zip(entries: list[tuple[str, bytes | Packed]], compresslevel: int = 6) -> bytes:
    """A plain zip (no zip64: parts stay far below 4 GB by the limits) of the entries; bytes are
    deflated here, a :class:`Packed` part goes in as it is (its data may be any bytes-like object)."""
    chunks: list = []
    central = []
    offset = 0
    for name, data in entries:
        part = data if isinstance(data, Packed) else Packed.of(data, compresslevel)
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else 0x800
        size = len(part.data)
        chunks.append(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, part.method, 0, _DOS_DATE, part.crc, size,
                                  part.size, len(encoded), 0))
        chunks.append(encoded)
        chunks.append(part.data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, part.method, 0, _DOS_DATE,
                                   part.crc, size, part.size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
        offset += 30 + len(encoded) + size
    directory = b"".join(central)
    chunks.append(directory)
    chunks.append(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0))
    return b"".join(chunks)


def sheet_xml(rows: list[list[object]], *, widths: dict[int, float] | None = None,
              row_styles: dict[int, int] | None = None, cell_styles: dict[tuple[int, int], int] | None = None,
              column_styles: dict[int, int] | None = None, freeze: str | None = None,
              protection_hash: str | None = None, landscape: bool = True, fit_width: int = 1,
              drawing_rid: str | None = None, merges: list[str] | None = None,
              heights: dict[int, float] | None = None, hidden_rows: set[int] | frozenset[int] = frozenset(),
              hidden_cols: set[int] | frozenset[int] = frozenset(), autofilter: str | None = None,
              legacy_drawing_rid: str | None = None, header: str | None = None, footer: str | None = None,
              fit_height: int = 0) -> str:
    """A worksheet part: values (strings inline, numbers, ``("=", formula)``), styles by row/cell/column.

    ``header``/``footer``: the printed page's (Excel header codes such as ``&C`` and ``&P``, escaped here)."""
    row_styles = row_styles or {}
    cell_styles = cell_styles or {}
    column_styles = column_styles or {}
    heights = heights or {}
    out = [f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{_REL_NS}">',
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>']
    if freeze:
        m = re.match(r"([A-Z]+)(\d+)", freeze)
        col = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(m.group(1)))) - 1
        row = int(m.group(2)) - 1
        pane = [f'xSplit="{col}"' if col else "", f'ySplit="{row}"' if row else ""]
        active = "bottomRight" if col and row else ("bottomLeft" if row else "topRight")
        out.append(f'<sheetViews><sheetView workbookViewId="0"><pane {" ".join(p for p in pane if p)}'
                   f' topLeftCell="{xml_attr(freeze)}" activePane="{active}" state="frozen"/></sheetView></sheetViews>')
    if widths or hidden_cols:
        cols = {**{c: 9.0 for c in hidden_cols}, **(widths or {})}
        out.append("<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"'
                                      + (' hidden="1"' if c in hidden_cols else "") + "/>"
                                      for c, w in sorted(cols.items())) + "</cols>")
    out.append("<sheetData>")
    width = max((len(r) for r in rows), default=0)
    letters = [col_letters(c) for c in range(1, width + 1)]
    col_attr = {c: f' s="{v}"' for c, v in column_styles.items()}
    cell_attr = {k: f' s="{v}"' for k, v in cell_styles.items()}
    for r, row in enumerate(rows, start=1):
        cells = []
        row_style = row_styles.get(r)
        row_attr = f' s="{row_style}"' if row_style is not None else None
        for c, value in enumerate(row, start=1):
            s_attr = cell_attr.get((r, c)) if cell_attr else None
            if s_attr is None:
                s_attr = row_attr if row_attr is not None else col_attr.get(c, "")
            ref = f"{letters[c - 1]}{r}"
            if value is None or value == "":
                if s_attr:
                    cells.append(f'<c r="{ref}"{s_attr}/>')
                continue
            kind = type(value)
            if kind is str:
                text = xml_text(value)
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() or "\n" in text else ""
                cells.append(f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif kind is int or kind is float:
                cells.append(f'<c r="{ref}"{s_attr}><v>{value!r}</v></c>')
            elif isinstance(value, tuple) and value and value[0] == "=":
                cells.append(f'<c r="{ref}"{s_attr}><f>{xml_text(value[1])}</f></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}"{s_attr} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, Decimal):
                cells.append(f'<c r="{ref}"{s_attr}><v>{format(value, "f")}</v></c>')
            elif isinstance(value, (dt.date, dt.datetime)):
                text = xml_text(value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat())
                cells.append(f'<c r="{ref}"{s_attr} t="inlineStr"><is><t>{text}</t></is></c>')
            else:
                text = xml_text(value)
                cells.append(f'<c r="{ref}"{s_attr} t="inlineStr"><is><t>{text}</t></is></c>')
        ht = f' ht="{heights[r]}" customHeight="1"' if r in heights else ""
        if r in hidden_rows:
            ht += ' hidden="1"'
        out.append(f'<row r="{r}"{ht}>' + "".join(cells) + "</row>")
    out.append("</sheetData>")
    out += _sheet_tail(protection_hash, autofilter, merges, landscape, fit_width, fit_height, header, footer,
                       drawing_rid, legacy_drawing_rid)
    out.append("</worksheet>")
    return "".join(out)


def _sheet_tail(protection_hash: str | None, autofilter: str | None, merges: list[str] | None, landscape: bool,
                fit_width: int, fit_height: int, header: str | None, footer: str | None, drawing_rid: str | None,
                legacy_drawing_rid: str | None) -> list[str]:
    """What follows a worksheet's cells, in the order ECMA-376 gives (§18.3.1.99)."""
    out = []
    if protection_hash:
        out.append(f'<sheetProtection password="{xml_attr(protection_hash)}" sheet="1" objects="1" scenarios="1"'
                   f' formatColumns="0" formatRows="0" autoFilter="0" sort="0"/>')
    if autofilter:
        out.append(f'<autoFilter ref="{xml_attr(autofilter)}"/>')
    if merges:
        out.append(f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{xml_attr(m)}"/>' for m in merges)
                   + "</mergeCells>")
    out.append('<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    out.append(f'<pageSetup paperSize="9" orientation="{"landscape" if landscape else "portrait"}"'
               f' fitToWidth="{fit_width}" fitToHeight="{fit_height}"/>')
    if header or footer:
        out.append("<headerFooter>" + (f"<oddHeader>{xml_text(header)}</oddHeader>" if header else "")
                   + (f"<oddFooter>{xml_text(footer)}</oddFooter>" if footer else "") + "</headerFooter>")
    if drawing_rid:
        out.append(f'<drawing r:id="{xml_attr(drawing_rid)}"/>')
    if legacy_drawing_rid:
        out.append(f'<legacyDrawing r:id="{xml_attr(legacy_drawing_rid)}"/>')
    return out


def free_row_heights(data: bytes, rows: dict[str, set[int]], compresslevel: int = 6) -> bytes:
    """The package with the given rows' heights no longer marked as set by hand (``customHeight``).

    openpyxl writes ``customHeight="1"`` with every row height; Excel then keeps that height when
    the clerk types. Without the flag the height is only where the row starts: the row grows
    (Excel fits it again) as text is typed into it — the rows of the section texts."""
    package = XlsxPackage(data)
    changed = {}
    for sheet, numbers in rows.items():
        part = package.sheet_parts.get(sheet)
        if part is None or not numbers:
            continue
        xml = package.parts[part].decode("utf-8")

        def repl(m: re.Match, numbers: set[int] = numbers) -> str:
            if int(m.group(1)) not in numbers:
                return m.group(0)
            return m.group(0).replace(' customHeight="1"', "").replace(" customHeight='1'", "")

        changed[part] = re.sub(r'<row r="(\d+)"[^>]*>', repl, xml).encode("utf-8")
    if not changed:
        return data
    return write_zip([(name, changed.get(name, package.parts[name])) for name in package.order], compresslevel)
