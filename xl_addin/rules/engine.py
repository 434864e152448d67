"""The rule engine: every check of the definition over one workbook's values.

Findings come from six places, all declared as data: problems met while reading cells
(text in a number cell…), required fields and lists left empty (required per level: a commune
is not asked for what only a district reports), the rules (left operator right; per table row;
list row checks), the ratio catalogue (a typed ratio against the computed one; a share above
100%), and the outline: a section with neither numbers nor text, and a section text carried from
the previous period still unchanged (both information only). No rule logic lives in the Excel layer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from .. import vnnum
from ..cells import a1
from ..definition import expr, money
from ..definition.models import Ratio, Rule
from ..errors import catalogue, render
from ..letters import unaccented
from ..memo import cached
from ..problems import to_jsonable
from ..ui import ui, ui_text
from ..workbook.layout import section_numbers
from ..workbook.reader import WorkbookData
from .ratios import RatioResult, compute_ratios, env_for

MAX_TYPED_PLACES = 4  # a typed ratio is judged at its own precision, at most this many decimals


@dataclass
class Finding:
    rule: str
    importance: str
    message: str
    instruction: str = ""
    fields: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    gap: Decimal | None = None
    name: str = ""

    def to_dict(self) -> dict:
        return {"rule": self.rule, "importance": self.importance, "fields": self.fields, "cells": self.cells,
                "message": self.message, "values": {k: to_jsonable(v) for k, v in self.values.items()},
                "instruction": self.instruction, "gap": to_jsonable(self.gap)}


def _fmt(value: Any) -> str:
    if value is None:
        return ui("blank")
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return vnnum.number(value)
        return vnnum.number(value.normalize())
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _dates_as_numbers(values: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(v.toordinal()) if isinstance(v, dt.date) else v for k, v in values.items()}


def _given(value: str | None) -> str:
    """A part of a rule its kind requires (the definition's validation refused the rule without it)."""
    assert value is not None
    return value


def _compare(op: str, left: Decimal, right: Decimal, tolerance: Decimal) -> bool:
    if op == "==":
        return abs(left - right) <= tolerance
    if op == "!=":
        return abs(left - right) > tolerance
    return {">": left > right, ">=": left >= right - tolerance, "<": left < right,
            "<=": left <= right + tolerance}[op]


class Validator:
    def __init__(self, data: WorkbookData) -> None:
        self.data = data
        self.definition = data.definition
        self.fields = self.definition.field_map()
        self.findings: list[Finding] = []
        self.ratios: dict[str, RatioResult] = compute_ratios(data)
        values = dict(data.values)
        values.update({code: r.value for code, r in self.ratios.items()})
        self.env = env_for(data)
        self.env.values = _dates_as_numbers(values)
        level = data.meta.get("unit_level") or data.stamped("unit.level")
        self.level = str(level) if level else None
        self.rules = self.definition.rules_for(self.level)

    # ------------------------------------------------------------------ helpers
    def label(self, code: str) -> str:
        if code in self.fields:
            return self.fields[code].label
        ratio = self.definition.ratio_map().get(code)
        return ratio.label if ratio else code

    def amount_format(self, refs: Any) -> Callable[[Any], str]:
        """How a rule's values are told: amounts of a rule over money fields only in the unit the
        workbook types them in, with that unit (the values are in the fields' contract unit);
        anything else as a plain Vietnamese number."""
        items = [self.fields[c] for c in refs if c in self.fields]
        if not items or len(items) != len(refs) or not all(money.is_money(self.definition, f) for f in items):
            return _fmt
        unit = self.data.money_unit

        def shown(value: Any) -> str:
            amount = money.in_workbook_unit(self.definition, items[0], value, unit) if value is not None else None
            return amount.text if amount is not None else _fmt(value)

        return shown

    def is_date(self, node: Any) -> bool:
        return isinstance(node, expr.Ref) and node.code in self.fields and self.fields[node.code].type == "date"

    def cells_of(self, codes: list[str]) -> list[str]:
        return [self.data.cells[c] for c in codes if c in self.data.cells]

    # ------------------------------------------------------------------ sources
    def from_problems(self) -> None:
        for p in self.data.problems:
            importance = getattr(p, "importance", None) or "error"
            self.findings.append(Finding(
                rule=p.code, importance=importance, message=p.message, instruction=catalogue()[p.code]["action"],
                fields=[p.field] if p.field else [], cells=[p.cell] if p.cell else [],
                values={p.field or "value": p.value}))

    def required(self) -> None:
        bad_cells = {p.cell for p in self.data.problems}
        for code, f in self.fields.items():
            if not (f.required_for(self.level) and f.is_input) or self.data.values.get(code) is not None:
                continue
            if code not in self.data.cells:
                continue  # a field the workbook's template version does not have
            cell = self.data.cells[code]
            if cell in bad_cells:
                continue  # already reported as unreadable
            sheet, ref = cell.split("!")
            self.findings.append(Finding(
                rule="required", importance="error", name=catalogue()["finding_required"]["name"],
                message=render("finding_required", label=f.label, sheet=sheet, cell=ref),
                instruction=catalogue()["finding_required"]["action"], fields=[code], cells=[cell],
                values={code: None}))
        layout = self.data.layout
        for code, lst in self.definition.list_map().items():
            if lst.required and not self.data.lists.get(code):
                block = layout.lists[code]
                self.findings.append(Finding(
                    rule="required_list", importance="error", name=catalogue()["finding_required_list"]["name"],
                    message=render("finding_required_list", label=lst.label, sheet=block.sheet),
                    instruction=catalogue()["finding_required_list"]["action"], fields=[code],
                    cells=[f"{block.sheet}!{a1(block.first_row, block.first_col)}"]))

    def rule(self, rule: Rule) -> None:
        if rule.check:
            self.list_check(rule)
        elif rule.table:
            self.table_rule(rule)
        else:
            self.scalar_rule(rule, self.env, self.data.cells, row_label=None)

    def scalar_rule(self, rule: Rule, env: expr.Env, cells: dict[str, str] | Callable[[], dict[str, str]],
                    row_label: str | None,
                    labels: dict[str, str] | None = None) -> None:
        left_node, right_node, refs, col_refs = _sides(rule.left, rule.right)
        if rule.operator in ("compulsory_pair", "exclusive_pair"):
            self.pair_rule(rule, left_node, right_node, env, cells, labels)
            return
        values = env.values
        if rule.missing == "skip_if_any_missing" and not (expr.complete(left_node, env)
                                                           and expr.complete(right_node, env)):
            return  # a part left empty (of max(a, b), one filled alternative is enough)
        n_present = sum(1 for c in refs if values.get(c) is not None)
        if col_refs:
            n_present += sum(1 for c in col_refs if any(v is not None for v in env.columns.get(c, ())))
        if n_present == 0:  # nothing to check (also what skip_if_all_missing asks)
            return
        left = expr.compiled(left_node)(env)
        right = expr.compiled(right_node)(env)
        if rule.missing == "never_skip":
            left = left if left is not None else Decimal(0)
            right = right if right is not None else Decimal(0)
        if left is None or right is None:
            return
        if _compare(str(rule.operator), left, right, rule.tolerance):
            return
        gap = left - right
        def name_of(c: str) -> str:
            return (labels or {}).get(c, self.label(c))

        left_label = rule.left_label or expr.to_text(left_node, name_of)  # in words: labels, never codes
        right_label = rule.right_label or expr.to_text(right_node, name_of)
        if row_label is None and self.is_date(left_node) and self.is_date(right_node):
            # two dates: told as dates, the gap in days
            message = render("finding_date_rule", name=rule.name, left=left_label.lower(),
                             left_value=_fmt(self.data.values.get(left_node.code)),
                             op=ui("date_operators")[rule.operator], right=right_label.lower(),
                             right_value=_fmt(self.data.values.get(right_node.code)), days=_fmt(abs(gap)))
        else:
            shown = self.amount_format(refs)
            gap_text = ui_text("rule_gap", gap=shown(gap)) if rule.operator in ("==", "<=", ">=", "<", ">") else ""
            params = dict(name=rule.name, left=left_label, left_value=shown(left), op=ui("operators")[rule.operator],
                          right=right_label, right_value=shown(right), gap=gap_text)
            if row_label is not None:
                message = render("finding_rule_row", row=row_label, **params)
            else:
                message = render("finding_rule", **params)
        values = {c: env.values.get(c) for c in refs}
        if callable(cells):
            cells = cells()
        found_cells = [cells[c] for c in refs if c in cells]
        for table, column in sorted(col_refs):  # a column sum points at the table's total row
            block = self.data.layout.tables[table]
            if block.total_row:
                found_cells.append(f"{block.sheet}!{a1(block.total_row, block.columns[column])}")
        self.findings.append(Finding(
            rule=rule.id, importance=rule.importance, name=rule.name, message=message, instruction=rule.instruction,
            fields=list(refs), cells=found_cells, values=values, gap=gap))

    def pair_rule(self, rule: Rule, left_node, right_node, env, cells, labels) -> None:
        left, right = expr.evaluate(left_node, env), expr.evaluate(right_node, env)
        if callable(cells):
            cells = cells()
        refs = sorted(expr.field_refs(left_node) | expr.field_refs(right_node))

        def name_of(node: Any, text: str) -> str:  # a form's column by its words and number, as scalar_rule
            return (labels or {}).get(node.code, self.label(node.code)) if isinstance(node, expr.Ref) else text

        left_label = rule.left_label or name_of(left_node, _given(rule.left))
        right_label = rule.right_label or name_of(right_node, _given(rule.right))
        if rule.operator == "compulsory_pair" and (left is None) != (right is None):
            present, absent = (left_label, right_label) if left is not None else (right_label, left_label)
            message = render("finding_pair", name=rule.name, present=present, absent=absent)
        elif rule.operator == "exclusive_pair" and left is not None and right is not None:
            message = render("finding_exclusive", name=rule.name, left=left_label, right=right_label)
        else:
            return
        self.findings.append(Finding(
            rule=rule.id, importance=rule.importance, name=rule.name, message=message, instruction=rule.instruction,
            fields=refs, cells=[cells[c] for c in refs if c in cells], values={c: env.values.get(c) for c in refs}))

    def table_rule(self, rule: Rule) -> None:
        code = _given(rule.table)
        table = self.definition.table_map()[code]
        block = self.data.layout.tables[code]
        rows = self.data.tables.get(code, [])
        positions = self.data.table_rows.get(code, [])
        numbers = {c.code: f"({block.columns[c.code]})" for c in table.columns}
        same = Counter(c.label for c in table.columns)  # «Tổng số» of three groups: said with its group
        labels = {c.code: (f"{c.groups[-1]}, {c.label[:1].lower()}{c.label[1:]}" if same[c.label] > 1 and c.groups
                           else c.label) + f" {numbers[c.code]}" for c in table.columns}
        row_labels = {x.code: x.label for x in table.rows}
        for row, r in zip(rows, positions, strict=True):
            numeric = {k: v for k, v in row.items() if k in block.columns}
            if all(v is None for v in numeric.values()):
                continue
            row_label = row.get("row") and row_labels.get(row["row"]) \
                or row.get(table.label_column.code) or ui_text("row", row=r)

            def cells(r: int = r) -> dict[str, str]:  # only worked out for a finding
                return {c: f"{block.sheet}!{a1(r, col)}" for c, col in block.columns.items()}
            self.scalar_rule(rule, expr.Env(numeric), cells, row_label=str(row_label), labels=labels)

    def list_check(self, rule: Rule) -> None:
        code = _given(rule.list_code)
        lst = self.definition.list_map()[code]
        block = self.data.layout.lists[code]
        rows = self.data.lists.get(code, [])
        positions = self.data.list_rows.get(code, [])
        if rule.check == "unique":
            self.unique_check(rule, block, rows, positions)
            return
        options = {}
        if rule.type_column:
            type_col = next(c for c in lst.columns if c.code == rule.type_column)
            options = {o.code: o for o in self.definition.choice_list(_given(type_col.choices)).options}
        symbols = {_plain(o.symbol) for o in options.values() if o.symbol}
        column = _given(rule.column)
        for row, r in zip(rows, positions, strict=True):
            cell = f"{block.sheet}!{a1(r, block.columns[column])}"
            label_number = row.get(lst.key_column.code) or ui_text("row", row=r)
            if rule.check in ("date_not_after", "date_not_before"):
                self.row_date(rule, row.get(column), cell, label_number)
            elif rule.check == "number_format":
                number = row.get(column)
                if isinstance(number, str) and not rule.compiled_pattern.match(number.replace(" ", "")):
                    self.findings.append(Finding(
                        rule=rule.id, importance=rule.importance, name=rule.name, instruction=rule.instruction,
                        message=render("finding_number_format", name=rule.name, number=number),
                        fields=[code], cells=[cell], values={column: number}))
            elif rule.check == "symbol_matches_type":
                type_cell = f"{block.sheet}!{a1(r, block.columns[_given(rule.type_column)])}"
                self.row_symbol(rule, row, options, symbols, cell, type_cell)

    def row_date(self, rule: Rule, date: Any, cell: str, number: Any) -> None:
        """A list row's date against a date field: not after it (the report's date, the end of the
        data window) or not before it (the start of the window)."""
        field, code, column = _given(rule.field), _given(rule.list_code), _given(rule.column)
        limit = self.data.values.get(field)
        if not (isinstance(date, dt.date) and isinstance(limit, dt.date)):
            return
        after = rule.check == "date_not_after"
        if (date > limit) if after else (date < limit):
            where = rule.right_label or self.label(field).lower()
            self.findings.append(Finding(
                rule=rule.id, importance=rule.importance, name=rule.name, instruction=rule.instruction,
                message=render("finding_date_after" if after else "finding_date_before", name=rule.name,
                               number=number, date=_fmt(date), field=where, limit=_fmt(limit)),
                fields=[code, field], cells=[cell, self.data.cells[field]],
                values={column: date, field: limit}))

    def row_symbol(self, rule: Rule, row: dict, options: dict, symbols: set[str], cell: str, type_cell: str) -> None:
        code, column, type_column = _given(rule.list_code), _given(rule.column), _given(rule.type_column)
        number, kind = row.get(column), row.get(type_column)
        if not isinstance(number, str) or kind not in options:
            return
        parts = number.replace(" ", "").split("/")
        symbol = parts[-1].split("-")[0] if len(parts) >= 2 else ""
        expected = options[kind].symbol
        plain = _plain(symbol)
        ok = plain == _plain(expected) if expected else plain not in symbols  # a công văn carries no type symbol
        if not ok:
            self.findings.append(Finding(
                rule=rule.id, importance=rule.importance, name=rule.name, instruction=rule.instruction,
                message=render("finding_symbol_type", name=rule.name, number=number, type=options[kind].label,
                               symbol=symbol, expected=expected or ui("no_type_symbol")),
                fields=[code], cells=[cell, type_cell], values={column: number, type_column: kind}))

    def unique_check(self, rule: Rule, block, rows: list[dict], positions: list[int]) -> None:
        """The same value twice in a list column (a document number used twice): one finding per
        value, naming every row. With ``date_column`` the value is unique per year of that date
        (document numbers start again each year)."""
        code, column = _given(rule.list_code), _given(rule.column)
        seen: dict[tuple, list[int]] = {}
        shown: dict[tuple, str] = {}
        for row, r in zip(rows, positions, strict=True):
            value = row.get(column)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            key_text = _plain(str(value).replace(" ", "")) if isinstance(value, str) else value
            date = row.get(rule.date_column) if rule.date_column else None
            key = (key_text, date.year if isinstance(date, dt.date) else None)
            seen.setdefault(key, []).append(r)
            shown.setdefault(key, str(value).strip())
        col = block.columns[column]
        for key, rows_at in seen.items():
            if len(rows_at) < 2:
                continue
            cells = [f"{block.sheet}!{a1(r, col)}" for r in rows_at]
            self.findings.append(Finding(
                rule=rule.id, importance=rule.importance, name=rule.name, instruction=rule.instruction,
                message=render("finding_duplicate", name=rule.name, value=shown[key], count=len(rows_at),
                               rows=", ".join(str(r) for r in rows_at), sheet=block.sheet,
                               cells=", ".join(a1(r, col) for r in rows_at)),
                fields=[code], cells=cells, values={column: shown[key]}))

    def ratio_checks(self) -> None:
        for ratio in self.definition.ratios:
            result = self.ratios[ratio.code]
            if result.value is None:
                continue
            def params(ratio: Ratio = ratio, result: RatioResult = result) -> dict:
                return dict(label=ratio.label, computed=result.formatted, numerator=_fmt(result.numerator),
                            denominator=_fmt(result.denominator))

            if ratio.share and result.value > 100:
                refs = sorted(expr.field_refs(expr.parse(ratio.numerator))
                              | expr.field_refs(expr.parse(ratio.denominator)))
                self.findings.append(Finding(
                    rule=f"{ratio.code}_tren_100", importance="error",
                    name=catalogue()["finding_ratio_over_100"]["name"].format(label=ratio.label),
                    message=render("finding_ratio_over_100", **params()),
                    instruction=catalogue()["finding_ratio_over_100"]["action"],
                    fields=[ratio.code, *refs], cells=self.cells_of([ratio.code, *refs]),
                    values={ratio.code: result.value}))
            typed = self.data.values.get(ratio.typed) if ratio.typed else None
            if typed is None:
                continue
            self.typed_ratio(ratio, result, Decimal(typed), params)

    def typed_ratio(self, ratio, result: RatioResult, typed: Decimal, params) -> None:
        """A ratio the clerk typed, judged at the precision it was typed with (see ``typed_verdict``)."""
        verdict, places, rounded = typed_verdict(typed, result.numerator, result.denominator)
        if verdict == "agrees":
            return
        if verdict == "truncated":
            code, importance, msg = "sai_so_lam_tron", "warning", "finding_ratio_rounding"
        else:
            code, importance, msg = "ty_le_nhap_sai", "error", "finding_ratio_mismatch"
        typed_text = f"{vnnum.number(typed, places)}%"
        rounded_text = f"{vnnum.number(rounded, places)}%"
        assert result.value is not None  # ratio_checks skips a ratio without one
        gap = abs(typed - result.value)
        self.findings.append(Finding(
            rule=f"{ratio.code}_{code}", importance=importance, name=ratio.label,
            message=render(msg, typed=typed_text, gap=_fmt(gap), places=places, rounded=rounded_text, **params()),
            instruction=catalogue()[msg]["action"],
            fields=[ratio.typed, ratio.code], cells=self.cells_of([ratio.typed, ratio.code]),
            values={ratio.typed: typed, ratio.code: result.value}, gap=gap))

    def outline(self) -> None:
        """Information: sections with neither numbers nor text (the report keeps only their heading),
        and section texts carried from the previous period and left as they were."""
        texts = self.definition.section_texts
        if texts is None:
            return
        numbers = section_numbers(self.definition)
        values = self.data.values
        try:
            carried = json.loads(str(self.data.meta.get("carried_texts") or "{}"))
        except ValueError:
            carried = {}
        from ..workbook.build import text_digest

        for section in self.definition.walk_sections():
            text_field = self.definition.text_field_of(section.code)
            if text_field is None or text_field.code not in self.data.cells:
                continue  # no written part in this workbook's template version
            cell = self.data.cells[text_field.code]
            text = values.get(text_field.code)
            number = numbers.get(section.code, section.code).rstrip(".") or section.code
            if isinstance(text, str) and text.strip():
                if carried.get(text_field.code) == text_digest(text):
                    sheet, ref = cell.split("!")
                    self.findings.append(Finding(
                        rule="noi_dung_chua_sua", importance="info", name=text_field.label,
                        message=render("finding_text_unchanged", number=number, title=section.title, sheet=sheet,
                                       cell=ref),
                        instruction=catalogue()["finding_text_unchanged"]["action"], fields=[text_field.code],
                        cells=[cell]))
                continue
            if _section_has_numbers(self, section):
                continue
            numbers_sheet = self.definition.sheet(section.sheet).name if section.sheet else ""
            self.findings.append(Finding(
                rule="muc_trong", importance="info", name=section.title,
                message=render("finding_section_empty", number=number, title=section.title),
                instruction=render_action("finding_section_empty", numbers_sheet=numbers_sheet,
                                          texts_sheet=self.definition.sheet(texts.sheet).name),
                fields=[text_field.code], cells=[cell]))

    def run(self) -> list[Finding]:
        self.from_problems()
        self.required()
        for rule in self.rules:
            self.rule(rule)
        self.ratio_checks()
        self.outline()
        order = {"error": 0, "warning": 1, "info": 2}
        self.findings.sort(key=lambda f: order[f.importance])
        return self.findings


@cached(maxsize=4096)
def _sides(left: str, right: str) -> tuple[Any, Any, tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A rule's two sides parsed, its field references in the order they are written and its
    table columns (worked out once per rule)."""
    left_node, right_node = expr.parse(left), expr.parse(right)
    text = left + " " + right
    refs = tuple(sorted(expr.field_refs(left_node) | expr.field_refs(right_node), key=text.find))
    cols = tuple(sorted(expr.column_refs(left_node) | expr.column_refs(right_node)))
    return left_node, right_node, refs, cols


def _section_has_numbers(v: Validator, section) -> bool:
    """Whether a section has anything the report can tell: a number typed, a list row, a table row."""
    values = v.data.values
    for f in section.fields:
        if f.is_input and f.type != "long_text" and values.get(f.code) not in (None, ""):
            return True
    for lst in v.definition.lists:
        if lst.section == section.code and v.data.lists.get(lst.code):
            return True
    for table in v.definition.tables:
        if table.section == section.code and any(
                val is not None for row in v.data.tables.get(table.code, [])
                for k, val in row.items() if k not in ("row", table.label_column.code)):
            return True
    return False


def render_action(code: str, **params: Any) -> str:
    return catalogue()[code]["action"].format(**params)


def _plain(text: str | None) -> str:
    return unaccented(text or "").upper()


def typed_places(typed: Decimal) -> int:
    """How many decimals a typed ratio was typed with: those of the shortest decimal form of the
    stored value (the reader takes a cell's float through ``repr``, so 0.4224 typed as 42,24 % is
    42.24, never 42.2400000001), at most ``MAX_TYPED_PLACES``."""
    exponent = typed.normalize().as_tuple().exponent
    return min(MAX_TYPED_PLACES, max(0, -exponent)) if isinstance(exponent, int) else MAX_TYPED_PLACES


def typed_verdict(typed: Decimal, numerator: Decimal | None, denominator: Decimal | None
                  ) -> tuple[str, int, Decimal]:
    """``agrees``, ``truncated`` or ``wrong``, the typed precision and the computed ratio rounded to it.

    The typed value agrees when it equals numerator/denominator × 100 rounded half-up to the typed
    precision (42 % agrees with 42,24 %, 99,8 % with 99,76 %), except that a typed 100 or 0 agrees
    only with exactly 100 or 0 (100 % typed for 99,99 % is wrong). Equal to the ratio cut at that
    precision (99,7 % for 99,76 %) is a rounding slip; anything else is wrong.
    """
    places = typed_places(typed)
    step = Decimal(1).scaleb(-places)
    with localcontext() as ctx:
        ctx.prec = 50
        assert numerator is not None and denominator is not None  # a ratio with a value has both parts
        exact = numerator * 100 / denominator
        rounded = exact.quantize(step, rounding=ROUND_HALF_UP)
        cut = exact.quantize(step, rounding=ROUND_DOWN)
        typed_at = typed.quantize(step, rounding=ROUND_HALF_UP)
    if typed_at in (0, 100):
        if exact == typed_at:
            return "agrees", places, rounded
    elif typed_at == rounded:
        return "agrees", places, rounded
    return ("truncated" if typed_at == cut else "wrong"), places, rounded


def validate(data: WorkbookData) -> list[Finding]:
    return Validator(data).run()


def summary(findings: list[Finding]) -> dict[str, int]:
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f.importance] += 1
    return out
