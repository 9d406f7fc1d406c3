"""Nothing is skipped in silence: entries named like images that are not
regular files (FIFOs, sockets, devices, links to them) are _errors rows of
stage "list" and are never opened; a folder named like an image is walked."""
import os
import shutil
import socket

import pyarrow.parquet as pq

from conftest import run_imgfeat, sample_files


def test_fifos_sockets_and_devices_are_reported_not_read(tmp_path):
    root = tmp_path / "in" / "Kiwi"
    (root / "album.jpg").mkdir(parents=True)
    good = sample_files("Test", per_class=1)[:2]
    shutil.copy(good[0], root / "real.jpg")
    shutil.copy(good[1], root / "album.jpg" / "inner.jpg")
    os.mkfifo(root / "pipe.jpg")  # opening it for reading would block forever
    os.symlink("/dev/null", root / "null.png")
    os.symlink(root / "pipe.jpg", root / "link-to-pipe.gif")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        cwd = os.getcwd()
        os.chdir(root)  # a relative name: socket paths are limited to 107 bytes
        try:
            sock.bind("sock.webp")
        finally:
            os.chdir(cwd)
        out = tmp_path / "out"
        run_imgfeat("run", tmp_path / "in", out, "--reduce", "none", "--pooling", "avg",
                    "--quiet", timeout=600)
    finally:
        sock.close()

    written = pq.read_table(sorted(out.glob("part-*.parquet")), columns=["path"])
    assert sorted(written.column("path").to_pylist()) == sorted(
        [str(root / "real.jpg"), str(root / "album.jpg" / "inner.jpg")])
    errors = pq.read_table(out / "_errors.parquet").to_pydict()
    by_name = {os.path.basename(p): (s, e) for p, s, e in
               zip(errors["path"], errors["stage"], errors["error"])}
    assert by_name == {
        "pipe.jpg": ("list", "a FIFO, not a regular file"),
        "link-to-pipe.gif": ("list", "a FIFO, not a regular file"),
        "null.png": ("list", "a character device, not a regular file"),
        "sock.webp": ("list", "a socket, not a regular file"),
    }, by_name


def test_files_above_max_file_bytes_are_refused_before_reading(tmp_path):
    from PIL import Image

    root = tmp_path / "in" / "Kiwi"
    root.mkdir(parents=True)
    Image.new("RGB", (8, 8), (10, 200, 30)).save(root / "small.png")
    big = sample_files("Test", per_class=1)[0]
    shutil.copy(big, root / "big.jpg")
    limit = (root / "small.png").stat().st_size + 1
    assert (root / "big.jpg").stat().st_size > limit
    out = tmp_path / "out"
    run_imgfeat("run", tmp_path / "in", out, "--reduce", "none", "--pooling", "avg", "--quiet",
                "--max-file-bytes", limit)
    written = pq.read_table(sorted(out.glob("part-*.parquet")), columns=["path"])
    assert written.column("path").to_pylist() == [str(root / "small.png")]
    errors = pq.read_table(out / "_errors.parquet").to_pydict()
    assert errors["path"] == [str(root / "big.jpg")]
    assert errors["stage"] == ["read"]
    assert f"larger than --max-file-bytes {limit}" in errors["error"][0], errors["error"]
