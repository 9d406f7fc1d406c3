"""imgfeat.Featurizer.featurize against the CLI on the same images and threads
(images/s), and the package's memory over many images.

    PYTHONPATH=build/python .venv/bin/python bench/python_featurize.py speed --images 5000
    PYTHONPATH=build/python .venv/bin/python bench/python_featurize.py memory --images 20000

speed: the sample images linked repeatedly to make --images files; rounds
alternate `imgfeat run --reduce srp --components 64` (the least the CLI does
beyond featurizing: its images/s is _imgfeat.json's stream figure, model
compilation and listing excluded) and Featurizer.featurize over the same paths
in calls of --call images (model compilation excluded). Medians are reported.
memory: one process featurizes --images paths in calls of --call images,
dropping each result, and prints its resident memory as it goes.
"""
import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"


def link_images(root, n):
    files = sorted(SAMPLE.rglob("*.jpg"))
    paths = []
    for i in range(n):
        src = files[i % len(files)]
        dst = root / src.parent.name / f"{i:06d}_{src.name}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(src)
        paths.append(str(dst))
    return sorted(paths)  # the CLI's listing order: folder, then name


def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def speed(args):
    import imgfeat

    build = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        paths = link_images(tmp / "in", args.images)
        featurizer = imgfeat.Featurizer(threads=args.threads)
        cli_rates, py_rates, cli_cpu, py_cpu = [], [], [], []
        for round_ in range(args.rounds):
            out = tmp / "out"
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([str(build / "imgfeat"), "run", str(tmp / "in"), str(out),
                            "--reduce", "srp", "--components", "64", "--threads",
                            str(args.threads), "--quiet", "--overwrite"], check=True)
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli_cpu.append((c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) / args.images)
            manifest = json.loads((out / "_imgfeat.json").read_text())
            cli_rates.append(manifest["timings"]["images_per_second"]
                             if "timings" in manifest else manifest["images_per_second"])
            s0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            rows = 0
            for i in range(0, len(paths), args.call):
                table = featurizer.featurize(paths[i:i + args.call], progress=False)
                rows += table.num_rows
                assert table.column("error").null_count == table.num_rows
            py_rates.append(rows / (time.perf_counter() - t0))
            s1 = resource.getrusage(resource.RUSAGE_SELF)
            py_cpu.append((s1.ru_utime + s1.ru_stime - s0.ru_utime - s0.ru_stime) / rows)
            print(f"round {round_ + 1}: CLI {cli_rates[-1]:.1f} images/s "
                  f"({1000 * cli_cpu[-1]:.1f} ms CPU/image, whole process), "
                  f"Featurizer.featurize {py_rates[-1]:.1f} images/s "
                  f"({1000 * py_cpu[-1]:.1f} ms CPU/image)", flush=True)
        cli, py = statistics.median(cli_rates), statistics.median(py_rates)
        print(f"{args.images} images, {args.threads} threads, calls of {args.call}: "
              f"CLI {cli:.1f} images/s, featurize {py:.1f} images/s (median of "
              f"{args.rounds}), ratio {py / cli:.3f}; CPU per image: CLI "
              f"{1000 * statistics.median(cli_cpu):.1f} ms, featurize "
              f"{1000 * statistics.median(py_cpu):.1f} ms")


def memory(args):
    import imgfeat

    with tempfile.TemporaryDirectory() as tmp:
        paths = link_images(pathlib.Path(tmp) / "in", args.images)
        featurizer = imgfeat.Featurizer(threads=args.threads)
        print(f"after compiling the model: RSS {rss_mib():.0f} MiB", flush=True)
        t0 = time.perf_counter()
        for i in range(0, len(paths), args.call):
            table = featurizer.featurize(paths[i:i + args.call], progress=False)
            del table
            done = min(i + args.call, len(paths))
            if done % 2048 < args.call or done == len(paths):
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{done:6d} images: RSS {rss_mib():.0f} MiB, peak {peak:.0f} MiB, "
                      f"{done / (time.perf_counter() - t0):.1f} images/s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["speed", "memory"])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--call", type=int, default=256, help="images per featurize call")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    speed(args) if args.mode == "speed" else memory(args)


if __name__ == "__main__":
    sys.exit(main())
