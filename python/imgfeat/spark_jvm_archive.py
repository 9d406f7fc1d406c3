"""`python -m imgfeat.spark_jvm_archive [--master URL]`: makes this node's
class-data archives of Spark's JVMs, once per node (at its set-up), which the
Spark job's driver and executors then start from (docs/SPARK.md, "The JVMs'
start").

A Spark JVM loads, parses and verifies about 9,000 classes from Spark's jars
at every start: most of the 3 to 5 CPU-seconds a driver or an executor spends
before its first task (docs/BENCHMARKS.md, "Spark: scaling against the CLI").
Java keeps classes it has already loaded in an archive (AppCDS: made with
-XX:ArchiveClassesAtExit, used with -XX:SharedArchiveFile), which the JVM maps
instead. The driver's archive is recorded by a small local-mode job of the
same shape as imgfeat's (pickled batches to Python workers, results back), so
it holds a local master's executor classes too; with --master, an executor of
that cluster on this node records the executors' archive (a cluster starts
its executors with a class path of its own).

A JVM checks the archive against itself (its release, the class path, the
size and time of every jar) and, where anything differs or the file is
missing, starts without it, as it would have: the archive changes when a JVM
is ready, never what it does.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from . import _imgfeat
from ._spark_jvm import recording_settings

ENV = "IMGFEAT_SPARK_JVM_ARCHIVE"
# The recording job's limit: a cluster without a free core never runs it.
RECORD_SECONDS = 600


def _spark_release():
    import pyspark

    return pyspark.__version__


def default_path(role="driver"):
    """Where the `role`'s archive ("driver" or "executor") is kept: in the
    folder $IMGFEAT_SPARK_JVM_ARCHIVE ("off": nowhere), else imgfeat's cache
    folder (the model cache's), one file per Spark release and role; None
    without either. (Not the shared temporary folder: a JVM runs the classes
    of the archive it is given.)"""
    chosen = os.environ.get(ENV)
    if chosen == "off":
        return None
    folder = chosen or _imgfeat.cache_dir()
    return os.path.join(folder, f"spark-{_spark_release()}-{role}.jsa") if folder else None


def existing_archive(role="driver"):
    """The archive the job gives the `role`'s JVMs: default_path(role) where
    that file exists on this node, else None."""
    path = default_path(role)
    return path if path and os.path.isfile(path) else None


def _record(path, master):
    """Runs in a process of its own: a small job whose driver JVM (local
    mode) or one executor's (`master`) writes the classes it loaded to
    `path` as it exits."""
    from pyspark import SparkConf, SparkContext

    conf = (SparkConf().setAppName("imgfeat-jvm-archive")
            .set("spark.python.daemon.module", "imgfeat._spark_daemon"))
    if master:
        conf.setMaster(master).setAll(recording_settings("executor", path).items())
        # One executor: each writes its archive to the same path.
        conf.set("spark.cores.max", "1").set("spark.executor.instances", "1")
        conf.set("spark.executor.cores", "1").set("spark.dynamicAllocation.enabled", "false")
    else:
        conf.setMaster("local[2]").setAll(recording_settings("driver", path).items())
    sc = SparkContext.getOrCreate(conf)
    rows = sc.parallelize([bytes(range(256)) * n for n in range(8)], 4).mapPartitions(
        lambda items: [{"rows": sum(len(i) for i in items)}]).collect()
    assert sum(r["rows"] for r in rows) == 256 * 28, rows
    gateway = SparkContext._gateway
    sc.stop()
    # The JVM writes the archive as it exits, which it does when its standard
    # input closes (PySpark's gateway); its exit is waited for.
    gateway.shutdown()
    gateway.proc.stdin.close()
    gateway.proc.wait(300)


def _wait_written(path, timeout=120):
    """Waits for an executor's archive: the executor writes it as it exits,
    after the job, in a process of the cluster's; complete once its size
    holds for 2 s."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        size = os.path.getsize(path) if os.path.isfile(path) else -1
        if size > 0 and size == last:
            return
        last = size
        time.sleep(2)
    raise RuntimeError("no executor wrote the archive on this node (an executor of the "
                       "cluster must run on the node this command runs on)")


def make(path, master=None):
    """Records the driver's archive (or with `master`, an executor's) into
    `path` (replaced whole once complete)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=".imgfeat-jvm-", suffix=".jsa", dir=folder)
    os.close(fd)
    os.unlink(partial)  # the JVM creates it
    env = dict(os.environ, PYSPARK_PYTHON=os.environ.get("PYSPARK_PYTHON", sys.executable))
    env.pop("PYSPARK_GATEWAY_PORT", None)  # a JVM of its own, even under spark-submit
    try:
        try:
            # Killed at the limit, the recorder's JVM ends as its standard input closes.
            done = subprocess.run([sys.executable, "-m", "imgfeat.spark_jvm_archive", "--record",
                                   partial] + (["--master", master] if master else []),
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=RECORD_SECONDS)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the recording job did not end in {RECORD_SECONDS} s (has the "
                               "cluster a free core?)") from None
        if done.returncode == 0 and master:
            _wait_written(partial)
        if done.returncode != 0 or not os.path.isfile(partial) or not os.path.getsize(partial):
            # The JVM's own reason where it gave one (e.g. a class path folder
            # that holds files before Spark's jars: the user's extraClassPath).
            reasons = re.findall(r"\]\[error\]\[cds[^\]]*\]\s*(.+)", done.stdout)
            if reasons:
                raise RuntimeError(f"the JVM wrote no archive: {reasons[-1].strip()}")
            tail = "\n".join(done.stdout.strip().splitlines()[-20:])
            raise RuntimeError(f"the recording job failed ({done.returncode}):\n{tail}")
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m imgfeat.spark_jvm_archive",
                                description="Make this node's class-data archives of "
                                            "Spark's JVMs, which the Spark job's driver and "
                                            "executors start from (docs/SPARK.md).")
    p.add_argument("--master", help="also the executors' archive, recorded by an executor of "
                                    "this cluster (standalone: spark://HOST:PORT) on this node")
    p.add_argument("--record", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.record:
        _record(args.record, args.master)
        return 0
    if default_path() is None:
        raise SystemExit(f"imgfeat.spark_jvm_archive: no folder for the archives (${ENV} is "
                         "off, or neither $XDG_CACHE_HOME nor $HOME is set)")
    roles = [("driver", None)]
    if args.master and args.master.startswith("local"):
        # A local master's executors are its driver's JVM: the driver's archive serves both.
        print(f"imgfeat.spark_jvm_archive: {args.master}: the executors run in the driver's JVM")
    elif args.master:
        roles.append(("executor", args.master))
    for role, master in roles:
        path = default_path(role)
        try:
            make(path, master)
        except (OSError, RuntimeError) as e:
            raise SystemExit(f"imgfeat.spark_jvm_archive: {path}: {e}") from None
        print(f"imgfeat.spark_jvm_archive: {path} ({os.path.getsize(path) >> 20} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
