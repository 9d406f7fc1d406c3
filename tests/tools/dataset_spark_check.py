"""Reads an imgfeat output with Spark and compares it with the rows it was written from.

A manual check (pyspark and Java are not part of the test environment):

    pip install pyspark==4.0.1 pytest   # in a separate environment, Java 17 on the PATH
    TZ=UTC python tests/tools/dataset_spark_check.py BUILD_DIR WORK_DIR

It writes a complete output (with a "_" and a "." garbage file beside the parts)
and a crashed one through BUILD_DIR/tools/dataset_write, then checks that Spark
reads exactly the rows written and only the committed parts.
"""
import datetime
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    os.environ["IMGFEAT_BUILD"] = sys.argv[1]
    import test_dataset_format as t  # noqa: E402 (needs IMGFEAT_BUILD)
    from pyspark.sql import SparkSession

    work = Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    records, features = t.make_rows(50, seed=1)
    complete, crashed = work / "complete", work / "crashed"
    assert t.write_dataset(work, complete, records, features, "--rows-per-part", 12).returncode == 0
    (complete / "_garbage.parquet").write_bytes(b"not parquet")
    (complete / ".garbage.parquet").write_bytes(b"not parquet")
    assert t.write_dataset(work, crashed, records, features, "--rows-per-part", 12,
                           "--crash-after-rows", 30).returncode == -9

    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false") \
        .getOrCreate()
    df = spark.read.parquet(str(complete))
    assert sorted(Path(f).name for f in df.inputFiles()) == \
        [f"part-{i:05d}.parquet" for i in range(5)], df.inputFiles()
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    by_path = {r["path"]: (r, features[i]) for i, r in enumerate(records)}
    rows = df.collect()
    assert len(rows) == len(records)
    for row in rows:
        record, vector = by_path[row.path]
        assert row.label == record["label"] and row.length == record["length"]
        time = row.modification_time.replace(tzinfo=datetime.timezone.utc)
        assert (time - epoch) // datetime.timedelta(microseconds=1) == \
            record["modification_time_us"]
        assert np.array_equal(np.array(row.features, dtype=np.float32), vector)
    assert spark.read.parquet(str(crashed)).count() == 24
    print(f"spark {spark.version}: {len(rows)} rows equal to the input; crashed output: 24 rows")
    spark.stop()


if __name__ == "__main__":
    main()
