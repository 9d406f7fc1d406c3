"""Writes docs/OPTIONS.md from the one description of a run's options and of
a report's (the C++ tables behind `imgfeat run --help` and `imgfeat report
--help`), or with --check fails when the file differs from them.
tests/test_options.py runs the check."""
import pathlib
import sys

from imgfeat import _options

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "OPTIONS.md"

HEADER = """# imgfeat's options

One table of options serves every way of running imgfeat: `imgfeat run` (flags),
`imgfeat.run(...)` and `imgfeat.Featurizer(...)` (keyword arguments under the Python
names), and `python -m imgfeat.spark_job` (the CLI's flags, plus Spark's own
`--partitions`, `--master` and `--conf`). Each shell checks values the same way and gives
the same one-line message for a value out of range. In Python, `None` stands for the
default and `"auto"` (or `None`) for auto.

This page is generated from that table (`python scripts/options_doc.py`); a test fails when
it differs.

Rules between options, checked before a run touches anything:
- `--resume` and `--overwrite` exclude each other;
- `--report` needs a local OUTPUT;
- `--embedding` needs `--pooling none` (with `avg` the features are the embedding already);
- `--reducer-from` applies the saved reducer as it is: `--reduce`, `--components`,
  `--density` and the `--pca-*` options cannot be given with it;
- `--reduce pca` needs `--components K`; `--density` is SRP's; the `--pca-*` options need
  `--reduce pca`; `--components` needs `--reduce srp` or `pca`.

Shells: cli = `imgfeat run`, python = `imgfeat.run`, spark = `imgfeat.spark_job`,
featurizer = `imgfeat.Featurizer`.

The options of `imgfeat report OUTPUT` and `imgfeat.report(output, ...)` are a table of
their own, at the end, checked the same way by both.
"""

REPORT_HEADER = """
## imgfeat report

The options of `imgfeat report OUTPUT` (flags) and `imgfeat.report(output, ...)` (keyword
arguments under the Python names; `html` and `png` may also come after `output`, in that
order). Here cli = `imgfeat report`, python = `imgfeat.report`.
"""


def cell(text):
    return str(text).replace("|", "\\|")


TABLE_HEAD = ["| Flag | Python | Values | Default | Shells | What it does |",
              "|---|---|---|---|---|---|"]


def row(s):
    flag = s["cli_flag"] + (f" {s['metavar']}" if s["metavar"] else "")
    default = s["default_text"] if s["type"] != "switch" else ("on" if s["default"] else "off")
    return (f"| `{cell(flag)}` | `{s['python_name']}` | {cell(s['accepted'])} | "
            f"{cell(default) or '-'} | {', '.join(s['shells'])} | {cell(s['help'])} |")


def render():
    lines = [HEADER]
    group = None
    for s in _options.SPECS:
        if s["group"] != group:
            group = s["group"]
            lines += ["", f"## {group}", "", *TABLE_HEAD]
        lines.append(row(s))
    lines += [REPORT_HEADER, *TABLE_HEAD]
    lines += [row(s) for s in _options.REPORT_SPECS]
    return "\n".join(lines) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        if DOC.read_text() != text:
            sys.exit(f"{DOC} differs from the options' description: run "
                     f"'python scripts/options_doc.py'")
        return
    DOC.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
