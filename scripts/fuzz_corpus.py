#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into OUT/<target>/.

Seeds come from the sample dataset (a few of its JPEGs, also re-encoded in
every other format) and from small Pillow-made images of every mode each
format can hold, plus valid model specs, run parameters and saved reducers.
Usage: scripts/fuzz_corpus.py OUT [SAMPLE_DIR]
"""
import io
import json
import pathlib
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

MODES = {
    "png": ["1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"],
    "jpeg": ["L", "RGB", "CMYK"],
    "webp": ["RGB", "RGBA"],
    "tiff": ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "I", "I;16", "F"],
    "bmp": ["1", "L", "P", "RGB", "RGBA"],
    "gif": ["1", "L", "P", "RGB"],
}
OPTIONS = {
    "png": [{}, {"optimize": True}],
    "jpeg": [{"quality": 75}, {"quality": 90, "progressive": True}, {"subsampling": 0}],
    "webp": [{"lossless": True}, {"quality": 50}],
    "tiff": [{}, {"compression": "tiff_lzw"}, {"compression": "packbits"},
             {"compression": "tiff_adobe_deflate"}],
    "bmp": [{}],
    "gif": [{}, {"interlace": True}],
}


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt.upper(), **options)
    return buffer.getvalue()


def pattern(mode, size=(13, 7)):
    rng = np.random.default_rng(7)
    rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    if mode in ("I", "I;16", "F"):
        return rgb.convert("L").convert(mode if mode != "I;16" else "I").convert(mode) \
            if mode != "I;16" else Image.frombytes("I;16", size, rng.bytes(size[0] * size[1] * 2))
    if mode == "P":
        return rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return rgb.convert(mode)


def write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def image_seeds(out, sample):
    for fmt, modes in MODES.items():
        for mode in modes:
            for i, options in enumerate(OPTIONS[fmt]):
                try:
                    data = encode(pattern(mode), fmt, **options)
                except (OSError, ValueError, KeyError):
                    continue  # this format cannot hold this mode
                name = f"{mode.replace(';', '_')}-{i}.{fmt}"
                write(out / f"decode_{fmt}", name, data)
                write(out / "decode", f"{fmt}-{name}", data)
    # An animated GIF with a transparent, local-palette second frame.
    frames = [pattern("P"), pattern("P").rotate(90, expand=True)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   transparency=0, duration=50, loop=0)
    write(out / "decode_gif", "animated.gif", buffer.getvalue())
    photos = sorted(pathlib.Path(sample).rglob("*.jpg"))[:: max(1, len(list(
        pathlib.Path(sample).rglob("*.jpg"))) // 8)][:8] if sample else []
    for n, photo in enumerate(photos):
        data = photo.read_bytes()
        write(out / "decode_jpeg", f"sample-{n}.jpg", data)
        write(out / "decode", f"sample-{n}.jpg", data)
        image = Image.open(photo).convert("RGB").resize((32, 32))
        for fmt in ("png", "webp", "tiff", "bmp", "gif"):
            write(out / f"decode_{fmt}", f"sample-{n}.{fmt}", encode(image, fmt))


def resize_seeds(out):
    for n, (sw, sh, dw, dh) in enumerate([(100, 100, 224, 224), (1, 1, 224, 224),
                                          (4000, 1, 224, 224), (1, 3000, 96, 96),
                                          (640, 480, 299, 299)]):
        head = b"".join(int(v - 1 if k < 2 else v).to_bytes(2, "little")
                        for k, v in enumerate((sw, sh, dw, dh)))
        write(out / "resize", f"seed-{n}", head + bytes(range(256)))


def json_seeds(out, models):
    for n, spec in enumerate(sorted(pathlib.Path(models).rglob("*.json")) if models else []):
        write(out / "model_spec", f"spec-{n}.json", spec.read_bytes())
    write(out / "model_spec", "minimal.json", json.dumps({
        "name": "m", "file": "m.onnx", "sha256": "ab" * 32,
        "output": {"shape_hwc": [1, 1, 8]}}).encode())
    write(out / "model_spec", "full.json", json.dumps({
        "name": "mobilenet", "file": "m.onnx", "preprocess": "tf",
        "input": {"height": 224, "width": 224, "layout": "NHWC"},
        "output": {"shape_hwc": [7, 7, 1280]}}).encode())
    document = {"feature_dim": 1280, "params": {"input": "in", "reduce": "srp",
                                                "model": {"name": "m", "sha256": "ab"},
                                                "k": [1, 2.5, None]}}
    write(out / "run_params", "same.json", json.dumps(document, indent=2).encode())
    document["params"]["model"]["sha256"] = "cd"
    write(out / "run_params", "other.json", json.dumps(document).encode())


def reducer_seeds(out):
    def save(name, table, metadata):
        table = table.replace_schema_metadata(metadata)
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        write(out / "reducer_file", name, buffer.getvalue())

    empty = pa.table({"row": pa.array([], pa.string())})
    save("none.parquet", empty, {"imgfeat.reducer.kind": "none", "imgfeat.none.n_features": "8"})
    save("srp.parquet", empty, {"imgfeat.reducer.kind": "srp", "imgfeat.srp.n_components": "4",
                                "imgfeat.srp.n_features": "8", "imgfeat.srp.density": "0.5",
                                "imgfeat.srp.seed": "42"})
    rows = pa.table({
        "row": ["mean", "component", "component"],
        "explained_variance": [None, 2.0, 1.0],
        "explained_variance_ratio": [None, 0.6, 0.3],
        "values": pa.array([[0.0] * 4, [0.5, 0.5, 0.5, 0.5], [0.5, -0.5, 0.5, -0.5]],
                           pa.list_(pa.float32())),
    })
    save("pca.parquet", rows, {
        "imgfeat.reducer.kind": "pca", "imgfeat.pca.n_features": "4",
        "imgfeat.pca.n_components": "2", "imgfeat.pca.n_samples": "10",
        "imgfeat.pca.total_variance": "3.5", "imgfeat.pca.oversampling": "2",
        "imgfeat.pca.power_iterations": "4", "imgfeat.pca.seed": "0"})


def shard_seeds(out):
    """A small WebDataset tar (pax, GNU and plain members) and Parquet files of
    both layouts; the first byte of each seed picks the format and the reads
    (fuzz/shard_fuzzer.cc)."""
    import tarfile

    def tar(fmt, members):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as t:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    members = [("a/000.jpg", b"\xff\xd8 jpeg"), ("a/000.cls", b"3"),
               ("a/000.json", b'{"label": "x"}'), ("a/001.png", b"png" * 50),
               ("b" * 120 + ".webp", b"webp"), ("c.txt", b"only text")]
    for mode in (0, 2 | 4, 32, 64 | 2):
        write(out / "shard", f"gnu-{mode}.tar", bytes([mode]) + tar(tarfile.GNU_FORMAT, members))
    write(out / "shard", "pax.tar", bytes([2 | 8]) + tar(tarfile.PAX_FORMAT, members))
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    tables = {
        "hf": pa.table({"image": pa.array([{"bytes": b"x", "path": "p"}, None], image),
                        "label": ["a", "b"]}),
        "img2dataset": pa.table({"jpg": [b"j1", None, b"j3"], "key": ["k1", "k2", None],
                                 "caption": ["c", None, "d"]}),
    }
    for name, table in tables.items():
        buffer = io.BytesIO()
        pq.write_table(table, buffer, row_group_size=1)
        for mode in (1, 1 | 32, 1 | 96):
            write(out / "shard", f"{name}-{mode}.parquet", bytes([mode]) + buffer.getvalue())


def main():
    out = pathlib.Path(sys.argv[1])
    root = pathlib.Path(__file__).resolve().parent.parent
    sample = sys.argv[2] if len(sys.argv) > 2 else root / "../shared/datasets/fruits-360-sample"
    models = root / "../shared/models"
    image_seeds(out, sample if pathlib.Path(sample).is_dir() else None)
    resize_seeds(out)
    json_seeds(out, models if models.is_dir() else None)
    reducer_seeds(out)
    shard_seeds(out)
    for folder in sorted(out.iterdir()):
        print(f"{folder.name}: {len(list(folder.iterdir()))} seeds")


if __name__ == "__main__":
    main()
