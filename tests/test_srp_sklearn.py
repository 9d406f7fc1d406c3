"""imgfeat's sparse random projection against NumPy's RandomState and scikit-learn.

Every expected value is computed here, at test time, by NumPy 2.2 and
scikit-learn 1.7 (the pinned versions): the random streams, the sampling
methods, the whole projection matrix and the transform.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.random_projection import SparseRandomProjection, johnson_lindenstrauss_min_dim
from sklearn.utils.random import sample_without_replacement

BUILD = Path(os.environ.get("IMGFEAT_BUILD", Path(__file__).resolve().parents[1] / "build"))
TOOL = BUILD / "tools" / "imgfeat_reduce"


def run_tool(*args):
    result = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module", autouse=True)
def tool_built():
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is missing: build imgfeat first (make build)")


@pytest.mark.parametrize("seed", [0, 1, 42, 12345, 2**32 - 1])
def test_mt19937_stream(tmp_path, seed):
    run_tool("mt", seed, 5000, tmp_path / "mt.npy")
    want = np.random.RandomState(seed).randint(0, 2**32, size=5000, dtype=np.uint32)
    np.testing.assert_array_equal(np.load(tmp_path / "mt.npy"), want)


@pytest.mark.parametrize(
    "n,p",
    [
        (62720, 1 / np.sqrt(62720)),  # BTPE, the reference notebook's rows
        (62720, 0.3),  # BTPE, far tails
        (1000, 0.6),  # p > 0.5: n - BTPE(n, 1 - p)
        (100, 0.1),  # inversion
        (1, 0.5),  # the signs
        (500, 0.995),  # p > 0.5: n - inversion(n, 1 - p)
        (20000, 0.001),  # inversion with a small p
        (50, 0.55),  # inversion through q, few trials
        (0, 0.3),  # no trials: still one draw in the legacy path
    ],
)
def test_binomial_stream(tmp_path, n, p):
    run_tool("binomial", 7, n, repr(float(p)), 3000, tmp_path / "b.npy")
    rs = np.random.RandomState(7)
    want = np.array([rs.binomial(n, p) for _ in range(3000)])
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), want)


@pytest.mark.parametrize("n", [1, 2, 10, 1000, 70000])
def test_permutation(tmp_path, n):
    run_tool("permutation", 3, n, tmp_path / "p.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), np.random.RandomState(3).permutation(n))


@pytest.mark.parametrize("method", ["auto", "tracking_selection", "reservoir_sampling", "pool"])
@pytest.mark.parametrize(
    "n_population,n_samples",
    [(62720, 250), (1000, 5), (1000, 150), (1000, 500), (500, 499), (500, 500), (10, 0), (1, 1)],
)
def test_sample_without_replacement(tmp_path, method, n_population, n_samples):
    run_tool("sample", 11, n_population, n_samples, method, tmp_path / "s.npy")
    want = sample_without_replacement(n_population, n_samples, method=method, random_state=11)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), want)


@pytest.mark.parametrize(
    "n_samples,eps", [(62720, 0.1), (1_000_000, 0.5), (10_000, 0.1), (2, 0.99), (7, 0.01), (123456, 0.3)]
)
def test_johnson_lindenstrauss_min_dim(n_samples, eps):
    assert int(run_tool("jl", n_samples, eps)) == int(johnson_lindenstrauss_min_dim(n_samples, eps=eps))


@pytest.mark.parametrize("eps,n_samples", [(0.0, 10), (1.0, 10), (0.5, 0)])
def test_johnson_lindenstrauss_rejects(eps, n_samples):
    result = subprocess.run([str(TOOL), "jl", str(n_samples), str(eps)], capture_output=True, text=True)
    assert result.returncode != 0 and "Johnson-Lindenstrauss" in result.stderr


def sklearn_components(n_components, n_features, seed, density):
    srp = SparseRandomProjection(n_components, density=density, random_state=seed)
    srp.fit(np.zeros((2, n_features)))
    return srp.components_


def load_csr(directory, shape):
    return sp.csr_matrix(
        (np.load(directory / "data.npy"), np.load(directory / "indices.npy"), np.load(directory / "indptr.npy")),
        shape=shape,
    )


# (n_components, n_features, seed, density): what each case exercises in scikit-learn.
MATRIX_CASES = [
    (200, 62720, 42, "auto"),  # tracking selection, BTPE (the notebook's shape, fewer rows)
    (30, 3000, 1, "auto"),  # ratio 0.018: permutation, BTPE
    (5, 10, 0, "auto"),  # ratio 0.32: permutation, inversion
    (20, 20000, 7, 0.001),  # given density: tracking selection, inversion
    (10, 500, 3, 0.995),  # ratio >= 0.99: reservoir sampling, p > 0.5 inversion
    (8, 400, 5, 0.6),  # permutation, p > 0.5 BTPE
    (100, 15000, 2**32 - 1, "auto"),  # largest seed
    (3, 7, 9, 1.0),  # density 1: the dense path
    (4, 1, 2, "auto"),  # one feature: density 1 as well
]


@pytest.mark.parametrize("n_components,n_features,seed,density", MATRIX_CASES)
def test_matrix_identical_to_sklearn(tmp_path, n_components, n_features, seed, density):
    run_tool("srp-matrix", n_components, n_features, seed, density, tmp_path)
    ours = load_csr(tmp_path, (n_components, n_features))
    theirs = sklearn_components(n_components, n_features, seed, density)
    if not sp.issparse(theirs):  # density 1: scikit-learn returns a dense array
        np.testing.assert_allclose(ours.toarray(), theirs, rtol=1e-12, atol=0)
        return
    theirs = sp.csr_matrix(theirs)
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12, atol=0)


@pytest.fixture(scope="module")
def notebook_matrix(tmp_path_factory):
    """The reference notebook's projection: 62,720 -> 9,468, random_state=42."""
    directory = tmp_path_factory.mktemp("srp_notebook")
    stats = json.loads(run_tool("srp-matrix", 9468, 62720, 42, "auto", directory))
    srp = SparseRandomProjection(9468, random_state=42).fit(np.zeros((2, 62720)))
    return load_csr(directory, (9468, 62720)), srp, stats


def test_notebook_matrix_identical(notebook_matrix):
    ours, srp, stats = notebook_matrix
    theirs = sp.csr_matrix(srp.components_)
    assert stats["nnz"] == theirs.nnz
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12, atol=0)


def relu_like_rows(rows, cols, seed):
    """Non-negative, mostly-zero rows like MobileNetV2's last feature map."""
    rng = np.random.default_rng(seed)
    x = rng.gamma(0.6, 1.5, size=(rows, cols)).astype(np.float32)
    x[rng.random((rows, cols)) < 0.55] = 0
    return x


def test_transform_matches_sklearn(tmp_path, notebook_matrix):
    _, srp, _ = notebook_matrix
    x = relu_like_rows(37, 62720, 0)  # 37: not a multiple of the 16-row tiles
    np.save(tmp_path / "x.npy", x)
    run_tool("transform", "srp:9468:62720:42:auto", tmp_path / "x.npy", tmp_path / "y.npy")
    ours = np.load(tmp_path / "y.npy")
    want = srp.transform(x.astype(np.float64))  # components_ in float64, exact reference
    assert ours.shape == want.shape == (37, 9468)
    relative = np.abs(ours - want) / np.maximum(np.abs(want), 1e-3 * np.abs(want).max())
    assert relative.max() <= 1e-5
    # The notebook's own path: fitted on float32, components_ kept in float32.
    srp32 = SparseRandomProjection(9468, random_state=42).fit(np.zeros((2, 62720), np.float32))
    assert srp32.components_.dtype == np.float32
    np.testing.assert_allclose(ours, srp32.transform(x), rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_saved_srp_transforms_alike(tmp_path):
    x = relu_like_rows(5, 3000, 1)
    np.save(tmp_path / "x.npy", x)
    run_tool("save-srp", 300, 3000, 17, 0.05, tmp_path / "srp.parquet")
    run_tool("transform", tmp_path / "srp.parquet", tmp_path / "x.npy", tmp_path / "a.npy")
    run_tool("transform", "srp:300:3000:17:0.05", tmp_path / "x.npy", tmp_path / "b.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))
    want = SparseRandomProjection(300, density=0.05, random_state=17).fit(x).transform(x.astype(np.float64))
    np.testing.assert_allclose(np.load(tmp_path / "a.npy"), want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    import pyarrow.parquet as pq

    metadata = pq.read_schema(tmp_path / "srp.parquet").metadata
    assert metadata[b"imgfeat.reducer.kind"] == b"srp"
    assert metadata[b"imgfeat.srp.seed"] == b"17"
    assert pq.read_table(tmp_path / "srp.parquet").num_rows == 0  # the matrix is not stored
