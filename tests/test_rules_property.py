"""Property test: random values and text in every input never crash the engine, and every
finding names a real cell of the workbook."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.cells import ref_to_rc
from xl_addin.definition.loader import load_definition
from xl_addin.rules.engine import validate
from xl_addin.workbook.layout import compute_layout
from xl_addin.workbook.reader import extract

DEFINITION = load_definition(profile="ha-tinh")
LAYOUT = compute_layout(DEFINITION)
INPUTS = [(p.sheet, p.row, p.col) for c, p in LAYOUT.fields.items() if DEFINITION.field_map()[c].is_input]
for block in LAYOUT.lists.values():
    INPUTS += [(block.sheet, block.first_row + i, col) for col in block.columns.values() for i in range(3)]
for block in LAYOUT.tables.values():
    INPUTS += [(block.sheet, block.first_row + i, col) for col in list(block.columns.values()) + [block.label_col]
               for i in range(2)]
CELL_RE = re.compile(r"^(?P<sheet>[^!]+)!(?P<ref>[A-Z]{1,3}[0-9]+)$")

raw_values = st.one_of(
    st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["1.059", "99,5", "5 người", "—", "1,845,655,000", "=HYPERLINK(\"x\")",
                                           "Kế hoạch", "TM. (thay mặt tập thể)", "14/KH-UBND", ""]),
    st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)), st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(INPUTS) - 1), raw_values), min_size=1, max_size=60))
def test_random_inputs_never_crash_and_findings_name_real_cells(assignments):
    grids = {}
    for name in LAYOUT.sheet_names:
        rows, cols = LAYOUT.extent(name)
        grids[name] = [[None] * cols for _ in range(rows)]
    for index, value in assignments:
        sheet, row, col = INPUTS[index]
        grids[sheet][row - 1][col - 1] = value
    data = extract(DEFINITION, grids, "thu.xlsx", {"unit_level": "xa"})
    findings = validate(data)
    for f in findings:
        assert f.importance in ("error", "warning", "info")
        assert isinstance(f.message, str) and f.message.strip()
        for cell in f.cells:
            m = CELL_RE.match(cell)
            assert m, cell
            assert m["sheet"] in LAYOUT.sheet_names
            rows, cols = LAYOUT.extent(m["sheet"])
            row, col = ref_to_rc(m["ref"])
            assert 1 <= row <= rows and 1 <= col <= cols, (cell, rows, cols)  # inside the sheet's written grid
    # text is never read as a number
    for code, value in data.values.items():
        f = DEFINITION.field_map()[code]
        if f.type in ("integer", "decimal", "money", "percent") and f.is_input:
            assert value is None or not isinstance(value, str)
