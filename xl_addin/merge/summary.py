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
import json
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.utils.protection import hash_password

from ..definition.units import ascii_name
from ..ui import ui
from ..definition import money
from ..workbook.build import UnitStamper, cell_values_for_display, write_atomic
from ..workbook.layout import META_SHEET, a1, compute_layout
from ..workbook.protection import PASSWORD
from ..workbook.xlsxpatch import Packed, PackageWriter, sheet_xml
from .run import MergeResult

NUMERIC = ("integer", "decimal", "money", "percent")
_FONTS = [
    '<font><b val="1"/><sz val="11"/><name val="Times New Roman"/></font>',
    '<font><b val="1"/><sz val="13"/><name val="Times New Roman"/></font>',
    '<font><sz val="8"/><color rgb="FF808080"/><name val="Consolas"/></font>',
    '<font><sz val="11"/><name val="Times New Roman"/></font>',
]
_FILLS = [
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/></patternFill></fill>',
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFEB9C"/><bgColor indexed="64"/></patternFill></fill>',
]
_WRAP = '<alignment horizontal="center" vertical="center" wrapText="1"/>'
_TOP = '<alignment vertical="top" wrapText="1"/>'
_XFS = {
    "header": {"font": 0, "fill": 0, "align": _WRAP},
    "title": {"font": 1},
    "code": {"font": 2},
    "text": {"font": 3, "align": _TOP},
    "flag": {"font": 3, "fill": 1, "align": _TOP},
    "number": {"font": 3, "format": "#,##0.###"},
    "total": {"font": 0, "format": "#,##0.###"},
}
_DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"


def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _timing(result: MergeResult, sub) -> str:
    exported = sub.meta.get("exported_at")
    if not exported:
        return "unknown"
    try:
        when = dt.datetime.fromisoformat(str(exported)).date()
    except ValueError:
        return "unknown"
    return "on_time" if when <= result.deadline else "late"


def _aggregate_cells(result: MergeResult) -> dict[str, dict[str, Any]]:
    """The aggregated values, as cells of the receiving unit's copy of the template."""
    definition = result.definition
    layout = compute_layout(definition)
    agg = result.aggregate
    cells: dict[str, dict[str, Any]] = {}

    def put(sheet: str, ref: str, value: Any) -> None:
        cells.setdefault(sheet, {})[ref] = value

    # amounts in the unit the receiving office's copy types money in (its level's default)
    unit_money = None
    if definition.money is not None:
        unit_money = money.workbook_unit(
            definition, definition.field_map()[definition.money.field].default_for(result.receiver.level))
    for code, pos in layout.fields.items():
        f = definition.field_map()[code]
        if f.is_input and f.aggregate != "none":
            put(pos.sheet, pos.ref, _num(cell_values_for_display(definition, code, agg.values.get(code), unit_money)))
    for code, rows in agg.tables.items():
        block = layout.tables[code]
        table = block.definition
        for i, row in enumerate(rows[: block.n_rows]):
            r = block.first_row + (next(j for j, x in enumerate(table.rows) if x.code == row["row"]) if table.fixed else i)
            if not table.fixed:
                put(block.sheet, a1(r, block.label_col), row.get(table.label_column.code))
            for col in table.columns:
                if not col.computed:
                    put(block.sheet, a1(r, block.columns[col.code]), _num(row.get(col.code)))
    for code, rows in agg.lists.items():
        block = layout.lists[code]
        key = block.definition.key_column.code
        for i, row in enumerate(rows[: block.capacity]):
            put(block.sheet, a1(block.first_row + i, block.columns[key]), row.get(key))
    return cells


def _summary_rows(result: MergeResult, st: dict[str, int]) -> tuple[dict, list[str], int]:
    definition = result.definition
    fields = [f for f in definition.fields() if f.type in NUMERIC and f.aggregate in ("sum", "same", "max")]
    ratios = definition.ratios
    codes = ["don_vi_ma", "don_vi_ten"] + [f.code for f in fields] + [r.code for r in ratios]
    labels = [ui("merge.unit_code"), ui("merge.unit_name")] + [f.label for f in fields] + [r.label + " (%)" for r in ratios]
    rows: list[list[Any]] = [[ui("merge.summary_title").format(period=result.period.label, receiver=result.receiver.name)],
                             labels, codes]
    units = sorted(result.aggregate.units, key=lambda r: str(r.get("don_vi_ma")))
    for row in units:
        rows.append([_num(row.get(c)) if not (isinstance(row.get(c), str) and row.get(c) == "" and i > 1) else None
                     for i, c in enumerate(codes)])
    total_row = len(rows) + 1
    totals: list[Any] = ["TONG", ui("merge.totals_label")]
    for col, f in enumerate(fields, start=3):
        if f.aggregate == "sum" and units:
            letter = get_column_letter(col)
            totals.append(("=", f"SUM({letter}4:{letter}{total_row - 1})"))
        else:
            totals.append(_num(result.aggregate.values.get(f.code)))
    totals += [_num(result.aggregate.ratios[r.code].value) for r in ratios]
    rows.append(totals)
    flags = result.aggregate.flags + result.carry_over
    cell_styles = {}
    if flags:
        rows.append([])
        rows.append([ui("merge.flags_title")])
        for text in flags:
            rows.append([text])
            cell_styles[(len(rows), 1)] = st["flag"]
    widths = {c: (30 if c == 2 else 14) for c in range(1, len(codes) + 1)}
    xml = sheet_xml(rows, widths=widths, row_styles={1: st["title"], 2: st["header"], 3: st["code"],
                                                     total_row: st["total"]},
                    cell_styles=cell_styles, column_styles={c: st["number"] for c in range(3, len(codes) + 1)},
                    freeze="C4", protection_hash=hash_password(PASSWORD), fit_width=max(1, (len(codes) + 11) // 12),
                    heights={2: 90})
    return {"xml": xml}, codes, total_row


def _status_xml(result: MergeResult, st: dict[str, int]) -> str:
    labels = ui("merge.status")
    timing = ui("merge.timing")
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
    expected = [(u.code, u.name) for u in result.expected] or \
        [(code, entries[0][1].unit.get("name")) for code, entries in by_code.items()]
    counts = {"on_time": 0, "late": 0, "unknown": 0}
    body: list[list[Any]] = []
    flagged_rows = []
    for code, name in expected:
        entries = by_code.get(code, [])
        if not entries:
            body.append([code, name, labels["missing"]])
            flagged_rows.append(len(body))
            continue
        for status, s in entries:
            when = _timing(result, s) if status.startswith("merged") else None
            if status.startswith("merged") and str(s.unit.get("code")) == code:
                counts[when] += 1
            body.append([code, name, labels[status], s.meta.get("exported_at"), timing[when] if when else None,
                         s.errors, s.warnings, s.rel, s.reason if status not in ("merged", "merged_flag") else None])
            if status in ("rejected", "conflict"):
                flagged_rows.append(len(body))
    title = ui("merge.status_title").format(period=result.period.label, deadline=result.deadline.strftime("%d/%m/%Y"))
    summary = ui("merge.status_counts").format(
        expected=len(result.expected), merged=len(result.merged), on_time=counts["on_time"], late=counts["late"],
        unknown=counts["unknown"], missing=len(result.missing), rejected=len(result.rejected),
        duplicates=len(result.duplicates))
    rows = [[title], [summary], [], list(ui("merge.status_columns"))]
    rows += [[i, *row] for i, row in enumerate(body, start=1)]
    row_styles = {1: st["title"], 2: st["text"], 4: st["header"]}
    row_styles.update({4 + r: st["flag"] for r in flagged_rows})
    widths = dict(enumerate((5, 10, 28, 24, 20, 14, 8, 10, 36, 50), start=1))
    return sheet_xml(rows, widths=widths, row_styles=row_styles, freeze="A5", protection_hash=hash_password(PASSWORD),
                     merges=["A2:J2"], heights={2: 32})


def _sources_xml(result: MergeResult, st: dict[str, int]) -> str:
    outcome = ui("merge.outcome")
    subs = ([(s, "merged") for s in result.merged] + [(s, "rejected") for s in result.rejected]
            + [(s, "skipped") for s in result.skipped] + [(s, "superseded") for s in result.superseded])
    rows: list[list[Any]] = [list(ui("merge.sources_columns"))]
    for i, (s, kind) in enumerate(sorted(subs, key=lambda p: p[0].rel), start=1):
        modified = dt.datetime.fromtimestamp(s.mtime).replace(microsecond=0) if s.mtime else None
        template = (f"{s.template.get('id')} {s.template.get('source_version') or s.template.get('version')}"
                    if s.template else None)
        rows.append([i, s.rel, s.sha256 or None, s.unit.get("code"), s.unit.get("name"), template, modified,
                     outcome[kind], s.reason or None])
    widths = dict(enumerate((5, 45, 66, 10, 28, 12, 19, 12, 80), start=1))
    return sheet_xml(rows, widths=widths, row_styles={1: st["header"]}, freeze="A2",
                     protection_hash=hash_password(PASSWORD))


def _lineage_part(result: MergeResult, st: dict[str, int], compresslevel: int = 1) -> Packed:
    """The lineage sheet (one row per summary value and contributing unit), compressed as it is
    joined: the workers rendered each unit's rows already (``lineage.rows_xml``), so the 30 MB of
    XML of a 1,000-commune merge never sits in memory whole."""
    header = sheet_xml([list(ui("merge.lineage_columns"))], row_styles={1: st["header"]})
    shell = sheet_xml([["x"]], widths=dict(enumerate((18, 26, 50, 10, 28, 45, 18, 14), start=1)), freeze="A2",
                      protection_hash=hash_password(PASSWORD))
    start = shell.index("<sheetData>") + len("<sheetData>")
    end = shell.index("</sheetData>")
    packer = zlib.compressobj(compresslevel, zlib.DEFLATED, -15)
    crc = size = 0
    out = []

    def put(text: str | bytes) -> None:
        nonlocal crc, size
        raw = text.encode("utf-8") if isinstance(text, str) else text
        crc, size = zlib.crc32(raw, crc), size + len(raw)
        out.append(packer.compress(raw))

    put(shell[:start] + header[header.index("<row "): header.index("</sheetData>")])
    for sub in result.merged:  # rows without references follow row 1
        put(sub.lineage)
    put(shell[end:])
    out.append(packer.flush())
    return Packed(crc, size, b"".join(out))


def _chart_parts(summary_name: str, codes: list[str], total_row: int) -> dict[str, bytes] | None:
    """The drawing and chart parts of the on-time-rate bar chart, written by openpyxl once."""
    if "ty_le_gq_dung_han" not in codes or total_row <= 4:
        return None
    wb = openpyxl.Workbook()
    data_ws = wb.active
    data_ws.title = summary_name
    chart_ws = wb.create_sheet("chart")
    col = codes.index("ty_le_gq_dung_han") + 1
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = ui("merge.chart_title")
    chart.y_axis.title = "%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.add_data(Reference(data_ws, min_col=col, min_row=3, max_row=total_row - 1), titles_from_data=True)
    chart.set_categories(Reference(data_ws, min_col=2, min_row=4, max_row=total_row - 1))
    chart.legend = None
    chart.height = max(8, 0.6 * (total_row - 4) + 3)
    chart.width = 22
    chart_ws.add_chart(chart, "A1")
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        return {name: zf.read(name) for name in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml",
                                                 "xl/drawings/_rels/drawing1.xml.rels")}


def _styles(writer: PackageWriter) -> dict[str, int]:
    """The summary's own cell styles, added to the template's (the same ids for the same template)."""
    return dict(zip(_XFS, writer.add_styles(_FONTS, _FILLS, list(_XFS.values()))))


class LineageJob:
    """The lineage sheet — by far the summary's biggest part (one row per value and unit: 60,000
    rows, 30 MB of XML for 1,000 communes) — built and compressed in a forked process while the
    main process aggregates and writes the rest. Where processes are not forked (Windows), or
    for a small merge, or if that process fails, the sheet is built in the main process instead.
    """

    TIMEOUT = 600  # seconds: a lineage process that has not answered by then is given up on
    MIN_UNITS = 50  # below this the sheet is quicker to build than a process to start

    def __init__(self, result: MergeResult) -> None:
        import multiprocessing

        self.result = result
        self._conn = None
        self._proc = None
        if len(result.merged) < self.MIN_UNITS or multiprocessing.get_start_method() != "fork":
            return
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=self._child, args=(send,), daemon=True)
        self._proc.start()
        send.close()
        self._conn = receive

    def _child(self, conn) -> None:
        import os

        try:
            st = _styles(PackageWriter(UnitStamper(self.result.definition).package))
            part = _lineage_part(self.result, st)
            conn.send((st, part.crc, part.size))
            conn.send_bytes(part.data)
        except BaseException:  # noqa: BLE001 - the parent builds the sheet itself
            pass
        finally:
            conn.close()
            os._exit(0)  # nothing else of the parent's (output buffers, exit handlers) runs here

    def part(self, st: dict[str, int]) -> Packed:
        """The sheet: compressed by the other process when it could, else built here."""
        if self._conn is not None:
            try:
                if self._conn.poll(self.TIMEOUT):
                    child_st, crc, size = self._conn.recv()
                    data = self._conn.recv_bytes()
                    if child_st == st:
                        return Packed(crc, size, data)
            except (EOFError, OSError, ValueError):
                pass
            finally:
                self.close()
        return _lineage_part(self.result, st)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
            self._proc = None


def write_summary(result: MergeResult, output: Path, lineage: LineageJob | None = None) -> Path:
    definition = result.definition
    layout = compute_layout(definition)
    stamper = UnitStamper(definition)
    cells = stamper.cells_for(result.receiver, result.period)
    cells[META_SHEET][f"B{layout.meta_rows['kind']}"] = "summary"
    if result.aggregate.suspect:  # totals holding a unit's implausible value: the summary's report marks them
        cells[META_SHEET][f"B{layout.meta_rows['suspect_fields']}"] = json.dumps(
            result.aggregate.suspect, ensure_ascii=False, sort_keys=True)
    for sheet, values in _aggregate_cells(result).items():
        cells.setdefault(sheet, {}).update(values)
    writer = PackageWriter(stamper.package, cells)
    st = _styles(writer)
    summary, codes, total_row = _summary_rows(result, st)
    position = writer.add_sheet(ui("merge.summary_sheet"), summary["xml"])
    parts = _chart_parts(ui("merge.summary_sheet"), codes, total_row)
    if parts:
        writer.add_part("xl/charts/chart1.xml", parts["xl/charts/chart1.xml"],
                        "application/vnd.openxmlformats-officedocument.drawingml.chart+xml")
        writer.add_part("xl/drawings/drawing1.xml", parts["xl/drawings/drawing1.xml"],
                        "application/vnd.openxmlformats-officedocument.drawing+xml")
        writer.add_part("xl/drawings/_rels/drawing1.xml.rels", parts["xl/drawings/_rels/drawing1.xml.rels"])
        rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
                '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdD1" '
                f'Type="{_DRAWING_REL}" Target="/xl/drawings/drawing1.xml"/></Relationships>')
        writer.add_sheet(ui("merge.chart_sheet"), sheet_xml([], protection_hash=hash_password(PASSWORD),
                                                             drawing_rid="rIdD1"), rels)
    writer.add_sheet(ui("merge.status_sheet"), _status_xml(result, st))
    writer.add_sheet(ui("merge.sources_sheet"), _sources_xml(result, st))
    writer.add_sheet(ui("merge.lineage_sheet"), lineage.part(st) if lineage else _lineage_part(result, st))
    writer.set_active(position)
    write_atomic(output, writer.to_bytes(compresslevel=1))
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
        ws.write_string(0, 0, ui("merge.feedback_title").format(period=result.period.label), bold)
        ws.write_string(1, 0, f"{s.unit.get('code')} — {s.unit.get('name')}: {outcome[kind]}", bold)
        ws.write_string(2, 0, s.reason or "", wrap)
        ws.write_row(4, 0, list(ui("merge.feedback_columns")), head)
        for i, f in enumerate(s.findings, start=1):
            ws.write_number(4 + i, 0, i, wrap)
            for col, text in enumerate((ui(f"importance.{f['importance']}"), ", ".join(f["cells"]), f["message"],
                                        f["instruction"]), start=1):
                ws.write_string(4 + i, col, str(text or ""), wrap)  # never a formula, whatever the text
        for col, width in enumerate((5, 10, 22, 80, 60)):
            ws.set_column(col, col, width)
        wb.close()
        path = folder / name
        write_atomic(path, buf.getvalue())
        written.append(path)
    return written
