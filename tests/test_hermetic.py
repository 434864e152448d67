"""The template cache is keyed by everything that shapes its bytes, and tests never share the
user's cache or log folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from xl_addin.errors import default_log
from xl_addin.workbook import template_cache


def test_tests_use_their_own_cache_and_log_folders():
    cache = template_cache.template_cache_dir()
    assert Path(os.environ["CCHC_CACHE_DIR"]) in cache.parents
    assert Path.home() / ".cache" not in cache.parents
    assert default_log().parent == Path(os.environ["CCHC_LOG_DIR"])
    assert default_log().parent != Path(tempfile.gettempdir())


def _package_copy(tmp_path: Path) -> Path:
    import shutil

    import xl_addin

    root = tmp_path / "pkg"
    shutil.copytree(Path(xl_addin.__file__).parent, root / "xl_addin", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _build_with(root: Path, cache: Path, out: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("import sys; from pathlib import Path; from xl_addin.definition.loader import load_definition;"
            "from xl_addin.workbook.template_cache import cached_template_bytes;"
            "Path(sys.argv[1]).write_bytes(cached_template_bytes(load_definition()))")
    env = dict(os.environ, PYTHONPATH=str(root), CCHC_CACHE_DIR=str(cache),
               CCHC_TEMPLATES=str(ROOT / "workbook_templates"))
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, cwd=root, timeout=120)


def _text_of(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)


def test_builder_code_change_misses_the_warm_cache(tmp_path):
    """A header changed in the builder's code, then in a message catalogue, reaches the next
    build although the cache is warm."""
    root = _package_copy(tmp_path)
    cache = tmp_path / "cache"
    _build_with(root, cache, tmp_path / "a.xlsx")
    assert list(cache.rglob("*.xlsx")), "the template was not cached"
    assert "Các trang của sổ tính (sửa):" not in _text_of(tmp_path / "a.xlsx")

    template_py = root / "xl_addin" / "workbook" / "template.py"
    text = template_py.read_text(encoding="utf-8")
    code = 'value=ui("template.sheets_title")'  # the header «Các trang của sổ tính:» (ui.yaml)
    assert code in text
    template_py.write_text(text.replace(code, 'value=ui("template.sheets_title").replace(":", " (sửa):")'),
                           encoding="utf-8")
    _build_with(root, cache, tmp_path / "b.xlsx")
    assert "Các trang của sổ tính (sửa):" in _text_of(tmp_path / "b.xlsx")

    before = {p.name for p in cache.rglob("*.xlsx")}
    ui_yaml = root / "xl_addin" / "ui.yaml"
    ui_yaml.write_text(ui_yaml.read_text(encoding="utf-8") + "\n# a label changed\n", encoding="utf-8")
    _build_with(root, cache, tmp_path / "c.xlsx")
    assert {p.name for p in cache.rglob("*.xlsx")} - before, "a ui.yaml change reused the cached template"
