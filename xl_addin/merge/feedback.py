"""One feedback workbook per submitted file (merged, rejected or superseded; none for skipped
entries), ready to send back to the unit.

``<unit code>_<file stem, slugged>_phan-hoi.xlsx`` (no code when the file has none that was
read and validated), in the submission's own sub-folder under the feedback folder. It says, in
this order: the outcome in one sentence (received on time, late by N days, never exported,
superseded by which file, rejected and why), what to do and by when (``--resubmit-by``; without
it «gửi lại sớm nhất có thể»), then the findings by the row's label and value. It never shows a
path of the receiving office: files are named by their own name only. A4 landscape, fit to the
page width, a page header with the sender and the period. Every text is written as text.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_atomic
from ..cells import a1
from ..definition.money import in_workbook_unit, is_money
from ..errors import CchcError, catalogue, render
from ..names import safe_file_name, slug
from ..ui import ui
from ..workbook.layout import compute_layout
from ..xmlescape import has_forbidden

if TYPE_CHECKING:
    from .collect import Submission
    from .results import MergeResult
    from .status import UnitStatus

MAX_STEM = 80
_WIDTHS = (5, 9, 32, 14, 56, 40)  # STT, Mức độ, Chỉ tiêu, Giá trị, Nội dung, Hướng dẫn sửa: one A4 width


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` characters wide (rows are not re-measured
    by every spreadsheet when a file is opened, so the writer sets their height)."""
    chars = max(1, int(width * 1.1))
    return max(1, sum(-(-max(1, len(part)) // chars) for part in str(text).split("\n")))


def feedback_name(sub: Submission) -> str:
    """``<unit code>_<file stem, slugged>_phan-hoi.xlsx``; the code only when the file had one.
    Every part is slugged (``names``): a code or name read from a file never becomes a path."""
    stem = slug(Path(sub.rel).stem)[:MAX_STEM].strip("-_.") or "tep"
    code = slug(sub.unit.get("code") or "")
    if code and not re.match(rf"^{re.escape(code)}(?:[_-]|$)", stem):
        stem = f"{code}_{stem}"
    return safe_file_name(f"{stem}_phan-hoi", ".xlsx")


def _target(folder: Path, sub: Submission, name: str) -> Path:
    """Where a file's feedback goes: the file's sub-folder under ``folder`` (a folder name the
    office's disk could not hold again — a control character, a trailing dot — slugged), never
    outside it."""
    parts = [p if _folder_name_ok(p) else slug(p, "_") for p in Path(sub.rel).parent.parts if p not in ("", ".")]
    target = folder.joinpath(*parts, name)
    root = os.path.realpath(folder)
    if not os.path.realpath(target).startswith(root.rstrip(os.sep) + os.sep):
        raise CchcError("output_name_unsafe", file=name, folder=folder)
    return target


def _folder_name_ok(part: str) -> bool:
    return part not in ("..",) and not has_forbidden(part) and not re.search(r'[<>:"/\\|?*]|[. ]$', part)


def _where(definition, cell: str) -> str:
    """The row a cell reference stands for, as the unit reads it on its own workbook."""
    layout = compute_layout(definition)
    sheet, _sep, ref = cell.partition("!")
    labels = _cell_labels(definition, layout)
    return labels.get((sheet, ref), sheet)


def _cell_labels(definition, layout) -> dict[tuple[str, str], str]:
    cached = getattr(layout, "_feedback_labels", None)
    if cached is not None:
        return cached
    fmap = definition.field_map()
    out: dict[tuple[str, str], str] = {}
    for code, pos in layout.fields.items():
        out[(pos.sheet, pos.ref)] = fmap[code].label
    ratios = definition.ratio_map()
    for code, pos in layout.ratios.items():
        out[(pos.sheet, pos.ref)] = ratios[code].label
    for block in layout.tables.values():
        table = block.definition
        for col in table.columns:
            c = block.columns.get(col.code)
            if c is None:
                continue
            for i in range(block.n_rows):
                row = table.rows[i].label if table.fixed else ui("merge.feedback_row").format(n=i + 1)
                out[(block.sheet, a1(block.first_row + i, c))] = f"{block.sheet} — {row} — {col.label}"
    for block in layout.lists.values():
        for i in range(block.capacity):
            for col in block.definition.columns:
                out[(block.sheet, a1(block.first_row + i, block.columns[col.code]))] = \
                    f"{block.definition.label} — {ui('merge.feedback_row').format(n=i + 1)} — {col.label}"
    layout._feedback_labels = out  # type: ignore[attr-defined]
    return out


def _shown(value: Any) -> str:
    from ..rules.engine import _fmt

    return _fmt(value)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "…"


class _Names:
    """Replaces every path of the receiving office in a text by the file's own name."""

    def __init__(self, result: MergeResult, subs: list[Submission]) -> None:
        self.pairs: list[tuple[str, str]] = []
        for s in subs:
            name = Path(s.rel).name
            self.pairs += [(s.path, name), (str(Path(s.path).resolve()), name), (s.rel, name)]
        self.pairs.sort(key=lambda p: len(p[0]), reverse=True)  # longest first
        self.folder = str(Path(result.folder).resolve()) if result.folder else None

    def __call__(self, text: Any) -> str:
        text = "" if text is None else str(text)
        for old, new in self.pairs:
            if old and old in text:
                text = text.replace(old, new)
        if self.folder and self.folder in text:
            text = text.replace(self.folder + "/", "").replace(self.folder, "")
        return text


def _by(result: MergeResult) -> str:
    if result.resubmit_by:
        return ui("merge.feedback_by_date").format(date=result.resubmit_by.strftime("%d/%m/%Y"))
    return ui("merge.feedback_by_soon")


def _sentences(result: MergeResult, sub: Submission, outcome: str, unit: UnitStatus | None,
               names: _Names) -> tuple[str, str]:
    """(what happened to the file, what to do and by when)."""
    text = ui("merge.feedback")
    own = Path(sub.rel).name
    deadline = result.deadline.strftime("%d/%m/%Y")
    by = _by(result)
    if outcome == "superseded":
        kept = names(sub.params.get("kept"))
        key = "identical" if sub.code == "merge_identical_copy" else "superseded"
        return text[key].format(file=own, kept=kept), text["nothing_to_do"]
    if outcome == "rejected":
        params = {k: names(v) for k, v in sub.params.items()} if sub.params else {}
        params["file"] = own
        if sub.code == "internal_error":
            reason = text["internal_error"]
        else:
            reason = render(sub.code, **params) if sub.code in catalogue() else names(sub.reason)
            reason = reason.removeprefix(f"{own}: ")
        action = text["actions"].get(sub.code, text["actions"]["default"]).format_map(_Blank(params))
        return text["rejected"].format(file=own, reason=reason), text["resend"].format(action=action, by=by)
    from .status import timing

    status, days = timing(sub.meta.get("exported_at"), result.deadline)
    when = sub.meta.get("exported_at")
    from .status import export_time

    exported = export_time(when)
    shown_when = exported.strftime("%H:%M %d/%m/%Y") if exported else ""
    if status == "on_time":
        first = text["on_time"].format(file=own, when=shown_when, deadline=deadline)
    elif status == "late":
        first = text["late"].format(file=own, when=shown_when, deadline=deadline, days=days)
    else:
        first = text["unknown_time"].format(file=own)
    if sub.errors:
        todo = text["fix_errors"].format(errors=sub.errors, by=by)
    elif sub.warnings:
        todo = text["check_warnings"].format(warnings=sub.warnings)
    else:
        todo = text["clean"]
    if status == "late":
        todo += " " + text["next_time_on_time"]
    elif status == "unknown_time":
        todo += " " + text["next_time_export"]
    return first, todo


def _write_one(result: MergeResult, sub: Submission, outcome: str, unit: UnitStatus | None, path: Path) -> None:
    import xlsxwriter

    names = _Names(result, [sub] + [s for s in result.merged + result.rejected + result.superseded
                                    if s.rel in (sub.params.get("kept"), sub.params.get("summary"))])
    first, todo = _sentences(result, sub, outcome, unit, names)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(ui("merge.feedback_sheet"))
    font = {"font_name": "Times New Roman"}
    title = wb.add_format({**font, "bold": True, "font_size": 13})
    bold = wb.add_format({**font, "bold": True, "font_size": 12, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({**font, "text_wrap": True, "valign": "top", "font_size": 11})
    head = wb.add_format({**font, "bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True,
                          "valign": "vcenter", "align": "center"})
    cell = wb.add_format({**font, "text_wrap": True, "valign": "top", "border": 1, "font_size": 11})
    tag = {imp: wb.add_format({**font, "text_wrap": True, "valign": "top", "border": 1, "bg_color": colour})
           for imp, colour in (("error", "#FFC7CE"), ("warning", "#FFEB9C"), ("info", "#DDEBF7"))}
    period = result.period.label
    labels = ui("merge.feedback")
    ws.merge_range(0, 0, 0, 5, "", title)
    ws.write_string(0, 0, ui("merge.feedback_title").format(period=period), title)
    unit_text = f"{sub.unit.get('code')} — {sub.unit.get('name')}" if sub.unit.get("code") else labels["no_unit"]
    for row, (label, value) in enumerate(((labels["from"], result.receiver.name), (labels["to"], unit_text),
                                          (labels["file"], Path(sub.rel).name)), start=1):
        ws.merge_range(row, 0, row, 1, "", bold)
        ws.write_string(row, 0, label, bold)
        ws.merge_range(row, 2, row, 5, "", wrap)
        ws.write_string(row, 2, value, wrap)
    for row, text in ((5, first), (6, todo)):
        ws.merge_range(row, 0, row, 5, "", bold if row == 5 else wrap)
        ws.write_string(row, 0, text, bold if row == 5 else wrap)
        ws.set_row(row, 16 * _lines(text, sum(_WIDTHS) * 0.95))
    findings = sub.findings if outcome != "superseded" else []
    if findings:
        ws.write_row(8, 0, list(ui("merge.feedback_columns")), head)
        ws.repeat_rows(8)
        for i, f in enumerate(findings, start=1):
            where, value = _finding_place(result, sub, f)
            texts = (where, value, names(f["message"]), names(f.get("instruction")))
            ws.write_number(8 + i, 0, i, cell)
            ws.write_string(8 + i, 1, ui(f"importance.{f['importance']}"), tag.get(f["importance"], cell))
            for col, text in enumerate(texts, start=2):
                ws.write_string(8 + i, col, text or "", cell)  # never a formula, whatever the text
            ws.set_row(8 + i, 15 * max(_lines(t or "", w) for t, w in zip(texts, _WIDTHS[2:], strict=True)))
    for col, width in enumerate(_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.6)
    header = f"&L{_escape_header(result.receiver.name)}&R{_escape_header(period)}"
    ws.set_header(header)
    ws.set_footer("&C" + ui("merge.page_footer"))
    wb.close()
    write_atomic(path, buf.getvalue())


def _escape_header(text: str) -> str:
    return str(text).replace("&", "&&")


def _finding_place(result: MergeResult, sub: Submission, finding: dict) -> tuple[str, str]:
    """(the row's label, its value) of a finding."""
    definition = result.definition
    fmap = definition.field_map()
    ratios = definition.ratio_map()
    places, values = [], []
    money_field = definition.money.field if definition.money is not None else None
    for code in finding.get("fields") or ():
        label = fmap[code].label if code in fmap else (ratios[code].label if code in ratios else None)
        if label is None:
            continue
        places.append(label)
        if code in fmap and is_money(definition, fmap[code]):
            # the read value (contract unit; a rule's values are too, a reading problem's are as
            # typed) shown in the unit the workbook types amounts in, with that unit
            shown = in_workbook_unit(definition, fmap[code], sub.values.get(code), sub.values.get(money_field))
            if shown is not None:
                values.append(shown.text)
            continue
        value = (finding.get("values") or {}).get(code, sub.values.get(code))
        if value is not None:
            values.append(_shown(value))
    if not places:
        places = list(dict.fromkeys(_where(definition, c) for c in finding.get("cells") or ()))
        values = [_shown(v) for v in (finding.get("values") or {}).values() if v is not None][:3]
    return "; ".join(places), "; ".join(values)


def write_feedback(result: MergeResult, folder: Path) -> list[Path]:
    """The feedback workbooks, one per merged, rejected or superseded file; their paths."""
    folder = Path(folder)
    units = {f["file"]: e for e in result.units for f in e.files}
    entries = [(s, "merged") for s in result.merged] + [(s, "rejected") for s in result.rejected] + \
              [(s, "superseded") for s in result.superseded]
    written: list[Path] = []
    used: set[Path] = set()
    for sub, outcome in sorted(entries, key=lambda p: p[0].rel):
        target = _target(folder, sub, feedback_name(sub))
        n = 2
        while target in used:
            base = Path(feedback_name(sub)).stem.removesuffix("_phan-hoi")
            target = _target(folder, sub, safe_file_name(f"{base}-{n}_phan-hoi", ".xlsx"))
            n += 1
        used.add(target)
        _write_one(result, sub, outcome, units.get(sub.rel), target)
        written.append(target)
    return written
