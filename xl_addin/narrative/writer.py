"""Build the report model from a workbook's values, lists and ratios.

The words live in ``workbook_templates/<id>/narrative/``: ``phrases.yaml`` (header, signature,
units of money, comparison phrases) and Jinja templates, one per outline section. The writer
walks the definition's sections, so a section or field added as data is narrated without
Python: a section with no template of its own, and every field, ratio or list a template does
not read, gets a generic sentence ("<label>: <value> <unit>"). An empty value is left out; a
typed 0 is told as zero ("không có"); a ratio with an empty part is never told (never "đạt 0%").
After a section's generated sentences comes its written part (the section text the clerk typed
on «Nội dung»), one paragraph per line, as typed; a section with neither keeps its heading only.

Templates write one block per line, marked by its first characters:
``# `` / ``## `` / ``### `` a heading of level 1–3; ``- `` and ``+ `` a list item (the dash or
plus is part of the text); ``> `` a list item printed without a marker (numbered items);
``! `` a warning line. Any other line is a paragraph, and a line without a marker that follows
a paragraph or a list item continues it (so a sentence can be written over several template
lines, one clause per line). A blank line ends a block.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.bccache import Bucket

from ..definition import expr
from ..definition.loader import DEFAULT_TEMPLATE, templates_root
from ..definition.models import NUMERIC_TYPES, FieldDef, Ratio, ReportDefinition, Section, TableDef
from ..definition.periods import Period, is_same_period_last_year, parse_period
from ..errors import CchcError
from ..memo import cached, freeze, frozen_by_contract
from ..merge.summary_layout import SummaryTable
from ..resources import cache_root
from ..rules.engine import Finding, validate
from ..rules.ratios import RatioResult, compute_ratios, ratio_value
from ..ui import ui, ui_text
from ..workbook.layout import section_numbers
from ..workbook.reader import WorkbookData, implausible_fields, read_workbook
from ..yamlio import SafeLoader
from . import fmt
from .model import Appendix, Block, Header, HeaderCell, Report, drop_control_characters
from .units import Units, units_of

_BUILTIN = Path(__file__).resolve().parents[2] / "workbook_templates" / DEFAULT_TEMPLATE / "narrative"

# a configured Jinja environment is only read (templates rendered) once _environment built it
frozen_by_contract(Environment)


def _parts_of(ratio: Ratio) -> set[str]:
    """The fields a ratio's numerator and denominator read."""
    return expr.field_refs(expr.parse(ratio.numerator)) | expr.field_refs(expr.parse(ratio.denominator))


# --------------------------------------------------------------------------- data files
def narrative_dir(definition: ReportDefinition) -> Path:
    folder = templates_root() / definition.id / "narrative"
    return folder if folder.is_dir() else _BUILTIN


@cached(maxsize=8)
def _phrases_cached(path: str, stamp: tuple) -> Mapping[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=SafeLoader) or {}
    return freeze(_nfc_tree(data))


def load_phrases(definition: ReportDefinition) -> Mapping[str, Any]:
    path = narrative_dir(definition) / "phrases.yaml"
    try:
        return _phrases_cached(str(path), (path.stat().st_mtime_ns,))
    except FileNotFoundError:
        raise CchcError("report_template_error", file=path, detail=ui("words.no_file")) from None
    except yaml.YAMLError as exc:
        raise CchcError("report_template_error", file=path, detail=str(exc).splitlines()[0]) from None


def _nfc_tree(node: Any) -> Any:
    if isinstance(node, str):
        return unicodedata.normalize("NFC", node)
    if isinstance(node, dict):
        return {k: _nfc_tree(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_nfc_tree(v) for v in node]
    return node


class _CompiledTemplates(FileSystemBytecodeCache):
    """The report's templates compiled once and kept in the user's cache folder: a fresh process (a
    `cchc` command, the add-in's first report) loads them instead of parsing and compiling them again.
    Jinja keys each by its path and checks its source's digest, so an edited template is compiled
    anew; a cache folder that cannot be written only costs the compiling."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled_templates() -> FileSystemBytecodeCache | None:
    folder = cache_root() / "narrative"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(folder), "%s.jinja")


@cached(maxsize=8)
def _environment(paths: tuple[str, ...]) -> Environment:
    env = Environment(loader=FileSystemLoader(list(paths), encoding="utf-8"), trim_blocks=True, lstrip_blocks=True,
                      undefined=StrictUndefined, autoescape=False, extensions=["jinja2.ext.do"],
                      bytecode_cache=_compiled_templates())
    # the templates' filter and variable names are identifiers of the .j2 files (keyword arguments)
    env.filters.update(dict(
        dem=_marked(fmt.count), so=_marked(fmt.plain), pt=_marked(fmt.percent), ngay=fmt.date_short,
        ty_le=_ratio_full, ty_le_so=_ratio_value, phan_so=_ratio_fraction,
        kem=_attach, sach=clean_item, thuong=lower_first, hoa=upper_first, trich_yeu=_subject, theo=_cover,
    ))
    env.filters["nhan"] = _choice_label
    env.globals.update({"so_sanh": _compare, "covers": _covers, "co_muc": _has_section, "ty_le_tinh": _ratio_of,
                        "tien": _money, "tien_cap": _money_pair, "nhom": _group, "co": _if_told})
    return env


def environment(definition: ReportDefinition) -> Environment:
    base = narrative_dir(definition)
    paths = []
    if definition.profile:
        paths.append(str(base / "profiles" / definition.profile))
    paths.append(str(base))
    return _environment(tuple(paths))


# --------------------------------------------------------------------------- text helpers
_SPACE_BEFORE = re.compile(r"\s+([,.;:)\]])")
_SPACE_AFTER = re.compile(r"([(\[])\s+")
_DOUBLE_PUNCT = re.compile(r"[,;](?=[;.:])")
_MARKER = re.compile(r"^\s*(?:[-+•*–]|\d{1,2}[.)])\s+")


def tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", " ".join(fmt.strip_covers(str(text))[0].split()))
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _SPACE_AFTER.sub(r"\1", text)
    return _DOUBLE_PUNCT.sub("", text).strip()


def lower_first(text: Any) -> str:
    text = str(text or "")
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():  # an acronym (CCHC, UBND) keeps its case
        return text
    return text[:1].lower() + text[1:]


def upper_first(text: Any) -> str:
    text = str(text or "")
    return text[:1].upper() + text[1:]


def clean_item(text: Any) -> str:
    """A clerk's line as a list item: one line, no marker of its own, no closing punctuation."""
    text = tidy(str(text or "").replace("\r", " ").replace("\n", " "))
    text = _MARKER.sub("", text)
    while text and text[-1] in ";,." and not text.endswith("..."):
        text = text[:-1].rstrip()
    return upper_first(text)


def _attach(text: Any, before: str = ", ", after: str = "") -> str:
    return f"{before}{text}{after}" if text else ""


# --------------------------------------------------------------------------- tracked access
class Tracked:
    """Values by code; every code a template reads is remembered (the rest get generic sentences)."""

    def __init__(self, mapping: dict[str, Any], seen: set[str], default: Any = None,
                 implies: dict[str, set[str]] | None = None) -> None:
        self._mapping = mapping
        self._seen = seen
        self._default = default
        self._implies = implies or {}

    def __getattr__(self, code: str) -> Any:
        if code.startswith("_"):
            raise AttributeError(code)
        self._seen.add(code)
        self._seen.update(self._implies.get(code, ()))
        value = self._mapping.get(code)
        if value is None and self._default is not None:
            return self._default(code)
        return value

    __getitem__ = __getattr__


def _empty_ratio(code: str) -> RatioResult:
    return RatioResult(code, "", None, None, None)


class Narrative:
    """Everything a template may need for one workbook (and the earlier one, for comparisons)."""

    def __init__(self, data: WorkbookData, previous: WorkbookData | None = None,
                 units: SummaryTable | None = None) -> None:
        self.data = data
        self.definition = data.definition
        self.phrases = load_phrases(self.definition)
        self.money = fmt.Money(self.phrases.get("tien_te", []))
        self.ratios = compute_ratios(data)
        self.fields = self.definition.field_map()
        # values validation found implausible, and what is computed from them: always marked
        self.suspect = implausible_fields(data)
        self.seen: set[str] = set()
        self.cited: list[str] = []  # the forms (tables) the body cites, in order: appended to the document
        self.period = _period(data)
        self.previous = previous
        self.prev_ratios = compute_ratios(previous) if previous is not None else {}
        self.prev_period = _period(previous) if previous is not None else None
        self.sections = {s.code for s in self.definition.walk_sections()}
        self.unit = _unit_names(data, self.phrases)
        self.summary = str(data.meta.get("kind") or "unit") == "summary"
        # a summary's units, read back from its Tổng hợp (completeness, coverage, ranges, findings)
        self.units = units_of(self.definition, data.meta, data.file, units) if self.summary else None
        self.lists = self._own_lists()
        self.typed_fields = {r.typed for r in self.definition.ratios if r.typed}
        # a template that tells a ratio tells its numerator and denominator too
        self.ratio_fields = {r.code: _parts_of(r) for r in self.definition.ratios}
        for code, refs in self.ratio_fields.items():
            if refs & self.suspect and code in self.ratios:
                self.ratios[code].suspect = True
        self.values = {k: fmt.Suspect(v) if k in self.suspect and isinstance(v, Decimal) else v
                       for k, v in data.values.items()}
        words = self.phrases.get("uoc_tinh", {})
        for f in self.fields.values():  # a figure stated approximately carries its word («khoảng»)
            if not f.qualifies:
                continue
            word = words.get(str(data.values.get(f.code) or ""))
            value = self.values.get(f.qualifies)
            if word and isinstance(value, Decimal):
                self.values[f.qualifies] = fmt.qualified(value, word, fmt.is_suspect(value))
        if self.units is not None:
            self._units_figures(self.units)

    def _units_figures(self, units: Units) -> None:
        """A summary's figures as its units reported them: a total only some units reported carries
        its coverage («5/12»), a figure each unit reports on its own the range of their values."""
        for code, cover in [*units.partial_totals().items(), *units.same_covers().items()]:
            value = self.values.get(code)
            if isinstance(value, Decimal):
                self.values[code] = fmt.covered(value, cover)
        for code, (low, high, cover) in units.spans().items():
            if self.values.get(code) is None:
                self.values[code] = fmt.span(low, high, cover)
        for code, cover in units.ratio_covers().items():
            if code in self.ratios:
                self.ratios[code].cover = cover  # type: ignore[attr-defined]  # told after its sentence

    def _own_lists(self) -> dict[str, list[dict]]:
        """The lists as the report tells them. A summary written before the units' items had their own
        sheet (Tổng hợp layout 1 or 2) holds them in its compiled lists as «<unit>: <item>»: those are
        not the office's own."""
        lists = self.data.lists
        if self.units is None or self.units.table.layout >= 3:
            return lists
        prefixes = tuple(f"{r.name}: " for r in self.units.table.rows if r.name)
        out = dict(lists)
        for lst in self.definition.lists:
            if lst.aggregate == "list" and lists.get(lst.code):
                key = lst.key_column.code
                out[lst.code] = [row for row in lists[lst.code] if not str(row.get(key) or "").startswith(prefixes)]
        return out

    # ---------------------------------------------------------------- context
    def context(self, **extra: Any) -> dict[str, Any]:
        period = self.period
        ctx = {
            "_nc": self,
            "v": Tracked(self.values, self.seen),
            "r": Tracked(self.ratios, self.seen, default=_empty_ratio, implies=self.ratio_fields),
            "ds": Tracked(self.lists, self.seen, default=lambda code: []),
            "bang": self.data.tables,
            "p": self.phrases,
            "ky": period.label if period else "",
            "ky_toi": period.next_label if period else "",
            # template variables (keyword names: the .j2 files' identifiers, some spelled like fields)
            **dict(nam=period.year if period else (self.data.stamped("period.year") or ""),
                   tu_ngay=self.data.stamped("period.from") or (period.start if period else None),
                   den_ngay=self.data.stamped("period.to") or (period.end if period else None),
                   # signed before the data window closes: the figures are estimates up to its last day
                   uoc=self.estimated()),
            "moc": self.window_end_text(),
            "ten": self.unit["ten"],
            "chu_the": self.unit["chu_the"],
            "loai_don_vi": self.unit["cfg"].get("ten_loai", ""),
            # the unit's own level («cấp huyện»); in a summary the units' own levels, whatever they are
            "cap_minh": self.phrases["cap_minh_tong_hop" if self.summary else "cap_minh"].format(
                loai=self.unit["cfg"].get("ten_loai", "")),
            **dict(can_cu=_one_line(self.value("basis"))),
            "co_so_sanh": self.previous is not None,
        }
        ctx.update(extra)
        return ctx

    def value(self, role: str) -> Any:
        """The value of the field that plays ``role`` in the header, signature or time phrases
        (``truong`` of phrases.yaml: the report's number, place, signing day, signer…)."""
        code = self.phrases["truong"].get(role)
        return self.data.values.get(code) if isinstance(code, str) else None

    def window_end(self) -> dt.date | None:
        return fmt.as_date(self.data.stamped("period.to")) or (self.period.end if self.period else None)

    def estimated(self) -> bool:
        """Signed before the data window's last day: the amounts are estimates up to that day."""
        signed, end = fmt.as_date(self.value("signed_on")), self.window_end()
        return signed is not None and end is not None and signed < end

    def window_end_text(self) -> str:
        """«đến ngày 14/6/2026», or «ước thực hiện đến ngày 14/6/2026» for a report signed earlier."""
        end = self.window_end()
        if end is None:
            return ""
        return self.phrases["uoc_thuc_hien" if self.estimated() else "moc_den_ngay"].format(ngay=fmt.date_short(end))

    def render(self, name: str, **extra: Any) -> str | None:
        env = environment(self.definition)
        try:
            template = env.get_template(name)
        except TemplateNotFound:
            return None
        except TemplateSyntaxError as exc:
            raise CchcError("report_template_error", file=exc.filename or name,
                            detail=ui_text("row", row=exc.lineno) + f": {exc.message}") from None
        try:
            return template.render(self.context(**extra))
        except CchcError:
            raise
        except TemplateError as exc:
            raise CchcError("report_template_error", file=template.filename or name, detail=str(exc)) from None

    def blocks(self, name: str, section: str | None = None, **extra: Any) -> list[Block]:
        text = self.render(name, **extra)
        return parse_blocks(text or "", section, self.phrases)

    # ---------------------------------------------------------------- comparisons
    def basis(self) -> str:
        words = self.phrases["so_sanh"]
        if self.period and self.prev_period and is_same_period_last_year(self.period, self.prev_period):
            return words["cung_ky"].format(nam=self.prev_period.year)
        return words["voi_ky_truoc"]

    def compare(self, code: str) -> str:
        if self.previous is None:
            return ""
        words = self.phrases["so_sanh"]
        moc = self.basis()
        if code in self.ratios:
            earlier = self.prev_ratios.get(code)
            ratio_now, ratio_before = self.ratios[code].value, earlier.value if earlier is not None else None
            if ratio_now is None or ratio_before is None:
                return ""
            points = ratio_now - ratio_before
            key = "tang_diem" if points > 0 else "giam_diem" if points < 0 else "bang_diem"
            return tidy(words[key].format(d=fmt.points(points), moc=moc))
        f = self.fields.get(code)
        if f is None or f.type not in NUMERIC_TYPES:
            return ""
        now, before = fmt.to_decimal(self.data.values.get(code)), fmt.to_decimal(self.previous.values.get(code))
        if now is None or before is None:
            return ""
        gap = now - before
        if gap == 0:
            return tidy(words["bang"].format(moc=moc))
        if f.type == "percent":
            key = "tang_diem" if gap > 0 else "giam_diem"
            return tidy(words[key].format(d=fmt.points(gap), moc=moc))
        if f.type == "money":
            amount, unit = self.money.one(abs(gap), f.unit), ""
        else:
            amount = fmt.count(abs(gap)) if f.type == "integer" else fmt.plain(abs(gap), f.decimals)
            unit = f.unit or ""
        if before > 0:
            share = fmt.percent(ratio_value(abs(gap), before))
            key = "tang" if gap > 0 else "giam"
            return tidy(words[key].format(d=amount, don_vi=unit, pt=share, moc=moc))
        return tidy(words["tang_khong_pt" if gap > 0 else "giam_khong_pt"].format(d=amount, don_vi=unit, moc=moc))

    # ---------------------------------------------------------------- values as text
    def mark(self, text: str, suspect: bool) -> str:
        """``text`` followed by «(cần kiểm tra lại)» when it states a value found implausible."""
        if not suspect or not text or text == fmt.MISSING:
            return text
        return f"{text} {self.phrases['can_kiem_tra']}"

    def figure(self, value: Any, shown: str, suspect: bool) -> str:
        """A figure's text as a sentence tells it: its word before («khoảng»), its mark after, and
        in a summary its coverage, said once at the end of its block."""
        return self.mark(fmt.with_word(shown, value), suspect) + fmt.cover_mark(fmt.cover_of(value))

    def number(self, value: Any, format_number, *args: Any) -> str:
        """``format_number(value)``; a summary's range of the units' values «từ 85% đến 99,5%»."""
        if isinstance(value, fmt.Span) and value.low != value:
            return self.phrases["tu_den"].format(thap=format_number(value.low, *args), cao=format_number(value, *args))
        return format_number(value, *args)

    def field_text(self, f: FieldDef, value: Any) -> str:
        shown = self.values.get(f.code, value)
        if f.type in NUMERIC_TYPES and f.type != "percent" and fmt.to_decimal(shown) == 0:
            # a typed 0, told as zero; in a summary with its coverage, like any figure
            return self.mark(self.phrases["khong_co"], f.code in self.suspect) + _cover(shown)
        return self.figure(shown, self.number(shown, lambda v: self._field_text(f, v)), f.code in self.suspect)

    def _field_text(self, f: FieldDef, value: Any) -> str:
        if f.type == "integer":
            text = fmt.count(value)
        elif f.type == "decimal":
            text = fmt.plain(value, f.decimals)
        elif f.type == "money":
            return self.money.one(value, f.unit)
        elif f.type == "percent":
            return fmt.percent(value)
        elif f.type == "date":
            return fmt.date_short(value)
        elif f.type == "choice":
            return _label_of(self.definition, f.choices, value)
        else:
            return _one_line(value)
        return f"{text} {f.unit}" if f.unit else text


def _one_line(value: Any) -> str:
    if value is None:
        return ""
    parts = [tidy(p) for p in str(value).replace("\r", "\n").split("\n")]
    return "; ".join(p.rstrip(";,") for p in parts if p).rstrip(".")


def _label_of(definition: ReportDefinition, choice_list: str | None, code: Any) -> str:
    if code is None:
        return ""
    if choice_list is None:
        return str(code)
    try:
        for opt in definition.choice_list(choice_list).options:
            if opt.code == code:
                return opt.label
    except KeyError:
        pass
    return str(code)


def _period(data: WorkbookData | None) -> Period | None:
    if data is None:
        return None
    code = data.period.get("code")
    if not code:
        return None
    start, end = fmt.as_date(data.stamped("period.from")), fmt.as_date(data.stamped("period.to"))
    try:
        return parse_period(code, data.definition, start, end)
    except CchcError:
        try:
            return parse_period(code, data.definition)
        except CchcError:
            return None


# --------------------------------------------------------------------------- jinja callables
def _nc(context) -> Narrative:
    return context["_nc"]


@pass_context
def _compare(context, code: str) -> str:
    return _nc(context).compare(code)


@pass_context
def _if_told(context, code: str) -> Any:
    """A value for ``{% if co("x") %}…{% endif %}``: marked as told only when it is a number other
    than 0 (or a text); a typed 0 is left to the generic sentence, which tells it as zero."""
    nc = _nc(context)
    value = nc.values.get(code)
    if value not in (None, "") and not (isinstance(value, (int, float, Decimal)) and value == 0):
        nc.seen.add(code)
    return value


@pass_context
def _covers(context, *codes: str) -> str:
    _nc(context).seen.update(codes)
    return ""


def _cover(value: Any) -> str:
    """A summary's figure's coverage mark alone, for a figure told in words («không có hồ sơ trả lại»
    + «(theo số liệu của 1/3 đơn vị)», said at its block's end); "" for any other value."""
    return fmt.cover_mark(fmt.cover_of(value))


@pass_context
def _has_section(context, code: str) -> bool:
    return code in _nc(context).sections


@pass_context
def _money(context, code: str) -> str:
    nc = _nc(context)
    nc.seen.add(code)
    f = nc.fields.get(code)
    value = nc.values.get(code)
    text = nc.number(value, nc.money.one, f.unit if f else None) if value is not None else fmt.MISSING
    return nc.figure(value, text, code in nc.suspect)


@pass_context
def _money_pair(context, first: str, second: str, sep: str = "/") -> str:
    nc = _nc(context)
    nc.seen.update((first, second))
    f = nc.fields.get(first)
    a, b = nc.data.values.get(first), nc.data.values.get(second)
    shown = nc.money.format([a, b], f.unit if f else None)
    cover = fmt.cover_mark(fmt.cover_of(nc.values.get(first)) or fmt.cover_of(nc.values.get(second)))
    return nc.mark(fmt.with_word(sep.join(shown), nc.values.get(first)),
                   first in nc.suspect or second in nc.suspect) + cover


@pass_context
def _ratio_of(context, numerator: Any, denominator: Any, unit: str | None = None) -> RatioResult:
    num, den = fmt.to_decimal(numerator), fmt.to_decimal(denominator)
    result = RatioResult("", "", num, den, ratio_value(num, den), unit,
                         suspect=fmt.is_suspect(numerator) or fmt.is_suspect(denominator))
    result.cover = fmt.cover_of(numerator) or fmt.cover_of(denominator)  # type: ignore[attr-defined]
    return result


@pass_context
def _group(context, rows: list[dict], list_code: str, column: str) -> list[dict]:
    """Rows of a list grouped by a choice column, in the choice list's order (documents by type)."""
    nc = _nc(context)
    lst = nc.definition.list_map().get(list_code)
    col = next((c for c in lst.columns if c.code == column), None) if lst else None
    options = nc.definition.choice_list(col.choices).options if col and col.choices else []
    order = {o.code: i for i, o in enumerate(options)}
    groups: dict[Any, dict] = {}
    for row in rows:
        key = row.get(column) if row.get(column) in order else None
        label = _label_of(nc.definition, col.choices, key) if key is not None and col else nc.phrases["nhom_khac"]
        groups.setdefault(key, {"ma": key, "nhan": label, "rows": []})["rows"].append(row)
    out = sorted(groups.values(), key=lambda g: order.get(g["ma"], len(order)))
    docs = nc.phrases["truong"]["documents"]
    for g in out:
        g["rows"].sort(key=lambda r: (fmt.as_date(r.get(docs["date"])) or dt.date.max,
                                      str(r.get(docs["number"]) or "")))
    return out


@pass_context
def _choice_label(context, code: Any, choice_list: str) -> str:
    return _label_of(_nc(context).definition, choice_list, code)


@pass_context
def _subject(context, text: Any, type_label: str = "") -> str:
    """A document's subject after its number and date: "về cải cách hành chính năm 2026"."""
    phrases = _nc(context).phrases
    t = clean_item(text)
    if type_label and t.casefold().startswith(type_label.casefold() + " "):
        t = t[len(type_label) + 1:]
    folded = t.casefold()
    for start in phrases["ve_viec"]:
        if folded.startswith(start.casefold() + " "):
            head = phrases["ve_viec"][0] if "/" in start else start
            return f"{head} {t[len(start) + 1:]}"
    return f"{phrases['ve']} {lower_first(t)}" if t else ""


@pass_context
def _ratio_value(context, result: RatioResult | None) -> str:
    if result is None or result.value is None:
        return ""
    return _nc(context).mark(fmt.percent(result.value), result.suspect) + _ratio_cover(result)


def _ratio_cover(result: RatioResult) -> str:
    """A summary's ratio built on totals only some units reported: its coverage, told after its block."""
    return fmt.cover_mark(getattr(result, "cover", ""))


def _ratio_fraction(result: RatioResult | None) -> str:
    if result is None or result.numerator is None or result.denominator is None:
        return ""
    return f"{fmt.plain(result.numerator)}/{fmt.plain(result.denominator)}"


@pass_context
def _ratio_full(context, result: RatioResult | None) -> str:
    """A ratio with its parts: 99,95% (1.904/1.905 hồ sơ); money in one unit: 42,24% (1.845.655.000 đồng/…)."""
    if result is None or result.value is None:
        return ""
    nc = _nc(context)
    money = nc.money
    if money.is_money_unit(result.unit):
        parts = money.format([result.numerator, result.denominator], result.unit)
        text = f"{fmt.percent(result.value)} ({'/'.join(parts)})"
    else:
        unit = f" {result.unit}" if result.unit else ""
        text = f"{fmt.percent(result.value)} ({_ratio_fraction(result)}{unit})"
    return nc.mark(text, result.suspect) + _ratio_cover(result)


def _marked(format_number):
    """A number filter that marks a value found implausible (or built on one)."""
    @pass_context
    def marked(context, value: Any, *args: Any) -> str:
        nc = _nc(context)
        return nc.figure(value, nc.number(value, format_number, *args), fmt.is_suspect(value))

    return marked


# --------------------------------------------------------------------------- blocks
_HEADING = re.compile(r"^(#{1,3}) (.*)$")
_END_PUNCT = ".:;!?)…»\"”"


def parse_blocks(text: str, section: str | None, phrases: Mapping[str, Any] | None = None) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            current = None
            continue
        m = _HEADING.match(line)
        if m:
            current = None
            blocks.append(Block("heading", len(m.group(1)), m.group(2), section))
            continue
        if line.startswith("! "):
            current = Block("warning", 1, line[2:], section)
        elif line.startswith("- ") or line.startswith("+ "):
            current = Block("list_item", 1 if line[0] == "-" else 2, line, section)
        elif line.startswith("> "):
            current = Block("list_item", 1, line[2:], section)
        elif current is not None and current.kind in ("paragraph", "list_item"):
            current.text += " " + line
            continue
        else:
            current = Block("paragraph", 1, line, section)
        blocks.append(current)
    out = []
    notes: list[list[str]] = []
    for b in blocks:
        b.text, covers = fmt.strip_covers(b.text)
        b.text = tidy(b.text)
        if b.text in ("", "-", "+"):
            continue
        out.append(b)
        notes.append(covers)
    _punctuate(out)
    if phrases is not None:
        _lead_covers(out, notes)
        for b, covers in zip(out, notes, strict=True):
            if covers:
                b.text = _with_cover(b.text, covers, phrases)
    return out


_CLOSING = ".;,:"  # the punctuation a sentence may end with, before its note


def _lead_covers(blocks: list[Block], notes: list[list[str]]) -> None:
    """Sub-items («+ …») that all carry the same coverage under a lead ending with «:» that carries
    none: the lead says it once, the items no more."""
    i = 0
    while i < len(blocks):
        j = i + 1
        while j < len(blocks) and blocks[j].kind == "list_item" and blocks[j].level == 2:
            j += 1
        items = notes[i + 1:j]
        if j - i > 2 and blocks[i].text.endswith(":") and not notes[i] and items[0] \
                and all(n == items[0] for n in items):
            notes[i] = items[0]
            for k in range(i + 1, j):
                notes[k] = []
        i = j


def _with_cover(text: str, covers: list[str], phrases: Mapping[str, Any]) -> str:
    """A block stating a summary's total only some units reported ends with its coverage, before
    its closing punctuation: «… là 1,2 tỷ đồng (theo số liệu của 5/12 đơn vị).»; one stating a
    figure that is each unit's («=», a ``same`` field) says so: «… (ở mỗi đơn vị).»"""
    each = [c for c in covers if c.startswith("=")]
    totals = list(dict.fromkeys([c for c in covers if not c.startswith("=")] + [c[1:] for c in each if c[1:]]))
    notes = [phrases["moi_don_vi"]] if each else []
    if len(totals) == 1:
        notes.append(phrases["theo_so_lieu"].format(phan=totals[0]))
    elif totals:
        notes.append(phrases["theo_so_lieu_nhieu"].format(phan=phrases["va"].join(totals)))
    end = len(text.rstrip(_CLOSING))
    return f"{text[:end]} {phrases['ghi_chu'].format(noi_dung='; '.join(notes))}{text[end:]}"


def _punctuate(blocks: list[Block]) -> None:
    """The last item of a list ends with a full stop; a paragraph always ends with punctuation."""
    for i, b in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if b.kind == "list_item" and (nxt is None or nxt.kind != "list_item"):
            if b.text.endswith(";") or b.text.endswith(","):
                b.text = b.text[:-1] + "."
            elif not b.text.endswith(tuple(_END_PUNCT)):
                b.text += "."
        elif b.kind == "paragraph" and not b.text.endswith(tuple(_END_PUNCT)):
            b.text += "."


# --------------------------------------------------------------------------- header
def _unit_names(data: WorkbookData, phrases: Mapping[str, Any]) -> dict[str, Any]:
    level = str(data.stamped("unit.level") or data.meta.get("unit_level") or "")
    cfg = phrases.get("cap_don_vi", {}).get(level, {})
    name = tidy(data.stamped("unit.name") or data.meta.get("unit_name") or "")
    for prefix in phrases.get("bo_tien_to", []):
        if name.casefold().startswith(prefix.casefold() + " "):
            name = name[len(prefix) + 1:].strip()
    kind = ""
    for word in phrases.get("loai_ten", []):
        if name.casefold().startswith(word.casefold() + " "):
            kind = name[: len(word)]
            break
    if not name:
        name = phrases["ten_don_vi_thieu"]
    if cfg.get("goi"):
        if kind:
            full = f"{cfg['goi']} {lower_first(name)}"
            short = f"{cfg['goi_tat']} {kind.lower()}"
        else:
            full = f"{cfg['goi']} {cfg.get('ten_loai', '')} {name}".replace("  ", " ")
            short = f"{cfg['goi_tat']} {cfg.get('ten_loai', '')}".strip()
        body = [cfg["co_quan"], name.upper()]
    else:
        full = name
        short = kind or upper_first(cfg.get("ten_loai", "")) or name
        body = [name.upper()]
    if str(data.meta.get("kind") or "unit") == "summary":
        # the numbers are the units' own, added up: the units did what the sentences tell
        territory = bool(cfg.get("goi")) and (kind or cfg.get("ten_loai"))
        short = (phrases.get("tong_hop_chu_the", "{loai}").format(loai=(kind or cfg.get("ten_loai", "")).lower())
                 if territory else phrases.get("tong_hop_chu_the_truc_thuoc", short))
    return {"level": level, "cfg": cfg, "name": name, "ten": full, "chu_the": short, "body": body}


def _place(unit: dict[str, Any], phrases: Mapping[str, Any]) -> str:
    """NĐ 30's place name: the unit's name without its type word («Huyện Đức Thọ» → «Đức Thọ»); a name
    that is a number keeps it («Phường 12», «Quận 1»). A name that is a person's or an event's
    («Phường Trần Hưng Đạo») cannot be told from the others: the clerk types it (dia_danh)."""
    name = unit["name"]
    for word in phrases.get("loai_ten", []):
        if name.casefold().startswith(word.casefold() + " "):
            rest = name[len(word):].strip()
            return name if rest.replace(" ", "").isdigit() else rest
    return name


def _header(nc: Narrative) -> Header:
    p = nc.phrases
    unit = nc.unit
    number = tidy(nc.value("number") or unit["cfg"].get("ky_hieu") or "/BC-")
    so = (p["so_chua_cap"] if number.startswith("/") else p["so_hieu"]).format(so=number)
    place = tidy(nc.value("place") or "") or (_place(unit, p) if unit["cfg"].get("goi") else p["dia_danh_thieu"])
    parts = fmt.date_parts(nc.value("signed_on"))
    if parts:
        line = p["dia_danh_ngay"].format(dia_danh=place, **parts)
    else:
        year = nc.period.year if nc.period else p["nam_thieu"]
        line = p["dia_danh_ngay_trong"].format(dia_danh=place, nam=year)
    chu_quan = tidy(nc.value("parent_body") or "").upper() or None
    return Header(co_quan_chu_quan=chu_quan, co_quan=unit["body"], so_ky_hieu=so, quoc_hieu=p["quoc_hieu"],
                  tieu_ngu=p["tieu_ngu"], dia_danh_ngay=line)


def _signature(nc: Narrative) -> list[str]:
    p, unit = nc.phrases, nc.unit
    cfg = unit["cfg"]
    how = p["ky_theo"]  # the signing authorities' codes by how they sign
    on_behalf, for_head, acting = how["on_behalf"], how["for_head"], how["acting"]
    head = cfg.get("nguoi_dung_dau", "")
    title = tidy(nc.value("signer_title") or "").upper() or head
    chosen = nc.value("authority")
    authority = chosen or (on_behalf if cfg.get("tap_the") else how["direct"])
    prefixes = p["tham_quyen"]
    deputy = p["cap_pho"]
    collegial = cfg.get("tap_the")
    if title.startswith(deputy) and (authority == on_behalf or not chosen):
        # NĐ 30: a deputy signs for the head, never "TM." or their title alone:
        # "TM. … / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"; a Sở's "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
        authority = for_head
    lines: list[str] = []
    if authority == on_behalf:
        if collegial:
            lines.append(f"{prefixes[on_behalf]} {collegial}")
        lines.append(title)
    elif authority == for_head:
        boss = title[len(deputy):] if title.startswith(deputy) else head
        if collegial:
            lines.append(f"{prefixes[on_behalf]} {collegial}")
        lines += [f"{prefixes[for_head]} {boss}", title]
    elif authority in how["by_order"]:  # signed by order / under delegation: "TL. CHỦ TỊCH" / the signer's title
        lines += [f"{prefixes[authority]} {head}", title]
    elif authority == acting:
        if collegial:
            lines.append(f"{prefixes[on_behalf]} {collegial}")
        lines.append(f"{prefixes[acting]} {title[len(deputy):] if title.startswith(deputy) else title}")
    else:
        lines.append(title)
    return [tidy(x) for x in lines if x]


def _recipients(nc: Narrative) -> list[str]:
    p = nc.phrases
    key = None
    code = p["truong"]["recipients"]
    lst = nc.definition.list_map().get(code)
    if lst is not None:
        key = lst.key_column.code
    items = [clean_item(row.get(key)) for row in nc.data.lists.get(code, [])] if key else []
    items = [i for i in items if i]
    keep = [i for i in items if i.casefold().startswith(p["luu_bat_dau"].casefold())]
    items = [i for i in items if i not in keep]
    last = (keep[-1].rstrip(".") + ".") if keep else p["luu"]
    return [f"- {i};" for i in items] + [f"- {last}"]


def _kinh_gui(nc: Narrative) -> list[str]:
    raw = nc.value("addressees")
    if not raw:
        return []
    parts = re.split(r"[\n;]+", str(raw))
    return [clean_item(x) for x in parts if clean_item(x)]


# --------------------------------------------------------------------------- sections
def _section_blocks(nc: Narrative, section: Section, depth: int, numbers: dict[str, str]) -> list[Block]:
    if not section.outline:
        return []
    p = nc.phrases
    overrides = p.get("tieu_de_muc", {})
    title = section.title
    if section.code in overrides and nc.period:
        title = overrides[section.code].format(ky_toi_hoa=nc.period.next_label.upper(), ky_hoa=nc.period.label.upper())
    number = numbers.get(section.code, "")
    heading = f"{number}. {title}" if depth == 0 and number else (f"{number} {title}" if number else title)
    out = [Block("heading", min(depth + 1, 3), tidy(heading), section.code)]
    nc.seen.clear()
    body = nc.blocks(f"sections/{section.code}.j2", section.code, muc=section)
    body += _generic(nc, section)
    body += written_part(nc, section)
    has_lists = any(lst.section == section.code for lst in nc.definition.lists)
    if not body and not section.children and nc.definition.text_field_of(section.code) is None:
        # a section with a written part and nothing to tell keeps its heading only (validation says so)
        body = [Block("paragraph", 1,
                      p["chua_co_noi_dung"] if has_lists and not section.fields else p["chua_co_so_lieu"],
                      section.code)]
    out += body
    for child in section.children:
        out += _section_blocks(nc, child, depth + 1, numbers)
    return out


def written_part(nc: Narrative, section: Section) -> list[Block]:
    """The section text the clerk typed, after the generated sentences: one paragraph per line,
    each kept as typed (never read as a template)."""
    f = nc.definition.text_field_of(section.code)
    text = nc.data.values.get(f.code) if f is not None else None
    if not isinstance(text, str):
        return []
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [Block("paragraph", 1, " ".join(line.split()), section.code) for line in lines if line.strip()]


def _generic_fields(nc: Narrative, section: Section) -> list[str]:
    """A sentence for each field of the section its template did not tell."""
    text: list[str] = []
    written = nc.definition.text_field_of(section.code)
    typed_for = {r.typed: r.code for r in nc.definition.ratios if r.typed}
    for f in section.fields:
        if f.code in nc.seen or f.computed or f is written or f.qualifies:
            continue  # a figure's qualifier is told with the figure
        if f.code in typed_for and nc.ratios[typed_for[f.code]].value is not None:
            continue  # a typed ratio is told only when the tool cannot compute it from its parts
        value = nc.values.get(f.code)  # in a summary, a figure the units report one by one: their range
        if _is_blank(value):
            continue
        text.append(nc.render("chung/truong.j2", nhan=_plain_label(nc, f.label), gia_tri=nc.field_text(f, value)) or "")
    return text


def _plain_label(nc: Narrative, label: str) -> str:
    """A field's label as a report says it: without the notes meant for the clerk ("(nếu có, để đối chiếu)")."""
    for note in nc.phrases.get("bo_ghi_chu_nhan", []):
        label = label.replace(note, "")
    return label.strip()


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _generic(nc: Narrative, section: Section) -> list[Block]:
    """Sentences for what the section's template did not read: nothing a clerk typed is lost."""
    code = section.code
    text = _generic_fields(nc, section)
    for ratio in nc.definition.ratios:
        if ratio.section != code or ratio.code in nc.seen:
            continue
        result = nc.ratios.get(ratio.code)
        if result is None or result.value is None:
            continue
        text.append(nc.render("chung/ty_le.j2", nhan=ratio.label, kq=result) or "")
    for lst in nc.definition.lists:
        if lst.section != code or lst.code in nc.seen:
            continue
        rows = nc.data.lists.get(lst.code) or []
        lines = []
        for row in rows:
            cells = []
            for col in lst.columns:
                value = row.get(col.code)
                if value is None or value == "":
                    continue
                if col.type == "date":
                    cells.append(fmt.date_short(value))
                elif col.type == "choice":
                    cells.append(_label_of(nc.definition, col.choices, value))
                elif col.type in NUMERIC_TYPES:
                    cells.append(fmt.plain(value))
                else:
                    cells.append(clean_item(value))
            if cells:
                lines.append(", ".join(cells))
        if lines:
            text.append(nc.render("chung/danh_sach.j2", nhan=lst.label, dong=lines) or "")
    for table in nc.definition.tables:
        if table.section != code or table.code in nc.seen:
            continue
        rows = nc.data.tables.get(table.code) or []
        filled = any(v is not None for row in rows for k, v in row.items() if k not in ("row", table.label_column.code))
        if filled:
            name = table.form_number or table.title
            if name.isupper():
                name = name[:1] + name[1:].lower()
            text.append(nc.render("chung/bang.j2", ten=name) or "")
            nc.cited.append(table.code)
    return parse_blocks("\n\n".join(text), code, nc.phrases)


# --------------------------------------------------------------------------- appendices
def _header_cells(table: TableDef) -> tuple[list[HeaderCell], int, int]:
    """The form's column headings as merged cells (groups over their columns, a column's own label
    down to the last heading row), then the row of column numbers (1) (2) (3)…"""
    depth = max((len(c.groups) for c in table.columns), default=0) + 1
    leading = ([""] if not table.fixed else []) + [table.label_column.label]
    cells = [HeaderCell(text, 0, i, rowspan=depth) for i, text in enumerate(leading)]
    if not table.fixed:
        cells[0].text = "STT"
    first = len(leading)
    cols = table.columns
    for level in range(depth):
        i = 0
        while i < len(cols):
            groups = cols[i].groups
            if level < len(groups):
                j = i
                while j + 1 < len(cols) and cols[j + 1].groups[: level + 1] == groups[: level + 1]:
                    j += 1
                cells.append(HeaderCell(groups[level], level, first + i, colspan=j - i + 1))
                i = j + 1
            else:
                if level == len(groups):
                    cells.append(HeaderCell(cols[i].label, level, first + i, rowspan=depth - level))
                i += 1
    n = first + len(cols)
    cells += [HeaderCell(f"({k + 1})", depth, k) for k in range(n)]
    return cells, depth + 1, n


def _cell_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return fmt.plain(value)
    return tidy(str(value))


def _appendix(nc: Narrative, table: TableDef) -> Appendix:
    p = nc.phrases["phu_luc"]
    rows = nc.data.tables.get(table.code) or []
    header, header_rows, _n = _header_cells(table)
    body: list[list[str]] = []
    if table.fixed:
        by_code = {row.get("row"): row for row in rows}
        for row_def in table.rows:
            row = by_code.get(row_def.code, {})
            body.append([row_def.label] + [_cell_text(row.get(c.code)) for c in table.columns])
    else:
        for i, row in enumerate(rows, start=1):
            body.append([str(i), _cell_text(row.get(table.label_column.code))]
                        + [_cell_text(row.get(c.code)) for c in table.columns])
    total = None
    if table.total_row:
        sums = nc.data.table_totals.get(table.code) or {}
        total = ([""] if not table.fixed else []) + [table.total_row] + [_cell_text(sums.get(c.code))
                                                                          for c in table.columns]
    number = tidy(nc.value("number") or nc.unit["cfg"].get("ky_hieu") or "")
    so = (p["so_chua_cap"] + number) if number.startswith("/") else number
    signed = fmt.as_date(nc.value("signed_on"))
    kem = (p["kem_theo_ngay"] if signed else p["kem_theo"]).format(so=so, ngay=fmt.date_short(signed),
                                                                   ten=nc.unit["ten"])
    lines = [kem, p["don_vi"].format(ten=nc.unit["ten"])]
    if nc.period:
        start = nc.data.stamped("period.from") or nc.period.start
        end = nc.data.stamped("period.to") or nc.period.end
        lines.append(p["ky"].format(ky=upper_first(nc.period.label), tu=fmt.date_short(start), den=fmt.date_short(end)))
    widths = ([9.0] if not table.fixed else []) + [float(table.label_column.width or 34)]
    widths += [float(c.width or 11) for c in table.columns]
    numeric = ([False] if not table.fixed else []) + [False] + [c.numeric for c in table.columns]
    if not table.fixed:
        numeric[0] = True
    return Appendix(table.code, table.form_number, table.title, table.subtitle, lines, table.unit_label, header,
                    header_rows, widths, numeric, body, total, table.note)


def appendices(nc: Narrative) -> list[Appendix]:
    """The forms the body cites, in the order it cites them, each once."""
    tables = nc.definition.table_map()
    seen: list[str] = []
    for code in nc.cited:
        if code in tables and code not in seen:
            seen.append(code)
    return [_appendix(nc, tables[code]) for code in seen]


# --------------------------------------------------------------------------- the report
def _load(data: WorkbookData | str | Path) -> WorkbookData:
    return data if isinstance(data, WorkbookData) else read_workbook(Path(data))


def _warnings(nc: Narrative, errors: list[Finding]) -> list[Block]:
    """The warning block: contradictions first, one by one; the inputs left empty together, by label.
    In a summary each contradiction names the units whose own reports fail it (they correct and
    resend), and an implausible total is told by its label, the units named."""
    p = nc.phrases
    limit = int(p.get("canh_bao_toi_da", 12))
    missing = [f for f in errors if f.rule in ("required", "required_list")]
    others = [f for f in errors if f not in missing]
    labels = {f.code: f.label for f in nc.definition.fields()}
    labels.update({lst.code: lst.label for lst in nc.definition.lists})
    units = nc.units
    unreported: list[str] = []
    if units is not None:  # a summary's empty figure the merge adds up: no unit reported it
        added = {f.code for f in nc.definition.fields() if f.aggregate in ("sum", "same", "max")}
        unreported = [labels.get(f.fields[0], f.fields[0]) for f in missing if f.fields and f.fields[0] in added]
        missing = [f for f in missing if not (f.fields and f.fields[0] in added)]
    names = [labels.get(f.fields[0], f.fields[0]) if f.fields else f.message for f in missing]
    loi: list[Any] = others[:limit]
    resend: list[str] = []
    if units is not None:
        loi = []
        for f in others[:limit]:
            behind = units.behind(f.rule, f.fields)
            resend += behind
            implausible = f.rule == "value_implausible_units" and f.fields
            loi.append({"message": f.message, "don_vi": behind,
                        "bat_thuong": labels.get(f.fields[0], f.fields[0]) if implausible else None})
    return nc.blocks("canh_bao.j2", None, so_loi=len(errors), loi=loi, con_lai=max(0, len(others) - limit),
                     thieu=names[:limit], thieu_con_lai=max(0, len(names) - limit), so_thieu=len(names),
                     tong_hop=units is not None, gui_lai=list(dict.fromkeys(resend)), chua_bao_cao=unreported)


def build_report(data: WorkbookData | str | Path, previous: WorkbookData | str | Path | None = None,
                 units: SummaryTable | None = None) -> Report:
    """The whole report of one workbook; ``previous`` (an earlier workbook) adds comparisons.
    A summary's report reads its units from its Tổng hợp: ``units`` when the caller read it (the
    ribbon, through its port), else from the summary's file."""
    book = _load(data)
    earlier = _load(previous) if previous is not None else None
    if earlier is not None and earlier.definition.id != book.definition.id:
        raise CchcError("report_previous_mismatch", file=earlier.file, template=book.definition.id)
    nc = Narrative(book, earlier, units)
    p = nc.phrases
    findings = validate(book)
    errors = [f for f in findings if f.importance == "error"]
    blocks: list[Block] = []
    if errors:
        blocks += _warnings(nc, errors)
    blocks += nc.blocks("mo_dau.j2", None)
    if nc.units is not None:  # a summary says how complete it is, right after the opening
        blocks += nc.blocks("tong_hop.j2", None, **nc.units.completeness())
    numbers = section_numbers(nc.definition)
    outline = []
    for section in nc.definition.sections:
        if section.outline:
            blocks += _section_blocks(nc, section, 0, numbers)
            outline += [s.code for s in section.walk() if s.outline]
    closing = tidy(nc.render("ket_thuc.j2") or "")
    while closing and closing[-1] in ".;,:":
        closing = closing[:-1].rstrip()
    closing += p["dau_ket_thuc"]
    period = nc.period
    if period:
        subject = p["tieu_de"].format(ky=period.label, ky_toi=period.next_label)
    else:
        subject = p["tieu_de_khong_ky"]
    report = Report(
        header=_header(nc), title=nc.definition.kind_label, trich_yeu=subject, kinh_gui=_kinh_gui(nc),
        kinh_gui_label=p["nhan_kinh_gui"], blocks=blocks, closing=closing, recipients_label=p["nhan_noi_nhan"],
        recipients=_recipients(nc), signature=_signature(nc), signer=tidy(nc.value("signer") or ""),
        errors=len(errors), period_code=book.period.get("code") or "", unit_code=book.unit["code"],
        unit_name=book.unit["name"], sections=outline, appendices=appendices(nc))
    report.dropped_control_characters = drop_control_characters(report)
    return report
