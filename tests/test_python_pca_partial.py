"""PCA across partitions: partials computed in separate worker processes,
pickled back and merged, give scikit-learn's PCA and do not depend on how
the rows are split."""
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)


def data():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((500, 5)) @ (rng.standard_normal((5, 200)) * [[5], [4], [3], [2], [1]])
    return (x + 3.0 + 0.01 * rng.standard_normal((500, 200))).astype(np.float32)


def partition_partial(args):
    """A worker: its rows, the pass it was sent; returns the partial, pickled."""
    pass_bytes, start, stop = args
    pass_ = pickle.loads(pass_bytes)
    x = data()[start:stop]
    batches = [x[i:i + 37] for i in range(0, len(x), 37)]
    return pickle.dumps(imgfeat.pca_partial(pass_, batches))


def test_partials_from_worker_processes_give_scikit_learns_pca():
    x = data()
    splits = [(0, 120), (120, 121), (121, 390), (390, 500)]
    fit = imgfeat.DistributedPCA(n_components=4, n_features=200, seed=5)
    assert fit.passes == 5
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        while not fit.done:
            pass_ = fit.pass_
            sent = pickle.dumps(pass_)
            partials = [pickle.loads(p) for p in
                        pool.map(partition_partial, [(sent, a, b) for a, b in splits])]
            assert sum(p.rows for p in partials) == 500
            fit.end_pass(imgfeat.merge_partials(pass_, partials))
    reducer = fit.result()
    assert (reducer.kind, reducer.input_dim, reducer.output_dim) == ("pca", 200, 4)

    theirs = SkPCA(4, svd_solver="full").fit(x.astype(np.float64))
    state = reducer._impl.pca_state()
    np.testing.assert_allclose(state["explained_variance"], theirs.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(state["explained_variance_ratio"],
                               theirs.explained_variance_ratio_, rtol=1e-4)
    np.testing.assert_allclose(state["mean"], theirs.mean_, atol=1e-4)
    # Same components, same sign convention (svd_flip).
    np.testing.assert_allclose(state["components"], theirs.components_, atol=1e-4)
    np.testing.assert_allclose(reducer.transform(x), theirs.transform(x.astype(np.float64)),
                               atol=1e-3 * np.abs(theirs.transform(x)).max())

    # One partition, in one process: the same fit.
    local = imgfeat.DistributedPCA(n_components=4, n_features=200, seed=5).fit(lambda: [x])
    np.testing.assert_allclose(local._impl.pca_state()["components"], state["components"],
                               atol=1e-5)


def test_partial_errors():
    fit = imgfeat.DistributedPCA(n_components=2, n_features=10)
    with pytest.raises(ValueError, match="9 features, the pass has 10"):
        imgfeat.pca_partial(fit.pass_, [np.zeros((3, 9), np.float32)])
    with pytest.raises(ValueError, match="at least 2 rows"):
        fit.end_pass(imgfeat.pca_partial(fit.pass_, [np.ones((1, 10), np.float32)]))
    with pytest.raises(ValueError, match="is open"):
        fit.result()
    other = imgfeat.DistributedPCA(n_components=2, n_features=12)
    with pytest.raises(ValueError, match="does not belong"):
        imgfeat.PcaPartial.empty(fit.pass_).merge(fit.pass_, imgfeat.PcaPartial.empty(other.pass_))
    with pytest.raises(ValueError, match="n_components"):
        imgfeat.DistributedPCA(n_components=-1, n_features=10)
