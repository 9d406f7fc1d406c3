"""The CLI on the real sample: shapes, the default SRP against scikit-learn,
and the progress bar a person sees in a terminal."""
import os
import pty
import subprocess

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from conftest import IMGFEAT, SAMPLE, imgfeat_env, run_imgfeat, sample_files


def link_tree(root, files):
    for f in files:
        dst = root / f.parent.parent.name / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    return root


def test_whole_sample_reduce_none_gives_62720_floats_per_image(sample_raw_features):
    _, table = sample_raw_features
    assert table.num_rows == 2624
    lengths = pc.list_value_length(table.column("features")).unique().to_pylist()
    assert lengths == [62720]
    assert set(table.column("label").unique().to_pylist()) == {"apple", "lemon", "mango",
                                                               "raspberry"}
    flat = pc.list_flatten(table.column("features").slice(0, 50)).to_numpy()
    assert np.isfinite(flat).all() and flat.min() >= 0 and flat.max() <= 6.0  # ReLU6


def test_pooling_avg_gives_1280_floats_equal_to_the_mean_of_the_grid(tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=4))
    run_imgfeat("run", root, tmp_path / "full", "--reduce", "none", "--quiet")
    run_imgfeat("run", root, tmp_path / "avg", "--reduce", "none", "--pooling", "avg",
                "--quiet")
    full = ds.dataset(tmp_path / "full").to_table().sort_by("path")
    avg = ds.dataset(tmp_path / "avg").to_table().sort_by("path")
    f = np.array(full.column("features").to_pylist(), dtype=np.float64).reshape(-1, 49, 1280)
    a = np.array(avg.column("features").to_pylist(), dtype=np.float32)
    assert a.shape == (16, 1280)
    np.testing.assert_allclose(a, f.mean(axis=1), rtol=1e-5, atol=1e-6)


def test_default_run_is_the_notebook_srp_of_the_features(tmp_path):
    """imgfeat run (default: --reduce srp --components auto --seed 42) equals
    scikit-learn's SparseRandomProjection applied to imgfeat's raw features."""
    from sklearn.random_projection import SparseRandomProjection, johnson_lindenstrauss_min_dim
    files = sample_files("Test", per_class=5)
    root = link_tree(tmp_path / "in", files)
    run_imgfeat("run", root, tmp_path / "raw", "--reduce", "none", "--quiet")
    run_imgfeat("run", root, tmp_path / "srp", "--quiet")
    raw = ds.dataset(tmp_path / "raw").to_table().sort_by("path")
    srp = ds.dataset(tmp_path / "srp").to_table().sort_by("path")
    x = np.array(raw.column("features").to_pylist(), dtype=np.float32)
    got = np.array(srp.column("features").to_pylist(), dtype=np.float64)
    k = johnson_lindenstrauss_min_dim(len(files), eps=0.1)
    assert got.shape == (len(files), k)
    want = SparseRandomProjection(n_components=k, random_state=42).fit_transform(x)
    want = np.asarray(want, dtype=np.float64)
    err = np.linalg.norm(got - want, axis=1) / np.linalg.norm(want, axis=1)
    assert err.max() <= 1e-5, err.max()


def test_progress_bar_on_a_terminal_and_silence_otherwise(tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=6))
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(str(IMGFEAT), [str(IMGFEAT), "run", str(root), str(tmp_path / "tty"),
                                 "--reduce", "none", "--pooling", "avg", "--batch", "1"],
                  imgfeat_env())
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    screen = b"".join(chunks).decode(errors="replace")
    assert "24/24 images" in screen and "img/s" in screen and "\r" in screen

    proc = run_imgfeat("run", root, tmp_path / "pipe", "--reduce", "none", "--pooling", "avg")
    assert "img/s" not in proc.stderr and "\r" not in proc.stderr


def test_every_output_file_reads_with_pandas_and_pyarrow(tmp_path):
    import json

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=3))
    (root / "x" / "y").mkdir(parents=True)
    (root / "x" / "y" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out = tmp_path / "out"
    run_imgfeat("run", root, out, "--components", "32", "--quiet")

    want = pa.schema([pa.field("path", pa.string(), nullable=False),
                      pa.field("label", pa.string(), nullable=False),
                      pa.field("modification_time", pa.timestamp("us", tz="UTC"), nullable=False),
                      pa.field("length", pa.int64(), nullable=False),
                      pa.field("features", pa.list_(pa.field("element", pa.float32(),
                                                             nullable=False)), nullable=False)])
    table = ds.dataset(out, format="parquet").to_table()
    assert table.schema.remove_metadata().equals(want), table.schema
    df = pd.read_parquet(out)
    assert len(df) == 12 and set(df.columns) == {"path", "label", "modification_time", "length",
                                                   "features"}
    assert all(len(v) == 32 for v in df["features"])
    for _, row in df.iterrows():
        stat = os.stat(row["path"])
        assert row["length"] == stat.st_size
        assert int(row["modification_time"].value // 1000) == stat.st_mtime_ns // 1000

    errors = pd.read_parquet(out / "_errors.parquet")
    assert list(errors.columns) == ["path", "stage", "error"]
    assert errors["path"].tolist() == [str(root / "x" / "y" / "broken.png")]

    reducer = pq.read_table(out / "_reducer.parquet")
    assert reducer.schema.metadata[b"imgfeat.reducer.kind"] == b"srp"
    manifest = json.loads((out / "_imgfeat.json").read_text())
    assert manifest["counts"]["rows_written"] == 12 and manifest["counts"]["errors"] == 1
    assert manifest["reducer"]["n_components"] == 32 and manifest["reducer"]["seed"] == 42
    assert manifest["model"]["sha256"] == manifest["parameters"]["model"]["sha256"]
    assert {"version", "created", "parameters", "engine", "timings"} <= set(manifest)
    assert (out / "_SUCCESS").exists() and not (out / "_temporary").exists()
