"""Numbers, money, ratios and dates the way Vietnamese official reports write them.

Digits come from babel (``xl_addin.vnnum``, locale vi_VN: "." groups thousands, "," marks
decimals). The words (units of money, the "không phát sinh" phrase) come from the narrative's
``phrases.yaml``; this module only decides the shape of a number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .. import vnnum

MISSING = "…"


class Suspect(Decimal):
    """A number validation found implausible (``value_implausible``): what a template works out
    from it (a sum, a difference) stays suspect, so the sentence that states it is marked."""

    __slots__ = ()


def _propagating(name: str):
    method = getattr(Decimal, name)

    def op(self, *args):
        result = method(self, *args)
        return Suspect(result) if isinstance(result, Decimal) and result.is_finite() else result

    op.__name__ = name
    return op


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__neg__", "__pos__", "__abs__"):
    setattr(Suspect, _name, _propagating(_name))


def is_suspect(value: Any) -> bool:
    return isinstance(value, Suspect)


class Qualified(Decimal):
    """A figure the unit stated approximately («khoảng», «trên», «dự kiến»…): ``word`` goes before it
    wherever it is told, and what a template works out from it keeps the word. In a summary, a total
    only some units reported carries its coverage too (``cover``, «5/12»: told after the sentence)."""

    __slots__ = ("word", "cover")


class QualifiedSuspect(Qualified, Suspect):
    """Both: stated approximately and found implausible."""

    __slots__ = ()


class Span(Qualified):
    """In a summary, a figure each unit reports and the merge does not add up (a typed percentage),
    told as the range of the units' values: the value is the highest, ``low`` the lowest."""

    __slots__ = ("low",)
    low: Decimal


def qualified(value: Decimal, word: str, suspect: bool = False, cover: str = "") -> Qualified:
    out = (QualifiedSuspect if suspect else Qualified)(value)
    out.word = word
    out.cover = cover
    return out


def covered(value: Decimal, cover: str) -> Qualified:
    """``value`` (its word and mark kept) as a total of ``cover`` («5/12») of the units."""
    return qualified(value, word_of(value), is_suspect(value), cover)


def span(low: Decimal, high: Decimal, cover: str) -> Span:
    out = Span(high)
    out.word, out.cover, out.low = "", cover, low
    return out


def _qualifying(name: str):
    method = getattr(Decimal, name)

    def op(self, *args):
        result = method(self, *args)
        if not (isinstance(result, Decimal) and result.is_finite()):
            return result
        cover = cover_of(self) or next((cover_of(a) for a in args if cover_of(a)), "")
        return qualified(result, self.word, is_suspect(self) or any(is_suspect(a) for a in args), cover)

    op.__name__ = name
    return op


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__neg__", "__pos__", "__abs__"):
    setattr(Qualified, _name, _qualifying(_name))


def word_of(value: Any) -> str:
    """The word a figure stated approximately is told with («khoảng»), or ""."""
    return getattr(value, "word", "") if isinstance(value, Qualified) else ""


def cover_of(value: Any) -> str:
    """The coverage of a summary's figure («5/12»: reported by 5 of the 12 units), or ""."""
    return getattr(value, "cover", "") if isinstance(value, Qualified) else ""


def with_word(text: str, value: Any) -> str:
    word = word_of(value)
    return f"{word} {text}" if word and text and text != MISSING else text


# A figure's coverage rides in the text between these marks until its block is known: the block
# then says it once, at its end («… (theo số liệu của 5/12 đơn vị).»). Private-use characters,
# never typed by anyone; ``strip_covers`` takes them out.
COVER_OPEN, COVER_CLOSE = "\ue000", "\ue001"
_COVER = re.compile(f"{COVER_OPEN}([^{COVER_CLOSE}]*){COVER_CLOSE}")


def cover_mark(cover: str) -> str:
    return f"{COVER_OPEN}{cover}{COVER_CLOSE}" if cover else ""


def strip_covers(text: str) -> tuple[str, list[str]]:
    """``text`` without its coverage marks, and the coverages it held (each once, in order)."""
    found = list(dict.fromkeys(_COVER.findall(text)))
    return (_COVER.sub("", text), found) if found else (text, [])


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def trim(d: Decimal) -> Decimal:
    """54.020 -> 54.02; 310 stays 310 (never 3.1E+2)."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def plain(value: Any, decimals: int | None = None) -> str:
    """A number with thousands dots and a decimal comma, trailing zeros dropped: 1.059; 54,02."""
    d = to_decimal(value)
    if d is None:
        return MISSING
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return vnnum.number(trim(d))


def count(value: Any) -> str:
    """A count as officials write it: 1.059; 05 (one to nine get a leading zero); 0."""
    d = to_decimal(value)
    if d is None:
        return MISSING
    if d == d.to_integral_value() and 0 < d < 10:
        return f"0{int(d)}"
    return plain(d)


def percent(value: Any) -> str:
    """A percent number: 99.95 -> 99,95%; 100 -> 100%."""
    d = to_decimal(value)
    if d is None:
        return MISSING
    return vnnum.percent(d)


def points(value: Any) -> str:
    """A difference of percent numbers, unsigned: 2.15 -> 2,15."""
    d = to_decimal(value)
    if d is None:
        return MISSING
    return plain(abs(d).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- money
class Money:
    """Money in the unit the field declares, shown in the unit that reads naturally.

    ``scales`` come from phrases.yaml: ``[{unit, dong, decimals, min, display}]``; the first
    display scale in which every amount has at most ``decimals`` decimals and the largest is
    at least ``min`` wins (54,02 tỷ đồng; 500 triệu đồng; 1.845.655.000 đồng).
    """

    def __init__(self, scales: list[dict]) -> None:
        self.scales = scales
        self.by_unit = {s["unit"].casefold(): Decimal(str(s["so_dong"])) for s in scales}

    def is_money_unit(self, unit: str | None) -> bool:
        return bool(unit) and unit.strip().casefold() in self.by_unit

    def in_dong(self, value: Any, unit: str | None) -> Decimal | None:
        d = to_decimal(value)
        if d is None:
            return None
        factor = self.by_unit.get((unit or "").strip().casefold())
        if factor is None:
            return None
        return (d * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    def _scale_for(self, amounts: Iterable[Decimal]) -> dict:
        amounts = [abs(a) for a in amounts]
        largest = max(amounts, default=Decimal(0))
        display = [s for s in self.scales if s.get("display", True)]
        for scale in display:
            factor = Decimal(str(scale["so_dong"]))
            places = Decimal(1).scaleb(-int(scale.get("decimals", 0)))
            fits = all((a / factor) == (a / factor).quantize(places) for a in amounts)
            if fits and largest / factor >= Decimal(str(scale.get("min", 0))):
                return scale
        return display[-1]

    def format(self, values: list[Any], unit: str | None) -> list[str]:
        """Several amounts in one common display unit (a pair reads "54,02 tỷ đồng/146,25 tỷ đồng")."""
        if not self.is_money_unit(unit):
            return [f"{plain(v)} {unit}".strip() if v is not None else MISSING for v in values]
        dong = [self.in_dong(v, unit) for v in values]
        scale = self._scale_for([d for d in dong if d is not None])
        factor = Decimal(str(scale["so_dong"]))
        return [f"{plain(d / factor)} {scale['unit']}" if d is not None else MISSING for d in dong]

    def one(self, value: Any, unit: str | None) -> str:
        return self.format([value], unit)[0]


# --------------------------------------------------------------------------- dates
def _day(d: int) -> str:
    return f"{d:02d}"


def _month(m: int) -> str:
    """NĐ 30/2020: months 1 and 2 get a leading zero, the others do not."""
    return f"{m:02d}" if m < 3 else str(m)


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def date_short(value: Any) -> str:
    """In running text: 05/02/2025, 14/6/2026 (the leading-zero rule of the place-and-date line)."""
    d = as_date(value)
    if d is None:
        return MISSING
    return f"{_day(d.day)}/{_month(d.month)}/{d.year}"


def date_parts(value: Any) -> dict[str, str] | None:
    """{day, month, year} for "ngày 05 tháng 02 năm 2025" / "ngày 03 tháng 6 năm 2022"."""
    d = as_date(value)
    if d is None:
        return None
    return {"day": _day(d.day), "month": _month(d.month), "year": str(d.year)}
