"""The job's spark.python.daemon.module: PySpark's own daemon, which forks the
executor's Python workers, but importing PySpark from its installed package
where that is the very release Spark put on the worker's path as
pyspark.zip and py4j's zip.

Spark puts those zips first on a Python worker's path, and Python keeps no
compiled code for modules imported from a zip: the daemon and its first worker
compile PySpark's modules from source at every executor's start, 0.5 s of the
first task (0.63 s to import pyspark.daemon and pyspark.worker from the zips
here, 0.16 s from the installed package). With another release installed, or
none, the zips stay first and nothing changes.
"""
import importlib.metadata
import os
import re
import sys
import zipfile


def _zip_release(path):
    """The release a Spark zip holds: py4j's in its name, PySpark's in its
    pyspark/version.py; None where it cannot be read."""
    name = os.path.basename(path)
    found = re.fullmatch(r"py4j-(.+)-src\.zip", name)
    if found:
        return "py4j", found.group(1)
    if name == "pyspark.zip":
        try:
            with zipfile.ZipFile(path) as z:
                text = z.read("pyspark/version.py").decode()
        except (OSError, KeyError, zipfile.BadZipFile):
            return None
        found = re.search(r"""__version__[^=]*=\s*['"]([^'"]+)['"]""", text)
        return ("pyspark", found.group(1)) if found else None
    return None


def installed_release_first(path=None):
    """Moves Spark's zips to the end of `path` (sys.path) when each holds the
    release of the package installed beside it; True if it moved them."""
    path = sys.path if path is None else path
    releases = {p: _zip_release(p) for p in path if p.endswith(".zip")}
    zips = {p: found for p, found in releases.items() if found is not None}
    if not zips:
        return False
    for package, release in zips.values():
        try:
            if importlib.metadata.version(package) != release:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    path[:] = [p for p in path if p not in zips] + list(zips)
    return True


if __name__ == "__main__":
    installed_release_first()
    from pyspark import daemon

    # With IMGFEAT_SPARK_LOAD_LOG (a folder, _spark_worker.py): where PySpark
    # came from, for the tests.
    if os.environ.get("IMGFEAT_SPARK_LOAD_LOG"):
        with open(os.path.join(os.environ["IMGFEAT_SPARK_LOAD_LOG"],
                               f"daemon-{os.getpid()}.txt"), "w") as f:
            f.write(daemon.__file__ + "\n")
    daemon.manager()
