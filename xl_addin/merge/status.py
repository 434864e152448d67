"""Rules of time and each unit's status in a merge.

On time means the date of the export stamp (``exported_at``, written by «Xuất file nộp») is on or
before the deadline date: the whole deadline day counts. The stamp is read whether the meta sheet
holds it as text (``2026-06-16 09:30:00``, what the tool writes) or as an Excel date (a workbook
re-saved by hand). A merged workbook that was never exported has no time: ``unknown_time``. The
file's own modification time is shown beside it (``arrived_at``), never used to judge.

Every unit the office expects gets exactly one status, and so does every other unit found in the
folder: ``on_time``, ``late`` (with ``days_late``), ``unknown_time``, ``missing`` or ``rejected``.
A unit inside a merged lower-level summary takes the status that summary recorded for it (a unit
the summary lists as missing stays missing here: it is never counted as reported).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .collect import Submission
    from .results import MergeResult

STATUSES = ("on_time", "late", "unknown_time", "missing", "rejected")
REPORTED = ("on_time", "late", "unknown_time")
# problems first: what the specialist has to chase comes at the top of the submission sheet
PROBLEM_ORDER = {"missing": 0, "rejected": 1, "late": 2, "unknown_time": 3, "on_time": 4}
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_TEXT_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
_LEADING_CODE = re.compile(r"^([0-9A-Za-z][0-9A-Za-z._-]{0,29}?)[_ ]")


def export_time(value: Any) -> dt.datetime | None:
    """The export stamp as a time: ISO text, dd/mm/yyyy text, a date or an Excel date serial."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # 1900-01-01 .. 9999-12-31, as Excel counts
            return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(microsecond=0)
        return None
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in _TEXT_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def timing(exported: Any, deadline: dt.date) -> tuple[str, int | None]:
    """(status, days late) of a merged submission: the whole deadline day counts as on time."""
    when = export_time(exported)
    if when is None:
        return "unknown_time", None
    days = (when.date() - deadline).days
    return ("on_time", 0) if days <= 0 else ("late", days)


def arrival(sub: Submission) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(sub.mtime).replace(microsecond=0) if sub.mtime else None


@dataclass
class UnitStatus:
    code: str
    name: str
    status: str
    days_late: int | None = None
    exported_at: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    errors: int = 0
    warnings: int = 0
    files: list[dict] = field(default_factory=list)  # {"file", "outcome", "code"}
    via: str | None = None  # the lower-level summary (file, relative to the folder) the unit came through
    level: str | None = None
    expected: bool = False
    submission: Submission | None = None  # the file that decided the status
    reason: str | None = None  # why it was rejected

    @property
    def reported(self) -> bool:
        return self.status in REPORTED

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "status": self.status, "days_late": self.days_late,
                "exported_at": self.exported_at.isoformat(sep=" ") if self.exported_at else None,
                "arrived_at": self.arrived_at.isoformat(sep=" ") if self.arrived_at else None,
                "errors": self.errors, "warnings": self.warnings, "files": self.files, "via": self.via}


def attributed_code(sub: Submission, expected: set[str]) -> str | None:
    """The unit a submission belongs to: its own (validated) code, or, for a file that could not
    be read, the code of an expected unit its name starts with (``71021_…xlsx``)."""
    code = str(sub.unit.get("code") or "")
    if code:
        return code
    m = _LEADING_CODE.match(Path(sub.rel).name)
    return m.group(1) if m and m.group(1) in expected else None


def unit_statuses(result: MergeResult) -> list[UnitStatus]:
    """One entry per expected unit plus one per other unit found (directly or inside a merged
    lower-level summary), sorted by code."""
    expected = {u.code: u for u in result.expected}
    entries: dict[str, UnitStatus] = {}

    def entry(code: str, name: str) -> UnitStatus:
        if code not in entries:
            unit = expected.get(code)
            entries[code] = UnitStatus(code, unit.name if unit else name, "missing",
                                       level=unit.level if unit else None, expected=unit is not None)
        return entries[code]

    for code in expected:
        entry(code, "")
    files: dict[str, list[tuple[str, Submission]]] = {}
    for outcome, subs in (("merged", result.merged), ("rejected", result.rejected),
                          ("superseded", result.superseded)):
        for s in subs:
            code = attributed_code(s, set(expected))
            if code:
                files.setdefault(code, []).append((outcome, s))
    for code, items in files.items():
        e = entry(code, str(items[0][1].unit.get("name") or ""))
        e.files = [{"file": s.rel, "outcome": outcome, "code": s.code or None}
                   for outcome, s in sorted(items, key=lambda p: p[1].rel)]
        if not e.level:
            e.level = next((str(s.unit.get("level")) for _o, s in items if s.unit.get("level")), None)
        merged = next((s for outcome, s in items if outcome == "merged"), None)
        if merged is not None:
            _decided_by(e, merged, result.deadline)
            continue
        rejected = [s for outcome, s in items if outcome == "rejected"]
        if rejected:
            last = max(rejected, key=lambda s: (s.mtime, s.rel))
            e.status, e.submission, e.reason = "rejected", last, last.reason
            e.exported_at, e.arrived_at = export_time(last.meta.get("exported_at")), arrival(last)
            e.errors, e.warnings = last.errors, last.warnings
    for s in result.merged:  # units inside a merged lower-level summary
        own_status, own_days = timing(s.meta.get("exported_at"), result.deadline)
        for row in s.summary_units:
            if row.code in files:
                continue  # sent on its own as well: that file decided (a conflict is rejected)
            e = entry(row.code, row.name)
            if e.via is not None:
                continue  # in two merged summaries: the first one's status stands
            e.via, e.level = s.rel, row.level or e.level
            if row.status is None:  # a summary of the earlier layout: the summary's own time
                e.status, e.days_late = own_status, own_days
            else:
                e.status, e.days_late = row.status, row.days_late
            e.errors = row.errors or 0
    return sorted(entries.values(), key=lambda e: e.code)


def _decided_by(e: UnitStatus, sub: Submission, deadline: dt.date) -> None:
    e.status, e.days_late = timing(sub.meta.get("exported_at"), deadline)
    e.submission = sub
    e.exported_at, e.arrived_at = export_time(sub.meta.get("exported_at")), arrival(sub)
    e.errors, e.warnings = sub.errors, sub.warnings
    e.name = e.name or str(sub.unit.get("name") or "")
