"""Generate the locked template workbook of a report definition with openpyxl.

Every sheet is protected; only input cells are unlocked and each carries data validation
with a Vietnamese input message and error message. Computed cells hold formulas generated
from the definition's expressions. Every field is a workbook-level defined name equal to its
code; every list and table is one defined name over its data block.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import BUILTIN_FORMATS, NumberFormat
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__, vnnum
from ..cells import a1, quote_sheet
from ..definition import expr, money
from ..definition.models import Column, FieldDef, ReportDefinition
from ..ui import ui, ui_text
from . import live
from .layout import (
    CHECKS_HEADER_ROW,
    F_CODE,
    F_ECHO,
    F_HELP,
    F_LABEL,
    F_NUM,
    F_UNIT,
    F_VALUE,
    FIELDS_HEADER_ROW,
    K_CODE,
    K_GAP,
    K_HELP,
    K_LEFT,
    K_NAME,
    K_NUM,
    K_RIGHT,
    K_STATUS,
    LISTS_SHEET,
    META_SHEET,
    T_CODE,
    T_COUNT,
    T_NUM,
    T_TITLE,
    T_VALUE,
    Layout,
    TableBlock,
    compute_layout,
    section_numbers,
)
from .protection import PASSWORD, protect_sheet

FONT = "Times New Roman"
INPUT_FILL = PatternFill("solid", fgColor="FFFFF2CC")
COMPUTED_FILL = PatternFill("solid", fgColor="FFE7E6E6")
STAMP_FILL = PatternFill("solid", fgColor="FFDDEBF7")
HEADER_FILL = PatternFill("solid", fgColor="FFF2F2F2")
SECTION_FILL = PatternFill("solid", fgColor="FFD9E1F2")
THIN = Side(style="thin", color="FF000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
DATE_FORMAT = "dd/mm/yyyy"
TEXT_LIMIT = 255
LONG_TEXT_LIMIT = 2000
DEFAULT_MAX = Decimal(999_999_999)
# Vietnamese locale tag: LibreOffice then shows 1.845.655.000 and 54,02 whatever its own locale;
# Excel keeps taking the separators from Windows (diagnostics checks they are Vietnamese).
VI = "[$-42A]"
WHOLE_FORMAT = VI + "#,##0"
# money at full precision: up to nine decimals (a tỷ đồng amount down to the đồng); whole amounts
# get WHOLE_FORMAT through a conditional format, so Excel never shows a trailing decimal mark
MONEY_FORMAT = VI + "#,##0.#########"
_DXF_WHOLE = DifferentialStyle(numFmt=NumberFormat(numFmtId=200, formatCode=WHOLE_FORMAT))
INSTRUCTIONS_WIDTH = 80


def number_format(ftype: str, decimals: int | None) -> str:
    if ftype == "integer":
        return WHOLE_FORMAT
    if ftype == "percent":
        return VI + "0.00%"
    if ftype == "money":
        return MONEY_FORMAT
    if ftype == "decimal":
        d = 2 if decimals is None else decimals
        return WHOLE_FORMAT + ("." + "0" * d if d else "")
    if ftype == "date":
        return DATE_FORMAT
    return "@"


# A live example beside every date input: built-in format 14 is the PC's short date, so the cell shows
# 16/06/2026 where dates are typed day first and 6/16/2026 where they are typed month first.
DATE_EXAMPLE = "=DATE(2026,6,16)"
DATE_EXAMPLE_FORMAT = BUILTIN_FORMATS[14]
MARK_FRAME = Side(style="thick", color="FF000000")


def _date_example(cell) -> None:
    cell.value = DATE_EXAMPLE
    cell.number_format = DATE_EXAMPLE_FORMAT
    cell.font = _font(11, italic=True, color="FF595959")
    cell.alignment = Alignment(horizontal="center", vertical="center")
    cell.border = BORDER
    cell.fill = COMPUTED_FILL
    cell.protection = Protection(locked=True)


TEXT_WIDTHS = {T_NUM: 7, T_TITLE: 30, T_VALUE: 100, T_COUNT: 22, T_CODE: 18}
MAX_ROW_HEIGHT = 409.5  # Excel's limit, in points


def _points(width_chars: float) -> float:
    """A column width (characters of the default font) in points, less the cell's padding."""
    return (width_chars * 7 + 5) * 0.75 - 6


def text_row_height(title: str | None, text: str | None) -> float:
    """A height fitting a section's title (column B, bold) and its text (column C): at least two
    lines, so the empty cell reads as a box to write in. Times New Roman metrics (the same the
    report sheet uses)."""
    from ..metrics import wrap_lines

    lines = max(2, wrap_lines(title or "", _points(TEXT_WIDTHS[T_TITLE]), 12, bold=True),
                wrap_lines(text or "", _points(TEXT_WIDTHS[T_VALUE]), 12))
    return min(MAX_ROW_HEIGHT, round(lines * 15.0 + 4, 1))


def text_rows(layout: Layout) -> dict[str, set[int]]:
    """The rows of the section texts, by sheet: their heights follow the text (never fixed)."""
    kinds = {s.name: s.kind for s in layout.definition.sheets}
    out: dict[str, set[int]] = {}
    for pos in layout.fields.values():
        if kinds.get(pos.sheet) == "texts":
            out.setdefault(pos.sheet, set()).add(pos.row)
    return out


def fit_text_rows(book, layout: Layout, codes: list[str] | None = None) -> None:
    """Set the height of section-text rows (openpyxl book) to fit what they now hold."""
    fmap = layout.definition.field_map()
    sections = {s.code: s for s in layout.definition.walk_sections()}
    kinds = {s.name: s.kind for s in layout.definition.sheets}
    for code, pos in layout.fields.items():
        if kinds.get(pos.sheet) != "texts" or (codes is not None and code not in codes):
            continue
        section = sections.get(fmap[code].section or "")
        value = book[pos.sheet][pos.ref].value
        book[pos.sheet].row_dimensions[pos.row].height = text_row_height(
            section.title if section else None, value if isinstance(value, str) else None)


def text_limit(item: FieldDef | Column) -> int:
    """How many characters a text cell takes (a section text: Excel's own 32,767)."""
    if item.max_length:
        return item.max_length
    return LONG_TEXT_LIMIT if item.type == "long_text" else TEXT_LIMIT


def _font(size: int = 12, bold: bool = False, italic: bool = False, color: str = "FF000000") -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic, color=color)


def _fit_height(texts: list[tuple[str, float]], size: int = 12) -> float | None:
    """Row height that fits wrapped text: (text, column width) pairs."""
    lines = 1
    for text, width in texts:
        if not text:
            continue
        per_line = max(8.0, width * 1.15 * 12 / size)
        n = sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))
        lines = max(lines, n)
    return None if lines == 1 else round(lines * size * 1.3 + 3, 1)


# --------------------------------------------------------------------------- validation
def _bounds_text(lo: Decimal | None, hi: Decimal | None, unit: str | None, pct: bool = False) -> str:
    def fmt(v: Decimal) -> str:
        return vnnum.number(v) + ("%" if pct else "")
    unit_txt = f" {unit}" if unit and not pct else ""
    if lo is not None and hi is not None:
        return ui_text("template.bounds.between", lo=fmt(lo), hi=fmt(hi), unit=unit_txt)
    if lo is not None:
        return ui_text("template.bounds.at_least", lo=fmt(lo), unit=unit_txt)
    if hi is not None:
        return ui_text("template.bounds.at_most", hi=fmt(hi), unit=unit_txt)
    return ""


def validation_for(item: FieldDef | Column, choice_names: dict[str, str],
                   definition: ReportDefinition | None = None, legend: str = "") -> DataValidation:
    """One data-validation rule with Vietnamese prompt and error, within Excel's length limits.

    A money cell is typed in the workbook's own unit (``don_vi_tien``): its upper bound is the
    field's bound in đồng divided by the đồng of the chosen unit, worked out live by Excel.
    ``legend``: what the cell's live colours mean (``live.legend``); it is kept whole, the help
    text gives way when the prompt would pass Excel's 255 characters."""
    t = item.type
    title = item.label[:32]
    help_text = item.help or ""
    lo, hi = item.min, item.max
    if t == "money" and definition is not None and money.is_money(definition, item):
        hi = hi if hi is not None else DEFAULT_MAX
        top = format((hi * money.contract_dong(definition, item)).normalize(), "f")
        dv = DataValidation(type="decimal", operator="between", formula1=str(lo if lo is not None else 0),
                            formula2=f"{top}/{money.excel_dong_per_unit(definition)}")
        rule = ui_text("template.rules.money", bounds=_bounds_text(lo, hi, item.unit))
    elif t == "integer":
        hi = hi if hi is not None else DEFAULT_MAX
        dv = DataValidation(type="whole", operator="between", formula1=str(lo if lo is not None else -DEFAULT_MAX),
                            formula2=str(hi))
        rule = ui_text("template.rules.integer", bounds=_bounds_text(lo, hi, item.unit))
    elif t in ("decimal", "money"):
        hi = hi if hi is not None else DEFAULT_MAX
        dv = DataValidation(type="decimal", operator="between", formula1=str(lo if lo is not None else -DEFAULT_MAX),
                            formula2=str(hi))
        rule = ui_text("template.rules.decimal", bounds=_bounds_text(lo, hi, item.unit))
    elif t == "percent":
        lo = lo if lo is not None else Decimal(0)
        hi = hi if hi is not None else Decimal(100)
        dv = DataValidation(type="decimal", operator="between", formula1=str(lo / 100), formula2=str(hi / 100))
        rule = ui_text("template.rules.percent", bounds=_bounds_text(lo, hi, None, pct=True))
    elif t == "date":  # a date validation, never a text pattern: the PC's date order decides how a date is typed
        dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)")
        rule = ui("template.date_rule")
    elif t == "choice":
        dv = DataValidation(type="list", formula1=choice_names[item.choices])
        rule = ui("template.rules.choice")
    else:
        limit = text_limit(item)
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(limit))
        rule = ui_text("template.rules.text", limit=vnnum.number(limit))
    dv.allow_blank = True
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.promptTitle = title
    dv.prompt = _prompt(help_text, rule, legend)
    dv.errorTitle = ui("template.error_title")
    dv.error = f"{item.label}: {rule}"[:220]
    dv.errorStyle = "stop"
    return dv


PROMPT_LIMIT = 250  # Excel refuses input messages longer than 255 characters


def _prompt(help_text: str, rule: str, legend: str) -> str:
    tail = " ".join(t for t in (rule, legend) if t)
    room = PROMPT_LIMIT - len(tail) - 1
    if help_text and room > 10:
        help_text = help_text if len(help_text) <= room else help_text[:room - 1].rstrip() + "…"
        return f"{help_text} {tail}"[:PROMPT_LIMIT]
    return tail[:PROMPT_LIMIT]


class _Validations:
    """Collects cells per identical rule so the file carries one rule per kind of input."""

    def __init__(self, choice_names: dict[str, str], definition: ReportDefinition | None = None) -> None:
        self.choice_names = choice_names
        self.definition = definition
        self.by_sheet: dict[str, dict[tuple, DataValidation]] = {}

    def add(self, ws: Worksheet, item: FieldDef | Column, ref: str, legend: str = "") -> None:
        key = (item.type, item.label, item.help, item.min, item.max, item.unit, item.choices, item.max_length, legend)
        rules = self.by_sheet.setdefault(ws.title, {})
        dv = rules.get(key)
        if dv is None:
            dv = validation_for(item, self.choice_names, self.definition, legend)
            rules[key] = dv
            ws.add_data_validation(dv)
        dv.add(ref)


def _field_legend(layout: Layout, code: str) -> str:
    kinds = live.plan(layout).legend_fields.get(code)
    return live.legend(kinds, layout) if kinds else ""


def _column_legend(layout: Layout, table: str, column: str) -> str:
    kinds = live.plan(layout).legend_columns.get((table, column))
    return live.legend(kinds, layout) if kinds else ""


# --------------------------------------------------------------------------- sheets
def _protect(ws: Worksheet) -> None:
    protect_sheet(ws)  # clerks may widen columns and rows; the add-in re-protects the same way


def _page_setup(ws: Worksheet, landscape: bool, title_rows: str | None = None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    # NĐ 30/2020: top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm (inches here)
    ws.page_margins.left = 1.18
    ws.page_margins.right = 0.69
    ws.page_margins.top = 0.79
    ws.page_margins.bottom = 0.79
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows


def _title(ws: Worksheet, row: int, text: str, last_col: int, size: int = 14, bold: bool = True,
           italic: bool = False, align: str = "center") -> None:
    cell = ws.cell(row=row, column=1, value=text)
    cell.font = _font(size, bold=bold, italic=italic)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
    if last_col > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)


def _value_cell_style(cell, item: FieldDef | Column, *, editable: bool, computed: bool, stamped: bool = False) -> None:
    own = getattr(item, "number_format", None)
    cell.number_format = (VI + own) if own else number_format(item.type, item.decimals)
    cell.font = _font(12)
    cell.border = BORDER
    wrap = item.type in ("text", "long_text", "choice")
    horizontal = "left" if wrap else ("center" if item.type == "date" else "right")
    cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=wrap)
    if computed:
        cell.fill = COMPUTED_FILL
    elif stamped:
        cell.fill = STAMP_FILL
    elif editable:
        cell.fill = INPUT_FILL
    cell.protection = Protection(locked=not editable)


def _header_cell(ws: Worksheet, row: int, col: int, text: str, italic: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.font = _font(11, bold=not italic, italic=italic)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    cell.border = BORDER
    cell.fill = HEADER_FILL


def _excel_formula(node: expr.Node, layout: Layout, field_ref=None) -> str:
    args = dict(column_range=layout.column_range_for_excel, list_range=layout.list_range_for_excel)
    if field_ref is not None:
        args["field_ref"] = field_ref
    body = expr.to_excel(node, **args)
    inputs = expr.excel_inputs(node, **args)
    counted = [i for i in inputs if not i.startswith("INDEX(") or ",0,1)" not in i]
    if counted and not expr.list_refs(node):
        return f'=IF(COUNT({",".join(counted)})=0,"",{body})'
    return f"={body}"


def _instructions_sheet(ws: Worksheet, definition: ReportDefinition, layout: Layout, title: str | None) -> None:
    # one column as wide as an A4 portrait page between the NĐ 30 margins: LibreOffice does not shrink
    # this sheet to the page width (a wider column was cut off on both sides when printed)
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    _title(ws, 1, title or definition.title.upper(), 1)
    ws.cell(row=2, column=1).font = _font(12, italic=True)
    row = 4
    for i, text in enumerate(definition.instructions, start=1):
        cell = ws.cell(row=row, column=1, value=f"{i}. {text}")
        cell.font = _font(12)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = _fit_height([(cell.value, INSTRUCTIONS_WIDTH)])
        row += 1
    row += 1
    marks = ui("marks")
    legend = [
        (INPUT_FILL, ui("template.legend.input"), BORDER),
        (COMPUTED_FILL, ui("template.legend.computed"), BORDER),
        (STAMP_FILL, ui("template.legend.stamp"), BORDER),
        *((PatternFill("solid", fgColor="FF" + marks[key]), ui(f"template.legend_marks.{key}"),
           Border(left=MARK_FRAME, right=MARK_FRAME, top=MARK_FRAME, bottom=MARK_FRAME))
          for key in ("error", "warning")),
        (None, ui("template.legend_date"), BORDER),
    ]
    checks_sheet = next((sh.name for sh in definition.sheets if sh.kind == "checks"), None)
    if checks_sheet:
        legend += [(live.RED_FILL, ui("live.legend_red").format(sheet=checks_sheet), BORDER),
                   (live.ORANGE_FILL, ui("live.legend_orange"), BORDER)]
    for fill, text, border in legend:
        cell = ws.cell(row=row, column=1, value=text)
        if fill is not None:
            cell.fill = fill
        cell.font = _font(12)
        cell.border = border
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.row_dimensions[row].height = _fit_height([(text, INSTRUCTIONS_WIDTH)])
        row += 1
    row += 1
    ws.cell(row=row, column=1, value=ui("template.sheets_title")).font = _font(12, bold=True)
    row += 1
    for sheet in definition.sheets:
        if sheet.kind == "instructions":
            continue
        ws.cell(row=row, column=1, value=f"• {sheet.name}: {sheet.title or ''}".rstrip(": ")).font = _font(12)
        row += 1
    manual = live.manual_rules(definition)
    if checks_sheet:
        row += 1
        ws.cell(row=row, column=1, value=ui("live.manual_title")).font = _font(12, bold=True)
        row += 1
        for text in [r.name for r in manual] + [ui("live.manual_always")]:
            cell = ws.cell(row=row, column=1, value=f"• {text}")
            cell.font = _font(12)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = _fit_height([(cell.value, INSTRUCTIONS_WIDTH)])
            row += 1
    name = definition.profile_name
    profile = ui_text("template.footer_profile", profile_name=name) if name else ""
    ws.cell(row=row + 1, column=1,
            value=ui_text("template.footer", id=definition.id, version=definition.version, profile=profile,
                          tool=__version__)
            ).font = _font(10, italic=True, color="FF595959")
    _page_setup(ws, landscape=False)


def required_note(definition: ReportDefinition, item: FieldDef | Column) -> str:
    """"Bắt buộc đối với cấp huyện, cấp tỉnh." for an item required at some levels only ("" otherwise)."""
    levels = [lv for lv in definition.levels() if lv in item.required_levels]
    if item.required or not levels:
        return ""
    names: list[str] = []
    left = list(levels)
    for group in definition.level_groups:
        if set(group.levels) <= set(left):
            names.append(group.label)
            left = [lv for lv in left if lv not in group.levels]
    if left:
        labels = definition.level_labels()
        names += [labels.get(lv, lv) for lv in left]
    return str(ui("required_levels")).format(levels="; ".join(names))


def _fields_sheet(ws: Worksheet, sheet_code: str, layout: Layout, validations: _Validations) -> None:
    definition = layout.definition
    fmap = definition.field_map()
    widths = {F_NUM: 7, F_LABEL: 58, F_UNIT: 13, F_VALUE: 22, F_ECHO: 24, F_HELP: 50, F_CODE: 30}
    for col, width in widths.items():
        ws.column_dimensions[a1(1, col)[:-1]].width = width
    sheet = definition.sheet(sheet_code)
    _title(ws, 1, sheet.title or sheet.name.upper(), F_CODE)
    _title(ws, 2, "", F_CODE, size=12, bold=False, italic=True)
    headers = ui("fields_columns")
    for col, text in zip(range(F_NUM, F_CODE + 1), headers, strict=True):
        _header_cell(ws, FIELDS_HEADER_ROW, col, text)
    for heading in layout.headings:
        if heading.sheet != ws.title:
            continue
        label = heading.title if heading.level == 0 else heading.title
        ws.cell(row=heading.row, column=F_NUM, value=heading.number)
        ws.cell(row=heading.row, column=F_LABEL, value=label)
        for col in range(F_NUM, F_CODE + 1):
            cell = ws.cell(row=heading.row, column=col)
            cell.font = _font(12, bold=True)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            if heading.level == 0:
                cell.fill = SECTION_FILL
        ws.merge_cells(start_row=heading.row, start_column=F_LABEL, end_row=heading.row, end_column=F_CODE)
        ws.row_dimensions[heading.row].height = _fit_height([(label, 150)])
    money_unit = _money_unit_formula(definition)
    for code, cell_pos in layout.fields.items():
        if cell_pos.sheet != ws.title:
            continue
        f = fmap[code]
        row = cell_pos.row
        ws.cell(row=row, column=F_NUM).border = BORDER
        label_cell = ws.cell(row=row, column=F_LABEL, value=f.label + (" (*)" if f.required and f.is_input else ""))
        label_cell.font = _font(12)
        label_cell.alignment = Alignment(wrap_text=True, vertical="center", indent=1)
        label_cell.border = BORDER
        is_money = money_unit is not None and money.is_money(definition, f)
        unit_cell = ws.cell(row=row, column=F_UNIT,
                            value=f.unit if f.unit and f.unit != "%" else ("%" if f.unit else None))
        if is_money:
            unit_cell.value = money_unit  # the unit the clerk chose for this workbook, live
        unit_cell.font = _font(11)
        unit_cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        unit_cell.border = BORDER
        if f.type == "date" and f.is_input:
            _date_example(unit_cell)
        echo = ws.cell(row=row, column=F_ECHO)
        echo.border = BORDER
        help_text = " ".join(x for x in (f.help, required_note(definition, f)) if x) or None
        help_cell = ws.cell(row=row, column=F_HELP, value=help_text)
        help_cell.font = _font(10, italic=True, color="FF404040")
        help_cell.alignment = Alignment(wrap_text=True, vertical="center")
        help_cell.border = BORDER
        code_cell = ws.cell(row=row, column=F_CODE, value=code)
        code_cell.font = Font(name="Consolas", size=9, color="FF808080")
        code_cell.border = BORDER
        code_cell.alignment = Alignment(vertical="center")
        value = ws.cell(row=row, column=F_VALUE)
        if f.computed:
            value.value = _excel_formula(f.parsed, layout)
            _value_cell_style(value, f, editable=False, computed=True)
        elif f.stamp:
            _value_cell_style(value, f, editable=False, computed=False, stamped=True)
        else:
            _value_cell_style(value, f, editable=True, computed=False)
            validations.add(ws, f, value.coordinate, _field_legend(layout, code))
        if is_money:
            # the amount as typed, told back in đồng (1,845655 tỷ đồng → 1.845.655.000 đồng)
            echo.value = (f"=IF(ISNUMBER({value.coordinate}),{value.coordinate}*"
                          f"{money.excel_dong_per_unit(definition)},\"\")")
            echo.number_format = _echo_format(definition)
            echo.font = _font(11, color="FF404040")
            echo.alignment = Alignment(horizontal="right", vertical="center")
            echo.fill = COMPUTED_FILL
            ws.conditional_formatting.add(value.coordinate, Rule(
                type="expression", dxf=_DXF_WHOLE, formula=[f"MOD({value.coordinate},1)=0"]))
        height = _fit_height([(label_cell.value, widths[F_LABEL]), (help_text or "", widths[F_HELP] * 1.2)])
        if f.type == "long_text":
            height = max(height or 0, 48)
        ws.row_dimensions[row].height = height
    ratios = definition.ratio_map()
    for code, cell_pos in layout.ratios.items():
        if cell_pos.sheet != ws.title:
            continue
        _ratio_row(ws, cell_pos.row, ratios[code], layout, widths)
    ws.freeze_panes = ws.cell(row=FIELDS_HEADER_ROW + 1, column=1)
    _page_setup(ws, landscape=definition.sheet(sheet_code).landscape,
                title_rows=f"{FIELDS_HEADER_ROW}:{FIELDS_HEADER_ROW}")
    ws.print_area = f"A1:{a1(ws.max_row, F_HELP)}"


def _money_unit_formula(definition: ReportDefinition) -> str | None:
    """The live unit cell of a money row: the chosen unit, or the ``missing`` one when left empty."""
    if definition.money is None or definition.money.field not in definition.field_map():
        return None
    field = definition.field_map()[definition.money.field]
    missing = next(o.label for o in definition.choice_list(field.choices or "").options
                   if o.code == definition.money.missing)
    name = definition.money.field
    return f'=IF({name}="","{missing}",{name})'


def _echo_format(definition: ReportDefinition) -> str:
    field = definition.field_map()[definition.money.field]  # type: ignore[union-attr]
    dong = next((o.label for o in definition.choice_list(field.choices or "").options if o.dong == 1), "")
    return f'{WHOLE_FORMAT}" {dong}"'


def _texts_sheet(ws: Worksheet, sheet_code: str, layout: Layout, validations: _Validations) -> None:
    """The written part of each section: a wide wrapped cell per section, rows that grow with the
    text (no fixed height), the characters typed counted beside it."""
    definition = layout.definition
    fmap = definition.field_map()
    numbers = section_numbers(definition)
    sections = {s.code: s for s in definition.walk_sections()}
    widths = TEXT_WIDTHS
    for col, width in widths.items():
        ws.column_dimensions[a1(1, col)[:-1]].width = width
    sheet = definition.sheet(sheet_code)
    _title(ws, 1, sheet.title or sheet.name.upper(), T_CODE)
    _title(ws, 2, "", T_CODE, size=12, bold=False, italic=True)
    cfg = definition.section_texts
    note = ws.cell(row=3, column=1, value=cfg.help if cfg is not None else None)
    note.font = _font(10, italic=True, color="FF404040")
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=T_CODE)
    ws.row_dimensions[3].height = _fit_height([(note.value or "", sum(widths.values()))], 10)
    for col, text in zip(range(T_NUM, T_CODE + 1), ui("texts_columns"), strict=True):
        _header_cell(ws, FIELDS_HEADER_ROW, col, text)
    for heading in layout.headings:
        if heading.sheet != ws.title:
            continue
        ws.cell(row=heading.row, column=T_NUM, value=heading.number)
        ws.cell(row=heading.row, column=T_TITLE, value=heading.title)
        for col in range(T_NUM, T_CODE + 1):
            cell = ws.cell(row=heading.row, column=col)
            cell.font = _font(12, bold=True)
            cell.border = BORDER
            cell.fill = SECTION_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.merge_cells(start_row=heading.row, start_column=T_TITLE, end_row=heading.row, end_column=T_CODE)
    count_format = str(ui("texts_count_format"))
    for code, pos in layout.fields.items():
        if pos.sheet != ws.title:
            continue
        f = fmap[code]
        section = sections.get(f.section or "")
        row = pos.row
        number = ws.cell(row=row, column=T_NUM, value=numbers.get(f.section or "", ""))
        number.font = _font(12)
        number.alignment = Alignment(horizontal="center", vertical="top")
        number.border = BORDER
        title = ws.cell(row=row, column=T_TITLE, value=section.title if section else f.label)
        title.font = _font(12, bold=True)
        title.alignment = Alignment(wrap_text=True, vertical="top")
        title.border = BORDER
        value = ws.cell(row=row, column=T_VALUE)
        value.number_format = "@"
        value.font = _font(12)
        value.border = BORDER
        value.alignment = Alignment(wrap_text=True, vertical="top")
        value.fill = INPUT_FILL
        value.protection = Protection(locked=False)
        validations.add(ws, f, value.coordinate)
        count = ws.cell(row=row, column=T_COUNT, value=f"=LEN({value.coordinate})")
        count.number_format = VI + count_format.format(limit=vnnum.number(text_limit(f)))
        count.font = _font(10, italic=True, color="FF404040")
        count.alignment = Alignment(horizontal="right", vertical="top")
        count.border = BORDER
        count.fill = COMPUTED_FILL
        code_cell = ws.cell(row=row, column=T_CODE, value=code)
        code_cell.font = Font(name="Consolas", size=9, color="FF808080")
        code_cell.border = BORDER
        code_cell.alignment = Alignment(vertical="top")
        ws.row_dimensions[row].height = text_row_height(title.value, None)  # a start: the row grows as typed
    ws.freeze_panes = ws.cell(row=FIELDS_HEADER_ROW + 1, column=1)
    _page_setup(ws, landscape=True, title_rows=f"{FIELDS_HEADER_ROW}:{FIELDS_HEADER_ROW}")


def ratio_formula(ratio, layout: Layout) -> str:
    """The live Excel formula of a ratio cell: a fraction shown as 0.00%, "chưa có số liệu" when a
    part is empty, or "không phát sinh" when the denominator is 0."""

    args = dict(column_range=layout.column_range_for_excel, list_range=layout.list_range_for_excel)
    num_node, den_node = expr.parse(ratio.numerator), expr.parse(ratio.denominator)
    num = expr.to_excel(num_node, **args)
    den = expr.to_excel(den_node, **args)
    body = f'IF(N({den})=0,"{NO_DATA}",ROUND(({num})/({den}),4))'
    empty = [c for c in (expr.excel_incomplete(num_node, **args), expr.excel_incomplete(den_node, **args)) if c]
    if empty:
        condition = empty[0] if len(empty) == 1 else f"OR({','.join(empty)})"
        return f'=IF({condition},"{ui("ratio_missing")}",{body})'
    return f"={body}"


NO_DATA = ui("ratio_none")


def _ratio_row(ws: Worksheet, row: int, ratio, layout: Layout, widths: dict[int, float]) -> None:
    fmap = layout.definition.field_map()

    def describe(node: expr.Node) -> str:
        if isinstance(node, expr.Ref):
            return fmap[node.code].label
        if isinstance(node, expr.Bin) and node.op == "+":
            return f"{describe(node.left)} + {describe(node.right)}"
        if isinstance(node, expr.Call) and node.func == "max":  # alternatives: one number, or its parts
            return ui("ratio_alternatives").join(describe(a) for a in node.args)
        return expr.to_excel(node, column_range=layout.column_range_for_excel, list_range=layout.list_range_for_excel)

    ws.cell(row=row, column=F_NUM).border = BORDER
    ws.cell(row=row, column=F_ECHO).border = BORDER
    label = ws.cell(row=row, column=F_LABEL, value=ui_text("template.ratio_label", label=ratio.label))
    label.font = _font(12, italic=True)
    label.alignment = Alignment(wrap_text=True, vertical="center", indent=1)
    label.border = BORDER
    unit = ws.cell(row=row, column=F_UNIT, value="%")
    unit.font = _font(11)
    unit.alignment = Alignment(horizontal="center", vertical="center")
    unit.border = BORDER
    value = ws.cell(row=row, column=F_VALUE, value=ratio_formula(ratio, layout))
    value.number_format = VI + "0.00%"
    value.font = _font(12, bold=True)
    value.alignment = Alignment(horizontal="right", vertical="center")
    value.border = BORDER
    value.fill = COMPUTED_FILL
    value.protection = Protection(locked=True)
    parts = describe(expr.parse(ratio.numerator)), describe(expr.parse(ratio.denominator))
    help_text = ui_text("template.ratio_help", numerator=parts[0], denominator=parts[1])
    help_cell = ws.cell(row=row, column=F_HELP, value=help_text)
    help_cell.font = _font(10, italic=True, color="FF404040")
    help_cell.alignment = Alignment(wrap_text=True, vertical="center")
    help_cell.border = BORDER
    code_cell = ws.cell(row=row, column=F_CODE, value=ratio.code)
    code_cell.font = Font(name="Consolas", size=9, color="FF808080")
    code_cell.border = BORDER
    ws.row_dimensions[row].height = _fit_height([(label.value, widths[F_LABEL]), (help_text, widths[F_HELP] * 1.2)])


def _list_blocks(ws: Worksheet, layout: Layout, validations: _Validations, set_widths: bool) -> None:
    widths: dict[int, float] = {1: 7}
    for block in layout.lists.values():
        if block.sheet != ws.title:
            continue
        lst = block.definition
        last_col = block.last_col
        title = ws.cell(row=block.title_row, column=1, value=lst.label.upper())
        title.font = _font(12, bold=True)
        if lst.help:
            h = ws.cell(row=block.title_row + 1, column=1, value=lst.help)
            h.font = _font(10, italic=True, color="FF404040")
            h.alignment = Alignment(wrap_text=True)
            ws.merge_cells(start_row=block.title_row + 1, start_column=1, end_row=block.title_row + 1,
                           end_column=max(last_col, 2))
            ws.row_dimensions[block.title_row + 1].height = _fit_height([(lst.help, 90)], 10)
        _header_cell(ws, block.header_row, 1, "STT")
        for col_def in lst.columns:
            col = block.columns[col_def.code]
            _header_cell(ws, block.header_row, col, col_def.label + (" (*)" if col_def.required else ""))
            widths[col] = max(widths.get(col, 0), col_def.width or 18)
        for i in range(block.capacity):
            row = block.first_row + i
            stt = ws.cell(row=row, column=1, value=i + 1)
            stt.font = _font(11)
            stt.alignment = Alignment(horizontal="center", vertical="center")
            stt.border = BORDER
            stt.fill = COMPUTED_FILL
            for col_def in lst.columns:
                cell = ws.cell(row=row, column=block.columns[col_def.code])
                _value_cell_style(cell, col_def, editable=True, computed=False)
            if any(c.type == "long_text" for c in lst.columns):
                ws.row_dimensions[row].height = 32
        for col_def in lst.columns:
            col = block.columns[col_def.code]
            validations.add(ws, col_def, f"{a1(block.first_row, col)}:{a1(block.last_row, col)}")
        if any(c.type == "date" for c in lst.columns):  # the date example beside the block, under its caption
            _header_cell(ws, block.header_row, last_col + 1, ui("template.date_example_caption"))
            _date_example(ws.cell(row=block.first_row, column=last_col + 1))
            widths[last_col + 1] = max(widths.get(last_col + 1, 0), 13)
    if set_widths:
        for col, width in widths.items():
            ws.column_dimensions[a1(1, col)[:-1]].width = width


def _lists_sheet(ws: Worksheet, sheet_code: str, layout: Layout, validations: _Validations) -> None:
    sheet = layout.definition.sheet(sheet_code)
    blocks = [b for b in layout.lists.values() if b.sheet == ws.title]
    last_col = max((b.last_col for b in blocks), default=2)
    _title(ws, 1, sheet.title or sheet.name.upper(), last_col)
    _title(ws, 2, "", last_col, size=12, bold=False, italic=True)
    _list_blocks(ws, layout, validations, set_widths=True)
    _page_setup(ws, landscape=sheet.landscape)
    ws.freeze_panes = "A3"


def _table_sheet(ws: Worksheet, table_code: str, layout: Layout, validations: _Validations) -> None:
    block = layout.tables[table_code]
    table = block.definition
    last_col = block.last_col
    _table_titles(ws, block)
    _table_header(ws, block)
    top, depth = block.header_top, block.header_depth
    columns = table.columns
    # widths
    if block.stt_col:
        ws.column_dimensions["A"].width = 6
    ws.column_dimensions[a1(1, block.label_col)[:-1]].width = table.label_column.width or 34
    for col_def in columns:
        ws.column_dimensions[a1(1, block.columns[col_def.code])[:-1]].width = col_def.width or 11
    for r in range(top, top + depth):
        ws.row_dimensions[r].height = 48 if r == top + depth - 1 else 32
    _table_rows(ws, block, layout)
    _table_validations(ws, block, layout, validations)
    if block.total_row:
        _table_total(ws, block)
    end = (block.total_row or block.last_row) + 2
    if table.note:
        _title(ws, end, table.note, last_col, size=10, bold=False, italic=True, align="left")
        ws.row_dimensions[end].height = _fit_height([(table.note, sum(
            (ws.column_dimensions[a1(1, c)[:-1]].width or 10) for c in range(1, last_col + 1)))], 10)
    ws.freeze_panes = ws.cell(row=block.first_row, column=block.label_col + 1)
    _page_setup(ws, landscape=layout.definition.sheet(table.sheet).landscape,
                title_rows=f"{top}:{block.number_row}")


def _table_titles(ws: Worksheet, block: TableBlock) -> None:
    table, last_col, rows = block.definition, block.last_col, block.title_rows
    ws.cell(row=rows["form_number"], column=1, value=table.form_number).font = _font(12, bold=True)
    _title(ws, rows["title"], table.title, last_col, size=13)
    if table.subtitle:
        _title(ws, rows["subtitle"], table.subtitle, last_col, size=12, bold=False, italic=True)
    _title(ws, rows["unit"], "", last_col, size=12, bold=False, align="left")
    _title(ws, rows["period"], "", last_col, size=12, bold=False, align="left")
    if table.unit_label:
        _title(ws, rows["unit_label"], table.unit_label, last_col, size=11, bold=False, italic=True, align="right")


def _table_header(ws: Worksheet, block: TableBlock) -> None:
    """Multi-row header: groups merge horizontally; a leaf spans down to the bottom header row."""
    table, last_col = block.definition, block.last_col
    # multi-row header: groups merge horizontally; a leaf spans down to the bottom header row
    depth = block.header_depth
    top = block.header_top
    leading = []
    if block.stt_col:
        leading.append((block.stt_col, "STT"))
    leading.append((block.label_col, table.label_column.label))
    for col, text in leading:
        _header_cell(ws, top, col, text)
        for r in range(top + 1, top + depth):
            _header_cell(ws, r, col, None)
        ws.merge_cells(start_row=top, start_column=col, end_row=top + depth - 1, end_column=col)
    columns = table.columns
    for level in range(depth):
        i = 0
        while i < len(columns):
            col_def = columns[i]
            col = block.columns[col_def.code]
            if level < len(col_def.groups):
                text = col_def.groups[level]
                j = i
                while (j + 1 < len(columns) and len(columns[j + 1].groups) > level
                       and columns[j + 1].groups[: level + 1] == col_def.groups[: level + 1]):
                    j += 1
                end_col = block.columns[columns[j].code]
                for c in range(col, end_col + 1):
                    _header_cell(ws, top + level, c, text if c == col else None)
                if end_col > col:
                    ws.merge_cells(start_row=top + level, start_column=col, end_row=top + level, end_column=end_col)
                i = j + 1
            elif level == len(col_def.groups):
                _header_cell(ws, top + level, col, col_def.label)
                for r in range(top + level + 1, top + depth):
                    _header_cell(ws, r, col, None)
                if depth - 1 > level:
                    ws.merge_cells(start_row=top + level, start_column=col, end_row=top + depth - 1, end_column=col)
                i += 1
            else:
                i += 1
    for n, col in enumerate(range(1, last_col + 1), start=1):
        _header_cell(ws, block.number_row, col, f"({n})", italic=True)


def _table_rows(ws: Worksheet, block: TableBlock, layout: Layout) -> None:
    table, columns = block.definition, block.definition.columns
    # data rows
    for i in range(block.n_rows):
        row = block.first_row + i
        if block.stt_col:
            stt = ws.cell(row=row, column=block.stt_col, value=i + 1)
            stt.font = _font(11)
            stt.alignment = Alignment(horizontal="center")
            stt.border = BORDER
            stt.fill = COMPUTED_FILL
        label = ws.cell(row=row, column=block.label_col)
        row_def = table.rows[i] if table.fixed else None
        if row_def is not None:
            label.value = row_def.label
            label.font = _font(12, bold=row_def.indent == 0)
            label.alignment = Alignment(wrap_text=True, vertical="center", indent=row_def.indent)
            label.border = BORDER
            label.protection = Protection(locked=True)
        else:
            _value_cell_style(label, table.label_column, editable=True, computed=False)
        for col_def in columns:
            cell = ws.cell(row=row, column=block.columns[col_def.code])
            if row_def is not None and not row_def.input:
                cell.border = BORDER
                cell.fill = COMPUTED_FILL
                continue
            if col_def.computed:
                refs = {c.code: a1(row, block.columns[c.code]) for c in columns}
                cell.value = _excel_formula(expr.parse(col_def.formula), layout, field_ref=lambda code,
                                            refs=refs: refs[code])
                _value_cell_style(cell, col_def, editable=False, computed=True)
            else:
                _value_cell_style(cell, col_def, editable=True, computed=False)


def _table_validations(ws: Worksheet, block: TableBlock, layout: Layout, validations: _Validations) -> None:
    table, columns = block.definition, block.definition.columns
    if not table.fixed:
        validations.add(ws, table.label_column,
                        f"{a1(block.first_row, block.label_col)}:{a1(block.last_row, block.label_col)}")
    for col_def in columns:
        if col_def.computed:
            continue
        col = block.columns[col_def.code]
        legend = _column_legend(layout, table.code, col_def.code)
        if table.fixed:
            for i, row_def in enumerate(table.rows):
                if row_def.input:
                    validations.add(ws, col_def, a1(block.first_row + i, col), legend)
        else:
            validations.add(ws, col_def, f"{a1(block.first_row, col)}:{a1(block.last_row, col)}", legend)


def _table_total(ws: Worksheet, block: TableBlock) -> None:
    table, columns = block.definition, block.definition.columns
    row = block.total_row
    if block.stt_col:
        ws.cell(row=row, column=block.stt_col).border = BORDER
    total = ws.cell(row=row, column=block.label_col, value=table.total_row)
    total.font = _font(12, bold=True)
    total.border = BORDER
    total.alignment = Alignment(horizontal="center")
    for col_def in columns:
        col = block.columns[col_def.code]
        cell = ws.cell(row=row, column=col, value=f"=SUM({a1(block.first_row, col)}:{a1(block.last_row, col)})")
        _value_cell_style(cell, col_def, editable=False, computed=True)
        cell.font = _font(12, bold=True)


def _absolute(sheet: str, row: int, col: int) -> str:
    """'Sheet'!$C$9: what a defined name of one cell refers to."""
    return f"{quote_sheet(sheet)}!{a1(row, col, True)}"


def _checks_sheet(ws: Worksheet, sheet_code: str, layout: Layout) -> None:
    """The live checks (``live.plan``): one row per rule, its two sides, gap and verdict as formulas."""
    sheet = layout.definition.sheet(sheet_code)
    widths = {K_NUM: 5, K_NAME: 42, K_LEFT: 17, K_RIGHT: 17, K_GAP: 17, K_STATUS: 21, K_HELP: 48, K_CODE: 28}
    for col, width in widths.items():
        ws.column_dimensions[a1(1, col)[:-1]].width = width
    _title(ws, 1, sheet.title or sheet.name.upper(), K_HELP)
    _title(ws, 2, "", K_HELP, size=12, bold=False, italic=True)
    note = ui("live.note")
    _title(ws, 3, note, K_HELP, size=10, bold=False, italic=True, align="left")
    ws.row_dimensions[3].height = _fit_height([(note, sum(widths[c] for c in range(K_NUM, K_HELP + 1)))], 10)
    for col, text in zip(range(K_NUM, K_CODE + 1), ui("live.columns"), strict=True):
        _header_cell(ws, CHECKS_HEADER_ROW, col, text)
    last = CHECKS_HEADER_ROW
    for i, check in enumerate(live.plan(layout).checks, start=1):
        row, rule = check.row, check.rule
        values = {K_NUM: i, K_NAME: rule.name, K_LEFT: check.left, K_RIGHT: check.right, K_GAP: check.gap,
                  K_STATUS: check.status, K_HELP: rule.instruction, K_CODE: rule.id}
        for col, value in values.items():
            cell = ws.cell(row=row, column=col, value=value)
            cell.border = BORDER
            cell.font = _font(11)
            cell.alignment = Alignment(vertical="center", wrap_text=col in (K_NAME, K_STATUS, K_HELP))
            if col in (K_LEFT, K_RIGHT, K_GAP):
                if check.money:  # amounts in the workbook's money unit, shown as the clerk's own are
                    cell.number_format = MONEY_FORMAT
                    ws.conditional_formatting.add(cell.coordinate, Rule(
                        type="expression", dxf=_DXF_WHOLE, formula=[f"MOD({cell.coordinate},1)=0"]))
                else:
                    cell.number_format = check.gap_format if col == K_GAP else check.number_format
                cell.fill = COMPUTED_FILL
                cell.alignment = Alignment(horizontal="right", vertical="center")
            elif col == K_STATUS:
                cell.fill = COMPUTED_FILL
            elif col == K_HELP:
                cell.font = _font(10, italic=True, color="FF404040")
            elif col == K_CODE:
                cell.font = Font(name="Consolas", size=9, color="FF808080")
            elif col == K_NUM:
                cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.cell(row=row, column=K_GAP).font = _font(11, bold=True)
        ws.row_dimensions[row].height = _fit_height([(rule.name, widths[K_NAME]),
                                                     (rule.instruction, widths[K_HELP] * 1.2)], 11)
        last = row
    ws.freeze_panes = ws.cell(row=CHECKS_HEADER_ROW + 1, column=K_NAME + 1)
    _page_setup(ws, landscape=sheet.landscape, title_rows=f"{CHECKS_HEADER_ROW}:{CHECKS_HEADER_ROW}")
    ws.print_area = f"A1:{a1(last, K_HELP)}"


def _lists_source_sheet(ws: Worksheet, definition: ReportDefinition) -> None:
    for i, cl in enumerate(definition.choice_lists, start=1):
        ws.cell(row=1, column=i, value=cl.code)
        for j, opt in enumerate(cl.options, start=2):
            ws.cell(row=j, column=i, value=opt.label)
    ws.sheet_state = "veryHidden"
    _protect(ws)


def _meta_sheet(ws: Worksheet, definition: ReportDefinition, layout: Layout) -> None:
    base = {
        "template_id": definition.id, "template_version": definition.version,
        "definition_hash": definition.source_hash, "profile": definition.profile or "",
        "tool_version": __version__, "submission_counter": 0, "kind": "unit",
    }
    for key, row in layout.meta_rows.items():
        ws.cell(row=row, column=1, value=key)
        value = base.get(key)
        # every meta value cell exists in the file so per-unit stamping can patch it in place
        ws.cell(row=row, column=2, value=value if value not in (None, "") else "-")
    ws.sheet_state = "veryHidden"
    _protect(ws)


def build_workbook(definition: ReportDefinition) -> Workbook:
    layout = compute_layout(definition)
    wb = Workbook()
    wb.remove(wb.active)
    choice_names = {cl.code: cl.code for cl in definition.choice_lists}
    validations = _Validations(choice_names, definition)
    for sheet in definition.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.sheet_view.zoomScale = 100
        if sheet.kind == "instructions":
            _instructions_sheet(ws, definition, layout, sheet.title)
        elif sheet.kind == "fields":
            _fields_sheet(ws, sheet.code, layout, validations)
            _list_blocks(ws, layout, validations, set_widths=False)
        elif sheet.kind == "texts":
            _texts_sheet(ws, sheet.code, layout, validations)
        elif sheet.kind == "lists":
            _lists_sheet(ws, sheet.code, layout, validations)
        elif sheet.kind == "table":
            for table in definition.tables:
                if table.sheet == sheet.code:
                    _table_sheet(ws, table.code, layout, validations)
        elif sheet.kind == "checks":
            _checks_sheet(ws, sheet.code, layout)
        _protect(ws)
    live.apply(wb, layout)
    _lists_source_sheet(wb.create_sheet(LISTS_SHEET), definition)
    _meta_sheet(wb.create_sheet(META_SHEET), definition, layout)
    # stamped text cells get a placeholder so they exist in the XML and can be patched
    for sheet_name, ref, _template in layout.text_stamps:
        cell = wb[sheet_name][ref]
        if cell.value in (None, ""):
            cell.value = "-"
    for code, cell_pos in layout.fields.items():
        f = definition.field_map()[code]
        if f.stamp:
            wb[cell_pos.sheet][cell_pos.ref].value = "-" if f.type in ("text", "choice") else None
    # defined names: fields, lists, tables, choice lists
    for code, cell_pos in layout.fields.items():
        wb.defined_names[code] = DefinedName(code, attr_text=_absolute(cell_pos.sheet, cell_pos.row, cell_pos.col))
    for code, cell_pos in layout.ratios.items():
        wb.defined_names[code] = DefinedName(code, attr_text=_absolute(cell_pos.sheet, cell_pos.row, cell_pos.col))
    for code, block in layout.lists.items():
        wb.defined_names[code] = DefinedName(code, attr_text=f"{quote_sheet(block.sheet)}!{block.range_ref()}")
    for code, block in layout.tables.items():
        wb.defined_names[code] = DefinedName(code, attr_text=f"{quote_sheet(block.sheet)}!{block.range_ref()}")
    for code, ref in layout.choice_ranges.items():
        wb.defined_names[code] = DefinedName(code, attr_text=ref)
    wb.calculation.fullCalcOnLoad = True
    wb.security = WorkbookProtection(workbookPassword=PASSWORD, lockStructure=True)
    wb.active = 1
    return wb


def build_template_bytes(definition: ReportDefinition) -> bytes:
    from .xlsxpatch import free_row_heights

    buf = io.BytesIO()
    build_workbook(definition).save(buf)
    return free_row_heights(buf.getvalue(), text_rows(compute_layout(definition)))


def template_file_name(definition: ReportDefinition) -> str:
    profile = f"_{definition.profile}" if definition.profile else ""
    return f"{definition.id}_v{definition.version}{profile}.xlsx"


def today() -> dt.date:
    return dt.date.today()
