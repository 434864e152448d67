"""The Windows batch files of the install bundle, checked where cmd.exe is not at hand.

cmd.exe reads a batch file as bytes in the console's code page and finds ``goto`` labels by scanning
the file, which goes wrong on LF line endings; it expands ``%VAR%`` before it parses ``&``, ``(``
and ``)``, so a path is safe only inside double quotes, and ``!`` in a path is eaten when delayed
expansion is on. These tests hold the scripts to that: CRLF, ASCII, every label and message there,
every path variable quoted, delayed expansion off wherever a path is expanded, a pause at the end.
What only Windows can show is in docs/windows-smoke-test.md.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from xl_addin.desktop import dropped_file
from xl_addin.errors import catalogue
from xl_addin.install import SCRIPTS, write_scripts

from conftest import ROOT

BATCH = ("install.bat", "upgrade.bat", "uninstall.bat", "kiem-tra.bat", "xuat-file-nop.bat")
PATH_VARS = ("HERE", "HOME_DIR", "PY", "TPL", "ARG1", "LOCALAPPDATA", "PUBLIC", "APPDATA", "H1", "H2", "XLSTART",
             "~dp0", "~f1")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    write_scripts(out)
    return out


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("ascii").split("\r\n")


def test_batch_files_are_ascii_with_crlf_line_endings(bundle):
    names = sorted(p.name for p in bundle.glob("*.bat"))
    assert names == sorted(BATCH)
    for name in BATCH:
        data = (bundle / name).read_bytes()
        data.decode("ascii")  # cmd reads it in the console's code page: ASCII reads the same in all
        assert b"\n" not in data.replace(b"\r\n", b""), f"{name}: a line ending that is not CRLF"
        assert data.endswith(b"\r\n"), name
    text = (bundle / "DOC-TRUOC-KHI-CAI.txt").read_bytes()
    assert b"\n" not in text.replace(b"\r\n", b"") and "Excel 32-bit" in text.decode("utf-8")


def test_gitattributes_keeps_crlf_in_every_checkout():
    rules = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.bat\s+text\s+eol=crlf$", rules, re.M)
    assert re.search(r"^xl_addin/install_scripts/\*\.txt\s+text\s+eol=crlf$", rules, re.M)
    try:
        out = subprocess.run(["git", "check-attr", "eol", "--", "xl_addin/install_scripts/install.bat"],
                             cwd=ROOT, capture_output=True, text=True, timeout=30)
    except OSError:
        pytest.skip("git is not installed")
    if out.returncode == 0:
        assert out.stdout.strip().endswith("eol: crlf")


def test_labels_messages_and_the_pause_at_the_end(bundle):
    for name in BATCH:
        lines = _lines(bundle / name)
        code = [ln.strip() for ln in lines if ln.strip() and not ln.strip().lower().startswith("rem ")]
        labels = {ln[1:].split()[0].lower() for ln in code if ln.startswith(":") and not ln.startswith("::")}
        for ln in code:
            for target in re.findall(r"\b(?:goto|call)\s+:(\w+)", ln, re.I):
                assert target.lower() in labels | {"eof"}, f"{name}: no label :{target}"
            for msg in re.findall(r"call\s+:say\s+(\w+)", ln, re.I):
                assert msg in catalogue(), f"{name}: message {msg} is not in the catalogue"
                assert (bundle / "thong-bao" / f"{msg}.txt").is_file(), msg
        # every way out of the main flow waits for a key (unless /q), so the window stays readable
        end = next(i for i, ln in enumerate(code) if re.match(r":end$", ln, re.I))
        subroutines = next((i for i, ln in enumerate(code) if i > end and re.match(r":\w+$", ln)), len(code))
        exits = [i for i, ln in enumerate(code[:subroutines]) if re.match(r"exit\b", ln, re.I)]
        assert exits and all(code[i - 1].lower() == "if not defined quiet pause" for i in exits), name
        assert not [ln for ln in code if re.fullmatch(r"pause", ln, re.I)], name  # /q runs unattended
        assert "setlocal EnableExtensions DisableDelayedExpansion" in code, name


def test_install_finds_python_by_launcher_or_path_and_refuses_32_bit(bundle):
    text = (bundle / "install.bat").read_text(encoding="ascii")
    assert "py -3.11" in text and re.search(r"^if not defined BASEPY python ", text, re.M)
    assert "struct.calcsize('P')" in text and "(3, 11)" in text
    for msg in ("bat_python_missing", "bat_python_32bit", "bat_python_version"):
        assert f"call :say {msg}" in text
    assert "isascii()" in text and r'set "HOME_DIR=%PUBLIC%\cchc"' in text
    assert r'--home "%ADDIN_HOME%"' in text and r'set "ADDIN_HOME=%%PUBLIC%%\cchc"' in text
    assert "--no-index" in text and r'--file "%HERE%cchc.xlam"' in text


def test_path_variables_are_only_expanded_inside_quotes(bundle):
    pattern = re.compile(r"%(" + "|".join(re.escape(v) for v in PATH_VARS) + r")(%|\b)")
    for name in BATCH:
        for number, line in enumerate(_lines(bundle / name), start=1):
            stripped = line.strip()
            if not stripped or stripped.lower().startswith("rem "):
                continue
            for m in pattern.finditer(line):
                quotes = line[:m.start()].count('"')
                assert quotes % 2 == 1, f"{name}:{number}: %{m.group(1)}% outside double quotes: {stripped}"
            if "EnableDelayedExpansion" in line:
                assert name in ("kiem-tra.bat", "xuat-file-nop.bat"), f"{name}:{number}"


def test_desktop_tools_hand_the_workbook_to_cchc(bundle):
    for name, verb in (("kiem-tra.bat", "check"), ("xuat-file-nop.bat", "export")):
        text = (bundle / name).read_text(encoding="ascii")
        assert f'-m xl_addin.cli {verb} --open "%~f1"' in text
        assert f"-m xl_addin.cli {verb} --pick --open" in text
        assert f'-m xl_addin.cli {verb} --open --dropped "%~nx0" "!ARG1!"' in text
        assert 'set "CCHC_CMDLINE=!cmdcmdline!"' in text and 'set "ARG1=%~f1"' in text
        # the path was dropped into a line cmd split at "&": end cmd itself so the rest never runs
        assert re.search(r"^exit !RC!$", text, re.M)


@pytest.mark.parametrize("cmdline,expected", [
    (r'C:\WINDOWS\system32\cmd.exe /c ""C:\cchc\kiem-tra.bat" D:\Bao&cao\Xa Duc Tho.xlsx"',
     r"D:\Bao&cao\Xa Duc Tho.xlsx"),
    (r'C:\WINDOWS\system32\cmd.exe /c ""C:\Users\Hà\Desktop\kiem-tra.bat" "D:\Báo cáo & số liệu\Xã Đức Thọ.xlsx""',
     r"D:\Báo cáo & số liệu\Xã Đức Thọ.xlsx"),
    (r'C:\WINDOWS\system32\cmd.exe /c ""C:\cchc\XUAT-FILE-NOP.BAT" D:\a&b.xlsx "', r"D:\a&b.xlsx"),
    (r'"C:\WINDOWS\system32\cmd.exe" ', None),  # typed in an open console: nothing to read here
])
def test_a_dropped_path_is_read_from_cmds_own_command_line(cmdline, expected):
    name = "xuat-file-nop.bat" if "XUAT" in cmdline else "kiem-tra.bat"
    found = dropped_file(cmdline, name)
    assert (str(found).replace("/", "\\") if found else None) == expected


def test_messages_for_the_scripts_come_from_the_catalogue(bundle):
    codes = sorted(c for c in catalogue() if c.startswith("bat_"))
    assert sorted(p.stem for p in (bundle / "thong-bao").glob("*.txt")) == codes
    for code in codes:
        data = (bundle / "thong-bao" / f"{code}.txt").read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
        assert b"\n" not in data.replace(b"\r\n", b"")
        assert catalogue()[code]["message"].split("\n")[0][:20] in data.decode("utf-8")
    assert {p.name for p in SCRIPTS.iterdir() if p.suffix == ".bat"} == set(BATCH)
