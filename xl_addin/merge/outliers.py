"""Values a merge points out for a second look (``outliers`` of ``cchc merge --json``, notes on
Tổng hợp), with thresholds from the definition (``merge.outliers`` in report.yaml):

* ``implausible``: the ``value_implausible`` error of the validation rules (above the bound for the
  unit's level, ``plausible_bound``), for a lower-level summary its ``value_implausible_units``;
* ``jump``: against the same unit's previous period (``--previous``): an amount multiplied or
  divided by ``factor`` when both values are at least ``min_value``, a rate moved by more than
  ``rate_points`` points;
* ``far_from_peers``: the modified z-score 0.6745·(x − median)/MAD (Iglewicz and Hoaglin) above
  ``z`` among the units of the same level, on ratios and on the log of positive amounts, when at
  least ``min_units`` units of the level have a value; none when MAD = 0.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import vnnum
from ..definition.models import ReportDefinition
from ..errors import render
from .summary_layout import UnitRow, value_columns

KINDS = ("implausible", "jump", "far_from_peers")


@dataclass
class Outlier:
    unit: str
    name: str
    field: str
    value: Any
    kind: str
    importance: str
    code: str
    reason: str
    file: str | None = None

    def to_json(self) -> dict:
        from ..problems import to_jsonable

        return {"unit": self.unit, "name": self.name, "field": self.field, "value": to_jsonable(self.value),
                "kind": self.kind, "importance": self.importance, "code": self.code, "reason": self.reason,
                "file": self.file}


def _shown(value: Any) -> str:
    value = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if value == value.to_integral_value():
        return vnnum.number(value.to_integral_value())
    value = value.quantize(Decimal("0.001")).normalize()
    return vnnum.number(value)


def _labels(definition: ReportDefinition) -> dict[str, tuple[str, str]]:
    """Column code -> (label, unit) for every Tổng hợp value column."""
    out = {f.code: (f.label, f.unit or "") for f in definition.fields()}
    out.update({r.code: (r.label, "%") for r in definition.ratios})
    return out


def _level_label(definition: ReportDefinition, level: str | None) -> str:
    stamped = next((f for f in definition.fields() if f.stamp == "unit.level" and f.choices), None)
    options = {o.code: o.label for o in definition.choice_list(stamped.choices).options} if stamped else {}
    return options.get(level or "", level or "").lower()


def implausible(definition: ReportDefinition, subs: list) -> list[Outlier]:
    """The ``value_implausible`` findings of the merged files (a summary's too), one per field."""
    from ..workbook.reader import IMPLAUSIBLE

    importance = definition.merge.outliers.implausible.importance
    fmap = definition.field_map()
    out = []
    for s in subs:
        seen = set()
        for f in s.findings:
            if f.get("rule") not in IMPLAUSIBLE:
                continue
            for code in f.get("fields") or ():
                value = s.values.get(code)
                if code in seen or code not in fmap or value is None:
                    continue
                seen.add(code)
                item = fmap[code]
                level = str(s.unit.get("level") or "") or None
                bound = item.plausible_bound(level)
                out.append(Outlier(
                    str(s.unit.get("code")), str(s.unit.get("name")), code, value, "implausible", importance,
                    "merge_outlier_implausible",
                    render("merge_outlier_implausible", name=s.unit.get("name"), label=item.label, value=_shown(value),
                           unit=item.unit or "", level=_level_label(definition, level),
                           limit=_shown(bound) if bound is not None else "…"),
                    s.rel))
    return out


def _rate_columns(definition: ReportDefinition) -> set[str]:
    return {c.key for c in value_columns(definition) if c.kind == "percent"}


def jumps(definition: ReportDefinition, rows: list[UnitRow], previous: dict[str, UnitRow],
          files: dict[str, str] | None = None) -> list[Outlier]:
    """Each unit's values against its row of the previous period's summary."""
    settings = definition.merge.outliers.jump
    rates = _rate_columns(definition)
    labels = _labels(definition)
    out = []
    for row in rows:
        before = previous.get(row.code)
        if before is None or not row.reported or not before.reported:
            continue
        for key, value in row.values.items():
            last = before.values.get(key)
            if value is None or last is None or key not in labels:
                continue
            now, then = Decimal(str(value)), Decimal(str(last))
            label, unit = labels[key]
            params = dict(name=row.name, label=label, value=_shown(now), previous=_shown(then), unit=unit)
            if key in rates:
                if abs(now - then) > settings.rate_points:
                    code = "merge_outlier_jump_rate"
                    params["points"] = _shown(abs(now - then))
                else:
                    continue
            elif now >= settings.min_value and then >= settings.min_value and (
                    now >= then * settings.factor or now * settings.factor <= then):
                code = "merge_outlier_jump_up" if now > then else "merge_outlier_jump_down"
                params["times"] = _shown((now / then if now > then else then / now).quantize(Decimal("0.1")))
            else:
                continue
            out.append(Outlier(row.code, row.name, key, value, "jump", settings.importance, code,
                               render(code, **params), (files or {}).get(row.code)))
    return out


def _far_enough(settings, rate: bool, value: float, typical: float) -> bool:
    """The distance a z-score alone does not ask for (``rate_points``, ``factor``, ``min_value``)."""
    if rate:
        return abs(value - typical) >= float(settings.rate_points)
    factor = float(settings.factor)
    return max(value, typical) >= float(settings.min_value) and (
        value >= typical * factor or value * factor <= typical)


def far_from_peers(definition: ReportDefinition, rows: list[UnitRow], files: dict[str, str] | None = None
                   ) -> list[Outlier]:
    """Modified z-scores among the reported units of each level."""
    settings = definition.merge.outliers.far_from_peers
    threshold = float(settings.z)
    rates = _rate_columns(definition)
    labels = _labels(definition)
    by_level: dict[str | None, list[UnitRow]] = {}
    for row in rows:
        if row.reported:
            by_level.setdefault(row.level, []).append(row)
    out = []
    for level, members in by_level.items():
        if len(members) < settings.min_units:
            continue
        for key in labels:
            points = []
            for row in members:
                value = row.values.get(key)
                if value is None:
                    continue
                x = float(value)
                if key in rates:
                    points.append((row, value, x))
                elif x > 0:
                    points.append((row, value, math.log(x)))
            if len(points) < settings.min_units:
                continue
            xs = [x for _r, _v, x in points]
            median = statistics.median(xs)
            mad = statistics.median(abs(x - median) for x in xs)
            if mad == 0:
                continue
            typical = median if key in rates else math.exp(median)
            label, unit = labels[key]
            for row, value, x in points:
                z = 0.6745 * (x - median) / mad
                if abs(z) <= threshold or not _far_enough(settings, key in rates, float(value), typical):
                    continue
                reason = render("merge_outlier_far_from_peers", name=row.name, label=label, value=_shown(value),
                                unit=unit, median=_shown(Decimal(str(round(typical, 3)))), count=len(points),
                                level=_level_label(definition, level), z=_shown(Decimal(str(round(z, 1)))))
                out.append(Outlier(row.code, row.name, key, value, "far_from_peers", settings.importance,
                                   "merge_outlier_far_from_peers", reason, (files or {}).get(row.code)))
    return out
