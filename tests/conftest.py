"""Shared fixtures: the real definition, real workbooks on disk, LibreOffice when present."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import prebuild
import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


def pytest_configure(config) -> None:
    """Hermetic runs: this test run's own template cache and log folder (inherited by the CLI
    subprocesses the tests start), never the user's cache or the shared temp folder."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="cchc-tests-"))
    config._cchc_tmp = base  # type: ignore[attr-defined]
    for var, sub in (("CCHC_CACHE_DIR", "cache"), ("CCHC_LOG_DIR", "log")):
        (base / sub).mkdir()
        os.environ[var] = str(base / sub)
    shared = prebuild.folder()
    if shared is not None:  # a mutation run: the template cache (inputs only) is shared by its mutants
        (shared / "cache").mkdir(parents=True, exist_ok=True)
        os.environ["CCHC_CACHE_DIR"] = str(shared / "cache")


def pytest_collection_modifyitems(session, config, items) -> None:
    """In a mutation run, the tests written to kill mutants run first (a killed mutant's process stops
    at its first failing test, and these are the quickest to fail); the others keep their order."""
    if prebuild.folder() is not None:
        items.sort(key=lambda item: not item.nodeid.split("::")[0].rsplit("/", 1)[-1].startswith(prebuild.FIRST))


def pytest_collection_finish(session) -> None:
    """In a mutation run, mutmut's fork server only collects: the tests' inputs are built there,
    once for every mutant (see tests/prebuild.py)."""
    shared = prebuild.folder()
    if shared is not None and session.config.option.collectonly:
        built = prebuild.build_all(shared / "inputs")
        (shared / "built.txt").write_text("".join(f"{key}\n" for key in built), encoding="utf-8")


def pytest_unconfigure(config) -> None:
    base = getattr(config, "_cchc_tmp", None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def definition():
    return load_definition()


@pytest.fixture(scope="session")
def period(definition):
    return parse_period("6T-2026", definition)


@pytest.fixture(scope="session")
def units():
    return [
        Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025"),
        Unit("18229", "Xã Đức Thọ", "xa", "42", "QD19_2025"),
        Unit("00004", "Phường Ba Đình", "phuong", "01", "QD19_2025"),
    ]


@pytest.fixture(scope="session")
def unit_books(tmp_path_factory, definition, units, period):
    from xl_addin.workbook.build import build_unit_workbooks

    out = tmp_path_factory.mktemp("units")
    return build_unit_workbooks(definition, units, period, out)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")


def run_soffice(args: list[str], cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    """Run LibreOffice headless with a private profile so parallel runs never clash."""
    profile = Path(cwd) / f".lo-profile-{uuid.uuid4().hex[:8]}"
    cmd = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args]
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "xl_addin.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=300)


def filled_workbook(tmp_path: Path, payload: dict, *, unit: Unit | None = None, period: str = "6T-2026",
                    profile: str | None = None, name: str = "filled.xlsx") -> Path:
    """A real per-unit workbook built from the definition and filled with ``payload``."""
    from xl_addin.workbook.build import build_unit_workbooks
    from xl_addin.workbook.fill import fill_workbook

    unit = unit or Unit("18073", "Phường Thành Sen", "phuong", "42", "QD19_2025")

    def build(out: Path) -> None:
        definition = load_definition(profile=profile)
        folder = tmp_path / f"built-{uuid.uuid4().hex[:6]}"
        [result] = build_unit_workbooks(definition, [unit], parse_period(period, definition), folder)
        fill_workbook(result.path, payload, out)

    return prebuild.reused(tmp_path / name, build, payload, unit, period, profile)


def remote_book(path: Path, client: str = "Office.js"):
    """An xlwings remote-engine book whose payload is made from a real workbook file."""
    import datetime as dt

    import xlwings as xw
    from python_calamine import CalamineWorkbook

    def conv(v):
        if v == "":
            return ""
        if isinstance(v, dt.datetime):
            return v.isoformat() + ".000Z"
        if isinstance(v, dt.date):
            return dt.datetime(v.year, v.month, v.day).isoformat() + ".000Z"
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v

    book = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        sheets.append({"name": name, "values": [[conv(v) for v in r] for r in rows] or [[""]],
                       "pictures": [], "tables": [], "notes": []})
    payload = {"client": client, "version": xw.__version__,
               "book": {"name": "Báo cáo Quý I – Xã Phước Hưng.xlsx", "active_sheet_index": 0, "selection": "A1"},
               "names": [], "sheets": sheets}
    return xw.Book(json=payload)


needs_xlwings_key = pytest.mark.skipif(not os.environ.get("XLWINGS_LICENSE_KEY"),
                                       reason="the xlwings remote engine needs XLWINGS_LICENSE_KEY (noncommercial)")
