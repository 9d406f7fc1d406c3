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

SPECS = tuple(_imgfeat.run_option_specs())
DEFAULTS = {s["python_name"]: s["default"] for s in SPECS}
# `imgfeat report`'s and imgfeat.report's options.
REPORT_SPECS = tuple(_imgfeat.report_option_specs())


def for_shell(shell):
    """The options of one shell: "cli", "python", "spark" or "featurizer"."""
    return [s for s in SPECS if shell in s["shells"]]


def fspath_values(options):
    """`options` with os.PathLike values as str (the core takes text)."""
    return {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in options.items()}


def describe(shell, indent="    ", specs=None):
    """The options of `shell` (or `specs`) as docstring lines: name,
    accepted values, default, help."""
    lines = []
    for s in for_shell(shell) if specs is None else specs:
        default = s["default"]
        shown = "" if default in ("", "auto") and s["type"] == "text" else f" (default {default!r})"
        lines.append(f"{indent}{s['python_name']}: {s['help']}; {s['accepted']}{shown}.")
    return "\n".join(lines)
