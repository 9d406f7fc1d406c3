"""--precision bf16 and int8: close to f32, recorded in the run's parameters,
the same through the CLI and the Python Featurizer, refused cleanly where the
CPU lacks it; int8's model made by 'imgfeat models quantize' (NNCF). f32 itself is the parity tests' business (test_keras_parity.py)."""
import hashlib
import json
import pathlib
import sys

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


def quantize(models, calibration, images):
    """`imgfeat models quantize` into `models`, NNCF running in the tests' Python."""
    proc = run_imgfeat("models", "quantize", "--calibration", calibration, "--images", images,
                       "--model-dir", models, "--python", sys.executable)
    folder = pathlib.Path(proc.stdout.strip())
    assert folder.parent == models / "int8", proc.stdout
    return folder, json.loads((folder / "quantized.json").read_text())


def test_int8_quantized_once_then_run_like_f32(tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=6))
    calibration = link_tree(tmp_path / "calibration", sample_files("Train", per_class=5))
    models = tmp_path / "models"
    common = ["--reduce", "none", "--pooling", "avg", "--threads", "2", "--quiet",
              "--model-dir", models]

    # Before 'models quantize': one line that says how to make the model.
    proc = run_imgfeat("run", root, tmp_path / "early", *common, "--precision", "int8",
                       check=False)
    assert proc.returncode != 0 and "imgfeat models quantize" in proc.stderr, proc.stderr
    assert not (tmp_path / "early" / "_SUCCESS").exists()

    folder, record = quantize(models, calibration, 16)
    f32_file = pathlib.Path(imgfeat.Featurizer(threads=1).model_path)
    f32_sha = hashlib.sha256(f32_file.read_bytes()).hexdigest()
    assert record["source"]["sha256"] == f32_sha and folder.name == f32_sha[:16]
    assert record["calibration"]["images"] == 16 and record["precision"] == "int8"
    for name in ("model.xml", "model.bin"):
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == record["files"][name]
    assert not list(models.glob("int8/.*")), "a temporary folder was left behind"

    run_imgfeat("run", root, tmp_path / "f32", *common)
    run_imgfeat("run", root, tmp_path / "int8", *common, "--precision", "int8")
    f32, int8 = rows(tmp_path / "f32"), rows(tmp_path / "int8")
    paths = sorted(f32)
    assert sorted(int8) == paths
    a = np.stack([f32[p] for p in paths])
    b = np.stack([int8[p] for p in paths])
    cos = cosines(a, b)
    assert cos.min() > 0.8 and cos.mean() > 0.9, cos
    assert not np.array_equal(a, b), "int8 gave f32's numbers: the quantized model was not run"

    manifest = json.loads((tmp_path / "int8" / "_imgfeat.json").read_text())
    assert manifest["parameters"]["precision"] == "int8"
    int8_sha = manifest["parameters"]["model"]["int8_sha256"]
    assert manifest["model"]["int8"]["file"] == str(folder / "model.xml")
    assert manifest["model"]["int8"]["sha256"] == int8_sha

    # The Python Featurizer finds the same model and gives the CLI's rows.
    featurizer = imgfeat.Featurizer(pooling="avg", threads=2, precision="int8",
                                    model_dir=str(models))
    table = featurizer.featurize(paths, progress=False)
    np.testing.assert_array_equal(
        np.array(table.column("features").to_pylist(), dtype=np.float32), b)

    # An interrupted int8 run resumed after the model was quantized again
    # (another calibration) would mix two models: refused.
    many = link_tree(tmp_path / "many", sample_files("Test", per_class=30))
    partial = tmp_path / "partial"
    parted = ["--rows-per-part", "8", "--batch", "8", "--precision", "int8"]
    kill_after_parts(many, partial, [*common, *parted], parts=1)
    # Quantized again, from Python this time (the same step: imgfeat.quantize_model).
    again = pathlib.Path(imgfeat.quantize_model(calibration, images=8, model_dir=models))
    assert again == folder
    again_record = json.loads((folder / "quantized.json").read_text())
    assert again_record["calibration"]["images"] == 8
    assert again_record["files"]["model.bin"] != record["files"]["model.bin"]
    again = run_imgfeat("run", many, partial, *common, *parted, "--resume", check=False)
    assert again.returncode != 0 and "differs" in again.stderr, again.stderr

    # A damaged model is refused by name, not run.
    with open(folder / "model.bin", "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    proc = run_imgfeat("run", root, tmp_path / "damaged", *common, "--precision", "int8",
                       check=False)
    assert proc.returncode != 0 and "damaged" in proc.stderr and str(folder) in proc.stderr, \
        proc.stderr


def test_quantize_refuses_a_bad_image_count_before_any_work(tmp_path):
    calibration = link_tree(tmp_path / "calibration", sample_files("Train", per_class=1))
    for count, message in [("0", "--images must be from 1 to 5000"),
                           ("5001", "--images must be from 1 to 5000"),
                           ("many", "--images needs a number")]:
        proc = run_imgfeat("models", "quantize", "--calibration", calibration, "--images", count,
                           "--model-dir", tmp_path / "models", check=False)
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "models").exists()
