"""The narrative report: the five example reports' figures written back as official prose,
the NĐ 30/2020 layout (header, signature, date rule), comparisons, the warning block, the
hand-edit guard, and the three outputs (text, the Báo cáo sheet, .docx) plus their PDFs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import prebuild
import pytest
from prebuild import prebuilt

from xl_addin.definition.loader import load_definition
from xl_addin.definition.models import FieldDef, Section
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.errors import CchcError
from xl_addin.narrative import (
    build_report,
    fmt,
    needs_confirmation,
    render_text,
    run_report,
    write_docx,
    write_pdf,
    write_report_sheet,
)
from xl_addin.narrative.sheet import build_layout
from xl_addin.rules.engine import validate
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.port import OpenpyxlPort
from xl_addin.workbook.reader import WorkbookData, read_workbook

from conftest import needs_soffice, run_soffice

REPORT_SHEET = "Báo cáo"


# --------------------------------------------------------------------------- workbooks
def _book(folder: Path, unit: Unit, period: str, payload: dict, profile: str | None = None,
          start: dt.date | None = None, end: dt.date | None = None) -> Path:
    def build(out: Path) -> None:
        definition = load_definition(profile=profile)
        built = folder / f"blank-{uuid.uuid4().hex[:6]}"
        [result] = build_unit_workbooks(definition, [unit], parse_period(period, definition, start, end), built)
        fill_workbook(result.path, payload, out)

    out = folder / f"{unit.code}_{period}_{uuid.uuid4().hex[:4]}.xlsx"
    return prebuild.reused(out, build, unit, period, payload, profile, start, end)


def _docs(*rows: tuple[str, str, str, str]) -> list[dict]:
    return [{"so_ky_hieu": a, "ngay": b, "loai": c, "trich_yeu": d} for a, b, c, d in rows]


def _items(*texts: str) -> list[dict]:
    return [{"noi_dung": t} for t in texts]


# The examples' figures (domain.md §8), their units and signers; what a report lacks stays empty.
EXAMPLES = {
    "000": dict(
        unit=Unit("18085", "Phường Hà Huy Tập", "phuong", "436", "QD124_2004"), period="6T-2022", profile="ha-tinh",
        payload={"values": {
            "so_ky_hieu": "/BC-UBND", "dia_danh": "Hà Huy Tập", "ngay_bao_cao": "2022-06-15",
            "kinh_gui": "UBND Thành phố Hà Tĩnh\nPhòng Nội vụ Thành phố Hà Tĩnh",
            "can_cu": "Văn bản số 335/SNV-CCHC&VTLT ngày 04/3/2022 của Sở Nội vụ "
                      "về hướng dẫn chế độ báo cáo CCHC định kỳ",
            "nguoi_ky": "Nguyễn Văn A", "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm",
            "kiem_tra_so_cuoc": 1, "tuyen_truyen_tin_bai": 35, "tthc_cong_khai": 186,
            "tthc_ky_truoc": 0, "tthc_moi_truc_tuyen": 179, "tthc_moi_truc_tiep": 241, "tthc_tiep_nhan_tong": 420,
            "tthc_da_gq_tong": 420, "tthc_da_gq_truoc_han": 420, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 0,
            "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0, "dao_tao_boi_duong": 4,
            "thu_ns_thuc_hien": 1.845655, "thu_ns_ke_hoach": 4.369},
            "lists": {"van_ban": _docs(
                ("13/KH-UBND", "2022-01-21", "ke_hoach", "Kế hoạch thực hiện công tác CCHC giai đoạn 2021-2030"),
                ("14/KH-UBND", "2022-01-28", "ke_hoach", "Kế hoạch CCHC phường Hà Huy Tập năm 2022"),
                ("06/QĐ-UBND", "2022-01-20", "quyet_dinh",
                 "Ban hành quy chế chi tiêu nội bộ, quản lý và sử dụng tài sản công năm 2022"),
                ("225/QĐ-UBND", "2022-12-31", "quyet_dinh",
                 "Ban hành Chương trình phát triển thanh niên phường giai đoạn 2021-2030")),
                "noi_nhan": [{"noi_nhan": "UBND Thành phố Hà Tĩnh"}, {"noi_nhan": "Phòng Nội vụ Thành phố"}]}}),
    "001": dict(
        unit=Unit("10525", "Phường Trần Hưng Đạo", "phuong", "288", "QD124_2004"), period="N-2023",
        start=dt.date(2023, 1, 1), end=dt.date(2023, 11, 30),
        payload={"values": {
            "so_ky_hieu": "/BC-UBND", "dia_danh": "Phường Trần Hưng Đạo",
            "nguoi_ky": "Vũ Ngọc Chiến", "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm",
            "vbqppl_ban_hanh": 0, "vbqppl_ra_soat": 189,
            "tthc_tiep_nhan_tong": 1059, "tthc_ky_truoc": 1, "tthc_moi_truc_tuyen": 1049, "tthc_moi_truc_tiep": 9,
            "tthc_da_gq_tong": 1059, "tthc_da_gq_truoc_han": 1054, "tthc_da_gq_dung_han": 5, "tthc_da_gq_qua_han": 0,
            "tthc_dang_gq_tong": 0, "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0,
            "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0, "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0,
            "hai_long_rat": 105, "hai_long_hai_long": 40, "hai_long_binh_thuong": 0, "hai_long_khong": 0,
            "hai_long_tong": 145, "van_ban_dien_tu_ty_le": 90},
            "lists": {
                "noi_nhan": [{"noi_nhan": "Đảng ủy, HĐND, UBND phường"}, {"noi_nhan": "Trưởng các ngành, đoàn thể"},
                             {"noi_nhan": "Lưu VP"}],
                "ton_tai": _items("Ứng dụng CNTT trong hoạt động quản lý nhà nước chưa đồng bộ."),
                "phuong_huong": _items("Tiếp tục đổi mới, nâng cao phẩm chất, năng lực đội ngũ cán bộ, công chức.",
                                       "Rà soát đơn giản hóa các thủ tục hành chính, theo quy định.")}}),
    "002": dict(
        unit=Unit("440", "Huyện Đức Thọ", "huyen", "42", "QD124_2004"), period="6T-2023", profile="ha-tinh",
        payload={"values": {
            "nguoi_ky": "Hoàng Xuân Hùng", "chuc_vu_ky": "PHÓ CHỦ TỊCH", "tham_quyen_ky": "kt",
            "dia_danh": "Đức Thọ", "ngay_bao_cao": "2023-06-20",
            "van_ban_chi_dao": 37, "kh_cchc_nhiem_vu_tong": 60, "kh_cchc_nhiem_vu_hoan_thanh": 16,
            "kh_cchc_ty_le_bao_cao": 26.66, "kh_cchc_hoat_dong_tong": 75, "kh_cchc_hoat_dong_hoan_thanh": 22,
            "kiem_tra_so_don_vi": 10, "nv_cap_tren_giao_tong": 45, "nv_cap_tren_dung_han": 44,
            "nv_cap_tren_qua_han": 1, "mo_hinh_sang_kien": 6, "gop_y_du_thao": 9, "pbgdpl_so_cuoc": 7,
            "pbgdpl_so_nguoi": 650, "vbqppl_ban_hanh": 0,
            "tthc_tiep_nhan_tong": 3622, "tthc_ky_truoc": 1004, "tthc_moi_truc_tuyen": 1170, "tthc_moi_truc_tiep": 1448,
            "tthc_da_gq_tong": 2965, "tthc_da_gq_truoc_han": 2965, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 0,
            "tthc_dang_gq_tong": 70, "tthc_dang_gq_trong_han": 70, "tthc_dang_gq_qua_han": 0,
            "tthc_cho_bo_sung": 541, "tthc_tra_lai": 46, "tthc_cong_khai": 254,
            "dvctt_toan_trinh": 131, "dvctt_mot_phan": 55, "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0,
            "hai_long_rat": 1144, "hai_long_hai_long": 14, "hai_long_binh_thuong": 0, "hai_long_khong": 0,
            "hai_long_tong": 1158, "bien_che_giao": 75, "bien_che_co_mat": 73, "bo_nhiem": 11, "ky_luat": 2,
            "giai_ngan_thuc_hien": 54.02, "giai_ngan_ke_hoach": 146.25, "giai_ngan_ty_le_bao_cao": 36.93,
            "thu_ns_thuc_hien": 80.404, "thu_ns_ke_hoach": 310, "thu_ns_ty_le_bao_cao": 25.93,
            "thu_ns_tien_dat": 41.371, "dau_tu_thuc_hien": 10, "dn_thanh_lap_moi": 15, "dn_ke_hoach": 20,
            "dn_dong_gop_ns": 39.033, "dn_dong_gop_ns_ke_hoach": 60.7},
            "lists": {"van_ban": _docs(
                ("111/KH-UBND", "2023-01-17", "quyet_dinh",
                 "Ban hành kế hoạch cải cách hành chính huyện Đức Thọ năm 2023"),
                ("730/KH-UBND", "2023-03-31", "ke_hoach",
                 "Kiểm tra, đánh giá công tác cải cách hành chính nhà nước năm 2023"),
                ("445/UBND-NV", "2023-03-07", "cong_van",
                 "V/v xây dựng, áp dụng sáng kiến, mô hình trong cải cách hành chính")),
                "noi_nhan": [{"noi_nhan": "UBND tỉnh Hà Tĩnh"}, {"noi_nhan": "Sở Nội vụ"},
                             {"noi_nhan": "Lưu: VT, NV."}],
                "uu_diem": _items(
                    "- Công tác cải cách hành chính được cấp ủy, chính quyền quan tâm lãnh đạo, chỉ đạo;"),
                "kien_nghi": _items("Đề nghị Sở Nội vụ tiếp tục tổ chức các lớp tập huấn nghiệp vụ.")}}),
    "003": dict(
        unit=Unit("18124", "Phường Đức Thuận", "phuong", "437", "QD124_2004"), period="N-2021", profile="ha-tinh",
        payload={"values": {
            "nguoi_ky": "Trần Văn B", "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm",
            "tthc_tiep_nhan_tong": 1905, "tthc_ky_truoc": 0, "tthc_moi_truc_tuyen": 312, "tthc_moi_truc_tiep": 1593,
            "tthc_da_gq_tong": 1905, "tthc_da_gq_truoc_han": 1904, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 1,
            "tthc_dang_gq_tong": 0, "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0,
            "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0, "tthc_ty_le_dung_han_phan_mem": 99.98,
            "nhan_su_tong": 41, "nhan_su_cbcc": 18, "nhan_su_kct_xa": 9, "nhan_su_kct_thon": 14,
            "nhan_su_hop_dong": 2}}),
    "004": dict(
        unit=Unit("480-VHTT", "Phòng Văn hóa và Thông tin", "phong", "480", "QD124_2004"), period="6T-2022",
        profile="hue",
        payload={"values": {
            "co_quan_chu_quan": "UBND thị xã Hương Trà", "so_ky_hieu": "147/BC-VHTT", "dia_danh": "Hương Trà",
            "ngay_bao_cao": "2022-06-03", "nguoi_ky": "Nguyễn Văn Duật", "chuc_vu_ky": "TRƯỞNG PHÒNG",
            "tham_quyen_ky": "truc_tiep", "bien_che_giao": 6, "bien_che_co_mat": 5, "tthc_cong_khai": 24,
            "iso_quy_trinh": 14, "tthc_tiep_nhan_tong": 10, "tthc_ky_truoc": 0, "tthc_moi_truc_tuyen": 0,
            "tthc_moi_truc_tiep": 10, "tthc_da_gq_tong": 10, "tthc_da_gq_truoc_han": 0, "tthc_da_gq_dung_han": 10,
            "tthc_da_gq_qua_han": 0, "tthc_dang_gq_tong": 0},
            "lists": {"noi_nhan": [{"noi_nhan": "Phòng Nội vụ"}]},
            "tables": {"phu_luc_5": [{"linh_vuc": "Văn hóa", "chua_gq_truoc_ky": 0, "nhan_tong": 10, "nhan_thu_7": 0,
                                      "dung_hen": 10, "dang_thu_ly": 0, "da_qua_han": 0}]}}),
}

# Every required input of the definition, consistent: a workbook validation finds no error in.
CLEAN = {
    "values": {
        "so_ky_hieu": "25/BC-UBND", "dia_danh": "Phường Thành Sen", "ngay_bao_cao": "2026-06-16",
        "nguoi_ky": "Nguyễn Thị Lan", "chuc_vu_ky": "CHỦ TỊCH", "tham_quyen_ky": "tm",
        "kh_cchc_nhiem_vu_tong": 40, "kh_cchc_nhiem_vu_hoan_thanh": 30, "nv_cap_tren_giao_tong": 12,
        "nv_cap_tren_dung_han": 12, "nv_cap_tren_qua_han": 0, "vbqppl_ban_hanh": 0, "vbqppl_ra_soat": 8,
        "tthc_cong_khai": 188, "tthc_ky_truoc": 0, "tthc_moi_truc_tuyen": 1800, "tthc_moi_truc_tiep": 200,
        "tthc_tiep_nhan_tong": 2000, "tthc_da_gq_truoc_han": 1980, "tthc_da_gq_dung_han": 0,
        "tthc_da_gq_qua_han": 20, "tthc_da_gq_tong": 2000, "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0,
        "tthc_dang_gq_tong": 0, "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0, "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0,
        "bien_che_giao": 22, "bien_che_co_mat": 21, "nhan_su_tong": 40, "nhan_su_cbcc": 21, "nhan_su_kct_xa": 9,
        "nhan_su_kct_thon": 10, "nhan_su_hop_dong": 0},
    "lists": {"noi_nhan": [{"noi_nhan": "Sở Nội vụ"}], "uu_diem": _items("Bộ phận Một cửa hoạt động nền nếp."),
              "ton_tai": _items("Một số máy tính đã xuống cấp."),
              "phuong_huong": _items("Nâng cao chất lượng giải quyết thủ tục hành chính.")},
}
SEN = Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025")


@prebuilt
def books(folder: Path) -> dict[str, Path]:
    out = {}
    for key, ex in EXAMPLES.items():
        out[key] = _book(folder, ex["unit"], ex["period"], ex["payload"], ex.get("profile"), ex.get("start"),
                         ex.get("end"))
    out["clean"] = _book(folder, SEN, "6T-2026", CLEAN)
    return out


@pytest.fixture(scope="module")
def reports(books) -> dict:
    return {key: build_report(path) for key, path in books.items()}


@pytest.fixture(scope="module")
def texts(reports) -> dict[str, str]:
    return {key: render_text(r) for key, r in reports.items()}


def _body(report) -> str:
    return "\n".join(b.text for b in report.body)


# --------------------------------------------------------------------------- the examples' sentences
def test_001_dossiers_received_resolved_and_on_time_rate(reports, texts):
    body = _body(reports["001"])
    assert ("+ Tổng số hồ sơ tiếp nhận: 1.059 hồ sơ, trong đó: số mới tiếp nhận trong kỳ 1.058 hồ sơ (trực tuyến "
            "1.049 hồ sơ; trực tiếp và qua dịch vụ bưu chính 09 hồ sơ); số từ kỳ trước chuyển qua 01 hồ sơ;") in body
    assert ("+ Số hồ sơ đã giải quyết: 1.059 hồ sơ, trong đó giải quyết trước hạn 1.054 hồ sơ, đúng hạn 05 hồ sơ, "
            "không có hồ sơ quá hạn; tỷ lệ giải quyết đúng hạn và trước hạn đạt 100% (1.059/1.059 hồ sơ);") in body
    assert "Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 99,15% (1.049/1.058 hồ sơ)" in body
    assert "(từ ngày 01/01/2023 đến ngày 30/11/2023)" in body  # the calendar window of 001
    assert "không có phản ánh, kiến nghị về quy định hành chính" in body
    assert "tổng số 145 lượt đánh giá, trong đó rất hài lòng 105 lượt, hài lòng 40 lượt" in body
    assert "đã rà soát, tự kiểm tra 189 văn bản" in body and "không ban hành văn bản quy phạm pháp luật" in body
    # zero is never printed as a number with a ratio
    assert "0 hồ sơ" not in body and "đạt 0%" not in body and "0/0" not in body
    r = reports["001"]
    assert r.trich_yeu == ("Kết quả thực hiện công tác cải cách hành chính năm 2023; "
                           "phương hướng, nhiệm vụ năm 2024")
    assert r.header.so_ky_hieu.startswith("Số:") and r.header.so_ky_hieu.endswith("/BC-UBND")
    # no signing date yet: the place line leaves the day and month blank (a draft, as 001 is)
    line = r.header.dia_danh_ngay
    assert line.startswith("Phường Trần Hưng Đạo, ngày\u00a0") and line.endswith("năm 2023")
    assert "tháng" in r.header.dia_danh_ngay and not any(ch.isdigit() for ch in r.header.dia_danh_ngay[:-4])
    assert r.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and r.signer == "Vũ Ngọc Chiến"
    assert r.recipients[-1] == "- Lưu VP." and r.recipients[0] == "- Đảng ủy, HĐND, UBND phường;"
    assert "> " not in body and "1. Tiếp tục đổi mới, nâng cao phẩm chất, năng lực đội ngũ cán bộ, công chức." in body


def test_002_budget_tasks_and_hatinh_sections_with_kt_signer(reports, texts):
    r = reports["002"]
    body = _body(r)
    assert ("đã chỉ đạo triển khai thực hiện và hoàn thành 16/60 nhiệm vụ, đạt 26,67%; 22/75 hoạt động, đạt 29,33% "
            "theo Kế hoạch cải cách hành chính năm 2023.") in body
    assert "Kết quả giải ngân vốn đầu tư công: 54,02 tỷ đồng/146,25 tỷ đồng, đạt 36,94% kế hoạch vốn được giao" in body
    assert ("Tổng thu ngân sách đến ngày 14/6/2023 là 80,404 tỷ đồng/310 tỷ đồng, đạt 25,94% kế hoạch, trong đó "
            "thu từ tiền sử dụng đất 41,371 tỷ đồng.") in body
    assert "Đã thành lập mới 15/20 doanh nghiệp, đạt 75% so với kế hoạch." in body
    assert "Thu ngân sách từ doanh nghiệp: 39,033 tỷ đồng/60,7 tỷ đồng, đạt 64,3% so với kế hoạch." in body
    assert "giá trị vốn đầu tư thực hiện trên địa bàn đạt 10 tỷ đồng" in body
    assert "- Đã thực hiện đúng hạn: 44 nhiệm vụ, đạt tỷ lệ 97,78%;" in body
    assert "- Thực hiện quá hạn: 01 nhiệm vụ, tỷ lệ 2,22%." in body
    assert ("+ Tổng số hồ sơ tiếp nhận: 3.622 hồ sơ, trong đó: số mới tiếp nhận trong kỳ 2.618 hồ sơ (trực tuyến "
            "1.170 hồ sơ; trực tiếp và qua dịch vụ bưu chính 1.448 hồ sơ); "
            "số từ kỳ trước chuyển qua 1.004 hồ sơ;") in body
    assert "+ Số hồ sơ chờ bổ sung: 541 hồ sơ; số hồ sơ trả lại, rút: 46 hồ sơ" in body
    assert ("rất hài lòng 1.144 lượt, hài lòng 14 lượt; tỷ lệ hài lòng (rất hài lòng và hài lòng) "
            "đạt 100% (1.158/1.158") in body
    # the documents issued, by type, with number, date and subject
    assert "- Kế hoạch (01 văn bản):" in body
    assert ("+ Kế hoạch số 730/KH-UBND ngày 31/3/2023 về kiểm tra, đánh giá công tác cải cách hành chính nhà nước "
            "năm 2023;") in body
    assert "+ Công văn số 445/UBND-NV ngày 07/3/2023 về việc xây dựng, áp dụng sáng kiến" in body
    headings = [b.text for b in r.body if b.kind == "heading"]
    for heading in ("7. Mức độ thu hút đầu tư", "8. Tỷ lệ doanh nghiệp thành lập mới trong năm",
                    "9. Tỷ lệ đóng góp của doanh nghiệp vào thu ngân sách", "10. Thực hiện thu ngân sách"):
        assert heading in headings
    # the revenue is told once, under II.10 (Hà Tĩnh), not again under II.5
    assert body.count("80,404 tỷ đồng") == 1
    assert r.signature == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] and r.signer == "Hoàng Xuân Hùng"
    assert r.header.co_quan == ["ỦY BAN NHÂN DÂN", "HUYỆN ĐỨC THỌ"]
    assert r.recipients[-1] == "- Lưu: VT, NV." and "- Lưu: VT." not in r.recipients
    assert "- Công tác cải cách hành chính được cấp ủy, chính quyền quan tâm lãnh đạo, chỉ đạo." in body
    assert "Ủy ban nhân dân huyện Đức Thọ" in r.closing and "UBND huyện đã ban hành 37 văn bản" in body
    # the clerk typed a Quyết định numbered as a Kế hoạch: an error, so the report opens with a warning
    assert r.errors >= 1 and r.blocks[0].kind == "warning" and texts["002"].startswith("CẢNH BÁO")
    assert any("111/KH-UBND" in b.text for b in r.warnings)


def test_003_on_time_rate_with_numerator_and_denominator(reports):
    body = _body(reports["003"])
    assert "tỷ lệ giải quyết đúng hạn và trước hạn đạt 99,95% (1.904/1.905 hồ sơ)" in body
    assert "giải quyết trước hạn 1.904 hồ sơ, quá hạn 01 hồ sơ" in body
    assert "Không còn hồ sơ đang giải quyết" in body
    warnings = " ".join(b.text for b in reports["003"].warnings)
    assert "99,98%" in warnings and "99,95%" in warnings  # the typed rate contradicts the computed one
    assert "41" in warnings and "43" in warnings


def test_000_money_in_dong_kinh_gui_opening_and_documents(reports, texts):
    r = reports["000"]
    body = _body(r)
    assert "1.845.655.000 đồng/4.369.000.000 đồng, đạt 42,24% kế hoạch" in body
    assert r.kinh_gui == ["UBND Thành phố Hà Tĩnh", "Phòng Nội vụ Thành phố Hà Tĩnh"]
    assert "Kính gửi:\n- UBND Thành phố Hà Tĩnh;\n- Phòng Nội vụ Thành phố Hà Tĩnh." in texts["000"]
    assert r.body[0].text == ("Thực hiện Văn bản số 335/SNV-CCHC&VTLT ngày 04/3/2022 của Sở Nội vụ về hướng dẫn chế độ "
                              "báo cáo CCHC định kỳ, Ủy ban nhân dân phường Hà Huy Tập báo cáo kết quả thực hiện công "
                              "tác cải cách hành chính 6 tháng đầu năm 2022 như sau:")
    assert "+ Kế hoạch số 14/KH-UBND ngày 28/01/2022 về CCHC phường Hà Huy Tập năm 2022;" in body
    assert "+ Quyết định số 06/QĐ-UBND ngày 20/01/2022 về ban hành quy chế chi tiêu nội bộ" in body
    assert "đã tổ chức 01 cuộc kiểm tra, tự kiểm tra" in body and "đăng tải 35 tin, bài" in body
    assert "Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 42,62% (179/420 hồ sơ)" in body
    assert r.header.dia_danh_ngay == "Hà Huy Tập, ngày 15 tháng 6 năm 2022"
    # the decision dated 31/12/2022 in a June report is an error: the warning block names it
    assert any("225/QĐ-UBND" in b.text for b in r.warnings)


def test_004_department_header_and_signer(reports, texts):
    r = reports["004"]
    h = r.header
    assert h.co_quan_chu_quan == "UBND THỊ XÃ HƯƠNG TRÀ"
    assert h.co_quan == ["PHÒNG VĂN HÓA VÀ THÔNG TIN"]
    assert h.so_ky_hieu == "Số: 147/BC-VHTT"
    assert h.dia_danh_ngay == "Hương Trà, ngày 03 tháng 6 năm 2022"
    assert r.signature == ["TRƯỞNG PHÒNG"] and r.signer == "Nguyễn Văn Duật"
    body = _body(r)
    assert ("+ Số hồ sơ đã giải quyết: 10 hồ sơ, trong đó đúng hạn 10 hồ sơ, không có hồ sơ quá hạn; tỷ lệ giải quyết "
            "đúng hạn và trước hạn đạt 100% (10/10 hồ sơ);") in body
    assert "Số liệu chi tiết tại Phụ lục 5 kèm theo." in body
    assert "số biên chế được giao 06 người; số có mặt tại thời điểm báo cáo 05 người" in body
    assert r.closing.endswith("của Phòng Văn hóa và Thông tin./.")
    assert r.recipients == ["- Phòng Nội vụ;", "- Lưu: VT."]
    lines = texts["004"].splitlines()
    top = next(i for i, line in enumerate(lines) if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line)
    assert "UBND THỊ XÃ HƯƠNG TRÀ" in lines[top]
    assert "PHÒNG VĂN HÓA VÀ THÔNG TIN" in lines[top + 1] and "Độc lập - Tự do - Hạnh phúc" in lines[top + 1]
    assert any("Số: 147/BC-VHTT" in x and "Hương Trà, ngày 03 tháng 6 năm 2022" in x for x in lines[top:top + 5])


@pytest.mark.parametrize("key", ["000", "001", "002", "003", "004", "clean"])
def test_structure_of_every_report(reports, texts, key):
    r = reports[key]
    tops = [b.text for b in r.body if b.kind == "heading" and b.level == 1]
    assert [t.split(".")[0] for t in tops] == ["I", "II", "III", "IV", "V"]
    assert tops[0] == "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH"
    assert tops[3].startswith("IV. PHƯƠNG HƯỚNG, NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH ") and "KỲ TỚI" not in tops[3]
    assert r.header.quoc_hieu == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert r.header.tieu_ngu == "Độc lập - Tự do - Hạnh phúc"
    assert r.title == "BÁO CÁO" and r.trich_yeu.startswith("Kết quả thực hiện công tác cải cách hành chính ")
    assert r.closing.startswith("Trên đây là báo cáo ") and r.closing.endswith("./.") and not r.closing.endswith(" ./.")
    assert r.recipients_label == "Nơi nhận:" and r.recipients[-1].startswith("- Lưu")
    assert all(x.endswith(";") for x in r.recipients[:-1]) and r.recipients[-1].endswith(".")
    text = texts[key]
    assert unicodedata.normalize("NFC", text) == text
    assert "Nơi nhận:" in text and r.closing in text
    for block in r.body:  # every block reads as a sentence: no stray template markup
        assert "{{" not in block.text and "{%" not in block.text and "  " not in block.text
        assert not block.text.startswith(("# ", "> ", "! ")) and " ," not in block.text and " ;" not in block.text


# --------------------------------------------------------------------------- formatting rules
@pytest.mark.parametrize("date, expected", [
    (dt.date(2025, 2, 5), {"day": "05", "month": "02", "year": "2025"}),
    (dt.date(2022, 6, 3), {"day": "03", "month": "6", "year": "2022"}),
    (dt.date(2026, 1, 19), {"day": "19", "month": "01", "year": "2026"}),
    (dt.date(2024, 12, 9), {"day": "09", "month": "12", "year": "2024"}),
    (dt.date(2024, 3, 31), {"day": "31", "month": "3", "year": "2024"}),
])
def test_place_and_date_leading_zero_rule(date, expected):
    assert fmt.date_parts(date) == expected
    assert fmt.date_short(date) == f"{expected['day']}/{expected['month']}/{expected['year']}"


def test_numbers_money_and_ratios_the_vietnamese_way():
    money = fmt.Money([{"unit": "tỷ đồng", "so_dong": 10 ** 9, "decimals": 3, "min": 1},
                       {"unit": "triệu đồng", "so_dong": 10 ** 6, "decimals": 0, "min": 1},
                       {"unit": "đồng", "so_dong": 1, "decimals": 0, "min": 0}])
    assert fmt.count(5) == "05" and fmt.count(Decimal(1059)) == "1.059"
    assert fmt.count(0) == "0" and fmt.count(10) == "10"
    assert fmt.plain(Decimal("54.020")) == "54,02" and fmt.plain(Decimal("310")) == "310"
    assert money.format([Decimal("54.02"), Decimal("146.25")], "tỷ đồng") == ["54,02 tỷ đồng", "146,25 tỷ đồng"]
    assert money.one(Decimal("1.845655"), "tỷ đồng") == "1.845.655.000 đồng"
    assert money.one(Decimal("0.5"), "tỷ đồng") == "500 triệu đồng"
    assert money.one(Decimal("0.397346"), "tỷ đồng") == "397.346.000 đồng"
    assert money.one(1500, "triệu đồng") == "1,5 tỷ đồng"
    assert fmt.percent(Decimal("99.95")) == "99,95%" and fmt.percent(100) == "100%"


@prebuilt
def periods(tmp: Path) -> tuple[Path, Path, Path]:
    """The same ward's workbooks of this half-year, the same half of last year and the last quarter."""
    now = dict(CLEAN, values=dict(CLEAN["values"]))
    before = dict(CLEAN, values=dict(CLEAN["values"], tthc_da_gq_truoc_han=1937, tthc_da_gq_qua_han=63,
                                     tthc_tiep_nhan_tong=1600, tthc_moi_truc_tuyen=1400))
    return (_book(tmp, SEN, "6T-2026", now), _book(tmp, SEN, "6T-2025", before),
            _book(tmp, SEN, "Q1-2026", before))


def test_comparison_same_period_last_year_and_previous_period(periods):
    current, last_year, last_quarter = periods
    body = _body(build_report(current, last_year))
    assert ("tỷ lệ giải quyết đúng hạn và trước hạn đạt 99% (1.980/2.000 hồ sơ), tăng 2,15 điểm phần trăm so với cùng "
            "kỳ năm 2025") in body
    assert "Tổng số hồ sơ tiếp nhận: 2.000 hồ sơ (tăng 400 hồ sơ, tương đương 25%, so với cùng kỳ năm 2025)" in body
    body = _body(build_report(current, last_quarter))
    assert "tăng 2,15 điểm phần trăm so với kỳ trước" in body and "cùng kỳ" not in body
    assert "so với" not in _body(build_report(current))


def test_clean_workbook_has_no_warning_and_errors_put_one_first(reports, texts):
    assert reports["clean"].errors == 0 and not reports["clean"].warnings
    assert texts["clean"].lstrip().startswith("ỦY BAN NHÂN DÂN")
    r = reports["003"]
    assert r.errors >= 2 and r.blocks[0].kind == "warning" and r.blocks[0].text.startswith("CẢNH BÁO")
    assert texts["003"].startswith("CẢNH BÁO: SỐ LIỆU CỦA SỔ TÍNH CÒN")


@prebuilt
def blank(tmp: Path) -> Path:
    """A ward's workbook as built, nothing typed."""
    definition = load_definition()
    [built] = build_unit_workbooks(definition, [SEN], parse_period("6T-2026", definition), tmp)
    return built.path


def test_empty_workbook_gives_a_skeleton(blank, tmp_path):
    report = build_report(blank)
    text = render_text(report)
    tops = [b.text.split(".")[0] for b in report.body if b.kind == "heading" and b.level == 1]
    assert tops == ["I", "II", "III", "IV", "V"]
    # sections I–II with neither numbers nor text keep heading and number, no placeholder (III–V,
    # whose content is typed on «Đánh giá», still say where to type it); validation lists them
    assert "(Chưa có số liệu" not in text and "(Chưa có nội dung" in text
    headings = [b.text for b in report.body if b.kind == "heading"]
    assert "1. Tổ chức chỉ đạo, điều hành; ban hành kế hoạch cải cách hành chính" in headings
    assert "6.2. Áp dụng hệ thống quản lý chất lượng TCVN ISO 9001:2015" in headings
    empty = [f for f in validate(read_workbook(blank)) if f.rule == "muc_trong"]
    assert len(empty) == 13 and {f.importance for f in empty} == {"info"}
    assert "Mục 6.2 «Áp dụng hệ thống quản lý chất lượng TCVN ISO 9001:2015»" in empty[-1].message
    assert report.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and report.recipients == ["- Lưu: VT."]
    assert report.header.dia_danh_ngay.startswith("Thành Sen, ngày\u00a0") and report.warnings  # NĐ 30: no type word
    result = run_report(blank, out=tmp_path / "skeleton.xlsx", docx=tmp_path / "skeleton.docx")
    assert Path(result["xlsx"]).exists() and Path(result["docx"]).exists()


def _data(definition, values: dict, level: str = "phuong") -> WorkbookData:
    """A workbook's values without a file (for what only the definition decides)."""
    layout = compute_layout(definition)
    full = {code: None for code in layout.fields}
    full.update({"don_vi_cap": level, "ky_bao_cao": "6T-2026"})
    full.update(values)
    return WorkbookData("x.xlsx", definition, layout, {"period_code": "6T-2026", "unit_level": level}, full,
                        lists={lst.code: [] for lst in definition.lists},
                        tables={t.code: [] for t in definition.tables},
                        cells={code: pos.address for code, pos in layout.fields.items()})


@pytest.mark.parametrize("level, authority, title, expected", [
    ("phuong", "tm", "CHỦ TỊCH", ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]),
    ("huyen", "kt", "PHÓ CHỦ TỊCH", ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    # a deputy never signs TM. alone
    ("xa", "tm", "Phó Chủ tịch", ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    ("phong", "truc_tiep", "TRƯỞNG PHÒNG", ["TRƯỞNG PHÒNG"]),
    ("phong", "kt", "PHÓ TRƯỞNG PHÒNG", ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"]),
    ("phuong", "tl", "CHÁNH VĂN PHÒNG", ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]),
    ("tinh", "q", "CHỦ TỊCH", ["TM. ỦY BAN NHÂN DÂN", "Q. CHỦ TỊCH"]),
    ("so", None, None, ["GIÁM ĐỐC"]),
])
def test_signature_block_from_authority_and_title(level, authority, title, expected):
    data = _data(load_definition(), {"don_vi_ten": "Đơn vị thử", "tham_quyen_ky": authority, "chuc_vu_ky": title,
                                     "nguoi_ky": "Lê Văn Cường"}, level=level)
    report = build_report(data)
    assert report.signature == expected and report.signer == "Lê Văn Cường"


def test_sheet_goes_through_the_port_in_a_few_bulk_calls(books, tmp_path):
    counts = []
    for key in ("clean", "002"):  # a short and a long report: the same number of round trips
        port = OpenpyxlPort(books[key])
        data = read_workbook(books[key])
        write_report_sheet(port, data, build_report(data))
        counts.append(port.calls)
    assert counts[0] == counts[1] <= 10


class ValuesPort:
    """A workbook port that only holds values (as a live book seen through xlwings would)."""

    def __init__(self, path: Path) -> None:
        wb = openpyxl.load_workbook(path)
        self.sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
        self.calls = 0
        self.name = path.name

    def sheet_names(self):
        self.calls += 1
        return list(self.sheets)

    def read_sheet(self, name, rows, cols):
        self.calls += 1
        grid = self.sheets[name]
        return [[(grid[r][c] if r < len(grid) and c < len(grid[r]) else None) for c in range(cols)]
                for r in range(rows)]

    def write_sheet(self, name, rows, widths, header_rows=1, after=None):
        self.calls += 1
        self.sheets[name] = [list(r) for r in rows]

    def write_cells(self, sheet, cells):
        self.calls += 1
        grid = self.sheets[sheet]
        for ref, value in cells.items():
            row, col = openpyxl.utils.cell.coordinate_to_tuple(ref)
            while len(grid) < row:
                grid.append([])
            grid[row - 1] += [None] * (col - len(grid[row - 1]))
            grid[row - 1][col - 1] = value

    def delete_sheet(self, name):
        self.calls += 1
        self.sheets.pop(name, None)

    def unprotect(self, sheets):
        self.calls += 1

    def protect(self, sheets):
        self.calls += 1


def test_a_values_only_port_gets_the_text_and_the_digest(books):
    port = ValuesPort(books["clean"])
    data = read_workbook(books["clean"])
    digest = write_report_sheet(port, data, build_report(data))
    cells = [c for row in port.sheets[REPORT_SHEET] for c in row if c]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and any(str(c).endswith("./.") for c in cells)
    assert digest in [v for row in port.sheets["_meta"] for v in row] and not needs_confirmation(port)
    port.sheets[REPORT_SHEET][-2][0] = "sửa tay"
    assert needs_confirmation(port)
    assert port.calls <= 16


def test_a_new_section_and_field_get_generic_sentences_without_python():
    """A profile's own section II.7 (not Hà Tĩnh's) and a field added to I.5: narrated from the definition."""
    definition = load_definition().model_copy(deep=True)
    ii = next(s for s in definition.sections if s.code == "II")
    ii.children.append(Section(code="II.7", title="Chương trình chuyển đổi số của tỉnh", fields=[
        FieldDef(code="cds_diem", label="Điểm tự đánh giá chuyển đổi số", type="decimal", unit="điểm", decimals=2,
                 section="II.7")], sheet="so_lieu"))
    i5 = next(s for s in definition.walk_sections() if s.code == "I.5")
    i5.fields.append(FieldDef(code="tiep_cong_dan_luot", label="Số lượt tiếp công dân", type="integer", unit="lượt",
                              section="I.5"))
    definition.profile = "quang-tri"
    data = _data(definition, {"don_vi_ten": "Phường Đông Hà", "cds_diem": Decimal("87.5"),
                              "tiep_cong_dan_luot": Decimal(12)})
    report = build_report(data)
    body = _body(report)
    assert "7. Chương trình chuyển đổi số của tỉnh" in [b.text for b in report.body if b.kind == "heading"]
    assert "- Điểm tự đánh giá chuyển đổi số: 87,5 điểm." in body
    assert "- Số lượt tiếp công dân: 12 lượt." in body
    assert "thu hút đầu tư" not in body  # Hà Tĩnh's II.7 wording stays with the Hà Tĩnh profile


# --------------------------------------------------------------------------- outputs
def test_text_alone_writes_nothing(books, tmp_path):
    src = tmp_path / "in.xlsx"
    shutil.copy(books["001"], src)
    before = src.read_bytes()
    result = run_report(src, text=True)
    assert result["xlsx"] is None and result["docx"] is None and result["pdf"] is None
    assert "1.059 hồ sơ" in result["text"] and unicodedata.is_normalized("NFC", result["text"])
    assert src.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_bad_output_choices_are_refused(books, tmp_path):
    src = books["clean"]
    with pytest.raises(CchcError) as err:
        run_report(src)
    assert err.value.code == "report_no_output"
    with pytest.raises(CchcError) as err:
        run_report(src, out=src)
    assert err.value.code == "report_output_is_input"
    with pytest.raises(CchcError) as err:
        run_report(src, out=tmp_path / "x.xlsx", in_place=True)
    assert err.value.code == "report_output_conflict"


def test_hand_edited_sheet_is_refused_unless_forced(books, tmp_path):
    book = tmp_path / "book.xlsx"
    shutil.copy(books["clean"], book)
    run_report(book, in_place=True)
    assert not needs_confirmation(OpenpyxlPort(book))
    run_report(book, in_place=True)  # regenerating an untouched sheet needs no confirmation
    wb = openpyxl.load_workbook(book)
    ws = wb[REPORT_SHEET]
    ws.cell(row=ws.max_row + 2, column=1).value = "Đoạn văn cán bộ tự viết thêm."
    wb.save(book)
    assert needs_confirmation(OpenpyxlPort(book))
    before = book.read_bytes()
    with pytest.raises(CchcError) as err:
        run_report(book, in_place=True)
    assert err.value.code == "report_edited_by_hand" and "--force" in err.value.action
    assert book.read_bytes() == before
    data = read_workbook(book)
    with pytest.raises(CchcError):
        write_report_sheet(OpenpyxlPort(book), data, build_report(data))
    run_report(book, in_place=True, force=True)
    assert not needs_confirmation(OpenpyxlPort(book))
    texts = [c for row in openpyxl.load_workbook(book)[REPORT_SHEET].iter_rows(values_only=True) for c in row if c]
    assert "Đoạn văn cán bộ tự viết thêm." not in texts


def test_sheet_layout_round_trip_and_meta_digest(books, reports, tmp_path):
    out = tmp_path / "out.xlsx"
    result = run_report(books["002"], out=out)
    wb = openpyxl.load_workbook(out)
    ws = wb[REPORT_SHEET]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    joined = "\n".join(cells)
    assert unicodedata.is_normalized("NFC", joined)
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ỦY BAN NHÂN DÂN\nHUYỆN ĐỨC THỌ",
                 "BÁO CÁO", "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n\n\n\nHoàng Xuân Hùng",
                 "Đức Thọ, ngày 20 tháng 6 năm 2023"):
        assert line in cells
    assert "54,02 tỷ đồng/146,25 tỷ đồng, đạt 36,94%" in joined and "16/60 nhiệm vụ, đạt 26,67%" in joined
    assert "Nơi nhận:\n- UBND tỉnh Hà Tĩnh;" in joined and reports["002"].closing in joined
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert meta["report_digest"] == result["digest"] and result["digest"].startswith("v1:")
    # NĐ 30 page: A4 portrait, margins 20/20/30/15 mm, Times New Roman, print area, numbers from page 2
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    m = ws.page_margins
    margins = (round(m.top * 25.4), round(m.bottom * 25.4), round(m.left * 25.4), round(m.right * 25.4))
    assert margins == (20, 20, 30, 15)
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.print_area == f"'{REPORT_SHEET}'!$A$1:${last}${ws.max_row}"
    assert ws.HeaderFooter.differentFirst and "&P" in ws.oddHeader.center.text
    assert ws["A1"].font.name == "Times New Roman" and ws.sheet_view.showGridLines is False
    first = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").startswith("Thực hiện"))
    body_rows = [r for r in range(first, ws.max_row) if isinstance(ws.cell(r, 1).value, str)]
    merged = {(rng.min_row, rng.min_col, rng.max_col) for rng in ws.merged_cells.ranges}
    assert body_rows and all((r, 1, ws.max_column) in merged for r in body_rows)
    assert all(ws.cell(r, 1).alignment.wrap_text for r in body_rows)
    rich = openpyxl.load_workbook(out, rich_text=True)[REPORT_SHEET]
    heading = next(r for r in body_rows if ws.cell(r, 1).value.startswith("I. CÔNG TÁC"))
    blocks = rich.cell(heading, 1).value  # the headings bold, the paragraph after them plain, in one cell
    assert blocks[0].text.startswith("I. CÔNG TÁC") and blocks[0].font.b and blocks[0].font.sz == 13
    assert not blocks[-1].font.b and "\n" not in blocks[-1].text
    paragraph = next(r for r in body_rows if "16/60 nhiệm vụ" in ws.cell(r, 1).value)
    assert ws.cell(paragraph, 1).alignment.horizontal == "justify"
    # every row is tall enough for its text (estimated lines × line height)
    layout = build_layout(reports["002"])
    for r, row in enumerate(layout.rows, start=1):
        assert ws.row_dimensions[r].height == pytest.approx(row.height, abs=0.11)
        for part in row.parts:
            if part.down == 0:
                assert row.height >= 13 * part.text.count("\n") + 12
    # the rest of the workbook is untouched and still reads
    again = read_workbook(out)
    assert again.values["tthc_tiep_nhan_tong"] == 3622 and REPORT_SHEET in openpyxl.load_workbook(out).sheetnames


def test_docx_round_trip(reports, tmp_path):
    import docx

    path = write_docx(reports["003"], tmp_path / "bao-cao.docx")
    doc = docx.Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    header_cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    sign_cells = [c.text for row in doc.tables[1].rows for c in row.cells]
    assert "ỦY BAN NHÂN DÂN\nPHƯỜNG ĐỨC THUẬN" in header_cells[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc" in header_cells[1]
    assert any("99,95% (1.904/1.905 hồ sơ)" in p for p in paragraphs)
    assert paragraphs[0].startswith("CẢNH BÁO")
    assert "BÁO CÁO" in paragraphs and any(p.endswith("./.") for p in paragraphs)
    assert sign_cells[0].startswith("Nơi nhận:\n") and "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH" in sign_cells[1]
    assert all(unicodedata.is_normalized("NFC", p) for p in paragraphs)
    section = doc.sections[0]
    assert (round(section.top_margin.mm), round(section.bottom_margin.mm), round(section.left_margin.mm),
            round(section.right_margin.mm)) == (20, 20, 30, 15)
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    body = next(p for p in doc.paragraphs if p.text.startswith("+ Số hồ sơ đã giải quyết"))
    assert body.alignment == 3 and body.paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    assert body.runs[0].font.name is None and body.style.font.name == "Times New Roman"  # the Normal style's


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@needs_soffice
@pytest.mark.libreoffice
def test_sheet_and_docx_render_to_pdf(books, reports, tmp_path):
    xlsx = tmp_path / "bao-cao.xlsx"
    run_report(books["002"], out=xlsx, docx=tmp_path / "bao-cao-word.docx")
    pdf = write_pdf(xlsx, tmp_path / "bao-cao.pdf")
    result = run_soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "bao-cao-word.docx")],
                         tmp_path)
    word_pdf = tmp_path / "bao-cao-word.pdf"
    assert word_pdf.exists(), result.stderr
    for path in (pdf, word_pdf):
        text = " ".join(_pdftotext(path).split())
        for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "HUYỆN ĐỨC THỌ", "BÁO CÁO",
                     "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH", "V. KIẾN NGHỊ, ĐỀ XUẤT",
                     "16/60 nhiệm vụ, đạt 26,67%", "đạt 36,94%", "25,94%", "Nơi nhận:", "KT. CHỦ TỊCH",
                     "PHÓ CHỦ TỊCH", "Hoàng Xuân Hùng", "Đức Thọ./."):
            assert line in text, (path.name, line)
        assert "CẢNH BÁO" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "A4" in info or "595" in info
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                       check=True)
        assert any(p.stat().st_size > 3000 for p in tmp_path.glob("p-*.png"))


# --------------------------------------------------------------------------- implausible values (issue 14, item 2)
@prebuilt
def implausible(tmp: Path) -> Path:
    """A ward's workbook with 54,02 tỷ disbursed typed as 54020 (fill takes it)."""
    payload = {"values": {**CLEAN["values"], "giai_ngan_thuc_hien": 54020, "giai_ngan_ke_hoach": 146.25,
                          "thu_ns_thuc_hien": 80.404, "thu_ns_ke_hoach": 310}, "lists": CLEAN["lists"]}
    return _book(tmp, SEN, "6T-2026", payload)


def test_implausible_amount_is_an_error_listed_and_marked(implausible, definition):
    """54,02 tỷ typed as 54020 by a commune: an error naming the bound, listed in the report's
    warning block, and the amount and the ratio built on it never stated without «(cần kiểm tra lại)».
    ``fill`` and Excel's own validation still take the value (only the checks judge it)."""
    path = implausible
    data = read_workbook(path)
    [found] = [f for f in validate(data) if f.rule == "value_implausible"]
    bound = definition.field_map()["giai_ngan_thuc_hien"].plausible_bound("phuong")
    assert found.importance == "error" and found.fields == ["giai_ngan_thuc_hien"]
    assert "54.020" in found.message and fmt.plain(bound) in found.message
    report = build_report(data)
    warnings = " ".join(b.text for b in report.warnings)
    assert report.errors >= 1 and report.blocks[0].kind == "warning" and "54.020" in warnings
    body = _body(report)
    line = next(b.text for b in report.body if "giải ngân vốn đầu tư công" in b.text)
    assert "54.020 tỷ đồng/146,25 tỷ đồng (cần kiểm tra lại)" in line
    assert "đạt 36.936,75% (cần kiểm tra lại) kế hoạch vốn" in line
    # what is not built on it is stated as usual
    assert "80,404 tỷ đồng/310 tỷ đồng, đạt 25,94% kế hoạch." in body
    assert body.count("(cần kiểm tra lại)") == 2
    # Excel's data validation of the cell allows the value: the bound is the checks' business only
    pos = compute_layout(definition).fields["giai_ngan_thuc_hien"]
    wb = openpyxl.load_workbook(path)
    rules = [dv for dv in wb[pos.sheet].data_validations.dataValidation if pos.ref in str(dv.sqref)]
    # the bound follows the workbook's money unit live: «đồng allowed» / «đồng per unit chosen»
    dong = [Decimal(str(dv.formula2).split("/")[0].lstrip("=")) for dv in rules]
    assert rules and all(bound >= Decimal(54020) * 10**9 for bound in dong)


def test_generic_and_summed_values_are_marked_too(definition):
    """A value no section template names is told by the generic sentence; a sum a template works
    out from a suspect value stays suspect (fmt.Suspect)."""
    data = _data(definition, {"tthc_moi_truc_tuyen": Decimal(900000), "tthc_moi_truc_tiep": Decimal(5),
                              "tthc_ky_truoc": Decimal(0), "tthc_tiep_nhan_tong": Decimal(900005)})
    from xl_addin.workbook.reader import Problem

    data.problems = [Problem("value_implausible", "Số liệu!D1", 900000, "…", "tthc_moi_truc_tuyen")]
    body = _body(build_report(data))
    assert "số mới tiếp nhận trong kỳ 900.005 (cần kiểm tra lại) hồ sơ" in body
    assert "trực tuyến 900.000 (cần kiểm tra lại) hồ sơ" in body
    assert "Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 100% (900.000/900.005 hồ sơ) (cần kiểm tra lại)" in body
    assert fmt.is_suspect(fmt.Suspect(1) + 2) and fmt.is_suspect(3 - fmt.Suspect(1)) and not fmt.is_suspect(Decimal(1))


def test_004_signed_before_the_cut_off_states_estimates(reports):
    """004 is dated 03/6/2022, before its window closed on 14/6/2022: the warning says so and the
    figures read «ước thực hiện đến ngày 14/6/2022»; 002, signed 20/6/2023, states them as they are."""
    r = reports["004"]
    body = _body(r)
    assert "(số liệu ước thực hiện đến ngày 14/6/2022) như sau:" in r.body[0].text
    assert ("- Kết quả tiếp nhận, giải quyết hồ sơ thủ tục hành chính (từ ngày 15/12/2021, ước thực hiện đến "
            "ngày 14/6/2022):") in body
    assert "ước thực hiện" not in _body(reports["002"]) and "ước thực hiện" not in reports["002"].body[0].text


def test_compiled_templates_are_kept_and_an_edited_one_is_compiled_again(books, tmp_path, monkeypatch):
    """A fresh process loads the report's templates as an earlier one compiled them (the cache
    folder); an edited template is compiled anew; a cache folder that cannot be written only costs
    the compiling."""
    from xl_addin import memo
    from xl_addin.definition.loader import definition_dir

    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    monkeypatch.setenv("CCHC_CACHE_DIR", str(tmp_path / "cache"))
    memo.clear()  # a fresh process
    first = render_text(build_report(books["clean"]))
    compiled = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "cchc" / "narrative").glob("*.jinja")}
    assert len(compiled) >= 10  # the opening, the closing, the sections
    memo.clear()
    assert render_text(build_report(books["clean"])) == first
    assert {p: p.stat().st_mtime_ns for p in compiled} == compiled  # loaded, not compiled and written again
    opening = root / "cchc" / "narrative" / "mo_dau.j2"
    opening.write_text("Mở đầu đã sửa.\n" + opening.read_text(encoding="utf-8"), encoding="utf-8")
    memo.clear()
    assert "Mở đầu đã sửa." in render_text(build_report(books["clean"]))
    (tmp_path / "blocked").write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("CCHC_CACHE_DIR", str(tmp_path / "blocked"))
    memo.clear()
    assert "Mở đầu đã sửa." in render_text(build_report(books["clean"]))
    memo.clear()  # the next tests start from the run's own cache folder again
