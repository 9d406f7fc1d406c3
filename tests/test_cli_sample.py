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


def test_whole_sample_reduce_none_gives_62720_floats_per_image(tmp_path):
    out = tmp_path / "out"
    run_imgfeat("run", SAMPLE, out, "--reduce", "none", "--quiet")
    table = ds.dataset(out, format="parquet").to_table(columns=["path", "label", "features"])
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
