"""The VBA project binary (``vbaProject.bin``): MS-OVBA streams and records inside an MS-CFB file.

Streams written (MS-OVBA 2.2, 2.3):

============================  ==============================================================  ===========
stream                        content                                                         compressed
============================  ==============================================================  ===========
``PROJECT``                   text project description: ID, modules, name, CMG/DPB/GC, host   no
``PROJECTwm``                 module names in the code page and in UTF-16                     no
``VBA/_VBA_PROJECT``          ``CC 61 FF FF 00 01 00``: no compiled cache, Excel recompiles   no
``VBA/dir``                   project, reference and module records                          yes
``VBA/<module>``              the module's source (MODULEOFFSET 0, no p-code)                 yes
============================  ==============================================================  ===========

Modules:

* standard modules come from ``.bas`` files, class modules from ``.cls`` files, document modules
  (``ThisWorkbook``, ``Sheet1``) are generated; leading ``Attribute`` lines (and a ``.cls`` export header)
  are replaced by generated ones, the module name comes from ``Attribute VB_Name`` or the file name;
* line endings are written as CRLF and the text is encoded **cp1252**; a character outside cp1252 stops
  the build with :class:`VbaEncodingError`, naming the module, line and column (Vietnamese-locale Windows
  would read the project as cp1258, so Vietnamese text never belongs in VBA);
* module names are ASCII identifiers, unique regardless of case.

References: ``stdole`` (OLE Automation) and ``Office`` (Microsoft Office 16.0 Object Library, which defines
``IRibbonControl``). Protection strings ``CMG``/``DPB``/``GC`` encode "unprotected", "no password" and
"visible" with the MS-OVBA 2.4.3.2 data encryption, including its ignored bytes (which are chained like
every other byte). The project ID is a UUID5 of the project name and the encryption seed is fixed, so the
same sources always give the same bytes.
"""

from __future__ import annotations

import enum
import re
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from .cfb import CompoundFile
from .compression import compress

__all__ = [
    "CODEPAGE",
    "ENCODING",
    "OFFICE",
    "STDOLE",
    "DEFAULT_REFERENCES",
    "WORKBOOK_BASE",
    "WORKSHEET_BASE",
    "ModuleKind",
    "Reference",
    "VbaModule",
    "VbaProjectError",
    "VbaEncodingError",
    "build_vba_project",
    "class_module",
    "decrypt_data",
    "document_module",
    "encrypt_data",
    "module_from_file",
    "project_id",
    "project_streams",
    "standard_module",
]

CODEPAGE = 1252
ENCODING = "cp1252"
LCID = 0x0409
PROTECTION_SEED = 0x4E  # fixed for deterministic output; (seed & 6) / 2 = 3 ignored bytes
_IGNORED_BYTE = 0x00
_ENCRYPTION_VERSION = 2
_VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
_MAX_NAME = 31

WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


class VbaProjectError(ValueError):
    """A VBA source or project setting the writer refuses."""


class VbaEncodingError(VbaProjectError):
    """A module contains a character outside code page 1252."""


class ModuleKind(enum.Enum):
    STANDARD = "standard"
    DOCUMENT = "document"
    CLASS = "class"


@dataclass(frozen=True)
class Reference:
    """A registered type-library reference (REFERENCENAME + REFERENCEREGISTERED)."""

    name: str
    libid: str


STDOLE = Reference(
    "stdole",
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
)
OFFICE = Reference(
    "Office",
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
)
DEFAULT_REFERENCES = (STDOLE, OFFICE)


@dataclass(frozen=True)
class VbaModule:
    """One module: its name, kind, generated attribute lines and body (LF line endings)."""

    name: str
    kind: ModuleKind
    body: str
    attributes: tuple[tuple[str, str], ...]
    origin: str | None = None  # file the module came from, for error messages

    @property
    def source(self) -> str:
        """The module text as stored: attribute lines, then the body, CRLF line endings."""
        lines = [f"Attribute {key} = {value}" for key, value in self.attributes]
        text = "\r\n".join(lines) + "\r\n"
        body = self.body
        if body and not body.endswith("\n"):
            body += "\n"
        return text + body.replace("\n", "\r\n")

    def encoded(self) -> bytes:
        """The source in cp1252; raises :class:`VbaEncodingError` naming the offending character."""
        text = self.source
        try:
            return text.encode(ENCODING)
        except UnicodeEncodeError as exc:
            bad = text[exc.start]
            line_no = text.count("\n", 0, exc.start) + 1
            column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
            where = f" ({self.origin})" if self.origin else ""
            raise VbaEncodingError(
                f"VBA module {self.name!r}{where}, line {line_no}, column {column}: character {bad!r} "
                f"(U+{ord(bad):04X}) is not in code page 1252. Keep Vietnamese text out of VBA "
                f"(put it in Python, a worksheet cell or the ribbon XML) or build it with ChrW()."
            ) from None


# -- module sources ----------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_ATTRIBUTE = re.compile(r"\s*Attribute\s+(\w+)\s*=\s*(.*?)\s*\Z", re.IGNORECASE)
_CLS_HEADER_START = re.compile(r"\s*VERSION\s+\d", re.IGNORECASE)


def _check_name(name: str, origin: str | None) -> str:
    if not _IDENT.match(name) or len(name) > _MAX_NAME:
        where = f" ({origin})" if origin else ""
        raise VbaProjectError(
            f"invalid VBA module name {name!r}{where}: use an ASCII letter followed by letters, digits or "
            f"underscores, at most {_MAX_NAME} characters"
        )
    return name


def _split_header(text: str) -> tuple[dict[str, str], str]:
    """Remove a ``.cls`` export header and the leading ``Attribute`` lines; return (attributes, body)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    i = 0
    if lines and _CLS_HEADER_START.match(lines[0]):
        i = 1
        if i < len(lines) and lines[i].strip().upper() == "BEGIN":
            while i < len(lines) and lines[i].strip().upper() != "END":
                i += 1
            i += 1
    attributes: dict[str, str] = {}
    while i < len(lines):
        match = _ATTRIBUTE.match(lines[i])
        if not match:
            break
        attributes[match.group(1).upper()] = match.group(2)
        i += 1
    return attributes, "\n".join(lines[i:])


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _module_name(attributes: dict[str, str], default_name: str | None, origin: str | None) -> str:
    name = _unquote(attributes["VB_NAME"]) if "VB_NAME" in attributes else default_name
    if not name:
        raise VbaProjectError(f"module without Attribute VB_Name and without a file name ({origin})")
    return _check_name(name, origin)


def standard_module(text: str, default_name: str | None = None, origin: str | None = None) -> VbaModule:
    """A standard (procedural) module from ``.bas`` text."""
    attributes, body = _split_header(text)
    name = _module_name(attributes, default_name, origin)
    return VbaModule(name, ModuleKind.STANDARD, body, (("VB_Name", f'"{name}"'),), origin)


def class_module(text: str, default_name: str | None = None, origin: str | None = None) -> VbaModule:
    """A class module from ``.cls`` text (export header removed, instancing attributes carried over)."""
    attributes, body = _split_header(text)
    name = _module_name(attributes, default_name, origin)

    def flag(key: str) -> str:
        return "True" if attributes.get(key, "False").strip().lower() == "true" else "False"

    generated = [
        ("VB_Name", f'"{name}"'),
        ("VB_Base", f'"{CLASS_BASE}"'),
        ("VB_GlobalNameSpace", "False"),
        ("VB_Creatable", flag("VB_CREATABLE")),
        ("VB_PredeclaredId", flag("VB_PREDECLAREDID")),
        ("VB_Exposed", flag("VB_EXPOSED")),
        ("VB_TemplateDerived", "False"),
        ("VB_Customizable", "False"),
    ]
    if "VB_DESCRIPTION" in attributes:
        generated.append(("VB_Description", attributes["VB_DESCRIPTION"]))
    return VbaModule(name, ModuleKind.CLASS, body, tuple(generated), origin)


def document_module(name: str, base: str, body: str = "") -> VbaModule:
    """A generated document module (``ThisWorkbook`` with WORKBOOK_BASE, a sheet with WORKSHEET_BASE)."""
    _check_name(name, None)
    generated = (
        ("VB_Name", f'"{name}"'),
        ("VB_Base", f'"{base}"'),
        ("VB_GlobalNameSpace", "False"),
        ("VB_Creatable", "False"),
        ("VB_PredeclaredId", "True"),
        ("VB_Exposed", "True"),
        ("VB_TemplateDerived", "False"),
        ("VB_Customizable", "True"),
    )
    return VbaModule(name, ModuleKind.DOCUMENT, body, generated, None)


def module_from_file(path: Path, text: str | None = None) -> VbaModule:
    """Read a ``.bas`` (standard) or ``.cls`` (class) file; ``text`` overrides the file content."""
    path = Path(path)
    if text is None:
        text = _read_source(path)
    suffix = path.suffix.lower()
    if suffix == ".bas":
        return standard_module(text, path.stem, str(path))
    if suffix == ".cls":
        return class_module(text, path.stem, str(path))
    raise VbaProjectError(f"unknown VBA source type {path.suffix!r} ({path}); expected .bas or .cls")


def _read_source(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode(ENCODING)


# -- protection strings (MS-OVBA 2.4.3.2 / 2.4.3.3) ---------------------------------------------


def project_id(project_name: str) -> str:
    """Deterministic project GUID: UUID5 of the project name in the URL namespace, upper case, in braces."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, project_name)).upper() + "}"


def _project_key(pid: str) -> int:
    return sum(pid.encode("ascii")) & 0xFF


def encrypt_data(pid: str, data: bytes, seed: int = PROTECTION_SEED) -> str:
    """MS-OVBA data encryption of ``data`` for the project ``pid``; returns upper-case hex."""
    key = _project_key(pid)
    version_enc = seed ^ _ENCRYPTION_VERSION
    key_enc = seed ^ key
    out = bytearray([seed, version_enc, key_enc])
    unencrypted1, encrypted1, encrypted2 = key, key_enc, version_enc
    ignored = bytes([_IGNORED_BYTE]) * ((seed & 6) // 2)
    for byte in ignored + struct.pack("<I", len(data)) + bytes(data):
        encrypted = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(encrypted)
        encrypted2, encrypted1, unencrypted1 = encrypted1, encrypted, byte
    return out.hex().upper()


def decrypt_data(hex_text: str) -> tuple[int, int, bytes]:
    """Reverse of :func:`encrypt_data`: returns (version, project key, data)."""
    raw = bytes.fromhex(hex_text)
    if len(raw) < 7:
        raise VbaProjectError("encrypted data too short")
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    version, key = seed ^ version_enc, seed ^ key_enc
    unencrypted1, encrypted1, encrypted2 = key, key_enc, version_enc
    plain = bytearray()
    for encrypted in raw[3:]:
        byte = encrypted ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, encrypted, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4:])
    if len(data) != length:
        raise VbaProjectError(f"encrypted data length mismatch: header says {length}, found {len(data)}")
    return version, key, data


# -- streams ------------------------------------------------------------------------------------


def _record(rid: int, data: bytes = b"") -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _cp(text: str, what: str) -> bytes:
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError:
        raise VbaEncodingError(f"{what} {text!r} is not representable in code page 1252") from None


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _dir_stream(project_name: str, modules: list[VbaModule], references: tuple[Reference, ...]) -> bytes:
    out = bytearray()
    # PROJECTINFORMATION
    out += _record(0x0001, struct.pack("<I", 1))  # SYSKIND: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", LCID))
    out += _record(0x0014, struct.pack("<I", LCID))
    out += _record(0x0003, struct.pack("<H", CODEPAGE))
    out += _record(0x0004, _cp(project_name, "project name"))
    out += _record(0x0005) + _record(0x0040)  # doc string (+ Unicode)
    out += _record(0x0006) + _record(0x003D)  # help file paths
    out += _record(0x0007, struct.pack("<I", 0))  # help context
    out += _record(0x0008, struct.pack("<I", 0))  # lib flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved=4, major 1, minor 0
    out += _record(0x000C) + _record(0x003C)  # constants (+ Unicode)
    # PROJECTREFERENCES
    for ref in references:
        out += _record(0x0016, _cp(ref.name, "reference name")) + _record(0x003E, _utf16(ref.name))
        libid = _cp(ref.libid, "reference libid")
        out += _record(0x000D, struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0))
    # PROJECTMODULES
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        name = _cp(module.name, "module name")
        out += _record(0x0019, name) + _record(0x0047, _utf16(module.name))
        out += _record(0x001A, name) + _record(0x0032, _utf16(module.name))  # stream name
        out += _record(0x001C) + _record(0x0048)  # doc string
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source only
        out += _record(0x001E, struct.pack("<I", 0))  # help context
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # cookie
        out += struct.pack("<HI", 0x0021 if module.kind is ModuleKind.STANDARD else 0x0022, 0)
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def _project_stream(project_name: str, pid: str, modules: list[VbaModule]) -> bytes:
    lines = [f'ID="{pid}"']
    for module in modules:
        if module.kind is ModuleKind.DOCUMENT:
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind is ModuleKind.CLASS:
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt_data(pid, bytes(4))}"',  # protection state: none
        f'DPB="{encrypt_data(pid, bytes(1))}"',  # password: none
        f'GC="{encrypt_data(pid, bytes([0xFF]))}"',  # visibility: visible
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "",
    ]
    return _cp("\r\n".join(lines), "PROJECT stream")


def _projectwm_stream(modules: list[VbaModule]) -> bytes:
    out = bytearray()
    for module in modules:
        out += _cp(module.name, "module name") + b"\x00" + _utf16(module.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def _check_project(project_name: str, modules: list[VbaModule]) -> None:
    if not _IDENT.match(project_name) or len(project_name) > _MAX_NAME:
        raise VbaProjectError(f"invalid VBA project name {project_name!r}")
    seen: dict[str, str] = {}
    for module in modules:
        key = module.name.upper()
        if key in seen:
            raise VbaProjectError(
                f"duplicate VBA module name {module.name!r} (clashes with {seen[key]!r}; names are case-insensitive)"
            )
        if key in {"DIR", "_VBA_PROJECT"} or key.startswith("__SRP_"):
            raise VbaProjectError(f"module name {module.name!r} collides with a VBA storage stream")
        seen[key] = module.name


def project_streams(
    project_name: str, modules: list[VbaModule], references: tuple[Reference, ...] = DEFAULT_REFERENCES
) -> dict[str, bytes]:
    """Every stream of the project, keyed by CFB path, as stored (``dir`` and modules compressed)."""
    modules = list(modules)
    _check_project(project_name, modules)
    encoded = {module.name: module.encoded() for module in modules}  # fails early on non-cp1252 text
    pid = project_id(project_name)
    streams = {
        "PROJECT": _project_stream(project_name, pid, modules),
        "PROJECTwm": _projectwm_stream(modules),
        "VBA/_VBA_PROJECT": _VBA_PROJECT_STREAM,
        "VBA/dir": compress(_dir_stream(project_name, modules, tuple(references))),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(encoded[module.name])
    return streams


def build_vba_project(
    project_name: str, modules: list[VbaModule], references: tuple[Reference, ...] = DEFAULT_REFERENCES
) -> bytes:
    """Return the bytes of ``vbaProject.bin`` for ``modules``."""
    cf = CompoundFile()
    for path, data in project_streams(project_name, modules, references).items():
        cf.add_stream(path, data)
    return cf.to_bytes()
