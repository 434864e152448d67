#!/usr/bin/env python3
"""Per-unit workbook build: stamping one template vs generating each workbook with openpyxl.

Prints, from one run: time per workbook for our build (template built once, each copy stamped
by XML patch) over N units, time per workbook for the straightforward way (generate every
workbook from the definition with openpyxl, then set the unit cells), and the ratio.
Goal (issue #2): at least 5x faster. Not a test.

    python benchmarks/build_bench.py [--units 1000] [--baseline 40]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.workbook.build import UnitStamper, build_unit_workbooks, stamp_context, unit_file_name
from xl_addin.workbook.layout import META_SHEET, compute_layout
from xl_addin.workbook.template import build_workbook


def make_units(n: int) -> list[Unit]:
    return [Unit(f"{10000 + i:05d}", f"Xã Thử Nghiệm {i}", "xa", "99", "QD19_2025") for i in range(n)]


def straightforward(definition, units, period, out: Path) -> None:
    """What one would write without a template: build each workbook from the definition."""
    layout = compute_layout(definition)
    fmap = definition.field_map()
    stamper = UnitStamper(definition)
    for unit in units:
        wb = build_workbook(definition)
        ctx = stamp_context(definition, unit, period)
        for code, pos in layout.fields.items():
            if fmap[code].stamp:
                wb[pos.sheet][pos.ref].value = ctx[fmap[code].stamp]
        for sheet, cells in stamper.cells_for(unit, period).items():
            if sheet == META_SHEET:
                for ref, value in cells.items():
                    wb[sheet][ref].value = value
        wb.save(out / unit_file_name(unit, period))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=40, help="workbooks generated the straightforward way")
    args = parser.parse_args()
    definition = load_definition()
    period = parse_period("6T-2026", definition)
    tmp = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    try:
        units = make_units(args.units)
        t0 = time.perf_counter()
        build_unit_workbooks(definition, units, period, tmp / "ours")
        ours = (time.perf_counter() - t0) / len(units)
        sample = units[: args.baseline]
        (tmp / "base").mkdir()
        t0 = time.perf_counter()
        straightforward(definition, sample, period, tmp / "base")
        base = (time.perf_counter() - t0) / len(sample)
        size = sum(p.stat().st_size for p in (tmp / "ours").glob("*.xlsx")) / len(units)
        print(f"units built (ours): {len(units)}; per workbook: {ours * 1000:.1f} ms; avg size {size / 1024:.0f} KiB")
        print(f"straightforward openpyxl generation ({len(sample)} workbooks): {base * 1000:.1f} ms per workbook")
        print(f"ratio: {base / ours:.1f}x faster (goal >= 5x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
