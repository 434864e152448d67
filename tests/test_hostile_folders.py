"""Hostile folders, round two (issue 18): the merge's own outputs, forged meta sheets, odd
file-system entries. Each defect found by trying the tool is a test here (or a corpus case in
``tests/corpus.py``); every merge is checked for its accounting (merged + rejected + skipped +
superseded = every entry under the folder except folders) and for inputs left unchanged.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from corpus import PERIOD, Base, insert_rows, rezip, summary_rows

from xl_addin.errors import CchcError
from xl_addin.merge.run import run_merge
from xl_addin.workbook.reader import read_workbook

from conftest import ROOT, needs_soffice, run_cli, run_soffice


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return Base(tmp_path_factory.mktemp("base"))


def entries(folder: Path) -> list[str]:
    """Every entry under ``folder`` except folders (links, FIFOs, lock files count; a folder named
    like a workbook is listed too); a link to a folder is followed once per real folder, a second
    way into the same folder is an entry."""
    out, seen = [], set()

    def walk(d: Path) -> None:
        real = os.path.realpath(d)
        seen.add(real)
        for e in sorted(os.scandir(d), key=lambda e: e.name):
            p = Path(e.path)
            if e.is_dir(follow_symlinks=False):
                if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
                    out.append(str(p))  # a folder named like a workbook is listed (skipped) too
                walk(p)
            elif e.is_symlink() and p.is_dir():
                if os.path.realpath(p) in seen or str(os.path.realpath(d)).startswith(os.path.realpath(p) + os.sep):
                    out.append(str(p))
                else:
                    walk(p)
            else:
                out.append(str(p))

    walk(folder)
    return out


def hashes(folder: Path) -> dict[str, str]:
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            if p.is_file() and not p.is_symlink():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def accounted(result, folder: Path) -> None:
    total = len(result.merged) + len(result.rejected) + len(result.skipped) + len(result.superseded)
    assert total == len(entries(folder)), [s.rel for s in result.merged + result.rejected + result.skipped
                                           + result.superseded]


def outcome(result) -> dict[str, str]:
    out = {s.rel: "merged" for s in result.merged}
    out.update({s.rel: s.code for s in result.rejected + result.skipped + result.superseded})
    return out


def summary_copy(base: Base, rows: list[list], far_cell: bool = False, code: str | None = None,
                 level: str | None = None) -> bytes:
    return base.summary_copy(rows, far_cell, code, level)


def unit_of(result, code: str):
    return [s for s in result.merged if str(s.unit.get("code")) == code]


# --------------------------------------------------------------------------- 1. outputs never on inputs
def test_merge_never_writes_onto_its_inputs(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    for _ in range(2):
        (folder / f"u{base._serial + 1}.xlsx").write_bytes(base.unit_copy())
    victim = sorted(folder.iterdir())[0]
    before = hashes(folder)
    for args in (["-o", str(victim)], ["-o", str(folder / "tong-hop.xlsx")], ["-o", str(tmp_path / "th.xlsx"),
                                                                                "--feedback", str(folder)],
                 ["-o", str(tmp_path / "ph" / "th.xlsx"), "--feedback", str(tmp_path / "ph")],
                 ["-o", str(folder / ".." / "nop" / "x.xlsx")]):
        r = run_cli("merge", str(folder), *args)
        assert r.returncode == 1, (args, r.stderr)
        assert "Traceback" not in r.stderr and "trùng hoặc nằm trong" in r.stderr, (args, r.stderr)
    assert hashes(folder) == before
    with pytest.raises(CchcError) as exc:
        run_merge(folder, output=victim)
    assert exc.value.code == "merge_output_inside_input"
    r = run_cli("merge", str(folder), "-o", str(tmp_path / "th.csv"))
    assert r.returncode == 1 and "merge_output_not_xlsx" not in r.stderr and ".xlsx" in r.stderr
    assert hashes(folder) == before


# --------------------------------------------------------------------------- 2. names from files are data
def test_feedback_and_export_names_never_escape_their_folder(base, tmp_path):
    folder = tmp_path / "a" / "b" / "nop"
    folder.mkdir(parents=True)
    (folder / "ok.xlsx").write_bytes(base.unit_copy())
    def forged(code, name, level):  # meta sheet and locked cells edited alike (they agree)
        cells = {"_meta": {base.meta_ref("unit_code"): code, base.meta_ref("unit_name"): name,
                           base.meta_ref("unit_level"): level}}
        for field, value in (("don_vi_ma", code), ("don_vi_ten", name), ("don_vi_cap", level)):
            sheet, ref = base.cell(field)
            cells.setdefault(sheet, {})[ref] = value
        return base.unit_copy(cells)

    (folder / "x.xlsx").write_bytes(forged("../../../X", "../../X", None))
    (folder / "y.xlsx").write_bytes(forged("AUX.1", "AUX", "so"))
    (folder / "z.xlsx").write_bytes(forged("/etc/passwd", "C:\\Windows\\x" + "y" * 300, None))
    feedback = tmp_path / "a" / "b" / "ph"
    result = run_merge(folder, output=tmp_path / "th.xlsx", feedback=feedback)
    accounted(result, folder)
    assert len(list(feedback.iterdir())) >= 3, outcome(result)
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code\n42,Tỉnh,tinh,\n18073,Phường,phuong,42\n", encoding="utf-8")
    again = run_merge(folder, output=tmp_path / "th2.xlsx", feedback=feedback, units_path=units)
    assert {"merge_unit_unknown"} <= set(outcome(again).values())
    written = sorted(p for p in (tmp_path).rglob("*") if p.is_file() and "ph" not in p.parts and p.parent != folder
                     and p.name not in ("th.xlsx", "th2.xlsx", "units.csv"))
    assert written == [], written
    for p in feedback.iterdir():
        assert len(p.name) <= 124 and p.name.split(".")[0].upper() not in ("AUX", "CON", "NUL", "PRN")
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in p.name), p.name
    from xl_addin.rules.export import export_file

    out = tmp_path / "xuat"
    src = tmp_path / "p.xlsx"
    src.write_bytes(base.meta("period_code", "../../../../tmp/evil"))
    target, _info = export_file(src, out)
    assert target.resolve().parent == out.resolve()
    src2 = tmp_path / "q.xlsx"
    src2.write_bytes(base.meta("unit_code", "/etc/passwd"))
    target, _info = export_file(src2, out)
    assert target.resolve().parent == out.resolve()


def test_safe_file_names():
    from xl_addin.names import safe_file_name, slug

    assert slug("Phường Thành Sen") == "Phuong-Thanh-Sen"
    for bad in ("AUX", "aux.1", "CON", "nul.txt", "COM1", "LPT9.x"):
        assert safe_file_name(bad, ".xlsx").split(".")[0].upper() not in ("AUX", "CON", "NUL", "COM1", "LPT9")
    name = safe_file_name("x" * 400 + ". ", ".xlsx")
    assert len(name) <= 120 and name.endswith(".xlsx") and not name[:-5].endswith((".", " "))
    assert "/" not in safe_file_name("../../etc/passwd", ".xlsx") and ".." not in safe_file_name("..", ".xlsx")


# --------------------------------------------------------------------------- 3. limits and crashes
@pytest.mark.parametrize("good", [0, 1, 4])
def test_a_summary_sheet_with_a_far_cell_is_one_rejected_file(base, tmp_path, good):
    folder = tmp_path / "nop"
    folder.mkdir()
    for i in range(good):
        (folder / f"good{i}.xlsx").write_bytes(base.unit_copy())
    (folder / "far.xlsx").write_bytes(summary_copy(base, summary_rows(["99001"]), far_cell=True))
    result = run_merge(folder, output=tmp_path / "th.xlsx", period_code=PERIOD)
    accounted(result, folder)
    assert outcome(result)["far.xlsx"] == "sheet_too_large"
    assert len(result.merged) == good


def test_far_cells_in_units_list_and_previous_are_refused_with_a_message(base, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["code", "name", "level", "parent_code"])
    wb.active.append(["18073", "Phường Thành Sen", "phuong", "42"])
    buf = io.BytesIO()
    wb.save(buf)
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        xml = zf.read(part).decode()
    xml = xml.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    units = tmp_path / "units.xlsx"
    units.write_bytes(rezip(buf.getvalue(), replace={part: xml.encode()}))
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(base.unit_copy())
    r = run_cli("merge", str(folder), "--units", str(units))
    assert r.returncode == 1 and "units.xlsx" in r.stderr and "panicked" not in r.stderr, r.stderr
    r = run_cli("build", "--units", str(units), "--period", PERIOD, "--out", str(tmp_path / "b"))
    assert r.returncode == 1 and "units.xlsx" in r.stderr and "panicked" not in r.stderr, r.stderr
    prev = tmp_path / "truoc.xlsx"
    prev.write_bytes(summary_copy(base, summary_rows(["99001"]), far_cell=True))
    r = run_cli("merge", str(folder), "--previous", str(prev))
    assert r.returncode == 1 and "truoc.xlsx" in r.stderr and "panicked" not in r.stderr, r.stderr


def test_a_worker_that_dies_rejects_its_file_and_the_merge_goes_on(base, tmp_path, monkeypatch):
    from xl_addin.merge import collect

    folder = tmp_path / "nop"
    folder.mkdir()
    for i in range(3):
        (folder / f"good{i}.xlsx").write_bytes(base.unit_copy())
    (folder / "crash.xlsx").write_bytes(base.unit_copy())
    real = collect._inspect

    def dying(path_text, rel, *args):  # runs in the forked worker: a real abort of that process
        if rel == "crash.xlsx":
            import faulthandler

            faulthandler.disable()  # pytest's stack dump of the aborting worker is noise here
            os.kill(os.getpid(), signal.SIGABRT)
        return real(path_text, rel, *args)

    monkeypatch.setattr(collect, "_inspect", dying)
    monkeypatch.setenv("CCHC_LOG_DIR", str(tmp_path / "log"))
    for workers in (1, 2):
        result = run_merge(folder, workers=workers)
        accounted(result, folder)
        assert outcome(result)["crash.xlsx"] == "reader_crashed"
        assert len(result.merged) == 3
    assert "crash.xlsx (tín hiệu SIGABRT)" in (tmp_path / "log" / "cchc.log").read_text(encoding="utf-8")


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_no_worker_outlives_a_killed_merge(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    data = base.unit_copy()
    for i in range(120):
        (folder / f"u{i:03d}.xlsx").write_bytes(data)
    proc = subprocess.Popen([sys.executable, "-m", "xl_addin.cli", "merge", str(folder), "-o",
                             str(tmp_path / "th.xlsx")], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not workers:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert workers, "the merge started no worker"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    alive = workers
    while time.monotonic() < deadline and alive:
        alive = {p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in
                 (Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{p}").exists()
                  else "Z")}
        time.sleep(0.1)
    assert not alive, f"workers still running 5 s after the merge was killed: {alive}"


def test_stale_temp_files_are_accounted_for(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(base.unit_copy())
    (folder / ".~cchc-abc123.tmp").write_bytes(b"PK\x03\x04 half")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".~cchc-old.tmp"
    stale.write_bytes(b"left by a killed merge")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    result = run_merge(folder, output=out / "th.xlsx")
    accounted(result, folder)
    assert outcome(result)[".~cchc-abc123.tmp"] == "merge_temp_file"
    assert not stale.exists()


# --------------------------------------------------------------------------- 4. every entry one outcome
def test_odd_entries_each_get_one_outcome(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(base.unit_copy())
    raw = os.fsencode(folder) + b"/" + "Báo cáo Đông Hà.xlsx".encode("cp1258")  # as unzip leaves a Windows zip
    with open(raw, "wb") as fh:
        fh.write(base.unit_copy())
    os.mkfifo(folder / "fifo.xlsx")
    os.symlink("/dev/zero", folder / "zero.xlsx")
    os.symlink(folder / "nowhere.xlsx", folder / "broken.xlsx")
    outside = tmp_path / "ngoai"
    outside.mkdir()
    (outside / "c.xlsx").write_bytes(base.unit_copy())
    os.symlink(outside, folder / "link-dir")
    sub = folder / "sub"
    sub.mkdir()
    (sub / "d.xlsx").write_bytes(base.unit_copy())
    os.symlink(folder, sub / "loop")
    os.symlink(sub, folder / "sub-again")
    before = hashes(folder)
    started = time.monotonic()
    result = run_merge(folder, output=tmp_path / "th.xlsx", feedback=tmp_path / "ph")
    assert time.monotonic() - started < 60
    accounted(result, folder)
    got = outcome(result)
    assert got["fifo.xlsx"] == "merge_not_regular_file" and got["zero.xlsx"] == "merge_not_regular_file"
    assert got["broken.xlsx"] == "merge_link_broken"
    assert got[str(Path("sub") / "loop")] == "merge_link_loop" and got["sub-again"] == "merge_link_loop"
    assert got[str(Path("link-dir") / "c.xlsx")] == "merged" and got[str(Path("sub") / "d.xlsx")] == "merged"
    shown = [rel for rel in got if rel.startswith("B")]
    assert shown == ["Báo cáo Đông Hà.xlsx"] and got[shown[0]] == "merged", got
    assert hashes(folder) == before
    wb = openpyxl.load_workbook(tmp_path / "th.xlsx")
    assert any("Báo cáo Đông Hà.xlsx" == row[1] for row in wb["Nguồn"].iter_rows(values_only=True))
    r = run_cli("merge", str(folder), "-o", str(tmp_path / "th2.xlsx"), "--json")
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)


def test_error_values_and_lone_nbsp_are_findings(base, tmp_path):
    sheet, ref = base.cell("tthc_tiep_nhan_tong")
    sheet2, ref2 = base.cell("tthc_da_gq_tong")
    sheet3, ref3 = base.cell("co_quan_chu_quan")
    data = base.unit_copy({sheet3: {ref3: "\u00a0"}})
    part = base.sheet_part(sheet, data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read(part).decode()
    import re

    for r_, err in ((ref, "#N/A"), (ref2, "#DIV/0!")):
        def error_cell(m, r_=r_, err=err):
            attrs = m.group(1).replace(' t="inlineStr"', "").replace(' t="n"', "")
            return f'<c r="{r_}"{attrs} t="e"><v>{err}</v></c>'

        xml, n = re.subn(rf'<c r="{r_}"([^>]*?)(/>|>.*?</c>)', error_cell, xml, count=1, flags=re.S)
        assert n == 1
    path = tmp_path / "err.xlsx"
    path.write_bytes(rezip(data, replace={part: xml.encode()}))
    problems = {(p.code, p.cell) for p in read_workbook(path).problems}
    assert ("value_error", f"{sheet}!{ref}") in problems and ("value_error", f"{sheet2}!{ref2}") in problems
    assert ("value_nbsp", f"{sheet3}!{ref3}") in problems


@pytest.mark.parametrize("raw", ["08:30", 0, -3])
def test_date_cells_holding_times_or_bad_serials_are_findings(base, tmp_path, raw):
    import datetime as dt

    sheet, ref = base.cell("ngay_bao_cao")
    path = tmp_path / "d.xlsx"

    def change(wb):
        cell = wb[sheet][ref]
        cell.value = dt.time(8, 30) if raw == "08:30" else raw
        cell.number_format = "hh:mm" if raw == "08:30" else "dd/mm/yyyy"

    path.write_bytes(base.with_openpyxl(change))
    for cmd in (["read", "--json"], ["validate", "--json"]):
        r = run_cli(*cmd, str(path))
        assert r.returncode in (0, 1), (cmd, r.stderr)
        text = r.stdout
        assert "value_not_date" in text, text[:500]


# --------------------------------------------------------------------------- 5. one escaping policy
CONTROL = "".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))


def test_escaping_functions():
    from xl_addin.xmlescape import plain_text, xml_attr, xml_text

    assert xml_text("a\x01b") == "a_x0001_b"
    assert xml_text("_x0041_") == "_x005F_x0041_"
    assert xml_text("<&>") == "&lt;&amp;&gt;"
    assert xml_attr('"\'<&\x02') == "&quot;&apos;&lt;&amp;_x0002_"
    assert xml_text("a\tb\nc") == "a\tb\nc"
    text, dropped = plain_text("a\x01b\x1f")
    assert text == "ab" and dropped == 2


def test_control_characters_survive_every_output(base, tmp_path):
    from xl_addin.narrative import run_report

    folder = tmp_path / "nop"
    folder.mkdir()
    name = "Phường " + CONTROL + " _x0041_ Thử"
    path = folder / ("tệp\x01\x1b_x0041_.xlsx")
    sheet, ref = base.cell("co_quan_chu_quan")
    name_sheet, name_ref = base.cell("don_vi_ten")
    cells = {"_meta": {base.meta_ref("unit_name"): name}, sheet: {ref: "UBND " + CONTROL}}
    cells.setdefault(name_sheet, {})[name_ref] = name
    path.write_bytes(base.unit_copy(cells))
    result = run_merge(folder, output=tmp_path / "th.xlsx", feedback=tmp_path / "ph")
    accounted(result, folder)
    assert len(result.merged) == 1, outcome(result)
    import xml.dom.minidom

    with zipfile.ZipFile(tmp_path / "th.xlsx") as zf:
        for info in zf.infolist():
            if info.filename.endswith(".xml"):
                xml.dom.minidom.parseString(zf.read(info))  # well-formed XML 1.0, every part
    wb = openpyxl.load_workbook(tmp_path / "th.xlsx")
    texts = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("_x005F_x0041_" in t or "_x0041_" in t for t in texts)
    for fb in (tmp_path / "ph").iterdir():
        openpyxl.load_workbook(fb)
    out = run_report(path, out=tmp_path / "bc.xlsx", docx=tmp_path / "bc.docx", text=True)
    assert out["dropped_control_characters"] > 0
    openpyxl.load_workbook(tmp_path / "bc.xlsx")
    import docx

    docx.Document(str(tmp_path / "bc.docx"))
    from xl_addin.rules.export import export_file

    exported, _info = export_file(path, tmp_path / "xuat")
    openpyxl.load_workbook(exported)
    assert read_workbook(exported).unit["name"] == read_workbook(path).unit["name"]
    r = run_cli("read", str(path), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["unit"]["name"] == name.replace("_x0041_", "_x0041_"), r.stderr
    args = ["report", str(path), "--docx", str(tmp_path / "b2.docx")]
    if shutil.which("soffice"):
        args += ["--pdf", str(tmp_path / "b2.pdf")]
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    assert "ký tự điều khiển" in r.stderr


def test_control_characters_in_the_notes_of_tong_hop(base, tmp_path):
    """A unit whose name holds control characters and whose amount is implausible: the note on
    Tổng hợp's total names the unit; the comments part (written by openpyxl) gets the name through
    the one escaping policy (_xHHHH_), not a ValueError that stops the merge."""
    folder = tmp_path / "nop"
    folder.mkdir()
    name = "Phường " + CONTROL + " _x0041_ Thử"
    name_sheet, name_ref = base.cell("don_vi_ten")
    sheet, ref = base.cell("van_ban_chi_dao")
    cells = {"_meta": {base.meta_ref("unit_name"): name}, name_sheet: {name_ref: name}}
    cells.setdefault(sheet, {})[ref] = 50_000  # above its plausible_max of 2,000
    (folder / "a.xlsx").write_bytes(base.unit_copy(cells))
    result = run_merge(folder, output=tmp_path / "th.xlsx")
    accounted(result, folder)
    assert [o.kind for o in result.outliers] == ["implausible"], outcome(result)
    import xml.dom.minidom

    with zipfile.ZipFile(tmp_path / "th.xlsx") as zf:
        comments = [n for n in zf.namelist() if n.startswith("xl/comments")]
        assert comments
        for part in comments:
            text = zf.read(part).decode("utf-8")
            xml.dom.minidom.parseString(text)
            assert "_x0001_" in text and "_x005F_x0041_" in text
    wb = openpyxl.load_workbook(tmp_path / "th.xlsx")
    notes = [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]
    assert any("_x0001_" in n for n in notes)


# --------------------------------------------------------------------------- 6. identity from locked cells
def test_forged_summary_never_displaces_genuine_files(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    genuine = {}
    for _ in range(3):
        data = base.unit_copy()
        code = f"18{base._serial:03d}"
        genuine[code] = data
        (folder / f"{code}.xlsx").write_bytes(data)
    # a commune (phuong) that calls itself a summary: its level receives nobody's reports in 2026
    (folder / "forged.xlsx").write_bytes(summary_copy(base, summary_rows(list(genuine))))
    # the same, with the level in the meta sheet and the locked cell forged alike (tinh receives)
    (folder / "forged-tinh.xlsx").write_bytes(summary_copy(base, summary_rows(list(genuine)), level="tinh"))
    result = run_merge(folder, output=tmp_path / "th.xlsx")
    accounted(result, folder)
    got = outcome(result)
    assert all(got[f"{c}.xlsx"] == "merged" for c in genuine), got
    assert got["forged.xlsx"] == "merge_summary_level"
    assert got["forged-tinh.xlsx"] == "merge_hierarchy_conflict"  # the units' own files win
    assert sorted(d.unit for d in result.duplicates if d.conflict) == sorted(genuine)
    assert result.aggregate.values["tthc_tiep_nhan_tong"] < 999_999


def test_summary_rows_only_for_units_under_it_with_units_list(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "s.xlsx").write_bytes(summary_copy(base, summary_rows(["42001", "44001"], 5), code="42",
                                                 level="tinh"))
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code\n00,Cả nước,tinh,\n42,Tỉnh A,tinh,00\n42001,Xã A,xa,42\n"
                     "44,Tỉnh B,tinh,00\n44001,Xã B,xa,44\n", encoding="utf-8")
    result = run_merge(folder, units_path=units, receiver_code="00", period_code=PERIOD)
    accounted(result, folder)
    assert outcome(result)["s.xlsx"] == "merge_summary_units_outside"


def test_meta_must_agree_with_the_locked_cells(base, tmp_path):
    sheet, ref = base.cell("don_vi_ma")
    cases = {
        "unit.xlsx": base.unit_copy({"_meta": {base.meta_ref("unit_code"): "18999"}}),
        "period.xlsx": base.unit_copy({"_meta": {base.meta_ref("period_code"): "Q1-2026"}}),
        "name.xlsx": base.unit_copy({"_meta": {base.meta_ref("unit_name"): "Phường Khác"}}),
        "level.xlsx": base.unit_copy({"_meta": {base.meta_ref("unit_level"): "xa"}}),
    }
    folder = tmp_path / "nop"
    folder.mkdir()
    for name, data in cases.items():
        (folder / name).write_bytes(data)
        with pytest.raises(CchcError) as exc:
            read_workbook(folder / name)
        assert exc.value.code == "meta_contradicts_cells" and name in exc.value.message, name
    result = run_merge(folder, period_code=PERIOD)
    accounted(result, folder)
    assert set(outcome(result).values()) == {"meta_contradicts_cells"}


def test_unit_code_stored_as_number_is_one_unit(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    data = base.unit_copy()
    code = f"18{base._serial:03d}"
    sheet, ref = base.cell("don_vi_ma")
    as_number = base.patched({"_meta": {base.meta_ref("unit_code"): float(code),
                                        base.meta_ref("submission_counter"): 2}, sheet: {ref: int(code)}}, data)
    (folder / "text.xlsx").write_bytes(data)
    (folder / "number.xlsx").write_bytes(as_number)
    assert read_workbook(folder / "number.xlsx").unit["code"] == code
    result = run_merge(folder, period_code=PERIOD)
    accounted(result, folder)
    assert len(result.merged) == 1 and len(result.superseded) == 1


def test_a_summary_inside_the_input_folder_does_not_break_later_merges(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    for _ in range(3):
        (folder / f"u{base._serial + 1}.xlsx").write_bytes(base.unit_copy())
    first = run_merge(folder, output=tmp_path / "th.xlsx")
    shutil.copy(tmp_path / "th.xlsx", folder / "th.xlsx")
    (folder / "sub").mkdir()
    again = run_merge(folder, output=tmp_path / "th2.xlsx", feedback=tmp_path / "ph")
    accounted(again, folder)
    assert len(again.merged) == 3 and outcome(again)["th.xlsx"] == "merge_hierarchy_conflict"
    assert again.aggregate.values["tthc_tiep_nhan_tong"] == first.aggregate.values["tthc_tiep_nhan_tong"]


# --------------------------------------------------------------------------- 7. tampered layout
def test_rows_inserted_never_reach_the_totals(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "good.xlsx").write_bytes(base.unit_copy())

    def insert(wb):
        ws = wb["Số liệu"]
        ws.protection.sheet = False
        ws.insert_rows(20, 2)

    (folder / "rows.xlsx").write_bytes(base.with_openpyxl(insert))
    (folder / "unprotected.xlsx").write_bytes(base.with_openpyxl(lambda wb: setattr(wb["Số liệu"].protection,
                                                                                     "sheet", False)))
    result = run_merge(folder, output=tmp_path / "th.xlsx")
    accounted(result, folder)
    got = outcome(result)
    assert got["rows.xlsx"] == "merge_tampered_layout" and got["unprotected.xlsx"] == "merged"
    assert got["good.xlsx"] == "merged"
    r = run_cli("merge", str(folder), "--accept-tampered", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["merged"]) == 3


@needs_soffice
def test_a_libreoffice_resave_is_merged_and_flagged_not_called_unlocked(base, tmp_path):
    src = tmp_path / "don-vi.xlsx"
    src.write_bytes(base.unit_copy())
    out = tmp_path / "lo"
    r = run_soffice(["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src)], tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "nop"
    folder.mkdir()
    shutil.copy(out / "don-vi.xlsx", folder / "don-vi.xlsx")
    codes = [p.code for p in read_workbook(folder / "don-vi.xlsx").problems]
    assert "workbook_resaved" in codes and "tamper_workbook_unlocked" not in codes, codes
    assert not [c for c in codes if c.startswith("tamper_")], codes
    result = run_merge(folder, period_code=PERIOD)
    assert outcome(result) == {"don-vi.xlsx": "merged"}
    assert read_workbook(folder / "don-vi.xlsx").values == read_workbook(src).values


def test_accept_tampered_reads_through_the_files_own_names(base, tmp_path):
    """Rows inserted the way Excel does it: the cells below move and so do the defined names."""
    from openpyxl.workbook.defined_name import DefinedName

    from xl_addin.workbook.reader import _name_position

    original = base.unit_copy()
    src = tmp_path / "goc.xlsx"
    src.write_bytes(original)

    def insert(wb):
        ws = wb["Số liệu"]
        ws.protection.sheet = False
        ws.insert_rows(20, 2)
        for name, dn in list(wb.defined_names.items()):
            found = _name_position(dn.attr_text.replace("$", ""))
            if found and found[0] == "Số liệu" and found[1] >= 20:
                _sheet, r1, c1, r2, c2 = found
                a = f"${openpyxl.utils.get_column_letter(c1)}${r1 + 2}"
                b = f"${openpyxl.utils.get_column_letter(c2)}${r2 + 2}"
                wb.defined_names[name] = DefinedName(name, attr_text=f"'Số liệu'!{a}" + (f":{b}" if (r1, c1) != (r2, c2)
                                                                                       else ""))

    wb = openpyxl.load_workbook(io.BytesIO(original))
    insert(wb)
    moved = tmp_path / "chen-dong.xlsx"
    wb.save(moved)
    plain = read_workbook(moved)
    assert "tamper_label_changed" in {p.code for p in plain.problems}
    by_names = read_workbook(moved, by_names=True)
    want = read_workbook(src).values
    assert by_names.values == want
    assert plain.values != want  # read where the template has the cells, the numbers are shifted


# --------------------------------------------------------------------------- 8. medium and low items
def test_full_width_digits_are_not_unit_codes():
    from xl_addin.definition.units import check_code

    assert check_code("１８０７３", "phuong") is not None
    assert check_code("18073", "phuong") is None


def test_build_refuses_two_units_that_would_share_a_file(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code,code_list\n18073,Phường A,phuong,42,QD124_2004\n"
                     "18073,Phường A,phuong,42,QD19_2025\n", encoding="utf-8")
    r = run_cli("build", "--units", str(units), "--period", PERIOD, "--out", str(tmp_path / "b"))
    assert (r.returncode == 0 and len(list((tmp_path / "b").glob("*.xlsx"))) == 2) or (
        r.returncode == 1 and "18073" in r.stderr), r.stderr


def test_fill_refuses_a_date_in_year_201(base, tmp_path):
    src = tmp_path / "a.xlsx"
    src.write_bytes(base.unit_copy())
    data = tmp_path / "v.json"
    data.write_text(json.dumps({"values": {"ngay_bao_cao": "0201-06-15"}}), encoding="utf-8")
    r = run_cli("fill", str(src), "--data", str(data), "-o", str(tmp_path / "b.xlsx"))
    assert r.returncode == 1 and "0201" in r.stderr, r.stderr


def test_unwritable_output_gets_a_message_naming_the_path(base, tmp_path):
    if os.geteuid() == 0:
        target = Path("/proc/cchc-nope/th.xlsx")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "th.xlsx"
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(base.unit_copy())
    r = run_cli("merge", str(folder), "-o", str(target))
    assert r.returncode == 1 and str(target.parent) in r.stderr and "Lỗi không mong đợi" not in r.stderr, r.stderr


def test_units_csv_problems_get_messages(tmp_path):
    long_field = tmp_path / "long.csv"
    long_field.write_text("code,name,level,parent_code\n18073,\"" + "x" * 140_000 + "\",phuong,42\n",
                          encoding="utf-8")
    r = run_cli("build", "--units", str(long_field), "--period", PERIOD, "--out", str(tmp_path / "b"))
    assert r.returncode == 1 and "long.csv" in r.stderr and "Lỗi không mong đợi" not in r.stderr, r.stderr
    blanks = tmp_path / "blanks.csv"
    blanks.write_text("code,name,level,parent_code\n\n\n18073,,phuong,42\n", encoding="utf-8")
    r = run_cli("build", "--units", str(blanks), "--period", PERIOD, "--out", str(tmp_path / "b"))
    assert r.returncode == 1 and "dòng 4" in r.stderr, r.stderr


def test_a_long_unit_name_builds(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code\n18073,Phường " + "Thành Sen " * 45 + ",phuong,42\n",
                     encoding="utf-8")
    r = run_cli("build", "--units", str(units), "--period", PERIOD, "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert all(len(p.name) <= 120 for p in (tmp_path / "b").iterdir())


def test_when_every_file_is_rejected_the_reasons_are_shown(tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "a.xlsx").write_text("không phải sổ tính", encoding="utf-8")
    r = run_cli("merge", str(folder))
    assert r.returncode == 1 and "a.xlsx" in r.stderr, r.stderr


def test_previous_must_be_an_earlier_summary(base, tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(base.unit_copy())
    unit_file = tmp_path / "don-vi.xlsx"
    unit_file.write_bytes(base.unit_copy())
    r = run_cli("merge", str(folder), "--previous", str(unit_file))
    assert r.returncode == 1 and "don-vi.xlsx" in r.stderr, r.stderr
    later = run_merge(folder, output=tmp_path / "cung-ky.xlsx")
    assert later.merged
    r = run_cli("merge", str(folder), "--previous", str(tmp_path / "cung-ky.xlsx"))
    assert r.returncode == 1 and "cung-ky.xlsx" in r.stderr, r.stderr


def test_export_of_damaged_xml_and_oversized_sheet_get_messages(base, tmp_path):
    data = base.unit_copy()
    part = base.sheet_part("Đánh giá", data)
    bad = tmp_path / "hong.xlsx"
    bad.write_bytes(rezip(data, replace={part: b"<worksheet><sheetData><row>"}))
    r = run_cli("export", str(bad), "--out", str(tmp_path / "x"))
    assert r.returncode == 1 and "hong.xlsx" in r.stderr and "Lỗi không mong đợi" not in r.stderr, r.stderr
    big = tmp_path / "to.xlsx"
    big.write_bytes(insert_rows(base, "Văn bản", "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                                                          for r in range(200, 12_200)), data))
    r = run_cli("export", str(big), "--out", str(tmp_path / "x"))
    assert r.returncode == 1 and "to.xlsx" in r.stderr, r.stderr


def test_a_temp_file_of_a_killed_writer_is_removed_at_once(tmp_path):
    from xl_addin.atomic import write_atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    left = tmp_path / f".~cchc-{pid}-abc.tmp"
    left.write_bytes(b"half a summary")
    mine = tmp_path / f".~cchc-{os.getpid()}-xyz.tmp"  # a write of this process still under way
    mine.write_bytes(b"being written")
    write_atomic(tmp_path / "th.xlsx", b"data")
    assert not left.exists() and mine.exists() and (tmp_path / "th.xlsx").read_bytes() == b"data"


def test_a_big_shared_strings_table_is_not_called_a_zip_bomb(base, tmp_path):
    import random
    import string

    from xl_addin.limits import MAX_WORKBOOK_XML_BYTES

    rng = random.Random(18)
    items = []
    size = 0
    while size < MAX_WORKBOOK_XML_BYTES + 2**20:  # random text: packs like real text, not like a bomb
        text = "".join(rng.choice(string.ascii_letters + " ") for _ in range(400))
        items.append(f"<si><t>{text}</t></si>")
        size += len(items[-1])
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">'
           .format(len(items)) + "".join(items) + "</sst>").encode()
    data = base.unit_copy()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        has = "xl/sharedStrings.xml" in zf.namelist()
    path = tmp_path / "sst.xlsx"
    path.write_bytes(rezip(data, replace={"xl/sharedStrings.xml": sst}) if has else
                     rezip(data, add={"xl/sharedStrings.xml": sst}))
    with pytest.raises(CchcError) as exc:
        read_workbook(path)
    assert exc.value.code == "part_too_large" and "sst.xlsx" in exc.value.message


def test_a_definition_file_not_in_utf8_gets_a_message(tmp_path):
    from xl_addin.definition.loader import read_yaml

    path = tmp_path / "report.yaml"
    path.write_bytes("id: cchc\ntitle: Báo cáo\n".encode("cp1258"))
    with pytest.raises(CchcError) as exc:
        read_yaml(path)
    assert exc.value.code == "definition_yaml" and "UTF-8" in exc.value.message and "dòng 2" in exc.value.message


def test_a_file_intact_as_an_earlier_build_made_it_is_told_apart(base, tmp_path):
    """The template changed within its version (a sheet added, a label reworded by the builder):
    a file whose sheets, names and protection are exactly what its own stamped digest says is
    rejected with its own reason, and --accept-tampered reads it through its own names."""
    from xl_addin.workbook.tamper import file_digest

    def older_build(wb):
        wb.create_sheet("Phụ lục 9")
        ws = wb["Số liệu"]
        ws.protection.sheet = False
        ws["B41"].value = "Tổng số hồ sơ (cách viết của bản dựng cũ)"

    made = tmp_path / "made.xlsx"
    made.write_bytes(base.with_openpyxl(older_build))
    folder = tmp_path / "nop"
    folder.mkdir()
    (folder / "cu.xlsx").write_bytes(base.patched({"_meta": {base.meta_ref("structure_digest"): file_digest(made)}},
                                                  made.read_bytes()))
    (folder / "sua.xlsx").write_bytes(made.read_bytes())  # the same changes, its digest the template's
    codes = {p.code for p in read_workbook(folder / "cu.xlsx").problems}
    assert "template_build_differs" in codes and "tamper_label_changed" in codes
    assert "template_build_differs" not in {p.code for p in read_workbook(folder / "sua.xlsx").problems}
    result = run_merge(folder, period_code=PERIOD)
    accounted(result, folder)
    assert outcome(result) == {"cu.xlsx": "merge_template_build_differs", "sua.xlsx": "merge_tampered_layout"}
