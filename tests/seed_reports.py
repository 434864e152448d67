"""The example reports' figures (domain.md §8) as fill payloads, mistakes included."""

from __future__ import annotations

# 002, commune level of huyện Đức Thọ, 6 tháng 2023: off-by-one balance, truncated ratios,
# a "Quyết định" numbered with the symbol of a "Kế hoạch".
R002 = {
    "values": {
        "tthc_tiep_nhan_tong": 7432, "tthc_ky_truoc": 4, "tthc_moi_truc_tuyen": 4741, "tthc_moi_truc_tiep": 2687,
        "tthc_da_gq_tong": 7404, "tthc_da_gq_truoc_han": 7384, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 20,
        "tthc_dang_gq_tong": 9, "tthc_dang_gq_trong_han": 9, "tthc_dang_gq_qua_han": 0,
        "tthc_cho_bo_sung": 3, "tthc_tra_lai": 15, "tthc_cong_khai": 188, "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0,
        "hai_long_rat": 1144, "hai_long_hai_long": 14, "hai_long_binh_thuong": 0, "hai_long_khong": 0,
        "hai_long_tong": 1158,
        "kh_cchc_nhiem_vu_tong": 60, "kh_cchc_nhiem_vu_hoan_thanh": 16, "kh_cchc_ty_le_bao_cao": 26.66,
        "kh_cchc_hoat_dong_tong": 75, "kh_cchc_hoat_dong_hoan_thanh": 22,
        "nv_cap_tren_giao_tong": 45, "nv_cap_tren_dung_han": 44, "nv_cap_tren_qua_han": 1,
        "giai_ngan_thuc_hien": 54.02, "giai_ngan_ke_hoach": 146.25, "giai_ngan_ty_le_bao_cao": 36.93,
        "thu_ns_thuc_hien": 80.404, "thu_ns_ke_hoach": 310, "thu_ns_ty_le_bao_cao": 25.93,
        "ngay_bao_cao": "2023-06-20",
    },
    "lists": {"van_ban": [
        {"so_ky_hieu": "111/KH-UBND", "ngay": "2023-01-17", "loai": "quyet_dinh",
         "trich_yeu": "Ban hành kế hoạch cải cách hành chính huyện Đức Thọ năm 2023"},
        {"so_ky_hieu": "730/KH-UBND", "ngay": "2023-03-31", "loai": "ke_hoach",
         "trich_yeu": "Kiểm tra, đánh giá công tác cải cách hành chính nhà nước năm 2023"},
        {"so_ky_hieu": "445/UBND-NV", "ngay": "2023-03-07", "loai": "cong_van",
         "trich_yeu": "Xây dựng, áp dụng sáng kiến, mô hình trong cải cách hành chính"},
    ]},
}

# 003, phường Đức Thuận, năm 2021: 99,98% typed for 1.904/1.905; 41 staff stated, parts sum to 43.
R003 = {
    "values": {
        "tthc_tiep_nhan_tong": 1905, "tthc_ky_truoc": 0, "tthc_moi_truc_tuyen": 312, "tthc_moi_truc_tiep": 1593,
        "tthc_da_gq_tong": 1905, "tthc_da_gq_truoc_han": 1904, "tthc_da_gq_dung_han": 0, "tthc_da_gq_qua_han": 1,
        "tthc_dang_gq_tong": 0, "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0,
        "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0, "tthc_ty_le_dung_han_phan_mem": 99.98,
        "nhan_su_tong": 41, "nhan_su_cbcc": 18, "nhan_su_kct_xa": 9, "nhan_su_kct_thon": 14, "nhan_su_hop_dong": 2,
    },
}

# 001, phường Trần Hưng Đạo, năm 2023 (calendar window 01/01–30/11): consistent figures.
R001 = {
    "values": {
        "tthc_tiep_nhan_tong": 1059, "tthc_ky_truoc": 1, "tthc_moi_truc_tuyen": 1049, "tthc_moi_truc_tiep": 9,
        "tthc_da_gq_tong": 1059, "tthc_da_gq_truoc_han": 1054, "tthc_da_gq_dung_han": 5, "tthc_da_gq_qua_han": 0,
        "tthc_dang_gq_tong": 0, "tthc_dang_gq_trong_han": 0, "tthc_dang_gq_qua_han": 0,
        "tthc_cho_bo_sung": 0, "tthc_tra_lai": 0, "pakn_tiep_nhan": 0, "pakn_da_xu_ly": 0,
        "hai_long_rat": 105, "hai_long_hai_long": 40, "hai_long_binh_thuong": 0, "hai_long_khong": 0,
        "hai_long_tong": 145,
    },
}

# 000, phường Hà Huy Tập, 6 tháng 2022: a decision dated 31/12/2022 listed in a June report.
R000 = {
    "values": {"ngay_bao_cao": "2022-06-15", "thu_ns_thuc_hien": 1.845655, "thu_ns_ke_hoach": 4.369},
    "lists": {"van_ban": [
        {"so_ky_hieu": "14/KH-UBND", "ngay": "2022-01-28", "loai": "ke_hoach",
         "trich_yeu": "Kế hoạch CCHC phường Hà Huy Tập năm 2022"},
        {"so_ky_hieu": "225/QĐ-UBND", "ngay": "2022-12-31", "loai": "quyet_dinh",
         "trich_yeu": "Ban hành Chương trình phát triển thanh niên phường giai đoạn 2021-2030"},
    ]},
}
