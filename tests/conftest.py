"""Shared fixtures for imgfeat's pytest suites: where the build, the shared
models and the sample dataset are, and how to run the CLI."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
SHARED = ROOT.parent / "shared"
SAMPLE = SHARED / "datasets" / "fruits-360-sample"
MODELS = SHARED / "models"
IMGFEAT = BUILD / "imgfeat"


def imgfeat_env(extra=None):
    env = dict(os.environ)
    if MODELS.is_dir():
        env.setdefault("IMGFEAT_MODEL_DIR", str(MODELS))
    env.update(extra or {})
    return env


def run_imgfeat(*args, check=True, timeout=1800, env=None):
    """Runs build/imgfeat; returns the CompletedProcess (text output)."""
    proc = subprocess.run([str(IMGFEAT), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=imgfeat_env(env))
    if check and proc.returncode != 0:
        raise AssertionError(f"imgfeat {' '.join(map(str, args))} failed "
                             f"({proc.returncode}):\n{proc.stderr}")
    return proc


def sample_files(split="Train", per_class=None):
    """Sorted sample images, optionally the first `per_class` of each class."""
    out = []
    for cls in sorted((SAMPLE / split).iterdir()):
        files = sorted(cls.glob("*.jpg"))
        out += files[:per_class] if per_class else files
    return out


@pytest.fixture(scope="session")
def imgfeat_bin():
    assert IMGFEAT.exists(), f"{IMGFEAT} is not built (make build)"
    return IMGFEAT


@pytest.fixture(scope="session")
def sample_raw_features(tmp_path_factory):
    """The whole sample through `imgfeat run --reduce none`, run once per session:
    (output folder, pyarrow Table of path/label/features sorted by path)."""
    import pyarrow.dataset as ds

    out = tmp_path_factory.mktemp("sample_raw") / "out"
    run_imgfeat("run", SAMPLE, out, "--reduce", "none", "--quiet")
    table = ds.dataset(out, format="parquet").to_table(columns=["path", "label", "features"])
    return out, table.sort_by("path")


def read_saved_pca(path):
    """A `_reducer.parquet` of kind pca as numpy arrays and its metadata."""
    import numpy as np
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    metadata = table.schema.metadata
    assert metadata[b"imgfeat.reducer.kind"] == b"pca"
    kinds = table.column("row").to_pylist()
    values = np.array(table.column("values").to_pylist(), dtype=np.float32)
    assert kinds[0] == "mean" and all(k == "component" for k in kinds[1:])
    return {
        "mean": values[0],
        "components": values[1:],
        "explained_variance": np.array(table.column("explained_variance").to_pylist()[1:]),
        "explained_variance_ratio": np.array(table.column("explained_variance_ratio").to_pylist()[1:]),
        "n_samples": int(metadata[b"imgfeat.pca.n_samples"]),
        "oversampling": int(metadata[b"imgfeat.pca.oversampling"]),
        "power_iterations": int(metadata[b"imgfeat.pca.power_iterations"]),
    }
