"""imgfeat reading its images from a local S3 server (moto) against the local
disk, on the same images, and with 50 ms added to every S3 request (the fault
proxy of tests/); then the peak memory of listing a large prefix.

    .venv/bin/python bench/s3_bench.py [--images N] [--repeats R] [--list 100000]

Throughput is the manifest's images_per_second (the streaming phase: listing,
reading, decoding, inference, writing; the model load is left out), the
median of R runs, the three inputs interleaved so that a noisy neighbour
touches all of them alike.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from s3_fixtures import CREDENTIALS, fault_proxy, moto_server, s3_client  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"
BUILD = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
FLAGS = ["--glob", "*.jpg", "--components", "1000", "--quiet", "--overwrite"]


def run(input_, out, endpoint=None):
    env = dict(os.environ, **CREDENTIALS)
    env.setdefault("IMGFEAT_MODEL_DIR", str(ROOT.parent / "shared" / "models"))
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    start = time.time()
    subprocess.run([str(BUILD / "imgfeat"), "run", str(input_), str(out), *FLAGS], env=env,
                   check=True)
    wall = time.time() - start
    manifest = json.loads((pathlib.Path(out) / "_imgfeat.json").read_text())
    return manifest["timings"]["images_per_second"], wall, manifest["counts"]["rows_written"]


def throughput(args):
    files = sorted(SAMPLE.rglob("*.jpg"))[: args.images]
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        local = pathlib.Path(tmp) / "images"
        for f in files:  # the same subset on disk, so both read the same bytes
            (local / f.relative_to(SAMPLE)).parent.mkdir(parents=True, exist_ok=True)
            (local / f.relative_to(SAMPLE)).write_bytes(f.read_bytes())
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="images")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda f: s3.upload_file(str(f), "images",
                                                   f"sample/{f.relative_to(SAMPLE)}"), files))
        # The proxy costs CPU of its own (Python, a connection per request):
        # the same proxy without delay isolates what the 50 ms cost.
        results = {"local disk": [], "S3 (moto)": [], "S3 (moto), proxy +0 ms": [],
                   "S3 (moto), proxy +50 ms": []}
        with fault_proxy(endpoint) as proxy, fault_proxy(endpoint, delay=0.05) as slow:
            for _ in range(args.repeats):
                results["local disk"].append(run(local, pathlib.Path(tmp) / "o1"))
                results["S3 (moto)"].append(run("s3://images/sample", pathlib.Path(tmp) / "o2",
                                                endpoint))
                results["S3 (moto), proxy +0 ms"].append(
                    run("s3://images/sample", pathlib.Path(tmp) / "o3", proxy.url))
                results["S3 (moto), proxy +50 ms"].append(
                    run("s3://images/sample", pathlib.Path(tmp) / "o4", slow.url))
        base = statistics.median(r[0] for r in results["local disk"])
        print(f"{len(files)} images, median of {args.repeats} runs")
        for name, rs in results.items():
            ips = statistics.median(r[0] for r in rs)
            wall = statistics.median(r[1] for r in rs)
            assert all(r[2] == len(files) for r in rs), rs
            print(f"  {name:24s} {ips:7.1f} images/s  ({ips / base:6.1%} of local disk)  "
                  f"run {wall:5.1f} s   all: {[round(r[0], 1) for r in rs]}")


def listing(args):
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="many")
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket="many", Key=f"p/d{i % 100:02d}/{i:07d}.jpg",
                                                  Body=b"x"), range(args.list)))
        print(f"uploaded {args.list} objects in {time.time() - start:.0f} s")
        # 1% of them, then all; then all again, holding after the first object
        # for longer than the listing takes (a consumer slower than the lister).
        for prefix, hold in [("p/d00", 0), ("p", 0), ("p", args.hold)]:
            subprocess.run([str(BUILD / "bench" / "s3_list_bench"), f"s3://many/{prefix}",
                            "--s3-endpoint", endpoint, "--hold", str(hold)],
                           env=dict(os.environ, **CREDENTIALS), check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--list", type=int, default=0, help="objects to list (0: skip)")
    ap.add_argument("--hold", type=float, default=240, help="seconds (see s3_list_bench)")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    if not args.skip_throughput:
        throughput(args)
    if args.list:
        listing(args)


if __name__ == "__main__":
    main()
