"""Ctrl-C in imgfeat.run: SIGINT to a child Python running it stops it with
KeyboardInterrupt before its images are all done, and run(..., resume=True)
completes the output with every image exactly once and the same numbers as an
uninterrupted run."""
import os
import signal
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import imgfeat_env, run_imgfeat, sample_files, wait_for

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)

OPTIONS = dict(threads=1, batch=4, rows_per_part=8, components=32, quiet=True)
# The child restores Python's SIGINT handler: a test run started in the
# background of a non-interactive shell inherits SIGINT ignored, and Python
# keeps an ignored SIGINT ignored (as a terminal's Ctrl-C is not).
CHILD = """
import signal, sys, imgfeat
signal.signal(signal.SIGINT, signal.default_int_handler)
print("started", flush=True)
imgfeat.run(sys.argv[1], sys.argv[2], progress=False, **{OPTIONS!r})
"""


def rows(out):
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    paths = table.column("path").to_pylist()
    n = len(paths)
    return paths, table.column("features").combine_chunks().flatten().to_numpy().reshape(n, -1)


def test_sigint_stops_run_and_resume_completes(tmp_path):
    files = sample_files("Train", per_class=25)
    root = tmp_path / "in"
    for f in files:
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(f)
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(OPTIONS=OPTIONS), str(root),
                              str(out)], env=imgfeat_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"
        # SIGINT once the first part is committed: the run is then in its
        # steady state, with most of its images still to do.
        wait_for(lambda: list(out.glob("part-*.parquet")), "the first part", proc=child)
        child.send_signal(signal.SIGINT)
        # A run that ignored SIGINT would go on to its end or hang: the
        # generous timeout only bounds the latter.
        _, stderr = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0, f"the run finished before SIGINT reached it: {stderr}"
    assert "KeyboardInterrupt" in stderr and "resume=True" in stderr, stderr
    assert not (out / "_SUCCESS").exists()
    done_before, _ = rows(out)
    assert 0 < len(done_before) < len(files)

    summary = imgfeat.run(root, out, resume=True, progress=False, **OPTIONS)
    assert summary["images_skipped_as_done"] == len(done_before)
    assert (out / "_SUCCESS").exists()
    paths, features = rows(out)
    assert len(paths) == len(set(paths)) == len(files)

    run_imgfeat("run", root, tmp_path / "ref", "--threads", "2", "--components", "32", "--quiet")
    ref_paths, ref = rows(tmp_path / "ref")
    order = {p: i for i, p in enumerate(ref_paths)}
    np.testing.assert_array_equal(features, ref[[order[p] for p in paths]])
