"""imgfeat.neighbours and imgfeat.similar: every row's nearest rows and the
near-duplicates of an output, and the rows most like given images, as
``imgfeat neighbours`` and ``imgfeat similar`` find them."""
import os

from . import _imgfeat
from ._paths import path_text


def neighbours(output, k=10, duplicate_cosine=0.975, method="auto", column="features"):
    """Writes OUTPUT/_neighbours.parquet (path, neighbour, cosine, rank) and
    OUTPUT/_duplicates.parquet (path, group) of the complete output folder
    `output`, as ``imgfeat neighbours`` does (docs/FORMAT.md): the `k`
    nearest rows of each row by the cosine of the features the run wrote
    (exact: every pair compared), and the groups of rows linked by a cosine
    of at least `duplicate_cosine`. `method`: "exact" (every pair compared),
    "approximate" (k-means lists over a 512-dimension PCA of the rows,
    compared list by list; docs/FORMAT.md) or
    "auto" (exact up to 20,000 rows). `column`: "features", or "embedding"
    for an output written with ``embedding=True`` (the unreduced output
    averaged over its positions, which also finds mirrored and cropped
    copies; docs/DUPLICATES.md).

    Returns a dict: rows, dim, neighbour_rows, duplicate_rows,
    duplicate_groups, seconds, method (the one used). Raises ValueError for bad arguments or an
    incomplete output, OSError when it cannot be read or written.
    """
    for name, value in (("k", k), ("duplicate_cosine", duplicate_cosine)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not isinstance(k, int):
        raise TypeError(f"k must be an int, not {type(k).__name__}")
    # The core checks the range (and says it); a C int carries any value there.
    k = max(min(k, 2**31 - 1), -2**31)
    for name, value in (("method", method), ("column", column)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return _imgfeat.neighbours(path_text(output), k, float(duplicate_cosine), method, column)


def similar(output, images, k=10, *, threads=0, model_dir=None, column="features"):
    """The rows of the complete output folder `output` most like each of
    `images` (paths: str, bytes or os.PathLike), as ``imgfeat similar`` finds
    them: each image goes through the run's own model, pooling and reducer,
    and is compared by cosine with every row. `column`: "features", or
    "embedding" for an output written with ``embedding=True`` (the images'
    embeddings against the rows'; also finds mirrored and cropped views).

    Returns a pyarrow.Table, by query and nearest first: query (the image as
    given, as text), rank (1: nearest), cosine, label, path. An image that
    cannot be featurized has no rows; its reason is logged on the "imgfeat"
    logger (WARNING) and listed in the table's metadata under b"errors".
    Raises ValueError for bad arguments or an incomplete output, OSError
    when the run's model or the output cannot be read.
    """
    import json
    import logging

    import pyarrow as pa

    if isinstance(images, (str, bytes, os.PathLike)):
        raise TypeError("images must be a list of paths; wrap a single image in a list")
    queries = [path_text(i) for i in images]
    for name, value in (("k", k), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    k = max(min(k, 2**31 - 1), -2**31)
    if not 0 <= threads <= 1024:
        raise ValueError(f"threads must be from 0 to 1024, not {threads}")
    if not isinstance(column, str):
        raise TypeError(f"column must be a str, not {type(column).__name__}")
    found = _imgfeat.similar(path_text(output), queries, k, threads,
                             "" if model_dir is None else path_text(model_dir), column)
    errors = [{"query": queries[i], "error": r} for i, r in zip(found["failed"], found["reason"])]
    for e in errors:
        logging.getLogger("imgfeat").warning("skipped %s", e["error"])
    table = pa.table({
        "query": pa.array([queries[i] for i in found["query"]], pa.string()),
        "rank": pa.array(found["rank"], pa.int32()),
        "cosine": pa.array(found["cosine"], pa.float32()),
        "label": pa.array(found["label"], pa.string()),
        "path": pa.array(found["path"], pa.string()),
    })
    return table.replace_schema_metadata({"errors": json.dumps(errors)})
