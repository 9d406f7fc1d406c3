"""The CLI's promises about bad input: one clear message per bad file, every
good file still processed, and one clear failure for a bad INPUT or model."""
import os
import shutil

import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, run_imgfeat, sample_files


def read_output(out):
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    return table.sort_by("path")


@pytest.fixture
def mixed_tree(tmp_path):
    """Good fruits under notebook-style folder names, plus broken files."""
    root = tmp_path / "in"
    good = sample_files("Test", per_class=2)
    folders = ["Apple Golden 1", "Apple Golden 2", "Cherry_2", "Kiwi"]
    expected = {}
    for i, src in enumerate(good):
        dst = root / folders[i % len(folders)] / f"img {i}.jpg"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
        expected[str(dst)] = folders[i % len(folders)].rstrip("_0123456789 ")
    bad = root / "Broken 3"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    jpeg = good[0].read_bytes()
    (bad / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (bad / "text.jpg").write_text("this is not an image\n")
    from PIL import Image
    Image.new("RGB", (64, 48), (200, 10, 10)).save(bad / "whole.png")
    png = (bad / "whole.png").read_bytes()
    (bad / "cut.png").write_bytes(png[: len(png) // 2])
    (bad / "whole.png").unlink()
    os.symlink(bad / "moved-away.jpg", bad / "ghost.jpg")  # a dangling link
    return root, expected


def test_bad_files_are_reported_and_good_ones_all_processed(mixed_tree, tmp_path):
    root, expected = mixed_tree
    out = tmp_path / "out"
    proc = run_imgfeat("run", root, out, "--reduce", "none", "--pooling", "avg")
    table = read_output(out)
    assert sorted(table.column("path").to_pylist()) == sorted(expected)
    labels = dict(zip(table.column("path").to_pylist(), table.column("label").to_pylist()))
    assert labels == expected
    assert all(len(f) == 1280 for f in table.column("features").to_pylist())

    errors = pq.read_table(out / "_errors.parquet").to_pydict()
    by_name = {p.rsplit("/", 1)[1]: (s, e) for p, s, e in
               zip(errors["path"], errors["stage"], errors["error"])}
    assert set(by_name) == {"empty.jpg", "truncated.jpg", "text.jpg", "cut.png", "ghost.jpg"}
    for name, (stage, error) in by_name.items():
        assert stage == ("list" if name == "ghost.jpg" else "decode"), (name, stage)
        assert error and "\n" not in error, (name, error)
    assert "no such file" in by_name["ghost.jpg"][1].lower()
    assert "empty" in by_name["empty.jpg"][1].lower()
    assert "truncated" in by_name["truncated.jpg"][1].lower()
    assert "not" in by_name["text.jpg"][1].lower()
    # Each bad file is named on stderr with its reason, on one line.
    for name in by_name:
        assert any(name in line for line in proc.stderr.splitlines()), proc.stderr
    assert (out / "_SUCCESS").exists()


@pytest.mark.parametrize("good", [0, 1])
def test_runs_with_fewer_than_two_good_images_complete_quietly(tmp_path, good):
    """No pair of rows for the distortion sample: nothing but the bad files
    and the summary on stderr, and a complete output."""
    root = tmp_path / "in" / "Kiwi"
    root.mkdir(parents=True)
    (root / "text.jpg").write_text("this is not an image\n")
    (root / "empty.png").write_bytes(b"")
    for i, src in enumerate(sample_files("Test", per_class=1)[:good]):
        shutil.copy(src, root / f"good {i}.jpg")
    out = tmp_path / "out"
    proc = run_imgfeat("run", tmp_path / "in", out, "--reduce", "none")
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, proc.stderr
    assert "text.jpg" in lines[0] + lines[1] and "empty.png" in lines[0] + lines[1]
    assert lines[2].startswith(f"imgfeat: wrote {good} rows"), proc.stderr
    assert (out / "_SUCCESS").exists()
    assert pq.read_table(out / "_errors.parquet").num_rows == 2


def test_long_thin_image_is_refused_before_its_resize_allocates(tmp_path):
    """Pillow's resize of a 1-pixel-wide strip needs a 224-wide intermediate
    image as tall as the strip: a 233 KB PNG of 1 x 60,000,000 asked for
    40 GB and ended the run with std::bad_alloc. Now that image is refused
    like one above --max-pixels, and a wide strip whose resize fits is kept."""
    from PIL import Image
    root = tmp_path / "in" / "Strips"
    root.mkdir(parents=True)
    Image.new("RGB", (1, 100_000), (200, 100, 50)).save(root / "tall.png")
    Image.new("RGB", (100_000, 1), (50, 100, 200)).save(root / "wide.png")
    # Refused from the header, before any pixel is decoded: a cut-off copy
    # gets the same reason, not "truncated".
    (root / "tall-cut.png").write_bytes((root / "tall.png").read_bytes()[:100])
    out = tmp_path / "out"
    # 1,000,000 pixels allowed: 3 MB of scratch for the resize; the tall strip
    # needs 67 MB (224 x 100,000 x 3), the wide one 1.6 MB of weight tables.
    proc = run_imgfeat("run", tmp_path / "in", out, "--reduce", "none", "--max-pixels", "1000000")
    table = read_output(out)
    assert [p.rsplit("/", 1)[1] for p in table.column("path").to_pylist()] == ["wide.png"]
    errors = pq.read_table(out / "_errors.parquet").to_pylist()
    assert sorted(e["path"].rsplit("/", 1)[1] for e in errors) == ["tall-cut.png", "tall.png"]
    for error in errors:
        assert "image of 1x100000 is too long and thin to resize" in error["error"], errors
    assert "tall.png" in proc.stderr


def test_missing_input_fails_clearly_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = run_imgfeat("run", tmp_path / "nowhere", out, check=False)
    assert proc.returncode != 0
    assert "nowhere" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_empty_input_fails_clearly(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "notes.txt").write_text("no images here")
    proc = run_imgfeat("run", tmp_path / "in", tmp_path / "out", check=False)
    assert proc.returncode != 0
    assert "no image" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_existing_output_is_refused_without_overwrite_or_resume(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("user data")
    proc = run_imgfeat("run", SAMPLE / "Test" / "lemon", out, "--reduce", "none",
                       "--pooling", "avg", check=False)
    assert proc.returncode != 0 and "exist" in proc.stderr
    assert (out / "precious.txt").read_text() == "user data"


def test_missing_model_fails_before_output(tmp_path):
    out = tmp_path / "out"
    proc = run_imgfeat("run", SAMPLE / "Test" / "lemon", out, "--model-dir", tmp_path,
                       check=False, env={"IMGFEAT_MODEL_DIR": str(tmp_path / "none"),
                                         "XDG_CACHE_HOME": str(tmp_path / "cache"),
                                         "HOME": str(tmp_path)})
    assert proc.returncode != 0
    assert "mobilenet_v2" in proc.stderr
    assert not out.exists()


def test_corrupt_model_fails_before_output(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text('{"name": "broken", "file": "broken.onnx", "preprocess": "tf", '
                    '"input": {"height": 224, "width": 224}, '
                    '"output": {"shape_hwc": [7, 7, 1280]}}')
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"\x08\x05garbage" * 100)
    out = tmp_path / "out"
    proc = run_imgfeat("run", SAMPLE / "Test" / "lemon", out, "--model", model,
                       "--model-spec", spec, check=False)
    assert proc.returncode != 0
    assert "broken.onnx" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()


def test_spec_that_does_not_match_the_model_fails_before_output(tmp_path):
    from conftest import MODELS
    onnx = MODELS / "mobilenet_v2_1.0_224" / "mobilenet_v2_1.0_224_no_top_nhwc.onnx"
    spec = tmp_path / "spec.json"
    spec.write_text('{"name": "wrong", "file": "x.onnx", "preprocess": "tf", '
                    '"input": {"height": 299, "width": 299}, '
                    '"output": {"shape_hwc": [10, 10, 2048]}}')
    out = tmp_path / "out"
    proc = run_imgfeat("run", SAMPLE / "Test" / "lemon", out, "--model", onnx,
                       "--model-spec", spec, check=False)
    assert proc.returncode != 0
    assert "299" in proc.stderr or "2048" in proc.stderr
    assert not out.exists()


def test_bad_flag_values_are_named(tmp_path):
    for args, word in [(["--reduce", "lda"], "--reduce"), (["--components", "-3"], "--components"),
                       (["--eps", "2"], "--eps"), (["--frobnicate"], "--frobnicate")]:
        proc = run_imgfeat("run", SAMPLE, tmp_path / "o", *args, check=False)
        assert proc.returncode == 2 and word in proc.stderr, (args, proc.stderr)
