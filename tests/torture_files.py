"""Writes the torture set: mutated files of every supported format (bit
flips, truncations, spliced and rewritten headers) plus headers declaring
100,000 x 100,000 pixels, reproducibly from one seed.

Usage: python tests/torture_files.py OUT [SEED]
"""
import io
import pathlib
import random
import struct
import sys
import zlib

import numpy as np
from PIL import Image

FORMATS = [  # (extension, Pillow format, save options, modes)
    ("jpg", "JPEG", {"quality": 85}, ["RGB", "L", "CMYK"]),
    ("jpg", "JPEG", {"quality": 70, "progressive": True}, ["RGB"]),
    ("png", "PNG", {}, ["RGB", "RGBA", "P", "L", "LA", "1", "I;16"]),
    ("webp", "WEBP", {"quality": 80}, ["RGB", "RGBA"]),
    ("webp", "WEBP", {"lossless": True}, ["RGB"]),
    ("tif", "TIFF", {}, ["RGB", "L", "P", "CMYK", "1"]),
    ("tif", "TIFF", {"compression": "tiff_lzw"}, ["RGB", "RGBA"]),
    ("tif", "TIFF", {"compression": "packbits"}, ["L"]),
    ("bmp", "BMP", {}, ["RGB", "P", "L", "1"]),
    ("gif", "GIF", {}, ["P", "L"]),
    ("gif", "GIF", {"interlace": True}, ["RGB"]),
]
HUGE = 100_000


def base_image(rng, mode):
    width, height = rng.randint(5, 40), rng.randint(5, 40)
    gen = np.random.default_rng(rng.randint(0, 2**31))
    rgb = Image.fromarray(gen.integers(0, 256, (height, width, 3), dtype=np.uint8))
    rgb = rgb.resize((width, height), Image.Resampling.BOX)
    if mode == "P":
        return rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    if mode == "I;16":
        return Image.frombytes("I;16", (width, height), gen.bytes(width * height * 2))
    return rgb.convert(mode)


def encode(image, fmt, options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def flip_bits(rng, data, header_only):
    data = bytearray(data)
    limit = min(len(data), 64) if header_only else len(data)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(limit)] ^= 1 << rng.randrange(8)
    return bytes(data)


def truncate(rng, data):
    return data[: rng.randrange(1, len(data))]


def splice(rng, data, other):
    cut = rng.randrange(1, min(len(data), 128))
    return data[:cut] + other[rng.randrange(0, len(other)):]


def rewrite_fields(rng, data):
    """Overwrites a few 16/32-bit words of the header with edge values."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(0, max(1, min(len(data), 48) - 4))
        value = rng.choice([0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, HUGE])
        fmt = rng.choice(["<H", ">H", "<I", ">I"])
        data[at:at + struct.calcsize(fmt)] = struct.pack(fmt, value & (0xFFFF if "H" in fmt else
                                                                      0xFFFFFFFF))
    return bytes(data[: len(data)])


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def huge_headers():
    """Valid-looking files whose headers declare 100,000 x 100,000 pixels."""
    png = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", HUGE, HUGE, 8, 2, 0, 0, 0))
           + png_chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + png_chunk(b"IEND", b""))
    bmp_info = struct.pack("<IiiHHIIiiII", 40, HUGE, HUGE, 1, 24, 0, 0, 2835, 2835, 0, 0)
    bmp = b"BM" + struct.pack("<IHHI", 54 + 1000, 0, 0, 54) + bmp_info + b"\0" * 1000
    gif = (b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\0" * 6 +
           b"," + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0) + b"\x02\x02\x44\x01\0;")
    entries = [(256, 4, 1, HUGE), (257, 4, 1, HUGE), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, HUGE),
               (279, 4, 1, 1000)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, typ, count, value) if typ == 4 else
        struct.pack("<HHIHH", tag, typ, count, value, 0) for tag, typ, count, value in entries)
    tiff_header = b"II*\0" + struct.pack("<I", 8 + 1000)
    tiff = tiff_header + b"\0" * 1000 + ifd + b"\0\0\0\0"
    jpeg = bytearray(encode(Image.new("RGB", (16, 16), (9, 99, 199)), "JPEG", {}))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 65535, 65535)
    webp_body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (HUGE - 1).to_bytes(3, "little") * 2
    webp = b"RIFF" + struct.pack("<I", 4 + len(webp_body)) + b"WEBP" + webp_body
    return {"huge.png": png, "huge.bmp": bmp, "huge.gif": gif, "huge.tif": tiff,
            "huge.jpg": bytes(jpeg), "huge.webp": webp}


def make(out, seed=20261125, per_base=10):
    rng = random.Random(seed)
    out = pathlib.Path(out)
    bases = []
    for ext, fmt, options, modes in FORMATS:
        for mode in modes:
            bases.append((ext, encode(base_image(rng, mode), fmt, options)))
    files = {}
    for n, (ext, data) in enumerate(bases):
        files[f"base-{n:02d}.{ext}"] = data
        for m in range(per_base):
            kind = m % 5
            if kind == 0:
                mutated = flip_bits(rng, data, header_only=True)
            elif kind == 1:
                mutated = flip_bits(rng, data, header_only=False)
            elif kind == 2:
                mutated = truncate(rng, data)
            elif kind == 3:
                mutated = splice(rng, data, rng.choice(bases)[1])
            else:
                mutated = rewrite_fields(rng, data)
            files[f"mut-{n:02d}-{m:02d}.{ext}"] = mutated
    files.update(huge_headers())
    for name, data in files.items():
        folder = out / ("Broken" if name.startswith(("mut", "huge")) else "Whole")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return sorted(out.rglob("*.*"))


if __name__ == "__main__":
    paths = make(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20261125)
    print(f"{len(paths)} files")
