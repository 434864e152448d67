"""Pydantic models of a report definition (the data in ``workbook_templates/``).

A definition is authored as YAML; these models validate it and give the rest of the
package typed access. Nothing here knows about Excel cells: the layout is computed in
``xl_addin.workbook.layout`` from these models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from ..errors import render
from ..memo import freeze, frozen_by_contract, per_object
from . import expr

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_CELLISH_RE = re.compile(r"^[a-z]{1,3}[0-9]+$")  # would collide with an A1 reference
_RC_RE = re.compile(r"^(r|c|rc|r[0-9]+c?[0-9]*|c[0-9]+)$")


def _check_code(value: str) -> str:
    if not _CODE_RE.match(value):
        raise ValueError(render("def_code_format", value=value))
    if len(value) > 60:
        raise ValueError(render("def_code_too_long", value=value))
    if _CELLISH_RE.match(value) or _RC_RE.match(value) or value in {"true", "false"}:
        raise ValueError(render("def_code_like_cell", value=value))
    return value


def _nfc(value: str) -> str:
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value)


Code = Annotated[str, AfterValidator(_check_code)]
Text = Annotated[str, AfterValidator(_nfc)]

FieldType = Literal["integer", "decimal", "percent", "money", "text", "long_text", "date", "choice"]
Aggregate = Literal["sum", "same", "max", "list", "none"]
# a unit level: an option of the choice list of the field stamped ``unit.level`` (ReportDefinition.levels())
Level = Code
NUMERIC_TYPES = {"integer", "decimal", "percent", "money"}
STAMP_SOURCES = {
    "unit.name", "unit.code", "unit.level", "unit.parent_code", "unit.code_list",
    "period.code", "period.year", "period.from", "period.to", "period.label",
}


@frozen_by_contract  # never changed once load_definition returned it (the cache may keep its parts)
class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChoiceOption(Model):
    code: Code
    label: Text
    symbol: str | None = None  # document-type symbol (KH, QĐ…) used by the number-format rules
    dong: Decimal | None = PField(default=None, gt=0)  # a money unit: how many đồng one unit is
    digits: int | None = PField(default=None, ge=1, le=10)  # a unit level: the digits of its unit codes


class ChoiceList(Model):
    code: Code
    label: Text
    options: list[ChoiceOption]


class Sheet(Model):
    code: Code
    name: Text = PField(max_length=31)
    kind: Literal["instructions", "fields", "texts", "lists", "table", "checks"]  # checks: the live checks (no input)
    title: Text | None = None
    landscape: bool = False
    since: str | None = None  # the template version that added it (None: every version)


class LevelGroup(Model):
    """A named set of unit levels (cấp xã, cấp huyện…): per-level bounds, defaults and required
    sets may name a group instead of each level."""

    code: Code
    label: Text
    levels: list[Level]


LevelMap = dict[str, Any]


def _split_level_map(data: Any, key: str, target: str) -> None:
    """``key: {level or group: value}`` in YAML becomes ``target`` (the mapping) and ``key`` (the
    widest value, or the one given as ``default``), so code that knows no level keeps working."""
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        return
    mapping = dict(data[key])
    default = mapping.pop("default", None)
    data[target] = mapping
    values = [Decimal(str(v)) for v in mapping.values()]
    data[key] = default if default is not None else (max(values) if values else None)


class _PerLevel(Model):
    """Bounds and the required flag, either for every level or per level (or level group).

    ``max`` and ``plausible_max`` may be written as ``{cap_xa: 50, cap_huyen: 5000}``: the mapping
    goes to ``max_by_level`` / ``plausible_by_level`` (groups expanded to levels by the
    definition), and ``max`` / ``plausible_max`` keep the widest value (or ``default``), which is
    what applies where the level is not known. ``required`` may be a list of levels or groups.
    Bounds are in the item's contract unit (for money: its ``unit``, not the workbook's)."""

    required: bool = False
    required_levels: list[str] = []
    max: Decimal | None = None
    plausible_max: Decimal | None = None
    max_by_level: dict[str, Decimal] = {}
    plausible_by_level: dict[str, Decimal] = {}

    @model_validator(mode="before")
    @classmethod
    def _level_maps(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if isinstance(data.get("max"), dict) or isinstance(data.get("plausible_max"), dict) or isinstance(
                data.get("required"), list):
            data = dict(data)
            _split_level_map(data, "max", "max_by_level")
            _split_level_map(data, "plausible_max", "plausible_by_level")
            if isinstance(data.get("required"), list):
                data["required_levels"] = data["required"]
                data["required"] = False
        return data

    def plausible_bound(self, level: str | None = None) -> Decimal | None:
        """The value above which an entry is implausible for a unit of ``level``, in the item's
        contract unit. Every check, live cell and narrative reads the bound through here."""
        if level is not None and level in self.plausible_by_level:
            return self.plausible_by_level[level]
        return self.plausible_max

    def max_bound(self, level: str | None = None) -> Decimal | None:
        """The hard upper bound for a unit of ``level`` (contract unit)."""
        if level is not None and level in self.max_by_level:
            return self.max_by_level[level]
        return self.max

    def required_for(self, level: str | None = None) -> bool:
        """Whether a unit of ``level`` must fill this item (``level`` None: required everywhere)."""
        return self.required or (level is not None and level in self.required_levels)

    def resolve_levels(self, groups: dict[str, list[str]], what: str, known: tuple[str, ...]) -> None:
        """Expand level groups in the per-level data into levels (called by the definition)."""
        self.max_by_level = _expand(self.max_by_level, groups, f"{what}: max", known)
        self.plausible_by_level = _expand(self.plausible_by_level, groups, f"{what}: plausible_max", known)
        levels = list(_expand({k: True for k in self.required_levels}, groups, f"{what}: required", known))
        self.required_levels = levels
        if levels and set(levels) >= set(known):
            self.required = True
        for level, hi in self.max_by_level.items():
            if self.min is not None and hi < self.min:  # type: ignore[attr-defined]
                raise ValueError(render("def_level_max_below_min", what=what, level=level))


def _expand(mapping: dict[str, Any], groups: dict[str, list[str]], what: str,
            known: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if key in groups:
            levels = groups[key]
        elif key in known:
            levels = [key]
        else:
            raise ValueError(render("def_level_unknown", what=what, key=key))
        for level in levels:
            if level in out:
                raise ValueError(render("def_level_twice", what=what, level=level))
            out[level] = value
    return out


class FieldDef(_PerLevel):
    code: Code
    label: Text
    type: FieldType
    unit: Text | None = None
    min: Decimal | None = None
    decimals: int | None = PField(default=None, ge=0, le=6)
    max_length: int | None = PField(default=None, ge=1, le=32_767)  # text: characters allowed
    number_format: str | None = None  # the cell's Excel format when the type's own does not fit (a year: "0")
    help: Text | None = None
    aggregate: Aggregate = "none"
    formula: str | None = None
    choices: Code | None = None
    stamp: str | None = None
    # `cchc build --previous`: carry this field's own value (standing) or another field's value
    # from the unit's previous-period workbook (carry_from), e.g. last period's in-progress total.
    standing: bool = False
    carry_from: Code | None = None
    # a long text carried from the previous period as a draft to rewrite (marked, checked unchanged)
    draft_from_previous: bool = False
    # the value a new workbook starts with, for every level or per level / level group
    default: LevelMap | str | Decimal | None = None
    sheet: Code | None = None  # the sheet, when not the section's (the section texts)
    since: str | None = None  # the template version that added it (None: every version)
    # a figure a unit may state approximately («khoảng 10 tỷ đồng», «trên 90%»): the definition adds a
    # companion choice right after it (``qualifiers`` in report.yaml), told in the report before the figure
    qualifier: bool = False
    qualifies: Code | None = None  # set on that companion: the figure it qualifies
    # filled by the loader: the section this field belongs to
    section: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldDef:
        if self.type in NUMERIC_TYPES and not self.unit:
            raise ValueError(render("def_field_unit_missing", code=self.code))
        if self.type == "choice" and not self.choices:
            raise ValueError(render("def_field_choices_missing", code=self.code))
        if self.type != "choice" and self.choices:
            raise ValueError(render("def_field_choices_not_choice", code=self.code))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(render("def_field_min_above_max", code=self.code))
        if self.formula is not None:
            if self.type not in NUMERIC_TYPES:
                raise ValueError(render("def_field_formula_not_numeric", code=self.code))
            try:
                expr.parse(self.formula)
            except expr.ExprError as exc:
                raise ValueError(render("def_field_detail", code=self.code, exc=exc)) from None
        if self.stamp is not None and self.stamp not in STAMP_SOURCES:
            raise ValueError(render("def_field_stamp_invalid", code=self.code, stamp=self.stamp,
                                    value=', '.join(sorted(STAMP_SOURCES))))
        if self.formula and self.stamp:
            raise ValueError(render("def_field_formula_and_stamp", code=self.code))
        if self.type in NUMERIC_TYPES and self.type != "percent" and self.min is None and self.formula is None:
            self.min = Decimal(0)
        return self

    @property
    def computed(self) -> bool:
        return self.formula is not None

    def default_for(self, level: str | None) -> Any:
        """The value a new workbook of a unit of ``level`` starts with (None: empty)."""
        if isinstance(self.default, dict):
            return self.default.get(level) if level is not None else None
        return self.default

    @property
    def is_input(self) -> bool:
        return self.formula is None and self.stamp is None

    @property
    def parsed(self) -> expr.Node | None:
        return expr.parse(self.formula) if self.formula else None


class Section(Model):
    code: str
    title: Text
    number: str | None = None
    sheet: Code | None = None
    outline: bool = True
    fields: list[FieldDef] = []
    children: list[Section] = []
    # profile additions name the section they hang under
    parent: str | None = None
    after: str | None = None
    since: str | None = None  # the template version that added it (None: every version)

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()


class Column(_PerLevel):
    code: Code
    label: Text
    type: FieldType = "text"
    unit: Text | None = None
    min: Decimal | None = None
    decimals: int | None = None
    max_length: int | None = PField(default=None, ge=1, le=32_767)
    choices: Code | None = None
    help: Text | None = None
    width: float | None = None
    groups: list[Text] = []
    formula: str | None = None  # row-wise, over column codes of the same table
    aggregate: Aggregate = "sum"

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if self.type == "choice" and not self.choices:
            raise ValueError(render("def_column_choices_missing", code=self.code))
        if self.type in NUMERIC_TYPES and self.type != "percent" and self.min is None and self.formula is None:
            self.min = Decimal(0)
        if self.formula is not None:
            try:
                expr.parse(self.formula)
            except expr.ExprError as exc:
                raise ValueError(render("def_column_detail", code=self.code, exc=exc)) from None
        return self

    @property
    def computed(self) -> bool:
        return self.formula is not None

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


class Theme(Model):
    """A theme the merge files the units' items of a compiled list under (``aggregate: list``): the
    first theme one of whose keywords the item contains (case and accents as typed, NFC)."""

    label: Text
    keywords: list[Text] = PField(min_length=1)

    @model_validator(mode="after")
    def _keywords_not_blank(self) -> Theme:
        if any(not k.strip() for k in self.keywords):
            raise ValueError(render("def_theme_blank_keyword", label=self.label))
        return self


class ListDef(Model):
    code: Code
    label: Text
    sheet: Code
    section: str | None = None
    capacity: int = PField(default=20, ge=1, le=1000)
    columns: list[Column]
    standing: bool = False  # carried over from the previous period with --previous
    required: bool = False
    help: Text | None = None
    # merge: "list" compiles the units' rows on a sheet of the summary («Kiến nghị của đơn vị»):
    # identical items merged with every unit named, grouped by ``themes`` (keywords), in their order;
    # the summary's own list stays the receiving office's own
    aggregate: Literal["list", "none"] = "none"
    themes: list[Theme] = []

    @model_validator(mode="after")
    def _themes_unique(self) -> ListDef:
        labels = [t.label for t in self.themes]
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise ValueError(render("def_list_theme_twice", code=self.code, value=', '.join(twice)))
        if self.themes and self.aggregate != "list":
            raise ValueError(render("def_list_themes_need_list", code=self.code))
        return self

    @property
    def key_column(self) -> Column:
        return self.columns[0]


class TableRow(Model):
    code: Code
    label: Text
    input: bool = True  # False: a heading row inside the table (no numbers)
    indent: int = 0


class TableDef(Model):
    code: Code
    title: Text
    form_number: Text | None = None
    subtitle: Text | None = None
    sheet: Code
    section: str | None = None
    unit_label: Text | None = None
    label_column: Column
    columns: list[Column]
    rows: list[TableRow] = []  # fixed rows; empty means open rows
    open_rows: int = PField(default=0, ge=0, le=500)
    total_row: Text | None = None
    note: Text | None = None
    # the form is used for periods whose last day falls within these (a circular's effective date)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _rows(self) -> TableDef:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError(render("def_table_valid_from_after_to", code=self.code))
        if bool(self.rows) == bool(self.open_rows):
            raise ValueError(render("def_table_rows_or_open", code=self.code))
        codes = {c.code for c in self.columns}
        for col in self.columns:
            if col.formula:
                bad = expr.field_refs(expr.parse(col.formula)) - codes
                if bad:
                    raise ValueError(render("def_table_column_formula_unknown", code=self.code, code2=col.code,
                                            value=', '.join(sorted(bad))))
        return self

    @property
    def fixed(self) -> bool:
        return bool(self.rows)

    def applies(self, day: dt.date) -> bool:
        """Whether this form is the one for a period ending on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def dated(self) -> bool:
        return self.valid_from is not None or self.valid_to is not None


class Ratio(Model):
    """numerator / denominator × 100, rounded half-up to 2 places; None when the denominator is 0."""

    code: Code
    label: Text
    numerator: str
    denominator: str
    unit: Text | None = None
    section: str | None = None
    share: bool = False  # a part of a whole: never above 100%
    typed: Code | None = None  # a field where the clerk may type this ratio
    since: str | None = None  # the template version that added it (None: every version)
    history: bool = False  # a key indicator of ``cchc history``: a table and a chart across periods
    short: Text | None = PField(default=None, max_length=26)  # a short name (sheet names, legends)

    @model_validator(mode="after")
    def _parse(self) -> Ratio:
        for side in (self.numerator, self.denominator):
            try:
                expr.parse(side)
            except expr.ExprError as exc:
                raise ValueError(render("def_ratio_detail", code=self.code, exc=exc)) from None
        return self


Importance = Literal["error", "warning", "info"]
Operator = Literal["==", "!=", ">", ">=", "<", "<=", "compulsory_pair", "exclusive_pair"]
Missing = Literal["skip_if_any_missing", "skip_if_all_missing", "never_skip"]
ListCheck = Literal["date_not_after", "date_not_before", "number_format", "symbol_matches_type", "unique"]


class Rule(Model):
    """A validation rule: left operator right, or a row check of a list."""

    id: Code
    name: Text
    instruction: Text
    importance: Importance
    group: str | None = None
    left: str | None = None
    operator: Operator | None = None
    right: str | None = None
    left_label: Text | None = None
    right_label: Text | None = None
    missing: Missing = "skip_if_any_missing"
    tolerance: Decimal = Decimal(0)
    levels: list[Level] | None = None
    profiles: list[str] | None = None
    table: Code | None = None
    list_code: Code | None = PField(default=None, alias="list")
    check: ListCheck | None = None
    column: Code | None = None
    field: Code | None = None
    type_column: Code | None = None
    date_column: Code | None = None  # unique: the value is unique per year of this date column
    pattern: str | None = None  # number_format: the regular expression a value must match (blanks removed)

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.check:
            if not self.list_code or not self.column:
                raise ValueError(render("def_rule_list_check_needs", id=self.id))
            if self.check in ("date_not_after", "date_not_before") and not self.field:
                raise ValueError(render("def_rule_check_needs_field", id=self.id, check=self.check))
            if self.check == "symbol_matches_type" and not self.type_column:
                raise ValueError(render("def_rule_symbol_needs_type", id=self.id))
            return self
        if not (self.left and self.operator and self.right):
            raise ValueError(render("def_rule_needs_sides", id=self.id))
        for side in (self.left, self.right):
            try:
                expr.parse(side)
            except expr.ExprError as exc:
                raise ValueError(render("def_rule_detail", id=self.id, exc=exc)) from None
        return self

    @property
    def compiled_pattern(self) -> re.Pattern[str]:
        """``pattern`` compiled (a ``number_format`` check)."""
        return per_object(self, "pattern", lambda: re.compile(self.pattern or ""))


class PeriodType(Model):
    code: str
    pattern: str
    label: Text
    next_label: Text
    span_months: int = PField(ge=1, le=12)
    end_month: str  # an expression over n (the number in the code), e.g. "3*n"
    count: int = 1  # how many of this type in a year (T: 12, Q: 4)


class PeriodSettings(Model):
    start_day: int = 15
    end_day: int = 14
    types: list[PeriodType]


class LevelEra(Model):
    """Local government over a span of time (domain.md §12): which unit levels exist, to which level
    each reports, and the administrative code list in force. A period belongs to the era its last
    day falls in; a period whose first day falls in an earlier era straddles the change."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: Code
    label: Text
    start: dt.date | None = PField(default=None, alias="from")
    end: dt.date | None = PField(default=None, alias="until")
    code_list: str
    levels: list[Level]
    receivers: dict[Level, Level] = {}  # level -> the level its reports go to

    @model_validator(mode="after")
    def _consistent(self) -> LevelEra:
        if self.start and self.end and self.start > self.end:
            raise ValueError(render("def_era_from_after_until", code=self.code))
        for level, receiver in self.receivers.items():
            if level not in self.levels or receiver not in self.levels:
                raise ValueError(render("def_era_receiver_unknown", code=self.code, level=level, receiver=receiver))
        return self

    def holds(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def receiver(self, level: str) -> str | None:
        """The level a unit of ``level`` reports to in this era (None: nobody above it in the list)."""
        return self.receivers.get(level)


class PeerOutliers(Model):
    """A value far from the values of the other units of its level: modified z-score
    0.6745·(x − median)/MAD above ``z`` (Iglewicz and Hoaglin), on ratios and on the log of
    positive amounts, with at least ``min_units`` units of the level; skipped when MAD = 0.

    Where the units agree closely (a MAD of a tenth of a point on a rate near 100 %), a z-score
    says little: a rate is also at least ``rate_points`` points from the median, an amount at
    least ``factor`` times (or 1/``factor``) the median, and the larger of the two ``min_value``."""

    z: Decimal = Decimal("3.5")
    min_units: int = PField(default=8, ge=3)
    rate_points: Decimal = Decimal(0)
    factor: Decimal = Decimal(1)
    min_value: Decimal = Decimal(0)
    importance: Literal["error", "warning", "info"] = "warning"


class JumpOutliers(Model):
    """A value against the same unit's previous period (``cchc merge --previous``): an amount
    multiplied or divided by ``factor`` or more when both values are at least ``min_value``, a
    rate moved by more than ``rate_points`` points."""

    factor: Decimal = Decimal(10)
    min_value: Decimal = Decimal(10)
    rate_points: Decimal = Decimal(20)
    importance: Literal["error", "warning", "info"] = "warning"


class ImplausibleOutliers(Model):
    """A value above the bound for the unit's level (``plausible_bound``: ``value_implausible``)."""

    importance: Literal["error", "warning", "info"] = "error"


class OutlierSettings(Model):
    implausible: ImplausibleOutliers = ImplausibleOutliers()
    jump: JumpOutliers = JumpOutliers()
    far_from_peers: PeerOutliers = PeerOutliers()


class HistorySettings(Model):
    """The trends workbook of ``cchc history`` (report.yaml ``merge.history``)."""

    ranking_ratio: Code | None = None  # units ranked by it in the latest period (default: merge.chart_ratio)
    change_points: Decimal = PField(default=Decimal(5), gt=0)  # a rate moved this much since the period before: marked
    chart_top: int = PField(default=3, ge=0, le=10)  # the highest units of the latest period drawn in a chart
    chart_bottom: int = PField(default=3, ge=0, le=10)  # and the lowest (every unit when there are few)


class MergeSettings(Model):
    """How the receiving office's merge presents what it found (report.yaml ``merge:``)."""

    chart_ratio: Code | None = None  # the ratio of the Biểu đồ sheet, one bar per unit
    outliers: OutlierSettings = OutlierSettings()
    history: HistorySettings = HistorySettings()


class Profile(Model):
    id: str
    name: Text
    province_code: str | None = None
    description: Text | None = None
    sections: list[Section] = []
    fields: list[FieldDef] = []  # each names its section with `section`
    table_columns: list[dict] = []  # {table, after, column}
    forms: list[Code] | None = None  # the official forms (tables) this province uses, instead of the default
    rules: list[Rule] = []
    ratios: list[Ratio] = []
    deadline_working_days: int | None = None


class TemplateVersion(Model):
    """A past version of the template, kept as a field mapping only (no old copy of the YAML).

    A workbook built from it is read with the current definition: fields renamed since then are
    found by their old defined name, fields moved since then at the cell declared here; all other
    fields sit where the current layout puts them.
    """

    version: str
    note: Text | None = None
    renamed: dict[str, Code] = {}  # old field code -> current field code
    moved: dict[Code, str] = {}  # current field code -> "Sheet!A1" where that version kept it

    @model_validator(mode="after")
    def _refs(self) -> TemplateVersion:
        for code, where in self.moved.items():
            if not _MOVED_RE.match(where):
                raise ValueError(render("def_version_moved_format", version=self.version, where=where, code=code))
        return self


_MOVED_RE = re.compile(r"^[^!]{1,31}![A-Z]{1,3}[1-9][0-9]{0,6}$")


class MoneySettings(Model):
    """Amounts as the unit states them: the workbook-level choice of money unit.

    ``field`` is a choice field whose options carry ``dong`` (how many đồng one unit is); money
    cells are typed and shown in the chosen unit, while every value read, filled, checked and
    merged stays in the field's own contract unit (its ``unit``, e.g. tỷ đồng), converted exactly.
    ``missing``: the unit of a workbook without the choice (older versions; the cell left empty)."""

    field: Code
    missing: Code


class SectionTexts(Model):
    """The written part of each outline section: one long-text field per section with its own
    heading (no children), generated by the definition, typed on ``sheet``.

    ``code`` and ``label`` are patterns: ``{section}`` is the section code in lower case with dots
    as underscores (I.1 → i_1), ``{code}`` the section code, ``{title}`` its title."""

    sheet: Code
    code: str
    label: Text
    help: Text | None = None
    since: str | None = None
    max_length: int = PField(default=32_767, ge=1, le=32_767)
    draft_from_previous: bool = True


class QualifierSettings(Model):
    """The companion of each field declaring ``qualifier: true``: a choice (``choices``: khoảng, trên,
    dưới, ước, dự kiến) placed right after the figure, coded ``code`` ({field}: the figure's code),
    labelled ``label`` ({label}: the figure's label). Empty: the figure is exact."""

    code: str
    choices: Code
    label: Text
    help: Text | None = None
    since: str | None = None


class ReportDefinition(Model):
    id: Code
    version: str
    title: Text
    kind_label: Text
    sheets: list[Sheet]
    choice_lists: list[ChoiceList] = []
    periods: PeriodSettings
    sections: list[Section]
    lists: list[ListDef] = []
    tables: list[TableDef] = []
    # the official forms (table codes) a template carries; a profile chooses its own; None: every table
    forms: list[Code] | None = None
    ratios: list[Ratio] = []
    rules: list[Rule] = []
    instructions: list[Text] = []
    deadline_working_days: int = 2
    level_eras: list[LevelEra] = []  # local government by period (report.yaml)
    merge: MergeSettings = MergeSettings()  # the merge's chart and outlier thresholds (report.yaml)
    versions: list[TemplateVersion] = []  # past versions a workbook may still come from (versions.yaml)
    level_groups: list[LevelGroup] = []
    money: MoneySettings | None = None
    section_texts: SectionTexts | None = None
    qualifiers: QualifierSettings | None = None
    # filled by the loader
    profile: str | None = None
    profile_name: Text | None = None
    source_hash: str | None = None

    # ------------------------------------------------------------------ access
    def walk_sections(self) -> Iterator[Section]:
        for section in self.sections:
            yield from section.walk()

    def fields(self) -> list[FieldDef]:
        return list(per_object(self, "fields", lambda: tuple(f for s in self.walk_sections() for f in s.fields)))

    def field_map(self) -> Mapping[str, FieldDef]:
        # asked for every file a merge reads: worked out once per loaded definition
        return per_object(self, "field_map", lambda: freeze({f.code: f for f in self.fields()}))

    def stamped(self, source: str) -> str | None:
        """The code of the field stamped from ``source`` (``unit.level``, ``period.to``…), if any."""
        return per_object(self, "stamps",
                          lambda: freeze({f.stamp: f.code for f in self.fields() if f.stamp})).get(source)

    def level_options(self) -> Mapping[str, ChoiceOption]:
        """The unit levels, code -> option (label, code digits): the choices of the field stamped
        ``unit.level``; without one, the levels of the eras (``level_eras``)."""
        def build() -> dict[str, ChoiceOption]:
            code = self.stamped("unit.level")
            f = self.field_map().get(code) if code else None
            if f is not None and f.choices:
                return {o.code: o for o in self.choice_list(f.choices).options}
            codes = dict.fromkeys(level for era in self.level_eras for level in era.levels)
            return {c: ChoiceOption(code=c, label=c) for c in codes}
        return per_object(self, "levels", lambda: freeze(build()))

    def levels(self) -> tuple[str, ...]:
        return tuple(self.level_options())

    def level_labels(self) -> dict[str, str]:
        return {code: o.label for code, o in self.level_options().items()}

    def sheet(self, code: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.code == code:
                return sheet
        raise KeyError(code)

    def choice_list(self, code: str) -> ChoiceList:
        for cl in self.choice_lists:
            if cl.code == code:
                return cl
        raise KeyError(code)

    def list_map(self) -> dict[str, ListDef]:
        return {lst.code: lst for lst in self.lists}

    def table_map(self) -> dict[str, TableDef]:
        return {t.code: t for t in self.tables}

    def ratio_map(self) -> dict[str, Ratio]:
        return {r.code: r for r in self.ratios}

    def past_version(self, version: str) -> TemplateVersion | None:
        for past in self.versions:
            if past.version == version:
                return past
        return None

    def level_era(self, when: dt.date | object) -> LevelEra | None:
        """The levels, receivers and code list in force for a period (its last day decides) or a day.

        The one accessor for "who exists and who reports to whom" at a time: ``build`` refuses
        units of a level the era does not have, the merge tells a district-era file in a period
        that straddles a change; other checks read ``.levels``, ``.receivers``, ``.code_list``."""
        day: Any = getattr(when, "end", when)  # a period's last day, or the day given
        return next((era for era in self.level_eras if era.holds(day)), None)

    def for_period(self, when: dt.date | object | None) -> ReportDefinition:
        """This definition with the forms in force for a period (its last day decides) or a day.

        A form (table) with ``valid_from`` / ``valid_to`` is kept only for periods ending within
        them; its sheet and the rules over it go with it. With every form in force this is the
        definition itself, so templates, caches and digests stay as they were."""
        day: Any = getattr(when, "end", when)  # a period's last day, or the day given
        if day is None or not any(t.dated for t in self.tables):
            return self
        keep = tuple(t.code for t in self.tables if t.applies(day))
        if len(keep) == len(self.tables):
            return self
        return per_object(self, "forms:" + ",".join(keep), lambda: self.with_forms(keep))

    def with_forms(self, codes: tuple[str, ...] | list[str]) -> ReportDefinition:
        """A copy carrying only the tables ``codes`` (their sheets, and the rules that use no other table)."""
        keep = [t for t in self.tables if t.code in codes]
        kept = {t.code for t in keep}
        dropped = {t.code for t in self.tables} - kept
        if not dropped:
            return self
        sheets = {t.sheet for t in keep}
        dropped_sheets = {t.sheet for t in self.tables if t.code in dropped} - sheets
        rules = [r for r in self.rules if not (_rule_tables(r) & dropped)]
        source = self.source_hash
        if source:  # its own digest: its own template in the cache, its own locked structure
            source = hashlib.sha256(f"{source}~{'+'.join(sorted(kept))}".encode()).hexdigest()[:16]
        return self.model_copy(update={
            "tables": keep, "sheets": [s for s in self.sheets if s.code not in dropped_sheets], "rules": rules,
            "forms": [t.code for t in keep], "source_hash": source})

    def sheet_of(self, f: FieldDef) -> str | None:
        """The sheet code a field sits on: its own, or its section's."""
        if f.sheet:
            return f.sheet
        return per_object(self, "section_sheets", lambda: freeze({s.code: s.sheet for s in self.walk_sections()})).get(
            f.section or "")

    def level_group_map(self) -> dict[str, list[str]]:
        return {g.code: list(g.levels) for g in self.level_groups}

    def money_units(self) -> dict[str, Decimal]:
        """Money unit option code -> đồng per unit (empty without ``money``)."""
        if self.money is None:
            return {}
        options = self.choice_list(self.field_map()[self.money.field].choices or "").options
        return {o.code: o.dong for o in options if o.dong is not None}

    def text_field_of(self, section: str) -> FieldDef | None:
        """The written-text field of an outline section (``section_texts``), if it has one."""
        texts = self.section_texts
        return per_object(self, "text_fields", lambda: freeze({
            f.section: f for f in self.fields()
            if texts is not None and f.sheet == texts.sheet and f.type == "long_text"})).get(section)

    def as_of(self, version: str) -> ReportDefinition:
        """The definition as a past template version laid it out: without the sheets, sections,
        fields and ratios added since (``since``). Only for where things sit in a workbook of
        that version; values are always read, checked and told with the current definition."""
        return per_object(self, f"as_of:{version}", lambda: _as_of(self, version))

    def rules_for(self, level: str | None = None) -> list[Rule]:
        """Rules that apply to this definition's profile and, when given, the unit's level."""
        return [r for r in self.rules
                if (r.profiles is None or self.profile in r.profiles)
                and (r.levels is None or level is None or level in r.levels)]

    @model_validator(mode="after")
    def _cross_checks(self) -> ReportDefinition:
        sheet_codes = [s.code for s in self.sheets]
        _unique(sheet_codes, "trang (sheet)")
        _unique([s.name.casefold() for s in self.sheets], render("def_what_sheet_name"))
        choice_codes = {c.code for c in self.choice_lists}
        for section in self.sections:
            _inherit_sheet(section, None, sheet_codes)
        if self.section_texts is not None:
            _add_section_texts(self, sheet_codes)
        _add_qualifiers(self, choice_codes)
        known = self.levels()
        groups = _check_level_groups(self.level_groups, known)
        _check_level_refs(self, known)
        all_names = _check_fields(self, groups, choice_codes, sheet_codes, known)
        for lst in self.lists:
            if lst.sheet not in sheet_codes:
                raise ValueError(render("def_list_sheet_unknown", code=lst.code, sheet=lst.sheet))
            _unique([c.code for c in lst.columns], render("def_what_list_columns", code=lst.code))
            for col in lst.columns:
                if col.choices and col.choices not in choice_codes:
                    raise ValueError(render("def_list_column_choices_unknown", code=lst.code, code2=col.code,
                                            choices=col.choices))
            all_names.append(lst.code)
        for table in self.tables:
            if table.sheet not in sheet_codes:
                raise ValueError(render("def_table_sheet_unknown", code=table.code, sheet=table.sheet))
            _unique([c.code for c in table.columns], render("def_what_table_columns", code=table.code))
            _unique([r.code for r in table.rows], render("def_what_table_rows", code=table.code))
            for col in table.columns:
                col.resolve_levels(groups, render("def_where_table_column", code=table.code, code2=col.code), known)
            all_names.append(table.code)
        all_names.extend(c.code for c in self.choice_lists)
        _unique(all_names, render("def_what_codes"))
        # expressions may only reference what exists, and computed fields must not loop
        fields = self.field_map()
        tables = self.table_map()
        lists = self.list_map()
        for f in fields.values():
            if f.formula:
                _check_refs(render("def_where_field", code=f.code), expr.parse(f.formula), fields, tables, lists)
            if f.carry_from and f.carry_from not in fields:
                raise ValueError(render("def_field_carry_unknown", code=f.code, carry_from=f.carry_from))
        _check_cycles(fields)
        all_names.extend(r.code for r in self.ratios)
        _unique(all_names, render("def_what_codes_ratios"))
        sections = {sec.code for sec in self.walk_sections()}
        for ratio in self.ratios:
            if ratio.section and ratio.section not in sections:
                raise ValueError(render("def_ratio_section_unknown", code=ratio.code, section=ratio.section))
            for side in (ratio.numerator, ratio.denominator):
                _check_refs(render("def_where_ratio", code=ratio.code), expr.parse(side), fields, tables, lists)
            if ratio.typed and (ratio.typed not in fields or fields[ratio.typed].type != "percent"):
                raise ValueError(render("def_ratio_typed_not_percent", code=ratio.code, typed=ratio.typed))
        _unique([r.id for r in self.rules], render("def_what_rule_ids"))
        _check_eras(self.level_eras)
        for key, code in (("chart_ratio", self.merge.chart_ratio), ("history.ranking_ratio",
                                                                      self.merge.history.ranking_ratio)):
            if code and code not in {r.code for r in self.ratios}:
                raise ValueError(render("def_merge_ratio_unknown", key=key, code=code))
        _check_forms(self, fields, tables)
        _check_versions(self, fields)
        _check_money(self, fields)
        for rule in self.rules:
            _check_rule(rule, fields, tables, lists)
        return self


def _rule_tables(rule: Rule) -> set[str]:
    """The tables a rule reads: its own (per-row rules) and those its expressions sum."""
    found = {rule.table} if rule.table else set()
    if rule.check is None and not rule.table:
        for side in (rule.left, rule.right):
            found |= {t for t, _c in expr.column_refs(expr.parse(side))}
    return found


def _check_forms(definition: ReportDefinition, fields: Mapping, tables: dict) -> None:
    """``forms`` names tables; a computed field or ratio uses only tables every period of the
    template has (a form in ``forms`` without dates), so no formula points at a missing form."""
    if definition.forms is not None:
        unknown = sorted(set(definition.forms) - set(tables))
        if unknown:
            raise ValueError(render("def_forms_unknown", value=', '.join(unknown)))
        _unique(list(definition.forms), "forms")
    steady = {code for code, t in tables.items()
              if not t.dated and (definition.forms is None or code in definition.forms)}
    formulas = [(render("def_where_field", code=f.code), f.formula) for f in fields.values() if f.formula]
    formulas += [(render("def_where_ratio", code=r.code), side)
                 for r in definition.ratios for side in (r.numerator, r.denominator)]
    for where, text in formulas:
        bad = sorted({t for t, _c in expr.column_refs(expr.parse(text))} - steady)
        if bad:
            raise ValueError(render("def_forms_not_every_period", where=where, value=bad[0]))


def _check_eras(eras: list[LevelEra]) -> None:
    _unique([e.code for e in eras], render("def_what_eras"))
    for before, after in itertools.pairwise(eras):
        if before.end is None or after.start is None or after.start <= before.end:
            raise ValueError(render("def_era_order", code=after.code, code2=before.code))


def _check_fields(definition: ReportDefinition, groups: dict[str, list[str]], choice_codes: set[str],
                  sheet_codes: list[str], known: tuple[str, ...]) -> list[str]:
    """Each field knows its section; its choices and sheet exist; its per-level data names levels."""
    names: list[str] = []
    for section in definition.walk_sections():
        for f in section.fields:
            f.section = section.code
            if f.choices and f.choices not in choice_codes:
                raise ValueError(render("def_field_choices_unknown", code=f.code, choices=f.choices))
            if f.sheet is not None and f.sheet not in sheet_codes:
                raise ValueError(render("def_field_sheet_unknown", code=f.code, sheet=f.sheet))
            f.resolve_levels(groups, render("def_where_field", code=f.code), known)
            if isinstance(f.default, dict):
                f.default = _expand(f.default, groups, render("def_where_field_default", code=f.code), known)
            names.append(f.code)
    return names


def _section_key(code: str) -> str:
    return code.lower().replace(".", "_")


def _add_section_texts(definition: ReportDefinition, sheet_codes: list[str]) -> None:
    """One long-text field per outline section with its own heading, on ``section_texts.sheet``."""
    cfg = definition.section_texts
    assert cfg is not None
    if cfg.sheet not in sheet_codes:
        raise ValueError(render("def_texts_sheet_unknown", sheet=cfg.sheet))
    kinds = {s.code: s.kind for s in definition.sheets}
    for section in definition.walk_sections():
        if not section.outline or section.children or kinds.get(section.sheet or "") != "fields":
            continue
        params = {"section": _section_key(section.code), "code": section.code, "title": section.title}
        section.fields.append(FieldDef(
            code=cfg.code.format(**params), label=cfg.label.format(**params), type="long_text",
            help=cfg.help.format(**params) if cfg.help else None, max_length=cfg.max_length, aggregate="none",
            sheet=cfg.sheet, since=cfg.since, draft_from_previous=cfg.draft_from_previous))


def _later(a: str | None, b: str | None) -> str | None:
    from packaging.version import InvalidVersion, Version

    if a is None or b is None:
        return a or b
    try:
        return a if Version(a) >= Version(b) else b
    except InvalidVersion:
        return a  # reported by _check_versions


def _add_qualifiers(definition: ReportDefinition, choice_codes: set[str]) -> None:
    """Right after each field declaring ``qualifier: true``, its companion choice (``qualifiers``)."""
    cfg = definition.qualifiers
    for section in definition.walk_sections():
        if not any(f.qualifier for f in section.fields):
            continue
        if cfg is None:
            raise ValueError(render("def_qualifier_not_declared", code=section.code))
        if cfg.choices not in choice_codes:
            raise ValueError(render("def_qualifier_choices_unknown", choices=cfg.choices))
        fields: list[FieldDef] = []
        for f in section.fields:
            fields.append(f)
            if not f.qualifier:
                continue
            if f.type not in NUMERIC_TYPES or f.computed:
                raise ValueError(render("def_qualifier_not_input", code=f.code))
            fields.append(FieldDef(
                code=cfg.code.format(field=f.code), label=cfg.label.format(label=f.label), type="choice",
                choices=cfg.choices, help=cfg.help, aggregate="none", since=_later(f.since, cfg.since),
                qualifies=f.code, sheet=f.sheet))
        section.fields = fields


def _check_level_groups(groups: list[LevelGroup], known: tuple[str, ...]) -> dict[str, list[str]]:
    _unique([g.code for g in groups], render("def_what_level_groups"))
    for g in groups:
        if g.code in known:
            raise ValueError(render("def_level_group_is_level", code=g.code))
        _known_levels(g.levels, known, render("def_where_level_group", code=g.code))
    return {g.code: list(g.levels) for g in groups}


def _known_levels(levels: Any, known: tuple[str, ...], what: str) -> None:
    bad = [level for level in levels or () if level not in known]
    if bad:
        raise ValueError(render("def_level_unknown", what=what, key=bad[0]))


def _check_level_refs(definition: ReportDefinition, known: tuple[str, ...]) -> None:
    """The levels an era or a rule names are levels of the definition (``ReportDefinition.levels``)."""
    for era in definition.level_eras:
        where = render("def_where_era", code=era.code)
        _known_levels(era.levels, known, where)
    for rule in definition.rules:
        _known_levels(rule.levels, known, render("def_where_rule", id=rule.id))


def _check_money(definition: ReportDefinition, fields: Mapping) -> None:
    money = definition.money
    items = [(render("def_where_field", code=f.code), f) for f in fields.values()]
    items += [(render("def_where_table_column", code=t.code, code2=c.code), c)
              for t in definition.tables for c in t.columns]
    if money is None:
        return
    f = fields.get(money.field)
    if f is None or f.type != "choice":
        raise ValueError(render("def_money_field_not_choice", field=money.field))
    options = definition.choice_list(f.choices or "").options
    if any(o.dong is None for o in options):
        raise ValueError(render("def_money_options_need_dong", choices=f.choices))
    for o in options:
        if Decimal(1).scaleb(o.dong.adjusted()) != o.dong:  # type: ignore[union-attr]
            raise ValueError(render("def_money_not_power_of_ten", code=o.code))
    if money.missing not in {o.code for o in options}:
        raise ValueError(render("def_money_missing_unknown", missing=money.missing, choices=f.choices))
    labels = {o.label.casefold() for o in options}
    for where, item in items:
        if item.type == "money" and (item.unit or "").casefold() not in labels:
            raise ValueError(render("def_money_unit_not_option", where=where, unit=item.unit, choices=f.choices))
    for level, value in (f.default.items() if isinstance(f.default, dict) else []):
        if value not in {o.code for o in options}:
            raise ValueError(render("def_money_default_unknown", code=f.code, value=value, level=level))


def _kept(since: str | None, version: object) -> bool:
    from packaging.version import Version

    return since is None or Version(since) <= version  # type: ignore[operator]


def _as_of(definition: ReportDefinition, version: str) -> ReportDefinition:
    from packaging.version import Version

    at = Version(version)
    past = definition.model_copy(deep=True)
    past.version = version
    past.sheets = [s for s in past.sheets if _kept(s.since, at)]
    sheets = {s.code for s in past.sheets}

    def prune(sections: list[Section]) -> list[Section]:
        out = []
        for section in sections:
            if not _kept(section.since, at):
                continue
            section.fields = [f for f in section.fields if _kept(f.since, at) and
                              definition.sheet_of(f) in sheets]
            section.children = prune(section.children)
            out.append(section)
        return out

    past.sections = prune(past.sections)
    past.ratios = [r for r in past.ratios if _kept(r.since, at)]
    return past


def _check_versions(definition: ReportDefinition, fields: Mapping) -> None:
    from packaging.version import InvalidVersion, Version

    try:
        current = Version(definition.version)
    except InvalidVersion:
        raise ValueError(render("def_version_invalid", version=definition.version)) from None
    _unique([v.version for v in definition.versions], render("def_what_versions"))
    sinces = [(f"trang «{s.code}»", s.since) for s in definition.sheets]
    sinces += [(render("def_where_section", code=s.code), s.since) for s in definition.walk_sections()]
    sinces += [(render("def_where_field", code=f.code), f.since) for f in fields.values()]
    sinces += [(render("def_where_ratio", code=r.code), r.since) for r in definition.ratios]
    for where, since in sinces:
        if since is None:
            continue
        try:
            if Version(since) > current:
                raise ValueError(render("def_since_newer", where=where, since=since, version=definition.version))
        except InvalidVersion:
            raise ValueError(render("def_since_invalid", where=where, since=since)) from None
    for past in definition.versions:
        try:
            if Version(past.version) >= current:
                raise ValueError(render("def_version_past_not_older", version=past.version,
                                        version2=definition.version))
        except InvalidVersion:
            raise ValueError(render("def_version_past_invalid", version=past.version)) from None
        for old, new in past.renamed.items():
            if new not in fields:
                raise ValueError(render("def_version_renamed_unknown", version=past.version, old=old, new=new))
        for code in past.moved:
            if code not in fields:
                raise ValueError(render("def_version_field_unknown", version=past.version, code=code))
            if fields[code].computed:
                raise ValueError(render("def_version_moved_computed", version=past.version, code=code))


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    dup = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    if dup:
        raise ValueError(render("def_duplicates", what=what, value=', '.join(dup)))


def _inherit_sheet(section: Section, parent_sheet: str | None, sheet_codes: list[str]) -> None:
    if section.sheet is None:
        section.sheet = parent_sheet
    if section.fields and section.sheet is None:
        raise ValueError(render("def_section_sheet_missing", code=section.code))
    if section.sheet is not None and section.sheet not in sheet_codes:
        raise ValueError(render("def_section_sheet_unknown", code=section.code, sheet=section.sheet))
    for child in section.children:
        _inherit_sheet(child, section.sheet, sheet_codes)


def check_expression_refs(where: str, node: expr.Node, fields: dict, tables: dict, lists: dict) -> None:
    _check_refs(where, node, fields, tables, lists)


def _check_refs(where: str, node: expr.Node, fields: Mapping, tables: dict, lists: dict,
                allow_dates: bool = False) -> None:
    missing = sorted(expr.field_refs(node) - set(fields))
    if missing:
        raise ValueError(render("def_expr_unknown_code", where=where, value=', '.join(missing)))
    for table, column in expr.column_refs(node):
        if table not in tables:
            raise ValueError(render("def_expr_unknown_table", where=where, table=table))
        if column not in {c.code for c in tables[table].columns}:
            raise ValueError(render("def_expr_unknown_column", where=where, table=table, column=column))
    bad_lists = sorted(expr.list_refs(node) - set(lists))
    if bad_lists:
        raise ValueError(render("def_expr_unknown_list", where=where, value=', '.join(bad_lists)))
    for code in expr.field_refs(node):
        if fields[code].type == "date" and allow_dates:
            continue
        if fields[code].type not in NUMERIC_TYPES:
            raise ValueError(render("def_expr_not_numeric", where=where, code=code))


def _check_rule(rule: Rule, fields: Mapping, tables: dict, lists: dict) -> None:
    where = render("def_where_rule", id=rule.id)
    if rule.check:
        lst = lists.get(rule.list_code)
        if lst is None:
            raise ValueError(render("def_rule_list_unknown", where=where, list_code=rule.list_code))
        cols = {c.code for c in lst.columns}
        for col in (rule.column, rule.type_column, rule.date_column):
            if col and col not in cols:
                raise ValueError(render("def_rule_list_column_unknown", where=where, list_code=rule.list_code, col=col))
        if rule.field and rule.field not in fields:
            raise ValueError(render("def_rule_field_unknown", where=where, field=rule.field))
        if rule.check == "number_format":
            if not rule.pattern:
                raise ValueError(render("def_rule_pattern_missing", where=where))
            try:
                rule.compiled_pattern  # noqa: B018 (compiled once, here: a bad pattern is the author's error)
            except (re.error, TypeError) as exc:
                raise ValueError(render("def_rule_pattern_invalid", where=where, detail=exc)) from None
        return
    if rule.table:
        table = tables.get(rule.table)
        if table is None:
            raise ValueError(render("def_rule_table_unknown", where=where, table=rule.table))
        cols = {c.code for c in table.columns}
        for side in (rule.left, rule.right):
            bad = sorted(expr.field_refs(expr.parse(side)) - cols)
            if bad:
                raise ValueError(render("def_rule_table_columns_unknown", where=where, table=rule.table,
                                        value=', '.join(bad)))
        return
    nodes = [expr.parse(side) for side in (rule.left, rule.right)]
    for node in nodes:
        _check_refs(where, node, fields, tables, lists, allow_dates=True)
    dates = sorted({code for node in nodes for code in expr.field_refs(node) if fields[code].type == "date"})
    if dates:  # two date fields, whole: told as dates and days; an empty one skips the rule
        if not all(isinstance(node, expr.Ref) and fields[node.code].type == "date" for node in nodes):
            raise ValueError(render("def_rule_date_sides", where=where, value=", ".join(dates)))
        if rule.missing == "never_skip":
            raise ValueError(render("def_rule_date_never_skip", where=where))


def _check_cycles(fields: Mapping[str, FieldDef]) -> None:
    state: dict[str, int] = {}

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            raise ValueError(render("def_formula_cycle", value=' → '.join(path + [code])))
        state[code] = 1
        f = fields[code]
        if f.formula:
            for ref in expr.field_refs(expr.parse(f.formula)):
                visit(ref, path + [code])
        state[code] = 2

    for code in fields:
        visit(code, [])
