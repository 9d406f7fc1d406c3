"""Spark reads an imgfeat output as one table: only the parts, every row, the
exact values, and an interrupted output as its committed parts."""
import datetime
import os
import sys

import numpy as np
import pyarrow.dataset as ds
import pytest

from conftest import interrupt_after_parts, run_imgfeat, sample_files

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("TZ", "UTC")
    session = (SparkSession.builder.master("local[2]").appName("imgfeat-read-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield session
    session.stop()


def link_tree(root, files):
    for f in files:
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
    return root


def test_spark_reads_the_output_as_one_table(spark, tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=10))
    (root / "broken").mkdir()
    (root / "broken" / "bad.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "out"
    run_imgfeat("run", root, out, "--components", "64", "--rows-per-part", "16", "--quiet")
    want = ds.dataset(out).to_table().sort_by("path").to_pylist()

    df = spark.read.parquet(str(out))
    names = sorted(os.path.basename(f) for f in df.inputFiles())
    assert names == sorted(p.name for p in out.glob("part-*.parquet")) and len(names) == 3
    rows = sorted(df.collect(), key=lambda r: r.path)
    assert len(rows) == len(want) == 40
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    for row, w in zip(rows, want):
        assert (row.path, row.label, row.length) == (w["path"], w["label"], w["length"])
        got_time = row.modification_time.replace(tzinfo=datetime.timezone.utc) - epoch
        want_time = w["modification_time"] - epoch
        assert got_time == want_time
        np.testing.assert_array_equal(np.array(row.features, np.float32),
                                      np.array(w["features"], np.float32))
    assert dict(df.dtypes) == {"path": "string", "label": "string",
                               "modification_time": "timestamp", "length": "bigint",
                               "features": "array<float>"}


def test_spark_reads_an_interrupted_output_as_its_committed_parts(spark, tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Train", per_class=30))
    out = tmp_path / "out"
    interrupt_after_parts([root, out, "--components", "32", "--rows-per-part", "8", "--batch", "8",
                           "--quiet"], parts=2)
    committed = list(out.glob("part-*.parquet"))
    assert len(committed) == 2
    expected = ds.dataset(committed).count_rows()
    assert spark.read.parquet(str(out)).count() == expected
