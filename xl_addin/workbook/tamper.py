"""Tamper detection: the locked structure of a returned workbook against what its template generates.

The locked structure is what a clerk cannot change without removing the protection: the sheets
of the template and their order, the defined names, the sheet and workbook protection, the data
validation of the input cells, and the content of every locked cell (labels and formulas). What
the tool itself writes is left out: its own sheets (Kiểm tra, Tỷ lệ, Báo cáo, Tổng hợp…), notes,
fills and colours, the meta sheet, the per-unit stamps and the input cells.

Two steps keep it fast enough for a merge of hundreds of files:

* **quick**: the structure found in the file (from the sheet XML the pre-flight unpacks anyway
  and the calamine grids; no openpyxl load) is compared as a whole with the template's, which is
  built once per definition and cached: equal structures end the check.
* **full**, only when they differ: every difference becomes a ``Problem`` naming sheet, cell,
  expected and found, with its own code.

``structure_digest`` (stamped into the meta sheet by ``cchc build``) is the digest of the
template's structure: ``s1:<names, validation, protection, sheets>:<locked cells>``. It is an
integrity check, not a signature (no secret key), so it never excuses a difference from the
template; it is what a workbook of a past version is checked against.

A workbook from a past template version has no template to compare with (only a field mapping is
kept): only the version-independent half of the digest is checked (names, validation,
protection, sheets) and a change is reported without details.
"""

from __future__ import annotations

import hashlib
import io
import json
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..cells import a1, col_letters, ref_to_rc
from ..definition.models import ReportDefinition
from ..errors import catalogue, render
from ..memo import cached, freeze, per_object
from ..ui import ui, ui_text
from .layout import LISTS_SHEET, META_SHEET, Layout, compute_layout
from .safety import Preflight, SheetScan

DIGEST_PREFIX = "s1"
Cell = tuple[str, str]  # (sheet, A1)


@cached()
def tool_sheets() -> frozenset[str]:
    """Sheets the tool itself adds to a workbook: never part of the locked structure."""
    from ..ui import ui

    names = {ui("sheets.check"), ui("sheets.ratios"), ui("sheets.report")}
    for key in ("summary_sheet", "status_sheet", "sources_sheet", "lineage_sheet", "chart_sheet", "feedback_sheet",
                "requests_sheet"):
        names.add(ui(f"merge.{key}"))
    return frozenset(names)


@dataclass
class Structure:
    sheets: list[str]  # template sheets, in workbook order
    names: dict[str, str]
    locked: bool
    protected: dict[str, bool]
    validations: dict[str, dict[tuple, list]]
    cells: dict[Cell, tuple[str, str]] = field(default_factory=dict)  # ("f", formula) | ("v", text)
    raw: dict[Cell, Any] = field(default_factory=dict)  # the template's cell values as a reader returns them

    def keys(self) -> frozenset:
        cached = getattr(self, "_keys", None)
        if cached is None:
            cached = self._keys = frozenset(self.cells)
        return cached

    def core(self) -> dict:
        return {"sheets": self.sheets, "names": dict(sorted(self.names.items())), "locked": self.locked,
                "protected": dict(sorted(self.protected.items())),
                "validations": {s: [[list(k), [list(r) for r in runs]] for k, runs in v.items()]
                                for s, v in sorted(self.validations.items())}}

    def core_digest(self) -> str:
        return _hash(self.core())

    def cells_digest(self) -> str:
        return _hash(sorted([s, r, k, v] for (s, r), (k, v) in self.cells.items()))

    def same_core(self, other: Structure) -> bool:
        return (self.sheets == other.sheets and self.names == other.names and self.locked == other.locked
                and self.protected == other.protected and self.validations == other.validations)

    def digest(self) -> str:
        return f"{DIGEST_PREFIX}:{self.core_digest()}:{self.cells_digest()}"


def _hash(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def split_digest(text: Any) -> tuple[str, str] | None:
    parts = str(text or "").split(":")
    if len(parts) == 3 and parts[0] == DIGEST_PREFIX:
        return parts[1], parts[2]
    return None


def cell_text(value: Any) -> str:
    """A cell value as comparable text (labels, list numbers)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return unicodedata.normalize("NFC", str(value)).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# --------------------------------------------------------------------------- which cells count
def excluded_cells(layout: Layout) -> set[Cell]:
    """Input cells and stamped cells: their content is the unit's, not the template's."""
    out = {key for key, kind in layout._kinds().items() if kind == "input"}
    out.update((sheet, ref) for sheet, ref, _template in layout.text_stamps)
    fmap = layout.definition.field_map()
    for code, pos in layout.fields.items():
        if fmap[code].stamp:
            out.add((pos.sheet, pos.ref))
    return out


def _excluded(layout: Layout) -> set[Cell]:
    return per_object(layout, "excluded_cells", lambda: frozenset(excluded_cells(layout)))


def template_sheets(names: list[str]) -> list[str]:
    tools = tool_sheets()
    return [n for n in names if n != META_SHEET and n not in tools]


PlanCell = tuple[int, int, Any, Cell, tuple[str, str]]  # row index, column index, raw value, cell, expected


def _plan(expected: Structure) -> list[tuple[str, list[PlanCell]]]:
    """The template's cells grouped by sheet, with their 0-based positions and the raw value a
    reader returns for them (computed once per structure)."""
    return per_object(expected, "plan", lambda: freeze(_build_plan(expected)))


def _build_plan(expected: Structure) -> list[tuple[str, list[PlanCell]]]:
    by_sheet: dict[str, list[PlanCell]] = {}
    for key, row, col in _positions(expected.keys()):
        exp = expected.cells[key]
        by_sheet.setdefault(key[0], []).append((row - 1, col - 1, expected.raw.get(key, exp[1]), key, exp))
    return list(by_sheet.items())


RowPlan = tuple[int, int, Callable[[list], Any], Any, list[PlanCell]]


def _row_plan(expected: Structure) -> list[tuple[str, list[RowPlan], list[PlanCell]]]:
    """``_plan`` by row, for comparing a whole row of a returned file at once: per sheet, its rows
    of value cells (row index, last column index, a getter of those cells' values, the values the
    template has there, the cells) and its formula cells (computed once per structure)."""
    def build() -> list[tuple[str, list[RowPlan], list[PlanCell]]]:
        out = []
        for sheet, plan in _plan(expected):
            rows: dict[int, list[PlanCell]] = {}
            formulas = []
            for cell in plan:
                if cell[4][0] == "v":
                    rows.setdefault(cell[0], []).append(cell)
                else:
                    formulas.append(cell)
            row_plans = []
            for r0, cells in rows.items():
                cols = [c[1] for c in cells]
                getter = operator.itemgetter(*cols) if len(cols) > 1 else (lambda line, c=cols[0]: (line[c],))
                row_plans.append((r0, max(cols), getter, tuple(c[2] for c in cells), cells))
            out.append((sheet, row_plans, formulas))
        return out

    return per_object(expected, "row_plan", lambda: freeze(build()))


@cached(maxsize=8)
def _positions(keys: frozenset) -> tuple[tuple[Cell, int, int], ...]:

    return tuple((key, *ref_to_rc(key[1])) for key in sorted(keys))


def _grid_value(grids: dict[str, list[list[Any]]], sheet: str, ref: str) -> Any:

    grid = grids.get(sheet)
    if grid is None:
        return None
    row, col = ref_to_rc(ref)
    if row - 1 >= len(grid):
        return None
    line = grid[row - 1]
    return line[col - 1] if col - 1 < len(line) else None


def build_structure(sheet_order: list[str], names: dict[str, str], locked: bool, scans: dict[str, SheetScan],
                    grids: dict[str, list[list[Any]]], excluded: set[Cell],
                    cell_keys: set[Cell] | None) -> Structure:
    """The structure of a package. ``cell_keys`` None: every non-empty locked cell (the template);
    otherwise the template's cells plus any formula found in a locked cell (a returned file)."""
    sheets = template_sheets(sheet_order)
    struct = Structure(sheets, names, locked, {s: scans[s].protected for s in sheets if s in scans},
                       {s: scans[s].validations for s in sheets if s in scans})
    cells: dict[Cell, tuple[str, str]] = {}
    for sheet in sheets:
        scan = scans.get(sheet)
        if scan is None:
            continue
        for ref, formula in scan.formulas.items():
            if (sheet, ref) not in excluded:
                cells[(sheet, ref)] = ("f", formula)
    if cell_keys is None:
        for sheet in sheets:
            grid = grids.get(sheet) or []
            for r, line in enumerate(grid, start=1):
                for c, value in enumerate(line, start=1):
                    if _blank(value):
                        continue
                    key = (sheet, f"{col_letters(c)}{r}")
                    if key not in excluded and key not in cells:
                        cells[key] = ("v", cell_text(value))
                        struct.raw[key] = value
    else:
        for key, row, col in _positions(frozenset(cell_keys)):
            if key in cells:
                continue
            grid = grids.get(key[0])
            value = None
            if grid is not None and row <= len(grid):
                line = grid[row - 1]
                value = line[col - 1] if col <= len(line) else None
            cells[key] = ("v", "" if _blank(value) else cell_text(value))
        for key, kv in list(cells.items()):
            if kv[0] == "v" and kv[1] == "" and key not in cell_keys:
                del cells[key]
    struct.cells = cells
    return struct


# --------------------------------------------------------------------------- the template's structure
_EXPECTED: dict[tuple, Structure] = {}


def expected_structure(definition: ReportDefinition, template: bytes | None = None) -> Structure:
    """The locked structure of the template the definition generates (built once, then cached).

    ``template``: the definition's template bytes when the caller holds them already."""
    key = (definition.id, definition.version, definition.profile, definition.source_hash)
    hit = _EXPECTED.get(key)
    if hit is not None:
        return hit
    if template is None:
        from .template_cache import cached_template_bytes

        template = cached_template_bytes(definition)
    struct = structure_of_template(definition, template)
    _EXPECTED[key] = struct
    return struct


def structure_of_template(definition: ReportDefinition, template: bytes) -> Structure:
    from python_calamine import CalamineWorkbook

    pre = Preflight.from_bytes(template)
    parts = pre.parts()
    order = [n for n, _ in parts.sheets]
    # the live-checks sheet is only formulas over the others: its place in the workbook counts, its
    # content is not read (what ``reader.sheets_read`` reads of a returned file, too)
    checks = {s.name for s in definition.sheets if s.kind == "checks"}
    sheets = [n for n in template_sheets(order) if n not in checks]
    scans = pre.scan_sheets(sheets)
    book = CalamineWorkbook.from_filelike(io.BytesIO(template))
    grids = {n: book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in sheets}
    layout = compute_layout(definition)
    return build_structure(order, parts.names, parts.locked, scans, grids, excluded_cells(layout), None)


def template_digest(definition: ReportDefinition, template: bytes | None = None) -> str:
    """What ``cchc build`` stamps into the meta sheet (``structure_digest``)."""
    return expected_structure(definition, template).digest()


# --------------------------------------------------------------------------- comparing
@dataclass
class Difference:
    code: str
    sheet: str = ""
    cell: str = ""
    expected: str = ""
    found: str = ""
    name: str = ""

    def to_dict(self) -> dict:
        return {"code": self.code, "sheet": self.sheet, "cell": self.cell, "expected": self.expected,
                "found": self.found, "name": self.name}


def _show(kv: tuple[str, str] | None) -> str:
    if kv is None or kv[1] == "":
        return ui("blank")
    return ("=" + kv[1]) if kv[0] == "f" else kv[1]


def compare(expected: Structure, found: Structure, data_sheets: set[str]) -> list[Difference]:
    """Every difference between the template's locked structure and the file's."""
    diffs: list[Difference] = []
    present = set(found.sheets)
    for sheet in expected.sheets:
        if sheet not in present and sheet not in data_sheets:
            diffs.append(Difference("tamper_sheet_removed", sheet))
    for sheet in found.sheets:
        if sheet not in set(expected.sheets):
            diffs.append(Difference("tamper_sheet_added", sheet))
    common_expected = [s for s in expected.sheets if s in present]
    common_found = [s for s in found.sheets if s in set(expected.sheets)]
    if common_expected != common_found:
        diffs.append(Difference("tamper_sheet_order", found=", ".join(common_found)))
    if expected.locked and not found.locked:
        diffs.append(Difference("tamper_workbook_unlocked"))
    for sheet in common_expected:
        if expected.protected.get(sheet) and not found.protected.get(sheet):
            diffs.append(Difference("tamper_protection_removed", sheet))
    for name, ref in sorted(expected.names.items()):
        got = found.names.get(name)
        if got is None:
            diffs.append(Difference("tamper_name_missing", name=name, expected=ref))
        elif got != ref:
            diffs.append(Difference("tamper_name_moved", name=name, expected=ref, found=got))
    for sheet in common_expected:
        exp = _cell_rules(expected.validations.get(sheet, {}))
        got = _cell_rules(found.validations.get(sheet, {}))
        changed = sorted((c for c in set(exp) | set(got) if exp.get(c) != got.get(c)), key=lambda c: (c[1], c[0]))
        # a validation added on a cell that had none is harmless; one removed or changed is not
        changed = [c for c in changed if c in exp]
        if changed:
            cells = ", ".join(f"{col_letters(c)}{r}" for c, r in changed[:5]) + ("…" if len(changed) > 5 else "")
            diffs.append(Difference("tamper_validation_changed", sheet, found=cells, expected=str(len(changed))))
    for key in sorted(set(expected.cells) | set(found.cells), key=_cell_order(expected.sheets)):
        sheet, ref = key
        if sheet not in present:
            continue
        exp, got = expected.cells.get(key), found.cells.get(key)
        if exp == got or (exp is None and (got is None or got[1] == "")):
            continue
        if exp is not None and exp[0] == "f":
            code = "tamper_formula_changed" if got is not None and got[0] == "f" else "tamper_formula_replaced"
        elif got is not None and got[0] == "f":
            code = "tamper_formula_changed"
        else:
            code = "tamper_label_changed"
        diffs.append(Difference(code, sheet, ref, _show(exp), _show(got)))
    return diffs


def _cell_rules(rules: dict[tuple, list]) -> dict[tuple[int, int], tuple]:
    out: dict[tuple[int, int], tuple] = {}
    for key, runs in rules.items():
        for col, first, last in runs:
            for row in range(first, last + 1):
                out[(col, row)] = tuple(key)
    return out


def _cell_order(sheets: list[str]) -> Callable[[Cell], tuple]:

    rank = {s: i for i, s in enumerate(sheets)}

    def key(cell: Cell) -> tuple:
        row, col = ref_to_rc(cell[1])
        return (rank.get(cell[0], 99), row, col)

    return key


# --------------------------------------------------------------------------- findings
def cell_labels(layout: Layout) -> dict[Cell, str]:
    """What a locked cell is, in words (for the messages)."""
    labels: dict[Cell, str] = {}
    fmap = layout.definition.field_map()
    for code, pos in layout.fields.items():
        labels[(pos.sheet, pos.ref)] = fmap[code].label
    ratios = layout.definition.ratio_map()
    for code, pos in layout.ratios.items():
        labels[(pos.sheet, pos.ref)] = ratios[code].label
    for block in layout.tables.values():
        table = block.definition
        for col in table.columns:
            c = block.columns[col.code]
            for i in range(block.n_rows):
                row = table.rows[i].label if table.fixed else ui_text("row", row=i + 1)
                labels[(block.sheet, a1(block.first_row + i, c))] = f"{col.label} — {row}"
            if block.total_row:
                labels[(block.sheet, a1(block.total_row, c))] = f"{col.label} — {table.total_row}"
    return labels


def problems_from(diffs: list[Difference], file: str, layout: Layout) -> list:
    from ..problems import Problem

    labels = cell_labels(layout)
    out = []
    cell_codes = ("tamper_formula_replaced", "tamper_formula_changed", "tamper_label_changed")
    shown = 0
    hidden = 0
    for d in diffs:
        if d.code in cell_codes:
            if shown >= limits.MAX_TAMPER_FINDINGS:
                hidden += 1
                continue
            shown += 1
        label = labels.get((d.sheet, d.cell), "")
        params = dict(file=file, sheet=d.sheet, cell=d.cell, expected=d.expected, found=d.found, name=d.name,
                      label=label or ui("words.fixed_cell"))
        if d.code == "tamper_validation_changed":
            params.update(count=d.expected, cells=d.found)
        where = f"{d.sheet}!{d.cell}" if d.cell else (d.sheet or d.name)
        field_code = d.name or None
        out.append(Problem(d.code, where, d.found, render(d.code, **params), field_code,
                           catalogue()[d.code].get("importance")))
    if hidden:
        out.append(Problem("tamper_more", "", hidden, render("tamper_more", file=file, count=hidden, shown=shown),
                           None, catalogue()["tamper_more"].get("importance")))
    return out


def found_structure(pre: Preflight, scans: dict[str, SheetScan], grids: dict[str, list[list[Any]]],
                    layout: Layout | None, expected: Structure | None) -> Structure:
    """The structure of a returned file: the template's cells as they are now in the file, plus any
    formula found in a locked cell. Without ``expected`` (a past version): formulas only."""
    parts = pre.parts()
    order = [n for n, _ in parts.sheets]
    if expected is None:
        return build_structure(order, parts.names, parts.locked, scans, grids, set(), frozenset())
    sheets = template_sheets(order)
    struct = Structure(sheets, parts.names, parts.locked, {s: scans[s].protected for s in sheets if s in scans},
                       {s: scans[s].validations for s in sheets if s in scans})
    struct.cells = dict(expected.cells)
    struct.cells.update(_cell_changes(expected, scans, grids, _excluded(layout) if layout is not None else set()))
    return struct


def _cell_changes(expected: Structure, scans: dict[str, SheetScan], grids: dict[str, list[list[Any]]],
                  excluded: set[Cell]) -> dict[Cell, tuple[str, str]]:
    """The cells whose content differs from the template's (fast: compares raw values first)."""
    changes: dict[Cell, tuple[str, str]] = {}
    exp_cells = expected.cells
    found_formulas: dict[Cell, str] = {}
    for sheet, scan in scans.items():
        for ref, formula in scan.formulas.items():
            key = (sheet, ref)
            if key not in excluded:
                found_formulas[key] = formula
    for key, formula in found_formulas.items():  # a formula where the template has one, or not
        exp = exp_cells.get(key)
        if exp is not None:
            if exp != ("f", formula):
                changes[key] = ("f", formula)
        elif key[0] in expected.protected:
            changes[key] = ("f", formula)
    for sheet, row_plans, formula_cells in _row_plan(expected):
        grid = grids.get(sheet) or []
        height = len(grid)
        for r0, last, getter, raws, cells in row_plans:
            line = grid[r0] if r0 < height else ()
            if last < len(line) and getter(line) == raws:
                continue  # the whole row's locked values unchanged (compared in C)
            for cell in cells:
                _compare_cell(cell, line, found_formulas, changes)
        for cell in formula_cells:
            if cell[3] not in found_formulas:  # the template's formula gone: what is there now
                _compare_cell(cell, grid[cell[0]] if cell[0] < height else (), found_formulas, changes)
    return changes


def _compare_cell(cell: PlanCell, line: list | tuple, found_formulas: dict[Cell, str],
                  changes: dict[Cell, tuple[str, str]]) -> None:
    _r0, c0, raw, key, exp = cell
    value = line[c0] if c0 < len(line) else None
    if exp[0] == "v" and value == raw or key in found_formulas:
        return  # unchanged, or a formula (compared with the template's formulas)
    got = ("v", "" if _blank(value) else cell_text(value))
    if got != exp:
        changes[key] = got


def check(pre: Preflight, scans: dict[str, SheetScan], grids: dict[str, list[list[Any]]], definition: ReportDefinition,
          layout: Layout, meta: dict[str, Any], file: str, past_version: str | None = None,
          data_sheets: set[str] | None = None) -> list:
    """Tamper findings of one file (an empty list when its locked structure is the template's)."""
    from ..problems import Problem

    stamped = split_digest(meta.get("structure_digest"))
    if past_version is not None:
        if stamped is None:
            return []
        found = found_structure(pre, scans, grids, None, None)
        if found.core_digest() == stamped[0]:
            return []
        return [Problem("tamper_structure_changed", "", past_version,
                        render("tamper_structure_changed", file=file, version=past_version), None,
                        catalogue()["tamper_structure_changed"].get("importance"))]
    expected = expected_structure(definition)
    found = found_structure(pre, scans, grids, layout, expected)
    # the template's half of the digest, worked out once (the expected structure is never changed)
    expected_core = per_object(expected, "core_digest", expected.core_digest)
    if stamped is not None and stamped[0] != expected_core and found.same_core(expected):
        # the file's sheets, names, protection and validation are the template's, but its meta sheet
        # names another structure: the meta sheet was edited or copied from another workbook. (Only
        # this half: the locked cells' half changes when the builder's wording does, within a version.)
        from ..errors import CchcError

        raise CchcError("meta_contradicts_cells", file=file, field="structure_digest",
                        meta=str(meta.get("structure_digest"))[:60], cell=ui("words.template_structure"),
                        cell_value=expected.digest())
    parts = pre.parts()
    notes = []
    if parts.saved_by:
        # LibreOffice (and WPS) keep a protected structure protected but write <workbookProtection/>
        # without lockStructure: a re-save, flagged as one, not "structure lock removed"
        if parts.protection_element and not found.locked:
            found.locked = True
        notes.append(Problem("workbook_resaved", "", parts.saved_by,
                             render("workbook_resaved", file=file, app=parts.saved_by), None,
                             catalogue()["workbook_resaved"].get("importance")))
    if found.same_core(expected) and found.cells == expected.cells:
        return notes  # the template's structure, untouched
    # The stamped digest is not trusted to excuse a difference: it has no secret key, so whoever
    # edits a file can recompute it. Within one template version the structure never changes.
    if stamped is not None and stamped[0] != expected_core and _own_core(pre, scans, definition) == stamped[0]:
        # sheets, names, protection and validation exactly as the file's own build stamped them, but
        # not the current build's: the template changed within its version (the differences below
        # are the builder's, not the clerk's). Said once, so the merge can say so too.
        notes.append(Problem("template_build_differs", "", stamped[0],
                             render("template_build_differs", file=file, version=definition.version), None,
                             catalogue()["template_build_differs"].get("importance")))
    diffs = compare(expected, found, data_sheets or set())
    if parts.saved_by == "LibreOffice":
        diffs = [d for d in diffs if not _libreoffice_reading(d)]
        if not diffs:
            return notes
    return notes + problems_from(diffs, file, layout)


_LENIENT_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{1,4})_")


def _libreoffice_reading(diff: Difference) -> bool:
    """A locked text that LibreOffice changed itself when it opened the file: it decodes ``_xHH_``
    with fewer than four hex digits too (a code such as ``bien_che_cap_xa_giao`` becomes
    ``bien_che_cap`` + a line break + ``giao``), then saves what it decoded."""
    if diff.code != "tamper_label_changed" or "_x" not in diff.expected:
        return False
    decoded = _LENIENT_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), diff.expected)
    return cell_text(decoded) == cell_text(diff.found)


def _own_core(pre: Preflight, scans: dict[str, SheetScan], definition: ReportDefinition) -> str | None:
    """The version-independent half of the digest of the file as it is (every sheet of it that is
    not the tool's own, scanned within the limits, as ``file_digest`` counts them); None when a
    sheet cannot be scanned."""
    from ..errors import CchcError

    checks = {s.name for s in definition.sheets if s.kind == "checks"}  # as the reader: not read
    order = [n for n, _ in pre.parts().sheets]
    try:
        own = {n: scan for n, scan in scans.items() if n not in checks}
        own.update({n: pre.scan_sheet(n) for n in template_sheets(order) if n not in own and n not in checks})
    except CchcError:
        return None
    return found_structure(pre, own, {}, None, None).core_digest()


def file_digest(path) -> str:
    """The structure digest of a workbook file as it is now (what ``structure_digest`` would be).

    Its first half (names, validation, protection, sheets) is what a past-version workbook is
    checked against; the second half covers only the formulas here (no template to say which
    cells are labels)."""
    from ..definition.loader import load_definition
    from .safety import preflight

    checks = {s.name for s in load_definition().sheets if s.kind == "checks"}  # as the reader: not read
    pre = preflight(path)
    try:
        order = [n for n, _ in pre.parts().sheets]
        scans = pre.scan_sheets([n for n in template_sheets(order) if n not in checks])
    finally:
        pre.close()
    return found_structure(pre, scans, {}, None, None).digest()


def sheets_to_scan(order: list[str]) -> list[str]:
    """The sheets of a file whose structure is checked: all but the tool's own and the meta sheet."""
    return template_sheets(order)


__all__ = ["Structure", "Difference", "expected_structure", "template_digest", "check", "compare",
           "tool_sheets", "sheets_to_scan", "LISTS_SHEET"]
