"""Pillow counterpart of build/bench/decode_resize_bench: the Python pipeline's
per-image work (Image.open + convert("RGB") + resize((224, 224)) + NumPy
float32 x / 127.5 - 1) over the same files repeated through symbolic links,
on a pool of the same number of processes. Prints the median of --runs runs.

    python bench/pillow_decode_resize.py --processes 2 ../shared/datasets/fruits-360-sample
"""

import argparse
import os
import statistics
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image


def replicate(folder: Path, count: int, temp: Path) -> list[str]:
    sources = sorted(p for p in folder.rglob("*") if p.is_file())
    links = []
    for i in range(count):
        source = sources[i % len(sources)]
        link = temp / f"{i}{source.suffix}"
        link.symlink_to(source.resolve())
        links.append(str(link))
    return links


def process(path: str) -> int:
    with Image.open(path) as im:
        x = np.asarray(im.convert("RGB").resize((224, 224)), dtype=np.float32)
    x /= 127.5
    x -= 1.0
    return x.shape[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgfeat-bench-") as temp:
        files = replicate(args.folder, args.images, Path(temp))
        rates = []
        with Pool(args.processes) as pool:
            for run in range(args.runs):
                start = time.perf_counter()
                for _ in pool.imap_unordered(process, files, chunksize=64):
                    pass
                rates.append(len(files) / (time.perf_counter() - start))
                print(f"run {run + 1}: {rates[-1]:.0f} images/s", flush=True)
    median = statistics.median(rates)
    print(f"Pillow open+convert+resize+numpy: {len(files)} images, {args.processes} processes, "
          f"median {median:.0f} images/s ({1000 * args.processes / median:.3f} ms/image/process)")


if __name__ == "__main__":
    main()
