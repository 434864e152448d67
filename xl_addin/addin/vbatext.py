"""Vietnamese text inside an ASCII VBA module: ``\\uXXXX`` escapes that ``Ribbon.bas`` decodes with ``ChrW``.

VBA source is stored in a code page (cp1252 in our project, read as cp1258 on Vietnamese Windows),
so ``macros/Ribbon.bas`` stays ASCII. The few messages the add-in's VBA shows before Python can
run (no workbook, Protected View, no Python, Python blocked) live in the message catalogue like
every other message (codes ``vba_*``); the module holds them as escaped constants, which its
function ``U`` decodes. ``python -m xl_addin.addin.vbatext`` prints the constants to paste;
``tests/test_addin_build.py`` fails when the module and the catalogue differ.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import catalogue

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def vba_escape(text: str) -> str:
    """ASCII for a VBA string literal: non-ASCII and control characters as ``\\uXXXX``, quotes doubled."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch == '"':
            out.append('""')
        elif ch == "\\" or not (32 <= ord(ch) < 127):
            if ord(ch) >= 0x8000:  # "&H8000" and above read as negative numbers in VBA; none are needed
                raise ValueError(f"character U+{ord(ch):04X} cannot be decoded by Ribbon.bas")
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def vba_unescape(literal: str) -> str:
    """What ``U`` in Ribbon.bas makes of a string literal's content."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), literal.replace('""', '"'))


def vba_messages() -> dict[str, str]:
    """Constant name -> the text the VBA shows (message, a blank line, what to do)."""
    return {code.upper(): f"{entry['message']}\n\n{entry['action']}" for code, entry in catalogue().items()
            if code.startswith("vba_")}


def constants() -> str:
    return "\n".join(f'Private Const {name} As String = "{vba_escape(text)}"' for name, text in vba_messages().items())


if __name__ == "__main__":
    print(constants())
