"""A Linux file name is bytes: Latin-1 from an old archive, invalid UTF-8, a
newline, 255 bytes. Every file of an output stays readable by pandas, Polars,
DuckDB and Spark, and every row's path leads back to its file (docs/FORMAT.md,
"Paths"); Python takes such names as os gives them."""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import IMGFEAT, imgfeat_env, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)

FOLDER = b"Fraise \xe9t\xe9 1"  # Latin-1: the label's folder
NAMES = [(FOLDER, b"caf\xe9.jpg"), (FOLDER, b"\xff\xfe invalid.jpg"),
         (FOLDER, b"line\nbreak.jpg"), (b"plain", b"x" * 251 + b".jpg"),
         (b"plain", b"plain name.jpg")]
BROKEN = b"bro\xefken.jpg"  # not an image: a row of _errors.parquet
LABEL = "Fraise \\xE9t\\xE9"  # the label as text: the bytes that are not UTF-8 as \xNN


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """(input root, output, {path bytes: image bytes}, the run's stderr), the
    output in an ASCII folder so that every reader can be pointed at it."""
    base = tmp_path_factory.mktemp("names")
    root = os.fsencode(base / "in")
    images = {}
    for (folder, name), src in zip(NAMES, sample_files("Test", per_class=3)):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        path = os.path.join(root, folder, name)
        images[path] = read_bytes(src)
        with open(path, "wb") as f:
            f.write(images[path])
    with open(os.path.join(root, FOLDER, BROKEN), "wb") as f:
        f.write(b"not an image")
    out = base / "out"
    proc = subprocess.run([os.fsencode(IMGFEAT), b"run", root, os.fsencode(out),
                           b"--components", b"8", b"--rows-per-part", b"2"],
                          capture_output=True, env=imgfeat_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return root, out, images, proc.stderr


def leads_back(texts, images):
    """Each text opens the file its row came from, by imgfeat.local_path."""
    paths = [os.fsencode(imgfeat.local_path(t)) for t in texts]
    assert sorted(paths) == sorted(images)
    for path in paths:
        assert read_bytes(path) == images[path]


def test_pandas_reads_every_file_and_the_rows_lead_back(named):
    _, out, images, _ = named
    df = pd.read_parquet(out)
    leads_back(df.path, images)
    plain = os.fsdecode(next(p for p in images if p.endswith(b"plain name.jpg")))
    assert plain in set(df.path), "a UTF-8 name is written as itself"
    assert plain.endswith("/plain/plain name.jpg")
    weird = [p for p in df.path if "/plain/" not in p]
    assert len(weird) == 3 and all(p.startswith("file:///") for p in weird)
    assert set(df.label) == {LABEL, "plain"}

    errors = pd.read_parquet(out / "_errors.parquet")
    assert len(errors) == 1 and errors.path[0].startswith("file:///")
    assert read_bytes(imgfeat.local_path(errors.path[0])) == b"not an image"
    distortion = pd.read_parquet(out / "_distortion.parquet")
    assert len(distortion) > 0
    for column in ("path_a", "path_b"):
        assert {os.fsencode(imgfeat.local_path(p)) for p in distortion[column]} <= set(images)
    manifest = json.loads((out / "_imgfeat.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["input"] == os.fsdecode(named[0])


def test_polars_and_duckdb_read_it(named):
    import duckdb
    import polars as pl

    _, out, images, _ = named
    parts = str(out / "part-*.parquet")
    leads_back(pl.read_parquet(parts)["path"].to_list(), images)
    assert pl.read_parquet(out / "_errors.parquet")["path"][0].startswith("file:///")
    rows = duckdb.sql(f"SELECT path, label FROM read_parquet('{parts}')").fetchall()
    leads_back([r[0] for r in rows], images)
    assert {r[1] for r in rows} == {LABEL, "plain"}
    (error,) = duckdb.sql(f"SELECT path FROM '{out / '_errors.parquet'}'").fetchall()
    assert read_bytes(imgfeat.local_path(error[0])) == b"not an image"


@pytest.mark.spark
def test_spark_reads_it(named):
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[1]").appName("imgfeat-names")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        _, out, images, _ = named
        rows = spark.read.parquet(str(out)).select("path", "label").collect()
        leads_back([r.path for r in rows], images)
        assert {r.label for r in rows} == {LABEL, "plain"}
        # As docs/FORMAT.md reads it: Spark skips names starting with "_".
        errors = spark.createDataFrame(pd.read_parquet(out / "_errors.parquet")).collect()
        assert read_bytes(imgfeat.local_path(errors[0].path)) == b"not an image"
    finally:
        spark.stop()


def test_the_skipped_file_is_one_line_naming_its_text(named):
    stderr = named[3].decode("utf-8")  # valid UTF-8 whatever the names
    skipped = [line for line in stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and "file:///" in skipped[0] and "bro%EFken.jpg" in skipped[0]


def test_the_report_shows_them(named, tmp_path):
    _, out, _, _ = named
    page, png = tmp_path / "r.html", tmp_path / "r.png"
    proc = subprocess.run([str(IMGFEAT), "report", str(out), "--html", str(page), "--png",
                           str(png)], capture_output=True, text=True, env=imgfeat_env(),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    text = page.read_bytes().decode("utf-8")  # strict: the page is UTF-8
    assert "caf%E9.jpg" in text and LABEL.replace("\\", "\\\\") in text
    # Every image, also those named by a file:// text, has its thumbnail.
    assert text.count("data:image/jpeg;base64,") >= len(NAMES), "a thumbnail is missing"


def test_python_takes_names_as_os_gives_them(named):
    root, out, images, _ = named
    folders = [os.path.join(root, f) for f in (FOLDER, b"plain")]
    as_str = [os.path.join(os.fsdecode(f), n) for f in folders for n in os.listdir(os.fsdecode(f))]
    entries = [e for f in folders for e in os.scandir(f)]  # os.PathLike giving bytes
    texts = list(pd.read_parquet(out).path)  # the output's own text
    nul = os.fsdecode(folders[0]) + "/caf\0.jpg"
    fz = imgfeat.Featurizer(threads=1)
    got = {}
    for kind, items in (("str", as_str), ("entry", entries), ("text", texts)):
        table = fz.featurize(items + [nul])
        errors = table.column("error").to_pylist()
        assert "NUL" in errors[-1], errors[-1]
        keys = [os.fsencode(os.fspath(i)) if kind != "text" else
                os.fsencode(imgfeat.local_path(i)) for i in items]
        for key, features, error in zip(keys, table.column("features").to_pylist(), errors):
            assert (error is None) == (key in images), (key, error)
            if error is None:
                got.setdefault(key, []).append(features)
    assert sorted(got) == sorted(images)
    assert all(len(v) == 3 and v[0] == v[1] == v[2] for v in got.values())


def test_python_runs_on_bytes_and_surrogate_paths(named, tmp_path):
    root, out, images, _ = named
    for i, given in enumerate((root, os.fsdecode(root))):
        result = imgfeat.run(given, tmp_path / f"o{i}", components=8, progress=False, quiet=True)
        assert result["rows_written"] == len(images) and result["errors"] == 1
        leads_back(pd.read_parquet(tmp_path / f"o{i}").path, images)
    with pytest.raises(ValueError, match="NUL"):
        imgfeat.run(os.fsdecode(root) + "\0x", tmp_path / "nul", progress=False)
