"""Several periods of summaries made the way a receiving office makes them: the real builder, fill,
export and merge, one period after another (``tests/test_history.py``, and the rendering of the
trends workbook at 20 and 100 units).

Every unit's values differ from period to period (the demo's sample data, seeded by unit and
period); what each unit did in each period (on time, late by so many days, missing, a blank
workbook rejected, never exported) is given by a plan, so a test knows every status and every
number of days late without reading them back from the summaries.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xl_addin.definition.loader import load_definition, read_yaml
from xl_addin.definition.periods import parse_period, submission_deadline
from xl_addin.definition.units import Unit
from xl_addin.demo import demo_dir, sample_data, to_fill_payload
from xl_addin.merge.run import run_merge
from xl_addin.rules.export import export_file
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook

SAMPLE = dict(read_yaml(demo_dir() / "sample.yaml"), mistakes={})


@dataclass
class Sent:
    """What one unit did in one period: ``on_time``, ``late`` (``days`` after the deadline),
    ``missing``, ``rejected`` (a blank workbook) or ``unknown_time`` (filled, never exported)."""

    status: str
    days: int = 0


@dataclass
class Made:
    summaries: dict[str, Path]  # period code -> the summary
    files: dict[tuple[str, str], Path] = field(default_factory=dict)  # (period, unit) -> the file merged
    plan: dict[tuple[str, str], Sent] = field(default_factory=dict)
    units: dict[str, list[Unit]] = field(default_factory=dict)  # period -> the units expected


def period_values(code: str, period: str, name: str) -> dict:
    """A unit's fill payload for a period: the demo's sample data, seeded by unit and period."""
    definition = load_definition()
    return to_fill_payload(definition, sample_data(SAMPLE, f"{code}/{period}", name))


def make_summaries(tmp: Path, receiver: Unit, units_by_period: dict[str, list[Unit]],
                   plan: dict[tuple[str, str], Sent] | None = None,
                   tweak: Callable[[str, str, dict], None] | None = None) -> Made:
    """One summary per period (``tong-hop_<period>.xlsx`` in ``tmp``), merged by ``receiver`` from
    the files its units sent as ``plan`` says (default: on time). ``tweak(unit, period, payload)``
    may change a unit's fill payload first (a unit whose rates fall, for a picture)."""
    plan = plan or {}
    definition = load_definition()
    made = Made({})
    for period_code, units in units_by_period.items():
        period = parse_period(period_code, definition)
        deadline = submission_deadline(period, definition.deadline_working_days)
        work = tmp / period_code
        built = {r.unit.code: r.path for r in build_unit_workbooks(definition, units, period, work / "trong")}
        folder = work / "nop"
        folder.mkdir(parents=True)
        for unit in units:
            sent = plan.get((period_code, unit.code), Sent("on_time"))
            made.plan[(period_code, unit.code)] = sent
            if sent.status == "missing":
                continue
            if sent.status == "rejected":
                shutil.copy(built[unit.code], folder / built[unit.code].name)  # never filled
                continue
            filled = work / "dien" / built[unit.code].name
            payload = period_values(unit.code, period_code, unit.name)
            if tweak:
                tweak(unit.code, period_code, payload)
            fill_workbook(built[unit.code], payload, filled)
            if sent.status == "unknown_time":
                made.files[(period_code, unit.code)] = shutil.copy(filled, folder / filled.name)
                continue
            when = dt.datetime.combine(deadline + dt.timedelta(days=sent.days if sent.status == "late" else 0),
                                       dt.time(9, 30))
            made.files[(period_code, unit.code)] = export_file(filled, folder, when)[0]
        csv = work / "don-vi.csv"
        csv.write_text("code,name,level,parent_code\n"
                       f"{receiver.code},{receiver.name},{receiver.level},{receiver.parent_code or ''}\n"
                       + "".join(f"{u.code},{u.name},{u.level},{u.parent_code}\n" for u in units), encoding="utf-8")
        result = run_merge(folder, output=tmp / f"tong-hop_{period_code}.xlsx", units_path=csv, workers=1)
        made.summaries[period_code] = result.output
        made.units[period_code] = units
    return made
