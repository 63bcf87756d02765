"""Hostile files for the reader tests, made small and fast: a PNG that declares millions
of pixels in a few KB (built row by row, never held in memory), IDX headers that claim
more than their files hold."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def bomb_png(width: int = 30_000, height: int = 30_000, rows: int | None = None) -> bytes:
    """A black 1-bit PNG of width×height. All its rows (the default) make a real bomb:
    ~110 KB that decodes to width×height pixels. `rows` fewer makes a cut-short one."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, gray
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zeros_zlib((1 + (width + 7) // 8) * (height if rows is None
                                                                    else rows)))
            + _chunk(b"IEND", b""))


def zeros_zlib(size: int, block: int = 1 << 20) -> bytes:
    """A zlib stream of `size` zero bytes (every PNG row: filter 0, black pixels), made
    from one compressed block repeated: a full flush makes each block stand alone, so
    it is compressed once, not a hundred times."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    whole = packer.compress(bytes(block)) + packer.flush(zlib.Z_FULL_FLUSH)
    rest = size % block
    tail = packer.compress(bytes(rest)) + packer.flush(zlib.Z_FINISH)
    adler = (size % 65521) << 16 | 1  # Adler-32 of zeros: a stays 1, b counts bytes
    return b"\x78\xda" + whole * (size // block) + tail + struct.pack(">I", adler)


def raw_idx(dims: tuple[int, ...], payload: bytes | None = None, type_code: int = 0x08
              ) -> bytes:
    """An IDX file: magic, the dims, then `payload` (default: zeros for every value)."""
    count = 1
    for d in dims:
        count *= d
    size = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}[type_code]
    body = bytes(count * size) if payload is None else payload
    return bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + body
