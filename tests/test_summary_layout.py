"""Tổng hợp written and read by one module (``xl_addin.merge.summary_layout``): today's layout
round-trips, the earlier layout (a summary written before the module, kept as a fixture) still
reads, and a higher level that merges a summary does not count its missing units as reported."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from test_merge import _units, make_returns

from xl_addin.merge import summary_layout
from xl_addin.merge.run import run_merge
from xl_addin.rules.export import export_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_earlier_layout_still_reads():
    table = summary_layout.read_file(FIXTURES / "tong-hop-401_layout1.xlsx")
    assert table.layout == 1
    assert [r.code for r in table.rows] == ["40111", "40112", "40113"]  # the TONG row is no unit
    for row in table.rows:
        assert row.status is None and row.days_late is None  # that layout did not record them
        assert row.values["tthc_tiep_nhan_tong"] > 0 and row.name.startswith("Xã Thử")


def test_a_summary_of_the_earlier_layout_merges_at_the_level_above(tmp_path):
    folder = tmp_path / "huyen"
    folder.mkdir()
    shutil.copy(FIXTURES / "tong-hop-401_layout1.xlsx", folder / "tong-hop-401.xlsx")
    csv = tmp_path / "tinh.csv"
    csv.write_text("code,name,level,parent_code\n40,Tỉnh Thử,tinh,\n401,Huyện Thử,huyen,40\n", encoding="utf-8")
    result = run_merge(folder, output=tmp_path / "tinh.xlsx", units_path=csv)
    payload = result.to_json()
    assert [s.unit["code"] for s in result.merged] == ["401"] and not result.missing
    inside = {u["code"]: u for u in payload["units"] if u["via"]}
    assert sorted(inside) == ["40111", "40112", "40113"]
    assert all(u["via"] == "tong-hop-401.xlsx" for u in inside.values())


def test_a_higher_level_does_not_count_the_missing_units_of_a_summary(tmp_path):
    communes = _units("4011", 4, "401")
    make_returns(tmp_path, communes[:3], "6T-2025", "xa", stamp="2025-06-16 08:00:00")
    district = tmp_path / "huyen.csv"
    district.write_text("code,name,level,parent_code\n401,Huyện Thử,huyen,40\n"
                        + "".join(f"{u.code},{u.name},xa,401\n" for u in communes), encoding="utf-8")
    summaries = tmp_path / "gui-tinh"
    summaries.mkdir()
    written = run_merge(tmp_path / "xa", output=tmp_path / "tong-hop-401.xlsx", units_path=district)
    assert [u.code for u in written.missing] == [communes[3].code]
    sent, _ = export_file(written.output, summaries, dt.datetime(2025, 6, 17, 8, 0))  # the district sends it up
    table = summary_layout.read_file(sent)
    assert table.layout == summary_layout.LAYOUT_VERSION
    statuses = {r.code: r.status for r in table.rows}
    assert statuses == {communes[0].code: "on_time", communes[1].code: "on_time", communes[2].code: "on_time",
                        communes[3].code: "missing"}
    province = tmp_path / "tinh.csv"
    province.write_text("code,name,level,parent_code\n40,Tỉnh Thử,tinh,\n401,Huyện Thử,huyen,40\n", encoding="utf-8")
    result = run_merge(summaries, output=tmp_path / "tinh.xlsx", units_path=province)
    payload = result.to_json()
    units = {u["code"]: u for u in payload["units"]}
    assert units["401"]["status"] == "on_time" and units["401"]["via"] is None
    assert units[communes[3].code]["status"] == "missing" and units[communes[3].code]["via"] == sent.name
    reported = [u for u in payload["units"] if u["via"] and u["status"] in ("on_time", "late", "unknown_time")]
    assert len(reported) == 3
    # the province's Tổng hợp: one row for its expected unit, the district, with the district's totals
    rows = summary_layout.read_file(tmp_path / "tinh.xlsx").rows
    assert [r.code for r in rows] == ["401"]
    assert rows[0].values["tthc_tiep_nhan_tong"] == float(written.aggregate.values["tthc_tiep_nhan_tong"])
