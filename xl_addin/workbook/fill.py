"""Write values by code into a workbook: ``cchc fill``.

Data shape: ``{"values": {code: value}, "lists": {list_code: [{column_code: value}…]},
"tables": {table_code: [{column_code: value}…]}}``. Percentages are percent numbers (99.95
means 99,95%); dates are ISO strings; choices are option codes (labels are accepted too).
Unknown codes and wrong types are refused with a message naming the code; nothing is written
then. Rows of a fixed table are named by ``"row": <row code>``.

Amounts are given in each money field's contract unit (tỷ đồng) and written in the workbook's
own money unit: ``don_vi_tien`` from the data when it is given (applied first), else the one the
workbook has chosen; the conversion is exact (1.845655 tỷ đồng is written 1845655000 in a
workbook that types đồng).
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl

from ..atomic import write_atomic
from ..cells import a1
from ..definition import money
from ..definition.models import NUMERIC_TYPES, Column, FieldDef, ReportDefinition
from ..errors import CchcError, render
from .build import cell_value
from .layout import META_SHEET, compute_layout
from .reader import check_is_xlsx, definition_for_meta, read_meta_grid
from .safety import set_inert_text
from .template import fit_text_rows, text_limit, text_rows
from .xlsxpatch import free_row_heights

FIRST_EXCEL_DATE = dt.date(1900, 1, 1)  # the first day an Excel date serial can hold


def _bad(code: str, item: FieldDef | Column, detail: str) -> CchcError:
    return CchcError("fill_bad_value", code=code, label=item.label, detail=detail)


def coerce(definition: ReportDefinition, item: FieldDef | Column, code: str, value: Any,
           money_unit: str | None = None) -> Any:
    """The typed value to store, or ``CchcError``. ``None`` clears the cell. A money amount is
    given in the item's contract unit and stored in the workbook's ``money_unit``."""
    if value is None:
        return None
    t = item.type
    if t in NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise _bad(code, item, render("fill_not_number", value=value))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _bad(code, item, render("fill_not_number", value=value)) from None
        if not number.is_finite():
            raise _bad(code, item, render("fill_not_number", value=value))
        if t == "integer" and number != number.to_integral_value():
            raise _bad(code, item, render("fill_not_integer", value=value))
        lo, hi = item.min, item.max
        if t == "percent":
            lo = Decimal(0) if lo is None else lo
            hi = Decimal(100) if hi is None else hi
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise _bad(code, item, render("fill_out_of_range", value=value, lo=lo, hi=hi))
        if t == "integer":
            return int(number)
        if t == "money" and money.is_money(definition, item):
            stored = money.to_workbook(definition, item, number, money.workbook_unit(definition, money_unit))
            return int(stored) if stored == stored.to_integral_value() else float(stored)
        return cell_value(definition, t, None, number) if t == "percent" else float(number)
    if t == "date":
        if isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(str(value))
            except ValueError:
                raise _bad(code, item, render("fill_not_date", value=value)) from None
        if not FIRST_EXCEL_DATE <= (day.date() if isinstance(day, dt.datetime) else day):
            # Excel stores no date before 1900 (a year typed 201 for 2021 would become text)
            raise _bad(code, item, render("fill_date_before_1900", value=value))
        return day
    if t == "choice":
        options = definition.choice_list(item.choices).options
        for opt in options:
            if value in (opt.code, opt.label):
                return opt.label
        raise _bad(code, item, render("fill_not_in_list", value=value, options=", ".join(o.code for o in options)))
    if not isinstance(value, (str, int, float)):
        raise _bad(code, item, render("fill_not_text"))
    text = unicodedata.normalize("NFC", str(value))
    limit = text_limit(item)
    if len(text) > limit:
        raise _bad(code, item, render("fill_too_long", length=len(text), limit=limit))
    return text


def plan_writes(definition: ReportDefinition, data: dict, money_unit: str | None = None) -> dict[str, dict[str, Any]]:
    """Check everything first; return {sheet: {A1: value}} or raise on the first bad entry.

    ``money_unit``: the workbook's current ``don_vi_tien`` (code or label); a ``don_vi_tien`` in
    ``data`` is applied first and decides the unit the amounts are written in."""
    if not isinstance(data, dict):
        raise CchcError("data_unreadable", file=render("fill_data_label"), detail=render("fill_not_object"))
    unknown_top = set(data) - {"values", "lists", "tables"}
    layout = compute_layout(definition)
    fmap = definition.field_map()
    values = data.get("values") or {}
    lists = data.get("lists") or {}
    tables = data.get("tables") or {}
    unknown = sorted(unknown_top) + sorted(set(values) - set(fmap)) + sorted(set(lists) - set(layout.lists)) \
        + sorted(set(tables) - set(layout.tables))
    if unknown:
        raise CchcError("fill_unknown_code", codes=", ".join(unknown))
    writes: dict[str, dict[str, Any]] = {}

    def put(sheet: str, ref: str, value: Any) -> None:
        writes.setdefault(sheet, {})[ref] = value

    unit_field = definition.money.field if definition.money is not None else None
    if unit_field in values:  # the unit first: the amounts below are written in it
        coerce(definition, fmap[unit_field], unit_field, values[unit_field])
        money_unit = values[unit_field]
    for code, value in values.items():
        f = fmap[code]
        if not f.is_input:
            raise CchcError("fill_computed", code=code, label=f.label)
        pos = layout.fields[code]
        put(pos.sheet, pos.ref, coerce(definition, f, code, value, money_unit))
    for code, rows in lists.items():
        block = layout.lists[code]
        if not isinstance(rows, list):
            raise CchcError("fill_bad_value", code=code, label=block.definition.label, detail=render("fill_not_rows"))
        if len(rows) > block.capacity:
            raise CchcError("fill_too_many_rows", code=code, count=len(rows), capacity=block.capacity)
        cols = {c.code: c for c in block.definition.columns}
        for i in range(block.capacity):  # rows not given are cleared
            row = rows[i] if i < len(rows) else {}
            if not isinstance(row, dict):
                raise CchcError("fill_bad_value", code=code, label=block.definition.label,
                                detail=render("fill_row_not_object", row=i + 1))
            bad = sorted(set(row) - set(cols))
            if bad:
                raise CchcError("fill_unknown_code", codes=", ".join(f"{code}.{b}" for b in bad))
            for col_code, col in cols.items():
                put(block.sheet, a1(block.first_row + i, block.columns[col_code]),
                    coerce(definition, col, f"{code}.{col_code}", row.get(col_code), money_unit))
    _plan_tables(definition, layout, tables, put, money_unit)
    return writes


def _plan_tables(definition: ReportDefinition, layout, tables: dict, put, money_unit: str | None) -> None:
    """The writes of the appendix tables (fixed rows named by ``"row"``, open rows in order)."""
    for code, rows in tables.items():
        block = layout.tables[code]
        table = block.definition
        if not isinstance(rows, list):
            raise CchcError("fill_bad_value", code=code, label=table.title, detail=render("fill_not_rows"))
        cols = {c.code: c for c in table.columns}
        if table.fixed:
            row_index = {r.code: i for i, r in enumerate(table.rows) if r.input}
            targets = []
            for row in rows:
                if not isinstance(row, dict) or row.get("row") not in row_index:
                    raise CchcError("fill_unknown_code",
                                    codes=f"{code}.row={row.get('row') if isinstance(row, dict) else row}")
                targets.append((row_index[row["row"]], row))
        else:
            if len(rows) > block.n_rows:
                raise CchcError("fill_too_many_rows", code=code, count=len(rows), capacity=block.n_rows)
            targets = list(enumerate(rows))
        for i, row in targets:
            if not isinstance(row, dict):
                raise CchcError("fill_bad_value", code=code, label=table.title,
                                detail=render("fill_row_not_object", row=i + 1))
            allowed = set(cols) | {"row", table.label_column.code}
            bad = sorted(set(row) - allowed)
            if bad:
                raise CchcError("fill_unknown_code", codes=", ".join(f"{code}.{b}" for b in bad))
            r = block.first_row + i
            if not table.fixed:
                put(block.sheet, a1(r, block.label_col),
                    coerce(definition, table.label_column, f"{code}.{table.label_column.code}",
                           row.get(table.label_column.code)))
            for col_code, col in cols.items():
                if col.computed:
                    if row.get(col_code) is not None:
                        raise CchcError("fill_computed", code=f"{code}.{col_code}", label=col.label)
                    continue
                if col_code in row or not table.fixed:
                    put(block.sheet, a1(r, block.columns[col_code]),
                        coerce(definition, col, f"{code}.{col_code}", row.get(col_code), money_unit))


def fill_workbook(src: Path, data: dict, out: Path) -> None:
    src, out = Path(src), Path(out)
    check_is_xlsx(src)
    if out.exists() and out.resolve() == src.resolve():
        raise CchcError("output_exists", file=out)
    try:
        wb = openpyxl.load_workbook(src)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise CchcError("workbook_unreadable", file=src, detail=str(exc).splitlines()[0][:200]) from None
    if META_SHEET not in wb.sheetnames:
        raise CchcError("not_our_template", file=src)
    meta = read_meta_grid([[c.value for c in row] for row in wb[META_SHEET].iter_rows(max_col=2)])
    definition = definition_for_meta(meta, src)
    current = None
    if definition.money is not None and definition.money.field in compute_layout(definition).fields:
        pos = compute_layout(definition).fields[definition.money.field]
        current = wb[pos.sheet][pos.ref].value
    writes = plan_writes(definition, data, current)
    for sheet, cells in writes.items():
        ws = wb[sheet]
        for ref, value in cells.items():
            set_inert_text(ws[ref], value)
    layout = compute_layout(definition)
    fit_text_rows(wb, layout)
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(out, free_row_heights(buf.getvalue(), text_rows(layout)))
