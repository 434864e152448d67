"""The template of a definition, built once and kept on disk (the user's cache folder), keyed by
everything that shapes its bytes. Below ``build`` (which stamps unit copies of it) and ``tamper``
(which compares a returned workbook's structure with it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__
from ..atomic import write_atomic
from ..definition.models import ReportDefinition
from ..memo import cached
from ..resources import cache_root
from .layout import META_KEYS
from .template import build_template_bytes


def template_cache_dir() -> Path:
    return cache_root() / "templates"


@cached()
def builder_fingerprint() -> str:
    """A digest of everything besides the definition that shapes a template's bytes.

    The builder's own code (this package's ``definition`` and ``workbook`` modules, the shared
    helpers they use), ``ui.yaml`` and every message catalogue, the meta keys and the versions of
    the libraries that write the file. A change to any of them gives a new cache key, so a warm
    cache never hands out a template built by older code. Hashing these ~40 files takes about
    2 ms once per process.
    """
    import openpyxl
    import xlsxwriter

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    digest.update(" ".join(META_KEYS).encode())
    digest.update(f"{__version__} openpyxl {openpyxl.__version__} xlsxwriter {xlsxwriter.__version__}".encode())
    parts = sorted([*root.glob("*.py"), *root.glob("**/*.yaml"), *(root / "definition").glob("*.py"),
                    *(root / "workbook").glob("*.py")])
    for part in parts:
        digest.update(part.relative_to(root).as_posix().encode() + b"\0")
        digest.update(part.read_bytes())
    return digest.hexdigest()[:16]


def cached_template_bytes(definition: ReportDefinition) -> bytes:
    """The template of a definition, built once per definition hash and builder fingerprint, kept on disk."""
    key = (f"{definition.id}-{definition.version}-{definition.profile or 'chung'}-{definition.source_hash}"
           f"-{builder_fingerprint()}")
    path = template_cache_dir() / f"{key}.xlsx"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build_template_bytes(definition)
    try:
        write_atomic(path, data)
    except OSError:  # a read-only home is no reason to fail
        pass
    return data
