"""Python behind the ribbon buttons (called by the add-in's VBA through ``RunPython``).

Each entry point takes an optional ``book`` (an xlwings Book, or any workbook port for
tests and the command line) and falls back to ``xw.Book.caller()``. The functions carry the
CLI verbs' names. Errors reach the clerk as a Vietnamese message box, never a traceback;
details go to the log file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
import traceback
from pathlib import Path
from typing import Any, Iterator

from .errors import CchcError, render

log = logging.getLogger("cchc.ribbon")


def log_file() -> Path:
    base = Path(os.environ.get("CCHC_LOG_DIR") or os.environ.get("LOCALAPPDATA") or tempfile.gettempdir())
    return base / "cchc" / "cchc-addin.log" if "LOCALAPPDATA" in os.environ and not os.environ.get("CCHC_LOG_DIR") \
        else base / "cchc-addin.log"


def _port(book: Any):
    """A workbook port for ``book``: ports pass through, xlwings books are wrapped."""
    if hasattr(book, "read_sheet") and hasattr(book, "calls"):
        return book
    from .workbook.port import XlwingsPort

    return XlwingsPort(book)


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def _alert(port: Any, text: str, title: str = "CCHC") -> None:
    book = getattr(port, "book", None)
    app = getattr(book, "app", None)
    if app is not None and hasattr(app, "alert"):
        app.alert(text, title=title)
    else:
        log.warning(text)


def _quiet_app(port: Any):
    """No screen updates and manual calculation while we write (restored even on error)."""
    book = getattr(port, "book", None)
    app = getattr(book, "app", None)
    if app is not None and hasattr(app, "properties"):
        return app.properties(screen_updating=False, calculation="manual")
    return contextlib.nullcontext()


def _log_exception(action: str) -> Path:
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat()} {action}\n{traceback.format_exc()}")
    except OSError:
        pass
    return path


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

    port = _port(book or _caller())
    findings: list = []
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

    port = _port(book or _caller())
    results: dict = {}
    with _guard(port, "ratios"):
        data = read_port(port)
        results = compute_ratios(data)
        apply_ratios(port, data, results)
    return results
