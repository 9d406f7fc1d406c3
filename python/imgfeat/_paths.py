"""Paths between Python and the core. A Linux file name is bytes; Python
holds one as str (surrogate-escaped where it is not UTF-8, as os.listdir
returns it) or as bytes. The output's `path` column holds each path as text:
the path itself when it is valid UTF-8 without control characters, otherwise
a file:// URI of its bytes (docs/FORMAT.md, "Paths")."""
import os

from . import _imgfeat


def path_text(path):
    """`path` (str, bytes or os.PathLike) as the core takes it: the text a
    `path` column would hold."""
    path = os.fspath(path)
    if isinstance(path, str):
        try:
            path.encode("utf-8")
            return path
        except UnicodeEncodeError:  # surrogate-escaped bytes, as os gives them
            path = os.fsencode(path)
    if not isinstance(path, bytes):
        raise TypeError(f"a path must be str, bytes or os.PathLike, not {type(path).__name__}")
    return _imgfeat.path_text(path)


def local_path(text):
    """The file a row's `path` leads to, as a str `open()` and `os` accept
    (surrogate-escaped where the name is not UTF-8); an s3:// path is
    returned as it is.

        for p in pandas.read_parquet(out).path:
            open(imgfeat.local_path(p), "rb")
    """
    return os.fsdecode(_imgfeat.path_bytes(text))
