"""Python behind the ribbon buttons (called by the add-in's VBA through ``RunPython``).

Each entry point takes an optional ``book`` (an xlwings Book, or any workbook port for
tests and the command line) and falls back to ``xw.Book.caller()``. The functions carry the
CLI verbs' names. Errors reach the clerk as a Vietnamese message box, never a traceback;
details go to the log file. Every message box goes through ``_alert`` and every yes/no
question through ``_confirm``: to the workbook's Excel, or to the active Excel when there is no
workbook (Tổng hợp thư mục, Kiểm tra cài đặt), and to the log only without a screen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import CchcError, log_exception, render

log = logging.getLogger("cchc.ribbon")


def log_file() -> Path:
    base = Path(os.environ.get("CCHC_LOG_DIR") or os.environ.get("LOCALAPPDATA") or tempfile.gettempdir())
    installed = "LOCALAPPDATA" in os.environ and not os.environ.get("CCHC_LOG_DIR")
    from .resources import LOCAL_FOLDER  # imported here: every button pays for what the ribbon imports

    return base / LOCAL_FOLDER / "cchc-addin.log" if installed else base / "cchc-addin.log"


def _label(key: str) -> str:
    """A label of ui.yaml, imported when a dialog needs it (not with the ribbon: every button pays that)."""
    from .ui import ui

    return str(ui(key))


def _port(book: Any):
    """A workbook port for ``book``: ports pass through, xlwings books are wrapped."""
    if hasattr(book, "read_sheet") and hasattr(book, "calls"):
        return book
    from .workbook.port import XlwingsPort

    return XlwingsPort(book)


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def _active_app():
    """The Excel the button was clicked in (COM: ``xw.apps.active``); None without one."""
    try:
        import xlwings as xw

        return xw.apps.active
    except Exception:  # no Excel (the command line, tests, Linux)
        return None


def _open(book: Any, action: str):
    """The port of ``book`` (the workbook the button was clicked in when None), or None after telling
    the clerk there is no workbook (the add-in's VBA checks first; this is the Python side's net)."""
    try:
        return _port(book if book is not None else _caller())
    except Exception:
        _log_exception(f"{action}: no workbook")
        missing = CchcError("ribbon_no_workbook")
        _alert(None, f"{missing.message}\n\n{missing.action}")
        return None


def _optional_port(book: Any):
    """For buttons that work without a workbook: the port of ``book`` or of the caller, else None."""
    if book is not None:
        return _port(book)
    try:
        return _port(_caller())
    except Exception:  # no workbook open, or not started from Excel
        return None


def _app_of(port: Any):
    """Where a message box goes: the workbook's Excel; the active Excel when there is no workbook."""
    book = getattr(port, "book", None)
    app = getattr(book, "app", None)
    if app is not None and hasattr(app, "alert"):
        return app
    if port is None:
        return _active_app()
    return None


def _alert(port: Any, text: str, title: str = "CCHC") -> None:
    """Every message box of the add-in."""
    app = _app_of(port)
    if app is None:
        log.warning(text)
        return
    try:
        app.alert(text, title=title)
    except Exception:  # a box that cannot be shown must not hide the message: it goes to the log
        _log_exception("alert")
        log.warning(text)


def _confirm(port: Any, question: str) -> bool:
    """Every yes/no question of the add-in; without a screen (files, tests) the answer is no (use force)."""
    app = _app_of(port)
    if app is None:
        return False
    try:
        answer = app.alert(question, title="CCHC", buttons="yes_no")
    except (NotImplementedError, TypeError):
        return False
    return answer == "yes"


def _quiet_app(port: Any):
    """No screen updates and manual calculation while we write (restored even on error)."""
    book = getattr(port, "book", None)
    app = getattr(book, "app", None)
    if app is not None and hasattr(app, "properties"):
        return app.properties(screen_updating=False, calculation="manual")
    return contextlib.nullcontext()


def _log_exception(action: str) -> Path:
    return log_exception(log_file(), action)


@contextlib.contextmanager
def _guard(port: Any, action: str) -> Iterator[None]:
    stack = contextlib.ExitStack()
    try:
        try:
            stack.enter_context(_quiet_app(port))
        except Exception:  # an engine without these properties still runs the action
            _log_exception(f"{action}: app.properties")
        yield
    except CchcError as exc:
        _alert(port, f"{exc.message}\n\n{exc.action}")
    except Exception:
        path = _log_exception(action)
        _alert(port, render("internal_error", file=getattr(port, "name", ""), log=path))
    finally:
        stack.close()


def validate(book: Any = None) -> list:
    """Kiểm tra số liệu: the Kiểm tra sheet, coloured cells with notes; returns the findings."""
    from .rules.engine import validate as run
    from .rules.sheets import apply_validation
    from .workbook.reader import read_port

    port = _open(book, "validate")
    findings: list = []
    if port is None:
        return findings
    with _guard(port, "validate"):
        data = read_port(port)
        findings = run(data)
        apply_validation(port, data, findings)
    return findings


def ratios(book: Any = None) -> dict:
    """Tính tỷ lệ: the Tỷ lệ sheet with every ratio, its parts and the workbook formula's agreement."""
    from .rules.ratios import compute_ratios
    from .rules.sheets import apply_ratios
    from .workbook.reader import read_port

    port = _open(book, "ratios")
    results: dict = {}
    if port is None:
        return results
    with _guard(port, "ratios"):
        data = read_port(port)
        results = compute_ratios(data)
        apply_ratios(port, data, results)
    return results


def export(book: Any = None) -> str | None:
    """Xuất file nộp: a clean copy saved beside the workbook; the open workbook keeps its marks and
    Kiểm tra sheet, and only its meta sheet records the export (time, submission counter)."""
    from .rules.export import clean_file, export_target, plan_export, record_export
    from .workbook.reader import read_port

    port = _open(book, "export")
    saved: str | None = None
    if port is None:
        return saved
    with _guard(port, "export"):
        data = read_port(port)
        plan = plan_export(data)
        own = _own_path(port)
        target = export_target(own.parent, data, own)
        with tempfile.TemporaryDirectory(prefix="cchc-export-") as tmp:
            copy = Path(tmp) / target.name
            save_copy(port, copy)
            clean_file(copy, target, data, plan)
        record_export(port, data, plan)
        saved = str(target)
        _alert(port, render("export_done", file=saved, **plan.info()))
    return saved


def _own_path(port: Any) -> Path:
    if hasattr(port, "path"):
        return Path(port.path)
    try:
        return Path(port.book.fullname)
    except (AttributeError, NotImplementedError):
        raise CchcError("com_only", action=_label("ribbon.save_copy")) from None


def save_copy(port: Any, target: Path) -> Path:
    """The open workbook as it is, saved to ``target`` (COM: SaveCopyAs; files: the openpyxl adapter's save)."""
    if hasattr(port, "save") and hasattr(port, "path"):
        return port.save(target)
    com_save_copy(port.book, target)
    return target


def com_save_copy(book: Any, target: Path) -> None:
    """Windows/COM only (docs/windows-smoke-test.md): Workbook.SaveCopyAs keeps the open book as it is."""
    api = getattr(book, "api", None)
    if api is None or isinstance(api, (dict, list)):
        raise CchcError("com_only", action=_label("ribbon.save_copy"))
    api.SaveCopyAs(str(target))


def merge(book: Any = None, folder: str | Path | None = None) -> str | None:
    """Tổng hợp thư mục: ask for the folder, merge it (with the unit list found beside it, if any),
    write the summary beside the folder and open it; say which unit list was used.

    Works with no workbook open: every message goes to the active Excel."""
    from .merge.run import UNIT_LIST_NAMES, run_merge, units_beside

    port = _optional_port(book)
    target = None
    with _guard(port, "merge"):
        chosen = Path(folder) if folder else com_pick_folder(_app_of(port))
        if chosen is None:
            return None
        units = units_beside(chosen)
        result = run_merge(chosen, output=chosen.parent, units_path=units)
        if result.output is None:
            raise CchcError("merge_nothing_merged", folder=chosen.name,
                            detail=", ".join(dict.fromkeys(s.code for s in result.rejected + result.skipped)))
        target = str(result.output)
        which = render("merge_units_beside", folder=chosen.name, units=units.name) if units else \
            render("merge_units_none", folder=chosen.name, names=" / ".join(UNIT_LIST_NAMES))
        if folder is None:
            com_open_book(result.output)
        _alert(port, which + "\n" + merge_message(result))
    return target


def merge_message(result: Any) -> str:
    """What the specialist sees after a merge: counts, where the summary is, why files were turned away."""
    lines = [render("ribbon_merge_done", file=result.output, merged=len(result.merged),
                    rejected=len(result.rejected), skipped=len(result.skipped))]
    turned_away = [*result.rejected, *result.skipped]
    lines += [f"✗ {s.reason}" for s in turned_away[:10]]
    if len(turned_away) > 10:
        lines.append(render("ribbon_merge_more", count=len(turned_away) - 10))
    return "\n".join(lines)


def com_pick_folder(app: Any = None) -> Path | None:
    """Windows/COM only: Excel's folder picker (msoFileDialogFolderPicker = 4)."""
    if app is None:
        import xlwings as xw

        app = xw.apps.active
    dialog = app.api.FileDialog(4)
    dialog.Title = _label("ribbon.folder_picker")
    if dialog.Show() != -1:
        return None
    return Path(dialog.SelectedItems(1))


def com_open_book(path: Path) -> None:
    """Windows/COM only: open the summary workbook for the specialist."""
    import xlwings as xw

    xw.Book(str(path))


def diagnostics(book: Any = None) -> list[dict]:
    """Kiểm tra cài đặt: interpreter, xlwings versions, template version, Vietnamese path, separators,
    date order. Works with no workbook open (the message box goes to the active Excel)."""
    from .diagnostics import run_checks

    port = _optional_port(book)
    checks: list[dict] = []
    with _guard(port, "diagnostics"):
        app = _app_of(port)
        checks = run_checks(port, app=app)
        lines = [("✓ " if c["ok"] else "✗ ") + c["label"] + ": " + c["detail"] for c in checks]
        _alert(port, "\n".join(lines), title=_label("ribbon.diagnostics_title"))
    return checks


def help(book: Any = None, open_browser: bool = True) -> str:  # noqa: A001 - the button is called "help"
    """Hướng dẫn: open the clerk's guide (an HTML page shipped with the package)."""
    import webbrowser

    guide = Path(__file__).with_name("huong_dan.html")
    if open_browser:
        webbrowser.open(guide.as_uri())
    return str(guide)


def report(book: Any = None, docx: bool = False, force: bool = False) -> str | None:
    """Lập báo cáo (and Xuất Word with ``docx=True``): the Báo cáo sheet from the workbook's values.

    Lập báo cáo asks before overwriting a Báo cáo sheet edited by hand. Xuất Word asks before
    overwriting a .docx edited by hand (or not written by the tool), and writes the .docx from a
    Báo cáo sheet edited by hand, leaving the sheet as the clerk made it (and says so).
    """
    from .narrative import build_report, docx_state, report_from_sheet, write_docx, write_report_sheet
    from .narrative.sheet import needs_confirmation, report_sheet_name
    from .workbook.reader import read_port

    port = _open(book, "report")
    written: str | None = None
    if port is None:
        return written
    with _guard(port, "report"):
        data = read_port(port)
        units = None
        if str(data.meta.get("kind") or "unit") == "summary":  # a summary tells its units' completeness
            from .merge.summary_layout import read_port as read_units

            units = read_units(port, data.meta)
        built = build_report(data, units=units)
        edited = not force and needs_confirmation(port)
        if docx:
            target = _beside(port, ".docx")
            if not force and docx_state(target) in ("edited", "foreign"):
                if not _confirm(port, render("report_docx_overwrite_question", file=target.name)):
                    return None
            if edited:
                write_docx(report_from_sheet(port, built), target)
                _alert(port, render("report_docx_from_sheet", file=target, sheet=report_sheet_name()))
                return str(target)
            write_report_sheet(port, data, built, force=True)
            write_docx(built, target)
            written = str(target)
            _alert(port, render("report_docx_done", file=target))
            return written
        if edited:
            if not _confirm(port, render("report_overwrite_question")):
                return None
            force = True
        written = write_report_sheet(port, data, built, force=force)
    return written


def _beside(port: Any, suffix: str) -> Path:
    if hasattr(port, "path"):
        return Path(port.path).with_suffix(suffix)
    try:
        return Path(port.book.fullname).with_suffix(suffix)
    except (AttributeError, NotImplementedError):
        raise CchcError("com_only", action=_label("ribbon.save_beside")) from None
