"""Where the files that ship with the package are: report definitions and the add-in's VBA.

``workbook_templates/`` and ``macros/`` stay at the top of the repository; the wheel carries them
inside the package as ``xl_addin/workbook_templates`` and ``xl_addin/macros`` (the setuptools
``package-dir`` mapping in ``pyproject.toml``). An installed wheel finds them beside this module, a
source checkout (plain or editable install) one folder up.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TOOL_NAME = "cchc"  # the program, the VBA project, the folders and files the tool names after itself
DEFAULT_TEMPLATE = TOOL_NAME  # the shipped definition's id and folder (workbook_templates/cchc)
LOCAL_FOLDER = TOOL_NAME  # %LOCALAPPDATA%\cchc: the Windows install's folder


def packaged(name: str) -> Path:
    """``workbook_templates`` or ``macros`` as shipped: inside the package, else the source checkout's."""
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


def cache_root() -> Path:
    """The user's cache folder for the tool ($CCHC_CACHE_DIR, else XDG_CACHE_HOME, %LOCALAPPDATA% or
    ~/.cache, then ``cchc``): templates built once, report templates compiled once."""
    base = os.environ.get("CCHC_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA")
    return (Path(base) if base else Path.home() / ".cache") / LOCAL_FOLDER


def local_templates() -> Path | None:
    """IT's editable copy of the definitions (``%LOCALAPPDATA%\\cchc\\workbook_templates``), when set up."""
    local = os.environ.get("LOCALAPPDATA")
    if not local:
        return None
    folder = Path(local) / LOCAL_FOLDER / "workbook_templates"
    return folder if folder.is_dir() else None


def templates_source() -> tuple[Path, str]:
    """Where report definitions are read from, and why: ``env`` ($CCHC_TEMPLATES), ``local`` (IT's
    copy under %LOCALAPPDATA%), ``packaged`` (the copy shipped with the package)."""
    env = os.environ.get("CCHC_TEMPLATES")
    if env:
        return Path(env), "env"
    local = local_templates()
    if local is not None:
        return local, "local"
    return packaged("workbook_templates"), "packaged"
