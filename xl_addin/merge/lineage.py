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


def fragments(definition: ReportDefinition, unit_code: str, unit_name: str, file: str,
              values: dict[str, Any]) -> list[str]:
    """One row per aggregated field with a value; ``{r}`` stands for the row number."""
    layout = compute_layout(definition)
    unit = _inline("D", unit_code) + _inline("E", unit_name) + _inline("F", file)
    out = []
    for f in definition.fields():
        if not f.is_input or f.aggregate not in AGGREGATED:
            continue
        value = values.get(f.code)
        if value is None:
            continue
        address = layout.fields[f.code].address
        out.append(_inline("A", address) + _inline("B", f.code) + _inline("C", f.label) + unit
                   + _inline("G", address) + _value(value))
    return out
