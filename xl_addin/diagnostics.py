"""Kiểm tra cài đặt: the five most frequent kinds of add-in trouble, checked from Python."""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from typing import Any

from . import __version__
from .ui import ui


def pinned_xlwings() -> str | None:
    try:
        from .addin import pinned_xlwings_version

        return pinned_xlwings_version()
    except Exception:  # no pyproject.toml in an installed copy: read the package's own requirement
        try:
            for req in importlib.metadata.requires("cchc-report-kit") or []:
                m = re.match(r"xlwings\s*==\s*([0-9.]+)", req)
                if m:
                    return m.group(1)
        except importlib.metadata.PackageNotFoundError:
            return None
    return None


def _check(key: str, ok: bool, detail: str) -> dict:
    return {"check": key, "ok": ok, "label": ui(f"diagnostics.{key}"), "detail": detail}


def run_checks(port: Any = None) -> list[dict]:
    import xlwings as xw

    checks = [_check("interpreter", True, f"{sys.executable} (Python {sys.version.split()[0]})")]
    pinned = pinned_xlwings()
    installed = xw.__version__
    if pinned and pinned != installed:
        checks.append(_check("xlwings", False, ui("diagnostics.xlwings_mismatch").format(installed=installed, pinned=pinned)))
    else:
        checks.append(_check("xlwings", True, installed))
    checks.append(_check("package", True, __version__))
    book = getattr(port, "book", None)
    meta = None
    if port is not None:
        try:
            from .workbook.reader import read_meta_grid

            if "_meta" in port.sheet_names():
                meta = read_meta_grid(port.read_sheet("_meta", 40, 2))
        except Exception:
            meta = None
    if meta:
        from .definition.loader import load_definition

        try:
            known = load_definition(str(meta.get("template_id")), profile=meta.get("profile") or None).version
        except Exception:
            known = "?"
        detail = ui("diagnostics.template_detail").format(template=meta.get("template_id"),
                                                          version=meta.get("template_version"),
                                                          tool=meta.get("tool_version"), known=known)
        checks.append(_check("template", str(meta.get("template_version")) == known, detail))
    else:
        checks.append(_check("template", False, ui("diagnostics.template_none")))
    try:
        path = getattr(book, "fullname", None) or str(getattr(port, "path", "") or "")
    except (AttributeError, NotImplementedError):
        path = ""
    if path:
        exists = os.path.exists(path)
        text = ui("diagnostics.path_ok" if exists else "diagnostics.path_bad").format(path=path)
        checks.append(_check("path", exists, text))
    checks.append(separators(book))
    return checks


def separators(book: Any) -> dict:
    """Excel's decimal and thousands separators (COM only; xlDecimalSeparator = 3, xlThousandsSeparator = 4)."""
    try:
        api = book.app.api if book is not None else None
    except (AttributeError, NotImplementedError):  # the remote engine has no COM object
        api = None
    if api is None or isinstance(api, (dict, list)):
        return _check("separators", True, ui("diagnostics.separators_unknown"))
    if api.UseSystemSeparators:
        decimal, thousands = api.International(3), api.International(4)
    else:
        decimal, thousands = api.DecimalSeparator, api.ThousandsSeparator
    ok = decimal == "," and thousands == "."
    key = "diagnostics.separators_ok" if ok else "diagnostics.separators_bad"
    return _check("separators", ok, ui(key).format(decimal=decimal, thousands=thousands))
