"""imgfeat.neighbours: every row's nearest rows and the near-duplicates of an
output, as ``imgfeat neighbours`` finds them."""
from . import _imgfeat
from ._paths import path_text


def neighbours(output, k=10, duplicate_cosine=0.95):
    """Writes OUTPUT/_neighbours.parquet (path, neighbour, cosine, rank) and
    OUTPUT/_duplicates.parquet (path, group) of the complete output folder
    `output`, as ``imgfeat neighbours`` does (docs/FORMAT.md): the `k`
    nearest rows of each row by the cosine of the features the run wrote
    (exact: every pair compared), and the groups of rows linked by a cosine
    of at least `duplicate_cosine`.

    Returns a dict: rows, dim, neighbour_rows, duplicate_rows,
    duplicate_groups, seconds. Raises ValueError for bad arguments or an
    incomplete output, OSError when it cannot be read or written.
    """
    for name, value in (("k", k), ("duplicate_cosine", duplicate_cosine)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not isinstance(k, int):
        raise TypeError(f"k must be an int, not {type(k).__name__}")
    # The core checks the range (and says it); a C int carries any value there.
    k = max(min(k, 2**31 - 1), -2**31)
    return _imgfeat.neighbours(path_text(output), k, float(duplicate_cosine))
