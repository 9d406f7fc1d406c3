"""imgfeat's decoding, resizing and preprocessing against the Python pipeline:
Pillow 12's Image.open(f).convert("RGB").resize((224, 224)) and Keras'
preprocess_input, byte for byte (float for float), on every file of the
fruits sample and on generated files of every mode imgfeat decodes."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixels_tool import REPO, run_pixels

SAMPLE = REPO.parent / "shared" / "datasets" / "fruits-360-sample"
SIZE = (224, 224)


def pillow_pixels(path):
    # From bytes, as the notebook opens Spark's binary content: Pillow maps
    # files it opens by name, and its mapped TIFF path rotates Orientation
    # 5-8 pages from a misread buffer.
    with Image.open(io.BytesIO(Path(path).read_bytes())) as im:
        rgb = im.convert("RGB")
    return rgb.size, rgb.tobytes(), rgb.resize(SIZE).tobytes()


def first_difference(a: bytes, b: bytes) -> str:
    if len(a) != len(b):
        return f"lengths {len(a)} != {len(b)}"
    x, y = np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8)
    bad = np.flatnonzero(x != y)
    return f"{bad.size} bytes differ, first at {bad[0]}: {x[bad[0]]} != {y[bad[0]]}"


def assert_same_as_pillow(paths):
    results = run_pixels(paths, SIZE)
    failures = []
    for path, ours in zip(paths, results):
        size, decoded, resized = pillow_pixels(path)
        if not ours.ok:
            failures.append(f"{path}: imgfeat failed: {ours.error}")
        elif ours.size != size:
            failures.append(f"{path}: size {ours.size} != Pillow's {size}")
        elif ours.decoded != decoded:
            failures.append(f"{path}: decoded {first_difference(ours.decoded, decoded)}")
        elif ours.resized != resized:
            failures.append(f"{path}: resized {first_difference(ours.resized, resized)}")
    assert not failures, f"{len(failures)} of {len(paths)} differ:\n" + "\n".join(failures[:20])


# --- the real sample -----------------------------------------------------------


def test_every_fruits_sample_file_matches_pillow():
    paths = sorted(str(p) for p in SAMPLE.rglob("*") if p.is_file())
    assert len(paths) == 2624, f"expected the 2,624 files of {SAMPLE}, found {len(paths)}"
    assert_same_as_pillow(paths)


# --- generated files -----------------------------------------------------------


def photo(width, height, seed=0):
    """Smooth colour gradients, edges and noise: content like a photograph."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 127 + 120 * np.sin(x / max(width, 1) * 6.3 + y / max(height, 1) * 2)
    g = 127 + 120 * np.cos(y / max(height, 1) * 9.1)
    b = np.where((x // 16 + y // 16) % 2 == 0, 230.0, 20.0)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path, width, height, color_type, bit_depth, rows, plte=None, trns=None):
    """A PNG written by hand, for the layouts Pillow cannot save (16-bit RGB(A),
    grey + alpha 16-bit, 2/4-bit grey)."""
    raw = b"".join(b"\0" + row for row in rows)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    )
    if plte is not None:
        data += png_chunk(b"PLTE", plte)
    if trns is not None:
        data += png_chunk(b"tRNS", trns)
    data += png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    Path(path).write_bytes(data)


def pack_bits(values: np.ndarray, bits: int) -> bytes:
    """Packs one row of `bits`-bit samples, most significant first."""
    per_byte = 8 // bits
    padded = np.zeros(-(-values.size // per_byte) * per_byte, np.uint8)
    padded[: values.size] = values
    groups = padded.reshape(-1, per_byte).astype(np.uint16)
    out = np.zeros(groups.shape[0], np.uint16)
    for i in range(per_byte):
        out |= groups[:, i] << (8 - bits * (i + 1))
    return out.astype(np.uint8).tobytes()


def make_generated_files(folder: Path):
    files = []

    def save(name, image, **kwargs):
        path = folder / name
        image.save(path, **kwargs)
        files.append(str(path))

    rgb = Image.fromarray(photo(100, 100, 1))
    rgba = Image.fromarray(np.dstack([photo(64, 48, 2), photo(64, 48, 3)[..., 0]]), "RGBA")
    gray = rgb.convert("L")

    # JPEG: subsamplings, qualities, progressive, grey, CMYK (Adobe, inverted).
    save("rgb_q90.jpg", rgb, quality=90)
    save("rgb_444.jpg", rgb, quality=95, subsampling=0)
    save("rgb_422.jpg", rgb, quality=75, subsampling=1)
    save("rgb_progressive.jpg", rgb, quality=85, progressive=True)
    save("rgb_optimized.jpg", rgb, quality=60, optimize=True)
    save("gray.jpg", gray, quality=90)
    save("cmyk.jpg", rgb.convert("CMYK"), quality=90)
    save("cmyk_odd.jpg", Image.fromarray(photo(33, 17, 4)).convert("CMYK"), quality=80)
    # Sizes: tiny, thin, and photos to shrink (antialiased downscaling).
    for w, h in [(1, 1), (3, 500), (1000, 7), (2, 3), (225, 224), (640, 480), (3000, 2000),
                 (1920, 1080), (500, 333)]:
        save(f"photo_{w}x{h}.jpg", Image.fromarray(photo(w, h, w + h)), quality=92)
    save("photo_1x1.png", Image.fromarray(photo(1, 1, 5)))
    save("photo_3x500.png", Image.fromarray(photo(3, 500, 6)))
    save("photo_1000x7.png", Image.fromarray(photo(1000, 7, 7)))
    save("photo_1200x800.png", Image.fromarray(photo(1200, 800, 8)))

    # PNG modes Pillow writes.
    save("rgb.png", rgb)
    save("rgba.png", rgba)
    save("l.png", gray)
    save("la.png", rgba.convert("LA"))
    save("one_bit.png", gray.convert("1"))
    palette_image = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
    save("p.png", palette_image)
    save("p_trns.png", palette_image, transparency=3)
    p_alpha = rgba.convert("P", palette=Image.Palette.ADAPTIVE, colors=50)
    save("p_trns_bytes.png", p_alpha, transparency=bytes(range(0, 250, 5)))
    save("p_4bit.png", rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), bits=4)
    save("p_2bit.png", rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=4), bits=2)
    save("p_1bit.png", rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=2), bits=1)
    save("l_trns.png", gray, transparency=128)
    save("rgb_trns.png", rgb, transparency=(10, 20, 30))
    wide = (np.arange(40 * 30, dtype=np.uint32).reshape(30, 40) * 61 % 65536).astype(np.uint16)
    wide[:5] = np.arange(40, dtype=np.uint16) * 6  # values under 256 too: I;16 clips, not shifts
    gray16 = Image.fromarray(wide)
    assert gray16.mode == "I;16"
    save("gray16.png", gray16)

    # PNG layouts written by hand.
    rng = np.random.default_rng(9)
    w, h = 37, 23
    for color_type, depth, channels, name in [(2, 16, 3, "rgb16"), (6, 16, 4, "rgba16"),
                                              (4, 16, 2, "la16"), (0, 2, 1, "gray2"),
                                              (0, 4, 1, "gray4")]:
        if depth == 16:
            samples = rng.integers(0, 65536, (h, w * channels), dtype=np.uint16)
            rows = [row.astype(">u2").tobytes() for row in samples]
        else:
            samples = rng.integers(0, 1 << depth, (h, w), dtype=np.uint8)
            rows = [pack_bits(row, depth) for row in samples]
        path = folder / f"{name}.png"
        write_png(path, w, h, color_type, depth, rows)
        files.append(str(path))
    # A palette shorter than the indices used: Pillow's palette keeps its grey
    # ramp beyond the PLTE entries.
    indices = rng.integers(0, 20, (h, w), dtype=np.uint8)
    path = folder / "short_palette.png"
    write_png(path, w, h, 3, 8, [row.tobytes() for row in indices],
              plte=bytes(rng.integers(0, 256, 30, dtype=np.uint8)))
    files.append(str(path))

    # WebP: lossy, lossless, with alpha.
    save("lossy.webp", rgb, quality=80)
    save("lossless.webp", rgb, lossless=True)
    save("lossy_alpha.webp", rgba, quality=70)
    save("lossless_alpha.webp", rgba, lossless=True)
    save("lossy_big.webp", Image.fromarray(photo(640, 480, 10)), quality=90)

    # TIFF: RGB, RGBA, L, bilevel, palette; raw and compressed.
    save("rgb.tif", rgb)
    save("rgb_lzw.tif", rgb, compression="tiff_lzw")
    save("rgb_deflate.tif", Image.fromarray(photo(300, 200, 11)), compression="tiff_adobe_deflate")
    save("rgba.tif", rgba)
    save("rgba_packbits.tif", rgba, compression="packbits")
    save("l.tif", gray)
    save("one_bit.tif", gray.convert("1"))
    save("p.tif", palette_image)

    # BMP: 24-bit, 32-bit (from RGBA), 8-bit palette, grey, 1-bit.
    save("rgb.bmp", rgb)
    save("odd.bmp", Image.fromarray(photo(33, 17, 12)))
    save("rgba.bmp", rgba)
    save("p.bmp", palette_image)
    save("l.bmp", gray)
    save("one_bit.bmp", gray.convert("1"))
    return files


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return make_generated_files(tmp_path_factory.mktemp("generated"))


def test_generated_files_of_every_mode_match_pillow(generated):
    assert_same_as_pillow(generated)


def test_each_generated_file_decodes_in_its_pillow_mode(generated):
    # The generated set really covers the modes it claims to.
    modes = set()
    for path in generated:
        with Image.open(path) as im:
            modes.add((im.format, im.mode))
    for expected in [("JPEG", "CMYK"), ("JPEG", "L"), ("PNG", "I;16"), ("PNG", "LA"),
                     ("PNG", "P"), ("PNG", "1"), ("PNG", "RGBA"), ("WEBP", "RGBA"),
                     ("WEBP", "RGB"), ("TIFF", "RGBA"), ("BMP", "P"), ("BMP", "L")]:
        assert expected in modes, expected


# --- failures ------------------------------------------------------------------


def test_broken_files_fail_like_pillow(tmp_path):
    jpeg = io.BytesIO()
    Image.fromarray(photo(120, 90, 13)).save(jpeg, "JPEG", quality=90)
    progressive = io.BytesIO()
    Image.fromarray(photo(120, 90, 14)).save(progressive, "JPEG", progressive=True)
    png = io.BytesIO()
    Image.fromarray(photo(120, 90, 15)).save(png, "PNG")
    cases = {
        "empty.jpg": b"",
        "text.jpg": b"this is not an image at all",
        "truncated.jpg": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],
        "truncated_progressive.jpg": progressive.getvalue()[: len(progressive.getvalue()) // 2],
        "truncated.png": png.getvalue()[: len(png.getvalue()) // 2],
        "header_only.png": png.getvalue()[:40],
    }
    paths = []
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    for path, ours in zip(paths, run_pixels(paths, SIZE)):
        with pytest.raises(Exception):
            pillow_pixels(path)
        assert not ours.ok, f"{path}: imgfeat decoded what Pillow refuses"
    results = dict(zip(cases, run_pixels(paths, SIZE)))
    assert "empty" in results["empty.jpg"].error
    assert "not an image" in results["text.jpg"].error
    assert "truncated" in results["truncated.jpg"].error
    assert "truncated" in results["truncated_progressive.jpg"].error


# --- preprocessing -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["tf", "torch", "caffe"])
def test_preprocessing_matches_keras(mode):
    from keras.applications import imagenet_utils

    paths = sorted(str(p) for p in SAMPLE.rglob("*.jpg"))[::100]
    assert paths
    for path, ours in zip(paths, run_pixels(paths, SIZE, preprocess=mode)):
        assert ours.ok, ours.error
        with Image.open(path) as im:
            resized = im.convert("RGB").resize(SIZE)
        # keras.utils.img_to_array gives float32 HWC.
        x = np.asarray(resized, dtype=np.float32)
        expected = imagenet_utils.preprocess_input(x.copy(), mode=mode)
        assert expected.dtype == np.float32
        np.testing.assert_array_equal(ours.features.reshape(expected.shape), expected)
