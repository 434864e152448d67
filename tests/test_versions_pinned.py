"""Workbooks of the current template version, pinned (tests/fixtures/v1_1).

A change of the builder that alters the locked structure of a workbook must raise the template
version: workbooks built before the change are still out with the units. These tests compare the
structure of today's build with workbooks the tool built earlier at the same version."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.merge.run import run_merge
from xl_addin.workbook.layout import META_SHEET, compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import Unit, filled_workbook

PINNED = Path(__file__).parent / "fixtures" / "v1_1"
UNITS = {
    "18073_Phuong-Thanh-Sen_6T-2026": Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025"),
    "18229_Xa-Duc-Tho_6T-2026": Unit("18229", "Xã Đức Thọ", "xa", "42", "QD19_2025"),
}


def _meta(path: Path) -> dict[str, object]:
    rows = compute_layout(load_definition()).meta_rows
    ws = openpyxl.load_workbook(path, read_only=True)[META_SHEET]
    grid = {r[0].row: r[1].value for r in ws.iter_rows(min_col=1, max_col=2) if r[0].row in rows.values()}
    return {key: grid.get(row) for key, row in rows.items()}


@pytest.mark.parametrize("stem", sorted(UNITS))
def test_pinned_workbook_has_the_structure_of_todays_build(tmp_path, stem):
    pinned = _meta(PINNED / f"{stem}.xlsx")
    definition = load_definition()
    if str(pinned["template_version"]) != definition.version:
        pytest.skip(f"template version is {definition.version}; the pinned {pinned['template_version']} "
                    "workbooks are past-version fixtures now (read by the test below)")
    payload = json.loads((PINNED / f"{stem}.json").read_text(encoding="utf-8"))
    today = _meta(filled_workbook(tmp_path, payload, unit=UNITS[stem], name="today.xlsx"))
    assert today["structure_digest"] == pinned["structure_digest"], (
        f"the locked structure of a version {definition.version} workbook changed: raise `version` in "
        "report.yaml and describe the change in versions.yaml (see tests/fixtures/v1_1/README.md)")


@pytest.mark.parametrize("stem", sorted(UNITS))
def test_pinned_workbook_reads_clean_with_its_values(stem):
    result = read_workbook(PINNED / f"{stem}.xlsx")
    assert [p.code for p in result.problems] == []
    payload = json.loads((PINNED / f"{stem}.json").read_text(encoding="utf-8"))
    for code, value in payload["values"].items():
        found = result.values[code]
        found = found.isoformat() if isinstance(found, dt.date) else found
        assert found == (Decimal(str(value)) if isinstance(value, float) else value), code
    assert result.values["don_vi_tien"] == "dong"  # a commune types its amounts in đồng


def test_pinned_workbooks_merge_without_a_reject(tmp_path):
    folder = tmp_path / "nop"
    shutil.copytree(PINNED, folder, ignore=shutil.ignore_patterns("*.json", "*.md"))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = run_merge(folder, tmp_path / "tong-hop.xlsx", workers=1)
    assert [s.rel for s in result.rejected] == []
    assert sorted(s.unit["code"] for s in result.merged) == ["18073", "18229"]
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name in before} == before  # inputs untouched
