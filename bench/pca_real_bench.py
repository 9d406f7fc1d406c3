"""Accuracy and cost of PCA fits on real MobileNetV2 features.

    bench/pca_real_bench.py BUILD RAW_OUTPUT [--k 50 100 256] [--sklearn]

RAW_OUTPUT is an `imgfeat run --reduce none` output folder (e.g. of the
sample). Every fit is compared with an exact PCA (eigendecomposition of the
centred Gram matrix in float64): smallest per-component |cos|, largest relative
error of the explained variance, smallest principal-angle cosine. imgfeat's fit
runs through tools/imgfeat_reduce from a spill file (the CLI's path), once with
the defaults and once with the former defaults (oversampling 10); --sklearn
adds scikit-learn's randomized and full solvers on the same features.
"""
import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq


def load(raw):
    table = ds.dataset(raw, format="parquet").to_table(columns=["path", "features"]).sort_by("path")
    column = table.column("features").combine_chunks()
    return np.ascontiguousarray(column.values.to_numpy(zero_copy_only=False).reshape(table.num_rows, -1),
                                dtype=np.float32)


def exact(x, k_max):
    centred = x.astype(np.float64)
    centred -= centred.mean(axis=0)
    w, v = np.linalg.eigh(centred @ centred.T)
    order = np.argsort(w)[::-1]
    w = w[order]
    top = np.ascontiguousarray(v[:, order[:k_max]].T)
    return (top @ centred) / np.sqrt(w[:k_max])[:, None], w / (x.shape[0] - 1)


def accuracy(components, variance, ref_components, ref_variance):
    k = components.shape[0]
    c = components / np.linalg.norm(components, axis=1)[:, None]
    r = ref_components[:k]
    cos = np.abs(np.sum(c * r, axis=1))
    err = np.abs(variance - ref_variance[:k]) / ref_variance[:k]
    return cos.min(), err.max(), np.linalg.svd(c @ r.T, compute_uv=False).min()


def imgfeat_fit(tool, x_path, k, work, extra):
    out = work / f"pca{k}.parquet"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", str(tool), "pca-fit", str(x_path), str(k), str(out),
                           "--spill", str(work / "spill.f32"), *extra], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak_mib = int(proc.stderr.strip().splitlines()[-1]) / 1024
    table = pq.read_table(out)
    comps = np.array(table.column("values").to_pylist()[1:], dtype=np.float64)
    var = np.array(table.column("explained_variance").to_pylist()[1:])
    return comps, var, wall, cpu, peak_mib


def sklearn_fit(x, k, solver):
    from sklearn.decomposition import PCA

    t0, c0 = time.perf_counter(), time.process_time()
    pca = PCA(n_components=k, svd_solver=solver, random_state=0).fit(x)
    return pca.components_.astype(np.float64), pca.explained_variance_, time.perf_counter() - t0, \
        time.process_time() - c0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("raw")
    parser.add_argument("--k", type=int, nargs="+", default=[50, 100, 256])
    parser.add_argument("--sklearn", action="store_true")
    args = parser.parse_args()
    tool = Path(args.build) / "tools" / "imgfeat_reduce"
    x = load(args.raw)
    ref_c, ref_v = exact(x, max(args.k))
    print(f"{x.shape[0]} x {x.shape[1]} features; exact PCA by the Gram matrix")
    print("| k | fit | passes | min abs(cos) | max EVR error | min principal-angle cos | wall s | CPU s | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        np.save(work / "x.npy", x)
        for k in args.k:
            for name, extra in [("imgfeat, oversampling auto (= k), 4 iterations", []),
                                ("imgfeat, oversampling 10, 4 iterations (former default)", ["--oversampling", "10"])]:
                comps, var, wall, cpu, peak = imgfeat_fit(tool, work / "x.npy", k, work, extra)
                cos, err, angle = accuracy(comps, var, ref_c, ref_v)
                print(f"| {k} | {name} | 10 | {cos:.4f} | {err:.2%} | {angle:.4f} | {wall:.1f} | {cpu:.1f} | {peak:.0f} |",
                      flush=True)
            if args.sklearn:
                # The full solver's cost does not depend on k: timed once.
                for solver in ["randomized"] + (["full"] if k == max(args.k) else []):
                    comps, var, wall, cpu = sklearn_fit(x, k, solver)
                    cos, err, angle = accuracy(comps, var, ref_c, ref_v)
                    print(f"| {k} | scikit-learn {solver} (data in RAM) | - | {cos:.4f} | {err:.2%} | {angle:.4f} | "
                          f"{wall:.1f} | {cpu:.1f} | - |", flush=True)


if __name__ == "__main__":
    main()
