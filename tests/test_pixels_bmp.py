"""BMP layouts Pillow reads but does not write, against Pillow 12 byte for
byte: RLE8 and RLE4 (runs, absolute runs of odd and even lengths, end of
line, delta, end of bitmap, top-down, grey palettes) and 16-bit pixels
(5-5-5 plain, 5-5-5 and 5-6-5 bit fields in 40- and 108-byte headers)."""

import struct

import numpy as np
import pytest
from PIL import Image

from pixels_tool import run_pixels
from test_pixels_pillow import SIZE, assert_same_as_pillow, pillow_pixels

W, H = 29, 13


def write_bmp(path, width, height, bits, compression, pixels, palette=None, masks=None,
              header_size=40, colors=0):
    """`pixels`: the pixel data as stored; `palette`: BGRX bytes."""
    palette = palette or b""
    info = struct.pack("<IiiHHIIiiII", header_size, width, height, 1, bits, compression,
                       len(pixels), 2835, 2835, colors, 0)
    if header_size == 108:
        info += struct.pack("<4I", *(masks or (0, 0, 0, 0))) + b"\0" * (108 - 56)
        masks_after = b""
    else:
        masks_after = struct.pack("<3I", *masks) if masks else b""
    offset = 14 + len(info) + len(masks_after) + len(palette)
    offset += offset % 2  # an even start, as real writers use
    body = info + masks_after + palette
    body += b"\0" * (offset - 14 - len(body))
    data = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + body + pixels
    path.write_bytes(data)
    return str(path)


def rle_stream(rng, width, height, rle4, extras=True):
    """Rows of encoded and absolute runs, each closed by an end of line."""
    out = bytearray()
    max_value = 255 if not rle4 else 255  # RLE4 packs two nibbles per value byte
    for row in range(height):
        x = 0
        while x < width:
            n = int(rng.integers(1, min(12, width - x) + 1))
            if n >= 3 and rng.random() < 0.5:  # absolute run
                count = n // 2 * 2 if rle4 and rng.random() < 0.5 else n  # odd ones too
                body = bytes(rng.integers(0, max_value + 1, (count + 1) // 2 if rle4 else count,
                                          dtype=np.uint8))
                out += bytes([0, count]) + body
                if len(out) % 2:
                    out += b"\0"
                x += count
            else:
                out += bytes([n, int(rng.integers(0, 256))])
                x += n
        if extras and row == 3:
            out += bytes([0, 2, 3, 1, 4, 0])  # a delta (Pillow reads four bytes)
        out += b"\0\0"
    return bytes(out + b"\0\1")


def make_bmps(folder):
    rng = np.random.default_rng(77)
    files = []

    def add(path):
        files.append(path)

    palette256 = bytes(rng.integers(0, 256, 256 * 4, dtype=np.uint8))
    palette16 = bytes(rng.integers(0, 256, 16 * 4, dtype=np.uint8))
    grey256 = bytes(v for i in range(256) for v in (i, i, i, 0))
    grey16 = bytes(v for i in range(16) for v in (i, i, i, 0))
    for rle4 in (False, True):
        kind, bits, compression = ("rle4", 4, 2) if rle4 else ("rle8", 8, 1)
        palette = palette16 if rle4 else palette256
        grey = grey16 if rle4 else grey256
        add(write_bmp(folder / f"{kind}.bmp", W, H, bits, compression,
                      rle_stream(rng, W, H, rle4, extras=False), palette))
        add(write_bmp(folder / f"{kind}_delta.bmp", W, H, bits, compression,
                      rle_stream(rng, W, H, rle4), palette))
        add(write_bmp(folder / f"{kind}_top_down.bmp", W, -H, bits, compression,
                      rle_stream(rng, W, H, rle4, extras=False), palette))
        add(write_bmp(folder / f"{kind}_grey.bmp", W, H, bits, compression,
                      rle_stream(rng, W, H, rle4, extras=False), grey))
        # Fewer palette entries than the indices reach: black past the end.
        add(write_bmp(folder / f"{kind}_short_palette.bmp", W, H, bits, compression,
                      rle_stream(rng, W, H, rle4, extras=False), palette[: 4 * 5], colors=5))
        # End of bitmap right after the last row's pixels, no end of line.
        stream = rle_stream(rng, W, H, rle4, extras=False)
        add(write_bmp(folder / f"{kind}_no_last_eol.bmp", W, H, bits, compression,
                      stream[:-4] + b"\0\1", palette))
    # 16-bit: plain 5-5-5, bit fields after a 40-byte header and inside a V4 one.
    pixels16 = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    row_bytes = (W * 2 + 3) // 4 * 4
    rows = b"".join(r.astype("<u2").tobytes().ljust(row_bytes, b"\0") for r in pixels16)
    add(write_bmp(folder / "rgb555.bmp", W, H, 16, 0, rows))
    add(write_bmp(folder / "rgb555_top_down.bmp", W, -H, 16, 0, rows))
    add(write_bmp(folder / "rgb565_bitfields.bmp", W, H, 16, 3, rows,
                  masks=(0xF800, 0x7E0, 0x1F)))
    add(write_bmp(folder / "rgb555_bitfields.bmp", W, H, 16, 3, rows,
                  masks=(0x7C00, 0x3E0, 0x1F)))
    add(write_bmp(folder / "rgb565_v4.bmp", W, H, 16, 3, rows, masks=(0xF800, 0x7E0, 0x1F, 0),
                  header_size=108))
    return files


@pytest.fixture(scope="module")
def bmps(tmp_path_factory):
    return make_bmps(tmp_path_factory.mktemp("bmps"))


def test_rle_and_16_bit_bmps_match_pillow(bmps):
    assert_same_as_pillow(bmps)


def test_generated_bmps_are_what_they_claim(bmps):
    for path in bmps:
        with Image.open(path) as im:
            name = path.rsplit("/", 1)[1]
            assert im.info["compression"] == (1 if "rle8" in name else 2 if "rle4" in name
                                              else 3 if "bitfields" in name or "v4" in name
                                              else 0), name
            assert im.mode == ("L" if "grey" in name else "P" if "rle" in name else "RGB"), name


def test_bmps_pillow_refuses_are_refused(tmp_path):
    rng = np.random.default_rng(8)
    stream = rle_stream(rng, W, H, False, extras=False)
    cases = [
        # The stream ends two rows early.
        write_bmp(tmp_path / "rle8_short.bmp", W, H, 8, 1,
                  stream[: stream.rindex(b"\0\0", 0, len(stream) - 40)] + b"\0\1",
                  bytes(1024)),
        # A delta cut off by the end of the file.
        write_bmp(tmp_path / "rle8_cut_delta.bmp", W, H, 8, 1, b"\x05\x01\0\x02\x01\x01",
                  bytes(1024)),
        # A 16-bit bit-field layout Pillow has no raw mode for.
        write_bmp(tmp_path / "rgb_444_bitfields.bmp", W, H, 16, 3, bytes(W * H * 2 + 2 * H),
                  masks=(0xF00, 0xF0, 0xF)),
    ]
    for path, ours in zip(cases, run_pixels(cases, SIZE)):
        with pytest.raises(Exception):
            pillow_pixels(path)
        assert not ours.ok and "BMP" in ours.error, (path, ours.error)
