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
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
    text = _ILLEGAL_XML.sub("", str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


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
        targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
        targets.update({m.group(2): m.group(1) for m in re.finditer(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
        out = {}
        for m in re.finditer(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
            name = _unescape(m.group(1))
            target = targets[m.group(2)]
            out[name] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        return out

    def patched(self, cells: dict[str, dict[str, object]], compresslevel: int = 6) -> bytes:
        """A new .xlsx with ``cells[sheet_name][A1] = value`` written in place."""
        changed = {}
        for sheet, values in cells.items():
            part = self.sheet_parts[sheet]
            changed[part] = patch_sheet_xml(self.parts[part].decode("utf-8"), values).encode("utf-8")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
            for name in self.order:
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, changed.get(name, self.parts[name]), compresslevel=compresslevel)
        return buf.getvalue()


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


_CELL_RE_CACHE: dict[str, re.Pattern] = {}


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
