"""The embedded demo: a receiving unit with 12 communes (``workbook_templates/demo/``).

Builds the per-unit workbooks, fills them with generated sample data (specs in
``sample.yaml``, evaluated with the definition's expression grammar), reads them back and
prints where everything is. Later stages (validation, narrative, merge) join as they land.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from .definition import expr
from .definition.loader import DEFAULT_TEMPLATE, load_definition, read_yaml, templates_root
from .definition.periods import parse_period
from .definition.units import load_units
from .ui import ui_text
from .workbook.build import build_unit_workbooks
from .workbook.fill import fill_workbook
from .workbook.reader import read_workbook


def demo_dir() -> Path:
    return templates_root() / "demo"


def _generate(spec: dict, rng: random.Random, env: dict[str, Any], unit_name: str, n: int,
              columns: dict | None = None) -> Any:
    if "int" in spec:
        lo, hi = spec["int"]
        return rng.randint(int(lo), int(hi))
    if "decimal" in spec:
        lo, hi, places = spec["decimal"]
        step = Decimal(1).scaleb(-int(places))
        return (Decimal(str(rng.uniform(float(lo), float(hi)))).quantize(step))
    if "expr" in spec:
        value = expr.evaluate(expr.parse(spec["expr"]), expr.Env(env, columns or {}))
        return None if value is None else (int(value) if value == value.to_integral_value() else value)
    if "text" in spec:
        return spec["text"].replace("{unit}", unit_name)
    if "pick" in spec:
        return rng.choice(spec["pick"])
    if "choice" in spec:
        return spec["choice"]
    if "date" in spec:
        return spec["date"]
    raise ValueError(f"unknown sample spec {spec}")


def _fill_text(value: Any, rng: random.Random) -> Any:
    if isinstance(value, str):
        return value.replace("{n}", str(rng.randint(2, 150))).replace("{d}", f"{rng.randint(2, 28):02d}")
    return value


def sample_data(sample: dict, unit_code: str, unit_name: str) -> dict:
    rng = random.Random(f"cchc-demo-{unit_code}")
    tables = {}
    columns: dict[tuple[str, str], list[Any]] = {}
    for code, spec in sample.get("tables", {}).items():
        rows = []
        for label in spec["rows"]:
            row: dict[str, Any] = {}
            for col, col_spec in spec["columns"].items():
                row[col] = _generate(col_spec, rng, row, unit_name, 0)
                columns.setdefault((code, col), []).append(row[col])
            rows.append((label, row))
        tables[code] = rows
    specs = dict(sample.get("values", {}))
    specs.update(sample.get("some_units", {}).get(unit_code, {}))
    specs.update(sample.get("mistakes", {}).get(unit_code, {}))
    values: dict[str, Any] = {}
    for code, spec in specs.items():
        values[code] = _generate(spec, rng, values, unit_name, 0, columns)
    lists = {}
    for code, spec in sample.get("lists", {}).items():
        lo, hi = spec["count"]
        items = rng.sample(spec["pool"], k=min(len(spec["pool"]), rng.randint(lo, hi)))
        rows = []
        for item in items:
            if isinstance(item, dict):
                rows.append({k: _fill_text(v, rng) for k, v in item.items()})
            else:
                rows.append({"__first__": item})
        lists[code] = rows
    return {"values": values, "lists": lists, "tables": tables}


def to_fill_payload(definition, generated: dict) -> dict:
    """Shape generated data for ``fill`` using the definition (list key columns, table rows)."""
    lists = {}
    for code, rows in generated["lists"].items():
        key = definition.list_map()[code].key_column.code
        lists[code] = [{key: r["__first__"]} if "__first__" in r else r for r in rows]
    tables = {}
    for code, rows in generated["tables"].items():
        table = definition.table_map()[code]
        if table.fixed:
            tables[code] = [{"row": label, **row} for label, row in rows]
        else:
            tables[code] = [{table.label_column.code: label, **row} for label, row in rows]
    values = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in generated["values"].items()}
    return {"values": values, "lists": lists, "tables": tables}


def write_reports(folder: Path, unit_books: list[Path], summary: Path, err: Console) -> dict:
    """Narratives: a Word report per unit; the summary's report as a workbook, Word and (with LibreOffice) PDF."""
    import shutil

    from .errors import CchcError
    from .narrative import run_report

    folder.mkdir(parents=True, exist_ok=True)
    for book in unit_books:
        try:
            run_report(book, docx=folder / book.with_suffix(".docx").name)
        except CchcError as exc:
            err.print(f"  ! {exc.message}")
    pdf = folder / summary.with_suffix(".pdf").name if shutil.which("soffice") else None
    run_report(summary, out=folder / summary.name, docx=folder / summary.with_suffix(".docx").name, pdf=pdf)
    return {"pdf": pdf}


def run_demo(out_dir: Path, out: Console, err: Console) -> dict:
    from .merge.run import run_merge
    from .rules.engine import summary as count
    from .rules.engine import validate
    from .rules.export import export_file

    folder = demo_dir()
    sample = read_yaml(folder / "sample.yaml")
    definition = load_definition(sample.get("template", DEFAULT_TEMPLATE), profile=sample.get("profile"))
    period = parse_period(sample["period"], definition)
    all_units = load_units(folder / "units.csv")
    parents = {u.parent_code for u in all_units}
    units = [u for u in all_units if u.code not in parents]  # the receiving unit does not fill a form here
    blank_dir = out_dir / "1-so-tinh-trong"
    filled_dir = out_dir / "2-so-tinh-da-dien"
    sent_dir = out_dir / "3-ban-nop"
    merged_path = out_dir / "4-tong-hop" / f"tong-hop_{period.code}.xlsx"
    build_unit_workbooks(definition, units, period, blank_dir)
    read_back = []
    for unit in units:
        blank = blank_dir / next(p.name for p in blank_dir.glob(f"{unit.code}_*.xlsx"))
        payload = to_fill_payload(definition, sample_data(sample, unit.code, unit.name))
        filled = filled_dir / blank.name
        fill_workbook(blank, payload, filled)
        data = read_workbook(filled)
        counts = count(validate(data))
        if unit.code in sample.get("not_sent", []):
            continue  # filled in, never sent: the province's report names it as not received
        stamp = sample.get("exported_late", {}).get(unit.code, sample.get("exported_at"))
        export_file(filled, sent_dir, dt.datetime.fromisoformat(stamp) if stamp else None)
        read_back.append({"file": str(filled), "unit": data.unit, "errors": counts["error"],
                          "warnings": counts["warning"], "problems": [p.to_dict() for p in data.problems]})
    (out_dir / "doc-lai.json").write_text(json.dumps(read_back, ensure_ascii=False, indent=2), encoding="utf-8")
    result = run_merge(sent_dir, output=merged_path, units_path=folder / "units.csv",
                       feedback=out_dir / "5-phan-hoi")
    (out_dir / "tong-hop.json").write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    # the specialist fills the province's own header, signer and assessment, then writes its report
    staged = merged_path.with_name(".~cchc-" + merged_path.name)
    fill_workbook(merged_path, {"values": sample.get("receiver_values", {}), "lists": sample.get("receiver_lists", {})},
                  staged)
    staged.replace(merged_path)
    reports = write_reports(out_dir / "6-bao-cao", [filled_dir / p.name for p in sorted(sent_dir.glob("*.xlsx"))],
                            merged_path, err)
    said = "commands.demo."
    out.print(ui_text(said + "title", receiver=sample["receiving_unit"]["name"], units=len(units), period=period.label))
    out.print(ui_text(said + "blank", path=blank_dir))
    out.print(ui_text(said + "filled", path=filled_dir))
    out.print(ui_text(said + "sent", path=sent_dir))
    out.print(ui_text(said + "summary", path=merged_path))
    out.print(ui_text(said + "feedback", path=out_dir / "5-phan-hoi"))
    out.print(ui_text(said + ("reports_pdf" if reports.get("pdf") else "reports"), path=out_dir / "6-bao-cao"))
    out.print(ui_text(said + "json", read=out_dir / "doc-lai.json", merged=out_dir / "tong-hop.json"))
    for item in read_back:
        if item["errors"] or item["warnings"]:
            err.print(ui_text(said + "findings", unit=item["unit"]["name"], errors=item["errors"],
                              warnings=item["warnings"]))
    return {"units": len(units), "out": str(out_dir), "summary": str(merged_path)}
