"""imgfeat.Featurizer: a compiled model applied to lists of images."""
import os

import pyarrow as pa

from . import _imgfeat
from ._options import DEFAULTS, describe, fspath_values
from ._paths import path_text
from ._progress import Progress

_PATH_TYPES = (pa.string(), pa.large_string())
_BYTES_TYPES = (pa.binary(), pa.large_binary())


def _as_arrow(images):
    """`images` as a pyarrow string (paths) or binary (encoded bytes) array."""
    if isinstance(images, pa.ChunkedArray):
        images = images.combine_chunks() if images.num_chunks != 1 else images.chunk(0)
    if isinstance(images, pa.Array):
        if images.type not in _PATH_TYPES + _BYTES_TYPES:
            raise TypeError(f"images must be a string (paths) or binary (encoded images) array, "
                            f"not {images.type}")
        return images
    if isinstance(images, (str, bytes, bytearray, os.PathLike)):
        raise TypeError("images must be a list of images; wrap a single image in a list")
    try:
        items = list(images)
    except TypeError:
        raise TypeError(f"images must be a list of paths or of bytes, or a pyarrow array, "
                        f"not {type(images).__name__}") from None
    kinds = set()
    values = []
    for i, item in enumerate(items):
        if item is None:
            values.append(None)
        elif isinstance(item, (str, os.PathLike)):
            # Any file name, also one that is not UTF-8 (surrogate-escaped
            # str, or a PathLike giving bytes): the core takes its text.
            kinds.add("path")
            values.append(path_text(item))
        elif isinstance(item, (bytes, bytearray, memoryview)):
            kinds.add("bytes")
            values.append(item if isinstance(item, bytes) else bytes(item))
        else:
            raise TypeError(f"images[{i}] is of type {type(item).__name__}: give paths (str or "
                            f"os.PathLike) or encoded images (bytes), or None")
    if len(kinds) > 1:
        raise TypeError("images mixes paths and bytes: give one kind per call")
    return pa.array(values, type=pa.binary() if "bytes" in kinds else pa.string())


class Featurizer:
    """A model loaded and compiled once, applied to lists of images.

    Decoding (Pillow-exact), resizing, preprocessing and inference run in C++
    on `threads` threads, exactly as ``imgfeat run`` does: a row holds the same
    features, bit for bit, that the CLI writes for the same image with
    ``reduce="none"``.

    Args:
{options}
        model_cache: a folder for OpenVINO's cache of compiled models: the
            first process compiles and stores, later ones (same model, same
            settings) load in a fraction of the time. None: no cache.

    Raises ValueError (unknown model, pooling, engine; bad numbers) or OSError
    (model file missing and not downloadable) at once.
    """

    def __init__(self, model=DEFAULTS["model"], pooling=DEFAULTS["pooling"],
                 engine=DEFAULTS["engine"], threads=DEFAULTS["threads"],
                 batch=DEFAULTS["batch"], model_dir=None, model_spec=None,
                 max_pixels=DEFAULTS["max_pixels"], model_cache=None,
                 precision=DEFAULTS["precision"], embedding=DEFAULTS["embedding"]):
        options = fspath_values({"model": model, "pooling": pooling, "engine": engine,
                                 "threads": threads, "batch": batch, "model_dir": model_dir,
                                 "model_spec": model_spec, "max_pixels": max_pixels,
                                 "precision": precision, "embedding": embedding})
        self._impl = _imgfeat._Featurizer(
            options, model_cache=os.fspath(model_cache) if model_cache is not None else "")

    @property
    def feature_dim(self):
        """Floats per row of ``features``."""
        return self._impl.feature_dim

    @property
    def threads(self):
        return self._impl.threads

    @property
    def batch(self):
        return self._impl.batch

    @property
    def model_path(self):
        """The model file that was compiled."""
        return self._impl.model_path

    def featurize(self, images, progress=True, reducer=None):
        """Features of `images`, one row per input, in order.

        Args:
            images: a list of paths (str or os.PathLike), a list of encoded
                images (bytes), or a pyarrow string/binary array (Spark's
                ``content`` column); None entries are allowed.
            progress: show a progress bar (terminal or Jupyter).
            reducer: a Reducer (``imgfeat.load_reducer``, ``imgfeat.PCA().fit``,
                ``imgfeat.SparseRandomProjection``) whose input is this model's
                features: ``features`` then holds the reduced rows, the same
                numbers as ``reducer.transform`` of the unreduced ones, without
                ever holding those (62,720 floats a row for MobileNetV2).

        Returns:
            pyarrow.Table with ``features`` (list<float32>, null when the image
            failed), with ``embedding=True`` then ``embedding`` (list<float32>,
            the output averaged over its positions, null when the image
            failed), and ``error`` (null, or a one-line reason naming the path
            or the row). A bad image never raises.

        Raises TypeError for a wrong kind of `images`; KeyboardInterrupt when
        interrupted (Ctrl-C stops it within a batch).
        """
        array = _as_arrow(images)
        impl = None if reducer is None else reducer._impl
        dim = self.feature_dim if reducer is None else reducer.output_dim
        # Offsets of a list<float32> column are 32-bit: keep each batch below.
        per_call = max(1, (2**31 - 1) // dim)
        batches = []
        with Progress(progress, total=len(array)) as bar:
            for start in range(0, max(len(array), 1), per_call):
                chunk = array.slice(start, per_call)
                schema, data = chunk.__arrow_c_array__()
                offset = start
                report = (lambda done, offset=offset: bar(offset + done)) if progress else None
                capsules = self._impl.featurize(schema, data, report, impl)
                batches.append(pa.RecordBatch._import_from_c_capsule(*capsules))
                if progress:
                    bar(start + len(chunk))
        return pa.Table.from_batches(batches, schema=batches[0].schema)

    def __repr__(self):
        return (f"Featurizer(model={self._impl.model_name!r}, feature_dim={self.feature_dim}, "
                f"threads={self.threads}, batch={self.batch})")


Featurizer.__doc__ = Featurizer.__doc__.replace("{options}", describe("featurizer", " " * 8))
