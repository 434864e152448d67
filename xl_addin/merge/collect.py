"""Find the returned files and read each one (in parallel, nothing held after it is read).

Every entry of the folder is accounted for: read, skipped (Excel lock files, folders named
like workbooks, other file types) or rejected with a reason code. Files are only read —
never opened by anything that could run a macro, never modified.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..errors import CchcError, render
from ..limits import MAX_FILE_BYTES

WORKBOOK_SUFFIXES = {".xlsx"}
SUMMARY_SHEET = "Tổng hợp"


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

    @property
    def unit_key(self) -> tuple[str, str]:
        return (str(self.unit.get("code_list") or ""), str(self.unit.get("code") or ""))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover(folder: Path) -> tuple[list[Path], list[Submission]]:
    """Workbooks to read, and the entries skipped at once (each with its reason)."""
    files: list[Path] = []
    skipped: list[Submission] = []
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        name = path.name
        if path.is_dir():
            if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
                skipped.append(Submission(str(path), rel, "skipped", "merge_folder_named_like_file",
                                          render("merge_folder_named_like_file", file=rel)))
            continue
        if name.startswith("~$"):
            skipped.append(Submission(str(path), rel, "skipped", "merge_lock_file", render("merge_lock_file", file=rel)))
            continue
        if name.startswith(".~cchc-"):
            continue  # our own temporary output
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            files.append(path)
        else:
            kind = path.suffix.lower() or "không có đuôi"
            skipped.append(Submission(str(path), rel, "skipped", "merge_not_xlsx",
                                      render("merge_not_xlsx", file=rel, kind=kind)))
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


def inspect_file(path_text: str, rel: str) -> Submission:
    """Read one returned workbook: values, findings, stamps. Runs in a worker process.

    Whatever goes wrong with one file, it is accounted for: a failure nobody foresaw (a bug, a
    panic inside python-calamine) rejects that file with ``internal_error`` and the traceback goes
    to the log; the merge goes on with the others."""
    try:
        return _inspect(path_text, rel)
    except Exception:  # noqa: BLE001 - one file must never stop the merge
        return _failed(path_text, rel)
    except BaseException as exc:
        from ..workbook.reader import is_panic

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


def _inspect(path_text: str, rel: str) -> Submission:
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
        data = read_workbook(path, raw=raw)
    except FileNotFoundError:
        sub.status, sub.code, sub.reason = "rejected", "merge_file_vanished", render("merge_file_vanished", file=rel)
        return sub
    except CchcError as exc:
        if exc.code == "file_not_found":  # listed a moment ago, gone now
            sub.status, sub.code, sub.reason = "rejected", "merge_file_vanished", render("merge_file_vanished", file=rel)
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
                "level": data.meta.get("unit_level") or data.values.get("don_vi_cap"),
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
    sub.findings = [{"rule": f.rule, "importance": f.importance, "message": f.message, "cells": f.cells,
                     "instruction": f.instruction, "fields": f.fields, "values": f.values} for f in findings]
    sub.blank = not has_input(data)
    if sub.kind == "summary":
        sub.summary_units = summary_rows(path, raw)
    from .lineage import rows_xml

    # encoded here, in parallel: the main process only joins and compresses the bytes
    sub.lineage = rows_xml(data.definition, sub.unit["code"], sub.unit["name"], rel, data.values,
                           data.cells).encode("utf-8")
    return sub


def _inspect_pair(args: tuple[str, str]) -> Submission:
    return inspect_file(*args)


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


def read_all(folder: Path, files: Iterable[Path], workers: int | None = None,
             progress: Callable[[Submission], None] | None = None) -> list[Submission]:
    jobs = [(str(p), str(p.relative_to(folder))) for p in files]
    workers = workers or min(os.cpu_count() or 1, 8)
    out: list[Submission] = []
    if workers <= 1 or len(jobs) < 4:
        for job in jobs:
            sub = _inspect_pair(job)
            out.append(sub)
            if progress:
                progress(sub)
        return out
    warm_up()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # small chunks: the workers finish together (a big last chunk would leave one core idle)
        for sub in pool.map(_inspect_pair, jobs, chunksize=max(1, min(8, len(jobs) // (workers * 4) or 1))):
            out.append(sub)
            if progress:
                progress(sub)
    return out
