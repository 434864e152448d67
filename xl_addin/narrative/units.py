"""What a summary's report knows of its units: Tổng hợp read back through ``summary_layout`` (the
summary file, or the ribbon's open workbook), never the merge's memory.

- ``completeness()``: the numbers and names of the completeness sentence (``tong_hop.j2``): units
  received (on time, late or of unknown time), expected (the office's list, ``--units``, without the
  office itself), late, not received, rejected; whether there was a list at all.
- ``coverage(code)``: how many of the units received reported a total's field (5 of 12); a
  ``same`` field's figure is each unit's, told so.
- ``span(code)``: the lowest and highest value of a figure each unit reports and the merge does not
  add up (a typed percentage), or of a ``same`` field the units disagree on.
- ``behind(rule)``: the units whose own report fails a rule the summary fails too.

A merge of lower-level summaries has one row per summary it merged: those count as one unit each
here (each summary's own report tells its units' completeness).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..definition import expr
from ..definition.models import ReportDefinition
from ..errors import CchcError
from ..merge.summary_layout import SummaryTable, UnitRow, read_file, unit_columns, value_columns


@dataclass
class Units:
    definition: ReportDefinition
    table: SummaryTable
    suspect: dict[str, list[str]]  # field code -> the units whose implausible value is in its total

    # ---------------------------------------------------------------- who
    @property
    def listed(self) -> bool | None:
        """Whether the merge had the office's list; None when the summary does not say (written
        before layout 3 and no unit missing: only a list makes a unit missing)."""
        listed = self.table.units_listed
        if listed is None and any(r.status == "missing" for r in self.table.rows):
            return True
        return listed

    @property
    def counted(self) -> list[UnitRow]:
        """The units the sentence is about: the office's list (layout 3 marks them), else every row."""
        rows = self.table.rows
        if self.listed and self.table.units_listed:
            return [r for r in rows if r.expected]
        return rows

    @property
    def received(self) -> list[UnitRow]:
        return [r for r in self.counted if r.reported]

    def completeness(self) -> dict[str, Any]:
        counted = self.counted
        return {
            "co_danh_sach": self.listed,
            "da_nhan": len(self.received),
            "phai_nop": len(counted),
            "muon": sum(1 for r in counted if r.status == "late"),
            "don_vi_muon": [r.name for r in counted if r.status == "late"],
            "chua_nhan": [r.name for r in counted if r.status == "missing"],
            "bi_tra_lai": [r.name for r in counted if r.status == "rejected"],
        }

    # ---------------------------------------------------------------- figures
    def _reported(self) -> list[UnitRow]:
        return [r for r in self.table.rows if r.reported]

    def coverage(self, code: str) -> tuple[int, int]:
        rows = self._reported()
        return sum(1 for r in rows if r.values.get(code) is not None), len(rows)

    def partial_totals(self) -> dict[str, str]:
        """Field code -> «k/n» for every added-up total (``sum``, ``max``) only some of the units
        received reported (none when every unit, or no unit, did)."""
        out = {}
        for col in value_columns(self.definition):
            if col.aggregate not in ("sum", "max"):
                continue
            k, n = self.coverage(col.key)
            if 0 < k < n:
                out[col.key] = f"{k}/{n}"
        return out

    def same_covers(self) -> dict[str, str]:
        """Field code -> «=» (or «=k/n» when not every unit reported it) for every ``same`` field the
        units agree on: the figure is each unit's, not a total («188 thủ tục … ở mỗi đơn vị»)."""
        out = {}
        for col in value_columns(self.definition):
            if col.aggregate != "same":
                continue
            k, n = self.coverage(col.key)
            if k:
                out[col.key] = "=" if k == n else f"={k}/{n}"
        return out

    def ratio_covers(self) -> dict[str, str]:
        """Ratio code -> «k/n»: the units that reported every part of it Tổng hợp holds, when not all."""
        shown = {c.key for c in value_columns(self.definition)}
        rows = self._reported()
        out = {}
        for ratio in self.definition.ratios:
            parts = (expr.field_refs(expr.parse(ratio.numerator)) | expr.field_refs(expr.parse(ratio.denominator)))
            parts &= shown
            if not parts:
                continue
            k = sum(1 for r in rows if all(r.values.get(p) is not None for p in parts))
            if 0 < k < len(rows):
                out[ratio.code] = f"{k}/{len(rows)}"
        return out

    def spans(self) -> dict[str, tuple[Decimal, Decimal, str]]:
        """Field code -> (lowest, highest, «k/n») of the figures the units report one by one (the
        per-unit columns, and ``same`` fields whose units disagree)."""
        codes = [c.key for c in unit_columns(self.definition)]
        codes += [c.key for c in value_columns(self.definition) if c.aggregate == "same"]
        rows = self._reported()
        out = {}
        for code in codes:
            found = [Decimal(str(r.values[code])) for r in rows if r.values.get(code) is not None]
            if found:
                out[code] = (min(found), max(found), f"{len(found)}/{len(rows)}")
        return out

    # ---------------------------------------------------------------- findings
    def behind(self, rule: str, fields: list[str] | None = None) -> list[str]:
        """The units behind a finding of the summary: those named for an implausible value inside a
        total, else those whose own report fails the same rule."""
        if rule in ("value_implausible", "value_implausible_units") and fields:
            return list(dict.fromkeys(n for f in fields for n in self.suspect.get(f, [])))
        return [r.name for r in self._reported() if rule in r.rules]


def _suspect(meta: dict[str, Any]) -> dict[str, list[str]]:
    try:
        parsed = json.loads(str(meta.get("suspect_fields") or "{}"))
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): [str(x) for x in v] for k, v in parsed.items() if isinstance(v, list)}


def units_of(definition: ReportDefinition, meta: dict[str, Any], file: str | Path | None,
             table: SummaryTable | None = None) -> Units | None:
    """The units of a summary (``meta`` kind ``summary``): ``table`` when the caller read it (the
    ribbon, through its port), else Tổng hợp of ``file``; None for a unit's own workbook, or when
    the summary's Tổng hợp cannot be read (the report then says nothing of its units)."""
    if str(meta.get("kind") or "unit") != "summary":
        return None
    if table is None:
        path = Path(file) if file else None
        if path is None or not path.is_file():
            return None
        try:
            table = read_file(path)
        except (CchcError, OSError, ValueError):
            return None
    if not table.rows:
        return None
    return Units(definition, table, _suspect(meta))
