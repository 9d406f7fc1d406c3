"""Crash safety and fitted-reducer reuse, end to end through the CLI."""
import os

import numpy as np
import pyarrow.parquet as pq

from conftest import interrupt_after_parts, run_imgfeat, sample_files


def link_tree(root, files):
    """A dataset of links to sample files, keeping their class folders."""
    for f in files:
        dst = root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            os.symlink(f, dst)
    return root


def features_by_path(out):
    parts = sorted(out.glob("part-*.parquet"))
    table = pq.read_table(parts)
    paths = table.column("path").to_pylist()
    feats = np.array(table.column("features").to_pylist(), dtype=np.float32)
    return paths, dict(zip(paths, feats))


def kill_after_parts(root, out, args, parts):
    """Runs `imgfeat run`, SIGKILLed right after its `parts`-th committed part."""
    interrupt_after_parts([root, out, *args], parts)
    committed = sorted(out.glob("part-*.parquet"))
    assert len(committed) == parts
    return committed


def test_resume_after_sigkill_finishes_every_image_exactly_once(tmp_path):
    files = sample_files("Train", per_class=40)
    root = link_tree(tmp_path / "in", files)
    args = ["--reduce", "srp", "--components", "256", "--rows-per-part", "16", "--batch", "8",
            "--quiet"]

    reference = tmp_path / "reference"
    run_imgfeat("run", root, reference, *args)
    _, want = features_by_path(reference)
    assert len(want) == len(files)

    out = tmp_path / "out"
    committed = kill_after_parts(root, out, args, parts=2)
    assert not (out / "_SUCCESS").exists()
    # Every file under a final name is complete: each committed part reads.
    for part in committed:
        assert pq.read_table(part).num_rows > 0

    refused = run_imgfeat("run", root, out, *args, check=False)
    assert refused.returncode != 0 and "--resume" in refused.stderr

    run_imgfeat("run", root, out, *args, "--resume")
    paths, got = features_by_path(out)
    assert sorted(paths) == sorted(set(paths)), "an image was written twice"
    assert set(paths) == set(want)
    for p, v in want.items():
        np.testing.assert_allclose(got[p], v, rtol=1e-5, atol=1e-5, err_msg=p)
    assert (out / "_SUCCESS").exists()
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    assert not (out / "_temporary").exists()


def test_resume_refuses_changed_parameters(tmp_path):
    root = link_tree(tmp_path / "in", sample_files("Test", per_class=30))
    out = tmp_path / "out"
    kill_after_parts(root, out, ["--reduce", "none", "--pooling", "avg", "--rows-per-part", "8",
                                 "--batch", "8", "--quiet"], parts=1)
    proc = run_imgfeat("run", root, out, "--reduce", "srp", "--components", "8",
                       "--pooling", "avg", "--rows-per-part", "8", "--resume", check=False)
    assert proc.returncode != 0 and "differs" in proc.stderr, proc.stderr
    assert not (out / "_SUCCESS").exists()


def test_reducer_from_puts_two_runs_in_the_same_space_as_one(tmp_path):
    files = sample_files("Test", per_class=12)
    everything = link_tree(tmp_path / "all", files)
    half_a = link_tree(tmp_path / "a", files[0::2])
    half_b = link_tree(tmp_path / "b", files[1::2])
    common = ["--pooling", "avg", "--quiet"]

    run_imgfeat("run", everything, tmp_path / "one", "--reduce", "pca", "--components", "8",
                *common)
    reducer = tmp_path / "one" / "_reducer.parquet"
    assert reducer.exists()
    for name, root in [("ra", half_a), ("rb", half_b)]:
        run_imgfeat("run", root, tmp_path / name, "--reducer-from", reducer, *common)

    _, one = features_by_path(tmp_path / "one")
    _, ra = features_by_path(tmp_path / "ra")
    _, rb = features_by_path(tmp_path / "rb")
    by_name = {p.rsplit("/", 2)[1] + "/" + p.rsplit("/", 1)[1]: v for p, v in one.items()}
    split = {p.rsplit("/", 2)[1] + "/" + p.rsplit("/", 1)[1]: v for p, v in {**ra, **rb}.items()}
    assert set(split) == set(by_name) and len(by_name) == len(files)
    for k, v in by_name.items():
        np.testing.assert_allclose(split[k], v, rtol=1e-5, atol=1e-4, err_msg=k)

    # SRP, split the same way, needs nothing but the seed.
    run_imgfeat("run", everything, tmp_path / "s1", "--reduce", "srp", "--components", "64",
                *common)
    run_imgfeat("run", half_a, tmp_path / "s2", "--reducer-from",
                tmp_path / "s1" / "_reducer.parquet", *common)
    _, s1 = features_by_path(tmp_path / "s1")
    _, s2 = features_by_path(tmp_path / "s2")
    s1n = {p.rsplit("/", 2)[1] + "/" + p.rsplit("/", 1)[1]: v for p, v in s1.items()}
    for p, v in s2.items():
        k = p.rsplit("/", 2)[1] + "/" + p.rsplit("/", 1)[1]
        np.testing.assert_allclose(v, s1n[k], rtol=1e-5, atol=1e-5)


def test_pca_resume_reuses_the_saved_fit(tmp_path):
    files = sample_files("Train", per_class=30)
    root = link_tree(tmp_path / "in", files)
    args = ["--reduce", "pca", "--components", "6", "--pooling", "avg", "--rows-per-part", "8",
            "--batch", "8", "--quiet"]
    run_imgfeat("run", root, tmp_path / "reference", *args)
    _, want = features_by_path(tmp_path / "reference")

    out = tmp_path / "out"
    kill_after_parts(root, out, args, parts=2)
    assert (out / "_reducer.parquet").exists(), "the fit is saved before the first part"
    run_imgfeat("run", root, out, *args, "--resume")
    paths, got = features_by_path(out)
    assert sorted(paths) == sorted(want) and len(paths) == len(set(paths))
    for p, v in want.items():
        np.testing.assert_allclose(got[p], v, rtol=1e-5, atol=1e-5, err_msg=p)
