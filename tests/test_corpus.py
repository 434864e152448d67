"""The corpus of hostile and broken inputs: every kind has its own reason code, everywhere.

Prints one line per case (kind → outcome) whatever pytest's capture setting is.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from corpus import INJECTIONS, generate

from xl_addin.errors import CchcError, catalogue
from xl_addin.merge.run import run_merge
from xl_addin.workbook.reader import read_workbook

from conftest import run_cli

CATCH_ALL = {"not_a_workbook", "workbook_unreadable", "internal_error"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus") / "nop"
    made = generate(folder)
    hashes = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}
    return {"folder": folder, "made": made, "hashes": hashes}


def _outcome(path: Path) -> tuple[str, object]:
    try:
        data = read_workbook(path)
    except CchcError as exc:
        return "rejected", exc
    return "read", data


def test_at_least_thirty_kinds_each_with_its_own_declared_code(corpus):
    cases = [case for case, _path in corpus["made"]]
    assert len(cases) >= 30
    assert len({c.kind for c in cases}) == len(cases)
    for case in cases:
        for code in (case.code, case.merge_code):
            if code:
                assert code in catalogue(), code
                assert code not in CATCH_ALL, case.kind
    assert len({c.code for c in cases if c.code}) >= 30


def test_every_kind_gives_its_reason_code(corpus, capsys):
    lines, wrong = [], []
    for case, path in corpus["made"]:
        if case.outcome == "merge":
            lines.append(f"  {case.kind:26} → (merge) {case.merge_code:30} {case.what}")
            continue
        outcome, result = _outcome(path)
        if outcome == "rejected":
            got = result.code
            ok = case.outcome == "rejected" and got == case.code and path.name in result.message
        else:
            codes = [p.code for p in result.problems]
            got = case.code if case.code in codes else ",".join(codes) or "(no problem)"
            ok = case.outcome == "read" and case.code in codes and all(
                path.name in p.message for p in result.problems if p.code == case.code)
        lines.append(f"{'  ' if ok else '✗ '}{case.kind:26} → {outcome:8} {got:30} {case.what}")
        if not ok:
            wrong.append((case.kind, case.code, outcome, got))
    with capsys.disabled():
        print("\nHostile-input corpus (kind → outcome, reason code):\n" + "\n".join(lines))
    assert not wrong


def test_cli_validate_and_read_name_the_file_and_never_show_a_traceback(corpus):
    made = [(c, p) for c, p in corpus["made"] if c.outcome != "merge"]
    r = run_cli("validate", "--json", *[str(p) for _c, p in made])
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout and "panicked" not in r.stderr
    results = {Path(item["file"]).name: item for item in json.loads(r.stdout)}
    for case, path in made:
        item = results[path.name]
        if case.outcome == "rejected":
            assert item["error"] and path.name in item["error"], case.kind
        else:
            assert item["error"] is None, (case.kind, item["error"])
            assert case.code in {f["rule"] for f in item["findings"]}, case.kind
    by_kind = {c.kind: p for c, p in made}
    for kind in ("empty", "zip_bomb_ratio", "future_version", "far_cell", "encrypted", "date_far_past"):
        r = run_cli("read", str(by_kind[kind]))
        assert r.returncode == 2 and "Traceback" not in r.stderr and "panicked" not in r.stderr \
            and by_kind[kind].name in r.stderr, (kind, r.stderr)
    r = run_cli("read", str(by_kind["formula_overwritten"]), "--json")
    assert r.returncode == 0 and "tamper_formula_replaced" in {p["code"] for p in json.loads(r.stdout)["problems"]}


def test_merge_accounts_for_every_case_with_its_code(corpus, tmp_path):
    from test_hostile_folders import entries

    folder = corpus["folder"]
    result = run_merge(folder, output=tmp_path / "tong-hop.xlsx", workers=2)
    assert len(result.merged) + len(result.rejected) + len(result.skipped) + len(result.superseded) == \
        len(entries(folder))
    codes = {Path(s.rel).name: s.code for s in result.rejected + result.skipped + result.superseded}
    merged = {Path(s.rel).name for s in result.merged}
    for case, path in corpus["made"]:
        if case.outcome == "read" and not case.merge_code:
            assert path.name in merged, (case.kind, codes.get(path.name))
        else:
            assert codes.get(path.name) == (case.merge_code or case.code), case.kind
    after = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}
    assert after == corpus["hashes"]  # submitted files are never modified


def test_cli_merge_runs_over_the_corpus(corpus, tmp_path):
    r = run_cli("merge", str(corpus["folder"]), "-o", str(tmp_path / "th.xlsx"), "--json")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "panicked" not in r.stderr
    payload = json.loads(r.stdout)
    assert {"file_empty", "zip_bomb_ratio", "template_version_newer", "sheet_too_large"} <= \
        {item["code"] for item in payload["rejected"]}


def _formula_cells_with(path: Path, needles: list[str]) -> list[str]:
    wb = openpyxl.load_workbook(path)
    hits = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and any(n.lower() in str(cell.value).lower() for n in needles):
                    hits.append(f"{ws.title}!{cell.coordinate}")
    return hits


def test_formula_injection_stays_inert_text_in_summary_and_report(corpus, tmp_path):
    from xl_addin.narrative import run_report

    source = dict((c.kind, p) for c, p in corpus["made"])["formula_injection"]
    folder = tmp_path / "nop"
    folder.mkdir()
    shutil.copy(source, folder / source.name)
    result = run_merge(folder, output=tmp_path / "tong-hop.xlsx")
    assert [Path(s.rel).name for s in result.merged] == [source.name]
    needles = ["cmd|", "HYPERLINK(\"http://vi-du", "SUM(1+1)"]
    assert _formula_cells_with(tmp_path / "tong-hop.xlsx", needles) == []
    summary = openpyxl.load_workbook(tmp_path / "tong-hop.xlsx")
    texts = {c.value for ws in summary.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert any(INJECTIONS[1] in t for t in texts)  # kept, visibly identical, as text
    out = run_report(source, out=tmp_path / "bao-cao.xlsx", text=True)
    assert INJECTIONS[1] in out["text"]
    assert _formula_cells_with(tmp_path / "bao-cao.xlsx", needles) == []


def test_a_file_that_vanishes_between_listing_and_reading(corpus, tmp_path, monkeypatch):
    from xl_addin.merge import run

    made = dict((c.kind, p) for c, p in corpus["made"])
    folder = tmp_path / "nop"
    folder.mkdir()
    shutil.copy(made["negative"], folder / "a.xlsx")
    shutil.copy(made["fraction"], folder / "b.xlsx")
    listed = run.discover

    def discover_then_delete(path):  # the folder is listed, then b.xlsx is deleted before it is read
        found = listed(path)
        (folder / "b.xlsx").unlink()
        return found

    monkeypatch.setattr(run, "discover", discover_then_delete)
    result = run_merge(folder, workers=1)
    codes = {Path(s.rel).name: s.code for s in result.rejected}
    assert codes == {"b.xlsx": "merge_file_vanished"}
    assert [Path(s.rel).name for s in result.merged] == ["a.xlsx"]


def test_inert_text_helpers(tmp_path):
    from xl_addin.workbook.safety import inert_text, looks_like_formula, set_inert_text

    wb = openpyxl.Workbook()
    for row, text in enumerate(INJECTIONS, start=1):
        set_inert_text(wb.active.cell(row=row, column=1), text)
    wb.save(tmp_path / "x.xlsx")
    back = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    assert [back.cell(row=r, column=1).value for r in range(1, len(INJECTIONS) + 1)] == INJECTIONS
    assert all(back.cell(row=r, column=1).data_type == "s" for r in range(1, len(INJECTIONS) + 1))
    assert all(looks_like_formula(t) for t in INJECTIONS)
    assert not looks_like_formula("- Cải cách hành chính: đạt (2025)") and not looks_like_formula("-5")
    assert inert_text("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0" and inert_text("Xã Đức Thọ") == "Xã Đức Thọ"
    assert inert_text(15) == 15
