"""`cchc bundle`: the offline Windows install folder is complete and the add-in is the one in dist/."""

from __future__ import annotations

import hashlib

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

from xl_addin.install import missing_for_windows, windows_environment

from conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    r = run_cli("bundle", "--out", str(out))
    if r.returncode != 0 and ("kho PyPI" in r.stderr or "Could not" in r.stderr):
        pytest.skip(f"no package index reachable: {r.stderr.strip()[-200:]}")
    assert r.returncode == 0, r.stderr
    return out


def test_windows_wheels_for_every_dependency(bundle):
    wheels = list((bundle / "wheels").glob("*.whl"))
    names = {canonicalize_name(parse_wheel_filename(w.name)[0]) for w in wheels}
    assert {"cchc-report-kit", "xlwings", "pywin32", "pydantic-core", "python-calamine", "lxml", "openpyxl",
            "colorama"} <= names
    assert missing_for_windows(bundle / "wheels") == []
    for wheel in wheels:
        tags = parse_wheel_filename(wheel.name)[3]
        platforms = {t.platform for t in tags}
        interpreters = {t.interpreter for t in tags}
        assert platforms & {"any", "win_amd64"}, wheel.name
        assert interpreters & {"py3", "cp311", "py2"} or any(i.startswith("py3") for i in interpreters), wheel.name
    assert windows_environment()["sys_platform"] == "win32"


def test_scripts_templates_and_addin(bundle, tmp_path):
    for name in ("install.bat", "upgrade.bat", "uninstall.bat", "kiem-tra.bat", "xuat-file-nop.bat",
                 "DOC-TRUOC-KHI-CAI.txt"):
        assert (bundle / name).is_file(), name
        data = (bundle / name).read_bytes()
        assert b"\n" not in data.replace(b"\r\n", b""), f"{name} has line endings other than CRLF"
    install = (bundle / "install.bat").read_bytes().decode("ascii")
    assert "--no-index" in install and "addin install --file" in install and "chcp 65001" in install
    tail = install.split("\r\n:end\r\n", 1)[1].split("\r\n")
    assert tail[:3] == ["if defined OLDCP chcp %OLDCP% >nul", "if not defined QUIET pause", "exit /b %RC%"]
    assert (bundle / "thong-bao" / "bat_python_32bit.txt").read_text(encoding="utf-8").startswith("Python")
    assert (bundle / "workbook_templates" / "cchc" / "sections.yaml").is_file()
    r = run_cli("--help")
    assert r.returncode == 0
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "build_templates.py"), "--out", str(tmp_path / "dist")], check=True,
                   capture_output=True)
    dist = (tmp_path / "dist" / "cchc.xlam").read_bytes()
    assert hashlib.sha256((bundle / "cchc.xlam").read_bytes()).hexdigest() == hashlib.sha256(dist).hexdigest()


def test_addin_install_says_it_needs_windows_or_macos():
    r = run_cli("addin", "install")
    assert r.returncode == 1
    assert "Windows hoặc macOS" in r.stderr and "Traceback" not in r.stderr
