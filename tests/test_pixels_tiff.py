"""TIFF against Pillow 12, byte for byte on decoded and resized pixels, one
generated file per family Pillow reads: 1/2/4/12/16/32-bit and float grey,
grey + alpha, 8/16-bit RGB(A/X/a), 1-8-bit palettes and PA, CMYK, YCbCr and
JPEG-in-TIFF, planes, tiles, BigTIFF, both byte orders, fill order 2, the
Orientation tag, and the codecs libtiff brings (LZW, Deflate, PackBits,
predictors)."""

import shutil

import numpy as np
import pytest
from PIL import Image

from pixels_tool import run_pixels
from test_pixels_pillow import SIZE, assert_same_as_pillow, pack_bits, photo, pillow_pixels
from tiff_writer import tiffcp, write_tiff


W, H = 37, 23  # odd, so that bit-packed rows end mid-byte


def rows_of(values, bits):
    return b"".join(pack_bits(row, bits) for row in values)


def pack12(values):
    out = bytearray()
    for row in values.astype(np.uint16):
        padded = list(row) + ([0] if len(row) % 2 else [])
        for a, b in zip(padded[::2], padded[1::2]):
            out += bytes([a >> 4, ((a & 15) << 4) | (b >> 8), b & 0xFF])
    return bytes(out)


def make_tiffs(folder):
    files = []
    rng = np.random.default_rng(42)

    def add(path):
        files.append(str(path))
        return path

    def save(name, image, **kwargs):
        image.save(folder / name, **kwargs)
        return add(folder / name)

    def hand(name, *args, **kwargs):
        return add(write_tiff(folder / name, *args, **kwargs))

    def cp(source, name, *args):
        return add(tiffcp(source, folder / name, *args))

    # Grey, 1/2/4 bits, both photometrics, fill order 2.
    for bits in (1, 2, 4):
        values = rng.integers(0, 1 << bits, (H, W), dtype=np.uint8)
        for photometric in (0, 1):
            hand(f"grey{bits}_p{photometric}.tif", W, H, [bits], photometric,
                 rows_of(values, bits))
        reversed_bits = bytes(int(f"{b:08b}"[::-1], 2) for b in rows_of(values, bits))
        hand(f"grey{bits}_fill2.tif", W, H, [bits], 1, reversed_bits, fill_order=2)
    gray8 = rng.integers(0, 256, (H, W), dtype=np.uint8)
    hand("grey8_min_is_white.tif", W, H, [8], 0, gray8.tobytes())
    hand("grey8_signed.tif", W, H, [8], 1, gray8.tobytes(), sample_format=2)
    hand("grey12.tif", W, H, [12], 1, pack12(rng.integers(0, 4096, (H, W)) // (rng.integers(1, 17, (H, W)))))

    # 16 and 32 bits, float: values under and over 255, negative ones.
    wide = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    wide[::3] //= 300  # many under 256
    save("i16.tif", Image.fromarray(wide))
    save("i16_lzw.tif", Image.fromarray(wide), compression="tiff_lzw")
    hand("i16_big_endian.tif", W, H, [16], 1, wide.astype(">u2").tobytes(), big_endian=True)
    hand("i16_min_is_white.tif", W, H, [16], 0, wide.astype("<u2").tobytes())
    signed16 = (wide.astype(np.int32) - 32768).astype(np.int16)
    signed16[::2] //= 100
    hand("i16_signed.tif", W, H, [16], 1, signed16.astype("<i2").tobytes(), sample_format=2)
    hand("i16_signed_be.tif", W, H, [16], 1, signed16.astype(">i2").tobytes(), sample_format=2,
         big_endian=True)
    int32 = rng.integers(-(2**31), 2**31, (H, W), dtype=np.int64)
    int32[::2] //= 2**23
    save("i32.tif", Image.fromarray(int32.astype(np.int32)))
    hand("i32_be.tif", W, H, [32], 1, int32.astype(">i4").tobytes(), sample_format=2,
         big_endian=True)
    hand("u32.tif", W, H, [32], 1, int32.astype(np.uint32).astype("<u4").tobytes())
    floats = rng.uniform(-60, 320, (H, W)).astype(np.float32)
    floats[0, :4] = [np.inf, -np.inf, 255.0, 254.999]
    save("f32.tif", Image.fromarray(floats))
    hand("f32_be.tif", W, H, [32], 1, floats.astype(">f4").tobytes(), sample_format=3,
         big_endian=True)
    hand("f32_min_is_white.tif", W, H, [32], 0, floats.astype("<f4").tobytes(), sample_format=3)
    i16_source = folder / "i16.tif"
    cp(i16_source, "i16_deflate_predictor.tif", "-c", "zip:2")
    cp(i16_source, "i16_tiled.tif", "-t", "-w", "16", "-l", "16")
    cp(folder / "f32.tif", "f32_lzw_float_predictor.tif", "-c", "lzw:3")

    # Grey + alpha, RGB(A) at 8 bits with every extra-sample kind.
    rgb = photo(W, H, 3)
    alpha = rng.integers(0, 256, (H, W, 1), dtype=np.uint8)
    alpha[0, :3, 0] = [0, 255, 1]
    save("la.tif", Image.fromarray(np.dstack([rgb[..., 0], alpha[..., 0]]), "LA"))
    rgba = np.dstack([rgb, alpha])
    premultiplied = np.dstack([(rgb.astype(np.uint16) * alpha // 255).astype(np.uint8), alpha])
    hand("rgba8_no_extra.tif", W, H, [8] * 4, 2, rgba.tobytes())
    hand("rgbx8.tif", W, H, [8] * 4, 2, rgba.tobytes(), extra=(0,))
    hand("rgba8_associated.tif", W, H, [8] * 4, 2, premultiplied.tobytes(), extra=(1,))
    hand("rgbax8.tif", W, H, [8] * 5, 2, np.dstack([rgba, alpha]).tobytes(), extra=(2, 0))
    hand("rgbaxx8.tif", W, H, [8] * 6, 2, np.dstack([premultiplied, alpha, alpha]).tobytes(),
         extra=(1, 0, 0))
    rgb_bits = np.unpackbits(rgb.reshape(-1, 1), axis=1)[:, ::-1]
    hand("rgb8_fill2.tif", W, H, [8] * 3, 2, np.packbits(rgb_bits, axis=1).tobytes(),
         fill_order=2)

    # 16-bit RGB(A), both byte orders.
    rgb16 = rng.integers(0, 65536, (H, W, 4), dtype=np.uint16)
    rgb16[..., 3] = np.maximum(rgb16[..., 3], 1)
    assoc16 = rgb16.copy()
    assoc16[..., :3] = (rgb16[..., :3].astype(np.uint64) * rgb16[..., 3:] // 65535)
    for order, big in (("<", False), (">", True)):
        tag = "be" if big else "le"
        hand(f"rgb16_{tag}.tif", W, H, [16] * 3, 2, rgb16[..., :3].astype(order + "u2").tobytes(),
             big_endian=big)
        hand(f"rgba16_{tag}.tif", W, H, [16] * 4, 2, rgb16.astype(order + "u2").tobytes(),
             extra=(2,), big_endian=big)
        hand(f"rgba16_associated_{tag}.tif", W, H, [16] * 4, 2,
             assoc16.astype(order + "u2").tobytes(), extra=(1,), big_endian=big)
    hand("rgbx16.tif", W, H, [16] * 4, 2, rgb16.astype("<u2").tobytes(), extra=(0,))
    hand("rgba16_no_extra.tif", W, H, [16] * 4, 2, rgb16.astype("<u2").tobytes())
    cp(folder / "rgb16_le.tif", "rgb16_lzw_predictor.tif", "-c", "lzw:2")

    # Palettes: 1, 2, 4, 8 bits, palette + alpha ("PA"), "PX".
    for bits in (1, 2, 4):
        colormap = rng.integers(0, 65536, 3 << bits, dtype=np.uint16)
        values = rng.integers(0, 1 << bits, (H, W), dtype=np.uint8)
        hand(f"palette{bits}.tif", W, H, [bits], 3, rows_of(values, bits), colormap=colormap)
    colormap = rng.integers(0, 65536, 3 * 256, dtype=np.uint16)
    pa = np.dstack([gray8, alpha[..., 0]])
    hand("pa.tif", W, H, [8, 8], 3, pa.tobytes(), colormap=colormap, extra=(2,))
    hand("px.tif", W, H, [8, 8], 3, pa.tobytes(), colormap=colormap, extra=(0,))
    p_image = Image.fromarray(photo(W, H, 5)).convert("P", palette=Image.Palette.ADAPTIVE)
    save("pa_pillow.tif", p_image.convert("PA"))

    # CMYK at 8 and 16 bits, and in JPEG.
    cmyk = Image.fromarray(photo(W, H, 6)).convert("CMYK")
    save("cmyk.tif", cmyk)
    cmyk16 = rng.integers(0, 65536, (H, W, 4), dtype=np.uint16)
    hand("cmyk16.tif", W, H, [16] * 4, 5, cmyk16.astype("<u2").tobytes())
    cp(folder / "cmyk.tif", "cmyk_jpeg.tif", "-c", "jpeg:90", "-r", "8")

    # Planes, strips and tiles, 8 and 16 bits, raw and compressed.
    big_rgb = folder / "source_rgb.tif"
    Image.fromarray(photo(61, 45, 7)).save(big_rgb)
    rgba_source = save("rgba_source.tif", Image.fromarray(photo(61, 45, 8)).convert("RGBA"))
    for name, args in [("planar.tif", []), ("planar_lzw.tif", ["-c", "lzw"]),
                       ("planar_deflate_strips.tif", ["-c", "zip", "-r", "7"]),
                       ("planar_tiled.tif", ["-t", "-w", "16", "-l", "16"]),
                       ("planar_tiled_lzw.tif", ["-t", "-w", "32", "-l", "16", "-c", "lzw"])]:
        cp(big_rgb, name, "-p", "separate", *args)
        cp(rgba_source, "rgba_" + name, "-p", "separate", *args)
    planes16 = [rgb16[..., i].astype("<u2").tobytes() for i in range(4)]
    # (Uncompressed 16-bit planes are refused: see the last test.)
    planar16 = write_tiff(folder / "rgb16_planar.tif", W, H, [16] * 3, 2, None,
                          planar_data=planes16[:3])
    cp(planar16, "rgb16_planar_lzw.tif", "-c", "lzw")
    cp(planar16, "rgb16_planar_tiled_zip.tif", "-c", "zip", "-t", "-w", "16", "-l", "16")
    cp(write_tiff(folder / "rgba16_planar.tif", W, H, [16] * 4, 2, None, planar_data=planes16,
                  extra=(2,)), "rgba16_planar_lzw.tif", "-c", "lzw")
    cp(folder / "rgba8_associated.tif", "rgba8_associated_planar_lzw.tif", "-p", "separate",
       "-c", "lzw")
    cp(folder / "la.tif", "la_planar_lzw.tif", "-p", "separate", "-c", "lzw")
    cp(folder / "cmyk.tif", "cmyk_planar.tif", "-p", "separate")
    cp(folder / "cmyk.tif", "cmyk_planar_lzw.tif", "-p", "separate", "-c", "lzw")
    # Tiles of every depth, and strips of a few rows.
    for source in ("grey1_p1.tif", "grey4_p0.tif", "palette2.tif", "grey8_min_is_white.tif",
                   "rgba16_le.tif", "f32.tif"):
        cp(folder / source, "tiled_" + source, "-t", "-w", "16", "-l", "32", "-c", "zip")
    cp(big_rgb, "rgb_strips_of_4.tif", "-r", "4", "-c", "packbits")
    cp(big_rgb, "rgb_be.tif", "-B")

    # BigTIFF.
    cp(big_rgb, "bigtiff.tif", "-8")
    cp(folder / "i16.tif", "bigtiff_i16_lzw.tif", "-8", "-c", "lzw")
    cp(big_rgb, "bigtiff_planar_tiled.tif", "-8", "-p", "separate", "-t", "-w", "16", "-l", "16")

    # YCbCr: JPEG-in-TIFF (strips, tiles, planes) and YCbCr in LZW.
    # (tiffcp: "jpeg" converts RGB to YCbCr, "jpeg:r" keeps RGB.)
    cp(big_rgb, "ycbcr_jpeg.tif", "-c", "jpeg:85", "-r", "16")
    cp(big_rgb, "ycbcr_jpeg_tiled.tif", "-c", "jpeg:75", "-t", "-w", "16", "-l", "16")
    cp(big_rgb, "rgb_jpeg.tif", "-c", "jpeg:r:90", "-r", "8")
    cp(folder / "grey8_min_is_white.tif", "grey_jpeg.tif", "-c", "jpeg:80", "-r", "8")
    ycc = rng.integers(16, 240, (H, W, 3), dtype=np.uint8)
    ycc_raw = hand("ycbcr_raw_11.tif", W, H, [8] * 3, 6, ycc.tobytes(), ycbcr_subsampling=(1, 1))
    files.remove(ycc_raw)  # Pillow reads uncompressed YCbCr as RGBX bytes: refused
    cp(ycc_raw, "ycbcr_lzw_11.tif", "-c", "lzw")

    # CIE L*a*b* (Pillow converts it through LittleCMS).
    lab = save("lab.tif", Image.fromarray(photo(W, H, 12)).convert("LAB"))
    cp(lab, "lab_lzw.tif", "-c", "lzw")
    hand("lab_random.tif", W, H, [8] * 3, 8, rng.integers(0, 256, (H, W, 3), dtype=np.uint8).tobytes())
    cp(folder / "lab_random.tif", "lab_planar_lzw.tif", "-p", "separate", "-c", "lzw")
    cp(folder / "lab_random.tif", "lab_planar.tif", "-p", "separate")

    # The Orientation tag: Pillow 12 applies it (ImageOps.exif_transpose).
    for orientation in range(1, 9):
        save(f"orientation_{orientation}.tif", Image.fromarray(photo(W, H, 9)),
             tiffinfo={274: orientation})
    hand("orientation_6_i16.tif", W, H, [16], 1, wide.astype("<u2").tobytes(), orientation=6)
    return files


@pytest.fixture(scope="module")
def tiffs(tmp_path_factory):
    assert shutil.which("tiffcp"), "tiffcp is missing: install libtiff-tools (make setup)"
    return make_tiffs(tmp_path_factory.mktemp("tiffs"))


def test_every_tiff_family_matches_pillow(tiffs):
    assert_same_as_pillow(tiffs)


def test_generated_tiffs_are_in_the_modes_they_claim(tiffs):
    modes = {}
    for path in tiffs:
        with Image.open(path) as im:
            modes[path.rsplit("/", 1)[1]] = (im.mode, im.info.get("compression"))
    expected = {"grey1_p0.tif": "1", "grey2_p1.tif": "L", "grey12.tif": "I;16",
                "i16.tif": "I;16", "i16_big_endian.tif": "I;16B", "i16_signed.tif": "I",
                "i32.tif": "I", "u32.tif": "I", "f32.tif": "F", "f32_be.tif": "F",
                "la.tif": "LA", "rgb16_le.tif": "RGB", "rgba16_be.tif": "RGBA",
                "palette1.tif": "P", "pa.tif": "PA", "cmyk16.tif": "CMYK",
                "ycbcr_jpeg.tif": "RGB", "bigtiff.tif": "RGB", "planar_lzw.tif": "RGB",
                "lab_random.tif": "LAB"}
    for name, mode in expected.items():
        assert modes[name][0] == mode, (name, modes[name])
    assert modes["ycbcr_jpeg.tif"][1] == "jpeg" and modes["ycbcr_lzw_11.tif"][1] == "tiff_lzw"
    for name in ("ycbcr_jpeg.tif", "ycbcr_lzw_11.tif", "ycbcr_jpeg_tiled.tif"):
        with Image.open([p for p in tiffs if p.endswith("/" + name)][0]) as im:
            assert im.tag_v2[262] == 6, name  # YCbCr
    for name in ("planar_tiled.tif", "rgb16_planar_lzw.tif", "bigtiff_planar_tiled.tif"):
        with Image.open([p for p in tiffs if p.endswith("/" + name)][0]) as im:
            assert im.tag_v2[284] == 2, name  # separate planes
    with Image.open([p for p in tiffs if p.endswith("orientation_6.tif")][0]) as im:
        assert im.size == (H, W)  # rotated


def test_tiffs_pillow_refuses_or_cannot_be_matched_are_refused(tmp_path):
    rng = np.random.default_rng(5)
    data = rng.integers(0, 256, H * W * 6, dtype=np.uint8).tobytes()
    cases = {
        # Pillow has no mode for these.
        "rgb_float.tif": dict(bits=[32] * 3, photometric=2, data=data * 2, sample_format=3),
        "palette16.tif": dict(bits=[16], photometric=3, data=data[: H * W * 2],
                              colormap=[0] * (3 << 16)),
        "grey_two_samples.tif": dict(bits=[8, 8], photometric=1, data=data[: H * W * 2]),
    }
    paths = [write_tiff(tmp_path / name, W, H, c.pop("bits"), c.pop("photometric"), c.pop("data"),
                        **c) for name, c in cases.items()]
    for path, ours in zip(paths, run_pixels(paths, SIZE)):
        with pytest.raises(Exception):
            pillow_pixels(path)
        assert not ours.ok and "TIFF" in ours.error, (path, ours.error)
    # Pillow refuses these too, for its own reasons (docs/PARITY.md).
    ycc = write_tiff(tmp_path / "ycbcr_raw.tif", W, H, [8] * 3, 6, data[: H * W * 3],
                     ycbcr_subsampling=(1, 1))
    planar16 = write_tiff(tmp_path / "rgb16_planar.tif", W, H, [16] * 3, 2, None,
                          planar_data=[data[: H * W * 2]] * 3)
    # Uncompressed planes whose raw mode has no one-band unpacker in Pillow.
    rgba = np.random.default_rng(6).integers(0, 256, (H, W, 4), dtype=np.uint8)
    no_unpacker = [
        write_tiff(tmp_path / f"planar_{name}.tif", W, H, [8] * n, photometric, None,
                   planar_data=[rgba[..., i].tobytes() for i in range(n)], extra=extra)
        for name, n, photometric, extra in [("rgbx", 4, 2, (0,)), ("rgba_associated", 4, 2, (1,)),
                                           ("la", 2, 1, (2,))]]
    for path, ours in zip(no_unpacker, run_pixels(no_unpacker, SIZE)):
        with pytest.raises(Exception):
            pillow_pixels(path)
        assert not ours.ok and "planes" in ours.error, (path, ours.error)
    results = run_pixels([ycc, planar16], SIZE)
    with pytest.raises(Exception):
        pillow_pixels(ycc)  # "image file is truncated": it reads 4 bytes a pixel
    assert not results[0].ok and "uncompressed YCbCr" in results[0].error
    assert not results[1].ok and "uncompressed planes of 16-bit" in results[1].error
