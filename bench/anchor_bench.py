"""imgfeat run end to end against OpenVINO's own benchmark_app (inference
alone) on the same model file, precision and CPUs, in one run, with the
machine's FMA ceiling and the model's multiply-adds on the same page
(docs/BENCHMARKS.md, "Against the inference engine alone").

    .venv/bin/python bench/anchor_bench.py [--images 5000] [--repeats 3] [--seconds 20]

For 1 and 2 CPUs (taskset -c 0 and 0,1): benchmark_app -hint throughput at f32
(its best of batch 1 and batch 16) and `imgfeat run` on --images sample images
(repeated), its images/s from the manifest (model load excluded), and the
machine's idle share during each run (/proc/stat). Then, on 2 CPUs, imgfeat run
with --reduce none and with SRP at k = 9,468 against the default. Medians of
--repeats. The FMA ceiling is a loop of independent float32 FMAs compiled here
with -O3 -march=native, one thread per CPU.
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build"))
MODELS = pathlib.Path(os.environ.get("IMGFEAT_MODEL_DIR", ROOT.parent / "shared" / "models"))
SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"
ONNX = MODELS / "mobilenet_v2_1.0_224" / "mobilenet_v2_1.0_224_no_top_nhwc.onnx"
CPUS = {1: "0", 2: "0,1"}

FMA_LOOP = r"""
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
// 16 independent accumulators of 16 floats: enough FMAs in flight for any
// x86 core's two FMA pipes at their latency; the compiler vectorizes it.
static double Run(long iterations) {
  alignas(64) float acc[16][16];
  for (auto& a : acc) for (float& x : a) x = 1.0f;
  const float m = 0.999999f, c = 1e-7f;
  for (long i = 0; i < iterations; ++i)
    for (auto& a : acc)
#pragma GCC ivdep
      for (float& x : a) x = x * m + c;
  double s = 0;
  for (auto& a : acc) for (float x : a) s += x;
  return s;
}
int main(int argc, char** argv) {
  const int threads = std::atoi(argv[1]);
  const long iterations = 200000000L / 16;
  std::vector<std::thread> pool;
  std::vector<double> sums(threads);
  auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sums[t] = Run(iterations); });
  for (auto& t : pool) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double fmas = double(iterations) * 256 * threads;
  std::printf("%.3f %g\n", fmas / seconds / 1e9, sums[0]);
}
"""


def fma_ceiling(tmp, cpus):
    """G float32 multiply-adds per second on `cpus` CPUs, one thread each."""
    src, exe = tmp / "fma.cc", tmp / "fma"
    if not exe.exists():
        src.write_text(FMA_LOOP)
        subprocess.run(["g++", "-O3", "-march=native", "-ffp-contract=fast", "-pthread",
                        str(src), "-o", str(exe)], check=True)
    out = subprocess.run(["taskset", "-c", CPUS[cpus], str(exe), str(cpus)], check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[0])


def model_macs():
    """Multiply-adds of one image through the model's convolutions and products."""
    import openvino as ov

    model = ov.Core().read_model(str(ONNX))
    model.reshape([1, 224, 224, 3])
    macs = 0
    for op in model.get_ordered_ops():
        kind = op.get_type_name()
        if kind in ("Convolution", "GroupConvolution"):
            out = list(op.get_output_shape(0))
            weights = list(op.input_value(1).get_shape())
            per_output = 1
            # Convolution: [O, I, kh, kw]; GroupConvolution: [G, O/G, I/G, kh, kw].
            for d in (weights[1:] if kind == "Convolution" else weights[2:]):
                per_output *= d
            n = 1
            for d in out:
                n *= d
            macs += n * per_output
        elif kind == "MatMul":
            a = list(op.input_value(0).get_shape())
            b = list(op.input_value(1).get_shape())
            macs += a[-2] * a[-1] * b[-1]
    return macs


def benchmark_app(cpus, seconds):
    """benchmark_app's best throughput (FPS) at f32 on `cpus` CPUs."""
    best = 0.0
    for batch in (1, 16):
        cmd = ["taskset", "-c", CPUS[cpus], str(ROOT / ".venv" / "bin" / "benchmark_app"),
               "-m", str(ONNX), "-d", "CPU", "-hint", "throughput", "-infer_precision", "f32",
               "-t", str(seconds), "-shape", f"[{batch},224,224,3]"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        fps = float(re.search(r"Throughput:\s*([0-9.]+)\s*FPS", out).group(1))
        best = max(best, fps)
    return best


# The reductions compared on 2 CPUs: the default (SRP, k from the image
# count), no reduction (62,720 floats a row) and SRP with k = 9,468.
REDUCTIONS = {"srp (default)": [], "none": ["--reduce", "none"],
              "srp, k = 9,468": ["--reduce", "srp", "--components", "9468"]}


def cpu_times():
    """(idle, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in pathlib.Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    return fields[3], sum(fields)


def imgfeat_run(cpus, images, out, extra=()):
    """images/s (model load excluded), the machine's idle share during the
    run, SRP seconds per 1,000 images, and the manifest's model."""
    env = dict(os.environ, IMGFEAT_MODEL_DIR=str(MODELS))
    idle0, total0 = cpu_times()
    subprocess.run(["taskset", "-c", CPUS[cpus], str(BUILD / "imgfeat"), "run", str(images),
                    str(out), "--threads", str(cpus), "--overwrite", "--quiet", *extra], env=env,
                   check=True)
    idle1, total1 = cpu_times()
    manifest = json.loads((out / "_imgfeat.json").read_text())
    rows = manifest["counts"]["rows_written"]
    assert rows > 0
    timings = manifest["timings"]
    return (timings["images_per_second"], (idle1 - idle0) / max(total1 - total0, 1),
            timings["reduce_seconds"] / rows * 1000, manifest["model"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        files = sorted(SAMPLE.rglob("*.jpg"))
        for i in range(args.images):
            f = files[i % len(files)]
            dst = tmp / "images" / f.parent.name / f"{i:06d}.jpg"
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(f, dst)
        runs = {}
        model = None
        for _ in range(args.repeats):
            for cpus in CPUS:
                runs.setdefault(("fma", cpus), []).append(fma_ceiling(tmp, cpus))
                runs.setdefault(("app", cpus), []).append(benchmark_app(cpus, args.seconds))
                ips, idle, _, model = imgfeat_run(cpus, tmp / "images", tmp / "out")
                runs.setdefault(("run", cpus), []).append(ips)
                runs.setdefault(("idle", cpus), []).append(idle)
            for name, extra in REDUCTIONS.items():
                ips, idle, srp_ms, _ = imgfeat_run(2, tmp / "images", tmp / "out", extra)
                runs.setdefault(("reduce", name), []).append(ips)
                runs.setdefault(("srp_ms", name), []).append(srp_ms)
    med = {k: statistics.median(v) for k, v in runs.items()}
    macs = model_macs()
    load = os.getloadavg()[0]
    print(f"model {json.dumps(model)}; {macs / 1e6:.1f} M multiply-adds per image; "
          f"{args.images} images, medians of {args.repeats}; load average at the end {load:.2f}")
    print("| CPUs | FMA ceiling, G multiply-adds/s | ceiling in images/s | benchmark_app, "
          "images/s | imgfeat run, images/s | run / benchmark_app |")
    print("|---:|---:|---:|---:|---:|---:|")
    for cpus in CPUS:
        every = ", ".join(f"{x:.1f}" for x in runs[("run", cpus)])
        print(f"| {cpus} | {med[('fma', cpus)]:.1f} | {med[('fma', cpus)] * 1e9 / macs:.0f} | "
              f"{med[('app', cpus)]:.1f} | {med[('run', cpus)]:.1f} ({every}) | "
              f"{med[('run', cpus)] / med[('app', cpus)]:.2f} |")
    print(f"2 CPUs / 1 CPU: benchmark_app {med[('app', 2)] / med[('app', 1)]:.2f}x, "
          f"imgfeat run {med[('run', 2)] / med[('run', 1)]:.2f}x; the machine idle during "
          f"imgfeat run on 2 CPUs: {100 * med[('idle', 2)]:.1f}% (model load included)")
    print()
    print("| 2 CPUs, --reduce | imgfeat run, images/s (the runs) | against the default | "
          "SRP, seconds per 1,000 images |")
    print("|---|---:|---:|---:|")
    default = med[("reduce", "srp (default)")]
    for name in REDUCTIONS:
        every = ", ".join(f"{x:.1f}" for x in runs[("reduce", name)])
        print(f"| {name} | {med[('reduce', name)]:.1f} ({every}) | "
              f"{med[('reduce', name)] / default:.2f} | {med[('srp_ms', name)]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
