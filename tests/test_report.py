"""`imgfeat run --report` and `imgfeat report` on a small part of the sample:
the page opens in a real headless Chromium without errors or network requests
and draws one point per row, the PNG is a real map, and the page's numbers
(counts, k-NN accuracy, distortion share) equal a pandas / scikit-learn
computation on the same output."""
import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

from conftest import SAMPLE, run_imgfeat
from headless_chromium import Chromium

PER_CLASS = 8  # images per class and split: 64 rows


def page_data(html_path):
    text = html_path.read_text()
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def features(folder):
    df = pd.read_parquet(folder)
    return df, np.stack(df["features"].to_numpy()).astype(np.float64)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, imgfeat_bin):
    """Links to 64 sample images in their Train/Test folders plus one broken
    file: its reduced output (with the report). The same images without the
    split (flat/<class>/<split>_<name>): their raw features (--reduce none)."""
    root = tmp_path_factory.mktemp("report")
    data, flat = root / "fruits", root / "flat"
    for split in ("Train", "Test"):
        for cls in sorted((SAMPLE / split).iterdir()):
            (data / split / cls.name).mkdir(parents=True)
            (flat / cls.name).mkdir(parents=True, exist_ok=True)
            for f in sorted(cls.glob("*.jpg"))[:PER_CLASS]:
                (data / split / cls.name / f.name).symlink_to(f)
                (flat / cls.name / f"{split}_{f.name}").symlink_to(f)
    (data / "Train" / "apple" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    out, raw = root / "out", root / "raw"
    run_imgfeat("run", data, out, "--report", "--quiet", "--threads", "2")
    run_imgfeat("run", flat, raw, "--reduce", "none", "--report", "--quiet", "--threads", "2")
    return {"root": root, "out": out, "raw": raw}


def image_key(path):
    """The same image in both trees: (class, split, name)."""
    parts = path.split("/")
    if parts[-3] in ("Train", "Test"):
        return parts[-2], parts[-3], parts[-1]
    split, name = parts[-1].split("_", 1)
    return parts[-2], split, name


@pytest.fixture
def browser():
    chromium = Chromium()
    yield chromium
    chromium.close()


def test_run_writes_the_report_and_its_numbers_match_pandas_and_sklearn(outputs):
    out = outputs["out"]
    data = page_data(out / "_report.html")
    df, X = features(out)
    errors = pd.read_parquet(out / "_errors.parquet")

    assert data["rows"] == len(df) == 4 * 2 * PER_CLASS
    assert not data["sampled"] and data["analysed"] == len(df)
    assert {l["name"]: l["count"] for l in data["labels"]} == df["label"].value_counts().to_dict()
    assert data["errors_total"] == len(errors) == 1
    assert data["error_groups"][0]["paths"] == [str(errors["path"][0])]
    assert data["run"]["images_listed"] == len(df) + 1

    # k-NN: the Test folders against the Train folders, as scikit-learn does it.
    split = df["path"].str.extract(r"/(Train|Test)/", expand=False)
    train, test = (split == "Train").to_numpy(), (split == "Test").to_numpy()
    knn = KNeighborsClassifier(n_neighbors=5, metric="cosine", algorithm="brute")
    predicted = knn.fit(X[train], df["label"][train]).predict(X[test])
    truth = df["label"][test].to_numpy()
    correct = int((predicted == truth).sum())
    k = data["knn"]
    assert k["method"] == "train/test"
    assert (k["queries"], k["references"], k["correct"]) == (test.sum(), train.sum(), correct)
    assert k["accuracy"] == pytest.approx(correct / test.sum(), abs=1e-12)
    ci = binomtest(correct, int(test.sum())).proportion_ci(method="wilson")
    assert (k["low"], k["high"]) == (pytest.approx(ci.low, abs=1e-9), pytest.approx(ci.high, abs=1e-9))
    expected = confusion_matrix(truth, predicted, labels=k["classes"])
    assert np.array_equal(np.array(k["confusion"]).reshape(expected.shape), expected)

    # Distortion: every pair of the (all 64) sampled rows, distances checked
    # against the reduced output and against the raw features of a run
    # without reduction.
    pairs = pd.read_parquet(out / "_distortion.parquet")
    assert len(pairs) == len(df) * (len(df) - 1) // 2
    reduced = dict(zip(df["path"], X))
    raw_df, raw_X = features(outputs["raw"])
    raw = dict(zip(map(image_key, raw_df["path"]), raw_X))
    for a, b, d_in, d_out in pairs.itertuples(index=False):
        assert d_out == pytest.approx(np.linalg.norm(reduced[a] - reduced[b]), rel=1e-5)
        assert d_in == pytest.approx(np.linalg.norm(raw[image_key(a)] - raw[image_key(b)]),
                                     rel=1e-4)
    ratio = pairs["output_distance"] / pairs["input_distance"]
    eps = json.loads((out / "_imgfeat.json").read_text())["parameters"]["reduce"]["eps"]
    within = ((ratio >= math.sqrt(1 - eps)) & (ratio <= math.sqrt(1 + eps))).mean()
    t = data["distortion"]
    assert (t["eps"], t["pairs"], t["identical"]) == (eps, len(pairs), 0)
    assert t["within"] == pytest.approx(within, abs=1e-12)
    assert t["median"] == pytest.approx(ratio.median(), rel=1e-12)


def test_without_a_split_the_accuracy_is_leave_one_out_as_sklearn(outputs):
    raw = outputs["raw"]
    data = page_data(raw / "_report.html")
    df, X = features(raw)
    knn = KNeighborsClassifier(n_neighbors=5, metric="cosine", algorithm="brute")
    predicted = cross_val_predict(knn, X, df["label"], cv=LeaveOneOut())
    correct = int((predicted == df["label"]).sum())
    k = data["knn"]
    assert (k["method"], k["queries"], k["correct"]) == ("leave-one-out", len(df), correct)
    expected = confusion_matrix(df["label"], predicted, labels=k["classes"])
    assert np.array_equal(np.array(k["confusion"]).reshape(expected.shape), expected)
    # Without a reduction every distance is kept: all pairs inside the band.
    t = data["distortion"]
    assert (t["reducer"], t["pairs"], t["within"]) == ("none", len(df) * (len(df) - 1) // 2, 1.0)


def test_the_page_renders_in_chromium_without_errors_or_network(outputs, browser):
    page = outputs["out"] / "_report.html"
    data = page_data(page)
    browser.open(page.as_uri())
    assert browser.evaluate("document.body.dataset.rendered") == "1"
    assert browser.errors() == []
    assert [u for u in browser.requests() if not u.startswith("data:")] == [page.as_uri()]
    assert browser.evaluate("document.getElementById('map').dataset.points") == str(data["rows"])
    k, t = data["knn"], data["distortion"]
    assert browser.evaluate("document.getElementById('knn-accuracy').textContent") == \
        f"{100 * k['accuracy']:.1f}%"
    assert browser.evaluate("document.getElementById('distortion-share').textContent") == \
        f"{100 * t['within']:.1f}%"
    assert browser.evaluate("document.querySelectorAll('#distortion-plot rect').length") == 41

    # Hovering a point with a thumbnail shows its file name and the image.
    index = int(next(iter(data["map"]["thumbs"])))
    x, y = browser.evaluate(f"""(() => {{
        const cv = document.getElementById('map'), b = cv.getBoundingClientRect();
        return [b.left + cv.points.px[{index}] * b.width / cv.width,
                b.top + cv.points.py[{index}] * b.height / cv.height]; }})()""")
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    tip = browser.evaluate("""(() => { const t = document.getElementById('tip');
        return [t.style.display, t.textContent, t.querySelectorAll('img').length,
                t.querySelector('img') ? t.querySelector('img').naturalWidth : 0]; })()""")
    assert tip[0] == "block"
    assert data["map"]["name"][index] in tip[1]
    assert tip[2] == 1 and tip[3] > 0
    assert browser.errors() == []

    shot = Image.open(io.BytesIO(browser.screenshot())).convert("RGB")
    (outputs["root"] / "screenshot.png").write_bytes(browser.screenshot())
    assert shot.size[0] >= 1000 and shot.size[1] >= 1500
    pixels = np.asarray(shot)
    assert (pixels.std(axis=2) > 40).mean() > 0.001, "the coloured figures are drawn"
    # The four label colours of the legend appear on the map.
    for label in data["labels"]:
        rgb = np.array([int(label["color"][i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels.astype(int) - rgb).sum(axis=2) < 30).sum() > 20, label["name"]


def test_the_png_is_the_map(outputs):
    data = page_data(outputs["out"] / "_report.html")
    png = Image.open(outputs["out"] / "_report.png")
    assert png.format == "PNG" and png.size == (960, 600)
    legend = png.info["Description"]
    for label in data["labels"]:
        assert f"{label['color']} {label['name']}" in legend
    pixels = np.asarray(png.convert("RGB")).astype(int)
    assert (pixels.sum(axis=2) < 3 * 250).mean() > 0.005, "not blank"
    for label in data["labels"]:
        rgb = np.array([int(label["color"][i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).sum(axis=2) < 60).sum() > 5, label["name"]


def test_report_command_samples_rows_and_says_so(outputs, browser):
    html, png = outputs["root"] / "sampled.html", outputs["root"] / "sampled.png"
    run_imgfeat("report", outputs["out"], "--html", html, "--png", png, "--max-rows", "40")
    data = page_data(html)
    assert (data["rows"], data["analysed"], data["sampled"]) == (64, 40, True)
    assert len(data["map"]["x"]) == 40
    assert Image.open(png).size == (960, 600)
    browser.open(html.as_uri())
    assert browser.errors() == []
    assert browser.evaluate("document.getElementById('map').dataset.points") == "40"
    assert "A random sample of 40 of the 64 rows" in \
        browser.evaluate("document.getElementById('mapnote').textContent")


def test_report_refuses_a_folder_that_is_not_an_output(tmp_path):
    proc = run_imgfeat("report", tmp_path, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0] and "no part-*.parquet" in lines[0]
    proc = run_imgfeat("report", tmp_path, "--max-rows", "0", check=False)
    assert proc.returncode == 2 and "--max-rows" in proc.stderr


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    """Train and Test folders of the sample with two Train images copied into
    Test (a leak the page must count): its output, with the report."""
    root = tmp_path_factory.mktemp("leaky")
    data = root / "fruits"
    for split in ("Train", "Test"):
        for cls in sorted((SAMPLE / split).iterdir()):
            (data / split / cls.name).mkdir(parents=True)
            for f in sorted(cls.glob("*.jpg"))[:PER_CLASS]:
                (data / split / cls.name / f.name).symlink_to(f)
    for f in sorted((SAMPLE / "Train" / "lemon").glob("*.jpg"))[:2]:
        (data / "Test" / "lemon" / f"copy_{f.name}").symlink_to(f)
    out = root / "out"
    run_imgfeat("run", data, out, "--report", "--quiet")
    return out


def test_leakage_figures_match_numpy_and_sklearn(leaky, tmp_path):
    """Test images whose nearest Train image has a cosine at or above the
    threshold are counted as near-copies, and the accuracy without them is
    scikit-learn's on the other Test images; the groups of `imgfeat
    neighbours` appear once it has run."""
    out = leaky
    data = page_data(out / "_report.html")
    df, X = features(out)
    split = df["path"].str.extract(r"/(Train|Test)/", expand=False)
    train, test = (split == "Train").to_numpy(), (split == "Test").to_numpy()
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    nearest = (unit[test] @ unit[train].T).max(axis=1)
    L = data["leakage"]
    leaked = nearest >= L["threshold"]
    assert (L["test"], L["leaked"]) == (test.sum(), leaked.sum())
    assert leaked.sum() >= 2, "the two copies are found"
    knn = KNeighborsClassifier(n_neighbors=5, metric="cosine", algorithm="brute")
    kept = np.flatnonzero(test)[~leaked]
    predicted = knn.fit(X[train], df["label"][train]).predict(X[kept])
    correct = int((predicted == df["label"].to_numpy()[kept]).sum())
    assert (L["clean"]["queries"], L["clean"]["correct"]) == (len(kept), correct)
    cosines = [p["cosine"] for p in L["pairs"]]
    assert cosines == sorted(cosines, reverse=True) and len(cosines) == min(8, leaked.sum())
    assert cosines[0] == pytest.approx(1.0, abs=1e-5) and "copy_" in L["pairs"][0]["test"]
    assert data["duplicates"] is None

    run_imgfeat("neighbours", out, "--duplicate-cosine", "0.9", "--quiet")
    page = tmp_path / "r.html"
    run_imgfeat("report", out, "--html", page, "--png", tmp_path / "r.png")
    groups = pd.read_parquet(out / "_duplicates.parquet")
    G = page_data(page)["duplicates"]
    assert (G["rows"], G["groups"], G["threshold"]) == (len(groups), groups.group.nunique(), 0.9)
    assert G["shown"][0]["size"] == groups.group.value_counts().max()


def test_the_leakage_section_renders(leaky, browser):
    page = leaky / "_report.html"
    L = page_data(page)["leakage"]
    browser.open(page.as_uri())
    assert browser.errors() == []
    assert browser.evaluate("document.getElementById('leaked-share').textContent") == \
        f"{100 * L['leaked'] / L['test']:.1f}%"
    assert browser.evaluate("document.getElementById('knn-accuracy-clean').textContent") == \
        f"{100 * L['clean']['accuracy']:.1f}%"
    assert browser.evaluate("document.querySelectorAll('#leak-pairs img').length") == \
        2 * len(L["pairs"])
