"""Lower precisions against f32 for MobileNetV2 on this machine
(docs/BENCHMARKS.md and docs/PARITY.md, "Lower precisions").

int8: the model `imgfeat models quantize` makes (NNCF's post-training
quantization, calibrated on --calibration images spread over the sample's Train
folder and prepared as a run prepares them). bf16: the f32 model run with
OpenVINO's bf16 inference precision, where the CPU has it natively
(avx512_bf16, AMX). For each: benchmark_app's throughput against f32 in the same
run (pinned to 1 and 2 CPUs, medians of --repeats), the cosine between its
features and f32's over the whole sample (mean, 1st percentile), the
nearest-neighbour label accuracy of both (Test against Train), and the ratio of
SRP-reduced distances to f32's. NNCF comes with the tests' requirements
(requirements-test.txt):

    .venv/bin/python bench/precision_study.py --calibration 300 --repeats 3 --seconds 15
"""
import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
from collections import Counter

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

MODELS = pathlib.Path(os.environ.get("IMGFEAT_MODEL_DIR", ROOT.parent / "shared" / "models"))
SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"
ONNX = MODELS / "mobilenet_v2_1.0_224" / "mobilenet_v2_1.0_224_no_top_nhwc.onnx"
CPUS = {1: "0", 2: "0,1"}
SHAPE = [1, 224, 224, 3]


def preprocess(paths):
    """The notebook's input: Pillow's resize to 224x224 (bicubic), then
    MobileNetV2's preprocess_input (x / 127.5 - 1) -> float32 (N, 224, 224, 3)."""
    from PIL import Image

    arrays = []
    for path in paths:
        with Image.open(path) as image:
            arrays.append(np.asarray(image.convert("RGB").resize([224, 224]), np.float32))
    return np.stack(arrays) / np.float32(127.5) - np.float32(1)


def cpu_flags():
    text = pathlib.Path("/proc/cpuinfo").read_text()
    flags = set(re.search(r"^flags\s*:\s*(.*)$", text, re.M).group(1).split())
    return sorted(f for f in flags if f in {"avx512_vnni", "avx_vnni", "avx512_bf16",
                                           "amx_bf16", "amx_int8", "avx512_fp16"})


def quantize(calibration, images, models):
    """The int8 model's .xml, as `imgfeat models quantize` makes it."""
    imgfeat = os.environ.get("IMGFEAT_BUILD", str(ROOT / "build")) + "/imgfeat"
    folder = subprocess.run([imgfeat, "models", "quantize", "--calibration", str(calibration),
                             "--images", str(images), "--model-dir", str(models),
                             "--python", sys.executable],
                            check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    return pathlib.Path(folder) / "model.xml"


def features(core, model_path, precision, paths):
    """Features of `paths` (N x 62,720) from the model compiled at `precision`."""
    model = core.read_model(str(model_path))
    model.reshape(SHAPE)
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": precision})
    rows = []
    for start in range(0, len(paths), 64):
        for x in preprocess(paths[start:start + 64]):
            rows.append(compiled(x[None])[0].reshape(-1).astype(np.float32))
    return np.stack(rows)


def throughput(model_path, precision, cpus, seconds):
    cmd = ["taskset", "-c", CPUS[cpus], str(pathlib.Path(sys.executable).parent / "benchmark_app"),
           "-m", str(model_path), "-d", "CPU", "-hint", "throughput", "-infer_precision",
           precision, "-t", str(seconds), "-shape", str(SHAPE).replace(" ", "")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"Throughput:\s*([0-9.]+)\s*FPS", out).group(1))


def run_speed(precision, models, seconds_dir):
    """`imgfeat run`'s images/s over the whole sample on 2 threads, end to end
    (list, read, decode, resize, infer, SRP, write), from its manifest."""
    imgfeat = os.environ.get("IMGFEAT_BUILD", str(ROOT / "build")) + "/imgfeat"
    out = pathlib.Path(seconds_dir) / f"run-{precision}"
    subprocess.run(["taskset", "-c", CPUS[2], imgfeat, "run", str(SAMPLE), str(out), "--threads",
                    "2", "--precision", precision, "--model-dir", str(models), "--overwrite",
                    "--quiet"], check=True)
    import json
    return json.loads((out / "_imgfeat.json").read_text())["timings"]["images_per_second"]


def cosine_rows(a, b):
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    return np.sum(a * b, axis=1) / np.maximum(na * nb, 1e-30)


def nearest_neighbour_accuracy(train, train_labels, test, test_labels, k):
    """Share of Test images whose k nearest Train images (cosine) vote their label."""
    tr = train / np.linalg.norm(train, axis=1, keepdims=True)
    te = test / np.linalg.norm(test, axis=1, keepdims=True)
    nearest = np.argsort(-(te @ tr.T), axis=1)[:, :k]
    right = 0
    for i, row in enumerate(nearest):
        # Counter keeps first-seen order, nearest first: a tie goes to the nearer label.
        label = Counter(train_labels[j] for j in row).most_common(1)[0][0]
        right += label == test_labels[i]
    return right / len(test)


def reduced_distance_ratios(reference, other, components, seed, pairs):
    """Ratios of pairwise distances after scikit-learn's SRP (fitted as imgfeat
    does), other / reference, over `pairs` random pairs."""
    from sklearn.random_projection import SparseRandomProjection

    srp = SparseRandomProjection(n_components=components, random_state=seed)
    srp.fit(reference[:2])
    a, b = srp.transform(reference), srp.transform(other)
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(a), pairs)
    j = rng.integers(0, len(a), pairs)
    keep = i != j
    da = np.linalg.norm(a[i[keep]] - a[j[keep]], axis=1)
    db = np.linalg.norm(b[i[keep]] - b[j[keep]], axis=1)
    return db / da


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibration", type=int, default=300,
                    help="Train images NNCF calibrates on (spread over the folder)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--components", type=int, default=9468)
    args = ap.parse_args()
    import openvino as ov

    core = ov.Core()
    flags = cpu_flags()
    train = sorted((SAMPLE / "Train").rglob("*.jpg"))
    test = sorted((SAMPLE / "Test").rglob("*.jpg"))
    with tempfile.TemporaryDirectory() as tmp_name:
        int8_xml = quantize(SAMPLE / "Train", args.calibration, tmp_name)
        variants = {"f32": (ONNX, "f32"), "int8": (int8_xml, "f32")}
        if "avx512_bf16" in flags or "amx_bf16" in flags:
            variants["bf16"] = (ONNX, "bf16")
        speed = {}
        for _ in range(args.repeats):
            for name in variants:
                speed.setdefault((name, "run"), []).append(run_speed(name, tmp_name, tmp_name))
        for _ in range(args.repeats):
            for cpus in CPUS:
                for name, (path, precision) in variants.items():
                    speed.setdefault((name, cpus), []).append(
                        throughput(path, precision, cpus, args.seconds))
        feats = {name: features(core, path, precision, train + test)
                 for name, (path, precision) in variants.items()}
    labels = [p.parent.name for p in train + test]
    n_train = len(train)
    med = {key: statistics.median(v) for key, v in speed.items()}
    load = os.getloadavg()[0]
    print(f"CPU flags: {', '.join(flags) or 'none of note'}; {len(train)} Train, {len(test)} "
          f"Test images; int8 calibrated on {args.calibration}; medians of {args.repeats}; "
          f"load average at the end {load:.2f}")
    print("| precision | images/s, 1 CPU | x f32 | images/s, 2 CPUs | x f32 | cosine to f32, "
          "mean | 1st percentile | 1-NN accuracy | 5-NN accuracy | reduced distance / f32, "
          "median [1st, 99th percentile] | imgfeat run, 2 CPUs | x f32 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for name in variants:
        cos = cosine_rows(feats["f32"], feats[name])
        f = feats[name]
        acc1 = nearest_neighbour_accuracy(f[:n_train], labels[:n_train], f[n_train:],
                                          labels[n_train:], 1)
        acc5 = nearest_neighbour_accuracy(f[:n_train], labels[:n_train], f[n_train:],
                                          labels[n_train:], 5)
        ratios = reduced_distance_ratios(feats["f32"], f, args.components, 42, 20000)
        print(f"| {name} | {med[(name, 1)]:.1f} | {med[(name, 1)] / med[('f32', 1)]:.2f} | "
              f"{med[(name, 2)]:.1f} | {med[(name, 2)] / med[('f32', 2)]:.2f} | "
              f"{cos.mean():.4f} | {np.percentile(cos, 1):.4f} | {100 * acc1:.2f}% | "
              f"{100 * acc5:.2f}% | {np.median(ratios):.4f} [{np.percentile(ratios, 1):.4f}, "
              f"{np.percentile(ratios, 99):.4f}] | {med[(name, 'run')]:.1f} | "
              f"{med[(name, 'run')] / med[('f32', 'run')]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
