"""Where everything of a definition sits in the workbook: a pure function of the definition.

The template builder writes to these positions and the readers read from them, so the two
can never disagree. Rows and columns are 1-based (Excel's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..cells import a1, quote_sheet
from ..definition.models import Column, FieldDef, ListDef, ReportDefinition, Section, TableDef
from ..memo import frozen_by_contract, per_object
from ..ui import ui
from .live_rules import check_ids

META_SHEET = "_meta"
LISTS_SHEET = "_lists"

# fields sheets: A number, B label, C unit, D value, E the amount in đồng (money rows), F help, G code
F_NUM, F_LABEL, F_UNIT, F_VALUE, F_ECHO, F_HELP, F_CODE = 1, 2, 3, 4, 5, 6, 7
FIELDS_HEADER_ROW = 4
FIELDS_FIRST_ROW = 5
# texts sheet (the written part of each section): A number, B section, C text, D characters, E code
T_NUM, T_TITLE, T_VALUE, T_COUNT, T_CODE = 1, 2, 3, 4, 5
# checks sheet (live checks): A number, B check, C left side, D right side, E gap, F result, G how to fix, H rule
K_NUM, K_NAME, K_LEFT, K_RIGHT, K_GAP, K_STATUS, K_HELP, K_CODE = 1, 2, 3, 4, 5, 6, 7, 8
CHECKS_HEADER_ROW = 4

# meta sheet: key in A, value in B
META_KEYS = (
    "template_id", "template_version", "definition_hash", "profile", "unit_code", "unit_name", "unit_level",
    "unit_parent_code", "code_list", "period_code", "period_from", "period_to", "tool_version", "generated_at",
    "validated_at", "validation_errors", "exported_at", "submission_counter", "kind", "report_digest",
    "marked_cells", "structure_digest", "suspect_fields", "carried_texts", "summary_layout",
)


@dataclass(frozen=True)
class FieldCell:
    code: str
    sheet: str
    row: int
    col: int = F_VALUE

    ref: str = field(init=False, repr=False, compare=False)  # A1, worked out when the cell is made
    address: str = field(init=False, repr=False, compare=False)  # Sheet!A1

    def __post_init__(self) -> None:
        object.__setattr__(self, "ref", a1(self.row, self.col))
        object.__setattr__(self, "address", f"{self.sheet}!{self.ref}")


@dataclass
class HeadingRow:
    sheet: str
    row: int
    number: str
    title: str
    level: int


@dataclass
class ListBlock:
    code: str
    sheet: str
    title_row: int
    header_row: int
    first_row: int
    capacity: int
    columns: dict[str, int]  # column code -> column index
    definition: ListDef

    @property
    def last_row(self) -> int:
        return self.first_row + self.capacity - 1

    @property
    def first_col(self) -> int:
        return min(self.columns.values())

    @property
    def last_col(self) -> int:
        return max(self.columns.values())

    def range_ref(self, absolute: bool = True) -> str:
        return f"{a1(self.first_row, self.first_col, absolute)}:{a1(self.last_row, self.last_col, absolute)}"


@dataclass
class TableBlock:
    code: str
    sheet: str
    definition: TableDef
    header_top: int
    header_depth: int
    number_row: int
    first_row: int
    n_rows: int
    stt_col: int | None
    label_col: int
    columns: dict[str, int]  # data column code -> column index
    row_codes: list[str]  # fixed tables: the code of each row; open tables: empty
    total_row: int | None
    title_rows: dict[str, int] = field(default_factory=dict)

    @property
    def last_row(self) -> int:
        return self.first_row + self.n_rows - 1

    @property
    def last_col(self) -> int:
        return max(self.columns.values())

    def range_ref(self, absolute: bool = True) -> str:
        return f"{a1(self.first_row, self.label_col, absolute)}:{a1(self.last_row, self.last_col, absolute)}"

    def column_offset(self, code: str) -> int:
        """1-based position of a column inside the named block (for INDEX)."""
        return self.columns[code] - self.label_col + 1

    def column_range(self, code: str, absolute: bool = True) -> str:
        col = self.columns[code]
        return f"{a1(self.first_row, col, absolute)}:{a1(self.last_row, col, absolute)}"


@frozen_by_contract  # built once per definition (compute_layout) and only read after
@dataclass
class Layout:
    definition: ReportDefinition
    sheet_names: list[str]
    fields: dict[str, FieldCell]
    ratios: dict[str, FieldCell]
    headings: list[HeadingRow]
    lists: dict[str, ListBlock]
    tables: dict[str, TableBlock]
    choice_ranges: dict[str, str]  # choice list code -> absolute range on the lists sheet
    meta_rows: dict[str, int]
    text_stamps: list[tuple[str, str, str]]  # (sheet, ref, template)
    checks: dict[str, FieldCell] = field(default_factory=dict)  # live rule id -> its gap cell (checks sheet)

    def extent(self, sheet: str) -> tuple[int, int]:
        """The rows and columns a reader must fetch from ``sheet`` to see every value."""
        rows, cols = 1, 1
        for pos in list(self.fields.values()) + list(self.ratios.values()):
            if pos.sheet == sheet:
                rows, cols = max(rows, pos.row), max(cols, pos.col)
        for block in self.lists.values():
            if block.sheet == sheet:
                rows, cols = max(rows, block.last_row), max(cols, block.last_col)
        for block in self.tables.values():
            if block.sheet == sheet:
                rows, cols = max(rows, block.total_row or block.last_row), max(cols, block.last_col)
        return rows, cols

    def cell_kind(self, sheet: str, ref: str) -> str:
        """input | computed | stamp | other: decides the fill a cleared mark goes back to."""
        kinds = self._kinds()
        return kinds.get((sheet, ref), "other")

    def _kinds(self) -> dict[tuple[str, str], str]:
        cached = getattr(self, "_kind_cache", None)
        if cached is not None:
            return cached
        kinds: dict[tuple[str, str], str] = {}
        fmap = self.definition.field_map()
        for code, pos in self.fields.items():
            f = fmap[code]
            kinds[(pos.sheet, pos.ref)] = "computed" if f.computed else ("stamp" if f.stamp else "input")
        for pos in self.ratios.values():
            kinds[(pos.sheet, pos.ref)] = "computed"
        for block in self.lists.values():
            for col in block.columns.values():
                for r in range(block.first_row, block.last_row + 1):
                    kinds[(block.sheet, a1(r, col))] = "input"
        for block in self.tables.values():
            table = block.definition
            for code, col in block.columns.items():
                computed = next(c for c in table.columns if c.code == code).computed
                for i in range(block.n_rows):
                    row_def = table.rows[i] if table.fixed else None
                    kind = "computed" if computed or (row_def is not None and not row_def.input) else "input"
                    kinds[(block.sheet, a1(block.first_row + i, col))] = kind
                if block.total_row:
                    kinds[(block.sheet, a1(block.total_row, col))] = "computed"
            if not table.fixed:
                for i in range(block.n_rows):
                    kinds[(block.sheet, a1(block.first_row + i, block.label_col))] = "input"
        self._kind_cache = kinds
        return kinds

    def sheet_of(self, code: str) -> str:
        return self.definition.sheet(code).name

    def field_ref_for_excel(self, code: str) -> str:
        return code  # every field is a workbook-level defined name equal to its code

    def column_range_for_excel(self, table: str, column: str) -> str:
        block = self.tables[table]
        return f"INDEX({table},0,{block.column_offset(column)})"

    def list_range_for_excel(self, list_code: str) -> str:
        return f"INDEX({list_code},0,1)"


def section_numbers(definition: ReportDefinition) -> dict[str, str]:
    """Display numbers: I, II… for top-level outline sections; 1., 2.… below; 6.1. deeper."""
    out: dict[str, str] = {}

    def visit(sections: list[Section], prefix: str, depth: int) -> None:
        for i, section in enumerate(sections, start=1):
            if section.number:
                number = section.number
            elif depth == 0:
                number = section.code if section.outline else ""
            else:
                number = f"{prefix}{i}."
            out[section.code] = number
            visit(section.children, "" if depth == 0 else number, depth + 1)

    visit(definition.sections, "", 0)
    return out


def _fields_sheet(definition: ReportDefinition, sheet_code: str, numbers: dict[str, str],
                  fields: dict[str, FieldCell], ratios: dict[str, FieldCell], headings: list[HeadingRow],
                  start_row: int) -> int:
    name = definition.sheet(sheet_code).name
    row = start_row
    by_section: dict[str, list[str]] = {}
    for ratio in definition.ratios:
        by_section.setdefault(ratio.section or "", []).append(ratio.code)

    def visit(section: Section, depth: int) -> None:
        nonlocal row
        if section.sheet != sheet_code:
            for child in section.children:
                visit(child, depth + 1)
            return
        here = [f for f in section.fields if (f.sheet or section.sheet) == sheet_code]
        if here or section.children:
            headings.append(HeadingRow(name, row, numbers.get(section.code, ""), section.title, depth))
            row += 1
        for f in here:
            fields[f.code] = FieldCell(f.code, name, row)
            row += 1
        for code in by_section.get(section.code, []):
            ratios[code] = FieldCell(code, name, row)
            row += 1
        for child in section.children:
            visit(child, depth + 1)

    for section in definition.sections:
        visit(section, 0)
    return row


def _texts_sheet(definition: ReportDefinition, sheet_code: str, numbers: dict[str, str], fields: dict[str, FieldCell],
                 headings: list[HeadingRow], start_row: int) -> int:
    """One row per section text (column C), under a heading row for each top-level part (I, II)."""
    name = definition.sheet(sheet_code).name
    row = start_row
    for top in definition.sections:
        texts = [(s, f) for s in top.walk() for f in s.fields if f.sheet == sheet_code]
        if not texts:
            continue
        headings.append(HeadingRow(name, row, numbers.get(top.code, ""), top.title, 0))
        row += 1
        for _section, f in texts:
            fields[f.code] = FieldCell(f.code, name, row, T_VALUE)
            row += 1
    return row


def _list_blocks(definition: ReportDefinition, sheet_code: str, start_row: int, blocks: dict[str, ListBlock]) -> int:
    name = definition.sheet(sheet_code).name
    row = start_row
    for lst in definition.lists:
        if lst.sheet != sheet_code:
            continue
        title_row = row
        header_row = row + (2 if lst.help else 1)
        columns = {c.code: 2 + i for i, c in enumerate(lst.columns)}
        blocks[lst.code] = ListBlock(lst.code, name, title_row, header_row, header_row + 1, lst.capacity, columns, lst)
        row = header_row + 1 + lst.capacity + 1
    return row


def header_depth(table: TableDef) -> int:
    return max((len(c.groups) for c in table.columns), default=0) + 1


def _table_block(definition: ReportDefinition, table: TableDef) -> TableBlock:
    name = definition.sheet(table.sheet).name
    title_rows = {"form_number": 1, "title": 2, "subtitle": 3, "unit": 4, "period": 5, "unit_label": 6}
    header_top = 7
    depth = header_depth(table)
    number_row = header_top + depth
    first_row = number_row + 1
    stt_col = None if table.fixed else 1
    label_col = 1 if table.fixed else 2
    columns = {c.code: label_col + 1 + i for i, c in enumerate(table.columns)}
    n_rows = len(table.rows) if table.fixed else table.open_rows
    total_row = first_row + n_rows if table.total_row else None
    return TableBlock(table.code, name, table, header_top, depth, number_row, first_row, n_rows, stt_col, label_col,
                      columns, [r.code for r in table.rows], total_row, title_rows)


def _build_layout(definition: ReportDefinition) -> Layout:
    numbers = section_numbers(definition)
    fields: dict[str, FieldCell] = {}
    ratios: dict[str, FieldCell] = {}
    headings: list[HeadingRow] = []
    lists: dict[str, ListBlock] = {}
    tables: dict[str, TableBlock] = {}
    text_stamps: list[tuple[str, str, str]] = []
    checks: dict[str, FieldCell] = {}
    for sheet in definition.sheets:
        if sheet.kind == "fields":
            end = _fields_sheet(definition, sheet.code, numbers, fields, ratios, headings, FIELDS_FIRST_ROW)
            _list_blocks(definition, sheet.code, end + 1, lists)
            text_stamps.append((sheet.name, "A2", ui("stamps.unit_line")))
        elif sheet.kind == "texts":
            _texts_sheet(definition, sheet.code, numbers, fields, headings, FIELDS_FIRST_ROW)
            text_stamps.append((sheet.name, "A2", ui("stamps.unit_line")))
        elif sheet.kind == "lists":
            _list_blocks(definition, sheet.code, FIELDS_HEADER_ROW, lists)
            text_stamps.append((sheet.name, "A2", ui("stamps.unit_line")))
        elif sheet.kind == "table":
            for table in definition.tables:
                if table.sheet == sheet.code:
                    block = _table_block(definition, table)
                    tables[table.code] = block
                    text_stamps.append((sheet.name, a1(block.title_rows["unit"], 1), ui("stamps.table_unit")))
                    text_stamps.append((sheet.name, a1(block.title_rows["period"], 1), ui("stamps.table_period")))
        elif sheet.kind == "instructions":
            text_stamps.append((sheet.name, "A2", ui("stamps.unit_line")))
        elif sheet.kind == "checks":
            for i, check in enumerate(check_ids(definition)):
                checks[check] = FieldCell(check, sheet.name, CHECKS_HEADER_ROW + 1 + i, K_GAP)
            text_stamps.append((sheet.name, "A2", ui("stamps.unit_line")))
    choice_ranges = {}
    for i, cl in enumerate(definition.choice_lists):
        col = i + 1
        choice_ranges[cl.code] = f"{quote_sheet(LISTS_SHEET)}!{a1(2, col, True)}:{a1(1 + len(cl.options), col, True)}"
    meta_rows = {key: i + 1 for i, key in enumerate(META_KEYS)}
    sheet_names = [s.name for s in definition.sheets] + [LISTS_SHEET, META_SHEET]
    return Layout(definition, sheet_names, fields, ratios, headings, lists, tables, choice_ranges, meta_rows,
                  text_stamps, checks)




def compute_layout(definition: ReportDefinition) -> Layout:
    return per_object(definition, "layout", lambda: _build_layout(definition))


def column_def(table: TableDef, code: str) -> Column:
    for c in table.columns:
        if c.code == code:
            return c
    raise KeyError(code)


def field_defs(layout: Layout) -> dict[str, FieldDef]:
    return layout.definition.field_map()
