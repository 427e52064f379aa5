#!/usr/bin/env python3
"""Draws Reckon's app icon (a ledger card with a check mark) as RGBA PNGs and an ICO.

Standard library only, so it runs anywhere: `python3 src-tauri/icons/make_icons.py`.
The output is deterministic; the generated files are committed.
"""
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
BG = (32, 84, 74)  # deep green
CARD = (246, 243, 234)
LINE = (150, 160, 155)
CHECK = (46, 160, 67)


def inside_rounded(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def dist_to_segment(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    qx, qy = ax + t * dx, ay + t * dy
    return ((px - qx) ** 2 + (py - qy) ** 2) ** 0.5


def pixel(u, v):
    """Colour at normalised coordinates (0..1), with 4x4 supersampling done by the caller."""
    if not inside_rounded(u, v, 0.04, 0.04, 0.96, 0.96, 0.2):
        return None
    if inside_rounded(u, v, 0.22, 0.18, 0.78, 0.82, 0.06):
        if dist_to_segment(u, v, 0.40, 0.60, 0.50, 0.70) < 0.045 or dist_to_segment(
            u, v, 0.50, 0.70, 0.70, 0.42
        ) < 0.045:
            return CHECK
        for row in (0.30, 0.40, 0.50):
            if abs(v - row) < 0.018 and 0.30 <= u <= 0.70:
                return LINE
        return CARD
    return BG


def render(size):
    rows = []
    n = 4
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    c = pixel((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size)
                    if c is not None:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 255
            k = n * n
            a = acc[3] // k
            if a:
                cov = acc[3] / 255
                row += bytes([int(acc[0] / cov), int(acc[1] / cov), int(acc[2] / cov), a])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size, raw):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(pngs):
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in pngs:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return header + entries + blobs


def main():
    out = {}
    for name, size in (("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)):
        out[size] = render(size)
        (HERE / name).write_bytes(out[size])
    (HERE / "icon.ico").write_bytes(ico([(32, out[32]), (256, out[256])]))


if __name__ == "__main__":
    main()
