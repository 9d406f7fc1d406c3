"""The model stage's fetching of a missing ONNX model file, against a real
HTTP server on 127.0.0.1 serving ../shared/models: a verified download into
the cache, a checksum mismatch that leaves nothing behind, a server that is
down and an HTTP error, each with a one-line message. (The registered
MobileNetV2 comes from Keras' weight file: tests/test_model_keras_source.py.)"""
import hashlib
import json
import os
import pathlib
import subprocess

import pytest

from http_fixtures import cached_files, dead_url, serve  # noqa: F401 (serve: a fixture)

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
MODELS = ROOT.parent / "shared" / "models"
TOOL = BUILD / "tools" / "imgfeat_model"
MODEL_FILE = "mobilenet_v2_1.0_224/mobilenet_v2_1.0_224_no_top_nhwc.onnx"




@pytest.fixture
def server(serve):
    """An HTTP server on 127.0.0.1 serving ../shared/models; its base URL."""
    return serve(MODELS)


@pytest.fixture
def cache(tmp_path):
    """An empty cache folder; the environment points only there."""
    return tmp_path / "xdg"


def resolve(cache, *args):
    if "--url" in args:  # the ONNX file itself (the registry names Keras' weights)
        args = (*args, "--url-format", "onnx")
    env = {k: v for k, v in os.environ.items()
           if k not in ("IMGFEAT_MODEL_DIR", "IMGFEAT_MODEL_MIRROR")}
    env["XDG_CACHE_HOME"] = str(cache)
    assert TOOL.exists(), f"{TOOL} is not built"
    return subprocess.run([str(TOOL), "resolve", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def sha256_of(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def test_missing_model_is_downloaded_verified_and_then_found_offline(server, cache):
    proc = resolve(cache, "--url", f"{server}/{MODEL_FILE}")
    assert proc.returncode == 0, proc.stderr
    path = pathlib.Path(proc.stdout.strip())
    assert path == cache / "imgfeat" / "models" / MODEL_FILE
    assert path.read_bytes() == (MODELS / MODEL_FILE).read_bytes()
    assert cached_files(cache) == [MODEL_FILE]  # no temporary file left

    # Once cached, no network is needed: a dead URL still resolves.
    again = resolve(cache, "--url", f"{dead_url()}/{MODEL_FILE}")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(path)


def test_spec_file_url_is_used(server, cache, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(f"""{{"name": "served", "file": "served/m.onnx",
        "url": "{server}/{MODEL_FILE}", "sha256": "{sha256_of(MODELS / MODEL_FILE)}",
        "input": {{"name": "input", "height": 224, "width": 224, "channels": 3}},
        "output": {{"name": "features", "shape_hwc": [7, 7, 1280]}}}}""")
    proc = resolve(cache, "--spec", str(spec))
    assert proc.returncode == 0, proc.stderr
    assert cached_files(cache) == ["served/m.onnx"]


def test_registry_names_keras_own_weight_file():
    shown = json.loads(subprocess.run([str(TOOL), "show", "--model", "mobilenet_v2"],
                                      capture_output=True, text=True, check=True).stdout)
    assert shown["url"] == ("https://storage.googleapis.com/tensorflow/keras-applications/"
                            "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
                            "1.0_224_no_top.h5")
    assert shown["url_format"] == "keras_mobilenet_v2_h5"


def test_checksum_mismatch_keeps_nothing(server, cache):
    proc = resolve(cache, "--url", f"{server}/{MODEL_FILE}", "--sha256", "0" * 64)
    assert proc.returncode == 1
    message = proc.stderr.strip()
    assert "\n" not in message
    assert "checksum mismatch" in message and sha256_of(MODELS / MODEL_FILE) in message
    assert cached_files(cache) == []


def test_server_down_is_an_offline_message(cache):
    proc = resolve(cache, "--url", f"{dead_url()}/{MODEL_FILE}")
    assert proc.returncode == 1
    message = proc.stderr.strip()
    assert "\n" not in message
    assert "cannot reach" in message and "offline" in message, message
    assert MODEL_FILE in message  # says which file it looked for
    assert cached_files(cache) == []


def test_http_error_names_the_status(server, cache):
    proc = resolve(cache, "--url", f"{server}/no/such/model.onnx")
    assert proc.returncode == 1
    assert "HTTP 404" in proc.stderr and "\n" not in proc.stderr.strip(), proc.stderr
    assert cached_files(cache) == []


def test_model_dir_is_searched_before_downloading(cache):
    proc = resolve(cache, "--model-dir", str(MODELS), "--no-download")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(MODELS / MODEL_FILE)
    assert not (cache / "imgfeat").exists()
