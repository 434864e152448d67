"""``cchc history``: the summaries of several periods read into one long table (pandas).

    long_table(paths)  -> DataFrame: period, unit_code, unit_name, field, value, status, days_late
    read_history(paths) -> History: that table, the periods in order, the receiving office and
                           its own values (the summary's totals), for the trends workbook
    write_csv(table, path)  the long table for tools: UTF-8 with BOM, dot decimals

One row per unit, period and value column of the summary's Tổng hợp (the fields the merge adds
up, from layout 3 the figures each unit reports that are not added up, and the ratios), missing
and rejected units included (no value, their status). Values are in
each field's contract unit (money in tỷ đồng), ratios in percent; ``status`` (``on_time``,
``late``, ``unknown_time``, ``missing``, ``rejected``; empty where the summary's layout did not
record it) and ``days_late`` (0 on time, the days when late, else empty) are the summary's
submission records. Field codes renamed since a summary was written (``versions.yaml``) are
given their current code.

Each summary is read as the merge reads a lower-level summary (``collect.read_all``: the same
pre-flight and limits as a submitted workbook, the workers, ``summary_layout`` for Tổng hợp);
nothing in it is run or changed. Periods are ordered by their end date. Refused, with the file
names: a file that is not readable, not a summary or of another template; two summaries of the
same period; a summary of another receiving office than the others'.

pandas is imported by this module only (and so only by this path: the ribbon and the other
commands never load it).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ..definition.loader import DEFAULT_TEMPLATE, load_definition
from ..definition.models import ReportDefinition
from ..definition.periods import parse_period
from ..errors import CchcError
from .collect import Submission, display_name, read_all

COLUMNS = ["period", "unit_code", "unit_name", "field", "value", "status", "days_late"]
WORKBOOK_SUFFIX = ".xlsx"


@dataclass(frozen=True)
class PeriodInfo:
    """One summary of the history: its period and where it came from."""

    code: str
    label: str
    start: dt.date
    end: dt.date
    file: str  # as named in messages (relative to the summaries' common folder)
    path: Path
    sha256: str
    units: int  # rows of its Tổng hợp
    statuses: bool  # whether its Tổng hợp records each unit's status (layout 2 on)


@dataclass
class History:
    definition: ReportDefinition  # the latest summary's template, for its period
    receiver_code: str
    receiver_name: str
    periods: list[PeriodInfo]  # ordered by end date
    table: pd.DataFrame  # the long table (COLUMNS)
    receiver_values: pd.DataFrame  # period, field, value: the receiving office's own (its totals)

    @property
    def period_codes(self) -> list[str]:
        return [p.code for p in self.periods]


# --------------------------------------------------------------------------- files
def summary_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """The files named (a folder stands for its .xlsx files, not its sub-folders, but for the
    outputs ``exclude`` names), each once."""
    out: list[Path] = []
    seen: set[Path] = set()
    skip = {Path(p).resolve() for p in exclude}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == WORKBOOK_SUFFIX and p.is_file()
                           and not p.name.startswith(("~$", ".~cchc-")) and p.resolve() not in skip)
            if not found:
                raise CchcError("history_folder_empty", folder=path)
        elif path.exists():
            found = [path]
        else:
            raise CchcError("file_not_found", file=path)
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
    if not out:
        raise CchcError("history_no_files")
    return out


def _read(files: list[Path], workers: int | None,
          progress: Callable[[Submission], None] | None) -> list[Submission]:
    """Each file through the merge's own reading (``collect.read_all``: worker processes, a file
    that makes the reader die rejected, not the run), named relative to the files' common folder."""
    resolved = [p.resolve() for p in files]
    try:
        root = Path(os.path.commonpath([str(p.parent) for p in resolved]))
        names = [str(p.relative_to(root)) for p in resolved]
    except ValueError:  # on different drives: each named by its whole path
        root, names = resolved[0].parent, [str(p) for p in resolved]
    return read_all(root, [(p, display_name(name)) for p, name in zip(resolved, names, strict=True)],
                    workers=workers, progress=progress)


# --------------------------------------------------------------------------- checks
def _template(sub: Submission) -> tuple[str, str]:
    return str(sub.template.get("id") or ""), str(sub.template.get("profile") or "")


def _day(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text or "")[:10])
    except ValueError:
        return None


def _period_info(sub: Submission, definition: ReportDefinition) -> PeriodInfo:
    code = str(sub.period.get("code") or "")
    try:
        period = parse_period(code, definition)
    except CchcError:
        raise CchcError("history_period_unknown", file=sub.rel, period=code) from None
    start = _day(sub.period.get("from")) or period.start
    end = _day(sub.period.get("to")) or period.end
    return PeriodInfo(period.code, period.label, start, end, sub.rel, Path(sub.path), sub.sha256,
                      len(sub.summary_units), any(row.status for row in sub.summary_units))


def _checked(subs: list[Submission]) -> list[Submission]:
    """The summaries, or the first reason to refuse (in the order the files were named)."""
    for sub in subs:
        if sub.status != "read":
            if sub.params:
                raise CchcError(sub.code, **sub.params)
            raise CchcError("history_unreadable", reason=sub.reason)
    for sub in subs:
        if sub.kind != "summary":
            raise CchcError("history_not_summary", file=sub.rel, code=sub.unit.get("code"), name=sub.unit.get("name"))
        if not sub.summary_units:
            raise CchcError("history_no_units", file=sub.rel)
    return subs


def _receiver(subs: list[Submission], ends: dict[str, dt.date]) -> Submission:
    """A summary of the office most summaries are of (on a tie, the latest one's); every other
    office's summary, or another template's, refused."""
    counts = collections.Counter(str(s.unit.get("code")) for s in subs)
    top = max(counts.values())
    latest = max((s for s in subs if counts[str(s.unit.get("code"))] == top), key=lambda s: (ends[s.rel], s.rel))
    code = str(latest.unit.get("code"))
    mine = [s.rel for s in subs if str(s.unit.get("code")) == code]
    for s in subs:
        if str(s.unit.get("code")) != code:
            raise CchcError("history_other_receiver", file=s.rel, found=s.unit.get("code"),
                            found_name=s.unit.get("name"), expected=code, expected_name=latest.unit.get("name"),
                            files=", ".join(mine[:5]) + (" …" if len(mine) > 5 else ""))
        if _template(s) != _template(latest):
            raise CchcError("history_other_template", file=s.rel, found=" ".join(filter(None, _template(s))),
                            expected=" ".join(filter(None, _template(latest))), other=latest.rel)
    return latest


def _same_period(periods: list[PeriodInfo]) -> None:
    first: dict[str, PeriodInfo] = {}
    for p in periods:
        if p.code in first:
            raise CchcError("history_same_period", period=p.code, label=p.label, first=first[p.code].file,
                            second=p.file)
        first[p.code] = p


# --------------------------------------------------------------------------- the table
def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return None


def renamed_codes(definition: ReportDefinition) -> dict[str, str]:
    """Codes a past template version used -> today's code (``versions.yaml``)."""
    return {old: new for version in definition.versions for old, new in version.renamed.items()}


def _frame(records: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    return frame


def read_history(paths: Iterable[Path], workers: int | None = None,
                 progress: Callable[[Submission], None] | None = None) -> History:
    """Read the summaries named (files, or folders of them) into one history; refuse what the
    module docstring says."""
    subs = _checked(_read(summary_files(paths), workers, progress))
    infos = {s.rel: _period_info(s, load_definition(*_defn_args(s))) for s in subs}
    ends = {rel: info.end for rel, info in infos.items()}
    receiver = _receiver(subs, ends)
    ordered = sorted(subs, key=lambda s: (infos[s.rel].end, infos[s.rel].start, infos[s.rel].code))
    periods = [infos[s.rel] for s in ordered]
    _same_period(periods)
    definition = load_definition(*_defn_args(receiver)).for_period(periods[-1].end)
    renames = renamed_codes(definition)
    rows: list[tuple] = []
    own: list[tuple] = []
    for sub, period in zip(ordered, periods, strict=True):
        fields: dict[str, None] = {}
        for unit in sorted(sub.summary_units, key=lambda row: row.code):
            status = unit.status or None
            days = unit.days_late if status in ("on_time", "late") else None
            for code, value in unit.values.items():
                current = renames.get(code, code)
                fields[current] = None
                rows.append((period.code, unit.code, unit.name, current, _number(value), status, days))
        for code in fields:
            value = sub.ratios.get(code) if code in sub.ratios else sub.values.get(code)
            own.append((period.code, code, _number(value)))
    table = _frame(rows, COLUMNS)
    table["days_late"] = table["days_late"].astype("Int64")
    return History(definition, str(receiver.unit.get("code")), str(receiver.unit.get("name") or ""), periods, table,
                   _frame(own, ["period", "field", "value"]))


def _defn_args(sub: Submission) -> tuple[str, str | None]:
    template, profile = _template(sub)
    return template or DEFAULT_TEMPLATE, profile or None


def long_table(paths: Iterable[Path]) -> pd.DataFrame:
    """The long table of the summaries named: one row per unit, period and field
    (``COLUMNS``); periods ordered by end date, then units by code, then the fields in the order of
    the summary's Tổng hợp columns."""
    return read_history(paths).table


# --------------------------------------------------------------------------- CSV
def _dot(value: Any) -> str:
    """A value as tools read it: dot decimals, no exponent, no trailing «.0»; empty for none."""
    if value is None or pd.isna(value):
        return ""
    number = Decimal(repr(float(value)))
    if number == number.to_integral_value():
        return str(int(number))
    return format(number, "f")


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The long table as CSV: UTF-8 with a BOM (Excel reads the Vietnamese names right), dot
    decimals, CRLF; a text from a file that a spreadsheet could take for a formula made inert."""
    from ..workbook.safety import inert_text

    out = pd.DataFrame({
        "period": table["period"],
        "unit_code": table["unit_code"].map(inert_text),
        "unit_name": table["unit_name"].map(inert_text),
        "field": table["field"],
        "value": table["value"].map(_dot),
        "status": table["status"].fillna(""),
        "days_late": table["days_late"].map(lambda v: "" if pd.isna(v) else str(int(v))),
    }, columns=COLUMNS)
    return ("\ufeff" + out.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    from ..atomic import write_atomic

    write_atomic(Path(path), csv_bytes(table))
    return Path(path)
