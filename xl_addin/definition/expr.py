"""The one expression grammar of the report definition.

Computed fields, ratios and (later) rules are written as small arithmetic expressions over
field codes, e.g. ``tthc_ky_truoc + tthc_moi_truc_tuyen + tthc_moi_truc_tiep`` or
``sum(bieu_06a.tiep_nhan_tong)``. One parser turns the text into a tree; the tree is then
translated to an Excel formula (the template) and evaluated in Python with ``Decimal``
(authoritative).

Grammar (a safe subset of Python expression syntax)::

    expr    := term (('+' | '-') term)*
    term    := factor (('*' | '/') factor)*
    factor  := NUMBER | CODE | TABLE '.' COLUMN | '-' factor | '(' expr ')' | call
    call    := 'sum' '(' TABLE '.' COLUMN ')'     -- sum of a table column
             | 'count' '(' LIST ')'               -- number of filled rows of a list
             | ('min' | 'max') '(' expr (',' expr)* ')'
             | 'abs' '(' expr ')'

Missing values follow spreadsheet addition: a missing operand counts as 0 when at least one
value in the expression is present; when none is present the result is missing (``None``).
Division by zero gives ``None`` (callers phrase it as "không phát sinh").
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..errors import render
from ..memo import cached, per_object

FUNCTIONS = {"sum", "count", "min", "max", "abs"}


class ExprError(ValueError):
    """A malformed expression; the message is Vietnamese and user-facing."""


@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Ref:
    code: str


@dataclass(frozen=True)
class Col:
    table: str
    column: str


@dataclass(frozen=True)
class Count:
    list_code: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Bin:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


Node = Num | Ref | Col | Count | Neg | Bin | Call

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def parse(text: str | None) -> Node:
    """Parse ``text``; raise ``ExprError`` with a Vietnamese explanation when it is malformed.

    Trees are immutable, so parses are cached: rules and ratios are evaluated on every file.
    """
    if not isinstance(text, str):
        raise ExprError(render("def_expr_empty"))
    return _parse_cached(text)


@cached(maxsize=4096)
def _parse_cached(text: str) -> Node:
    if not text.strip():
        raise ExprError(render("def_expr_empty"))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(render("def_expr_syntax", text=text, offset=exc.offset)) from None
    return _convert(tree.body, text)


def _convert(node: ast.AST, text: str) -> Node:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return Num(Decimal(str(node.value)))
    if isinstance(node, ast.Name):
        return Ref(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return Col(node.value.id, node.attr)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _convert(node.operand, text)
        return Neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return Bin(_BINOPS[type(node.op)], _convert(node.left, text), _convert(node.right, text))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExprError(render("def_expr_function_unknown", name=name, text=text,
                                   value=', '.join(sorted(FUNCTIONS))))
        args = node.args
        if name == "sum":
            if len(args) != 1 or not isinstance(args[0], ast.Attribute):
                raise ExprError(render("def_expr_sum_args", text=text))
            return Call("sum", (_convert(args[0], text),))
        if name == "count":
            if len(args) != 1 or not isinstance(args[0], ast.Name):
                raise ExprError(render("def_expr_count_args", text=text))
            return Count(args[0].id)
        if name == "abs" and len(args) != 1:
            raise ExprError(render("def_expr_abs_args", text=text))
        if not args:
            raise ExprError(render("def_expr_needs_args", name=name, text=text))
        return Call(name, tuple(_convert(a, text) for a in args))
    raise ExprError(render("def_expr_not_allowed", text=text, value=ast.unparse(node)))


def walk(node: Node) -> Iterable[Node]:
    yield node
    if isinstance(node, Neg):
        yield from walk(node.operand)
    elif isinstance(node, Bin):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)


@cached(maxsize=8192)
def _field_refs(node: Node) -> frozenset[str]:
    return frozenset(n.code for n in walk(node) if isinstance(n, Ref))


def field_refs(node: Node) -> set[str]:
    return set(_field_refs(node))


@cached(maxsize=8192)
def _column_refs(node: Node) -> frozenset[tuple[str, str]]:
    return frozenset((n.table, n.column) for n in walk(node) if isinstance(n, Col))


def column_refs(node: Node) -> set[tuple[str, str]]:
    return set(_column_refs(node))


def list_refs(node: Node) -> set[str]:
    return {n.list_code for n in walk(node) if isinstance(n, Count)}


# --------------------------------------------------------------------------- Excel
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def to_excel(node: Node, column_range: Callable[[str, str], str], list_range: Callable[[str], str],
             field_ref: Callable[[str], str] = lambda code: code) -> str:
    """Translate to an Excel formula body (no leading ``=``).

    ``field_ref`` maps a field code to its reference (the defined name by default);
    ``column_range`` maps a table column to a range expression; ``list_range`` maps a
    list code to the range whose filled cells are counted.
    """

    def go(n: Node, parent: int = 0) -> str:
        if isinstance(n, Num):
            return format(n.value.normalize(), "f")
        if isinstance(n, Ref):
            return field_ref(n.code)
        if isinstance(n, Col):
            return f"SUM({column_range(n.table, n.column)})"
        if isinstance(n, Count):
            return f"COUNTA({list_range(n.list_code)})"
        if isinstance(n, Neg):
            return f"-{go(n.operand, 3)}"
        if isinstance(n, Bin):
            prec = _PRECEDENCE[n.op]
            right_prec = prec + 1 if n.op in "-/" else prec
            text = f"{go(n.left, prec)}{n.op}{go(n.right, right_prec)}"
            if n.op == "/":
                # a blank denominator must not raise #DIV/0! in the clerk's sheet
                text = f"IF(N({go(n.right, 0)})=0,\"\",{text})"
            return f"({text})" if prec < parent else text
        if isinstance(n, Call):
            if n.func == "sum":
                col = n.args[0]
                assert isinstance(col, Col)
                return f"SUM({column_range(col.table, col.column)})"
            return f"{n.func.upper()}({','.join(go(a) for a in n.args)})"
        raise TypeError(n)

    return go(node)


def to_text(node: Node, name: Callable[[str], str]) -> str:
    """The expression as a reader sees it: each field or column by ``name`` (its label), the
    operators spaced («Trực tuyến (4) + Trực tiếp, dịch vụ bưu chính (5) + Từ kỳ trước (6)»)."""

    def go(n: Node, parent: int = 0) -> str:
        if isinstance(n, Num):
            return format(n.value.normalize(), "f")
        if isinstance(n, Ref):
            return name(n.code)
        if isinstance(n, Col):
            return name(n.column)
        if isinstance(n, Count):
            return name(n.list_code)
        if isinstance(n, Neg):
            return f"-{go(n.operand, 3)}"
        if isinstance(n, Bin):
            prec = _PRECEDENCE[n.op]
            text = f"{go(n.left, prec)} {n.op} {go(n.right, prec + 1 if n.op in '-/' else prec)}"
            return f"({text})" if prec < parent else text
        if isinstance(n, Call):
            return f"{n.func}({', '.join(go(a) for a in n.args)})"
        raise TypeError(n)

    return go(node)


def excel_inputs(node: Node, column_range: Callable[[str, str], str], list_range: Callable[[str], str],
                 field_ref: Callable[[str], str] = lambda code: code) -> list[str]:
    """The references whose emptiness decides whether the formula shows a blank."""
    out: list[str] = []
    for n in walk(node):
        if isinstance(n, Ref):
            out.append(field_ref(n.code))
        elif isinstance(n, Col):
            out.append(column_range(n.table, n.column))
        elif isinstance(n, Count):
            out.append(list_range(n.list_code))
    return list(dict.fromkeys(out))


def excel_incomplete(node: Node, column_range: Callable[[str, str], str], list_range: Callable[[str], str],
                     field_ref: Callable[[str], str] = lambda code: code) -> str | None:
    """An Excel condition that is TRUE when a part of the expression is left empty (``complete``
    in Excel); None when the expression can never be incomplete (constants, list counts)."""

    def go(n: Node) -> str | None:
        if isinstance(n, Ref):
            return f"COUNT({field_ref(n.code)})=0"
        if isinstance(n, Col):
            return f"COUNT({column_range(n.table, n.column)})=0"
        if isinstance(n, (Num, Count)):
            return None
        if isinstance(n, Neg):
            return go(n.operand)
        parts = [go(a) for a in ((n.left, n.right) if isinstance(n, Bin) else n.args)]
        if isinstance(n, Call) and n.func in ("min", "max"):
            if any(p is None for p in parts):
                return None  # an alternative that is always there
            return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"  # type: ignore[arg-type]
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else f"OR({','.join(kept)})"

    return go(node)


# --------------------------------------------------------------------------- Python
class Env:
    """What an expression can see: field values, table columns and list row counts."""

    def __init__(self, values: Mapping[str, object],
                 columns: Mapping[tuple[str, str], list[object]] | None = None,
                 list_counts: Mapping[str, int] | None = None) -> None:
        self.values = values
        self.columns = columns or {}
        self.list_counts = list_counts or {}


def _dec(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return None  # text and dates do not take part in arithmetic


def evaluate(node: Node, env: Env) -> Decimal | None:
    """Evaluate in Decimal with spreadsheet semantics for missing values (see module doc).

    The node is compiled once into nested closures (``compiled``), then run on ``env``."""
    return compiled(node)(env)


def compiled(node: Node) -> Callable[[Env], Decimal | None]:
    """``evaluate`` for one node as a function of the environment (built once per node)."""
    return per_object(node, "compiled", lambda: _compiled(node))


def _compiled(node: Node) -> Callable[[Env], Decimal | None]:
    body = _compile(node)
    refs = tuple(sorted(_field_refs(node)))
    cols = tuple(sorted(_column_refs(node)))
    # a formula over fields and columns that are all blank is blank, not 0 (counting list rows
    # always gives a number)
    blank_when_empty = _has_refs(node) and not any(isinstance(n, Count) for n in walk(node))

    def run(env: Env) -> Decimal | None:
        try:
            result = body(env)
        except ZeroDivisionError:
            return None
        if blank_when_empty:
            values = env.values
            if all(_dec(values.get(code)) is None for code in refs) and not any(
                    _dec(x) is not None for col in cols for x in env.columns.get(col, ())):
                return None
        return result

    return run


def _compile(n: Node) -> Callable[[Env], Decimal | None]:
    if isinstance(n, Num):
        value = n.value
        return lambda env: value
    if isinstance(n, Ref):
        code = n.code

        def ref(env: Env) -> Decimal | None:
            v = env.values.get(code)
            return v if type(v) is Decimal else _dec(v)
        return ref
    if isinstance(n, Col):
        key = (n.table, n.column)

        def col(env: Env) -> Decimal | None:
            items = [d for d in (_dec(x) for x in env.columns.get(key, ())) if d is not None]
            return sum(items, Decimal(0)) if items else None
        return col
    if isinstance(n, Count):
        list_code = n.list_code
        return lambda env: Decimal(env.list_counts.get(list_code, 0))
    if isinstance(n, Neg):
        operand = _compile(n.operand)

        def neg(env: Env) -> Decimal | None:
            v = operand(env)
            return None if v is None else -v
        return neg
    if isinstance(n, Bin):
        return _compile_bin(n)
    if isinstance(n, Call):
        if n.func == "sum":
            return _compile(n.args[0])
        args, func = [_compile(a) for a in n.args], n.func

        def call(env: Env) -> Decimal | None:
            vals = [v for v in (a(env) for a in args) if v is not None]
            if not vals:
                return None
            if func == "abs":
                return abs(vals[0])
            return min(vals) if func == "min" else max(vals)
        return call
    raise TypeError(n)


def _compile_bin(n: Bin) -> Callable[[Env], Decimal | None]:
    left_of, right_of, op = _compile(n.left), _compile(n.right), n.op
    if op in "+-":
        def additive(env: Env) -> Decimal | None:
            left, right = left_of(env), right_of(env)
            if left is None and right is None:
                return None
            left, right = left or _ZERO, right or _ZERO
            return left + right if op == "+" else left - right
        return additive
    if op == "*":
        def product(env: Env) -> Decimal | None:
            left, right = left_of(env), right_of(env)
            return None if left is None or right is None else left * right
        return product

    def quotient(env: Env) -> Decimal | None:
        left, right = left_of(env), right_of(env)
        if left is None or right is None:
            return None
        if right == 0:
            raise ZeroDivisionError
        try:
            return left / right
        except InvalidOperation:
            return None
    return quotient


_ZERO = Decimal(0)


def complete(node: Node, env: Env) -> bool:
    """Whether every part of the expression is filled: each field has a value and each table
    column at least one, except that of ``max``/``min`` one complete argument is enough (the
    alternatives of one figure: a total typed as one number, or its parts). A ratio with an
    incomplete part is "chưa có số liệu"; a rule skipped when a side is incomplete."""
    return per_object(node, "complete", lambda: _completeness(node))(env)


def _completeness(n: Node) -> Callable[[Env], bool]:
    if isinstance(n, Ref):
        code = n.code
        return lambda env: _dec(env.values.get(code)) is not None
    if isinstance(n, Col):
        key = (n.table, n.column)
        return lambda env: any(_dec(x) is not None for x in env.columns.get(key, ()))
    if isinstance(n, (Num, Count)):
        return lambda env: True
    if isinstance(n, Neg):
        return _completeness(n.operand)
    parts = [_completeness(a) for a in ((n.left, n.right) if isinstance(n, Bin) else n.args)]
    if isinstance(n, Call) and n.func in ("min", "max"):
        return lambda env: any(p(env) for p in parts)
    return lambda env: all(p(env) for p in parts)


@cached(maxsize=8192)
def _has_refs(node: Node) -> bool:
    return any(isinstance(n, (Ref, Col)) for n in walk(node))
