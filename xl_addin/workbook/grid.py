"""A sheet's cells as a grid, read by python-calamine after the pre-flight (``safety``): the one
reader of cell values for a returned workbook, a unit list or a summary read back.

Below ``reader``: it imports only ``safety`` and the message catalogue."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import CchcError
from . import safety

Grid = list[list[Any]]


def _calamine(pre: safety.Preflight):
    from python_calamine import CalamineWorkbook

    try:
        package = pre.reader_package()  # the file read once, the parts checked so far unpacked once
        if package is not None:
            return CalamineWorkbook.from_filelike(io.BytesIO(package))
        return CalamineWorkbook.from_path(str(pre.path))
    except Exception as exc:  # calamine raises its own error types for damaged archives
        raise safety.diagnose_read_error(pre, exc) from None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise safety.diagnose_read_error(pre, exc) from None


def open_calamine(path: Path, raw: bytes | None = None):
    """A python-calamine workbook, after the pre-flight (limits, kind of file); never runs anything."""
    return _calamine(safety.preflight(Path(path), raw))


def sheet_grid(book, name: str) -> Grid:
    return book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _grid(book, name: str, pre: safety.Preflight) -> Grid:
    scan = pre.scanned(name)
    suspect = scan.suspect if scan is not None else []
    try:
        if suspect:  # a value python-calamine may panic on: its panic report is not for the user
            with quiet_stderr():
                return sheet_grid(book, name)
        return sheet_grid(book, name)
    except Exception as exc:  # a damaged sheet part: calamine's XML or zip errors
        raise safety.diagnose_read_error(pre, exc, name) from None
    except BaseException as exc:
        # python-calamine panics (a BaseException) on some values, e.g. a date far before year 1
        if not is_panic(exc):
            raise
        raise CchcError("sheet_value_unreadable", file=pre.path, sheet=name,
                        cell=", ".join(suspect[:3]) or "?", detail=safety.detail(exc)) from None


@contextlib.contextmanager
def quiet_stderr():
    """Standard error silenced at the descriptor level (a Rust panic message is written there)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def is_panic(exc: BaseException) -> bool:
    """A Rust panic inside python-calamine (pyo3's PanicException), not an interrupt or an exit."""
    return type(exc).__name__ == "PanicException"
