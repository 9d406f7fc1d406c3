"""PCA fitted across partitions (Spark executors, worker processes) without
bringing the features to one machine; see DistributedPCA."""
import numpy as np
import pyarrow as pa

from . import _imgfeat
from ._reducers import Reducer, _list_dim, _rows_of

PcaPass = _imgfeat.PcaPass
PcaPartial = _imgfeat.PcaPartial


def _as_rows(batch, column):
    if isinstance(batch, (pa.Table, pa.RecordBatch)):
        batch = batch.column(column)
    if isinstance(batch, (pa.Array, pa.ChunkedArray)):
        return _rows_of(batch, _list_dim(batch))[1]
    rows = np.ascontiguousarray(batch, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError("PCA: each batch must be 2-D (rows x features)")
    return rows


def pca_partial(pass_, batches, column="features"):
    """What one partition computes in one pass: a PcaPartial of its rows.

    `batches` is an iterable of NumPy arrays or Arrow tables/arrays with a
    list<float32> `column`. Partials of the same pass merge in any order
    (``a.merge(pass_, b)``); both PcaPass and PcaPartial pickle, so that they
    travel to and from workers.
    """
    partial = PcaPartial.empty(pass_)
    for batch in batches:
        partial.add(pass_, _as_rows(batch, column))
    return partial


def merge_partials(pass_, partials):
    """One PcaPartial from several of the same pass."""
    partials = list(partials)
    if not partials:
        raise ValueError("merge_partials: no partials")
    total = PcaPartial.empty(pass_)
    for partial in partials:
        total.merge(pass_, partial)
    return total


class DistributedPCA:
    """A PCA fit in ``passes`` map-reduce rounds, for rows spread over
    partitions: the randomized PCA of :class:`imgfeat.PCA` and the CLI (the
    same seed, oversampling and power iterations, two of their passes in
    each round), so the same components to float rounding.

    On the driver::

        fit = imgfeat.DistributedPCA(n_components=50, n_features=62720)
        while not fit.done:
            pass_ = fit.pass_                                  # broadcast this
            partials = [imgfeat.pca_partial(pass_, part) for part in partitions]  # on workers
            fit.end_pass(imgfeat.merge_partials(pass_, partials))
        reducer = fit.result()                                 # an imgfeat.Reducer

    Each partition reads its rows once per pass and holds O(n_features * l)
    numbers (l = n_components + oversampling, by default 2 * n_components);
    the result does not depend on how the rows are split. ``fit(make_batches)``
    runs the loop locally.
    """

    def __init__(self, n_components, n_features, oversampling="auto", power_iterations=4,
                 seed=42):
        # "auto" (or None): as many extra directions as components, as a run.
        oversampling = -1 if oversampling in ("auto", None) else oversampling
        if oversampling < -1:
            raise ValueError(f"oversampling must be 'auto' or >= 0, not {oversampling}")
        self._driver = _imgfeat._PcaDriver(n_features, n_components, oversampling,
                                           power_iterations, seed)

    @property
    def pass_(self):
        """The current pass (its basis), for every partition."""
        return self._driver.pass_

    @property
    def passes(self):
        return self._driver.passes

    @property
    def done(self):
        return self._driver.done

    def end_pass(self, total):
        """Ends the current pass with the merged partial of every row."""
        self._driver.end_pass(total)

    def result(self):
        """The fitted PCA as a Reducer (after the last pass)."""
        return Reducer(self._driver.finish())

    def fit_passes(self, total_of):
        """The pass loop, whoever computes the partials: `total_of(pass_)`
        returns the merged PcaPartial of every row for that pass (here, on
        Spark with treeReduce, ...). Returns the fitted Reducer."""
        while not self.done:
            self.end_pass(total_of(self.pass_))
        return self.result()

    def fit(self, make_batches, column="features"):
        """Runs every pass here: `make_batches()` gives a fresh iterable of the
        rows each time. Returns the fitted Reducer."""
        return self.fit_passes(lambda pass_: pca_partial(pass_, make_batches(), column))
