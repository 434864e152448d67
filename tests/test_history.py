"""History across periods (issue 17): ``cchc history`` and ``xl_addin.merge.history.long_table``.

Three periods of summaries made by the real pipeline (build → fill → export → merge), with a plan
of who was late (and by how many days), missing, rejected or never exported in each period, a unit
that joins in the second period under a name a spreadsheet could take for a formula. The long
table is checked against those inputs — every value against each unit's own submitted file (and
every typed count against what was typed), every status and number of days late against the
plan — and so are the ordering, the CSV, the trends workbook and the refusals.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from history_cases import Sent, make_summaries, period_values
from test_merge import _units

from xl_addin.definition import money
from xl_addin.definition.loader import load_definition
from xl_addin.definition.units import Unit
from xl_addin.errors import CchcError
from xl_addin.merge import summary_layout
from xl_addin.merge.history import COLUMNS, csv_bytes, long_table, read_history
from xl_addin.merge.history_book import workbook_bytes
from xl_addin.rules.ratios import compute_ratios
from xl_addin.ui import ui
from xl_addin.workbook.reader import read_workbook

from conftest import ROOT, needs_soffice, run_cli, run_soffice

FIXTURES = Path(__file__).parent / "fixtures"
PERIODS = ["Q1-2026", "6T-2026", "9T-2026"]
RECEIVER = Unit("73", "Tỉnh Thử", "tinh", "")
UNITS = [Unit(f"7300{i}", f"Xã Thử {i}", "xa", "73", "") for i in range(1, 9)]
NEWCOMER = Unit("73009", "=2+3 Xã Mới", "xa", "73", "")  # from 6T-2026 on
PLAN = {
    ("Q1-2026", "73002"): Sent("late", 3), ("9T-2026", "73002"): Sent("late", 1),
    ("6T-2026", "73003"): Sent("missing"), ("9T-2026", "73003"): Sent("late", 5),
    ("Q1-2026", "73004"): Sent("missing"),
    ("6T-2026", "73005"): Sent("rejected"), ("9T-2026", "73005"): Sent("missing"),
    ("Q1-2026", "73006"): Sent("unknown_time"),
    ("6T-2026", "73008"): Sent("late", 2),
}
CHRONIC = ["73003", "73002", "73005"]  # two bad periods each; then by days late (5, 4, 0)


def _hashes(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    units = {"Q1-2026": UNITS, "6T-2026": [*UNITS, NEWCOMER], "9T-2026": [*UNITS, NEWCOMER]}
    made = make_summaries(tmp, RECEIVER, units, PLAN)
    shuffled = [made.summaries["9T-2026"], made.summaries["Q1-2026"], made.summaries["6T-2026"]]
    return {"tmp": tmp, "made": made, "files": shuffled, "history": read_history(shuffled)}


def _expected_values(made, period: str, unit: str) -> dict[str, float | None]:
    """What Tổng hợp should hold for a unit: the values of its own submitted file (read again,
    apart from any summary) and the ratios of that file, in the field's contract unit."""
    definition = load_definition()
    columns = summary_layout.shown_columns(definition.for_period(dt.date(2026, 9, 14)))
    sent = made.plan[(period, unit)]
    if sent.status in ("missing", "rejected"):
        return {c.key: None for c in columns}
    data = read_workbook(made.files[(period, unit)])
    ratios = compute_ratios(data)
    out = {}
    for c in columns:
        value = ratios[c.key].value if c.key in ratios else data.values.get(c.key)
        out[c.key] = None if value is None else float(value)
    return out


# --------------------------------------------------------------------------- the long table
def test_every_value_status_and_day_late_matches_the_inputs(three):
    made, table = three["made"], three["history"].table
    assert list(table.columns) == COLUMNS
    checked = 0
    for (period, unit), sent in made.plan.items():
        rows = table[(table["period"] == period) & (table["unit_code"] == unit)]
        expected = _expected_values(made, period, unit)
        assert sorted(rows["field"]) == sorted(expected), (period, unit)
        status = "on_time" if sent.status == "on_time" else sent.status
        assert set(rows["status"]) == {status}, (period, unit)
        days = {0} if status == "on_time" else {sent.days} if status == "late" else set()
        assert set(rows["days_late"].dropna()) == days and rows["days_late"].isna().all() == (not days)
        for field, value in zip(rows["field"], rows["value"], strict=True):
            if expected[field] is None:
                assert math.isnan(value), (period, unit, field, value)
            else:
                assert value == expected[field], (period, unit, field, value, expected[field])
                checked += 1
    assert checked > 22 * 60  # 22 reported unit-periods × the 70 or so fields and ratios each filled
    # the newcomer has no rows before it joined; its name is kept as typed
    newcomer = table[table["unit_code"] == NEWCOMER.code]
    assert sorted(set(newcomer["period"])) == ["6T-2026", "9T-2026"] and set(newcomer["unit_name"]) == {NEWCOMER.name}


def test_typed_counts_and_amounts_in_their_contract_unit(three):
    """Directly against what was typed: every count as typed, every amount converted from the
    workbook's money unit to the field's own (tỷ đồng)."""
    made, table = three["made"], three["history"].table
    definition = load_definition()
    fmap = definition.field_map()
    compared = {"integer": 0, "money": 0}
    for (period, unit), sent in made.plan.items():
        if sent.status in ("missing", "rejected"):
            continue
        name = next(u.name for u in [*UNITS, NEWCOMER] if u.code == unit)
        payload = period_values(unit, period, name)
        unit_money = money.workbook_unit(definition, payload["values"].get(definition.money.field))
        rows = table[(table["period"] == period) & (table["unit_code"] == unit)].set_index("field")["value"]
        for code, typed in payload["values"].items():
            f = fmap.get(code)
            if f is None or f.computed or code not in rows.index or f.type not in compared or typed is None:
                continue
            if f.type == "money":
                typed = money.to_contract(definition, f, Decimal(str(typed)), unit_money)
            assert rows[code] == float(typed), (period, unit, code)
            compared[f.type] += 1
    assert compared["integer"] > 500 and compared["money"] > 20


def test_periods_by_end_date_units_by_code_fields_in_the_summary_order(three):
    history = three["history"]
    assert history.period_codes == PERIODS  # given as 9T, Q1, 6T
    assert [p.end for p in history.periods] == sorted(p.end for p in history.periods)
    table = history.table
    assert list(dict.fromkeys(table["period"])) == PERIODS
    definition = load_definition().for_period(dt.date(2026, 9, 14))
    columns = [c.key for c in summary_layout.shown_columns(definition)]
    for period in PERIODS:
        rows = table[table["period"] == period]
        units = list(dict.fromkeys(rows["unit_code"]))
        assert units == sorted(units)
        for unit in units:
            assert list(rows.loc[rows["unit_code"] == unit, "field"]) == columns
    assert history.receiver_code == "73" and history.receiver_name == "Tỉnh Thử"
    assert table["value"].dtype == "float64" and str(table["days_late"].dtype) == "Int64"


def test_long_table_function_returns_the_same_table(three):
    again = long_table(three["files"])
    pd.testing.assert_frame_equal(again, three["history"].table)


def test_the_receivers_own_values_are_its_totals(three):
    """The province's value of a ratio is the total row of its own Tổng hợp (read by openpyxl,
    apart from the tool's reader)."""
    history = three["history"]
    for period in PERIODS:
        ws = openpyxl.load_workbook(three["made"].summaries[period], read_only=True)["Tổng hợp"]
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        codes = grid[2]
        total = next(r for r in grid[4:] if r[0] is None and r[1])
        own = history.receiver_values[history.receiver_values["period"] == period].set_index("field")["value"]
        for code in ("ty_le_gq_dung_han", "ty_le_so_hoa", "tthc_tiep_nhan_tong"):
            cell = total[codes.index(code)]
            if isinstance(cell, str):  # a sum column is a formula: add the unit rows up
                col = codes.index(code)
                cell = sum(r[col] or 0 for r in grid[4:] if r[0] is not None)
            assert own[code] == pytest.approx(float(cell), abs=1e-9), (period, code)


# --------------------------------------------------------------------------- the CSV
def test_csv_utf8_bom_dot_decimals_and_inert_text(three):
    table = three["history"].table
    data = csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS and len(rows) == len(table) + 1
    money_rows = [r for r in rows[1:] if r[3] == "giai_ngan_thuc_hien" and r[4]]
    assert money_rows and all("," not in r[4] for r in rows[1:])
    assert any("." in r[4] for r in money_rows)  # tỷ đồng with decimals, dot-separated
    for line, (_i, row) in zip(rows[1:], table.iterrows(), strict=True):
        value = "" if pd.isna(row["value"]) else line[4]
        assert (float(value) if value else None) == (None if pd.isna(row["value"]) else row["value"])
        assert line[5] == ("" if pd.isna(row["status"]) else row["status"])
        assert line[6] == ("" if pd.isna(row["days_late"]) else str(int(row["days_late"])))
        assert "e" not in line[4].lower()
    newcomer = {r[2] for r in rows[1:] if r[1] == NEWCOMER.code}
    assert newcomer == {"'" + NEWCOMER.name}  # a spreadsheet opening the CSV shows it, never computes it


# --------------------------------------------------------------------------- refusals
def test_two_summaries_of_the_same_period_are_refused_with_both_names(three, tmp_path):
    copy = tmp_path / "tong-hop_6T-2026_ban-sua.xlsx"
    shutil.copy(three["made"].summaries["6T-2026"], copy)
    with pytest.raises(CchcError) as caught:
        read_history([*three["files"], copy])
    assert caught.value.code == "history_same_period"
    assert "tong-hop_6T-2026.xlsx" in caught.value.message and copy.name in caught.value.message


def test_a_summary_of_another_receiving_office_is_refused(three, tmp_path):
    other = make_summaries(tmp_path, Unit("74", "Tỉnh Khác", "tinh", ""),
                           {"N-2026": [Unit("74001", "Xã Khác 1", "xa", "74", "")]}).summaries["N-2026"]
    with pytest.raises(CchcError) as caught:
        read_history([*three["files"], other])
    assert caught.value.code == "history_other_receiver"
    message = caught.value.message
    assert other.name in message and "Tỉnh Khác" in message and "Tỉnh Thử" in message
    # one against one: the latest period's office is the one kept, the other named
    with pytest.raises(CchcError) as caught:
        read_history([three["made"].summaries["Q1-2026"], other])
    assert caught.value.code == "history_other_receiver" and "tong-hop_Q1-2026.xlsx" in caught.value.message


def test_a_unit_workbook_and_a_file_that_is_no_workbook_are_refused(three, tmp_path):
    unit_file = three["made"].files[("6T-2026", "73001")]
    with pytest.raises(CchcError) as caught:
        read_history([*three["files"], unit_file])
    assert caught.value.code == "history_not_summary" and unit_file.name in caught.value.message
    text = tmp_path / "tong-hop_N-2026.xlsx"
    text.write_text("không phải sổ tính", encoding="utf-8")
    with pytest.raises(CchcError) as caught:
        read_history([*three["files"], text])
    assert text.name in caught.value.message


def test_a_hostile_summary_with_a_far_cell_is_refused_not_a_crash(three, tmp_path):
    """A «Tổng hợp» sheet with a value at XFD1048576 (python-calamine would build the whole grid
    and abort the process): refused by the merge's own reading, naming the file."""
    import zipfile

    from xl_addin.workbook import safety

    source = three["made"].summaries["9T-2026"]
    pre = safety.preflight(source)
    part = pre.sheet_part("Tổng hợp")
    pre.close()
    hostile = tmp_path / "tong-hop_9T-2026.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == part:
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
                                                     b"</sheetData>", 1)
            zout.writestr(item, data)
    files = [three["made"].summaries["Q1-2026"], three["made"].summaries["6T-2026"], hostile]
    with pytest.raises(CchcError) as caught:
        read_history(files)
    assert caught.value.code == "sheet_too_large" and hostile.name in caught.value.message
    r = run_cli("history", *map(str, files), "-o", str(tmp_path / "XU-HUONG.xlsx"))
    assert r.returncode == 1 and hostile.name in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_command_line_refusals_exit_1_and_write_nothing(three, tmp_path):
    copy = tmp_path / "tong-hop_6T-2026 (1).xlsx"
    shutil.copy(three["made"].summaries["6T-2026"], copy)
    out = tmp_path / "XU-HUONG.xlsx"
    r = run_cli("history", *map(str, three["files"]), str(copy), "-o", str(out))
    assert r.returncode == 1 and not out.exists()
    assert "tong-hop_6T-2026.xlsx" in r.stderr and copy.name in r.stderr and "Traceback" not in r.stderr
    r = run_cli("history", *map(str, three["files"]), "-o", str(three["files"][0]))
    assert r.returncode == 1 and "không ghi đè" in r.stderr
    r = run_cli("history", *map(str, three["files"]), "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 1 and ".xlsx" in r.stderr


def test_a_folder_stands_for_its_summaries_and_the_output_in_it_is_not_read_back(three, tmp_path):
    folder = tmp_path / "cac-ky"
    folder.mkdir()
    for f in three["files"]:
        shutil.copy(f, folder / f.name)
    (folder / "~$tong-hop_6T-2026.xlsx").write_bytes(b"lock")  # Excel's lock file: not a summary, skipped
    out = folder / "XU-HUONG.xlsx"
    for _run in range(2):  # the second run finds the first run's workbook in the folder
        r = run_cli("history", str(folder), "-o", str(out))
        assert r.returncode == 0, r.stderr
    assert "3 sổ tổng hợp" in r.stdout
    with pytest.raises(CchcError) as caught:  # named as an input, a workbook that is no summary is refused
        read_history([folder])
    assert "XU-HUONG.xlsx" in caught.value.message


# --------------------------------------------------------------------------- earlier layouts
def test_a_summary_of_the_earlier_layout_takes_part(tmp_path):
    """The layout-1 fixture (district 401, 6T-2025, no statuses) with a summary of today's layout
    of the same district for Q1-2025: ordered by end date, its rows with no status."""
    communes = _units("4011", 3, "401")
    q1 = make_summaries(tmp_path, Unit("401", "Huyện Thử", "huyen", "40"), {"Q1-2025": communes}).summaries["Q1-2025"]
    history = read_history([FIXTURES / "tong-hop-401_layout1.xlsx", q1])
    assert history.period_codes == ["Q1-2025", "6T-2025"]
    table = history.table
    old = table[table["period"] == "6T-2025"]
    assert set(old["unit_code"]) == {"40111", "40112", "40113"}
    assert old["status"].isna().all() and old["days_late"].isna().all()
    assert set(table.loc[table["period"] == "Q1-2025", "status"]) == {"on_time"}
    assert [p.statuses for p in history.periods] == [True, False]
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(history)))
    overview = [c for row in wb[ui("history.overview_sheet")].iter_rows(values_only=True) for c in row if c]
    assert ui("history.not_recorded") in overview


# --------------------------------------------------------------------------- the trends workbook
@pytest.fixture(scope="module")
def book(three, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xu-huong")
    out, long_csv = tmp / "XU-HUONG.xlsx", tmp / "bang-dai.csv"
    before = _hashes(three["files"])
    r = run_cli("history", *map(str, three["files"]), "-o", str(out), "--csv", str(long_csv))
    assert r.returncode == 0, r.stderr
    assert _hashes(three["files"]) == before  # the summaries are only read
    return {"path": out, "csv": long_csv, "stdout": r.stdout, "wb": openpyxl.load_workbook(out)}


def test_command_line_writes_both_and_names_the_chronic_units(three, book):
    assert book["csv"].read_bytes() == csv_bytes(three["history"].table)
    out = book["stdout"]
    assert "3 sổ tổng hợp" in out and "Tỉnh Thử" in out
    line = next(x for x in out.splitlines() if x.startswith("Nộp muộn"))
    assert [c.split()[0] for c in line.split(": ", 1)[1].split(", ")] == CHRONIC


def _sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_one_sheet_per_key_indicator_with_every_unit_and_the_receiver(three, book):
    wb, history = book["wb"], three["history"]
    definition = load_definition()
    keys = [r for r in definition.ratios if r.history]
    assert 3 <= len(keys) <= 6
    names = wb.sheetnames
    assert names[0] == ui("history.overview_sheet") and names[-3:] == [
        ui("history.ranking_sheet"), ui("history.lateness_sheet"), ui("history.sources_sheet")]
    table = history.table
    for i, ratio in enumerate(keys, start=1):
        ws = wb[ui("history.indicator_sheet").format(n=i, short=ratio.short)]
        rows = _sheet_rows(ws)
        header = next(r for r in rows if r[:3] == list(ui("history.unit_columns")))
        assert header[3:6] == [p.label[0].upper() + p.label[1:] for p in history.periods]
        start = rows.index(header) + 1
        receiver, median = rows[start], rows[start + 1]
        own = history.receiver_values.query("field == @ratio.code").set_index("period")["value"]
        assert receiver[1] == "73" and receiver[3:6] == [own[p] for p in PERIODS]
        units = rows[start + 2:]
        assert sorted(r[1] for r in units) == sorted({u.code for u in [*UNITS, NEWCOMER]})
        values = table[table["field"] == ratio.code]
        for r in units:
            for period, cell in zip(PERIODS, r[3:6], strict=True):
                found = values[(values["unit_code"] == r[1]) & (values["period"] == period)]["value"]
                expected = None if found.empty or pd.isna(found.iloc[0]) else found.iloc[0]
                assert cell == expected, (ratio.code, r[1], period)
        latest = [r[5] for r in units if r[5] is not None]
        assert latest == sorted(latest, reverse=True)  # by the latest period, highest first
        assert median[5] == pytest.approx(pd.Series(latest).median())
        charts = ws._charts
        assert len(charts) == 1


def test_each_indicator_chart_draws_at_most_eight_lines(three, book, tmp_path):
    """The receiving office, the median and the top and bottom units: eight lines whatever the
    number of units (here every unit, as there are few: at most top + bottom + 2)."""
    import zipfile

    with zipfile.ZipFile(book["path"]) as zf:
        charts = [zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/charts/chart")]
    keys = [r for r in load_definition().ratios if r.history]
    assert len(charts) == len(keys) + 1  # and the overview's
    for xml in charts:
        assert 1 <= xml.count("<c:ser>") <= 8
    indicator = next(x for x in charts if "Tỉnh Thử" in x and ui("history.median_row") in x)
    assert '<c:showVal val="1"/>' in indicator  # the receiving office's values labelled


def test_ranking_by_the_on_time_rate_with_the_change(three, book):
    made = three["made"]
    ws = book["wb"][ui("history.ranking_sheet")]
    rows = _sheet_rows(ws)
    start = next(i for i, r in enumerate(rows) if r[0] == ui("history.ranking_columns")[0]) + 1
    code = load_definition().merge.history.ranking_ratio

    def rate(period: str, unit: str) -> float | None:
        return _expected_values(made, period, unit)[code] if (period, unit) in made.plan else None

    units = [u.code for u in [*UNITS, NEWCOMER]]
    now = {u: rate("9T-2026", u) for u in units}
    before = {u: rate("6T-2026", u) for u in units}
    ranked = sorted((u for u in units if now[u] is not None), key=lambda u: (-now[u], u))
    listed = [r for r in rows[start:] if r[1]]
    assert [r[1] for r in listed[: len(ranked)]] == ranked
    for r in listed:
        unit = r[1]
        if now[unit] is None:
            assert r[0] is None and r[3] is None
            continue
        assert r[0] == 1 + sum(1 for u in ranked if now[u] > now[unit])  # ties share a rank
        assert r[3] == now[unit] and r[4] == before[unit]
        if before[unit] is not None:
            assert r[5] == pytest.approx(round(now[unit] - before[unit], 2))
    missing = next(r for r in listed if r[1] == "73005")  # missing in 9T-2026: last, no rank
    assert missing[8] == ui("merge.unit_status")["missing"] and listed.index(missing) >= len(ranked)


def test_units_late_or_missing_in_more_than_one_period(three, book):
    ws = book["wb"][ui("history.lateness_sheet")]
    rows = _sheet_rows(ws)
    start = next(i for i, r in enumerate(rows) if r[0] == ui("history.lateness_columns")[0]) + 1
    listed = [r for r in rows[start:] if r[1]]
    assert [r[1] for r in listed] == CHRONIC
    by_code = {r[1]: r for r in listed}
    late = ui("history.late_days")
    labels = ui("merge.unit_status")
    assert by_code["73002"][3:7] == [2, 0, 0, 4] and by_code["73002"][7:10] == [
        late.format(days=3), labels["on_time"], late.format(days=1)]
    assert by_code["73003"][7:10] == [labels["on_time"], labels["missing"], late.format(days=5)]
    assert by_code["73005"][3:7] == [0, 1, 1, 0]
    row = ws[start + 1 + CHRONIC.index("73002")]
    fills = {c.value: c.fill.fgColor.rgb for c in row if c.value}
    assert fills[late.format(days=3)].endswith(summary_layout.AMBER)
    assert not fills[labels["on_time"]].endswith(summary_layout.AMBER)


def test_print_setup_like_the_other_outputs(book):
    wb = book["wb"]
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1, "1")
        assert "&P" in (ws.oddFooter.center.text or "")
        if ws.title not in (ui("history.overview_sheet"), ui("history.sources_sheet")):
            assert ws.print_title_rows and ws.print_title_cols == "$A:$C"


@needs_soffice
@pytest.mark.libreoffice
def test_renders_with_libreoffice(book, tmp_path):
    """LibreOffice opens and prints the workbook: every sheet's title on its pages."""
    shutil.copy(book["path"], tmp_path / "xu-huong.xlsx")
    r = run_soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "xu-huong.xlsx")], cwd=tmp_path)
    pdf = tmp_path / "xu-huong.pdf"
    assert pdf.exists(), r.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for needle in ("XU HƯỚNG QUA CÁC KỲ", "XẾP HẠNG ĐƠN VỊ", "ĐƠN VỊ NỘP MUỘN", "Trung vị các đơn vị",
                   "Tỉnh Thử (tổng hợp)"):
        assert needle in text, needle
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages <= 12  # one page per sheet at this size: nothing spills sideways


# --------------------------------------------------------------------------- pandas only on this path
def test_pandas_is_not_imported_by_the_ribbon_or_the_other_commands():
    code = ("import sys, xl_addin.ribbon, xl_addin.cli, xl_addin.merge.run, xl_addin.merge.summary; "
            "print('pandas' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={"XLWINGS_LICENSE_KEY": "noncommercial", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
