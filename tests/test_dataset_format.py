"""The output folder as Python readers see it: pandas, pyarrow.dataset, Parquet metadata.

A small dataset is written through build/tools/dataset_write from rows made
here, then read back and compared with those rows and with the schema that
docs/FORMAT.md promises.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

BUILD = Path(os.environ.get("IMGFEAT_BUILD", Path(__file__).resolve().parents[1] / "build"))
TOOL = BUILD / "tools" / "dataset_write"
DIM = 37

FEATURE_SCHEMA = pa.schema([
    pa.field("path", pa.string(), nullable=False),
    pa.field("label", pa.string(), nullable=False),
    pa.field("modification_time", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("length", pa.int64(), nullable=False),
    pa.field("features", pa.list_(pa.field("element", pa.float32(), nullable=False)),
             nullable=False),
])
ERROR_SCHEMA = pa.schema([
    pa.field("path", pa.string(), nullable=False),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("error", pa.string(), nullable=False),
])


def make_rows(n, seed=0):
    rng = np.random.default_rng(seed)
    labels = ["Apple Golden", "Cherry", "Pêche plate"]
    records = [{
        "path": f"/data/fruits/{labels[i % 3]}/img {i:04d}.jpg",
        "label": labels[i % 3],
        # Spread over decades, microsecond precision kept.
        "modification_time_us": 1_000_000_000_000_000 + i * 31_557_600_000_123,
        "length": 1000 + 17 * i,
    } for i in range(n)]
    features = rng.standard_normal((n, DIM)).astype(np.float32)
    features[features < 0] = 0  # ReLU outputs: many exact zeros
    return records, features


def write_dataset(tmp_path, out, records, features, *args, errors=()):
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    features_file = tmp_path / "features.f32"
    features.astype("<f4").tofile(features_file)
    cmd = [str(TOOL), str(out), "--dim", str(DIM), "--records", str(rows_file),
           "--features", str(features_file), *map(str, args)]
    if errors:
        errors_file = tmp_path / "errors.jsonl"
        errors_file.write_text("".join(json.dumps(e) + "\n" for e in errors))
        cmd += ["--errors", str(errors_file)]
    return subprocess.run(cmd, capture_output=True, text=True)


def expect_rows(table, records, features):
    table = table.sort_by("path")
    order = sorted(range(len(records)), key=lambda i: records[i]["path"])
    assert table.column("path").to_pylist() == [records[i]["path"] for i in order]
    assert table.column("label").to_pylist() == [records[i]["label"] for i in order]
    times = table.column("modification_time").cast(pa.int64()).to_pylist()
    assert times == [records[i]["modification_time_us"] for i in order]
    assert table.column("length").to_pylist() == [records[i]["length"] for i in order]
    got = np.stack(table.column("features").to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(got, features[order])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dataset")
    records, features = make_rows(53)
    errors = [{"path": "/data/fruits/bad.jpg", "stage": "decode", "error": "not a JPEG file"},
              {"path": "/data/fruits/é.png", "stage": "read", "error": "permission denied"}]
    out = tmp / "out"
    result = write_dataset(tmp, out, records, features, "--rows-per-part", 20,
                           "--rows-per-row-group", 8, errors=errors)
    assert result.returncode == 0, result.stderr
    return out, records, features, errors


def test_folder_holds_parts_and_the_end_files(written):
    out, *_ = written
    names = sorted(p.name for p in out.iterdir())
    assert names == ["_SUCCESS", "_errors.parquet", "_imgfeat.json", "part-00000.parquet",
                     "part-00001.parquet", "part-00002.parquet"]
    manifest = json.loads((out / "_imgfeat.json").read_text())
    assert manifest["tool"] == "dataset_write" and manifest["parameters"] == {"tool": "dataset_write"}
    assert (out / "_SUCCESS").stat().st_size == 0


def test_every_part_has_the_exact_schema(written):
    out, *_ = written
    for part in sorted(out.glob("part-*.parquet")):
        assert pq.read_schema(part).remove_metadata() == FEATURE_SCHEMA, part
        assert pq.read_table(part).schema.remove_metadata().equals(FEATURE_SCHEMA,
                                                                   check_metadata=False)


def test_parquet_types_are_what_spark_expects(written):
    out, *_ = written
    schema = pq.ParquetFile(out / "part-00000.parquet").schema
    time = schema.column(2)
    assert time.physical_type == "INT64"
    assert time.logical_type.to_json() == '{"Type": "Timestamp", "isAdjustedToUTC": true, ' \
                                          '"timeUnit": "microseconds", "is_from_converted_type": ' \
                                          'false, "force_set_converted_type": false}'
    features = schema.column(4)
    assert features.path == "features.list.element"
    assert features.physical_type == "FLOAT"
    assert features.max_definition_level == 1  # required list of required floats
    assert schema.column(0).max_definition_level == 0  # path is required


def test_row_groups_and_parts_follow_the_options(written):
    out, *_ = written
    rows = [pq.ParquetFile(p).metadata.num_rows for p in sorted(out.glob("part-*.parquet"))]
    assert rows == [20, 20, 13]
    groups = [pq.ParquetFile(out / "part-00000.parquet").metadata.row_group(i).num_rows
              for i in range(3)]
    assert groups == [8, 8, 4]
    column = pq.ParquetFile(out / "part-00000.parquet").metadata.row_group(0).column(4)
    assert column.compression == "ZSTD"


def test_pandas_reads_the_folder_as_one_table(written):
    out, records, features, _ = written
    df = pd.read_parquet(out)
    assert list(df.columns) == ["path", "label", "modification_time", "length", "features"]
    assert len(df) == len(records)
    assert str(df["modification_time"].dtype) == "datetime64[us, UTC]"
    assert df["length"].dtype == np.int64
    assert df["features"].iloc[0].dtype == np.float32
    expect_rows(pa.Table.from_pandas(df, preserve_index=False), records, features)


def test_pyarrow_dataset_reads_parts_only(written):
    out, records, features, _ = written
    dataset = ds.dataset(out, format="parquet")
    assert sorted(Path(f).name for f in dataset.files) == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    table = dataset.to_table()
    assert table.schema.remove_metadata() == FEATURE_SCHEMA
    expect_rows(table, records, features)


def test_readers_skip_names_starting_with_underscore_or_dot(written, tmp_path):
    # What lets _errors.parquet, _temporary/ and editors' files sit beside the
    # parts: junk under such names must not reach the readers.
    out, records, features, _ = written
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in out.iterdir():
        (copy / part.name).write_bytes(part.read_bytes())
    (copy / "_junk.parquet").write_bytes(b"not parquet")
    (copy / ".part-00000.parquet.crc").write_bytes(b"not parquet")
    expect_rows(ds.dataset(copy, format="parquet").to_table(), records, features)
    assert len(pd.read_parquet(copy)) == len(records)


def test_errors_file(written):
    out, _, _, errors = written
    table = pq.read_table(out / "_errors.parquet")
    assert table.schema.remove_metadata() == ERROR_SCHEMA
    assert table.to_pylist() == errors


def test_errors_file_exists_without_errors(tmp_path):
    records, features = make_rows(3)
    assert write_dataset(tmp_path, tmp_path / "out", records, features).returncode == 0
    table = pq.read_table(tmp_path / "out" / "_errors.parquet")
    assert table.num_rows == 0
    assert table.schema.remove_metadata() == ERROR_SCHEMA


def test_empty_output_reads_as_an_empty_table(tmp_path):
    records, features = make_rows(0)
    assert write_dataset(tmp_path, tmp_path / "out", records, features).returncode == 0
    df = pd.read_parquet(tmp_path / "out")
    assert len(df) == 0
    assert list(df.columns) == ["path", "label", "modification_time", "length", "features"]


def test_a_crashed_output_reads_as_its_committed_rows_then_resumes(tmp_path):
    records, features = make_rows(50, seed=1)
    out = tmp_path / "out"
    crashed = write_dataset(tmp_path, out, records, features, "--rows-per-part", 12,
                            "--rows-per-row-group", 5, "--crash-after-rows", 30)
    assert crashed.returncode == -9  # SIGKILL
    assert not (out / "_SUCCESS").exists()
    assert any(p.name.endswith(".tmp") for p in (out / "_temporary").iterdir())
    # Readers see whole parts only: the half-written one is under _temporary.
    assert len(pd.read_parquet(out)) == 24
    assert len(ds.dataset(out, format="parquet").to_table()) == 24

    refused = write_dataset(tmp_path, out, records, features)
    assert refused.returncode != 0
    assert "already exists and is not empty" in refused.stderr

    resumed = write_dataset(tmp_path, out, records, features, "--rows-per-part", 12,
                            "--rows-per-row-group", 5, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "_SUCCESS").exists() and not (out / "_temporary").exists()
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-{i:05d}.parquet" for i in range(5)]
    expect_rows(ds.dataset(out, format="parquet").to_table(), records, features)

    again = write_dataset(tmp_path, out, records, features, "--resume")
    assert again.returncode == 0 and "already complete" in again.stdout


def test_overwrite_replaces_only_an_imgfeat_output(tmp_path):
    records, features = make_rows(10)
    out = tmp_path / "out"
    assert write_dataset(tmp_path, out, records, features).returncode == 0
    assert write_dataset(tmp_path, out, records[:4], features[:4], "--overwrite").returncode == 0
    expect_rows(pq.read_table(out), records[:4], features[:4])

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"\xff\xd8")
    refused = write_dataset(tmp_path, mine, records, features, "--overwrite")
    assert refused.returncode != 0 and "holiday.jpg" in refused.stderr
    assert (mine / "holiday.jpg").exists()
