"""What the clerk types covers what real reports state (docs/coverage.md, from the fixture
tests/fixtures/seed_figures.yaml: the five example reports' figures, copied into the repository).

The district example (002) and the richest commune example (003) are filled with every figure
the tool keeps in the unit's workbook and with their section texts; ``cchc report --text`` must
state each figure and each text, the texts in their own sections, in order."""

from __future__ import annotations

import importlib.util
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.definition.periods import parse_period
from xl_addin.definition.units import Unit
from xl_addin.workbook.build import build_unit_workbooks
from xl_addin.workbook.fill import fill_workbook
from xl_addin.workbook.layout import section_numbers

from conftest import ROOT, run_cli

_spec = importlib.util.spec_from_file_location("gen_coverage_doc", ROOT / "scripts" / "gen_coverage_doc.py")
coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coverage)  # type: ignore[union-attr]
DATA = coverage.load()


def test_coverage_doc_is_current_codes_exist_and_strict_coverage_is_at_least_75_percent():
    doc = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert doc == coverage.render(DATA), "docs/coverage.md is stale: run python scripts/gen_coverage_doc.py"
    for code, report in DATA["reports"].items():
        definition = load_definition(profile=report.get("profile"))
        fields, ratios, tables = definition.field_map(), definition.ratio_map(), definition.table_map()
        held: dict[str, object] = {}
        for fig in report["figures"]:
            kind = coverage.kind(fig)
            assert sum(k in fig for k in ("field", "ratio", "table", "summary", "none")) == 1, fig["id"]
            if kind == "field":
                assert fig["field"] in fields, fig["id"]
                # one indicator, one cell: a field holds one value per report
                assert held.setdefault(fig["field"], fig["value"]) == fig["value"], fig["id"]
            elif kind == "ratio":
                assert fig["ratio"] in ratios, fig["id"]
            elif kind == "summary":
                assert fig["summary"] in fields or fig["summary"] in ratios, fig["id"]
            elif kind == "table":
                table = tables[fig["table"]["code"]]
                assert fig["table"]["column"] in {c.code for c in table.columns}, fig["id"]
                if "row" in fig["table"]:
                    assert fig["table"]["row"] in {r.code for r in table.rows}, fig["id"]
            else:
                assert fig["none"].strip(), fig["id"]
        for text_code in DATA["texts"].get(code, {}):
            assert text_code in fields and fields[text_code].type == "long_text"
    n, strict, _summary = coverage.counts(DATA)["all"]
    assert n >= 250  # every figure of the five reports, not a selection
    assert Decimal(strict) / Decimal(n) >= Decimal("0.75"), f"strict coverage {strict}/{n}"


# --------------------------------------------------------------------------- the report states them
_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(?![\d])(%| tỷ đồng| triệu đồng| đồng)?")
_MONEY = {" tỷ đồng": Decimal(10) ** 9, " triệu đồng": Decimal(10) ** 6, " đồng": Decimal(1)}


def figures_in(text: str) -> dict[str, set[Decimal]]:
    """Every number the text states, Vietnamese style: plain numbers, percents, amounts in đồng."""
    found: dict[str, set[Decimal]] = {"plain": set(), "percent": set(), "dong": set()}
    for whole, frac, suffix in _NUMBER.findall(text):
        value = Decimal(whole.replace(".", "") + ("." + frac if frac else ""))
        if suffix == "%":
            found["percent"].add(value)
        elif suffix in _MONEY:
            found["dong"].add(value * _MONEY[suffix])
            found["plain"].add(value)
        else:
            found["plain"].add(value)
    return found


def _percent(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _build(tmp_path, code: str):
    report = DATA["reports"][code]
    definition = load_definition(profile=report.get("profile"))
    u = report["unit"]
    unit = Unit(u["code"], u["name"], u["level"], u["parent"], u["code_list"])
    folder = tmp_path / f"built-{uuid.uuid4().hex[:6]}"
    [built] = build_unit_workbooks(definition, [unit], parse_period(report["period"], definition), folder)
    fields = definition.field_map()
    values: dict[str, object] = {}
    for fig in report["figures"]:
        values.update(fig.get("fill", {}))
        if coverage.kind(fig) == "field" and not fields[fig["field"]].computed:
            values[fig["field"]] = fig["value"]
    values.update(DATA["texts"][code])
    out = tmp_path / f"{code}.xlsx"
    fill_workbook(built.path, {"values": values}, out)
    return definition, report, out


def _body(stdout: str) -> list[str]:
    """The report's body: from heading I to the closing sentence (the warning block and the
    header, which repeat figures of their own, left out)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("I. "))
    end = next(i for i, line in enumerate(lines) if line.startswith("Trên đây là báo cáo"))
    return lines[start:end]


def _section_lines(body: list[str], definition, section_code: str) -> list[str]:
    numbers = section_numbers(definition)
    section = next(s for s in definition.walk_sections() if s.code == section_code)
    title = f"{numbers[section.code]} {section.title}"
    start = body.index(title)
    end = next((i for i in range(start + 1, len(body)) if re.match(r"^([IVX]+|\d+(\.\d+)*)\. ", body[i])), len(body))
    return body[start + 1:end]


@pytest.mark.parametrize("code", ["002", "003"])
def test_the_report_states_every_covered_figure_and_each_text_in_its_section(tmp_path, code):
    definition, report, path = _build(tmp_path, code)
    r = run_cli("report", str(path), "--text")
    assert r.returncode == 0, r.stderr
    body = _body(r.stdout)
    said = figures_in("\n".join(body))
    fields = definition.field_map()
    missing = []
    for fig in report["figures"]:
        kind = coverage.kind(fig)
        if kind not in ("field", "ratio"):
            continue
        value = fig.get("computed", fig["value"])
        field = fields.get(fig.get("field", ""))
        if kind == "ratio" or (field is not None and field.type == "percent"):
            ok = _percent(value) in said["percent"]
        elif field is not None and field.type == "money":  # kept in tỷ đồng, stated in whatever unit reads well
            ok = Decimal(str(value)) * Decimal(10) ** 9 in said["dong"]
        elif value == 0:  # a typed 0 is told as zero in its section: "không có …", "không ban hành …", "0 lượt"
            lines = _section_lines(body, definition, field.section or "")
            ok = any("không" in line or Decimal(0) in figures_in(line)["plain"] for line in lines)
        else:
            ok = abs(Decimal(str(value))) in said["plain"]
        if not ok:
            missing.append((fig["id"], fig["quote"], value))
    assert not missing, missing
    # each text, line by line, in its own section, after the generated sentences, in order
    numbers = section_numbers(definition)
    sections = {s.code: s for s in definition.walk_sections()}
    headings = [i for i, line in enumerate(body) if re.match(r"^([IVX]+|\d+(\.\d+)*)\. ", line)]
    for text_code, text in DATA["texts"][code].items():
        section = sections[fields[text_code].section]
        title = f"{numbers[section.code]} {section.title}" if "." in numbers[section.code] else section.title
        start = next(i for i in headings if body[i] == title)
        end = next((i for i in headings if i > start), len(body))
        where = start
        for line in text.split("\n"):
            assert line in body[start + 1:end], (text_code, line)
            at = body.index(line, start + 1, end)
            assert at > where, (text_code, "lines out of order")
            where = at
