"""How well `imgfeat neighbours` finds near-duplicate images: precision and recall on a set
with known copies, per feature kind and per kind of copy, beside perceptual hashes (imagehash's
phash) on the same set. docs/DUPLICATES.md has the protocol and the figures.

    .venv/bin/python bench/duplicates_eval.py [--originals 300] [--seed 0] [--threads 0] [--at C ...]

The set is built in a temporary folder from the sample (read where it lies, through links):
--originals images drawn across both splits and all classes (in proportion to each folder),
each with one copy of every kind (random parameters, seeded):

    jpeg        re-encoded as JPEG at quality 50 to 90
    resize      scaled by 50% to 150% (bicubic)
    crop        cut by 0% to 10% of its width and height (the same share), at a random place
    brightness  brightness times 0.85 to 1.15 (Pillow's ImageEnhance.Brightness)
    mirror      flipped left to right

(copies other than jpeg are written as PNG, so that they differ from their original by their
transformation alone), plus every other image of the sample as a distinct image. An original
and its copies form a group; a pair of images is a copy pair when both are in one group.

It runs `imgfeat run` three times (the default SRP-reduced features; `--reduce none`, the
network's 7 x 7 x 1280; `--pooling avg --reduce none`, the 1,280-d average-pooled embedding),
`imgfeat neighbours` on each output, and scores every pair exactly with NumPy: the curves need
all pairs, not only the k nearest that _neighbours.parquet holds (that file is checked against
them). At a threshold t:

    recall     share of the (original, copy) pairs whose cosine is >= t
    precision  share of the pairs with cosine >= t that are copy pairs (two copies of one
               original count as a copy pair)

For one kind of copy, the set is the sample and that kind's copies only. phash (64 bits) is
scored the same way with "Hamming distance <= h"; "phash+mirror" takes the smaller distance of
the image and of its mirror image. The goal is recall >= 95% at precision >= 99%.

The sample's images are frames of fruits turning on a plate (`[r_]FRAME_100.jpg`: a sequence
per class and prefix, its frames shared out between Train/ and Test/, about one turn in 255 to
315 frames). They are distinct photos, so negatives, and the hardest ones. Precision is given
with four sets of negatives (the copy pairs always count):

    every        every other pair (the anchor)
    apart        leaving out pairs of one sequence less than --min-frames or more than
                 --max-frames frames apart (the latter may show the same side again)
    other seq    leaving out every pair of one sequence
    other class  only pairs of two classes: distinct fruits

At the default --duplicate-cosine (0.95), at the threshold with the best recall at precision
>= 99% with every negative, and at each --at, it details every kind of copy, the recall by the
copies' parameters, and the groups of `imgfeat neighbours --duplicate-cosine` (a copy pair is
found when both rows share a group; precision over all pairs that share one). --upscale F
builds the set from the sample's images enlarged F times (a diagnostic: the network's input
is 224 x 224, so the sample's 100 x 100 images are enlarged, JPEG's 8 x 8 blocks with them).
"""
import argparse
import collections
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time

import imagehash
import numpy as np
import pyarrow.parquet as pq
from PIL import Image, ImageEnhance, ImageOps

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT.parent / "shared" / "datasets" / "fruits-360-sample"
IMGFEAT = pathlib.Path(os.environ.get("IMGFEAT_BUILD", ROOT / "build")) / "imgfeat"

KINDS = ["jpeg", "resize", "crop", "brightness", "mirror"]
# What each kind's parameter is, and the bins its recall is broken down by.
PARAM_BINS = {
    "jpeg": ("quality", [50, 60, 70, 80, 91]),
    "resize": ("scale", [0.5, 0.75, 1.0, 1.25, 1.5001]),
    "crop": ("cut", [0.0, 0.025, 0.05, 0.075, 0.1001]),
    "brightness": ("factor", [0.85, 0.925, 1.0, 1.075, 1.1501]),
}
FEATURES = {
    "srp": ("default: SRP-reduced 62,720", []),
    "raw": ("--reduce none: 7x7x1280", ["--reduce", "none"]),
    "avg": ("--pooling avg --reduce none: 1,280", ["--pooling", "avg", "--reduce", "none"]),
}
GOAL_RECALL, GOAL_PRECISION = 0.95, 0.99
DEFAULT_COSINE = 0.95
NAME = re.compile(r"^(r_)?(\d+)_100\.jpg$")


class Item:
    __slots__ = ("path", "group", "kind", "seq", "frame", "param")

    def __init__(self, path, group, kind, seq, frame, param=None):
        self.path, self.group, self.kind = path, group, kind
        self.seq, self.frame, self.param = seq, frame, param


def pick_originals(files, n, rng):
    """n files drawn from every folder in proportion to its size (largest remainders)."""
    by_folder = collections.defaultdict(list)
    for f in files:
        by_folder[f.parent].append(f)
    folders = sorted(by_folder)
    shares = [n * len(by_folder[d]) / len(files) for d in folders]
    quota = [int(s) for s in shares]
    for i in sorted(range(len(folders)), key=lambda i: quota[i] - shares[i])[:n - sum(quota)]:
        quota[i] += 1
    picked = []
    for d, q in zip(folders, quota):
        picked += [by_folder[d][i] for i in sorted(rng.choice(len(by_folder[d]), size=q, replace=False))]
    return picked


def make_copy(im, kind, rng):
    """(image, Pillow save arguments, parameter) of one copy of `im`."""
    w, h = im.size
    png = {"format": "PNG"}
    if kind == "jpeg":
        q = int(rng.integers(50, 91))
        return im, {"format": "JPEG", "quality": q}, q
    if kind == "resize":
        s = float(rng.uniform(0.5, 1.5))
        return im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BICUBIC), png, s
    if kind == "crop":
        c = float(rng.uniform(0.0, 0.10))
        cw, ch = round(w * (1 - c)), round(h * (1 - c))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        return im.crop((x, y, x + cw, y + ch)), png, c
    if kind == "brightness":
        f = float(rng.uniform(0.85, 1.15))
        return ImageEnhance.Brightness(im).enhance(f), png, f
    if kind == "mirror":
        return ImageOps.mirror(im), png, 0
    raise ValueError(kind)


def build_set(sample, dst, n_originals, seed, upscale):
    files = sorted(sample.rglob("*.jpg"))
    rng = np.random.default_rng(seed)
    originals = set(pick_originals(files, n_originals, rng))
    images = []
    for f in files:
        rel = f.relative_to(sample)
        m = NAME.match(f.name)
        seq = (rel.parts[-2], m.group(1) or "") if m else (str(rel), "")
        frame = int(m.group(2)) if m else 0
        link = dst / "sample" / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        im = None
        if upscale == 1:
            os.symlink(f, link)
        else:  # the diagnostic set: every sample image enlarged, losslessly stored
            with Image.open(f) as pic:
                im = pic.convert("RGB")
            im = im.resize((round(im.width * upscale), round(im.height * upscale)), Image.BICUBIC)
            link = link.with_suffix(".png")
            im.save(link)
        group = len(images)
        images.append(Item(str(link), group, "original" if f in originals else "distinct", seq, frame))
        if f not in originals:
            continue
        if im is None:
            with Image.open(f) as pic:
                im = pic.convert("RGB")
        for kind in KINDS:
            copy, save, param = make_copy(im, kind, rng)
            ext = ".jpg" if save["format"] == "JPEG" else ".png"
            out = dst / "copies" / kind / ("_".join(rel.with_suffix("").parts) + ext)
            out.parent.mkdir(parents=True, exist_ok=True)
            copy.save(out, **save)
            images.append(Item(str(out), group, kind, seq, frame, param))
    return images


def run(cmd):
    t0 = time.perf_counter()
    subprocess.run([str(c) for c in cmd], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def load_features(out, index):
    table = pq.read_table(out, columns=["path", "features"])
    column = table.column("features").combine_chunks()
    x = column.values.to_numpy(zero_copy_only=False).reshape(table.num_rows, -1)
    order = np.array([index[p] for p in table.column("path").to_pylist()])
    feats = np.empty_like(x, dtype=np.float32)
    feats[order] = x
    del table, column, x
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    return feats


class Curve:
    """Precision and recall of "score >= t" over the pairs of one view."""

    def __init__(self, scores, copy_pair, recall_pair):
        self.dtype = scores.dtype
        self.all = np.sort(scores)
        self.copy = np.sort(scores[copy_pair])
        self.recall = np.sort(scores[recall_pair])

    def at(self, t):
        """(precision, recall, pairs detected) at threshold t."""
        t = self.dtype.type(t)  # compare as `scores >= t` does
        n, tp, rtp = (len(a) - int(np.searchsorted(a, t, side="left"))
                      for a in (self.all, self.copy, self.recall))
        return (tp / n if n else 1.0), rtp / len(self.recall), n

    def best(self, grid):
        """Best recall at P >= 99% and best precision at R >= 95%, each with its threshold."""
        at = [(t, *self.at(t)[:2]) for t in grid]
        r = max(((rec, t) for t, p, rec in at if p >= GOAL_PRECISION), default=(0.0, None))
        p = max(((p, t) for t, p, rec in at if rec >= GOAL_RECALL), default=(0.0, None))
        return r, p


def pct(v):
    return f"{100 * v:.1f}"


def feasible(grid, curves, views):
    """The thresholds of `grid` at which every view in `views` meets the goal."""
    return [t for t in grid
            if all(p >= GOAL_PRECISION and r >= GOAL_RECALL
                   for p, r, _ in (curves[v].at(t) for v in views))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=pathlib.Path, default=SAMPLE)
    ap.add_argument("--originals", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="imgfeat run --threads")
    ap.add_argument("-k", type=int, default=50, help="imgfeat neighbours -k")
    ap.add_argument("--min-frames", type=int, default=10,
                    help="view 'apart': frames of one sequence at least this far apart ...")
    ap.add_argument("--max-frames", type=int, default=200,
                    help="... and at most this far (a sequence turns its fruit once in about 255-315 frames)")
    ap.add_argument("--features", default="srp,raw,avg", help="of srp, raw, avg")
    ap.add_argument("--at", type=float, nargs="*", default=[],
                    help="more cosines to detail (the default and the suggested one always are)")
    ap.add_argument("--at-hamming", type=int, nargs="*", default=[0, 4, 10],
                    help="phash distances to detail")
    ap.add_argument("--upscale", type=float, default=1.0,
                    help="diagnostic: enlarge every sample image by this factor (bicubic, PNG) first")
    ap.add_argument("--keep", type=pathlib.Path, help="build the set and outputs here and keep them")
    args = ap.parse_args()
    t_start = time.perf_counter()
    feature_kinds = args.features.split(",")

    tmp = args.keep or pathlib.Path(tempfile.mkdtemp(prefix="imgfeat_dupeval_"))
    if args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    try:
        t0 = time.perf_counter()
        images = build_set(args.sample, tmp / "set", args.originals, args.seed, args.upscale)
        build_secs = time.perf_counter() - t0
        n = len(images)
        kind_of = np.array([im.kind for im in images])
        group = np.array([im.group for im in images])
        n_orig = int((kind_of == "original").sum())
        splits = collections.Counter(pathlib.Path(im.path).parts[-3]
                                     for im in images if im.kind == "original")
        classes = collections.Counter(im.seq[0] for im in images if im.kind == "original")
        print(f"set: {n} images: {n_orig} originals ({dict(sorted(splits.items()))}, "
              f"{dict(sorted(classes.items()))}), {n_orig * len(KINDS)} copies ({', '.join(KINDS)}), "
              f"{int((kind_of == 'distinct').sum())} distinct; seed {args.seed}"
              + (f"; every sample image enlarged {args.upscale:g} times" if args.upscale != 1 else ""))

        # Every unordered pair once, and what it is.
        ii, jj = np.triu_indices(n, 1)
        copy_pair = group[ii] == group[jj]
        is_orig = kind_of == "original"
        orig_copy = copy_pair & (is_orig[ii] | is_orig[jj])
        seq_id = {s: i for i, s in enumerate(sorted({im.seq for im in images}))}
        seq = np.array([seq_id[im.seq] for im in images])
        cls = np.array([sorted({im.seq[0] for im in images}).index(im.seq[0]) for im in images])
        frame = np.array([im.frame for im in images])
        same_seq = (~copy_pair) & (seq[ii] == seq[jj])
        gap = np.abs(frame[ii] - frame[jj])
        # Which negatives count: the copy pairs always do.
        negatives = {
            "every": np.ones(len(ii), bool),
            "apart": ~(same_seq & ((gap < args.min_frames) | (gap > args.max_frames))),
            "other seq": ~same_seq,
            "other class": copy_pair | (cls[ii] != cls[jj]),
        }
        # Which copies: all, or one kind (then the set is the sample and that kind's copies).
        copysets = {"all": np.ones(len(ii), bool)}
        for kind in KINDS:
            keep = (kind_of == kind) | ~np.isin(kind_of, KINDS)
            copysets[kind] = keep[ii] & keep[jj]
        print(f"pairs: {len(ii):,}; copy pairs {int(copy_pair.sum()):,}, of which (original, copy) "
              f"{int(orig_copy.sum()):,}; negatives counted in each view: "
              + ", ".join(f"{v} {int((m & ~copy_pair).sum()):,}" for v, m in negatives.items()))

        index = {im.path: i for i, im in enumerate(images)}
        timings = {"building the set (Pillow)": build_secs}
        scores_of = {}  # name -> (pair scores, threshold grid, unit)
        cosine_grid = np.round(np.arange(0.500, 1.0005, 0.001), 3)
        pooled_from_raw = None
        for name in feature_kinds:
            label, extra = FEATURES[name]
            out = tmp / f"out-{name}"
            timings[f"imgfeat run ({label})"] = run(
                [IMGFEAT, "run", tmp / "set", out, "--quiet", "--threads", args.threads, *extra])
            timings[f"imgfeat neighbours -k {args.k} ({name})"] = run(
                [IMGFEAT, "neighbours", out, "-k", args.k, "--quiet"])
            t0 = time.perf_counter()
            feats = load_features(out, index)
            gram = feats @ feats.T
            scores = gram[ii, jj]
            timings[f"exact cosines of all pairs, NumPy ({name}, {feats.shape[1]} floats)"] = \
                time.perf_counter() - t0
            # _neighbours.parquet against the exact cosines: the same values, and every pair
            # above the largest k-th cosine of a row.
            nb = pq.read_table(out / "_neighbours.parquet").to_pydict()
            a = np.array([index[p] for p in nb["path"]])
            b = np.array([index[p] for p in nb["neighbour"]])
            c = np.array(nb["cosine"], np.float32)
            kth = c[np.array(nb["rank"]) == args.k].max()
            listed = {(min(x, y), max(x, y)) for x, y, v in zip(a, b, c) if v > kth}
            print(f"{name}: _neighbours.parquet against NumPy: cosines within "
                  f"{np.abs(c - gram[a, b]).max():.1g}; above {kth:.4f} (the largest {args.k}th cosine "
                  f"of a row) it lists {len(listed):,} pairs, NumPy finds {int((scores > kth).sum()):,}")
            del gram
            if name == "raw":  # Keras' average pooling is the mean of the 7 x 7 positions
                pooled_from_raw = feats.reshape(n, 49, -1).mean(axis=1)
                pooled_from_raw /= np.linalg.norm(pooled_from_raw, axis=1, keepdims=True)
            if name == "avg" and pooled_from_raw is not None:
                print(f"avg: --pooling avg against the mean of --reduce none's 7 x 7 positions: "
                      f"cosines >= {np.min(np.sum(feats * pooled_from_raw, axis=1)):.6f}")
            del feats
            scores_of[name] = (scores, cosine_grid, "cosine")
            if name == "raw" and "srp" in scores_of:
                d = np.abs(scores_of["srp"][0] - scores)
                print(f"srp: cosines against the unreduced ones: |difference| median {np.median(d):.4f}, "
                      f"99.9th percentile {np.quantile(d, 0.999):.4f}, largest {d.max():.4f}")

        # Perceptual hashes of the same files.
        t0 = time.perf_counter()
        ph, ph_mirror = [], []
        for im in images:
            with Image.open(im.path) as pic:
                ph.append(int(str(imagehash.phash(pic)), 16))
                ph_mirror.append(int(str(imagehash.phash(ImageOps.mirror(pic))), 16))
        ph, ph_mirror = np.array(ph, np.uint64), np.array(ph_mirror, np.uint64)
        timings["imagehash.phash of every image and of its mirror image, 1 thread"] = \
            time.perf_counter() - t0
        dist = np.bitwise_count(ph[ii] ^ ph[jj]).astype(np.int16)
        dist_m = np.minimum(dist, np.minimum(np.bitwise_count(ph_mirror[ii] ^ ph[jj]),
                                             np.bitwise_count(ph[ii] ^ ph_mirror[jj])).astype(np.int16))
        hamming_grid = -np.arange(0, 33)
        scores_of["phash"] = ((-dist).astype(np.float32), hamming_grid, "hamming")
        scores_of["phash+mirror"] = ((-dist_m).astype(np.float32), hamming_grid, "hamming")
        del dist, dist_m

        params = {k: np.array([im.param for im in images if im.kind == k]) for k in KINDS}
        in_sample = ~np.isin(kind_of, KINDS)
        sample_pair = in_sample[ii] & in_sample[jj]

        def where_they_lie(name, scores):
            """Where the copies and the distinct images lie, in cosines."""
            def q(v):
                return f"{np.median(v):.3f} / {np.quantile(v, 0.05):.3f} / {v.min():.3f}"
            print(f"\n{name}: cosine of a copy to its original (median / 5th percentile / lowest): "
                  + "; ".join(f"{k} {q(scores[orig_copy & ((kind_of[ii] == k) | (kind_of[jj] == k))])}"
                              for k in KINDS))
            print(f"{name}: cosine of two frames of one sequence g frames apart (median / 95th "
                  f"percentile / highest): " + "; ".join(
                      f"g {g} {np.median(v):.3f} / {np.quantile(v, 0.95):.3f} / {v.max():.3f}"
                      for g in (1, 2, 5, 10, 50, 150)
                      for v in [scores[sample_pair & same_seq & (gap == g)]] if len(v)))
            nearest = {}
            for what, m in [("the same sequence", same_seq), ("another sequence", ~same_seq),
                            ("another class", cls[ii] != cls[jj])]:
                best = np.full(n, -np.inf, np.float32)
                m = m & sample_pair & ~copy_pair
                np.maximum.at(best, ii[m], scores[m])
                np.maximum.at(best, jj[m], scores[m])
                nearest[what] = best[is_orig]
            print(f"{name}: cosine of an original to its nearest distinct image (median / 5th / 95th "
                  f"percentile), in " + "; ".join(
                      f"{w} {np.median(v):.3f} / {np.quantile(v, 0.05):.3f} / {np.quantile(v, 0.95):.3f}"
                      for w, v in nearest.items()))

        for name, (scores, grid, unit) in scores_of.items():
            curves = {(c, v): Curve(scores[cm & vm], copy_pair[cm & vm], orig_copy[cm & vm])
                      for c, cm in copysets.items() for v, vm in negatives.items()}
            label = FEATURES[name][0] if name in FEATURES else "imagehash.phash, 64 bits" + (
                ", the smaller distance of the image and of its mirror image" if "mirror" in name else "")
            fmt = (lambda t: f"{t:.3f}") if unit == "cosine" else (lambda t: f"<= {-int(t)}")
            print(f"\n### {name} ({label})\n")
            print("Recall (R) of each kind of copy and precision (P) of all copies together, in %, "
                  "with the negatives of each view:\n")
            cols = [f"R {c}" for c in copysets] + [f"P {v}" for v in negatives]
            print(f"| {unit} | " + " | ".join(cols) + " |")
            print("|" + "---:|" * (len(cols) + 1))
            if unit == "cosine":
                shown = [0.80, 0.85, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99]
            else:
                shown = [-h for h in (0, 2, 4, 6, 8, 10, 12, 16, 20)]
            for t in shown:
                row = [pct(curves[c, "every"].at(t)[1]) for c in copysets]
                row += [pct(curves["all", v].at(t)[0]) for v in negatives]
                print(f"| {fmt(t)} | " + " | ".join(row) + " |")
            print()
            best_at = {}
            for v in negatives:
                (r, tr), (p, tp) = curves["all", v].best(grid)
                best_at[v] = tr
                together = [t for t in grid if all(pr >= GOAL_PRECISION and rc >= GOAL_RECALL
                                                   for pr, rc, _ in [curves["all", v].at(t)])]
                each = [t for t in grid if all(pr >= GOAL_PRECISION and rc >= GOAL_RECALL
                                               for pr, rc, _ in (curves[c, v].at(t) for c in copysets))]
                span = lambda ok: f"{fmt(min(ok))} to {fmt(max(ok))}" if ok else "none"
                print(f"negatives '{v}': R >= 95% at P >= 99%: all copies together {span(together)}; "
                      f"each kind {span(each)}. Best R at P >= 99%: {pct(r)} "
                      f"({fmt(tr) if tr is not None else '-'}); best P at R >= 95%: {pct(p)} "
                      f"({fmt(tp) if tp is not None else '-'})")
                if v == "every" and each:
                    suggested = float(np.median(each))
                elif v == "every":
                    suggested = tr
            if unit == "cosine":
                detail = sorted({DEFAULT_COSINE, *args.at, *([suggested] if suggested is not None else [])})
            else:
                detail = sorted({-h for h in args.at_hamming}, reverse=True)
            for t in detail:
                why = " (the default)" if unit == "cosine" and t == DEFAULT_COSINE else ""
                why += " (the best recall at P >= 99% with every negative)" if t == suggested else ""
                print(f"\n{name} at {unit} {fmt(t)}{why}:\n")
                group_cols = []
                if unit == "cosine":  # imgfeat's own groups at this threshold
                    out = tmp / f"out-{name}"
                    secs = run([IMGFEAT, "neighbours", out, "-k", args.k, "--duplicate-cosine", t, "--quiet"])
                    dup = pq.read_table(out / "_duplicates.parquet").to_pydict()
                    g = np.full(n, -1)
                    g[[index[p] for p in dup["path"]]] = dup["group"]
                    same = (g[ii] == g[jj]) & (g[ii] >= 0)
                    sizes = collections.Counter(dup["group"])
                    group_cols = ["groups: P every", "groups: R"]
                print("| copies | pairs | R | " + " | ".join(f"P {v}" for v in negatives)
                      + "".join(f" | {c}" for c in group_cols) + " |")
                print("|---|" + "---:|" * (2 + len(negatives) + len(group_cols)))
                for c in copysets:
                    _, r, _ = curves[c, "every"].at(t)
                    row = [c, str(int(orig_copy[copysets[c]].sum())), pct(r)]
                    row += [pct(curves[c, v].at(t)[0]) for v in negatives]
                    if group_cols:
                        m = copysets[c]
                        s = same[m]
                        row += [pct((s & copy_pair[m]).sum() / max(1, s.sum())),
                                pct((s & orig_copy[m]).sum() / orig_copy[m].sum())]
                    print("| " + " | ".join(row) + " |")
                found = scores >= scores.dtype.type(t)
                parts = []
                for k in PARAM_BINS:
                    f = found[orig_copy & ((kind_of[ii] == k) | (kind_of[jj] == k))]
                    what, edges = PARAM_BINS[k]
                    bins = np.digitize(params[k], edges) - 1
                    parts.append(f"{k} by {what}: " + ", ".join(
                        f"[{edges[b]:g}, {edges[b + 1]:.3g}) {pct(f[bins == b].mean())}"
                        for b in range(len(edges) - 1) if (bins == b).any()))
                print("\nrecall % by the copies' parameters: " + "; ".join(parts))
                if group_cols:
                    print(f"imgfeat neighbours --duplicate-cosine {t:.3f} ({secs:.1f} s): "
                          f"{len(sizes)} groups of {len(dup['path'])} rows, the largest {max(sizes.values(), default=0)} rows; "
                          f"{int(same.sum()):,} pairs share a group")
            if unit == "cosine":
                where_they_lie(name, scores)
            del curves

        print("\n### time\n")
        for what, secs in timings.items():
            print(f"{what}: {secs:.1f} s")
        print(f"total: {time.perf_counter() - t_start:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
