"""`python -m imgfeat.spark_job INPUT OUTPUT [options]` (or spark-submit of
this file): `imgfeat run` on a Spark cluster. The output folder has the CLI's
layout, schema, rows, labels and features (docs/SPARK.md).

The driver lists INPUT and plans the run as the CLI does (same listing order,
labels, model, reducer), the executors read, decode and featurize the images
with imgfeat's C++ core and write part files, and the driver commits exactly
one attempt per partition (_spark_commit.py) before it writes _errors.parquet,
_reducer.parquet, _imgfeat.json and _SUCCESS through the library's writer.
"""
import itertools
import json
import os
import runpy
import sys
import threading
import time

if __name__ == "__main__" and not __package__:
    # spark-submit runs this file as a script, where the package's relative
    # imports have no package: run it as the module of the package that holds
    # it, as `python -m imgfeat.spark_job` does. (Its own folder leaves the
    # path first, so that no module of the package shadows a top-level one.)
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runpy.run_module("imgfeat.spark_job", run_name="__main__", alter_sys=True)
    sys.exit(0)

import pyarrow as pa  # noqa: E402 (after the script case above)

from . import _imgfeat
from . import _spark_commit as commit
from . import _spark_worker as worker
from . import spark as imgfeat_spark
from ._search import neighbours
from ._spark_jvm import jvm_settings
from ._spark_options import parse_args, run_options
from ._reducers import SparseRandomProjection, load_reducer
from .spark_jvm_archive import existing_archive

_SPARK_DIR = "_temporary/spark"


def log(args, message):
    if not args.quiet:
        print(f"imgfeat.spark_job: {message}", file=sys.stderr, flush=True)


def spark_context(args):
    """The job's SparkContext. The job uses RDDs only: no SparkSession, whose
    SQL engine's start and a DataFrame's planning and code generation cost
    the driver seconds and every executor's first task more
    (docs/BENCHMARKS.md, "Spark: scaling against the CLI")."""
    from pyspark import SparkConf, SparkContext

    conf = SparkConf().setAppName("imgfeat")
    if args.master:
        conf.setMaster(args.master)
    given = dict(setting.partition("=")[::2] for setting in args.conf)
    archives = {role: existing_archive(role) for role in ("driver", "executor")}
    # The JVMs' JIT limited to C1, and the node's class-data archive where
    # one was made, added to their options (_spark_jvm.py).
    for key, value in {**given, **jvm_settings(given, archives)}.items():
        conf.set(key, value)
    # The executors' Python daemon imports the installed PySpark rather than
    # the zip Spark ships, where both are the same release (_spark_daemon.py).
    if "spark.python.daemon.module" not in given:
        conf.set("spark.python.daemon.module", "imgfeat._spark_daemon")
    # PySpark starts the Python workers with $PYSPARK_PYTHON, else python3 on
    # the PATH, which may not have imgfeat: without it, the job's
    # spark.pyspark.python (what spark-submit would do), or with a local master,
    # whose workers run on this machine, the Python running the job.
    if not os.environ.get("PYSPARK_PYTHON"):
        chosen = given.get("spark.pyspark.python")
        if chosen or conf.get("spark.master", "").startswith("local"):
            os.environ["PYSPARK_PYTHON"] = chosen or sys.executable
    return SparkContext.getOrCreate(conf)


def stop_context(sc):
    """sc.stop() without its wait for PySpark's accumulator server, whose
    handler looks for its stop flag once a second between the JVM's updates
    (pyspark/accumulators.py): SparkContext.stop() waited about 1 s for it
    (measured) at the end of every job. For a job that succeeded, whose tasks
    have all ended: the job uses no accumulator, so the server is told to
    stop, and closed on a thread of its own that the process's exit does not
    wait for."""
    server = getattr(sc, "_accumulatorServer", None)
    if server is not None and hasattr(server, "server_shutdown"):
        server.server_shutdown = True
        sc._accumulatorServer = None
        threading.Thread(target=server.shutdown, name="accumulator-server-stop",
                         daemon=True).start()
    sc.stop()


def worker_config(args, plan, sc):
    threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
    model = imgfeat_spark.model_config(args.model, args.pooling, args.engine, threads,
                                       plan["batch"], args.model_dir, args.model_spec,
                                       args.max_pixels, args.precision, args.embedding)
    return {"model": model, "max_file_bytes": args.max_file_bytes,
            "label_regex": args.label_regex,
            "storage": imgfeat_spark.storage_config(args.s3_endpoint, args.s3_region,
                                                    args.s3_anonymous, args.s3_attempts)}


class _Later(threading.Thread):
    """`make()` on a thread of its own; result() waits for it."""

    def __init__(self, make):
        super().__init__(name="imgfeat-driver-reducer", daemon=True)
        self._make, self._value, self._error = make, None, None
        self.start()

    def run(self):
        try:
            self._value = self._make()
        except BaseException as e:  # re-raised by result()
            self._error = e

    def result(self):
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def reducer_spec(args, plan):
    """The executors' reducer spec, and the driver's own copy of the reducer
    (for _reducer.parquet and _imgfeat.json, after the stage) as a _Later or
    None: an SRP matrix takes the driver 0.3 to 0.7 s to build, which no
    longer delays the job's submission."""
    if args.reducer_from:
        loaded = load_reducer(args.reducer_from)  # a bad file fails before the job
        return {"kind": "file", "uri": args.reducer_from}, _Later(lambda: loaded)
    if args.reduce == "srp":
        r = json.loads(plan["reducer"])
        density = "auto" if r["density_auto"] else r["density"]
        spec = imgfeat_spark.srp_spec(r["n_components"], r["n_features"], r["seed"], density)
        return spec, _Later(lambda: SparseRandomProjection(r["n_components"], r["n_features"],
                                                           r["seed"], density))
    return {"kind": "none"}, None


def run_stage(sc, listing, sizes, stage_uri, max_rows, config):
    """Featurizes the listing, one task per slice of `sizes` rows (contiguous,
    in listing order, so that parts read in name order hold the rows in the
    CLI's order), into attempt files; the task results. Each task is given
    its slice as one Arrow batch, pickled by the driver."""
    # take() copies a slice into buffers of its own: a pickled slice would
    # carry the whole listing's buffers.
    ends = itertools.accumulate(sizes)
    slices = [listing.take(pa.array(range(end - size, end))) for end, size in zip(ends, sizes)]
    run = commit.write_rows(stage_uri, max_rows, commit.featurized(config))
    # One element per partition: partition i is slice i.
    return sc.parallelize(slices, len(slices)).mapPartitions(run).collect()


def fit_and_reduce_pca(sc, args, plan, raw_uris, stage_uri, max_rows, storage):
    """PCA: passes over the committed raw parts (read from storage by the
    executors, one task per part), partials merged with treeReduce, then the
    parts reduced into attempt files. Returns (task results, fitted reducer)."""
    from ._distributed_pca import DistributedPCA, PcaPartial

    uris = sc.parallelize(raw_uris, len(raw_uris))
    fit = DistributedPCA(plan["output_dim"], plan["feature_dim"],
                         oversampling=run_options(args)["pca_oversampling"],
                         power_iterations=args.pca_power_iterations, seed=args.seed)
    def total_of(pass_):
        def partial_of(uri):
            worker.configure_storage(storage)
            partial = PcaPartial.empty(pass_)
            partial.add(pass_, worker.as_matrix(commit.read_part(uri).column("features")))
            return partial  # pickled by Spark (PcaPartial pickles)

        def merge(a, b):
            a.merge(pass_, b)
            return a

        return uris.map(partial_of).treeReduce(merge, depth=2)

    fitted = fit.fit_passes(total_of)
    state = sc.broadcast(imgfeat_spark.reducer_bytes(fitted))
    token = f"pca-{time.time_ns()}"

    def reduced(items):
        worker.configure_storage(storage)
        red = worker.shipped_reducer(token, state.value)
        for uri in items:
            table = commit.read_part(uri)
            features = red.transform(table.column("features")).cast(pa.list_(pa.float32()))
            n = table.num_rows
            # After features: the embedding (--embedding), then --keep-columns.
            extra = table.column_names[5:]
            embedding = bool(extra) and extra[0] == "embedding"
            kept = extra[1:] if embedding else extra
            yield pa.RecordBatch.from_arrays(
                [table.column("path").combine_chunks(), table.column("label").combine_chunks(),
                 table.column("modification_time").combine_chunks(),
                 table.column("length").combine_chunks(), features,
                 pa.nulls(n, pa.string()), pa.nulls(n, pa.string())]
                + [table.column(k).combine_chunks() for k in extra],
                schema=worker.row_schema(kept, embedding))

    run = commit.write_rows(stage_uri, max_rows, reduced)
    return uris.mapPartitions(run).collect(), fitted


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    options = run_options(args)
    _imgfeat.configure_storage(args.s3_endpoint, args.s3_region, args.s3_anonymous,
                               args.s3_attempts)
    # Files and shards; n_listed counts the shards' samples where the plan needs it.
    # A large Parquet shard is one row (one task's work) per slice of its row groups.
    try:
        capsules, skipped, n_listed = _imgfeat.list_images(args.input, args.output, options,
                                                           args.split_parquet_bytes)
        listing = pa.RecordBatch._import_from_c_capsule(*capsules)
        if listing.num_rows == 0 and not skipped:
            raise SystemExit(f"imgfeat.spark_job: no image under {args.input}")
        plan = _imgfeat.plan(args.input, args.output, options, n_listed)
        output = plan["output"]
        # Opens OUTPUT as a run does (refuses a foreign folder, --overwrite,
        # --resume's parameter check), then lets go of it while Spark works.
        writer = _imgfeat._OutputWriter.open(output, plan["output_dim"], plan["parameters"],
                                             args.overwrite, args.resume)
    except (ValueError, OSError) as e:  # the core's one line, as the CLI prints it
        raise SystemExit(f"imgfeat.spark_job: {e}") from None
    if writer.already_complete:
        log(args, f"{output} is already complete")
        return 0
    done = writer.committed_paths
    del writer
    if args.resume and args.reduce == "pca" and done:
        raise SystemExit("imgfeat.spark_job: --resume of a PCA run that wrote parts is not "
                         "supported; use --overwrite")
    spark_dir = commit.join(output, _SPARK_DIR)
    _imgfeat.delete_tree(spark_dir)  # attempts of an earlier, interrupted job
    if done:
        keep = pa.array([p not in done for p in listing.column(0).to_pylist()])
        listing = listing.filter(keep)

    sc = spark_context(args)
    try:
        featurize_on(sc, args, options, plan, listing, skipped, done, spark_dir, started)
    except BaseException:
        sc.stop()
        raise
    stop_context(sc)  # the executors go back to the cluster before the driver's own work
    if args.neighbours:
        # On the driver, as `imgfeat neighbours` would: exact in blocks, or
        # the approximate index beyond 20,000 rows; memory stays bounded.
        found = neighbours(output)
        log(args, f"{found['duplicate_rows']} near-duplicate rows in "
                  f"{found['duplicate_groups']} groups ({found['method']})")
    return 0


def featurize_on(sc, args, options, plan, listing, skipped, done, spark_dir, started):
    """The job's Spark part: featurizes the listing's rows on the cluster,
    commits one attempt per task, then writes the output's own files."""
    output = plan["output"]
    cores = sc.defaultParallelism
    # Tasks largest first, then shorter and shorter (imgfeat.spark.task_sizes),
    # unless --partitions asks for that many equal ones.
    sizes = (imgfeat_spark.equal_sizes(listing.num_rows, args.partitions) if args.partitions
             else imgfeat_spark.task_sizes(listing.num_rows, cores))
    partitions = len(sizes)
    plan["partitions"] = partitions
    config = worker_config(args, plan, sc)
    plan["worker_threads"] = config["model"]["threads"]
    spec, driver_reducer = reducer_spec(args, plan)
    pca = args.reduce == "pca" and not args.reducer_from
    config["reduce"] = {"kind": "none"} if pca else spec
    # Shards are read by the task given them (worker.featurize_listing); on
    # resume it leaves out their samples already written.
    config["shards"] = {name: options[name] for name in
                        ("input_format", "image_column", "label_field", "label_regex",
                         "max_file_bytes", "keep_columns")}
    config["keep_columns"] = worker.keep_columns(options["keep_columns"])
    config["skip_samples"] = sorted(p for p in done if "#" in p)
    # Parts are sized by the floats of a row: its features and embedding.
    dim = (plan["feature_dim"] if pca else plan["output_dim"]) + plan["embedding_dim"]
    max_rows = _imgfeat.rows_per_part(dim, output, 0 if pca else args.rows_per_part)
    log(args, f"{listing.num_rows} files, shards or slices in {partitions} tasks on "
              f"{sc.master}")

    t0 = time.monotonic()
    results = []
    pca_fit_seconds = 0.0
    if listing.num_rows:
        results = run_stage(sc, listing, sizes, commit.join(spark_dir, "features"), max_rows,
                            config)
    stream_seconds = time.monotonic() - t0
    if pca:
        raw = commit.committed(results, commit.join(spark_dir, "raw"))
        t1 = time.monotonic()
        try:
            reduced, reducer = fit_and_reduce_pca(
                sc, args, plan, [uri for uri, _ in raw], commit.join(spark_dir, "reduced"),
                _imgfeat.rows_per_part(plan["output_dim"] + plan["embedding_dim"], output,
                                       args.rows_per_part),
                config["storage"])
        except ValueError as e:  # the core's one line (e.g. too few decodable images)
            raise SystemExit(f"imgfeat.spark_job: {e}") from None
        pca_fit_seconds = time.monotonic() - t1
        errors_from = results
        results = reduced
    else:
        errors_from = results
        reducer = driver_reducer.result() if driver_reducer is not None else None
    commit.committed(results, output)
    _imgfeat.delete_tree(spark_dir)

    writer = _imgfeat._OutputWriter.open(output, plan["output_dim"], plan["parameters"],
                                         False, True)
    for path, reason in skipped:
        writer.add_error(path, "list", reason)
    errors = [r for r in errors_from if r["kind"] == "error"]
    errors.sort(key=lambda r: r["partition"])
    for r in errors:
        writer.add_error(r["path"], r["stage"], r["error"])
    if reducer is not None:
        writer.publish("_reducer.parquet", imgfeat_spark.reducer_bytes(reducer))
    reducer_json = reducer.describe() if reducer is not None else {
        "kind": "none", "n_features": plan["feature_dim"]}
    rows_written = writer.rows_written
    inference = sum(r["seconds"] or 0 for r in errors_from if r["kind"] == "stats")
    # As a run counts them: every input read (a shard's samples and its error
    # rows, not the shard), written or failed, and those done before.
    featurized = sum(r["rows"] or 0 for r in errors_from if r["kind"] == "part")
    counts = {"images_listed": featurized + len(errors) + len(done),
              "images_already_done": len(done),
              "rows_written": rows_written, "errors": writer.errors_recorded}
    timings = {"total_seconds": time.monotonic() - started, "stream_seconds": stream_seconds,
               "inference_seconds": inference, "pca_fit_seconds": pca_fit_seconds}
    extra = {"spark": {"master": sc.master, "partitions": plan["partitions"],
                       "application_id": sc.applicationId}}
    writer.finish(_imgfeat.manifest(plan, json.dumps(reducer_json), counts, timings,
                                    json.dumps(extra)))
    log(args, f"{rows_written} rows, {writer.errors_recorded} errors -> {output}")


if __name__ == "__main__":
    sys.exit(main())
