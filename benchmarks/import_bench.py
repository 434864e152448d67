#!/usr/bin/env python3
"""The ribbon's start-up cost, and what pandas would add to it (issue 17). Not a test.

Every ribbon button starts a Python process that imports ``xl_addin.ribbon``; ``cchc history``
needs pandas, which must stay out of that import. Prints, from one run (one process at a time):

* the wall time of ``python -c "import xl_addin.ribbon"`` (median of N runs, the process start
  included) against a bare ``python -c pass``, and against ``import xl_addin.ribbon, pandas``
  (what every button would pay if pandas were imported with the ribbon);
* ``-X importtime``'s cumulative time for ``xl_addin.ribbon`` and for ``pandas`` (median of 5);
* whether pandas (or numpy) is among the modules the ribbon's import loads, and how many modules
  it loads (a count the machine's load cannot move, unlike the times on a shared machine).

Usage: python benchmarks/import_bench.py [N]   (default 30; PYTHONPATH=<another checkout> measures that one)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

# a neutral working folder: `python -c` puts it first on sys.path, so the package imported is the
# installed one (or PYTHONPATH's: set it to another checkout to measure that one)
CWD = tempfile.gettempdir()
ENV = {**os.environ, "XLWINGS_LICENSE_KEY": os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial")}


def wall(code: str, runs: int) -> float:
    """Median wall time in ms of a fresh interpreter running ``code``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=CWD, env=ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def importtime(module: str, runs: int = 5) -> float:
    """Median of ``-X importtime``'s cumulative microseconds for ``module``, in ms."""
    found = []
    for _ in range(runs):
        r = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                           text=True, check=True, cwd=CWD, env=ENV)
        line = next(x for x in reversed(r.stderr.splitlines()) if x.rstrip().endswith(f"| {module}"))
        found.append(int(line.split("|")[1]) / 1000)
    return statistics.median(found)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    loaded, count = subprocess.run([sys.executable, "-c", "import sys; before = set(sys.modules); "
                                    "import xl_addin.ribbon; "
                                    "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules)); "
                                    "print(len(set(sys.modules) - before))"],
                                   capture_output=True, text=True, check=True, cwd=CWD, env=ENV).stdout.split("\n")[:2]
    bare = wall("pass", runs)
    ribbon = wall("import xl_addin.ribbon", runs)
    with_pandas = wall("import xl_addin.ribbon, pandas", runs)
    print(f"python -c pass:                          {bare:7.1f} ms (median of {runs})")
    print(f"python -c 'import xl_addin.ribbon':      {ribbon:7.1f} ms  ({ribbon - bare:5.1f} ms for the import)")
    print(f"  ... with pandas imported as well:      {with_pandas:7.1f} ms  ({with_pandas / ribbon:.1f}× the ribbon)")
    print(f"-X importtime xl_addin.ribbon:           {importtime('xl_addin.ribbon'):7.1f} ms cumulative")
    print(f"-X importtime pandas:                    {importtime('pandas'):7.1f} ms cumulative")
    where = subprocess.run([sys.executable, "-c", "import xl_addin; print(xl_addin.__file__)"], capture_output=True,
                           text=True, check=True, cwd=CWD, env=ENV).stdout.strip()
    print(f"pandas/numpy loaded by the ribbon:       {loaded}")
    print(f"modules the ribbon's import loads:       {count} (the one figure here the machine's load cannot move)")
    print(f"package measured:                        {where}")


if __name__ == "__main__":
    main()
