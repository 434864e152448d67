"""File names the tool writes, built from parts that came from files: data, never paths.

A unit code, unit name or period code read from a returned workbook may hold anything
(``../../X``, ``/etc/passwd``, ``AUX.1``, 450 characters, control characters). Every file name
the tool writes (per-unit workbooks, feedback workbooks, export copies, the default summary) is
made here:

* each part is slugged to ASCII ``[A-Za-z0-9._-]`` (Vietnamese diacritics removed, đ → d,
  anything else becomes ``-``; no ``..``; no leading or trailing dot or dash);
* the name is at most ``MAX_NAME`` characters, suffix included, with no trailing dot or space;
* a Windows reserved base name (CON, PRN, AUX, NUL, COM0–9, LPT0–9 — ``AUX.1`` and ``aux.xlsx``
  included) gets a leading underscore;
* ``inside(folder, name)`` checks the final path resolves inside its folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import CchcError
from .letters import unaccented

MAX_NAME = 120
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)} \
    | {f"{p}{s}" for p in ("COM", "LPT") for s in "¹²³"}
_NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")


def slug(text: object, fallback: str = "") -> str:
    """ASCII file-name form of a text: diacritics removed, đ/Đ → d/D, blanks and anything else → '-'."""
    value = unaccented(str(text or ""))
    value = _NOT_SAFE.sub("-", value)
    value = _DOTS.sub(".", value)
    value = re.sub(r"-{2,}", "-", value).strip(".-_")
    return value or fallback


def safe_file_name(stem: str, suffix: str = "") -> str:
    """``stem`` (slugged again) plus ``suffix``, within ``MAX_NAME``, never a reserved Windows name."""
    suffix = "." + slug(suffix.lstrip(".")) if suffix.strip(".") else ""
    stem = slug(stem, "tep")
    stem = stem[: MAX_NAME - len(suffix) - 1].rstrip(". -_") or "tep"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem + suffix


def file_name(*parts: object, suffix: str = ".xlsx") -> str:
    """``part1_part2_…`` + suffix, every part slugged (empty parts left out)."""
    return safe_file_name("_".join(p for p in (slug(part) for part in parts) if p), suffix)


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused (``output_name_unsafe``) unless it resolves inside ``folder``."""
    folder = Path(folder)
    target = folder / name
    real_folder = os.path.realpath(folder)
    real = os.path.realpath(target)
    if os.path.dirname(real) != real_folder or name in ("", ".", "..") or "/" in name or "\\" in name:
        raise CchcError("output_name_unsafe", file=name, folder=folder)
    return target


__all__ = ["slug", "safe_file_name", "file_name", "inside", "MAX_NAME"]
