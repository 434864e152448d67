"""Aggregate merged submissions the way the report definition declares (the lineage rows come
from the workers, see ``lineage.py``).

``sum`` adds, ``same`` checks equality and flags differences (never adds), ``max`` keeps the
largest, ``list`` joins; computed fields and ratios are recomputed from the aggregated parts,
never averaged. Appendix tables are added column by column (open tables by row label).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import vnnum
from ..definition import expr
from ..definition.models import FieldDef, ReportDefinition
from ..errors import render
from ..rules.ratios import RatioResult, compute_ratio
from ..ui import ui
from ..workbook.layout import TableBlock, compute_layout
from ..workbook.reader import _computed_in_order
from .collect import Submission
from .summary_layout import unit_columns, value_columns

OVERFLOW_LABEL: str = ui("merge.overflow_row")  # the last open row, once the others are taken
UNIT_CODE, UNIT_NAME = "_don_vi_ma", "_don_vi_ten"  # a compiled list item's unit


@dataclass
class Aggregate:
    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    lists: dict[str, list[dict]] = field(default_factory=dict)
    ratios: dict[str, RatioResult] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    units: list = field(default_factory=list)  # Tổng hợp's rows (summary_layout.UnitRow), by unit code
    # field code -> the units whose implausible value (value_implausible) is inside the total
    suspect: dict[str, list[str]] = field(default_factory=dict)


def _tidy(text: Any) -> str:
    """A row's name as typed, in NFC, its spaces tidied («  Hộ   tịch » → «Hộ tịch»)."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split())


def _key(text: Any) -> str:
    return _tidy(text).casefold()


def unit_values(definition: ReportDefinition, sub: Submission) -> dict[str, Any]:
    """A submission's Tổng hợp values: the fields added up by the merge, the figures it reports
    that are not added up, and the ratios of its own workbook (worked out by the worker that read
    it). A lower-level summary's are its totals."""
    values = {c.key: sub.values.get(c.key) for c in [*value_columns(definition), *unit_columns(definition)]
              if c.key in sub.values}
    for ratio in definition.ratios:
        values[ratio.code] = sub.ratios.get(ratio.code)
    return values


def _suspect_totals(definition: ReportDefinition, subs: list[Submission],
                    excluded: dict[str, set[str]]) -> dict[str, list[str]]:
    """Field code -> the units whose implausible value (``value_implausible``, or a lower-level
    summary's ``value_implausible_units``) goes into the total of that field (not those left out)."""
    from ..workbook.reader import IMPLAUSIBLE

    out: dict[str, list[str]] = {}
    for s in subs:
        for f in s.findings:
            if f.get("rule") not in IMPLAUSIBLE:
                continue
            for code in f.get("fields") or ():
                field_def = definition.field_map().get(code)
                if field_def is not None and field_def.aggregate in ("sum", "max", "same") \
                        and s.values.get(code) is not None and str(s.unit.get("code")) not in excluded.get(code, ()) \
                        and str(s.unit.get("name")) not in out.get(code, []):
                    out.setdefault(code, []).append(str(s.unit.get("name")))
    return out


def aggregate(definition: ReportDefinition, subs: list[Submission],
              excluded: dict[str, set[str]] | None = None) -> Aggregate:
    """``excluded``: field code -> the unit codes whose value of that field stays out of the total
    (``cchc merge --exclude-implausible``)."""
    layout = compute_layout(definition)
    agg = Aggregate()
    excluded = excluded or {}
    agg.suspect = _suspect_totals(definition, subs, excluded)
    for code, f in definition.field_map().items():
        if f.is_input and f.aggregate != "none":
            _aggregate_field(agg, f, subs, excluded.get(code, ()))
    # appendix tables, column by column
    for code, block in layout.tables.items():
        agg.tables[code] = _aggregate_table(code, block, subs)
    # lists compiled from the units (e.g. kiến nghị), each item with its unit: they go on the
    # summary's «Kiến nghị của đơn vị» sheet (requests.py), never into the office's own list
    for lst in definition.lists:
        if lst.aggregate == "list":
            agg.lists[lst.code] = _compiled_list(lst.code, lst.key_column.code, subs)
    # computed fields and ratios from the aggregated parts
    columns = {(t, c): [r.get(c) for r in rows] for t, rows in agg.tables.items()
               for c in (rows[0].keys() if rows else [])}
    env = expr.Env(agg.values, columns, {k: len(v) for k, v in agg.lists.items()})
    for f in _computed_in_order(definition):
        agg.values[f.code] = expr.evaluate(expr.parse(f.formula), env)
    for ratio in definition.ratios:
        agg.ratios[ratio.code] = compute_ratio(ratio, env)
    return agg


def _aggregate_field(agg: Aggregate, f: FieldDef, subs: list[Submission], left_out: Iterable[str]) -> None:
    """One field's value over the units (sum, max, same, list); ``same`` with units that disagree
    keeps no value and flags the disagreement."""
    code = f.code
    contributions: list[tuple[Submission, Any]] = [
        (s, s.values.get(code)) for s in subs
        if s.values.get(code) is not None and str(s.unit.get("code")) not in left_out]
    values = [v for _s, v in contributions]
    if not values:
        agg.values[code] = None
    elif f.aggregate == "sum":
        agg.values[code] = sum(Decimal(v) for v in values)  # never empty here: a Decimal
    elif f.aggregate == "max":
        agg.values[code] = max(Decimal(v) for v in values)
    elif f.aggregate == "same":
        distinct = sorted({Decimal(v) for v in values})
        if len(distinct) == 1:
            agg.values[code] = distinct[0]
        else:
            agg.values[code] = None
            by_value: dict[Decimal, list[str]] = {}
            for s, v in contributions:
                by_value.setdefault(Decimal(v), []).append(str(s.unit.get("name")))
            shown = "; ".join(f"{vnnum.number(v)} ({', '.join(names[:3])}{'…' if len(names) > 3 else ''})"
                              for v, names in sorted(by_value.items()))
            agg.flags.append(render("merge_same_mismatch", label=f.label, values=shown))
    elif f.aggregate == "list":
        agg.values[code] = "\n".join(f"{s.unit.get('name')}: {v}" for s, v in contributions)


def _aggregate_table(code: str, block: TableBlock, subs: list[Submission]) -> list[dict]:
    """An appendix table added up column by column: fixed rows by row code, open rows by their
    label (the rows past the block's last but one go to «Khác»)."""
    table = block.definition
    numeric = [c.code for c in table.columns if not c.computed]
    rows: dict[str, dict] = {}
    order: list[str] = []
    for s in subs:
        for row in s.tables.get(code, []):
            if table.fixed:
                key = row.get("row")
            else:  # figures typed on a row without a name are added up under «Khác», never lost
                key = _key(row.get(table.label_column.code))
                if not key and any(row.get(c) is not None for c in numeric):
                    key = _key(OVERFLOW_LABEL)
            if not key:
                continue
            if key not in rows:
                if not table.fixed and len(order) >= block.n_rows - 1 and key != _key(OVERFLOW_LABEL):
                    key = _key(OVERFLOW_LABEL)
                if key not in rows:
                    label = row.get("row") if table.fixed else (
                        OVERFLOW_LABEL if key == _key(OVERFLOW_LABEL) else _tidy(row.get(table.label_column.code)))
                    rows[key] = {("row" if table.fixed else table.label_column.code): label}
                    order.append(key)
            target = rows[key]
            for c in numeric:
                v = row.get(c)
                if v is not None:
                    target[c] = (target.get(c) or Decimal(0)) + Decimal(v)
    out = []
    for key in order:
        row = rows[key]
        for col in table.columns:
            row.setdefault(col.code)
            if col.computed:
                row[col.code] = expr.evaluate(expr.parse(col.formula), expr.Env(row))
        out.append(row)
    if table.fixed:
        position = {r.code: i for i, r in enumerate(table.rows)}
        out.sort(key=lambda r: position[r["row"]])  # the reader gives the form's own row codes only
    return out


def _compiled_list(code: str, key_col: str, subs: list[Submission]) -> list[dict]:
    items = []
    for s in subs:
        for row in s.lists.get(code, []):
            if row.get(key_col):
                items.append({**row, UNIT_CODE: str(s.unit.get("code") or ""),
                              UNIT_NAME: str(s.unit.get("name") or "")})
    return items
