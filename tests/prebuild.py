"""Test inputs built once per process and, in a mutation run, once for every mutant.

``@prebuilt`` turns a builder ``f(tmp: Path) -> value`` into a fixture named ``f``: the value is a
test's *input* (workbooks built, filled, merged and read back), never what the code under test makes
of it, and it is built once per test process (module scope in effect, shared by name).

In a mutation run, ``benchmarks/mutation.py`` sets ``CCHC_PREBUILD`` to a folder. mutmut's fork
server collects the tests once (``--collect-only``); ``build_all`` then builds every registered input
there (files under that folder), empties the package's caches (``memo.clear``) and every mutant's
process, forked from the server, starts with the inputs in memory instead of rebuilding them (the
writer's tests spent 4.5 of their 5.8 s building inputs). The code under test still runs from cold in
each mutant: nothing it caches survives the clear.

What a builder may call: anything but the module a run mutates *for what the tests check*. A builder
that ran the mutated code would run it unmutated, once, in the server: the tests reading its output
would no longer see the mutant (fewer kills, never a false one). The builders below build and read
workbooks and run merges; none of them is checked against the mutated module's output
(``benchmarks/mutation.py`` names which tests cover which module).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# the files written to kill mutants (and the ratios' own): a mutation run runs them first
FIRST = ("test_mutants_", "test_ratios.py")
_BUILDERS: dict[str, Callable[[Path], Any]] = {}
_BUILT: dict[str, Any] = {}


def prebuilt(builder: Callable[[Path], Any]) -> Any:
    """A fixture named as ``builder``, whose value ``builder(tmp)`` is built once per process."""
    key = f"{builder.__module__}.{builder.__qualname__}"
    _BUILDERS[key] = builder

    @pytest.fixture(scope="module", name=builder.__name__)
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Any:
        if key not in _BUILT:
            _BUILT[key] = builder(tmp_path_factory.mktemp(builder.__name__))
        return _BUILT[key]

    fixture.__doc__ = builder.__doc__
    return fixture


def templates_in_use(root: Path, data: Any) -> Iterator[Any]:
    """For a module fixture: ``data`` (a workbook read under the templates folder ``root``, a
    prebuilt input), with that folder in use (``CCHC_TEMPLATES``) while the module's tests run."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CCHC_TEMPLATES", str(root))
    try:
        yield data
    finally:
        mp.undo()


def build_all(folder: Path) -> list[str]:
    """Build every registered input under ``folder`` (the fork server's collection), then empty the
    package's caches. Returns the inputs now in memory."""
    from xl_addin import memo

    for key, builder in _BUILDERS.items():
        if key not in _BUILT:
            tmp = folder / key.replace(".", "-")
            tmp.mkdir(parents=True, exist_ok=True)
            _BUILT[key] = builder(tmp)
    memo.clear()
    return sorted(_BUILT)


def folder() -> Path | None:
    """The mutation run's folder for prebuilt inputs (``CCHC_PREBUILD``), or None."""
    value = os.environ.get("CCHC_PREBUILD")
    return Path(value) if value else None


def reused(out: Path, build: Callable[[Path], object], *key: object) -> Path:
    """``build(out)`` — or, in a mutation run, a copy of the workbook an earlier mutant's process built
    with the same arguments (``key``: what the bytes depend on, the templates folder in use added).
    Building and filling are not the code a mutation run mutates: their bytes are inputs."""
    shared = folder()
    if shared is None:
        build(out)
        return out
    import hashlib
    import shutil
    import tempfile

    digest = hashlib.sha256(repr((key, os.environ.get("CCHC_TEMPLATES"))).encode()).hexdigest()[:24]
    stored = shared / "books" / f"{digest}{out.suffix}"
    if stored.exists():
        shutil.copyfile(stored, out)
        return out
    build(out)
    stored.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=stored.parent, delete=False) as tmp:
        tmp.write(out.read_bytes())
    os.replace(tmp.name, stored)  # whole or absent: another mutant's process may be reading it
    return out
