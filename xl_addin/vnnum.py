"""Vietnamese number formatting (babel, locale vi_VN: '.' groups thousands, ',' marks decimals)."""

from __future__ import annotations

import re as _re
from decimal import ROUND_HALF_UP, Decimal, localcontext

from babel.numbers import format_decimal

from .memo import cached
from .ui import ui, ui_text

LOCALE = "vi_VN"


def number(value: Decimal | int | float, decimals: int | None = None) -> str:
    """1845655000 -> '1.845.655.000'; 54.02 with decimals=3 -> '54,020'."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return _number(str(d), decimals)


@cached(maxsize=4096)
def _number(text: str, decimals: int | None) -> str:
    """``number`` of the Decimal written ``text`` (its exact spelling: 1.0 and 1 print apart), kept:
    babel takes 80 µs a number, and the same bounds and amounts come back in every file."""
    d = Decimal(text)
    with localcontext() as ctx:
        ctx.prec = 80  # absurdly large values (a clerk's typo) must still print
        if decimals is not None:
            d = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            return format_decimal(d, format=pattern, locale=LOCALE)
        return format_decimal(d, locale=LOCALE, decimal_quantization=False)


def percent(value: Decimal | float | int) -> str:
    """A percent number (99.95 means 99,95%) rounded half-up to 2 places: '99,95%'; 100 -> '100%'."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    with localcontext() as ctx:
        ctx.prec = 80
        d = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        text = format_decimal(d, format="#,##0.##", locale=LOCALE)
    return f"{text}%"


_VN_THOUSANDS = _re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_VN_DECIMAL = _re.compile(r"^[+-]?\d+(,\d+)?$")
_EN_NUMBER = _re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = _re.compile(r"^[+-]?\d+(\.\d+)?$")


def parse_text_number(text: str) -> tuple[Decimal | None, str]:
    """How a number typed as text would read the Vietnamese way, and a note on its shape.

    Returns (value, note); value is None when the text is not a clean number. The caller
    reports both and never uses the value silently (domain.md §11.2).
    """
    words = ui("numbers")
    raw = " ".join(str(text).split())
    t = raw.lower()
    note = ""
    for q in words["qualifiers"]:
        if t.startswith(q):
            note = ui_text("numbers.qualified", word=q)
            t = t[len(q):].strip()
            break
    m = _re.match(r"^([0-9.,+-]+)\s*(%|[^\d\s].*)?$", t)
    if not m:
        return None, note or words["not_a_number"]
    num, unit = m.group(1), (m.group(2) or "").strip()
    if unit:
        note = (note + "; " if note else "") + ui_text("numbers.with_unit", unit=unit)
    if _VN_THOUSANDS.match(num):
        return Decimal(num.replace(".", "").replace(",", ".")), note
    if _EN_NUMBER.match(num):
        # "1,845,655,000" is English; "54,020" is ambiguous (54,02 the Vietnamese way)
        if num.count(",") == 1:
            note = (note + "; " if note else "") + words["comma_ambiguous"]
            return Decimal(num.replace(",", ".")), note
        return Decimal(num.replace(",", "")), (note + "; " if note else "") + words["english"]
    if _VN_DECIMAL.match(num):
        return Decimal(num.replace(",", ".")), note
    if _PLAIN.match(num):
        return Decimal(num), note
    return None, (note + "; " if note else "") + words["unclear"]
