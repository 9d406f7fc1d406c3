"""The options of `python -m imgfeat.spark_job`: the CLI's, from the one
description of a run (imgfeat/run_options.h, see _options.py), checked by the
core as the CLI checks them, plus Spark's own (--partitions, --split-parquet-bytes,
--master, --conf)."""
import argparse

from . import _imgfeat
from ._options import for_shell


def _parser():
    p = argparse.ArgumentParser(prog="python -m imgfeat.spark_job",
                                description="imgfeat run on Spark (docs/SPARK.md); options "
                                            "as 'imgfeat run' (docs/OPTIONS.md)")
    p.add_argument("input")
    p.add_argument("output")
    for s in for_shell("spark"):
        default = s["default_text"]
        help_text = s["help"] + (f" [{default}]" if s["type"] != "switch" and default else "")
        if s["type"] == "switch":
            p.add_argument(s["cli_flag"], dest=s["python_name"], action="store_true",
                           default=argparse.SUPPRESS, help=help_text)
        else:
            p.add_argument(s["cli_flag"], dest=s["python_name"], metavar=s["metavar"],
                           default=argparse.SUPPRESS, help=help_text)
    g = p.add_argument_group("Spark")
    g.add_argument("--partitions", type=int, default=0,
                   help="tasks of the featurizing stage, of equal size (default: largest "
                        "first, each 1/(2 x cores) of the images left, 32 to 2,000)")
    g.add_argument("--split-parquet-bytes", type=int, default=128 << 20, metavar="BYTES",
                   help="split a Parquet shard larger than this between tasks by row group "
                        "(0: one task per shard) [134217728]")
    g.add_argument("--master", help="Spark master URL (default: spark-submit's, or the "
                                    "environment's)")
    g.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                   help="a Spark setting")
    return p


def parse_args(argv):
    """The job's arguments: every run option under its Python name (parsed and
    checked by the core, "auto" where auto), and Spark's own."""
    parser = _parser()
    ns = parser.parse_args(argv)
    core_args = [ns.input, ns.output]
    for s in for_shell("spark"):
        if hasattr(ns, s["python_name"]):
            value = getattr(ns, s["python_name"])
            core_args += [s["cli_flag"]] if s["type"] == "switch" else [f"{s['cli_flag']}={value}"]
    try:
        options = _imgfeat.parse_run_args(core_args, "spark")
    except ValueError as e:
        parser.error(str(e))
    for name, value in options.items():
        setattr(ns, name, value)
    return ns


def run_options(args):
    """The run options of parsed `args` in imgfeat.run's Python names (what
    the plan binding takes)."""
    return {s["python_name"]: getattr(args, s["python_name"]) for s in for_shell("spark")}
