"""The options of `python -m imgfeat.spark_job`: the CLI's (`imgfeat run
--help`) under the same names, plus the Spark ones."""
import argparse


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m imgfeat.spark_job",
                                description="imgfeat run on Spark (docs/SPARK.md)")
    p.add_argument("input")
    p.add_argument("output")
    a = p.add_argument
    a("--glob", default="")
    a("--label-regex", default="")
    a("--max-pixels", type=int, default=178956970)
    a("--max-file-bytes", type=int, default=512 << 20)
    a("--model", default="mobilenet_v2")
    a("--model-spec")
    a("--model-dir")
    a("--engine", default="openvino")
    a("--pooling", default="none", choices=["none", "avg"])
    a("--batch", type=int, default=0)
    a("--threads", type=int, default=0,
      help="threads per task (default: spark.task.cpus, 1 unless set)")
    a("--reduce", default="srp", choices=["srp", "pca", "none"])
    a("--components", default="auto")
    a("--eps", type=float, default=0.1)
    a("--density", default="auto")
    a("--seed", type=int, default=42)
    a("--pca-oversampling", default="auto")
    a("--pca-power-iterations", type=int, default=4)
    a("--reducer-from")
    a("--overwrite", action="store_true")
    a("--resume", action="store_true")
    a("--rows-per-part", type=int, default=0)
    a("--quiet", action="store_true")
    a("--s3-endpoint", default="")
    a("--s3-region", default="")
    a("--s3-anonymous", action="store_true")
    a("--s3-attempts", type=int, default=10)
    a("--partitions", type=int, default=0,
      help="tasks of the featurizing stage (default: about 4 per executor core, "
           "at most 2,000 images each)")
    a("--master", help="Spark master URL (default: spark-submit's, or the environment's)")
    a("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting")
    return p.parse_args(argv)


def run_options(args):
    """The options in imgfeat.run's Python names (what the plan binding takes)."""
    o = {"glob": args.glob, "label_regex": args.label_regex, "model": args.model,
         "engine": args.engine, "pooling": args.pooling, "reduce": args.reduce,
         "components": "auto" if args.components == "auto" else int(args.components),
         "eps": args.eps, "density": "auto" if args.density == "auto" else float(args.density),
         "seed": args.seed, "pca_power_iterations": args.pca_power_iterations,
         "pca_oversampling": ("auto" if args.pca_oversampling == "auto"
                              else int(args.pca_oversampling)),
         "overwrite": args.overwrite, "resume": args.resume, "max_pixels": args.max_pixels,
         "s3_endpoint": args.s3_endpoint, "s3_region": args.s3_region,
         "s3_anonymous": args.s3_anonymous, "s3_attempts": args.s3_attempts}
    for name in ("model_spec", "model_dir", "reducer_from"):
        if getattr(args, name):
            o[name] = getattr(args, name)
    if args.threads:
        o["threads"] = args.threads
    if args.batch:
        o["batch"] = args.batch
    return o
