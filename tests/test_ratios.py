"""Ratios on real workbooks: what the catalogue's entries carry, the JSON shape of a result, and a
ratio added as data over a table column and a list count (the Python value and the workbook's
own formula agree)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import openpyxl
import pytest

from xl_addin.definition.loader import definition_dir, load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.rules.ratios import NO_DATA, compute_ratio, compute_ratios, env_for
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook, needs_soffice, run_soffice

VALUES = {"tthc_tiep_nhan_tong": 800, "tthc_da_gq_tong": 800, "tthc_da_gq_truoc_han": 797, "tthc_da_gq_dung_han": 0,
          "tthc_da_gq_qua_han": 3, "tthc_moi_truc_tuyen": 700, "tthc_moi_truc_tiep": 100, "tthc_ky_truoc": 0,
          "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return read_workbook(filled_workbook(tmp_path_factory.mktemp("ratios"), {"values": VALUES}))


def test_every_ratio_of_the_catalogue_carries_its_code_label_and_unit(data):
    env = env_for(data)
    computed = compute_ratios(data)
    assert list(computed) == [r.code for r in data.definition.ratios]
    for ratio in data.definition.ratios:
        result = compute_ratio(ratio, env)
        assert (result.code, result.label, result.unit) == (ratio.code, ratio.label, ratio.unit)
        assert (computed[ratio.code].code, computed[ratio.code].label) == (ratio.code, ratio.label)
    assert computed["ty_le_truc_tuyen"].value == Decimal("87.50")  # 700 / (700 + 100)


def test_result_json_shape(data, tmp_path):
    """The shape `cchc ratios --json` prints under "details": whole numbers as int, others as
    float, a ratio without a denominator as null with its Vietnamese wording."""
    results = compute_ratios(data)
    tie = results["ty_le_gq_dung_han"].to_dict()
    assert tie == {"code": "ty_le_gq_dung_han", "label": data.definition.ratio_map()["ty_le_gq_dung_han"].label,
                   "numerator": 797, "denominator": 800, "value": 99.63, "formatted": "99,63%",
                   "excel_agrees": None, "status": "ok"}  # openpyxl wrote the formula; no value cached yet
    assert type(tie["numerator"]) is int and type(tie["denominator"]) is int and type(tie["value"]) is float
    whole = results["ty_le_truc_tuyen"].to_dict()
    assert whole["value"] == 87.5 and type(whole["value"]) is float
    none = results["ty_le_pakn_xu_ly"].to_dict()
    assert none["numerator"] == 0 and type(none["numerator"]) is int and none["denominator"] == 0
    assert none["value"] is None and none["formatted"] == NO_DATA
    assert json.loads(json.dumps({k: r.to_dict() for k, r in results.items()}))["ty_le_gq_dung_han"] == tie
    full = compute_ratios(read_workbook(filled_workbook(tmp_path, {"values": dict(
        VALUES, tthc_da_gq_truoc_han=800, tthc_da_gq_qua_han=0)}, name="full.xlsx")))["ty_le_gq_dung_han"].to_dict()
    assert full["value"] == 100 and type(full["value"]) is int


# --------------------------------------------------------------------------- a ratio added as data
EXTRA = ('  - {code: ty_le_truc_tuyen_bieu, label: "Tỷ lệ trực tuyến theo Biểu 06a", section: II.2, share: true,\n'
         '     numerator: "sum(bieu_06a.truc_tuyen)", denominator: "sum(bieu_06a.tiep_nhan_tong)", unit: hồ sơ}\n'
         '  - {code: van_ban_moi_nhiem_vu, label: "Văn bản trên một nhiệm vụ kế hoạch", section: I.1,\n'
         '     numerator: "count(van_ban)", denominator: kh_cchc_nhiem_vu_tong, unit: văn bản}\n')


@pytest.fixture()
def extra_ratios(tmp_path, monkeypatch):
    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    ratios = root / "cchc" / "ratios.yaml"
    ratios.write_text(ratios.read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA, encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    definition = load_definition()
    assert {"ty_le_truc_tuyen_bieu", "van_ban_moi_nhiem_vu"} <= set(definition.ratio_map())
    [built] = build_unit_workbooks(definition, [Unit("18229", "Xã Đức Thọ", "xa", "42", "QD19_2025")],
                                   parse_period("6T-2026", definition), tmp_path / "blank")
    filled = tmp_path / "extra.xlsx"
    fill_workbook(built.path, {
        "values": {"kh_cchc_nhiem_vu_tong": 8},
        "tables": {"bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 40, "truc_tuyen": 30},
                                {"linh_vuc": "Chứng thực", "tiep_nhan_tong": 24, "truc_tuyen": 3}]},
        "lists": {"van_ban": [{"so_ky_hieu": "14/KH-UBND", "ngay": "2026-01-28", "loai": "ke_hoach",
                               "trich_yeu": "Kế hoạch CCHC năm 2026"},
                              {"so_ky_hieu": "25/QĐ-UBND", "ngay": "2026-02-10", "loai": "quyet_dinh",
                               "trich_yeu": "Kiện toàn Bộ phận Một cửa"},
                              {"so_ky_hieu": "31/KH-UBND", "ngay": "2026-03-02", "loai": "ke_hoach",
                               "trich_yeu": "Kế hoạch kiểm tra CCHC"}]},
    }, filled)
    return filled


def test_a_ratio_over_a_table_column_and_a_list_count_needs_no_python(extra_ratios):
    data = read_workbook(extra_ratios)
    assert data.problems == []
    results = compute_ratios(data)
    table = results["ty_le_truc_tuyen_bieu"]
    assert (table.numerator, table.denominator, table.value) == (33, 64, Decimal("51.56"))  # 51.5625 → 51,56
    count = results["van_ban_moi_nhiem_vu"]
    assert (count.numerator, count.denominator, count.value) == (3, 8, Decimal("37.50"))


@needs_soffice
def test_the_workbook_formula_of_an_added_ratio_agrees(extra_ratios, tmp_path):
    run_soffice(["--calc", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(extra_ratios)], tmp_path)
    recalculated = tmp_path / "lo" / extra_ratios.name
    assert openpyxl.load_workbook(recalculated, data_only=True)  # LibreOffice wrote it
    results = compute_ratios(read_workbook(recalculated))
    for code in ("ty_le_truc_tuyen_bieu", "van_ban_moi_nhiem_vu"):
        assert results[code].excel_value is not None and results[code].excel_agrees is True, code


def test_a_ratio_with_a_part_left_empty_has_no_value_and_keeps_what_was_typed(data):
    """700 dossiers online and the walk-in count left empty: the online share has no value («chưa
    có số liệu», never 100 %), whichever side the empty part is on, and the parts typed stay shown."""
    import dataclasses

    ratio = next(r for r in data.definition.ratios if r.code == "ty_le_truc_tuyen")  # a / (a + b)
    empty_walk_in = dataclasses.replace(data, values={**data.values, "tthc_moi_truc_tiep": None})
    result = compute_ratio(ratio, env_for(empty_walk_in))  # the denominator is incomplete, the numerator not
    assert (result.value, result.status, result.formatted) == (None, "missing", "chưa có số liệu")
    assert (result.numerator, result.denominator) == (Decimal(700), Decimal(700))
    assert result.to_dict()["status"] == "missing" and result.to_dict()["numerator"] == 700
    swapped = ratio.model_copy(update={"numerator": ratio.denominator, "denominator": ratio.numerator})
    result = compute_ratio(swapped, env_for(empty_walk_in))  # the numerator incomplete, the denominator not
    assert (result.value, result.status) == (None, "missing")
    nothing = dataclasses.replace(data, values={**data.values, "tthc_moi_truc_tiep": Decimal(0),
                                                "tthc_moi_truc_tuyen": Decimal(0)})
    result = compute_ratio(ratio, env_for(nothing))  # both typed as 0: nothing to share, not missing
    assert (result.value, result.status, result.formatted) == (None, "zero", NO_DATA)
