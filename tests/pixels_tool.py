"""Runs build/tools/imgfeat_pixels over many files in one process and parses
its output (see tests/tools/imgfeat_pixels.cc for the format)."""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def build_dir() -> Path:
    return Path(os.environ.get("IMGFEAT_BUILD", REPO / "build"))


def tool_path() -> Path:
    path = build_dir() / "tools" / "imgfeat_pixels"
    assert path.exists(), f"{path} is missing: build the project first (make build)"
    return path


@dataclass
class Pixels:
    ok: bool
    error: str = ""
    size: tuple = (0, 0)
    decoded: bytes = b""
    resized_size: tuple = (0, 0)
    resized: bytes = b""
    features: np.ndarray | None = None


def run_pixels(paths, size=(224, 224), preprocess=None):
    args = [str(tool_path()), "--size", str(size[0]), str(size[1])]
    if preprocess:
        args += ["--preprocess", preprocess]
    stdin = "".join(f"{p}\n" for p in paths).encode()
    out = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, check=True).stdout
    results, pos = [], 0
    for _ in paths:
        end = out.index(b"\n", pos)
        fields = out[pos:end].decode().split(" ", 1)
        pos = end + 1
        if fields[0] == "ERR":
            results.append(Pixels(ok=False, error=fields[1]))
            continue
        w, h, rw, rh, n = (int(v) for v in fields[1].split())
        decoded = out[pos : pos + w * h * 3]
        pos += w * h * 3
        resized = out[pos : pos + rw * rh * 3]
        pos += rw * rh * 3
        features = np.frombuffer(out[pos : pos + 4 * n], dtype="<f4")
        pos += 4 * n
        results.append(Pixels(True, "", (w, h), decoded, (rw, rh), resized, features))
    assert pos == len(out), "unparsed output left"
    return results
