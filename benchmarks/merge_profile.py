#!/usr/bin/env python3
"""Where a merge spends its time, stage by stage (issue #20). Not a test.

Generates N filled unit workbooks (as ``merge_bench.py`` does), then prints:
  * the worker side: ``collect.inspect_file`` on every file in this one process, with a timer on
    each stage (hashing and pre-flight, the sheet scan, unpacking, python-calamine, the checks of
    the meta sheet and the locked structure, conversion, rules, lineage rows, the result's pickle),
    in ms per file, and python-calamine's own raw read of the same sheets for scale;
  * the main process: one ``run_merge`` of the N files (its reads in worker processes, as always),
    with a timer on each stage after the reads (aggregation, unit statuses, outliers, Tổng hợp,
    chart, status and sources sheets, lineage, the zip), in seconds.
Timers nest (a stage's time includes the stages called inside it, listed indented under it).

    python benchmarks/merge_profile.py [--units 1000] [--sample 300]
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from merge_bench import _NAMES, _calamine_read, generate  # noqa: E402

TIMES: collections.Counter = collections.Counter()


def timed(owner, name: str, label: str) -> None:
    """Wrap ``owner.name`` (a module function or a class method) with a timer adding to ``label``."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - t0

    setattr(owner, name, wrapper)


WORKER_STAGES = [
    # (module, attribute, label); indentation of the label: called inside the one above
    ("xl_addin.merge.collect", "_inspect", "inspect_file (everything a worker does for a file)"),
    ("xl_addin.workbook.reader", "read_workbook", "  read_workbook"),
    ("xl_addin.workbook.safety", "preflight", "    pre-flight (file kind, zip directory, limits)"),
    ("xl_addin.workbook.safety.Preflight", "_read_parts", "    workbook.xml, relationships (expat)"),
    ("xl_addin.workbook.safety.Preflight", "_inflate", "    unpacking the sheets (zlib, CRC)"),
    ("xl_addin.workbook.safety", "parse_sheet_xml", "    sheet scan (extent, formulas, validations)"),
    ("xl_addin.workbook.safety.Preflight", "reader_package", "    package for python-calamine (parts stored)"),
    ("xl_addin.workbook.reader", "_calamine", "    python-calamine: open"),
    ("xl_addin.workbook.reader", "sheet_grid", "    python-calamine: sheets to grids"),
    ("xl_addin.workbook.reader", "resolve_template", "    template and version from the meta sheet"),
    ("xl_addin.workbook.reader", "check_meta_against_cells", "    meta sheet against the locked cells"),
    ("xl_addin.workbook.reader", "extract", "    conversion (typed values, lists, tables, computed)"),
    ("xl_addin.workbook.tamper", "check", "    tamper check (locked structure vs template)"),
    ("xl_addin.rules.engine.Validator", "__init__", "  rules: ratios and environment"),
    ("xl_addin.rules.engine.Validator", "run", "  rules: every rule"),
    ("xl_addin.merge.lineage", "rows_xml", "  lineage rows"),
]
MAIN_STAGES = [
    ("xl_addin.merge.run", "discover", "listing the folder"),
    ("xl_addin.merge.run", "read_all", "reading (worker processes; main receives results)"),
    ("xl_addin.merge.run", "_finish", "after the reads"),
    ("xl_addin.merge.run", "aggregate", "  aggregation"),
    ("xl_addin.merge.run", "unit_statuses", "  unit statuses"),
    ("xl_addin.merge.run", "unit_values", "  unit rows of Tổng hợp"),
    ("xl_addin.merge.run", "implausible", "  outliers: implausible"),
    ("xl_addin.merge.run", "far_from_peers", "  outliers: far from peers"),
    ("xl_addin.merge.summary", "write_summary", "  summary workbook"),
    ("xl_addin.merge.summary", "_aggregate_cells", "    the template's sheets filled with the totals"),
    ("xl_addin.merge.summary", "_tong_hop", "    Tổng hợp (dashboard, notes)"),
    ("xl_addin.merge.summary", "_chart_sheet", "    chart"),
    ("xl_addin.merge.summary", "_status_xml", "    status sheet"),
    ("xl_addin.merge.summary", "_sources_xml", "    sources sheet"),
    ("xl_addin.merge.summary.LineageJob", "part", "    lineage sheet (joined in a forked process)"),
    ("xl_addin.workbook.xlsxpatch.PackageWriter", "to_bytes", "    zip of the summary"),
]


def _owner(path: str):
    import importlib

    module, _, cls = path.rpartition(".")
    try:
        return importlib.import_module(path)
    except ImportError:
        return getattr(importlib.import_module(module), cls)


def install(stages) -> list[str]:
    for owner, name, label in stages:
        timed(_owner(owner), name, label)
    return [label for _o, _n, label in stages]


def worker_side(folder: Path, sample: int) -> None:
    from xl_addin.definition.loader import load_definition
    from xl_addin.merge.collect import inspect_file, warm_up
    from xl_addin.workbook.layout import compute_layout
    from xl_addin.workbook.reader import sheets_read

    warm_up()
    files = sorted(folder.glob("*.xlsx"))
    for path in files[:10]:
        inspect_file(str(path), path.name)
    labels = install(WORKER_STAGES)
    TIMES.clear()
    subs = [inspect_file(str(p), p.name) for p in files[10:10 + sample]]
    n = len(subs)
    t0 = time.perf_counter()
    blobs = [pickle.dumps(s) for s in subs]
    TIMES["  the result sent to the main process (pickle)"] = time.perf_counter() - t0
    labels.append("  the result sent to the main process (pickle)")
    _NAMES[:] = sheets_read(compute_layout(load_definition()))
    t0 = time.perf_counter()
    _calamine_read([str(p) for p in files[10:10 + sample]])
    floor = (time.perf_counter() - t0) / n
    print(f"worker side, one process, {n} files ({sum(map(len, blobs)) / n / 1024:.0f} KiB of result each), "
          f"ms per file:")
    for label in labels:
        print(f"  {TIMES[label] / n * 1000:7.2f}  {label}")
    print(f"  {floor * 1000:7.2f}  (for scale: python-calamine from_path reading the same sheets, nothing else)")


def main_side(folder: Path, tmp: Path) -> None:
    from xl_addin.merge.run import run_merge

    labels = install(MAIN_STAGES)
    TIMES.clear()
    t0 = time.perf_counter()
    run_merge(folder, output=tmp / "tong-hop.xlsx")
    total = time.perf_counter() - t0
    print(f"main process, one run_merge of {len(list(folder.glob('*.xlsx')))} files: {total:.2f} s in all, of which:")
    for label in labels:
        print(f"  {TIMES[label]:7.2f} s  {label}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=300, help="files read on the worker side")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cchc-mprof-"))
    try:
        generate(tmp / "files", args.units)
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        main_side(tmp / "files", tmp)
        worker_side(tmp / "files", min(args.sample, args.units - 10))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
