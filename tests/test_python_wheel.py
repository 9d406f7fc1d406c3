"""The wheel `make wheel` writes, installed into new virtual environments
outside the source tree (its dependencies from the package index, through
pip's cache), with pyarrow 22 and with pyarrow 18: it imports, links its own
Arrow and the openvino and scipy-openblas32 wheels' libraries installed beside
it, featurizes images exactly as the CLI does into a table pandas and Polars
read, and installs the `imgfeat` command, which writes the CLI's rows."""
import glob
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import MODELS, ROOT, run_imgfeat, sample_files

pytestmark = pytest.mark.wheel

SCRIPT = """
import json, sys
import numpy as np
import imgfeat
import hashlib  # after imgfeat: OpenSSL must still work
assert hashlib.sha256(b"x").hexdigest().startswith("2d711642")
paths = json.loads(sys.argv[1])
table = imgfeat.Featurizer(threads=2).featurize(paths, progress=False)
assert table.column("error").null_count == len(paths), table.column("error").to_pylist()
features = table.column("features").combine_chunks().flatten().to_numpy()
np.save(sys.argv[2], features.reshape(len(paths), -1))
srp = imgfeat.SparseRandomProjection(16, features.size // len(paths))
# PCA runs on OpenBLAS and LAPACK from the scipy-openblas32 wheel: the same
# components as NumPy's SVD of the centred rows.
scales = np.r_[[10.0, 6.0, 3.0], np.linspace(0.5, 0.1, 37)]  # three clear directions
rows = np.random.default_rng(0).standard_normal((200, 40)) @ np.diag(scales)
pca = imgfeat.PCA(3).fit([rows.astype(np.float32)])
vt = np.linalg.svd(rows - rows.mean(0), full_matrices=False)[2][:3]
agreement = np.abs(np.sum(pca.components_ * vt, axis=1)).min()
# The table, through the Arrow C Data Interface, is the user's pyarrow's:
# pandas and Polars read it.
import pandas, polars, pyarrow
frame = table.to_pandas()
assert len(frame) == len(paths) and frame["error"].isna().all()
assert np.array_equal(np.stack(frame["features"].to_list()), features.reshape(len(paths), -1))
pl = polars.from_arrow(table)
assert pl.height == len(paths)
assert np.array_equal(np.stack(pl["features"].to_list()), features.reshape(len(paths), -1))
print(json.dumps({"file": imgfeat.__file__, "version": imgfeat.__version__,
                  "pyarrow": pyarrow.__version__,
                  "srp_shape": list(srp.transform(features.reshape(len(paths), -1)).shape),
                  "pca_agreement": float(agreement)}))
"""


def fresh_venv(tmp_path, wheel, pyarrow_version, extras=""):
    """A new virtual environment with the wheel, the given pyarrow, pandas and
    Polars, at the project's pins otherwise (from pip's cache or the index)."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    # A constraint takes no extras: moto[server]'s line is left out.
    pins = tmp_path / "pins.txt"
    pins.write_text("".join(
        line for name in ("requirements.txt", "requirements-test.txt")
        for line in open(ROOT / name) if "[" not in line and not line.startswith("pyarrow==")))
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(pins),
         f"{wheel}{extras}", f"pyarrow=={pyarrow_version}", "pandas", "polars"], timeout=900)
    return venv, python


def featurize_as_the_cli(python, venv, tmp_path, pyarrow_version):
    """The installed package's Featurizer and `imgfeat` command give the source
    build's rows; returns (images folder, its env, the CLI's table)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    env["IMGFEAT_MODEL_DIR"] = str(MODELS)
    images = [str(p) for p in sample_files("Test", per_class=1)]
    out = json.loads(run([python, "-c", SCRIPT, json.dumps(images), str(tmp_path / "f.npy")],
                         cwd=tmp_path, env=env))
    assert out["file"].startswith(str(venv)), out
    assert out["pyarrow"] == pyarrow_version, out
    assert out["srp_shape"] == [len(images), 16]
    assert out["pca_agreement"] > 0.999, out

    link = tmp_path / "in"
    for i, p in enumerate(images):
        (link / str(i)).mkdir(parents=True)
        (link / str(i) / "x.jpg").symlink_to(p)
    run_imgfeat("run", link, tmp_path / "cli", "--reduce", "none", "--threads", "2", "--quiet")
    cli = pq.read_table(sorted((tmp_path / "cli").glob("part-*.parquet")))
    want = cli.column("features").combine_chunks().flatten().to_numpy().reshape(len(images), -1)
    np.testing.assert_array_equal(np.load(tmp_path / "f.npy"), want)

    # The `imgfeat` command the wheel installs: the C++ command line, same rows.
    command = str(venv / "bin" / "imgfeat")
    assert run([command, "version"], env=env) == run_imgfeat("version").stdout
    run([command, "run", str(link), str(tmp_path / "installed"), "--reduce", "none",
         "--threads", "2", "--quiet"], env=env, cwd=tmp_path)
    installed = pq.read_table(sorted((tmp_path / "installed").glob("part-*.parquet")))
    assert installed.column("path").to_pylist() == cli.column("path").to_pylist()
    np.testing.assert_array_equal(
        installed.column("features").combine_chunks().flatten().to_numpy().reshape(len(images), -1),
        want)
    return link, env, out, installed


def test_wheel_with_pyarrow_18(wheel, tmp_path):
    # A year older than the pyarrow the module is built with: the module keeps
    # its own Arrow, and only the C Data Interface crosses over.
    venv, python = fresh_venv(tmp_path, wheel, "18.1.0")
    featurize_as_the_cli(python, venv, tmp_path, "18.1.0")


# Prints the openvino and OpenBLAS files mapped into the process after
# `import imgfeat`, then "--", then those mapped after a PCA run.
LOADED_LIBRARIES = """
import os, sys, tempfile, imgfeat
def mapped():
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "/" in line}
    for p in sorted(paths):
        # (NumPy's own OpenBLAS, libscipy_openblas64_-*.so, is not ours.)
        if os.path.basename(p).startswith(("libopenvino_c.so", "libscipy_openblas.so")):
            print(os.path.basename(p), os.path.realpath(p))
mapped()
print("--")
imgfeat.run(sys.argv[1], os.path.join(tempfile.mkdtemp(), "out"), reduce="pca", components=4,
            threads=1, quiet=True)
mapped()
"""


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout



def test_platform_tag_and_elf_versions_fit_emr_7(wheel):
    # Amazon Linux 2023 (EMR 7): glibc 2.34, GCC 11's libstdc++. auditwheel
    # names the oldest policy every ELF file satisfies.
    assert os.path.basename(wheel).endswith("-cp311-cp311-manylinux_2_34_x86_64.whl"), wheel
    # The openvino and OpenBLAS libraries come from their own wheels and are
    # opened at run time, so the whole wheel, not only its symbol versions,
    # is manylinux_2_34 to auditwheel: nothing outside the policy is linked.
    shown = run([os.path.join(os.path.dirname(sys.executable), "auditwheel"), "show", wheel])
    assert re.search(r'consistent with\s+the following platform tag:\s+"manylinux_2_34_x86_64"',
                     shown), shown
    assert re.search(r'constrains the platform tag to\s+"manylinux_2_34_x86_64"', shown), shown
    # Every ELF file in it (its own Arrow among them), and those it loads
    # from openvino and scipy-openblas32.
    listed = run([sys.executable, str(ROOT / "scripts" / "check_wheel_elf.py"), wheel])
    assert "all within manylinux_2_34" in listed, listed
    assert "_imgfeat" in listed and "imgfeat.libs/libarrow-" in listed, listed
    assert "(dependency) libopenvino_c.so" in listed and "(dependency) libarrow" not in listed
    assert "(dependency) libscipy_openblas.so" in listed, listed
    assert "(dependency) libopenvino_intel_cpu_plugin.so" in listed, listed


def test_wheel_in_a_fresh_venv(wheel, tmp_path):
    venv, python = fresh_venv(tmp_path, wheel, "22.0.0", "[quantize]")
    link, env, out, installed = featurize_as_the_cli(python, venv, tmp_path, "22.0.0")
    command = str(venv / "bin" / "imgfeat")

    # The compiled module links its own Arrow (bundled under private names)
    # and links no library of the openvino and scipy-openblas32 wheels...
    module = glob.glob(os.path.join(os.path.dirname(out["file"]), "_imgfeat*.so"))[0]
    ldd = run(["ldd", module], env=env)
    assert "not found" not in ldd, ldd
    site = os.path.dirname(os.path.dirname(out["file"]))
    for lib in ("libarrow-", "libparquet-"):
        line = next(line for line in ldd.splitlines() if lib in line)
        resolved = os.path.normpath(line.split("=>")[1].split("(")[0].strip())
        assert os.path.dirname(resolved) == os.path.join(site, "imgfeat.libs"), line
    for lib in ("libopenvino", "libscipy_openblas", "libtbb", "site-packages/pyarrow/"):
        assert lib not in ldd, ldd
    # ...but opens them from those wheels once a run needs them (a PCA run
    # calls OpenBLAS), and not before.
    loaded = run([python, "-c", LOADED_LIBRARIES, str(link)], env=env, cwd=tmp_path)
    before, after = (dict(line.split(" ", 1) for line in half.strip().splitlines() if line)
                     for half in loaded.split("--\n"))
    assert not before, before
    for lib, folder in [("libopenvino_c.so", "openvino/libs"),
                        ("libscipy_openblas.so", "scipy_openblas32/lib")]:
        path = next(path for name, path in after.items() if name.startswith(lib))
        assert os.path.dirname(path) == os.path.realpath(os.path.join(site, folder)), after

    # --precision int8 as a wheel user makes it: the 'quantize' extra brought
    # NNCF, and the installed command runs it in the venv's own Python.
    models = tmp_path / "models"
    folder = run([command, "models", "quantize", "--calibration", str(link), "--images", "4",
                  "--model-dir", str(models)], env=env, cwd=tmp_path).strip()
    assert pathlib.Path(folder).parent == models / "int8", folder
    int8 = ["--reduce", "none", "--threads", "2", "--quiet", "--precision", "int8",
            "--model-dir", str(models)]
    run([command, "run", str(link), str(tmp_path / "installed-int8"), *int8], env=env, cwd=tmp_path)
    run_imgfeat("run", link, tmp_path / "cli-int8", *int8)
    got, expected = (pq.read_table(sorted((tmp_path / name).glob("part-*.parquet")))
                     for name in ("installed-int8", "cli-int8"))
    assert got.column("path").to_pylist() == expected.column("path").to_pylist()
    assert got.column("features").equals(expected.column("features"))
    assert not got.column("features").equals(installed.column("features"))

    # Without the openvino wheel's library, a run ends with one line naming it
    # and the package that provides it, and writes no complete output.
    library = next(pathlib.Path(site, "openvino", "libs").glob("libopenvino_c.so.*"))
    hidden = library.with_name(library.name + ".hidden")
    library.rename(hidden)
    try:
        proc = subprocess.run([command, "run", str(link), str(tmp_path / "no-openvino"), "--quiet"],
                              env=env, cwd=tmp_path, capture_output=True, text=True)
    finally:
        hidden.rename(library)
    assert proc.returncode != 0, proc.stdout
    lines = [line for line in proc.stderr.splitlines() if "cannot load" in line]
    assert len(lines) == 1 and library.name in lines[0] and "the openvino wheel" in lines[0], \
        proc.stderr
    assert not (tmp_path / "no-openvino" / "_SUCCESS").exists()
