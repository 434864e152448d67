#!/usr/bin/env python3
"""Merge speed and memory (issue #6). Not a test.

Generates N filled unit workbooks (stamped straight into the template's XML, so generation is
quick), then prints from one run:
  * our merge (`run_merge`, every check on, summary workbook written),
  * the raw-read floor: python-calamine (from_path) reading the same sheets of every file as the
    merge reads (`reader.sheets_read`: the meta sheet and every sheet of the template), nothing else,
  * the straightforward merge a user would write: openpyxl loads each workbook, reads the same
    fields cell by cell and adds them up,
  * peak memory (max RSS of a fresh process, children included) of our merge for N = 250 and N.

    python benchmarks/merge_bench.py [--units 1000] [--baseline 100] [--repeat 3]
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

    from xl_addin.definition.loader import load_definition, read_yaml
    from xl_addin.definition.periods import parse_period
    from xl_addin.definition.units import Unit
    from xl_addin.demo import demo_dir, sample_data, to_fill_payload
    from xl_addin.workbook.build import UnitStamper, unit_file_name, write_atomic
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


def raw_floor(folder: Path) -> float:
    from python_calamine import CalamineWorkbook

    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook.layout import compute_layout
    from xl_addin.workbook.reader import sheets_read

    names = sheets_read(compute_layout(load_definition()))  # exactly the sheets the merge reads
    t0 = time.perf_counter()
    for path in sorted(folder.glob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        for name in names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return time.perf_counter() - t0


def straightforward(folder: Path, limit: int) -> tuple[float, int]:
    import openpyxl

    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook.layout import compute_layout

    definition = load_definition()
    layout = compute_layout(definition)
    fields = [f.code for f in definition.fields() if f.is_input and f.aggregate == "sum"]
    totals = {c: Decimal(0) for c in fields}
    files = sorted(folder.glob("*.xlsx"))[:limit]
    t0 = time.perf_counter()
    for path in files:
        wb = openpyxl.load_workbook(path, data_only=True)
        for code in fields:
            pos = layout.fields[code]
            value = wb[pos.sheet][pos.ref].value
            if isinstance(value, (int, float)):
                totals[code] += Decimal(str(value))
    return time.perf_counter() - t0, len(files)


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100, help="files the openpyxl baseline reads")
    parser.add_argument("--repeat", type=int, default=3, help="turns of floor and merge (the median is reported)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cchc-mbench-"))
    try:
        small, big = tmp / "n250", tmp / f"n{args.units}"
        t0 = time.perf_counter()
        generate(big, args.units)
        if small != big:  # --units 250: the one folder is both
            shutil.copytree(big, small, ignore=lambda d, names: sorted(names)[250:])
        print(f"generated {args.units} filled workbooks in {time.perf_counter() - t0:.1f} s")
        # the floor and our merge measured in turns, so both see the same machine (a shared 2-core VM
        # drifts by 10 % within minutes); the median pair is reported with every pair
        pairs = []
        for i in range(args.repeat):
            floor = raw_floor(big)
            merge = ours(big, tmp / f"tong-hop-{i}.xlsx")
            pairs.append((merge / floor, floor, merge))
        ratio, floor, merge = sorted(pairs)[len(pairs) // 2]
        base, n_base = straightforward(big, args.baseline)
        base_per_file = base / n_base
        print(f"our merge, N={args.units}: {merge:.1f} s ({merge / args.units * 1000:.1f} ms per file, every check on,"
              f" summary written)")
        print(f"raw-read floor (python-calamine, same sheets, nothing else): {floor:.1f} s")
        print(f"straightforward openpyxl merge: {base_per_file * 1000:.1f} ms per file "
              f"(measured on {n_base} files) -> {base_per_file * args.units:.1f} s for N={args.units}")
        print(f"ratio to the floor: {ratio:.2f}x (goal <= 1.5x; each turn: "
              + ", ".join(f"{r:.2f}x ({m:.2f}/{f:.2f} s)" for r, f, m in pairs) + "); "
              f"speed-up over openpyxl: {base_per_file * args.units / merge:.1f}x (goal >= 10x)")
        for n, merge_s, read_s in small_merges(big, tmp):
            print(f"small merge of {n} file(s): {merge_s * 1000:.0f} ms in all (every file read in a worker process,"
                  f" summary written); the same files read in the main process: {read_s * 1000:.0f} ms")
        print(f"peak memory, N=250: {peak_memory(small, tmp / 'm250.xlsx'):.0f} MiB; "
              f"N={args.units}: {peak_memory(big, tmp / 'mbig.xlsx'):.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
