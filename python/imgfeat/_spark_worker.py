"""What runs inside Spark's Python workers: one compiled model per process,
reused by every batch and task the process is given, and the function that
turns a batch of images into a batch of feature rows.

Spark keeps its Python workers alive between tasks (spark.python.worker.reuse,
on by default), so the module-level caches below outlive a task: a model is
compiled once per worker process. With IMGFEAT_SPARK_LOAD_LOG set to a
folder, every compilation appends the process id to a file there, which is how
the tests count compilations per process.
"""
import os
import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from . import _imgfeat
from ._featurizer import Featurizer
from ._reducers import Reducer, SparseRandomProjection, load_reducer
from ._zip_invalidation import read_zips_again_only_when_changed

# Imported by a Python worker with its first task: the tasks after it no
# longer pay for re-reading pyspark.zip (_zip_invalidation.py).
read_zips_again_only_when_changed()

_lock = threading.Lock()
_featurizers = {}
_reducers = {}
_storage_configured = None

# The rows the Spark side produces (the core's schema): the output's columns,
# features null on a failed image, and the reason (`error`) and where it
# failed (`stage`).
ROW_SCHEMA = pa.Schema._import_from_c_capsule(_imgfeat.spark_row_schema())
ROW_DDL = _imgfeat.spark_row_ddl()


def keep_columns(text):
    """--keep-columns' names ("url,caption" or a list) as a list."""
    if isinstance(text, str):
        return [name for name in text.split(",")] if text else []
    return list(text or [])


_ROW_SCHEMA_EMBEDDING = pa.Schema._import_from_c_capsule(_imgfeat.spark_row_schema(True))
_FLOATS = ROW_SCHEMA.field("features").type


def row_schema(kept=(), embedding=False):
    """ROW_SCHEMA (with `embedding`, the core's `embedding` column after it),
    then a string column per kept name (--keep-columns): after ROW_SCHEMA's
    own, the order of the part's columns."""
    base = _ROW_SCHEMA_EMBEDDING if embedding else ROW_SCHEMA
    return pa.schema(list(base) + [pa.field(k, pa.string()) for k in kept])


def row_ddl(kept=(), embedding=False):
    """row_schema in Spark's DDL."""
    return (_imgfeat.spark_row_ddl(embedding)
            + "".join(f", `{k.replace('`', '``')}` string" for k in kept))


def configure_storage(storage):
    """Sets this process's S3 settings once (they must precede any s3:// path)."""
    global _storage_configured
    key = tuple(sorted((storage or {}).items()))
    with _lock:
        if _storage_configured is None:
            s = storage or {}
            _imgfeat.configure_storage(s.get("endpoint", ""), s.get("region", ""),
                                       bool(s.get("anonymous", False)), int(s.get("attempts", 10)))
            _storage_configured = key
        elif _storage_configured != key:
            raise ValueError("imgfeat.spark: one Python worker was given two S3 configurations")


def default_model_cache():
    """Where a worker keeps OpenVINO's compiled models: $IMGFEAT_MODEL_CACHE
    ("off": nowhere), else a folder in the node's temporary directory, shared
    by every worker process of the node and user."""
    import tempfile

    chosen = os.environ.get("IMGFEAT_MODEL_CACHE")
    if chosen == "off":
        return None
    return chosen or os.path.join(tempfile.gettempdir(), f"imgfeat-openvino-cache-{os.getuid()}")


def featurizer(model):
    """The process's Featurizer for `model` (a dict of Featurizer arguments;
    without "model_cache", the node's default cache), compiled on first use."""
    if "model_cache" not in model:
        model = dict(model, model_cache=default_model_cache())
    key = tuple(sorted(model.items()))
    with _lock:
        found = _featurizers.get(key)
        if found is None:
            found = Featurizer(**model)
            _featurizers[key] = found
            log = os.environ.get("IMGFEAT_SPARK_LOAD_LOG")
            if log:
                with open(os.path.join(log, f"loads-{os.getpid()}.txt"), "a") as f:
                    f.write(f"{os.getpid()} {found.model_path}\n")
        return found


def reducer(spec):
    """The reducer a spec names, made once per process: `{"kind": "none"}`,
    `{"kind": "srp", n_components, n_features, seed, density}` (rebuilt from
    its seed, nothing shipped), `{"kind": "file", "uri": ...}` (a saved
    reducer, read once) or `{"kind": "pickled", ...}`."""
    if spec is None or spec.get("kind") == "none":
        return None
    key = tuple(sorted((k, v) for k, v in spec.items() if k != "state"))
    with _lock:
        found = _reducers.get(key)
        if found is None:
            kind = spec["kind"]
            if kind == "srp":
                found = SparseRandomProjection(spec["n_components"], spec["n_features"],
                                               seed=spec["seed"], density=spec["density"])
            elif kind == "file":
                found = load_reducer(spec["uri"])
            else:
                raise ValueError(f"unknown reducer spec {kind!r}")
            _reducers[key] = found
        return found


def _strip_file_scheme(path):
    """Spark's binaryFile gives file:/a/b (or file:///a/b); a run writes /a/b."""
    if path.startswith("file://"):
        return path[len("file://"):]
    if path.startswith("file:"):
        return path[len("file:"):]
    return path


def _decode_reason(message):
    """'#12: reason' (the Featurizer's row prefix) -> 'reason'."""
    if message.startswith("#"):
        colon = message.find(": ")
        if colon > 0:
            return message[colon + 2:]
    return message


# Images (loose files or a shard's samples) featurized at once: a bound on a
# task's memory (their bytes and, before the reducer, 62,720 floats each)
# whatever the size of its slice of the listing or of its shards.
BATCH_ROWS = 256


def featurize_listing(batch, config):
    """Batches of ROW_SCHEMA for one batch of the driver's listing, in
    listing order (the CLI's row order), at most BATCH_ROWS rows each: the
    loose files (featurize_batch), and each shard, read here."""
    shards = config.get("shards")
    paths = batch.column(batch.schema.names.index("path")).to_pylist()
    is_shard = _imgfeat._ShardSamples.are_shards(paths, shards) if shards else [False] * len(paths)
    if not any(is_shard):
        for start in range(0, len(paths), BATCH_ROWS):
            yield featurize_batch(batch.slice(start, BATCH_ROWS), config)
        return
    configure_storage(config.get("storage"))  # s3:// shards
    skip = set(config.get("skip_samples") or ())
    names = batch.schema.names
    # The listing's size and time of each shard; -1 (a frame of paths): from its storage.
    lengths = ([-1 if v is None else v for v in batch.column("length").to_pylist()]
               if "length" in names else [-1] * len(paths))
    time_column = next((n for n in ("modification_time", "modificationTime") if n in names), None)
    times = ([-1 if v is None else v for v in batch.column(time_column).cast(
        pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()]
        if time_column else [-1] * len(paths))
    if time_column is None:
        lengths = [-1] * len(paths)
    if "first_row_group" in names:  # a Parquet shard's slice of row groups
        slices = list(zip(batch.column("first_row_group").to_pylist(),
                          batch.column("row_groups").to_pylist()))
    else:
        slices = [(0, 0)] * len(paths)
    i = 0
    while i < len(paths):
        if not is_shard[i]:
            j = i
            while j < len(paths) and not is_shard[j]:
                j += 1
            for start in range(i, j, BATCH_ROWS):
                yield featurize_batch(batch.slice(start, min(BATCH_ROWS, j - start)), config)
            i = j
            continue
        samples = _imgfeat._ShardSamples(_strip_file_scheme(paths[i]), lengths[i], times[i],
                                         shards, skip, *slices[i])
        while (capsules := samples.next_batch(BATCH_ROWS)) is not None:
            yield featurize_batch(pa.RecordBatch._import_from_c_capsule(*capsules), config)
        i += 1


def featurize_batch(batch, config):
    """One Arrow batch of images to rows of ROW_SCHEMA.

    `batch` has `path` and either `content` (Spark's binaryFile: bytes,
    `modificationTime`, `length`; a shard's samples: also `error`, where the
    content is null) or nothing else (the files are read here,
    through imgfeat's storage: local paths or s3://), and optionally `label`,
    `modification_time`, `length` (the driver's listing)."""
    names = batch.schema.names
    paths = [_strip_file_scheme(p) for p in batch.column(names.index("path")).to_pylist()]
    n = len(paths)
    errors = [None] * n
    stages = [None] * n
    configure_storage(config.get("storage"))  # s3:// images, models or reducers
    if "error" in names:  # a shard's samples that could not be read
        for i, message in enumerate(batch.column(names.index("error")).to_pylist()):
            if message is not None:
                errors[i], stages[i] = message, "read"
    if "content" in names:
        content = batch.column(names.index("content"))
    else:
        lengths = ([-1 if v is None else v for v in batch.column(names.index("length")).to_pylist()]
                   if "length" in names else [-1] * n)
        # With the driver's listing, a file changed since it was listed is
        # refused, as a run refuses it.
        times = []
        if "length" in names and "modification_time" in names:
            column = batch.column(names.index("modification_time"))
            times = [-1 if v is None else v for v in
                     column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()]
        capsules, read_errors = _imgfeat.read_images(paths, lengths,
                                                     config.get("max_file_bytes", 512 << 20),
                                                     times)
        content = pa.RecordBatch._import_from_c_capsule(*capsules).column(0)
        for i, message in enumerate(read_errors):
            if message is not None:
                errors[i], stages[i] = message, "read"
    model = featurizer(config["model"])
    # Reduced batch by batch inside the core's loop, as a run reduces: the
    # 62,720 floats of a row never reach Python.
    result = model.featurize(content, progress=False, reducer=reducer(config.get("reduce")))
    features = result.column("features")
    for i, message in enumerate(result.column("error").to_pylist()):
        if message is not None and errors[i] is None:
            errors[i], stages[i] = _decode_reason(message), "decode"
    if isinstance(features, pa.ChunkedArray):
        features = features.combine_chunks()
    if "label" in names:
        labels = batch.column(names.index("label"))
    else:
        labels = pa.array(_imgfeat.labels_of(paths, config.get("label_regex", "")), pa.string())
    if "modification_time" in names:
        times = batch.column(names.index("modification_time"))
    elif "modificationTime" in names:
        times = batch.column(names.index("modificationTime"))
    else:
        times = pa.nulls(n, pa.timestamp("us", tz="UTC"))
    times = times.cast(pa.timestamp("us", tz="UTC"))
    # Without a length column, the length of the bytes read (null where none).
    lengths = (batch.column(names.index("length")).cast(pa.int64()) if "length" in names
               else pa.compute.binary_length(content).cast(pa.int64()))
    features = features.cast(_FLOATS)
    embedding = "embedding" in result.column_names
    extra = [result.column("embedding").combine_chunks().cast(_FLOATS)] if embedding else []
    kept = config.get("keep_columns") or []
    # A shard sample's --keep-columns values; null for a loose file.
    kept_columns = [batch.column(names.index(k)).cast(pa.string()) if k in names
                    else pa.nulls(n, pa.string()) for k in kept]
    return pa.RecordBatch.from_arrays(
        [pa.array(paths, pa.string()), labels, times, lengths, features,
         pa.array(errors, pa.string()), pa.array(stages, pa.string())] + extra + kept_columns,
        schema=row_schema(kept, embedding))


def shipped_reducer(token, state):
    """A fitted reducer shipped as its saved file's bytes (`state`, a broadcast
    value), loaded once per process and `token`."""
    key = ("shipped", token)
    with _lock:
        found = _reducers.get(key)
        if found is None:
            import tempfile
            with tempfile.NamedTemporaryFile(suffix=".parquet") as f:
                f.write(state)
                f.flush()
                found = load_reducer(f.name)
            _reducers[key] = found
        return found


def as_matrix(features):
    """A list<float32> column without nulls as a (rows, dim) float32 matrix."""
    if isinstance(features, pa.ChunkedArray):
        features = features.combine_chunks()
    if len(features) == 0:
        return np.zeros((0, 0), np.float32)
    values = features.flatten().to_numpy(zero_copy_only=False)
    return values.astype(np.float32, copy=False).reshape(len(features), -1)


__all__ = ["ROW_DDL", "ROW_SCHEMA", "Reducer", "configure_storage", "featurize_batch",
           "keep_columns", "row_ddl", "row_schema",
           "featurizer", "reducer"]
