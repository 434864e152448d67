"""Template versions: a past version read through its field mapping; a future one refused.

Version 1.0 workbooks are real ones (tests/fixtures/v1_0, built and filled by the 1.0 tool); the
fictional 0.9 is made from them the way versions.yaml describes it."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition, load_definition_from
from xl_addin.errors import CchcError
from xl_addin.merge.run import run_merge
from xl_addin.workbook import tamper
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import ROOT, filled_workbook, run_cli

VALUES = {"values": {"tthc_tiep_nhan_tong": 120, "tthc_da_gq_tong": 100, "tthc_dang_gq_tong": 13,
                     "tthc_cho_bo_sung": 0, "tthc_tra_lai": 7, "bien_che_giao": 25, "bien_che_co_mat": 24}}
V10 = Path(__file__).parent / "fixtures" / "v1_0"


def _meta_row(key: str) -> int:
    return compute_layout(load_definition()).meta_rows[key]


def type_by_names(src, out, values: dict):
    """Values typed into a workbook at the cells its own defined names point to, as a clerk types
    them in Excel (an old version's workbook cannot be filled by ``cchc fill``)."""
    wb = openpyxl.load_workbook(src)
    for code, value in values.items():
        [(sheet, ref)] = list(wb.defined_names[code].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    wb.save(out)
    return out


def make_v09(src, out, restamp: bool = True):
    """A workbook of the fictional version 0.9, made from a 1.0 one the way versions.yaml says:
    tthc_tra_lai was called tthc_tra_lai_rut (its defined name, here kept one column right);
    bien_che_giao sat in column G."""
    definition = load_definition()
    layout = compute_layout(definition.as_of("1.0"))
    wb = openpyxl.load_workbook(src)
    ws = wb["Số liệu"]
    tra_lai = layout.fields["tthc_tra_lai"]
    bien_che = layout.fields["bien_che_giao"]
    old = wb.defined_names.pop("tthc_tra_lai")
    old.name = "tthc_tra_lai_rut"
    old.attr_text = f"'Số liệu'!$H${tra_lai.row}"
    wb.defined_names["tthc_tra_lai_rut"] = old
    ws.cell(row=tra_lai.row, column=8).value = ws[tra_lai.ref].value
    ws[tra_lai.ref].value = None
    ws.cell(row=tra_lai.row, column=6).value = "tthc_tra_lai_rut"
    ws["G" + str(bien_che.row)].value = ws[bien_che.ref].value
    ws[bien_che.ref].value = None
    meta = wb["_meta"]
    meta.cell(row=_meta_row("template_version"), column=2).value = "0.9"
    wb.save(out)
    if restamp:  # what the 0.9 tool stamped when it built the workbook
        wb = openpyxl.load_workbook(out)
        wb["_meta"].cell(row=_meta_row("structure_digest"), column=2).value = tamper.file_digest(out)
        wb.save(out)
    return out


@pytest.fixture(scope="module")
def v10(tmp_path_factory):
    """A returned 1.0 workbook with VALUES typed into it (where its own names say)."""
    src = V10 / "18073_Phuong-Thanh-Sen_6T-2026.xlsx"
    return type_by_names(src, tmp_path_factory.mktemp("v10") / "ban-1.0.xlsx", VALUES["values"])


def test_versions_are_data_mapping_only():
    definition = load_definition()
    past = definition.past_version("0.9")
    assert past.renamed == {"tthc_tra_lai_rut": "tthc_tra_lai"}
    assert past.moved == {"bien_che_giao": "Số liệu!G73"}
    assert compute_layout(definition.as_of("1.0")).fields["bien_che_giao"].address == "Số liệu!D73"
    # 1.0 needs no mapping: what 1.1 added says so itself (since: "1.1")
    v10 = definition.past_version("1.0")
    assert v10.renamed == {} and v10.moved == {}
    assert "noi_dung_i_1" in definition.field_map() and "noi_dung_i_1" not in definition.as_of("1.0").field_map()


def test_the_1_0_layout_is_where_the_1_0_tool_put_everything():
    """Every defined name of a workbook the 1.0 tool wrote points where the current definition,
    laid out as of 1.0, says: fields, ratios, lists, tables and choice lists."""
    from xl_addin.cells import a1, quote_sheet

    layout = compute_layout(load_definition().as_of("1.0"))
    wb = openpyxl.load_workbook(V10 / "18229_Xa-Duc-Tho_6T-2026.xlsx")
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    expected = {code: f"{quote_sheet(p.sheet)}!{a1(p.row, p.col, True)}"
                for code, p in {**layout.fields, **layout.ratios}.items()}
    expected.update({code: f"{quote_sheet(b.sheet)}!{b.range_ref()}" for code, b in layout.lists.items()})
    expected.update({code: f"{quote_sheet(b.sheet)}!{b.range_ref()}" for code, b in layout.tables.items()})
    expected.update({code: ref for code, ref in layout.choice_ranges.items() if code in names})
    # 1.0 gave every default workbook Phụ lục 4 and 5; the default template now carries only the
    # forms of its profile (Biểu 06a), so those two are left unread, everything else is found
    dropped = {"phu_luc_4": "Phụ lục 4", "phu_luc_5": "Phụ lục 5"}
    assert {code: ref for code, ref in names.items() if code not in dropped} == expected
    assert set(names) - set(expected) == set(dropped)
    assert layout.sheet_names == [n for n in wb.sheetnames if n not in dropped.values()]


def test_old_version_is_read_through_the_mapping(v10, tmp_path):
    path = make_v09(v10, tmp_path / "ban-0.9.xlsx")
    data = read_workbook(path)
    assert data.source_version == "0.9" and data.template["version"] == "1.1"
    assert data.template["source_version"] == "0.9"
    assert data.values["tthc_tra_lai"] == 7  # found by its old defined name
    assert data.values["bien_che_giao"] == 25  # read where 0.9 kept it
    assert data.cells["bien_che_giao"] == "Số liệu!G73"
    assert data.values["tthc_chenh_lech"] == 0  # recomputed with the mapped values
    [notice] = [p for p in data.problems if p.code == "template_old_version"]
    assert notice.importance == "info" and "0.9" in notice.message and "tthc_tra_lai_rut" in notice.message
    assert not [p for p in data.problems if p.code.startswith("tamper_")]
    r = run_cli("read", str(path), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["template"]["source_version"] == "0.9"
    r = run_cli("validate", str(path), "--json")
    assert "template_old_version" in {f["rule"] for f in json.loads(r.stdout)[0]["findings"]}


def test_old_version_changed_since_it_was_built_is_flagged(v10, tmp_path):
    path = make_v09(v10, tmp_path / "ban-0.9-sua.xlsx", restamp=False)
    codes = [p.code for p in read_workbook(path).problems]
    assert "template_old_version" in codes and "tamper_structure_changed" in codes


def test_a_1_0_workbook_reads_money_in_ty_dong_and_has_no_section_texts(tmp_path):
    src = V10 / "18073_Phuong-Thanh-Sen_6T-2026.xlsx"
    data = read_workbook(src)
    assert data.source_version == "1.0" and data.money_unit == "ty_dong"
    assert data.values["thu_ns_thuc_hien"] == Decimal("1.845655")  # typed 1,845655 in 1.0 (tỷ đồng)
    assert data.values["don_vi_tien"] is None and data.values["noi_dung_i_1"] is None
    assert data.values["tthc_moi_tong"] is None and "noi_dung_i_1" not in data.cells
    codes = [p.code for p in data.problems]
    assert codes == ["template_old_version"]  # no tamper finding: the 1.0 structure is intact
    r = run_cli("read", str(src), "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["template"]["source_version"] == "1.0"
    assert out["values"]["thu_ns_thuc_hien"] == 1.845655 and out["values"]["noi_dung_i_1"] is None
    # a 1.0 unit is not asked for what 1.0 did not have, and gets no outline notice for it
    findings = json.loads(run_cli("validate", str(src), "--json").stdout)[0]["findings"]
    assert not [f for f in findings if "don_vi_tien" in f["fields"] or f["rule"] == "muc_trong"]
    report = run_cli("report", str(src), "--text")
    assert report.returncode == 0 and "1.845.655.000 đồng/4.369.000.000 đồng" in report.stdout


def test_old_and_current_versions_merge_together(v10, tmp_path):
    from xl_addin.definition.units import Unit

    folder = tmp_path / "nop"
    folder.mkdir()
    other = filled_workbook(tmp_path, VALUES, unit=Unit("18229", "Xã Đức Thọ", "xa", "42", "QD19_2025"), name="b.xlsx")
    shutil.copy(other, folder / "b.xlsx")
    make_v09(v10, folder / "a-0.9.xlsx")
    result = run_merge(folder)
    assert len(result.merged) == 2 and not result.rejected
    assert result.aggregate.values["tthc_tra_lai"] == 14 and result.aggregate.values["bien_che_giao"] == 50


def test_future_version_asks_to_update_the_tool(v10, tmp_path):
    wb = openpyxl.load_workbook(v10)
    wb["_meta"].cell(row=_meta_row("template_version"), column=2).value = "1.2"
    path = tmp_path / "ban-1.2.xlsx"
    wb.save(path)
    with pytest.raises(CchcError) as info:
        read_workbook(path)
    assert info.value.code == "template_version_newer" and "1.2" in info.value.message
    assert "Cập nhật công cụ" in info.value.action
    r = run_cli("read", str(path))
    assert r.returncode == 2 and "mới hơn" in r.stderr and "Traceback" not in r.stderr


def test_fill_refuses_to_write_into_an_old_version(v10, tmp_path):
    from xl_addin.workbook.fill import fill_workbook

    path = make_v09(v10, tmp_path / "ban-0.9.xlsx")
    with pytest.raises(CchcError) as info:
        fill_workbook(path, {"values": {"tthc_tra_lai": 1}}, tmp_path / "out.xlsx")
    assert info.value.code == "fill_old_version"


def test_a_bad_mapping_is_a_definition_error(tmp_path):
    folder = tmp_path / "cchc"
    shutil.copytree(ROOT / "workbook_templates" / "cchc", folder)
    (folder / "versions.yaml").write_text(
        'versions:\n  - version: "0.9"\n    renamed: {cu: khong_co_truong_nay}\n', encoding="utf-8")
    with pytest.raises(CchcError) as info:
        load_definition_from(folder)
    assert info.value.code == "definition_invalid" and "khong_co_truong_nay" in info.value.message
    (folder / "versions.yaml").write_text('versions:\n  - version: "1.5"\n', encoding="utf-8")
    with pytest.raises(CchcError) as info:
        load_definition_from(folder)
    assert "1.5" in info.value.message


def test_a_folder_mixing_1_0_and_1_1_workbooks_merges_with_exact_totals(tmp_path):
    """Two workbooks returned in 1.0 (money typed in tỷ đồng, no section texts) and two of 1.1 (one
    typing đồng, one triệu đồng, with texts and the new indicators) merge into one summary: the
    totals add the same contract unit, exactly; the new fields add only where they exist; the
    units' texts never reach the summary."""
    from xl_addin.definition.units import Unit

    folder = tmp_path / "nop"
    folder.mkdir()
    for src in sorted(V10.glob("*.xlsx")):
        shutil.copy(src, folder / src.name)
    new = {
        Unit("18100", "Phường Nam Hồng", "phuong", "42", "QD19_2025"): {
            "tthc_tiep_nhan_tong": 500, "tthc_ky_truoc": 0, "tthc_moi_tong": 500, "thu_ns_thuc_hien": 2.345678901,
            "tthc_tra_kq_bcci": 40, "noi_dung_i_1": "Văn bản riêng của phường Nam Hồng."},
        Unit("18110", "Xã Thiên Lộc", "xa", "42", "QD19_2025"): {
            "don_vi_tien": "trieu_dong", "tthc_tiep_nhan_tong": 36, "tthc_ky_truoc": 1, "tthc_moi_truc_tuyen": 20,
            "tthc_moi_truc_tiep": 15, "thu_ns_thuc_hien": 0.75, "tthc_tra_kq_bcci": 2},
    }
    for unit, values in new.items():
        path = filled_workbook(tmp_path, {"values": values}, unit=unit, name=f"{unit.code}.xlsx")
        shutil.copy(path, folder / path.name)
    typed = openpyxl.load_workbook(folder / "18100.xlsx")
    pos = compute_layout(load_definition()).fields["thu_ns_thuc_hien"]
    assert typed[pos.sheet][pos.ref].value == 2345678901  # the ward typed (here: filled) đồng
    result = run_merge(folder, output=tmp_path / "tong-hop.xlsx")
    assert len(result.merged) == 4 and not result.rejected
    assert sorted(s.template.get("source_version") or "1.1" for s in result.merged) == ["1.0", "1.0", "1.1", "1.1"]
    totals = result.aggregate.values
    assert totals["tthc_tiep_nhan_tong"] == 1059 + 1905 + 500 + 36
    money_total = Decimal("1.845655") + Decimal("19.27") + Decimal("2.345678901") + Decimal("0.75")
    assert totals["thu_ns_thuc_hien"] == money_total
    assert totals["tthc_moi_tong"] == 500 and totals["tthc_tra_kq_bcci"] == 42  # only where the field exists
    assert totals["bien_che_giao"] == 23 + 20
    assert "noi_dung_i_1" not in totals and totals.get("don_vi_tien") is None
    assert result.aggregate.ratios["ty_le_truc_tuyen"].value == Decimal("46.06")  # 1381 online / 2998 new
    summary = read_workbook(tmp_path / "tong-hop.xlsx")
    assert summary.values["thu_ns_thuc_hien"] == totals["thu_ns_thuc_hien"]  # written in its unit, read back exactly
    assert summary.values["noi_dung_i_1"] is None
    text = run_cli("report", str(tmp_path / "tong-hop.xlsx"), "--text").stdout
    assert "Văn bản riêng của phường Nam Hồng" not in text


def test_figures_typed_in_a_form_the_current_template_dropped_are_reported(tmp_path):
    """A 1.0 workbook without a province profile still carries Phụ lục 4 and 5 (1.1 keeps them for
    the Huế profile only). Figures a unit typed there cannot be read: the unit and the specialist
    are told where they are, rather than the figures vanishing from the summary."""
    src = tmp_path / "pl4.xlsx"
    wb = openpyxl.load_workbook(V10 / "18073_Phuong-Thanh-Sen_6T-2026.xlsx")
    wb["Phụ lục 4"]["C11"] = 3
    wb["Phụ lục 4"]["D12"] = 5
    wb.save(src)
    data = read_workbook(src)
    [found] = [p for p in data.problems if p.code == "form_not_read"]
    assert found.importance == "warning" and found.cell == "Phụ lục 4!C11"
    assert "Phụ lục 4" in found.message and "C11" in found.message and "D12" in found.message
    assert "Phụ lục 5" not in found.message  # an untouched form is not named
    # the same 1.0 workbook with nothing typed there has no such finding
    assert "form_not_read" not in {p.code for p in read_workbook(V10 / "18073_Phuong-Thanh-Sen_6T-2026.xlsx").problems}
    folder = tmp_path / "nop"
    folder.mkdir()
    shutil.copy(src, folder / "pl4.xlsx")
    result = run_merge(folder, tmp_path / "tong-hop.xlsx", workers=1)
    [merged] = result.merged
    assert not result.rejected and merged.warnings >= 1
    assert "form_not_read" in {f["rule"] for f in merged.findings}
