"""Amounts as the unit states them (``money`` in report.yaml, the field ``don_vi_tien``).

A workbook types and shows money in the unit its clerk chose (đồng for a commune: 1.845.655.000;
tỷ đồng for a district: 54,02). Everything the tool reads, fills, checks, aggregates and tells
keeps each money field's contract unit (its ``unit``, tỷ đồng today). The conversion is exact:
``Decimal.scaleb`` by the power of ten between the two units (never a float product, never
rounded), so 1845655000 đồng is exactly 1.845655 tỷ đồng and back.

``in_workbook_unit`` is the one function other code calls to show an amount (or a bound, such as
``plausible_bound``) in the workbook's own unit: the Kiểm tra sheet, live checks and messages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..memo import freeze, per_object
from .models import Column, FieldDef, ReportDefinition


def _key(text: Any) -> str:
    return unicodedata.normalize("NFC", str(text or "")).strip().casefold()


def units_by_key(definition: ReportDefinition) -> Mapping[str, tuple[str, str, Decimal]]:
    """Option code and label (case-folded) -> (code, label, đồng per unit); worked out once per
    definition (every money cell of every file asks), read-only."""
    if definition.money is None:
        return {}
    return per_object(definition, "money_units", lambda: freeze(_units_by_key(definition)))


def _units_by_key(definition: ReportDefinition) -> dict[str, tuple[str, str, Decimal]]:
    assert definition.money is not None
    field = definition.field_map()[definition.money.field]
    out: dict[str, tuple[str, str, Decimal]] = {}
    for opt in definition.choice_list(field.choices or "").options:
        entry = (opt.code, opt.label, Decimal(opt.dong or 1))
        out[_key(opt.code)] = entry
        out[_key(opt.label)] = entry
    return out


def dong_unit(definition: ReportDefinition) -> str | None:
    """The code of the money option worth one đồng (``dong: 1``), if the definition has one."""
    return next((code for code, _label, per in units_by_key(definition).values() if per == 1), None)


def workbook_unit(definition: ReportDefinition, value: Any) -> str | None:
    """The money unit code of a workbook from its ``don_vi_tien`` value (code or label);
    the ``missing`` unit when it is empty or unknown. None when the definition has no ``money``."""
    if definition.money is None:
        return None
    hit = units_by_key(definition).get(_key(value)) if value not in (None, "") else None
    return hit[0] if hit else definition.money.missing


def _exponent(definition: ReportDefinition, unit: str | None, item: FieldDef | Column) -> int:
    """Powers of ten from the item's contract unit to ``unit`` (tỷ đồng → đồng: 9)."""
    units = units_by_key(definition)
    contract = units.get(_key(item.unit))
    chosen = units.get(_key(unit)) if unit else None
    if contract is None or chosen is None:
        return 0
    ratio = contract[2] / chosen[2]
    exponent = ratio.adjusted()
    if Decimal(1).scaleb(exponent) != ratio:  # units a power of ten apart only (checked by the definition)
        raise ValueError(f"{item.unit} / {unit}: not a power of ten")
    return exponent


def is_money(definition: ReportDefinition, item: FieldDef | Column) -> bool:
    return item.type == "money" and definition.money is not None and _key(item.unit) in units_by_key(definition)


def to_contract(definition: ReportDefinition, item: FieldDef | Column, typed: Decimal, unit: str | None) -> Decimal:
    """An amount typed in the workbook's unit, in the item's contract unit (exact)."""
    if not is_money(definition, item):
        return typed
    return _tidy(typed.scaleb(-_exponent(definition, unit, item)))


def to_workbook(definition: ReportDefinition, item: FieldDef | Column, amount: Decimal, unit: str | None) -> Decimal:
    """An amount in the item's contract unit, in the workbook's unit (exact)."""
    if not is_money(definition, item):
        return amount
    return _tidy(amount.scaleb(_exponent(definition, unit, item)))


def _tidy(value: Decimal) -> Decimal:
    """1845655000.0 -> 1845655000; 1.8456550000 -> 1.845655 (same value, no exponent form)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


@dataclass(frozen=True)
class WorkbookAmount:
    value: Decimal  # in the workbook's unit
    unit: str  # its label ("đồng", "tỷ đồng"; the item's own unit when it is no money)
    text: str  # "1.845.655.000 đồng"


def in_workbook_unit(definition: ReportDefinition, item: FieldDef | Column, amount: Any,
                     unit: str | None) -> WorkbookAmount | None:
    """An amount or a bound of ``item`` (in its contract unit) as the workbook shows it.

    ``unit``: the workbook's ``don_vi_tien`` (code or label; None or empty: the ``missing``
    unit). For a field that is not money the amount is returned as it is, with the field's unit.
    Used for messages ("1.845.655.000 đồng lớn bất thường, quá 1.000.000.000.000 đồng"), the
    Kiểm tra sheet and live checks that compare a typed cell with ``plausible_bound(level)``.
    """
    from .. import vnnum

    if amount is None:
        return None
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    if is_money(definition, item):
        code = workbook_unit(definition, unit)
        label = units_by_key(definition)[_key(code)][1]
        value = to_workbook(definition, item, value, code)
    else:
        label = item.unit or ""
    text = vnnum.number(_tidy(value)) + (f" {label}" if label and label != "%" else label)
    return WorkbookAmount(value, label, text)


def excel_dong_per_unit(definition: ReportDefinition, ref: str | None = None) -> str:
    """An Excel expression: how many đồng one unit of the workbook's chosen money unit is
    (an empty or unknown choice counts as the ``missing`` unit)."""
    assert definition.money is not None
    ref = ref or definition.money.field
    field = definition.field_map()[definition.money.field]
    options = definition.choice_list(field.choices or "").options
    missing = next(o for o in options if o.code == definition.money.missing)
    expr = _excel_number(missing.dong)
    for opt in reversed([o for o in options if o.code != missing.code]):
        label = opt.label.replace('"', '""')
        expr = f'IF({ref}="{label}",{_excel_number(opt.dong)},{expr})'
    return expr


def _excel_number(value: Decimal | None) -> str:
    return format(Decimal(value or 1).normalize(), "f")


def contract_dong(definition: ReportDefinition, item: FieldDef | Column) -> Decimal:
    """How many đồng one contract unit of a money item is."""
    return units_by_key(definition)[_key(item.unit)][2]
