"""Every shell command that README.md and docs/*.md show runs as written.

The commands are taken from the documents' code blocks (indented blocks and
```bash fences): each line that starts with a program a user types (imgfeat,
python, spark-submit, aws, pip, make, ...). Each runs here, in document order,
in a folder of its own per document holding `photos/` (a few of the sample's
images in class folders), with `imgfeat` and `python` on PATH as a user's
install gives them, `s3://` on a moto server (AWS_ENDPOINT_URL; every bucket
the document names created, every S3 INPUT filled with the photos) and a local
Spark master in place of the cluster's. It must exit 0, and a run must leave
its OUTPUT complete (`_SUCCESS`).

A command is not run only when it is a template (INPUT, OUTPUT, `...`) or a
rule of NOT_RUN gives the reason; a rule that no longer matches any command
fails the test, so that the list cannot rot. A new command in the docs is run
unless it is added there.
"""
import os
import pathlib
import re
import shlex

import pytest

from conftest import BUILD, MODELS, ROOT, sample_files
from s3_fixtures import CREDENTIALS, moto_server, s3_client
from spark_cluster import run_to_end

pytestmark = [pytest.mark.s3, pytest.mark.spark]

DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
PROGRAMS = {"imgfeat", "build/imgfeat", "python", "python3", "python3.11", ".venv/bin/python",
            "spark-submit", "aws", "pip", "make"}

# (document or None for any, pattern, why it is not run here)
NOT_RUN = [
    ("BENCHMARKS.md", r"", "a benchmark (make bench): minutes to hours on the whole sample"),
    ("DUPLICATES.md", r"", "a benchmark (make bench): minutes on the whole sample"),
    ("AWS.md", r"", "the EMR walk-through: EMR and IAM exist only on AWS; its uploads, "
     "bootstrap and step run in tests/test_aws_deploy.py against the S3 server"),
    (None, r"^make (run|test|check)\b", "the set-up, build and tests that CI itself runs"),
    (None, r"^make wheel\b", "builds the wheel: tests/test_python_wheel.py builds and installs it"),
    (None, r"^pip install dist/", "installs the wheel: tests/test_python_wheel.py"),
    ("SPARK.md", r"--deploy-mode cluster", "YARN cluster mode, on EMR: there is no YARN here"),
]
# The cluster and its shared folders, as a local master and local folders.
SUBSTITUTIONS = {"spark://master:7077": "local[2]", "/shared/images": "photos",
                 "/shared/features": "spark-features"}
TEMPLATE = re.compile(r"\.\.\.|\[options\]|\b[A-Z]{3,}\b")


def code_blocks(text):
    """(first line number, lines) of each indented block and shell fence."""
    lines = text.split("\n")
    i, after_blank = 0, True
    while i < len(lines):
        fence = re.match(r"^\s*```(\w*)", lines[i])
        if fence:
            j = i + 1
            while j < len(lines) and not re.match(r"^\s*```", lines[j]):
                j += 1
            if fence.group(1) in ("", "bash", "sh", "shell", "console"):
                yield i + 2, lines[i + 1:j]
            i, after_blank = j + 1, False
            continue
        if lines[i].startswith("    ") and lines[i].strip() and after_blank:
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            yield i + 1, [line[4:] for line in lines[i:j]]
            i, after_blank = j, False
            continue
        after_blank = not lines[i].strip()
        i += 1


def doc_commands(path):
    """(line, command) for each command line of `path` (continuations joined)."""
    for start, block in code_blocks(path.read_text()):
        k = 0
        while k < len(block):
            line_no, command = start + k, block[k].strip()
            while command.endswith("\\") and k + 1 < len(block):
                k += 1
                command = command[:-1].rstrip() + " " + block[k].strip()
            k += 1
            # VAR=value program ...: the program decides.
            words = [w for w in command.split() if not re.match(r"^[A-Z_]+=", w)]
            if words and (words[0] in PROGRAMS or words[0].startswith(("build/", "bench/"))):
                yield line_no, command


def not_run_reason(doc, command):
    for i, (name, pattern, why) in enumerate(NOT_RUN):
        if (name is None or name == doc) and re.search(pattern, command):
            return i, why
    if TEMPLATE.search(re.sub(r"'[^']*'", "", command.split("#")[0])):
        return None, "a template (its placeholders stand for the reader's own)"
    return None, None


def run_arguments(command):
    """(INPUT, OUTPUT) of `imgfeat run INPUT OUTPUT ...`, else None."""
    words = shlex.split(command, comments=True)
    if len(words) >= 4 and words[0].endswith("imgfeat") and words[1] == "run":
        return words[2], words[3]
    return None


@pytest.fixture(scope="module")
def user_env(tmp_path_factory):
    """PATH and variables as an installed imgfeat gives them."""
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "imgfeat").symlink_to(BUILD / "imgfeat")
    for name in ("python", "python3", "python3.11"):
        # A script, not a link: Python finds its venv beside the path it was started by.
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{ROOT / ".venv" / "bin" / "python"}" "$@"\n')
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, **CREDENTIALS)
    env.update({"PATH": os.pathsep.join([str(bin_dir), str(ROOT / ".venv" / "bin"),
                                         env.get("PATH", "")]),
                "PYTHONPATH": str(BUILD / "python"), "IMGFEAT_MODEL_DIR": str(MODELS),
                "PYSPARK_PYTHON": str(bin_dir / "python"), "SPARK_LOCAL_IP": "127.0.0.1",
                "TZ": "UTC",
                # The model cache (models quantize writes there) is the test's own.
                "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))})
    return env


def test_every_command_in_the_docs_runs_as_written(user_env, tmp_path):
    photos = sample_files("Test", per_class=2)
    commands = [(doc, n, c) for doc in DOCS for n, c in doc_commands(doc)]
    assert len(commands) > 20, "the extraction found too few commands"
    used_rules, ran, skipped = set(), [], []
    with moto_server() as endpoint:
        env = dict(user_env, AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="us-east-1")
        s3 = s3_client(endpoint)
        for doc in DOCS:
            mine = [(n, c) for d, n, c in commands if d == doc]
            todo = []
            for n, command in mine:
                rule, why = not_run_reason(doc.name, command)
                if rule is not None:
                    used_rules.add(rule)
                if why:
                    skipped.append(f"{doc.name}:{n}: {why}: {command}")
                    continue
                for old, new in SUBSTITUTIONS.items():
                    command = command.replace(old, new)
                todo.append((n, command))
            if not todo:
                continue
            cwd = tmp_path / doc.stem
            for f in photos:
                (cwd / "photos" / f.parent.name).mkdir(parents=True, exist_ok=True)
                (cwd / "photos" / f.parent.name / f.name).symlink_to(f)
            prepare_s3(s3, [c for _, c in todo], photos)
            for n, command in todo:
                code, out, err = run_to_end(["bash", "-c", command], env, cwd)
                where = f"{doc.name}:{n}: {command}"
                assert code == 0, f"{where}\n{out[-2000:]}{err[-4000:]}"
                check_output(s3, cwd, command, where)
                ran.append(where)
    print("\n".join(["ran:"] + ran + ["not run:"] + skipped))
    unused = [NOT_RUN[i] for i in range(len(NOT_RUN)) if i not in used_rules]
    assert not unused, f"rules of NOT_RUN that match no command any more: {unused}"
    assert any("S3.md" in r for r in ran) and any("spark-submit" in r for r in ran), ran


def prepare_s3(s3, commands, photos):
    """The buckets the commands name, and their S3 inputs filled with `photos`."""
    uris = [w for c in commands for w in shlex.split(c, comments=True) if w.startswith("s3://")]
    for bucket in sorted({u[5:].split("/")[0] for u in uris}):
        s3.create_bucket(Bucket=bucket)
    outputs = {run_arguments(c)[1].rstrip("/") for c in commands if run_arguments(c)}
    for c in commands:
        args = run_arguments(c)
        if not args or not args[0].startswith("s3://") or args[0].rstrip("/") in outputs:
            continue
        bucket, _, prefix = args[0][5:].partition("/")
        for f in photos:
            s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{f.parent.name}/{f.name}",
                          Body=f.read_bytes())


def check_output(s3, cwd, command, where):
    """A run's OUTPUT (and spark-submit's) is complete."""
    args = run_arguments(command)
    output = args[1] if args else None
    if "spark-submit" in command:
        output = shlex.split(command, comments=True)[-3]  # ... INPUT OUTPUT --reduce srp
    if output is None:
        return
    if output.startswith("s3://"):
        bucket, _, prefix = output[5:].partition("/")
        s3.head_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/_SUCCESS")
    else:
        assert (cwd / output / "_SUCCESS").exists(), f"{where}: no {output}/_SUCCESS"
