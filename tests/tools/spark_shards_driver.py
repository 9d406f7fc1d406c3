"""A Spark driver of imgfeat.spark's DataFrame API on shards, run by
tests/test_spark_cluster.py against its cluster:

    spark_shards_driver.py MASTER INPUT OUT_DIR

Featurizes INPUT (loose files and shards) as imgfeat.spark.listing lists it,
every Parquet row group its own slice, and the same shards as a frame of
paths, with labels from the samples' `cls` and their `cls` and `key` kept
(SRP, 64 components); writes the
rows under OUT_DIR for the test to compare with the CLI.
"""
import os
import sys

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

import imgfeat.spark


def main(master, input_, out):
    spark = (SparkSession.builder.master(master).appName("imgfeat-shards-test")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.executor.cores", "1").config("spark.cores.max", "2")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    try:
        listed = imgfeat.spark.listing(spark, input_, split_parquet_bytes=1, partitions=5,
                                       label_field="cls")
        with open(os.path.join(out, "listed.txt"), "w") as f:
            f.write(str(listed.count()))
        rows = imgfeat.spark.featurize(listed, reduce="srp", components=64, label_field="cls",
                                       keep_columns="cls,key")
        pq.write_table(rows.toArrow(), os.path.join(out, "listing.parquet"))

        paths = [os.path.join(root, name) for root, _, names in os.walk(input_)
                 for name in names]
        by_path = spark.createDataFrame([(p,) for p in sorted(paths)], "path string")
        rows = imgfeat.spark.featurize(by_path.repartition(2), reduce="srp", components=64,
                                       label_field="cls", keep_columns=["cls", "key"])
        pq.write_table(rows.toArrow(), os.path.join(out, "paths.parquet"))
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
