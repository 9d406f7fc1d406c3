"""Loose files against the same images packed in shards (20 WebDataset tar
files, 20 Parquet files), from the local disk and from a local S3 server
(moto, behind the fault proxy, which counts the requests; then with 50 ms
added to each request).

    .venv/bin/python bench/shards_bench.py [--images 20000] [--shards 20] [--repeats 1]

Throughput is the manifest's images_per_second (listing, reading, decoding,
inference, writing; the model load left out); GETs are counted from the
proxy's request log, per 1,000 images. The shards hold the sample's JPEG
bytes as they are, so every input gives the same features.
"""
import argparse
import concurrent.futures
import io
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tarfile
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from s3_fixtures import CREDENTIALS, fault_proxy, moto_server, s3_client  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"
BUILD = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
FLAGS = ["--components", "1000", "--quiet", "--overwrite"]


def run(input_, out, endpoint=None):
    env = dict(os.environ, **CREDENTIALS)
    env.setdefault("IMGFEAT_MODEL_DIR", str(ROOT.parent / "shared" / "models"))
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    subprocess.run([str(BUILD / "imgfeat"), "run", str(input_), str(out), *FLAGS], env=env,
                   check=True)
    manifest = json.loads((pathlib.Path(out) / "_imgfeat.json").read_text())
    return manifest["timings"]["images_per_second"], manifest["counts"]["rows_written"]


def make_inputs(tmp, n, shards):
    files = sorted(SAMPLE.rglob("*.jpg"))
    names = [(i, files[i % len(files)]) for i in range(n)]
    loose = tmp / "loose"
    for i, f in names:
        dst = loose / f.parent.name / f"{i:06d}.jpg"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(f.read_bytes())
    per = -(-n // shards)
    (tmp / "tar").mkdir()
    (tmp / "parquet").mkdir()
    for s in range(shards):
        part = names[s * per:(s + 1) * per]
        with tarfile.open(tmp / "tar" / f"{s:05d}.tar", "w") as t:
            for i, f in part:
                data = f.read_bytes()
                info = tarfile.TarInfo(f"{i:06d}.jpg")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        pq.write_table(pa.table({"jpg": [f.read_bytes() for _, f in part],
                                 "key": [f"{i:06d}" for i, _ in part]}),
                       tmp / "parquet" / f"{s:05d}.parquet")
    return {"loose files": loose, "tar shards": tmp / "tar", "Parquet shards": tmp / "parquet"}


def upload(endpoint, inputs):
    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket="bench")
    jobs = [(f, f"{name}/{f.relative_to(folder)}") for name, folder in
            (("loose", inputs["loose files"]), ("tar", inputs["tar shards"]),
             ("parquet", inputs["Parquet shards"])) for f in folder.rglob("*.*")]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda j: s3.upload_file(str(j[0]), "bench", j[1]), jobs))


KINDS = ("loose files", "tar shards", "Parquet shards")
WHERE = ("local disk", "S3 (moto, proxy)", "S3, +50 ms per request")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=20000)
    ap.add_argument("--shards", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--only", default="",
                    help="';'-separated 'kind/where' pairs to run (e.g. 'loose files/local "
                         "disk;tar shards/S3 (moto, proxy)'); empty: all")
    args = ap.parse_args()
    only = {tuple(x.strip().split("/")) for x in args.only.split(";") if x.strip()}
    known = {(k, w) for k in KINDS for w in WHERE}
    if only - known:
        raise SystemExit(f"--only: unknown {sorted(only - known)}; known: {sorted(known)}")
    with tempfile.TemporaryDirectory() as tmp_name, moto_server() as endpoint:
        tmp = pathlib.Path(tmp_name)
        inputs = make_inputs(tmp, args.images, args.shards)
        sizes = {k: sum(f.stat().st_size for f in v.rglob("*.*")) for k, v in inputs.items()}
        upload(endpoint, inputs)
        prefixes = {"loose files": "s3://bench/loose", "tar shards": "s3://bench/tar",
                    "Parquet shards": "s3://bench/parquet"}
        results = {}

        def wanted(kind, where):
            return not only or (kind, where) in only

        with fault_proxy(endpoint, log_requests=1) as proxy, \
                fault_proxy(endpoint, delay=0.05) as slow:
            for _ in range(args.repeats):
                for kind, folder in inputs.items():
                    if wanted(kind, "local disk"):
                        results.setdefault((kind, "local disk"), []).append(
                            (*run(folder, tmp / "out"), None))
                    if wanted(kind, "S3 (moto, proxy)"):
                        before = len(proxy.requests())
                        ips, rows = run(prefixes[kind], tmp / "out", proxy.url)
                        requests = proxy.requests()[before:]
                        gets = sum(r.startswith("GET ") and "list-type" not in r
                                   for r in requests)
                        lists = sum("list-type" in r for r in requests)
                        results.setdefault((kind, "S3 (moto, proxy)"), []).append(
                            (ips, rows, (gets, lists)))
                    if wanted(kind, "S3, +50 ms per request"):
                        results.setdefault((kind, "S3, +50 ms per request"), []).append(
                            (*run(prefixes[kind], tmp / "out", slow.url), None))
    load = os.getloadavg()
    print(f"{args.images} images ({args.shards} shards of each kind), median of "
          f"{args.repeats}; load average before the end {load[0]:.2f}")
    print("| input | bytes | where | images/s | GETs per 1,000 images (LIST requests) |")
    print("|---|---:|---|---:|---|")
    for (kind, where), rs in results.items():
        assert all(r[1] == args.images for r in rs), (kind, where, rs)
        ips = statistics.median(r[0] for r in rs)
        every = ", ".join(f"{r[0]:.1f}" for r in rs)
        counts = rs[-1][2]
        get_text = (f"{1000 * counts[0] / args.images:.1f} ({counts[1]})" if counts else "")
        print(f"| {kind} | {sizes[kind]:,} | {where} | {ips:.1f} ({every}) | {get_text} |")


if __name__ == "__main__":
    main()
