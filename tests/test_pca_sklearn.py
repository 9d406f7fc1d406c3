"""imgfeat's streaming randomized PCA against scikit-learn's exact PCA.

scikit-learn's PCA(svd_solver='full') is the reference, computed here at test
time on data small enough for it; imgfeat's fit reads the same rows in blocks
(and, in one case, back from a FeatureSpill file).
"""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA

from conftest import read_saved_pca

BUILD = Path(os.environ.get("IMGFEAT_BUILD", Path(__file__).resolve().parents[1] / "build"))
TOOL = BUILD / "tools" / "imgfeat_reduce"


def run_tool(*args):
    result = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def decaying_spectrum(rows=300, cols=2000, seed=0):
    """Rows with singular values 100 * 0.8^i around a non-zero mean, plus noise."""
    rng = np.random.default_rng(seed)
    rank = 60
    u, _ = np.linalg.qr(rng.standard_normal((rows, rank)))
    v, _ = np.linalg.qr(rng.standard_normal((cols, rank)))
    s = 100 * 0.8 ** np.arange(rank)
    x = (u * s) @ v.T + rng.uniform(0, 3, cols) + 0.01 * rng.standard_normal((rows, cols))
    return x.astype(np.float32)


def feature_like(rows=400, cols=3000, seed=1):
    """Non-negative, sparse, ReLU-like rows driven by a few latent factors."""
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((rows, 12)) * np.linspace(3, 0.5, 12)
    x = np.maximum(factors @ rng.standard_normal((12, cols)) + rng.normal(-1, 0.5, cols), 0)
    return (x + 0.05 * rng.gamma(0.5, 1, (rows, cols))).astype(np.float32)


def check_against_sklearn(ours, x, k, top):
    reference = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
    np.testing.assert_allclose(ours["mean"], reference.mean_, rtol=1e-5, atol=1e-5)
    assert ours["n_samples"] == x.shape[0]
    np.testing.assert_allclose(
        ours["explained_variance_ratio"][:top], reference.explained_variance_ratio_[:top], rtol=1e-3
    )
    np.testing.assert_allclose(ours["explained_variance"][:top], reference.explained_variance_[:top], rtol=1e-3)
    for i in range(top):
        cosine = ours["components"][i] @ reference.components_[i]
        cosine /= np.linalg.norm(ours["components"][i]) * np.linalg.norm(reference.components_[i])
        assert abs(cosine) >= 0.999, f"component {i}: cosine {cosine}"
        # Both apply svd_flip(u_based_decision=False), so the signs agree too.
        assert cosine > 0, f"component {i}: opposite sign"
    return reference


def test_decaying_spectrum(tmp_path):
    x = decaying_spectrum()
    np.save(tmp_path / "x.npy", x)
    run_tool("pca-fit", tmp_path / "x.npy", 20, tmp_path / "pca.parquet", "--block-rows", 64)
    ours = read_saved_pca(tmp_path / "pca.parquet")
    check_against_sklearn(ours, x, k=20, top=12)


def test_feature_like_from_a_spill_file(tmp_path):
    x = feature_like()
    np.save(tmp_path / "x.npy", x)
    spill = tmp_path / "features.f32"
    run_tool("pca-fit", tmp_path / "x.npy", 10, tmp_path / "pca.parquet", "--spill", spill, "--block-rows", 100)
    assert not spill.exists()  # removed with the spill
    ours = read_saved_pca(tmp_path / "pca.parquet")
    check_against_sklearn(ours, x, k=10, top=6)


def test_saved_pca_transforms_like_sklearn(tmp_path):
    x = decaying_spectrum(rows=200, cols=800, seed=4)
    np.save(tmp_path / "x.npy", x)
    run_tool("pca-fit", tmp_path / "x.npy", 8, tmp_path / "pca.parquet")
    run_tool("transform", tmp_path / "pca.parquet", tmp_path / "x.npy", tmp_path / "y.npy")
    ours = np.load(tmp_path / "y.npy")
    want = PCA(n_components=8, svd_solver="full").fit(x.astype(np.float64)).transform(x.astype(np.float64))
    assert ours.shape == want.shape
    np.testing.assert_allclose(ours, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())
    # Loading and transforming again gives the same numbers, bit for bit.
    run_tool("transform", tmp_path / "pca.parquet", tmp_path / "x.npy", tmp_path / "y2.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "y2.npy"), ours)


def test_rejects_more_components_than_rows(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((5, 10), np.float32))
    result = subprocess.run(
        [str(TOOL), "pca-fit", str(tmp_path / "x.npy"), "6", str(tmp_path / "p.parquet")], capture_output=True, text=True
    )
    assert result.returncode != 0 and "n_components" in result.stderr
    assert not (tmp_path / "p.parquet").exists()
