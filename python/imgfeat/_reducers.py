"""The reducers: scikit-learn's SparseRandomProjection (bit for bit), PCA
fitted from batches, and a run's saved reducer."""
import json
import operator
import os
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _imgfeat


def _rows_of(column, dim):
    """A list<float> column as (valid mask, float32 matrix of the valid rows)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_list(column.type) and not pa.types.is_large_list(column.type):
        raise TypeError(f"features must be a list<float32> column, not {column.type}")
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    if np.any(lengths[valid] != dim):
        bad = int(np.flatnonzero(valid & (lengths != dim))[0])
        raise ValueError(f"features row {bad} has {int(lengths[bad])} values, "
                         f"the reducer expects {dim}")
    values = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return valid, values.reshape(int(valid.sum()), dim)


def _list_column(valid, rows):
    """Rows of the valid entries back into a list<float32> column, nulls kept."""
    k = rows.shape[1]
    offsets = np.zeros(len(valid) + 1, dtype=np.int32)
    np.cumsum(np.where(valid, k, 0), out=offsets[1:])
    element = pa.field("element", pa.float32(), nullable=False)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(rows.ravel()),
                                    type=pa.list_(element),
                                    mask=pa.array(~valid) if not valid.all() else None)


class Reducer:
    """A made or fitted reducer (``kind``: "srp", "pca" or "none").

    ``transform`` takes a NumPy array (rows x input_dim, converted to float32)
    or a pyarrow Table/RecordBatch with a list<float32> ``features`` column
    (what ``Featurizer.featurize`` and a run give; null rows stay null).
    """

    def __init__(self, impl):
        self._impl = impl

    @property
    def kind(self):
        return self._impl.kind

    @property
    def input_dim(self):
        return self._impl.input_dim

    @property
    def output_dim(self):
        return self._impl.output_dim

    def describe(self):
        """The parameters and fitted statistics a run records in _imgfeat.json."""
        return json.loads(self._impl.describe_json())

    def transform(self, x, column="features"):
        """Reduces rows: a NumPy array gives a float32 array, a table gives the
        same table with `column` reduced."""
        if isinstance(x, (pa.Table, pa.RecordBatch)):
            index = x.schema.get_field_index(column)
            if index < 0:
                raise KeyError(f"no column '{column}' in the table")
            valid, rows = _rows_of(x.column(index), self.input_dim)
            reduced = _list_column(valid, self._impl.transform(rows))
            return x.set_column(index, x.schema.field(index).with_type(reduced.type), reduced)
        if isinstance(x, (pa.Array, pa.ChunkedArray)):
            valid, rows = _rows_of(x, self.input_dim)
            return _list_column(valid, self._impl.transform(rows))
        rows = np.ascontiguousarray(x, dtype=np.float32)
        if rows.ndim != 2:
            raise ValueError(f"transform expects a 2-D array (rows x features), "
                             f"got {rows.ndim} dimensions")
        return self._impl.transform(rows)

    def save(self, path):
        """Writes the reducer as a ``_reducer.parquet`` file ``load_reducer`` reads."""
        self._impl.save(os.fspath(path))

    def __repr__(self):
        return f"Reducer(kind={self.kind!r}, {self.input_dim} -> {self.output_dim})"


class SparseRandomProjection(Reducer):
    """scikit-learn's ``SparseRandomProjection(n_components, density=density,
    random_state=seed)`` fitted on `n_features` columns: the same matrix, bit
    for bit, built from the seed alone (every worker builds the same one)."""

    def __init__(self, n_components, n_features, seed=42, density="auto"):
        n_components = operator.index(n_components)
        n_features = operator.index(n_features)
        seed = operator.index(seed)
        if isinstance(density, str):
            if density != "auto":
                raise ValueError(f"density must be 'auto' or in (0, 1], not {density!r}")
            density = 0.0
        self._args = (n_components, n_features, float(density), seed)
        super().__init__(_imgfeat.make_srp(*self._args))

    def components(self):
        """The projection matrix as a scipy.sparse CSR matrix (scikit-learn's
        ``components_``)."""
        import scipy.sparse as sp

        data, indices, indptr = _imgfeat.srp_matrix(*self._args)
        return sp.csr_matrix((data, indices, indptr), shape=(self._args[0], self._args[1]))


class PCA(Reducer):
    """PCA fitted in a few streaming passes (randomized, Halko et al.), as
    ``imgfeat run --reduce pca`` fits it: no d x d covariance is formed.

    ``fit`` reads an iterable of batches once (NumPy arrays, or tables with a
    ``features`` column) and keeps them in a spill file under `workdir` (a
    temporary folder by default) while the passes read them.
    """

    def __init__(self, n_components, oversampling="auto", power_iterations=4, seed=42,
                 workdir=None):
        self.n_components = operator.index(n_components)
        if self.n_components < 1:
            raise ValueError(f"n_components must be >= 1, not {self.n_components}")
        # "auto" (or None): as many extra directions as components, as a run.
        self.oversampling = -1 if oversampling in ("auto", None) else operator.index(oversampling)
        if self.oversampling < -1:
            raise ValueError(f"oversampling must be 'auto' or >= 0, not {oversampling}")
        self.power_iterations = operator.index(power_iterations)
        self.seed = operator.index(seed)
        self.workdir = workdir
        self._impl = None

    def fit(self, batches, column="features"):
        """Fits on every row of `batches`; returns self."""
        with tempfile.TemporaryDirectory(dir=self.workdir, prefix="imgfeat-pca-") as tmp:
            fitter = None
            for batch in batches:
                if isinstance(batch, (pa.Table, pa.RecordBatch)):
                    valid, rows = _rows_of(batch.column(column), _list_dim(batch.column(column)))
                else:
                    rows = np.ascontiguousarray(batch, dtype=np.float32)
                    if rows.ndim != 2:
                        raise ValueError("PCA.fit: each batch must be 2-D (rows x features)")
                if fitter is None:
                    fitter = _imgfeat._PcaFitter(os.path.join(tmp, "features.f32"), rows.shape[1])
                fitter.append(rows)
            if fitter is None:
                raise ValueError("PCA.fit: no batches")
            self._impl = fitter.fit(self.n_components, self.oversampling,
                                    self.power_iterations, self.seed)
        return self

    def _state(self):
        if self._impl is None:
            raise RuntimeError("PCA is not fitted: call fit first")
        return self._impl.pca_state()

    @property
    def components_(self):
        return self._state()["components"]

    @property
    def mean_(self):
        return self._state()["mean"]

    @property
    def explained_variance_(self):
        return self._state()["explained_variance"]

    @property
    def explained_variance_ratio_(self):
        return self._state()["explained_variance_ratio"]


def _list_dim(column):
    lengths = pc.list_value_length(column).drop_null()
    if len(lengths) == 0:
        raise ValueError("a batch has no features")
    return int(lengths[0].as_py())


def load_reducer(path):
    """The reducer a run saved (``OUTPUT/_reducer.parquet``) or ``Reducer.save`` wrote."""
    impl = _imgfeat.load_reducer(os.fspath(path))
    return Reducer(impl)
