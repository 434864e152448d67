"""Find the returned files and read each one (in parallel, nothing held after it is read).

Every entry of the folder is accounted for: read, skipped (Excel lock files, folders named
like workbooks, other file types) or rejected with a reason code. Files are only read —
never opened by anything that could run a macro, never modified.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CchcError, render
from ..limits import MAX_FILE_BYTES
from ..ui import ui, ui_text

WORKBOOK_SUFFIXES = {".xlsx"}
TEMP_PREFIX = ".~cchc-"  # what write_atomic names its temporary files


@dataclass
class Submission:
    path: str
    rel: str
    status: str = "read"  # read | skipped | rejected
    code: str = ""
    reason: str = ""
    sha256: str = ""
    size: int = 0
    mtime: float = 0.0
    kind: str = "unit"
    template: dict = field(default_factory=dict)
    unit: dict = field(default_factory=dict)
    period: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    summary_units: list = field(default_factory=list)  # a lower-level summary's Tổng hợp rows (UnitRow)
    params: dict = field(default_factory=dict)  # the parameters of ``reason`` (re-worded for the unit's feedback)
    blank: bool = False  # nothing typed in: no input value, list row or table value
    lineage: bytes = b""  # its rows of the lineage sheet, as UTF-8 sheet XML (see lineage.py)
    ratios: dict = field(default_factory=dict)  # ratio code -> value (Decimal or None), from the file's own numbers
    notes: list = field(default_factory=list)  # caveats of a merged file (read through its own names)

    @property
    def unit_key(self) -> tuple[str, str]:
        return (str(self.unit.get("code_list") or ""), str(self.unit.get("code") or ""))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def display_name(text: str) -> str:
    """A path as a person should see it. A name that is not UTF-8 (what unzip leaves from a zip
    made on Vietnamese Windows) reaches Python with surrogate escapes: it is shown decoded as
    cp1258 when that gives printable text, else with ``\\xNN`` for each byte."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = os.fsencode(text)
    try:
        decoded = raw.decode("cp1258")
        if all(ch.isprintable() or ch == os.sep for ch in decoded):
            return unicodedata.normalize("NFC", decoded)
    except UnicodeDecodeError:
        pass
    return raw.decode("utf-8", "backslashreplace")


def _skip(path: str, rel: str, code: str, **params: Any) -> Submission:
    return Submission(path, rel, "skipped", code, render(code, file=rel, **params))


def discover(folder: Path) -> tuple[list[tuple[Path, str]], list[Submission]]:
    """Workbooks to read (path, shown name), and the entries skipped at once (each with its reason).

    Every entry under the folder except folders gets an outcome, before anything is read: a FIFO,
    a device, a socket or a link to one is skipped (reading it could hang); a link to a folder is
    followed, each real folder once (a second way into the same folder, or a loop, is skipped);
    a broken link is skipped; the merge's own temporary files (``.~cchc-*``) are skipped."""
    files: list[tuple[Path, str]] = []
    skipped: list[Submission] = []
    visited: set[str] = set()
    linked: list[tuple[str, str]] = []  # links to folders, followed after every real folder is known

    def walk(directory: str, prefix: str) -> None:
        visited.add(os.path.realpath(directory))
        try:
            with os.scandir(directory) as it:
                found = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            rel = display_name(prefix.rstrip(os.sep)) or "."
            skipped.append(_skip(directory, rel, "merge_folder_unreadable", detail=str(exc.strerror or exc)))
            return
        for entry in found:
            _entry(entry, prefix + entry.name)

    def _entry(entry: os.DirEntry, rel_raw: str) -> None:
        rel = display_name(rel_raw)
        path = entry.path
        try:
            link = entry.is_symlink()
            st = os.stat(path) if link else entry.stat(follow_symlinks=False)
        except OSError as exc:
            code = "merge_link_loop" if exc.errno == errno.ELOOP else "merge_link_broken"
            skipped.append(_skip(path, rel, code))
            return
        if stat.S_ISDIR(st.st_mode):
            if link:
                linked.append((path, rel_raw))
                return
            if entry.name.lower().endswith((".xlsx", ".xlsm", ".xls")):
                skipped.append(_skip(path, rel, "merge_folder_named_like_file"))
            walk(path, rel_raw + os.sep)
            return
        name = entry.name
        if name.startswith("~$"):
            skipped.append(_skip(path, rel, "merge_lock_file"))
        elif name.startswith(TEMP_PREFIX):
            skipped.append(_skip(path, rel, "merge_temp_file"))
        elif not stat.S_ISREG(st.st_mode):
            skipped.append(_skip(path, rel, "merge_not_regular_file", kind=_kind_of(st.st_mode)))
        elif Path(name).suffix.lower() in WORKBOOK_SUFFIXES:
            files.append((Path(path), rel))
        else:
            kind = Path(name).suffix.lower() or ui("file_kinds.no_suffix")
            skipped.append(_skip(path, rel, "merge_not_xlsx", kind=kind))

    walk(str(folder), "")
    while linked:
        path, rel_raw = linked.pop(0)
        real = os.path.realpath(path)
        if any(real == v or real.startswith(v.rstrip(os.sep) + os.sep) or v.startswith(real.rstrip(os.sep) + os.sep)
               for v in visited):
            skipped.append(_skip(path, display_name(rel_raw), "merge_link_loop"))
            continue
        walk(path, rel_raw + os.sep)
    return files, skipped


def summary_rows(path: Path, raw: bytes | None = None) -> list:
    """The unit rows of a lower-level summary's Tổng hợp (``summary_layout.read_file``)."""
    from .summary_layout import read_file

    return read_file(path, raw).rows


def has_input(data) -> bool:
    """Whether anything was typed into a workbook: a value of an input field, a list row or a
    table value. What ``cchc build`` fills in (stamps, standing entries and values carried over
    from the previous period) does not count."""
    definition = data.definition
    for f in definition.fields():
        if f.is_input and not f.standing and not f.carry_from and data.values.get(f.code) not in (None, ""):
            return True
    for lst in definition.lists:
        if not lst.standing and data.lists.get(lst.code):
            return True
    for table in definition.tables:
        inputs = [c.code for c in table.columns if not c.computed]
        if any(row.get(c) not in (None, "") for row in data.tables.get(table.code, []) for c in inputs):
            return True
    return False

def _kind_of(mode: int) -> str:
    kinds = ui("file_kinds")
    for test, kind in ((stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "char_device"), (stat.S_ISBLK, "block_device"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return kinds[kind]
    return kinds["other"]




def unit_code_text(value: Any) -> str:
    """A unit code as text: a code stored as a number (99004.0) reads as 99004."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else unicodedata.normalize("NFC", str(value)).strip()


def inspect_file(path_text: str, rel: str, by_names: bool = False) -> Submission:
    """Read one returned workbook: values, findings, stamps. Runs in a worker process.

    Whatever goes wrong with one file, it is accounted for: a failure nobody foresaw (a bug, a
    panic inside python-calamine) rejects that file with ``internal_error`` and the traceback goes
    to the log; the merge goes on with the others."""
    try:
        return _inspect(path_text, rel, by_names)
    except Exception:  # noqa: BLE001 - one file must never stop the merge
        return _failed(path_text, rel)
    except BaseException as exc:
        from ..workbook.grid import is_panic

        if not is_panic(exc):
            raise
        return _failed(path_text, rel)


def _failed(path_text: str, rel: str) -> Submission:
    from ..errors import default_log, log_exception

    log = log_exception(default_log(), f"merge: {rel}")
    sub = Submission(path_text, rel, "rejected", "internal_error", render("internal_error", file=rel, log=log))
    try:
        path = Path(path_text)
        sub.size, sub.mtime, sub.sha256 = path.stat().st_size, path.stat().st_mtime, sha256_of(path)
    except OSError:
        pass
    return sub


def _inspect(path_text: str, rel: str, by_names: bool = False) -> Submission:
    from ..rules.engine import Validator, summary
    from ..workbook.reader import read_workbook

    path = Path(path_text)
    sub = Submission(path_text, rel)
    raw: bytes | None = None
    try:
        stat = path.stat()
        sub.size, sub.mtime = stat.st_size, stat.st_mtime
        if stat.st_size <= MAX_FILE_BYTES and path.is_file():
            raw = path.read_bytes()  # read once: hashed here, then parsed from memory
            sub.sha256 = hashlib.sha256(raw).hexdigest()
        else:
            sub.sha256 = sha256_of(path)
    except FileNotFoundError:
        sub.status, sub.code, sub.reason = "rejected", "merge_file_vanished", render("merge_file_vanished", file=rel)
        return sub
    try:
        data = read_workbook(path, raw=raw, by_names=by_names)
    except FileNotFoundError:
        sub.status, sub.code, sub.reason = "rejected", "merge_file_vanished", render("merge_file_vanished", file=rel)
        return sub
    except CchcError as exc:
        if exc.code == "file_not_found":  # listed a moment ago, gone now
            sub.status, sub.code = "rejected", "merge_file_vanished"
            sub.reason = render("merge_file_vanished", file=rel)
        else:
            # named by its place in the folder, as every other reason of the merge
            sub.params = {k: v if isinstance(v, (int, float)) else str(v) for k, v in exc.params.items()}
            if "file" in sub.params:
                sub.params["file"] = rel
            sub.status, sub.code, sub.reason = "rejected", exc.code, render(exc.code, **sub.params)
        return sub
    sub.kind = str(data.meta.get("kind") or "unit")
    sub.template = data.template
    sub.unit = {"code": data.unit["code"], "name": data.unit["name"],
                "level": data.meta.get("unit_level") or data.stamped("unit.level"),
                "code_list": data.meta.get("code_list") or "", "parent_code": data.meta.get("unit_parent_code") or ""}
    sub.period = data.period
    sub.meta = {k: data.meta.get(k) for k in ("exported_at", "submission_counter", "validated_at", "generated_at")}
    sub.values = data.values
    sub.lists = data.lists
    sub.tables = data.tables
    validator = Validator(data)
    findings = validator.run()
    sub.ratios = {code: r.value for code, r in validator.ratios.items()}
    counts = summary(findings)
    sub.errors, sub.warnings = counts["error"], counts["warning"]
    shown = display_name(path_text)
    sub.findings = [{"rule": f.rule, "importance": f.importance,
                     "message": f.message if shown == path_text else f.message.replace(path_text, shown),
                     "cells": f.cells, "instruction": f.instruction, "fields": f.fields, "values": f.values}
                    for f in findings]
    sub.blank = not has_input(data)
    if sub.kind == "summary":
        try:
            sub.summary_units = summary_rows(path, raw)
        except CchcError as exc:
            sub.params = {k: v if isinstance(v, (int, float)) else str(v) for k, v in exc.params.items()}
            if "file" in sub.params:
                sub.params["file"] = rel
            sub.status, sub.code, sub.reason = "rejected", exc.code, render(exc.code, **sub.params)
            return sub
    from .lineage import rows_xml

    # encoded here, in parallel: the main process only joins and compresses the bytes
    sub.lineage = rows_xml(data.definition, sub.unit["code"], sub.unit["name"], rel, data.values,
                           data.cells).encode("utf-8")
    return sub


def warm_up() -> None:
    """Load, before the worker processes start, what every worker needs for its first file (the
    modules, the definition, its layout and the template's locked structure). Where workers are
    forked (Linux) they inherit it instead of each loading it again; the merge needs the same
    definition afterwards anyway. Elsewhere (spawned workers) this does nothing."""
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=False) != "fork":
        return
    from ..definition.loader import load_definition
    from ..rules import engine  # noqa: F401 - imported for the workers
    from ..workbook import tamper
    from ..workbook.layout import compute_layout
    from . import lineage  # noqa: F401 - imported for the workers

    try:
        definition = load_definition()
        compute_layout(definition)
        tamper.expected_structure(definition)
    except CchcError:
        pass  # a broken definition is reported where a file needs it


def die_with_parent() -> None:
    """In a worker process: be ended by the kernel when the process that started it dies (a merge
    killed with kill -9 leaves no worker behind). Linux only (prctl PR_SET_PDEATHSIG); elsewhere a
    worker notices its parent is gone when its pipe closes, after the file it is reading."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def _worker(conn, parent: int) -> None:
    """A reader process: files in, one Submission out for each, until told to stop."""
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(0)
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            if job is None:
                break
            conn.send(inspect_file(*job))
    finally:
        conn.close()
        os._exit(0)  # nothing of the parent's (buffers, exit handlers) runs here


class _Reader:
    """One worker process and the jobs it holds, oldest first (a worker reads them in order, so
    when it dies the oldest job it held is the file it died on)."""

    def __init__(self, ctx) -> None:
        here, there = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker, args=(there, os.getpid()), daemon=True)
        self.proc.start()
        there.close()
        self.conn = here
        self.held: list[int] = []

    def stop(self, wait: float = 2.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.conn.close()
        self.proc.join(wait)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1)


IN_FLIGHT = 2  # jobs sent ahead to each worker, so it never waits for the main process


def read_all(folder: Path, files: Iterable[tuple[Path, str]], workers: int | None = None,
             progress: Callable[[Submission], None] | None = None, by_names: bool = False) -> list[Submission]:
    """Read every file in worker processes (also one file: python-calamine is native code, and a
    file that makes it abort must cost only that file). A worker that dies rejects the file it
    was reading (``reader_crashed``); a new worker takes the rest. The results come back in the
    order of ``files``."""
    import multiprocessing
    from multiprocessing.connection import wait

    jobs = [(str(p), rel, by_names) for p, rel in files]
    if not jobs:
        return []
    workers = max(1, min(workers or min(os.cpu_count() or 1, 8), len(jobs)))
    warm_up()
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    results: dict[int, Submission] = {}
    queue = list(range(len(jobs)))[::-1]  # popped from the end: first job first
    readers: list[_Reader] = []

    def feed(reader: _Reader) -> None:
        while queue and len(reader.held) < IN_FLIGHT:
            index = queue.pop()
            reader.held.append(index)
            try:
                reader.conn.send(jobs[index])
            except OSError:  # the worker is gone: its sentinel says so next
                return

    def done(index: int, sub: Submission) -> None:
        results[index] = sub
        if progress:
            progress(sub)

    try:
        for _ in range(workers):
            readers.append(_Reader(ctx))
            feed(readers[-1])
        while len(results) < len(jobs):
            by_wait = {r.conn: r for r in readers}
            by_wait.update({r.proc.sentinel: r for r in readers})
            for ready in wait(list(by_wait)):
                reader = by_wait[ready]
                if reader not in readers:
                    continue  # replaced earlier in this round
                died = ready is reader.proc.sentinel
                while reader.held and reader.conn.poll(0):  # every result already there
                    try:
                        sub = reader.conn.recv()
                    except (EOFError, OSError):
                        died = True
                        break
                    done(reader.held.pop(0), sub)
                if died:
                    _lost(reader, jobs, queue, done)
                    readers.remove(reader)
                    if queue:
                        readers.append(_Reader(ctx))
                        feed(readers[-1])
                else:
                    feed(reader)
    finally:
        for reader in readers:
            reader.stop()
    return [results[i] for i in range(len(jobs))]


def _lost(reader: _Reader, jobs: list[tuple[str, str, bool]], queue: list[int], done: Callable) -> None:
    """A worker died: the file it was reading is rejected, the ones it held after it go back."""
    reader.proc.join(1)
    code = reader.proc.exitcode
    reader.conn.close()
    if not reader.held:
        return
    first, rest = reader.held[0], reader.held[1:]
    reader.held = []
    queue.extend(reversed(rest))
    path_text, rel, _by_names = jobs[first]
    from ..errors import default_log, log_line

    log = log_line(default_log(), f"merge: the reader process died reading {rel} ({_exit_text(code)})")
    sub = Submission(path_text, rel, "rejected", "reader_crashed",
                     render("reader_crashed", file=rel, detail=_exit_text(code), log=log))
    try:
        path = Path(path_text)
        st = path.stat()
        sub.size, sub.mtime = st.st_size, st.st_mtime
        sub.sha256 = sha256_of(path)
    except OSError:
        pass
    done(first, sub)


def _exit_text(code: int | None) -> str:
    if code is None:
        return ui("exit.unknown")
    if code < 0:
        import signal

        try:
            return ui_text("exit.signal", signal=signal.Signals(-code).name)
        except ValueError:
            return ui_text("exit.signal", signal=-code)
    return ui_text("exit.code", code=code)
