"""The trends workbook of ``cchc history`` (XlsxWriter), for the specialist to read and print.

Sheets, labels from ``ui.yaml`` (``history:``):

* **Tổng quan**: the submissions of every period (on time, late, not exported, missing, rejected)
  and the receiving office's own value of each key indicator per period, with a line chart of
  those.
* one sheet per key indicator (ratios with ``history: true``): a units × periods table — the
  receiving office's value and the units' median on top, then every unit sorted by the latest
  period, the change since the period before, cells that moved by ``merge.history.change_points``
  or more filled red or green — under a line chart. A chart with a line per unit is unreadable
  past a handful of units, so it draws the receiving office (thick, labelled), the units' median
  (dashed) and the ``chart_top`` highest and ``chart_bottom`` lowest units of the latest period
  (every unit when there are no more than that): at most eight lines, at 20 units as at 1,000.
* **Xếp hạng**: units ranked by ``merge.history.ranking_ratio`` in the latest period (ties share a
  rank), the value and rank of the period before and the change.
* **Nộp muộn nhiều kỳ**: units late, missing or rejected in more than one period, each period's
  status and days late.
* **Các sổ tổng hợp**: every summary read, its period, file and SHA-256.

Every sheet prints on A4 landscape, one page wide, with its header rows (and the unit columns)
on every page and page numbers in the footer. Texts from the summaries are written as text,
never as formulas.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..definition.models import Ratio
from ..ui import ui
from .history import History
from .summary_layout import AMBER, GREY, RED

FONT = "Times New Roman"
BLUE, GREEN, DARK = "DDEBF7", "C6EFCE", "1F3864"
BORDER = "BFBFBF"
PAGE_CHARS = 132  # the table width (in characters of the default font) that fills an A4 landscape page
CHART_ROWS = 16  # rows the chart of an indicator sheet takes (20 px each)
MEDIAN = "7F7F7F"
TOP_COLOURS = ("1B5E20", "43A047", "7CB342")
BOTTOM_COLOURS = ("B71C1C", "E65100", "F9A825")
PALETTE = ("2E75B6", "C00000", "548235", "ED7D31", "7030A0", "BF8F00", "00B0F0", "FF66CC", "375623", "843C0C")
STATUS_FILL = {"late": AMBER, "unknown_time": BLUE, "missing": RED, "rejected": RED}
BAD = ("late", "missing", "rejected")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _px(chars: float) -> int:
    """A column's width in pixels (Excel: the default font's digit width, 7 px, plus padding)."""
    return int(chars * 7 + 5)


def _sheet_name(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text.strip("'")[:31]


def _header_text(text: str) -> str:
    return text.replace("&", "&&")


@dataclass
class Wide:
    """One indicator (or field) as units × periods, with names and the receiving office's values."""

    values: pd.DataFrame  # index unit_code, columns the period codes in order
    receiver: pd.Series  # by period code
    median: pd.Series  # by period code


class Book:
    """The XlsxWriter workbook and its formats."""

    def __init__(self, history: History) -> None:
        import xlsxwriter

        self.history = history
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 11}})
        self.wb.set_properties({"title": ui("history.title").format(receiver=history.receiver_name),
                                "author": ui("note_author"), "comments": ""})
        self.f = self._formats()
        self.words = ui("history")
        self.status_labels = ui("merge.unit_status")
        self.periods = history.periods
        self.labels = [_capital(p.label) for p in self.periods]

    def _formats(self) -> dict[str, Any]:
        add = self.wb.add_format
        cell = {"border": 1, "border_color": BORDER, "valign": "top"}
        pct = {**cell, "num_format": "0.00"}
        change = {**cell, "num_format": "+0.00;-0.00;0.00"}
        return {
            "title": add({"bold": True, "font_size": 13}),
            "note": add({"text_wrap": True, "valign": "top", "italic": True, "font_color": "404040"}),
            "section": add({"bold": True}),
            "header": add({**cell, "bold": True, "bg_color": GREY, "text_wrap": True, "align": "center",
                           "valign": "vcenter"}),
            "text": add({**cell, "text_wrap": True}),
            "code": add(cell),
            "center": add({**cell, "align": "center"}),
            "int": add({**cell, "num_format": "#,##0"}),
            "rank": add({**cell, "num_format": "0", "align": "center"}),
            "int_grey": add({**cell, "num_format": "#,##0", "font_color": "808080"}),
            "date": add({**cell, "num_format": "dd/mm/yyyy", "align": "center"}),
            "pct": add(pct),
            "pct_down": add({**pct, "bg_color": RED}),
            "pct_up": add({**pct, "bg_color": GREEN}),
            "pct_receiver": add({**pct, "bold": True, "bg_color": BLUE}),
            "pct_median": add({**pct, "italic": True, "font_color": "595959"}),
            "change": add(change),
            "change_down": add({**change, "font_color": "C00000"}),
            "change_up": add({**change, "font_color": "2E7D32"}),
            "change_receiver": add({**change, "bold": True, "bg_color": BLUE}),
            "change_median": add({**change, "italic": True, "font_color": "595959"}),
            "rank_change": add({**cell, "num_format": "+0;-0;0"}),
            "rank_change_down": add({**cell, "num_format": "+0;-0;0", "font_color": "C00000"}),
            "rank_change_up": add({**cell, "num_format": "+0;-0;0", "font_color": "2E7D32"}),
            "receiver": add({**cell, "bold": True, "bg_color": BLUE, "text_wrap": True}),
            "receiver_code": add({**cell, "bold": True, "bg_color": BLUE}),
            "median": add({**cell, "italic": True, "font_color": "595959"}),
            "small": add({**cell, "font_size": 8, "font_name": "Consolas"}),
            **{f"status_{k}": add({**cell, "bg_color": c}) for k, c in STATUS_FILL.items()},
            "status_on_time": add(cell),
            "status_none": add({**cell, "align": "center", "font_color": "808080"}),
        }

    # ------------------------------------------------------------------ helpers
    def sheet(self, name: str, *, unit_columns: bool, header_row: int | None, widths: list[float],
              one_page: bool = False):
        ws = self.wb.add_worksheet(_sheet_name(name))
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 1 if one_page else 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.set_header(ui("history.header").format(receiver=_header_text(self.history.receiver_name),
                                                  title=_header_text(name)))
        ws.set_footer("&C" + ui("merge.page_footer"))
        if header_row is not None:
            ws.repeat_rows(header_row)
        if unit_columns:
            ws.repeat_columns(0, 2)
        for i, width in enumerate(widths):
            ws.set_column(i, i, width)
        ws.hide_gridlines(2)
        return ws

    def number(self, ws, row: int, col: int, value: Any, fmt: str) -> None:
        if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
            ws.write_blank(row, col, None, self.f[fmt])
        else:
            ws.write_number(row, col, float(value), self.f[fmt])

    def text(self, ws, row: int, col: int, value: Any, fmt: str = "text") -> None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            ws.write_blank(row, col, None, self.f[fmt])
        else:
            ws.write_string(row, col, str(value), self.f[fmt])

    def note(self, ws, row: int, last_col: int, text: str, chars: float) -> None:
        """A wrapped note across the table's width, its row as high as its lines."""
        ws.merge_range(row, 0, row, last_col, text, self.f["note"])
        lines = max(1, math.ceil(len(text) * 1.08 / max(20.0, chars)))
        ws.set_row(row, 15 * lines + 3)

    def period_widths(self, fixed: float, extra: float = 0) -> float:
        n = max(1, len(self.periods))
        return max(11.0, min(22.0, (PAGE_CHARS - fixed - extra) / n))

    def save(self) -> bytes:
        self.wb.close()
        return self.buffer.getvalue()


# --------------------------------------------------------------------------- data
def _ranking_ratio(history: History) -> Ratio | None:
    definition = history.definition
    code = definition.merge.history.ranking_ratio or definition.merge.chart_ratio
    found = definition.ratio_map().get(code or "")
    if found is None:
        found = next((r for r in definition.ratios if r.history), None)
    return found


def unit_names(history: History) -> dict[str, str]:
    """Each unit's name as the latest summary holding it gives it."""
    table = history.table[["unit_code", "unit_name"]].drop_duplicates("unit_code", keep="last")
    return dict(zip(table["unit_code"], table["unit_name"], strict=True))


def wide(history: History, code: str) -> Wide:
    periods = history.period_codes
    rows = history.table[history.table["field"] == code]
    values = rows.pivot_table(index="unit_code", columns="period", values="value", aggfunc="first", dropna=False)
    values = values.reindex(columns=periods)
    units = rows["unit_code"].drop_duplicates()
    values = values.reindex(index=units)
    own = history.receiver_values[history.receiver_values["field"] == code].set_index("period")["value"]
    return Wide(values, own.reindex(periods), values.median(axis=0, skipna=True).reindex(periods))


def statuses(history: History) -> pd.DataFrame:
    """One row per unit and period: status and days late."""
    return history.table[["period", "unit_code", "status", "days_late"]].drop_duplicates(["period", "unit_code"])


def sorted_units(w: Wide) -> list[str]:
    """Units by the latest period's value, highest first (ties and units without it by code)."""
    latest = w.values.columns[-1]
    has = w.values[latest].notna()
    ranked = w.values[has].assign(_v=w.values.loc[has, latest]).reset_index()
    ranked = ranked.sort_values(["_v", "unit_code"], ascending=[False, True])
    rest = sorted(w.values.index[~has])
    return list(ranked["unit_code"]) + rest


def chart_units(order: list[str], w: Wide, top: int, bottom: int) -> tuple[list[str], list[str], bool]:
    """(highest, lowest) units of the latest period drawn in the chart; every unit with a value
    (as «highest») when there are no more than ``top + bottom`` of them: never more than
    ``top + bottom`` unit lines. The flag: whether every unit is drawn."""
    latest = w.values.columns[-1]
    with_value = [u for u in order if not pd.isna(w.values.at[u, latest])]
    drawn = [u for u in order if w.values.loc[u].notna().any()]
    if len(drawn) <= top + bottom:
        return drawn, [], True
    return with_value[:top], with_value[len(with_value) - bottom:] if bottom else [], False


def _axis(values: list[float], share: bool) -> dict[str, float]:
    """The value axis: from near the lowest value drawn, to 100 for a share."""
    found = [v for v in values if v is not None and not math.isnan(v)]
    if not found:
        return {"min": 0, "max": 100} if share else {}
    low, high = min(found), max(found)
    span = high - low
    step = next((s for limit, s in ((1, 0.2), (2, 0.5), (5, 1), (10, 2), (30, 5)) if span < limit), 10)
    axis: dict[str, Any] = {"major_unit": step, "num_format": "0.0" if step < 1 else "0",
                            "min": max(0.0, math.floor((low - step / 2) / step) * step)}
    axis["max"] = 100 if share and high <= 100 else math.ceil((high + step / 2) / step) * step
    return axis


# --------------------------------------------------------------------------- sheets
def _overview(book: Book, indicators: list[Ratio], sheets: list[str]) -> None:
    h = book.history
    words = book.words
    sub_cols = words["submissions_columns"]
    n = len(h.periods)
    widths = [44, *([12] * max(8, n + 1))]
    ws = book.sheet(words["overview_sheet"], unit_columns=False, header_row=None, widths=widths, one_page=True)
    ws.write_string(0, 0, words["title"].format(receiver=h.receiver_name), book.f["title"])
    units = h.table["unit_code"].nunique()
    book.note(ws, 1, 8, words["span"].format(count=n, first=book.labels[0], last=book.labels[-1], units=units,
                                             sheets=", ".join(sheets)), 120)
    ws.write_string(3, 0, words["submissions_title"], book.f["section"])
    for c, label in enumerate(sub_cols):
        ws.write_string(4, c, label, book.f["header"])
    ws.set_row(4, 32)
    st = statuses(h)
    row = 5
    old = []
    for p, label in zip(h.periods, book.labels, strict=True):
        rows = st[st["period"] == p.code]
        book.text(ws, row, 0, label)
        ws.write_datetime(row, 1, pd.Timestamp(p.start).to_pydatetime(), book.f["date"])
        ws.write_datetime(row, 2, pd.Timestamp(p.end).to_pydatetime(), book.f["date"])
        ws.write_number(row, 3, len(rows), book.f["int"])
        for c, status in enumerate(("on_time", "late", "unknown_time", "missing", "rejected"), start=4):
            if p.statuses:
                ws.write_number(row, c, int((rows["status"] == status).sum()), book.f["int"])
            else:
                ws.write_string(row, c, words["not_recorded"], book.f["status_none"])
        if not p.statuses:
            old.append(label)
        row += 1
    if old:
        ws.write_string(row, 0, words["not_recorded_note"].format(periods=", ".join(old)), book.f["note"])
        row += 1
    row += 1
    ws.write_string(row, 0, words["indicators_title"].format(receiver=h.receiver_name), book.f["section"])
    row += 1
    header = row
    cols = [words["indicator_column"], *book.labels, words["change_column"]]
    for c, label in enumerate(cols):
        ws.write_string(row, c, label, book.f["header"])
    ws.set_row(row, 48)
    first = row + 1
    for ratio in indicators:
        row += 1
        w = wide(h, ratio.code)
        book.text(ws, row, 0, ratio.label)
        for c, period in enumerate(h.period_codes, start=1):
            book.number(ws, row, c, w.receiver[period], "pct")
        book.number(ws, row, n + 1, _change(w.receiver), "change")
    if indicators and n:
        chart = book.wb.add_chart({"type": "line"})
        name = ws.get_name()
        for i, _ratio in enumerate(indicators):
            r = first + i
            chart.add_series({
                "name": [name, r, 0], "categories": [name, header, 1, header, n], "values": [name, r, 1, r, n],
                "line": {"color": "#" + PALETTE[i % len(PALETTE)], "width": 2.25},
                "marker": {"type": "circle", "size": 6, "fill": {"color": "#" + PALETTE[i % len(PALETTE)]},
                           "border": {"color": "#" + PALETTE[i % len(PALETTE)]}}})
        values = [h.receiver_values.loc[(h.receiver_values["field"] == r.code), "value"].tolist() for r in indicators]
        axis = _axis([v for vs in values for v in vs], all(r.share for r in indicators))
        _style_chart(chart, words["overview_chart"].format(receiver=h.receiver_name), axis)
        chart.set_legend({"position": "bottom", "font": {"size": 9}})
        chart.set_size({"width": _px(sum(widths[:9])), "height": 320})
        ws.insert_chart(row + 2, 0, chart, {"y_offset": 4})
    ws.activate()


def _change(series: pd.Series) -> float | None:
    if len(series) < 2 or pd.isna(series.iloc[-1]) or pd.isna(series.iloc[-2]):
        return None
    return _points_between(series.iloc[-2], series.iloc[-1])


def _points_between(before: Any, after: Any) -> float:
    """The change in percentage points, to the hundredth shown (never a «-0.00»)."""
    return round(float(after) - float(before), 2) + 0.0


def _style_chart(chart, title: str, axis: dict[str, float]) -> None:
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    chart.set_x_axis({"num_font": {"size": 9}, "major_tick_mark": "none"})
    chart.set_y_axis({"num_format": "0", "num_font": {"size": 9}, "major_gridlines": {"visible": True, "line": {
        "color": "#D9D9D9"}}, **axis})  # axis may set its own num_format
    chart.set_chartarea({"border": {"none": True}})
    chart.show_blanks_as("gap")


def _indicator(book: Book, ratio: Ratio, number: int) -> str:
    h = book.history
    words = book.words
    settings = h.definition.merge.history
    w = wide(h, ratio.code)
    n = len(h.periods)
    fixed = [6, 9, 28]
    width = book.period_widths(sum(fixed), 14)
    widths = [*fixed, *([width] * n), 14]
    name = words["indicator_sheet"].format(n=number, short=ratio.short or ratio.label)
    header_row = 3 + CHART_ROWS
    ws = book.sheet(name, unit_columns=True, header_row=header_row, widths=widths)
    last_col = n + 3
    order = sorted_units(w)
    top, bottom, every = chart_units(order, w, settings.chart_top, settings.chart_bottom)
    ws.write_string(0, 0, words["indicator_title"].format(label=ratio.label.upper(), receiver=h.receiver_name),
                    book.f["title"])
    note = words["indicator_note_all" if every else "indicator_note"].format(
        receiver=h.receiver_name, top=len(top), bottom=len(bottom), latest=book.labels[-1].lower(),
        points=_points(settings.change_points))
    book.note(ws, 1, last_col, note, sum(widths))
    header = [*words["unit_columns"], *book.labels, words["change_column"]]
    for c, label in enumerate(header):
        ws.write_string(header_row, c, label, book.f["header"])
    ws.set_row(header_row, 45)
    ws.freeze_panes(header_row + 1, 3)
    names = unit_names(h)
    receiver_row, median_row = header_row + 1, header_row + 2
    book.text(ws, receiver_row, 0, None, "receiver")
    book.text(ws, receiver_row, 1, h.receiver_code, "receiver_code")
    book.text(ws, receiver_row, 2, words["receiver_row"].format(name=h.receiver_name), "receiver")
    book.text(ws, median_row, 0, None, "median")
    book.text(ws, median_row, 1, None, "median")
    book.text(ws, median_row, 2, words["median_row"], "median")
    for c, period in enumerate(h.period_codes, start=3):
        book.number(ws, receiver_row, c, w.receiver[period], "pct_receiver")
        book.number(ws, median_row, c, w.median[period], "pct_median")
    book.number(ws, receiver_row, n + 3, _change(w.receiver), "change_receiver")
    book.number(ws, median_row, n + 3, _change(w.median), "change_median")
    row_of: dict[str, int] = {}
    threshold = float(settings.change_points)
    for i, unit in enumerate(order, start=1):
        r = median_row + i
        row_of[unit] = r
        ws.write_number(r, 0, i, book.f["center"])
        book.text(ws, r, 1, unit, "code")
        book.text(ws, r, 2, names.get(unit, ""))
        series = w.values.loc[unit]
        before = None
        for c, period in enumerate(h.period_codes, start=3):
            value = series[period]
            fmt = "pct"
            if before is not None and not pd.isna(value) and not pd.isna(before):
                moved = _points_between(before, value)
                fmt = "pct_down" if moved <= -threshold else "pct_up" if moved >= threshold else "pct"
            book.number(ws, r, c, value, fmt)
            before = value
        change = _change(series)
        fmt = "change" if change is None or change == 0 else "change_down" if change < 0 else "change_up"
        book.number(ws, r, n + 3, change, fmt)
    _indicator_chart(book, ws, ratio, w, (top, bottom, every), row_of, header_row, receiver_row, median_row, widths)
    return ws.get_name()


def _points(value) -> str:
    from .. import vnnum

    return vnnum.number(value)


def _indicator_chart(book: Book, ws, ratio: Ratio, w: Wide, drawn_units: tuple[list[str], list[str], bool],
                     row_of: dict[str, int], header_row: int, receiver_row: int, median_row: int,
                     widths: list[float]) -> None:
    h = book.history
    top, bottom, few = drawn_units
    n = len(h.periods)
    name = ws.get_name()
    names = unit_names(h)
    chart = book.wb.add_chart({"type": "line"})
    categories = [name, header_row, 3, header_row, n + 2]

    def series(row: int, label: str, colour: str, width: float, **extra) -> None:
        chart.add_series({"name": label, "categories": categories, "values": [name, row, 3, row, n + 2],
                          "line": {"color": "#" + colour, "width": width, **extra.pop("line", {})},
                          "marker": {"type": extra.pop("marker", "circle"), "size": extra.pop("size", 5),
                                     "fill": {"color": "#" + colour}, "border": {"color": "#" + colour}},
                          **extra})

    drawn: list[float] = []
    for i, unit in enumerate(top):
        colour = PALETTE[i % len(PALETTE)] if few else TOP_COLOURS[i % len(TOP_COLOURS)]
        series(row_of[unit], names.get(unit, unit), colour, 1.5)
        drawn += list(w.values.loc[unit])
    for i, unit in enumerate(bottom):
        series(row_of[unit], names.get(unit, unit), BOTTOM_COLOURS[i % len(BOTTOM_COLOURS)], 1.5, marker="square")
        drawn += list(w.values.loc[unit])
    series(median_row, book.words["median_row"], MEDIAN, 1.75, line={"dash_type": "dash"}, marker="none", size=2)
    series(receiver_row, h.receiver_name, DARK, 3.25, size=7,
           data_labels={"value": True, "position": "above", "num_format": "0.00",
                        "font": {"size": 9, "bold": True, "color": "#" + DARK}})
    drawn += list(w.receiver) + list(w.median)
    _style_chart(chart, book.words["chart_title"].format(label=ratio.label), _axis(drawn, ratio.share))
    chart.set_legend({"position": "right", "font": {"size": 9}})
    chart.set_size({"width": _px(sum(widths)), "height": CHART_ROWS * 20 - 8})
    ws.insert_chart(2, 0, chart, {"y_offset": 4})


def _ranking(book: Book, ratio: Ratio) -> None:
    h = book.history
    words = book.words
    w = wide(h, ratio.code)
    codes = h.period_codes
    latest, previous = codes[-1], codes[-2] if len(codes) > 1 else None
    latest_label = book.labels[-1]
    previous_label = book.labels[-2] if previous else ""
    columns = [c.format(latest=latest_label, previous=previous_label) for c in words["ranking_columns"]]
    widths = [7, 9, 28, 15, 15, 12, 10, 12, 20]
    ws = book.sheet(words["ranking_sheet"], unit_columns=True, header_row=3, widths=widths)
    ws.write_string(0, 0, words["ranking_title"].format(label=ratio.label.upper(), latest=latest_label),
                    book.f["title"])
    note = words["ranking_note" if previous else "ranking_note_single"].format(
        latest=latest_label.lower(), previous=previous_label.lower())
    book.note(ws, 1, len(columns) - 1, note, sum(widths))
    for c, label in enumerate(columns):
        ws.write_string(3, c, label, book.f["header"])
    ws.set_row(3, 45)
    ws.freeze_panes(4, 3)
    now = w.values[latest]
    rank_now = now.rank(ascending=False, method="min")
    before = w.values[previous] if previous else pd.Series(dtype="float64")
    rank_before = before.rank(ascending=False, method="min") if previous else pd.Series(dtype="float64")
    st = statuses(h)
    status_now = st[st["period"] == latest].set_index("unit_code")
    names = unit_names(h)
    order = sorted(w.values.index, key=lambda u: (pd.isna(rank_now.get(u)), rank_now.get(u) or 0, u))
    for i, unit in enumerate(order, start=4):
        r_now, r_before = rank_now.get(unit), rank_before.get(unit) if previous else None
        book.number(ws, i, 0, r_now, "rank")
        book.text(ws, i, 1, unit, "code")
        book.text(ws, i, 2, names.get(unit, ""))
        book.number(ws, i, 3, now.get(unit), "pct")
        book.number(ws, i, 4, before.get(unit) if previous else None, "pct")
        change = None
        if previous and not pd.isna(now.get(unit)) and not pd.isna(before.get(unit)):
            change = _points_between(before[unit], now[unit])
        book.number(ws, i, 5, change, "change" if not change else "change_down" if change < 0 else "change_up")
        book.number(ws, i, 6, r_before, "rank")
        moved = None
        if r_now is not None and r_before is not None and not pd.isna(r_now) and not pd.isna(r_before):
            moved = float(r_before) - float(r_now)
        book.number(ws, i, 7, moved, "rank_change" if not moved else "rank_change_down" if moved < 0
                    else "rank_change_up")
        status = status_now["status"].get(unit) if unit in status_now.index else None
        label = book.status_labels.get(status, "") if isinstance(status, str) else ""
        if pd.isna(now.get(unit)) and status in ("on_time", "late", "unknown_time"):
            label = f"{label} ({words['no_value']})" if label else words["no_value"]
        book.text(ws, i, 8, label or None, f"status_{status}" if status in STATUS_FILL else "text")
    ws.autofilter(3, 0, 3 + len(order), len(columns) - 1)


def _lateness(book: Book) -> None:
    h = book.history
    words = book.words
    st = statuses(h)
    names = unit_names(h)
    chronic = chronic_units(h)
    n = len(h.periods)
    fixed = [6, 9, 28, 8, 8, 8, 9]
    width = book.period_widths(sum(fixed))
    widths = [*fixed, *([width] * n)]
    columns = [*words["lateness_columns"], *book.labels]
    ws = book.sheet(words["lateness_sheet"], unit_columns=True, header_row=3, widths=widths)
    ws.write_string(0, 0, words["lateness_title"].format(receiver=h.receiver_name), book.f["title"])
    note = (words["lateness_note"].format(count=len(chronic)) if chronic else words["lateness_none"])
    old = [label for p, label in zip(h.periods, book.labels, strict=True) if not p.statuses]
    note += " " + words["absent_note"]
    if old:
        note += " " + words["not_recorded_note"].format(periods=", ".join(old))
    book.note(ws, 1, len(columns) - 1, note, sum(widths))
    for c, label in enumerate(columns):
        ws.write_string(3, c, label, book.f["header"])
    ws.set_row(3, 45)
    ws.freeze_panes(4, 3)
    for i, unit in enumerate(chronic, start=4):
        mine = st[st["unit_code"] == unit].set_index("period")
        ws.write_number(i, 0, i - 3, book.f["center"])
        book.text(ws, i, 1, unit, "code")
        book.text(ws, i, 2, names.get(unit, ""))
        for c, status in enumerate(BAD, start=3):
            ws.write_number(i, c, int((mine["status"] == status).sum()), book.f["int"])
        ws.write_number(i, 6, int(mine.loc[mine["status"] == "late", "days_late"].fillna(0).sum()), book.f["int"])
        for c, (p, _label) in enumerate(zip(h.periods, book.labels, strict=True), start=7):
            if p.code not in mine.index:
                ws.write_string(i, c, words["absent"], book.f["status_none"])
                continue
            status, days = mine.at[p.code, "status"], mine.at[p.code, "days_late"]
            if not isinstance(status, str):
                ws.write_string(i, c, words["not_recorded"], book.f["status_none"])
            elif status == "late":
                ws.write_string(i, c, words["late_days"].format(days=int(days)), book.f["status_late"])
            else:
                ws.write_string(i, c, book.status_labels.get(status, status), book.f[f"status_{status}"])


def chronic_units(history: History) -> list[str]:
    """Units late, missing or rejected in more than one period: most such periods first, then
    most days late, then by code."""
    st = statuses(history)
    counted = st[st["status"].isin(BAD)]
    per_unit = counted.groupby("unit_code")["status"].count()
    late_days = st.loc[st["status"] == "late"].groupby("unit_code")["days_late"].sum()
    return sorted((str(u) for u, k in per_unit.items() if k > 1),
                  key=lambda u: (-int(per_unit[u]), -int(late_days.get(u, 0) or 0), u))


def _sources(book: Book) -> None:
    h = book.history
    words = book.words
    widths = [22, 10, 11, 11, 36, 66, 10, 14]
    ws = book.sheet(words["sources_sheet"], unit_columns=False, header_row=0, widths=widths)
    for c, label in enumerate(words["sources_columns"]):
        ws.write_string(0, c, label, book.f["header"])
    ws.set_row(0, 30)
    for i, (p, label) in enumerate(zip(h.periods, book.labels, strict=True), start=1):
        book.text(ws, i, 0, label)
        book.text(ws, i, 1, p.code, "code")
        ws.write_datetime(i, 2, pd.Timestamp(p.start).to_pydatetime(), book.f["date"])
        ws.write_datetime(i, 3, pd.Timestamp(p.end).to_pydatetime(), book.f["date"])
        book.text(ws, i, 4, p.file)
        book.text(ws, i, 5, p.sha256, "small")
        ws.write_number(i, 6, p.units, book.f["int"])
        book.text(ws, i, 7, words["recorded"][p.statuses], "center")


def indicators(history: History) -> list[Ratio]:
    """The key indicators (``history: true``) the summaries hold a value of."""
    present = set(history.table.loc[history.table["value"].notna(), "field"]) | set(
        history.receiver_values.loc[history.receiver_values["value"].notna(), "field"])
    return [r for r in history.definition.ratios if r.history and r.code in present]


def workbook_bytes(history: History) -> bytes:
    book = Book(history)
    chosen = indicators(history)
    ranking = _ranking_ratio(history)
    words = book.words
    names = [_sheet_name(words["indicator_sheet"].format(n=i, short=r.short or r.label))
             for i, r in enumerate(chosen, start=1)]
    sheets = [*names, words["ranking_sheet"], words["lateness_sheet"], words["sources_sheet"]]
    _overview(book, chosen, sheets)
    for i, ratio in enumerate(chosen, start=1):
        _indicator(book, ratio, i)
    if ranking is not None:
        _ranking(book, ranking)
    _lateness(book)
    _sources(book)
    return book.save()


def write_workbook(history: History, path: Path) -> Path:
    from ..atomic import write_atomic

    write_atomic(Path(path), workbook_bytes(history))
    return Path(path)
