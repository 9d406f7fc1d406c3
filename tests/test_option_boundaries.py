"""Every option of `imgfeat run` (enumerated from the one description of a
run, not a hand list) with boundary values, through the CLI and through
imgfeat.run: each ends in success or in a one-line error, within a time
bound, and never by a signal."""
import os
import subprocess
import sys

import pytest

from conftest import IMGFEAT, imgfeat_env, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)
from imgfeat import _options  # noqa: E402

pytestmark = pytest.mark.slow

TEXT = ["", "x", "a" * 300]
NUMBERS = ["0", "-1", "1", "99999999999999999999", "nan", "inf", "x"]


def values_of(spec):
    if spec["type"] == "switch":
        return [None]
    if spec["type"] == "choice":
        return spec["choices"] + ["", "x"]
    if spec["type"] == "text":
        return TEXT
    return NUMBERS


# Every CLI option is a Python one too (the description says so; checked here).
assert all("python" in s["shells"] for s in _options.for_shell("cli"))
CASES = [(s, v) for s in _options.for_shell("cli") for v in values_of(s)
         # S3 settings are reached only with an s3:// path; a local run ignores them.
         if not s["name"].startswith("s3-")]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("in") / "fruit"
    root.mkdir()
    for i, f in enumerate(sample_files(per_class=1)[:3]):
        os.symlink(f, root / f"{i}.jpg")
    return root.parent


def one_line_or_success(rc, stderr, what):
    assert rc >= 0, f"{what}: killed by signal {-rc}"
    if rc != 0:
        lines = [line for line in stderr.splitlines() if not line.startswith("(see ")]
        assert len(lines) == 1 and lines[0].startswith("imgfeat: "), f"{what}: {stderr}"


@pytest.mark.parametrize("spec,value", CASES,
                         ids=[f"{s['name']}={v}" for s, v in CASES])
def test_cli_boundary(spec, value, images, tmp_path):
    args = [spec["cli_flag"]] if value is None else [f"{spec['cli_flag']}={value}"]
    proc = subprocess.run([str(IMGFEAT), "run", str(images), str(tmp_path / "out"), "--quiet",
                           *args], capture_output=True, text=True, timeout=300,
                          env=imgfeat_env())
    one_line_or_success(proc.returncode, proc.stderr, args)


def python_value(spec, text):
    if text is None:
        return not spec["default"]
    if spec["type"] in ("int", "float"):
        try:
            return int(text)
        except ValueError:
            return float(text) if text in ("nan", "inf") else text
    return text


@pytest.mark.parametrize("spec,value", CASES,
                         ids=[f"{s['name']}={v}" for s, v in CASES])
def test_python_boundary(spec, value, images, tmp_path):
    kwargs = {spec["python_name"]: python_value(spec, value)}
    # A literal the child evaluates (nan and inf have none of their own).
    literal = "{" + ", ".join(f"{k!r}: float({str(v)!r})" if isinstance(v, float) else
                               f"{k!r}: {v!r}" for k, v in kwargs.items()) + "}"
    code = ("import imgfeat, sys, json\n"
            "try:\n"
            f"    imgfeat.run(sys.argv[1], sys.argv[2], progress=False, quiet=True, **{literal})\n"
            "except (TypeError, ValueError, OSError) as e:\n"
            "    print('imgfeat: ' + str(e), file=sys.stderr); sys.exit(1)\n")
    if spec["python_name"] == "quiet":
        code = code.replace(", quiet=True", "")
    proc = subprocess.run([sys.executable, "-c", code, str(images), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env=imgfeat_env())
    one_line_or_success(proc.returncode, proc.stderr, kwargs)
