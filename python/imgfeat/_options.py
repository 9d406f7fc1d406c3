"""The one description of a run's options, as the Python shells read it.

The table lives in the C++ core (include/imgfeat/run_options.h): names,
defaults, limits and help. `imgfeat.run`, `imgfeat.Featurizer` and
`python -m imgfeat.spark_job` take their arguments from it, and the core
checks every value, so that each option is said once.
"""
import os

from . import _imgfeat

SPECS = tuple(_imgfeat.run_option_specs())
DEFAULTS = {s["python_name"]: s["default"] for s in SPECS}


def for_shell(shell):
    """The options of one shell: "cli", "python", "spark" or "featurizer"."""
    return [s for s in SPECS if shell in s["shells"]]


def fspath_values(options):
    """`options` with os.PathLike values as str (the core takes text)."""
    return {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in options.items()}


def describe(shell, indent="    "):
    """The options of `shell` as docstring lines: name, accepted values,
    default, help."""
    lines = []
    for s in for_shell(shell):
        default = s["default"]
        shown = "" if default in ("", "auto") and s["type"] == "text" else f" (default {default!r})"
        lines.append(f"{indent}{s['python_name']}: {s['help']}; {s['accepted']}{shown}.")
    return "\n".join(lines)
