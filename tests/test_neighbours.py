"""imgfeat neighbours against scikit-learn's brute-force cosine neighbours and
SciPy's connected components, through the CLI and Python."""
import os

import numpy as np
import pandas as pd
import pytest

from conftest import run_imgfeat, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    root = tmp_path_factory.mktemp("nb") / "in"
    for f in sample_files("Test", per_class=15) + sample_files("Train", per_class=15):
        dst = root / f.parent.parent.name / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    out = root.parent / "out"
    run_imgfeat("run", root, out, "--components", "256", "--rows-per-part", "40", "--quiet")
    return out


def oracle(out, k):
    from sklearn.neighbors import NearestNeighbors
    df = pd.read_parquet(out)
    x = np.stack(df.features.to_numpy()).astype(np.float64)
    dist, idx = NearestNeighbors(n_neighbors=k + 1, metric="cosine",
                                 algorithm="brute").fit(x).kneighbors(x)
    return df.path.to_numpy(), 1 - dist, idx


def check_neighbours(out, k):
    paths, cos, idx = oracle(out, k)
    got = pd.read_parquet(out / "_neighbours.parquet")
    assert len(got) == len(paths) * k
    assert list(got.columns) == ["path", "neighbour", "cosine", "rank"]
    assert list(got["rank"][:k]) == list(range(1, k + 1))
    for i, p in enumerate(paths):
        rows = got.iloc[i * k:(i + 1) * k]
        assert (rows.path == p).all()
        # Drop the row itself from scikit-learn's answer (its own nearest).
        want = [j for j in idx[i] if j != i][:k]
        want_cos = [cos[i][list(idx[i]).index(j)] for j in want]
        np.testing.assert_allclose(rows.cosine, want_cos, atol=2e-6)
        # Equal cosines may come in either order; elsewhere the rows are the same.
        for r in range(k):
            if r + 1 < k and abs(want_cos[r] - want_cos[r + 1]) < 1e-6:
                continue
            assert rows.neighbour.iloc[r] == paths[want[r]], (i, r)


def test_cli_equals_scikit_learn(output):
    proc = run_imgfeat("neighbours", output, "-k", "7")
    assert "rows" in proc.stdout and proc.stderr == ""
    check_neighbours(output, 7)


def test_duplicate_groups_are_the_connected_components(output):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    threshold = 0.9
    imgfeat.neighbours(output, k=5, duplicate_cosine=threshold)
    check_neighbours(output, 5)
    paths, cos, idx = oracle(output, 5)
    n = len(paths)
    edges = [(i, j) for i in range(n) for c, j in zip(cos[i], idx[i]) if j != i and c >= threshold]
    assert edges, "the sample's turning fruit gives near-copies at this threshold"
    a, b = zip(*edges)
    _, component = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)),
                                        directed=False)
    linked = sorted(set(a) | set(b))
    got = pd.read_parquet(output / "_duplicates.parquet")
    assert list(got.path) == [paths[i] for i in linked]
    # Same partition, groups numbered in the order of their first row.
    order = {}
    want = [order.setdefault(component[i], len(order)) for i in linked]
    assert list(got.group) == want


def test_bad_use_is_one_line(output, tmp_path):
    for args in (["-k", "0"], ["-k", "x"], ["--duplicate-cosine", "2"], ["--nope"]):
        proc = run_imgfeat("neighbours", output, *args, check=False)
        assert proc.returncode == 2 and proc.stderr.startswith("imgfeat: "), proc.stderr
    proc = run_imgfeat("neighbours", tmp_path / "missing", check=False)
    assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    with pytest.raises(ValueError, match="-k"):
        imgfeat.neighbours(output, k=2**70)
    with pytest.raises(TypeError):
        imgfeat.neighbours(output, k="3")


def test_overwrite_takes_them_for_imgfeat_files(output, tmp_path):
    run_imgfeat("neighbours", output, "--quiet")
    assert (output / "_neighbours.parquet").exists() and (output / "_duplicates.parquet").exists()
    assert not (output / "_temporary").exists()
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in output.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    run_imgfeat("run", sample_files("Test", per_class=1)[0], copy, "--components", "4",
                "--overwrite", "--quiet")
    assert not (copy / "_neighbours.parquet").exists()


def test_approximate_method_finds_nearly_all_of_exact(output, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in output.iterdir():
        if f.is_file():
            (copy / f.name).write_bytes(f.read_bytes())
    summary = imgfeat.neighbours(copy, k=5, method="approximate")
    assert summary["method"] == "approximate"
    paths, cos, idx = oracle(copy, 5)
    got = pd.read_parquet(copy / "_neighbours.parquet")
    found = 0
    for i, p in enumerate(paths):
        want = {paths[j] for j in idx[i] if j != i}
        found += len(want & set(got.neighbour[got.path == p]))
    assert found / (5 * len(paths)) >= 0.95
    with pytest.raises(ValueError, match="--method"):
        imgfeat.neighbours(copy, method="fast")


def test_run_neighbours_then_report(tmp_path):
    """`run --neighbours --report`: the groups are found before the report,
    which shows them (the CLI and Python alike)."""
    images = sample_files("Test", per_class=6)
    root = tmp_path / "in"
    for f in images:
        (root / f.parent.name).mkdir(parents=True, exist_ok=True)
        os.symlink(f, root / f.parent.name / f.name)
    run_imgfeat("run", root, tmp_path / "cli", "--components", "32", "--neighbours", "--report",
                "--quiet")
    result = imgfeat.run(root, tmp_path / "py", components=32, neighbours=True, progress=False,
                         quiet=True)
    for out in (tmp_path / "cli", tmp_path / "py"):
        assert len(pd.read_parquet(out / "_neighbours.parquet")) == 10 * len(images)
        assert (out / "_duplicates.parquet").exists()
    assert result["duplicate_groups"] == pd.read_parquet(tmp_path / "py" /
                                                         "_duplicates.parquet").group.nunique()
    assert '"duplicates":{' in (tmp_path / "cli" / "_report.html").read_text().replace(" ", "")
