"""Torture: a few hundred mutated files of every supported format (bit flips,
truncations, spliced and rewritten headers) and headers declaring 100,000 x
100,000 pixels, made from a fixed seed by tests/torture_files.py. `imgfeat
run` must exit 0, account for every file exactly once (output or
_errors.parquet), stay under 1 GiB, and decode exactly the files Pillow
decodes, with Pillow's pixels."""
import collections
import io
import os
import re
import subprocess
import sys
import time
import warnings

import pyarrow.parquet as pq
from PIL import Image

import torture_files
from conftest import IMGFEAT, imgfeat_env
from pixels_tool import run_pixels

# Files on which imgfeat and Pillow still disagree, each with the reason; the
# test fails when this list is wrong in either direction.
KNOWN_DIVERGENCES = {
    # The Compression tag's type is corrupt: Pillow drops that tag (and reads
    # the PackBits bytes as raw pixels), libtiff refuses the whole directory.
    "mut-21-01.tif": "pillow decodes, imgfeat refuses",
    # ImageLength rewritten to 65,535 with one strip of 9 rows: Pillow decodes
    # the one strip and leaves the other rows 0; libtiff pads the strip table
    # and reads rows for the strips the file does not have.
    "mut-15-04.tif": "different pixels",
}
PEAK_MEMORY_LIMIT = 1 << 30


def pillow_rgb(path):
    """Pillow's pixels as the notebook gets them: opened from the file's bytes
    (from a path, Pillow maps uncompressed single-strip files instead, and
    refuses those shorter than their header says)."""
    with open(path, "rb") as file:
        data = io.BytesIO(file.read())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(data) as image:
                rgb = image.convert("RGB")
                return rgb.size, rgb.tobytes()
        except Exception:  # noqa: BLE001 - any refusal counts as a refusal
            return None


# Starts the CLI from a small, fresh process and writes its peak RSS to a file.
# Linux counts the memory of the process that forked a child into the child's
# ru_maxrss (exec keeps the high-water mark of the image it replaces), so a
# child forked straight from this test process would report pytest's own size.
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args, stderr_path):
    """Runs the CLI; returns (exit code, peak RSS of that child in bytes, seconds)."""
    start = time.monotonic()
    peak_file = stderr_path.with_suffix(".peak")
    with open(stderr_path, "w") as stderr:
        proc = subprocess.run([sys.executable, "-c", _MEASURE, str(peak_file), *map(str, args)],
                              stdout=subprocess.DEVNULL, stderr=stderr, env=imgfeat_env())
    return proc.returncode, int(peak_file.read_text()) * 1024, time.monotonic() - start


def test_torture_files_are_decoded_like_pillow_or_reported(tmp_path):
    paths = [str(p) for p in torture_files.make(tmp_path / "in")]
    assert len(paths) >= 300
    out = tmp_path / "out"
    code, peak, seconds = run_measured(
        [str(IMGFEAT), "run", str(tmp_path / "in"), str(out), "--reduce", "none", "--pooling",
         "avg", "--quiet"], tmp_path / "stderr.txt")
    assert code == 0, (tmp_path / "stderr.txt").read_text()[-3000:]
    assert peak < PEAK_MEMORY_LIMIT, f"peak memory {peak / 2**20:.0f} MiB"

    written = pq.read_table(sorted(out.glob("part-*.parquet")), columns=["path"])
    written = written.column("path").to_pylist()
    errors = pq.read_table(out / "_errors.parquet").to_pydict()
    assert len(written) == len(set(written)), "a file is in the output twice"
    assert len(errors["path"]) == len(set(errors["path"])), "a file is in _errors twice"
    assert not set(written) & set(errors["path"]), "a file is both written and an error"
    assert sorted(written + errors["path"]) == sorted(paths)
    for error in errors["error"]:
        assert error and "\n" not in error and error.isprintable(), error

    decoded = run_pixels(paths, size=(8, 8))
    divergences = {}
    for path, ours in zip(paths, decoded):
        theirs = pillow_rgb(path)
        name = os.path.basename(path)
        if theirs is None and ours.ok:
            divergences[name] = "imgfeat decodes, pillow refuses"
        elif theirs is not None and not ours.ok:
            divergences[name] = "pillow decodes, imgfeat refuses"
        elif theirs is not None and (ours.size, ours.decoded) != theirs:
            divergences[name] = "different pixels"
    assert divergences == KNOWN_DIVERGENCES, divergences
    assert set(written) == {p for p, ours in zip(paths, decoded) if ours.ok}

    reasons = collections.Counter(f"{stage}: {re.sub(r'[0-9]+', 'N', error)[:70]}"
                                  for stage, error in zip(errors["stage"], errors["error"]))
    print(f"\ntorture: {len(paths)} files, {len(written)} written, {len(errors['path'])} "
          f"errors, peak {peak / 2**20:.0f} MiB, {seconds:.1f} s")
    for reason, count in reasons.most_common():
        print(f"  {count:4d}  {reason}")
