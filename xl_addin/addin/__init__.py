"""Build the ``cchc.xlam`` Excel add-in on any platform, without Excel.

One module per part of the file, as XlsxWriter does it:

* :mod:`.compression` — MS-OVBA 2.4.1 compression (``dir`` and module streams);
* :mod:`.cfb` — MS-CFB version 3 compound file (the container of ``vbaProject.bin``);
* :mod:`.vbaproject` — the VBA project streams and records, modules, references, protection strings;
* :mod:`.packager` — XlsxWriter base workbook with the ``cchc.conf`` sheet, then zip post-processing
  into an add-in with the ribbon part;
* :mod:`.ribbon_lint` — ``customUI14.xml`` checked against the VBA callbacks.

Sources embedded (``macros/`` at the repository root, shipped in the wheel as ``xl_addin/macros``, plus
the installed xlwings package):

* document modules ``ThisWorkbook`` and ``Sheet1`` (generated, empty);
* every ``macros/*.bas`` / ``*.cls`` — among them ``Ribbon.bas``, the ribbon callbacks;
* ``xlwings_custom_addin.bas`` read **at build time** from the installed xlwings package (BSD-3, its
  licence header kept; never copied into this repository), with ``PROJECT_NAME`` set to ``"cchc"``. The
  build asserts that it declares ``XLWINGS_VERSION = "<pin>"`` and loads ``xlwings64-<pin>.dll``, where
  ``<pin>`` is the ``xlwings==`` pin of ``pyproject.toml`` (in a source checkout; an installed wheel
  carries the same pin in its metadata): the Windows environment must run exactly that version or
  RunPython cannot find its DLL.

Usage::

    from xl_addin.addin import build_addin
    build_addin(Path("dist/cchc.xlam"))

The build is deterministic (same sources, same bytes) and fails with :class:`AddinBuildError` (or a
:class:`~.vbaproject.VbaProjectError` naming the module) rather than writing a doubtful file.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import tempfile
import tomllib
from pathlib import Path

from ..resources import PACKAGE_DIR, TOOL_NAME, packaged
from .packager import DOCUMENT_CODENAMES, conf_sheet_name, package_addin
from .vbaproject import (
    WORKBOOK_BASE,
    WORKSHEET_BASE,
    VbaModule,
    build_vba_project,
    document_module,
    module_from_file,
    standard_module,
)

__all__ = [
    "PROJECT_NAME",
    "AddinBuildError",
    "build_addin",
    "build_addin_bytes",
    "check_xlwings_pin",
    "collect_modules",
    "pinned_xlwings_version",
    "xlwings_module",
]

#: Name of the VBA project, of the ``<PROJECT_NAME>.conf`` sheet and of xlwings' ``PROJECT_NAME`` constant.
PROJECT_NAME = TOOL_NAME
#: The VBA module holding the ribbon callbacks (``onAction="Ribbon.OnXxx"``).
CALLBACK_MODULE = "Ribbon"

DISTRIBUTION = "cchc-report-kit"
MACROS_DIR = packaged("macros")
PYPROJECT = PACKAGE_DIR.parent / "pyproject.toml"  # present in a source checkout only
CUSTOMUI_FILE = "customUI14.xml"
XLWINGS_BAS = "xlwings_custom_addin.bas"
_XLWINGS_PROJECT_LINE = 'PROJECT_NAME As String = "myaddin"'


class AddinBuildError(RuntimeError):
    """The add-in cannot be built from the current sources and environment."""


# -- xlwings module and version pin -------------------------------------------------------------


def pinned_xlwings_version(pyproject: Path | None = None) -> str:
    """The ``xlwings==X.Y.Z`` pin: ``pyproject.toml``'s ``[project] dependencies`` in a source checkout,
    else the installed distribution's own requirement (the same line, copied into the wheel's metadata)."""
    if pyproject is None and not PYPROJECT.is_file():
        return _installed_pin()
    path = Path(pyproject or PYPROJECT)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AddinBuildError(f"{path} not found") from None
    return _pin_of(data.get("project", {}).get("dependencies", []), str(path))


def _installed_pin() -> str:
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise AddinBuildError(f"neither {PYPROJECT} nor an installed {DISTRIBUTION} names the xlwings pin") from None
    return _pin_of([r for r in requirements if "extra ==" not in r], f"{DISTRIBUTION} metadata")


def _pin_of(dependencies: list[str], where: str) -> str:
    for dep in dependencies:
        name = re.split(r"[\s<>=!~;\[(]", dep.strip(), maxsplit=1)[0]
        if name.lower() == "xlwings":
            match = re.fullmatch(r"xlwings\s*\(?==\s*([0-9][0-9A-Za-z.]*)\)?\s*", dep.split(";")[0], re.IGNORECASE)
            if not match:
                raise AddinBuildError(
                    f"{where}: xlwings must be pinned exactly (\"xlwings==X.Y.Z\"), found {dep!r}; the add-in's VBA "
                    f"loads xlwings64-<version>.dll, which only the same version provides"
                )
            return match.group(1)
    raise AddinBuildError(f"{where}: no xlwings dependency in [project] dependencies")


def installed_xlwings_bas() -> Path:
    """Path of ``xlwings_custom_addin.bas`` in the installed xlwings package."""
    import xlwings

    path = Path(os.path.dirname(xlwings.__file__)) / XLWINGS_BAS
    if not path.is_file():
        raise AddinBuildError(f"{XLWINGS_BAS} not found in the installed xlwings package ({path.parent})")
    return path


def _embedded_version(text: str) -> str | None:
    match = re.search(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]*)"', text)
    return match.group(1) if match else None


def check_xlwings_pin(text: str, pinned: str) -> None:
    """Raise :class:`AddinBuildError` unless the xlwings VBA declares exactly the pinned version."""
    embedded = _embedded_version(text)
    problems = []
    if f'XLWINGS_VERSION As String = "{pinned}"' not in text:
        problems.append(f"it declares XLWINGS_VERSION = {embedded!r}")
    if f"xlwings64-{pinned}.dll" not in text:
        dlls = sorted(set(re.findall(r"xlwings64-[0-9A-Za-z.]+\.dll", text)))
        problems.append(f"it loads {', '.join(dlls) or 'no xlwings64 DLL'}")
    if problems:
        raise AddinBuildError(
            f"xlwings version mismatch: pyproject.toml pins xlwings=={pinned} but the installed xlwings VBA "
            f"({XLWINGS_BAS}) does not match: {'; '.join(problems)}. Install xlwings=={pinned} "
            f"(pip install xlwings=={pinned}) or change the pin; the Windows environment must run the same version."
        )


def xlwings_module(project_name: str = PROJECT_NAME, pinned: str | None = None,
                   bas_path: Path | None = None) -> VbaModule:
    """xlwings' custom-add-in module with ``PROJECT_NAME`` set, checked against the pin."""
    path = Path(bas_path or installed_xlwings_bas())
    text = path.read_bytes().decode("cp1252")
    if text.count(_XLWINGS_PROJECT_LINE) != 1:
        raise AddinBuildError(f"{path}: expected exactly one line containing {_XLWINGS_PROJECT_LINE!r}")
    text = text.replace(_XLWINGS_PROJECT_LINE, f'PROJECT_NAME As String = "{project_name}"')
    check_xlwings_pin(text, pinned if pinned is not None else pinned_xlwings_version())
    return standard_module(text, "xlwings", str(path))


# -- build --------------------------------------------------------------------------------------


def collect_modules(macros_dir: Path | None = None, pinned: str | None = None,
                    xlwings_bas: Path | None = None) -> list[VbaModule]:
    """All modules of the project, in project order: documents, ``macros/*.bas|*.cls``, xlwings."""
    macros = Path(macros_dir or MACROS_DIR)
    if not macros.is_dir():
        raise AddinBuildError(f"VBA sources not found: {macros}")
    workbook_name, sheet_name = DOCUMENT_CODENAMES
    modules = [document_module(workbook_name, WORKBOOK_BASE), document_module(sheet_name, WORKSHEET_BASE)]
    sources = sorted(p for p in macros.iterdir() if p.suffix.lower() in {".bas", ".cls"})
    modules += [module_from_file(p) for p in sources]
    if not any(m.name == CALLBACK_MODULE for m in modules):
        raise AddinBuildError(f"no VBA module named {CALLBACK_MODULE!r} in {macros} (expected Ribbon.bas)")
    modules.append(xlwings_module(PROJECT_NAME, pinned, xlwings_bas))
    return modules


def build_addin_bytes(macros_dir: Path | None = None, pyproject: Path | None = None,
                      xlwings_bas: Path | None = None, home: str | None = None) -> bytes:
    """The bytes of ``cchc.xlam``; lint, version pin and encoding are checked first.

    ``home``: the install folder ``cchc.conf`` points to (default ``%LOCALAPPDATA%\\cchc``)."""
    macros = Path(macros_dir or MACROS_DIR)
    pinned = pinned_xlwings_version(pyproject)
    modules = collect_modules(macros, pinned, xlwings_bas)
    customui_path = macros / CUSTOMUI_FILE
    if not customui_path.is_file():
        raise AddinBuildError(f"ribbon XML not found: {customui_path}")
    customui = customui_path.read_bytes()
    from .ribbon_lint import lint_ribbon  # imported here so `python -m xl_addin.addin.ribbon_lint` runs cleanly

    problems = lint_ribbon(customui, {m.name: m.source for m in modules})
    if problems:
        raise AddinBuildError("ribbon lint failed:\n  " + "\n  ".join(problems))
    vba = build_vba_project(PROJECT_NAME, modules)
    try:
        from xl_addin import __version__ as kit_version
    except ImportError:  # pragma: no cover - the package is always importable from a checkout
        kit_version = "unknown"
    properties = {
        "title": "CCHC Report Kit add-in",
        "comments": f"{PROJECT_NAME}.xlam {kit_version}; xlwings {pinned}; settings in sheet "
                    f"{conf_sheet_name(PROJECT_NAME)}",
    }
    return package_addin(PROJECT_NAME, vba, customui, properties, home)


def build_addin(out_path: Path, **kwargs) -> Path:
    """Build the add-in and write it atomically to ``out_path``; return ``out_path``.

    Keyword arguments: ``home`` (see :func:`build_addin_bytes`); ``macros_dir``, ``pyproject`` and
    ``xlwings_bas`` are for tests.
    """
    out_path = Path(out_path)
    data = build_addin_bytes(**kwargs)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path
