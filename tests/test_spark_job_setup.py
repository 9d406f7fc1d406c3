"""How the Spark job sets up its context and stage: the JVMs' JIT setting
added to the cluster's options, task sizes largest first, the Python
daemon's PySpark and the workers' zip reading (the cluster tests run the job
with all of them)."""
import os
import pathlib
import socket
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pyarrow.parquet as pq
import pytest

import imgfeat.spark as imgfeat_spark
from imgfeat import _spark_daemon, _spark_jvm, spark_jvm_archive

from conftest import imgfeat_env, run_imgfeat, sample_files, wait_for
from spark_cluster import classes_by_source


@pytest.mark.parametrize("rows,cores", [(0, 2), (1, 2), (100, 2), (10000, 1), (10000, 2),
                                        (123457, 64)])
def test_task_sizes_start_large_and_end_small(rows, cores):
    sizes = imgfeat_spark.task_sizes(rows, cores)
    assert sum(sizes) == rows and all(s > 0 for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    assert all(s <= 2000 for s in sizes)
    assert all(s >= 32 for s in sizes[:-1])
    if rows >= 2000 * 2 * cores:
        assert sizes[0] == 2000
    # Each task is at most 1 / (2 * cores) of what was left (rounded up) when it started.
    left = rows
    for s in sizes:
        assert s <= max(32, -(-left // (2 * cores)))
        left -= s


def test_equal_sizes():
    assert imgfeat_spark.equal_sizes(10, 3) == [3, 3, 4]
    assert imgfeat_spark.equal_sizes(2, 5) == [1, 1]
    assert imgfeat_spark.equal_sizes(0, 4) == [0]


def test_c1_is_added_to_the_clusters_options_never_replacing_them():
    assert _spark_jvm.with_c1(None) == "-XX:TieredStopAtLevel=1"
    assert _spark_jvm.with_c1(" -XX:+UseG1GC ") == "-XX:+UseG1GC -XX:TieredStopAtLevel=1"
    # A JIT setting of the user's or the cluster's is kept as it is: the way to turn C1 off.
    assert _spark_jvm.with_c1("-XX:TieredStopAtLevel=4") == "-XX:TieredStopAtLevel=4"
    assert _spark_jvm.with_c1("-XX:-TieredCompilation -Xss4m") == "-XX:-TieredCompilation -Xss4m"


def test_jvm_settings_merge_spark_defaults_and_the_jobs_conf(tmp_path, monkeypatch):
    (tmp_path / "spark-defaults.conf").write_text(
        "# site settings\n"
        "spark.executor.extraJavaOptions   -XX:+UseG1GC -Dsite=1\n"
        "spark.driver.extraJavaOptions\t-Dsite=2\n")
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    assert _spark_jvm.jvm_settings({}) == {
        "spark.executor.extraJavaOptions": "-XX:+UseG1GC -Dsite=1 -XX:TieredStopAtLevel=1",
        "spark.driver.extraJavaOptions": "-Dsite=2 -XX:TieredStopAtLevel=1"}
    # The job's --conf replaces the file's value, as spark-submit's --conf would.
    got = _spark_jvm.jvm_settings({"spark.executor.extraJavaOptions": "-Dmine=1"})
    assert got["spark.executor.extraJavaOptions"] == "-Dmine=1 -XX:TieredStopAtLevel=1"
    (tmp_path / "spark-defaults.conf").unlink()
    assert _spark_jvm.jvm_settings({})["spark.driver.extraJavaOptions"] == (
        "-XX:TieredStopAtLevel=1")
    # Each role's class-data archive, where the node has one, and Spark's jars
    # before the conf folder on that role's class path.
    jars = os.pathsep.join(_spark_jvm.spark_jars())
    got = _spark_jvm.jvm_settings({"spark.driver.extraJavaOptions": "-Dmine=2"},
                                  {"driver": "/a/d.jsa", "executor": None})
    assert got == {"spark.executor.extraJavaOptions": "-XX:TieredStopAtLevel=1",
                   "spark.driver.extraJavaOptions":
                       "-Dmine=2 -XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=/a/d.jsa",
                   "spark.driver.extraClassPath": jars}
    got = _spark_jvm.jvm_settings({"spark.executor.extraClassPath": "/mine.jar"},
                                  {"driver": None, "executor": "/a/e.jsa"})
    assert got["spark.executor.extraJavaOptions"] == (
        "-XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=/a/e.jsa")
    assert got["spark.executor.extraClassPath"] == "/mine.jar" + os.pathsep + jars
    assert "spark.driver.extraClassPath" not in got
    # Options that choose how classes are shared: neither the archive nor the class path.
    got = _spark_jvm.jvm_settings({"spark.executor.extraJavaOptions": "-Xshare:off"},
                                  {"driver": None, "executor": "/a/e.jsa"})
    assert got == {"spark.executor.extraJavaOptions": "-Xshare:off -XX:TieredStopAtLevel=1",
                   "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


def test_spark_jars_are_the_launchers_entries_in_its_order(tmp_path):
    jars = tmp_path / "jars"
    jars.mkdir()
    for name in ("a.jar", "slf4j-api-2.0.16.jar", "z.jar"):
        (jars / name).write_bytes(b"")
    assert _spark_jvm.spark_jars(str(tmp_path)) == [str(jars / "slf4j-api-2.0.16.jar"),
                                                    str(jars / "*")]
    first = _spark_jvm.jars_first(f"/x.jar{os.pathsep}{jars / '*'}", str(tmp_path))
    assert first.split(os.pathsep) == ["/x.jar", str(jars / "*"),
                                       str(jars / "slf4j-api-2.0.16.jar")]


def test_an_archive_is_added_unless_the_options_choose_how_classes_are_shared():
    assert _spark_jvm.with_archive("", None) == ""
    assert _spark_jvm.with_archive(" -Dx=1 ", "/a.jsa") == "-Dx=1 -XX:SharedArchiveFile=/a.jsa"
    for own in ("-Xshare:off", "-XX:SharedArchiveFile=/mine.jsa", "-XX:ArchiveClassesAtExit=/r"):
        assert _spark_jvm.with_archive(own, "/a.jsa") == own


def test_the_archives_live_in_the_users_cache_or_the_chosen_folder(tmp_path, monkeypatch):
    release = pyspark_release()
    monkeypatch.delenv(spark_jvm_archive.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert spark_jvm_archive.default_path() == str(
        tmp_path / "cache" / "imgfeat" / f"spark-{release}-driver.jsa")
    assert spark_jvm_archive.existing_archive("executor") is None
    monkeypatch.setenv(spark_jvm_archive.ENV, str(tmp_path / "mine"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / f"spark-{release}-executor.jsa").write_bytes(b"x")
    assert spark_jvm_archive.existing_archive("executor") == str(
        tmp_path / "mine" / f"spark-{release}-executor.jsa")
    assert spark_jvm_archive.existing_archive("driver") is None
    monkeypatch.setenv(spark_jvm_archive.ENV, "off")
    assert spark_jvm_archive.existing_archive("executor") is None
    # The model cache's rule (the core's): no absolute $XDG_CACHE_HOME or $HOME, no folder.
    monkeypatch.delenv(spark_jvm_archive.ENV)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "relative")
    assert spark_jvm_archive.default_path() is None
    with pytest.raises(SystemExit, match="no folder for the archives"):
        spark_jvm_archive.main([])


@pytest.mark.spark
def test_a_recording_that_cannot_run_ends_at_its_limit(tmp_path, monkeypatch):
    """The executors' recording on a master that never gives it a core ends
    with one line at the command's limit (here 20 s), its JVM with it, and
    leaves no partial archive; the driver's archive, made first, stays."""
    monkeypatch.setenv(spark_jvm_archive.ENV, str(tmp_path / "archives"))
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    monkeypatch.setattr(spark_jvm_archive, "RECORD_SECONDS", 20)
    with socket.socket() as s:  # a port nothing listens on: no master answers there
        s.bind(("127.0.0.1", 0))
        master = f"spark://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(SystemExit) as ended:
        spark_jvm_archive.main(["--master", master])
    message = str(ended.value)
    assert message.startswith("imgfeat.spark_jvm_archive: ") and message.endswith(
        "executor.jsa: the recording job did not end in 20 s (has the cluster a free core?)")
    assert [p.name for p in (tmp_path / "archives").iterdir()] == [
        f"spark-{pyspark_release()}-driver.jsa"]

    def recorder_left():
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if str(tmp_path).encode() in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes():
                    return True
            except OSError:
                pass
        return False

    wait_for(lambda: not recorder_left(), "the recording JVM to end", timeout=60)


@pytest.mark.spark
def test_a_recording_the_jvm_refuses_says_why_in_one_line(tmp_path, monkeypatch):
    """A folder that holds files on the driver's class path before Spark's
    jars (here the site's spark.driver.extraClassPath): Java archives nothing
    behind it, and the command says so with the JVM's reason."""
    folder = tmp_path / "site-classes"
    folder.mkdir()
    (folder / "settings.xml").write_text("<x/>")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(f"spark.driver.extraClassPath {folder}\n")
    monkeypatch.setenv("SPARK_CONF_DIR", str(conf))
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    monkeypatch.setenv(spark_jvm_archive.ENV, str(tmp_path / "archives"))
    with pytest.raises(SystemExit) as ended:
        spark_jvm_archive.main([])
    archive = tmp_path / "archives" / f"spark-{pyspark_release()}-driver.jsa"
    assert str(ended.value) == (f"imgfeat.spark_jvm_archive: {archive}: the JVM wrote no "
                                f"archive: Error: non-empty directory '{folder}/'")
    assert list((tmp_path / "archives").iterdir()) == []


def pyspark_release():
    import pyspark

    return pyspark.__version__


@pytest.mark.spark
def test_the_driver_starts_from_the_nodes_archive_and_gives_the_same_rows(tmp_path):
    """`python -m imgfeat.spark_jvm_archive` records the driver's archive; the
    job's driver JVM then loads Spark's classes from it, not from the jars,
    also with a conf folder that is not empty (whose settings still apply),
    and the rows are those of a job without it. A damaged archive is ignored
    by the JVM: the job still runs."""
    images = tmp_path / "in" / "Apple"
    images.mkdir(parents=True)
    for f in sample_files("Test", per_class=2):
        os.symlink(f, images / f.name)
    archives = tmp_path / "archives"
    # A conf folder that is not empty, as a real node's (Java refuses an
    # archive behind one): its logging settings still apply.
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "log4j2.properties").write_text(
        "rootLogger.level = warn\nrootLogger.appenderRef.stdout.ref = console\n"
        "logger.context.name = org.apache.spark.SparkContext\nlogger.context.level = info\n"
        "appender.console.type = Console\nappender.console.name = console\n"
        "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = site-conf %p %c{1}: %m%n\n")
    env = dict(imgfeat_env(), SPARK_LOCAL_IP="127.0.0.1", SPARK_CONF_DIR=str(conf))
    env[spark_jvm_archive.ENV] = str(archives)
    made = subprocess.run([sys.executable, "-m", "imgfeat.spark_jvm_archive"], env=env,
                          capture_output=True, text=True, timeout=600)
    archive = archives / f"spark-{pyspark_release()}-driver.jsa"
    assert made.returncode == 0, made.stdout + made.stderr
    assert made.stdout.startswith(f"imgfeat.spark_jvm_archive: {archive} (")
    assert archive.stat().st_size > 1 << 20
    assert [p.name for p in archives.iterdir()] == [archive.name]  # no partial file left

    def job(out, archive_env):
        log = tmp_path / f"{out}-classes.log"
        proc = subprocess.run(
            [sys.executable, "-m", "imgfeat.spark_job", tmp_path / "in", tmp_path / out,
             "--master", "local[1]", "--quiet", "--conf", "spark.ui.enabled=false",
             "--conf", f"spark.driver.extraJavaOptions=-Xlog:class+load=info:file={log}"],
            env=dict(env, **{spark_jvm_archive.ENV: archive_env}), capture_output=True,
            text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert "site-conf INFO SparkContext: Running Spark version" in proc.stderr
        return classes_by_source(log.read_text()), pq.read_table(tmp_path / out).sort_by("path")

    (shared, from_jars), with_archive = job("with", str(archives))
    assert shared > 3000 and from_jars < shared / 10, (shared, from_jars)
    (shared, from_jars), without = job("without", "off")
    assert shared == 0 and from_jars > 3000, (shared, from_jars)
    assert with_archive.num_rows == without.num_rows > 0
    assert with_archive.column("path").equals(without.column("path"))
    np.testing.assert_array_equal(np.stack(with_archive.column("features").to_numpy(False)),
                                  np.stack(without.column("features").to_numpy(False)))
    archive.chmod(0o644)
    archive.write_bytes(b"not an archive")
    (shared, from_jars), damaged = job("damaged", str(archives))
    assert shared == 0 and from_jars > 3000 and damaged.num_rows == without.num_rows


@pytest.mark.spark
def test_a_local_master_runs_its_python_workers_with_the_jobs_python(tmp_path):
    """Without PYSPARK_PYTHON, PySpark would start the workers with python3 on
    the PATH (here one that records that it ran and fails, as a Python
    without imgfeat would)."""
    images = tmp_path / "in" / "Apple"
    images.mkdir(parents=True)
    for f in sample_files("Test", per_class=1):
        os.symlink(f, images / f.name)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(f"#!/bin/sh\ntouch {tmp_path / 'ran'}\nexit 1\n")
    (fake / "python3").chmod(0o755)
    env = {k: v for k, v in imgfeat_env().items()
           if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    env.update(PATH=f"{fake}{os.pathsep}{env['PATH']}", SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.run([sys.executable, "-m", "imgfeat.spark_job", tmp_path / "in",
                           tmp_path / "out", "--master", "local[1]", "--quiet",
                           "--conf", "spark.ui.enabled=false"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (tmp_path / "out" / "_SUCCESS").exists()
    assert not (tmp_path / "ran").exists(), "the workers ran python3 from the PATH"



def test_reducer_from_and_srp_give_the_clis_rows_and_reducer(tmp_path):
    """The job builds the driver's reducer on a thread while the stage runs:
    its _reducer.parquet and rows are still the CLI's, with --reducer-from as
    with the default SRP; a bad --reducer-from file fails before any task."""
    images = tmp_path / "in" / "Apple"
    images.mkdir(parents=True)
    for f in sample_files("Test", per_class=3):
        os.symlink(f, images / f.name)
    env = dict(imgfeat_env(), SPARK_LOCAL_IP="127.0.0.1")

    def job(out, *options):
        return subprocess.run([sys.executable, "-m", "imgfeat.spark_job", tmp_path / "in", out,
                               "--master", "local[1]", "--quiet", "--conf",
                               "spark.ui.enabled=false", *options],
                              env=env, capture_output=True, text=True, timeout=600)

    run_imgfeat("run", tmp_path / "in", tmp_path / "cli", "--components", "32", "--quiet")
    reducer = tmp_path / "cli" / "_reducer.parquet"
    for name, options in (("srp", ["--components", "32"]), ("from", ["--reducer-from", reducer])):
        proc = job(tmp_path / name, *options)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert (tmp_path / name / "_reducer.parquet").read_bytes() == reducer.read_bytes()
        got = pq.read_table(tmp_path / name).sort_by("path")
        want = pq.read_table(tmp_path / "cli").sort_by("path")
        assert got.num_rows == want.num_rows > 0
        np.testing.assert_array_equal(np.stack(got.column("features").to_numpy(False)),
                                      np.stack(want.column("features").to_numpy(False)))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    proc = job(tmp_path / "bad", "--reducer-from", bad)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        f"imgfeat.spark_job: {bad}: not a saved reducer: Parquet magic bytes not found in "
        "footer. Either the file is corrupted or this is not a parquet file."], proc.stderr
    assert not (tmp_path / "bad" / "_SUCCESS").exists()

# Imports from a zip, calls importlib.invalidate_caches() five times (as five
# PySpark tasks would), then rewrites the zip: prints how often the zip's
# directory was read by those calls, and what a module added by the rewrite holds.
_ZIP_READS = r"""
import importlib, sys, zipfile, zipimport
archive, installed = sys.argv[1], sys.argv[2] == "1"
def write(names):
    with zipfile.ZipFile(archive, "w") as z:
        for name in names:
            z.writestr(name + ".py", f"VALUE = {name!r}\n")
write(["first"])
sys.path.insert(0, archive)
if installed:
    from imgfeat._zip_invalidation import read_zips_again_only_when_changed
    read_zips_again_only_when_changed()
reads = []
read_directory = zipimport._read_directory
zipimport._read_directory = lambda path: reads.append(path) or read_directory(path)
import first
reads.clear()
for _ in range(5):
    importlib.invalidate_caches()
print(reads.count(archive))
write(["first", "second"])
importlib.invalidate_caches()
import second
print(second.VALUE)
"""


@pytest.mark.parametrize("installed", [False, True])
def test_a_task_reads_a_zip_on_the_path_again_only_when_it_changed(tmp_path, installed):
    """A PySpark worker calls importlib.invalidate_caches() before each task;
    Python 3.10 and 3.11 then read every zip on the path again (pyspark.zip:
    0.11 s a task). With imgfeat's worker module imported, an unchanged zip is
    read once, and a changed one is still read anew."""
    proc = subprocess.run([sys.executable, "-c", _ZIP_READS, str(tmp_path / "m.zip"),
                           "1" if installed else "0"], env=imgfeat_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    reads, value = proc.stdout.split()
    assert value == "second"
    if (3, 10) <= sys.version_info[:2] < (3, 12):
        assert int(reads) == (1 if installed else 5)
    else:  # read again only when used, by Python itself
        assert int(reads) == 0


def _spark_zips():
    import pyspark

    lib = pathlib.Path(pyspark.__file__).parent / "python" / "lib"
    return [str(lib / "pyspark.zip"), *map(str, sorted(lib.glob("py4j-*-src.zip")))]


def test_the_daemon_imports_the_installed_pyspark_of_the_zips_release(tmp_path):
    zips = _spark_zips()
    assert len(zips) == 2 and all(os.path.exists(z) for z in zips), zips
    path = ["/job", *zips, "/site-packages"]
    assert _spark_daemon.installed_release_first(path)
    assert path == ["/job", "/site-packages", *zips]
    # Another release in either zip: the zips stay first.
    other = tmp_path / "pyspark.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("pyspark/version.py", '__version__: str = "0.0.1"\n')
    path = [str(other), zips[1], "/site-packages"]
    assert not _spark_daemon.installed_release_first(path)
    assert path == [str(other), zips[1], "/site-packages"]
    renamed = tmp_path / "py4j-0.0.1-src.zip"
    renamed.write_bytes(pathlib.Path(zips[1]).read_bytes())
    path = [zips[0], str(renamed)]
    assert not _spark_daemon.installed_release_first(path)
    assert path == [zips[0], str(renamed)]
    assert not _spark_daemon.installed_release_first(["/site-packages"])


@pytest.mark.spark
def test_stopping_the_context_stops_the_accumulator_server_too(monkeypatch):
    """stop_context() stops the context as sc.stop() does, and leaves no
    accumulator server behind, without waiting for it."""
    from pyspark import SparkConf, SparkContext

    from imgfeat import spark_job

    conf = (SparkConf().setMaster("local[1]").setAppName("stop-test")
            .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))
    monkeypatch.setenv("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON") or sys.executable)
    sc = SparkContext(conf=conf)
    try:
        # A task's end sends the driver's accumulator server its updates: its
        # handler now polls the JVM's connection.
        assert sc.parallelize(range(4), 2).map(lambda x: x * 2).sum() == 12
        server = sc._accumulatorServer
        spark_job.stop_context(sc)
        assert SparkContext._active_spark_context is None
        assert server.server_shutdown
        stopping = [t for t in threading.enumerate() if t.name == "accumulator-server-stop"]
        for t in stopping:
            t.join(5)
        assert not any(t.is_alive() for t in stopping)
    finally:
        sc.stop()
