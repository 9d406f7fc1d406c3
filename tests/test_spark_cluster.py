"""`python -m imgfeat.spark_job` on a real Spark standalone cluster (a master
and two one-core workers on 127.0.0.1, each a JVM started here, executors in
JVMs of their own with Python workers): the CLI's output for the same input,
an executor killed with SIGKILL mid-job, S3 in and out, PCA fitted on the
cluster. One cluster serves every test; it is stopped even when one fails."""
import json
import os
import pathlib
import re
import shutil
import signal
import sys

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import imgfeat.spark

from conftest import ROOT, SAMPLE, run_imgfeat, sample_files, wait_for
from s3_fixtures import CREDENTIALS, arrow_s3, moto_server, s3_client
from spark_cluster import LOG4J_PATTERN, SparkCluster, classes_by_source

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    cluster = SparkCluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def link_tree(root, files, broken=True):
    """A folder of links to `files` (label folders kept) and one broken image."""
    for f in files:
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    if broken:
        (root / "broken").mkdir()
        (root / "broken" / "bad.jpg").write_bytes(b"not a jpeg")
    return root


def read_dir(location, endpoint=None):
    """(rows sorted by path, errors sorted by path, manifest, file names)."""
    if str(location).startswith("s3://"):
        fs, path = arrow_s3(endpoint), str(location)[5:]
        names = {i.base_name for i in fs.get_file_info(__import__("pyarrow.fs").fs.FileSelector(
            path, recursive=True))}
        rows = ds.dataset(path, filesystem=fs, format="parquet").to_table()
        errors = pq.read_table(f"{path}/_errors.parquet", filesystem=fs)
        with fs.open_input_stream(f"{path}/_imgfeat.json") as f:
            manifest = json.loads(f.read())
    else:
        location = pathlib.Path(location)
        names = {p.name for p in location.iterdir()}
        rows = ds.dataset(location, format="parquet").to_table()
        errors = pq.read_table(location / "_errors.parquet")
        manifest = json.loads((location / "_imgfeat.json").read_text())
    return rows.sort_by("path"), errors.sort_by("path"), manifest, names


def assert_same_output(cli, spark, endpoint=None, exact=True):
    """The Spark output has the CLI's files, schema, rows, labels, errors,
    manifest keys and (exact) the same features bit for bit; the same
    embedding (--embedding) bit for bit in any case."""
    c_rows, c_errors, c_manifest, c_names = read_dir(cli, endpoint)
    s_rows, s_errors, s_manifest, s_names = read_dir(spark, endpoint)
    # The CLI's files (but the distortion sample, which a Spark run does not write).
    expected = {n for n in c_names if n.startswith("_") and n != "_distortion.parquet"}
    assert expected <= s_names and any(n.startswith("part-") for n in s_names), (c_names, s_names)
    assert not any(n.startswith("_temporary") for n in s_names), s_names
    assert s_rows.schema.equals(c_rows.schema, check_metadata=False)
    paths = s_rows.column("path").to_pylist()
    assert len(paths) == len(set(paths)), "a row appears twice"
    assert paths == c_rows.column("path").to_pylist()
    assert s_rows.column("label").equals(c_rows.column("label"))
    assert s_rows.column("modification_time").equals(c_rows.column("modification_time"))
    assert s_rows.column("length").equals(c_rows.column("length"))
    if exact:
        assert s_rows.column("features").equals(c_rows.column("features"))
    if "embedding" in c_rows.schema.names:
        assert s_rows.column("embedding").equals(c_rows.column("embedding"))
    assert s_errors.equals(c_errors)
    assert set(c_manifest) <= set(s_manifest)
    for key in ("parameters", "model") + (("reducer",) if exact else ()):
        assert s_manifest[key] == c_manifest[key], key
    c_counts = dict(c_manifest["counts"])
    assert s_manifest["counts"] == c_counts
    return s_rows, c_rows


def load_counts(log_dir):
    """{pid: compilations} from IMGFEAT_SPARK_LOAD_LOG files."""
    return {int(p.name[6:-4]): len(p.read_text().splitlines())
            for p in pathlib.Path(log_dir).glob("loads-*.txt")}


def test_spark_job_equals_cli_on_the_sample(cluster, tmp_path):
    """The whole sample (2,624 images): Spark's output is the CLI's, SRP
    features bit for bit; each Python worker compiled the model once."""
    cli = tmp_path / "cli"
    run_imgfeat("run", SAMPLE, cli, "--quiet", "--neighbours")
    loads = tmp_path / "loads"
    loads.mkdir()
    out = tmp_path / "spark"
    cluster.run(SAMPLE, out, "--neighbours",
                conf=[f"spark.executorEnv.IMGFEAT_SPARK_LOAD_LOG={loads}"])
    rows, _ = assert_same_output(cli, out)
    # --neighbours: the driver finds the same neighbours as the CLI.
    want, got = (pd.read_parquet(o / "_neighbours.parquet").sort_values(["path", "rank"])
                 .reset_index(drop=True) for o in (cli, out))
    assert len(got) == len(want) == 2624 * 10
    assert (got.path == want.path).all() and (got["rank"] == want["rank"]).all()
    assert np.allclose(got.cosine, want.cosine, atol=1e-6)
    assert (got.neighbour == want.neighbour).mean() > 0.999  # equal cosines may swap
    assert rows.num_rows == 2624
    # The default tasks, largest first, one part file each.
    tasks = len(imgfeat.spark.task_sizes(2624, 2))
    job = json.loads((out / "_imgfeat.json").read_text())["spark"]
    assert job["partitions"] == tasks
    # The executors' JVMs ran with the C1 compiler alone (imgfeat/_spark_jvm.py).
    launched = [p.read_text().split("\n", 1)[0]
                for p in cluster.root.glob(f"work-*/{job['application_id']}/*/stderr")]
    assert launched and all("Spark Executor Command" in line and "-XX:TieredStopAtLevel=1" in line
                            for line in launched), launched
    assert len(list(out.glob("part-*.parquet"))) == tasks
    counts = load_counts(loads)
    # Two one-core executors ran the tasks: a few Python workers, each of which
    # compiled the model exactly once and kept it for its later tasks.
    assert counts and all(n == 1 for n in counts.values()), counts
    assert len(counts) < tasks, counts
    # The executors' Python daemons imported the installed PySpark, the same
    # release as Spark's pyspark.zip, rather than the zip (imgfeat/_spark_daemon.py).
    daemons = [p.read_text().strip() for p in loads.glob("daemon-*.txt")]
    assert daemons and all(".zip" not in d and d.endswith(os.path.join("pyspark", "daemon.py"))
                           for d in daemons), daemons


def test_executor_killed_mid_job(cluster, tmp_path):
    """SIGKILL of one executor JVM while tasks run: the job still completes,
    every image once, with the CLI's features."""
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=24))
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, "--components", "64", "--quiet")
    out = tmp_path / "spark"
    job = cluster.submit(root, out, "--components", "64", "--partitions", "16",
                         log_name="executor-kill")
    attempts = out / "_temporary" / "spark" / "features"

    def executors_once_a_task_is_done():
        done = attempts.is_dir() and list(attempts.glob("p*-a*/part-*.parquet"))
        return cluster.executor_pids() if done else []

    victim = wait_for(executors_once_a_task_is_done, "a finished task with executors running",
                      proc=job)[0]
    os.kill(victim, signal.SIGKILL)
    assert not (out / "_SUCCESS").exists(), "killed after the job, not during it"
    job.wait(600)
    assert job.returncode == 0, job.log_path.read_text()[-4000:]
    assert victim not in cluster.executor_pids()
    rows, cli_rows = assert_same_output(cli, out)
    assert rows.num_rows == cli_rows.num_rows == 24 * len({f.parent for f in
                                                            sample_files("Test", 24)})


@pytest.mark.s3
def test_s3_in_and_out(cluster, tmp_path):
    """s3:// INPUT and OUTPUT on a local S3 server, read and written by the
    executors through imgfeat's own S3 client: the CLI's output, raw
    features (--reduce none) bit for bit."""
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="images")
        s3.create_bucket(Bucket="features")
        files = sample_files("Test", per_class=6)
        for f in files:
            s3.put_object(Bucket="images", Key=f"sample/{f.parent.name}/{f.name}",
                          Body=f.read_bytes())
        s3.put_object(Bucket="images", Key="sample/broken/bad.jpg", Body=b"not a jpeg")
        flags = ["--reduce", "none", "--s3-endpoint", endpoint]
        run_imgfeat("run", "s3://images/sample", "s3://features/cli", *flags, "--quiet",
                    env=CREDENTIALS)
        cluster.run("s3://images/sample", "s3://features/spark", *flags, "--partitions", "4",
                    log_name="driver-s3")
        rows, _ = assert_same_output("s3://features/cli", "s3://features/spark", endpoint)
        assert rows.num_rows == len(files)
        parts = [k for k in keys_of(s3, "spark/") if k.rsplit("/", 1)[1].startswith("part-")]
        assert len(parts) >= 2  # one or more per task
        assert all(p.startswith("s3://images/sample/") for p in rows.column("path").to_pylist())
        keys = keys_of(s3, "spark/")
        assert not [k for k in keys if "_temporary" in k], keys
        assert s3.list_multipart_uploads(Bucket="features").get("Uploads", []) == []


def test_pca_fitted_on_the_cluster_is_the_clis(cluster, tmp_path):
    """--reduce pca: partial states per partition merged by treeReduce, the
    CLI's randomized PCA (same seed, oversampling, power iterations): on the
    sample's Test images, k = 64, every component within |cos| >= 0.9999 of
    the CLI's and every explained variance within 1e-4 relative; with
    --embedding, carried through the raw parts, the CLI's bit for bit."""
    import imgfeat

    root = link_tree(tmp_path / "in", sample_files("Test"))
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, "--reduce", "pca", "--components", "64", "--embedding",
                "--quiet")
    out = tmp_path / "spark"
    cluster.run(root, out, "--reduce", "pca", "--components", "64", "--partitions", "5",
                "--embedding", log_name="driver-pca")
    spark_fit = imgfeat.load_reducer(out / "_reducer.parquet")._impl.pca_state()
    cli_fit = imgfeat.load_reducer(cli / "_reducer.parquet")._impl.pca_state()
    got, want = np.asarray(spark_fit["components"]), np.asarray(cli_fit["components"])
    assert got.shape == want.shape == (64, 62720)
    cosines = np.abs(np.sum(got * want, axis=1)) / (
        np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    assert cosines.min() >= 0.9999, cosines.min()
    np.testing.assert_allclose(spark_fit["explained_variance"], cli_fit["explained_variance"],
                               rtol=1e-4)
    rows, cli_rows = assert_same_output(cli, out, exact=False)
    assert rows.schema.names[-1] == "embedding" and rows.column("embedding").null_count == 0
    got = np.stack(rows.column("features").to_numpy(zero_copy_only=False))
    want = np.stack(cli_rows.column("features").to_numpy(zero_copy_only=False))
    signs = np.sign(np.sum(got * want, axis=0))
    np.testing.assert_allclose(got * signs, want, rtol=0, atol=1e-3 * np.abs(want).max())


def keys_of(s3, prefix):
    return [o["Key"] for o in s3.list_objects_v2(Bucket="features", Prefix=prefix)
            .get("Contents", [])]


def matrix(column):
    return np.stack(column.to_numpy(zero_copy_only=False)).astype(np.float32)


def test_dataframe_api(cluster, tmp_path):
    """imgfeat.spark.featurize on a binaryFile DataFrame and on a `path`
    column (SRP on the executors: the CLI's rows, bit for bit, and with
    embedding=True its --embedding; the bad image an error row), fit_pca and transform on the cluster (the CLI's PCA)."""
    root = tmp_path / "in"
    for f in sample_files("Test", per_class=4):
        (root / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, root / f.parent.name / f.name)
    (root / "broken").mkdir()
    (root / "broken" / "bad.jpg").write_bytes(b"not a jpeg")
    cli, cli_pca = tmp_path / "cli", tmp_path / "cli-pca"
    run_imgfeat("run", root, cli, "--components", "32", "--embedding", "--quiet")
    run_imgfeat("run", root, cli_pca, "--reduce", "pca", "--components", "4", "--quiet")
    out = tmp_path / "api"
    out.mkdir()
    driver = cluster.submit_command([sys.executable, ROOT / "tests" / "tools" /
                                     "spark_api_driver.py", cluster.url, root, out],
                                    log_name="driver-api")
    cluster.wait(driver)
    want, want_errors, _, _ = read_dir(cli)
    for name in ("binary_srp", "path_srp"):
        got = pq.read_table(out / f"{name}.parquet").sort_by("path")
        ok = got.filter(pc.is_null(got.column("error")))
        assert ok.column("path").to_pylist() == want.column("path").to_pylist(), name
        assert ok.column("label").to_pylist() == want.column("label").to_pylist(), name
        assert ok.column("length").to_pylist() == want.column("length").to_pylist(), name
        np.testing.assert_array_equal(matrix(ok.column("features")),
                                      matrix(want.column("features")))
        if name == "path_srp":  # embedding=True: --embedding's numbers
            np.testing.assert_array_equal(matrix(ok.column("embedding")),
                                          matrix(want.column("embedding")))
        else:
            assert "embedding" not in got.column_names
        bad = got.filter(pc.is_valid(got.column("error")))
        assert bad.column("path").to_pylist() == want_errors.column("path").to_pylist()
        assert bad.column("error").to_pylist() == want_errors.column("error").to_pylist()
        assert bad.column("stage").to_pylist() == want_errors.column("stage").to_pylist()
        assert bad.column("features").null_count == bad.num_rows
    fitted = json.loads((out / "pca.json").read_text())
    cli_fit = json.loads((cli_pca / "_imgfeat.json").read_text())["reducer"]
    np.testing.assert_allclose(fitted["explained_variance"][:2],
                               cli_fit["explained_variance"][:2], rtol=1e-3)
    pca_rows = pq.read_table(out / "pca.parquet").sort_by("path")
    cli_rows = ds.dataset(cli_pca, format="parquet").to_table().sort_by("path")
    assert pca_rows.column("path").to_pylist() == cli_rows.column("path").to_pylist()
    got, want_pca = matrix(pca_rows.column("features")), matrix(cli_rows.column("features"))
    signs = np.sign(np.sum(got * want_pca, axis=0))
    np.testing.assert_allclose((got * signs)[:, :2], want_pca[:, :2], rtol=0,
                               atol=1e-2 * np.abs(want_pca).max())


def test_shards_give_the_clis_output(cluster, tmp_path):
    """Loose files, WebDataset tar shards, a Parquet shard and a broken shard
    under one INPUT: the job splits the work by shard and its output is the
    CLI's (rows, labels from --label-field, errors naming shard and sample,
    --embedding before the --keep-columns)."""
    import io
    import tarfile

    import pyarrow as pa

    files = sample_files("Train", per_class=20)
    assert len(files) >= 70
    root = link_tree(tmp_path / "in", files[:20])
    (root / "shards").mkdir()
    for n in range(3):
        with tarfile.open(root / "shards" / f"{n:05d}.tar", "w") as t:
            for i, f in enumerate(files[20 + 10 * n:30 + 10 * n]):
                for name, data in ((f"{i:04d}.jpg", f.read_bytes()),
                                   (f"{i:04d}.cls", f.parent.name.encode())):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
    whole = (root / "shards" / "00002.tar").read_bytes()
    (root / "shards" / "00002.tar").write_bytes(whole[:len(whole) * 2 // 3])  # cut short
    rest = files[50:]
    pq.write_table(pa.table({"jpg": [f.read_bytes() for f in rest],
                             "key": [f"{f.parent.name}-{f.stem}" for f in rest],
                             "cls": [f.parent.name for f in rest]}),
                   root / "shards" / "hf.parquet", row_group_size=5)
    args = ["--label-field", "cls", "--keep-columns", "cls,key", "--components", "64",
            "--embedding", "--quiet"]
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, *args)
    out = tmp_path / "spark"
    # Every row group of hf.parquet its own task's slice.
    cluster.run(root, out, *args, "--partitions", "4", "--split-parquet-bytes", "1")
    rows, cli_rows = assert_same_output(cli, out)
    assert rows.schema.names[4:] == ["features", "embedding", "cls", "key"]
    paths = rows.column("path").to_pylist()
    assert sum("#" in p for p in paths) > 40 and any(".parquet#" in p for p in paths)
    for kept in ("cls", "key"):  # --keep-columns: the CLI's values
        assert rows.column(kept).equals(cli_rows.column(kept)), kept
    assert rows.column("cls").null_count == 20 and rows.column("key").null_count > 20
    errors = pq.read_table(out / "_errors.parquet").column("path").to_pylist()
    assert any("00002.tar#" in p for p in errors), errors

    # imgfeat.spark.featurize on imgfeat.spark.listing's frame and on a frame of paths.
    api = tmp_path / "api"
    api.mkdir()
    driver = cluster.submit_command([sys.executable, ROOT / "tests" / "tools" /
                                     "spark_shards_driver.py", cluster.url, root, api],
                                    log_name="driver-shards-api")
    cluster.wait(driver)
    groups = pq.ParquetFile(root / "shards" / "hf.parquet").metadata.num_row_groups
    assert groups > 3
    others = sum(1 for p in root.rglob("*") if p.is_file() and p.suffix != ".parquet")
    assert int((api / "listed.txt").read_text()) == others + groups  # a row per slice
    want, want_errors, _, _ = read_dir(cli)
    for name in ("listing", "paths"):
        got = pq.read_table(api / f"{name}.parquet").sort_by("path")
        ok = got.filter(pc.is_null(got.column("error")))
        assert ok.column("path").to_pylist() == want.column("path").to_pylist(), name
        assert ok.column("label").to_pylist() == want.column("label").to_pylist(), name
        assert ok.column("length").to_pylist() == want.column("length").to_pylist(), name
        if name == "listing":
            assert ok.column("modification_time").equals(want.column("modification_time"))
        np.testing.assert_array_equal(matrix(ok.column("features")),
                                      matrix(want.column("features")))
        for kept in ("cls", "key"):
            assert ok.column(kept).to_pylist() == want.column(kept).to_pylist(), (name, kept)
        bad = got.filter(pc.is_valid(got.column("error")))
        assert bad.column("path").to_pylist() == want_errors.column("path").to_pylist(), name
        assert bad.column("error").to_pylist() == want_errors.column("error").to_pylist(), name


def test_driver_killed_then_resume(cluster, tmp_path):
    """SIGKILL of the driver mid-job leaves an incomplete output (no
    _SUCCESS, no part of a half-done stage); --resume completes it: every
    image once, the CLI's features, no attempt left behind."""
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=12))
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, "--components", "64", "--quiet")
    out = tmp_path / "spark"
    job = cluster.submit(root, out, "--components", "64", "--partitions", "12",
                         log_name="driver-resume-1")
    attempts = out / "_temporary" / "spark" / "features"
    wait_for(lambda: attempts.is_dir() and list(attempts.glob("p*-a*/part-*.parquet")),
             "a finished task", proc=job)
    assert job.poll() is None, "the job ended before its driver could be killed"
    cluster.kill(job)
    assert not (out / "_SUCCESS").exists()
    assert not list(out.glob("part-*.parquet"))
    cluster.run(root, out, "--components", "64", "--resume", log_name="driver-resume-2")
    assert_same_output(cli, out)
    assert not (out / "_temporary").exists()


def test_spark_submit_of_the_installed_file(cluster, tmp_path):
    """`spark-submit .../imgfeat/spark_job.py` as docs/SPARK.md writes it: the
    file runs as a script (no package for its relative imports) and gives the
    CLI's output."""
    import subprocess

    import pyspark

    root = tmp_path / "in"
    for f in sample_files("Test", per_class=5):
        (root / f.parent.name).mkdir(parents=True, exist_ok=True)
        os.symlink(f, root / f.parent.name / f.name)
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, "--quiet")
    script = subprocess.run([sys.executable, "-c",
                             "import imgfeat.spark_job as j; print(j.__file__)"],
                            env=cluster.env, capture_output=True, text=True, check=True)
    spark_submit = pathlib.Path(pyspark.__file__).parent / "bin" / "spark-submit"
    out = tmp_path / "spark"
    proc = cluster.submit_command(
        [spark_submit, "--master", cluster.url, "--conf", "spark.ui.enabled=false",
         "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.executor.cores=1",
         "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
         script.stdout.strip(), root, out, "--quiet"], log_name="spark-submit")
    cluster.wait(proc)
    rows, _ = assert_same_output(cli, out)
    assert rows.num_rows == 20


def test_executors_start_from_the_nodes_archive(cluster, tmp_path, monkeypatch):
    """`python -m imgfeat.spark_jvm_archive --master URL` records the driver's
    archive and, through an executor of the cluster, the executors' (their
    class path is the cluster's own); the job's executors then load Spark's
    classes from it, and the output is still the CLI's."""
    import subprocess

    import pyspark

    from imgfeat import spark_jvm_archive

    archives = tmp_path / "archives"
    monkeypatch.setitem(cluster.env, spark_jvm_archive.ENV, str(archives))
    made = subprocess.run([sys.executable, "-m", "imgfeat.spark_jvm_archive", "--master",
                           cluster.url], env=cluster.env, capture_output=True, text=True,
                          timeout=600)
    assert made.returncode == 0, made.stdout + made.stderr
    names = {f"spark-{pyspark.__version__}-{role}.jsa" for role in ("driver", "executor")}
    assert {p.name for p in archives.iterdir()} == names
    assert len(made.stdout.strip().splitlines()) == 2, made.stdout
    files = sample_files("Test", per_class=2)
    root = link_tree(tmp_path / "in", files)
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, "--quiet")
    logs = tmp_path / "classes"
    logs.mkdir()
    out = tmp_path / "spark"
    cluster.run(root, out, conf=["spark.executor.extraJavaOptions="
                                 f"-Xlog:class+load=info:file={logs}/executor-%p.log"],
                log_name="archive")
    rows, _ = assert_same_output(cli, out)
    assert rows.num_rows == len(files)
    # The cluster's conf folder (not empty, as a real one) still applies.
    application = json.loads((out / "_imgfeat.json").read_text())["spark"]["application_id"]
    logged = [p.read_text() for p in cluster.root.glob(f"work-*/{application}/*/stderr")]
    assert logged and all(re.search(LOG4J_PATTERN, text) for text in logged), logged
    counted = [p.read_text() for p in logs.glob("executor-*.log")]
    assert counted
    for text in counted:
        shared, from_jars = classes_by_source(text)
        assert shared > 3000 and from_jars < shared / 10, (shared, from_jars)
