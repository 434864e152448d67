"""Batch merge on a real folder of returned workbooks, good and bad."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition, read_yaml
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.demo import demo_dir, sample_data, to_fill_payload
from xl_addin.merge.run import run_merge
from xl_addin.rules.export import export_file
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import needs_soffice, run_cli, run_soffice

SAMPLE = read_yaml(demo_dir() / "sample.yaml")


def _units(prefix: str, n: int, parent: str) -> list[Unit]:
    width = 5 - len(prefix)
    return [Unit(f"{prefix}{i:0{width}d}", f"Xã Thử {prefix}{i}", "xa", parent, "") for i in range(1, n + 1)]


def make_returns(tmp: Path, units: list[Unit], period_code: str, folder: str, stamp: str = "2026-06-16 09:00:00",
                 mistakes: bool = False) -> dict[str, Path]:
    """Build, fill with demo-style data, and export: the files units send back."""
    definition = load_definition()
    period = parse_period(period_code, definition)
    built = build_unit_workbooks(definition, units, period, tmp / f"{folder}-blank")
    sample = dict(SAMPLE)
    if not mistakes:
        sample["mistakes"] = {}
    out = {}
    for result in built:
        filled = tmp / f"{folder}-filled" / result.path.name
        fill_workbook(result.path, to_fill_payload(definition, sample_data(sample, result.unit.code, result.unit.name)),
                      filled)
        sent, _info = export_file(filled, tmp / folder, dt.datetime.fromisoformat(stamp))
        out[result.unit.code] = sent
    return out


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def merge_case(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("merge")
    units = _units("70", 8, "70")
    sent = make_returns(tmp, units[:6], "6T-2026", "nop")
    folder = tmp / "nop"
    sub = folder / "Đợt 2"
    sub.mkdir()
    # a corrected resend of unit 1 (exported later, counter 2), an identical copy of unit 2, a tie for unit 3
    resend = make_returns(tmp, units[:1], "6T-2026", "resend", stamp="2026-06-17 10:00:00")
    shutil.copy(resend[units[0].code], sub / "70001_gui-lai.xlsx")
    shutil.copy(sent[units[1].code], sub / "70002_ban-sao.xlsx")
    fields = compute_layout(load_definition()).fields
    wb = openpyxl.load_workbook(sent[units[2].code])
    wb["Số liệu"][fields["kh_cchc_nhiem_vu_tong"].ref].value = 99
    wb.save(sub / "70003_ban-khac.xlsx")
    # wrong period, unknown unit, validation errors, damaged and foreign files, lock file, folder named .xlsx
    other = make_returns(tmp, units[6:7], "Q1-2026", "other")
    shutil.copy(other[units[6].code], folder / "70007_quy-1.xlsx")
    stranger = make_returns(tmp, [Unit("99999", "Xã Lạ", "xa", "70")], "6T-2026", "stranger")
    shutil.copy(stranger["99999"], folder / "99999_xa-la.xlsx")
    errors = make_returns(tmp, units[7:8], "6T-2026", "errs", mistakes=False)
    wb = openpyxl.load_workbook(errors[units[7].code])
    total = fields["tthc_tiep_nhan_tong"].ref
    wb["Số liệu"][total].value = wb["Số liệu"][total].value + 1  # tthc_tiep_nhan_tong off by one
    wb.save(folder / "70008_co-loi.xlsx")
    data = Path(sent[units[0].code]).read_bytes()
    (folder / "hong.xlsx").write_bytes(data[: len(data) // 2])
    (folder / "van-ban.xlsx").write_text("Báo cáo gõ bằng Notepad", encoding="utf-8")
    (folder / "ghi-chu.pdf").write_bytes(b"%PDF-1.4 fake")
    (folder / "~$70004_Xa-Thu-704_6T-2026.xlsx").write_bytes(b"lock")
    (folder / "thu-muc.xlsx").mkdir()
    units_csv = tmp / "units.csv"
    units_csv.write_text("code,name,level,parent_code\n70,Tỉnh Thử,tinh,\n" +
                         "".join(f"{u.code},{u.name},xa,70\n" for u in units) + "70009,Xã Chưa Nộp,xa,70\n",
                         encoding="utf-8")
    before = _hashes(folder)
    result = run_merge(folder, output=tmp / "tong-hop.xlsx", units_path=units_csv, feedback=tmp / "phan-hoi")
    return {"tmp": tmp, "folder": folder, "result": result, "before": before, "units_csv": units_csv}


def test_every_entry_is_accounted_for(merge_case):
    r = merge_case["result"]
    entries = [p for p in merge_case["folder"].rglob("*") if p.is_file() or p.suffix == ".xlsx"]
    assert len(r.merged) + len(r.rejected) + len(r.skipped) + len(r.superseded) == len(entries)
    assert _hashes(merge_case["folder"]) == merge_case["before"]  # nothing modified


def test_reasons(merge_case):
    r = merge_case["result"]
    codes = {Path(s.rel).name: s.code for s in r.rejected + r.skipped + r.superseded}
    assert codes["70007_quy-1.xlsx"] == "merge_period_mismatch"
    assert codes["99999_xa-la.xlsx"] == "merge_unit_unknown"
    assert codes["hong.xlsx"] == "zip_truncated"
    assert codes["van-ban.xlsx"] == "file_is_text"
    assert codes["ghi-chu.pdf"] == "merge_not_xlsx"
    assert codes["~$70004_Xa-Thu-704_6T-2026.xlsx"] == "merge_lock_file"
    assert codes["thu-muc.xlsx"] == "merge_folder_named_like_file"
    assert "merge_identical_copy" in (codes["70002_ban-sao.xlsx"], codes.get("70002_Xa-Thu-702_6T-2026.xlsx"))
    assert codes["70001_Xa-Thu-701_6T-2026.xlsx"] == "merge_superseded"
    assert codes["70003_ban-khac.xlsx"] == codes["70003_Xa-Thu-703_6T-2026.xlsx"] == "merge_conflict"
    dup = {d.unit: d for d in r.duplicates}
    assert dup["70001"].kept.endswith("70001_gui-lai.xlsx") and not dup["70001"].conflict
    assert dup["70003"].kept is None and dup["70003"].conflict
    flagged = next(s for s in r.merged if s.unit["code"] == "70008")
    assert flagged.errors >= 1  # merged, flagged: errors do not reject by default
    assert sorted(u.code for u in r.missing) == ["70003", "70007", "70009"]


def test_totals_and_ratios_come_from_summed_parts(merge_case):
    r = merge_case["result"]
    inputs = [read_workbook(Path(merge_case["folder"]) / s.rel) for s in r.merged]
    for code in ("tthc_tiep_nhan_tong", "tthc_da_gq_tong", "hai_long_tong", "giai_ngan_thuc_hien"):
        assert r.aggregate.values[code] == sum(Decimal(d.values[code]) for d in inputs if d.values[code] is not None)
    assert r.aggregate.values["tthc_cong_khai"] == 188  # "same", never added up
    num = sum(d.values["tthc_da_gq_truoc_han"] + d.values["tthc_da_gq_dung_han"] for d in inputs)
    den = sum(d.values["tthc_da_gq_tong"] for d in inputs)
    expected = (Decimal(num) * 100 / den).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert r.aggregate.ratios["ty_le_gq_dung_han"].value == expected
    totals = {row["linh_vuc"]: row["tiep_nhan_tong"] for row in r.aggregate.tables["bieu_06a"]}
    assert sum(totals.values()) == sum(d.table_totals["bieu_06a"]["tiep_nhan_tong"] for d in inputs)


def test_summary_workbook_sheets_lineage_and_readback(merge_case):
    path = merge_case["tmp"] / "tong-hop.xlsx"
    wb = openpyxl.load_workbook(path)
    for name in ("Tổng hợp", "Biểu đồ", "Tình hình nộp báo cáo", "Nguồn", "Nguồn gốc số liệu", "Thông tin chung"):
        assert name in wb.sheetnames
    assert all(ws.protection.sheet for ws in wb.worksheets)
    status = [[c for c in row] for row in wb["Tình hình nộp báo cáo"].iter_rows(min_row=5, values_only=True)]
    assert any(row[1] == "70009" and row[3] == "Chưa nộp" for row in status)
    sources = list(wb["Nguồn"].iter_rows(min_row=2, values_only=True))
    assert len(sources) == len(merge_case["before"]) + 1  # every file plus the folder named like one
    assert all(len(row[2] or "") in (0, 64) for row in sources)
    lineage = list(wb["Nguồn gốc số liệu"].iter_rows(min_row=2, values_only=True))
    rows = [row for row in lineage if row[1] == "tthc_tiep_nhan_tong"]
    assert len(rows) == len(merge_case["result"].merged)
    # rows and cells are written without references: every reader must put them in A:H, row by row
    assert all(len(row) == 8 and row[0] and row[6] and row[7] is not None for row in lineage)
    assert sum(row[7] for row in rows) == merge_case["result"].aggregate.values["tthc_tiep_nhan_tong"]
    assert {row[3] for row in rows} == {s.unit["code"] for s in merge_case["result"].merged}
    from python_calamine import CalamineWorkbook

    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Nguồn gốc số liệu").to_python()
    assert [tuple(int(v) if isinstance(v, float) and v.is_integer() else v for v in row) for row in grid[1:]] == \
        [tuple("" if v is None else v for v in row) for row in lineage]
    assert wb["Biểu đồ"]._charts
    data = read_workbook(path)  # the summary is itself a workbook of the template
    assert data.meta["kind"] == "summary" and data.unit["code"] == "70"
    assert data.values["tthc_tiep_nhan_tong"] == merge_case["result"].aggregate.values["tthc_tiep_nhan_tong"]
    feedback = list((merge_case["tmp"] / "phan-hoi").glob("*.xlsx"))
    assert any(p.name.startswith("70008_") for p in feedback)


@needs_soffice
def test_libreoffice_recalculates_summary_formulas(merge_case, tmp_path):
    src = tmp_path / "tong-hop.xlsx"
    shutil.copy(merge_case["tmp"] / "tong-hop.xlsx", src)
    run_soffice(["--calc", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(src)], tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "lo" / "tong-hop.xlsx", data_only=True)
    ws = wb["Tổng hợp"]
    codes = [c.value for c in ws[3]]  # the hidden row of codes
    total = next(r for r in ws.iter_rows(min_row=5) if r[0].value is None and r[1].value)  # the row without a code
    col = codes.index("tthc_tiep_nhan_tong")
    assert total[col].value == merge_case["result"].aggregate.values["tthc_tiep_nhan_tong"]
    # LibreOffice places the lineage rows (written without references) where openpyxl does
    ours = list(openpyxl.load_workbook(src)["Nguồn gốc số liệu"].iter_rows(values_only=True))
    theirs = list(wb["Nguồn gốc số liệu"].iter_rows(values_only=True))
    assert len(ours) > 10 and theirs == ours


def test_cli_json_shape_and_straddling_period(merge_case):
    r = run_cli("merge", str(merge_case["folder"]), "--units", str(merge_case["units_csv"]), "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert set(payload) >= {"merged", "rejected", "skipped", "duplicates", "missing_units", "totals", "ratios",
                            "formatted"}
    assert payload["formatted"]["ty_le_gq_dung_han"].endswith("%")
    assert {"file", "reason"} <= set(payload["rejected"][0])
    # a period across 1/7/2025 is merged like any other when no district-era file is among the files
    # (these are all of 6T-2026: each is rejected as of another period); tests/test_periods_forms.py
    # has the refusal when one is
    # nothing merged: exit 1, no summary, the object printed all the same
    r = run_cli("merge", str(merge_case["folder"]), "--period", "N-2025", "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert {x["code"] for x in json.loads(r.stdout)["rejected"]} >= {"merge_period_mismatch"}
    assert json.loads(r.stdout)["output"] is None


def test_reject_errors_option(merge_case, tmp_path):
    r = run_merge(merge_case["folder"], units_path=merge_case["units_csv"], reject_errors=True)
    assert "merge_validation_errors" in {s.code for s in r.rejected}


def test_hierarchy_two_districts_equal_all_communes(tmp_path):
    district_a, district_b = _units("4011", 3, "401"), _units("4021", 2, "402")
    files = make_returns(tmp_path, district_a + district_b, "6T-2025", "xa", stamp="2025-06-16 08:00:00")
    all_folder = tmp_path / "xa"
    summaries = tmp_path / "huyen"
    summaries.mkdir()
    for code, members in (("401", district_a), ("402", district_b)):
        folder = tmp_path / f"xa-{code}"
        folder.mkdir()
        for u in members:
            shutil.copy(files[u.code], folder / files[u.code].name)
        units_csv = tmp_path / f"units-{code}.csv"
        units_csv.write_text(f"code,name,level,parent_code\n{code},Huyện {code},huyen,40\n" +
                             "".join(f"{u.code},{u.name},xa,{code}\n" for u in members), encoding="utf-8")
        run_merge(folder, output=summaries / f"tong-hop-{code}.xlsx", units_path=units_csv)
    province_units = tmp_path / "tinh.csv"
    province_units.write_text("code,name,level,parent_code\n40,Tỉnh Thử,tinh,\n401,Huyện 401,huyen,40\n"
                              "402,Huyện 402,huyen,40\n", encoding="utf-8")
    province = run_merge(summaries, output=tmp_path / "tinh.xlsx", units_path=province_units)
    flat = run_merge(all_folder, output=tmp_path / "phang.xlsx")
    assert len(province.merged) == 2 and not province.rejected and not province.missing
    for code, value in flat.aggregate.values.items():
        assert province.aggregate.values[code] == value, code
    ratios = {k: r.value for k, r in flat.aggregate.ratios.items()}
    assert {k: r.value for k, r in province.aggregate.ratios.items()} == ratios
    # the province's rows are its own units (the districts); the communes are listed through them
    assert [r.code for r in province.aggregate.units] == ["401", "402"]
    via = {e.code: e.via for e in province.units if e.via}
    assert via == {**{u.code: "tong-hop-401.xlsx" for u in district_a},
                   **{u.code: "tong-hop-402.xlsx" for u in district_b}}
    # a commune sent on its own as well as inside its district summary: the commune's own file wins,
    # the district summary is set aside whole (its numbers cannot be split by commune), the conflict listed
    shutil.copy(files[district_a[0].code], summaries / files[district_a[0].code].name)
    again = run_merge(summaries)
    assert [s.rel for s in again.rejected if s.code == "merge_hierarchy_conflict"] == ["tong-hop-401.xlsx"]
    assert {s.unit["code"] for s in again.merged} == {district_a[0].code, "402"}
    assert [(d.unit, d.conflict) for d in again.duplicates] == [(district_a[0].code, True)]


def test_lineage_built_in_a_forked_process_is_the_same_sheet(merge_case, tmp_path, monkeypatch):
    """The lineage sheet of a big merge is joined and compressed in a forked process; a small merge
    builds it in place. Both give the same sheet (and a failing process falls back to the latter)."""
    import zipfile

    from xl_addin.merge import summary

    def lineage_part(path):
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None
            names = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
            return max((zf.read(n) for n in names), key=len)  # the lineage is the biggest sheet

    inline = lineage_part(merge_case["tmp"] / "tong-hop.xlsx")
    monkeypatch.setattr(summary.LineageJob, "MIN_UNITS", 1)
    forked = tmp_path / "forked.xlsx"
    run_merge(merge_case["folder"], output=forked, units_path=merge_case["units_csv"])
    assert lineage_part(forked) == inline
    # a process that dies without answering: the sheet is built in place all the same
    monkeypatch.setattr(summary.LineageJob, "_child", lambda self, conn: __import__("os")._exit(3))
    fallback = tmp_path / "fallback.xlsx"
    run_merge(merge_case["folder"], output=fallback, units_path=merge_case["units_csv"])
    assert lineage_part(fallback) == inline
    assert _hashes(merge_case["folder"]) == merge_case["before"]


def test_summary_narrative_tells_what_the_units_did(merge_case):
    """The summary's numbers are the units' own added up: its report says so, the unit reports
    keep their own body as the subject."""
    text = run_cli("report", str(merge_case["tmp"] / "tong-hop.xlsx"), "--text")
    assert text.returncode == 0, text.stderr
    assert "Ủy ban nhân dân tỉnh Thử báo cáo kết quả" in text.stdout  # the receiver reports
    assert "các đơn vị trên địa bàn tỉnh đã ban hành" in text.stdout
    assert "UBND tỉnh đã" not in text.stdout
    unit = next(s for s in merge_case["result"].merged if s.kind == "unit")
    own = run_cli("report", unit.path, "--text")
    assert own.returncode == 0 and "các đơn vị trên địa bàn" not in own.stdout
    assert "UBND xã đã ban hành" in own.stdout


def test_files_with_a_garbled_period_code_do_not_choose_the_period(tmp_path):
    """Most files' meta sheet names a period that is no period (edited by hand): the merge still
    runs on the real period and rejects those files as of another period."""
    from xl_addin.definition.loader import load_definition
    from xl_addin.workbook.layout import compute_layout

    units = _units("70", 3, "70")
    sent = make_returns(tmp_path, units, "6T-2026", "nop")
    row = compute_layout(load_definition()).meta_rows["period_code"]
    for code in (units[0].code, units[1].code):
        wb = openpyxl.load_workbook(sent[code])
        wb["_meta"][f"B{row}"].value = "1.0"
        wb.save(sent[code])
    result = run_merge(tmp_path / "nop", output=tmp_path / "th.xlsx")
    assert result.period.code == "6T-2026"
    assert [s.unit["code"] for s in result.merged] == [units[2].code]
    # the meta sheet no longer agrees with the locked period cell: refused as such
    assert sorted(s.code for s in result.rejected) == ["meta_contradicts_cells"] * 2


def test_an_unforeseen_failure_rejects_that_file_and_the_merge_goes_on(tmp_path, monkeypatch):
    from xl_addin.merge import collect

    units = _units("70", 3, "70")
    make_returns(tmp_path, units, "6T-2026", "nop")
    monkeypatch.setenv("CCHC_LOG_DIR", str(tmp_path / "log"))
    real = collect._inspect

    def flaky(path_text, rel, *args):
        if rel.startswith(units[1].code):
            raise RuntimeError("a bug nobody foresaw")
        return real(path_text, rel, *args)

    monkeypatch.setattr(collect, "_inspect", flaky)
    result = run_merge(tmp_path / "nop", output=tmp_path / "th.xlsx", workers=1)
    assert sorted(s.unit["code"] for s in result.merged) == [units[0].code, units[2].code]
    [bad] = result.rejected
    assert bad.code == "internal_error" and bad.rel in bad.reason and len(bad.sha256) == 64
    assert "a bug nobody foresaw" in (tmp_path / "log" / "cchc.log").read_text(encoding="utf-8")
