"""imgfeat similar: a held-out photo of one of the sample's fruits finds that
fruit's rows first, from the CLI and from Python, with the features the run
itself would have written for it."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from conftest import run_imgfeat, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)


@pytest.fixture(scope="module")
def train_output(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim") / "Train"
    for f in sample_files("Train", per_class=60):
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    out = root.parent / "out"
    run_imgfeat("run", root, out, "--quiet")
    return out


def held_out():
    """Two Test photos of each fruit: (path, label)."""
    files = sample_files("Test", per_class=2)
    return [(f, f.parent.name) for f in files]


def test_cli_finds_the_fruit_first(train_output):
    queries = held_out()
    proc = run_imgfeat("similar", train_output, *[q for q, _ in queries], "-k", "5", "--json")
    rows = json.loads(proc.stdout)
    assert len(rows) == 5 * len(queries)
    for path, label in queries:
        mine = [r for r in rows if r["query"] == str(path)]
        assert [r["rank"] for r in mine] == [1, 2, 3, 4, 5]
        assert all(r["label"] == label for r in mine), (path, mine)
        assert all(a["cosine"] >= b["cosine"] for a, b in zip(mine, mine[1:]))
    text = run_imgfeat("similar", train_output, queries[0][0], "-k", "2").stdout.splitlines()
    assert text[0] == str(queries[0][0]) and len(text) == 3 and queries[0][1] in text[1]


def test_the_query_has_the_features_a_run_gives_it(train_output, tmp_path):
    """The cosines equal those of the query's row in a run with the output's
    reducer (--reducer-from), against the output's rows."""
    query, _ = held_out()[0]
    table = imgfeat.similar(train_output, [query], k=4)
    assert table.column_names == ["query", "rank", "cosine", "label", "path"]
    single = tmp_path / "single"
    run_imgfeat("run", query, single, "--reducer-from", train_output / "_reducer.parquet",
                "--quiet")
    q = np.array(pd.read_parquet(single).features[0], np.float64)
    rows = pd.read_parquet(train_output).set_index("path")
    for path, cosine in zip(table.column("path").to_pylist(), table.column("cosine").to_pylist()):
        r = np.array(rows.features[path], np.float64)
        assert cosine == pytest.approx(q @ r / np.linalg.norm(q) / np.linalg.norm(r), abs=1e-5)


def test_python_finds_the_fruit_first_and_reports_a_bad_image(train_output, tmp_path, caplog):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    queries = held_out()
    table = imgfeat.similar(train_output, [q for q, _ in queries] + [bad], k=3)
    got = table.to_pandas()
    for path, label in queries:
        assert list(got[got["query"] == str(path)].label) == [label] * 3
    assert str(bad) not in set(got["query"])
    errors = json.loads(table.schema.metadata[b"errors"])
    assert len(errors) == 1 and errors[0]["query"] == str(bad)
    assert any("bad.jpg" in r.getMessage() for r in caplog.records)


def test_bad_use(train_output, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"x")
    proc = run_imgfeat("similar", train_output, bad, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("imgfeat: skipped ")
    for args in (["-k", "0"], ["--nope"], []):
        proc = run_imgfeat("similar", train_output, *args, check=False)
        assert proc.returncode == 2 and proc.stderr.startswith("imgfeat: "), proc.stderr
    proc = run_imgfeat("similar", tmp_path, bad, check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
