"""How a distributed run's tasks write part files without ever duplicating or
losing a row, whatever Spark retries or runs twice (docs/SPARK.md, "Task
retries and speculation").

Every task attempt writes its rows under a folder of its own,
OUTPUT/_temporary/spark/<stage>/p<partition>-a<attempt id>/, each file
complete before its name appears (the library's part writer), and returns
only a small description of what it wrote (file names, row counts, the failed
images) as the task's result. Spark hands the driver exactly one successful
result per partition (the DAGScheduler ignores a second success of a finished
partition, from a retry or a speculative copy), so the driver knows, for each
partition, the one attempt whose files count: it renames those files to their
final names and deletes the rest of _temporary/spark. An attempt that failed,
was killed or lost the race is never renamed; the output's _SUCCESS is
written only after every rename.
"""
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import _imgfeat
from . import _spark_worker as worker

# What a task returns to the driver (Spark's side of the protocol): one row
# per file it wrote ("part") and one per image that failed ("error"), plus
# one "stats" row (seconds spent featurizing).
RESULT_FIELDS = ("kind", "partition", "chunk", "uri", "rows", "path", "stage", "error", "seconds")
PART_COLUMNS = worker.ROW_SCHEMA.names[:5]


def join(uri, name):
    return uri.rstrip("/") + "/" + name


def read_part(uri):
    """A part file (local or s3://) as a pyarrow Table, read through imgfeat's storage."""
    return pq.read_table(pa.BufferReader(_imgfeat.read_file(uri)))


def write_rows(stage_uri, max_rows, make_rows):
    """A mapPartitions function: `make_rows(items)` yields batches of
    worker.ROW_SCHEMA; the good rows go to this attempt's files (the core's
    TaskPartWriter), and the task's results (dicts of RESULT_FIELDS)
    describe them and the errors."""
    def run(items):
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId()
        attempt_uri = join(stage_uri, f"p{partition:05d}-a{context.taskAttemptId()}")
        writer = _imgfeat._TaskPartWriter(attempt_uri, partition, max_rows)
        errors = []
        started = time.monotonic()
        for rows in make_rows(items):
            failed = rows.column("error").is_valid()
            for path, stage, error in zip(rows.column("path").filter(failed).to_pylist(),
                                          rows.column("stage").filter(failed).to_pylist(),
                                          rows.column("error").filter(failed).to_pylist()):
                errors.append(("error", partition, None, None, None, path, stage, error, None))
            # The output's columns, then the embedding and the kept metadata (after
            # ROW_SCHEMA's).
            columns = PART_COLUMNS + rows.schema.names[len(worker.ROW_SCHEMA.names):]
            # A filter copies every row, also when it keeps them all.
            errors_column = rows.column("error")
            good = (rows if errors_column.null_count == len(errors_column)
                    else rows.filter(pc.invert(failed))).select(columns)
            for batch in good.to_batches() if isinstance(good, pa.Table) else [good]:
                writer.add(*batch.__arrow_c_array__())
        files = [("part", p, chunk, uri, n, None, None, None, None)
                 for p, chunk, uri, n in writer.finish()]
        seconds = time.monotonic() - started
        results = files + errors + [("stats", partition, None, None, None, None, None, None,
                                     seconds)]
        for r in results:
            yield dict(zip(RESULT_FIELDS, r))
    return run


def featurized(config):
    """make_rows for a stage that featurizes batches of the listing."""
    def make(batches):
        for batch in batches:
            if batch.num_rows:
                yield from worker.featurize_listing(batch, config)
    return make


def committed(results, folder):
    """The files of the one attempt per partition that Spark returned, renamed
    by the core into `folder` as its next parts; their (uri, rows)."""
    files = [(r["partition"], r["chunk"], r["uri"], r["rows"]) for r in results
             if r["kind"] == "part"]
    return [(uri, rows) for _, _, uri, rows in _imgfeat.commit_task_files(folder, files)]
