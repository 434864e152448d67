"""What a merge found (``MergeResult``): the files merged, rejected, skipped and superseded, the
totals and the units' statuses. Below ``run`` (which fills it) and ``summary``, ``feedback`` and
``status`` (which read it): it imports none of them but ``status``'s record of a unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..definition.models import ReportDefinition
from ..definition.periods import Period
from ..definition.units import Unit
from ..problems import to_jsonable
from .aggregate import Aggregate
from .collect import Submission
from .outliers import Outlier
from .status import REPORTED, UnitStatus


@dataclass
class Duplicate:
    unit: str
    kept: str | None
    superseded: list[str]
    conflict: bool


@dataclass
class MergeResult:
    definition: ReportDefinition
    period: Period
    receiver: Unit
    deadline: dt.date
    merged: list[Submission] = field(default_factory=list)
    rejected: list[Submission] = field(default_factory=list)
    skipped: list[Submission] = field(default_factory=list)
    superseded: list[Submission] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    expected: list[Unit] = field(default_factory=list)
    aggregate: Aggregate = field(default_factory=Aggregate)
    carry_over: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files merged with a caveat (--accept-tampered)
    output: Path | None = None
    units_listed: bool = False  # whether the office named the units it expects (--units)
    units: list[UnitStatus] = field(default_factory=list)  # one per expected unit and per other unit found
    outliers: list[Outlier] = field(default_factory=list)
    excluded: list[Outlier] = field(default_factory=list)  # left out of the totals (--exclude-implausible)
    resubmit_by: dt.date | None = None
    feedback: list[Path] = field(default_factory=list)
    folder: Path | None = None

    @property
    def missing(self) -> list[Unit]:
        """Expected units whose data is not in the summary (``missing_units``): no file merged, and
        not reported inside a merged lower-level summary (a unit that summary lists as missing or
        rejected is not reported). Their status (``units``) tells missing from rejected."""
        covered = set()
        for s in self.merged:
            covered.add(str(s.unit.get("code")))
            covered.update(row.code for row in s.summary_units if row.reported)
        return [u for u in self.expected if u.code not in covered]

    @property
    def completeness(self) -> str:
        """unknown (no unit list), complete (every expected unit reported) or incomplete."""
        if not self.units_listed:
            return "unknown"
        reported = {e.code for e in self.units if e.status in REPORTED}
        return "complete" if all(u.code in reported for u in self.expected) else "incomplete"

    @property
    def flags(self) -> list[str]:
        return self.aggregate.flags + self.carry_over + self.notes

    def to_json(self) -> dict:
        agg = self.aggregate
        return {
            "merged": [{"file": s.rel, "unit": s.unit.get("code"), "warnings": s.warnings, "errors": s.errors}
                       for s in self.merged],
            "rejected": [{"file": s.rel, "reason": s.reason, "code": s.code} for s in self.rejected],
            "skipped": [{"file": s.rel, "reason": s.reason, "code": s.code} for s in self.skipped],
            "superseded": [{"file": s.rel, "reason": s.reason} for s in self.superseded],
            "duplicates": [{"unit": d.unit, "kept": d.kept, "superseded": d.superseded, "conflict": d.conflict}
                           for d in self.duplicates],
            "missing_units": [{"code": u.code, "name": u.name} for u in self.missing],
            "totals": {k: to_jsonable(v) for k, v in agg.values.items() if v is not None},
            "ratios": {k: to_jsonable(r.value) for k, r in agg.ratios.items()},
            "formatted": {k: r.formatted for k, r in agg.ratios.items()},
            "flags": self.flags,
            "period": self.period.to_dict(),
            "deadline": self.deadline.isoformat(),
            "output": str(self.output) if self.output else None,
            "units": [e.to_json() for e in self.units],
            "outliers": [o.to_json() for o in self.outliers],
            "excluded": [o.to_json() for o in self.excluded],
            "completeness": self.completeness,
            "resubmit_by": self.resubmit_by.isoformat() if self.resubmit_by else None,
            "feedback": [str(p) for p in self.feedback],
        }
