"""MS-CFB version 3 compound-file writer (the container of ``vbaProject.bin``).

What it writes:

* 512-byte sectors (version 3, minor version ``0x003E``), byte order ``FFFE``;
* streams shorter than the 4,096-byte cutoff go into 64-byte mini sectors inside the mini stream (held by
  the root entry), the others into regular sectors;
* layout after the header: large streams, mini stream, mini FAT, directory, FAT; each chain is contiguous;
* up to 109 FAT sectors listed in the header and no DIFAT sectors (about 6.8 MB of content at most, far
  above any VBA project; the writer raises beyond that);
* one directory tree per storage, as a **valid red-black tree**: siblings sorted as MS-CFB 2.6.4 requires
  (shorter names first, then the upper-cased names compared code unit by code unit), arranged as a
  balanced binary search tree split at the midpoint; the bottom level is red when the tree has more than
  one level, every other node black.

Output is deterministic: no timestamps, CLSIDs are zero, directory ids are assigned in a fixed order.

Usage::

    cf = CompoundFile()
    cf.add_stream("PROJECT", b"...")
    cf.add_stream("VBA/dir", b"...")      # storages are created on demand
    data = cf.to_bytes()
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["CompoundFile", "CfbError", "cfb_sort_key"]

SECTOR_SIZE = 512
MINI_SECTOR_SIZE = 64
MINI_STREAM_CUTOFF = 4096
DIR_ENTRY_SIZE = 128
HEADER_FAT_SLOTS = 109
MAX_NAME_CHARS = 31

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

_TYPE_STORAGE = 1
_TYPE_STREAM = 2
_TYPE_ROOT = 5
_RED = 0
_BLACK = 1

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


class CfbError(ValueError):
    """Raised for names or sizes the writer cannot represent."""


def cfb_sort_key(name: str) -> tuple[int, str]:
    """Sibling order of MS-CFB 2.6.4: name length in UTF-16 code units first, then upper-cased names."""
    return (len(name.encode("utf-16-le")) // 2, name.upper())


@dataclass
class _Node:
    name: str
    is_storage: bool
    data: bytes = b""
    children: dict[str, _Node] = field(default_factory=dict)
    # filled in by the writer
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN


def _check_name(name: str) -> None:
    if not name:
        raise CfbError("empty compound-file entry name")
    if len(name) > MAX_NAME_CHARS:
        raise CfbError(f"compound-file entry name longer than {MAX_NAME_CHARS} characters: {name!r}")
    if any(ch in name for ch in "/\\:!") or any(ord(ch) < 0x20 for ch in name):
        raise CfbError(f"illegal character in compound-file entry name {name!r}")


class CompoundFile:
    """An in-memory tree of storages and streams, serialised by :meth:`to_bytes`."""

    def __init__(self) -> None:
        self._root = _Node("Root Entry", is_storage=True)

    def add_storage(self, path: str) -> None:
        """Create the storage ``path`` (``"A/B"``) and any missing parents."""
        self._storage(path.split("/") if path else [])

    def add_stream(self, path: str, data: bytes) -> None:
        """Add the stream ``path`` (``"VBA/dir"``), creating parent storages as needed."""
        *parents, name = path.split("/")
        parent = self._storage(parents)
        _check_name(name)
        key = name.upper()
        if key in parent.children:
            raise CfbError(f"duplicate compound-file entry {path!r} (names are case-insensitive)")
        parent.children[key] = _Node(name, is_storage=False, data=bytes(data))

    def _storage(self, parts: list[str]) -> _Node:
        node = self._root
        for part in parts:
            _check_name(part)
            key = part.upper()
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node(part, is_storage=True)
            elif not child.is_storage:
                raise CfbError(f"{part!r} is a stream, not a storage")
            node = child
        return node

    # -- serialisation -------------------------------------------------------------------------

    def _entries(self) -> list[_Node]:
        """All entries in directory order: root first, then depth-first, siblings in CFB order."""
        order: list[_Node] = []

        def visit(node: _Node) -> None:
            node.sid = len(order)
            order.append(node)
            for child in sorted(node.children.values(), key=lambda n: cfb_sort_key(n.name)):
                visit(child)

        visit(self._root)
        for node in order:
            siblings = sorted(node.children.values(), key=lambda n: cfb_sort_key(n.name))
            node.child = _build_tree(siblings, depth=0, height=_height(len(siblings)))
        return order

    def to_bytes(self) -> bytes:
        """Serialise the compound file."""
        entries = self._entries()
        streams = [e for e in entries if not e.is_storage]
        large = [s for s in streams if len(s.data) >= MINI_STREAM_CUTOFF]
        small = [s for s in streams if 0 < len(s.data) < MINI_STREAM_CUTOFF]

        sectors = bytearray()  # everything after the header
        fat: list[int] = []

        def place(data: bytes, marker: int | None = None) -> int:
            """Append ``data`` as a contiguous chain; return its first sector (ENDOFCHAIN if empty)."""
            count = -(-len(data) // SECTOR_SIZE)
            if count == 0:
                return ENDOFCHAIN
            first = len(fat)
            for i in range(count):
                fat.append(marker if marker is not None else (first + i + 1 if i < count - 1 else ENDOFCHAIN))
            sectors.extend(data.ljust(count * SECTOR_SIZE, b"\x00"))
            return first

        for stream in large:
            stream.start = place(stream.data)

        # Mini stream and mini FAT.
        mini = bytearray()
        minifat: list[int] = []
        for stream in small:
            count = -(-len(stream.data) // MINI_SECTOR_SIZE)
            first = len(minifat)
            for i in range(count):
                minifat.append(first + i + 1 if i < count - 1 else ENDOFCHAIN)
            mini.extend(stream.data.ljust(count * MINI_SECTOR_SIZE, b"\x00"))
            stream.start = first
        root = entries[0]
        root.start = place(bytes(mini))
        minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
        if minifat:
            per_sector = SECTOR_SIZE // 4
            padded = minifat + [FREESECT] * (-len(minifat) % per_sector)
            minifat_bytes = b"".join(struct.pack("<I", v) for v in padded)
        minifat_start = place(minifat_bytes)
        minifat_sectors = len(minifat_bytes) // SECTOR_SIZE

        # Directory.
        directory = bytearray()
        for entry in entries:
            directory += _dir_entry(entry, is_root=entry is root, mini_size=len(mini))
        per_dir_sector = SECTOR_SIZE // DIR_ENTRY_SIZE
        for _ in range(-len(entries) % per_dir_sector):
            directory += _unused_entry()
        dir_start = place(bytes(directory))

        # FAT: it must also describe its own sectors.
        per_fat_sector = SECTOR_SIZE // 4
        n_fat = 0
        while n_fat * per_fat_sector < len(fat) + n_fat:
            n_fat += 1
        if n_fat > HEADER_FAT_SLOTS:
            raise CfbError("compound file too large for a writer without DIFAT sectors (about 6.8 MB)")
        fat_start = len(fat)
        fat.extend([FATSECT] * n_fat)
        fat.extend([FREESECT] * (n_fat * per_fat_sector - len(fat)))
        sectors.extend(b"".join(struct.pack("<I", v) for v in fat))

        difat = [fat_start + i for i in range(n_fat)] + [FREESECT] * (HEADER_FAT_SLOTS - n_fat)
        header = struct.pack(
            "<8s16sHHHHH6sIIIIIIIII",
            _SIGNATURE,
            b"\x00" * 16,          # header CLSID
            0x003E,                # minor version
            0x0003,                # major version
            0xFFFE,                # byte order
            9,                     # sector shift (512)
            6,                     # mini sector shift (64)
            b"\x00" * 6,           # reserved
            0,                     # number of directory sectors (must be 0 in version 3)
            n_fat,                 # number of FAT sectors
            dir_start,             # first directory sector
            0,                     # transaction signature
            MINI_STREAM_CUTOFF,    # mini stream cutoff
            minifat_start,         # first mini FAT sector
            minifat_sectors,       # number of mini FAT sectors
            ENDOFCHAIN,            # first DIFAT sector
            0,                     # number of DIFAT sectors
        ) + b"".join(struct.pack("<I", v) for v in difat)
        assert len(header) == SECTOR_SIZE
        return header + bytes(sectors)


def _height(count: int) -> int:
    """Number of levels of the midpoint-split tree over ``count`` nodes."""
    return count.bit_length()


def _build_tree(nodes: list[_Node], depth: int, height: int) -> int:
    """Link ``nodes`` (sorted) as a balanced red-black tree; return the sid of its root (or NOSTREAM)."""
    if not nodes:
        return NOSTREAM
    mid = len(nodes) // 2
    node = nodes[mid]
    node.left = _build_tree(nodes[:mid], depth + 1, height)
    node.right = _build_tree(nodes[mid + 1:], depth + 1, height)
    # Every level above the last is full, so colouring the last level red keeps the black height equal
    # on every path and never puts a red node under a red node; a one-level tree is just a black root.
    node.color = _RED if depth == height - 1 and depth > 0 else _BLACK
    return node.sid


def _dir_entry(node: _Node, is_root: bool, mini_size: int) -> bytes:
    name = node.name.encode("utf-16-le") + b"\x00\x00"
    if is_root:
        kind, start, size = _TYPE_ROOT, node.start, mini_size
    elif node.is_storage:
        kind, start, size = _TYPE_STORAGE, 0, 0
    else:
        kind, start, size = _TYPE_STREAM, node.start if node.data else ENDOFCHAIN, len(node.data)
    color = _BLACK if kind == _TYPE_ROOT else node.color
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        kind,
        color,
        node.left if kind != _TYPE_ROOT else NOSTREAM,
        node.right if kind != _TYPE_ROOT else NOSTREAM,
        node.child,
        b"\x00" * 16,  # CLSID
        0,             # state bits
        0,             # creation time
        0,             # modification time
        start,
        size,
    )


def _unused_entry() -> bytes:
    return struct.pack(
        "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0
    )
