"""Keeps a Spark task from re-reading every zip on the Python worker's path.

A PySpark worker calls importlib.invalidate_caches() before each task, and
Spark puts pyspark.zip and py4j's zip first on its path. Python 3.10 and 3.11
answer that call by reading the whole directory of each zip again, at once
(CPython issue gh-103200; 3.12 reads it again only when next used): here
0.11 s of the worker's core per task, more than a 9-image task's own work
(docs/BENCHMARKS.md, "Spark: scaling against the CLI"). With
read_zips_again_only_when_changed(), a zip is read again only when its size,
time or inode changed since it was last read, so an archive that really
changed is still seen anew.
"""
import os
import sys
import zipimport

_AFFECTED = (3, 10) <= sys.version_info[:2] < (3, 12)


def _stamp(path):
    try:
        s = os.stat(path)
    except OSError:
        return None
    return (s.st_mtime_ns, s.st_size, s.st_ino)


def read_zips_again_only_when_changed():
    """Installs the check in this process, once; nothing on other Pythons."""
    read_again = zipimport.zipimporter.invalidate_caches
    if not _AFFECTED or getattr(read_again, "imgfeat_checks_stamp", False):
        return

    def invalidate_caches(self):
        stamp = _stamp(self.archive)
        if stamp is not None and getattr(self, "_imgfeat_stamp", None) == stamp:
            return
        read_again(self)
        self._imgfeat_stamp = stamp

    invalidate_caches.imgfeat_checks_stamp = True
    invalidate_caches.__doc__ = read_again.__doc__
    zipimport.zipimporter.invalidate_caches = invalidate_caches
