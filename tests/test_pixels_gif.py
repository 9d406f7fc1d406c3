"""GIF against Pillow 12: the first frame of Image.open(f).convert("RGB") and
its resize, byte for byte, on GIFs Pillow writes (palettes, transparency,
interlacing, animation, odd sizes) and on GIFs written here by hand for the
layouts Pillow never writes (frames offset on or past the logical screen,
no palette, grey-ramp palettes, indices past the palette, an early end code)."""

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixels_tool import run_pixels
from test_pixels_pillow import SIZE, assert_same_as_pillow, photo, pillow_pixels


def lzw_uncompressed(indices: bytes, min_code_size: int) -> bytes:
    """LZW data that any decoder reads: only literal codes, with a clear code
    often enough that the code width never grows."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    width = min_code_size + 1
    run = (1 << min_code_size) - 2
    codes = []
    for i in range(0, len(indices), max(run, 1)):
        codes.append(clear)
        codes.extend(indices[i : i + max(run, 1)])
    codes.append(end)
    bits, nbits, out = 0, 0, bytearray()
    for code in codes:
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    blocks = bytearray([min_code_size])
    for i in range(0, len(out), 255):
        chunk = out[i : i + 255]
        blocks += bytes([len(chunk)]) + chunk
    return bytes(blocks + b"\0")


def palette_flag(palette: bytes | None) -> int:
    if palette is None:
        return 0
    bits = max(1, (len(palette) // 3 - 1).bit_length())
    assert len(palette) == 3 << bits
    return 0x80 | (bits - 1)


def write_gif(path, screen, frames, global_palette=None, background=0):
    """frames: dicts with indices (2-D uint8), left, top, palette, transparent,
    min_code_size, interlaced."""
    data = b"GIF89a" + struct.pack("<HHBBB", *screen, palette_flag(global_palette), background, 0)
    data += global_palette or b""
    for f in frames:
        if f.get("transparent") is not None:
            data += b"\x21\xf9\x04" + struct.pack("<BHB", 1, 10, f["transparent"]) + b"\0"
        h, w = f["indices"].shape
        flags = palette_flag(f.get("palette")) | (0x40 if f.get("interlaced") else 0)
        data += b"," + struct.pack("<HHHHB", f.get("left", 0), f.get("top", 0), w, h, flags)
        data += f.get("palette") or b""
        rows = f["indices"]
        if f.get("interlaced"):
            order = [*range(0, h, 8), *range(4, h, 8), *range(2, h, 4), *range(1, h, 2)]
            rows = rows[order]
        pixels = rows.tobytes()[: f.get("cut", None)]
        data += lzw_uncompressed(pixels, f.get("min_code_size", 8))
    path.write_bytes(data + b";")
    return str(path)


def random_palette(rng, entries):
    return bytes(rng.integers(0, 256, entries * 3, dtype=np.uint8))


def make_gifs(folder):
    files = []
    rng = np.random.default_rng(21)

    def save(name, image, **kwargs):
        image.save(folder / name, **kwargs)
        files.append(str(folder / name))

    rgb = Image.fromarray(photo(96, 64, 30))
    p = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    save("adaptive.gif", p)
    save("not_interlaced.gif", p, interlace=False)
    save("small_palette.gif", rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=6))
    save("web_palette.gif", rgb.convert("P"))
    save("transparent.gif", p, transparency=7)
    save("grey.gif", rgb.convert("L"))
    save("bilevel.gif", rgb.convert("1"))
    for w, h in [(1, 1), (3, 17), (17, 3), (2, 5), (251, 7), (5, 300)]:
        save(f"odd_{w}x{h}.gif", Image.fromarray(photo(w, h, w * h)).convert("P"))
    # Animated: the first frame only; later frames with their own (local)
    # palettes and transparency.
    frames = [Image.fromarray(photo(80, 50, s)).convert("P", palette=Image.Palette.ADAPTIVE,
                                                         colors=64 + 30 * s) for s in range(3)]
    save("animated.gif", frames[0], save_all=True, append_images=frames[1:], duration=50,
         loop=0)
    save("animated_transparent.gif", frames[1], save_all=True, append_images=frames[::-1],
         transparency=2, disposal=2)

    # By hand.
    def gif(name, screen, frames, **kwargs):
        files.append(write_gif(folder / name, screen, frames, **kwargs))

    idx = rng.integers(0, 256, (23, 31), dtype=np.uint8)
    pal = random_palette(rng, 256)
    gif("local_palette.gif", (31, 23), [dict(indices=idx, palette=pal)],
        global_palette=random_palette(rng, 256))
    gif("hand_interlaced.gif", (31, 23), [dict(indices=idx, interlaced=True)], global_palette=pal)
    gif("interlaced_3_rows.gif", (31, 3), [dict(indices=idx[:3], interlaced=True)],
        global_palette=pal)
    gif("offset_frame.gif", (50, 40), [dict(indices=idx, left=7, top=9)], global_palette=pal)
    gif("offset_transparent.gif", (50, 40),
        [dict(indices=idx, left=3, top=2, transparent=200)], global_palette=pal)
    gif("frame_past_screen.gif", (20, 10), [dict(indices=idx, left=5, top=4)],
        global_palette=pal)
    gif("no_palette.gif", (31, 23), [dict(indices=idx)])
    ramp = bytes(v for i in range(256) for v in (i, i, i))
    gif("grey_ramp.gif", (31, 23), [dict(indices=idx)], global_palette=ramp)
    gif("grey_ramp_local.gif", (31, 23), [dict(indices=idx, palette=ramp)], global_palette=pal)
    gif("grey_ramp_local_only.gif", (31, 23), [dict(indices=idx, palette=ramp)])
    small = idx % 40 + 2  # indices up to 41 with an 8-entry palette: black past the end
    gif("indices_past_palette.gif", (31, 23), [dict(indices=small)],
        global_palette=random_palette(rng, 8))
    gif("small_ramp_past_end.gif", (31, 23), [dict(indices=small)],
        global_palette=bytes(v for i in range(8) for v in (i, i, i)))
    gif("code_size_2.gif", (31, 23), [dict(indices=idx % 4, min_code_size=2)],
        global_palette=random_palette(rng, 4))
    # Cut after the last pixel's data: Pillow stops at the last pixel.
    cut = write_gif(folder / "cut_after_last_pixel.gif", (31, 23), [dict(indices=idx)],
                    global_palette=pal)
    Path(cut).write_bytes(Path(cut).read_bytes()[:-2])
    files.append(cut)
    gif("two_frames_hand.gif", (31, 23),
        [dict(indices=idx, transparent=5), dict(indices=idx[::-1], palette=random_palette(rng, 256))],
        global_palette=pal)
    return files


@pytest.fixture(scope="module")
def gifs(tmp_path_factory):
    return make_gifs(tmp_path_factory.mktemp("gifs"))


def test_gif_first_frame_matches_pillow(gifs):
    assert_same_as_pillow(gifs)


def test_generated_gifs_cover_what_they_claim(gifs):
    seen = {}
    for path in gifs:
        with Image.open(path) as im:
            seen[path.rsplit("/", 1)[1]] = (im.mode, "transparency" in im.info,
                                             getattr(im, "n_frames", 1),
                                             im.tile[0][3][1] if im.tile else None)
    assert seen["adaptive.gif"] == ("P", False, 1, True)  # Pillow interlaces by default
    assert seen["not_interlaced.gif"][3] is False
    assert seen["transparent.gif"][1]
    assert seen["animated.gif"][2] == 3
    assert seen["animated_transparent.gif"][1] and seen["animated_transparent.gif"][2] == 4
    assert seen["no_palette.gif"][0] == "L" and seen["grey_ramp.gif"][0] == "L"
    assert seen["grey_ramp_local.gif"][0] == "L"
    with Image.open(gifs[[p.endswith("frame_past_screen.gif") for p in gifs].index(True)]) as im:
        assert im.size == (36, 27)


def test_truncated_gif_is_refused_like_pillow(tmp_path):
    whole = tmp_path / "whole.gif"
    Image.fromarray(photo(64, 48, 40)).convert("P").save(whole)
    data = whole.read_bytes()
    cases = {"truncated.gif": data[: len(data) // 2], "header_only.gif": data[:13],
             "no_image.gif": data[:13 + 768] + b";"}
    paths = []
    for name, body in cases.items():
        (tmp_path / name).write_bytes(body)
        paths.append(str(tmp_path / name))
    # A code past the next free table entry (clear, 1, then 7 > 6).
    codes = [4, 1, 7, 1, 1, 1, 5]
    packed = sum(c << (3 * i) for i, c in enumerate(codes)).to_bytes(3, "little")
    broken = (b"GIF89a" + struct.pack("<HHBBB", 3, 2, 0x81, 0, 0) + bytes(12) +
              b"," + struct.pack("<HHHHB", 0, 0, 3, 2, 0) + b"\2\3" + packed + b"\0;")
    (tmp_path / "broken_code.gif").write_bytes(broken)
    paths.append(str(tmp_path / "broken_code.gif"))
    # An end code before the last pixel: Pillow waits for more data.
    idx = np.random.default_rng(3).integers(0, 256, (23, 31), dtype=np.uint8)
    paths.append(write_gif(tmp_path / "early_end_code.gif", (31, 23),
                           [dict(indices=idx, cut=31 * 10 + 7)],
                           global_palette=bytes(range(256)) * 3))
    for path, ours in zip(paths, run_pixels(paths, SIZE)):
        with pytest.raises(Exception):
            pillow_pixels(path)
        assert not ours.ok, f"{path}: imgfeat decoded what Pillow refuses"
        assert "GIF" in ours.error, ours.error


def test_gif_with_lzw_codes_wider_than_the_format_is_refused(tmp_path):
    # Pillow decodes minimum code sizes up to 12; giflib, and the GIF
    # format, stop at 8 (docs/PARITY.md).
    idx = np.random.default_rng(4).integers(0, 256, (5, 7), dtype=np.uint8)
    path = write_gif(tmp_path / "code_size_9.gif", (7, 5), [dict(indices=idx, min_code_size=9)],
                     global_palette=bytes(range(256)) * 3)
    pillow_pixels(path)
    (ours,) = run_pixels([path], SIZE)
    assert not ours.ok and "LZW code size 9" in ours.error, ours.error
