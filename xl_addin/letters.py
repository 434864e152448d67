"""Vietnamese text folded to plain ASCII letters (file names, document symbols compared).

A leaf module: imports nothing of the package.
"""

from __future__ import annotations

import unicodedata

# đ/Đ is the one Vietnamese letter that NFD does not decompose into a base letter and a mark
_STROKE = str.maketrans("đĐ", "dD")


def unaccented(text: str) -> str:
    """``text`` without diacritics: marks removed, đ → d (NFC first, so any spelling folds the same)."""
    value = unicodedata.normalize("NFC", text).translate(_STROKE)
    return "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
