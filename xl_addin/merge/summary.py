"""The summary workbook and the per-unit feedback workbooks.

The summary is itself a workbook of the same template, stamped for the receiving unit with
``kind = summary`` and filled with the aggregated values, so ``cchc report`` writes its
narrative and a higher level can merge it again. Extra sheets: Tổng hợp (the specialist's
dashboard, written by ``summary_layout``), Biểu đồ, Tình hình nộp báo cáo, Nguồn, Nguồn gốc số
liệu, and Kiến nghị của đơn vị (the units' requests, ``requests.py``; the summary's own list of
requests stays the receiving office's). Written atomically; protected like the templates; the
receiving unit's own Thông tin chung and Đánh giá stay unlocked. The per-unit feedback workbooks
are ``feedback.py``'s.
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
from openpyxl.utils.protection import hash_password

from ..atomic import write_atomic
from ..cells import a1
from ..definition import money
from ..ui import ui
from ..workbook.build import UnitStamper, cell_values_for_display
from ..workbook.layout import META_SHEET, compute_layout
from ..workbook.protection import PASSWORD
from ..workbook.xlsxpatch import PackageWriter, Packed, sheet_xml
from ..xmlescape import ooxml_escape
from .lineage import without_fields
from .results import MergeResult

_FONTS = [
    '<font><b val="1"/><sz val="11"/><name val="Times New Roman"/></font>',
    '<font><b val="1"/><sz val="13"/><name val="Times New Roman"/></font>',
    '<font><sz val="8"/><color rgb="FF808080"/><name val="Consolas"/></font>',
    '<font><sz val="11"/><name val="Times New Roman"/></font>',
]
# a colour for every status of the submission sheet (the fills follow _FILLS' order)
STATUS_FILLS = {"missing": "FFC7CE", "rejected": "F4B084", "late": "FFEB9C", "unknown_time": "DDEBF7",
                "on_time": "C6EFCE"}
_FILLS = [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/></patternFill></fill>'
          for c in ("F2F2F2", "FFEB9C", *STATUS_FILLS.values())]
_WRAP = '<alignment horizontal="center" vertical="center" wrapText="1"/>'
_TOP = '<alignment vertical="top" wrapText="1"/>'
WHEN = "dd/mm/yyyy hh:mm"
_XFS = {
    "header": {"font": 0, "fill": 0, "align": _WRAP},
    "title": {"font": 1},
    "code": {"font": 2},
    "text": {"font": 3, "align": _TOP},
    "flag": {"font": 3, "fill": 1, "align": _TOP},
    "when": {"font": 3, "format": WHEN, "align": _TOP},
    **{f"status_{k}": {"font": 3, "fill": i, "align": _TOP} for i, k in enumerate(STATUS_FILLS, start=2)},
    "chart_data": {"font": 3, "format": "0.00"},
    "theme": {"font": 0, "fill": 0, "align": _TOP},
}
_DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
_EPOCH = dt.datetime(1899, 12, 30)


def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def excel_time(value: dt.datetime | None) -> float | None:
    """A time as Excel stores it (days since 30/12/1899), shown with a Vietnamese date format."""
    if value is None:
        return None
    delta = value - _EPOCH
    return round(delta.days + delta.seconds / 86400, 6)


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
            at = next(j for j, x in enumerate(table.rows) if x.code == row["row"]) if table.fixed else i
            r = block.first_row + at
            if not table.fixed:
                put(block.sheet, a1(r, block.label_col), row.get(table.label_column.code))
            for col in table.columns:
                if not col.computed:
                    put(block.sheet, a1(r, block.columns[col.code]), _num(row.get(col.code)))
    # a compiled list's items (the units' kiến nghị) go on «Kiến nghị của đơn vị», not into the
    # office's own list: the summary's report says only what the office itself asks
    return cells


def _tong_hop(result: MergeResult, writer: PackageWriter, excluded: dict[str, set[str]]) -> int:
    """Tổng hợp through the summary-layout module: one row per unit of ``result.units`` that
    reports here directly, statuses, totals, notes on the outliers and the totals holding them."""
    from .summary_layout import Note, write

    agg = result.aggregate
    notes: dict[tuple[str, str], list[Note]] = {}
    for o in result.outliers:
        notes.setdefault((o.unit, o.field), []).append(Note(o.importance, o.reason))
    total_notes: dict[str, list[Note]] = {}
    names = {e.code: e.name for e in result.units}
    for o in result.outliers:
        if o.kind != "implausible":
            continue
        key = "merge.total_excludes" if o.unit in excluded.get(o.field, ()) else "merge.total_includes"
        total_notes.setdefault(o.field, []).append(
            Note("info" if key.endswith("excludes") else o.importance,
                 ui(key).format(name=names.get(o.unit, o.unit), value=o.reason.split(": ", 1)[-1])))
    from ..definition import expr

    fmap = result.definition.field_map()
    for ratio in result.definition.ratios:  # a total ratio built on such a total is marked with it
        parts = expr.field_refs(expr.parse(ratio.numerator)) | expr.field_refs(expr.parse(ratio.denominator))
        marked = sorted(p for p in parts if any(n.importance == "error" for n in total_notes.get(p, [])))
        if marked:
            total_notes.setdefault(ratio.code, []).append(
                Note("error", ui("merge.total_built_on").format(labels=", ".join(fmap[p].label for p in marked))))
    totals = {k: v for k, v in agg.values.items()}
    totals.update({k: r.value for k, r in agg.ratios.items()})
    title = ui("merge.summary_title").format(period=result.period.label, receiver=result.receiver.name)
    flags = result.flags + [ui("merge.excluded_flag").format(reason=o.reason) for o in result.excluded]
    return write(writer, result.definition, agg.units, title=title, state=_state_line(result), totals=totals,
                 notes=notes, total_notes=total_notes, excluded=excluded, flags=flags,
                 protection_hash=hash_password(PASSWORD))


def _counts(result: MergeResult) -> dict[str, int]:
    counts = dict.fromkeys(("on_time", "late", "unknown_time", "missing", "rejected"), 0)
    for e in result.units:
        if e.via is None:
            counts[e.status] += 1
    return counts


def _state_line(result: MergeResult) -> str:
    """The state of the submissions in one sentence (completeness unknown without a unit list)."""
    counts = _counts(result)
    params = dict(counts, deadline=result.deadline.strftime("%d/%m/%Y"), expected=len(result.expected),
                  files=len(result.merged), units=sum(1 for e in result.units if e.via is None))
    if not result.units_listed:
        return ui("merge.state_unknown").format(**params)
    return ui("merge.state_known").format(**params)


def _status_xml(result: MergeResult, st: dict[str, int]) -> str:
    """Tình hình nộp báo cáo: one row per unit, problems first, a colour per status, a filter."""
    from .status import PROBLEM_ORDER

    labels = ui("merge.unit_status")
    outcome = ui("merge.outcome")
    entries = sorted(result.units, key=lambda e: (PROBLEM_ORDER[e.status], 0 if e.errors else 1, e.code))
    title = ui("merge.status_title").format(period=result.period.label, deadline=result.deadline.strftime("%d/%m/%Y"))
    rows: list[list[Any]] = [[title], [_state_line(result)], [], list(ui("merge.status_columns"))]
    cell_styles: dict[tuple[int, int], int] = {}
    heights: dict[int, float] = {2: 48, 4: 45}
    for i, e in enumerate(entries, start=1):
        files = "\n".join(f"{f['file']} ({outcome[f['outcome']]})" for f in e.files)
        lines = max(len(e.files), -(-len(e.reason or "") // 95), 1)
        if lines > 1:
            heights[len(rows) + 1] = 15 * lines
        rows.append([i, e.code, e.name, labels[e.status], e.days_late if e.status == "late" else None,
                     excel_time(e.exported_at), excel_time(e.arrived_at), e.errors if e.reported else None,
                     e.warnings if e.reported else None, files or None, e.via, e.reason])
        r = len(rows)
        cell_styles[(r, 4)] = st[f"status_{e.status}"]
        cell_styles[(r, 6)] = cell_styles[(r, 7)] = st["when"]
    last = max(len(rows), 5)
    widths = dict(enumerate((5, 9, 26, 16, 8, 16, 16, 7, 9, 40, 24, 60), start=1))
    return sheet_xml(rows, widths=widths, row_styles={1: st["title"], 2: st["text"], 4: st["header"]},
                     column_styles={c: st["text"] for c in range(1, 13)}, cell_styles=cell_styles, freeze="D5",
                     protection_hash=hash_password(PASSWORD), merges=["A2:L2"], heights=heights,
                     autofilter=f"A4:L{last}", footer="&C" + ui("merge.page_footer"))


def _requests_xml(result: MergeResult, st: dict[str, int]) -> str:
    """Kiến nghị của đơn vị: the units' items of the compiled lists, identical ones merged with every
    unit named, grouped by the themes of the definition (``requests.py``)."""
    from .requests import compile_requests, grid

    compiled = compile_requests(result.definition, result.aggregate.lists)
    title = ui("merge.requests_title").format(period=result.period.label, receiver=result.receiver.name)
    rows, kinds = grid(compiled, title=title, receiver=result.receiver.name)
    row_styles = {1: st["title"], 2: st["text"], 4: st["header"]}
    heights: dict[int, float] = {2: 32, 4: 30}
    merges = ["A2:D2"]
    for r, kind in kinds.items():
        if kind in ("theme", "list"):
            row_styles[r] = st["theme"]
            merges.append(f"B{r}:D{r}")
        else:
            _n, text, names, _count = rows[r - 1]
            lines = max(-(-len(text) // 80), -(-len(names) // 38), 1)
            if lines > 1:
                heights[r] = 15 * lines
    return sheet_xml(rows, widths={1: 6, 2: 84, 3: 40, 4: 9}, row_styles=row_styles,
                     column_styles={c: st["text"] for c in range(1, 5)}, freeze="A5",
                     protection_hash=hash_password(PASSWORD), merges=merges, heights=heights,
                     footer="&C" + ui("merge.page_footer"))


def _sources_xml(result: MergeResult, st: dict[str, int]) -> str:
    outcome = ui("merge.outcome")
    subs = ([(s, "merged") for s in result.merged] + [(s, "rejected") for s in result.rejected]
            + [(s, "skipped") for s in result.skipped] + [(s, "superseded") for s in result.superseded])
    rows: list[list[Any]] = [list(ui("merge.sources_columns"))]
    for i, (s, kind) in enumerate(sorted(subs, key=lambda p: p[0].rel), start=1):
        modified = dt.datetime.fromtimestamp(s.mtime).replace(microsecond=0) if s.mtime else None
        template = (f"{s.template.get('id')} {s.template.get('source_version') or s.template.get('version')}"
                    if s.template else None)
        rows.append([i, s.rel, s.sha256 or None, s.unit.get("code"), s.unit.get("name"), template,
                     excel_time(modified), outcome[kind], s.reason or None])
    widths = dict(enumerate((5, 45, 66, 10, 28, 12, 16, 12, 80), start=1))
    return sheet_xml(rows, widths=widths, row_styles={1: st["header"]}, column_styles={7: st["when"]}, freeze="A2",
                     protection_hash=hash_password(PASSWORD), autofilter=f"A1:I{max(len(rows), 2)}")


def _lineage_part(result: MergeResult, st: dict[str, int], excluded: dict[str, set[str]] | None = None,
                  compresslevel: int = 1) -> Packed:
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
    by_unit: dict[str, list[str]] = {}
    for code, units in (excluded or {}).items():
        for unit in units:
            by_unit.setdefault(unit, []).append(code)
    for sub in result.merged:  # rows without references follow row 1
        left_out = by_unit.get(str(sub.unit.get("code")))
        put(without_fields(result.definition, sub.lineage, left_out) if left_out else sub.lineage)
    put(shell[end:])
    out.append(packer.flush())
    return Packed(crc, size, b"".join(out))


def _chart_data(result: MergeResult) -> list[tuple[str, float]]:
    """(unit name, value) of the chart's ratio for every unit that reported it, lowest first (a
    horizontal bar chart draws the first category at the bottom: the highest comes on top)."""
    code = result.definition.merge.chart_ratio
    if not code:
        return []
    points = [(row.name, float(row.values[code])) for row in result.aggregate.units
              if row.reported and row.values.get(code) is not None]
    return sorted(points, key=lambda p: (p[1], p[0]))


def _chart_title(text: str):
    """A chart title in 12 pt bold (openpyxl's default is a size that takes a third of a small chart)."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import (
        CharacterProperties,
        Paragraph,
        ParagraphProperties,
        RegularTextRun,
    )

    props = CharacterProperties(sz=1200, b=True)
    return Title(tx=Text(rich=RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props),
                                                    r=[RegularTextRun(rPr=props, t=text)])])), overlay=False)


def _chart_sheet(result: MergeResult, st: dict[str, int]) -> tuple[str, dict[str, bytes]] | None:
    """Biểu đồ: the chart's data (hidden columns A:B, sorted) and its drawing, written by openpyxl
    once: sorted bars with data labels, the axis from near the lowest value, the period in the
    title, sized to print on one page."""
    import math

    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import (
        CharacterProperties,
        Paragraph,
        ParagraphProperties,
    )

    points = _chart_data(result)
    if not points:
        return None
    ratio = result.definition.ratio_map()[result.definition.merge.chart_ratio]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = ui("merge.chart_sheet")
    ws.append([ui("merge.unit_name"), ratio.label])
    for name, value in points:
        ws.append([ooxml_escape(str(name)), value])  # openpyxl refuses control characters: _xHHHH_
    n = len(points)
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = _chart_title(ui("merge.chart_title").format(label=ratio.label, period=result.period.label))
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.legend = None
    chart.visible_cells_only = False  # the data sits in hidden columns
    low, high = points[0][1], points[-1][1]
    step = 1 if high - low < 5 else (5 if high - low < 30 else 10)
    chart.x_axis.scaling.orientation = "minMax"
    chart.y_axis.scaling.min = max(0.0, math.floor((low - max(0.5, (high - low) * 0.1)) / step) * step)
    if high <= 100:
        chart.y_axis.scaling.max = 100
    chart.y_axis.majorUnit = step
    chart.y_axis.title = "%"
    chart.y_axis.number_format = "0"
    chart.x_axis.tickLblSkip = 1  # every unit named
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    size = 600 if n > 70 else (700 if n > 40 else 900)  # font size in hundredths of a point
    text = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)), endParaRPr=
                                 CharacterProperties(sz=size))])
    chart.x_axis.txPr = text
    chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False, showLegendKey=False,
                                     showPercent=False, showLeaderLines=False)
    chart.dataLabels.numFmt = "0.00"
    chart.dataLabels.txPr = text
    chart.gapWidth = 40
    chart.height = min(26.0, max(9.0, 0.6 * n + 4))  # cm: one A4 page, portrait
    chart.width = 17.5
    ws.add_chart(chart, "C1")
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        parts = {name: zf.read(name) for name in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml",
                                                  "xl/drawings/_rels/drawing1.xml.rels")}
    rows = [[ui("merge.unit_name"), ratio.label]] + [[name, value] for name, value in points]
    xml = sheet_xml(rows, widths={1: 28, 2: 10}, hidden_cols={1, 2}, column_styles={2: st["chart_data"]},
                    protection_hash=hash_password(PASSWORD), drawing_rid="rIdD1", landscape=False, fit_height=1)
    return xml, parts


def _styles(writer: PackageWriter) -> dict[str, int]:
    """The summary's own cell styles, added to the template's (the same ids for the same template)."""
    return dict(zip(_XFS, writer.add_styles(_FONTS, _FILLS, list(_XFS.values())), strict=True))


class LineageJob:
    """The lineage sheet — by far the summary's biggest part (one row per value and unit: 60,000
    rows, 30 MB of XML for 1,000 communes) — built and compressed in a forked process while the
    main process aggregates and writes the rest. Where processes are not forked (Windows), or
    for a small merge, or if that process fails, the sheet is built in the main process instead.
    """

    TIMEOUT = 600  # seconds: a lineage process that has not answered by then is given up on
    MIN_UNITS = 50  # below this the sheet is quicker to build than a process to start

    def __init__(self, result: MergeResult, excluded: dict[str, set[str]] | None = None) -> None:
        import multiprocessing

        self.result = result
        self.excluded = excluded or {}
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

        from .collect import die_with_parent

        die_with_parent()  # a merge killed with kill -9 leaves no process behind
        try:
            st = _styles(PackageWriter(UnitStamper(self.result.definition).package))
            part = _lineage_part(self.result, st, self.excluded)
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
        return _lineage_part(self.result, st, self.excluded)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
            self._proc = None


def write_summary(result: MergeResult, output: Path, lineage: LineageJob | None = None,
                  excluded: dict[str, set[str]] | None = None) -> Path:
    from .summary_layout import LAYOUT_VERSION, META_KEY

    definition = result.definition
    excluded = excluded or {}
    layout = compute_layout(definition)
    stamper = UnitStamper(definition)
    cells = stamper.cells_for(result.receiver, result.period)
    cells[META_SHEET][f"B{layout.meta_rows['kind']}"] = "summary"
    cells[META_SHEET][f"B{layout.meta_rows[META_KEY]}"] = LAYOUT_VERSION
    if result.aggregate.suspect:  # totals holding a unit's implausible value: the summary's report marks them
        cells[META_SHEET][f"B{layout.meta_rows['suspect_fields']}"] = json.dumps(
            result.aggregate.suspect, ensure_ascii=False, sort_keys=True)
    for sheet, values in _aggregate_cells(result).items():
        cells.setdefault(sheet, {}).update(values)
    writer = PackageWriter(stamper.package, cells)
    st = _styles(writer)
    position = _tong_hop(result, writer, excluded)
    chart = _chart_sheet(result, st)
    if chart:
        xml, parts = chart
        writer.add_part("xl/charts/chart1.xml", parts["xl/charts/chart1.xml"],
                        "application/vnd.openxmlformats-officedocument.drawingml.chart+xml")
        writer.add_part("xl/drawings/drawing1.xml", parts["xl/drawings/drawing1.xml"],
                        "application/vnd.openxmlformats-officedocument.drawing+xml")
        writer.add_part("xl/drawings/_rels/drawing1.xml.rels", parts["xl/drawings/_rels/drawing1.xml.rels"])
        rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
                '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdD1" '
                f'Type="{_DRAWING_REL}" Target="/xl/drawings/drawing1.xml"/></Relationships>')
        writer.add_sheet(ui("merge.chart_sheet"), xml, rels)
    writer.add_sheet(ui("merge.status_sheet"), _status_xml(result, st))
    if any(lst.aggregate == "list" for lst in definition.lists):
        writer.add_sheet(ui("merge.requests_sheet"), _requests_xml(result, st))
    writer.add_sheet(ui("merge.sources_sheet"), _sources_xml(result, st))
    writer.add_sheet(ui("merge.lineage_sheet"),
                     lineage.part(st) if lineage else _lineage_part(result, st, excluded))
    writer.set_active(position)
    write_atomic(output, writer.to_bytes(compresslevel=1))
    return output


def write_feedback(result: MergeResult, folder: Path) -> list[Path]:
    from .feedback import write_feedback as write

    return write(result, folder)
