"""`python -m imgfeat` (and the `imgfeat` command a wheel installs) is the
C++ command line itself: the same help, exit codes and output, with file
names that are not UTF-8 passed through as bytes."""
import os
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import IMGFEAT, imgfeat_env, sample_files

pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)


def python_cli(*args):
    return subprocess.run([sys.executable, "-m", "imgfeat", *args], capture_output=True,
                          env=imgfeat_env(), timeout=600)


def native_cli(*args):
    return subprocess.run([os.fsencode(IMGFEAT), *args], capture_output=True, env=imgfeat_env(),
                          timeout=600)


def test_same_help_and_exit_codes():
    for args in (["--help"], ["run", "--help"], ["neighbours", "--help"], ["version"],
                 ["run", "in", "out", "--batch", "0x"], ["nope"]):
        py, native = python_cli(*args), native_cli(*args)
        assert (py.returncode, py.stdout, py.stderr) == \
            (native.returncode, native.stdout, native.stderr), args


def test_same_rows_from_a_latin1_folder(tmp_path):
    root = os.path.join(os.fsencode(tmp_path), b"in", b"caf\xe9")
    os.makedirs(root)
    for i, f in enumerate(sample_files("Test", per_class=1)):
        os.symlink(os.fsencode(f), os.path.join(root, b"%d.jpg" % i))
    outs = []
    for name, cli in (("py", python_cli), ("native", native_cli)):
        out = tmp_path / name
        proc = cli(b"run", os.path.dirname(root), os.fsencode(out), b"--components", b"16",
                   b"--quiet")
        assert proc.returncode == 0, proc.stderr
        outs.append(pq.read_table(sorted(out.glob("part-*.parquet"))))
    assert outs[0].column("path").to_pylist() == outs[1].column("path").to_pylist()
    assert outs[0].column("label").to_pylist() == ["caf\\xE9"] * 4
    np.testing.assert_array_equal(
        outs[0].column("features").combine_chunks().flatten().to_numpy(),
        outs[1].column("features").combine_chunks().flatten().to_numpy())
