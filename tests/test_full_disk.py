"""A run whose OUTPUT cannot take more bytes (RLIMIT_FSIZE here: the files
imgfeat writes hit EFBIG as on a full disk) ends with one clear error naming
the folder, leaves every part under a final name complete, and --resume
completes it once there is room."""
import resource
import signal
import subprocess

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from conftest import IMGFEAT, SAMPLE, imgfeat_env, run_imgfeat, sample_files

FILE_SIZE_LIMIT = 60_000  # bytes: parts of 10 rows fit, the run's larger files do not


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_full_output_fails_clearly_and_resume_completes(tmp_path):
    out = tmp_path / "out"
    args = [str(IMGFEAT), "run", str(SAMPLE / "Test"), str(out), "--reduce", "none",
            "--pooling", "avg", "--quiet", "--rows-per-part", "10"]
    proc = subprocess.run(args, capture_output=True, text=True, env=imgfeat_env(),
                          preexec_fn=limit_file_size, timeout=900)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"'{out}'" in lines[0] and "File too large" in lines[0] and "--resume" in lines[0]
    assert not (out / "_SUCCESS").exists()
    parts = sorted(out.glob("part-*.parquet"))
    assert parts, "the limit was hit before any part: raise FILE_SIZE_LIMIT"
    for part in parts:  # every file under a final name is whole
        assert pq.read_table(part).num_rows > 0

    run_imgfeat("run", SAMPLE / "Test", out, "--reduce", "none", "--pooling", "avg", "--quiet",
                "--rows-per-part", "10", "--resume")
    assert (out / "_SUCCESS").exists()
    paths = ds.dataset(out, format="parquet").to_table(columns=["path"]).column("path")
    paths = paths.to_pylist()
    assert sorted(paths) == sorted(str(p) for p in sample_files("Test"))
