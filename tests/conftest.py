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
