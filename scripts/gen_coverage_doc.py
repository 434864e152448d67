#!/usr/bin/env python3
"""Regenerate docs/coverage.md from tests/fixtures/seed_figures.yaml (the figures of the five
example reports and the field that holds each, or why none). ``render()`` is also what
tests/test_coverage.py compares the document with."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "seed_figures.yaml"
TARGET = ROOT / "docs" / "coverage.md"
STRICT = ("field", "ratio", "table")


def load(path: Path = FIXTURE) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def kind(fig: dict) -> str:
    return next(k for k in ("field", "ratio", "table", "summary", "none") if k in fig)


def counts(data: dict) -> dict[str, tuple[int, int, int]]:
    """Per report (and "all"): (figures, strictly covered, held by the summary of the units below)."""
    out: dict[str, tuple[int, int, int]] = {}
    total = [0, 0, 0]
    for code, report in data["reports"].items():
        figures = report["figures"]
        strict = sum(1 for f in figures if kind(f) in STRICT)
        summary = sum(1 for f in figures if kind(f) == "summary")
        out[code] = (len(figures), strict, summary)
        total = [total[0] + len(figures), total[1] + strict, total[2] + summary]
    out["all"] = tuple(total)  # type: ignore[assignment]
    return out


def _pct(part: int, whole: int) -> str:
    return f"{Decimal(part * 100) / Decimal(whole):.1f} %" if whole else "–"


def _value(fig: dict) -> str:
    value = fig["value"]
    text = f"{value:,}".replace(",", " ") if isinstance(value, int) else str(value)
    return f"{text} {fig.get('unit', '')}".strip()


def _where(fig: dict) -> str:
    k = kind(fig)
    if k == "field":
        return f"`{fig['field']}`" + (f" (computed: {fig['computed']} %)" if "computed" in fig else "")
    if k == "ratio":
        return f"ratio `{fig['ratio']}`"
    if k == "table":
        t = fig["table"]
        row = t.get("row") or t.get("label")
        return f"table `{t['code']}`, row `{row}`, column `{t['column']}`"
    if k == "summary":
        return f"summary of the units below: `{fig['summary']}`"
    return f"— {fig['none']}"


def render(data: dict | None = None) -> str:
    data = data or load()
    c = counts(data)
    n, strict, summary = c["all"]
    lines = [
        "# Coverage of the example reports",
        "",
        "Every figure the five example reports (`../shared/seeds/`) state, after the analysis in",
        "`domain.md` §8, and the place the tool keeps it: a field of the unit's own workbook, a ratio",
        "the tool computes, a cell of an appendix table, a field of the summary of the units below",
        "(`cchc merge`, for a district quoting its communes' totals), or no field, with the reason (such",
        "figures go into the written part of their section, sheet «Nội dung»).",
        "",
        "Generated from `tests/fixtures/seed_figures.yaml` by `python scripts/gen_coverage_doc.py`;",
        "`tests/test_coverage.py` checks that this file is current, that every code exists, that the",
        "strict coverage stays at or above 75 %, and that the district example (002) and the richest",
        "commune example (003), filled with every covered figure and their section texts, state each",
        "figure and each text in `cchc report --text`.",
        "",
        f"**Strict coverage: {strict} of {n} figures = {_pct(strict, n)}** (a field, a computed ratio or a",
        f"table cell of the unit's own workbook). With the {summary} figures a district quotes from its",
        f"communes, held by its summary: {_pct(strict + summary, n)}.",
        "",
        "| Report | Unit | Figures | Strict | % | Summary of units below |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for code, report in data["reports"].items():
        fig_n, fig_s, fig_u = c[code]
        lines.append(f"| {code} | {report['unit']['name']} ({report['unit']['level']}, {report['period']}) | {fig_n} | "
                     f"{fig_s} | {_pct(fig_s, fig_n)} | {fig_u} |")
    lines.append(f"| all | | {n} | {strict} | {_pct(strict, n)} | {summary} |")
    for code, report in data["reports"].items():
        lines += ["", f"## {code}: {report['unit']['name']} ({report['period']})", "",
                  "| ID | The report says | Figure | Where the tool keeps it |", "|---|---|---|---|"]
        for fig in report["figures"]:
            quote = str(fig["quote"]).replace("|", "\\|")
            lines.append(f"| {fig['id']} | «{quote}» | {_value(fig)} | {_where(fig)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(TARGET)
