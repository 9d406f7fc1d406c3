"""Shards in, the loose files' features out: WebDataset tar and Parquet shards
made by the real writers (img2dataset, webdataset's TarWriter, pyarrow),
broken shards reported sample by sample, a SIGKILL in the middle of a shard
resumed, and shards read from S3."""
import json
import os
import pathlib
import subprocess
import tarfile
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, interrupt_after_parts, run_imgfeat, sample_files
from http_fixtures import serve  # noqa: F401  (fixture)

WRITERS = ROOT / ".venv-writers" / "bin" / "python"
FLAGS = ["--reduce", "none", "--pooling", "avg", "--quiet"]


def writers_python(script, cwd):
    """Runs `script` with the real shard writers (.venv-writers, make setup-test)."""
    assert WRITERS.exists(), f"{WRITERS} is missing: run make setup-test"
    proc = subprocess.run([str(WRITERS), "-c", textwrap.dedent(script)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


def read_rows(out):
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    return table.to_pydict()


def features_of(out):
    rows = read_rows(out)
    return {p: (np.asarray(f, np.float32), label)
            for p, f, label in zip(rows["path"], rows["features"], rows["label"])}


def errors_of(out):
    return pq.read_table(out / "_errors.parquet").to_pylist()


@pytest.fixture(scope="module")
def images():
    """A few images of each class, and their features read loose: {file: (features, label)}."""
    files = sample_files("Train", per_class=4) + sample_files("Test", per_class=2)
    return files


@pytest.fixture(scope="module")
def loose(images, tmp_path_factory):
    root = tmp_path_factory.mktemp("loose")
    for i, f in enumerate(images):
        dst = root / f.parent.name / f"{i:05d}.jpg"
        dst.parent.mkdir(exist_ok=True)
        os.symlink(f, dst)
    out = root.parent / "loose-out"
    run_imgfeat("run", root, out, *FLAGS)
    got = features_of(out)
    by_index = {int(pathlib.Path(p).stem): v for p, v in got.items()}
    assert len(by_index) == len(images)
    return by_index


def assert_same_features(got, loose, index_of):
    """Every row of `got` ({path: (features, label)}) equals, bit for bit, the
    loose file index_of(path) gives; every loose file is there once."""
    seen = set()
    for path, (features, _) in got.items():
        i = index_of(path)
        assert i not in seen, path
        seen.add(i)
        np.testing.assert_array_equal(features, loose[i][0], err_msg=path)
    assert seen == set(loose)


def test_webdataset_tarwriter_shards_give_the_loose_features(images, loose, tmp_path):
    shards = tmp_path / "wds"
    shards.mkdir()
    listing = [(i, str(f), f.parent.name) for i, f in enumerate(images)]
    (tmp_path / "listing.json").write_text(json.dumps(listing))
    writers_python("""
        import json, webdataset as wds
        listing = json.load(open("listing.json"))
        half = len(listing) // 2
        for n, part in enumerate([listing[:half], listing[half:]]):
            with wds.TarWriter(f"wds/shard-{n:05d}.tar") as sink:
                for i, path, label in part:
                    sink.write({"__key__": f"s{i:05d}", "jpg": open(path, "rb").read(),
                                "cls": i % 7, "json": {"fruit": label}})
    """, tmp_path)
    out = tmp_path / "out"
    run_imgfeat("run", shards, out, "--label-field", "json.fruit", *FLAGS)
    got = features_of(out)
    assert all("#s" in p and p.split("#")[0].endswith(".tar") for p in got)
    assert_same_features(got, loose, lambda p: int(p.rsplit("#s", 1)[1]))
    for path, (_, label) in got.items():
        assert label == loose[int(path.rsplit("#s", 1)[1])][1], path
    assert not errors_of(out)
    # The .cls member as the label, and the shard's folder by default.
    out_cls = tmp_path / "out-cls"
    run_imgfeat("run", shards, out_cls, "--label-field", "cls", *FLAGS)
    for path, (_, label) in features_of(out_cls).items():
        assert label == str(int(path.rsplit("#s", 1)[1]) % 7)
    out_default = tmp_path / "out-default"
    run_imgfeat("run", shards, out_default, *FLAGS)
    assert {label for _, label in features_of(out_default).values()} == {"wds"}


def test_hugging_face_parquet_gives_the_loose_features(images, loose, tmp_path):
    shards = tmp_path / "hf"
    shards.mkdir()
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    for n in range(2):
        part = [(i, f) for i, f in enumerate(images) if i % 2 == n]
        table = pa.table({
            "image": pa.array([{"bytes": f.read_bytes(), "path": f.name} for _, f in part],
                              image_type),
            "fruit": pa.array([f.parent.name for _, f in part]),
            "index": pa.array([i for i, _ in part], pa.int64()),
        })
        pq.write_table(table, shards / f"train-{n:05d}-of-00002.parquet", row_group_size=7)
    out = tmp_path / "out"
    run_imgfeat("run", shards, out, "--label-field", "fruit", *FLAGS)
    got = features_of(out)
    # No key column: KEY is the row's index in its file.
    index_of = {}
    for n in range(2):
        indices = [i for i in range(len(images)) if i % 2 == n]
        for row, i in enumerate(indices):
            index_of[f"{shards}/train-{n:05d}-of-00002.parquet#{row}"] = i
    assert_same_features(got, loose, index_of.__getitem__)
    for path, (_, label) in got.items():
        assert label == loose[index_of[path]][1]


def test_img2dataset_webdataset_and_parquet_give_the_loose_features(images, loose, tmp_path,
                                                                    serve):  # noqa: F811
    served = tmp_path / "served"
    served.mkdir()
    for i, f in enumerate(images):
        os.symlink(f, served / f"{i:05d}.jpg")
    base = serve(served)
    urls = pa.table({"url": [f"{base}/{i:05d}.jpg" for i in range(len(images))],
                     "caption": [f.parent.name for f in images]})
    pq.write_table(urls, tmp_path / "urls.parquet")
    for output_format in ("webdataset", "parquet"):
        writers_python(f"""
            from img2dataset import download
            download(url_list="urls.parquet", input_format="parquet", url_col="url",
                     caption_col="caption", output_format="{output_format}",
                     output_folder="i2d-{output_format}", resize_mode="no",
                     disable_all_reencoding=True, processes_count=1, thread_count=4,
                     number_sample_per_shard=20, encode_format="jpg", timeout=30,
                     retries=1, enable_wandb=False, distributor="multiprocessing")
        """, tmp_path)
    index_of_url = {u: i for i, u in enumerate(urls.column("url").to_pylist())}

    # WebDataset: the url is in each sample's .json; the caption in .txt.
    out_wds = tmp_path / "out-wds"
    run_imgfeat("run", tmp_path / "i2d-webdataset", out_wds, "--label-field", "txt",
                "--keep-columns", "url,caption,txt,json.status,nowhere", *FLAGS)
    url_of = {}
    for shard in sorted((tmp_path / "i2d-webdataset").glob("*.tar")):
        with tarfile.open(shard) as t:
            for m in t.getmembers():
                if m.name.endswith(".json"):
                    url_of[f"{shard}#{m.name[:-5]}"] = json.load(t.extractfile(m))["url"]
    got = features_of(out_wds)
    assert_same_features(got, loose, lambda p: index_of_url[url_of[p]])
    for path, (_, label) in got.items():
        assert label == images[index_of_url[url_of[path]]].parent.name
    assert_kept_metadata(out_wds, url_of, images, index_of_url,
                         ["url", "caption", "txt", "json.status", "nowhere"])

    # Parquet: a `jpg` column beside `key`, `url` and `caption`.
    out_pq = tmp_path / "out-parquet"
    run_imgfeat("run", tmp_path / "i2d-parquet", out_pq, "--label-field", "caption",
                "--keep-columns", "url,caption,txt,status,nowhere", *FLAGS)
    url_of = {}
    for shard in sorted((tmp_path / "i2d-parquet").glob("*.parquet")):
        t = pq.read_table(shard, columns=["key", "url"])
        for key, url in zip(t.column("key").to_pylist(), t.column("url").to_pylist()):
            url_of[f"{shard}#{key}"] = url
    got = features_of(out_pq)
    assert_same_features(got, loose, lambda p: index_of_url[url_of[p]])
    for path, (_, label) in got.items():
        assert label == images[index_of_url[url_of[path]]].parent.name
    assert_kept_metadata(out_pq, url_of, images, index_of_url,
                         ["url", "caption", "txt", "status", "nowhere"])


def assert_kept_metadata(out, url_of, images, index_of_url, kept):
    """--keep-columns: string columns after `features`, in the order given,
    holding each sample's own url and caption, so that rows join back to
    their source; `txt` is the .txt member (a tar's caption, nothing in
    Parquet), the status field img2dataset writes, null where absent."""
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    assert table.column_names[5:] == kept
    assert all(table.schema.field(k).type == pa.string() for k in kept)
    rows = table.to_pydict()
    is_tar = rows["path"][0].split("#")[0].endswith(".tar")
    for i, path in enumerate(rows["path"]):
        caption = images[index_of_url[url_of[path]]].parent.name
        assert rows[kept[0]][i] == url_of[path]
        assert rows[kept[1]][i] == caption
        assert rows[kept[2]][i] == (caption if is_tar else None)
        assert rows[kept[3]][i] == "success"
        assert rows[kept[4]][i] is None
    manifest = json.loads((out / "_imgfeat.json").read_text())
    assert manifest["parameters"]["keep_columns"] == kept


def tar_of(path, members):
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, __import__("io").BytesIO(data))


def test_broken_shards_are_error_rows_and_the_rest_is_kept(images, tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    jpg = [f.read_bytes() for f in images[:6]]
    tar_of(root / "good.tar", [("a.jpg", jpg[0]), ("b.jpg", jpg[1])])
    tar_of(root / "cut.tar", [("c.jpg", jpg[2]), ("d.jpg", jpg[3]), ("e.jpg", jpg[4])])
    whole = (root / "cut.tar").read_bytes()
    offset_e = whole.index(jpg[4])
    (root / "cut.tar").write_bytes(whole[:offset_e + len(jpg[4]) // 2])
    tar_of(root / "meta.tar", [("f.json", b"{}"), ("f.txt", b"caption"), ("g.jpg", jpg[5]),
                               ("h.jpg", b"not a jpeg")])
    (root / "fake.tar").write_bytes(b"this is no tar archive" * 40)
    pq.write_table(pa.table({"blob": [jpg[0]]}), root / "nocolumn.parquet")
    (root / "loose.jpg").write_bytes(jpg[0])
    out = tmp_path / "out"
    proc = run_imgfeat("run", root, out, *FLAGS[:-1])
    rows = features_of(out)
    assert sorted(os.path.relpath(p, root) for p in rows) == sorted(
        ["good.tar#a", "good.tar#b", "cut.tar#c", "cut.tar#d", "meta.tar#g", "loose.jpg"])
    errors = {os.path.relpath(e["path"], root): e for e in errors_of(out)}
    assert set(errors) == {"cut.tar#e", "meta.tar#f", "meta.tar#h", "fake.tar",
                           "nocolumn.parquet"}
    assert "truncated tar: member 'e.jpg'" in errors["cut.tar#e"]["error"]
    assert "no image member" in errors["meta.tar#f"]["error"]
    assert errors["meta.tar#h"]["stage"] == "decode"
    assert "not a tar file" in errors["fake.tar"]["error"]
    assert "no image column" in errors["nocolumn.parquet"]["error"]
    for e in errors.values():
        assert "\n" not in e["error"]
    # One line each on the terminal, naming the sample.
    for name in errors:
        assert sum(name in line for line in proc.stderr.splitlines()) == 1, (name, proc.stderr)
    forced = tmp_path / "forced"
    refused = run_imgfeat("run", root / "good.tar", forced, "--input-format", "parquet", *FLAGS,
                          check=False)
    assert refused.returncode == 0
    assert "not a Parquet file" in errors_of(forced)[0]["error"]


def test_sigkill_mid_shard_then_resume_gives_every_sample_once(images, tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    n = 400
    data = [f.read_bytes() for f in images]
    tar_of(root / "big.tar", [(f"{i:05d}.jpg", data[i % len(data)]) for i in range(n)])
    args = ["--reduce", "none", "--pooling", "avg", "--rows-per-part", "16", "--batch", "8",
            "--threads", "1", "--quiet"]
    out = tmp_path / "out"
    interrupt_after_parts([root, out, *args], parts=3)
    done_before = len(read_rows(out)["path"])
    assert 0 < done_before < n
    run_imgfeat("run", root, out, *args, "--resume")
    paths = read_rows(out)["path"]
    assert len(paths) == n and len(set(paths)) == n
    assert (out / "_SUCCESS").exists()


def test_shards_from_s3_equal_the_local_shards(images, tmp_path):
    from s3_fixtures import CREDENTIALS, moto_server, s3_client

    root = tmp_path / "in"
    (root / "Apples").mkdir(parents=True)
    data = [f.read_bytes() for f in images]
    tar_of(root / "Apples" / "a.tar", [(f"{i:03d}.jpg", d) for i, d in enumerate(data[:20])])
    pq.write_table(pa.table({"jpg": data[20:], "key": [f"k{i}" for i in range(len(data) - 20)]}),
                   root / "Apples" / "b.parquet", row_group_size=8)
    local = tmp_path / "local"
    run_imgfeat("run", root, local, *FLAGS)
    want = {os.path.relpath(p, root): v for p, v in features_of(local).items()}
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="shards")
        for f in root.rglob("*.*"):
            s3.upload_file(str(f), "shards", f"in/{f.relative_to(root)}")
        out = tmp_path / "from-s3"
        env = dict(CREDENTIALS, AWS_ENDPOINT_URL=endpoint)
        run_imgfeat("run", "s3://shards/in", out, *FLAGS, env=env)
    got = {p[len("s3://shards/in/"):]: v for p, v in features_of(out).items()}
    assert set(got) == set(want)
    for key, (features, label) in got.items():
        np.testing.assert_array_equal(features, want[key][0], err_msg=key)
        assert label == want[key][1] == "Apples"



def test_python_run_reads_shards_as_the_cli(images, tmp_path):
    import imgfeat

    root = tmp_path / "in"
    root.mkdir()
    data = [f.read_bytes() for f in images[:12]]
    members = []
    for i, d in enumerate(data):
        members += [(f"{i:03d}.jpg", d), (f"{i:03d}.txt", images[i].parent.name.encode())]
    tar_of(root / "x.shard", members)
    args = dict(input_format="webdataset", glob="*.shard", label_field="txt", reduce="none",
                pooling="avg")
    out = tmp_path / "py"
    imgfeat.run(str(root), str(out), progress=False, **args)
    cli = tmp_path / "cli"
    run_imgfeat("run", root, cli, "--input-format", "webdataset", "--glob", "*.shard",
                "--label-field", "txt", *FLAGS)
    got, want = features_of(out), features_of(cli)
    assert set(got) == set(want) and len(got) == 12
    assert {label for _, label in got.values()} == {f.parent.name for f in images[:12]}
    for path in want:
        np.testing.assert_array_equal(got[path][0], want[path][0])
        assert got[path][1] == want[path][1]
