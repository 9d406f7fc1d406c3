"""imgfeat: images to labelled, dimension-reduced CNN feature tables.

The work is done by imgfeat's C++ library (decoding identical to Pillow,
MobileNetV2 through OpenVINO with Keras' numbers, scikit-learn's reducers);
this package shapes arguments and results:

    imgfeat.run(input, output, **options)      # the CLI's job -> Parquet dataset
    imgfeat.report(output)                     # the run's HTML report and PNG map
    imgfeat.neighbours(output)                 # nearest rows and near-duplicates
    imgfeat.similar(output, images)            # the rows most like each image
    imgfeat.Featurizer(...).featurize(images)  # -> pyarrow.Table (features, error)
    imgfeat.SparseRandomProjection, imgfeat.PCA, imgfeat.load_reducer
    imgfeat.DistributedPCA, pca_partial, merge_partials  # PCA over partitions
    imgfeat.fetch_model("mobilenet_v2")        # the model into the cache, ahead of use
    imgfeat.quantize_model(calibration)        # its int8 model, for precision="int8"
    imgfeat.local_path(row.path)               # the file a row came from, for open()

See docs/PYTHON.md.
"""
import atexit as _atexit
import os as _os

import pyarrow as _pyarrow  # noqa: F401  (the tables it returns are pyarrow's)

from . import _imgfeat
from ._distributed_pca import DistributedPCA, PcaPartial, PcaPass, merge_partials, pca_partial
from ._featurizer import Featurizer
from ._paths import local_path
from ._reducers import PCA, Reducer, SparseRandomProjection, load_reducer
from ._run import report, run
from ._search import neighbours, similar

__version__ = _imgfeat.__version__

# The S3 clients closed and the AWS SDK shut down before the interpreter
# unloads the module, as the native command does at its exit: a process that
# read or wrote s3:// would otherwise crash on its way out.
_atexit.register(_imgfeat._shutdown_storage)


def johnson_lindenstrauss_min_dim(n_samples, eps=0.1):
    """scikit-learn's johnson_lindenstrauss_min_dim for one `n_samples`."""
    return _imgfeat.johnson_lindenstrauss_min_dim(n_samples, eps)


def fetch_model(name="mobilenet_v2", model_dir=None):
    """The path of registered model `name`'s file: found in `model_dir`,
    $IMGFEAT_MODEL_DIR or the cache, or fetched into the cache now (for
    mobilenet_v2: Keras' weight file, converted and checked; docs/MODELS.md).
    What `imgfeat models fetch NAME` does; for a cluster node's set-up.
    Raises OSError (offline, refused weights) or ValueError (unknown name)."""
    return _imgfeat.fetch_model(str(name), "" if model_dir is None else _os.fspath(model_dir))


def quantize_model(calibration, model="mobilenet_v2", images=300, model_dir=None,
                   model_spec=None):
    """Makes `model`'s int8 model for ``precision="int8"``: what `imgfeat
    models quantize` does, with NNCF running in this Python (``pip install
    'imgfeat[quantize]'``). `calibration`: a folder, file or s3:// prefix of
    images, of which `images` are taken, spread over the listing. The model
    goes to `model_dir`, else the model cache (docs/FORMAT.md, "Quantized
    models"). Returns its folder. Raises ValueError (no image, bad options),
    OSError (files) or RuntimeError (NNCF missing or failing)."""
    import sys

    def text(value):
        return "" if value is None else _os.fspath(value)

    return _imgfeat.quantize_model(text(calibration), _os.fspath(model), int(images),
                                   text(model_dir), text(model_spec), sys.executable)


__all__ = ["DistributedPCA", "Featurizer", "PCA", "PcaPartial", "PcaPass", "Reducer",
           "SparseRandomProjection", "fetch_model", "johnson_lindenstrauss_min_dim",
           "load_reducer", "local_path", "merge_partials", "neighbours", "pca_partial",
           "quantize_model", "report", "run", "similar"]
