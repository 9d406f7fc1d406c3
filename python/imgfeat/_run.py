"""imgfeat.run: the CLI's job from Python."""
import logging
import os

from . import _imgfeat
from ._options import REPORT_SPECS, describe, fspath_values
from ._paths import path_text
from ._progress import Progress

logger = logging.getLogger("imgfeat")


class _EventPrinter:
    """A run's events for a Python user: each failed file through `logging`
    (a warning, seen in a terminal and in a notebook without any set-up),
    phases at INFO, and a tqdm bar (terminal or Jupyter) while images are
    featurized and, for PCA, reduced."""

    def __init__(self, progress, quiet):
        self._progress = progress and not quiet
        self._error_level = logging.DEBUG if quiet else logging.WARNING
        self._bar = None

    def __call__(self, events):
        for e in events:
            kind = e["kind"]
            if kind == "file_error":
                logger.log(self._error_level, "skipped %s: %s", e["path"], e["message"])
            elif kind == "progress":
                if self._bar is not None:
                    self._bar(e["done"], e["total"] if e["total"] > 0 else None)
            elif kind == "phase":
                self.close()
                logger.info("%s%s", e["phase"], f" ({e['total']})" if e["total"] else "")
                if e["phase"] in ("featurize", "reduce"):
                    self._bar = Progress(self._progress, total=e["total"] or None,
                                         desc="imgfeat" if e["phase"] == "featurize"
                                         else "reducing")
            else:
                logger.info("%s", e["message"])

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def run(input, output, *, progress=True, **options):
    """Featurizes the images under `input` into the Parquet dataset `output`,
    exactly as ``imgfeat run INPUT OUTPUT`` does (same files, same numbers).

    Options are the CLI's under Python names (docs/OPTIONS.md); None means
    the option's default:

{options}

    Each skipped file is logged as a warning on the ``imgfeat`` logger (in
    a notebook too); `progress` draws a bar (terminal or Jupyter).

    The work runs in C++ with the GIL released. Ctrl-C (KeyboardInterrupt)
    stops it after the batch in progress and leaves `output` resumable:
    ``run(input, output, resume=True)`` completes it, every image exactly once.

    Returns a dict: images_listed, images_skipped_as_done, already_complete,
    rows_written, errors, feature_dim, output_dim, seconds (and
    duplicate_groups with neighbours=True; report, the HTML file, when asked
    for).
    Raises ValueError / TypeError for bad options, OSError for unreadable input
    or an unwritable output.
    """
    printer = _EventPrinter(progress, bool(options.get("quiet")))
    try:
        return _imgfeat.run(path_text(input), path_text(output), fspath_values(options), printer)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            f"imgfeat.run interrupted: run it again with resume=True to complete {output}"
        ) from None
    finally:
        printer.close()


run.__doc__ = run.__doc__.format(options=describe("python", indent="    - "))


def report(output, html=None, png=None, **options):
    """Writes the report of the output folder `output`, as ``imgfeat report``
    does: a self-contained HTML page and a PNG of its map.

    Options are the CLI's under Python names (docs/OPTIONS.md); None means
    the option's default:

{options}

    Returns a dict: html, png, rows, rows_analysed, knn_method, knn_queries,
    knn_accuracy, knn_interval (95 % Wilson), test_with_near_copy (Test images
    with a near-copy in Train), knn_accuracy_without_leaks, distortion_pairs,
    distortion_within (share of pairs inside the Johnson-Lindenstrauss bound).
    Raises ValueError / TypeError for bad options, OSError when `output` is
    not an imgfeat output folder.
    """
    options.update(html=html, png=png)
    return _imgfeat.report(os.fspath(output), fspath_values(options))


report.__doc__ = report.__doc__.format(options=describe(None, indent="    - ",
                                                        specs=REPORT_SPECS))
