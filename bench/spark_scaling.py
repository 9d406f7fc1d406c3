"""Spark scaling: `python -m imgfeat.spark_job` on a standalone cluster of 1
and 2 one-core workers (started here on 127.0.0.1, as tests/test_spark_cluster.py
does) against `imgfeat run` on 1 and 2 threads, over the same images, in one
run, alternating.

    make build
    IMGFEAT_MODEL_DIR=../shared/models PYTHONPATH=build/python \
        .venv/bin/python bench/spark_scaling.py --images 5000

The images are the sample's 2,624 JPEGs linked repeatedly under new names.
Each figure is the wall clock of the whole command (start-up, listing, model
compilation, writing included), as images/s; Spark's own featurizing stage
(`timings.stream_seconds` of its _imgfeat.json) is shown beside it. Options:
the CLI's defaults (--reduce srp, components auto). The node's class-data
archives are made first, as docs/SPARK.md's set-up does
(`python -m imgfeat.spark_jvm_archive --master URL`), unless --no-jvm-archive.
--ceiling adds two one-thread CLI runs at once on half the images each (the
most two one-core workers reach without Spark); --timeline reads Spark's event
log for the executors' images/s after their first task.
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

from conftest import IMGFEAT, SAMPLE, imgfeat_env  # noqa: E402
from spark_cluster import SparkCluster  # noqa: E402


def link_images(root, n):
    files = sorted(SAMPLE.rglob("*.jpg"))
    for i in range(n):
        f = files[i % len(files)]
        dst = root / f.parent.name / f"{i:06d}_{f.name}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    return root


def link_halves(root, n):
    """The same n images as link_images, split in two folders (the first and
    second half of the names): the inputs of two separate runs."""
    files = sorted(SAMPLE.rglob("*.jpg"))
    for i in range(n):
        f = files[i % len(files)]
        dst = root / ("a" if i < n // 2 else "b") / f.parent.name / f"{i:06d}_{f.name}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    return root / "a", root / "b"


def time_two_clis(halves, out, components):
    """Two one-thread runs at once, each pinned to a CPU of its own and given
    half the images: what two one-core workers reach with no Spark at all
    (two processes, two models, two reducers, as two executors hold), with
    the whole run's `components` (auto would choose fewer for half the
    images). The figures' manifest: rows summed, the stage of the slower run."""
    procs = []
    t0 = time.monotonic()
    for cpu, half in enumerate(halves):
        shutil.rmtree(out / str(cpu), ignore_errors=True)
        procs.append(subprocess.Popen(["taskset", "-c", str(cpu), str(IMGFEAT), "run", str(half),
                                       str(out / str(cpu)), "--threads", "1", "--components",
                                       str(components), "--quiet"],
                                      env=imgfeat_env()))
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError("imgfeat run failed")
    seconds = time.monotonic() - t0
    manifests = [json.loads((out / str(cpu) / "_imgfeat.json").read_text()) for cpu in (0, 1)]
    return seconds, {"counts": {"rows_written": sum(m["counts"]["rows_written"]
                                                    for m in manifests)},
                     "timings": {"stream_seconds": max(m["timings"]["stream_seconds"]
                                                       for m in manifests)}}


def components(output):
    """The output dimensions of a finished run."""
    return json.loads((output / "_imgfeat.json").read_text())["reducer"]["n_components"]


def load():
    return os.getloadavg()[0]


def time_cli(images, out, threads, pin):
    shutil.rmtree(out, ignore_errors=True)
    cpus = ["taskset", "-c", ",".join(str(c) for c in range(threads))] if pin else []
    t0 = time.monotonic()
    subprocess.run([*cpus, str(IMGFEAT), "run", str(images), str(out), "--threads",
                    str(threads), "--quiet"], check=True, env=imgfeat_env())
    return time.monotonic() - t0, json.loads((out / "_imgfeat.json").read_text())


def time_spark(cluster, images, out, workers, conf=(), events=None):
    shutil.rmtree(out, ignore_errors=True)
    if events is not None:  # the task timeline: Spark's event log, uncompressed
        shutil.rmtree(events, ignore_errors=True)
        events.mkdir(parents=True)
        conf = [*conf, "spark.eventLog.enabled=true", f"spark.eventLog.dir=file://{events}",
                "spark.eventLog.compress=false"]
    t0 = time.monotonic()
    cluster.run(images, out, conf=[f"spark.cores.max={workers}", *conf],
                log_name=f"bench-{workers}")
    return time.monotonic() - t0, json.loads((out / "_imgfeat.json").read_text())


def steady_rate(events, manifest):
    """Images/s of the executors after their first task (summed over them),
    from the event log: what a long job's executors sustain once started,
    without each one's start and first task. None without a timeline."""
    from imgfeat.spark import task_sizes

    if events is None:
        return None
    tasks = []
    # One file, or a folder of rolled files beside an "appstatus" marker
    # (and Hadoop's hidden .crc files).
    for f in sorted(p for p in events.rglob("*")
                    if p.is_file() and not p.name.startswith((".", "appstatus"))):
        for line in f.read_text().splitlines():
            e = json.loads(line)
            if e["Event"] == "SparkListenerTaskEnd" and e["Task End Reason"]["Reason"] == "Success":
                i = e["Task Info"]
                tasks.append((i["Executor ID"], i["Launch Time"], i["Finish Time"], i["Index"]))
    partitions = manifest["spark"]["partitions"]
    rows = manifest["counts"]["images_listed"]
    sizes = next(s for c in range(1, 65) if len(s := task_sizes(rows, c)) == partitions)
    rate = 0.0
    for executor in {t[0] for t in tasks}:
        mine = sorted(t for t in tasks if t[0] == executor)
        if len(mine) < 2:
            return None
        images = sum(sizes[t[3]] for t in mine[1:])
        rate += images / ((mine[-1][2] - mine[0][2]) / 1000)
    return rate


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--pin", action="store_true",
                   help="one CPU per worker / per CLI thread (taskset): with --threads 1 a "
                        "task still decodes on one thread and infers on another, which "
                        "otherwise spread over both cores")
    p.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                   help="a Spark setting for the Spark runs (docs/SPARK.md's recommended "
                        "ones); given, Spark with 2 workers also runs without them")
    p.add_argument("--ceiling", action="store_true",
                   help="also two one-thread CLI runs at once, pinned, on half the images "
                        "each: the most two one-core workers reach without Spark")
    p.add_argument("--timeline", action="store_true",
                   help="Spark's event log for the Spark runs, and from it the executors' "
                        "images/s after their first task (steady state)")
    p.add_argument("--no-jvm-archive", action="store_true",
                   help="the JVMs start without the node's class-data archives")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgfeat-spark-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        images = link_images(tmp / "images", args.images)
        halves = link_halves(tmp / "halves", args.images) if args.ceiling else None
        cluster = SparkCluster(tmp / "cluster", workers=2, pin_workers=args.pin)
        results = {}
        steady = {}

        def events(workers):
            return tmp / f"events-{workers}" if args.timeline else None
        try:
            cluster.start()
            cluster.env["IMGFEAT_SPARK_JVM_ARCHIVE"] = (
                "off" if args.no_jvm_archive else str(tmp / "jvm-archives"))
            if not args.no_jvm_archive:
                subprocess.run([sys.executable, "-m", "imgfeat.spark_jvm_archive", "--master",
                                cluster.url], check=True, env=cluster.env)
            for r in range(args.rounds):
                # (name, run, its event log or None)
                runs = [("CLI, 1 thread", lambda: time_cli(images, tmp / "cli1", 1, args.pin),
                         None),
                        ("Spark, 1 worker", lambda: time_spark(cluster, images, tmp / "s1", 1,
                                                                args.spark_conf, events(1)),
                         events(1)),
                        ("CLI, 2 threads", lambda: time_cli(images, tmp / "cli2", 2, args.pin),
                         None),
                        ("Spark, 2 workers", lambda: time_spark(cluster, images, tmp / "s2", 2,
                                                                 args.spark_conf, events(2)),
                         events(2))]
                if args.ceiling:
                    runs.insert(3, ("2 CLI processes, 1 thread each",
                                    lambda: time_two_clis(halves, tmp / "halves-out",
                                                          components(tmp / "cli2")), None))
                if args.spark_conf:
                    runs.append(("Spark, 2 workers, no --spark-conf",
                                 lambda: time_spark(cluster, images, tmp / "s2d", 2), None))
                for name, run, timeline in runs:
                    before = load()
                    seconds, manifest = run()
                    rows = manifest["counts"]["rows_written"]
                    stream = manifest["timings"]["stream_seconds"]
                    results.setdefault(name, []).append((seconds, stream, rows))
                    rate = steady_rate(timeline, manifest)
                    if rate is not None:
                        steady.setdefault(name, []).append(rate)
                        print(f"round {r + 1}: {name:>33}: {rate:6.1f} images/s after each "
                              f"executor's first task", flush=True)
                    print(f"round {r + 1}: {name:>33}: {rows / seconds:6.1f} images/s "
                          f"({seconds:.1f} s; featurizing stage {rows / stream:.1f} images/s; "
                          f"load average before {before:.1f})", flush=True)
        finally:
            cluster.stop()
        med = {k: statistics.median(rows / s for s, _, rows in v) for k, v in results.items()}
        stage = {k: statistics.median(rows / st for _, st, rows in v) for k, v in results.items()}
        print(f"\n{args.images} images, median images/s over {args.rounds} round(s) "
              f"(whole job; featurizing stage):")
        for k, v in med.items():
            print(f"  {k:>33}: {v:.1f}; {stage[k]:.1f}")
        print(f"  stage, Spark(2 workers) / CLI(2 threads): "
              f"{stage['Spark, 2 workers'] / stage['CLI, 2 threads']:.2f}")
        print(f"  stage, Spark(1 worker) / CLI(1 thread):   "
              f"{stage['Spark, 1 worker'] / stage['CLI, 1 thread']:.2f}")
        print(f"  Spark speed-up 1 -> 2 workers: {med['Spark, 2 workers'] / med['Spark, 1 worker']:.2f}")
        print(f"  CLI speed-up 1 -> 2 threads:   {med['CLI, 2 threads'] / med['CLI, 1 thread']:.2f}")
        print(f"  Spark(2 workers) / CLI(2 threads): {med['Spark, 2 workers'] / med['CLI, 2 threads']:.2f}")
        print(f"  Spark(1 worker) / CLI(1 thread):   {med['Spark, 1 worker'] / med['CLI, 1 thread']:.2f}")
        for name, rates in steady.items():
            cli = "CLI, 1 thread" if "1 worker" in name else "CLI, 2 threads"
            print(f"  {name}, after the first tasks: {statistics.median(rates):.1f} images/s, "
                  f"{statistics.median(rates) / stage[cli]:.2f} of the {cli}'s stage")
        if args.ceiling:
            two = "2 CLI processes, 1 thread each"
            print(f"  2 CLI processes / CLI(2 threads):  {med[two] / med['CLI, 2 threads']:.2f}; "
                  f"stage {stage[two] / stage['CLI, 2 threads']:.2f}")
            print(f"  Spark(2 workers) / 2 CLI processes: "
                  f"{med['Spark, 2 workers'] / med[two]:.2f}; "
                  f"stage {stage['Spark, 2 workers'] / stage[two]:.2f}")


if __name__ == "__main__":
    main()
