"""How much room a line of Times New Roman takes: row heights of the sheets the tool writes.

Excel and LibreOffice never grow a merged, wrapped cell to fit its text, so the writer sets
every row's height itself. Widths are the advance widths of Times New Roman (identical to
its metric twin Liberation Serif), in thousandths of an em, for printable ASCII; a
Vietnamese letter is as wide as its base letter, except the horned ơ and ư.
"""

from __future__ import annotations

import unicodedata

_ASCII_REGULAR = (
    "250,333,408,500,500,833,778,180,333,333,500,564,250,333,250,278,500,500,500,500,500,500,500,500,500,500,"
    "278,278,564,564,564,444,921,722,667,667,722,611,556,722,722,333,389,722,611,889,722,722,556,722,667,556,"
    "611,722,722,944,722,722,611,333,278,333,469,500,333,444,500,444,500,444,333,500,500,278,278,500,278,778,"
    "500,500,500,500,333,389,278,500,500,722,500,500,444,480,200,480,541")
_ASCII_BOLD = (
    "250,333,555,500,500,1000,833,278,333,333,500,570,250,333,250,278,500,500,500,500,500,500,500,500,500,500,"
    "333,333,570,570,570,500,930,722,667,722,722,667,611,778,778,389,500,778,667,944,722,778,611,778,722,556,"
    "667,722,722,1000,722,722,667,333,278,333,581,500,333,500,556,444,556,444,333,500,556,278,333,556,278,833,"
    "556,500,556,556,444,389,333,556,500,722,500,500,444,394,220,394,520")
_EXTRA_REGULAR = {"Đ": 722, "đ": 500, "Ơ": 722, "ơ": 529, "Ư": 776, "ư": 542, "–": 500, "—": 1000, "’": 333,
                  "‘": 333, "“": 444, "”": 444, "…": 1000, "«": 500, "»": 500, "\u00a0": 250}
_EXTRA_BOLD = {"Đ": 722, "đ": 556, "Ơ": 778, "ơ": 554, "Ư": 796, "ư": 600, "–": 500, "—": 1000, "’": 333,
               "‘": 333, "“": 500, "”": 500, "…": 1000, "«": 500, "»": 500, "\u00a0": 250}


def _table(ascii_widths: str, extra: dict[str, int]) -> dict[str, int]:
    table = {chr(32 + i): int(w) for i, w in enumerate(ascii_widths.split(","))}
    table.update(extra)
    return table


_REGULAR = _table(_ASCII_REGULAR, _EXTRA_REGULAR)
_BOLD = _table(_ASCII_BOLD, _EXTRA_BOLD)


def char_width(ch: str, bold: bool = False) -> int:
    table = _BOLD if bold else _REGULAR
    width = table.get(ch)
    if width is not None:
        return width
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    if "\u031b" in decomposed:  # horn: ơ, ư and their tones
        base = {"o": "ơ", "O": "Ơ", "u": "ư", "U": "Ư"}.get(base, base)
    return table.get(base, 600)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` at ``size`` points."""
    return sum(char_width(ch, bold) for ch in text) * size / 1000


def wrap_lines(text: str, width_pt: float, size: float, bold: bool = False, first_indent_pt: float = 0) -> int:
    """How many lines ``text`` takes when word-wrapped into ``width_pt`` points (greedy, as Excel does)."""
    total = 0
    space = char_width(" ", bold) * size / 1000
    for paragraph in text.split("\n"):
        lines = 1
        used = first_indent_pt
        for word in paragraph.split(" "):
            w = text_width(word, size, bold)
            if used == 0 or (lines > 1 and used == 0):
                used = w
                continue
            if used + space + w <= width_pt:
                used += space + w
            else:
                lines += 1
                while w > width_pt:  # a word longer than the line is broken
                    lines += 1
                    w -= width_pt
                used = w
        total += lines
    return max(total, 1)


def balanced_lines(text: str, width_pt: float, size: float, bold: bool = False) -> list[str]:
    """A title too wide for its box, cut into two lines of about equal width (not "… THÔNG / TIN")."""
    if text_width(text, size, bold) <= width_pt or " " not in text:
        return [text]
    words = text.split(" ")
    best, best_gap = [text], None
    for i in range(1, len(words)):
        first, second = " ".join(words[:i]), " ".join(words[i:])
        a, b = text_width(first, size, bold), text_width(second, size, bold)
        if max(a, b) > width_pt:
            continue
        gap = abs(a - b)
        if best_gap is None or gap < best_gap:
            best, best_gap = [first, second], gap
    return best
