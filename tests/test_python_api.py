"""The Python package against the CLI's own output on the same images:
Featurizer (paths, bytes, Arrow arrays), run(), the reducers, and bad inputs.

The package is the one built with the C++ tests (PYTHONPATH=build/python, as
`make test` sets it); tests/test_python_wheel.py checks the installed wheel.
"""
import hashlib
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.decomposition import PCA as SkPCA
from sklearn.random_projection import SparseRandomProjection as SkSRP

from conftest import MODELS, run_imgfeat, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)

THREADS = 2


def link_dataset(root, files):
    for f in files:
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(f)
    return root


def read_rows(out):
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    return table.column("path").to_pylist(), table


def feature_matrix(column):
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(column)
    return column.flatten().to_numpy().reshape(n, -1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Ten sample images in two classes, and the CLI's raw features of them."""
    root = tmp_path_factory.mktemp("py") / "in"
    link_dataset(root, sample_files("Test", per_class=5)[:10])
    out = root.parent / "cli_none"
    run_imgfeat("run", root, out, "--reduce", "none", "--threads", THREADS, "--quiet")
    paths, table = read_rows(out)
    return root, paths, table


@pytest.fixture(scope="module")
def featurizer():
    return imgfeat.Featurizer(threads=THREADS, model_dir=MODELS)


def test_import_before_hashlib():
    # The module must not leave OpenSSL half bound to pyarrow's copy of it.
    code = "import imgfeat, hashlib, ssl; print(hashlib.sha256(b'imgfeat').hexdigest())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == hashlib.sha256(b"imgfeat").hexdigest()


def test_featurize_paths_bytes_and_arrow_equal_the_cli(dataset, featurizer):
    _, paths, cli = dataset
    want = feature_matrix(cli.column("features"))
    by_path = featurizer.featurize(paths, progress=False)
    assert by_path.schema.names == ["features", "error"]
    assert by_path.num_rows == len(paths)
    assert by_path.column("error").null_count == len(paths)
    np.testing.assert_array_equal(feature_matrix(by_path.column("features")), want)

    contents = [open(p, "rb").read() for p in paths]
    by_bytes = featurizer.featurize(contents, progress=False)
    np.testing.assert_array_equal(feature_matrix(by_bytes.column("features")), want)
    # Spark's binaryFile `content` column arrives as a binary Arrow array.
    by_arrow = featurizer.featurize(pa.chunked_array([pa.array(contents, pa.binary())]),
                                    progress=False)
    np.testing.assert_array_equal(feature_matrix(by_arrow.column("features")), want)


def test_progress_bar_and_quiet(dataset, featurizer, tmp_path, capsys):
    root, paths, _ = dataset
    featurizer.featurize(paths[:3], progress=True)
    assert "3/3" in capsys.readouterr().err
    imgfeat.run(root, tmp_path / "bar", components=8, threads=THREADS, quiet=True)
    assert capsys.readouterr().err == ""
    imgfeat.run(root, tmp_path / "bar", components=8, threads=THREADS, overwrite=True)
    assert "10/10" in capsys.readouterr().err


def test_featurize_bad_inputs_are_error_rows(dataset, featurizer, tmp_path):
    _, paths, cli = dataset
    missing = str(tmp_path / "missing.jpg")
    table = featurizer.featurize([paths[0], missing, None, paths[1]], progress=False)
    errors = table.column("error").to_pylist()
    assert errors[0] is None and errors[3] is None
    assert errors[1] == f"{missing}: cannot open: No such file or directory"
    assert errors[2] == "#2: no image (null)"
    assert table.column("features").null_count == 2
    want = feature_matrix(cli.column("features"))[[0, 1]]
    got = table.column("features").drop_null()
    np.testing.assert_array_equal(feature_matrix(got), want)

    broken = open(paths[0], "rb").read()[:300]
    table = featurizer.featurize([b"not an image", broken, b""], progress=False)
    errors = table.column("error").to_pylist()
    assert all(e.startswith(f"#{i}: ") for i, e in enumerate(errors)), errors
    assert "truncated" in errors[1] or "corrupt" in errors[1] or "JPEG" in errors[1], errors[1]


@pytest.mark.parametrize("images,message", [
    ([1, 2], r"images\[0\] is of type int"),
    (["a.jpg", b"xx"], "mixes paths and bytes"),
    ("a.jpg", "wrap a single image in a list"),
    (pa.array([1.5]), "not double"),
    (42, "not int"),
])
def test_featurize_wrong_types_raise(featurizer, images, message):
    with pytest.raises(TypeError, match=message):
        featurizer.featurize(images, progress=False)


def test_featurizer_bad_arguments():
    with pytest.raises(ValueError, match="pooling"):
        imgfeat.Featurizer(pooling="max", model_dir=MODELS)
    with pytest.raises(ValueError, match="no_such_model"):
        imgfeat.Featurizer(model="no_such_model")
    with pytest.raises(ValueError, match="threads"):
        imgfeat.Featurizer(threads=-1, model_dir=MODELS)


def test_avg_pooling_is_the_mean_of_the_grid(dataset):
    _, paths, cli = dataset
    pooled = imgfeat.Featurizer(pooling="avg", threads=THREADS, model_dir=MODELS)
    assert pooled.feature_dim == 1280
    got = feature_matrix(pooled.featurize(paths[:3], progress=False).column("features"))
    grid = feature_matrix(cli.column("features"))[:3].reshape(3, 49, 1280)
    np.testing.assert_allclose(got, grid.mean(axis=1), rtol=1e-5, atol=1e-6)


def test_run_equals_the_cli(dataset, tmp_path):
    root, _, _ = dataset
    options = ["--components", "40", "--seed", "7", "--threads", THREADS, "--quiet"]
    run_imgfeat("run", root, tmp_path / "cli", *options)
    summary = imgfeat.run(root, tmp_path / "py", components=40, seed=7, threads=THREADS,
                          quiet=True, progress=False)
    assert summary["rows_written"] == 10 and summary["errors"] == 0
    assert summary["output_dim"] == 40 and summary["feature_dim"] == 62720
    cli_paths, cli = read_rows(tmp_path / "cli")
    py_paths, py = read_rows(tmp_path / "py")
    assert py_paths == cli_paths
    assert py.column("label").to_pylist() == cli.column("label").to_pylist()
    np.testing.assert_array_equal(feature_matrix(py.column("features")),
                                  feature_matrix(cli.column("features")))
    assert (tmp_path / "py" / "_SUCCESS").exists()


def test_run_bad_options(dataset, tmp_path):
    root, _, _ = dataset
    with pytest.raises(TypeError, match="unknown option 'colour'"):
        imgfeat.run(root, tmp_path / "a", colour=1, progress=False)
    with pytest.raises(ValueError, match="components must be auto or an integer from 1 to"):
        imgfeat.run(root, tmp_path / "a", components=-3, progress=False)
    with pytest.raises(ValueError, match=r"eps must be a number in \(0, 1\)"):
        imgfeat.run(root, tmp_path / "a", eps=2.0, progress=False)
    with pytest.raises(TypeError, match="threads must be an integer from 0 to 1024, not str"):
        imgfeat.run(root, tmp_path / "a", threads="2", progress=False)
    with pytest.raises(ValueError, match="reduce must be srp, pca or none, not 'tsne'"):
        imgfeat.run(root, tmp_path / "a", reduce="tsne", progress=False)
    with pytest.raises(Exception, match="nowhere"):
        imgfeat.run(tmp_path / "nowhere", tmp_path / "a", progress=False)
    assert not (tmp_path / "a").exists()


def test_saved_reducer_transforms_like_the_run(dataset, tmp_path):
    root, _, cli_none = dataset
    run_imgfeat("run", root, tmp_path / "srp", "--components", "64", "--threads", THREADS,
                "--quiet")
    _, srp_rows = read_rows(tmp_path / "srp")
    reducer = imgfeat.load_reducer(tmp_path / "srp" / "_reducer.parquet")
    assert (reducer.kind, reducer.input_dim, reducer.output_dim) == ("srp", 62720, 64)
    reduced = reducer.transform(cli_none)  # an Arrow table: its features column reduced
    assert reduced.column_names == cli_none.column_names
    np.testing.assert_array_equal(feature_matrix(reduced.column("features")),
                                  feature_matrix(srp_rows.column("features")))
    made = imgfeat.SparseRandomProjection(64, 62720, seed=42)
    np.testing.assert_array_equal(made.transform(feature_matrix(cli_none.column("features"))),
                                  feature_matrix(srp_rows.column("features")))


def test_featurize_with_a_reducer_equals_the_run(dataset, featurizer, tmp_path):
    """Featurizer.featurize(reducer=...) gives the rows of a run with that
    reducer, bit for bit, and a bad input stays an error row."""
    root, files, _ = dataset
    run_imgfeat("run", root, tmp_path / "srp", "--components", "64", "--threads", THREADS,
                "--quiet")
    _, srp_rows = read_rows(tmp_path / "srp")
    reducer = imgfeat.load_reducer(tmp_path / "srp" / "_reducer.parquet")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    got = featurizer.featurize([*files, bad], progress=False, reducer=reducer)
    assert got.column_names == ["features", "error"]
    np.testing.assert_array_equal(feature_matrix(got.column("features").slice(0, len(files))),
                                  feature_matrix(srp_rows.column("features")))
    assert got.column("features")[len(files)].as_py() is None
    assert "not an image" in got.column("error")[len(files)].as_py()
    with pytest.raises(ValueError, match="the reducer takes 1280 features, the model gives 62720"):
        featurizer.featurize(files[:1], progress=False,
                             reducer=imgfeat.SparseRandomProjection(8, 1280))


@pytest.mark.parametrize("n_components,n_features,seed,density", [
    (50, 3000, 42, "auto"), (7, 500, 0, 0.3), (300, 62720, 12345, "auto")])
def test_srp_is_scikit_learns(n_components, n_features, seed, density):
    ours = imgfeat.SparseRandomProjection(n_components, n_features, seed=seed, density=density)
    x = np.random.default_rng(seed).standard_normal((20, n_features)).astype(np.float32)
    theirs = SkSRP(n_components, density=density, random_state=seed).fit(x.astype(np.float64))
    mine, ref = ours.components().tocsr(), theirs.components_.tocsr()
    np.testing.assert_array_equal(mine.indptr, ref.indptr)
    np.testing.assert_array_equal(mine.indices, ref.indices)
    np.testing.assert_array_equal(mine.data, ref.data)
    want = theirs.transform(x.astype(np.float64))
    np.testing.assert_allclose(ours.transform(x), want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_reducer_bad_arguments():
    with pytest.raises(ValueError, match="n_components"):
        imgfeat.SparseRandomProjection(-5, 100)
    with pytest.raises(TypeError):
        imgfeat.SparseRandomProjection(2.5, 100)
    with pytest.raises(ValueError, match="density"):
        imgfeat.SparseRandomProjection(5, 100, density=1.5)
    srp = imgfeat.SparseRandomProjection(5, 100)
    with pytest.raises(ValueError, match="100"):
        srp.transform(np.zeros((3, 99), np.float32))
    with pytest.raises(ValueError, match="n_components"):
        imgfeat.PCA(-1)
    with pytest.raises(OSError):
        imgfeat.load_reducer("/nonexistent/_reducer.parquet")


def test_pca_from_batches_equals_the_run(dataset, tmp_path):
    root, _, cli_none = dataset
    run_imgfeat("run", root, tmp_path / "pca", "--reduce", "pca", "--components", "4",
                "--threads", THREADS, "--quiet")
    _, pca_rows = read_rows(tmp_path / "pca")
    batches = [cli_none.slice(0, 3), cli_none.slice(3, 4), cli_none.slice(7)]
    pca = imgfeat.PCA(4).fit(batches)
    saved = imgfeat.load_reducer(tmp_path / "pca" / "_reducer.parquet")
    np.testing.assert_array_equal(pca.components_, saved._impl.pca_state()["components"])
    np.testing.assert_array_equal(feature_matrix(pca.transform(cli_none).column("features")),
                                  feature_matrix(pca_rows.column("features")))


def test_pca_against_scikit_learn():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((400, 6)) @ rng.standard_normal((6, 300))
         + 0.01 * rng.standard_normal((400, 300))).astype(np.float32)
    ours = imgfeat.PCA(4, seed=0).fit(x[i:i + 64] for i in range(0, 400, 64))
    theirs = SkPCA(4, svd_solver="full").fit(x.astype(np.float64))
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(np.abs(np.sum(ours.components_ * theirs.components_, axis=1)),
                               1.0, atol=1e-4)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, atol=1e-5)


def test_run_with_report_and_the_report_function_equal_the_cli(dataset, tmp_path):
    root, _, _ = dataset
    summary = imgfeat.run(root, tmp_path / "out", components=40, threads=THREADS, quiet=True,
                          progress=False, report=True)
    assert summary["report"] == str(tmp_path / "out" / "_report.html")
    written = imgfeat.report(tmp_path / "out", tmp_path / "py.html", tmp_path / "py.png")
    run_imgfeat("report", tmp_path / "out", "--html", tmp_path / "cli.html", "--png", tmp_path / "cli.png")
    # The same page and map as the CLI's, from the same output.
    assert (tmp_path / "py.html").read_bytes() == (tmp_path / "cli.html").read_bytes()
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert (tmp_path / "out" / "_report.html").read_bytes() == (tmp_path / "cli.html").read_bytes()
    pairs = pq.read_table(tmp_path / "out" / "_distortion.parquet").num_rows
    assert written["rows"] == 10 and written["rows_analysed"] == 10
    assert written["distortion_pairs"] == pairs == 45
    assert written["knn_method"] == "leave-one-out" and written["knn_queries"] == 10
    low, high = written["knn_interval"]
    assert 0 <= low <= written["knn_accuracy"] <= high <= 1
    with pytest.raises(Exception, match="nowhere"):
        imgfeat.report(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="max_rows"):
        imgfeat.report(tmp_path / "out", max_rows=0)
