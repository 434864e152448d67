#!/usr/bin/env python3
"""Merge speed and memory (issues #6 and #20). Not a test.

Generates N filled unit workbooks of the current template (stamped straight into the template's
XML, so generation is quick; the demo's sample data, mistakes included), then prints from one run:
  * our merge (`run_merge`: every check on, summary workbook written; its reads in worker
    processes, as many as the machine has cores up to 8: 2 here),
  * the raw-read floor: python-calamine (from_path) reading the same sheets of every file as the
    merge reads (`reader.sheets_read`: the meta sheet and every sheet of the template but the
    live-checks one), nothing else, on one process and on as many processes as the merge uses
    (forked, the files dealt out in the same small batches); the headline ratio is to the latter,
  * the straightforward merge a user would write, at openpyxl's quickest: each workbook opened
    read-only, the sheets holding the summed fields read once row by row, the fields added up, on
    as many processes as ours (measured on the first ``--baseline`` of the same files),
  * small merges (1, 3, 10 files) and peak memory (max RSS, children included) for N = 250 and N.

The floors and the merge are measured in alternating turns (floor on one process, floor on the
merge's processes, merge), so all three see the same machine; the medians and every turn are
printed, with the load average before and after (other engineers share this 2-core VM), and the
CPU time the floor on the merge's processes and the merge use (their own and their children's),
which the others' load does not stretch as it stretches wall time.

    python benchmarks/merge_bench.py [--units 1000] [--baseline 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def generate(folder: Path, n: int) -> None:
    """Realistic filled workbooks (the demo's sample data, mistakes included), written by XML patch."""
    import datetime as dt

    from xl_addin.atomic import write_atomic
    from xl_addin.definition.loader import load_definition, read_yaml
    from xl_addin.definition.periods import parse_period
    from xl_addin.definition.units import Unit
    from xl_addin.demo import demo_dir, sample_data, to_fill_payload
    from xl_addin.workbook.build import UnitStamper, unit_file_name
    from xl_addin.workbook.fill import plan_writes
    from xl_addin.workbook.layout import META_SHEET

    definition = load_definition()
    period = parse_period("6T-2026", definition)
    stamper = UnitStamper(definition)
    layout = stamper.layout
    sample = read_yaml(demo_dir() / "sample.yaml")
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        unit = Unit(f"{10000 + i:05d}", f"Xã Thử {i}", "xa", "99", "QD19_2025")
        cells = stamper.cells_for(unit, period, generated_at=dt.datetime(2026, 6, 15, 8, 0))
        payload = to_fill_payload(definition, sample_data(sample, unit.code, unit.name))
        # amounts written in the money unit the workbook was stamped with (a commune: đồng)
        money_unit = definition.field_map()[definition.money.field].default_for(unit.level) \
            if definition.money is not None else None
        for sheet, values in plan_writes(definition, payload, money_unit).items():
            cells.setdefault(sheet, {}).update(values)
        cells[META_SHEET][f"B{layout.meta_rows['exported_at']}"] = "2026-06-16 09:00:00"
        cells[META_SHEET][f"B{layout.meta_rows['submission_counter']}"] = 1
        write_atomic(folder / unit_file_name(unit, period), stamper.package.patched(cells, compresslevel=1))


def _calamine_read(paths: list[str]) -> int:
    from python_calamine import CalamineWorkbook

    for path in paths:
        book = CalamineWorkbook.from_path(path)
        for name in _NAMES:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return len(paths)


_NAMES: list[str] = []


def raw_floor(folder: Path, processes: int) -> float:
    """python-calamine reading the sheets the merge reads, on ``processes`` forked processes (the
    pool's start included, as the merge's workers' is), files dealt out two at a time."""
    import multiprocessing

    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook.layout import compute_layout
    from xl_addin.workbook.reader import sheets_read

    _NAMES[:] = sheets_read(compute_layout(load_definition()))  # exactly the sheets the merge reads
    files = [str(p) for p in sorted(folder.glob("*.xlsx"))]
    t0 = time.perf_counter()
    if processes == 1:
        _calamine_read(files)
    else:
        batches = [files[i:i + 2] for i in range(0, len(files), 2)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            sum(pool.imap_unordered(_calamine_read, batches))
    return time.perf_counter() - t0


def _openpyxl_sum(paths: list[str]) -> dict[str, Decimal]:
    """openpyxl at its quickest for reading: read-only mode, each sheet that holds a summed field
    read once, row by row (values only), its fields picked from the rows (2.3x quicker than loading
    each workbook whole and asking for the cells one by one, with the same totals)."""
    import openpyxl

    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook.layout import compute_layout

    definition = load_definition()
    layout = compute_layout(definition)
    fields = [f.code for f in definition.fields() if f.is_input and f.aggregate == "sum"]
    by_sheet: dict[str, list[tuple[str, int, int]]] = {}
    for code in fields:
        pos = layout.fields[code]
        by_sheet.setdefault(pos.sheet, []).append((code, pos.row, pos.col))
    totals = {c: Decimal(0) for c in fields}
    for path in paths:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for sheet, wanted in by_sheet.items():
            rows = list(wb[sheet].iter_rows(max_row=max(r for _c, r, _k in wanted), values_only=True))
            for code, r, c in wanted:
                row = rows[r - 1] if r <= len(rows) else ()
                value = row[c - 1] if c <= len(row) else None
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    totals[code] += Decimal(str(value))
        wb.close()
    return totals


def straightforward(folder: Path, limit: int, processes: int) -> tuple[float, int]:
    """The openpyxl merge of the first ``limit`` files on ``processes`` forked processes."""
    import multiprocessing

    files = [str(p) for p in sorted(folder.glob("*.xlsx"))[:limit]]
    t0 = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_openpyxl_sum, [files[i::processes] for i in range(processes)])
    totals: dict[str, Decimal] = {}
    for part in parts:
        for code, value in part.items():
            totals[code] = totals.get(code, Decimal(0)) + value
    return time.perf_counter() - t0, len(files)


def merge_processes(n: int) -> int:
    """The number of worker processes ``run_merge`` starts for ``n`` files (collect.read_all)."""
    import os

    return max(1, min(min(os.cpu_count() or 1, 8), n))


def ours(folder: Path, output: Path) -> float:
    from xl_addin.merge.run import run_merge

    t0 = time.perf_counter()
    run_merge(folder, output=output)
    return time.perf_counter() - t0


def small_merges(folder: Path, tmp: Path, turns: int = 5) -> list[tuple[int, float, float]]:
    """What reading every file in a worker process costs a small merge (1, 3 and 10 files): the
    whole merge (summary written) against the same files read in the main process (the reads
    the workers do, nothing else). Median of ``turns``."""
    from xl_addin.merge.collect import inspect_file
    from xl_addin.merge.run import run_merge

    out = []
    files = sorted(folder.glob("*.xlsx"))
    for n in (1, 3, 10):
        sub = tmp / f"small{n}"
        sub.mkdir()
        for path in files[:n]:
            shutil.copy(path, sub / path.name)
        run_merge(sub, output=tmp / f"small{n}.xlsx")  # warm: definition, template, structure loaded
        merges, reads = [], []
        for _ in range(turns):
            t0 = time.perf_counter()
            for path in sorted(sub.glob("*.xlsx")):
                inspect_file(str(path), path.name)
            reads.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run_merge(sub, output=tmp / f"small{n}.xlsx")
            merges.append(time.perf_counter() - t0)
        out.append((n, sorted(merges)[turns // 2], sorted(reads)[turns // 2]))
    return out


def peak_memory(folder: Path, output: Path) -> float:
    code = ("import resource,sys; from pathlib import Path; from xl_addin.merge.run import run_merge; "
            f"run_merge(Path({str(folder)!r}), output=Path({str(output)!r})); "
            "print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended."""
    import resource

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    import statistics

    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100, help="files the openpyxl baseline reads")
    parser.add_argument("--repeat", type=int, default=5, help="alternating turns of the floors and the merge")
    parser.add_argument("--no-extras", action="store_true", help="only the turns (no baseline, small merges, memory)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cchc-mbench-"))
    try:
        small, big = tmp / "n250", tmp / f"n{args.units}"
        t0 = time.perf_counter()
        generate(big, args.units)
        if small != big:  # --units 250: the one folder is both
            shutil.copytree(big, small, ignore=lambda d, names: sorted(names)[250:])
        procs = merge_processes(args.units)
        print(f"generated {args.units} filled workbooks (template 1.1, demo sample data) in "
              f"{time.perf_counter() - t0:.1f} s; the merge reads them on {procs} worker processes")
        print(f"load average before: {_load()}")
        turns, cpu = [], []
        for i in range(args.repeat):
            one = raw_floor(big, 1)
            c0 = _cpu()
            same = raw_floor(big, procs)
            c1 = _cpu()
            merge = ours(big, tmp / f"tong-hop-{i}.xlsx")
            c2 = _cpu()
            turns.append((one, same, merge))
            cpu.append((c1 - c0, c2 - c1))
            print(f"  turn {i + 1}: floor 1 process {one:.2f} s, floor {procs} processes {same:.2f} s, "
                  f"merge {merge:.2f} s -> {merge / same:.2f}x; CPU time: floor {c1 - c0:.2f} s, merge "
                  f"{c2 - c1:.2f} s -> {(c2 - c1) / (c1 - c0):.2f}x (load {_load()})")
        one, same, merge = (statistics.median(t[k] for t in turns) for k in range(3))
        ratio = statistics.median(t[2] / t[1] for t in turns)
        print(f"our merge, N={args.units}: median {merge:.2f} s ({merge / args.units * 1000:.1f} ms per file, every "
              f"check on, summary written, {procs} worker processes)")
        print(f"raw-read floor (python-calamine, same sheets, nothing else): median {same:.2f} s on {procs} processes,"
              f" {one:.2f} s on one process")
        print(f"ratio to the floor on {procs} processes (headline): {ratio:.2f}x, median of the turns "
              f"({', '.join(f'{t[2] / t[1]:.2f}x' for t in turns)}; goal <= 2.0x); to the one-process floor: "
              f"{statistics.median(t[2] / t[0] for t in turns):.2f}x")
        print(f"CPU time (user + system, every process: the floor's {procs}, the merge's workers, its lineage "
              f"process and its own), which the other engineers' load does not stretch: floor median "
              f"{statistics.median(c[0] for c in cpu):.2f} s, merge {statistics.median(c[1] for c in cpu):.2f} s, "
              f"ratio {statistics.median(c[1] / c[0] for c in cpu):.2f}x (turns: "
              f"{', '.join(f'{c[1] / c[0]:.2f}x' for c in cpu)})")
        print(f"load average after the turns: {_load()}")
        if args.no_extras:
            return
        base, n_base = straightforward(big, args.baseline, procs)
        base_per_file = base / n_base
        print(f"straightforward openpyxl merge (read-only, rows read once) on {procs} processes: "
              f"{base_per_file * 1000:.1f} ms per file (measured on {n_base} files) -> "
              f"{base_per_file * args.units:.1f} s for N={args.units}; "
              f"speed-up of ours: {base_per_file * args.units / merge:.1f}x (goal >= 10x)")
        for n, merge_s, read_s in small_merges(big, tmp):
            print(f"small merge of {n} file(s): {merge_s * 1000:.0f} ms in all (every file read in a worker process,"
                  f" summary written); the same files read in the main process: {read_s * 1000:.0f} ms")
        print(f"peak memory, N=250: {peak_memory(small, tmp / 'm250.xlsx'):.0f} MiB; "
              f"N={args.units}: {peak_memory(big, tmp / 'mbig.xlsx'):.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
