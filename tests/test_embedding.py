"""--embedding: the network's output averaged over its 7 x 7 positions, written
unreduced beside the reduced features in the same pass, and compared by
`imgfeat neighbours --column embedding`; and --resume of a complete output,
which now checks its parameters too."""
import json
import os
import pathlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from PIL import Image

from conftest import interrupt_after_parts, run_imgfeat, sample_files

imgfeat = pytest.importorskip("imgfeat", reason="the Python module is not built", exc_type=None)

RUNS = {
    "emb": ["--embedding", "--components", "64"],
    "avg": ["--pooling", "avg", "--reduce", "none"],
    "plain": ["--components", "64"],
    "pca": ["--embedding", "--reduce", "pca", "--components", "4"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("embedding")
    src = root / "in"
    firsts = {}
    for f in sample_files("Test", per_class=6):
        dst = src / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f, dst)
        firsts.setdefault(f.parent.name, f)
    # A mirrored copy of each class's first image, stored losslessly.
    for cls, f in firsts.items():
        with Image.open(f) as im:
            im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(src / cls / f"mirror_{f.stem}.png")
    for name, args in RUNS.items():
        run_imgfeat("run", src, root / name, *args, "--quiet")
    return root


def rows(out):
    return pd.read_parquet(out).sort_values("path").reset_index(drop=True)


def matrix(df, column):
    return np.stack(df[column].to_numpy()).astype(np.float32)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_it_is_the_pooled_output_and_leaves_the_features_alone(runs):
    emb, avg, plain, pca = (rows(runs / n) for n in ("emb", "avg", "plain", "pca"))
    assert list(emb.columns) == ["path", "label", "modification_time", "length", "features",
                                 "embedding"]
    assert list(plain.columns) == list(emb.columns)[:-1]
    assert (emb.path == avg.path).all() and (emb.path == pca.path).all() and len(emb) == 28
    # The same numbers as --pooling avg, bit for bit, after SRP and after PCA.
    assert matrix(emb, "embedding").shape == (28, 1280)
    assert np.array_equal(matrix(emb, "embedding"), matrix(avg, "features"))
    assert np.array_equal(matrix(pca, "embedding"), matrix(avg, "features"))
    # And the reduced features are those of a run without it.
    assert np.array_equal(matrix(emb, "features"), matrix(plain, "features"))
    manifest = json.loads((runs / "emb" / "_imgfeat.json").read_text())
    assert manifest["counts"]["embedding_dim"] == 1280
    assert manifest["parameters"]["embedding"] == "avg"
    plain_manifest = json.loads((runs / "plain" / "_imgfeat.json").read_text())
    assert "embedding_dim" not in plain_manifest["counts"]
    assert "embedding" not in plain_manifest["parameters"]


def test_a_mirrored_copy_is_near_on_the_embedding_only(runs):
    df = rows(runs / "emb")
    paths = list(df.path)
    features, embedding = unit(matrix(df, "features")), unit(matrix(df, "embedding"))
    mirrors = [i for i, p in enumerate(paths) if os.path.basename(p).startswith("mirror_")]
    assert len(mirrors) == 4
    for i in mirrors:
        name = os.path.basename(paths[i])[len("mirror_"):].replace(".png", ".jpg")
        j = next(k for k, p in enumerate(paths) if p.endswith("/" + name))
        on_embedding = float(embedding[i] @ embedding[j])
        on_features = float(features[i] @ features[j])
        # docs/DUPLICATES.md: every mirror at 0.922 or more on the embedding,
        # a median of 0.689 on the SRP features.
        assert on_embedding > 0.9, (paths[i], on_embedding)
        assert on_embedding > on_features + 0.1, (paths[i], on_embedding, on_features)


def test_neighbours_compare_the_embedding_when_asked(runs, tmp_path):
    proc = run_imgfeat("neighbours", runs / "emb", "--column", "embedding", "-k", "5")
    assert "of 1280 features" in proc.stdout, proc.stdout
    run_imgfeat("neighbours", runs / "avg", "-k", "5", "--quiet")
    on_embedding = pd.read_parquet(runs / "emb" / "_neighbours.parquet")
    on_pooled = pd.read_parquet(runs / "avg" / "_neighbours.parquet")
    pd.testing.assert_frame_equal(on_embedding, on_pooled)
    meta = pq.read_schema(runs / "emb" / "_duplicates.parquet").metadata
    assert meta[b"imgfeat.column"] == b"embedding"
    pd.testing.assert_frame_equal(pd.read_parquet(runs / "emb" / "_duplicates.parquet"),
                                  pd.read_parquet(runs / "avg" / "_duplicates.parquet"))
    # Python, and the default column: the reduced features.
    imgfeat.neighbours(runs / "emb", k=5, column="features")
    on_features = pd.read_parquet(runs / "emb" / "_neighbours.parquet")
    assert not on_features.equals(on_embedding)
    summary = imgfeat.neighbours(runs / "emb", k=5, column="embedding")
    assert summary["dim"] == 1280
    pd.testing.assert_frame_equal(pd.read_parquet(runs / "emb" / "_neighbours.parquet"),
                                  on_pooled)


def one_line_error(proc, code, text):
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("imgfeat: ") and text in proc.stderr, proc.stderr


def test_bad_use_is_one_line(runs, tmp_path):
    src = runs / "in"
    proc = run_imgfeat("run", src, tmp_path / "o", "--embedding", "--pooling", "avg", check=False)
    one_line_error(proc, 2, "--embedding needs --pooling none")
    proc = run_imgfeat("run", src, tmp_path / "o", "--keep-columns", "embedding", check=False)
    one_line_error(proc, 2, "'embedding' is a column of the output already")
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match="embedding needs pooling none"):
        imgfeat.run(src, tmp_path / "o", embedding=True, pooling="avg", progress=False)
    proc = run_imgfeat("neighbours", runs / "plain", "--column", "embedding", check=False)
    one_line_error(proc, 1, "has no column 'embedding' (the run did not have --embedding)")
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run_imgfeat("neighbours", runs / "emb", "--column", "pixels", check=False)
    one_line_error(proc, 2, "--column must be features or embedding, not 'pixels'")
    with pytest.raises(TypeError, match="column"):
        imgfeat.neighbours(runs / "emb", column=1)


def test_resume_of_a_complete_output_checks_its_parameters(runs):
    plain = runs / "plain"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in plain.iterdir())
    proc = run_imgfeat("run", runs / "in", plain, "--resume", "--components", "64", "--embedding",
                       check=False)
    one_line_error(proc, 1, "is complete, with other parameters: 'embedding' differs")
    proc = run_imgfeat("run", runs / "in", plain, "--resume", "--components", "65", check=False)
    one_line_error(proc, 1, "'feature_dim' differs (stored 64, now 65)")
    with pytest.raises(ValueError, match="is complete, with other parameters"):
        imgfeat.run(runs / "in", plain, resume=True, components=65, progress=False)
    # The same parameters: nothing to do.
    proc = run_imgfeat("run", runs / "in", plain, "--resume", "--components", "64")
    assert "already complete" in proc.stderr
    assert sorted((p.name, p.stat().st_mtime_ns) for p in plain.iterdir()) == before


def test_featurizer_returns_it_too(runs):
    emb = rows(runs / "emb")
    paths = list(emb.path[:5]) + [str(runs / "nowhere.jpg")]
    model = imgfeat.Featurizer(embedding=True, threads=1)
    table = model.featurize(paths, progress=False)
    assert table.column_names == ["features", "embedding", "error"]
    got = table.column("embedding").to_pylist()
    assert got[-1] is None and table.column("error")[-1].as_py().startswith(paths[-1])
    assert np.array_equal(np.array(got[:-1], np.float32), matrix(emb, "embedding")[:5])
    with pytest.raises(ValueError, match="embedding needs pooling none"):
        imgfeat.Featurizer(embedding=True, pooling="avg")


def test_similar_compares_the_embedding_when_asked(runs, tmp_path):
    emb = rows(runs / "emb")
    names = {os.path.basename(p) for p in emb.path}
    # A row whose mirror image is not in the output, and a mirrored crop of it as the query.
    row = next(p for p in sorted(emb.path) if not os.path.basename(p).startswith("mirror_")
               and f"mirror_{pathlib.Path(p).stem}.png" not in names)
    query = tmp_path / "mirrored-crop.png"
    with Image.open(row) as im:
        im.crop((4, 4, 96, 96)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(query)
    model = imgfeat.Featurizer(embedding=True, threads=1)
    vector = model.featurize([query], progress=False).column("embedding")[0].as_py()
    cosines = unit(matrix(emb, "embedding")) @ unit(np.array([vector], np.float32))[0]
    order = np.argsort(-cosines, kind="stable")[:5]
    got = imgfeat.similar(runs / "emb", [query], k=5, column="embedding")
    assert got.column("path").to_pylist() == [emb.path[i] for i in order]
    np.testing.assert_allclose(got.column("cosine").to_numpy(), cosines[order], atol=2e-6)
    proc = run_imgfeat("similar", runs / "emb", query, "-k", "5", "--column", "embedding",
                       "--json")
    assert [r["path"] for r in json.loads(proc.stdout)] == [emb.path[i] for i in order]
    # On the reduced 7 x 7 features the same view lies much farther from every row.
    on_features = imgfeat.similar(runs / "emb", [query], k=5)
    assert on_features.column("cosine")[0].as_py() < got.column("cosine")[0].as_py() - 0.1
    proc = run_imgfeat("similar", runs / "plain", query, "--column", "embedding", check=False)
    one_line_error(proc, 1, "has no column 'embedding'")
    proc = run_imgfeat("similar", runs / "emb", query, "--column", "pixels", check=False)
    one_line_error(proc, 1, "--column must be features or embedding, not 'pixels'")


def test_an_interrupted_run_resumes_with_its_embedding(runs, tmp_path):
    out = tmp_path / "out"
    args = [runs / "in", out, "--embedding", "--components", "64", "--rows-per-part", "4"]
    interrupt_after_parts(args, 2)
    assert not (out / "_SUCCESS").exists()
    assert len(pd.read_parquet(out)) == 8  # the 2 committed parts, embedding included
    run_imgfeat("run", *args, "--resume", "--quiet")
    resumed, whole = rows(out), rows(runs / "emb")
    assert list(resumed.columns) == list(whole.columns) and len(resumed) == 28
    assert np.array_equal(matrix(resumed, "embedding"), matrix(whole, "embedding"))
    assert np.array_equal(matrix(resumed, "features"), matrix(whole, "features"))
