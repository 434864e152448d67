"""Kiến nghị của đơn vị: the units' items of a compiled list (``aggregate: list``, the kiến nghị) on
a sheet of the summary, never in the receiving office's own list (its report's section V says only
what the office itself asks of the level above).

Identical items (the same words, whatever the letter case, spacing or closing punctuation) are
one row naming every unit that made them; rows are grouped by the list's ``themes`` (keywords, in
the definition: an item goes under the first theme one of whose keywords it contains), the items
matching none last, under «Khác»; within a group the items most units made come first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..definition.models import ListDef, ReportDefinition
from ..ui import ui
from .aggregate import UNIT_CODE, UNIT_NAME

_TRAILING = re.compile(r"[\s.;,:]+$")
_LEADING = re.compile(r"^\s*(?:[-+•*–]|\d{1,2}[.)])\s+")


@dataclass
class Request:
    text: str  # as the first unit typed it, on one line
    units: list[tuple[str, str]] = field(default_factory=list)  # (code, name), by code

    @property
    def names(self) -> list[str]:
        return [name for _code, name in self.units]


@dataclass
class ThemeGroup:
    label: str
    requests: list[Request]


@dataclass
class CompiledList:
    definition: ListDef
    groups: list[ThemeGroup]

    @property
    def count(self) -> int:
        return sum(len(g.requests) for g in self.groups)

    @property
    def units(self) -> set[str]:
        return {code for g in self.groups for r in g.requests for code, _name in r.units}


def _one_line(text: Any) -> str:
    text = unicodedata.normalize("NFC", " ".join(str(text or "").split()))
    return _LEADING.sub("", text).strip()


def _key(text: str) -> str:
    return _TRAILING.sub("", text).casefold()


def theme_of(lst: ListDef, text: str) -> str | None:
    """The label of the first theme of ``lst`` one of whose keywords ``text`` contains, or None."""
    folded = unicodedata.normalize("NFC", text).casefold()
    for theme in lst.themes:
        if any(k.casefold() in folded for k in theme.keywords):
            return theme.label
    return None


def compile_list(lst: ListDef, items: list[dict[str, Any]]) -> CompiledList:
    """``items``: the units' rows of ``lst`` (``aggregate.aggregate``'s ``lists``, each with its unit)."""
    key_col = lst.key_column.code
    merged: dict[str, Request] = {}
    for row in items:
        text = _one_line(row.get(key_col))
        if not _key(text):
            continue
        request = merged.setdefault(_key(text), Request(_TRAILING.sub("", text)))
        unit = (str(row.get(UNIT_CODE) or ""), str(row.get(UNIT_NAME) or ""))
        if unit not in request.units:
            request.units.append(unit)
    order = [t.label for t in lst.themes]
    other = ui("merge.requests_other_theme")
    by_theme: dict[str, list[Request]] = {}
    for request in merged.values():
        request.units.sort()
        by_theme.setdefault(theme_of(lst, request.text) or other, []).append(request)
    groups = []
    for label in [*order, other]:
        found = by_theme.get(label)
        if found:
            found.sort(key=lambda r: (-len(r.units), r.units[0][0], r.text.casefold()))
            groups.append(ThemeGroup(label, found))
    return CompiledList(lst, groups)


def compile_requests(definition: ReportDefinition, lists: dict[str, list[dict[str, Any]]]) -> list[CompiledList]:
    """Every compiled list of the definition, in its order."""
    return [compile_list(lst, lists.get(lst.code, [])) for lst in definition.lists if lst.aggregate == "list"]


def grid(compiled: list[CompiledList], *, title: str, receiver: str) -> tuple[list[list[Any]], dict[int, str]]:
    """The sheet's cells (title, state line, headers, then per list and theme a heading row and its
    items) and the kind of each row after the headers (``list``, ``theme``, ``item``, ``none``)."""
    items = sum(c.count for c in compiled)
    units = len(set().union(*(c.units for c in compiled))) if compiled else 0
    state = ui("merge.requests_state").format(items=items, units=units, receiver=receiver) if items \
        else ui("merge.requests_none")
    rows: list[list[Any]] = [[title], [state], [], list(ui("merge.requests_columns"))]
    kinds: dict[int, str] = {}
    number = 0
    for c in compiled:
        if not c.count:
            continue
        if len(compiled) > 1:
            rows.append([None, ui("merge.requests_list").format(label=c.definition.label)])
            kinds[len(rows)] = "list"
        for group in c.groups:
            rows.append([None, ui("merge.requests_theme").format(label=group.label, count=len(group.requests))])
            kinds[len(rows)] = "theme"
            for request in group.requests:
                number += 1
                rows.append([number, request.text, ", ".join(request.names), len(request.units)])
                kinds[len(rows)] = "item"
    return rows, kinds
