"""imgfeat: images to labelled, dimension-reduced CNN feature tables.

The work is done by imgfeat's C++ library (decoding identical to Pillow,
MobileNetV2 through OpenVINO with Keras' numbers, scikit-learn's reducers);
this package shapes arguments and results:

    imgfeat.run(input, output, **options)      # the CLI's job -> Parquet dataset
    imgfeat.report(output)                     # the run's HTML report and PNG map
    imgfeat.Featurizer(...).featurize(images)  # -> pyarrow.Table (features, error)
    imgfeat.SparseRandomProjection, imgfeat.PCA, imgfeat.load_reducer
    imgfeat.DistributedPCA, pca_partial, merge_partials  # PCA over partitions

See docs/PYTHON.md.
"""
import pyarrow as _pyarrow  # noqa: F401  (loads libarrow before the module needs it)

from . import _imgfeat
from ._distributed_pca import DistributedPCA, PcaPartial, PcaPass, merge_partials, pca_partial
from ._featurizer import Featurizer
from ._reducers import PCA, Reducer, SparseRandomProjection, load_reducer
from ._run import report, run

__version__ = _imgfeat.__version__


def johnson_lindenstrauss_min_dim(n_samples, eps=0.1):
    """scikit-learn's johnson_lindenstrauss_min_dim for one `n_samples`."""
    return _imgfeat.johnson_lindenstrauss_min_dim(n_samples, eps)


__all__ = ["DistributedPCA", "Featurizer", "PCA", "PcaPartial", "PcaPass", "Reducer",
           "SparseRandomProjection", "johnson_lindenstrauss_min_dim", "load_reducer",
           "merge_partials", "pca_partial", "report", "run"]
