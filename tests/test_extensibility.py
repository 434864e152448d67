"""A field, a table column and a province profile added as data only: build, fill, read."""

from __future__ import annotations

import shutil

import pytest

from xl_addin.definition.loader import definition_dir, load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.reader import read_workbook


@pytest.fixture()
def custom_root(tmp_path, monkeypatch):
    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    sections = root / "cchc" / "sections.yaml"
    text = sections.read_text(encoding="utf-8")
    anchor = "      - code: II.3\n"
    new_field = ("          - {code: tthc_phi_dia_gioi, label: \"Số hồ sơ tiếp nhận không phụ thuộc địa giới hành chính\","
                 " type: integer, unit: hồ sơ, aggregate: sum, max: 1000000}\n"
                 "          - {code: tthc_ty_trong_phi_dia_gioi, label: \"Phi địa giới trên tổng tiếp nhận\", type: decimal,"
                 " unit: lần, decimals: 4, formula: \"tthc_phi_dia_gioi / tthc_tiep_nhan_tong\"}\n")
    sections.write_text(text.replace(anchor, new_field + anchor, 1), encoding="utf-8")
    tables = root / "cchc" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    anchor = "      - {code: cho_bo_sung,"
    tables.write_text(text.replace(anchor, "      - {code: phi_dia_gioi, label: \"Phi địa giới\", type: integer, unit: \"hồ sơ\","
                                           " groups: [Hồ sơ khác]}\n" + anchor, 1), encoding="utf-8")
    (root / "cchc" / "profiles" / "quang-tri.yaml").write_text(
        "id: quang-tri\nname: Quảng Trị\nprovince_code: \"44\"\n"
        "fields:\n  - {code: tiep_cong_dan_luot, section: I.5, label: \"Số lượt tiếp công dân\", type: integer,"
        " unit: lượt, aggregate: sum}\n"
        "sections:\n  - code: II.7\n    parent: II\n    title: Chương trình chuyển đổi số của tỉnh\n"
        "    fields:\n      - {code: cds_diem, label: \"Điểm tự đánh giá chuyển đổi số\", type: decimal, unit: điểm,"
        " decimals: 2, max: 100, aggregate: max}\n", encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    return root


def test_added_field_column_and_profile_need_no_python(custom_root, tmp_path):
    definition = load_definition(profile="quang-tri")
    assert {"tthc_phi_dia_gioi", "tiep_cong_dan_luot", "cds_diem"} <= set(definition.field_map())
    period = parse_period("Q2-2026", definition)
    [result] = build_unit_workbooks(definition, [Unit("19000", "Xã Mẫu", "xa", "44")], period, tmp_path / "out")
    filled = tmp_path / "filled.xlsx"
    fill_workbook(result.path, {
        "values": {"tthc_phi_dia_gioi": 25, "tthc_tiep_nhan_tong": 100, "tiep_cong_dan_luot": 11, "cds_diem": 87.5},
        "tables": {"bieu_06a": [{"linh_vuc": "Hộ tịch", "phi_dia_gioi": 4, "tiep_nhan_tong": 9}]},
    }, filled)
    data = read_workbook(filled)
    assert data.template == {"id": "cchc", "version": "1.0", "profile": "quang-tri"}
    assert data.values["tthc_phi_dia_gioi"] == 25 and data.values["tiep_cong_dan_luot"] == 11
    assert float(data.values["cds_diem"]) == 87.5
    assert data.values["tthc_ty_trong_phi_dia_gioi"] == pytest.approx(0.25)
    assert data.tables["bieu_06a"][0]["phi_dia_gioi"] == 4
    assert data.problems == []
