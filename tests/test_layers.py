"""The package's shape: one source of truth (no definition code, sheet name or Vietnamese text
written in Python) and no import cycles (imports inside functions included).

Both tests read the package's source with ``ast`` (nothing is imported or executed from it)."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import yaml

from xl_addin.definition.loader import load_definition

from conftest import ROOT

PACKAGE = ROOT / "xl_addin"

# (file, constant): the strings the constants test lets through, each with its reason. At most 10.
ALLOWED: dict[tuple[str, str], str] = {
    ("xl_addin/resources.py", "cchc"):
        "TOOL_NAME: the tool's own name (the program, the VBA project, %LOCALAPPDATA%\\cchc, the cache "
        "folder), which the shipped definition's id (DEFAULT_TEMPLATE) shares; every other module imports them",
    ("xl_addin/definition/periods.py", "I"): "Roman numerals of quarters (Quý I…IV): the outline's "
        "section codes happen to be Roman numerals too",
    ("xl_addin/letters.py", "đĐ"): "the letter đ as an alphabet (folded to d for ASCII names), not text",
    ("xl_addin/metrics.py", "ơ"): "the letters ơ/ư/đ as an alphabet (diacritic counting), not text",
    ("xl_addin/merge/summary_layout.py", "don_vi_ma"): "the unit-code column key of the summary's "
        "Tổng hợp, a file format (layouts 1–3) that older summaries on disk are read back with",
}
# a constant listed for a file also allows these others of the same family in that file
FAMILIES = {"I": {"I", "II", "III", "IV"}, "ơ": {"Đ", "đ", "Ơ", "ơ", "Ư", "ư"},
            "don_vi_ma": {"don_vi_ma", "don_vi_ten"}}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def _definition_codes() -> set[str]:
    """Every code and id of the shipped definition and its province profiles (fields, tables,
    columns, rows, lists, choice lists and their options, sheets, sections, rules, ratios…)."""
    codes: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("code", "id") and isinstance(value, str):
                    codes.add(value)
                walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    profiles = [None] + [p.stem for p in (ROOT / "workbook_templates" / "cchc" / "profiles").glob("*.yaml")]
    for profile in profiles:
        walk(load_definition(profile=profile).model_dump())
    return codes


def _sheet_names() -> set[str]:
    """The sheet names the tool writes (ui.yaml ``*_sheet`` and ``sheets``)."""
    names: set[str] = set()

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and (key.endswith("_sheet") or key == "sheets"):
            names.add(node)

    walk(yaml.safe_load((PACKAGE / "ui.yaml").read_text(encoding="utf-8")))
    return {n for n in names if "{" not in n}


def _vietnamese(text: str) -> bool:
    return any(ord(ch) > 127 and unicodedata.category(ch).startswith("L") for ch in text)


def _constants():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                yield rel, node.lineno, node.value


def test_the_allow_list_is_short_and_explained():
    assert len(ALLOWED) <= 10
    assert all(len(reason) > 30 for reason in ALLOWED.values())


def test_no_definition_code_sheet_name_or_vietnamese_text_in_python():
    codes, sheets = _definition_codes(), _sheet_names()
    assert {"kinh_gui", "so_ky_hieu", "huong_dan", "ds_cap_don_vi"} <= codes  # the scan sees the definition
    allowed = {(f, c) for (f, key) in ALLOWED for c in FAMILIES.get(key, {key})}
    used: set[tuple[str, str]] = set()
    found = []
    for rel, line, text in _constants():
        what = "Vietnamese text" if _vietnamese(text) else "definition code" if text in codes \
            else "sheet name" if text in sheets else None
        if what is None:
            continue
        if (rel, text) in allowed:
            used.add((rel, text))
            continue
        found.append(f"{rel}:{line}: {what} {text!r}")
    assert not found, "written in Python, belongs in the definition or a catalogue:\n" + "\n".join(found)
    stale = [key for key in ALLOWED if not any(k[0] == key[0] and k[1] in FAMILIES.get(key[1], {key[1]})
                                               for k in used)]
    assert not stale, f"allow-list entries nothing needs any more: {stale}"


# --------------------------------------------------------------------------- import cycles
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The import nodes under ``if TYPE_CHECKING:``: never run (annotations are strings)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its body (imports inside functions
    included): every Import and ImportFrom node of the tree but those under ``if TYPE_CHECKING:``."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_only(tree)
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in modules else target)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = import_graph()
    assert "xl_addin.workbook.reader" in graph and graph["xl_addin.workbook.reader"]
    assert cycles(graph) == []


LEAVES = ("xl_addin.cells", "xl_addin.problems", "xl_addin.memo", "xl_addin.limits", "xl_addin.letters",
          "xl_addin.metrics", "xl_addin.resources", "xl_addin.xmlescape", "xl_addin.yamlio")


def test_leaf_modules_import_nothing_else_of_the_package():
    graph = import_graph()
    for leaf in LEAVES:
        assert graph[leaf] == set(), leaf


# --------------------------------------------------------------------------- the one cache
def test_every_cache_goes_through_memo():
    """No functools cache, cached_property or module-level cache dict outside xl_addin/memo.py."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "xl_addin/memo.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "functools" \
                    and node.attr in ("cache", "lru_cache", "cached_property"):
                found.append(f"{rel}:{node.lineno}: functools.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "functools" and any(
                    a.name in ("cache", "lru_cache", "cached_property") for a in node.names):
                found.append(f"{rel}:{node.lineno}: from functools import …")
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and "CACHE" in t.id.upper() and t.col_offset == 0:
                    found.append(f"{rel}:{node.lineno}: {t.id}")
    assert not found, found


def test_the_cache_keeps_frozen_values_only():
    from types import MappingProxyType

    import pytest

    from xl_addin.memo import cached, freeze, is_frozen, per_object

    @cached()
    def listing(n: int) -> list[int]:
        return list(range(n))

    with pytest.raises(TypeError, match="not a frozen value"):
        listing(3)
    with pytest.raises(TypeError, match="not a frozen value"):
        per_object(object(), "test", lambda: {"a": 1})
    frozen = freeze({"a": [1, {"b": {2}}]})
    assert isinstance(frozen, MappingProxyType) and frozen["a"] == (1, MappingProxyType({"b": frozenset({2})}))
    assert is_frozen(frozen) and not is_frozen([1]) and not is_frozen((1, [2]))
    definition = load_definition()
    with pytest.raises(TypeError):
        definition.field_map()["x"] = None  # type: ignore[index]


def test_clearing_the_cache_makes_every_store_work_its_values_out_again():
    """memo.clear() empties the per-object store and every @cached function, with or without ttl
    (the mutation runs rely on it: inputs built once, then each mutant's code runs from cold)."""
    from xl_addin import memo

    calls: list[str] = []

    @memo.cached()
    def plain(n: int) -> int:
        calls.append("plain")
        return n

    @memo.cached(maxsize=2, ttl=3600)
    def timed(n: int) -> int:
        calls.append("timed")
        return n

    key = object()
    for _ in range(2):
        plain(1), timed(1), memo.per_object(key, "test", lambda: calls.append("object") or 1)
    assert calls == ["plain", "timed", "object"]
    memo.clear()
    plain(1), timed(1), memo.per_object(key, "test", lambda: calls.append("object") or 1)
    assert calls == ["plain", "timed", "object"] * 2
