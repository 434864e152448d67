"""Packaging: turn a ``vbaProject.bin`` and a ribbon XML into an Excel add-in (``.xlam``).

Two steps (see the add-in build notes, addin-build.md section 6):

1. **Base workbook** with XlsxWriter, in memory: one worksheet named ``<PROJECT_NAME>.conf`` holding the
   xlwings settings (keys in column A, values in column B, in the order of xlwings' own add-in), the VBA
   project via ``add_vba_project``, and the code names ``ThisWorkbook`` / ``Sheet1`` via ``set_vba_name``
   (they must equal the generated document modules, so both come from :data:`DOCUMENT_CODENAMES`).
   Settings point below ``%LOCALAPPDATA%\\<project>\\`` (or another home given with environment variables,
   e.g. ``%PUBLIC%\\cchc``); nothing machine-specific is written. The result is a regular ``.xlsm``.
2. **Zip post-processing**:

   * ``[Content_Types].xml``: the workbook part's override becomes
     ``application/vnd.ms-excel.addin.macroEnabled.main+xml`` (the build fails unless exactly one override
     changed); ``/xl/vbaProject.bin`` must have ``application/vnd.ms-office.vbaProject`` (by default or
     override; an override is added when missing);
   * ``customUI/customUI14.xml`` is added (UTF-8 bytes as given) and any other ``customUI/`` part dropped;
   * ``_rels/.rels``: existing ``…/ui/extensibility`` relationships are removed and
     ``rIdCustomUI14`` (type ``http://schemas.microsoft.com/office/2007/relationships/ui/extensibility``,
     target ``customUI/customUI14.xml``) is added;
   * every entry is written with a fixed timestamp and fixed attributes, and the document properties carry a
     fixed date, so two builds of the same sources are byte-identical.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile

import xlsxwriter

__all__ = [
    "ADDIN_CONTENT_TYPE",
    "CUSTOMUI_PART",
    "CUSTOMUI_REL_ID",
    "DOCUMENT_CODENAMES",
    "PackagingError",
    "UI_EXTENSIBILITY_2007",
    "VBA_CONTENT_TYPE",
    "build_base_workbook",
    "conf_rows",
    "conf_sheet_name",
    "package_addin",
    "to_addin",
]

ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
UI_EXTENSIBILITY_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
OFFICE_DOCUMENT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
CUSTOMUI_PART = "customUI/customUI14.xml"
CUSTOMUI_REL_ID = "rIdCustomUI14"
VBA_PART = "/xl/vbaProject.bin"

#: Code names of the workbook and of the conf sheet; the VBA project's document modules use the same list.
WORKBOOK_CODENAME = "ThisWorkbook"
SHEET_CODENAME = "Sheet1"
DOCUMENT_CODENAMES = (WORKBOOK_CODENAME, SHEET_CODENAME)

#: Fixed date of the document properties and of every zip entry (determinism).
FIXED_DATE = _dt.datetime(2025, 1, 1, 0, 0, 0)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


class PackagingError(RuntimeError):
    """The base workbook does not have the shape the post-processing expects."""


def conf_sheet_name(project_name: str) -> str:
    """Name of the settings sheet read by xlwings' custom add-in VBA (no leading underscore: active)."""
    return f"{project_name}.conf"


def default_home(project_name: str) -> str:
    """The install folder the settings point to, written with the environment variable (never expanded)."""
    return f"%LOCALAPPDATA%\\{project_name}"


def conf_rows(project_name: str, home: str | None = None) -> list[tuple[str, str | bool | None]]:
    """The xlwings settings, in the order of xlwings' own add-in; ``None`` leaves the value cell empty.

    ``home`` (default ``%LOCALAPPDATA%\\<project>``) holds ``.venv`` and ``app``. Another home (the Windows
    install uses ``%PUBLIC%\\cchc`` when %LOCALAPPDATA% is not ASCII) also gets xlwings' ``TEMP DIR`` below
    it, so neither the interpreter nor xlwings' temporary and log files sit on a non-ASCII path.
    «Use UDF Server» stays FALSE: RunPython then starts pythonw.exe and never loads the xlwings DLL, which
    is what lets a 32-bit Office run the add-in with a 64-bit Python."""
    base = home or default_home(project_name)
    rows: list[tuple[str, str | bool | None]] = [
        ("Interpreter_Win", f"{base}\\.venv\\Scripts\\pythonw.exe"),
        ("Interpreter_Mac", None),
        ("PYTHONPATH", f"{base}\\app"),
        ("Conda Path", None),
        ("Conda Env", None),
        ("UDF Modules", None),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
    ]
    if home and home != default_home(project_name):
        rows.append(("TEMP DIR", f"{base}\\temp"))
    return rows


def build_base_workbook(project_name: str, vba_project: bytes, properties: dict | None = None,
                        home: str | None = None) -> bytes:
    """Write the macro workbook (xlsm bytes) holding the conf sheet and the VBA project."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    props = {"created": FIXED_DATE}
    props.update(properties or {})
    workbook.set_properties(props)
    sheet = workbook.add_worksheet(conf_sheet_name(project_name))
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 48)
    for row, (key, value) in enumerate(conf_rows(project_name, home)):
        sheet.write_string(row, 0, key)
        if isinstance(value, bool):
            sheet.write_boolean(row, 1, value)
        elif value is not None:
            sheet.write_string(row, 1, value)
    workbook.add_vba_project(io.BytesIO(vba_project), is_stream=True)
    workbook.set_vba_name(WORKBOOK_CODENAME)
    sheet.set_vba_name(SHEET_CODENAME)
    workbook.close()
    return buffer.getvalue()


# -- zip post-processing ------------------------------------------------------------------------

_OVERRIDE = re.compile(r'<Override\b[^>]*?/>')
_RELATIONSHIP = re.compile(r'<Relationship\b[^>]*?/>')
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def _attrs(element_text: str) -> dict[str, str]:
    return dict(_ATTR.findall(element_text))


def _workbook_part(rels: str) -> str:
    for rel in _RELATIONSHIP.findall(rels):
        attrs = _attrs(rel)
        if attrs.get("Type") == OFFICE_DOCUMENT_REL:
            target = attrs["Target"]
            return target if target.startswith("/") else "/" + target
    raise PackagingError("_rels/.rels has no officeDocument relationship")


def _patch_content_types(text: str, workbook_part: str) -> str:
    changed = 0

    def swap(match: re.Match) -> str:
        nonlocal changed
        attrs = _attrs(match.group(0))
        if attrs.get("PartName") != workbook_part:
            return match.group(0)
        changed += 1
        return match.group(0).replace(f'ContentType="{attrs["ContentType"]}"', f'ContentType="{ADDIN_CONTENT_TYPE}"')

    text = _OVERRIDE.sub(swap, text)
    if changed != 1:
        raise PackagingError(
            f"[Content_Types].xml: expected exactly one override for {workbook_part}, changed {changed}"
        )
    root = ET.fromstring(text.encode("utf-8"))
    has_vba = any(
        (el.tag == f"{{{_NS_CT}}}Default" and el.get("Extension", "").lower() == "bin"
         and el.get("ContentType") == VBA_CONTENT_TYPE)
        or (el.tag == f"{{{_NS_CT}}}Override" and el.get("PartName") == VBA_PART
            and el.get("ContentType") == VBA_CONTENT_TYPE)
        for el in root
    )
    if not has_vba:  # constants only (no text from outside: xmlescape not needed, and the builder stays standalone)
        override = f'<Override PartName="{VBA_PART}" ContentType="{VBA_CONTENT_TYPE}"/>'
        text = text.replace("</Types>", override + "</Types>", 1)
    return text


def _patch_root_rels(text: str) -> str:
    def drop(match: re.Match) -> str:
        return "" if _attrs(match.group(0)).get("Type", "").endswith("/ui/extensibility") else match.group(0)

    text = _RELATIONSHIP.sub(drop, text)
    if any(_attrs(rel).get("Id") == CUSTOMUI_REL_ID for rel in _RELATIONSHIP.findall(text)):
        raise PackagingError(f"_rels/.rels already uses the id {CUSTOMUI_REL_ID}")
    rel = f'<Relationship Id="{CUSTOMUI_REL_ID}" Type="{UI_EXTENSIBILITY_2007}" Target="{CUSTOMUI_PART}"/>'
    if "</Relationships>" not in text:
        raise PackagingError("_rels/.rels has no closing </Relationships>")
    return text.replace("</Relationships>", rel + "</Relationships>", 1)


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.create_version = 20
    info.extract_version = 20
    info.external_attr = 0
    return info


def to_addin(xlsm: bytes, customui: bytes) -> bytes:
    """Post-process XlsxWriter's xlsm bytes into add-in bytes with the ribbon part."""
    try:
        ET.fromstring(customui)
    except ET.ParseError as exc:
        raise PackagingError(f"customUI14.xml is not well formed: {exc}") from None
    with zipfile.ZipFile(io.BytesIO(xlsm)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    for required in ("[Content_Types].xml", "_rels/.rels"):
        if required not in parts:
            raise PackagingError(f"base workbook has no {required}")
    rels = parts["_rels/.rels"].decode("utf-8")
    workbook_part = _workbook_part(rels)
    parts["[Content_Types].xml"] = _patch_content_types(
        parts["[Content_Types].xml"].decode("utf-8"), workbook_part
    ).encode("utf-8")
    parts["_rels/.rels"] = _patch_root_rels(rels).encode("utf-8")
    if VBA_PART.lstrip("/") not in parts:
        raise PackagingError("base workbook has no xl/vbaProject.bin")

    order = [name for name in parts if not name.startswith("customUI/")]
    order.remove("[Content_Types].xml")
    order.insert(0, "[Content_Types].xml")
    order.insert(order.index("_rels/.rels") + 1, CUSTOMUI_PART)
    parts[CUSTOMUI_PART] = bytes(customui)

    for name in order:
        if name.endswith((".xml", ".rels")):
            try:
                ET.fromstring(parts[name])
            except ET.ParseError as exc:
                raise PackagingError(f"{name} is not well formed after post-processing: {exc}") from None

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for name in order:
            target.writestr(_zip_info(name), parts[name])
    return out.getvalue()


def package_addin(project_name: str, vba_project: bytes, customui: bytes, properties: dict | None = None,
                  home: str | None = None) -> bytes:
    """Base workbook + post-processing: the bytes of the ``.xlam``."""
    return to_addin(build_base_workbook(project_name, vba_project, properties, home), customui)
