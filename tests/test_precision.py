"""--precision bf16: close to f32, recorded in the run's parameters, the same
through the CLI and the Python Featurizer, refused cleanly where the CPU lacks
it. f32 itself is the parity tests' business (test_keras_parity.py)."""
import json

import numpy as np
import pyarrow.parquet as pq

from conftest import run_imgfeat, sample_files
from test_resume_and_reuse import kill_after_parts, link_tree

import imgfeat


def rows(out):
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    return dict(zip(table.column("path").to_pylist(),
                    np.array(table.column("features").to_pylist(), dtype=np.float32)))


def cosines(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_bf16_is_close_to_f32_and_recorded(tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=6))
    common = ["--reduce", "none", "--pooling", "avg", "--threads", "2", "--quiet"]
    run_imgfeat("run", root, tmp_path / "f32", *common)
    proc = run_imgfeat("run", root, tmp_path / "bf16", *common, "--precision", "bf16",
                       check=False)
    if proc.returncode != 0:
        # A CPU without native bf16: one clear line, nothing written.
        assert "does not compute bf16 natively" in proc.stderr, proc.stderr
        assert not (tmp_path / "bf16" / "_SUCCESS").exists()
        return
    f32, bf16 = rows(tmp_path / "f32"), rows(tmp_path / "bf16")
    assert sorted(f32) == sorted(bf16)
    paths = sorted(f32)
    a = np.stack([f32[p] for p in paths])
    b = np.stack([bf16[p] for p in paths])
    cos = cosines(a, b)
    assert cos.min() > 0.97 and cos.mean() > 0.98, cos
    assert not np.array_equal(a, b), "bf16 gave f32's numbers: it was not used"

    f32_params = json.loads((tmp_path / "f32" / "_imgfeat.json").read_text())["parameters"]
    bf16_params = json.loads((tmp_path / "bf16" / "_imgfeat.json").read_text())["parameters"]
    assert "precision" not in f32_params
    assert bf16_params["precision"] == "bf16"

    # Resuming an interrupted bf16 run at f32 would mix precisions: refused.
    many = link_tree(tmp_path / "many", sample_files("Test", per_class=30))
    partial = tmp_path / "partial"
    parted = ["--rows-per-part", "8", "--batch", "8"]
    kill_after_parts(many, partial, [*common, *parted, "--precision", "bf16"], parts=1)
    again = run_imgfeat("run", many, partial, *common, *parted, "--resume", check=False)
    assert again.returncode != 0 and "differs" in again.stderr, again.stderr

    # The Python Featurizer at bf16 gives the CLI's bf16 rows.
    featurizer = imgfeat.Featurizer(pooling="avg", threads=2, precision="bf16")
    table = featurizer.featurize(paths, progress=False)
    got = np.array(table.column("features").to_pylist(), dtype=np.float32)
    np.testing.assert_array_equal(got, b)


def test_an_unknown_precision_is_refused_by_name(tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=1))
    proc = run_imgfeat("run", root, tmp_path / "out", "--precision", "fp8", check=False)
    assert proc.returncode != 0
    assert "precision" in proc.stderr and "fp8" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
