"""Shared fixtures for imgfeat's pytest suites: where the build, the shared
models and the sample dataset are, and how to run the CLI."""
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
SHARED = ROOT.parent / "shared"
SAMPLE = SHARED / "datasets" / "fruits-360-sample"
MODELS = SHARED / "models"
IMGFEAT = BUILD / "imgfeat"

# The tiers (markers in pyproject.toml; `make check` deselects them all): a test
# that requests one of these fixtures, directly or through another fixture, gets
# its marker, so a new test is put in the right tier by what it uses. Tests that
# start the servers, clusters or long runs themselves are marked in their files.
FIXTURE_TIERS = {
    "cluster": "spark",          # test_spark_cluster.py: a standalone cluster
    "spark": "spark",            # test_spark_read.py: a local[2] SparkSession
    "s3_server": "s3",           # test_s3.py: moto with the sample in a bucket
    "browser": "browser",        # test_report.py: headless chromium
    "wheel": "wheel",            # test_python_wheel.py: dist/imgfeat-*.whl
    "sample_raw_features": "slow",  # the whole sample (2,624 images), --reduce none
    "keras_model": "slow",       # TensorFlow's MobileNetV2
    "keras_inputs": "slow",
    "keras_features": "slow",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        present = {m.name for m in item.iter_markers()}
        for fixture in item.fixturenames:
            tier = FIXTURE_TIERS.get(fixture)
            if tier and tier not in present:
                item.add_marker(tier)
                present.add(tier)


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


def kill_when(proc, condition, what):
    """SIGKILLs `proc` as soon as `condition` holds (see wait_for), and checks
    that the kill, not the end of its work, stopped it. Kills it in any case."""
    try:
        wait_for(condition, what, proc=proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be interrupted"


def interrupt_after_parts(args, parts, env=None):
    """Runs `imgfeat run *args` and SIGKILLs it right after it committed its
    `parts`-th part file: IMGFEAT_TEST_STOP_AFTER_PARTS makes the run stop
    itself (SIGSTOP) there, so the kill lands at that point however fast the
    machine (a PCA run commits all its parts within milliseconds)."""
    proc = subprocess.Popen([str(IMGFEAT), "run", *map(str, args)],
                            env=imgfeat_env({**(env or {}),
                                             "IMGFEAT_TEST_STOP_AFTER_PARTS": str(parts)}),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kill_when(proc, lambda: process_state(proc.pid) == "T", f"a stop after {parts} parts")


def process_state(pid):
    """The state letter of /proc/PID/stat (T: stopped by a signal)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def wait_for(condition, what, proc=None, timeout=600):
    """Waits for an event that nothing announces (a part file committed, an
    object listed, an executor started): checks `condition` every 50 ms and
    returns its first true value. Fails as soon as `proc` (a Popen) ends
    first, and after `timeout` s, a bound far above the time the event takes
    that only keeps a broken run from hanging the suite."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            detail = proc.stderr.read() if getattr(proc, "stderr", None) else ""
            if not detail and getattr(proc, "log_path", None):  # a Spark job (spark_cluster.py)
                detail = proc.log_path.read_text()
            detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
            raise AssertionError(f"the process ended ({proc.returncode}) before {what}"
                                 + (f":\n{detail[-4000:]}" if detail else ""))
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout} s")
        time.sleep(0.05)


def sample_files(split="Train", per_class=None):
    """Sorted sample images, optionally the first `per_class` of each class."""
    out = []
    for cls in sorted((SAMPLE / split).iterdir()):
        files = sorted(cls.glob("*.jpg"))
        out += files[:per_class] if per_class else files
    return out


@pytest.fixture(scope="session")
def wheel():
    """The one wheel `make wheel` wrote in dist/."""
    import glob

    wheels = glob.glob(str(ROOT / "dist" / "imgfeat-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in dist/ (make wheel), found {wheels}"
    return wheels[0]


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
