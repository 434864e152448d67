"""Live checks: the workbook shows what is wrong by itself, with no add-in.

LibreOffice is the spreadsheet engine: it recalculates real filled workbooks; what it computes is
compared with the rule engine on the same files. Conditional-format conditions are evaluated by
LibreOffice too, through probe cells holding the very same formulas, and the page is rendered to
PNG (red and orange pixels counted; the PNGs are kept for a person to look at).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.definition.units import Unit
from xl_addin.rules.engine import validate
from xl_addin.workbook import live
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import K_GAP, K_STATUS, compute_layout
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook, needs_soffice, run_soffice

PROBE_COL = 30  # a column far right of every printed area: the probes never show

# Every live rule fails in PLANTED or PAIRS (two pair rules need one side blank, their ×3 rules both).
PLANTED = {
    "values": {
        "tthc_ky_truoc": 1, "tthc_moi_truc_tuyen": 1049, "tthc_moi_truc_tiep": 9, "tthc_tiep_nhan_tong": 1060,
        "tthc_da_gq_truoc_han": 1054, "tthc_da_gq_dung_han": 4, "tthc_da_gq_qua_han": 0, "tthc_da_gq_tong": 1059,
        "tthc_dang_gq_trong_han": 1, "tthc_dang_gq_qua_han": 1, "tthc_dang_gq_tong": 3, "tthc_cho_bo_sung": 0,
        "tthc_tra_lai": 0, "kh_cchc_nhiem_vu_tong": 10, "kh_cchc_nhiem_vu_hoan_thanh": 12,
        "kh_cchc_ty_le_bao_cao": 26.66, "kh_cchc_hoat_dong_tong": 20, "kh_cchc_hoat_dong_hoan_thanh": 21,
        "nv_cap_tren_giao_tong": 10, "nv_cap_tren_dung_han": 8, "nv_cap_tren_qua_han": 1,
        "pakn_tiep_nhan": 5, "pakn_da_xu_ly": 6, "so_hoa_ho_so": 2000, "so_hoa_ket_qua": 1100,
        "tthc_cong_khai": 150, "dvctt_toan_trinh": 100, "dvctt_mot_phan": 100,
        "hai_long_tong": 100, "hai_long_rat": 50, "hai_long_hai_long": 40, "hai_long_binh_thuong": 5,
        "hai_long_khong": 4, "nhan_su_tong": 41, "nhan_su_cbcc": 18, "nhan_su_kct_xa": 9, "nhan_su_kct_thon": 14,
        "nhan_su_hop_dong": 2, "bien_che_giao": 30, "bien_che_co_mat": 31,
        "thu_ns_thuc_hien": 1000, "thu_ns_ke_hoach": 310, "giai_ngan_thuc_hien": 500, "giai_ngan_ke_hoach": 146.25,
        "pbgdpl_so_nguoi": 600000,  # above its plausible bound: orange
        "ngay_bao_cao": "2026-06-03",  # signed before the data window closes (14/06)
        "thu_ns_ty_le_bao_cao": 322.5,  # 322,58 % cut to one decimal: a rounding slip
        "giai_ngan_ty_le_bao_cao": 341.9,  # 341,88 % rounded to one decimal: agrees
    },
    "tables": {
        "bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 10, "truc_tuyen": 7, "truc_tiep": 2, "ky_truoc": 0,
                      "da_gq_tong": 5, "truoc_han": 2, "dung_han": 2, "qua_han": 0, "dang_gq_tong": 3,
                      "trong_han": 1, "dang_qua_han": 1},
                     {"linh_vuc": "Chứng thực", "tiep_nhan_tong": 1, "truc_tuyen": 1, "dang_gq_tong": 1,
                      "trong_han": 1}],
    },
}
PAIRS = {"values": {"giai_ngan_thuc_hien": 54.02, "thu_ns_ke_hoach": 310,
                    "tthc_da_gq_truoc_han": 8, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 0,
                    "tthc_da_gq_tong": 7, "tthc_ty_le_dung_han_phan_mem": 99.9}}  # 114 % of a share; typed ≠
# issue 13's indicators: a second planted book (money typed in đồng by the ward, read in tỷ đồng)
PLANTED_2 = {"values": {
    "tthc_moi_tong": 100, "tthc_moi_truc_tuyen": 60, "tthc_moi_truc_tiep": 30, "tthc_toan_trinh": 40,
    "tthc_mot_phan": 30, "tthc_da_gq_dung_va_truoc_han": 50, "tthc_da_gq_truoc_han": 30, "tthc_da_gq_dung_han": 10,
    "tthc_da_gq_tong": 80, "tthc_tra_kq_bcci": 90, "tthc_ket_qua_dien_tu": 85, "tthc_thanh_toan_truc_tuyen": 81,
    "tthc_tiep_nhan_tong": 100, "tthc_phi_dia_gioi": 120, "don_thu_da_gq": 10, "don_thu_ky_truoc": 2,
    "don_thu_tiep_nhan": 5, "tiep_cong_dan_luot": 10, "tiep_cong_dan_dinh_ky": 3, "tiep_cong_dan_thuong_xuyen": 3,
    "tiep_cong_dan_dot_xuat": 3, "bo_nhiem": 5, "bo_nhiem_moi": 2, "bo_nhiem_lai": 2, "dvsn_tu_chu": 10,
    "dvsn_tu_chu_hoan_toan": 6, "dvsn_tu_chu_mot_phan": 6, "dvsn_tu_chu_truong_hoc": 11, "doi_du_can_bo": 1,
    "doi_du_cong_chuc": 1, "bien_che_cap_xa_co_mat": 25, "bien_che_cap_xa_giao": 22, "vien_chuc_co_mat": 12,
    "vien_chuc_giao": 10, "giai_ngan_cap_minh_thuc_hien": 30, "giai_ngan_cap_xa_thuc_hien": 30.5,
    "giai_ngan_thuc_hien": 50, "kinh_phi_cntt_da_chi": 6, "kinh_phi_cntt_phan_bo": 4.25,
    "thu_ns_thuc_hien": 1845.655, "thu_ns_ke_hoach": 1000}}  # 1.845,655 tỷ: above a ward's bound
HUE = {"tables": {"phu_luc_5": [{"linh_vuc": "Đất đai", "chua_gq_truoc_ky": 1, "nhan_tong": 5, "nhan_thu_7": 6,
                                 "truoc_hen": 1, "dung_hen": 1, "tre_hen": 1, "dang_thu_ly": 1, "da_qua_han": 1}]}}
HA_TINH = {"values": {"dn_dong_gop_ns": 2.5, "thu_ns_tien_dat": 12, "thu_ns_thuc_hien": 10, "thu_ns_ke_hoach": 9}}
BALANCED = {
    "values": {
        "tthc_ky_truoc": 1, "tthc_moi_truc_tuyen": 1049, "tthc_moi_truc_tiep": 9, "tthc_tiep_nhan_tong": 1059,
        "tthc_da_gq_truoc_han": 1054, "tthc_da_gq_dung_han": 5, "tthc_da_gq_qua_han": 0, "tthc_da_gq_tong": 1059,
        "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0, "tthc_dang_gq_tong": 0, "tthc_cho_bo_sung": 0,
        "tthc_tra_lai": 0, "hai_long_rat": 105, "hai_long_hai_long": 40, "hai_long_binh_thuong": 0,
        "hai_long_khong": 0, "hai_long_tong": 145, "giai_ngan_thuc_hien": 54.02, "giai_ngan_ke_hoach": 146.25,
        "thu_ns_thuc_hien": 1.845655, "thu_ns_ke_hoach": 4.369, "kh_cchc_nhiem_vu_tong": 60,
        "kh_cchc_nhiem_vu_hoan_thanh": 16, "kh_cchc_ty_le_bao_cao": 26.67, "tthc_ty_le_dung_han_phan_mem": 100,
        "ngay_bao_cao": "2026-06-16",
    },
    "tables": {"bieu_06a": [{"linh_vuc": "Hộ tịch", "tiep_nhan_tong": 1059, "truc_tuyen": 1049, "truc_tiep": 9,
                             "ky_truoc": 1, "da_gq_tong": 1059, "truoc_han": 1054, "dung_han": 5, "qua_han": 0,
                             "dang_gq_tong": 0, "trong_han": 0, "dang_qua_han": 0}]},
}


def _violated(rule, gap) -> bool:
    """The rule fails by the value LibreOffice computed in its gap cell (the test's own oracle)."""
    if gap in (None, ""):
        return False
    assert isinstance(gap, (int, float)), (rule.id, gap)
    gap, tol = Decimal(repr(gap)), rule.tolerance
    if rule.table or rule.operator in ("compulsory_pair", "exclusive_pair"):
        return gap > 0
    return {"==": abs(gap) > tol, "!=": abs(gap) <= tol, "<=": gap > tol, ">=": gap < -tol, "<": gap >= 0,
            ">": gap <= 0}[rule.operator]


def _probe(src: Path, dst: Path, layout) -> dict[tuple[str, str], tuple[str, str]]:
    """Copy ``src`` with every red and orange condition written into a probe cell LibreOffice will
    compute: (sheet, probe cell) -> (the cell it colours, "red" or "orange"). A condition over a
    range (a table's rows) gets one probe per row, its row-relative references moved down."""
    wb = openpyxl.load_workbook(src)
    plan = live.plan(layout)
    probes: dict[tuple[str, str], tuple[str, str]] = {}
    used: dict[str, int] = {}

    def put(sheet: str, formula: str, target: str, colour: str) -> None:
        row = used[sheet] = used.get(sheet, 0) + 1
        ref = f"{openpyxl.utils.get_column_letter(PROBE_COL)}{row}"
        wb[sheet][ref] = f"=IF({formula},1,0)"
        probes[(sheet, ref)] = (target, colour)

    def put_range(sheet: str, cells: str, formula: str, colour: str) -> None:
        if ":" not in cells:
            put(sheet, formula, f"{sheet}!{cells}", colour)
            return
        first, last = (int(re.sub(r"[A-Z$]", "", part)) for part in cells.split(":"))
        column = re.sub(r"[0-9]", "", cells.split(":")[0])
        for row in range(first, last + 1):
            moved = re.sub(rf"(\$?)([A-Z]+){first}\b", rf"\g<1>\g<2>{row}", formula)
            put(sheet, moved, f"{sheet}!{column}{row}", colour)

    for cell, conditions in plan.red.items():
        sheet, ref = cell.split("!", 1)
        if ":" not in ref:
            put(sheet, live._or(conditions), cell, "red")
    for sheet, cells, formula in plan.red_ranges:
        put_range(sheet, cells, formula, "red")
    for cell, formula in plan.orange.items():
        sheet, ref = cell.split("!", 1)
        put_range(sheet, ref, formula, "orange")
    wb.save(dst)
    return probes


BOOKS = {  # name: (payload, unit, profile, period)
    "planted": (PLANTED, None, None, "6T-2026"), "pairs": (PAIRS, None, None, "6T-2026"),
    "balanced": (BALANCED, None, None, "6T-2026"), "planted-2": (PLANTED_2, None, None, "6T-2026"),
    "hue": (HUE, Unit("19744", "Phường Thuận Hóa", "phuong", "46", "QD19_2025"), "hue", "6T-2026"),
    "ha-tinh": (HA_TINH, Unit("18229", "Xã Đức Thọ", "xa", "42", "QD19_2025"), "ha-tinh", "6T-2026"),
    # a district (before 1/7/2025), typing tỷ đồng: the same 1.845,655 tỷ is within its level's bound
    "district": ({"values": {"thu_ns_thuc_hien": 1845.655, "thu_ns_ke_hoach": 1000}},
                 Unit("436", "Huyện Đức Thọ", "huyen", "42", "QD124_2004"), None, "6T-2025"),
}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """Each book (with probes) recalculated by LibreOffice in a folder whose path holds Vietnamese
    letters, spaces and «&»: name -> (filled file, its layout, probes, recalculated file)."""
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("live")
    folder = base / "Báo cáo & kiểm tra"
    folder.mkdir()
    books = {}
    for name, (payload, unit, profile, period) in BOOKS.items():
        filled = filled_workbook(base, payload, unit=unit, profile=profile, period=period, name=f"{name}.xlsx")
        layout = read_workbook(filled).layout
        books[name] = (filled, layout, _probe(filled, folder / f"{name}.xlsx", layout))
    shutil.copy(books["planted"][0], folder / "planted-view.xlsx")  # without probes: what a clerk sees
    out = folder / "lo"
    names = [*books, "planted-view"]
    result = run_soffice(["--calc", "--convert-to", "xlsx", "--outdir", str(out),
                          *[str(folder / f"{n}.xlsx") for n in names]], base)
    for name in names:
        assert (out / f"{name}.xlsx").exists(), result.stderr
    found = {name: (filled, layout, probes, out / f"{name}.xlsx") for name, (filled, layout, probes) in books.items()}
    found["planted-view"] = (books["planted"][0], books["planted"][1], {}, out / "planted-view.xlsx")
    return found


def _engine_ids(filled: Path) -> set[str]:
    """The rule engine's finding ids, with a typed ratio's two verdicts under the check's row id."""
    ids = set()
    for f in validate(read_workbook(filled)):
        ids.add(re.sub(r"_(ty_le_nhap_sai|sai_so_lam_tron)$", "_ty_le_nhap", f.rule))
    return ids


@needs_soffice
def test_every_planted_gap_is_nonzero_under_a_red_format(recalculated):
    failed: set[str] = set()
    expected: set[str] = set()
    for name, (filled, layout, _probes, calc) in recalculated.items():
        if name == "planted-view":
            continue
        definition = layout.definition
        rules = live.live_rules(definition)
        checks = rules + [r for r, _ratio, _kind in live.ratio_checks(definition)]
        assert len(live.manual_rules(definition)) == 6  # the register checks of Văn bản
        expected |= {r.id for r in rules}
        engine = _engine_ids(filled)
        wb = openpyxl.load_workbook(calc, data_only=True)
        statuses = []
        for rule in checks:
            pos = layout.checks[rule.id]
            ws = wb[pos.sheet]
            gap, status = ws.cell(row=pos.row, column=K_GAP).value, ws.cell(row=pos.row, column=K_STATUS).value
            bad = _violated(rule, gap)
            assert bad == (rule.id in engine), (name, rule.id, gap, status)
            statuses.append(status)
            if bad:
                failed.add(rule.id)
                assert status.startswith(("Lỗi", "Cảnh báo")), (name, rule.id, status)
            else:
                assert status in ("Đạt", "Chưa đủ số liệu"), (name, rule.id, status)
        if name == "balanced":
            bad = [(c.id, st) for c, st in zip(checks, statuses, strict=True) if st.startswith(("Lỗi", "Cảnh"))]
            assert statuses.count("Đạt") >= 12 and not bad, bad
        if name == "planted":
            assert statuses[[c.id for c in checks].index("ty_le_thu_ns_ty_le_nhap")].startswith("Cảnh báo: cắt bớt")
            assert statuses[[c.id for c in checks].index("ty_le_giai_ngan_ty_le_nhap")] == "Đạt"
    assert expected <= failed, f"live rules never planted: {sorted(expected - failed)}"
    assert {"ty_le_kh_cchc_tren_100", "ty_le_gq_dung_han_tren_100", "ty_le_kh_cchc_ty_le_nhap",
            "ty_le_gq_dung_han_ty_le_nhap", "ty_le_thu_ns_ty_le_nhap"} <= failed
    # each failed gap sits under a red conditional format, in the file LibreOffice wrote back
    _filled, layout, _probes, calc = recalculated["planted"]
    wb = openpyxl.load_workbook(calc)
    sheet = next(s.name for s in layout.definition.sheets if s.kind == "checks")
    formats = [(cf.sqref, rule) for cf in wb[sheet].conditional_formatting for rule in cf.rules]
    for check in failed & set(layout.checks):
        ref = f"E{layout.checks[check].row}"
        assert [r for sqref, r in formats if ref in sqref and _fill(r) == live.RED], check


def _fill(cf_rule) -> str | None:
    fill = cf_rule.dxf.fill if cf_rule.dxf is not None else None
    for color in (getattr(fill, "bgColor", None), getattr(fill, "fgColor", None)):
        if color is not None and isinstance(color.rgb, str) and color.rgb not in ("00000000",):
            return color.rgb[-6:].upper()
    return None


@needs_soffice
def test_red_and_orange_cells_are_the_cells_the_checks_name(recalculated):
    """Every red condition, computed by LibreOffice, marks exactly the cells the rule engine names in
    its findings of live rules and ratio checks; every orange one exactly the cells the reader finds
    implausible for the unit's level (in the contract unit, whatever money unit the clerk typed in)."""
    for name, (filled, layout, probes, calc) in recalculated.items():
        if name == "planted-view":
            continue
        ids = set(layout.checks)
        data = read_workbook(filled)
        engine = set()
        for f in validate(data):
            if re.sub(r"_(ty_le_nhap_sai|sai_so_lam_tron)$", "_ty_le_nhap", f.rule) in ids:
                engine.update(f.cells)
        implausible = {p.cell for p in data.problems if p.code == "value_implausible"}
        wb = openpyxl.load_workbook(calc, data_only=True)
        odd = {(s, r, probes[(s, r)][0]): wb[s][r].value for s, r in probes if wb[s][r].value not in (0, 1)}
        assert not odd, (name, odd)
        lit = {colour: {t for (s, r), (t, c) in probes.items() if c == colour and wb[s][r].value == 1}
               for colour in ("red", "orange")}
        assert lit["red"] == engine, (name, sorted(lit["red"] ^ engine))
        assert lit["orange"] == implausible, (name, sorted(lit["orange"] ^ implausible))
        if name == "planted":
            assert len(lit["red"]) >= 40 and lit["orange"]
        if name == "planted-2":  # a ward types đồng: 1.845.655.000.000 đồng is 1.845,655 tỷ, above its bound
            assert layout.fields["thu_ns_thuc_hien"].address in lit["orange"]
        if name == "district":  # the same amount in tỷ đồng, within a district's bound
            assert layout.fields["thu_ns_thuc_hien"].address not in lit["orange"]


def _pixels(ppm: Path) -> list[tuple[int, int, int]]:
    data = ppm.read_bytes()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6" and parts[3] == b"255"
    width, height, body = int(parts[1]), int(parts[2]), parts[4]
    return [tuple(body[i:i + 3]) for i in range(0, width * height * 3, 3)]


@needs_soffice
def test_rendered_checks_page_shows_red_and_the_fields_page_orange(recalculated, tmp_path):
    calc = recalculated["planted-view"][3]
    src = tmp_path / "Báo cáo lệch & thử.xlsx"
    shutil.copy(calc, src)  # already recalculated: rendered as Excel would paint it
    result = run_soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(src)], tmp_path)
    pdf = src.with_suffix(".pdf")
    assert pdf.exists(), result.stderr
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                          text=True).stdout).group(1))
    titles = [s.title for s in load_definition().sheets if s.title]
    sheet_of, current = {}, None
    for page in range(1, n + 1):  # a sheet's pages run from its title to the next sheet's title
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                              text=True).stdout
        current = next((t for t in titles if t in text), current)
        if current == "ĐỐI CHIẾU SỐ LIỆU TỰ ĐỘNG (KHÔNG CẦN ADD-IN)":
            sheet_of[page] = "checks"
        elif current == "SỐ LIỆU KẾT QUẢ THỰC HIỆN CẢI CÁCH HÀNH CHÍNH":
            sheet_of[page] = "fields"
    counts = {key: {"red": 0, "orange": 0} for key in ("checks", "fields")}
    for page, key in sheet_of.items():
        base = tmp_path / f"p{page}"
        subprocess.run(["pdftoppm", "-r", "60", "-f", str(page), "-l", str(page), str(pdf), str(base)], check=True)
        pixels = _pixels(next(tmp_path.glob(f"p{page}-*.ppm")))
        counts[key]["red"] += pixels.count((0xFF, 0xC7, 0xCE))
        counts[key]["orange"] += pixels.count((0xF4, 0xB0, 0x84))
    assert counts["checks"]["red"] > 2000, counts  # 24 failed rows: gap and verdict cells
    assert counts["fields"]["red"] > 2000 and counts["fields"]["orange"] > 100, counts


def test_input_messages_say_what_red_and_orange_mean(unit_books):
    layout = compute_layout(load_definition())
    wb = openpyxl.load_workbook(unit_books[0].path)
    prompts = {}
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            for cell_range in dv.sqref.ranges:
                for row in range(cell_range.min_row, cell_range.max_row + 1):
                    for col in range(cell_range.min_col, cell_range.max_col + 1):
                        prompts[(ws.title, row, col)] = dv.prompt or ""
    plan = live.plan(layout)
    for cell in list(plan.red) + list(plan.orange):
        sheet, ref = cell.split("!", 1)
        first = openpyxl.utils.cell.coordinate_from_string(ref.split(":")[0])
        row, col = first[1], openpyxl.utils.column_index_from_string(first[0])
        prompt = prompts.get((sheet, row, col), "")
        if cell in plan.red:
            assert "Nền đỏ" in prompt, cell
        if cell in plan.orange:
            assert "Nền cam" in prompt, cell
    for (_sheet, cells, _formula) in plan.red_ranges:
        sheet = _sheet
        first = openpyxl.utils.cell.coordinate_from_string(cells.split(":")[0])
        assert "Nền đỏ" in prompts[(sheet, first[1], openpyxl.utils.column_index_from_string(first[0]))], cells


def test_rules_that_cannot_be_live_are_listed_on_the_instructions_sheet(unit_books):
    definition = load_definition()
    wb = openpyxl.load_workbook(unit_books[0].path)
    text = "\n".join(str(c.value) for c in wb["Hướng dẫn"]["A"] if c.value)
    manual = live.manual_rules(definition)
    assert manual and all(live.not_live_reason(r, definition) == "list_check" for r in manual)
    for rule in manual:
        assert f"• {rule.name}" in text
    for rule in live.live_rules(definition):
        assert f"• {rule.name}\n" not in text + "\n"
    assert "Nền đỏ" in text and "Nền cam" in text and "kiem-tra.bat" in text


def test_fill_keeps_the_live_formats(tmp_path, unit_books):
    """cchc fill (openpyxl) and the per-unit stamping keep every conditional format of the template."""
    out = tmp_path / "filled.xlsx"
    fill_workbook(unit_books[0].path, {"values": {"tthc_tiep_nhan_tong": 5}}, out)
    layout = compute_layout(load_definition())
    plan = live.plan(layout)
    expected = len(plan.red_ranges) + len(plan.orange) + sum(len(live._chunks(c)) for c in plan.red.values())
    for path in (unit_books[0].path, out):
        wb = openpyxl.load_workbook(path)
        found = sum(1 for ws in wb.worksheets for cf in ws.conditional_formatting for rule in cf.rules
                    if _fill(rule) in (live.RED, live.ORANGE))
        assert found == expected, path
