"""Every shell takes every option of the one description of a run
(include/imgfeat/run_options.h) under the same name, default and limits:
`imgfeat run`, `imgfeat.run`, `imgfeat.Featurizer`, `imgfeat.spark_job` and
docs/OPTIONS.md. A shell that lacks an option, spells it otherwise or has
another default fails here."""
import inspect
import logging
import math
import os
import subprocess
import sys

import pytest

from conftest import ROOT, imgfeat_env, run_imgfeat

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)
from imgfeat import _imgfeat, _options  # noqa: E402
from imgfeat._spark_options import parse_args as spark_parse_args  # noqa: E402

SPECS = _options.SPECS


def bad_value(spec):
    """A value each kind of option refuses before any work."""
    return {"switch": "yes", "int": 10**30, "float": math.nan, "choice": "zzz",
            "text": "a\0b"}[spec["type"]]


def test_the_description_is_complete_and_consistent():
    names = [s["name"] for s in SPECS]
    assert len(names) == len(set(names))
    assert len(SPECS) >= 29  # none dropped by accident
    for s in SPECS:
        assert s["python_name"] == s["name"].replace("-", "_")
        assert s["help"] and s["group"] and s["shells"]
        if s["type"] == "switch":
            assert s["cli_flag"] == ("--no-" if s["default"] else "--") + s["name"]
        else:
            assert s["cli_flag"] == "--" + s["name"] and s["metavar"]


def test_cli_help_lists_every_option_with_its_default(imgfeat_bin):
    help_text = run_imgfeat("run", "--help").stdout
    flat = " ".join(help_text.split())
    for s in _options.for_shell("cli"):
        left = s["cli_flag"] + (" " + s["metavar"] if s["metavar"] else "")
        assert left in help_text, s["name"]
        if s["type"] != "switch" and s["default_text"]:
            assert f"[{s['default_text']}]" in flat, s["name"]
    for s in SPECS:
        if "cli" not in s["shells"]:
            assert s["cli_flag"] + " " not in help_text


# Any text is a value of a text option (its meaning is checked by the run).
@pytest.mark.parametrize("spec", [s for s in _options.for_shell("cli") if s["type"] != "text"],
                         ids=lambda s: s["name"])
def test_cli_refuses_a_bad_value_naming_the_flag(spec, tmp_path, imgfeat_bin):
    if spec["type"] == "switch":
        args = [f"{spec['cli_flag']}=yes"]
    else:
        value = {"int": "1" + "0" * 30, "float": "nan", "choice": "zzz"}[spec["type"]]
        args = [spec["cli_flag"], value]
    proc = run_imgfeat("run", tmp_path / "in", tmp_path / "out", *args, check=False)
    assert proc.returncode == 2
    first = proc.stderr.splitlines()[0]
    assert spec["cli_flag"] in first, proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec", _options.for_shell("python"), ids=lambda s: s["name"])
def test_python_run_takes_every_option_and_checks_it(spec, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises((TypeError, ValueError), match=spec["python_name"]):
        imgfeat.run(missing, tmp_path / "out", progress=False,
                    **{spec["python_name"]: bad_value(spec)})
    # Its default is accepted: the run gets as far as the missing input.
    with pytest.raises(OSError, match="nowhere"):
        imgfeat.run(missing, tmp_path / "out", progress=False,
                    **{spec["python_name"]: spec["default"]})
    assert not (tmp_path / "out").exists()


def test_featurizer_arguments_are_the_descriptions():
    params = inspect.signature(imgfeat.Featurizer.__init__).parameters
    wanted = _options.for_shell("featurizer")
    assert {s["python_name"] for s in wanted} <= set(params)
    for s in wanted:
        default = params[s["python_name"]].default
        # None stands for the default (an empty path).
        assert default == s["default"] or (default is None and s["default"] == ""), s["name"]
    for s in wanted:
        with pytest.raises((TypeError, ValueError), match=s["python_name"]):
            imgfeat.Featurizer(**{s["python_name"]: bad_value(s)})


def test_spark_job_takes_every_option_with_the_clis_meaning():
    spark = _options.for_shell("spark")
    assert {s["name"] for s in spark} == {s["name"] for s in _options.for_shell("cli")} - {"report"}
    help_text = subprocess.run([sys.executable, "-m", "imgfeat.spark_job", "--help"],
                               capture_output=True, text=True, check=True,
                               env=imgfeat_env()).stdout
    for s in spark:
        assert s["cli_flag"] in help_text, s["name"]
    args = ["in", "out", "--components=77", "--seed", "0", "--pooling", "avg", "--no-follow-symlinks",
            "--glob", "*.png", "--max-pixels", "1000", "--s3-anonymous", "--batch=3"]
    ns = spark_parse_args(args + ["--partitions", "5"])
    cli = _imgfeat.parse_run_args(args, "cli")
    for s in spark:
        assert getattr(ns, s["python_name"]) == cli[s["python_name"]], s["name"]
    assert ns.partitions == 5
    with pytest.raises(SystemExit):
        spark_parse_args(["in", "out", "--batch", "100000"])
    with pytest.raises(SystemExit):
        spark_parse_args(["in", "out", "--report"])


def test_python_and_cli_resolve_to_the_same_options():
    args = ["in", "out", "--reduce", "pca", "--components", "12", "--pca-oversampling", "3",
            "--threads=1", "--eps", "0.25", "--rows-per-part", "9", "--quiet"]
    cli = _imgfeat.parse_run_args(args, "cli")
    python = _imgfeat.check_run_options("in", "out", {
        "reduce": "pca", "components": 12, "pca_oversampling": 3, "threads": 1, "eps": 0.25,
        "rows_per_part": 9, "quiet": True}, "python")
    assert cli == python
    assert python["density"] == "auto" and python["max_pixels"] == 178956970


@pytest.mark.parametrize("kwargs,match", [
    ({"resume": True, "overwrite": True}, "exclude each other"),
    ({"reducer_from": "x/_reducer.parquet", "components": 7}, "reducer_from"),
    ({"reducer_from": "x/_reducer.parquet", "reduce": "none"}, "reducer_from"),
    ({"reduce": "pca"}, "components"),
    ({"density": 0.5, "reduce": "none"}, "density"),
])
def test_rules_between_options_hold_in_python_as_in_the_cli(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        imgfeat.run(tmp_path / "in", tmp_path / "out", progress=False, **kwargs)
    args = []
    for k, v in kwargs.items():
        flag = "--" + k.replace("_", "-")
        args += [flag] if v is True else [flag, str(v)]
    proc = run_imgfeat("run", tmp_path / "in", tmp_path / "out", *args, check=False)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 2, proc.stderr


def test_report_help_lists_every_report_option_with_its_default(imgfeat_bin):
    flat = " ".join(run_imgfeat("report", "--help").stdout.split())
    for s in _options.REPORT_SPECS:
        assert f"{s['cli_flag']} {s['metavar']}" in flat, s["name"]
        if s["default_text"]:
            assert f"[{s['default_text']}]" in flat, s["name"]


@pytest.mark.parametrize("spec", [s for s in _options.REPORT_SPECS if s["type"] != "text"],
                         ids=lambda s: s["name"])
def test_report_refuses_a_bad_value_naming_the_option(spec, tmp_path, imgfeat_bin):
    proc = run_imgfeat("report", tmp_path, spec["cli_flag"], "1" + "0" * 30, check=False)
    assert proc.returncode == 2 and spec["cli_flag"] in proc.stderr.splitlines()[0], proc.stderr
    with pytest.raises(ValueError, match=spec["python_name"]):
        imgfeat.report(tmp_path, **{spec["python_name"]: 10**30})
    with pytest.raises(TypeError, match=spec["python_name"]):
        imgfeat.report(tmp_path, **{spec["python_name"]: "1"})
    # Its default is accepted: the report gets as far as the folder that is no output.
    with pytest.raises(Exception, match="part-"):
        imgfeat.report(tmp_path, **{spec["python_name"]: spec["default"]})
    assert list(tmp_path.iterdir()) == []


def test_report_python_arguments_are_the_descriptions():
    params = inspect.signature(imgfeat.report).parameters
    assert list(params)[:3] == ["output", "html", "png"]
    for s in _options.REPORT_SPECS:
        assert f"{s['python_name']}: " in imgfeat.report.__doc__, s["name"]
    with pytest.raises(TypeError, match="unknown option 'max_row'"):
        imgfeat.report("out", max_row=3)


def test_docs_option_table_is_generated_from_the_description():
    subprocess.run([sys.executable, str(ROOT / "scripts" / "options_doc.py"), "--check"],
                   check=True, env=imgfeat_env())


@pytest.fixture
def folder_with_a_bad_file(tmp_path):
    from conftest import sample_files

    root = tmp_path / "in" / "apple"
    root.mkdir(parents=True)
    for f in sample_files(per_class=1)[:2]:
        os.symlink(f, root / f"{f.parent.name}_{f.name}")
    (root / "broken.jpg").write_bytes(b"not a jpeg")
    return tmp_path / "in"


def test_python_run_logs_each_skipped_file(folder_with_a_bad_file, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="imgfeat"):
        summary = imgfeat.run(folder_with_a_bad_file, tmp_path / "out", reduce="none",
                              threads=1, progress=False)
    assert summary["errors"] == 1 and summary["rows_written"] == 2
    skipped = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(skipped) == 1 and "broken.jpg" in skipped[0].getMessage()
    phases = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert phases[0].startswith("featurize") and phases[-1] == "finish"


def test_a_notebook_without_logging_set_up_sees_the_skipped_file(folder_with_a_bad_file,
                                                                tmp_path):
    # A fresh interpreter, as a notebook kernel is: no logging configuration.
    code = ("import imgfeat, sys; "
            "imgfeat.run(sys.argv[1], sys.argv[2], reduce='none', threads=1, progress=False)")
    proc = subprocess.run([sys.executable, "-c", code, str(folder_with_a_bad_file),
                           str(tmp_path / "out")], capture_output=True, text=True,
                          env=imgfeat_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "broken.jpg" in line]
    assert len(lines) == 1 and "skipped" in lines[0], proc.stderr


def test_auto_components_of_one_image_or_a_tiny_eps_is_one_clear_line(tmp_path):
    one = sample_files_of(2)
    proc = run_imgfeat("run", one[0], tmp_path / "a", "--quiet", check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "--components auto needs at least 2 images" in proc.stderr
    folder = tmp_path / "two"
    folder.mkdir()
    for i, f in enumerate(one):
        os.symlink(f, folder / f"{i}.jpg")
    proc = run_imgfeat("run", folder, tmp_path / "b", "--eps", "1e-300", "--quiet", check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "too large" in proc.stderr and "-9223372036854775808" not in proc.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def sample_files_of(n):
    from conftest import sample_files

    return sample_files(per_class=1)[:n]


def test_report_takes_seed_0_and_refuses_one_file_for_page_and_map(tmp_path):
    folder = tmp_path / "in" / "fruit"
    folder.mkdir(parents=True)
    for i, f in enumerate(sample_files_of(4)):
        os.symlink(f, folder / f"{i}.jpg")
    out = tmp_path / "out"
    run_imgfeat("run", folder.parent, out, "--components", "8", "--quiet")
    run_imgfeat("report", out, "--seed", "0")
    assert (out / "_report.html").exists()
    same = tmp_path / "both"
    proc = run_imgfeat("report", out, "--html", same, "--png", same, check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "different files" in proc.stderr and not same.exists()
    for name in os.listdir(out):
        assert not name.endswith(".tmp"), name
