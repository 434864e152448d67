"""The summary workbook and the per-unit feedback workbooks.

The summary is itself a workbook of the same template, stamped for the receiving unit with
``kind = summary`` and filled with the aggregated values, so ``cchc report`` writes its
narrative and a higher level can merge it again. Extra sheets: Tổng hợp (one row per unit,
codes in row 3 for machines), Tình hình nộp báo cáo, Nguồn, Nguồn gốc số liệu, Biểu đồ.
Written atomically; protected like the templates; the receiving unit's own Thông tin chung
and Đánh giá stay unlocked.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from ..definition.units import ascii_name
from ..ui import ui
from ..workbook.build import UnitStamper, cell_value, write_atomic
from ..workbook.layout import META_SHEET, a1, compute_layout
from ..workbook.protection import PASSWORD
from .run import MergeResult

HEADER_FILL = PatternFill("solid", fgColor="FFF2F2F2")
FLAG_FILL = PatternFill("solid", fgColor="FFFFEB9C")
NUMERIC = ("integer", "decimal", "money", "percent")


def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _landscape(ws, title_rows: str | None = None, fit_width: int = 1) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = fit_width
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _protect(ws) -> None:
    ws.protection.set_password(PASSWORD)
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = False


def _header(ws, row: int, labels: list[str]) -> None:
    for col, text in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=col, value=text)
        cell.font = Font(name="Times New Roman", size=11, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _title(ws, text: str, width: int) -> None:
    cell = ws.cell(row=1, column=1, value=text)
    cell.font = Font(name="Times New Roman", size=13, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 2))


def _timing(result: MergeResult, sub) -> str:
    exported = sub.meta.get("exported_at")
    if not exported:
        return "unknown"
    try:
        when = dt.datetime.fromisoformat(str(exported)).date()
    except ValueError:
        return "unknown"
    return "on_time" if when <= result.deadline else "late"


def _fill_aggregates(wb, result: MergeResult) -> None:
    definition = result.definition
    layout = compute_layout(definition)
    agg = result.aggregate
    fmap = definition.field_map()
    for code, pos in layout.fields.items():
        f = fmap[code]
        if not f.is_input or f.aggregate == "none":
            continue
        cell = wb[pos.sheet][pos.ref]
        cell.value = _num(cell_value(definition, f.type, f.choices, agg.values.get(code)))
        if pos.sheet not in (layout.sheet_of("thong_tin"), layout.sheet_of("danh_gia")):
            cell.protection = Protection(locked=True)  # the units' totals are not edited here
    for code, rows in agg.tables.items():
        block = layout.tables[code]
        table = block.definition
        for i, row in enumerate(rows[: block.n_rows]):
            r = block.first_row + (next(j for j, x in enumerate(table.rows) if x.code == row["row"]) if table.fixed else i)
            if not table.fixed:
                wb[block.sheet].cell(row=r, column=block.label_col, value=row.get(table.label_column.code))
            for col in table.columns:
                if col.computed:
                    continue
                cell = wb[block.sheet].cell(row=r, column=block.columns[col.code])
                cell.value = _num(row.get(col.code))
                cell.protection = Protection(locked=True)
    for code, rows in agg.lists.items():
        block = layout.lists[code]
        key = block.definition.key_column.code
        for i, row in enumerate(rows[: block.capacity]):
            wb[block.sheet].cell(row=block.first_row + i, column=block.columns[key], value=row.get(key))


def _summary_sheet(wb, result: MergeResult):
    definition = result.definition
    ws = wb.create_sheet(ui("merge.summary_sheet"), 1)
    fields = [f for f in definition.fields() if f.type in NUMERIC and f.aggregate in ("sum", "same", "max")]
    ratios = definition.ratios
    codes = ["don_vi_ma", "don_vi_ten"] + [f.code for f in fields] + [r.code for r in ratios]
    labels = [ui("merge.unit_code"), ui("merge.unit_name")] + [f.label for f in fields] + [r.label + " (%)" for r in ratios]
    _title(ws, ui("merge.summary_title").format(period=result.period.label, receiver=result.receiver.name), 12)
    _header(ws, 2, labels)
    for col, code in enumerate(codes, start=1):
        c = ws.cell(row=3, column=col, value=code)
        c.font = Font(name="Consolas", size=8, color="FF808080")
    rows = sorted(result.aggregate.units, key=lambda r: str(r.get("don_vi_ma")))
    for i, row in enumerate(rows):
        for col, code in enumerate(codes, start=1):
            value = row.get(code)
            if isinstance(value, str) and code not in ("don_vi_ma", "don_vi_ten") and value == "":
                value = None
            ws.cell(row=4 + i, column=col, value=_num(value))
    total_row = 4 + len(rows)
    ws.cell(row=total_row, column=1, value="TONG")
    ws.cell(row=total_row, column=2, value=ui("merge.totals_label")).font = Font(bold=True)
    for col, f in enumerate(fields, start=3):
        if f.aggregate == "sum" and rows:
            letter = get_column_letter(col)
            ws.cell(row=total_row, column=col, value=f"=SUM({letter}4:{letter}{total_row - 1})")
        else:
            ws.cell(row=total_row, column=col, value=_num(result.aggregate.values.get(f.code)))
        ws.cell(row=total_row, column=col).font = Font(bold=True)
    for col, r in enumerate(ratios, start=3 + len(fields)):
        ws.cell(row=total_row, column=col, value=_num(result.aggregate.ratios[r.code].value)).font = Font(bold=True)
    for col in range(1, len(codes) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 30 if col == 2 else 14
        ws.cell(row=2, column=col).alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[2].height = 90
    for col in range(3, len(codes) + 1):
        for r in range(4, total_row + 1):
            ws.cell(row=r, column=col).number_format = "#,##0.###"
    ws.freeze_panes = "C4"
    _landscape(ws, "2:2", fit_width=max(1, (len(codes) + 11) // 12))
    flags = result.aggregate.flags + result.carry_over
    if flags:
        ws.cell(row=total_row + 2, column=1, value=ui("merge.flags_title")).font = Font(bold=True)
        for i, text in enumerate(flags, start=total_row + 3):
            c = ws.cell(row=i, column=1, value=text)
            c.fill = FLAG_FILL
    _protect(ws)
    return ws, codes, total_row


def _chart_sheet(wb, summary_ws, codes: list[str], total_row: int) -> None:
    if "ty_le_gq_dung_han" not in codes or total_row <= 4:
        return
    ws = wb.create_sheet(ui("merge.chart_sheet"), 2)
    col = codes.index("ty_le_gq_dung_han") + 1
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = ui("merge.chart_title")
    chart.y_axis.title = "%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    data = Reference(summary_ws, min_col=col, min_row=3, max_row=total_row - 1)
    cats = Reference(summary_ws, min_col=2, min_row=4, max_row=total_row - 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.legend = None
    chart.height = max(8, 0.6 * (total_row - 4) + 3)
    chart.width = 22
    ws.add_chart(chart, "A1")
    _landscape(ws)
    _protect(ws)


def _status_sheet(wb, result: MergeResult) -> None:
    ws = wb.create_sheet(ui("merge.status_sheet"), 3)
    labels = ui("merge.status")
    timing = ui("merge.timing")
    rows: list[list[Any]] = []
    by_code: dict[str, list] = {}
    for s in result.merged:
        by_code.setdefault(str(s.unit.get("code")), []).append(("merged_flag" if s.errors else "merged", s))
        for row in s.summary_units:
            by_code.setdefault(str(row.get("don_vi_ma")), []).append(("merged", s))
    for s in result.rejected:
        if s.unit.get("code"):
            by_code.setdefault(str(s.unit.get("code")), []).append(
                ("conflict" if s.code in ("merge_conflict", "merge_hierarchy_conflict") else "rejected", s))
    for s in result.superseded:
        by_code.setdefault(str(s.unit.get("code")), []).append(("superseded", s))
    expected = result.expected or [type("U", (), {"code": c, "name": v[0][1].unit.get("name")})() for c, v in by_code.items()]
    counts = {"on_time": 0, "late": 0, "unknown": 0}
    for unit in expected:
        entries = by_code.get(unit.code, [])
        if not entries:
            rows.append([unit.code, unit.name, labels["missing"], None, None, None, None, None, None])
            continue
        for status, s in entries:
            when = _timing(result, s) if status.startswith("merged") else None
            if status.startswith("merged") and s.unit.get("code") == unit.code:
                counts[when] += 1
            rows.append([unit.code, unit.name, labels[status], s.meta.get("exported_at"),
                         timing[when] if when else None, s.errors, s.warnings, s.rel,
                         s.reason if status not in ("merged", "merged_flag") else None])
    _title(ws, ui("merge.status_title").format(period=result.period.label,
                                                deadline=result.deadline.strftime("%d/%m/%Y")), 10)
    summary = ui("merge.status_counts").format(
        expected=len(result.expected), merged=len(result.merged), on_time=counts["on_time"], late=counts["late"],
        unknown=counts["unknown"], missing=len(result.missing), rejected=len(result.rejected),
        duplicates=len(result.duplicates))
    ws.cell(row=2, column=1, value=summary).alignment = Alignment(wrap_text=True)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=10)
    ws.row_dimensions[2].height = 32
    _header(ws, 4, list(ui("merge.status_columns")))
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
        if row[2] in (labels["missing"], labels["rejected"], labels["conflict"]):
            for c in range(1, 11):
                ws.cell(row=ws.max_row, column=c).fill = FLAG_FILL
    for col, width in enumerate((5, 10, 28, 24, 20, 14, 8, 10, 40, 80), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A5"
    _landscape(ws, "4:4")
    _protect(ws)


def _sources_sheet(wb, result: MergeResult) -> None:
    ws = wb.create_sheet(ui("merge.sources_sheet"))
    outcome = ui("merge.outcome")
    _header(ws, 1, list(ui("merge.sources_columns")))
    subs = ([(s, "merged") for s in result.merged] + [(s, "rejected") for s in result.rejected]
            + [(s, "skipped") for s in result.skipped] + [(s, "superseded") for s in result.superseded])
    for i, (s, kind) in enumerate(sorted(subs, key=lambda p: p[0].rel), start=1):
        modified = dt.datetime.fromtimestamp(s.mtime).replace(microsecond=0) if s.mtime else None
        template = f"{s.template.get('id')} {s.template.get('version')}" if s.template else None
        ws.append([i, s.rel, s.sha256 or None, s.unit.get("code"), s.unit.get("name"), template, modified,
                   outcome[kind], s.reason or None])
    for col, width in enumerate((5, 45, 66, 10, 28, 12, 19, 12, 80), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    _landscape(ws, "1:1")
    _protect(ws)


def _lineage_sheet(wb, result: MergeResult) -> None:
    ws = wb.create_sheet(ui("merge.lineage_sheet"))
    _header(ws, 1, list(ui("merge.lineage_columns")))
    labels = {f.code: f.label for f in result.definition.fields()}
    layout = compute_layout(result.definition)
    for item in result.aggregate.lineage:
        ws.append([layout.fields[item.field].address, item.field, labels[item.field], item.unit_code, item.unit_name,
                   item.file, item.cell, _num(item.value)])
    for col, width in enumerate((18, 26, 50, 10, 28, 45, 18, 14), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    _landscape(ws, "1:1")
    _protect(ws)


def write_summary(result: MergeResult, output: Path) -> Path:
    definition = result.definition
    layout = compute_layout(definition)
    stamper = UnitStamper(definition)
    cells = stamper.cells_for(result.receiver, result.period)
    cells[META_SHEET][f"B{layout.meta_rows['kind']}"] = "summary"
    data = stamper.package.patched(cells)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    _fill_aggregates(wb, result)
    summary_ws, codes, total_row = _summary_sheet(wb, result)
    _chart_sheet(wb, summary_ws, codes, total_row)
    _status_sheet(wb, result)
    _sources_sheet(wb, result)
    _lineage_sheet(wb, result)
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(output, buf.getvalue())
    return output


def write_feedback(result: MergeResult, folder: Path) -> list[Path]:
    """One small workbook per unit with its outcome and findings, ready to send back."""
    import xlsxwriter

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    outcome = ui("merge.outcome")
    entries = [(s, "merged") for s in result.merged if s.kind != "summary"] + \
              [(s, "rejected") for s in result.rejected if s.unit.get("code")] + \
              [(s, "superseded") for s in result.superseded if s.unit.get("code")]
    for s, kind in entries:
        name = f"{s.unit.get('code')}_{ascii_name(str(s.unit.get('name')))}_{result.period.code}_phan-hoi.xlsx"
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        ws = wb.add_worksheet(ui("merge.feedback_sheet"))
        bold = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 12})
        wrap = wb.add_format({"text_wrap": True, "valign": "top", "font_name": "Times New Roman", "font_size": 11})
        head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True,
                              "font_name": "Times New Roman"})
        ws.write(0, 0, ui("merge.feedback_title").format(period=result.period.label), bold)
        ws.write(1, 0, f"{s.unit.get('code')} — {s.unit.get('name')}: {outcome[kind]}", bold)
        ws.write(2, 0, s.reason or "", wrap)
        ws.write_row(4, 0, list(ui("merge.feedback_columns")), head)
        for i, f in enumerate(s.findings, start=1):
            ws.write_row(4 + i, 0, [i, ui(f"importance.{f['importance']}"), ", ".join(f["cells"]), f["message"],
                                    f["instruction"]], wrap)
        for col, width in enumerate((5, 10, 22, 80, 60)):
            ws.set_column(col, col, width)
        wb.close()
        path = folder / name
        write_atomic(path, buf.getvalue())
        written.append(path)
    return written
