"""Ribbon lint: check ``customUI14.xml`` against the VBA modules that implement its callbacks.

Excel reports a missing or misspelt ribbon callback only when the button is clicked, and a wrong
namespace or a duplicate id silently hides the whole tab. This lint catches those on Linux:

* the XML is well formed and its root element is ``customUI`` in the 2009/07 namespace
  (``http://schemas.microsoft.com/office/2009/07/customui``);
* every ``id`` is unique;
* every button (``button``, ``toggleButton``, ``splitButton``'s button…) has an icon: ``imageMso``,
  ``image`` or ``getImage``, and a label;
* every ``onAction="Module.Proc"`` names a module whose ``Attribute VB_Name`` is ``Module`` and that module
  has a non-private ``Sub Proc(control As IRibbonControl)``; other callbacks (``getLabel``, ``onLoad``…)
  must at least name an existing procedure of that module.

VBA sources are read as cp1252 (UTF-8 is accepted too). Use from Python::

    problems = lint_ribbon(Path("macros/customUI14.xml"), [Path("macros/Ribbon.bas")])

or from the shell (exit code 1 when a problem is found)::

    python -m xl_addin.addin.ribbon_lint macros/customUI14.xml macros/Ribbon.bas
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["CUSTOMUI_NS", "lint_ribbon", "vba_modules_from_files", "main"]

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"

_BUTTON_TAGS = {"button", "toggleButton"}
_ICON_ATTRIBUTES = ("imageMso", "image", "getImage")
_LABEL_ATTRIBUTES = ("label", "getLabel")
_CALLBACK_ATTRIBUTES = {
    "onAction", "onChange", "onLoad", "loadImage", "getLabel", "getImage", "getEnabled", "getVisible",
    "getPressed", "getScreentip", "getSupertip", "getDescription", "getKeytip", "getSize", "getShowLabel",
    "getShowImage", "getText", "getItemCount", "getItemLabel", "getItemID", "getItemImage",
    "getSelectedItemID", "getSelectedItemIndex", "getContent", "getTitle", "getHelperText",
}
_VB_NAME = re.compile(r'^\s*Attribute\s+VB_Name\s*=\s*"([^"]+)"', re.IGNORECASE | re.MULTILINE)
_PROC = re.compile(
    r"^[ \t]*(?P<scope>Public\s+|Private\s+|Friend\s+)?(?:Static\s+)?(?P<kind>Sub|Function)\s+"
    r"(?P<name>[A-Za-z]\w*)\s*\((?P<params>[^)]*)\)",
    re.IGNORECASE | re.MULTILINE,
)
_RIBBON_PARAM = re.compile(
    r"^\s*(?:ByRef\s+|ByVal\s+)?[A-Za-z]\w*\s+As\s+(?:Office\.)?IRibbonControl\s*$", re.IGNORECASE
)


def _read_vba(path: Path) -> str:
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def vba_modules_from_files(paths: Iterable[Path]) -> dict[str, str]:
    """Map ``VB_Name`` (or the file stem) to the module's source text."""
    modules: dict[str, str] = {}
    for path in paths:
        text = _read_vba(Path(path))
        match = _VB_NAME.search(text)
        modules[match.group(1) if match else Path(path).stem] = text
    return modules


def _procedures(source: str) -> dict[str, tuple[str, str, str]]:
    """Procedure name (upper case) -> (scope, kind, parameter list)."""
    found: dict[str, tuple[str, str, str]] = {}
    for match in _PROC.finditer(source):
        scope = (match.group("scope") or "Public").strip()
        found.setdefault(match.group("name").upper(), (scope, match.group("kind"), match.group("params")))
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def lint_ribbon(xml: Path | bytes | str, modules: Mapping[str, str] | Iterable[Path]) -> list[str]:
    """Return the problems found (empty list when the ribbon is consistent).

    ``xml`` is a path or the XML bytes; ``modules`` maps VB module names to source text, or is a list of
    ``.bas`` / ``.cls`` paths.
    """
    if not isinstance(modules, Mapping):
        modules = vba_modules_from_files(modules)
    procs = {name.upper(): _procedures(text) for name, text in modules.items()}
    module_names = {name.upper(): name for name in modules}

    data = xml if isinstance(xml, (bytes, bytearray)) else Path(xml).read_bytes()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return [f"customUI XML is not well formed: {exc}"]

    problems: list[str] = []
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        problems.append(f"root element is {root.tag!r}; expected customUI in namespace {CUSTOMUI_NS}")

    ids = Counter(el.get("id") for el in root.iter() if el.get("id") is not None)
    for dup, count in sorted(ids.items()):
        if count > 1:
            problems.append(f"id {dup!r} is used {count} times; ids must be unique")

    for el in root.iter():
        tag = _local(el.tag)
        label = el.get("id") or el.get("idMso") or tag
        if tag in _BUTTON_TAGS and el.get("idMso") is None:
            if not any(el.get(a) for a in _ICON_ATTRIBUTES):
                problems.append(f"{label}: button has no icon (imageMso, image or getImage)")
            if not any(el.get(a) for a in _LABEL_ATTRIBUTES):
                problems.append(f"{label}: button has no label")
        for attr in sorted(_CALLBACK_ATTRIBUTES & set(el.keys())):
            problems.extend(_check_callback(label, attr, el.get(attr, ""), module_names, procs))
    return problems


def _check_callback(label: str, attr: str, value: str, module_names: dict[str, str],
                    procs: dict[str, dict[str, tuple[str, str, str]]]) -> list[str]:
    module, dot, proc = value.partition(".")
    if not dot or not module or not proc or "." in proc:
        return [f"{label}: {attr}={value} is not module-qualified (expected Module.Procedure)"]
    if module.upper() not in module_names:
        return [f"{label}: {attr}={value}: no VBA module with Attribute VB_Name = \"{module}\""]
    found = procs[module.upper()].get(proc.upper())
    if found is None:
        what = "Sub" if attr == "onAction" else "procedure"
        return [f"{label}: {attr}={value} has no matching {what} in module {module_names[module.upper()]}"]
    scope, kind, params = found
    problems = []
    if scope.lower() == "private":
        problems.append(f"{label}: {attr}={value} is Private; ribbon callbacks must be Public")
    if attr == "onAction" and (kind.lower() != "sub" or not _RIBBON_PARAM.match(params)):
        problems.append(
            f"{label}: {attr}={value} must be declared as Sub {proc}(control As IRibbonControl), "
            f"found {kind} {proc}({params.strip()})"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    """CLI: ``ribbon_lint CUSTOMUI.xml MODULE.bas [MODULE.bas ...]``; prints problems, returns 0 or 1."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print("usage: python -m xl_addin.addin.ribbon_lint customUI14.xml Module.bas [Module.bas ...]",
              file=sys.stderr)
        return 2
    problems = lint_ribbon(Path(args[0]), [Path(p) for p in args[1:]])
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ribbon lint: OK ({args[0]})")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
