"""MobileNetV2 from Keras' own weight file on a machine without the shared
models: a file in Keras' legacy HDF5 layout, written here from Keras with the
TF-slim tensors (tests/keras_legacy_h5.py), is served from a real HTTP server
on 127.0.0.1 (through $IMGFEAT_MODEL_MIRROR, as a mirror of
storage.googleapis.com), fetched and converted by the CLI into an empty cache,
and must give the reference ONNX model's features on real images. Weights that
do not reproduce the recorded features, a damaged file and Keras 3's own
`.weights.h5` layout are refused with one line, leaving nothing in the cache."""
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pyarrow.dataset as ds
import pytest

import keras_oracle
from conftest import IMGFEAT, MODELS, sample_files
from http_fixtures import cached_files, dead_url, serve  # noqa: F401 (serve: a fixture)
from keras_legacy_h5 import write_legacy_h5

# Keras 3 under numpy 2 warns on each weight it converts (its own code, not
# imgfeat's): 520 lines of noise per run.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

H5_NAME = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
MODEL_FILE = "mobilenet_v2_1.0_224/mobilenet_v2_1.0_224_no_top_nhwc.onnx"
# Keras' published file is 9,406,464 bytes; the same layout written here
# differs only in a few names (Keras 3's "input_layer", the version string).
PUBLISHED_SIZE = 9_406_464


@pytest.fixture(scope="module")
def keras_model():
    return keras_oracle.build_model()


@pytest.fixture(scope="module")
def keras_h5(keras_model, tmp_path_factory):
    """A folder holding Keras' MobileNetV2 weights under the published name."""
    folder = tmp_path_factory.mktemp("keras_h5")
    write_legacy_h5(keras_model, folder / H5_NAME)
    return folder


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Real sample images, four of each class, copied under their class folders."""
    root = tmp_path_factory.mktemp("images")
    for f in sample_files("Test", per_class=4):
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(f, dst)
    return root


def fresh_env(cache, mirror):
    """A machine without the shared models: only the (empty) cache and a mirror."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("IMGFEAT_MODEL_DIR", "IMGFEAT_MODEL_MIRROR")}
    env["XDG_CACHE_HOME"] = str(cache)
    env["IMGFEAT_MODEL_MIRROR"] = mirror
    return env


def imgfeat(env, *args, timeout=600):
    assert IMGFEAT.exists(), f"{IMGFEAT} is not built"
    return subprocess.run([str(IMGFEAT), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def raw_features(env, images, out, *extra):
    proc = imgfeat(env, "run", images, out, "--reduce", "none", "--quiet", "--overwrite", *extra)
    assert proc.returncode == 0, proc.stderr
    table = ds.dataset(out, format="parquet").to_table(columns=["path", "features"])
    table = table.sort_by("path")
    return table.column("path").to_pylist(), np.array(table.column("features").to_pylist(),
                                                      dtype=np.float32)


def assert_one_line_refusal(proc, *words):
    assert proc.returncode == 1, proc.stderr
    message = proc.stderr.strip()
    assert "\n" not in message, message
    for word in words:
        assert word in message, message
    return message


def test_written_file_has_the_published_layout(keras_h5):
    import h5py
    size = (keras_h5 / H5_NAME).stat().st_size
    assert abs(size - PUBLISHED_SIZE) < 0.01 * PUBLISHED_SIZE, size
    with h5py.File(keras_h5 / H5_NAME) as f:
        assert b"Conv1" in list(f.attrs["layer_names"])
        assert list(f["Conv1"].attrs["weight_names"]) == [b"Conv1/kernel:0"]
        assert f["Conv1/Conv1/kernel:0"].shape == (3, 3, 3, 32)
        assert list(f["block_1_depthwise"].attrs["weight_names"]) == [
            b"block_1_depthwise/depthwise_kernel:0"]


def test_fetch_converts_and_gives_the_reference_features(keras_h5, images, serve, tmp_path):
    cache = tmp_path / "xdg"
    env = fresh_env(cache, serve(keras_h5))
    proc = imgfeat(env, "models", "fetch", "mobilenet_v2")
    assert proc.returncode == 0, proc.stderr
    model = cache / "imgfeat" / "models" / MODEL_FILE
    assert proc.stdout.strip() == str(model)
    # The converted model and its checksum; no download or temporary file left.
    assert cached_files(cache) == [MODEL_FILE, MODEL_FILE + ".sha256"]
    sidecar = pathlib.Path(str(model) + ".sha256").read_text()
    assert sidecar == f"{hashlib.sha256(model.read_bytes()).hexdigest()}  {model.name}\n"

    # Later runs need no network: the mirror is gone, the cache is used.
    offline = fresh_env(cache, dead_url())
    paths, converted = raw_features(offline, images, tmp_path / "converted")
    ref_paths, reference = raw_features(offline, images, tmp_path / "reference",
                                        "--model-dir", MODELS)
    assert paths == ref_paths and len(paths) >= 8
    diff = np.abs(converted - reference)
    print(f"\nconverted vs reference ONNX on {len(paths)} images: max abs diff {diff.max():.3g},"
          f" mean {diff.mean():.3g}")
    assert diff.max() <= 1e-5
    assert reference.max() == 6.0 and reference.std(axis=0).mean() > 0.1  # real features
    assert cached_files(cache) == [MODEL_FILE, MODEL_FILE + ".sha256"]


def test_first_run_fetches_the_model_itself(keras_h5, images, serve, tmp_path):
    cache = tmp_path / "xdg"
    env = fresh_env(cache, serve(keras_h5))
    raw_features(env, images, tmp_path / "out", "--pooling", "avg")
    assert cached_files(cache) == [MODEL_FILE, MODEL_FILE + ".sha256"]


def test_damaged_cached_model_is_fetched_again(keras_h5, serve, tmp_path):
    cache = tmp_path / "xdg"
    url = serve(keras_h5)
    assert imgfeat(fresh_env(cache, url), "models", "fetch", "mobilenet_v2").returncode == 0
    model = cache / "imgfeat" / "models" / MODEL_FILE
    good = model.read_bytes()
    model.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))

    proc = imgfeat(fresh_env(cache, dead_url()), "models", "fetch", "mobilenet_v2")
    assert_one_line_refusal(proc, "does not match its .sha256", "cannot reach")
    proc = imgfeat(fresh_env(cache, url), "models", "fetch", "mobilenet_v2")
    assert proc.returncode == 0, proc.stderr
    assert model.read_bytes() == good


def test_wrong_weights_are_refused_and_nothing_is_cached(keras_model, serve, tmp_path):
    def nudge(layer, name, value):
        # 1% on the last convolution: still a MobileNetV2, not Keras' weights.
        return value * np.float32(1.01) if layer == "Conv_1" else value

    folder = tmp_path / "served"
    folder.mkdir()
    write_legacy_h5(keras_model, folder / H5_NAME, change=nudge)
    cache = tmp_path / "xdg"
    proc = imgfeat(fresh_env(cache, serve(folder)), "models", "fetch", "mobilenet_v2")
    assert_one_line_refusal(proc, H5_NAME, "does not reproduce the reference features",
                            "refused", "tolerance 0.001")
    assert cached_files(cache) == []


def test_damaged_h5_is_refused_and_nothing_is_cached(keras_h5, images, serve, tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    data = (keras_h5 / H5_NAME).read_bytes()
    (folder / H5_NAME).write_bytes(data[:len(data) // 2])  # an interrupted transfer
    cache = tmp_path / "xdg"
    proc = imgfeat(fresh_env(cache, serve(folder)), "models", "fetch", "mobilenet_v2")
    assert_one_line_refusal(proc, "Keras weights file", "not a readable HDF5 file")
    assert cached_files(cache) == []

    # A run says the same and writes no output.
    proc = imgfeat(fresh_env(cache, serve(folder)), "run", images, tmp_path / "out")
    assert_one_line_refusal(proc, "not a readable HDF5 file")
    assert cached_files(cache) == [] and not (tmp_path / "out").exists()


def test_keras3_weights_file_is_refused_with_its_reason(keras_model, serve, tmp_path):
    # Keras 3's save_weights writes its own layout (layers/<name>/vars/<i>).
    folder = tmp_path / "served"
    folder.mkdir()
    keras_model.save_weights(folder / "model.weights.h5")
    (folder / "model.weights.h5").rename(folder / H5_NAME)
    cache = tmp_path / "xdg"
    proc = imgfeat(fresh_env(cache, serve(folder)), "models", "fetch", "mobilenet_v2")
    assert_one_line_refusal(proc, "has no 'layer_names' attribute: not a Keras weights file")
    assert cached_files(cache) == []


def test_keras3_legacy_writer_layout_is_read_too(keras_model, serve, tmp_path):
    # Keras 3 still has the legacy writer internally: names as variable-length
    # strings, without ":0", and a depthwise kernel named "kernel". All are
    # understood.
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    folder = tmp_path / "served"
    folder.mkdir()
    with h5py.File(folder / H5_NAME, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, keras_model)
        assert list(f["block_1_depthwise"].attrs["weight_names"]) == [
            "block_1_depthwise/kernel"]
    cache = tmp_path / "xdg"
    proc = imgfeat(fresh_env(cache, serve(folder)), "models", "fetch", "mobilenet_v2")
    assert proc.returncode == 0, proc.stderr
    assert cached_files(cache) == [MODEL_FILE, MODEL_FILE + ".sha256"]


def test_python_fetch_model_fetches_once_and_says_why_it_cannot(keras_h5, serve, tmp_path):
    cache = tmp_path / "xdg"
    code = ("import imgfeat, sys\n"
            "try:\n"
            "    print(imgfeat.fetch_model('mobilenet_v2'))\n"
            "except OSError as e:\n"
            "    print(f'OSError: {e}'); sys.exit(1)\n")

    def fetch(url):
        env = fresh_env(cache, url)
        env["PYTHONPATH"] = str(IMGFEAT.parent / "python")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=300)

    offline = fetch(dead_url())
    assert offline.returncode == 1, offline.stderr
    assert "OSError: " in offline.stdout and "cannot reach" in offline.stdout
    assert cached_files(cache) == []
    proc = fetch(serve(keras_h5))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert proc.stdout.strip() == str(cache / "imgfeat" / "models" / MODEL_FILE)
    assert cached_files(cache) == [MODEL_FILE, MODEL_FILE + ".sha256"]
