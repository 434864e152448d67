"""The one escaping policy for text the tool writes into XML parts and documents.

Every part writer (sheet XML, the merge's summary and lineage sheets, shared parts, the add-in
packager) passes text through ``xml_text`` (element content) or ``xml_attr`` (attribute values).
Text that came from a returned file may hold anything — control characters in a file or unit
name, a literal ``_x0041_`` — and the part must stay well-formed XML 1.0 that Excel opens
without offering a repair, showing what the file held:

* a control character that XML 1.0 forbids (U+0000–U+001F but tab, line feed and carriage
  return; U+FFFE, U+FFFF; a lone surrogate) becomes ``_xHHHH_``, the way Excel itself writes it
  (ECMA-376 Part 1, §22.4.2.4 ST_Xstring), so a reader turns it back into the character;
* a literal ``_xHHHH_`` already in the text becomes ``_x005F_xHHHH_`` (the underscore escaped),
  so it reads back as typed and is never decoded into another character;
* ``&``, ``<``, ``>`` (and in attributes ``"``, ``'``, tab and line breaks) become entities.

``ooxml_escape`` does only the first two steps, for writers that escape entities themselves
(openpyxl, XlsxWriter's strings, python-docx do: they get the text with ``_xHHHH_`` already in).

Word documents and PDF have no such escape: ``plain_text`` drops the control characters and
says how many it dropped, so the caller can report it.

This module imports nothing from the package (other modules build on it).
"""

from __future__ import annotations

import re

# forbidden in XML 1.0 (tab, LF, CR allowed), plus the non-characters U+FFFE/U+FFFF and lone surrogates
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LITERAL = re.compile("_(x[0-9A-Fa-f]{4}_)")
_NEEDS_WORK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_TEXT_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ATTR_ENTITIES = {**_TEXT_ENTITIES, '"': "&quot;", "'": "&apos;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_TEXT_SPECIAL = re.compile("[&<>]")
_ATTR_SPECIAL = re.compile("[&<>\"'\t\n\r]")


def _hex(m: re.Match) -> str:
    return f"_x{ord(m.group(0)):04X}_"


def ooxml_escape(text: str) -> str:
    """Control characters as ``_xHHHH_``, a literal ``_xHHHH_`` as ``_x005F_xHHHH_`` (no entities)."""
    if not _NEEDS_WORK.search(text):
        return text
    text = _LITERAL.sub(r"_x005F_\1", text)
    return _FORBIDDEN.sub(_hex, text)


def xml_text(value: object) -> str:
    """Element content: OOXML escapes, then ``&``, ``<``, ``>``."""
    text = ooxml_escape(value if isinstance(value, str) else str(value))
    if _TEXT_SPECIAL.search(text):
        text = _TEXT_SPECIAL.sub(lambda m: _TEXT_ENTITIES[m.group(0)], text)
    return text


def xml_attr(value: object) -> str:
    """An attribute value (for double or single quotes): OOXML escapes, then every entity an
    attribute needs, with tab and line breaks as character references (kept, not normalised)."""
    text = ooxml_escape(value if isinstance(value, str) else str(value))
    if _ATTR_SPECIAL.search(text):
        text = _ATTR_SPECIAL.sub(lambda m: _ATTR_ENTITIES[m.group(0)], text)
    return text


def plain_text(value: object) -> tuple[str, int]:
    """Text for a Word document or a PDF: the forbidden characters dropped; (text, how many)."""
    text = value if isinstance(value, str) else str(value)
    cleaned, count = _FORBIDDEN.subn("", text)
    return cleaned, count


def has_forbidden(text: str) -> bool:
    return bool(_FORBIDDEN.search(text))


__all__ = ["ooxml_escape", "xml_text", "xml_attr", "plain_text", "has_forbidden"]
