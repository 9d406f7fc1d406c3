"""Spark in local mode against the CLI on the same two CPUs:
`python -m imgfeat.spark_job --master local[2]` (driver, executor and Python
workers in one machine's processes, no cluster daemons) and `imgfeat run
--threads 2`, alternating, over the sample's JPEGs linked repeatedly under new
names; medians of --rounds (docs/BENCHMARKS.md, "Spark: scaling against the CLI").

    IMGFEAT_MODEL_DIR=../shared/models PYTHONPATH=build/python \
        .venv/bin/python bench/spark_local.py --images 6000 --rounds 3

Each figure is the whole command's images/s; "stage" is the featurizing stage
(`timings.stream_seconds` of _imgfeat.json). The job's own defaults: its
driver's JVM, which in local mode also runs the tasks' JVM side, with the C1
compiler alone (docs/SPARK.md), started from the node's class-data archive
(`python -m imgfeat.spark_jvm_archive`, made first) unless --no-jvm-archive.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from conftest import IMGFEAT, imgfeat_env  # noqa: E402
from spark_scaling import link_images  # noqa: E402


def timed(cmd, out, env):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run(["taskset", "-c", "0,1", *cmd], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    manifest = json.loads((out / "_imgfeat.json").read_text())
    rows = manifest["counts"]["rows_written"]
    return rows / wall, rows / manifest["timings"]["stream_seconds"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=6000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-jvm-archive", action="store_true",
                   help="the JVM starts without the node's class-data archive")
    args = p.parse_args()
    env = dict(imgfeat_env(), PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="imgfeat-spark-local-") as tmp:
        tmp = pathlib.Path(tmp)
        env["IMGFEAT_SPARK_JVM_ARCHIVE"] = "off" if args.no_jvm_archive else str(tmp / "jvm")
        if not args.no_jvm_archive:
            subprocess.run([sys.executable, "-m", "imgfeat.spark_jvm_archive"], check=True,
                           env=env)
        images = link_images(tmp / "images", args.images)
        out = tmp / "out"
        runs = {"CLI, 2 threads": [str(IMGFEAT), "run", str(images), str(out), "--threads", "2",
                                   "--quiet"],
                "local[2]": [sys.executable, "-m", "imgfeat.spark_job", str(images), str(out),
                             "--master", "local[2]", "--quiet", "--conf", "spark.ui.enabled=false"]}
        results = {}
        for r in range(args.rounds):
            for name, cmd in runs.items():
                before = os.getloadavg()[0]
                whole, stage = timed(cmd, out, env)
                results.setdefault(name, []).append((whole, stage))
                print(f"round {r + 1}: {name:>14}: {whole:6.1f} images/s, stage {stage:6.1f} "
                      f"(load average before {before:.1f})", flush=True)
    med = {k: (statistics.median(w for w, _ in v), statistics.median(s for _, s in v))
           for k, v in results.items()}
    for k, (w, s) in med.items():
        print(f"  {k:>14}: {w:.1f} images/s, stage {s:.1f} (medians)")
    cli, local = med["CLI, 2 threads"], med["local[2]"]
    print(f"  local[2] / CLI: {local[0] / cli[0]:.2f} (stage {local[1] / cli[1]:.2f})")


if __name__ == "__main__":
    main()
