"""PNGs whose pixels are fine but whose chunks Pillow 12 refuses (checksums
before the image data, a cut-off chunk after it, text past its limits), and
the near misses it accepts: imgfeat refuses and accepts the same files."""

import struct
import zlib

import numpy as np
from PIL import Image

from pixels_tool import run_pixels
from test_pixels_pillow import SIZE, assert_same_as_pillow, photo, pillow_pixels, png_chunk

W, H = 19, 11


def png_with(before=b"", after=b"", end=True):
    rgb = photo(W, H, 4)
    raw = b"".join(b"\0" + row.tobytes() for row in rgb)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
    data += before + png_chunk(b"IDAT", zlib.compress(raw)) + after
    return data + (png_chunk(b"IEND", b"") if end else b"")


def ztxt(key: bytes, text: bytes, method=0):
    return png_chunk(b"zTXt", key + b"\0" + bytes([method]) + zlib.compress(text))


def itxt(key: bytes, text: bytes):
    return png_chunk(b"iTXt", key + b"\0\1\0en\0\0" + zlib.compress(text))


def bad_crc(chunk: bytes):
    return chunk[:-4] + bytes([chunk[-4] ^ 1]) + chunk[-3:]


MIB = 1 << 20


def test_png_chunks_pillow_refuses_are_refused(tmp_path):
    cases = {
        "ztxt_too_large.png": png_with(before=ztxt(b"Comment", b"a" * (MIB + 10))),
        "itxt_too_large.png": png_with(after=itxt(b"Comment", b"b" * (2 * MIB))),
        "ztxt_unknown_method.png": png_with(before=ztxt(b"Comment", b"x", method=1)),
        "bad_ancillary_crc.png": png_with(before=bad_crc(png_chunk(b"tEXt", b"k\0value"))),
        "truncated_last_chunk.png": png_with(after=png_chunk(b"tEXt", b"k\0" + b"v" * 100)[:60],
                                             end=False),
    }
    paths = []
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    for path, ours in zip(paths, run_pixels(paths, SIZE)):
        try:
            pillow_pixels(path)
            raise AssertionError(f"{path}: Pillow decoded it; the case is wrong")
        except AssertionError:
            raise
        except Exception:
            pass
        assert not ours.ok, f"{path}: imgfeat decoded what Pillow refuses"
        assert "PNG" in ours.error, ours.error


def test_png_chunks_pillow_accepts_are_decoded(tmp_path):
    cases = {
        "ztxt_at_limit.png": png_with(before=ztxt(b"Comment", b"a" * MIB)),
        "text_after_data.png": png_with(after=ztxt(b"k", b"t" * 1000) + itxt(b"i", b"u" * 100)),
        "bad_crc_after_data.png": png_with(after=bad_crc(png_chunk(b"tEXt", b"k\0value"))),
        "no_iend.png": png_with(end=False),
        "ztxt_broken_stream.png": png_with(before=png_chunk(b"zTXt", b"k\0\0not zlib")),
    }
    paths = []
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    assert_same_as_pillow(paths)
    with Image.open(paths[0]) as im:
        assert len(im.info["Comment"]) == MIB
    assert np.asarray(Image.open(paths[1])).shape == (H, W, 3)
