#!/usr/bin/env python3
"""Build every template workbook and the Excel add-in into ``dist/`` (or ``--out DIR``).

A thin script over the package: ``xl_addin.workbook.template`` for the templates (one per
report definition and province profile) and ``xl_addin.addin`` for ``cchc.xlam``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xl_addin.errors import CchcError


def build_all(out: Path) -> list[Path]:
    """Every template with the forms in force today (``cchc build`` stamps each period's own)."""
    import datetime as dt

    from xl_addin.definition.loader import available_profiles, load_definition, templates_root
    from xl_addin.workbook.build import write_atomic
    from xl_addin.workbook.template import build_template_bytes, template_file_name

    written = []
    for folder in sorted(p for p in templates_root().iterdir() if (p / "report.yaml").is_file()):
        for profile in [None, *available_profiles(folder.name)]:
            definition = load_definition(folder.name, profile=profile).for_period(dt.date.today())
            path = out / template_file_name(definition)
            write_atomic(path, build_template_bytes(definition))
            written.append(path)
    from xl_addin.install import build_addin_file

    written.append(build_addin_file(out / "cchc.xlam"))  # the same function as `cchc addin build`
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    args = parser.parse_args(argv)
    try:
        for path in build_all(args.out):
            print(path)
    except CchcError as exc:
        print(f"Lỗi: {exc.message}\n→ {exc.action}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
