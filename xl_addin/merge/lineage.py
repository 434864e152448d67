"""Lineage rows of the summary (summary cell ← unit, file, cell, value), rendered as sheet-XML
fragments in the worker that read the file, so the merge's final write only numbers them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from ..definition.models import ReportDefinition
from ..workbook.layout import compute_layout

AGGREGATED = ("sum", "same", "max", "list")


def _inline(col: str, text: Any) -> str:
    value = "" if text is None else escape(str(text))
    return f'<c r="{col}{{r}}" t="inlineStr"><is><t>{value}</t></is></c>'


def _value(value: Any) -> str:
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="H{{r}}"><v>{value!r}</v></c>'
    return _inline("H", value)


_PLANS: dict[int, tuple[ReportDefinition, list[tuple[str, str, str]]]] = {}


def _plan(definition: ReportDefinition) -> list[tuple[str, str, str]]:
    """(field code, cells before the unit's, cell after them) of every aggregated field (built
    once per definition: only the unit and the value change from file to file)."""
    hit = _PLANS.get(id(definition))
    if hit is not None and hit[0] is definition:
        return hit[1]
    layout = compute_layout(definition)
    plan = []
    for f in definition.fields():
        if f.is_input and f.aggregate in AGGREGATED:
            address = layout.fields[f.code].address
            plan.append((f.code, _inline("A", address) + _inline("B", f.code) + _inline("C", f.label),
                         _inline("G", address)))
    if len(_PLANS) > 16:
        _PLANS.clear()
    _PLANS[id(definition)] = (definition, plan)
    return plan


def fragments(definition: ReportDefinition, unit_code: str, unit_name: str, file: str,
              values: dict[str, Any]) -> list[str]:
    """One row per aggregated field with a value; ``{r}`` stands for the row number."""
    unit = _inline("D", unit_code) + _inline("E", unit_name) + _inline("F", file)
    out = []
    for code, before, after in _plan(definition):
        value = values.get(code)
        if value is not None:
            out.append(before + unit + after + _value(value))
    return out
