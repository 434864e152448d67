"""Load a report definition from ``workbook_templates/<id>/`` and validate it.

A definition directory holds several YAML files whose top-level keys are merged
(``report.yaml``, ``sections.yaml``, ``lists.yaml``, ``tables.yaml``…) and a ``profiles/``
folder with one file per province profile. A malformed definition raises ``CchcError``
naming the file, the line and the field.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import CchcError, catalogue, render
from ..memo import cached
from ..resources import DEFAULT_TEMPLATE
from ..yamlio import SafeLoader
from .models import Profile, ReportDefinition


def templates_root() -> Path:
    """Where report definitions live: $CCHC_TEMPLATES, then IT's copy in
    %LOCALAPPDATA%\\cchc\\workbook_templates, then the copy shipped with the package
    (``xl_addin.resources.templates_source`` says which)."""
    from ..resources import templates_source

    return templates_source()[0]


# --------------------------------------------------------------------------- YAML with lines
class LineDict(dict):
    yaml_file: str = "?"
    yaml_line: int = 0


class LineList(list):
    yaml_file: str = "?"
    yaml_line: int = 0


class _LineLoader(SafeLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, render("def_yaml_key_twice", key=key), key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    out.yaml_file = loader.name
    out.yaml_line = node.start_mark.line + 1
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.yaml_file = loader.name
    out.yaml_line = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path) -> Any:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # saved in a Windows code page: say where, never a traceback
        line = raw[: exc.start].count(b"\n") + 1
        detail = render("def_file_not_utf8", value=raw[exc.start])
        raise CchcError("definition_yaml", file=path, line=line, detail=detail) from None
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where: int | str = mark.line + 1 if mark else "?"
        detail = getattr(exc, "problem", None) or str(exc)
        raise CchcError("definition_yaml", file=path, line=where, detail=detail) from None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- errors
# pydantic's error types with a Vietnamese detail: def_pydantic_<type> in definition/messages.yaml


def _vi_error(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    key = err["loc"][-1] if err["loc"] else ""
    if kind == "value_error":
        msg = err["msg"]
        return msg.split(", ", 1)[1] if msg.startswith("Value error, ") else msg
    code = f"def_pydantic_{kind}"
    if code not in catalogue():
        return render("def_pydantic_other", msg=err['msg'], key=key)
    ctx = err.get("ctx") or {}
    expected = ctx.get("expected")
    return render(code, key=key, input=err.get("input"),
                  ctx=render("def_pydantic_choose", expected=expected) if expected else "", ge=ctx.get("ge"),
                  le=ctx.get("le"))


def _locate(data: Any, loc: tuple) -> tuple[str, int, str]:
    """The file, line and the code of the innermost coded item along ``loc``."""
    node = data
    file, line, code = getattr(data, "yaml_file", "?"), getattr(data, "yaml_line", 0), ""
    for part in loc:
        if isinstance(node, (LineDict, LineList)):
            file, line = node.yaml_file, node.yaml_line
        if isinstance(node, dict) and "code" in node:
            code = str(node["code"])
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(node, (LineDict, LineList)):
        file, line = node.yaml_file, node.yaml_line
    if isinstance(node, dict) and "code" in node:
        code = str(node["code"])
    return file, line, code


def _find_coded(data: Any, code: str) -> Any:
    """The innermost mapping whose ``code`` is ``code`` (for errors found across the definition)."""
    if isinstance(data, dict):
        if data.get("code") == code or data.get("id") == code:
            return data
        items: list[Any] = list(data.values())
    elif isinstance(data, list):
        items = data
    else:
        return None
    for item in items:
        found = _find_coded(item, code)
        if found is not None:
            return found
    return None


def _raise_validation(exc: ValidationError, data: Any) -> None:
    errors = exc.errors()
    first = errors[0]
    file, line, code = _locate(data, tuple(first["loc"]))
    detail = _vi_error(first)
    if not first["loc"]:
        # a cross-check of the whole definition: point at the item it names
        for candidate in re.findall(r"«([A-Za-z0-9_.]+)»", detail):
            found = _find_coded(data, candidate)
            if isinstance(found, LineDict):
                file, line, code = found.yaml_file, found.yaml_line, candidate
                break
    # errors of the same item are shown together (e.g. a misspelt key is also a missing key)
    same = [e for e in errors[1:] if _locate(data, tuple(e["loc"]))[:2] == (file, line)]
    for extra in same[:3]:
        detail += "; " + _vi_error(extra)
    more = len(errors) - 1 - len(same[:3])
    if more > 0:
        detail += render("def_and_more", more=more)
    where = render("def_in_item", code=code) if code else ""
    raise CchcError("definition_invalid", file=file, line=line, where=where, detail=detail) from None


# --------------------------------------------------------------------------- profiles
def _insert_after(items: list, item: Any, after: str | None, key: str = "code") -> None:
    if after:
        for i, existing in enumerate(items):
            if existing.get(key) == after:
                items.insert(i + 1, item)
                return
    items.append(item)


def _find_section(sections: list, code: str) -> dict | None:
    for section in sections:
        if section.get("code") == code:
            return section
        found = _find_section(section.get("children", []), code)
        if found is not None:
            return found
    return None


def _apply_profile(raw: dict, profile_raw: dict, profile: Profile) -> dict:
    data = copy.copy(raw)
    data["sections"] = copy.deepcopy(raw["sections"])
    data["tables"] = copy.deepcopy(raw.get("tables", []))
    errors = []
    for sec_raw, sec in zip(profile_raw.get("sections", []), profile.sections, strict=True):
        parent = _find_section(data["sections"], sec.parent) if sec.parent else None
        if sec.parent and parent is None:
            errors.append((sec_raw, render("def_profile_parent_unknown", parent=sec.parent)))
            continue
        target = parent.setdefault("children", []) if parent is not None else data["sections"]
        item = {k: v for k, v in sec_raw.items() if k not in ("parent", "after")}
        _insert_after(target, item, sec.after)
    for field_raw in profile_raw.get("fields", []):
        section_code = field_raw.get("section")
        section = _find_section(data["sections"], section_code) if section_code else None
        if section is None:
            errors.append((field_raw, render("def_profile_field_section", value=field_raw.get('code'),
                                             section_code=section_code)))
            continue
        item = {k: v for k, v in field_raw.items() if k not in ("section", "after")}
        _insert_after(section.setdefault("fields", []), item, field_raw.get("after"))
    for add in profile_raw.get("table_columns", []):
        table = next((t for t in data["tables"] if t.get("code") == add.get("table")), None)
        if table is None or "column" not in add:
            errors.append((add, render("def_profile_table_columns", value=add.get('table'))))
            continue
        _insert_after(table["columns"], add["column"], add.get("after"))
    for key in ("rules", "ratios"):
        if profile_raw.get(key):
            data[key] = list(raw.get(key, [])) + list(profile_raw[key])
    if profile_raw.get("forms") is not None:
        data["forms"] = profile_raw["forms"]  # the profile chooses its official forms
    if profile_raw.get("deadline_working_days") is not None:  # the province's own deadline for its units
        data["deadline_working_days"] = profile_raw["deadline_working_days"]
    if errors:
        item, detail = errors[0]
        raise CchcError("definition_invalid", file=getattr(item, "yaml_file", "?"),
                        line=getattr(item, "yaml_line", "?"), where="", detail=detail)
    return data


# --------------------------------------------------------------------------- public API
def definition_dir(template_id: str = DEFAULT_TEMPLATE, root: Path | None = None) -> Path:
    return (root or templates_root()) / template_id


def available_profiles(template_id: str = DEFAULT_TEMPLATE, root: Path | None = None) -> list[str]:
    folder = definition_dir(template_id, root) / "profiles"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


STAMP_TTL = 2.0  # seconds: a batch reading many files does not re-scan the definition folder each time


def is_known(template_id: str, profile: str | None = None) -> bool:
    """Whether a definition (and profile) of that name exists; asked for every file a merge reads,
    so the answer is kept for ``STAMP_TTL`` seconds like the definitions themselves."""
    return _is_known(str(templates_root()), template_id, profile)


@cached(ttl=STAMP_TTL)
def _is_known(root: str, template_id: str, profile: str | None) -> bool:
    folder = definition_dir(template_id, Path(root))
    return folder.is_dir() and (profile is None or profile in available_profiles(template_id, Path(root)))


def _read_raw(folder: Path) -> dict:
    if not folder.is_dir():
        raise CchcError("definition_missing", file=folder)
    raw = LineDict()
    raw.yaml_file = str(folder)
    for path in sorted(folder.glob("*.yaml")):
        part = read_yaml(path)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise CchcError("definition_invalid", file=path, line=1, where="", detail=render("def_file_not_mapping"))
        for key, value in part.items():
            if key in raw:
                raise CchcError("definition_invalid", file=path, line=getattr(part, "yaml_line", 1), where="",
                                detail=render("def_key_in_two_files", key=key))
            raw[key] = value
    return raw


def _canonical_hash(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@cached(maxsize=32)
def _load_cached(folder: str, profile: str | None, stamp: tuple) -> ReportDefinition:
    path = Path(folder)
    raw = _read_raw(path)
    profile_name = None
    if profile:
        profile_path = path / "profiles" / f"{profile}.yaml"
        if not profile_path.is_file():
            known = ", ".join(sorted(p.stem for p in (path / "profiles").glob("*.yaml")))
            raise CchcError("profile_unknown", profile=profile, known=known or render("def_profile_none_known"))
        profile_raw = read_yaml(profile_path)
        try:
            prof = Profile.model_validate(profile_raw)
        except ValidationError as exc:
            _raise_validation(exc, profile_raw)
        raw = _apply_profile(raw, profile_raw, prof)
        profile_name = prof.name
    try:
        definition = ReportDefinition.model_validate(raw)
    except ValidationError as exc:
        _raise_validation(exc, raw)
    definition.profile = profile
    definition.profile_name = profile_name
    if definition.forms is not None:  # only the forms this template (or profile) uses
        definition = definition.with_forms(definition.forms)
    definition.source_hash = _canonical_hash(raw)  # the raw definition names its forms already
    return definition


def _tree_stamp(folder: Path) -> tuple:
    return _tree_stamp_of(str(folder))


@cached(ttl=STAMP_TTL)
def _tree_stamp_of(folder: str) -> tuple:
    path = Path(folder)
    return () if not path.is_dir() else tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(path.rglob("*.yaml")))


def load_definition(template_id: str = DEFAULT_TEMPLATE, profile: str | None = None,
                    root: Path | None = None) -> ReportDefinition:
    """Load and validate a definition; results are cached until a YAML file changes."""
    folder = definition_dir(template_id, root)
    return _load_cached(str(folder), profile or None, _tree_stamp(folder))


def load_definition_from(folder: Path, profile: str | None = None) -> ReportDefinition:
    return _load_cached(str(folder), profile or None, _tree_stamp(folder))
