"""Reporting periods: codes (T01-2026, Q1-2026, 6T-2026, 9T-2026, N-2026), labels and windows.

The period types, their labels and the NĐ 09/2019 cut-off windows are data in the report
definition; this module only interprets them. Explicit dates override the default window
for units that report on calendar windows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import CchcError, render
from . import expr
from .models import PeriodSettings, PeriodType, ReportDefinition

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    code: str
    type: str
    year: int
    n: int | None
    start: dt.date
    end: dt.date
    label: str
    next_label: str
    # from the definition's level_eras: the administrative code list of the era the period ends in
    # (domain.md §12.6), and whether the period began in an earlier era (Q3-2025, 9T-2025, N-2025)
    code_list: str = ""
    straddles_reorganisation: bool = False

    def to_dict(self) -> dict:
        return {"code": self.code, "from": self.start.isoformat(), "to": self.end.isoformat()}


def _month_day(year: int, month: int, day: int) -> dt.date:
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, day)


def _match(settings: PeriodSettings, code: str) -> tuple[PeriodType, re.Match] | None:
    for ptype in settings.types:
        m = re.fullmatch(ptype.pattern, code)
        if m:
            return ptype, m
    return None


def parse_period(code: str, definition: ReportDefinition, start: dt.date | None = None,
                 end: dt.date | None = None) -> Period:
    code = (code or "").strip().upper()
    found = _match(definition.periods, code)
    if not found:
        raise CchcError("period_invalid", period=code)
    ptype, m = found
    year = int(m.group("year"))
    n = int(m.group("n")) if "n" in m.groupdict() else None
    if n is not None and not 1 <= n <= ptype.count:
        raise CchcError("period_invalid", period=code)
    end_month = int(expr.evaluate(expr.parse(ptype.end_month), expr.Env({"n": n or 0})) or 0)
    default_end = _month_day(year, end_month, definition.periods.end_day)
    default_start = _month_day(year, end_month - ptype.span_months, definition.periods.start_day)
    start = start or default_start
    end = end or default_end
    if start > end:
        raise CchcError("period_dates_invalid", detail=render("period_start_after_end", start=start, end=end))
    if (end - start).days > 400:
        raise CchcError("period_dates_invalid", detail=render("period_longer_than_year"))
    next_n = (n % ptype.count) + 1 if n else None
    next_year = year + 1 if (n is None or n == ptype.count) else year
    values = {
        "n": n, "year": year, "roman": ROMAN.get(n or 0, ""),
        "next_n": next_n, "next_roman": ROMAN.get(next_n or 0, ""), "next_year": next_year,
    }
    era, first = definition.level_era(end), definition.level_era(start)
    return Period(code=code, type=ptype.code, year=year, n=n, start=start, end=end,
                  label=ptype.label.format(**values), next_label=ptype.next_label.format(**values),
                  code_list=era.code_list if era else "", straddles_reorganisation=era is not first)


def is_same_period_last_year(current: Period, earlier: Period) -> bool:
    return current.type == earlier.type and current.n == earlier.n and earlier.year == current.year - 1


def add_working_days(start: dt.date, days: int) -> dt.date:
    """``days`` working days (Monday–Friday) after ``start``."""
    current = start
    added = 0
    while added < days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def submission_deadline(period: Period, working_days: int) -> dt.date:
    """The day a report is due: ``working_days`` working days after the cut-off (NĐ 09/2019 style)."""
    return add_working_days(period.end, working_days)
