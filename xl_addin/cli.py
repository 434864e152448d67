"""The ``cchc`` command line: a thin skin over the package's functions.

Convention: ``--out DIR`` for folders, ``-o FILE`` for one file. Messages are Vietnamese;
errors never show a traceback (details go to a log file) and give a non-zero exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import CchcError, default_log, log_exception, render
from .resources import DEFAULT_TEMPLATE
from .ui import ui, ui_text

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help=ui("commands.app_help"))
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_USAGE = 2
EXIT_INTERNAL = 3


def log_path() -> Path:
    return default_log()


def _log_exception(context: str) -> Path:
    return log_exception(log_path(), context)


def handled(exit_code: int = 1) -> Callable:
    """Turn ``CchcError`` into a Vietnamese message and exit code; never show a traceback."""

    def deco(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except CchcError as exc:
                err.print(f"[bold red]{ui('importance.error')}:[/] {exc.message}", markup=True)
                err.print(f"→ {exc.action}")
                raise typer.Exit(exit_code) from None
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except Exception:
                path = _log_exception(func.__name__)
                err.print(render("internal_error", file=" ".join(sys.argv[1:]), log=path))
                raise typer.Exit(EXIT_INTERNAL) from None

        return wrapper

    return deco


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def _date(value: str | None, what: str) -> dt.date | None:
    """A date typed on the command line: ``YYYY-MM-DD`` or ``DD/MM/YYYY``; an error names the option."""
    if value is None:
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CchcError("option_date_invalid", option=what, value=value)


def _option(option: str, check: Callable[[], object]) -> object:
    """Run ``check`` (reading what an option names); a failure names the option typed."""
    try:
        return check()
    except CchcError as exc:
        raise CchcError("option_invalid", option=option, detail=f"{exc.message} {exc.action}") from None


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# --------------------------------------------------------------------------- build
@app.command()
@handled()
def build(
    units: Path = typer.Option(..., "--units", help=ui("commands.build.units")),
    period: str = typer.Option(..., "--period", help=ui("commands.build.period")),
    out_dir: Path = typer.Option(..., "--out", help=ui("commands.build.out_dir")),
    profile: str | None = typer.Option(None, "--profile", help=ui("commands.build.profile")),
    date_from: str | None = typer.Option(None, "--from", help=ui("commands.build.date_from")),
    date_to: str | None = typer.Option(None, "--to", help=ui("commands.build.date_to")),
    previous: Path | None = typer.Option(None, "--previous", help=ui("commands.build.previous")),
    template: str = typer.Option(DEFAULT_TEMPLATE, "--template", help=ui("commands.build.template")),
) -> None:
    """Tạo một sổ tính cho mỗi đơn vị trong danh sách."""
    from .definition.loader import load_definition
    from .definition.periods import parse_period
    from .definition.units import load_units
    from .workbook.build import build_unit_workbooks

    definition = load_definition(template, profile=profile)
    per = parse_period(period, definition, _date(date_from, "--from"), _date(date_to, "--to"))
    unit_list = load_units(units, definition)
    with _progress() as progress:
        task = progress.add_task(ui("commands.build.progress"), total=len(unit_list))
        results = build_unit_workbooks(definition, unit_list, per, out_dir, previous,
                                       progress=lambda _u: progress.advance(task))
    carried = sum(r.carried for r in results)
    out.print(ui_text("commands.build.done", count=len(results), label=per.label, start=per.start, end=per.end,
                      out_dir=out_dir))
    if previous:
        out.print(ui_text("commands.build.carried", carried=carried, count=len(results)))
        texts = sum(r.texts for r in results)
        if texts:
            from .errors import render

            out.print(render("build_carried_texts", texts=texts, units=sum(1 for r in results if r.texts)))


# --------------------------------------------------------------------------- fields
@app.command()
@handled()
def fields(
    as_json: bool = typer.Option(False, "--json", help=ui("commands.json")),
    profile: str | None = typer.Option(None, "--profile", help=ui("commands.fields.profile")),
    period: str | None = typer.Option(None, "--period",
                                         help=ui("commands.fields.period")),
    template: str = typer.Option(DEFAULT_TEMPLATE, "--template", help=ui("commands.build.template")),
) -> None:
    """Từ điển trường: mã, nhãn, trang, ô, kiểu, đơn vị tính, mục."""
    import datetime as dt

    from .definition.loader import load_definition
    from .definition.periods import parse_period
    from .resources import templates_source
    from .workbook.layout import compute_layout

    root, source = templates_source()
    definition = load_definition(template, profile=profile)
    definition = definition.for_period(parse_period(period, definition) if period else dt.date.today())
    layout = compute_layout(definition)
    rows = []
    for f in definition.fields():
        pos = layout.fields[f.code]
        rows.append({"code": f.code, "label": f.label, "sheet": pos.sheet, "cell": pos.ref, "type": f.type,
                     "unit": f.unit, "section": f.section, "required": f.required,
                     "computed": f.computed, "aggregate": f.aggregate, "formula": f.formula,
                     "required_levels": sorted(f.required_levels) or None, "since": f.since})
    if as_json:
        _print_json({"template": {"id": definition.id, "version": definition.version, "profile": definition.profile},
                     "definitions": {"path": str(root), "source": source},
                     "fields": rows,
                     "lists": {c: {"sheet": b.sheet, "range": b.range_ref(False), "columns": list(b.columns)}
                               for c, b in layout.lists.items()},
                     "tables": {c: {"sheet": b.sheet, "range": b.range_ref(False), "columns": list(b.columns),
                                    "rows": b.row_codes or None} for c, b in layout.tables.items()}})
        return
    table = Table(*ui("commands.fields.columns"), show_lines=False)
    for r in rows:
        table.add_row(r["code"], r["label"], r["sheet"], r["cell"],
                      r["type"] + (ui("commands.fields.computed") if r["computed"] else ""),
                      r["unit"] or "", r["section"])
    out.print(table)
    out.print(render("definitions_used", path=root, source=ui(f"definitions_source.{source}")))


# --------------------------------------------------------------------------- fill / read
@app.command()
@handled()
def fill(
    workbook: Path = typer.Argument(..., help=ui("commands.fill.workbook")),
    data: Path = typer.Option(..., "--data", help=ui("commands.fill.data")),
    output: Path = typer.Option(..., "-o", "--output", help=ui("commands.fill.output")),
) -> None:
    """Ghi giá trị theo mã trường vào sổ tính."""
    from .workbook.fill import fill_workbook

    try:
        payload = json.loads(data.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CchcError("file_not_found", file=data) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CchcError("data_unreadable", file=data, detail=str(exc)[:200]) from None
    fill_workbook(workbook, payload, output)
    out.print(ui_text("commands.written", output=output))


@app.command()
@handled(exit_code=2)
def read(
    workbook: Path = typer.Argument(..., help=ui("commands.read.workbook")),
    as_json: bool = typer.Option(False, "--json", help=ui("commands.json")),
) -> None:
    """Đọc mọi trường của sổ tính theo mã (ô tự tính được tính lại, không tin giá trị lưu sẵn)."""
    from .workbook.reader import read_workbook

    data = read_workbook(workbook)
    payload = data.to_json()
    if as_json:
        _print_json(payload)
        return
    out.print(ui_text("commands.read.heading", code=payload['unit']['code'], name=payload['unit']['name'],
                      period=payload['period']['code']))
    for code, value in payload["values"].items():
        if value is not None:
            out.print(f"  {code} = {value}")
    for p in payload["problems"]:
        err.print(f"  [yellow]![/] {p['message']}", markup=True)


# --------------------------------------------------------------------------- validate / ratios
@app.command()
@handled(exit_code=2)
def validate(
    files: list[Path] = typer.Argument(..., help=ui("commands.validate.files")),
    as_json: bool = typer.Option(False, "--json", help=ui("commands.json")),
) -> None:
    """Kiểm tra số liệu theo các luật của mẫu. Mã thoát: 0 không lỗi, 1 có lỗi, 2 có tệp không đọc được."""
    from .rules.engine import summary
    from .rules.engine import validate as run
    from .workbook.reader import read_workbook

    results = []
    worst = 0
    for path in files:
        try:
            data = read_workbook(path)
        except CchcError as exc:
            results.append({"file": str(path), "error": exc.message, "findings": []})
            worst = 2
            continue
        findings = run(data)
        results.append({"file": str(path), "error": None, "findings": [f.to_dict() for f in findings]})
        if summary(findings)["error"] and worst < 1:
            worst = 1
    if as_json:
        _print_json(results)
    else:
        for item in results:
            _print_findings(item)
    raise typer.Exit(worst)


def _print_findings(item: dict) -> None:
    if item["error"]:
        err.print(f"[bold red]✗[/] {item['error']}", markup=True)
        return
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in item["findings"]:
        counts[f["importance"]] += 1
    out.print(ui_text("commands.validate.counts", file=item['file'], error=counts['error'], warning=counts['warning'],
                      info=counts['info']))
    for f in item["findings"]:
        label = ui(f"importance.{f['importance']}")
        tag = {"error": f"[red]{label}[/]", "warning": f"[yellow]{label}[/]"}.get(f["importance"], label)
        out.print(f"  {tag} {', '.join(f['cells'])}: {f['message']}", markup=True)


@app.command()
@handled(exit_code=2)
def check(
    file: Path | None = typer.Argument(None, help=ui("commands.check.file")),
    out_dir: Path | None = typer.Option(None, "--out", help=ui("commands.check.out_dir")),
    pick: bool = typer.Option(False, "--pick", help=ui("commands.pick")),
    open_after: bool = typer.Option(False, "--open", help=ui("commands.check.open_after")),
    dropped: str | None = typer.Option(None, "--dropped", hidden=True),
) -> None:
    """Kiểm tra không cần add-in: ghi <tên>_kiem-tra.xlsx (trang Kiểm tra, Tỷ lệ, ô sai tô màu) và
    <tên>_bao-cao.docx cạnh sổ tính; không sửa sổ tính. Mã thoát như validate: 0 không lỗi, 1 có lỗi,
    2 không đọc được sổ tính (hoặc không ghi được kết quả)."""
    from .check import run_check
    from .desktop import open_files

    path = _chosen(file, pick, dropped)
    result = run_check(path, out_dir)
    _print_findings({"file": str(path), "error": None, "findings": [f.to_dict() for f in result.findings]})
    for notice in result.notices:
        out.print(notice)
    out.print(render("check_done", xlsx=result.xlsx, docx=result.docx))
    if open_after:
        open_files([result.xlsx, result.docx])
    raise typer.Exit(1 if result.errors else 0)


def _chosen(file: Path | None, pick: bool, dropped: str | None = None) -> Path:
    """The workbook to work on: given, dropped on a batch file (``--dropped NAME.bat``: read from
    %CCHC_CMDLINE%, the batch file's own command line) or picked in a dialog."""
    if dropped:
        from .desktop import dropped_file

        found = dropped_file(os.environ.get("CCHC_CMDLINE", ""), dropped)
        if found is not None:
            return found
    if file is not None:
        return file
    if not pick:
        raise CchcError("check_no_file")
    from .desktop import pick_workbook

    return pick_workbook()


@app.command()
@handled(exit_code=2)
def ratios(
    file: Path = typer.Argument(..., help=ui("commands.ratios.file")),
    as_json: bool = typer.Option(False, "--json", help=ui("commands.json")),
) -> None:
    """Tính các tỷ lệ (Decimal, làm tròn nửa lên 2 chữ số thập phân).

    Mẫu số 0 là «không phát sinh»; một phần của tử số hay mẫu số bỏ trống là «chưa có số liệu»."""
    from .rules.ratios import compute_ratios
    from .workbook.reader import read_workbook, to_jsonable

    results = compute_ratios(read_workbook(file))
    if as_json:
        _print_json({"file": str(file), "ratios": {k: to_jsonable(r.value) for k, r in results.items()},
                     "formatted": {k: r.formatted for k, r in results.items()},
                     "details": {k: r.to_dict() for k, r in results.items()}})
        return
    table = Table(*ui("commands.ratios.columns"))
    for r in results.values():
        d = r.to_dict()
        table.add_row(r.code, r.label, str(d["numerator"] if d["numerator"] is not None else ""),
                      str(d["denominator"] if d["denominator"] is not None else ""), r.formatted)
    out.print(table)


@app.command()
@handled()
def export(
    file: Path | None = typer.Argument(None, help=ui("commands.read.workbook")),
    out_dir: Path | None = typer.Option(None, "--out", help=ui("commands.export.out_dir")),
    pick: bool = typer.Option(False, "--pick", help=ui("commands.pick")),
    open_after: bool = typer.Option(False, "--open", help=ui("commands.export.open_after")),
    dropped: str | None = typer.Option(None, "--dropped", hidden=True),
) -> None:
    """Xuất file nộp: bản sạch (bỏ đánh dấu kiểm tra), ghi thời điểm xuất và số lần nộp."""
    from .desktop import reveal
    from .rules.export import export_file

    target, info = export_file(_chosen(file, pick, dropped), out_dir)
    out.print(render("export_done", file=target, **info))
    if open_after:
        reveal(target)


# --------------------------------------------------------------------------- report
@app.command()
@handled()
def report(
    file: Path = typer.Argument(..., help=ui("commands.report.file")),
    output: Path | None = typer.Option(None, "-o", "--output", help=ui("commands.report.output")),
    in_place: bool = typer.Option(False, "--in-place", help=ui("commands.report.in_place")),
    text: bool = typer.Option(False, "--text", help=ui("commands.report.text")),
    docx: Path | None = typer.Option(None, "--docx", help=ui("commands.report.docx")),
    pdf: Path | None = typer.Option(None, "--pdf", help="Ghi PDF (qua LibreOffice)"),
    previous: Path | None = typer.Option(None, "--previous", help=ui("commands.report.previous")),
    force: bool = typer.Option(False, "--force",
                               help=ui("commands.report.force")),
) -> None:
    """Lập báo cáo theo đề cương I–V, thể thức Nghị định 30/2020, từ số liệu của sổ tính."""
    from .narrative import run_report

    result = run_report(file, out=output, in_place=in_place, text=text, docx=docx, pdf=pdf, previous=previous,
                        force=force)
    if text:
        sys.stdout.write(result["text"] if result["text"].endswith("\n") else result["text"] + "\n")
    for key, label in ui("commands.report.outputs").items():
        if result.get(key):
            err.print(f"{label}: {result[key]}")
    if result.get("errors"):
        left = ui_text("commands.report.errors_left", errors=result["errors"])
        err.print(f"[yellow]{ui('importance.info')}:[/] " + left,
                  markup=True)
    for notice in result.get("notices") or []:
        err.print(f"[yellow]{ui('importance.info')}:[/] {notice}", markup=True)


# --------------------------------------------------------------------------- merge
@app.command()
@handled(exit_code=1)
def merge(
    folder: Path = typer.Argument(..., help=ui("commands.merge.folder")),
    output: Path | None = typer.Option(None, "-o", "--output",
                                          help=ui("commands.merge.output")),
    units: Path | None = typer.Option(None, "--units", help=ui("commands.merge.units")),
    period: str | None = typer.Option(None, "--period", help=ui("commands.merge.period")),
    deadline: str | None = typer.Option(None, "--deadline",
                                           help=ui("commands.merge.deadline")),
    previous: Path | None = typer.Option(None, "--previous",
                                            help=ui("commands.merge.previous")),
    feedback: Path | None = typer.Option(None, "--feedback", help=ui("commands.merge.feedback")),
    resubmit_by: str | None = typer.Option(None, "--resubmit-by",
                                              help=ui("commands.merge.resubmit_by")),
    reject_errors: bool = typer.Option(False, "--reject-errors", help=ui("commands.merge.reject_errors")),
    exclude_implausible: bool = typer.Option(False, "--exclude-implausible",
                                             help=ui("commands.merge.exclude_implausible")),
    receiver: str | None = typer.Option(None, "--receiver", help=ui("commands.merge.receiver")),
    accept_tampered: bool = typer.Option(False, "--accept-tampered",
                                         help=ui("commands.merge.accept_tampered")),
    as_json: bool = typer.Option(False, "--json", help=ui("commands.merge.as_json")),
) -> None:
    """Tổng hợp các sổ tính gửi về: kiểm tra, phân loại, cộng dồn, ghi sổ tổng hợp.

    Mã thoát: 0 đã tổng hợp; 1 không tổng hợp được tệp nào (không ghi sổ tổng hợp) hoặc tùy chọn sai."""
    from .definition.loader import load_definition
    from .definition.periods import parse_period
    from .definition.units import load_units
    from .merge.run import run_merge

    dates = {"--deadline": _date(deadline, "--deadline"), "--resubmit-by": _date(resubmit_by, "--resubmit-by")}
    if period:
        _option("--period", lambda: parse_period(period, load_definition()))
    if units:
        _option("--units", lambda: load_units(units))
    if previous and not previous.is_file():
        _option("--previous", lambda: _fail("file_not_found", file=previous))
    if feedback and feedback.exists() and not feedback.is_dir():
        _option("--feedback", lambda: _fail("folder_expected", file=feedback))
    progress_box = _progress()

    def start(total: int):
        task = progress_box.add_task(ui("commands.merge.progress"), total=total)
        return lambda _sub: progress_box.advance(task)

    try:
        with progress_box:
            result = run_merge(folder, output=output or Path(folder).resolve().parent, units_path=units,
                               period_code=period, deadline=dates["--deadline"], previous=previous, feedback=feedback,
                               reject_errors=reject_errors, receiver_code=receiver, progress=start,
                               exclude_implausible=exclude_implausible, resubmit_by=dates["--resubmit-by"],
                               accept_tampered=accept_tampered)
    except CchcError as exc:
        if as_json:
            _print_json(_merge_error_json(exc))
        raise
    if as_json:
        _print_json(result.to_json())
    else:
        _print_merge(result)
    if not result.merged:
        raise typer.Exit(1)


def _fail(code: str, **params: object) -> None:
    raise CchcError(code, **params)


def _merge_error_json(exc: CchcError) -> dict:
    """What --json prints when the merge could not run at all (no period, no files…)."""
    entries = getattr(exc, "entries", [])
    return {"output": None, "error": {"code": exc.code, "message": exc.message, "action": exc.action},
            "merged": [], "units": [], "outliers": [], "missing_units": [],
            "rejected": [{"file": s.rel, "reason": s.reason, "code": s.code}
                         for s in entries if s.status == "rejected"],
            "skipped": [{"file": s.rel, "reason": s.reason, "code": s.code} for s in entries if s.status == "skipped"]}


def _print_merge(result) -> None:
    """The console's account of a merge: who is missing, late, rejected or faulty (the first
    twenty of each and a count), the reasons grouped, where the summary and the feedback went."""
    from .merge.run import grouped_reasons

    words = ui("console")
    out.print(words["period"].format(period=result.period.label, deadline=f"{result.deadline:%d/%m/%Y}"),
              markup=False)
    out.print(words["files"].format(merged=len(result.merged), rejected=len(result.rejected),
                                    skipped=len(result.skipped), superseded=len(result.superseded)), markup=False)
    direct = [e for e in result.units if e.via is None]
    counts = {k: sum(1 for e in direct if e.status == k) for k in ("on_time", "late", "unknown_time", "missing",
                                                                    "rejected")}
    key = "state_known" if result.units_listed else "state_unknown"
    out.print(words[key].format(expected=len(result.expected), units=len(direct), **counts), markup=False)
    groups = words["group"]
    for status in ("missing", "rejected", "late", "unknown_time"):
        names = [words["late_unit"].format(code=e.code, name=e.name, days=e.days_late) if status == "late"
                 else f"{e.code} {e.name}" for e in direct if e.status == status]
        _print_group(groups[status], names, words)
    faulty = [words["faulty_unit"].format(code=e.code, name=e.name, errors=e.errors) for e in direct
              if e.reported and e.errors]
    _print_group(groups["faulty"], faulty, words)
    _print_group(groups["outliers"], [o.reason for o in result.outliers if o.importance != "info"], words)
    for line in grouped_reasons(result.rejected + result.skipped):
        err.print("  " + line, markup=False)
    for flag in result.aggregate.flags + result.carry_over:
        err.print(f"  ! {flag}", markup=False)
    if result.output:
        out.print(words["summary"].format(file=result.output), markup=False)
    elif not result.merged:
        err.print(words["nothing_merged"], markup=False)
    if result.feedback:
        root = os.path.commonpath([str(p.parent) for p in result.feedback])
        out.print(words["feedback"].format(count=len(result.feedback), folder=root), markup=False)


def _print_group(title: str, names: list[str], words: dict) -> None:
    if not names:
        return
    shown = ", ".join(names[:20]) + (" " + words["more"].format(count=len(names) - 20) if len(names) > 20 else "")
    out.print(f"{title} ({len(names)}): {shown}", markup=False)


# --------------------------------------------------------------------------- history
@app.command()
@handled(exit_code=1)
def history(
    summaries: list[Path] = typer.Argument(..., help=ui("commands.history.summaries")),
    output: Path = typer.Option(..., "-o", "--output", help=ui("commands.history.output")),
    csv: Path | None = typer.Option(None, "--csv", help=ui("commands.history.csv")),
) -> None:
    """Xu hướng qua các kỳ: đọc các sổ tổng hợp, ghi sổ tính xu hướng (chỉ tiêu chính theo đơn vị và kỳ kèm biểu đồ,
    xếp hạng đơn vị, đơn vị nộp muộn nhiều kỳ) và bảng dài CSV.

    Mã thoát: 0 đã ghi; 1 có tệp không dùng được (không đọc được, không phải sổ tổng hợp, hai sổ cùng kỳ, sổ của cơ
    quan tiếp nhận khác) hoặc tùy chọn sai."""
    from .merge.history import read_history, summary_files, write_csv
    from .merge.history_book import chronic_units, unit_names, write_workbook

    targets = {"-o": (output, ".xlsx"), "--csv": (csv, ".csv")}
    for option, (target, suffix) in targets.items():
        if target is not None and target.suffix.lower() != suffix:
            raise CchcError("history_output_suffix", file=target, option=option, suffix=suffix)
    files = summary_files(summaries, exclude=[output] + ([csv] if csv else []))
    for target, _suffix in targets.values():
        if target is not None and any(target.resolve() == f.resolve() for f in files):
            raise CchcError("history_output_is_input", file=target)
    words = ui("console")
    progress_box = _progress()
    with progress_box:
        task = progress_box.add_task(ui("commands.history.progress"), total=len(files))
        found = read_history(files, progress=lambda _sub: progress_box.advance(task))
    table = found.table
    out.print(words["history_read"].format(count=len(found.periods), receiver=found.receiver_name,
                                           periods=", ".join(p.label for p in found.periods)), markup=False)
    out.print(words["history_table"].format(rows=len(table), units=table["unit_code"].nunique(),
                                            periods=len(found.periods), fields=table["field"].nunique()),
              markup=False)
    chronic = chronic_units(found)
    if chronic:
        names = unit_names(found)
        shown = [f"{code} {names.get(code, '')}".strip() for code in chronic[:20]]
        out.print(words["history_chronic"].format(count=len(chronic), units=", ".join(shown)
                                                  + (" …" if len(chronic) > 20 else "")), markup=False)
    write_workbook(found, output)
    out.print(words["history_workbook"].format(file=output), markup=False)
    if csv:
        write_csv(table, csv)
        out.print(words["history_csv"].format(file=csv), markup=False)


# --------------------------------------------------------------------------- demo
@app.command()
@handled()
def demo(
    out_dir: Path = typer.Option(Path("demo-output"), "--out", help=ui("commands.demo.out_dir")),
) -> None:
    """Chạy ví dụ mẫu: một đơn vị nhận với 12 xã, phường: tạo, điền và đọc lại sổ tính."""
    from .demo import run_demo

    run_demo(out_dir, out, err)


addin_app = typer.Typer(help="Add-in Excel (.xlam).", no_args_is_help=True)
app.add_typer(addin_app, name="addin")


_HOME_HELP = ui("commands.addin.home")


@addin_app.command("build")
@handled()
def addin_build(
    output: Path = typer.Option(..., "-o", "--output", help=ui("commands.addin.output")),
    home: str | None = typer.Option(None, "--home", help=_HOME_HELP),
) -> None:
    """Tạo add-in cchc.xlam từ mã VBA và giao diện ribbon kèm theo công cụ (giống hệt dist/cchc.xlam)."""
    from .install import build_addin_file

    out.print(render("addin_built", file=build_addin_file(output, home)))


@addin_app.command("install")
@handled()
def addin_install(
    file: Path | None = typer.Option(None, "--file", help=ui("commands.addin.file")),
    home: str | None = typer.Option(None, "--home", help=_HOME_HELP),
) -> None:
    """Cài add-in vào Excel (bọc «xlwings addin install --file»; chỉ chạy trên Windows hoặc macOS)."""
    from .install import install_addin

    path = install_addin(file, home)
    out.print(ui_text("commands.addin.installed", name=path.name))


@app.command()
@handled()
def bundle(
    out_dir: Path = typer.Option(..., "--out", help=ui("commands.bundle.out_dir")),
) -> None:
    """Tạo bộ cài ngoại tuyến cho Windows: add-in, thư viện (wheel) và các tệp install/upgrade/uninstall."""
    from .install import build_bundle

    info = build_bundle(out_dir)
    out.print(ui_text("commands.bundle.done", out_dir=out_dir, wheels=len(info['wheels']), name=info['addin'].name,
                      scripts=', '.join(info['scripts'])))


@app.command()
def version() -> None:
    """In phiên bản công cụ."""
    out.print(f"cchc {__version__}")


def _show_version(value: bool) -> None:
    if value:
        out.print(f"cchc {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                      help=ui("cli.version_option")),
) -> None:
    """CCHC Report Kit: mẫu báo cáo cải cách hành chính, kiểm tra, tổng hợp."""


def main() -> None:
    from .cli_vi import run

    logging.basicConfig(level=logging.WARNING)
    sys.exit(run(app))


if __name__ == "__main__":
    main()
