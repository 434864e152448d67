"""Live checks: what the workbook checks by itself, with no macro and no add-in.

Where the add-in cannot run (Office blocked from starting processes, antivirus, hidden ribbons),
the workbook still shows what is wrong as the clerk types:

* every rule of the definition whose two sides are expressions — over fields, or over the columns
  of a table row by row — is a row of the checks sheet (``kind: checks`` in report.yaml): its two
  sides, their gap and a verdict, all formulas; so are the ratio catalogue's checks (a share above
  100 %, a typed ratio against the computed one; the ratios themselves are live cells already);
* conditional formatting turns a failed check red (FFC7CE): its gap on the checks sheet and the
  cells the rule engine would mark (the rule's fields, a table's total row, each table row that
  does not balance, a ratio and its parts);
* an entry above the definition's plausible bound for the unit's level turns orange (F4B084);
* each such cell's input message says what red and orange mean.

The formulas follow the rule engine (``xl_addin.rules.engine``): its missing-value strategies,
tolerance, levels, blanks in sums and division by zero. Rules that cannot be live (the row checks
of lists: document dates and numbers) are listed on the instructions sheet by ``manual_rules``.

Every value enters a live formula through ``contract_value``, the one place where what a cell
holds becomes the field's contract unit (the unit rules, bounds and ``cchc read`` use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..definition import expr, money
from ..definition.models import Column, FieldDef, Ratio, Rule
from ..memo import freeze, frozen_by_contract, per_object
from ..ui import ui
from .live_rules import check_ids, level_field, level_labels, live_rules, manual_rules, not_live_reason, ratio_checks

if TYPE_CHECKING:
    from openpyxl import Workbook

    from .layout import Layout

RED = "FFC7CE"
ORANGE = "F4B084"
RED_FILL = PatternFill(fill_type="solid", start_color="FF" + RED, end_color="FF" + RED)
ORANGE_FILL = PatternFill(fill_type="solid", start_color="FF" + ORANGE, end_color="FF" + ORANGE)
GAP_DECIMALS = 9  # a gap is rounded before it is judged: 1e-9 of a contract unit (1 đồng in tỷ đồng)
CF_FORMULA_LIMIT = 250  # Excel keeps conditional-format formulas short: longer ORs are split
__all__ = ["check_ids", "level_field", "level_labels", "live_rules", "manual_rules", "not_live_reason", "ratio_checks"]
NEVER = "9.99E+307"  # the bound of a level without one: never exceeded
_PAIRS = ("compulsory_pair", "exclusive_pair")


# --------------------------------------------------------------------------- values and bounds
def contract_value(ref: str, item: FieldDef | Column, layout: Layout) -> str:
    """What the cell (or range) ``ref`` holds as an Excel expression in the item's contract unit.

    Percent cells hold fractions (0.9995 shown as 99,95 %); the rule engine sees percent numbers.
    This is the one place where the workbook's money unit enters the live checks: a money cell is
    typed in the unit chosen in ``don_vi_tien`` (đồng for a commune), so it is multiplied by the đồng
    of that unit (worked out live, ``money.excel_dong_per_unit``) and divided by the đồng of the
    field's contract unit: every rule, tolerance and ``plausible_bound`` stays in the contract unit,
    as ``cchc read`` and the rule engine see it, whichever unit the clerk picks."""
    if item.type == "percent":
        return f"({ref}*100)"
    definition = layout.definition
    if money.is_money(definition, item):
        contract = _num(money.contract_dong(definition, item))
        return f"({ref}*{money.excel_dong_per_unit(definition)}/{contract})"
    return ref


def _num(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


def bound_excel(item: FieldDef | Column, ref: str, layout: Layout) -> str | None:
    """The orange condition of a cell: a number above the item's plausible bound for the workbook's
    unit level (the bound read only through ``plausible_bound``), or None when there is no bound."""
    labels = level_labels(layout.definition)
    fallback = item.plausible_bound(None)
    by_level = {code: item.plausible_bound(code) for code in labels}
    if fallback is None and all(b is None for b in by_level.values()):
        return None
    value = contract_value(f"N({ref})", item, layout)  # N(): text in the cell never raises #VALUE!
    distinct = set(by_level.values()) | {fallback}
    if len(distinct) == 1:
        limit = _num(fallback) if fallback is not None else NEVER
    else:
        level = level_field(layout.definition).code
        limit = _num(fallback) if fallback is not None else NEVER
        groups: dict[Decimal | None, list[str]] = {}
        for code, bound in by_level.items():
            if bound != fallback:
                groups.setdefault(bound, []).append(labels[code])
        for bound, names in reversed(list(groups.items())):
            test = _or([f'{level}="{_quote(n)}"' for n in names])
            limit = f"IF({test},{_num(bound) if bound is not None else NEVER},{limit})"
    return f"AND(ISNUMBER({ref}),{value}>{limit})"


def _quote(text: str) -> str:
    return text.replace('"', '""')


def _and(parts: list[str]) -> str:
    parts = [p for p in dict.fromkeys(parts) if p != "TRUE"]
    if "FALSE" in parts:
        return "FALSE"
    if not parts:
        return "TRUE"
    return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"


def _or(parts: list[str]) -> str:
    parts = [p for p in dict.fromkeys(parts) if p != "FALSE"]
    if "TRUE" in parts:
        return "TRUE"
    if not parts:
        return "FALSE"
    return parts[0] if len(parts) == 1 else f"OR({','.join(parts)})"


# --------------------------------------------------------------------------- scalar rules
@dataclass
class Check:
    """One live check: the formulas of its row on the checks sheet and where it paints red."""

    rule: Rule
    row: int
    left: str = ""
    right: str = ""
    gap: str = ""
    status: str = ""
    number_format: str = "General"  # of the two sides
    gap_format: str = "General"
    money: bool = False  # sides and gap in the workbook's money unit (shown as its amounts are)
    scale: str | None = None  # contract unit -> the workbook's money unit (for a tolerance)
    red_cells: list[str] = field(default_factory=list)  # "Sheet!A1" cells red when the gap fails
    row_rules: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, range, formula) per table row


class _Scalar:
    """Excel formulas of a rule over fields, mirroring ``Validator.scalar_rule``/``pair_rule``."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.fields = layout.definition.field_map()

    def value_ref(self, code: str) -> str:
        return contract_value(code, self.fields[code], self.layout)

    def value(self, node: expr.Node) -> str:
        return expr.to_excel(node, column_range=self.layout.column_range_for_excel,
                             list_range=self.layout.list_range_for_excel, field_ref=self.value_ref)

    def col_present(self, table: str, column: str) -> str:
        return f"COUNT({self.layout.column_range_for_excel(table, column)})>0"

    def present(self, node: expr.Node) -> str:
        """TRUE where the engine's ``expr.evaluate`` gives a value (not None) for ``node``."""

        def go(n: expr.Node) -> str:
            if isinstance(n, (expr.Num, expr.Count)):
                return "TRUE"
            if isinstance(n, expr.Ref):
                return f"ISNUMBER({n.code})"
            if isinstance(n, expr.Col):
                return self.col_present(n.table, n.column)
            if isinstance(n, expr.Neg):
                return go(n.operand)
            if isinstance(n, expr.Bin):
                join = _or if n.op in "+-" else _and
                return join([go(n.left), go(n.right)])
            if isinstance(n, expr.Call):
                args = [go(a) for a in n.args]
                return _or(args) if n.func in ("min", "max") else args[0]
            raise TypeError(n)

        parts = [go(node)]
        for n in expr.walk(node):  # a zero divisor makes the whole expression blank
            if isinstance(n, expr.Bin) and n.op == "/":
                parts.append(f"NOT({_and([go(n.left), go(n.right), f'N({self.value(n.right)})=0'])})")
        if any(isinstance(n, (expr.Ref, expr.Col)) for n in expr.walk(node)) and not expr.list_refs(node):
            parts.append(self.any_present(node))  # all its inputs blank: blank, not 0
        return _and(parts)

    def complete(self, node: expr.Node) -> str:
        """TRUE where ``expr.complete`` holds: every part filled (of ``max``/``min`` one alternative)."""
        empty = expr.excel_incomplete(node, column_range=self.layout.column_range_for_excel,
                                      list_range=self.layout.list_range_for_excel)
        return "TRUE" if empty is None else f"NOT({empty})"

    def any_present(self, *nodes: expr.Node) -> str:
        refs = [f"ISNUMBER({c})" for node in nodes for c in _ordered_refs(node)]
        cols = [self.col_present(t, c) for node in nodes for t, c in sorted(expr.column_refs(node))]
        return _or(refs + cols)

    def level_test(self, rule: Rule) -> str:
        if rule.levels is None:
            return "TRUE"
        labels = level_labels(self.layout.definition)
        level = level_field(self.layout.definition).code
        return _or([f'{level}="{_quote(labels[lv])}"' for lv in rule.levels if lv in labels])

    def money_scale(self, *nodes: expr.Node) -> str | None:
        """For a rule over amounts only (one contract unit, no table column): the Excel factor from the
        contract unit to the workbook's money unit. Such a rule is shown and judged in the unit the clerk
        typed (the same verdict: both sides scale alike, a tolerance is scaled here)."""
        definition = self.layout.definition
        codes = _ordered_refs(*nodes)
        items = [self.fields[c] for c in codes]
        columns = any(expr.column_refs(n) for n in nodes)
        if not items or columns or not all(money.is_money(definition, f) for f in items):
            return None
        units = {money.contract_dong(definition, f) for f in items}
        if len(units) != 1:
            return None
        return f"{_num(units.pop())}/({money.excel_dong_per_unit(definition)})"

    def raw_value(self, node: expr.Node) -> str:
        return expr.to_excel(node, column_range=self.layout.column_range_for_excel,
                             list_range=self.layout.list_range_for_excel)

    def check(self, rule: Rule, row: int, gap_ref: str) -> Check:
        left, right = expr.parse(rule.left), expr.parse(rule.right)
        c = Check(rule, row)
        pl, pr = self.present(left), self.present(right)
        c.scale = self.money_scale(left, right)
        c.money = c.scale is not None
        lv, rv = (self.raw_value(left), self.raw_value(right)) if c.money else (self.value(left), self.value(right))
        c.left, c.right = f"=IF({pl},{lv},\"\")", f"=IF({pr},{rv},\"\")"
        level = self.level_test(rule)
        if rule.operator in _PAIRS:
            bad = _and([pl, pr]) if rule.operator == "exclusive_pair" else f"{pl}<>{pr}"
            c.gap = f"=IF({_and([level, _or([pl, pr])])},IF({bad},1,0),\"\")"
            c.number_format, c.gap_format = _format(self.layout, left, right), "0"
        else:
            conds = [level]
            if rule.missing == "skip_if_any_missing":  # a part left empty: the engine skips the rule
                conds += [self.complete(left), self.complete(right), self.any_present(left, right)]
            else:
                conds.append(self.any_present(left, right))  # nothing typed: nothing to check
            if rule.missing == "never_skip":
                lv, rv = f"N({lv})", f"N({rv})"
            else:
                conds += [pl, pr]
            c.gap = f"=IF({_and(conds)},ROUND({lv}-({rv}),{GAP_DECIMALS}),\"\")"
            c.number_format = c.gap_format = _format(self.layout, left, right)
            if c.number_format == "dd/mm/yyyy":
                c.gap_format = "0"
        c.status = _status(rule, gap_ref, violated(rule, gap_ref, c.scale))
        c.red_cells = self.marked_cells(left, right)
        return c

    def marked_cells(self, left: expr.Node, right: expr.Node) -> list[str]:
        """The cells ``Validator.scalar_rule`` names in its finding: the fields, a column sum's total row."""
        layout = self.layout
        cells = [layout.fields[c].address for c in _ordered_refs(left, right) if c in layout.fields]
        for table, column in sorted(expr.column_refs(left) | expr.column_refs(right)):
            block = layout.tables[table]
            if block.total_row:
                from ..cells import a1

                cells.append(f"{block.sheet}!{a1(block.total_row, block.columns[column])}")
        return cells


def _ordered_refs(*nodes: expr.Node) -> list[str]:
    out: list[str] = []
    for node in nodes:
        out += [n.code for n in expr.walk(node) if isinstance(n, expr.Ref)]
    return list(dict.fromkeys(out))


def _format(layout: Layout, *nodes: expr.Node) -> str:
    fields = layout.definition.field_map()
    codes = _ordered_refs(*nodes)
    if codes and all(fields[c].type == "date" for c in codes):
        return "dd/mm/yyyy"  # two dates: the gap is in days
    integers = all(fields[c].type == "integer" for c in codes) and not any(expr.column_refs(n) for n in nodes)
    return "#,##0" if integers else "General"


def violated(rule: Rule, g: str, scale: str | None = None) -> str:
    """TRUE when the gap cell ``g`` (left − right, or the count of failing pairs or rows) fails the rule.
    ``scale``: the gap is in the workbook's money unit, the tolerance (contract unit) is scaled to it."""
    tol = _num(rule.tolerance)
    if scale and rule.tolerance:
        tol = f"({tol}*{scale})"
    if rule.operator in _PAIRS or rule.table:
        return f"N({g})>0"
    return {
        "==": f"ABS(N({g}))>{tol}",
        "!=": f"AND(ISNUMBER({g}),ABS({g})<={tol})",
        "<=": f"N({g})>{tol}",
        ">=": f"N({g})<{'-' + tol if rule.tolerance else '0'}",
        "<": f"AND(ISNUMBER({g}),{g}>=0)",
        ">": f"AND(ISNUMBER({g}),{g}<=0)",
    }[rule.operator]


def _text(value: str) -> str:
    return '"' + _quote(value) + '"'


def _status(rule: Rule, g: str, bad: str) -> str:
    texts = ui("live")
    failed = texts["bad"].format(importance=ui(f"importance.{rule.importance}"))
    return f"=IF({g}=\"\",{_text(texts['missing'])},IF({bad},{_text(failed)},{_text(texts['ok'])}))"


# --------------------------------------------------------------------------- table rules (row by row)
class _Rows:
    """A table rule checked on every row: a count of failing rows, and a red format per row."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def check(self, rule: Rule, row: int, gap_ref: str) -> Check:
        from ..cells import a1, quote_sheet

        block = self.layout.tables[rule.table]
        columns = {c.code: c for c in block.definition.columns}
        left, right = expr.parse(rule.left), expr.parse(rule.right)
        refs = _ordered_refs(left, right)
        first, last = block.first_row, block.last_row

        def letter(code: str) -> str:
            return a1(1, block.columns[code])[:-1]

        def whole(code: str) -> str:  # read from the checks sheet
            return f"{quote_sheet(block.sheet)}!${letter(code)}${first}:${letter(code)}${last}"

        def one(code: str) -> str:
            return f"${letter(code)}{first}"

        rounding = any(columns[c].type != "integer" for c in refs)

        def parts(ref: Callable[[str], str], arrays: bool) -> tuple[str, str]:
            """(applies, fails) for one row (``arrays``: every row at once, inside SUMPRODUCT)."""
            def value(code: str) -> str:
                return contract_value(ref(code), columns[code], self.layout)

            lv = expr.to_excel(left, column_range=_no_range, list_range=_no_range, field_ref=value)
            rv = expr.to_excel(right, column_range=_no_range, list_range=_no_range, field_ref=value)
            gap = f"ROUND({lv}-({rv}),{GAP_DECIMALS})" if rounding else f"({lv}-({rv}))"
            tol = _num(rule.tolerance)
            fails = {"==": f"(ABS({gap})>{tol})", "!=": f"(ABS({gap})<={tol})", "<=": f"({gap}>{tol})",
                     ">=": f"({gap}<-{tol})", "<": f"({gap}>=0)", ">": f"({gap}<=0)"}[rule.operator]
            if arrays:
                present = [f"ISNUMBER({ref(c)})" for c in refs]
                if rule.missing == "skip_if_any_missing":
                    applies = "*".join(present)
                else:
                    applies = f"(({'+'.join(present)})>0)"
                    if rule.missing == "skip_if_all_missing":
                        applies += f"*{_array_present(left, ref)}*{_array_present(right, ref)}"
            else:
                count = f"COUNT({','.join(ref(c) for c in refs)})"
                applies = f"({count}={len(refs)})" if rule.missing == "skip_if_any_missing" else f"({count}>0)"
                if rule.missing == "skip_if_all_missing":
                    applies += f"*{_array_present(left, ref)}*{_array_present(right, ref)}"
            return applies, fails

        level = _Scalar(self.layout).level_test(rule)
        gate = "" if level == "TRUE" else f"*({level})"
        applies, fails = parts(whole, arrays=True)
        c = Check(rule, row, gap_format="0")
        c.gap = f"=SUMPRODUCT({applies}*{fails}{gate})"
        texts = ui("live")
        failed = texts["rows_off"].format(importance=ui(f"importance.{rule.importance}"), n="\u0000")
        head, _, tail = failed.partition("\u0000")
        c.status = (f"=IFERROR(IF({gap_ref}>0,{_text(head)}&{gap_ref}&{_text(tail)},"
                    f"IF(SUMPRODUCT({applies}{gate})=0,{_text(texts['missing'])},{_text(texts['ok'])})),"
                    f"{_text(texts['not_number'])})")
        row_applies, row_fails = parts(one, arrays=False)
        formula = f"{row_applies}*{row_fails}{gate}>0"
        for code in refs:
            col = block.columns[code]
            c.row_rules.append((block.sheet, f"{a1(first, col)}:{a1(last, col)}", formula))
        return c


def _no_range(*_args: str) -> str:
    raise ValueError("a table row rule has no sums or counts")  # excluded by not_live_reason


def _array_present(node: expr.Node, ref: Callable[[str], str]) -> str:
    """1 where a side of a table rule has a value in that row (``expr.evaluate`` is not None)."""

    def go(n: expr.Node) -> str:
        if isinstance(n, expr.Num):
            return "1"
        if isinstance(n, expr.Ref):
            return f"ISNUMBER({ref(n.code)})"
        if isinstance(n, expr.Neg):
            return go(n.operand)
        if isinstance(n, expr.Bin):
            if n.op in "+-":
                return f"(({go(n.left)})+({go(n.right)})>0)"
            return f"({go(n.left)})*({go(n.right)})"
        raise TypeError(n)

    return f"({go(node)})"


# --------------------------------------------------------------------------- the whole workbook
@frozen_by_contract  # built once per layout (plan) and only read after
@dataclass
class LivePlan:
    """Every live check of a layout and every cell that can turn red or orange."""

    checks: list[Check]
    red: dict[str, list[str]]  # "Sheet!A1" -> conditions (OR) that turn it red
    red_ranges: list[tuple[str, str, str]]  # (sheet, range, formula): table rows
    orange: dict[str, str]  # "Sheet!A1" or "Sheet!A1:A9" -> condition (relative to its first cell)
    legend_fields: dict[str, set[str]]  # field code -> {"red", "orange"}
    legend_columns: dict[tuple[str, str], set[str]]  # (table, column) -> {"red", "orange"}
    computed_notes: dict[str, set[str]]  # computed cells or ranges ("Sheet!A1[:B2]") with a colour


def plan(layout: Layout) -> LivePlan:
    """Worked out once per layout (the template builder and the tests read the same plan)."""
    return per_object(layout, "live_plan", lambda: _plan(layout))


def _plan(layout: Layout) -> LivePlan:
    from ..cells import a1, quote_sheet
    from .layout import K_GAP

    definition = layout.definition
    scalar, rows, ratios = _Scalar(layout), _Rows(layout), _Ratios(layout)
    p = LivePlan([], {}, [], {}, {}, {}, {})
    for rule, ratio, kind in [(r, None, "") for r in live_rules(definition)] + list(ratio_checks(definition)):
        pos = layout.checks[rule.id]
        gap_ref = a1(pos.row, K_GAP)
        if ratio is not None:
            c = ratios.check(rule, ratio, kind, pos.row)
        else:
            c = (rows if rule.table else scalar).check(rule, pos.row, gap_ref)
        p.checks.append(c)
        outside = f"{quote_sheet(pos.sheet)}!{a1(pos.row, K_GAP, True)}"
        condition = violated(rule, outside, c.scale)
        for cell in c.red_cells:
            p.red.setdefault(cell, []).append(condition)
        p.red_ranges.extend(c.row_rules)
        p.red.setdefault(f"{pos.sheet}!{a1(pos.row, K_GAP)}:{a1(pos.row, K_GAP + 1)}", []).append(
            violated(rule, a1(pos.row, K_GAP, True), c.scale))
        p.computed_notes.setdefault(f"{pos.sheet}!{a1(pos.row, K_GAP)}:{a1(pos.row, K_GAP + 1)}", set()).add("red")
        if rule.table:
            for code in _ordered_refs(expr.parse(rule.left), expr.parse(rule.right)):
                p.legend_columns.setdefault((rule.table, code), set()).add("red")
    for cell in p.red:
        sheet, ref = cell.split("!", 1)
        code = _field_at(layout, sheet, ref)
        if code is not None and definition.field_map()[code].is_input:
            p.legend_fields.setdefault(code, set()).add("red")
        elif ":" not in ref:
            p.computed_notes.setdefault(cell, set()).add("red")
    for f in definition.fields():
        pos = layout.fields[f.code]
        if f.is_input and f.type in ("integer", "decimal", "money", "percent"):
            cond = bound_excel(f, a1(pos.row, pos.col, True), layout)
            if cond:
                p.orange[pos.address] = cond
                p.legend_fields.setdefault(f.code, set()).add("orange")
    for table in definition.tables:
        block = layout.tables[table.code]
        for col_def in table.columns:
            if col_def.computed or not col_def.numeric:
                continue
            col = block.columns[col_def.code]
            cond = bound_excel(col_def, a1(block.first_row, col), layout)
            if cond:
                p.orange[f"{block.sheet}!{a1(block.first_row, col)}:{a1(block.last_row, col)}"] = cond
                p.legend_columns.setdefault((table.code, col_def.code), set()).add("orange")
    return p


def _field_at(layout: Layout, sheet: str, ref: str) -> str | None:
    index = per_object(layout, "field_at", lambda: freeze({(p.sheet, p.ref): c for c, p in layout.fields.items()}))
    return index.get((sheet, ref))


class _Ratios:
    """The ratio checks' rows, mirroring ``Validator.ratio_checks`` and ``typed_verdict``."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.scalar = _Scalar(layout)

    def check(self, rule: Rule, ratio: Ratio, kind: str, row: int) -> Check:
        from ..cells import a1
        from .layout import K_GAP, K_LEFT, K_RIGHT

        c = Check(rule, row)
        left, right, gap = a1(row, K_LEFT), a1(row, K_RIGHT), a1(row, K_GAP)
        layout = self.layout
        if kind == "share":  # the ratio cell holds the fraction rounded to 2 places of a percent
            c.left = f'=IF(ISNUMBER({ratio.code}),ROUND({ratio.code}*100,2),"")'
            c.right = "=100"
            c.gap = f'=IF(ISNUMBER({left}),ROUND({left}-100,{GAP_DECIMALS}),"")'
            c.status = _status(rule, gap, violated(rule, gap))
            parts = expr.field_refs(expr.parse(ratio.numerator)) | expr.field_refs(expr.parse(ratio.denominator))
            c.red_cells = [layout.ratios[ratio.code].address] + [layout.fields[p].address for p in sorted(parts)]
            c.number_format = c.gap_format = "0.00"
            return c
        num, den = expr.parse(ratio.numerator), expr.parse(ratio.denominator)
        typed = self.scalar.value_ref(ratio.typed)
        exact = f"ROUND(({self.scalar.value(num)})*100/({self.scalar.value(den)}),10)"
        known = _and([self.scalar.complete(num), self.scalar.complete(den), self.scalar.present(num),
                      self.scalar.present(den), f"N({self.scalar.value(den)})<>0"])
        places = left  # the typed decimals (at most 4), from the typed percent in the left cell
        for k in (3, 2, 1, 0):
            places = f"IF(ABS({left}-ROUND({left},{k}))<1E-9,{k},{places if k < 3 else 4})"
        typed_at = f"ROUND({left},{places})"
        c.left = f'=IF(ISNUMBER({ratio.typed}),ROUND({typed},10),"")'
        c.right = (f'=IF(AND(ISNUMBER({left}),{known}),'
                   f'IF(OR({typed_at}=0,{typed_at}=100),{exact},ROUND({exact},{places})),"")')
        c.gap = f'=IF(AND(ISNUMBER({left}),ISNUMBER({right})),ROUND({typed_at}-{right},{GAP_DECIMALS}),"")'
        texts = ui("live")
        cut = texts["truncated"].format(importance=ui("importance.warning"))
        wrong = texts["bad"].format(importance=ui(f"importance.{rule.importance}"))
        c.status = (f'=IF({gap}="",{_text(texts["missing"])},IF({gap}=0,{_text(texts["ok"])},'
                    f'IF({typed_at}=ROUNDDOWN({exact},{places}),{_text(cut)},{_text(wrong)})))')
        c.red_cells = [layout.fields[ratio.typed].address, layout.ratios[ratio.code].address]
        c.number_format = c.gap_format = "General"
        return c


def legend(kinds: set[str], layout: Layout) -> str:
    """The input-message sentence of a checked cell: what red and orange mean there."""
    texts = ui("live")
    sheet = next((s.name for s in layout.definition.sheets if s.kind == "checks"), "")
    out = []
    if "red" in kinds:
        out.append(texts["red"].format(sheet=sheet))
    if "orange" in kinds:
        out.append(texts["orange"])
    return " ".join(out)


def apply(wb: Workbook, layout: Layout) -> None:
    """Conditional formats of every live check, and input messages on the computed cells they colour."""
    p = plan(layout)
    for cell, conditions in p.red.items():
        sheet, ref = cell.split("!", 1)
        for formula in _chunks(conditions):
            wb[sheet].conditional_formatting.add(ref, FormulaRule(formula=[formula], fill=RED_FILL))
    for sheet, ref, formula in p.red_ranges:
        wb[sheet].conditional_formatting.add(ref, FormulaRule(formula=[formula], fill=RED_FILL))
    for cell, formula in p.orange.items():
        sheet, ref = cell.split("!", 1)
        wb[sheet].conditional_formatting.add(ref, FormulaRule(formula=[formula], fill=ORANGE_FILL))
    by_sheet: dict[tuple[str, str], list[str]] = {}
    for cell, kinds in p.computed_notes.items():
        sheet, ref = cell.split("!", 1)
        by_sheet.setdefault((sheet, legend(kinds, layout)), []).append(ref)
    for (sheet, text), refs in by_sheet.items():
        dv = DataValidation(allow_blank=True, showInputMessage=True, showErrorMessage=False)
        dv.promptTitle = ui("live.prompt_title")[:32]
        dv.prompt = text[:250]
        for ref in refs:
            dv.add(ref)
        wb[sheet].add_data_validation(dv)


def _chunks(conditions: list[str]) -> list[str]:
    """OR the conditions into formulas short enough for every Excel version."""
    out: list[list[str]] = [[]]
    for cond in dict.fromkeys(conditions):
        if out[-1] and len(_or(out[-1] + [cond])) > CF_FORMULA_LIMIT:
            out.append([])
        out[-1].append(cond)
    return [_or(group) for group in out]
