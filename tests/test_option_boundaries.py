"""Every option of `imgfeat run` and of `imgfeat report` (enumerated from the
one description of each, not a hand list) with boundary values, through the
CLI and through Python (imgfeat.run, imgfeat.report): each ends in success or
in a one-line error, within a time bound, never by a signal and never with a
sanitizer's report.

`make asan` runs this file against build-asan (AddressSanitizer and
UndefinedBehaviorSanitizer): the CLI cases with its `imgfeat`, the Python cases
with its module, the sanitizers' runtime preloaded into Python."""
import os
import subprocess
import sys

import pytest

from conftest import IMGFEAT, imgfeat_env, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)
from imgfeat import _imgfeat, _options  # noqa: E402

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


# Every CLI option is a Python one too (the descriptions say so; checked here).
assert all("python" in s["shells"] for s in _options.for_shell("cli"))
assert all(s["shells"] == ["cli", "python"] for s in _options.REPORT_SPECS)
RUN_CASES = [(s, v) for s in _options.for_shell("cli") for v in values_of(s)
             # S3 settings are reached only with an s3:// path; a local run ignores them.
             if not s["name"].startswith("s3-")]
REPORT_CASES = [(s, v) for s in _options.REPORT_SPECS for v in values_of(s)]


def case_ids(cases):
    return [f"{s['name']}={v}" for s, v in cases]


def linked_to_asan(path):
    """Whether `path` needs AddressSanitizer's runtime (its own NEEDED list:
    unlike ldd's answer, not changed by an LD_PRELOAD)."""
    dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True,
                             check=True).stdout
    return "[libasan.so" in dynamic


# Whether the CLI and the module under test are the sanitizer build's.
CLI_SANITIZED = IMGFEAT.exists() and linked_to_asan(IMGFEAT)
PYTHON_SANITIZED = linked_to_asan(_imgfeat.__file__)
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "runtime error:")
# A generous bound that only stops a hung case; the sanitizers slow a run down.
TIMEOUT = 900 if CLI_SANITIZED or PYTHON_SANITIZED else 300


def options_env(name, *options):
    return ":".join([o for o in [os.environ.get(name, "")] if o] + list(options))


def child_env(sanitized):
    """The environment of a case: under the sanitizers, a report is an exit
    with a non-zero code and text on stderr (not an abort), and TBB may load
    hwloc (as the C++ tests run OpenVINO, cmake/ImgfeatHelpers.cmake). Leaks
    are left to the C++ tests: Python is not leak-free at exit, and OpenVINO's
    plugins leave allocations that only the slow unwinder attributes (about
    11 s a run)."""
    if not sanitized:
        return imgfeat_env()
    return imgfeat_env({
        "TBB_ENABLE_SANITIZERS": "1",
        "ASAN_OPTIONS": options_env("ASAN_OPTIONS", "halt_on_error=1", "abort_on_error=0",
                                    "detect_leaks=0"),
        "UBSAN_OPTIONS": options_env("UBSAN_OPTIONS", "halt_on_error=1", "abort_on_error=0",
                                     "print_stacktrace=1"),
    })


CLI_ENV = child_env(CLI_SANITIZED)
PYTHON_ENV = child_env(PYTHON_SANITIZED)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("in") / "fruit"
    root.mkdir()
    for i, f in enumerate(sample_files(per_class=1)[:3]):
        os.symlink(f, root / f"{i}.jpg")
    return root.parent


@pytest.fixture(scope="module")
def finished(images, tmp_path_factory):
    """A finished output of three images, for the report's cases."""
    out = tmp_path_factory.mktemp("finished") / "out"
    proc = subprocess.run([str(IMGFEAT), "run", str(images), str(out), "--quiet"],
                          capture_output=True, text=True, timeout=TIMEOUT, env=CLI_ENV)
    assert proc.returncode == 0, proc.stderr
    return out


def one_line_or_success(rc, stderr, what):
    for report in SANITIZER_REPORTS:
        assert report not in stderr, f"{what}: {stderr}"
    assert rc >= 0, f"{what}: killed by signal {-rc}"
    if rc != 0:
        lines = [line for line in stderr.splitlines() if not line.startswith("(see ")]
        assert len(lines) == 1 and lines[0].startswith("imgfeat: "), f"{what}: {stderr}"


def cli_args(spec, value):
    return [spec["cli_flag"]] if value is None else [f"{spec['cli_flag']}={value}"]


@pytest.mark.parametrize("spec,value", RUN_CASES, ids=case_ids(RUN_CASES))
def test_cli_boundary(spec, value, images, tmp_path):
    args = cli_args(spec, value)
    proc = subprocess.run([str(IMGFEAT), "run", str(images), str(tmp_path / "out"), "--quiet",
                           *args], capture_output=True, text=True, timeout=TIMEOUT, env=CLI_ENV)
    one_line_or_success(proc.returncode, proc.stderr, args)


@pytest.mark.parametrize("spec,value", REPORT_CASES, ids=case_ids(REPORT_CASES))
def test_cli_report_boundary(spec, value, finished, tmp_path):
    # The page and the map go to tmp_path unless the case says where; a
    # relative path is relative to it.
    args = ["--html", "page.html", "--png", "map.png", *cli_args(spec, value)]
    proc = subprocess.run([str(IMGFEAT), "report", str(finished), *args], capture_output=True,
                          text=True, timeout=TIMEOUT, env=CLI_ENV, cwd=tmp_path)
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


def python_literal(kwargs):
    """A literal the child evaluates (nan and inf have none of their own)."""
    return "{" + ", ".join(f"{k!r}: float({str(v)!r})" if isinstance(v, float) else
                           f"{k!r}: {v!r}" for k, v in kwargs.items()) + "}"


def run_python(call, *argv, cwd=None):
    code = ("import imgfeat, sys\n"
            "try:\n"
            f"    {call}\n"
            "except (TypeError, ValueError, OSError) as e:\n"
            "    print('imgfeat: ' + str(e), file=sys.stderr); sys.exit(1)\n")
    return subprocess.run([sys.executable, "-c", code, *map(str, argv)], capture_output=True,
                          text=True, timeout=TIMEOUT, env=PYTHON_ENV, cwd=cwd)


@pytest.mark.parametrize("spec,value", RUN_CASES, ids=case_ids(RUN_CASES))
def test_python_boundary(spec, value, images, tmp_path):
    kwargs = {spec["python_name"]: python_value(spec, value)}
    quiet = "" if spec["python_name"] == "quiet" else ", quiet=True"
    proc = run_python("imgfeat.run(sys.argv[1], sys.argv[2], progress=False"
                      f"{quiet}, **{python_literal(kwargs)})", images, tmp_path / "out")
    one_line_or_success(proc.returncode, proc.stderr, kwargs)


@pytest.mark.parametrize("spec,value", REPORT_CASES, ids=case_ids(REPORT_CASES))
def test_python_report_boundary(spec, value, finished, tmp_path):
    kwargs = {"html": "page.html", "png": "map.png",
              spec["python_name"]: python_value(spec, value)}
    proc = run_python(f"imgfeat.report(sys.argv[1], **{python_literal(kwargs)})", finished,
                      cwd=tmp_path)
    one_line_or_success(proc.returncode, proc.stderr, kwargs)
