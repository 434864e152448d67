"""The pre-flight's sheet scan reads a sheet part the way an XML parser does, whatever the spelling.

XML allows many spellings of the same sheet: text in CDATA sections, attributes in single quotes,
in any order and with blanks around ``=``, namespace prefixes (``<x:c>``), character references
(``r="&#x44;9"``), comments and processing instructions between elements, ``<v/>`` for ``<v></v>``,
blanks before the ``>`` of an end tag. ``respell`` writes a sheet part again, from the tree a real
parser (ElementTree) read, in spellings chosen at random; the scan of every spelling must equal the
scan of the part as the template wrote it. Formulas are also checked against openpyxl's own reading.
"""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.errors import CchcError
from xl_addin.workbook import safety
from xl_addin.workbook.reader import read_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --------------------------------------------------------------------------- a random re-spelling
class Spelling:
    """How ``respell`` writes: each choice is taken with its probability, element by element."""

    def __init__(self, rng: random.Random, *, cdata: float = 0.0, single: float = 0.0, prefix: float = 0.0,
                 charref: float = 0.0, comments: float = 0.0, blanks: float = 0.0, shuffle: bool = False,
                 cdata_in: tuple[str, ...] = ("f", "formula1", "formula2", "sqref", "v", "t"),
                 charref_in: tuple[str, ...] | None = None) -> None:
        self.rng, self.cdata, self.single, self.prefix = rng, cdata, single, prefix
        self.charref, self.comments, self.blanks, self.shuffle = charref, comments, blanks, shuffle
        # the elements whose text may take CDATA / character references (None: every text and attribute)
        self.cdata_in, self.charref_in = cdata_in, charref_in

    def take(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p


def _split(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        uri, local = name[1:].split("}", 1)
        return uri, local
    return "", name


def _escape(text: str, sp: Spelling, quote: str = "", refs: bool = True) -> str:
    out = []
    for ch in text:
        if ch in "&<>\r" or ch == quote or ch in "\t\n" and quote or refs and sp.take(sp.charref):
            out.append(f"&#x{ord(ch):X};" if sp.rng.random() < 0.5 else f"&#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


def respell(data: bytes, sp: Spelling) -> bytes:
    """The same XML document (elements, attributes, text) written with the spellings ``sp`` picks."""
    root = ET.fromstring(data)
    uris = {MAIN}
    for el in root.iter():
        uris.add(_split(el.tag)[0])
        uris.update(_split(a)[0] for a in el.attrib)
    prefixes = {uri: f"n{i}" for i, uri in enumerate(sorted(uris - {MAIN, ""}))}
    out: list[str] = []

    def name_of(tag: str) -> str:
        uri, local = _split(tag)
        if uri == MAIN:
            return f"x:{local}" if sp.take(sp.prefix) else local
        return f"{prefixes[uri]}:{local}" if uri else local

    def attr_name(key: str) -> str:
        uri, local = _split(key)
        if uri == "http://www.w3.org/XML/1998/namespace":
            return f"xml:{local}"
        return f"{prefixes[uri]}:{local}" if uri else local

    def text(value: str | None, local: str) -> None:
        if not value:
            return
        refs = sp.charref_in is None or local in sp.charref_in
        if local in sp.cdata_in and "]]>" not in value and sp.take(sp.cdata):
            cut = sp.rng.randrange(len(value) + 1)  # a CDATA section may hold part of the text
            out.append(_escape(value[:cut], sp, refs=refs) + f"<![CDATA[{value[cut:]}]]>")
        else:
            out.append(_escape(value, sp, refs=refs))

    def blank() -> str:
        return sp.rng.choice([" ", "\n", "\t", "  "]) if sp.take(sp.blanks) else ""

    def write(el: ET.Element, top: bool) -> None:
        name = name_of(el.tag)
        local = _split(el.tag)[1]
        items = list(el.attrib.items())
        if sp.shuffle:
            sp.rng.shuffle(items)
        parts = [name]
        if top:
            parts.append(f'xmlns="{MAIN}" xmlns:x="{MAIN}"')
            parts += [f'xmlns:{p}="{uri}"' for uri, p in prefixes.items()]
        for key, value in items:
            q = "'" if sp.take(sp.single) else '"'
            value = _escape(value, sp, q, refs=sp.charref_in is None)
            parts.append(f"{attr_name(key)}{blank()}={blank()}{q}{value}{q}")
        out.append("<" + " ".join(parts) + blank())
        if not len(el) and not el.text and sp.rng.random() < 0.5:
            out.append("/>")
        else:
            out.append(">")
            text(el.text, local)
            for child in el:
                if sp.take(sp.comments):
                    out.append(sp.rng.choice(['<!-- <c r="ZZ99999"><f>X</f></c> -->', "<?cchc test?>"]))
                write(child, False)
                text(child.tail, local)
            out.append(f"</{name}{blank()}>")

    write(root, True)
    decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' if sp.rng.random() < 0.5 else ""
    return (decl + "".join(out)).encode("utf-8")


# --------------------------------------------------------------------------- fixtures
def _sheet_parts(path: Path) -> dict[str, tuple[str, bytes]]:
    pre = safety.preflight(path)
    return {name: (part, pre.read_part(part, 10**8)) for name, part in pre.parts().sheets}


@pytest.fixture(scope="module")
def parts(unit_books) -> dict[str, tuple[str, bytes]]:
    return _sheet_parts(unit_books[0].path)


def _scan(name: str, part: str, data: bytes) -> safety.SheetScan:
    return safety.parse_sheet_xml(name, part, data)


def _with_part(src: Path, out: Path, changes: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, changes.get(info.filename, zin.read(info)))
    return out


def _cell_xml(data: bytes, ref: str) -> bytes:
    m = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*>.*?</c>', data)
    assert m, ref
    return m.group(0)


# --------------------------------------------------------------------------- the defects of issue 20
def test_formula_in_cdata_is_read(parts):
    """Issue 20: a formula wrapped in CDATA was missed by the hand-written scan."""
    name = "Số liệu"
    part, data = parts[name]
    plain = _scan(name, part, data)
    assert plain.formulas["E9"].startswith("IF(ISNUMBER(D9)")
    cell = _cell_xml(data, "E9")
    f = re.search(rb"<f>(.*?)</f>", cell)
    formula = ET.fromstring(b"<f>" + f.group(1) + b"</f>").text.encode()
    wrapped = cell.replace(f.group(0), b"<f><![CDATA[" + formula + b"]]></f>")
    scan = _scan(name, part, data.replace(cell, wrapped))
    assert scan.formulas == plain.formulas


def test_single_quoted_reference_is_read_against_its_own_cell(parts):
    """Issue 20: ``<c r='D9'>`` was reported against C9 (the last double-quoted reference before it)."""
    name = "Số liệu"
    part, data = parts[name]
    cell = _cell_xml(data, "D9")
    changed = cell.replace(b'<c r="D9"', b"<c r='D9'").replace(b"</c>", b"") + b"<f>SUM(1,2)</f></c>"
    scan = _scan(name, part, data.replace(cell, changed))
    assert scan.formulas["D9"] == "SUM(1,2)"
    assert scan.formulas["C9"] == _scan(name, part, data).formulas["C9"]


@pytest.mark.parametrize("spelling, cell", [
    ("namespace prefix", b'<x:c xmlns:x="' + MAIN.encode() + b'" r="D9"><x:f>SUM(1,2)</x:f></x:c>'),
    ("character references", b'<c r="&#x44;9"><f>SUM(&#49;,2)</f></c>'),
    ("blanks in the tags", b'<c\n r = "D9" ><f >SUM(1,2)</f ></c >'),
    ("a comment before the formula", b'<c r="D9"><!-- <f>X</f> --><f>SUM(1,2)</f></c>'),
    ("the reference after the style", b'<c s="35" r="D9"><f>SUM(1,2)</f></c>'),
    ("a processing instruction", b'<c r="D9"><?x <f>X</f>?><f>SUM<![CDATA[(1,2)]]></f></c>'),
])
def test_other_spellings_of_a_formula_cell(parts, spelling, cell):
    name = "Số liệu"
    part, data = parts[name]
    scan = _scan(name, part, data.replace(_cell_xml(data, "D9"), cell))
    assert scan.formulas["D9"] == "SUM(1,2)", spelling
    assert scan.formulas["C9"] == _scan(name, part, data).formulas["C9"]


@pytest.mark.parametrize("spelling, cell", [
    ("the usual spelling", b'<c r="D9"><v>-5E+11</v></c>'),
    ("namespace prefixes", b'<x:c xmlns:x="' + MAIN.encode() + b'" r="D9"><x:v>-5E+11</x:v></x:c>'),
    ("a prefixed value only", b'<c r="D9"><x:v xmlns:x="' + MAIN.encode() + b'">-5E+11</x:v></c>'),
    ("single quotes, blanks", b"<c r='D9' ><v >-5E+11</v ></c>"),
])
def test_a_number_far_below_zero_is_suspect_however_spelled(parts, spelling, cell):
    """A value python-calamine cannot turn into a date (far below zero) is found in every spelling:
    the old scan looked for «<v>-» only, so a prefixed <x:v> went to python-calamine unseen."""
    name = "Số liệu"
    part, data = parts[name]
    assert _scan(name, part, data).suspect == []
    scan = _scan(name, part, data.replace(_cell_xml(data, "D9"), cell))
    assert scan.suspect == ["D9"], spelling


def test_a_commented_out_far_cell_reaches_nowhere(parts):
    name = "Số liệu"
    part, data = parts[name]
    cell = _cell_xml(data, "D9")
    scan = _scan(name, part, data.replace(cell, cell + b'<!-- <c r="XFD1048576"><v>1</v></c> -->'))
    assert (scan.max_row, scan.max_col) == (0, 0)  # within the limits
    far = _scan(name, part, data.replace(cell, cell + b'<c r="&#x58;FD1048576"><v>1</v></c>'))
    assert (far.max_row, far.max_col) == (1048576, 16384)


# --------------------------------------------------------------------------- every spelling, at random
def _openpyxl_formulas(path: Path) -> dict[str, dict[str, str]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {c.coordinate: safety.normalize_formula(c.value) for row in ws.iter_rows() for c in row
                         if isinstance(c.value, str) and c.data_type == "f"}
    return out


def test_template_formulas_match_openpyxl(unit_books, parts):
    """The quick scan of the template's sheets finds exactly the formulas openpyxl reads."""
    expected = _openpyxl_formulas(unit_books[0].path)
    for name, (part, data) in parts.items():
        assert _scan(name, part, data).formulas == expected[name], name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), sheet=st.sampled_from(["Số liệu", "Thông tin chung", "Nội dung", "Biểu 06a",
                                                          "Đối chiếu", "_meta", "Văn bản"]),
       cdata=st.sampled_from([0.0, 0.3, 1.0]), single=st.sampled_from([0.0, 0.5, 1.0]),
       prefix=st.sampled_from([0.0, 0.5, 1.0]), charref=st.sampled_from([0.0, 0.05, 0.5]),
       comments=st.sampled_from([0.0, 0.1]), blanks=st.sampled_from([0.0, 0.3]), shuffle=st.booleans())
def test_every_spelling_scans_the_same(parts, seed, sheet, cdata, single, prefix, charref, comments, blanks,
                                       shuffle):
    part, data = parts[sheet]
    sp = Spelling(random.Random(seed), cdata=cdata, single=single, prefix=prefix, charref=charref,
                  comments=comments, blanks=blanks, shuffle=shuffle)
    assert _scan(sheet, part, respell(data, sp)) == _scan(sheet, part, data)


def test_the_plain_respelling_takes_the_quick_path(parts):
    """``respell`` with no variation writes what the template writes: the quick scan applies to it."""
    for name, (part, data) in parts.items():
        again = respell(data, Spelling(random.Random(0)))
        assert safety.quick_scan(name, part, again) == _scan(name, part, data), name
        assert safety.quick_scan(name, part, data) is not None, name


# --------------------------------------------------------------------------- through the reader
@pytest.fixture()
def filled(tmp_path, unit_books):
    from xl_addin.workbook.fill import fill_workbook

    out = tmp_path / "filled.xlsx"
    fill_workbook(unit_books[0].path, {"values": {"tthc_tiep_nhan_tong": 12, "tthc_moi_truc_tuyen": 10,
                                                  "tthc_moi_truc_tiep": 2}}, out)
    return out


def _problems(path: Path) -> list[tuple[str, str]]:
    return sorted((p.code, p.cell) for p in read_workbook(path).problems)


@pytest.mark.parametrize("how", ["cdata", "single", "prefix", "everything"])
def test_a_respelled_workbook_reads_the_same(filled, tmp_path, how):
    """Every sheet part of a filled workbook re-spelled: the same values and problems (no tamper
    finding). Values and cell attributes keep their plain spelling (python-calamine reads neither
    CDATA nor character references in <v>, nor references in r="…"); formulas, the other
    attributes' quotes, order and blanks, prefixes, comments and the tail take the spelling."""
    pre = safety.preflight(filled)
    sp = {"cdata": dict(cdata=1.0), "single": dict(single=1.0), "prefix": dict(prefix=1.0),
          "everything": dict(cdata=0.5, single=0.5, prefix=0.5, charref=0.02, comments=0.05, blanks=0.2,
                             shuffle=True)}[how]
    changes = {}
    for i, (_, part) in enumerate(pre.parts().sheets):
        spelling = Spelling(random.Random(i), cdata_in=("f", "formula1", "formula2", "sqref"),
                            charref_in=("f", "formula1", "formula2", "sqref"), **sp)
        changes[part] = respell(pre.read_part(part, 10**8), spelling)
    odd = _with_part(filled, tmp_path / "odd.xlsx", changes)
    a, b = read_workbook(filled).to_json(), read_workbook(odd).to_json()
    for d in (a, b):
        d.pop("file")
        d["problems"] = [{k: v for k, v in p.items() if k != "message"} for p in d["problems"]]
    assert a == b


def test_a_formula_hidden_in_cdata_in_an_input_cell_is_reported(filled, tmp_path):
    """A clerk's formula in an input cell is a warning (value_formula_in_input), however it is spelled."""
    pre = safety.preflight(filled)
    part = pre.sheet_part("Số liệu")
    data = pre.read_part(part, 10**8)
    cell = _cell_xml(data, "D9")
    m = re.match(rb'<c r="D9"([^>]*?)(/?)>', cell)
    hidden = b'<c r="D9"' + m.group(1) + b"><f><![CDATA[1+1]]></f><v>2</v></c>"
    odd = _with_part(filled, tmp_path / "odd.xlsx", {part: data.replace(cell, hidden)})
    assert ("value_formula_in_input", "Số liệu!D9") in _problems(odd)


# --------------------------------------------------------------------------- refused
def _doctype(data: bytes, decl: bytes) -> bytes:
    i = data.find(b"<worksheet")
    return data[:i] + decl + data[i:]


@pytest.mark.parametrize("decl", [
    b'<!DOCTYPE worksheet [<!ENTITY a "77">]>',
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    b'<!DOCTYPE worksheet SYSTEM "http://example.com/x.dtd">',
])
def test_a_sheet_with_a_dtd_is_refused(filled, tmp_path, decl):
    """No workbook part has a DTD; one that declares entities could expand them (a «billion
    laughs»), or give a cell a value python-calamine does not see: refused, naming the sheet."""
    pre = safety.preflight(filled)
    part = pre.sheet_part("Số liệu")
    data = pre.read_part(part, 10**8)
    cell = _cell_xml(data, "D10")
    body = data.replace(cell, b'<c r="D10"><v>&a;</v></c>') if b"ENTITY a" in decl else data
    odd = _with_part(filled, tmp_path / "dtd.xlsx", {part: _doctype(body, decl)})
    with pytest.raises(CchcError) as err:
        read_workbook(odd)
    assert err.value.code == "workbook_xml_dtd"
    assert "Số liệu" in str(err.value) and "dtd.xlsx" in str(err.value)


def test_a_sheet_that_is_not_well_formed_is_refused_naming_it(filled, tmp_path):
    pre = safety.preflight(filled)
    part = pre.sheet_part("Số liệu")
    data = pre.read_part(part, 10**8)
    cell = _cell_xml(data, "D9")
    odd = _with_part(filled, tmp_path / "bad.xlsx",
                     {part: data.replace(cell, cell.replace(b'<c r="D9"', b"<c r='D9' r='D9'"))})
    with pytest.raises(CchcError) as err:
        read_workbook(odd)
    assert err.value.code == "workbook_xml_damaged"
    assert "Số liệu" in str(err.value)


def test_respell_keeps_the_document(parts):
    """The test's own re-spelling is the same document to a real parser (ElementTree)."""
    def canon(data: bytes) -> list:
        return [(el.tag, sorted(el.attrib.items()), (el.text or "").strip(), (el.tail or "").strip())
                for el in ET.fromstring(data).iter()]

    part, data = parts["Số liệu"]
    sp = Spelling(random.Random(1), cdata=0.5, single=0.5, prefix=0.5, charref=0.2, comments=0.1, blanks=0.3,
                  shuffle=True)
    again = respell(data, sp)
    assert again != data
    assert canon(again) == canon(data)
    assert io.BytesIO(again).read(5) in (b"<?xml", b"<work", b"<x:wo")


# --------------------------------------------------------------------------- the workbook part
def test_the_workbook_part_is_read_as_a_parser_reads(unit_books):
    """xl/workbook.xml and its relationships (sheet list, defined names, structure lock) in any
    spelling give the same reading; a sheet or a name inside a comment is not there."""
    pre = safety.preflight(unit_books[0].path)
    workbook = pre.read_part("xl/workbook.xml", 10**8)
    rels = pre.read_part("xl/_rels/workbook.xml.rels", 10**8)
    plain = safety._parse_parts(workbook, rels)
    assert len(plain.sheets) >= 10 and plain.names and plain.locked
    for seed in range(12):
        sp = dict(cdata=0.5, single=0.5, prefix=0.5, charref=0.1, comments=0.2, blanks=0.3, shuffle=True,
                  cdata_in=("definedName",))
        again = safety._parse_parts(respell(workbook, Spelling(random.Random(seed), **sp)),
                                    respell(rels, Spelling(random.Random(seed + 100), **sp)))
        assert again == plain, seed
    first = re.search(rb"<sheet [^>]*/>", workbook).group(0)
    hidden = workbook.replace(first, b"<!-- " + first.replace(b"<sheet ", b"<sheet_ ") + b" -->" + first)
    commented = hidden.replace(b"<sheets>", b'<sheets><!-- <sheet name="X" sheetId="99" r:id="rId1"/> -->')
    assert safety._parse_parts(commented, rels) == plain


def test_a_damaged_workbook_part_is_refused(filled, tmp_path):
    pre = safety.preflight(filled)
    workbook = pre.read_part("xl/workbook.xml", 10**8)
    for bad in (workbook.replace(b"<sheets>", b"<sheets><sheet name='a' name='b'/>"),
                b'<!DOCTYPE workbook [<!ENTITY a "b">]>' + workbook[workbook.find(b"<workbook"):]):
        odd = _with_part(filled, tmp_path / "odd.xlsx", {"xl/workbook.xml": bad})
        with pytest.raises(CchcError) as err:
            read_workbook(odd)
        assert err.value.code == "workbook_xml_damaged"
