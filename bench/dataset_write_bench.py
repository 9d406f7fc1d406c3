"""Python counterpart of dataset_write_bench: the same rows written by pyarrow.

Two writers: pyarrow with imgfeat's settings (zstd 1, no dictionary and no
statistics on the features, 16 MiB row groups), and pandas.DataFrame.to_parquet
with its defaults, what a notebook would do. Prints rows of the same table.

    dataset_write_bench.py FEATURES.f32 DIM ROWS WORK_DIR
"""
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def table_of(sample, rows):
    dim = sample.shape[1]
    feats = sample[np.arange(rows) % len(sample)].reshape(-1)
    item = pa.field("element", pa.float32(), nullable=False)
    return pa.table({
        "path": [f"/data/fruits-360/Training/Apple Golden 1/r_{i}.jpg" for i in range(rows)],
        "label": ["Apple Golden"] * rows,
        "modification_time": pa.array(1_700_000_000_000_000 + np.arange(rows),
                                      pa.timestamp("us", tz="UTC")),
        "length": pa.array(np.full(rows, 5000), pa.int64()),
        "features": pa.ListArray.from_arrays(
            pa.array(np.arange(rows + 1, dtype=np.int32) * dim), pa.array(feats),
            type=pa.list_(item)),
    })


def best_of(n, fn):
    best = float("inf")
    for _ in range(n):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main():
    path, dim, rows, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    sample = np.fromfile(path, dtype="<f4").reshape(-1, dim)
    table = table_of(sample, rows)
    raw_mb = rows * dim * 4 / 1e6
    out = work / "bench_py.parquet"
    group = max(1, (16 << 20) // (dim * 4))
    writers = {
        "pyarrow, imgfeat settings": lambda: pq.write_table(
            table, out, compression="zstd", compression_level=1, row_group_size=group,
            use_dictionary=["label"], write_statistics=["path", "label", "modification_time",
                                                        "length"]),
        "pandas.to_parquet defaults": lambda: table.to_pandas().to_parquet(out),
    }
    print("| dim | writer | file MB | ratio | write MB/s (CPU) |")
    print("|---|---|---|---|---|")
    for name, write in writers.items():
        seconds = best_of(3, write)
        file_mb = out.stat().st_size / 1e6
        print(f"| {dim} | {name} | {file_mb:.1f} | {raw_mb / file_mb:.2f}x | {raw_mb / seconds:.0f} |")
        out.unlink()


if __name__ == "__main__":
    main()
