"""Packaging as IT meets it: what the wheel carries, where definitions come from, the add-in built
from the package alone, and what lets a 32-bit Office run it.

The full wheel round trip (build, install into a fresh virtual environment, run from another folder)
is ``scripts/check_wheel.sh``, which ``scripts/test.sh`` (CI) runs after the suite.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

with warnings.catch_warnings():  # oletools triggers pyparsing deprecation warnings at import time
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

import xl_addin.addin as addin
from xl_addin.addin.packager import conf_rows
from xl_addin.resources import packaged, templates_source

from conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, str(ROOT / "build_templates.py"), "--out", str(out)], check=True,
                   capture_output=True, cwd=ROOT)
    return out


# -- what the wheel carries ---------------------------------------------------------------------------


def test_pyproject_lists_every_subpackage_and_maps_the_data_folders():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    code = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "xl_addin").rglob("*.py")}
    assert code <= listed, f"sub-packages missing from [tool.setuptools] packages: {sorted(code - listed)}"
    assert config["package-dir"] == {"xl_addin.workbook_templates": "workbook_templates", "xl_addin.macros": "macros"}
    data = config["package-data"]
    for folder, package in (("workbook_templates", "xl_addin.workbook_templates"), ("macros", "xl_addin.macros")):
        patterns = data[package]
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        for path in files:
            rel = path.relative_to(ROOT / folder)
            assert any(rel.match(pat) or (pat.startswith("**/") and rel.match(pat[3:])) for pat in patterns), \
                f"{folder}/{rel} would be left out of the wheel"
    assert packaged("workbook_templates") == ROOT / "workbook_templates"  # a source checkout
    assert packaged("macros") == ROOT / "macros"


# -- where definitions come from ----------------------------------------------------------------------


def test_definitions_env_then_local_copy_then_packaged(tmp_path, monkeypatch):
    monkeypatch.delenv("CCHC_TEMPLATES", raising=False)
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Người dùng" / "AppData"))
    assert templates_source() == (ROOT / "workbook_templates", "packaged")
    local = tmp_path / "Người dùng" / "AppData" / "cchc" / "workbook_templates"
    shutil.copytree(ROOT / "workbook_templates", local)
    assert templates_source() == (local, "local")
    monkeypatch.setenv("CCHC_TEMPLATES", str(tmp_path / "env"))
    assert templates_source() == (tmp_path / "env", "env")


def test_cchc_fields_says_which_definitions_it_used(tmp_path):
    local = tmp_path / "AppData Local"
    shutil.copytree(ROOT / "workbook_templates", local / "cchc" / "workbook_templates")
    report = local / "cchc" / "workbook_templates" / "cchc" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.0"  # IT'),
                      encoding="utf-8")
    r = run_cli("fields", "--json", env={"LOCALAPPDATA": str(local), "CCHC_TEMPLATES": ""})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["definitions"] == {"path": str(local / "cchc" / "workbook_templates"),
                                                    "source": "local"}
    r = run_cli("fields", env={"CCHC_TEMPLATES": ""})
    assert r.returncode == 0, r.stderr
    assert f"{ROOT / 'workbook_templates'} (bản kèm theo công cụ)" in r.stdout


# -- the add-in from the package alone ------------------------------------------------------------------


def test_addin_build_cli_equals_dist(dist, tmp_path):
    out = tmp_path / "Thư mục có dấu & cách" / "cchc.xlam"
    r = run_cli("addin", "build", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == (dist / "cchc.xlam").read_bytes()


def test_pin_from_installed_metadata_without_pyproject(dist, monkeypatch):
    """An installed wheel has no pyproject.toml: the pin comes from the distribution's requirement."""
    monkeypatch.setattr(addin, "PYPROJECT", Path("/nonexistent/pyproject.toml"))
    assert addin.pinned_xlwings_version() == "0.37.8"
    assert addin.build_addin_bytes() == (dist / "cchc.xlam").read_bytes()


def test_home_moves_interpreter_and_temp_dir_under_an_ascii_folder(tmp_path):
    r = run_cli("addin", "build", "-o", str(tmp_path / "cchc.xlam"), "--home", r"%PUBLIC%\cchc")
    assert r.returncode == 0, r.stderr
    conf = _conf(tmp_path / "cchc.xlam")
    assert conf["Interpreter_Win"] == r"%PUBLIC%\cchc\.venv\Scripts\pythonw.exe"
    assert conf["PYTHONPATH"] == r"%PUBLIC%\cchc\app"
    assert conf["TEMP DIR"] == r"%PUBLIC%\cchc\temp"
    assert conf["Use UDF Server"] is False
    assert "TEMP DIR" not in dict(conf_rows("cchc"))  # the default keeps xlwings' own %TEMP%


def test_addin_install_needs_no_source_checkout(monkeypatch, tmp_path):
    """Without --file the add-in is built from the packaged VBA, not from pyproject.toml and macros/."""
    from xl_addin import install

    monkeypatch.setattr(addin, "PYPROJECT", Path("/nonexistent/pyproject.toml"))
    monkeypatch.setattr(install.sys, "platform", "win32")
    seen = {}

    def fake_xlwings(path: Path) -> Path:  # xlwings' own installer needs Excel; record what it is given
        seen["bytes"] = path.read_bytes()
        seen["name"] = path.name
        return path

    monkeypatch.setattr(install, "_xlwings_install", fake_xlwings)
    install.install_addin()
    assert seen["name"] == "cchc.xlam" and seen["bytes"] == addin.build_addin_bytes()


# -- 32-bit Office ----------------------------------------------------------------------------------------


def _conf(path: Path) -> dict:
    """The cchc.conf sheet of an add-in, read from its XML (openpyxl refuses the add-in content type)."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as zf:
        strings = ["".join(t.text or "" for t in si.iter(f"{ns}t"))
                   for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).iter(f"{ns}si")]
        sheet = ET.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    cells: dict[str, object] = {}
    for c in sheet.iter(f"{ns}c"):
        value = c.find(f"{ns}v").text
        cells[c.get("r")] = strings[int(value)] if c.get("t") == "s" else (value == "1" if c.get("t") == "b" else value)
    return {cells[f"A{i}"]: cells.get(f"B{i}") for i in range(1, 40) if f"A{i}" in cells}


def declares_outside_vba7(text: str) -> list[str]:
    """``Declare`` lines that a VBA7 Office (32- or 64-bit) would compile without ``PtrSafe``: every
    Declare must be PtrSafe unless it sits in the ``#Else`` branch of ``#If VBA7`` (VBA6 only)."""
    bad = []
    stack: list[tuple[bool, bool]] = []  # (is a VBA7 condition, in its #Else branch)
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("'", 1)[0].strip()
        low = code.lower()
        if low.startswith("#if "):
            stack.append((re.fullmatch(r"#if\s+vba7\s+then", low) is not None, False))
        elif low.startswith(("#else", "#elseif")) and stack:
            stack[-1] = (stack[-1][0], True)
        elif low.startswith("#end if") and stack:
            stack.pop()
        elif re.search(r"\bdeclare\b", low) and not low.startswith(("dim ", "const ")):
            vba6_only = any(is_vba7 and in_else for is_vba7, in_else in stack)
            if not vba6_only and "ptrsafe" not in low.split():
                bad.append(f"{number}: {code}")
            if not any(is_vba7 for is_vba7, _ in stack):
                bad.append(f"{number}: not under #If VBA7: {code}")
    return bad


def test_32_bit_office_runs_the_addin_through_runpython(dist):
    """RunPython with «Use UDF Server» FALSE starts pythonw.exe and never loads the xlwings DLL, so a
    32-bit Office drives the 64-bit Python; what it needs is a VBA7-safe project."""
    xlam = dist / "cchc.xlam"
    assert _conf(xlam)["Use UDF Server"] is False
    parser = VBA_Parser(str(xlam))
    modules = {name: code for _f, _s, name, code in parser.extract_macros()}
    parser.close()
    declares = sum(len(re.findall(r"^\s*(?:Private |Public )?Declare\b", c, re.M | re.I)) for c in modules.values())
    assert declares >= 8  # the xlwings module's DLL and libc declarations are really checked
    for name, code in modules.items():
        assert declares_outside_vba7(code) == [], name


def test_declare_check_catches_a_missing_ptrsafe():
    good = ("#If VBA7 Then\n  Declare PtrSafe Function F Lib \"k\" () As Long\n"
            "#Else\n  Declare Function F Lib \"k\" () As Long\n#End If\n")
    assert declares_outside_vba7(good) == []
    assert declares_outside_vba7(good.replace("PtrSafe ", "")) == ['2: Declare Function F Lib "k" () As Long']
    assert declares_outside_vba7('Declare PtrSafe Sub S Lib "k" ()\n') == [
        '1: not under #If VBA7: Declare PtrSafe Sub S Lib "k" ()']


def test_wheel_check_script_is_run_by_ci():
    script = (ROOT / "scripts" / "check_wheel.sh").read_text(encoding="utf-8")
    assert "bash scripts/check_wheel.sh" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    for step in ("pip wheel", "-m venv", "fields --json", "demo --out", "addin build -o", "cmp "):
        assert step in script, step


def test_bundle_from_an_installed_wheel_says_it_needs_the_source(tmp_path, monkeypatch):
    from xl_addin import install
    from xl_addin.errors import CchcError

    monkeypatch.setattr(install, "REPO_ROOT", tmp_path / "site-packages")
    with pytest.raises(CchcError) as info:
        install.build_bundle(tmp_path / "bundle")
    assert info.value.code == "bundle_needs_source" and not (tmp_path / "bundle").exists()
