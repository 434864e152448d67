"""``cchc merge``: classify every file, aggregate the accepted ones, write the summary.

Every entry of the folder ends in exactly one of: merged, rejected (with a reason code),
skipped (not a submission) or superseded (an older or identical copy). Nothing is lost
silently; submitted files are only read.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import vnnum
from ..definition.loader import DEFAULT_TEMPLATE, load_definition
from ..definition.models import ReportDefinition
from ..definition.periods import Period, parse_period, submission_deadline
from ..definition.units import Unit, load_units
from ..errors import CchcError, render
from ..rules.ratios import NO_DATA
from ..ui import ui, ui_text
from .aggregate import aggregate, unit_values
from .collect import Submission, discover, read_all
from .outliers import far_from_peers, implausible, jumps
from .results import Duplicate, MergeResult
from .status import REPORTED, unit_statuses
from .summary_layout import UnitRow


def _reject(sub: Submission, code: str, /, **params: Any) -> Submission:
    sub.status, sub.code, sub.reason = "rejected", code, render(code, file=sub.rel, **params)
    sub.params = {"file": sub.rel, **params}
    return sub


def _stamp_key(sub: Submission) -> tuple[str, int]:
    exported = sub.meta.get("exported_at")
    counter = sub.meta.get("submission_counter")
    try:
        counter = int(counter or 0)
    except (TypeError, ValueError):
        counter = 0
    return (str(exported or ""), counter)


def resolve_duplicates(subs: list[Submission], result: MergeResult) -> list[Submission]:
    groups: dict[tuple[str, str], list[Submission]] = collections.OrderedDict()
    for s in subs:
        groups.setdefault(s.unit_key, []).append(s)
    kept: list[Submission] = []
    for key, group in groups.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        code = key[1]
        by_hash: dict[str, Submission] = {}
        superseded: list[str] = []
        for s in group:
            if s.sha256 in by_hash:
                first = by_hash[s.sha256]
                s.status, s.code = "superseded", "merge_identical_copy"
                s.reason = render("merge_identical_copy", file=s.rel, kept=first.rel)
                s.params = {"file": s.rel, "kept": first.rel}
                result.superseded.append(s)
                superseded.append(s.rel)
            else:
                by_hash[s.sha256] = s
        distinct = list(by_hash.values())
        if len(distinct) == 1:
            kept.append(distinct[0])
            result.duplicates.append(Duplicate(code, distinct[0].rel, superseded, False))
            continue
        keys = sorted(((_stamp_key(s), s) for s in distinct), key=lambda p: p[0], reverse=True)
        best_key, best = keys[0]
        unique = best_key != ("", 0) and keys[1][0] != best_key
        if unique:
            kept.append(best)
            for _k, s in keys[1:]:
                s.status, s.code = "superseded", "merge_superseded"
                s.reason = render("merge_superseded", file=s.rel, code=code, kept=best.rel)
                s.params = {"file": s.rel, "code": code, "kept": best.rel}
                result.superseded.append(s)
                superseded.append(s.rel)
            result.duplicates.append(Duplicate(code, best.rel, superseded, False))
        else:
            names = [s.rel for s in distinct]
            for s in distinct:
                _reject(s, "merge_conflict", code=code, others=", ".join(n for n in names if n != s.rel))
                result.rejected.append(s)
            result.duplicates.append(Duplicate(code, None, superseded + names, True))
    return kept


def _receiver(units: list[Unit] | None, receiver_code: str | None, definition: ReportDefinition,
              period: Period) -> tuple[Unit, list[Unit]]:
    """The receiving unit (from the list, or named after its code) and the units expected to report.

    A receiver the list does not hold gets the level the listed units report to in the period's era
    (``level_eras[].receivers``), else the era's top level."""
    def made(code: str | None) -> Unit:
        name = ui_text("merge.receiver_name", code=code) if code else ui("merge.receiver_unnamed")
        return Unit(code or "TONGHOP", name, _receiver_level(definition, period, units or []))

    if units:
        if receiver_code:
            found = [u for u in units if u.code == receiver_code]
            receiver = found[0] if found else made(receiver_code)
        else:
            parents = {u.parent_code for u in units if u.parent_code}
            found = [u for u in units if u.code in parents]
            receiver = found[0] if len(found) == 1 else made(next(iter(parents)) if len(parents) == 1 else None)
        expected = [u for u in units if u.code != receiver.code]
        return receiver, expected
    return made(receiver_code), []


def _receiver_level(definition: ReportDefinition, period: Period, units: list[Unit]) -> str:
    era = definition.level_era(period)
    if era is None:
        return ""
    found = collections.Counter(era.receivers[u.level] for u in units if u.level in era.receivers).most_common(1)
    if found:
        return found[0][0]
    return next((level for level in era.levels if level not in era.receivers), "")


def _check_straddle(readable: list[Submission], definition: ReportDefinition, period: Period,
                    units: list[Unit] | None) -> None:
    """A period across the change (Q3-2025, 9T-2025, N-2025) merges the new units' reports; a
    district-era unit or a district summary among them cannot be added to those."""
    if not period.straddles_reorganisation:
        return
    old = [s.rel for s in readable
           if s.period.get("code") == period.code and _of_earlier_era(s, definition, period, units)]
    if old:
        raise CchcError("merge_straddles_reorganisation", period=period.code, start=f"{period.start:%d/%m/%Y}",
                        end=f"{period.end:%d/%m/%Y}", files=", ".join(old[:5]) + (" …" if len(old) > 5 else ""))


def _of_earlier_era(sub: Submission, definition: ReportDefinition, period: Period, units: list[Unit] | None) -> bool:
    """A file of a unit (or a summary by a unit) that belongs to the era before ``period``'s: a level
    the era does not have (a district, its summary, a district department), a parent of such a
    level, or the earlier era's code list."""
    from ..workbook.build import level_of_code

    era = definition.level_era(period)
    if era is None:
        return False
    level = str(sub.unit.get("level") or "")
    if level and level not in era.levels:
        return True
    parent = str(sub.unit.get("parent_code") or "")
    listed = {u.code: u.level for u in units or []}
    parent_level = listed.get(parent) or level_of_code(definition, parent)
    if parent_level and parent_level not in era.levels:
        return True
    code_list = str(sub.unit.get("code_list") or "")
    return bool(code_list) and code_list != era.code_list


TAMPER_REJECTED = frozenset({
    # changes that can move or replace a value: rows or columns inserted or deleted (the locked
    # labels and formulas move), a name re-pointed or deleted, a sheet removed or reordered, a
    # formula replaced; a past version's structure changed
    "tamper_label_changed", "tamper_formula_replaced", "tamper_formula_changed", "tamper_name_moved",
    "tamper_name_missing", "tamper_sheet_removed", "tamper_sheet_order", "tamper_structure_changed"})
# merged and flagged: tamper_protection_removed, tamper_workbook_unlocked, tamper_validation_changed,
# tamper_sheet_added, workbook_resaved (LibreOffice, WPS)


CELL_KINDS = frozenset({"tamper_label_changed", "tamper_formula_replaced", "tamper_formula_changed"})


def _value_sheets(sub: Submission) -> set[str]:
    """The sheets that hold values in the file's template (a label changed on the instructions
    sheet moves nothing)."""
    from ..workbook.layout import compute_layout
    from ..workbook.reader import data_sheets

    key = (sub.template.get("id") or DEFAULT_TEMPLATE, sub.template.get("profile"))
    hit = _VALUE_SHEETS.get(key)
    if hit is None:
        try:
            hit = set(data_sheets(compute_layout(load_definition(key[0], profile=key[1]))))
        except CchcError:
            hit = set()
        _VALUE_SHEETS[key] = hit
    return hit


_VALUE_SHEETS: dict[tuple, set[str]] = {}


def tampered_kinds(sub: Submission) -> list[str]:
    """The changes found in a file that can move or replace a value (cell-level ones count on the
    sheets that hold values; a sheet renamed, removed or reordered, a name moved anywhere)."""
    kinds = set()
    for f in sub.findings:
        rule = f["rule"]
        if rule not in TAMPER_REJECTED:
            continue
        if rule in CELL_KINDS and not any(c.split("!", 1)[0] in _value_sheets(sub) for c in f["cells"]):
            continue
        kinds.add(rule)
    return sorted(kinds)


def _tamper_policy(readable: list[Submission], rejected: list[Submission], accept: bool) -> list[Submission]:
    """A file whose layout was changed in a way that can move or replace a value is rejected
    (``merge_tampered_layout``), unless ``--accept-tampered``: then it was read through its own
    defined names (``read_workbook(by_names=True)`` in the worker) and is merged, flagged."""
    kept = []
    for s in readable:
        kinds = tampered_kinds(s)
        if not kinds:
            kept.append(s)
            continue
        first = next(f["message"] for f in s.findings if f["rule"] in kinds)
        detail = f"{', '.join(kinds)}; {first[:200]}"
        other_build = any(f["rule"] == "template_build_differs" for f in s.findings)
        if accept:
            s.notes.append(render("merge_tampered_accepted", file=s.rel, detail=detail))
            kept.append(s)
        elif other_build:  # intact as its own build made it: the template changed, not the file
            rejected.append(_reject(s, "merge_template_build_differs", detail=detail))
        else:
            rejected.append(_reject(s, "merge_tampered_layout", detail=detail))
    return kept


def can_receive(level: str | None, period: Period, definition: ReportDefinition) -> bool:
    """Whether a unit of ``level`` may send a lower-level summary for ``period``: its level is one
    that others report to in the period's era (the definition's ``level_eras`` receivers: a district
    until 30/6/2025, only the province from 1/7/2025). A commune that sets kind = summary in its
    meta sheet is refused here. A definition without eras judges no level."""
    era = definition.level_era(period)
    if era is None or not era.receivers:
        return True
    return str(level or "") in set(era.receivers.values())


def _descendants(units: list[Unit], code: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for u in units:
        children.setdefault(u.parent_code, []).append(u.code)
    out, todo = set(), [code]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _summaries_in_scope(candidates: list[Submission], result: MergeResult,
                        units: list[Unit] | None) -> list[Submission]:
    """A lower-level summary is accepted only from a unit that can receive in the period and, with
    a unit list, only for units under it."""
    kept = []
    for s in candidates:
        if s.kind != "summary":
            kept.append(s)
            continue
        code = str(s.unit.get("code"))
        if not can_receive(s.unit.get("level"), result.period, result.definition):
            result.rejected.append(_reject(s, "merge_summary_level", code=code, level=s.unit.get("level"),
                                           period=result.period.code))
            continue
        if units is not None:
            # a listed unit must be under the summary's unit; units the list does not name (a
            # province's list of districts does not name their communes) cannot be judged by it
            under, listed = _descendants(units, code), {u.code for u in units}
            outside = [r.code for r in s.summary_units if r.code in listed and r.code not in under]
            if outside:
                shown = ", ".join(outside[:10]) + ("…" if len(outside) > 10 else "")
                result.rejected.append(_reject(s, "merge_summary_units_outside", code=code, outside=shown))
                continue
        kept.append(s)
    return kept


def _direct_wins(accepted: list[Submission], result: MergeResult) -> list[Submission]:
    """A unit's own file always wins over a lower-level summary's row for it. A summary's totals
    cannot be split by unit (its tables and lists are sums already), so a summary holding a unit
    that also sent its own file is set aside whole (``merge_hierarchy_conflict``, the conflict
    listed per unit); its other units then show as not covered. A unit in two summaries: the
    second summary is set aside the same way."""
    direct = {str(s.unit.get("code")): s for s in accepted if s.kind != "summary"}
    merged = [s for s in accepted if s.kind != "summary"]
    covered: dict[str, Submission] = {}
    for s in sorted((s for s in accepted if s.kind == "summary"), key=lambda s: s.rel):
        # a unit the summary lists as missing or rejected is not in its totals: no conflict
        codes = [r.code for r in s.summary_units if r.reported]
        clash = {c: direct[c] for c in codes if c in direct}
        clash.update({c: covered[c] for c in codes if c in covered and c not in clash})
        if clash:
            shown = ", ".join(sorted(clash)[:10]) + ("…" if len(clash) > 10 else "")
            sources = ", ".join(sorted({w.rel for w in clash.values()})[:5])
            result.rejected.append(_reject(s, "merge_hierarchy_conflict", code=shown, direct=sources))
            for c, winner in sorted(clash.items()):
                result.duplicates.append(Duplicate(c, winner.rel, [s.rel], True))
            continue
        covered.update({c: s for c in codes})
        merged.append(s)
    order = {id(s): i for i, s in enumerate(accepted)}
    return sorted(merged, key=lambda s: order[id(s)])


def check_previous_file(previous: Path) -> None:
    """``--previous`` must be a readable workbook within the limits (its period is checked later)."""
    from ..workbook.reader import check_is_xlsx

    check_is_xlsx(previous).close()


def _is_period(code: Any, definition) -> bool:
    try:
        parse_period(str(code or ""), definition)
    except CchcError:
        return False
    return True


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies under it (links and ``..`` resolved)."""
    path, folder = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return path == folder or folder in path.parents


def check_outputs(folder: Path, output: Path | None, feedback: Path | None) -> None:
    """Refuse, before anything is read, outputs that could land on or among the inputs: ``-o``
    equal to or inside the input folder, ``--feedback`` inside it (or holding it), ``-o`` inside
    ``--feedback``; and a summary that is not an .xlsx."""
    if output is not None and not Path(output).is_dir() and Path(output).suffix.lower() != ".xlsx":
        raise CchcError("merge_output_not_xlsx", output=output)
    if output is not None and _inside(output, folder):
        raise CchcError("merge_output_inside_input", output=output, inside=folder)
    if feedback is not None and (_inside(feedback, folder) or _inside(folder, feedback)):
        raise CchcError("merge_output_inside_input", output=feedback, inside=folder)
    if output is not None and feedback is not None and _inside(output, feedback):
        raise CchcError("merge_output_inside_input", output=output, inside=feedback)


def run_merge(folder: Path, output: Path | None = None, units_path: Path | None = None, period_code: str | None = None,
              deadline: dt.date | None = None, previous: Path | None = None, feedback: Path | None = None,
              reject_errors: bool = False, receiver_code: str | None = None, workers: int | None = None,
              progress: Callable[[int], Callable[[Submission], None]] | None = None,
              exclude_implausible: bool = False, resubmit_by: dt.date | None = None,
              accept_tampered: bool = False) -> MergeResult:
    """Merge every returned workbook of ``folder``.

    ``output``: the summary file, or a folder to write ``tong-hop_<period>.xlsx`` into (an existing
    file of that name is replaced only when it is a summary of the same period). No summary is
    written when no file was merged (``result.merged`` empty, ``result.output`` None)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CchcError("file_not_found", file=folder)
    check_outputs(folder, output, feedback)
    if previous is not None:
        check_previous_file(Path(previous))
    files, skipped = discover(folder)
    units = load_units(units_path) if units_path else None
    tick = progress(len(files)) if progress else None
    subs = read_all(folder, files, workers=workers, progress=tick, by_names=accept_tampered)
    readable = [s for s in subs if s.status == "read"]
    rejected = [s for s in subs if s.status == "rejected"]
    readable = _tamper_policy(readable, rejected, accept_tampered)
    # which template and period this merge is about
    if not readable and not period_code:
        if not files and not skipped:
            raise CchcError("merge_no_files", folder=folder)
        away = [*rejected, *skipped]
        reasons = "\n".join(grouped_reasons(away))
        exc = CchcError("merge_nothing_readable", folder=folder, rejected=len(rejected), skipped=len(skipped),
                        reasons=reasons)
        exc.entries = away  # type: ignore[attr-defined]  # still listed by --json
        raise exc
    templates = collections.Counter((s.template.get("id"), s.template.get("version"), s.template.get("profile"))
                                    for s in readable)
    template = templates.most_common(1)[0][0] if templates else (DEFAULT_TEMPLATE, None, None)
    definition = load_definition(template[0] or DEFAULT_TEMPLATE, profile=template[2])
    period = _period(period_code, readable, definition, rejected + skipped)
    definition = definition.for_period(period)  # the summary carries the forms of the merged period
    _check_straddle(readable, definition, period, units)
    receiver, expected = _receiver(units, receiver_code, definition, period)
    days = definition.deadline_working_days
    result = MergeResult(definition, period, receiver, deadline or submission_deadline(period, days),
                         skipped=skipped, rejected=rejected, expected=expected, units_listed=units is not None,
                         resubmit_by=resubmit_by, folder=folder)
    candidates = _classify(result, readable, template, units is not None, reject_errors)
    candidates = _summaries_in_scope(candidates, result, units)
    result.merged = _direct_wins(resolve_duplicates(candidates, result), result)
    result.notes = [note for s in result.merged for note in s.notes]
    excluded: dict[str, set[str]] = {}
    if exclude_implausible:
        result.excluded = implausible(definition, result.merged)
        for o in result.excluded:
            excluded.setdefault(o.field, set()).add(o.unit)
    target = summary_path(output, period) if output and result.merged else None
    lineage = None
    if target:
        from .summary import LineageJob

        lineage = LineageJob(result, excluded)  # the lineage sheet is built alongside what follows
    try:
        return _finish(result, excluded, previous, target, feedback, lineage)
    finally:
        if lineage is not None:
            lineage.close()


def grouped_reasons(subs: list[Submission], files_shown: int = 5) -> list[str]:
    """The reasons files were turned away, one line per reason code: how many files, the first
    file's reason, the other files named (the first few)."""
    from ..ui import ui

    words = ui("console")
    by_code: dict[str, list[Submission]] = {}
    for s in subs:
        by_code.setdefault(s.code, []).append(s)
    lines = []
    for group in by_code.values():
        lines.append("✗ " + words["reason_group"].format(count=len(group), reason=group[0].reason))
        rest = [s.rel for s in group[1:]]
        if rest:
            shown = ", ".join(rest[:files_shown]) + (" …" if len(rest) > files_shown else "")
            lines.append(words["reason_more"].format(count=len(rest), files=shown))
    return lines


def _period(period_code: str | None, readable: list[Submission], definition: ReportDefinition,
            unreadable: list[Submission]) -> Period:
    if period_code:
        return parse_period(period_code, definition)
    # the period most files are of; a file whose period code is not a period (an edited meta
    # sheet) does not get to choose: it is rejected later as being of another period
    periods: collections.Counter = collections.Counter()
    for s in readable:
        code = s.period.get("code")
        if code in periods or _is_period(code, definition):
            periods[code] += 1
    if not periods:
        exc = CchcError("merge_no_period")
        exc.entries = unreadable  # type: ignore[attr-defined]  # still listed by --json
        raise exc
    return parse_period(periods.most_common(1)[0][0], definition)


def _classify(result: MergeResult, readable: list[Submission], template: tuple, listed: bool,
              reject_errors: bool) -> list[Submission]:
    """The readable files that may be merged; the others rejected with their reason."""
    period = result.period
    expected_codes = {u.code for u in result.expected}
    candidates = []
    for s in readable:
        if (s.template.get("id"), s.template.get("version"), s.template.get("profile")) != template:
            version = f"{s.template.get('version')} ({s.template.get('profile') or 'chung'})"
            result.rejected.append(_reject(s, "template_unknown", template=s.template.get("id"), version=version))
        elif s.period.get("code") != period.code:
            result.rejected.append(_reject(s, "merge_period_mismatch", found=s.period.get("code"),
                                           expected=period.code))
        elif listed and str(s.unit.get("code")) not in expected_codes:
            result.rejected.append(_reject(s, "merge_unit_unknown", code=s.unit.get("code"), name=s.unit.get("name")))
        elif s.blank:
            result.rejected.append(_reject(s, "merge_blank_workbook", code=s.unit.get("code"), name=s.unit.get("name")))
        elif reject_errors and s.errors:
            first = next((f["message"] for f in s.findings if f["importance"] == "error"), "")
            result.rejected.append(_reject(s, "merge_validation_errors", count=s.errors, first=first[:160]))
        else:
            candidates.append(s)
    return candidates


def summary_path(output: Path, period: Period) -> Path:
    """Where the summary goes. A folder: ``tong-hop_<period>.xlsx`` inside it, replacing an existing
    file of that name only when it is a summary of the same period (else ``merge_output_exists``)."""
    output = Path(output)
    if not output.is_dir():
        return output
    target = output / f"tong-hop_{period.code}.xlsx"
    if target.exists() and not _is_summary_of(target, period):
        raise CchcError("merge_output_exists", file=target, period=period.code)
    return target


def _is_summary_of(path: Path, period: Period) -> bool:
    from ..workbook.grid import open_calamine, sheet_grid
    from ..workbook.layout import META_SHEET
    from ..workbook.reader import read_meta_grid

    try:
        book = open_calamine(path)
        if META_SHEET not in book.sheet_names:
            return False
        meta = read_meta_grid(sheet_grid(book, META_SHEET))
    except (CchcError, OSError, ValueError):
        return False
    return str(meta.get("kind") or "") == "summary" and str(meta.get("period_code") or "") == period.code


def _finish(result: MergeResult, excluded: dict[str, set[str]], previous: Path | None, target: Path | None,
            feedback: Path | None, lineage) -> MergeResult:
    definition = result.definition
    result.aggregate = aggregate(definition, result.merged, excluded)
    result.units = unit_statuses(result)
    rows = []
    for e in result.units:
        if e.via is not None:
            continue  # shown inside its summary's own Tổng hợp; here it is that summary's unit
        values = unit_values(definition, e.submission) if e.status in REPORTED and e.submission else {}
        rows.append(UnitRow(e.code, e.name, e.status, e.days_late, e.level, e.errors if e.reported else None, values,
                            e.expected, failed_rules(e.submission) if e.reported else []))
    result.aggregate.units = rows
    files = {e.code: e.submission.rel for e in result.units if e.submission is not None}
    before: dict[str, UnitRow] = {}
    if previous:
        check_previous(Path(previous), result)
        before = previous_rows(Path(previous))
        result.carry_over = carry_over_checks(before, result)
    outliers = implausible(definition, result.merged) + jumps(definition, rows, before, files) \
        + far_from_peers(definition, rows, files)
    result.outliers = sorted(outliers, key=lambda o: (o.unit, o.field, o.kind))
    if target:
        from .summary import write_summary

        result.output = write_summary(result, target, lineage, excluded)
    if feedback:
        from .summary import write_feedback

        result.feedback = write_feedback(result, Path(feedback))
    return result


def failed_rules(sub: Submission | None) -> list[str]:
    """The codes of the rules a submission's own report fails (errors), once each, sorted: the
    summary's report names the units behind each of its own findings by them."""
    if sub is None:
        return []
    return sorted({str(f.get("rule")) for f in sub.findings if f.get("importance") == "error" and f.get("rule")})


UNIT_LIST_NAMES = ("danh-sach-don-vi.xlsx", "danh-sach-don-vi.csv")  # the ribbon's unit list, beside the folder


def units_beside(folder: Path) -> Path | None:
    """The unit list kept beside a folder of returned files (the ribbon's merge has no --units)."""
    for name in UNIT_LIST_NAMES:
        candidate = Path(folder).resolve().parent / name
        if candidate.is_file():
            return candidate
    return None


def check_previous(previous: Path, result: MergeResult) -> None:
    """``--previous`` must be a summary (kind = summary) of a period that ended before this one began."""
    from ..workbook.reader import read_workbook

    data = read_workbook(previous)  # the pre-flight and every sheet's limits, like any other file
    kind = str(data.meta.get("kind") or "unit")
    if kind != "summary":
        raise CchcError("merge_previous_not_summary", file=previous, kind=kind)
    code = str(data.period.get("code") or "")
    try:
        before = parse_period(code, result.definition)
    except CchcError:
        before = None
    if before is None or before.end >= result.period.start:
        raise CchcError("merge_previous_period", file=previous, found=code or "?", period=result.period.code)


def previous_rows(path: Path) -> dict[str, UnitRow]:
    """The unit rows of the previous period's summary (``--previous``), by unit code."""
    from ..workbook.reader import check_is_xlsx
    from .summary_layout import read_file

    check_is_xlsx(path)
    return {row.code: row for row in read_file(path).rows}


def carry_over_checks(before: dict[str, UnitRow], result: MergeResult) -> list[str]:
    """Soft rule (domain.md §6.2): a value carried from the previous period (``carry_from``, e.g.
    this period's carry-over) equals what the previous period's summary holds for that unit."""
    fmap = result.definition.field_map()
    carried = [f for f in fmap.values() if f.carry_from]
    flags = []
    for row in result.aggregate.units:
        last_row = before.get(row.code)
        if not last_row or not row.reported or not last_row.reported:
            continue
        for f in carried:
            current, last = row.values.get(f.code), last_row.values.get(f.carry_from)
            if current is None or last is None or Decimal(str(current)) == Decimal(str(last)):
                continue
            source = fmap.get(f.carry_from)
            flags.append(render("merge_carry_over", unit=row.name, label=f.label,
                                source=source.label if source else f.carry_from,
                                current=vnnum.number(Decimal(str(current))), previous=vnnum.number(Decimal(str(last)))))
    return flags


__all__ = ["run_merge", "MergeResult", "NO_DATA"]
