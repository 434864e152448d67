"""Lineage rows of the summary (summary cell ← unit, file, cell, value), rendered as sheet XML
in the worker that read the file, so the merge's final write only joins them.

The rows and cells carry no ``r`` reference: ECMA-376 makes it optional (§18.3.1.4, §18.3.1.73),
a row without one follows the previous row and a cell the previous cell, and Excel, LibreOffice,
python-calamine and openpyxl all place them so. That keeps a unit's rows independent of where
they end up in the sheet (60,000 rows for 1,000 communes).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..definition.models import ReportDefinition
from ..memo import per_object
from ..workbook.layout import compute_layout
from ..xmlescape import xml_text

AGGREGATED = ("sum", "same", "max", "list")


def _inline(text: Any) -> str:
    value = "" if text is None else xml_text(text)
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def _value(value: Any) -> str:
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"<c><v>{value!r}</v></c>"
    return _inline(value)


def _plan(definition: ReportDefinition) -> list[tuple[str, str]]:
    """(field code, its first cells: summary cell, code, label) of every aggregated field (built
    once per definition: only the unit, the source cell and the value change from file to file)."""
    return per_object(definition, "lineage_plan", lambda: tuple(_build_plan(definition)))


def _build_plan(definition: ReportDefinition) -> list[tuple[str, str]]:
    layout = compute_layout(definition)
    return [(f.code, _inline(layout.fields[f.code].address) + _inline(f.code) + _inline(f.label))
            for f in definition.fields() if f.is_input and f.aggregate in AGGREGATED]


def rows_xml(definition: ReportDefinition, unit_code: str, unit_name: str, file: str, values: dict[str, Any],
             cells: dict[str, str]) -> str:
    """The unit's lineage rows: one per aggregated field with a value. ``cells``: where each value
    was read in the file (for a workbook of a past template version, not always where the
    current template has it)."""
    unit = _inline(unit_code) + _inline(unit_name) + _inline(file)
    out = []
    for code, head in _plan(definition):
        value = values.get(code)
        if value is not None:
            out.append(f"<row>{head}{unit}{_inline(cells.get(code))}{_value(value)}</row>")
    return "".join(out)


def without_fields(definition: ReportDefinition, rows: bytes, codes: list[str]) -> bytes:
    """A unit's lineage rows without those of ``codes`` (values the summary leaves out)."""
    heads = dict(_plan(definition))
    for code in codes:
        if code not in heads:
            continue
        start = rows.find(("<row>" + heads[code]).encode("utf-8"))
        if start >= 0:
            end = rows.index(b"</row>", start) + len(b"</row>")
            rows = rows[:start] + rows[end:]
    return rows
