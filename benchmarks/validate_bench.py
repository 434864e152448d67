#!/usr/bin/env python3
"""Validation speed and round trips (issues #3, #11). Not a test.

Prints, from one run: the wall time of `cchc validate FILE` as a user runs it (process start
included), the in-process time to read + validate one filled workbook, and the workbook port's
round trips per ribbon command — through the ribbon's own path (XlwingsPort over the strict Excel
double of tests/excel_double.py) and through the openpyxl adapter — for the base definition and for
one with 300 more fields (the same findings: the counts must be equal).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _definition_with(extra: int, tmp: Path) -> Path:
    from xl_addin.definition.loader import definition_dir

    root = tmp / f"tpl{extra}"
    shutil.copytree(definition_dir(), root / "cchc")
    sections = root / "cchc" / "sections.yaml"
    text = sections.read_text(encoding="utf-8")
    more = "".join(f"          - {{code: them_{i}, label: \"Chỉ tiêu thêm {i}\", type: integer, unit: lượt,"
                   f" aggregate: sum}}\n" for i in range(extra))
    sections.write_text(text.replace("      - code: II.3\n", more + "      - code: II.3\n", 1), encoding="utf-8")
    return root


def round_trips(tmp: Path) -> None:
    from excel_double import Excel
    from seed_reports import R002

    from xl_addin import ribbon
    from xl_addin.workbook.port import OpenpyxlPort, XlwingsPort

    from conftest import filled_workbook

    for extra in (0, 300):
        if extra:
            os.environ["CCHC_TEMPLATES"] = str(_definition_with(extra, tmp))
        from xl_addin.definition.loader import load_definition

        n = len(load_definition().fields())
        path = filled_workbook(tmp, R002, name=f"f{extra}.xlsx")
        for command in ("validate", "ratios", "report"):
            excel = Excel()
            port = XlwingsPort(excel.open(path))
            getattr(ribbon, command)(port)
            copy = tmp / f"{command}{extra}.xlsx"
            shutil.copy(path, copy)
            files = OpenpyxlPort(copy)
            getattr(ribbon, command)(files)
            print(f"{n} fields, ribbon.{command}: {port.calls} round trips (XlwingsPort over the strict double), "
                  f"{files.calls} (openpyxl adapter); refusals {len(excel.refusals)}")
        os.environ.pop("CCHC_TEMPLATES", None)


def main() -> None:
    from seed_reports import R002

    from xl_addin.rules.engine import validate
    from xl_addin.workbook.reader import read_workbook

    from conftest import filled_workbook

    tmp = Path(tempfile.mkdtemp(prefix="cchc-vbench-"))
    try:
        path = filled_workbook(tmp, R002)
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "xl_addin.cli", "validate", str(path), "--json"],
                           capture_output=True, check=False)
            runs.append(time.perf_counter() - t0)
        inproc = []
        for _ in range(20):
            t0 = time.perf_counter()
            validate(read_workbook(path))
            inproc.append(time.perf_counter() - t0)
        print(f"cchc validate (one workbook, process included): median {statistics.median(runs) * 1000:.0f} ms")
        print(f"read + validate in process: median {statistics.median(inproc) * 1000:.1f} ms")
        round_trips(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
