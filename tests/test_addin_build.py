"""Build checks of the ``cchc.xlam`` add-in that run on Linux (addin-build.md, section 8).

The truth is other tools' reading of what we write, never our own reader alone:

* every VBA module, read back from the finished ``.xlam`` by olevba, equals its source file;
* LibreOffice (a second, independent MS-OVBA reader written in C++) agrees, when ``soffice`` is installed;
* olefile in strict mode reads ``vbaProject.bin``; the directory trees are valid red-black trees;
* our compression round-trips through our decompressor and through oletools' decompressor, and our
  decompressor reads module streams written by other tooling (xlwings' shipped add-in);
* our protection-string decryptor reads xlwings' shipped add-in, our encryptor round-trips for all seeds;
* the ribbon lint passes on the real files and fails on a misspelt callback;
* content types, the ribbon relationship and the ``cchc.conf`` sheet are checked in the zip;
* two builds are byte-identical; the cp1252 guard and the xlwings version pin fail loudly.
"""

from __future__ import annotations

import html
import io
import os
import random
import re
import shutil
import subprocess
import sys
import unicodedata
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings

with warnings.catch_warnings():  # oletools triggers pyparsing deprecation warnings at import time
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

from xl_addin.addin import (
    PROJECT_NAME,
    AddinBuildError,
    build_addin,
    build_addin_bytes,
    check_xlwings_pin,
    pinned_xlwings_version,
    xlwings_module,
)
from xl_addin.addin.cfb import NOSTREAM, CompoundFile, cfb_sort_key
from xl_addin.addin.compression import compress, decompress
from xl_addin.addin.packager import ADDIN_CONTENT_TYPE, UI_EXTENSIBILITY_2007, VBA_CONTENT_TYPE
from xl_addin.addin.ribbon_lint import CUSTOMUI_NS, lint_ribbon
from xl_addin.addin.ribbon_lint import main as lint_main
from xl_addin.addin.vbaproject import (
    PROTECTION_SEED,
    WORKBOOK_BASE,
    VbaEncodingError,
    VbaProjectError,
    build_vba_project,
    class_module,
    decrypt_data,
    document_module,
    encrypt_data,
    project_id,
    standard_module,
)
from xl_addin.addin.vbatext import vba_escape, vba_messages, vba_unescape

ROOT = Path(__file__).resolve().parents[1]
MACROS = ROOT / "macros"
XLWINGS_DIR = Path(os.path.dirname(xlwings.__file__))
XLWINGS_BAS = XLWINGS_DIR / "xlwings_custom_addin.bas"
SHIPPED_ADDIN = XLWINGS_DIR / "quickstart_addin_ribbon.xlam"

CONF_KEYS = ["Interpreter_Win", "Interpreter_Mac", "PYTHONPATH", "Conda Path", "Conda Env", "UDF Modules",
             "Debug UDFs", "Use UDF Server", "Show Console"]
NO_WORKBOOK_BUTTONS = {"OnMerge", "OnDiagnostics", "OnHelp"}
RIBBON_CALLS = {
    "OnValidate": "validate()", "OnRatios": "ratios()", "OnReport": "report()",
    "OnReportDocx": "report(docx=True)", "OnMerge": "merge()", "OnExport": "export()",
    "OnDiagnostics": "diagnostics()", "OnHelp": "help()",
}


# -- helpers ------------------------------------------------------------------------------------


def _lines(text: str, drop_attributes: bool) -> list[str]:
    """Compare form: LF line endings, no trailing blank lines, optionally no ``Attribute`` lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if drop_attributes:
        lines = [line for line in lines if not line.startswith("Attribute ")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _expected_sources() -> dict[str, tuple[str, bool]]:
    """Module name -> (source text as the repository or xlwings has it, is_document)."""
    xlwings_text = XLWINGS_BAS.read_bytes().decode("cp1252").replace(
        'PROJECT_NAME As String = "myaddin"', f'PROJECT_NAME As String = "{PROJECT_NAME}"')
    return {
        "ThisWorkbook": ("", True),
        "Sheet1": ("", True),
        "Ribbon": ((MACROS / "Ribbon.bas").read_text(encoding="ascii"), False),
        "xlwings": (xlwings_text, False),
    }


def _zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """Split a decompressed ``dir`` stream into (record id, data) pairs."""
    records = []
    pos = 0
    while pos < len(data):
        rid, size = int.from_bytes(data[pos:pos + 2], "little"), int.from_bytes(data[pos + 2:pos + 6], "little")
        if rid == 0x0009:  # PROJECTVERSION: Reserved=4 then 6 bytes
            size = 6
        records.append((rid, data[pos + 6:pos + 6 + size]))
        pos += 6 + size
    return records


def _check_red_black(ole: olefile.OleFileIO) -> None:
    entries = ole.direntries

    def walk(sid: int) -> tuple[int, list[str]]:
        if sid == NOSTREAM:
            return 1, []
        entry = entries[sid]
        black_left, left = walk(entry.sid_left)
        black_right, right = walk(entry.sid_right)
        assert black_left == black_right, f"unequal black height below {entry.name!r}"
        if entry.color == 0:  # red: no red child
            for child in (entry.sid_left, entry.sid_right):
                assert child == NOSTREAM or entries[child].color == 1, f"red-red at {entry.name!r}"
        return black_left + (entry.color == 1), left + [entry.name] + right

    for entry in entries:
        if entry is None or entry.entry_type not in (1, 5) or entry.sid_child == NOSTREAM:
            continue
        assert entries[entry.sid_child].color == 1, f"red tree root under {entry.name!r}"
        _, names = walk(entry.sid_child)
        keys = [cfb_sort_key(name) for name in names]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), names


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xlam(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "cchc.xlam")


@pytest.fixture(scope="module")
def parts(xlam) -> dict[str, bytes]:
    return _zip_parts(xlam.read_bytes())


@pytest.fixture(scope="module")
def vba_bin(parts) -> bytes:
    return parts["xl/vbaProject.bin"]


# -- VBA read back by independent parsers -------------------------------------------------------


def test_olevba_reads_every_module_identical_to_its_source(xlam):
    expected = _expected_sources()
    parser = VBA_Parser(str(xlam))
    try:
        assert parser.detect_vba_macros()
        found = {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()
    assert set(found) == set(expected)
    for name, (source, is_document) in expected.items():
        got = found[name]
        if isinstance(got, bytes):
            got = got.decode("cp1252")
        assert _lines(got, is_document) == _lines(source, is_document), f"module {name} differs"
    assert 'Attribute VB_Name = "Ribbon"' in found["Ribbon"]
    assert f'PROJECT_NAME As String = "{PROJECT_NAME}"' in found["xlwings"]
    assert "'xlwings is distributed under a BSD 3-clause license." in found["xlwings"]
    code = [line for line in _lines(found["Ribbon"], True) if line.strip() and not line.lstrip().startswith("'")]
    assert sum("RunPython" in line for line in code) == 1  # one guarded call, in RunCchc
    assert all(any(f"r.{call}" in line for line in code) for call in RIBBON_CALLS.values())
    assert not any("main" in line.lower() for line in code)  # never "Run main"


def _vba_procedure(text: str, name: str) -> str:
    match = re.search(rf"^Private (?:Sub|Function) {name}\b.*?^End (?:Sub|Function)$", text, re.M | re.S)
    assert match, name
    return match.group(0)


def test_ribbon_module_guards_every_button():
    """No workbook / Protected View is caught in VBA before RunPython (which reads ActiveWorkbook unchecked)."""
    text = (MACROS / "Ribbon.bas").read_text(encoding="ascii")  # ASCII only, or this raises
    subs = re.findall(r"Public Sub (\w+)\(control As IRibbonControl\)\n\s*(.+)\nEnd Sub", text)
    expected = {}
    for name, call in RIBBON_CALLS.items():
        command = f'"import xl_addin.ribbon as r; r.{call}"'
        expected[name] = (f"RunWithoutWorkbook {command}" if name in NO_WORKBOOK_BUTTONS
                          else f"If HasWorkbook() Then RunCchc {command}")
    assert dict(subs) == expected
    guard = _vba_procedure(text, "HasWorkbook")
    assert "If Not ActiveWorkbook Is Nothing Then" in guard and "Application.ActiveProtectedViewWindow" in guard
    assert "VBA_NO_WORKBOOK" in guard and "VBA_PROTECTED_VIEW" in guard
    lend = _vba_procedure(text, "RunWithoutWorkbook")
    assert lend.index("If ActiveWorkbook Is Nothing Then Set lent = Workbooks.Add") < lend.index("RunCchc command")
    run = _vba_procedure(text, "RunCchc")
    assert run.index("FileExists(interpreter)") < run.index("On Error GoTo Failed") < run.index("RunPython command")
    assert "VBA_PYTHON_BLOCKED" in run.split("Failed:")[1]
    code = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("'")]
    assert [line for line in code if "RunPython" in line] == ["RunPython command"]  # only through RunCchc


def test_ribbon_module_messages_are_the_catalogues():
    """The VBA's Vietnamese messages (\\uXXXX escapes decoded with ChrW) equal the vba_* catalogue entries."""
    text = (MACROS / "Ribbon.bas").read_text(encoding="ascii")
    messages = vba_messages()
    assert set(messages) == {"VBA_NO_WORKBOOK", "VBA_PROTECTED_VIEW", "VBA_NO_PYTHON", "VBA_PYTHON_BLOCKED"}
    for name, wanted in messages.items():
        found = re.search(rf'^Private Const {name} As String = "(.*)"$', text, re.M)
        assert found, f"{name} missing; run: python -m xl_addin.addin.vbatext"
        assert vba_unescape(found.group(1)) == wanted, f"{name} differs; run: python -m xl_addin.addin.vbatext"
        assert unicodedata.is_normalized("NFC", wanted)
    assert vba_unescape(vba_escape('«Enable Editing» "x" \\u')) == '«Enable Editing» "x" \\u'


@pytest.mark.libreoffice
def test_libreoffice_reads_every_module_identical_to_its_source(xlam, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = tmp_path / "lo-profile"
    out = tmp_path / "out"
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--infilter=Calc MS Excel 2007 VBA XML", "--convert-to", "ods", "--outdir", str(out), str(xlam)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    ods = out / "cchc.ods"
    assert ods.is_file(), f"LibreOffice conversion failed: {result.stdout}\n{result.stderr}"
    found = {}
    with zipfile.ZipFile(ods) as zf:
        for name in zf.namelist():
            match = re.fullmatch(rf"Basic/{PROJECT_NAME}/(\w+)\.xml", name)
            if match and match.group(1) != "script-lb":
                root = ET.fromstring(zf.read(name))
                found[match.group(1)] = html.unescape(root.text or "")
    expected = _expected_sources()
    assert set(found) == set(expected)
    added = re.compile(r"^(Rem Attribute VBA_ModuleType=\w+|Option VBASupport 1|Option ClassModule)$")
    for name, (source, _) in expected.items():
        got = [line for line in _lines(found[name], True) if not added.match(line)]
        assert got == _lines(source, True), f"module {name} differs in LibreOffice"


def test_vba_project_is_a_strict_compound_file(vba_bin):
    ole = olefile.OleFileIO(vba_bin, raise_defects=olefile.DEFECT_INCORRECT)
    streams = {"/".join(path) for path in ole.listdir(streams=True, storages=False)}
    assert streams == {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", "VBA/ThisWorkbook",
                       "VBA/Sheet1", "VBA/Ribbon", "VBA/xlwings"}
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
    _check_red_black(ole)

    project = ole.openstream("PROJECT").read().decode("cp1252")
    lines = project.split("\r\n")
    pid = project_id(PROJECT_NAME)
    assert lines[0] == f'ID="{pid}"'
    assert lines[1:5] == ["Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000",
                          "Module=Ribbon", "Module=xlwings"]
    assert f'Name="{PROJECT_NAME}"' in lines
    values = dict(line.split("=", 1) for line in lines if line[:4] in ("CMG=", "DPB=", "GC=\""))
    key = sum(pid.encode()) & 0xFF
    assert decrypt_data(values["CMG"].strip('"')) == (2, key, bytes(4))
    assert decrypt_data(values["DPB"].strip('"')) == (2, key, b"\x00")
    assert decrypt_data(values["GC"].strip('"')) == (2, key, b"\xff")
    assert "[Host Extender Info]" in lines

    wm = ole.openstream("PROJECTwm").read()
    assert wm == b"".join(n.encode() + b"\0" + n.encode("utf-16-le") + b"\0\0"
                          for n in ("ThisWorkbook", "Sheet1", "Ribbon", "xlwings")) + b"\0\0"
    # MODULEOFFSET 0 and cp1252 text: each module stream decompresses to source text from byte 0.
    ribbon = decompress(ole.openstream("VBA/Ribbon").read())
    assert ribbon.startswith(b'Attribute VB_Name = "Ribbon"\r\n')
    assert b"\n" not in ribbon.replace(b"\r\n", b"")
    ole.close()


def test_dir_stream_records(vba_bin):
    ole = olefile.OleFileIO(vba_bin)
    records = _dir_records(decompress(ole.openstream("VBA/dir").read()))
    ole.close()
    assert records[-1] == (0x0010, b"")
    ids = [rid for rid, _ in records]
    assert ids[:4] == [0x0001, 0x0002, 0x0014, 0x0003]
    assert dict(records)[0x0003] == (1252).to_bytes(2, "little")
    names = [value for rid, value in records if rid == 0x0016]
    assert names == [b"stdole", b"Office"]
    libids = [value for rid, value in records if rid == 0x000D]
    assert b"{00020430-0000-0000-C000-000000000046}" in libids[0]
    assert b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}" in libids[1]
    assert [value for rid, value in records if rid == 0x0031] == [bytes(4)] * 4  # MODULEOFFSET 0
    assert [rid for rid in ids if rid in (0x0021, 0x0022)] == [0x0022, 0x0022, 0x0021, 0x0021]


def test_class_module_and_custom_project_read_back_by_olevba(tmp_path):
    cls = ('VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  \'True\nEND\nAttribute VB_Name = "Counter"\n'
           'Attribute VB_Exposed = False\nOption Explicit\nPrivate n As Long\n'
           'Public Sub Add()\n    n = n + 1\nEnd Sub\n')
    modules = [document_module("ThisWorkbook", WORKBOOK_BASE), class_module(cls),
               standard_module("Attribute VB_Name = \"Tools\"\nSub A()\nEnd Sub\n")]
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(build_vba_project("Demo", modules))
    parser = VBA_Parser(str(path))
    try:
        found = {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()
    assert _lines(found["Counter"], True) == ["Option Explicit", "Private n As Long", "Public Sub Add()",
                                               "    n = n + 1", "End Sub"]
    assert 'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"' in found["Counter"]
    assert _lines(found["Tools"], False) == ['Attribute VB_Name = "Tools"', "Sub A()", "End Sub"]
    ole = olefile.OleFileIO(path.read_bytes(), raise_defects=olefile.DEFECT_INCORRECT)
    assert "Class=Counter" in ole.openstream("PROJECT").read().decode()
    ole.close()
    with pytest.raises(VbaProjectError, match="duplicate"):
        build_vba_project("Demo", modules + [standard_module('Attribute VB_Name = "tools"\n')])


# -- compound file ------------------------------------------------------------------------------


def test_compound_file_random_trees_strict_and_red_black():
    for seed in range(12):
        rnd = random.Random(seed)
        cf, files = CompoundFile(), {}
        for i in range(rnd.randint(1, 45)):
            folder = "/".join(f"S{rnd.randint(0, 2)}" for _ in range(rnd.randint(0, 2)))
            name = f"{folder}/F{i}x{'y' * rnd.randint(0, 9)}".lstrip("/")
            size = rnd.choice([0, 1, 63, 64, 65, 4095, 4096, 4097, rnd.randint(0, 40000)])
            files[name] = rnd.randbytes(size)
            cf.add_stream(name, files[name])
        ole = olefile.OleFileIO(cf.to_bytes(), raise_defects=olefile.DEFECT_INCORRECT)
        for name, data in files.items():
            assert ole.openstream(name).read() == data, name
        _check_red_black(ole)
        ole.close()


def test_compound_file_sibling_counts_give_valid_red_black_trees():
    for count in range(1, 70):
        cf = CompoundFile()
        for i in range(count):
            cf.add_stream(f"S/{'n' * (1 + i % 5)}{i}", b"x")
        ole = olefile.OleFileIO(cf.to_bytes(), raise_defects=olefile.DEFECT_INCORRECT)
        _check_red_black(ole)
        ole.close()


# -- compression --------------------------------------------------------------------------------


_RND = random.Random(20240601)
COMPRESSION_CASES = {
    "empty": b"",
    "one byte": b"a",
    "10 kB zeros": bytes(10240),
    "abc x 5000": b"abc" * 5000,
    "random 8 kB (raw chunks)": _RND.randbytes(8192),
    "random 8 kB + 100": _RND.randbytes(8292),
    "random text 20 kB": "".join(_RND.choice("abcdefgh ijk\r\n") for _ in range(20000)).encode(),
    "long repeated text": ("Public Sub OnValidate(control As IRibbonControl)\r\n" * 400).encode(),
    "xlwings module": XLWINGS_BAS.read_bytes(),
}


@pytest.mark.parametrize("name", list(COMPRESSION_CASES))
def test_compression_round_trip_ours_and_oletools(name):
    data = COMPRESSION_CASES[name]
    packed = compress(data)
    assert packed[0] == 1
    assert decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data
    if name == "random 8 kB (raw chunks)":
        assert packed[1:3] == b"\xff\x3f" and packed[4099:4101] == b"\xff\x3f"
        assert len(packed) == 1 + 2 * 4098
    if name in ("10 kB zeros", "long repeated text", "xlwings module"):
        assert len(packed) < len(data) // 2


def test_decompress_streams_written_by_other_tooling():
    if not SHIPPED_ADDIN.is_file():
        pytest.skip("xlwings' quickstart add-in is not installed")
    with zipfile.ZipFile(SHIPPED_ADDIN) as zf:
        ole = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
    raw_dir = ole.openstream("VBA/dir").read()
    dir_data = decompress(raw_dir)
    assert dir_data == bytes(decompress_stream(bytearray(raw_dir)))
    offsets, stream_name = {}, None
    for rid, value in _dir_records(dir_data):
        if rid == 0x001A:
            stream_name = value.decode("cp1252")
        elif rid == 0x0031:
            offsets[stream_name] = int.from_bytes(value, "little")
    assert len(offsets) == 5 and offsets["xlwings"] == 0  # source-only module, as ours
    for name, offset in offsets.items():
        raw = ole.openstream(f"VBA/{name}").read()[offset:]  # p-code (if any) precedes the source
        text = decompress(raw)
        assert text == bytes(decompress_stream(bytearray(raw))), name
        assert text.startswith(b"Attribute VB_Name"), name
    ole.close()


def test_protection_strings_decrypt_xlwings_shipped_addin_and_round_trip():
    if SHIPPED_ADDIN.is_file():
        with zipfile.ZipFile(SHIPPED_ADDIN) as zf:
            ole = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
        project = ole.openstream("PROJECT").read().decode("cp1252")
        ole.close()
        pid = re.search(r'ID="(\{[^}]+\})"', project).group(1)
        key = sum(pid.encode()) & 0xFF
        values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', project, re.MULTILINE))
        assert decrypt_data(values["CMG"]) == (2, key, bytes(4))
        assert decrypt_data(values["DPB"]) == (2, key, b"\x00")
        assert decrypt_data(values["GC"]) == (2, key, b"\xff")
    pid = project_id(PROJECT_NAME)
    for seed in range(256):
        for data in (bytes(4), b"\x00", b"\xff"):
            assert decrypt_data(encrypt_data(pid, data, seed)) == (2, sum(pid.encode()) & 0xFF, data)
    assert encrypt_data(pid, b"\xff") == encrypt_data(pid, b"\xff", PROTECTION_SEED)


# -- ribbon -------------------------------------------------------------------------------------


def test_ribbon_lint_passes_on_the_real_files():
    assert lint_ribbon(MACROS / "customUI14.xml", [MACROS / "Ribbon.bas"]) == []
    assert lint_main([str(MACROS / "customUI14.xml"), str(MACROS / "Ribbon.bas")]) == 0


def test_ribbon_lint_fails_on_a_misspelt_callback(tmp_path, capsys):
    bad = tmp_path / "customUI14.xml"
    bad.write_bytes((MACROS / "customUI14.xml").read_bytes().replace(b'"Ribbon.OnHelp"', b'"Ribbon.OnHelpX"'))
    problems = lint_ribbon(bad, [MACROS / "Ribbon.bas"])
    assert problems == ["btnHelp: onAction=Ribbon.OnHelpX has no matching Sub in module Ribbon"]
    assert lint_main([str(bad), str(MACROS / "Ribbon.bas")]) == 1
    assert "OnHelpX" in capsys.readouterr().out
    # The build refuses it too.
    macros = tmp_path / "macros"
    macros.mkdir()
    shutil.copy(MACROS / "Ribbon.bas", macros)
    shutil.copy(bad, macros)
    with pytest.raises(AddinBuildError, match="OnHelpX"):
        build_addin_bytes(macros_dir=macros)


@pytest.mark.parametrize("change, expected", [
    (lambda x: x.replace('id="btnRatios"', 'id="btnValidate"'), "id 'btnValidate' is used 2 times"),
    (lambda x: x.replace(' imageMso="Help"', ""), "btnHelp: button has no icon"),
    (lambda x: x.replace("2009/07/customui", "2006/01/customui"), "root element"),
    (lambda x: x.replace('"Ribbon.OnMerge"', '"OnMerge"'), "not module-qualified"),
    (lambda x: x.replace('"Ribbon.OnMerge"', '"Ribbons.OnMerge"'), "no VBA module"),
    (lambda x: x.replace("<ribbon>", "<ribbon"), "not well formed"),
])
def test_ribbon_lint_catches_other_mistakes(change, expected):
    xml = change((MACROS / "customUI14.xml").read_text(encoding="utf-8")).encode("utf-8")
    problems = lint_ribbon(xml, [MACROS / "Ribbon.bas"])
    assert any(expected in p for p in problems), problems


def test_ribbon_lint_checks_the_callback_signature():
    xml = (MACROS / "customUI14.xml").read_bytes()
    source = (MACROS / "Ribbon.bas").read_text(encoding="ascii")
    for wrong in ("Public Sub OnHelp()", "Private Sub OnHelp(control As IRibbonControl)",
                  "Public Function OnHelp(control As IRibbonControl)"):
        text = source.replace("Public Sub OnHelp(control As IRibbonControl)", wrong)
        assert any("OnHelp" in p for p in lint_ribbon(xml, {"Ribbon": text})), wrong


def test_ribbon_xml_content():
    raw = (MACROS / "customUI14.xml").read_bytes()
    text = raw.decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    root = ET.fromstring(raw)
    assert root.tag == f"{{{CUSTOMUI_NS}}}customUI"
    tabs = root.findall(f".//{{{CUSTOMUI_NS}}}tab")
    assert [(t.get("id"), t.get("label")) for t in tabs] == [("tabCchc", "CCHC")]
    buttons = {b.get("onAction"): b for b in root.iter(f"{{{CUSTOMUI_NS}}}button")}
    assert set(buttons) == {f"Ribbon.{name}" for name in RIBBON_CALLS}
    labels = {b.get("label") for b in buttons.values()}
    assert labels == {"Kiểm tra số liệu", "Tính tỷ lệ", "Lập báo cáo", "Xuất Word", "Tổng hợp thư mục",
                      "Xuất file nộp", "Kiểm tra cài đặt", "Hướng dẫn"}
    for button in buttons.values():
        assert button.get("size") == "large" and button.get("imageMso")
        assert button.get("screentip") and button.get("supertip")


# -- package ------------------------------------------------------------------------------------


def test_content_types_relationship_and_ribbon_part(parts):
    types = ET.fromstring(parts["[Content_Types].xml"])
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    overrides = {el.get("PartName"): el.get("ContentType") for el in types.iter(f"{ns}Override")}
    defaults = {el.get("Extension"): el.get("ContentType") for el in types.iter(f"{ns}Default")}
    assert overrides["/xl/workbook.xml"] == ADDIN_CONTENT_TYPE
    assert list(overrides.values()).count(ADDIN_CONTENT_TYPE) == 1
    assert not any("macroEnabled.main" in ct and ct != ADDIN_CONTENT_TYPE for ct in overrides.values())
    assert defaults.get("bin") == VBA_CONTENT_TYPE or overrides.get("/xl/vbaProject.bin") == VBA_CONTENT_TYPE

    rels = ET.fromstring(parts["_rels/.rels"])
    ui = [el for el in rels if el.get("Type", "").endswith("/ui/extensibility")]
    assert [(el.get("Id"), el.get("Type"), el.get("Target")) for el in ui] == [
        ("rIdCustomUI14", UI_EXTENSIBILITY_2007, "customUI/customUI14.xml")]
    assert parts["customUI/customUI14.xml"] == (MACROS / "customUI14.xml").read_bytes()
    assert "Kiểm tra số liệu" in parts["customUI/customUI14.xml"].decode("utf-8")
    assert [name for name in parts if name.startswith("customUI/")] == ["customUI/customUI14.xml"]
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            ET.fromstring(data)  # well formed


def test_conf_sheet_and_code_names(parts):
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    assert [s.get("name") for s in workbook.iter(f"{ns}sheet")] == [f"{PROJECT_NAME}.conf"]
    assert workbook.find(f"{ns}workbookPr").get("codeName") == "ThisWorkbook"
    sheet = ET.fromstring(parts["xl/worksheets/sheet1.xml"])
    assert sheet.find(f"{ns}sheetPr").get("codeName") == "Sheet1"
    strings = ["".join(t.text or "" for t in si.iter(f"{ns}t"))
               for si in ET.fromstring(parts["xl/sharedStrings.xml"]).iter(f"{ns}si")]
    cells: dict[str, object] = {}
    for c in sheet.iter(f"{ns}c"):
        value = c.find(f"{ns}v").text
        cells[c.get("r")] = strings[int(value)] if c.get("t") == "s" else (value == "1" if c.get("t") == "b" else value)
    assert [cells.get(f"A{i}") for i in range(1, 10)] == CONF_KEYS
    values = {cells[f"A{i}"]: cells.get(f"B{i}") for i in range(1, 10)}
    assert values == {
        "Interpreter_Win": r"%LOCALAPPDATA%\cchc\.venv\Scripts\pythonw.exe",
        "Interpreter_Mac": None,
        "PYTHONPATH": r"%LOCALAPPDATA%\cchc\app",
        "Conda Path": None, "Conda Env": None, "UDF Modules": None,
        "Debug UDFs": False, "Use UDF Server": False, "Show Console": False,
    }
    home = str(Path.home())
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            text = data.decode("utf-8")
            assert home not in text and str(ROOT) not in text, f"machine-specific path in {name}"


def test_two_builds_are_byte_identical(xlam, tmp_path):
    again = build_addin(tmp_path / "again.xlam")
    assert again.read_bytes() == xlam.read_bytes()
    assert build_addin_bytes() == xlam.read_bytes()
    with zipfile.ZipFile(xlam) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_build_addin_works_standalone(tmp_path):
    code = (
        "import sys; from pathlib import Path; from xl_addin.addin import build_addin; "
        f"p = build_addin(Path({str(tmp_path / 'cchc.xlam')!r})); "
        "print(p.stat().st_size); "
        "print(sorted(m for m in sys.modules if m.startswith('xl_addin')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    size, modules = result.stdout.strip().splitlines()
    assert int(size) > 10_000
    loaded = eval(modules)
    assert all(m in ("xl_addin", "xl_addin.resources") or m.startswith("xl_addin.addin") for m in loaded), modules


# -- guards -------------------------------------------------------------------------------------


def test_cp1252_guard_names_the_module():
    module = standard_module('Attribute VB_Name = "Bad"\nSub Hello()\n    MsgBox "Hệ thống"\nEnd Sub\n')
    with pytest.raises(VbaEncodingError) as info:
        module.encoded()
    message = str(info.value)
    assert "'Bad'" in message and "U+1EC7" in message and "line 3" in message and "ChrW" in message
    with pytest.raises(VbaEncodingError, match="Bad"):
        build_vba_project("Demo", [module])


def test_cp1252_guard_stops_the_build(tmp_path):
    macros = tmp_path / "macros"
    shutil.copytree(MACROS, macros)
    (macros / "Bad.bas").write_text('Attribute VB_Name = "Bad"\nSub X()\n    MsgBox "Kiểm tra"\nEnd Sub\n',
                                    encoding="utf-8")
    with pytest.raises(VbaEncodingError, match=r"'Bad'.*Bad\.bas"):
        build_addin_bytes(macros_dir=macros)


def test_version_pin_matches_installed_xlwings():
    pinned = pinned_xlwings_version()
    assert pinned == "0.37.8" == xlwings.__version__
    module = xlwings_module(PROJECT_NAME, pinned)
    assert f'XLWINGS_VERSION As String = "{pinned}"' in module.body
    assert f"xlwings64-{pinned}.dll" in module.body


def test_version_pin_check_raises_on_mismatch(tmp_path):
    text = XLWINGS_BAS.read_text(encoding="cp1252")
    with pytest.raises(AddinBuildError, match=r"pins xlwings==0\.37\.7.*'0\.37\.8'"):
        check_xlwings_pin(text, "0.37.7")
    with pytest.raises(AddinBuildError, match="mismatch"):
        xlwings_module(PROJECT_NAME, "0.30.0")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["xlwings==0.36.0"]\n', encoding="utf-8")
    with pytest.raises(AddinBuildError, match=r"xlwings==0\.36\.0"):
        build_addin_bytes(pyproject=pyproject)
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["xlwings>=0.37"]\n', encoding="utf-8")
    with pytest.raises(AddinBuildError, match="pinned exactly"):
        pinned_xlwings_version(pyproject)
