"""imgfeat.run: the CLI's job from Python."""
import os

from . import _imgfeat
from ._progress import Progress

_PATH_OPTIONS = ("model", "model_spec", "model_dir", "reducer_from")


def run(input, output, *, progress=True, **options):
    """Featurizes the images under `input` into the Parquet dataset `output`,
    exactly as ``imgfeat run INPUT OUTPUT`` does (same files, same numbers).

    Options are the CLI's under Python names: ``glob``, ``label_regex``,
    ``follow_symlinks``, ``threads``, ``batch``, ``model``, ``model_spec``,
    ``model_dir``, ``engine``, ``pooling`` ("none" | "avg"), ``reduce``
    ("srp" | "pca" | "none"), ``components`` (int or "auto"), ``eps``,
    ``density`` (float or "auto"), ``seed``, ``pca_power_iterations``,
    ``pca_oversampling``, ``reducer_from``, ``overwrite``, ``resume``,
    ``quiet``, ``max_pixels``, ``rows_per_part``, ``report`` (also write
    OUTPUT/_report.html and _report.png, see :func:`report`), and for
    ``s3://`` paths ``s3_endpoint``, ``s3_region``, ``s3_anonymous``,
    ``s3_attempts`` (docs/S3.md).

    The work runs in C++ with the GIL released. Ctrl-C (KeyboardInterrupt)
    stops it after the batch in progress and leaves `output` resumable:
    ``run(input, output, resume=True)`` completes it, every image exactly once.

    Returns a dict: images_listed, images_skipped_as_done, already_complete,
    rows_written, errors, feature_dim, output_dim, seconds (and report, the
    HTML file, when asked for).
    Raises ValueError / TypeError for bad options, OSError for unreadable input
    or an unwritable output.
    """
    for name in _PATH_OPTIONS:
        if name in options and isinstance(options[name], os.PathLike):
            options[name] = os.fspath(options[name])
    bar = Progress(progress and not options.get("quiet", False), desc="imgfeat")
    try:
        return _imgfeat.run(os.fspath(input), os.fspath(output), options, bar.callback())
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            f"imgfeat.run interrupted: run it again with resume=True to complete {output}"
        ) from None
    finally:
        bar.close()


def report(output, html=None, png=None, *, max_rows=8000, thumbnails=400, seed=42):
    """Writes the report of the output folder `output`, as ``imgfeat report``
    does: a self-contained HTML page (OUTPUT/_report.html by default) and a PNG
    of its map (OUTPUT/_report.png). Beyond `max_rows` rows a seeded sample
    is analysed; `thumbnails` images are shown on hover.

    Returns a dict: html, png, rows, rows_analysed, knn_method, knn_queries,
    knn_accuracy, knn_interval (95 % Wilson), distortion_pairs,
    distortion_within (share of pairs inside the Johnson-Lindenstrauss bound).
    Raises OSError when `output` is not an imgfeat output folder.
    """
    if max_rows < 2 or thumbnails < 0 or seed < 0:
        raise ValueError("report() needs max_rows >= 2, thumbnails >= 0 and seed >= 0")
    return _imgfeat.report(os.fspath(output), os.fspath(html) if html else "",
                           os.fspath(png) if png else "", max_rows, thumbnails, seed)
