"""Start-up of a Python worker that compiles MobileNetV2 (imgfeat.Featurizer,
one thread, as a Spark task does), with and without OpenVINO's model cache:
every measurement is a fresh process, as a new Python worker on a node is.

    PYTHONPATH=build/python IMGFEAT_MODEL_DIR=../shared/models \
        .venv/bin/python bench/spark_model_cache.py [--runs 7]

Prints, per mode, the median seconds of importing imgfeat, of the
Featurizer's construction (read, compile or load from the cache) and of the
first batch of 16 images after it (the engine compiles a shape on first use),
and checks that the cached model gives the same features, bit for bit.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import time
start = time.perf_counter()
import hashlib, json, os, sys
import numpy as np
import imgfeat
cache = sys.argv[1] or None
folder = os.path.dirname(sys.argv[2])
images = sorted(os.path.join(folder, n) for n in os.listdir(folder))[:16]
t0 = time.perf_counter()
f = imgfeat.Featurizer(threads=1, model_cache=cache)
t1 = time.perf_counter()
table = f.featurize(images, progress=False)
t2 = time.perf_counter()
features = np.stack(table.column("features").to_numpy(zero_copy_only=False)).astype(np.float32)
print(json.dumps({"import": t0 - start, "construct": t1 - t0, "first_image": t2 - t1,
                  "digest": hashlib.sha256(features.tobytes()).hexdigest()}))
"""


def child(cache, image):
    out = subprocess.run([sys.executable, "-c", CHILD, cache or "", image], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--image", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "shared", "datasets", "fruits-360-sample",
                                                  "Test", "apple", "321_100.jpg"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgfeat-ov-cache-") as cache:
        cold = child(cache, args.image)  # fills the cache
        results = {"no cache": [child(None, args.image) for _ in range(args.runs)],
                   "cache (warm)": [child(cache, args.image) for _ in range(args.runs)]}
        digests = {r["digest"] for rs in results.values() for r in rs} | {cold["digest"]}
        print(f"first process, empty cache: construct {cold['construct']:.3f} s")
        for mode, rs in results.items():
            med = {k: statistics.median(r[k] for r in rs)
                   for k in ("import", "construct", "first_image")}
            print(f"{mode:>13}: medians of {len(rs)} processes: import {med['import']:.3f} s, "
                  f"construct {med['construct']:.3f} s (min "
                  f"{min(r['construct'] for r in rs):.3f}, max {max(r['construct'] for r in rs):.3f}),"
                  f" first batch of 16 {med['first_image']:.3f} s, construct + first batch "
                  f"{med['construct'] + med['first_image']:.3f} s")
        print("features identical across modes:", len(digests) == 1)
        return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
