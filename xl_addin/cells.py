"""A1 references: column letters and numbers, cell names, quoted sheet names (the one copy).

A leaf module: it imports nothing else of the package, so every layer may use it."""

from __future__ import annotations

import re

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def col_number(letters: str) -> int:
    """``"A"`` -> 1, ``"AB"`` -> 28 (no bounds check: callers bound the letters they accept)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(n: int) -> str:
    """1 -> ``"A"``, 28 -> ``"AB"``."""
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int, absolute: bool = False) -> str:
    letter = col_letters(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


def ref_to_rc(ref: str) -> tuple[int, int]:
    """``"C9"`` / ``"$C$9"`` -> (9, 3); ValueError for anything else."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), col_number(m.group(1))


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"
