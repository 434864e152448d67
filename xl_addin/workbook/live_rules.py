"""Which rules the workbook checks by itself (live checks, ``live.py``), and the rows of its checks
sheet, in order. Below ``layout`` (which numbers the checks sheet's rows) and ``live`` (which
writes their formulas): it imports neither."""

from __future__ import annotations

from ..definition import expr
from ..definition.models import FieldDef, Ratio, ReportDefinition, Rule
from ..errors import catalogue
from ..memo import per_object
from ..ui import ui


# --------------------------------------------------------------------------- which rules are live
def not_live_reason(rule: Rule, definition: ReportDefinition) -> str | None:
    """Why a rule cannot be a live check (None: it can)."""
    if rule.check:
        return "list_check"
    if rule.levels is not None and level_field(definition) is None:
        return "levels"
    if rule.table:
        for side in (rule.left, rule.right):
            for n in expr.walk(expr.parse(side)):
                if isinstance(n, (expr.Call, expr.Count, expr.Col)) or (isinstance(n, expr.Bin) and n.op == "/"):
                    return "table_function"
    return None


def live_rules(definition: ReportDefinition) -> list[Rule]:
    """The rules of this definition (and profile) that the workbook checks by itself, in order."""
    return [r for r in definition.rules_for(None) if not_live_reason(r, definition) is None]


def manual_rules(definition: ReportDefinition) -> list[Rule]:
    """The rules only the rule engine checks (the add-in's Kiểm tra số liệu, cchc check)."""
    return [r for r in definition.rules_for(None) if not_live_reason(r, definition) is not None]


def ratio_checks(definition: ReportDefinition) -> list[tuple[Rule, Ratio, str]]:
    """The ratio catalogue's checks as rows of the checks sheet, in the rule engine's terms: a share
    above 100 % (``<code>_tren_100``) and a typed ratio against the computed one (``<code>_ty_le_nhap``:
    the engine's ``_ty_le_nhap_sai`` or ``_sai_so_lam_tron``). Each comes as (record, ratio, kind)."""
    def build() -> list[tuple[Rule, Ratio, str]]:
        texts = ui("live")
        out = []
        for ratio in definition.ratios:
            if ratio.share:
                out.append((Rule(id=f"{ratio.code}_tren_100", name=texts["share_name"].format(label=ratio.label),
                                 instruction=texts["share_help"], importance="error", left=ratio.code,
                                 operator="<=", right="100"), ratio, "share"))
            if ratio.typed:
                out.append((Rule(id=f"{ratio.code}_ty_le_nhap", name=texts["typed_name"].format(label=ratio.label),
                                 instruction=catalogue()["finding_ratio_mismatch"]["action"], importance="error",
                                 left=ratio.typed, operator="==", right=ratio.code), ratio, "typed"))
        return tuple(out)

    return per_object(definition, "live_ratio_checks", build)


def check_ids(definition: ReportDefinition) -> list[str]:
    """Every row of the checks sheet, in order: the live rules, then the ratio checks."""
    return [r.id for r in live_rules(definition)] + [r.id for r, _ratio, _kind in ratio_checks(definition)]


def level_field(definition: ReportDefinition) -> FieldDef | None:
    """The field stamped with the unit's level (its cell holds the level's label)."""
    return next((f for f in definition.fields() if f.stamp == "unit.level" and f.choices), None)


def level_labels(definition: ReportDefinition) -> dict[str, str]:
    return definition.level_labels() if level_field(definition) else {}
