"""A minimal TIFF writer for the layouts Pillow does not save (2/4/12-bit
grey, 16-bit RGB(A), signed and unsigned 32-bit, min-is-white 16-bit, fill
order 2, 1/2/4-bit palettes, PX, 16-bit CMYK, big-endian files, YCbCr): one
uncompressed strip per plane; libtiff's tiffcp recompresses, tiles, splits
into planes or makes BigTIFF from these."""

import struct
import subprocess
from pathlib import Path

SHORT, LONG = 3, 4


def write_tiff(path, width, height, bits, photometric, data, *, sample_format=None,
               extra=(), fill_order=None, colormap=None, orientation=None,
               big_endian=False, planar_data=None, ycbcr_subsampling=None):
    """`data`: the packed rows in the file's byte order (or, with planar_data,
    a list of planes). `bits`: one entry per sample."""
    e = ">" if big_endian else "<"
    planes = planar_data if planar_data is not None else [data]
    header = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tags = {256: (LONG, [width]), 257: (LONG, [height]), 258: (SHORT, list(bits)),
            259: (SHORT, [1]), 262: (SHORT, [photometric]), 277: (SHORT, [len(bits)]),
            278: (LONG, [height]), 279: (LONG, [len(p) for p in planes])}
    if planar_data is not None:
        tags[284] = (SHORT, [2])
    if fill_order:
        tags[266] = (SHORT, [fill_order])
    if orientation:
        tags[274] = (SHORT, [orientation])
    if colormap is not None:
        tags[320] = (SHORT, list(colormap))
    if extra:
        tags[338] = (SHORT, list(extra))
    if sample_format:
        tags[339] = (SHORT, [sample_format] * len(bits))
    if ycbcr_subsampling:
        tags[530] = (SHORT, list(ycbcr_subsampling))
    tags[273] = (LONG, [0] * len(planes))  # filled in below
    count = len(tags)
    ifd_size = 2 + 12 * count + 4
    extra_at = 8 + ifd_size
    blobs, entries = b"", []
    for tag in sorted(tags):
        kind, values = tags[tag]
        entries.append((tag, kind, values))
        size = (2 if kind == SHORT else 4) * len(values)
        if size > 4:
            blobs += b"\0" * (size + size % 2)
    data_at = extra_at + len(blobs)
    offsets, at = [], data_at
    for p in planes:
        offsets.append(at)
        at += len(p)
    ifd, blobs = struct.pack(e + "H", count), b""
    for tag, kind, values in entries:
        if tag == 273:
            values = offsets
        fmt = e + ("H" if kind == SHORT else "I") * len(values)
        raw = struct.pack(fmt, *values)
        if len(raw) <= 4:
            ifd += struct.pack(e + "HHI", tag, kind, len(values)) + raw.ljust(4, b"\0")
        else:
            ifd += struct.pack(e + "HHII", tag, kind, len(values), extra_at + len(blobs))
            blobs += raw + b"\0" * (len(raw) % 2)
    ifd += struct.pack(e + "I", 0)
    Path(path).write_bytes(header + ifd + blobs + b"".join(planes))
    return str(path)


def tiffcp(source, target, *args):
    subprocess.run(["tiffcp", *args, str(source), str(target)], check=True,
                   stderr=subprocess.DEVNULL)
    return str(target)
