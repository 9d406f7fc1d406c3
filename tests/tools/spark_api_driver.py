"""A Spark driver of imgfeat.spark's DataFrame API, run by
tests/test_spark_cluster.py against its cluster:

    spark_api_driver.py MASTER FOLDER OUT_DIR

Featurizes FOLDER read with Spark's binaryFile source and as a `path` column
(SRP, 32 components; the latter with the embedding), fits a 4-component PCA on the cluster from the raw
features, and writes what it got under OUT_DIR as Parquet files (collected:
the test's images are few) for the test to compare with the CLI.
"""
import json
import os
import sys

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

import imgfeat
import imgfeat.spark


def main(master, folder, out):
    spark = (SparkSession.builder.master(master).appName("imgfeat-api-test")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.executor.cores", "1").config("spark.cores.max", "2")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    try:
        binary = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                  .load(folder).repartition(3))
        rows = imgfeat.spark.featurize(binary, reduce="srp", components=32)
        pq.write_table(rows.toArrow(), os.path.join(out, "binary_srp.parquet"))

        paths = [os.path.join(root, name) for root, _, names in os.walk(folder)
                 for name in names]
        by_path = spark.createDataFrame([(p,) for p in sorted(paths)], "path string")
        rows = imgfeat.spark.featurize(by_path.repartition(2), reduce="srp", components=32,
                                       embedding=True)
        pq.write_table(rows.toArrow(), os.path.join(out, "path_srp.parquet"))

        raw = imgfeat.spark.featurize(by_path.repartition(3), reduce="none").cache()
        good = raw.filter("error is null")
        reducer = imgfeat.spark.fit_pca(good, 4)
        reduced = imgfeat.spark.transform(good, reducer).select("path", "features")
        pq.write_table(reduced.toArrow(), os.path.join(out, "pca.parquet"))
        with open(os.path.join(out, "pca.json"), "w") as f:
            json.dump(reducer.describe(), f)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
