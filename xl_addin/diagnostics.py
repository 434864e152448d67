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


def run_checks(port: Any = None, app: Any = None) -> list[dict]:
    """Every check; ``app`` is the Excel to read the regional settings from (the workbook's when None)."""
    import xlwings as xw

    checks = [_check("interpreter", True, f"{sys.executable} (Python {sys.version.split()[0]})")]
    pinned = pinned_xlwings()
    installed = xw.__version__
    if pinned and pinned != installed:
        mismatch = ui("diagnostics.xlwings_mismatch").format(installed=installed, pinned=pinned)
        checks.append(_check("xlwings", False, mismatch))
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
    api = _excel(book, app)
    checks.append(separators(api))
    checks.append(date_order(api))
    return checks


# Excel's XlApplicationInternational indexes (1-based in Excel; pywin32 returns the array as a 0-based tuple)
XL_DECIMAL_SEPARATOR, XL_THOUSANDS_SEPARATOR, XL_DATE_ORDER = 3, 4, 32


def _excel(book: Any, app: Any) -> Any:
    """Excel's Application COM object, or None (not in Excel, or the remote engine)."""
    try:
        api = app.api if app is not None else (book.app.api if book is not None else None)
    except (AttributeError, NotImplementedError):  # the remote engine has no COM object
        return None
    return None if api is None or isinstance(api, (dict, list)) else api


def international(api: Any, index: int) -> Any:
    """``Application.International(index)``: pywin32 exposes the property as the whole array (a tuple,
    0-based) and calling it fails, so the array is indexed."""
    values = api.International
    return values[index - 1]


def separators(api: Any) -> dict:
    """The decimal and thousands separators Excel uses for typing, and what they mean for the clerk."""
    if api is None:
        return _check("separators", True, ui("diagnostics.separators_unknown"))
    if api.UseSystemSeparators:
        decimal, thousands = international(api, XL_DECIMAL_SEPARATOR), international(api, XL_THOUSANDS_SEPARATOR)
    else:
        decimal, thousands = api.DecimalSeparator, api.ThousandsSeparator
    key = {(",", "."): "diagnostics.separators_vi", (".", ","): "diagnostics.separators_en"}.get(
        (decimal, thousands), "diagnostics.separators_other")
    return _check("separators", True, ui(key).format(decimal=decimal, thousands=thousands))


def date_order(api: Any) -> dict:
    """The order Excel reads a typed date in (xlDateOrder: 0 month-day-year, 1 day-month-year, 2 year-month-day)."""
    if api is None:
        return _check("date_order", True, ui("diagnostics.separators_unknown"))
    order = international(api, XL_DATE_ORDER)
    key = {0: "mdy", 1: "dmy", 2: "ymd"}.get(int(order) if isinstance(order, (int, float)) else -1)
    if key is None:
        return _check("date_order", False, ui("diagnostics.date_order_unknown").format(order=order))
    return _check("date_order", True, ui(f"diagnostics.date_order_{key}"))
