"""The JVM settings the Spark job gives the JVMs it starts: the JIT, and the
node's class-data archive where one was made.

A JVM maps archived classes only where no folder that holds files comes
before their jar on its class path (Java 17 checks every class path entry up
to the last one classes were archived from, and refuses the whole archive
for a folder that is not empty). Spark's launcher puts the conf folder
($SPARK_CONF_DIR: spark-defaults.conf, log4j2.properties, ...) first, which
on a real cluster is never empty: with an archive, the job therefore puts
Spark's jars on the class path before it (spark.*.extraClassPath, which the
launcher places first), in the launcher's own order. The conf folder holds
settings, not classes, and stays on the class path: its files are read as
before (Spark's jars hold none of their names).

An executor's JVM only passes Arrow batches of paths to the Python worker and
small task results back, while the C2 compiler's threads took the cores that
decode and infer (11% of a one-core run's samples, docs/BENCHMARKS.md, "Spark:
scaling against the CLI"). The job therefore runs them with the C1 compiler
alone (-XX:TieredStopAtLevel=1), added to the options the cluster already
gives them, never replacing them, and not where they already choose a JIT
setting: that is how a user turns it off (e.g. -XX:TieredStopAtLevel=4).
"""
import glob
import os

C1_ONLY = "-XX:TieredStopAtLevel=1"
_JIT_FLAGS = ("TieredStopAtLevel", "TieredCompilation")
# Options by which a user already chose how the JVM shares classes.
_SHARE_FLAGS = ("SharedArchiveFile", "-Xshare", "ArchiveClassesAtExit")
EXECUTOR_KEY = "spark.executor.extraJavaOptions"
DRIVER_KEY = "spark.driver.extraJavaOptions"
CLASS_PATH_KEYS = {EXECUTOR_KEY: "spark.executor.extraClassPath",
                   DRIVER_KEY: "spark.driver.extraClassPath"}
ROLE_KEYS = {"driver": DRIVER_KEY, "executor": EXECUTOR_KEY}


def _spark_home():
    from pyspark.find_spark_home import _find_spark_home

    return _find_spark_home()


def spark_jars(spark_home=None):
    """The class path entries Spark's launcher gives a JVM for Spark's jars,
    in its order: the slf4j-api jar, then the jars folder's wildcard."""
    jars = os.path.join(spark_home or _spark_home(), "jars")
    return sorted(glob.glob(os.path.join(jars, "slf4j-api-*.jar"))) + [os.path.join(jars, "*")]


def jars_first(class_path, spark_home=None):
    """An extraClassPath (`class_path`, the user's entries kept first) that
    ends with Spark's jars, so that the launcher's class path holds them
    before its conf folder."""
    entries = [e for e in (class_path or "").split(os.pathsep) if e]
    return os.pathsep.join(entries + [e for e in spark_jars(spark_home) if e not in entries])


def with_c1(options):
    """`options` (a JVM's extraJavaOptions) with C1_ONLY added, unless they
    already set the JIT's tiers."""
    options = (options or "").strip()
    if any(flag in options for flag in _JIT_FLAGS):
        return options
    return f"{options} {C1_ONLY}".strip()


def defaults_file_settings(spark_home=None):
    """The settings of the spark-defaults.conf that spark-submit will read
    ($SPARK_CONF_DIR, else SPARK_HOME/conf): 'key value' lines, '#' comments."""
    folder = os.environ.get("SPARK_CONF_DIR")
    if not folder:
        folder = os.path.join(spark_home or _spark_home(), "conf")
    settings = {}
    try:
        with open(os.path.join(folder, "spark-defaults.conf")) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    key, _, value = line.replace("\t", " ").partition(" ")
                    settings[key] = value.strip()
    except FileNotFoundError:
        pass
    return settings


def with_archive(options, archive):
    """`options` with the class-data archive's option added (`archive` a
    path, or None), unless they already choose how classes are shared."""
    options = (options or "").strip()
    if archive is None or any(flag in options for flag in _SHARE_FLAGS):
        return options
    return f"{options} -XX:SharedArchiveFile={archive}".strip()


def recording(options, archive):
    """`options` with C1_ONLY and the option that writes the classes the JVM
    loaded to `archive` as it exits (of its log lines, only its errors: why
    it wrote none)."""
    return with_c1(f"{(options or '').strip()} -XX:ArchiveClassesAtExit={archive} "
                   "-Xlog:cds=error -Xlog:cds+dynamic=error".strip())


def recording_settings(role, archive, spark_home=None):
    """The settings of a JVM of `role` ("driver" or "executor") that records
    `archive`: the options of recording(), and the class path a job gives
    the JVMs that use the archive."""
    key = ROLE_KEYS[role]
    current = defaults_file_settings(spark_home)
    return {key: recording(current.get(key), archive),
            CLASS_PATH_KEYS[key]: jars_first(current.get(CLASS_PATH_KEYS[key]), spark_home)}


def jvm_settings(given, archives=None):
    """The JVM settings to give the session, from the job's --conf (`given`,
    a dict): the executors' (and, where this process starts the driver's JVM,
    the driver's) options with C1_ONLY and their class-data archive's option
    (`archives`: a path or None per "driver" and "executor",
    spark_jvm_archive.py) added, and with an archive, Spark's jars before
    the conf folder on their class path."""
    under_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM
    if under_submit:
        from pyspark import SparkConf  # the JVM's settings: spark-defaults.conf, --conf
        current = dict(SparkConf().getAll())
    else:
        current = defaults_file_settings()
    current.update(given)
    roles = ["executor"] if under_submit else ["executor", "driver"]
    settings = {}
    for role in roles:
        key = ROLE_KEYS[role]
        options = with_c1(current.get(key))
        settings[key] = with_archive(options, (archives or {}).get(role))
        if settings[key] != options:  # the archive's option was added
            settings[CLASS_PATH_KEYS[key]] = jars_first(current.get(CLASS_PATH_KEYS[key]))
    return settings
