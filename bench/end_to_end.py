"""`imgfeat run` against the notebook's pipeline (bench/notebook_pipeline.py)
on the same images and cores, in one run, median of --runs.

    .venv/bin/python bench/end_to_end.py --images 1000 [--runs 3]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"
IMGFEAT = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build")) / "imgfeat"


def replicate(dst, n):
    files = sorted(SAMPLE.rglob("*.jpg"))
    for i in range(n):
        d = dst / f"copy{i // len(files)}" / files[i % len(files)].parent.name
        d.mkdir(parents=True, exist_ok=True)
        os.symlink(files[i % len(files)], d / f"{i}.jpg")


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-notebook", action="store_true")
    args = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="imgfeat_e2e_"))
    try:
        replicate(tmp / "in", args.images)
        results = {}
        cases = {
            "imgfeat run --components 9468 (notebook's SRP)": ["--components", "9468"],
            "imgfeat run --reduce none": ["--reduce", "none"],
        }
        for name, extra in cases.items():
            secs = [timed([str(IMGFEAT), "run", str(tmp / "in"), str(tmp / "out"), "--quiet",
                           "--overwrite", *extra]) for _ in range(args.runs)]
            results[name] = args.images / statistics.median(secs)
            print(f"{name}: {results[name]:.1f} images/s (median of {args.runs})", flush=True)
        if not args.skip_notebook:
            out = subprocess.run([sys.executable, str(HERE / "notebook_pipeline.py"), "--images",
                                  str(min(args.images, 500))], check=True, capture_output=True,
                                 text=True).stdout
            print(out.strip())
            rate = float(out.rsplit("with SRP + Parquet", 1)[1].split()[0])
            key = "imgfeat run --components 9468 (notebook's SRP)"
            print(f"ratio imgfeat / notebook pipeline: {results[key] / rate:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
