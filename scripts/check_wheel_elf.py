"""Lists, for every ELF file in a wheel and every library it loads from the
wheels it depends on (openvino's and scipy-openblas32's, found beside this
Python: those it links, those it opens at run time by name, what they load in
turn, and OpenVINO's plugins), the newest glibc, libstdc++ and C++ ABI symbol
versions it needs, and fails when one is newer than manylinux_2_34 allows: Amazon Linux 2023, the system
of EMR 7 nodes (glibc 2.34, GCC 11's libstdc++).

    python scripts/check_wheel_elf.py dist/imgfeat-*.whl
"""
import argparse
import pathlib
import re
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

LIMITS = {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13)}
NEEDED_VERSION = re.compile(r"Name: (GLIBC|GLIBCXX|CXXABI)_([0-9.]+)")
NEEDED_LIBRARY = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
# A library name as a string in a binary: what it passes to dlopen.
LIBRARY_NAME = re.compile(rb"lib[A-Za-z0-9_+-]+\.so(?:\.[0-9]+)*")
DEPENDENCY_PACKAGES = ("openvino", "scipy_openblas32")


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def newest_versions(path):
    """{"GLIBC": (2, 34), ...}: the newest version of each family `path` needs."""
    text = subprocess.run(["readelf", "--version-info", "--wide", str(path)], check=True,
                          capture_output=True, text=True).stdout
    newest = {}
    for family, version in NEEDED_VERSION.findall(text):
        v = tuple(int(x) for x in version.split("."))
        newest[family] = max(newest.get(family, v), v)
    return newest


def needed_libraries(path):
    text = subprocess.run(["readelf", "--dynamic", "--wide", str(path)], check=True,
                          capture_output=True, text=True).stdout
    return NEEDED_LIBRARY.findall(text)


def opened_libraries(path):
    """The library names written in `path`'s bytes: those it may dlopen."""
    return {m.decode() for m in LIBRARY_NAME.findall(path.read_bytes())}


def dependency_libraries(names):
    """The files of `names` (and what they load in turn) that the dependency
    wheels installed beside this Python provide."""
    site = pathlib.Path(sysconfig.get_paths()["purelib"])
    index = {}
    for package in DEPENDENCY_PACKAGES:
        for root in (site / package, site / f"{package}.libs"):
            if root.is_dir():
                for f in root.rglob("*.so*"):
                    index.setdefault(f.name, f)
    found, todo = {}, list(names)
    while todo:
        name = todo.pop()
        if name in found or name not in index:
            continue
        found[name] = index[name]
        todo.extend(needed_libraries(index[name]))
        # OpenVINO opens its device plugins itself, from its own folder.
        todo.extend(p.name for p in index[name].parent.glob("*_plugin.so"))
    return found


def text(version):
    return ".".join(map(str, version))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wheel", type=pathlib.Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(args.wheel) as z:
            z.extractall(tmp)
        files = {str(p.relative_to(tmp)): p for p in sorted(pathlib.Path(tmp).rglob("*"))
                 if p.is_file() and is_elf(p)}
        bundled = {p.name for p in files.values()}
        wanted = {n for p in files.values() for n in needed_libraries(p)}
        wanted |= {n for p in files.values() for n in opened_libraries(p)}
        wanted -= bundled
        for name, path in sorted(dependency_libraries(wanted).items()):
            files[f"(dependency) {name}"] = path
        failures = []
        print(f"{'file':60} {'GLIBC':>8} {'GLIBCXX':>9} {'CXXABI':>8}")
        for name, path in files.items():
            newest = newest_versions(path)
            cells = [text(newest[f]) if f in newest else "-" for f in LIMITS]
            print(f"{name:60} {cells[0]:>8} {cells[1]:>9} {cells[2]:>8}")
            for family, limit in LIMITS.items():
                if family in newest and newest[family] > limit:
                    failures.append(f"{name} needs {family}_{text(newest[family])}, newer than "
                                    f"manylinux_2_34's {family}_{text(limit)}")
    for line in failures:
        print(f"check_wheel_elf: {line}", file=sys.stderr)
    print(f"{len(files)} ELF files; " + ("FAILED" if failures else "all within manylinux_2_34"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
