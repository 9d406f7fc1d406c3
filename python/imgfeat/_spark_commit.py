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

# What a task returns: one row per file it wrote ("part") and one per image
# that failed ("error"), plus one "stats" row (seconds spent featurizing).
RESULT_DDL = ("kind string, partition int, chunk int, uri string, rows long, path string, "
              "stage string, error string, seconds double")
RESULT_SCHEMA = pa.schema([
    ("kind", pa.string()), ("partition", pa.int32()), ("chunk", pa.int32()), ("uri", pa.string()),
    ("rows", pa.int64()), ("path", pa.string()), ("stage", pa.string()), ("error", pa.string()),
    ("seconds", pa.float64())])
PART_COLUMNS = ["path", "label", "modification_time", "length", "features"]


def join(uri, name):
    return uri.rstrip("/") + "/" + name


def read_part(uri):
    """A part file (local or s3://) as a pyarrow Table, read through imgfeat's storage."""
    return pq.read_table(pa.BufferReader(_imgfeat.read_file(uri)))


class _PartBuffer:
    """Rows of one task attempt, written as numbered complete files of at most
    `max_rows` rows."""

    def __init__(self, attempt_uri, partition, max_rows):
        self.attempt_uri, self.partition, self.max_rows = attempt_uri, partition, max_rows
        self.batches, self.rows, self.chunk, self.results = [], 0, 0, []

    def add(self, rows):
        while rows.num_rows:
            room = self.max_rows - self.rows
            take = rows.slice(0, room)
            self.batches.append(take)
            self.rows += take.num_rows
            rows = rows.slice(take.num_rows)
            if self.rows >= self.max_rows:
                self.flush()

    def flush(self):
        if not self.rows:
            return
        table = pa.Table.from_batches(self.batches).combine_chunks()
        batch = table.to_batches()[0]
        uri = join(self.attempt_uri, f"part-{self.chunk:05d}.parquet")
        _imgfeat.write_part(uri, *batch.__arrow_c_array__())
        self.results.append(("part", self.partition, self.chunk, uri, self.rows, None, None,
                             None, None))
        self.chunk += 1
        self.batches, self.rows = [], 0


def rows_per_part(feature_dim, on_s3, requested=0):
    """A run's part size: about 256 MiB of raw features (8 MiB on S3, one PUT)."""
    if requested:
        return int(requested)
    budget = (8 << 20) if on_s3 else (256 << 20)
    return max(1, budget // (4 * max(1, feature_dim)))


def write_rows(stage_uri, max_rows, make_rows):
    """A mapInArrow/mapPartitions function: `make_rows(items)` yields batches
    of worker.ROW_SCHEMA; the good rows go to this attempt's files, the result
    describes them and the errors."""
    def run(items):
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId()
        attempt_uri = join(stage_uri, f"p{partition:05d}-a{context.taskAttemptId()}")
        buffer = _PartBuffer(attempt_uri, partition, max_rows)
        errors = []
        started = time.monotonic()
        for rows in make_rows(items):
            failed = rows.column("error").is_valid()
            for path, stage, error in zip(rows.column("path").filter(failed).to_pylist(),
                                          rows.column("stage").filter(failed).to_pylist(),
                                          rows.column("error").filter(failed).to_pylist()):
                errors.append(("error", partition, None, None, None, path, stage, error, None))
            good = rows.filter(pc.invert(failed)).select(PART_COLUMNS)
            buffer.add(good)
        buffer.flush()
        seconds = time.monotonic() - started
        results = buffer.results + errors + [("stats", partition, None, None, None, None, None,
                                              None, seconds)]
        yield pa.RecordBatch.from_pylist(
            [dict(zip(RESULT_SCHEMA.names, r)) for r in results], schema=RESULT_SCHEMA)
    return run


def featurized(config):
    """make_rows for a stage that featurizes batches of the listing."""
    def make(batches):
        for batch in batches:
            if batch.num_rows:
                yield worker.featurize_batch(batch, config)
    return make


def committed(results, final_uri_of):
    """Renames the files of the one attempt per partition that Spark
    returned, in (partition, chunk) order; returns the final URIs and row
    counts. `final_uri_of(i)` names the i-th file."""
    parts = sorted((r["partition"], r["chunk"], r["uri"], r["rows"]) for r in results
                   if r["kind"] == "part")
    seen = set()
    out = []
    for i, (partition, chunk, uri, rows) in enumerate(parts):
        if (partition, chunk) in seen:  # cannot happen: one result per partition
            raise RuntimeError(f"two results for partition {partition}")
        seen.add((partition, chunk))
        target = final_uri_of(i)
        _imgfeat.move_file(uri, target)
        out.append((target, rows))
    return out
