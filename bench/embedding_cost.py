"""What `--embedding` costs: `imgfeat run` with and without it on the same
images, alternating, medians of --rounds; the time of the whole command and
the bytes of the parts (docs/BENCHMARKS.md, "The embedding column").

    IMGFEAT_MODEL_DIR=../shared/models .venv/bin/python bench/embedding_cost.py --rounds 3

The default images are the sample's 2,624 JPEGs; each run is the CLI's
default (SRP, components auto) with --threads 2.
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import IMGFEAT, SAMPLE, imgfeat_env  # noqa: E402


def timed(images, out, extra, threads):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run([str(IMGFEAT), "run", images, out, "--quiet", "--threads", str(threads),
                    *extra], check=True, env=imgfeat_env())
    wall = time.monotonic() - t0
    manifest = json.loads((out / "_imgfeat.json").read_text())
    parts = sum(p.stat().st_size for p in out.glob("part-*.parquet"))
    return wall, manifest["counts"]["rows_written"], parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", default=str(SAMPLE))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    variants = {"default": [], "--embedding": ["--embedding"]}
    walls = {name: [] for name in variants}
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="imgfeat-embedding-") as tmp:
        for r in range(args.rounds):
            for name, extra in variants.items():
                wall, rows, parts = timed(args.images, pathlib.Path(tmp) / "out", extra,
                                          args.threads)
                walls[name].append(wall)
                sizes[name] = (rows, parts)
                print(f"round {r + 1} {name}: {wall:.2f} s, {rows / wall:.1f} images/s, "
                      f"parts {parts / 2**20:.1f} MiB", flush=True)
    base = statistics.median(walls["default"])
    print("\n| run | seconds (median) | images/s | parts MiB | bytes per row |")
    print("|---|---:|---:|---:|---:|")
    for name in variants:
        wall = statistics.median(walls[name])
        rows, parts = sizes[name]
        print(f"| `{name}` | {wall:.2f} | {rows / wall:.1f} | {parts / 2**20:.1f} | "
              f"{parts / rows:,.0f} |")
    print(f"\n--embedding / default, time: {statistics.median(walls['--embedding']) / base:.3f}")


if __name__ == "__main__":
    main()
