"""MS-OVBA 2.4.1 compression: the CompressedContainer used by the ``dir`` stream and every module stream.

Layout (MS-OVBA 2.4.1.1):

* a container is the signature byte ``0x01`` followed by one chunk per 4,096 bytes of input;
* a chunk starts with a 2-byte little-endian header: bits 0-11 = chunk size - 3, bits 12-14 = ``0b011``,
  bit 15 = "compressed" flag;
* a compressed chunk is a series of token groups: one flag byte, then up to eight tokens; a clear bit is
  a literal byte, a set bit a 2-byte CopyToken holding ``offset - 1`` in its high bits and ``length - 3``
  in its low bits; the split depends on how far into the decompressed chunk the token starts
  (``max(ceil(log2(position)), 4)`` offset bits, the rest for the length);
* a chunk whose compressed form would not fit in 4,096 bytes is stored raw: header ``0x3FFF`` followed by
  exactly 4,096 bytes.

The matcher is greedy (longest match, nearest source on ties). It finds matches with ``bytes.rfind`` and
a binary search on the length (the existence of a match of length L is monotone in L), so the inner work
runs at C speed: the 45 kB xlwings module compresses in well under 0.1 s.

A final, partial chunk that is both longer than 3,640 bytes and incompressible cannot be written as a
compressed chunk; MS-OVBA 2.4.1.3.10 then stores a raw chunk padded with zero bytes to 4,096, so the
decompressed output gains those zeros. VBA source text never comes close to that case (it always
compresses), and ``compress`` is exact for every input whose length is a multiple of 4,096 or whose last
chunk compresses.
"""

from __future__ import annotations

import struct

__all__ = ["compress", "decompress", "CompressionError", "CHUNK_SIZE"]

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_RAW_HEADER = 0x3FFF  # flag 0, signature 0b011, size field 4095 (4,098 bytes including the header)
_MIN_MATCH = 3


class CompressionError(ValueError):
    """Raised by :func:`decompress` for a malformed CompressedContainer."""


def _offset_bits(position: int) -> int:
    """Bit count of the offset part of a CopyToken starting ``position`` bytes into its chunk (>= 1)."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress ``data[start:end]`` (at most 4,096 bytes) into chunk data, without the header."""
    out = bytearray()
    pos = start
    find = data.rfind
    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len = 0
            best_src = -1
            if pos > start:
                bits = _offset_bits(pos - start)
                max_len = min((0xFFFF >> bits) + 3, end - pos)
                if max_len >= _MIN_MATCH:
                    # A source may start anywhere in [start, pos) and may overlap the current position.
                    src = find(data[pos:pos + _MIN_MATCH], start, pos + _MIN_MATCH - 1)
                    if src >= 0:
                        best_len, best_src = _MIN_MATCH, src
                        lo, hi = _MIN_MATCH + 1, max_len
                        while lo <= hi:  # largest L for which a match of length L exists
                            mid = (lo + hi) // 2
                            src = find(data[pos:pos + mid], start, pos + mid - 1)
                            if src >= 0:
                                best_len, best_src = mid, src
                                lo = mid + 1
                            else:
                                hi = mid - 1
            if best_len:
                token = ((pos - best_src - 1) << (16 - bits)) | (best_len - _MIN_MATCH)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                pos += best_len
            else:
                out.append(data[pos])
                pos += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Return the MS-OVBA CompressedContainer for ``data``."""
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        end = min(start + CHUNK_SIZE, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= CHUNK_SIZE:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3))
            out += body
        else:
            # Raw chunk: exactly 4,096 bytes; a short final chunk is zero-padded as MS-OVBA prescribes.
            out += struct.pack("<H", _RAW_HEADER)
            out += data[start:end].ljust(CHUNK_SIZE, b"\x00")
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (MS-OVBA 2.4.1.3.1)."""
    container = bytes(container)
    if not container or container[0] != _SIGNATURE:
        raise CompressionError("not an MS-OVBA CompressedContainer (signature byte 0x01 missing)")
    out = bytearray()
    pos = 1
    total = len(container)
    while pos < total:
        if pos + 2 > total:
            raise CompressionError(f"truncated chunk header at byte {pos}")
        (header,) = struct.unpack_from("<H", container, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise CompressionError(f"bad chunk signature in header 0x{header:04X} at byte {pos}")
        chunk_end = min(pos + size, total)
        pos += 2
        chunk_start = len(out)
        if not header & 0x8000:
            raw = container[pos:pos + CHUNK_SIZE]
            if len(raw) != CHUNK_SIZE:
                raise CompressionError("raw chunk shorter than 4,096 bytes")
            out += raw
            pos += CHUNK_SIZE
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise CompressionError(f"truncated CopyToken at byte {pos}")
                (token,) = struct.unpack_from("<H", container, pos)
                pos += 2
                done = len(out) - chunk_start
                if done == 0:
                    raise CompressionError(f"CopyToken at the start of a chunk (byte {pos - 2})")
                bits = _offset_bits(done)
                offset = (token >> (16 - bits)) + 1
                length = (token & (0xFFFF >> bits)) + _MIN_MATCH
                if offset > done:
                    raise CompressionError(f"CopyToken offset {offset} points before the chunk (byte {pos - 2})")
                src = len(out) - offset
                if offset >= length:
                    out += out[src:src + length]
                else:  # overlapping copy: repeat the period
                    period = bytes(out[src:])
                    reps = -(-length // offset)
                    out += (period * reps)[:length]
    return bytes(out)
