"""The province report ready to sign (issue 15, item 4): a report written from a summary says how
complete it is, states a total only some units reported with its coverage and a figure the units
report one by one as their range, keeps section V for the receiving office's own requests (the
units' requests go on the summary's sheet «Kiến nghị của đơn vị», identical ones merged, grouped by
the themes of the definition), and its warning block names the units behind each finding and tells
them to correct and resend.

One folder of six communes sent to a province: on time with a request and a budget figure, late
with the same request typed differently and another one, never sent, faulty (a total off by one),
on time with a budget figure and a third request, and a blank workbook (rejected).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from xl_addin.definition.loader import definition_dir, load_definition, read_yaml
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.demo import demo_dir, sample_data, to_fill_payload
from xl_addin.merge import summary_layout
from xl_addin.merge.requests import compile_requests
from xl_addin.merge.run import run_merge
from xl_addin.narrative import build_report, render_text, run_report
from xl_addin.narrative.fmt import percent
from xl_addin.rules.export import export_file
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.port import OpenpyxlPort
from xl_addin.workbook.reader import read_workbook

from conftest import needs_soffice

SAMPLE = dict(read_yaml(demo_dir() / "sample.yaml"), mistakes={}, some_units={})
UNITS = [Unit("71001", "Phường An Bình", "phuong", "71", ""), Unit("71002", "Xã Tân Phú", "xa", "71", ""),
         Unit("71003", "Xã Phước Hưng", "xa", "71", ""), Unit("71004", "Xã Đức Thịnh", "xa", "71", ""),
         Unit("71005", "Xã Sơn Lâm", "xa", "71", ""), Unit("71006", "Xã Kỳ Trung", "xa", "71", "")]
ON_TIME, LATE = "2026-06-16 09:30:00", "2026-06-18 10:00:00"
EQUIPMENT = "Đề nghị tỉnh bố trí kinh phí nâng cấp trang thiết bị cho Bộ phận Một cửa."
TRAINING = "Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ cho công chức làm công tác cải cách hành chính."
GUIDANCE = "Đề nghị tỉnh sớm hướng dẫn quy trình lưu trữ hồ sơ điện tử."
OWN = "Đề nghị Bộ Nội vụ sớm ban hành hướng dẫn thống nhất mẫu báo cáo cải cách hành chính định kỳ của cấp xã."
RETYPED = "  đề nghị tỉnh bố trí kinh phí  nâng cấp trang thiết bị cho Bộ phận Một cửa"  # the same request
REQUESTS = {"71001": [EQUIPMENT], "71002": [RETYPED, TRAINING], "71004": [], "71005": [GUIDANCE]}
BUDGET = {"71001": 0.2, "71005": 0.1}  # kinh_phi_cchc (tỷ đồng): two of the four units received report it
RECEIVER = {"values": {"so_ky_hieu": "/BC-UBND", "dia_danh": "Thử", "ngay_bao_cao": "2026-06-20",
                       "kinh_gui": "Bộ Nội vụ", "nguoi_ky": "Lê Văn Minh", "chuc_vu_ky": "PHÓ CHỦ TỊCH",
                       "tham_quyen_ky": "kt"},
            "lists": {"noi_nhan": [{"noi_nhan": "Bộ Nội vụ"}],
                      "uu_diem": [{"noi_dung": "Các đơn vị báo cáo đúng mẫu."}],
                      "ton_tai": [{"noi_dung": "Một số đơn vị nộp báo cáo chậm."}],
                      "phuong_huong": [{"noi_dung": "Tiếp tục nâng cao chất lượng giải quyết thủ tục hành chính."}],
                      "kien_nghi": [{"noi_dung": OWN}]}}


def _fill_receiver(summary: Path) -> None:
    """The specialist types the province's own header, signer, assessment and requests."""
    staged = summary.with_name(".~cchc-" + summary.name)
    fill_workbook(summary, RECEIVER, staged)
    staged.replace(summary)


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("province")
    definition = load_definition()
    period = parse_period("6T-2026", definition)
    built = {r.unit.code: r.path for r in build_unit_workbooks(definition, UNITS, period, tmp / "trong")}
    folder = tmp / "nop"
    folder.mkdir()
    sent: dict[str, Path] = {}
    for unit in UNITS:
        code = unit.code
        if code == "71003":
            continue  # never sent
        if code == "71006":
            shutil.copy(built[code], folder / built[code].name)  # blank: rejected
            continue
        payload = to_fill_payload(definition, sample_data(SAMPLE, code, unit.name))
        payload["lists"]["kien_nghi"] = [{"noi_dung": text} for text in REQUESTS[code]]
        payload["values"].pop("kinh_phi_cchc", None)
        if code in BUDGET:
            payload["values"]["kinh_phi_cchc"] = BUDGET[code]
        if code == "71004":  # a total off by one: the unit's own report fails the balance too
            payload["values"]["tthc_tiep_nhan_tong"] += 1
        filled = tmp / "dien" / built[code].name
        fill_workbook(built[code], payload, filled)
        sent[code], _ = export_file(filled, folder, dt.datetime.fromisoformat(LATE if code == "71002" else ON_TIME))
    units_csv = tmp / "units.csv"
    units_csv.write_text("code,name,level,parent_code\n71,Tỉnh Thử,tinh,\n"
                         + "".join(f"{u.code},{u.name},{u.level},71\n" for u in UNITS), encoding="utf-8")
    listed = run_merge(folder, output=tmp / "tong-hop.xlsx", units_path=units_csv).output
    as_merged = shutil.copy(listed, tmp / "tong-hop-vua-tong-hop.xlsx")  # before the specialist types anything
    _fill_receiver(listed)
    unlisted = run_merge(folder, output=tmp / "tong-hop-khong-danh-sach.xlsx").output
    _fill_receiver(unlisted)
    return {"tmp": tmp, "listed": listed, "unlisted": unlisted, "sent": sent, "as_merged": Path(as_merged),
            "text": render_text(build_report(listed)), "text_unlisted": render_text(build_report(unlisted))}


def _section(text: str, start: str, end: str) -> str:
    body = text[text.index(start):]
    return body[: body.index(end)]


# --------------------------------------------------------------------------- completeness
def test_the_completeness_sentence_names_the_late_count_and_the_units_not_received(province):
    """Defect: no sentence on completeness. Received = on time, late or of unknown time; expected =
    the units of --units but the province; plain numbers; the late ones counted; the missing named
    (and the rejected blank workbook named as turned away)."""
    text = province["text"]
    sentence = ("Tổng hợp từ báo cáo của 4/6 đơn vị; 1 đơn vị gửi muộn; chưa nhận báo cáo của Xã Phước Hưng; "
                "báo cáo của Xã Kỳ Trung chưa hợp lệ, đã trả lại để đơn vị sửa và gửi lại.")
    assert sentence in text
    # right after the opening, before section I
    assert text.index("như sau:") < text.index(sentence) < text.index("I. CÔNG TÁC CHỈ ĐẠO")


def test_the_completeness_sentence_without_a_unit_list(province):
    text = province["text_unlisted"]
    assert "Tổng hợp từ báo cáo của 4 đơn vị (không có danh sách đơn vị phải báo cáo)." in text
    assert "chưa nhận báo cáo" not in text


def test_no_late_unit_is_said_so(province):
    """The sentence is read back from Tổng hợp: the same summary with nobody late says so."""
    table = summary_layout.read_file(province["listed"])
    for row in table.rows:
        if row.status == "late":
            row.status, row.days_late = "on_time", 0
    text = render_text(build_report(province["listed"], units=table))
    assert "Tổng hợp từ báo cáo của 4/6 đơn vị; không có đơn vị gửi muộn; chưa nhận báo cáo của Xã Phước Hưng" in text


def test_a_summary_of_an_earlier_layout_says_what_it_knows():
    """A summary written before layout 3 holds the units' requests as «<unit>: …» in its own list and
    does not record whether there was a unit list: V leaves those out, the sentence only counts."""
    fixture = Path(__file__).parent / "fixtures" / "tong-hop-401_layout1.xlsx"
    assert any(row["noi_dung"].startswith("Xã Thử") for row in read_workbook(fixture).lists["kien_nghi"])
    text = render_text(build_report(fixture))
    assert "Tổng hợp từ báo cáo của 3 đơn vị." in text
    assert "Xã Thử" not in _section(text, "V. KIẾN NGHỊ", "Trên đây")


def test_tong_hop_records_the_list_and_each_units_failed_rules(province):
    table = summary_layout.read_file(province["listed"])
    assert table.layout == summary_layout.LAYOUT_VERSION == 3
    assert table.units_listed is True
    rows = {r.code: r for r in table.rows}
    assert all(rows[u.code].expected for u in UNITS)
    faulty = read_workbook(province["sent"]["71004"])
    from xl_addin.rules.engine import validate

    own = sorted({f.rule for f in validate(faulty) if f.importance == "error"})
    assert own and rows["71004"].rules == own and rows["71001"].rules == []
    assert summary_layout.read_file(province["unlisted"]).units_listed is False


def test_the_ribbon_reads_tong_hop_through_its_port(province):
    from xl_addin.workbook.reader import read_port

    port = OpenpyxlPort(province["listed"])
    data = read_port(port)
    before = port.calls
    table = summary_layout.read_port(port, data.meta)
    assert port.calls - before <= 3  # names, codes row, one block: not one per field or unit
    assert [(r.code, r.status, r.expected, r.rules) for r in table.rows] == \
        [(r.code, r.status, r.expected, r.rules) for r in summary_layout.read_file(province["listed"]).rows]
    assert "Tổng hợp từ báo cáo của 4/6 đơn vị" in render_text(build_report(data, units=table))


def test_the_ribbons_report_of_an_open_summary_has_the_sentence(province, tmp_path):
    from xl_addin import ribbon

    path = Path(shutil.copy(province["listed"], tmp_path / "tong-hop.xlsx"))
    port = OpenpyxlPort(path)
    assert ribbon.report(port)
    port.save()
    ws = openpyxl.load_workbook(path)["Báo cáo"]
    cells = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "Tổng hợp từ báo cáo của 4/6 đơn vị; 1 đơn vị gửi muộn" in cells


# --------------------------------------------------------------------------- figures
def test_a_total_only_some_units_reported_is_stated_with_its_coverage(province):
    """Two of the four units received reported the reform budget: its total says so."""
    text = province["text"]
    line = next(x for x in text.splitlines() if "Kinh phí bố trí cho công tác cải cách hành chính" in x)
    assert "300 triệu đồng (theo số liệu của 2/4 đơn vị)." in line
    # a total every unit received reported carries no such note
    assert "(theo số liệu của 4/4 đơn vị)" not in _section(text, "I. CÔNG TÁC", "6.1.")


def test_a_figure_the_units_report_one_by_one_is_told_as_their_range(province):
    """Defect: the units typed their e-document rate, the province report left 6.1 empty."""
    rates = [read_workbook(p).values["van_ban_dien_tu_ty_le"] for p in province["sent"].values()]
    section = _section(province["text"], "6.1.", "6.2.")
    assert (f"Tỷ lệ văn bản trao đổi dưới dạng điện tử đạt từ {percent(min(rates))} đến {percent(max(rates))} "
            f"(theo số liệu của 4/4 đơn vị).") in section
    assert "Chưa có số liệu" not in province["text"]


def test_a_figure_every_unit_states_alike_is_told_as_each_units(province):
    """The procedures a commune posts (a ``same`` field) are each commune's, not the province's total."""
    posted = {read_workbook(p).values["tthc_cong_khai"] for p in province["sent"].values()}
    assert len(posted) == 1
    line = next(x for x in province["text"].splitlines() if x.startswith("- Công khai thủ tục hành chính"))
    assert f"{posted.pop()} thủ tục hành chính thuộc thẩm quyền giải quyết (ở mỗi đơn vị);" in line


@pytest.fixture(scope="module")
def real_reports(tmp_path_factory) -> str:
    """Four of the real reports (tests/seed_reports.py) merged by their province: each reported what
    its own report holds, so most totals cover some of them only."""
    from seed_reports import R000, R001, R002, R003

    from conftest import filled_workbook

    tmp = tmp_path_factory.mktemp("real")
    folder = tmp / "nop"
    units = [Unit("42301", "Xã Đức Lạng", "xa", "42"), Unit("42302", "Phường Thành Sen", "phuong", "42"),
             Unit("42303", "Phường Đức Thuận", "phuong", "42"), Unit("42304", "Phường Hà Huy Tập", "phuong", "42"),
             Unit("42305", "Xã Tân Dân", "xa", "42")]
    for unit, payload in zip(units, (R002, R001, R003, R000), strict=False):
        values = {k: v for k, v in payload["values"].items() if k != "ngay_bao_cao"}  # signed in their own year
        book = filled_workbook(tmp, {"values": values, "lists": payload.get("lists", {})}, unit=unit,
                               name=f"{unit.code}.xlsx")
        export_file(book, folder, dt.datetime(2026, 6, 16, 9, 0))
    csv = tmp / "units.csv"
    csv.write_text("code,name,level,parent_code\n42,Tỉnh Hà Tĩnh,tinh,\n"
                   + "".join(f"{u.code},{u.name},{u.level},42\n" for u in units), encoding="utf-8")
    return render_text(build_report(run_merge(folder, output=tmp / "tong-hop.xlsx", units_path=csv).output))


def test_real_reports_merged_state_what_each_total_covers(real_reports):
    text = real_reports
    assert "Tổng hợp từ báo cáo của 4/5 đơn vị; không có đơn vị gửi muộn; chưa nhận báo cáo của Xã Tân Dân." in text
    # 002 alone reported the tasks from above and the investment; 002 and 000 the budget revenue
    tasks = _section(text, "5. Thực hiện nhiệm vụ cấp trên giao", "6. Mô hình")
    assert tasks.count("(theo số liệu của 1/4 đơn vị)") == 3
    revenue = next(x for x in text.splitlines() if x.startswith("- Thu ngân sách"))
    assert revenue.endswith("(theo số liệu của 2/4 đơn vị).")
    # three of them reported the dossiers: the lead says it once, its items no more
    lead = next(x for x in text.splitlines() if x.startswith("- Kết quả tiếp nhận, giải quyết hồ sơ"))
    assert lead.endswith("(theo số liệu của 3/4 đơn vị):")
    assert "theo số liệu" not in _section(text, "+ Tổng số hồ sơ tiếp nhận", "- Tiếp nhận, xử lý phản ánh")
    # a required figure none of them reported is the units' to report, not the office's to type
    warning = next(x for x in text.splitlines() if x.startswith("- Chưa đơn vị nào báo cáo"))
    assert "Số biên chế được giao" in warning
    assert "Số biên chế được giao" not in next(x for x in text.splitlines() if x.startswith("- Chưa nhập"))


# --------------------------------------------------------------------------- requests
def _no_unit_request(section: str) -> None:
    for texts in REQUESTS.values():
        for request in texts:
            assert " ".join(request.split()).rstrip(".").casefold() not in section.casefold()
    assert not any(u.name + ":" in section for u in UNITS)
    assert "Đề nghị tỉnh" not in section


def test_section_v_holds_only_the_provinces_own_requests(province):
    """Defect: the communes' requests to the province were copied as the province's own («Đề nghị tỉnh…»)."""
    # as the merge wrote it: the province has typed no request of its own yet
    merged = _section(render_text(build_report(province["as_merged"])), "V. KIẾN NGHỊ", "Trên đây")
    _no_unit_request(merged)
    assert "Không có kiến nghị, đề xuất." in merged
    # once the specialist typed the province's own
    section = _section(province["text"], "V. KIẾN NGHỊ", "Trên đây")
    assert OWN in section
    _no_unit_request(section)


def test_the_units_requests_are_on_their_own_sheet_merged_and_grouped_by_theme(province):
    wb = openpyxl.load_workbook(province["listed"], read_only=True)
    assert wb.sheetnames.index("Kiến nghị của đơn vị") > wb.sheetnames.index("Tổng hợp")
    rows = [r for r in wb["Kiến nghị của đơn vị"].iter_rows(values_only=True)]
    themes = {t.label: t for t in load_definition().list_map()["kien_nghi"].themes}
    items: dict[str, tuple] = {}
    theme = None
    for row in rows[4:]:
        if row[0] is None and row[1]:
            theme = row[1].rsplit(" (", 1)[0]
        elif isinstance(row[0], int):
            items[row[1]] = (theme, row[2], row[3])
    assert len(items) == 3  # the same request typed twice is one row
    equipment = items[EQUIPMENT.rstrip(".")]
    assert equipment[1:] == ("Phường An Bình, Xã Tân Phú", 2)
    assert any(k in EQUIPMENT.casefold() for k in themes[equipment[0]].keywords)
    training, guidance = items[TRAINING.rstrip(".")], items[GUIDANCE.rstrip(".")]
    assert training[1:] == ("Xã Tân Phú", 1) and guidance[1:] == ("Xã Sơn Lâm", 1)
    assert len({equipment[0], training[0], guidance[0]}) == 3 and all(t[0] in themes for t in (training, guidance))
    # the summary's own list is the office's to fill: no unit's request was copied into it
    assert read_workbook(province["listed"]).lists["kien_nghi"] == [{"noi_dung": OWN}]


def test_themes_are_data_in_the_definition(tmp_path, monkeypatch):
    """A theme added to lists.yaml files the requests under it with no Python."""
    root = tmp_path / "templates"
    shutil.copytree(definition_dir(), root / "cchc")
    lists = root / "cchc" / "lists.yaml"
    text = lists.read_text(encoding="utf-8")
    anchor = "    themes:\n"
    lists.write_text(text.replace(anchor, anchor + "      - label: Lưu trữ điện tử\n"
                                           "        keywords: [lưu trữ]\n", 1), encoding="utf-8")
    monkeypatch.setenv("CCHC_TEMPLATES", str(root))
    definition = load_definition()
    items = [{"noi_dung": GUIDANCE, "_don_vi_ma": "71005", "_don_vi_ten": "Xã Sơn Lâm"},
             {"noi_dung": EQUIPMENT, "_don_vi_ma": "71001", "_don_vi_ten": "Phường An Bình"}]
    [compiled] = compile_requests(definition, {"kien_nghi": items})
    groups = {g.label: [r.text for r in g.requests] for g in compiled.groups}
    assert groups["Lưu trữ điện tử"] == [GUIDANCE.rstrip(".")]
    assert list(groups)[0] == "Lưu trữ điện tử"  # the definition's order


def test_a_theme_without_keywords_is_refused():
    from pydantic import ValidationError

    from xl_addin.definition.models import Theme

    with pytest.raises(ValidationError):
        Theme(label="Trống", keywords=[])


# --------------------------------------------------------------------------- warnings
def test_the_warning_block_names_the_units_and_asks_them_to_resend(province):
    """Defect: summed gaps listed without the units, the specialist told to fix them in the summary."""
    report = build_report(province["listed"])
    warnings = [b.text for b in report.warnings]
    balance = next(w for w in warnings if "tiếp nhận" in w and "chênh lệch" in w)
    assert "Xã Đức Thịnh" in balance
    assert not any(name in balance for name in ("Phường An Bình", "Xã Tân Phú", "Xã Sơn Lâm"))
    closing = next(w for w in warnings if "gửi lại" in w and not w.startswith("-"))
    assert "Xã Đức Thịnh" in closing and "phải sửa số liệu" in closing
    assert not any("Kiểm tra số liệu" in w for w in warnings)  # the unit's button is no advice for a summary


@needs_soffice
def test_the_province_report_prints_the_sentence_and_the_requests_sheet_exists(province, tmp_path):
    import subprocess

    pdf = tmp_path / "tinh.pdf"
    run_report(province["listed"], docx=tmp_path / "tinh.docx", pdf=pdf)
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Tổng hợp từ báo cáo của 4/6 đơn vị; 1 đơn vị gửi muộn" in text
    assert "(theo số liệu của 2/4 đơn vị)" in text
