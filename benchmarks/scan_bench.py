#!/usr/bin/env python3
"""Cost of the pre-flight's sheet scan (issue 20): the quick scan against the XML parser. Not a test.

Generates N filled unit workbooks (as ``merge_bench.py`` does), unpacks the sheets the merge reads
(``reader.sheets_read``), then times on one process, in alternating turns, the median reported:
  * the scan as the merge runs it (``parse_sheet_xml``: the quick scan, which reads these files),
  * of that, the quick scan's proof that a part is written the usual way (before it reads anything),
  * the parser scan (``parser_scan``: expat), what a file written in another spelling costs,
  * python-calamine parsing the same sheets (the floor of the merge benchmark), for scale.

    python benchmarks/scan_bench.py [--units 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from merge_bench import generate  # noqa: E402


def main() -> None:
    from python_calamine import CalamineWorkbook

    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook import safety
    from xl_addin.workbook.layout import compute_layout
    from xl_addin.workbook.reader import sheets_read

    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    names = sheets_read(compute_layout(load_definition()))
    tmp = Path(tempfile.mkdtemp(prefix="cchc-scan-"))
    try:
        generate(tmp, args.units)
        books = []
        for path in sorted(tmp.glob("*.xlsx")):
            pre = safety.preflight(path)
            parts = {name: pre.sheet_part(name) for name in names}
            books.append((pre.data, [(n, p, pre.read_part(p, 2**30)) for n, p in parts.items()]))
        size = sum(len(d) for _, d in [(0, b"".join(x[2] for x in books[0][1]))])
        quick_all = all(safety.quick_scan(n, p, d) is not None for _, sheets in books for n, p, d in sheets)

        def run(scan) -> float:
            t0 = time.perf_counter()
            for _, sheets in books:
                for n, p, d in sheets:
                    scan(n, p, d)
            return time.perf_counter() - t0

        def calamine() -> float:
            t0 = time.perf_counter()
            for data, _ in books:
                book = CalamineWorkbook.from_filelike(io.BytesIO(data))
                for n in names:
                    book.get_sheet_by_name(n).to_python(skip_empty_area=False)
            return time.perf_counter() - t0

        def proof(_name: str, _part: str, data: bytes) -> None:
            """What the quick scan does before it reads anything: prove the usual spelling."""
            area = safety._cells_area(data)
            if area is not None:
                start, begin, end = area
                (safety._UNPLAIN.search(data, start, end) or safety._PREFIXED.search(data, start, end)
                 or data.find(b"\r", start, end) >= 0 or data.find(b' t="e"', begin, end) >= 0)

        turns = {"scan": [], "proof": [], "parser": [], "calamine": []}
        for _ in range(args.repeat):
            safety._TAILS.clear()
            turns["scan"].append(run(safety.parse_sheet_xml))
            turns["proof"].append(run(proof))
            turns["parser"].append(run(safety.parser_scan))
            turns["calamine"].append(calamine())
        n = len(books)
        formulas = sum(len(safety.parse_sheet_xml(nm, p, d).formulas) for nm, p, d in books[0][1])
        print(f"{n} workbooks, {len(names)} sheets each ({size / 1024:.0f} KiB of sheet XML and {formulas} formulas "
              f"per workbook); every sheet read by the quick scan: {quick_all}")
        for label, key in (("scan as the merge runs it (quick)", "scan"),
                           ("  of which the proof that the part is written the usual way", "proof"),
                           ("parser scan (expat), the fallback", "parser"),
                           ("python-calamine, same sheets", "calamine")):
            med = statistics.median(turns[key])
            print(f"{label}: {med / n * 1000:.2f} ms per workbook, {med:.2f} s for N={n} on one process "
                  f"(turns: {', '.join(f'{t:.2f}' for t in turns[key])} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
