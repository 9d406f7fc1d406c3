"""The one description of a run's options, and of a report's, as the Python
shells read them.

The tables live in the C++ core (include/imgfeat/run_options.h,
include/imgfeat/report_options.h): names, defaults, limits and help.
`imgfeat.run`, `imgfeat.Featurizer`, `python -m imgfeat.spark_job` and
`imgfeat.report` take their arguments from them, and the core checks every
value, so that each option is said once.
"""
import os

from . import _imgfeat
from ._paths import path_text

SPECS = tuple(_imgfeat.run_option_specs())
DEFAULTS = {s["python_name"]: s["default"] for s in SPECS}
# `imgfeat report`'s and imgfeat.report's options.
REPORT_SPECS = tuple(_imgfeat.report_option_specs())


def for_shell(shell):
    """The options of one shell: "cli", "python", "spark" or "featurizer"."""
    return [s for s in SPECS if shell in s["shells"]]


# Options that name a file or a folder: any name, also one that is not UTF-8.
_PATH_OPTIONS = {s["python_name"] for s in SPECS if s["metavar"] in ("PATH", "FILE", "DIR")}


def fspath_values(options):
    """`options` with the values of path options (str, bytes, os.PathLike)
    as the text the core takes (imgfeat/path_text.h)."""
    def value(name, v):
        if name in _PATH_OPTIONS and isinstance(v, (str, bytes, os.PathLike)):
            return path_text(v)
        return os.fspath(v) if isinstance(v, os.PathLike) else v
    return {k: value(k, v) for k, v in options.items()}


def describe(shell, indent="    ", specs=None):
    """The options of `shell` (or `specs`) as docstring lines: name,
    accepted values, default, help."""
    lines = []
    for s in for_shell(shell) if specs is None else specs:
        default = s["default"]
        shown = "" if default in ("", "auto") and s["type"] == "text" else f" (default {default!r})"
        lines.append(f"{indent}{s['python_name']}: {s['help']}; {s['accepted']}{shown}.")
    return "\n".join(lines)
