#!/usr/bin/env python3
"""Make and render a trends workbook at a given number of units (issue 17), to look at.

Four periods (Q1, 6T, 9T and N-2026) of summaries by the real pipeline (``tests/history_cases.py``:
build → fill → export → merge), N communes of «Tỉnh Minh Họa» with some late, missing or rejected
in each period, a few chronically, and one in eight whose on-time, digitisation and satisfaction
rates move away from the others period after period; then ``cchc history`` on them, the workbook
converted to PDF by LibreOffice and every page to PNG (``pdftoppm -r 60``) in OUTDIR.
``--picture FILE`` also writes the README's picture: the top of the first indicator sheet.

    python scripts/render_history.py 100 /tmp/xu-huong-100 [--picture docs/img/xu-huong.png]

About 0.4 s per unit and period on the 2-core machine (100 units: under 3 minutes).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

PERIODS = ["Q1-2026", "6T-2026", "9T-2026", "N-2026"]
NAMES = ["Xã Cẩm Xuyên", "Phường Thành Sen", "Xã Đức Thọ", "Xã Kỳ Anh", "Xã Hương Khê", "Phường Hồng Lĩnh",
         "Xã Nghi Xuân", "Xã Thạch Hà", "Xã Can Lộc", "Xã Vũ Quang", "Xã Lộc Hà", "Xã Hương Sơn"]


def summaries(n: int, folder: Path) -> list[Path]:
    from history_cases import Sent, make_summaries

    from xl_addin.definition.units import Unit

    units = [Unit(f"{74000 + i}", NAMES[i % len(NAMES)] + (f" {i // len(NAMES) + 1}" if i >= len(NAMES) else ""),
                  "xa", "74", "") for i in range(n)]
    rng = random.Random(17)
    plan = {}
    for p in PERIODS:
        for u in units:
            x = rng.random()
            if x < 0.04:
                plan[(p, u.code)] = Sent("missing")
            elif x < 0.05:
                plan[(p, u.code)] = Sent("rejected")
            elif x < 0.13:
                plan[(p, u.code)] = Sent("late", rng.randint(1, 9))
    for u in units[3:6]:  # late in the first quarter, missing at 9 months
        plan[("Q1-2026", u.code)] = Sent("late", 4)
        plan[("9T-2026", u.code)] = Sent("missing")
    slip = {u.code: rng.uniform(0.0, 0.25) for u in rng.sample(units, max(3, n // 8))}

    def tweak(code: str, period: str, payload: dict) -> None:
        share = slip.get(code)
        if share is None:
            return
        step = PERIODS.index(period)
        share *= 1 + 0.4 * step if int(code) % 2 else 1.6 - 0.4 * step  # half of them slip, half recover
        values = payload["values"]
        moved = 0
        for row in payload["tables"]["bieu_06a"]:
            k = min(int(row["truoc_han"] * share), row["truoc_han"])
            row["qua_han"] += k
            row["truoc_han"] -= k
            moved += k
        values["tthc_da_gq_qua_han"] += moved
        values["tthc_da_gq_truoc_han"] -= moved
        values["so_hoa_ho_so"] -= int(values["so_hoa_ho_so"] * share / 2)
        extra = int(values["hai_long_tong"] * share / 3)
        values["hai_long_khong"] += extra
        values["hai_long_tong"] += extra

    made = make_summaries(folder, Unit("74", "Tỉnh Minh Họa", "tinh", ""), {p: units for p in PERIODS}, plan, tweak)
    return list(made.summaries.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("units", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--picture", type=Path)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    files = summaries(args.units, args.out / "tong-hop")
    book = args.out / "XU-HUONG.xlsx"
    subprocess.run([sys.executable, "-m", "xl_addin.cli", "history", *map(str, files), "-o", str(book), "--csv",
                    str(args.out / "bang-dai.csv")], check=True)
    from conftest import run_soffice

    run_soffice(["--convert-to", "pdf", "--outdir", str(args.out), str(book)], cwd=args.out)
    pdf = book.with_suffix(".pdf")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(args.out / "trang")], check=True)
    if args.picture:  # page 2: the first indicator sheet, its chart and the top of its table
        subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", "-f", "2", "-l", "2", "-x", "40", "-y", "45",
                        "-W", "985", "-H", "560", str(pdf), str(args.picture.with_suffix(""))], check=True)
    print(f"{len(list(args.out.glob('trang-*.png')))} pages: {args.out}")


if __name__ == "__main__":
    main()
