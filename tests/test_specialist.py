"""The specialist's merge of a realistic folder (issue 16): who is missing, late, rejected or
implausible, honest exit codes, the default output, feedback per submitted file.

One generated folder of 24 communes (the demo's sample data, varied per unit) with one of each:
a missing unit, a late one, a rejected one (another period), a blank workbook, an implausible
amount (54020 tỷ for 54,02), a filled but never exported one, a byte-identical duplicate, a
corrected resend, a damaged file named after its unit, a file of a unit not in the list, a
renamed text file and an Excel lock file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
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

from conftest import run_cli

SAMPLE = dict(read_yaml(demo_dir() / "sample.yaml"), mistakes={})
N = 24
ON_TIME = "2026-06-16 17:45:00"  # the deadline day itself (16/6/2026): the whole day counts
CODES = [f"{71000 + i}" for i in range(1, N + 1)]
MISSING, LATE, WRONG_PERIOD, BLANK, IMPLAUSIBLE, NEVER_EXPORTED = "71003", "71005", "71007", "71009", "71011", "71017"
COPIED, RESENT, FAULTY, DAMAGED = "71013", "71015", "71019", "71021"


def _units() -> list[Unit]:
    return [Unit(code, f"Xã Thử {code[-2:]}", "xa", "71", "") for code in CODES]


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def build_folder(tmp: Path, n_units: int = N) -> dict:
    """The folder a provincial specialist receives (see the module docstring)."""
    definition = load_definition()
    period = parse_period("6T-2026", definition)
    units = [u for u in _units()[:n_units]] if n_units <= N else \
        _units() + [Unit(f"{72000 + i}", f"Xã Thêm {i}", "xa", "71", "") for i in range(1, n_units - N + 1)]
    built = {r.unit.code: r.path for r in build_unit_workbooks(definition, units, period, tmp / "trong")}
    folder = tmp / "nop"
    folder.mkdir()

    def filled(code: str, **overrides) -> Path:
        unit = next(u for u in units if u.code == code)
        payload = to_fill_payload(definition, sample_data(SAMPLE, code, unit.name))
        payload["values"].update(overrides)
        out = tmp / "dien" / built[code].name
        fill_workbook(built[code], payload, out)
        return out

    def send(code: str, stamp: str = ON_TIME, target: Path = folder, **overrides) -> Path:
        sent, _info = export_file(filled(code, **overrides), target, dt.datetime.fromisoformat(stamp))
        return sent

    for unit in units:
        code = unit.code
        if code == MISSING:
            continue
        if code == LATE:
            send(code, "2026-06-19 08:10:00")
        elif code == BLANK:
            shutil.copy(built[code], folder / built[code].name)  # built, never filled, never exported
        elif code == IMPLAUSIBLE:
            send(code, giai_ngan_thuc_hien=54020)
        elif code == NEVER_EXPORTED:
            shutil.copy(filled(code), folder / built[code].name)
        elif code == DAMAGED:
            data = send(code, target=tmp / "hong").read_bytes()
            (folder / built[code].name).write_bytes(data[: len(data) // 2])
        else:
            send(code)
    # another period from one unit, a copy and a corrected resend in a second batch
    other = build_unit_workbooks(definition, [next(u for u in units if u.code == WRONG_PERIOD)],
                                 parse_period("Q1-2026", definition), tmp / "q1")[0].path
    fill_workbook(other, to_fill_payload(definition, sample_data(SAMPLE, WRONG_PERIOD, "x")), tmp / "q1.xlsx")
    (folder / built[WRONG_PERIOD].name).unlink()
    export_file(tmp / "q1.xlsx", folder, dt.datetime(2026, 4, 16, 9, 0))
    batch = folder / "Đợt 2"
    batch.mkdir()
    shutil.copy(folder / built[COPIED].name, batch / f"{COPIED}_ban-sao.xlsx")
    resend = send(RESENT, "2026-06-16 20:00:00", target=tmp / "gui-lai")
    shutil.copy(resend, batch / f"{RESENT}_gui-lai (1).xlsx")
    wb = openpyxl.load_workbook(folder / built[FAULTY].name)
    total = compute_layout(definition).fields["tthc_tiep_nhan_tong"]
    wb[total.sheet][total.ref].value = wb[total.sheet][total.ref].value + 1  # off by one
    wb.save(folder / built[FAULTY].name)
    stranger = build_unit_workbooks(definition, [Unit("79999", "Xã Lạ", "xa", "71", "")], period, tmp / "la")[0].path
    fill_workbook(stranger, to_fill_payload(definition, sample_data(SAMPLE, "79999", "Xã Lạ")), tmp / "la.xlsx")
    export_file(tmp / "la.xlsx", folder, dt.datetime(2026, 6, 15, 9, 0))
    (folder / "bao-cao.xlsx").write_text("Báo cáo gõ bằng Notepad", encoding="utf-8")
    (folder / f"~${built[LATE].name}").write_bytes(b"lock")
    units_csv = tmp / "units.csv"
    units_csv.write_text("code,name,level,parent_code\n71,Tỉnh Thử,tinh,\n"
                         + "".join(f"{u.code},{u.name},xa,71\n" for u in units), encoding="utf-8")
    return {"tmp": tmp, "folder": folder, "units_csv": units_csv, "built": built, "units": units}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("specialist")
    made = build_folder(tmp)
    made["before"] = _hashes(made["folder"])
    made["result"] = run_merge(made["folder"], output=tmp / "tong-hop.xlsx", units_path=made["units_csv"],
                               feedback=tmp / "phan-hoi", resubmit_by=dt.date(2026, 6, 25))
    made["json"] = made["result"].to_json()
    return made


def _unit(payload: dict, code: str) -> dict:
    return next(u for u in payload["units"] if u["code"] == code)


# --------------------------------------------------------------------------- units[] and outliers[]
def test_every_expected_unit_has_one_entry_with_its_status(case):
    payload = case["json"]
    units = payload["units"]
    assert [u["code"] for u in units] == sorted(CODES + ["79999"])  # expected ones plus the stranger, by code
    for u in units:
        assert set(u) >= {"code", "name", "status", "days_late", "exported_at", "arrived_at", "errors", "warnings",
                          "files", "via"}
        assert u["status"] in ("on_time", "late", "missing", "rejected", "unknown_time")
        assert u["via"] is None
        for f in u["files"]:
            assert set(f) == {"file", "outcome", "code"} and not Path(f["file"]).is_absolute()
    assert _unit(payload, MISSING) | {} == _unit(payload, MISSING) and _unit(payload, MISSING)["status"] == "missing"
    assert _unit(payload, MISSING)["days_late"] is None and _unit(payload, MISSING)["files"] == []
    late = _unit(payload, LATE)
    assert late["status"] == "late" and late["days_late"] == 3 and late["exported_at"].startswith("2026-06-19")
    assert late["arrived_at"]
    on_time = _unit(payload, "71001")
    assert on_time["status"] == "on_time" and on_time["days_late"] == 0 and on_time["errors"] == 0
    assert _unit(payload, WRONG_PERIOD)["status"] == "rejected"
    assert _unit(payload, WRONG_PERIOD)["files"][0]["code"] == "merge_period_mismatch"
    blank = _unit(payload, BLANK)
    assert blank["status"] == "rejected" and blank["days_late"] is None
    assert blank["files"][0]["code"] == "merge_blank_workbook"
    assert _unit(payload, NEVER_EXPORTED)["status"] == "unknown_time"
    assert _unit(payload, NEVER_EXPORTED)["days_late"] is None
    damaged = _unit(payload, DAMAGED)  # unreadable, but named after a listed unit: that unit's rejection
    assert damaged["status"] == "rejected" and damaged["files"][0]["code"] == "zip_truncated"
    assert _unit(payload, "79999")["status"] == "rejected"
    assert _unit(payload, "79999")["files"][0]["code"] == "merge_unit_unknown"
    copied = _unit(payload, COPIED)
    assert copied["status"] == "on_time"
    assert sorted(f["outcome"] for f in copied["files"]) == ["merged", "superseded"]
    resent = _unit(payload, RESENT)
    kept = next(f for f in resent["files"] if f["outcome"] == "merged")
    assert kept["file"] == str(Path("Đợt 2") / f"{RESENT}_gui-lai (1).xlsx")
    assert _unit(payload, FAULTY)["errors"] >= 1 and _unit(payload, FAULTY)["status"] == "on_time"
    assert payload["completeness"] == "incomplete"
    # the existing key stays: every expected unit whose data is not in the summary
    assert sorted(u["code"] for u in payload["missing_units"]) == sorted([MISSING, WRONG_PERIOD, BLANK, DAMAGED])


def test_outliers_name_the_implausible_amount(case):
    outliers = case["json"]["outliers"]
    for o in outliers:
        assert set(o) >= {"unit", "name", "field", "value", "kind", "importance", "code", "reason", "file"}
        assert o["kind"] in ("implausible", "jump", "far_from_peers")
    [implausible] = [o for o in outliers if o["kind"] == "implausible"]
    assert (implausible["unit"], implausible["field"], implausible["value"]) == (IMPLAUSIBLE, "giai_ngan_thuc_hien",
                                                                                   54020)
    assert implausible["importance"] == "error" and "54.020" in implausible["reason"]
    assert implausible["file"].startswith(IMPLAUSIBLE)
    peers = [o for o in outliers if o["kind"] == "far_from_peers"]
    assert any(o["unit"] == IMPLAUSIBLE and o["field"] == "giai_ngan_thuc_hien" for o in peers)
    # the error-level outlier stays in the total (marked) unless --exclude-implausible
    totals = case["json"]["totals"]
    merged = [s for s in case["result"].merged if s.unit["code"] != IMPLAUSIBLE]
    rest = sum(s.values["giai_ngan_thuc_hien"] for s in merged)
    assert totals["giai_ngan_thuc_hien"] == pytest.approx(float(rest) + 54020)


def test_exclude_implausible_leaves_the_value_out_and_lists_it(case, tmp_path):
    r = run_merge(case["folder"], output=tmp_path / "th.xlsx", units_path=case["units_csv"], exclude_implausible=True)
    payload = r.to_json()
    rest = sum(s.values["giai_ngan_thuc_hien"] for s in r.merged if s.unit["code"] != IMPLAUSIBLE)
    assert payload["totals"]["giai_ngan_thuc_hien"] == pytest.approx(float(rest))
    assert [(o["unit"], o["field"]) for o in payload["excluded"]] == [(IMPLAUSIBLE, "giai_ngan_thuc_hien")]
    # the lineage no longer traces the left-out value into the summary
    wb = openpyxl.load_workbook(tmp_path / "th.xlsx", read_only=True)
    lineage = [row for row in wb["Nguồn gốc số liệu"].iter_rows(min_row=2, values_only=True)
               if row[1] == "giai_ngan_thuc_hien"]
    assert IMPLAUSIBLE not in {row[3] for row in lineage}
    assert sum(row[7] for row in lineage) == pytest.approx(float(rest))


def test_a_blank_workbook_is_rejected_not_merged(case):
    assert BLANK not in {s.unit.get("code") for s in case["result"].merged}
    blank = next(s for s in case["result"].rejected if s.unit.get("code") == BLANK)
    assert blank.code == "merge_blank_workbook" and blank.rel in blank.reason


def test_export_time_as_text_or_excel_date(case):
    from xl_addin.merge.status import export_time

    assert export_time("2026-06-16 23:59:59") == dt.datetime(2026, 6, 16, 23, 59, 59)
    assert export_time(dt.datetime(2026, 6, 16, 8, 0)) == dt.datetime(2026, 6, 16, 8, 0)
    assert export_time(46189.5) == dt.datetime(2026, 6, 16, 12, 0)  # an Excel date serial
    assert export_time("16/06/2026 08:00") is None or export_time("16/06/2026 08:00") == dt.datetime(2026, 6, 16, 8)
    assert export_time("") is None and export_time(None) is None and export_time("hôm qua") is None


def test_nothing_modified_and_every_entry_accounted_for(case):
    r = case["result"]
    entries = [p for p in case["folder"].rglob("*") if p.is_file()]
    assert len(r.merged) + len(r.rejected) + len(r.skipped) + len(r.superseded) == len(entries)
    assert _hashes(case["folder"]) == case["before"]


# --------------------------------------------------------------------------- the command line
def _copy(case, tmp_path: Path) -> Path:
    folder = tmp_path / "ban-nop"
    shutil.copytree(case["folder"], folder)
    return folder


def test_default_output_beside_the_folder_and_the_console_names_the_units(case, tmp_path):
    folder = _copy(case, tmp_path)
    r = run_cli("merge", str(folder), "--units", str(case["units_csv"]))
    assert r.returncode == 0, r.stderr
    target = tmp_path / "tong-hop_6T-2026.xlsx"
    assert target.is_file() and str(target) in r.stdout
    text = r.stdout + r.stderr
    for code in (MISSING, LATE, WRONG_PERIOD, BLANK, DAMAGED, FAULTY, NEVER_EXPORTED):
        assert code in text, code
    assert "3 ngày" in text  # the late unit, with its days
    # a second run replaces its own earlier summary of the same period
    again = run_cli("merge", str(folder), "--units", str(case["units_csv"]))
    assert again.returncode == 0, again.stderr
    # a file of that name that is not a summary of this period is never replaced
    target.write_bytes(b"not a summary")
    refused = run_cli("merge", str(folder), "--units", str(case["units_csv"]))
    assert refused.returncode == 1 and target.read_bytes() == b"not a summary"
    assert "-o" in refused.stderr and "Traceback" not in refused.stderr


def test_nothing_merged_exits_1_with_no_summary_and_the_json_object(case, tmp_path):
    folder = _copy(case, tmp_path)
    r = run_cli("merge", str(folder), "--period", "Q3-2026", "-o", str(tmp_path / "th.xlsx"), "--json")
    assert r.returncode == 1
    assert not (tmp_path / "th.xlsx").exists()
    payload = json.loads(r.stdout)
    assert payload["output"] is None and payload["merged"] == []
    assert {x["code"] for x in payload["rejected"]} >= {"merge_period_mismatch"}
    text = run_cli("merge", str(folder), "--period", "Q3-2026", "-o", str(tmp_path / "th.xlsx"))
    assert text.returncode == 1 and not (tmp_path / "th.xlsx").exists()
    # the reasons grouped: one line for the period, not one per file
    assert text.stderr.count("khác kỳ đang tổng hợp") == 1, text.stderr
    empty = tmp_path / "trong"
    empty.mkdir()
    r = run_cli("merge", str(empty), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["output"] is None
    assert "Traceback" not in r.stderr


def test_without_a_unit_list_completeness_is_unknown(case, tmp_path):
    folder = _copy(case, tmp_path)
    r = run_cli("merge", str(folder), "-o", str(tmp_path / "th.xlsx"), "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert payload["completeness"] == "unknown" and payload["missing_units"] == []
    assert MISSING not in {u["code"] for u in payload["units"]}
    console = run_cli("merge", str(folder), "-o", str(tmp_path / "th2.xlsx"))
    assert "chưa nộp 0" not in console.stdout and "--units" in console.stdout + console.stderr
    wb = openpyxl.load_workbook(tmp_path / "th.xlsx", read_only=True)
    head = " ".join(str(c) for row in wb["Tình hình nộp báo cáo"].iter_rows(max_row=3, values_only=True)
                    for c in row if c)
    assert "danh sách đơn vị" in head


@pytest.mark.parametrize("deadline,late", [("16/06/2026", 3), ("2026-06-18", 1), ("15/06/2026", 4)])
def test_deadline_in_either_form_and_the_whole_day_counts(case, tmp_path, deadline, late):
    r = run_cli("merge", str(case["folder"]), "--units", str(case["units_csv"]), "--deadline", deadline,
                "-o", str(tmp_path / "th.xlsx"), "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert _unit(payload, LATE)["days_late"] == late
    on_time = deadline != "15/06/2026"  # the others exported on 16/6 at 17:45
    assert (_unit(payload, "71001")["status"] == "on_time") == on_time


@pytest.mark.parametrize("args,option", [
    (["--deadline", "31/02/2026"], "--deadline"),
    (["--deadline", "16-06-2026"], "--deadline"),
    (["--period", "Q5-2026"], "--period"),
    (["--units", "khong-co.csv"], "--units"),
    (["--resubmit-by", "mai"], "--resubmit-by"),
    (["--previous", "khong-co.xlsx"], "--previous"),
    (["--feedback", __file__], "--feedback"),
])
def test_every_option_error_names_the_option(case, tmp_path, args, option):
    r = run_cli("merge", str(case["folder"]), "-o", str(tmp_path / "th.xlsx"), *args)
    assert r.returncode == 1, r.stderr
    assert option in r.stderr and "Traceback" not in r.stderr
    assert "--from" not in r.stderr or option == "--from"


ENGLISH = ("Usage", "Options", "Error:", "Missing option", "Missing argument", "No such command", "No such option",
           "Show this message", "[required]", "Try '", "Commands:", "Arguments:")


def _commands() -> list[list[str]]:
    import typer

    from xl_addin.cli import app

    root = typer.main.get_command(app)
    out = [[]]
    for name, command in root.commands.items():
        out.append([name])
        for sub in getattr(command, "commands", {}):
            out.append([name, sub])
    return out


def test_help_of_every_command_is_vietnamese():
    commands = _commands()
    assert ["merge"] in commands and ["addin", "install"] in commands
    for path in commands:
        r = run_cli(*path, "--help")
        assert r.returncode == 0, (path, r.stderr)
        for word in ENGLISH:
            assert word not in r.stdout, (path, word, r.stdout)
        assert "Cách dùng" in r.stdout


@pytest.mark.parametrize("args", [["nosuch"], ["merge"], ["merge", "x", "--nosuch"], ["build", "--units"],
                                  ["build", "--period", "6T-2026"], ["merge", "a", "b"], []])
def test_usage_errors_are_vietnamese(args):
    r = run_cli(*args)
    assert r.returncode == 2, r.stderr
    for word in ENGLISH:
        assert word not in r.stderr + r.stdout, (args, word, r.stderr)
    assert "Traceback" not in r.stderr
    if args:
        assert "Lỗi" in r.stderr


def test_version():
    from xl_addin import __version__

    r = run_cli("--version")
    assert r.returncode == 0 and __version__ in r.stdout


# --------------------------------------------------------------------------- Tổng hợp
def test_summary_has_a_row_per_expected_unit_with_status_and_no_values_for_the_missing(case):
    from xl_addin.merge import summary_layout

    path = case["tmp"] / "tong-hop.xlsx"
    table = summary_layout.read_file(path)
    assert table.layout == summary_layout.LAYOUT_VERSION
    rows = {r.code: r for r in table.rows}
    assert sorted(rows) == sorted(CODES + ["79999"])
    assert rows[MISSING].status == "missing" and all(v is None for v in rows[MISSING].values.values())
    assert rows[BLANK].status == "rejected" and all(v is None for v in rows[BLANK].values.values())
    assert rows[LATE].status == "late" and rows[LATE].days_late == 3
    assert rows["71001"].status == "on_time" and rows["71001"].days_late == 0
    assert rows[IMPLAUSIBLE].values["giai_ngan_thuc_hien"] == 54020
    wb = openpyxl.load_workbook(path)
    ws = wb["Tổng hợp"]
    visible = [c.value for r in (1, 2, 4) for c in ws[r] if c.value is not None]
    assert "giai_ngan_thuc_hien" not in visible and "TONG" not in [c.value for c in ws["A"]]
    assert "Vốn đầu tư công đã giải ngân (tỷ đồng)" in visible
    assert ws.row_dimensions[3].hidden  # the codes, kept for machines
    assert ws.auto_filter.ref.startswith("A4:") and ws.print_title_rows and ws.print_title_cols
    assert ws.page_setup.orientation == "landscape"
    codes = [c.value for c in ws[3]]
    status_col = codes.index(summary_layout.STATUS_LABEL_KEY) + 1
    row_of = {ws.cell(r, 1).value: r for r in range(5, ws.max_row + 1)}
    fills = {code: ws.cell(row_of[code], status_col).fill.fgColor.rgb for code in (MISSING, LATE, "71001")}
    assert fills[MISSING] != fills[LATE] and fills[MISSING].endswith(summary_layout.RED)
    assert fills[LATE].endswith(summary_layout.AMBER)
    formats = {codes[c - 1]: ws.cell(row_of["71001"], c).number_format for c in range(1, len(codes) + 1)}
    assert formats["tthc_tiep_nhan_tong"] == "#,##0"
    assert formats["giai_ngan_thuc_hien"] == "#,##0.000"
    assert formats["ty_le_gq_dung_han"] == "0.00"
    # the implausible cell and its total are marked and noted
    col = codes.index("giai_ngan_thuc_hien") + 1
    assert ws.cell(row_of[IMPLAUSIBLE], col).comment is not None
    total_row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value is None and ws.cell(r, 2).value)
    assert ws.cell(total_row, col).comment is not None
    assert "Xã Thử 11" in ws.cell(total_row, col).comment.text


def test_submission_sheet_colours_filters_and_puts_problems_first(case):
    wb = openpyxl.load_workbook(case["tmp"] / "tong-hop.xlsx")
    ws = wb["Tình hình nộp báo cáo"]
    assert ws.auto_filter.ref
    header = [c.value for c in ws[4]]
    rows = [[c for c in row] for row in ws.iter_rows(min_row=5)]
    codes = [row[1].value for row in rows]
    assert codes.index(MISSING) < codes.index("71001") and codes.index(LATE) < codes.index("71001")
    fills = {row[1].value: row[3].fill.fgColor.rgb for row in rows}
    assert len({fills[MISSING], fills[LATE], fills[NEVER_EXPORTED], fills["71001"]}) == 4
    late_row = next(row for row in rows if row[1].value == LATE)
    days = header.index("Số ngày muộn")
    assert late_row[days].value == 3
    when = next(i for i, h in enumerate(header) if h.startswith("Thời điểm xuất"))
    assert isinstance(late_row[when].value, dt.datetime) and late_row[when].number_format.startswith("dd/mm/yyyy")


def test_chart_sorted_labelled_with_the_period(case):
    import zipfile

    with zipfile.ZipFile(case["tmp"] / "tong-hop.xlsx") as zf:
        chart = zf.read("xl/charts/chart1.xml").decode("utf-8")
    assert "6 tháng đầu năm 2026" in chart and re.search(r'<(c:)?showVal val="1"/>', chart)
    assert not re.search(r'<(c:)?min val="0"/>', chart)  # the axis starts near the lowest value
    wb = openpyxl.load_workbook(case["tmp"] / "tong-hop.xlsx")
    ws = wb["Biểu đồ"]
    values = [ws.cell(r, 2).value for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value is not None]
    assert values == sorted(values) and len(values) >= 15


# --------------------------------------------------------------------------- feedback per submitted file
def _feedback(case) -> dict[str, list[str]]:
    """Every feedback workbook's cell texts, by its path relative to the feedback folder."""
    out = {}
    for path in sorted((case["tmp"] / "phan-hoi").rglob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        out[str(path.relative_to(case["tmp"] / "phan-hoi"))] = [str(c.value) for row in ws.iter_rows() for c in row
                                                                  if c.value is not None]
    return out


def _sheet_of(case, code: str, stem: str | None = None) -> str:
    books = [k for k in _feedback(case) if Path(k).name.startswith(f"{code}_") and (stem is None or stem in k)]
    assert len(books) == 1, books
    return " ".join(_feedback(case)[books[0]])


def test_one_feedback_workbook_per_file_none_for_skipped_and_no_office_paths(case):
    r = case["result"]
    books = _feedback(case)
    assert len(books) == len(r.merged) + len(r.rejected) + len(r.superseded)
    names = [Path(k).name for k in books]
    assert not any("~$" in n or n.startswith("bao-cao") and "phan-hoi" not in n for n in names)
    assert "bao-cao_phan-hoi.xlsx" in names  # no valid unit code in a text file: no code in the name
    assert any(k.startswith("Đợt 2") for k in books)  # the submission's own sub-folder
    for key, texts in books.items():
        text = " ".join(texts)
        assert str(case["tmp"]) not in text and "/nop/" not in text, key
        assert "Số liệu!" not in text, key
        assert "Đợt 2" not in text, key  # the office's own folders are not the unit's business


def test_feedback_on_time_and_clean(case):
    text = _sheet_of(case, "71001")
    assert "đã tiếp nhận" in text.lower() and "đúng hạn" in text and "không có lỗi" in text
    assert "Tỉnh Thử" in text and "6 tháng đầu năm 2026" in text


def test_feedback_late(case):
    text = _sheet_of(case, LATE)
    assert "muộn 3 ngày" in text


def test_feedback_never_exported(case):
    text = _sheet_of(case, NEVER_EXPORTED)
    assert "Xuất file nộp" in text


def test_feedback_superseded_names_the_newer_file(case):
    text = _sheet_of(case, RESENT, stem="Xa-Thu")
    assert f"{RESENT}_gui-lai (1).xlsx" in text and "thay thế" in text


def test_feedback_identical_copy(case):
    text = _sheet_of(case, COPIED, stem="ban-sao")
    assert "giống hệt" in text


def test_feedback_rejected_with_the_date_to_resend_by(case):
    text = _sheet_of(case, WRONG_PERIOD)
    assert "không được tiếp nhận" in text and "Q1-2026" in text and "25/06/2026" in text
    blank = _sheet_of(case, BLANK)
    assert "chưa nhập số liệu" in blank and "25/06/2026" in blank
    damaged = _sheet_of(case, DAMAGED)
    assert "không được tiếp nhận" in damaged and "25/06/2026" in damaged


def test_feedback_findings_by_row_label_and_value(case):
    text = _sheet_of(case, FAULTY)
    assert "Tổng số hồ sơ tiếp nhận" in text and "25/06/2026" in text
    implausible = _sheet_of(case, IMPLAUSIBLE)
    assert "Vốn đầu tư công đã giải ngân" in implausible and "54.020" in implausible


def test_feedback_page_setup(case):
    path = next((case["tmp"] / "phan-hoi").glob(f"{LATE}_*.xlsx"))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    # fit to one page wide (1 is the default of fitToWidth, so the file may leave it out)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1, "1")
    assert ws.page_setup.fitToHeight in (0, "0")
    assert "Tỉnh Thử" in (ws.oddHeader.center.text or "") + (ws.oddHeader.left.text or "")


def test_feedback_without_a_resubmit_date(case, tmp_path):
    run_merge(case["folder"], units_path=case["units_csv"], feedback=tmp_path / "ph")
    path = next((tmp_path / "ph").glob(f"{WRONG_PERIOD}_*.xlsx"))
    text = " ".join(str(c.value) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for c in row
                    if c.value)
    assert "gửi lại sớm nhất có thể" in text.lower()


def _relabel_period(path: Path, code: str) -> None:
    """The same summary as if it were of period ``code``: meta sheet and locked cells alike."""
    from xl_addin.definition.periods import parse_period
    from xl_addin.workbook.xlsxpatch import XlsxPackage

    definition = load_definition()
    layout = compute_layout(definition)
    period = parse_period(code, definition)
    cells: dict = {"_meta": {f"B{layout.meta_rows['period_code']}": code,
                             f"B{layout.meta_rows['period_from']}": period.start.isoformat(),
                             f"B{layout.meta_rows['period_to']}": period.end.isoformat()}}
    stamps = {"period.code": code, "period.from": period.start, "period.to": period.end}
    for f in definition.fields():
        if f.stamp in stamps:
            pos = layout.fields[f.code]
            cells.setdefault(pos.sheet, {})[pos.ref] = stamps[f.stamp]
    path.write_bytes(XlsxPackage(path.read_bytes()).patched(cells))


def test_previous_summary_gives_jumps(case, tmp_path):
    """--previous: the same unit's values against the previous period's summary (read through the
    summary-layout module): an amount ten times last period's is pointed out."""
    earlier = tmp_path / "ky-truoc"
    shutil.copytree(case["folder"], earlier)
    pos = compute_layout(load_definition()).fields["pbgdpl_so_nguoi"]
    book = next(earlier.glob("71002_*.xlsx"))
    wb = openpyxl.load_workbook(book)
    now = wb[pos.sheet][pos.ref].value
    wb[pos.sheet][pos.ref].value = now // 10  # this period: ten times that or more
    wb.save(book)
    run_merge(earlier, output=tmp_path / "tong-hop-truoc.xlsx", units_path=case["units_csv"])
    _relabel_period(tmp_path / "tong-hop-truoc.xlsx", "6T-2025")  # --previous: an earlier period's summary
    r = run_cli("merge", str(case["folder"]), "--units", str(case["units_csv"]), "--previous",
                str(tmp_path / "tong-hop-truoc.xlsx"), "-o", str(tmp_path / "th.xlsx"), "--json")
    assert r.returncode == 0, r.stderr
    jumps = [o for o in json.loads(r.stdout)["outliers"] if o["kind"] == "jump"]
    assert [(o["unit"], o["field"], o["code"]) for o in jumps if o["field"] == "pbgdpl_so_nguoi"] == \
        [("71002", "pbgdpl_so_nguoi", "merge_outlier_jump_up")]
    assert all(o["importance"] == "warning" for o in jumps)


def test_a_folder_of_unreadable_files_exits_1_with_the_reasons_grouped(tmp_path):
    folder = tmp_path / "nop"
    folder.mkdir()
    for i in range(4):
        (folder / f"7100{i}_bao-cao.xlsx").write_text("Báo cáo gõ bằng Notepad", encoding="utf-8")
    (folder / "ghi-chu.pdf").write_bytes(b"%PDF-1.4")
    r = run_cli("merge", str(folder), "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    payload = json.loads(r.stdout)
    assert payload["output"] is None and len(payload["rejected"]) == 4 and len(payload["skipped"]) == 1
    assert r.stderr.count("văn bản thuần") == 1 and "4 tệp" in r.stderr  # one line for the four
    assert not list(tmp_path.glob("tong-hop*"))


def test_feedback_values_in_the_money_unit_the_unit_types(case):
    """A commune types amounts in đồng (don_vi_tien): the feedback shows every amount that way, with
    its unit, whichever check found it (the reading or a rule between two fields)."""
    path = next((case["tmp"] / "phan-hoi").glob(f"{IMPLAUSIBLE}_*.xlsx"))
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = [r for r in ws.iter_rows(min_row=10, values_only=True) if r[0] is not None]
    money = [r[3] for r in rows if "Vốn đầu tư công đã giải ngân" in (r[2] or "")]
    assert len(money) >= 2, rows
    for shown in money:
        parts = shown.split("; ")
        assert parts[0] == "54.020.000.000.000 đồng", shown
        assert all(p.endswith(" đồng") and "," not in p for p in parts), shown
