"""imgfeat neighbours at 10,000 / 100,000 / 1,000,000 rows: wall time, peak
memory and recall@10 against exact.

    python bench/neighbours_scale.py [--rows 10000,100000,1000000] [--dim 1280]

    python bench/neighbours_scale.py --like OUTPUT ...

Each size is a synthetic imgfeat output in a temporary folder, written with
pyarrow in the parts' format (docs/FORMAT.md). With --like (an output of real
images, e.g. the sample run with --pooling avg --reduce none: 1,280 features)
its rows follow that output's mean and covariance (the spectrum of real
features, which decides what a PCA keeps): 1 centre per 50 rows drawn from
that Gaussian, each row its centre plus a draw at 0.3 of its scale. Without
--like, isotropic rows around random centres (a worst case for the PCA:
their neighbours differ only by noise spread over every dimension).
`imgfeat neighbours` runs under /usr/bin/time; recall@10 is measured on 1,000
random rows against numpy's brute force over all rows (cosine).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = pa.schema([
    pa.field("path", pa.string(), False),
    pa.field("label", pa.string(), False),
    pa.field("modification_time", pa.timestamp("us", tz="UTC"), False),
    pa.field("length", pa.int64(), False),
    pa.field("features", pa.list_(pa.field("element", pa.float32(), False)), False),
])
PART_ROWS = 50_000


class Gaussian:
    """Draws rows with a mean and covariance: those of a real output's rows
    (--like), or isotropic."""

    def __init__(self, dim, like=None):
        if like is None:
            self.mean = np.zeros(dim, np.float32)
            self.scale = np.eye(dim, dtype=np.float32) / np.sqrt(dim)
            return
        x = np.stack(pq.read_table(like, columns=["features"]).column(0).to_numpy(
            zero_copy_only=False)).astype(np.float64)
        self.mean = x.mean(axis=0).astype(np.float32)
        # The covariance's square root by its eigenvectors (full rank with a
        # small floor, as a sample of 2,624 rows leaves trailing directions empty).
        w, v = np.linalg.eigh(np.cov(x, rowvar=False))
        w = np.maximum(w, w.max() * 1e-6)
        self.scale = (v * np.sqrt(w)).T.astype(np.float32)

    def draw(self, rng, n, spread=1.0):
        z = rng.standard_normal((n, len(self.mean)), dtype=np.float32)
        return (z @ self.scale) * spread


def write_output(out, n, gaussian, seed=0):
    rng = np.random.default_rng(seed)
    dim = len(gaussian.mean)
    centres = gaussian.mean + gaussian.draw(rng, max(1, n // 50))
    out.mkdir(parents=True)
    for part, first in enumerate(range(0, n, PART_ROWS)):
        m = min(PART_ROWS, n - first)
        x = centres[rng.integers(0, len(centres), m)] + gaussian.draw(rng, m, 0.3)
        features = pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), dim).cast(
            SCHEMA.field("features").type)
        table = pa.table({
            "path": [f"/synthetic/{first + i:08d}.jpg" for i in range(m)],
            "label": ["x"] * m,
            "modification_time": pa.array(np.zeros(m, "int64"), pa.timestamp("us", tz="UTC")),
            "length": np.ones(m, "int64"),
            "features": features,
        }, schema=SCHEMA)
        pq.write_table(table, out / f"part-{part:05d}.parquet", row_group_size=4096,
                       use_dictionary=False, compression="zstd")
    (out / "_imgfeat.json").write_text("{}")
    (out / "_SUCCESS").write_text("")


def all_rows(out):
    parts = sorted(out.glob("part-*.parquet"))
    blocks = [np.stack(pq.read_table(p, columns=["features"]).column(0).to_numpy(
        zero_copy_only=False)) for p in parts]
    x = np.concatenate(blocks).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def recall(out, k=10, queries=1000, seed=1):
    x = all_rows(out)
    rng = np.random.default_rng(seed)
    q = rng.choice(len(x), size=min(queries, len(x)), replace=False)
    sims = x[q] @ x.T
    sims[np.arange(len(q)), q] = -np.inf
    want = np.argsort(-sims, axis=1)[:, :k]
    got = pq.read_table(out / "_neighbours.parquet", columns=["path", "neighbour"]).to_pandas()
    by_path = got.groupby("path").neighbour.apply(list)
    hits = 0
    for qi, w in zip(q, want):
        found = {int(re.search(r"(\d+)\.jpg", p).group(1)) for p in by_path[f"/synthetic/{qi:08d}.jpg"]}
        hits += len(found & set(w.tolist()))
    return hits / (len(q) * k)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="10000,100000,1000000")
    ap.add_argument("--dim", type=int, default=1280, help="without --like")
    ap.add_argument("--like", help="an output whose rows' mean and covariance to follow")
    ap.add_argument("--methods", default="exact,approximate")
    ap.add_argument("--exact-max", type=int, default=100_000, help="largest size run exactly")
    ap.add_argument("--build", default=os.environ.get("IMGFEAT_BUILD", str(ROOT / "build")))
    args = ap.parse_args()
    imgfeat = Path(args.build) / "imgfeat"
    gaussian = Gaussian(args.dim, args.like)
    print(f"load average {os.getloadavg()[0]:.2f}; rows x {len(gaussian.mean)} features, "
          f"{'like ' + args.like if args.like else 'isotropic'}")
    print(f"{'rows':>9} {'method':>12} {'seconds':>9} {'peak RSS':>10} {'recall@10':>9}")
    for n in map(int, args.rows.split(",")):
        work = Path(tempfile.mkdtemp(prefix="imgfeat-nb-"))
        try:
            src = work / "out"
            write_output(src, n, gaussian)
            for method in args.methods.split(","):
                if method == "exact" and n > args.exact_max:
                    continue
                out = work / method
                shutil.copytree(src, out)
                proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", str(imgfeat), "neighbours",
                                       str(out), "--method", method, "--quiet"],
                                      capture_output=True, text=True)
                if proc.returncode != 0:
                    sys.exit(proc.stderr)
                seconds, rss_kib = proc.stderr.strip().splitlines()[-1].split()
                r = recall(out)
                print(f"{n:>9,} {method:>12} {float(seconds):>9.1f} "
                      f"{int(rss_kib) / 2**20:>8.2f} GiB {r:>9.3f}", flush=True)
                shutil.rmtree(out)
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
