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
    ``quiet``, ``max_pixels``, ``rows_per_part``.

    The work runs in C++ with the GIL released. Ctrl-C (KeyboardInterrupt)
    stops it after the batch in progress and leaves `output` resumable:
    ``run(input, output, resume=True)`` completes it, every image exactly once.

    Returns a dict: images_listed, images_skipped_as_done, already_complete,
    rows_written, errors, feature_dim, output_dim, seconds.
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
