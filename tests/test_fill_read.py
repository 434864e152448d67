"""`cchc fill` → `cchc read` round trips on real files; text typed into numbers is reported."""

from __future__ import annotations

import hashlib
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from xl_addin.errors import CchcError
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import read_workbook

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")

PAYLOAD = {
    "values": {
        "so_ky_hieu": "147/BC-UBND", "dia_danh": "Phường Thành Sen", "ngay_bao_cao": "2026-06-16",
        "nguoi_ky": NFD_NAME, "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm",
        "kinh_gui": "Sở Nội vụ tỉnh Hà Tĩnh;\nVăn phòng UBND tỉnh", "tthc_ky_truoc": 1,
        "tthc_moi_truc_tuyen": 1049, "tthc_moi_truc_tiep": 9, "tthc_tiep_nhan_tong": 1059,
        "tthc_da_gq_truoc_han": 1054, "tthc_da_gq_dung_han": 5, "tthc_da_gq_qua_han": 0, "tthc_da_gq_tong": 1059,
        "tthc_dang_gq_tong": 0, "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0,
        "giai_ngan_thuc_hien": 54.02, "giai_ngan_ke_hoach": 146.25, "van_ban_dien_tu_ty_le": 99.95,
        "tham_quyen_ky_": None,
    },
    "lists": {
        "van_ban": [{"so_ky_hieu": "14/KH-UBND", "ngay": "2026-01-28", "loai": "ke_hoach",
                     "trich_yeu": "Kế hoạch cải cách hành chính năm 2026"},
                    {"so_ky_hieu": "06/QĐ-UBND", "ngay": "2026-01-20", "loai": "Quyết định",
                     "trich_yeu": "Ban hành quy chế chi tiêu nội bộ"}],
        "uu_diem": [{"noi_dung": "Công tác chỉ đạo được quan tâm."}],
    },
    "tables": {
        "bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 10, "truc_tuyen": 7, "truc_tiep": 2, "ky_truoc": 1},
                     {"linh_vuc": "Chứng thực", "tiep_nhan_tong": 5, "truc_tuyen": 5}],
    },
}


def _payload():
    data = {k: dict(v) for k, v in PAYLOAD.items()}
    data["values"].pop("tham_quyen_ky_")
    return data


@pytest.fixture()
def filled(tmp_path, unit_books):
    out = tmp_path / "filled.xlsx"
    fill_workbook(unit_books[0].path, _payload(), out)
    return out


def test_round_trip_every_type(filled):
    data = read_workbook(filled).to_json()
    v = data["values"]
    assert v["so_ky_hieu"] == "147/BC-UBND"
    assert v["ngay_bao_cao"] == "2026-06-16"
    assert v["nguoi_ky"] == unicodedata.normalize("NFC", NFD_NAME)
    assert v["tham_quyen_ky"] == "tm"
    assert v["kinh_gui"] == "Sở Nội vụ tỉnh Hà Tĩnh;\nVăn phòng UBND tỉnh"
    assert v["giai_ngan_thuc_hien"] == 54.02 and v["van_ban_dien_tu_ty_le"] == 99.95
    assert v["tthc_tiep_nhan_theo_thanh_phan"] == 1059 and v["tthc_chenh_lech"] == 0
    assert v["tthc_dang_gq_trong_han"] is None
    assert data["lists"]["van_ban"][1] == {"so_ky_hieu": "06/QĐ-UBND", "ngay": "2026-01-20", "loai": "quyet_dinh",
                                           "trich_yeu": "Ban hành quy chế chi tiêu nội bộ"}
    assert data["lists"]["uu_diem"] == [{"noi_dung": "Công tác chỉ đạo được quan tâm."}]
    assert data["tables"]["bieu_06a"][0]["linh_vuc"] == "Hộ tịch"
    assert data["table_totals"]["bieu_06a"]["tiep_nhan_tong"] == 15
    assert "phu_luc_4" not in data["tables"]  # Phụ lục 4 and 5 only in the profiles that use them
    assert data["unit"] == {"code": "18073", "name": "Phường Thành Sen"}
    assert data["period"] == {"code": "6T-2026", "from": "2025-12-15", "to": "2026-06-14"}
    assert data["problems"] == []


def test_fixed_table_round_trip_in_the_profile_that_uses_it(tmp_path):
    from conftest import filled_workbook

    path = filled_workbook(tmp_path, {"tables": {"phu_luc_4": [{"row": "vbqppl_ra_soat", "quy_1": 2, "quy_2": 3}]}},
                           profile="hue")
    data = read_workbook(path).to_json()
    ra_soat = next(r for r in data["tables"]["phu_luc_4"] if r["row"] == "vbqppl_ra_soat")
    assert ra_soat["tong_cong"] == 5 and data["problems"] == []
    with pytest.raises(CchcError) as info:
        fill_workbook(path, {"tables": {"phu_luc_4": [{"row": "khong_co", "quy_1": 1}]}}, tmp_path / "x.xlsx")
    assert info.value.code == "fill_unknown_code" and "khong_co" in info.value.message


def test_percent_stored_as_fraction_in_cell(filled, definition):
    pos = compute_layout(definition).fields["van_ban_dien_tu_ty_le"]
    ws = openpyxl.load_workbook(filled)[pos.sheet]
    assert abs(ws[pos.ref].value - 0.9995) < 1e-12
    assert ws[pos.ref].number_format == "[$-42A]0.00%"  # Vietnamese separators in LibreOffice too


def test_fill_keeps_protection_validation_and_names(filled):
    wb = openpyxl.load_workbook(filled)
    assert all(ws.protection.sheet for ws in wb.worksheets)
    assert wb["_meta"].sheet_state == "veryHidden"
    assert wb.defined_names["tthc_tiep_nhan_tong"]
    assert len(wb["Số liệu"].data_validations.dataValidation) > 5


def _typed_into(path: Path, definition, code: str, value) -> Path:
    layout = compute_layout(definition)
    pos = layout.fields[code]
    wb = openpyxl.load_workbook(path)
    wb[pos.sheet][pos.ref].value = value
    if definition.field_map()[code].type == "money":  # "54,020 tỷ typed as 54020": a workbook typing tỷ đồng
        unit = layout.fields["don_vi_tien"]
        wb[unit.sheet][unit.ref].value = "tỷ đồng"
    out = path.with_name(f"typed_{code}.xlsx")
    wb.save(out)
    return out


@pytest.mark.parametrize("raw,code,problem", [
    ("1.059", "tthc_tiep_nhan_tong", "value_text_number"),
    ("5 người", "nhan_su_tong", "value_text_number"),
    ("—", "tthc_tra_lai", "value_not_number"),
    (12.5, "tthc_tra_lai", "value_not_integer"),
    (-3, "tthc_tra_lai", "value_negative"),
    (54020, "giai_ngan_thuc_hien", "value_implausible"),
    ("15/6/2026", "ngay_bao_cao", "value_not_date"),
    ("Ký bừa", "tham_quyen_ky", "value_not_choice"),
])
def test_bad_cell_values_are_reported_never_zero(filled, definition, raw, code, problem):
    path = _typed_into(filled, definition, code, raw)
    data = read_workbook(path)
    found = [p for p in data.problems if p.field == code]
    assert [p.code for p in found] == [problem]
    pos = compute_layout(definition).fields[code]
    assert found[0].cell == f"{pos.sheet}!{pos.ref}"
    assert path.name in found[0].message and pos.ref in found[0].message
    if problem in ("value_text_number", "value_not_number", "value_not_integer", "value_not_date", "value_not_choice"):
        assert data.values[code] is None  # never 0, never guessed


def test_fill_refuses_unknown_codes_and_wrong_types(tmp_path, unit_books):
    src = unit_books[0].path
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    cases = [
        ({"values": {"khong_co_ma": 1}}, "fill_unknown_code"),
        ({"values": {"tthc_tra_lai": "mười"}}, "fill_bad_value"),
        ({"values": {"tthc_tra_lai": 1.5}}, "fill_bad_value"),
        ({"values": {"ngay_bao_cao": "16/06/2026"}}, "fill_bad_value"),
        ({"values": {"tham_quyen_ky": "ky_bua"}}, "fill_bad_value"),
        ({"values": {"tthc_chenh_lech": 0}}, "fill_computed"),
        ({"values": {"van_ban_dien_tu_ty_le": 120}}, "fill_bad_value"),
        ({"lists": {"uu_diem": [{"noi_dung": "x"}] * 16}}, "fill_too_many_rows"),
        ({"tables": {"phu_luc_4": [{"row": "khong_co", "quy_1": 1}]}}, "fill_unknown_code"),
    ]
    for payload, code in cases:
        out = tmp_path / "x.xlsx"
        with pytest.raises(CchcError) as info:
            fill_workbook(src, payload, out)
        assert info.value.code == code, payload
        assert not out.exists()
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before


def test_fill_refuses_to_overwrite_its_input(unit_books, tmp_path):
    src = tmp_path / "in.xlsx"
    shutil.copy(unit_books[0].path, src)
    with pytest.raises(CchcError) as info:
        fill_workbook(src, {"values": {}}, src)
    assert info.value.code == "output_exists"


@pytest.mark.parametrize("content,code", [(b"", "file_empty"), (b"hello", "file_is_text"),
                                          (b"PK\x03\x04garbage", "zip_truncated")])
def test_read_refuses_non_workbooks(tmp_path, content, code):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(CchcError) as info:
        read_workbook(path)
    assert info.value.code == code and "bad.xlsx" in info.value.message


def test_read_refuses_a_workbook_that_is_not_ours(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(path)
    with pytest.raises(CchcError) as info:
        read_workbook(path)
    assert info.value.code == "not_our_template"


def test_previous_period_carries_standing_values(tmp_path, definition, units, filled):
    from xl_addin.definition.periods import parse_period
    from xl_addin.workbook.build import build_unit_workbooks

    prev_dir = tmp_path / "prev"
    prev_dir.mkdir()
    prev = prev_dir / "prev.xlsx"
    fill_workbook(filled, {"values": {"tthc_dang_gq_tong": 7}, "lists": {"noi_nhan": [{"noi_nhan": "Sở Nội vụ"}]}},
                  prev)
    results = build_unit_workbooks(definition, units[:2], parse_period("9T-2026", definition), tmp_path / "new",
                                   prev_dir)
    assert [r.carried for r in results] == [True, False]
    data = read_workbook(results[0].path)
    assert data.values["tthc_ky_truoc"] == 7
    assert data.values["dia_danh"] == "Phường Thành Sen" and data.values["tham_quyen_ky"] == "tm"
    assert data.values["so_ky_hieu"] is None  # not a standing field
    assert data.lists["noi_nhan"] == [{"noi_nhan": "Sở Nội vụ"}]
    assert data.period["code"] == "9T-2026"


def test_reference_after_other_attributes_reads_the_same(filled, tmp_path):
    """A writer that puts r="…" after the style (legal XML) takes the exact extent walk instead of
    the quick check, and every value, problem and tamper finding comes out the same."""
    import re
    import zipfile

    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(filled) as zin, zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as zout:
        changed = 0
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data, n = re.subn(rb'<c r="([A-Z]+[0-9]+)"((?: [a-z]+="[^"]*")+)', rb'<c\2 r="\1"', data)
                changed += n
            zout.writestr(info, data)
    assert changed > 500
    from xl_addin.workbook import safety

    with zipfile.ZipFile(moved) as zf:
        body = zf.read("xl/worksheets/sheet3.xml")
    assert not safety.quick_extent_ok(body)
    assert safety.exact_extent(body)[0] > 50
    a, b = read_workbook(filled).to_json(), read_workbook(moved).to_json()
    a.pop("file"), b.pop("file")
    strip = [{k: v for k, v in p.items() if k != "message"} for p in a["problems"]]
    assert strip == [{k: v for k, v in p.items() if k != "message"} for p in b["problems"]]
    a.pop("problems"), b.pop("problems")
    assert a == b


@pytest.mark.parametrize("rows_xml, expected", [
    ('<row r="9999"><c r="GR9999"><v>1</v></c></row>', (9999, 200)),
    ('<row r="9999"><c r="A9999"><v>1</v></c></row><row><c><v>1</v></c></row><row><c><v>1</v></c><c><v>1</v></c></row>',
     (10001, 2)),
    ('<row r="5"><c r="C5"><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>', (5, 5)),
    ('<row r="7"><c r="GS7"><v>1</v></c></row>', (7, 201)),
    ('<row r="3"><c r="A99999999999999999999"/></row>', (10**10, 1)),
    # a row tag does not move a cell that has its own reference, and an empty row reaches nowhere
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="99999" ht="20" customHeight="1"/>', (1, 1)),
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="99999"><c r="B1"><v>2</v></c></row>', (1, 2)),
])
def test_exact_extent_places_cells_like_calamine(rows_xml, expected):
    from xl_addin.workbook import safety

    sheet_data = f"<sheetData>{rows_xml}</sheetData>".encode()
    body = b"<worksheet>" + sheet_data + b"</worksheet>"
    assert safety.exact_extent(body) == expected
    within = expected[0] <= 10_000 and expected[1] <= 200
    assert not safety.quick_extent_ok(body) or within
    if "r=\"99999\"" in rows_xml:  # the quick check needs no look at row tags
        assert safety.quick_extent_ok(body)
    if expected[0] < 10**6:  # python-calamine itself puts the last cell there
        import io
        import re
        import zipfile

        from python_calamine import CalamineWorkbook

        buf = io.BytesIO()
        openpyxl.Workbook().save(buf)
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb"<sheetData\s*/>|<sheetData>.*</sheetData>", sheet_data, data)
                zout.writestr(info.filename, data)
        book = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue()))
        grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        assert (len(grid), max(map(len, grid))) == expected


def test_quoted_angle_brackets_and_single_quotes_are_read_like_any_xml_parser(filled, tmp_path):
    """A ">" inside a quoted attribute value and single-quoted attributes are legal XML: our own
    reading of the package (sheet list, references) must see what python-calamine sees."""
    import zipfile

    odd = tmp_path / "odd.xlsx"
    changed = []
    with zipfile.ZipFile(filled) as zin, zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            before = data
            if info.filename == "xl/workbook.xml":
                data = data.replace('name="Văn bản"'.encode(), "x:note=\"a>b\" name='Văn bản'".encode())
                data = data.replace(b"<workbook ", b'<workbook xmlns:x="urn:x" ', 1)
            if info.filename == "xl/worksheets/sheet3.xml":  # a cell whose style comes before r="…"
                data = data.replace(b'<c r="D7" s="', b'<c x:s=">" r="D7" s="', 1).replace(
                    b"<worksheet ", b'<worksheet xmlns:x="urn:x" ', 1)
            if data != before:
                changed.append(info.filename)
            zout.writestr(info, data)
    assert sorted(changed) == ["xl/workbook.xml", "xl/worksheets/sheet3.xml"]
    a, b = read_workbook(filled).to_json(), read_workbook(odd).to_json()
    a.pop("file"), b.pop("file")
    assert [p["code"] for p in a["problems"]] == [p["code"] for p in b["problems"]]
    a.pop("problems"), b.pop("problems")
    assert a == b
