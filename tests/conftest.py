"""Shared fixtures: the real definition, real workbooks on disk, LibreOffice when present."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


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
