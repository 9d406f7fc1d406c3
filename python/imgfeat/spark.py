"""imgfeat on Apache Spark: images of a DataFrame to feature rows, with
imgfeat's C++ core in every executor (docs/SPARK.md).

    import imgfeat.spark
    images = spark.read.format("binaryFile").load("s3://bucket/images/")  # or a `path` column
    rows = imgfeat.spark.featurize(images, reduce="srp", components=1000)
    rows.write.parquet(...)

Each Python worker compiles the model once and keeps it for every later batch
and task it runs (Spark reuses its Python workers); SRP is rebuilt from its
seed on each executor, nothing large is broadcast; PCA is fitted from
per-partition partial states combined with treeReduce, so that no feature
reaches the driver. `python -m imgfeat.spark_job` is the whole run, with the
CLI's output folder.
"""
import pickle
import uuid

import pyarrow as pa

from . import _imgfeat
from . import _spark_commit as commit
from . import _spark_worker as worker
from ._distributed_pca import DistributedPCA, PcaPartial
from ._options import DEFAULTS
from ._reducers import SparseRandomProjection
from . import johnson_lindenstrauss_min_dim

ROW_DDL = worker.ROW_DDL


def model_config(model=DEFAULTS["model"], pooling=DEFAULTS["pooling"], engine=DEFAULTS["engine"],
                 threads=1, batch=DEFAULTS["batch"], model_dir=None, model_spec=None,
                 max_pixels=DEFAULTS["max_pixels"], precision=DEFAULTS["precision"],
                 embedding=DEFAULTS["embedding"]):
    """The Featurizer arguments each worker compiles its model with."""
    config = {"model": str(model), "pooling": pooling, "engine": engine, "threads": int(threads),
              "batch": int(batch), "max_pixels": int(max_pixels), "precision": precision}
    if embedding:  # the rows then carry `embedding` (worker.row_schema)
        config["embedding"] = True
    if model_dir is not None:
        config["model_dir"] = str(model_dir)
    if model_spec is not None:
        config["model_spec"] = str(model_spec)
    return config


def storage_config(s3_endpoint="", s3_region="", s3_anonymous=False, s3_attempts=10):
    """How the workers reach s3:// paths (docs/S3.md)."""
    return {"endpoint": s3_endpoint or "", "region": s3_region or "",
            "anonymous": bool(s3_anonymous), "attempts": int(s3_attempts)}


def srp_spec(n_components, n_features, seed=42, density="auto"):
    """A SparseRandomProjection as the few numbers each worker rebuilds it from."""
    return {"kind": "srp", "n_components": int(n_components), "n_features": int(n_features),
            "seed": int(seed), "density": density}


def listing(spark, input, *, split_parquet_bytes=128 << 20, partitions=0, **options):
    """The files and shards under `input` (a folder, an s3:// prefix or one
    file) as a run lists them, one row per file or shard, and one per slice
    of the row groups of a Parquet shard larger than `split_parquet_bytes`
    (0: never split): a DataFrame of path, label, modification_time, length,
    first_row_group, row_groups for :func:`featurize` with the same
    `options` (imgfeat.run's names: input_format, label_regex, ...).
    `partitions`: 0 for Spark's default parallelism."""
    capsules, _, _ = _imgfeat.list_images(str(input), ".", options, int(split_parquet_bytes))
    batch = pa.RecordBatch._import_from_c_capsule(*capsules)
    return listing_frame(spark, batch, partitions or spark.sparkContext.defaultParallelism)


def listing_frame(spark, listing, partitions):
    """The driver's listing (list_images' batch) as a DataFrame of
    `partitions` contiguous slices, in listing order, so that parts read in
    name order hold the rows in the CLI's order."""
    from pyspark.sql.types import (IntegerType, LongType, StringType, StructField,
                                   StructType, TimestampType)

    schema = StructType([StructField("path", StringType(), False),
                         StructField("label", StringType(), False),
                         StructField("modification_time", TimestampType(), False),
                         StructField("length", LongType(), False),
                         StructField("first_row_group", IntegerType(), False),
                         StructField("row_groups", IntegerType(), False)])
    rows = list(zip(*(c.to_pylist() for c in listing.columns)))
    slices = max(1, min(partitions, len(rows)))
    try:
        return _jvm_only_frame(spark, rows, schema, slices)
    except AttributeError:  # a PySpark without these internals: the public way
        return spark.createDataFrame(spark.sparkContext.parallelize(rows, slices), schema)


def _jvm_only_frame(spark, rows, schema, slices):
    """`spark.createDataFrame(sc.parallelize(rows, slices), schema)` without
    its Python map: the rows are converted to Spark's internal form here, on
    the driver, and the executors unpickle them in the JVM, as PySpark does
    for a local list (SparkSession._create_dataframe). Otherwise every task
    starts a Python worker of its own only to convert its slice of the listing,
    beside the one that featurizes it: 0.2-0.3 s a task, 2.5 s the first one
    of each executor (docs/BENCHMARKS.md, "Spark: scaling against the CLI")."""
    from pyspark.sql import DataFrame

    internal = [schema.toInternal(row) for row in rows]
    rdd = spark.sparkContext.parallelize(internal, slices)
    # parallelize stores pickled lists of rows, which the JVM unpickles as
    # they are (rdd._to_java_object_rdd() would first re-batch them in Python).
    jvm = spark._jvm
    jrdd = jvm.SerDeUtil.toJavaArray(jvm.SerDeUtil.pythonToJava(rdd._jrdd, True))
    return DataFrame(spark._jsparkSession.applySchemaToPythonRDD(jrdd.rdd(), schema.json()), spark)


def equal_sizes(rows, slices):
    """`slices` (at most `rows`, at least 1) contiguous slices' sizes, as equal as can be."""
    slices = max(1, min(slices, rows))
    return [(i + 1) * rows // slices - i * rows // slices for i in range(slices)]


def task_sizes(rows, cores, most=2000, fewest=32):
    """The sizes of the featurizing stage's tasks, largest first (guided
    scheduling): each takes 1 / (2 * cores) of the images left, at most `most`
    and at least `fewest`. Spark starts a stage's tasks in partition order, so
    the first tasks are long (few set-ups) and the last ones short: the cores
    finish within a short task of each other, whenever each started. With
    tasks of one size, the core that finished first idled for up to a whole
    task (docs/BENCHMARKS.md, "Spark: scaling against the CLI")."""
    sizes = []
    left = rows
    while left > 0:
        size = min(left, max(fewest, min(most, -(-left // (2 * max(1, cores))))))
        sizes.append(size)
        left -= size
    return sizes


def featurize(df, *, model=DEFAULTS["model"], pooling=DEFAULTS["pooling"],
              engine=DEFAULTS["engine"], threads=1, batch=DEFAULTS["batch"], model_dir=None,
              model_spec=None, max_pixels=DEFAULTS["max_pixels"],
              max_file_bytes=DEFAULTS["max_file_bytes"], label_regex="", reduce="none",
              components="auto", eps=DEFAULTS["eps"], density="auto", seed=DEFAULTS["seed"],
              reducer_from=None, storage=None, input_format=DEFAULTS["input_format"],
              image_column="", label_field="", keep_columns="",
              precision=DEFAULTS["precision"], embedding=DEFAULTS["embedding"]):
    """Features of the images of `df`, one row per input row.

    `df` has Spark's binaryFile schema (path, modificationTime, length,
    content) or a `path` column only (then each worker reads the files itself
    through imgfeat's storage: local or shared paths and s3:// URIs, with
    `storage` from :func:`storage_config`). Optional columns `label`,
    `modification_time`, `length` are kept; without them the label comes
    from the path (`label_regex`, as a run), the length is that of the bytes
    read and the modification time is null.

    Returns a DataFrame of ``ROW_DDL``: path, label, modification_time,
    length, features (array<float>, null when the image failed), error (null,
    or the one-line reason) and stage (``read`` or ``decode``). A bad image is
    an error row, never a failed task.

    `reduce`: ``"none"``, ``"srp"`` (rebuilt from `seed` on each executor;
    ``components="auto"`` counts `df` first), ``"pca"`` (see :func:`fit_pca`;
    the features are persisted on the executors' disks between the passes)
    or ``"file"`` with `reducer_from`, a saved ``_reducer.parquet``.
    `threads`: decode and inference threads per task (match
    ``spark.task.cpus``).

    Shards (docs/FORMAT.md): a row whose path is a WebDataset tar or a
    Parquet file with image bytes (`input_format`, as a run decides) is read
    by the task given it and gives one row per sample, SHARD#KEY, labelled as
    a run labels it (`label_field`, `label_regex`); `image_column` names a
    Parquet image column. Give shards as :func:`listing` lists them (large
    Parquet files split by row group) or as a frame of paths: binaryFile's
    `content` of a shard is not used. `keep_columns` ("url,caption" or a
    list) adds a string column per name with the samples' metadata, as
    ``--keep-columns`` (null for loose files). `precision`: ``"f32"``,
    ``"bf16"`` or ``"int8"``, as ``--precision`` (int8: every executor finds
    the quantized model in its model folders, docs/SPARK.md). `embedding`:
    an ``embedding`` column (array<float>, after ``stage``, before the kept
    columns) of the unreduced output averaged over its positions, as
    ``--embedding`` writes it.
    """
    kept = worker.keep_columns(keep_columns)
    config = {"model": model_config(model, pooling, engine, threads, batch, model_dir,
                                    model_spec, max_pixels, precision, embedding),
              "max_file_bytes": int(max_file_bytes), "label_regex": label_regex,
              "storage": storage or storage_config(),
              "shards": {"input_format": input_format, "image_column": image_column,
                         "label_field": label_field, "label_regex": label_regex,
                         "max_file_bytes": int(max_file_bytes),
                         "keep_columns": ",".join(kept)},
              "keep_columns": kept}
    if reduce == "srp":
        # The model's feature size from its spec, without compiling it here.
        model_options = {k: v for k, v in config["model"].items()
                         if k in ("model", "model_dir", "model_spec", "pooling")}
        feature_dim = _imgfeat.plan(".", ".", dict(model_options, reduce="none"), 1)["feature_dim"]
        if components == "auto":
            components = johnson_lindenstrauss_min_dim(df.count(), eps)
        config["reduce"] = srp_spec(components, feature_dim, seed, density)
    elif reduce == "file":
        config["reduce"] = {"kind": "file", "uri": str(reducer_from)}
    elif reduce not in ("none", "pca", None):
        raise ValueError(f"reduce must be none, srp, pca or file, not {reduce!r}")
    rows = df.mapInArrow(commit.featurized(config), worker.row_ddl(kept, embedding))
    if reduce != "pca":
        return rows
    from pyspark import StorageLevel

    rows = rows.persist(StorageLevel.DISK_ONLY)
    if components == "auto":
        raise ValueError("reduce='pca' needs a number of components")
    fitted = fit_pca(rows, int(components), seed=seed)
    return transform(rows, fitted)


def _partial_of_partition(pass_, column):
    def run(batches):
        partial = PcaPartial.empty(pass_)
        for batch in batches:
            features = batch.column(batch.schema.get_field_index(column))
            features = features.filter(features.is_valid())
            if len(features):
                partial.add(pass_, worker.as_matrix(features))
        yield pa.RecordBatch.from_arrays([pa.array([pickle.dumps(partial)], pa.binary())],
                                         names=["partial"])
    return run


def _merged(pass_):
    def merge(a, b):
        a.merge(pass_, b)
        return a
    return merge


def fit_pca(df, n_components, column="features", oversampling="auto", power_iterations=4,
            seed=42, depth=2):
    """PCA of the rows of `df`'s list<float> `column` (null rows skipped), as
    ``imgfeat run --reduce pca`` fits it, without bringing the features to
    the driver: each pass, every partition computes a PcaPartial
    (O(features x components) numbers) and treeReduce merges them. `df` is
    read once per pass (persist or cache it). Returns an imgfeat.Reducer."""
    from pyspark.sql import functions as F

    # One row's length (collect, not toArrow: Spark 3.4 and 3.5 have no toArrow).
    first = (df.select(F.size(column).alias("n")).where(F.col(column).isNotNull())
             .limit(1).collect())
    if not first:
        raise ValueError("fit_pca: no rows with features")
    n_features = int(first[0]["n"])
    fit = DistributedPCA(n_components, n_features, oversampling=oversampling,
                         power_iterations=power_iterations, seed=seed)
    frame = df.select(column)

    def total_of(pass_):
        partials = frame.mapInArrow(_partial_of_partition(pass_, column), "partial binary")
        return partials.rdd.map(lambda row: pickle.loads(row[0])).treeReduce(_merged(pass_),
                                                                             depth=depth)
    return fit.fit_passes(total_of)


def reducer_bytes(reducer):
    """A reducer as its saved file's bytes (what :func:`transform` ships)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="imgfeat-reducer-") as tmp:
        path = os.path.join(tmp, "_reducer.parquet")
        reducer.save(path)
        with open(path, "rb") as f:
            return f.read()


def transform(df, reducer, column="features"):
    """`df` with its list<float> `column` reduced by `reducer` (null rows stay
    null) on the executors; the reducer travels once, as a broadcast."""
    if isinstance(reducer, SparseRandomProjection):
        n_components, n_features, density, seed = reducer._args
        spec = srp_spec(n_components, n_features, seed, density if density > 0 else "auto")
        state = None
    else:
        spec = None
        state = df.sparkSession.sparkContext.broadcast(reducer_bytes(reducer))
    token = uuid.uuid4().hex

    def run(batches):
        red = (worker.reducer(spec) if spec is not None
               else worker.shipped_reducer(token, state.value))
        for batch in batches:
            index = batch.schema.get_field_index(column)
            reduced = red.transform(batch.column(index)).cast(pa.list_(pa.float32()))
            yield batch.set_column(index, batch.schema.field(index).with_type(reduced.type),
                                   reduced)

    schema = df.schema
    return df.mapInArrow(run, schema)


__all__ = ["ROW_DDL", "featurize", "fit_pca", "model_config", "reducer_bytes",
           "storage_config", "srp_spec", "transform"]
