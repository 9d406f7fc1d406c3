"""The output's resume and overwrite rules, one suite run against a local
folder and against an S3 prefix (the moto server): the writer is one code
path over arrow::fs, and these tests hold both storages to the same
behaviour."""
import subprocess

import pyarrow.parquet as pq
import pytest

from conftest import IMGFEAT, imgfeat_env, kill_when, run_imgfeat, sample_files
from s3_fixtures import CREDENTIALS, arrow_s3, fault_proxy, moto_server, s3_client

pytestmark = pytest.mark.s3

FLAGS = ["--quiet", "--threads", "1", "--components", "8"]


@pytest.fixture(scope="module")
def server():
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="images")
        s3.create_bucket(Bucket="out")
        for f in sample_files(per_class=4):
            s3.put_object(Bucket="images", Key=f"in/{f.parent.name}/{f.name}",
                          Body=f.read_bytes())
        s3.put_object(Bucket="images", Key="in/broken/text.jpg", Body=b"not an image")
        yield endpoint


def s3_env(endpoint):
    return dict(CREDENTIALS, AWS_ENDPOINT_URL=endpoint)


class Disk:
    def __init__(self, root):
        self.root = root

    def uri(self, name):
        return str(self.root / name)

    def entries(self, name):
        folder = self.root / name
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    def put(self, name, entry, data):
        (self.root / name).mkdir(parents=True, exist_ok=True)
        (self.root / name / entry).write_bytes(data)

    def read_parquet(self, name, entry):
        return pq.read_table(self.root / name / entry)


class S3:
    def __init__(self, endpoint, tag):
        self.endpoint, self.tag, self.client = endpoint, tag, s3_client(endpoint)

    def uri(self, name):
        return f"s3://out/{self.tag}/{name}"

    def entries(self, name):
        prefix = f"{self.tag}/{name}/"
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket="out",
                                                                       Prefix=prefix)
        keys = [o["Key"][len(prefix):] for page in pages for o in page.get("Contents", [])]
        return sorted({k.split("/")[0] for k in keys})

    def put(self, name, entry, data):
        self.client.put_object(Bucket="out", Key=f"{self.tag}/{name}/{entry}", Body=data)

    def read_parquet(self, name, entry):
        return pq.read_table(f"out/{self.tag}/{name}/{entry}", filesystem=arrow_s3(self.endpoint))


@pytest.fixture(params=["disk", "s3"])
def store(request, server, tmp_path):
    return Disk(tmp_path) if request.param == "disk" else S3(server, tmp_path.name)


def run(server, *args, check=True):
    return run_imgfeat("run", *args, *FLAGS, check=check, env=s3_env(server))


def rows(store, name):
    parts = [e for e in store.entries(name) if e.startswith("part-")]
    paths = []
    for part in parts:
        paths += store.read_parquet(name, part).column("path").to_pylist()
    return paths


def test_an_existing_output_is_refused_then_overwritten(store, server):
    run(server, "s3://images/in/apple", store.uri("o"))
    proc = run(server, "s3://images/in/apple", store.uri("o"), check=False)
    assert proc.returncode != 0 and "already exists" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    run(server, "s3://images/in/lemon", store.uri("o"), "--overwrite")
    assert all("/lemon/" in p for p in rows(store, "o")) and len(rows(store, "o")) == 4
    assert "_temporary" not in store.entries("o") and "_SUCCESS" in store.entries("o")


def test_overwrite_never_removes_a_file_imgfeat_did_not_write(store, server):
    run(server, "s3://images/in/apple", store.uri("o"))
    store.put("o", "notes.txt", b"mine")
    proc = run(server, "s3://images/in/lemon", store.uri("o"), "--overwrite", check=False)
    assert proc.returncode != 0 and "notes.txt" in proc.stderr
    assert "notes.txt" in store.entries("o") and "_SUCCESS" in store.entries("o")


def test_resume_of_a_complete_output_changes_nothing(store, server):
    run(server, "s3://images/in/apple", store.uri("o"))
    before = store.entries("o")
    proc = run(server, "s3://images/in/apple", store.uri("o"), "--resume")
    assert "already complete" in proc.stderr
    assert store.entries("o") == before


def test_resume_refuses_other_parameters_and_a_foreign_folder(store, server):
    store.put("plain", "data.csv", b"1,2")
    proc = run(server, "s3://images/in/apple", store.uri("plain"), "--resume", check=False)
    assert proc.returncode != 0 and "not an interrupted imgfeat run" in proc.stderr


def test_killed_run_then_resume_gives_every_image_once_and_fresh_final_files(store, server):
    """Killed mid-run, with stale final files planted as a crash inside the
    last step leaves them: --resume discards them on both storages and writes
    every image exactly once. The run is held mid-way by a proxy that stalls
    the reads of the last class (raspberry), so the kill always lands after
    the first parts and before the end, however fast the machine."""
    out = store.uri("k")
    with fault_proxy(server, delay=3600, delay_match="/raspberry/") as slow:
        proc = subprocess.Popen([str(IMGFEAT), "run", "s3://images/in", out, *FLAGS,
                                 "--rows-per-part", "1", "--batch", "1"],
                                env=imgfeat_env(s3_env(slow.url)), stderr=subprocess.PIPE)
        kill_when(proc, lambda: sum(e.startswith("part-") for e in store.entries("k")) >= 2,
                  "2 committed parts")
    assert "_SUCCESS" not in store.entries("k")
    for stale in ("_distortion.parquet", "_errors.parquet", "_imgfeat.json"):
        store.put("k", stale, b"stale")
    run(server, "s3://images/in", out, "--rows-per-part", "1", "--resume")
    paths = rows(store, "k")
    assert len(paths) == len(set(paths)) == len(sample_files(per_class=4))
    errors = store.read_parquet("k", "_errors.parquet")
    assert errors.column("path").to_pylist() == ["s3://images/in/broken/text.jpg"]
    # The stale bytes were replaced by this run's sample (its rows: the pairs of
    # the images the resumed run featurized, possibly none).
    assert store.read_parquet("k", "_distortion.parquet").column_names == [
        "path_a", "path_b", "input_distance", "output_distance"]
    assert "_temporary" not in store.entries("k") and "_SUCCESS" in store.entries("k")
