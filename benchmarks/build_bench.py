#!/usr/bin/env python3
"""Per-unit workbook build: our stamping against openpyxl load + set + save of the same template. Not a test.

Both sides start from the same template workbook (built once from the definition, as ``cchc build``
does) and write, for each unit, the same cells (``UnitStamper.cells_for``: the unit's name, code,
level, period, the meta sheet's stamps…): ours patches them into the template's XML
(``build_unit_workbooks``); the straightforward way loads the template with openpyxl, sets the cells
and saves; openpyxl's quickest way loads the template once and, for each unit, sets the same cells
and saves (the headline ratio: the least flattering). All run on one process (``cchc build`` uses
one), in alternating turns; the medians and every turn are printed, with the machine's load. Goal
(issue #2): at least 5x faster.

    python benchmarks/build_bench.py [--units 1000] [--baseline 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.workbook.build import UnitStamper, build_unit_workbooks, cached_template_bytes, unit_file_name


def make_units(n: int) -> list[Unit]:
    return [Unit(f"{10000 + i:05d}", f"Xã Thử Nghiệm {i}", "xa", "99", "QD19_2025") for i in range(n)]


def openpyxl_way(definition, units, period, out: Path) -> None:
    """openpyxl: load the template, set the cells our stamper sets, save (one workbook per unit)."""
    import openpyxl

    from xl_addin.workbook.safety import set_inert_text

    template = cached_template_bytes(definition)
    stamper = UnitStamper(definition, template)
    for unit in units:
        wb = openpyxl.load_workbook(io.BytesIO(template))
        for sheet, cells in stamper.cells_for(unit, period).items():
            ws = wb[sheet]
            for ref, value in cells.items():
                set_inert_text(ws[ref], value)
        wb.save(out / unit_file_name(unit, period))


def openpyxl_loaded_once(definition, units, period, out: Path) -> None:
    """openpyxl at its quickest: the template loaded once, then for each unit the same cells set
    and the workbook saved under the unit's name (every unit sets the same cells, so nothing of
    one unit stays in the next one's file; the template is loaded again if a unit's cells differ)."""
    import openpyxl

    from xl_addin.workbook.safety import set_inert_text

    template = cached_template_bytes(definition)
    stamper = UnitStamper(definition, template)
    wb, refs = None, None
    for unit in units:
        cells = stamper.cells_for(unit, period)
        these = {(sheet, ref) for sheet, values in cells.items() for ref in values}
        if wb is None or these != refs:
            wb, refs = openpyxl.load_workbook(io.BytesIO(template)), these
        for sheet, values in cells.items():
            ws = wb[sheet]
            for ref, value in values.items():
                set_inert_text(ws[ref], value)
        wb.save(out / unit_file_name(unit, period))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=40, help="workbooks written the openpyxl way per turn")
    parser.add_argument("--repeat", type=int, default=3, help="alternating turns (medians reported)")
    args = parser.parse_args()
    definition = load_definition()
    period = parse_period("6T-2026", definition)
    definition = definition.for_period(period)
    cached_template_bytes(definition)  # the template is built once before either side is timed
    tmp = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    print(f"load average before: {load()}")
    try:
        units = make_units(args.units)
        ours, base, once = [], [], []
        sample = units[: args.baseline]
        for turn in range(args.repeat):
            t0 = time.perf_counter()
            build_unit_workbooks(definition, units, period, tmp / f"ours{turn}")
            ours.append((time.perf_counter() - t0) / len(units))
            for name, way, times in (("base", openpyxl_way, base), ("once", openpyxl_loaded_once, once)):
                (tmp / f"{name}{turn}").mkdir()
                t0 = time.perf_counter()
                way(definition, sample, period, tmp / f"{name}{turn}")
                times.append((time.perf_counter() - t0) / len(sample))
        size = sum(p.stat().st_size for p in (tmp / "ours0").glob("*.xlsx")) / len(units)
        o, b, c = statistics.median(ours), statistics.median(base), statistics.median(once)

        def shown(times: list[float]) -> str:
            return ", ".join(f"{x * 1000:.1f}" for x in times)

        print(f"ours (template stamped by XML patch, each file written atomically and synced; one process): "
              f"{len(units)} workbooks, {o * 1000:.1f} ms each (turns: {shown(ours)} ms); average size "
              f"{size / 1024:.0f} KiB")
        print(f"openpyxl load + set + save of the same template (one process): {args.baseline} workbooks per turn, "
              f"{b * 1000:.1f} ms each (turns: {shown(base)} ms) -> ours {b / o:.1f}x faster")
        print(f"openpyxl, the template loaded once, set + save per unit (one process): {args.baseline} workbooks per "
              f"turn, {c * 1000:.1f} ms each (turns: {shown(once)} ms) -> ours {c / o:.1f}x faster (headline: the "
              f"quickest openpyxl way; medians of each side; goal >= 5x)")
        print(f"load average after: {load()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
