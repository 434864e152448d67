#!/usr/bin/env python3
"""Validation speed and round trips (issue #3). Not a test.

Prints, from one run: the wall time of `cchc validate FILE` as a user runs it (process start
included), the in-process time to read + validate one filled workbook, and the workbook port's
round-trip count per ribbon command for the base definition and for one with 300 more fields.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    from conftest import filled_workbook
    from seed_reports import R002

    from xl_addin import ribbon
    from xl_addin.rules.engine import validate
    from xl_addin.workbook.port import OpenpyxlPort
    from xl_addin.workbook.reader import read_workbook

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
        for command in ("validate", "ratios"):
            copy = tmp / f"{command}.xlsx"
            shutil.copy(path, copy)
            port = OpenpyxlPort(copy)
            getattr(ribbon, command)(port)
            print(f"port round trips, ribbon.{command}: {port.calls}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
