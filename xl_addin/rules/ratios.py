"""Ratios from the definition's catalogue: Decimal, ROUND_HALF_UP to 2 places, percent numbers.

A zero denominator is "không phát sinh"; a part left empty (``expr.complete``) is "chưa có số
liệu": both have no value (``null`` in JSON), never 0%.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import vnnum
from ..definition import expr
from ..definition.models import Ratio
from ..ui import ui
from ..workbook.reader import WorkbookData

NO_DATA: str = ui("ratio_none")  # a zero denominator
CENT = Decimal("0.01")


def missing_text() -> str:
    """What a ratio with an empty part shows ("chưa có số liệu"), from ui.yaml."""
    return str(ui("ratio_missing"))


@dataclass
class RatioResult:
    code: str
    label: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None  # percent number, 2 places; None when the denominator is 0 or missing
    unit: str | None = None
    excel_value: Any = None
    suspect: bool = False  # built on a value validation found implausible (the narrative marks it)
    missing: bool = False  # a part of the numerator or denominator is empty: no value, never 0%

    @property
    def status(self) -> str:
        """ok | missing (a part left empty) | zero (the denominator is 0: không phát sinh)."""
        if self.value is not None:
            return "ok"
        return "missing" if self.missing else "zero"

    @property
    def formatted(self) -> str:
        if self.value is None:
            return missing_text() if self.missing else NO_DATA
        return vnnum.percent(self.value)

    @property
    def excel_agrees(self) -> bool | None:
        """Whether the workbook's own formula cell shows the same value (None: no cached value)."""
        raw = self.excel_value
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            return self.value is None and raw.strip() == self.formatted
        if self.value is None:
            return False
        shown = (Decimal(repr(raw)) * 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return shown == self.value

    def to_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "numerator": _num(self.numerator),
                "denominator": _num(self.denominator), "value": _num(self.value), "formatted": self.formatted,
                "status": self.status, "excel_agrees": self.excel_agrees}


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def ratio_value(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (numerator * 100 / denominator).quantize(CENT, rounding=ROUND_HALF_UP)


def compute_ratio(ratio: Ratio, env: expr.Env) -> RatioResult:
    num_node, den_node = expr.parse(ratio.numerator), expr.parse(ratio.denominator)
    num = expr.evaluate(num_node, env)
    den = expr.evaluate(den_node, env)
    if not (expr.complete(num_node, env) and expr.complete(den_node, env)):
        return RatioResult(ratio.code, ratio.label, num, den, None, ratio.unit, missing=True)
    return RatioResult(ratio.code, ratio.label, num, den, ratio_value(num, den), ratio.unit)


def env_for(data: WorkbookData) -> expr.Env:
    columns = {(t, c): [row.get(c) for row in rows] for t, rows in data.tables.items()
               for c in (rows[0].keys() if rows else [])}
    return expr.Env(data.values, columns, {k: len(v) for k, v in data.lists.items()})


def compute_ratios(data: WorkbookData) -> dict[str, RatioResult]:
    env = env_for(data)
    out = {}
    for ratio in data.definition.ratios:
        result = compute_ratio(ratio, env)
        result.excel_value = data.excel_ratios.get(ratio.code)
        out[ratio.code] = result
    return out
