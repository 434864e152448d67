"""Fuzzing the readers with mutated filled workbooks (hypothesis).

Every outcome must be a declared reason code (``CchcError`` whose code is in the catalogue) or a
successful read that the rule engine can check; no other exception type may escape (there is no
blanket ``except`` in the readers to hide one), every file is accounted for in a merge, and no
input file is modified.

The default suite runs a bounded number of examples. The long run:

    CCHC_FUZZ_EXAMPLES=5000 python -m pytest -q tests/test_fuzz.py -p no:cacheprovider

runs N examples of the package damage, N/3 of the workbook changes and N/50 merges (random, not
derandomized) and prints the figures it reached (examples tried per test, outcomes by reason code,
crashes).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from xl_addin.errors import CchcError, catalogue
from xl_addin.rules.engine import validate
from xl_addin.workbook.reader import read_workbook

from conftest import filled_workbook

EXAMPLES = int(os.environ.get("CCHC_FUZZ_EXAMPLES", "0") or 0)
LONG = EXAMPLES > 0
FIGURES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
TEMPLATE_SHEETS = ["Hướng dẫn", "Thông tin chung", "Số liệu", "Văn bản", "Đánh giá", "Biểu 06a", "Phụ lục 4",
                   "Phụ lục 5", "_lists", "_meta"]
VALUES = {"values": {"tthc_tiep_nhan_tong": 120, "tthc_da_gq_tong": 100, "tthc_dang_gq_tong": 15,
                     "tthc_cho_bo_sung": 3, "tthc_tra_lai": 2, "so_ky_hieu": "147/BC-UBND",
                     "bien_che_giao": 25, "bien_che_co_mat": 24},
          "lists": {"kien_nghi": [{"noi_dung": "Đề nghị tăng biên chế"}]}}


def _settings(default: int, share: int = 1, deadline=None):
    """``default`` examples in the suite; with CCHC_FUZZ_EXAMPLES=N, N // share (the slow tests get a share)."""
    return settings(max_examples=max(default, EXAMPLES // share) if LONG else default, deadline=deadline,
                    derandomize=not LONG,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    filled = filled_workbook(tmp, VALUES)
    return {"filled": filled.read_bytes()}


@pytest.fixture(scope="module", autouse=True)
def figures(request):
    yield
    if FIGURES:
        lines = ["", "Fuzz figures (examples tried, outcomes by reason code):"]
        for test, counter in FIGURES.items():
            crashes = counter.get("CRASH", 0)
            lines.append(f"  {test}: {sum(counter.values())} examples, crashes: {crashes}")
            lines.append("    " + ", ".join(f"{k}={v}" for k, v in counter.most_common()))
        reporter = request.config.pluginmanager.getplugin("terminalreporter")
        capture = request.config.pluginmanager.getplugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                for line in lines:
                    reporter.write_line(line)


def check_outcome(path: Path, test: str) -> str:
    """Read ``path``: a declared reason code or a checked read; anything else fails the test."""
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    try:
        data = read_workbook(path)
    except CchcError as exc:
        assert exc.code in catalogue()
        outcome = exc.code
    except BaseException:
        FIGURES[test]["CRASH"] += 1
        raise
    else:
        try:
            validate(data)
        except BaseException:
            FIGURES[test]["CRASH"] += 1
            raise
        for p in data.problems:
            assert p.code in catalogue(), p.code
        outcome = "read"
    if before is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never modified
    FIGURES[test][outcome] += 1
    return outcome


# --------------------------------------------------------------------------- mutations
def _entries(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            zf.writestr(name, content)
    return buf.getvalue()


def byte_mutation(draw, data: bytes) -> bytes:
    """Damage the package: bytes flipped, cut short, an entry dropped, duplicated or swapped, or the
    XML of one part broken (characters changed, a piece cut out, a hostile snippet inserted)."""
    kind = draw(st.sampled_from(["flip", "truncate", "drop_entry", "part_flip", "part_cut", "part_insert",
                                 "duplicate_entry", "swap_entries"]))
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 16))):
            i = draw(st.integers(0, len(out) - 1))
            out[i] ^= draw(st.integers(1, 255))
        return bytes(out)
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    entries = [(i.filename, c) for i, c in _entries(data)]
    names = [n for n, _ in entries]
    if kind == "drop_entry":
        drop = draw(st.sampled_from(names))
        return _zip([(n, c) for n, c in entries if n != drop])
    if kind == "duplicate_entry":
        dup = draw(st.sampled_from(names))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _zip(entries + [(dup, dict(entries)[dup][: len(dict(entries)[dup]) // 2])])
    if kind == "swap_entries":
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        content = dict(entries)
        return _zip([(n, content[b] if n == a else content[a] if n == b else c) for n, c in entries])
    name = draw(st.sampled_from([n for n in names if n.endswith((".xml", ".rels"))]))
    content = bytearray(dict(entries)[name])
    if kind == "part_flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(content) - 1))
            content[i] = draw(st.sampled_from(list(b'<>/"=&x019 AZ')))
    elif kind == "part_cut":
        i = draw(st.integers(0, len(content)))
        content = content[:i] + content[i + draw(st.integers(1, 400)):]
    else:
        i = draw(st.integers(0, len(content)))
        snippet = draw(st.sampled_from([b'<c r="XFD1048576"><v>1</v></c>', b'<row r="99999">', b"&#0;", b"<!--",
                                        b'<c r="A1" t="s"><v>999999</v></c>', b'<f t="shared" si="7"/>',
                                        b'<definedName name="x">Sheet!A1</definedName>', b"\xff\xfe", b"]]>"]))
        content = content[:i] + snippet + content[i:]
    return _zip([(n, bytes(content) if n == name else c) for n, c in entries])


CELL_VALUES = st.one_of(
    st.none(), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60), st.sampled_from(["1.059", "99,5", "=1/0", "=HYPERLINK(\"x\")", "=cmd|' /C calc'!A0",
                                           "@SUM(A1)", "-", "'", "mười", "15/06/2026", "#N/A", "TRUE"]),
    st.booleans(), st.dates(dt.date(1900, 3, 1), dt.date(9999, 1, 1)),
)


def workbook_mutation(draw, data: bytes) -> bytes:
    """Change what a clerk (or another program) can change: cell values and types on any sheet,
    sheets deleted, copied or renamed, defined names deleted or re-pointed, meta values, protection."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cells", "cells", "delete_sheet", "copy_sheet", "rename_sheet", "delete_name",
                                     "repoint_name", "meta", "unprotect"]))
        names = wb.sheetnames
        if kind == "cells":
            ws = wb[draw(st.sampled_from(names))]
            for _ in range(draw(st.integers(1, 12))):
                cell = ws.cell(row=draw(st.integers(1, 120)), column=draw(st.integers(1, 16)))
                value = draw(CELL_VALUES)
                if isinstance(value, str):
                    value = value.replace("\x00", "")
                try:
                    cell.value = value
                except (ValueError, TypeError, AttributeError, IllegalCharacterError):
                    pass  # openpyxl refuses some values (control characters) and merged cells
        elif kind == "delete_sheet" and len(names) > 1:
            wb.remove(wb[draw(st.sampled_from(names))])
        elif kind == "copy_sheet":
            wb.copy_worksheet(wb[draw(st.sampled_from(names))])
        elif kind == "rename_sheet":
            wb[draw(st.sampled_from(names))].title = draw(st.sampled_from(["Sheet1", "So lieu", "Số liệu (2)", "x"]))
        elif kind in ("delete_name", "repoint_name") and wb.defined_names:
            name = draw(st.sampled_from(sorted(wb.defined_names)))
            if kind == "delete_name":
                del wb.defined_names[name]
            else:
                wb.defined_names[name].attr_text = draw(st.sampled_from(["'Số liệu'!$A$1", "#REF!", "Sheet9!$B$2"]))
        elif kind == "meta" and "_meta" in names:
            key = draw(st.sampled_from(["template_id", "template_version", "profile", "unit_code", "unit_level",
                                        "period_code", "kind", "structure_digest"]))
            row = ["template_id", "template_version", "definition_hash", "profile", "unit_code", "unit_name",
                   "unit_level", "unit_parent_code", "code_list", "period_code", "period_from", "period_to",
                   "tool_version", "generated_at", "validated_at", "validation_errors", "exported_at",
                   "submission_counter", "kind", "report_digest", "marked_cells", "structure_digest"].index(key) + 1
            try:
                wb["_meta"].cell(row=row, column=2).value = draw(CELL_VALUES)
            except (ValueError, TypeError, AttributeError, IllegalCharacterError):
                pass
        elif kind == "unprotect":
            wb[draw(st.sampled_from(names))].protection.sheet = False
    buf = io.BytesIO()
    try:
        wb.save(buf)
    except (ValueError, TypeError, KeyError, IndexError):  # openpyxl cannot save what it was given: no file
        return data
    return buf.getvalue()


# --------------------------------------------------------------------------- tests
@_settings(60)
@given(data=st.data())
def test_damaged_zip_and_xml_give_declared_codes(bases, tmp_path, data):
    mutated = byte_mutation(data.draw, bases["filled"])
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(mutated)
    check_outcome(path, "zip/xml damage")


@_settings(25, share=3)
@given(data=st.data())
def test_changed_cells_sheets_and_names_give_declared_codes(bases, tmp_path, data):
    mutated = workbook_mutation(data.draw, bases["filled"])
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(mutated)
    check_outcome(path, "cells/sheets/names")


@_settings(4, share=50)
@given(data=st.data())
def test_every_mutated_file_is_accounted_for_in_a_merge(bases, tmp_path_factory, data):
    from xl_addin.merge.run import run_merge

    folder = tmp_path_factory.mktemp("merge")
    n = data.draw(st.integers(2, 5))
    for i in range(n):
        mutate = data.draw(st.sampled_from([byte_mutation, workbook_mutation]))
        (folder / f"f{i}.xlsx").write_bytes(mutate(data.draw, bases["filled"]))
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    try:
        result = run_merge(folder, workers=1)
    except CchcError as exc:  # the merge could not run at all (no readable file, no period)
        assert exc.code in ("merge_no_period", "merge_no_files", "merge_nothing_readable",
                            "merge_straddles_reorganisation"), exc.code
        FIGURES["merge"][exc.code] += 1
    else:
        total = len(result.merged) + len(result.rejected) + len(result.skipped) + len(result.superseded)
        assert total == n
        for s in result.rejected + result.skipped + result.superseded:
            assert s.code in catalogue()
        FIGURES["merge"]["ran"] += 1
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before
