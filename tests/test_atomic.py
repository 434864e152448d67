"""Atomic outputs: a merge or report killed in the middle leaves the previous output or none.

The writers go through ``write_atomic`` (temporary file in the same folder, then ``os.replace``):
killing the process (SIGKILL, no clean-up) at any moment must never leave a partial file at the
output path.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT, filled_workbook

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")

VALUES = {"values": {"tthc_tiep_nhan_tong": 120, "tthc_da_gq_tong": 100, "tthc_dang_gq_tong": 15,
                     "tthc_cho_bo_sung": 3, "tthc_tra_lai": 2, "bien_che_giao": 25, "bien_che_co_mat": 24},
          "lists": {"kien_nghi": [{"noi_dung": "Đề nghị tăng biên chế"}]}}
UNITS = 100


def _folder(tmp: Path) -> Path:
    """UNITS returned workbooks, one per unit (patched copies of one filled workbook)."""
    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook.layout import compute_layout
    from xl_addin.workbook.xlsxpatch import XlsxPackage

    base = XlsxPackage(filled_workbook(tmp, VALUES).read_bytes())
    layout = compute_layout(load_definition())
    folder = tmp / "nop"
    folder.mkdir()
    code_cell = layout.fields["don_vi_ma"]
    name_cell = layout.fields["don_vi_ten"]
    total = layout.fields["tthc_tiep_nhan_tong"]
    for i in range(UNITS):
        code = f"{18000 + i:05d}"
        cells = {"_meta": {f"B{layout.meta_rows['unit_code']}": code,
                           f"B{layout.meta_rows['unit_name']}": f"Xã Thử {code}"}}
        for pos, value in ((code_cell, code), (name_cell, f"Xã Thử {code}"), (total, 120 + i)):
            cells.setdefault(pos.sheet, {})[pos.ref] = value
        data = base.patched(cells)
        (folder / f"{code}.xlsx").write_bytes(data)
    return folder


def _run(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.Popen([sys.executable, "-m", "xl_addin.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _complete(path: Path) -> bool:
    from xl_addin.workbook.reader import read_workbook

    openpyxl.load_workbook(path)  # a partial zip would fail here
    return read_workbook(path).meta.get("kind") == "summary"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kill_at(args: list[str], delay: float) -> None:
    proc = _run(args)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the merge's worker processes too
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


def test_killed_merge_leaves_the_previous_summary_or_none(tmp_path):
    folder = _folder(tmp_path)
    out = tmp_path / "tong-hop.xlsx"
    args = ["merge", str(folder), "-o", str(out)]
    # killed before there was any output: no file at the output path, or a complete one
    start = time.perf_counter()
    full = _run(args)
    assert full.wait(timeout=300) == 0
    duration = time.perf_counter() - start
    assert _complete(out)
    outcomes = []
    fresh = tmp_path / "nouveau.xlsx"
    for fraction in (0.4, 0.8):
        _kill_at(["merge", str(folder), "-o", str(fresh)], duration * fraction)
        assert not fresh.exists() or _complete(fresh)
        outcomes.append("absent" if not fresh.exists() else "complete")
        fresh.unlink(missing_ok=True)
    # killed while replacing an earlier summary: that earlier file, byte for byte, or a complete new one
    for fraction in (0.3, 0.6, 0.8, 0.9, 0.97):
        before = _sha(out)
        _kill_at(args, duration * fraction)
        assert out.exists()
        if _sha(out) == before:
            outcomes.append("previous")
        else:
            assert _complete(out)
            outcomes.append("new")
    print("kills:", outcomes)
    assert "previous" in outcomes  # at least one kill landed in the middle of a merge
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".~cchc-")]
    # temporary files of killed runs may remain (hidden, skipped by merge), never at the output path
    assert all(p.suffix == ".tmp" for p in leftovers)


def test_killed_report_leaves_the_previous_report_or_none(tmp_path):
    folder = _folder(tmp_path)
    summary = tmp_path / "tong-hop.xlsx"
    assert _run(["merge", str(folder), "-o", str(summary)]).wait(timeout=300) == 0
    out = tmp_path / "bao-cao.xlsx"
    args = ["report", str(summary), "-o", str(out)]
    start = time.perf_counter()
    assert _run(args).wait(timeout=300) == 0
    duration = time.perf_counter() - start
    openpyxl.load_workbook(out)
    for fraction in (0.5, 0.8, 0.95):
        before = _sha(out)
        _kill_at(args, duration * fraction)
        assert out.exists()
        if _sha(out) != before:
            openpyxl.load_workbook(out)  # complete
