"""imgfeat's features against Keras itself: the notebook's preprocessing and
Keras' MobileNetV2 (tests/keras_oracle.py) on 64 images, 48 real 100x100
fruits and 16 larger photo-like images made from them, must agree to
1e-3 in every one of the 62,720 values per image (docs/PARITY.md).

The engine-level tests give imgfeat the very floats Keras was given, so they
measure the network alone; the pipeline test starts from the image files."""
import functools
import os
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

import keras_oracle  # TensorFlow from requirements-test.txt (make setup-test)

from conftest import BUILD, IMGFEAT, SAMPLE, imgfeat_env

# TensorFlow and 64 images through Keras and imgfeat: minutes on 2 cores.
pytestmark = pytest.mark.slow

INFER = BUILD / "tools" / "imgfeat_infer"
BOUND = 1e-3
FRUITS_PER_CLASS = 12  # x 4 classes = 48
PHOTOS = 16


def tool_env():
    return imgfeat_env()


def make_photos(fruits, folder, count, seed=7):
    """Photo-like images bigger than 224 (640x480 and 480x640 JPEGs, two
    PNGs, one grayscale JPEG): two upscaled fruits blended over a smooth
    gradient with sensor-like noise."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        w, h = (640, 480) if i % 3 else (480, 640)
        a, b = (Image.open(fruits[j]).convert("RGB").resize((w, h), Image.BICUBIC)
                for j in rng.choice(len(fruits), 2, replace=False))
        mix = np.asarray(Image.blend(a, b, float(rng.uniform(0.2, 0.8))), dtype=np.float32)
        yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
        gradient = 60 * np.stack([xx, yy, 1 - xx], axis=-1) * rng.uniform(0.3, 1.0)
        noisy = mix * 0.8 + gradient + rng.normal(0, 6, mix.shape)
        image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        if i in (4, 9):
            path = folder / f"photo_{i:02d}.png"
            image.save(path)
        elif i == 13:
            path = folder / f"photo_{i:02d}_gray.jpg"
            image.convert("L").save(path, quality=90)
        else:
            path = folder / f"photo_{i:02d}.jpg"
            image.save(path, quality=int(rng.integers(75, 96)))
        out.append(path)
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """64 image paths: 48 sample fruits, then 16 photos made from them."""
    fruits = []
    for i, cls in enumerate(sorted((SAMPLE / "Train").iterdir())):
        split = "Train" if i % 2 == 0 else "Test"
        fruits += sorted((SAMPLE / split / cls.name).glob("*.jpg"))[:FRUITS_PER_CLASS]
    assert len(fruits) == 4 * FRUITS_PER_CLASS
    photos = make_photos(fruits, tmp_path_factory.mktemp("photos") / "photo", PHOTOS)
    return fruits + photos


@pytest.fixture(scope="module")
def keras_inputs(images):
    return keras_oracle.preprocess(images)


@pytest.fixture(scope="module")
def keras_features(keras_inputs):
    return keras_oracle.features(keras_oracle.build_model(), keras_inputs)


def run_infer(inputs, tmp_path, engine, *extra):
    """imgfeat's engine on given floats (build/tools/imgfeat_infer)."""
    assert INFER.exists(), f"{INFER} is not built"
    x, y = tmp_path / f"x_{engine}.npy", tmp_path / f"y_{engine}.npy"
    np.save(x, inputs)
    subprocess.run([str(INFER), "--input", str(x), "--output", str(y), "--engine", engine,
                    "--batch", "8", *extra], check=True, env=tool_env(), timeout=600)
    return np.load(y)


@functools.lru_cache(maxsize=1)
def cli_runs():
    """Whether build/imgfeat has the `run` command yet."""
    if not IMGFEAT.exists():
        return False
    proc = subprocess.run([str(IMGFEAT), "run", "--help"], capture_output=True, text=True)
    return proc.returncode == 0 and "--reduce" in proc.stdout + proc.stderr


def imgfeat_features(paths, tmp_path):
    """imgfeat's features for `paths`, float32 (N, 62720), in their order.

    Through the CLI (`imgfeat run INPUT OUT --reduce none`) when it is built;
    until then through imgfeat_infer fed the notebook's preprocessed floats,
    which checks the engine but not imgfeat's own decoding."""
    if not cli_runs():
        return run_infer(keras_oracle.preprocess(paths), tmp_path, "openvino").reshape(
            len(paths), -1)
    import pyarrow.parquet as pq
    root = tmp_path / "in"
    links = []
    for i, path in enumerate(paths):
        link = root / path.parent.name / f"{i:03d}_{path.name}"
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(path, link)
        links.append(str(link))
    out = tmp_path / "out"
    proc = subprocess.run([str(IMGFEAT), "run", str(root), str(out), "--reduce", "none",
                           "--overwrite", "--quiet"], capture_output=True, text=True,
                          env=tool_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr
    table = pq.read_table(sorted(out.glob("part-*.parquet")), columns=["path", "label",
                                                                       "features"])
    rows = dict(zip(table.column("path").to_pylist(), table.column("features").to_pylist()))
    labels = dict(zip(table.column("path").to_pylist(), table.column("label").to_pylist()))
    assert sorted(rows) == sorted(links)
    assert all(labels[link] == pathlib.Path(link).parent.name for link in links)
    return np.array([rows[link] for link in links], dtype=np.float32)


def report(what, diff):
    print(f"\n{what}: max abs diff {diff.max():.3g}, mean {diff.mean():.3g} "
          f"over {diff.size} values")


@pytest.mark.parametrize("engine", ["openvino", "opencv"])
def test_engine_matches_keras_on_the_same_floats(engine, keras_inputs, keras_features,
                                                 tmp_path):
    proc = subprocess.run([str(INFER)], capture_output=True)
    assert proc.returncode == 2  # the tool is built and prints its usage
    got = run_infer(keras_inputs, tmp_path, engine)
    assert got.shape == keras_features.shape == (64, 7, 7, 1280)
    diff = np.abs(got - keras_features)
    report(f"{engine} engine vs Keras", diff)
    assert diff.max() <= BOUND
    # Not vacuous: features vary across images and reach ReLU6's ceiling.
    assert keras_features.max() == 6.0 and keras_features.std(axis=0).mean() > 0.1


def test_average_pooling_matches_keras_global_average_pooling(keras_inputs, keras_features,
                                                              tmp_path):
    import tensorflow as tf
    want = tf.keras.layers.GlobalAveragePooling2D()(keras_features).numpy()
    got = run_infer(keras_inputs, tmp_path, "openvino", "--pooling", "avg")
    assert got.shape == (64, 1280)
    diff = np.abs(got - want)
    report("--pooling avg vs Keras", diff)
    assert diff.max() <= BOUND


def test_imgfeat_features_match_keras_from_the_image_files(images, keras_features, tmp_path):
    got = imgfeat_features(images, tmp_path)
    want = keras_features.reshape(len(images), -1)
    assert got.shape == want.shape == (64, 62720)
    diff = np.abs(got - want)
    via = "imgfeat run" if cli_runs() else "imgfeat_infer on the notebook's floats"
    report(f"{via} vs Keras, all 64 images", diff)
    report("  the 48 fruits", diff[:48])
    report("  the 16 photos", diff[48:])
    assert diff.max() <= BOUND
