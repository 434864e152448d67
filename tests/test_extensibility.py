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
    new_field = ("          - {code: tthc_vneid, label: \"Số hồ sơ nộp qua ứng dụng VNeID\","
                 " type: integer, unit: hồ sơ, aggregate: sum, max: 1000000}\n"
                 "          - {code: tthc_ty_trong_vneid, label: \"VNeID trên tổng tiếp nhận\", type: decimal,"
                 " unit: lần, decimals: 4, formula: \"tthc_vneid / tthc_tiep_nhan_tong\"}\n")
    sections.write_text(text.replace(anchor, new_field + anchor, 1), encoding="utf-8")
    tables = root / "cchc" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    anchor = "      - {code: cho_bo_sung,"
    column = "      - {code: vneid, label: \"Phi địa giới\", type: integer, unit: \"hồ sơ\", groups: [Hồ sơ khác]}\n"
    tables.write_text(text.replace(anchor, column + anchor, 1), encoding="utf-8")
    (root / "cchc" / "profiles" / "quang-tri.yaml").write_text(
        "id: quang-tri\nname: Quảng Trị\nprovince_code: \"44\"\n"
        "fields:\n  - {code: hoi_nghi_doi_thoai, section: I.5, label: \"Số hội nghị đối thoại với nhân dân\","
        " type: integer, unit: hội nghị, aggregate: sum}\n"
        "sections:\n  - code: II.7\n    parent: II\n    title: Chương trình chuyển đổi số của tỉnh\n"
        "    fields:\n      - {code: cds_diem, label: \"Điểm tự đánh giá chuyển đổi số\", type: decimal, unit: điểm,"
        " decimals: 2, max: 100, aggregate: max}\n", encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    return root


def test_added_field_column_and_profile_need_no_python(custom_root, tmp_path):
    definition = load_definition(profile="quang-tri")
    assert {"tthc_vneid", "hoi_nghi_doi_thoai", "cds_diem"} <= set(definition.field_map())
    # the profile's own section gets its written part with no Python either
    assert definition.text_field_of("II.7").code == "noi_dung_ii_7"
    period = parse_period("Q2-2026", definition)
    [result] = build_unit_workbooks(definition, [Unit("19000", "Xã Mẫu", "xa", "44")], period, tmp_path / "out")
    filled = tmp_path / "filled.xlsx"
    fill_workbook(result.path, {
        "values": {"tthc_vneid": 25, "tthc_tiep_nhan_tong": 100, "hoi_nghi_doi_thoai": 11, "cds_diem": 87.5,
                   "noi_dung_ii_7": "Chương trình chuyển đổi số được triển khai đồng bộ."},
        "tables": {"bieu_06a": [{"linh_vuc": "Hộ tịch", "vneid": 4, "tiep_nhan_tong": 9}]},
    }, filled)
    data = read_workbook(filled)
    assert data.template == {"id": "cchc", "version": "1.1", "profile": "quang-tri"}
    assert data.values["tthc_vneid"] == 25 and data.values["hoi_nghi_doi_thoai"] == 11
    assert float(data.values["cds_diem"]) == 87.5
    assert data.values["tthc_ty_trong_vneid"] == pytest.approx(0.25)
    assert data.tables["bieu_06a"][0]["vneid"] == 4
    assert data.values["noi_dung_ii_7"] == "Chương trình chuyển đổi số được triển khai đồng bộ."
    assert data.problems == []


def test_a_profiles_deadline_is_the_one_the_merge_applies(custom_root, tmp_path):
    """A province that gives its units 5 working days (not report.yaml's 2): the merge judges
    lateness against the profile's deadline. Failed before: Profile.deadline_working_days was
    validated but never applied."""
    from xl_addin.definition.periods import submission_deadline
    from xl_addin.merge.run import run_merge

    profile = custom_root / "cchc" / "profiles" / "quang-tri.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "deadline_working_days: 5\n", encoding="utf-8")
    assert load_definition().deadline_working_days == 2
    definition = load_definition(profile="quang-tri")
    assert definition.deadline_working_days == 5
    period = parse_period("Q2-2026", definition)
    [result] = build_unit_workbooks(definition, [Unit("19000", "Xã Mẫu", "xa", "44")], period, tmp_path / "out")
    folder = tmp_path / "nhan"
    folder.mkdir()
    fill_workbook(result.path, {"values": {"tthc_tiep_nhan_tong": 100}}, folder / result.path.name)
    merged = run_merge(folder)
    assert [s.rel for s in merged.merged] == [result.path.name]
    assert merged.deadline == submission_deadline(period, 5) != submission_deadline(period, 2)
