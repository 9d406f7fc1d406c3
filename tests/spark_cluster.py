"""A Spark standalone cluster on 127.0.0.1 from the PySpark distribution: a
master and workers, each its own JVM started here on free ports (web UIs
included), executors in their own JVMs under the workers. Every process
started here, and every process under it (executors, Python workers), is
stopped by its id in stop(), whatever happened before."""
import contextlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

from conftest import BUILD, MODELS
from s3_fixtures import CREDENTIALS, free_port, wait_for_port


def spark_home():
    import pyspark
    return pathlib.Path(pyspark.__file__).resolve().parent


def _children():
    """{ppid: [pid, ...]} of every process now running."""
    tree = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid):
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# An executor's first line of its own (at INFO), in this pattern.
LOG4J_PATTERN = r"\d\d:\d\d:\d\d\.\d\d\d INFO CoarseGrainedExecutorBackend: Started daemon"
LOG4J_PROPERTIES = """rootLogger.level = warn
logger.executor.name = org.apache.spark.executor.CoarseGrainedExecutorBackend
logger.executor.level = info
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
"""


class SparkCluster:
    def __init__(self, root, workers=2, pin_workers=False):
        self.root = pathlib.Path(root)
        self.n_workers = workers
        # Worker i (and so its executors and their Python workers) on CPU i
        # alone, so that "one core" is one core (benchmarks).
        self.pin_workers = pin_workers
        self.procs = []  # everything started here
        self.workers = []
        conf = self.root / "conf"
        conf.mkdir(parents=True, exist_ok=True)  # no site settings are read
        # A conf folder as a real cluster's, never empty: Spark's logging
        # with millisecond times (an executor's LOG4J_PATTERN line shows it
        # was read).
        (conf / "log4j2.properties").write_text(LOG4J_PROPERTIES)
        python_path = [str(BUILD / "python")] + [p for p in os.environ.get("PYTHONPATH", "")
                                                  .split(os.pathsep) if p]
        self.env = dict(os.environ, **CREDENTIALS)
        self.env.update({
            "SPARK_HOME": str(spark_home()), "SPARK_CONF_DIR": str(conf),
            "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_HOSTNAME": "localhost",
            "SPARK_LOG_DIR": str(self.root / "logs"),
            "SPARK_LOCAL_DIRS": str(self.root / "local"),
            "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
            "PYTHONPATH": os.pathsep.join(python_path), "TZ": "UTC"})
        if MODELS.is_dir():
            self.env.setdefault("IMGFEAT_MODEL_DIR", str(MODELS))
        # The workers run in folders of their own: a relative folder given
        # by the caller (the benchmarks' commands) is made absolute here.
        if self.env.get("IMGFEAT_MODEL_DIR"):
            self.env["IMGFEAT_MODEL_DIR"] = os.path.abspath(self.env["IMGFEAT_MODEL_DIR"])

    def _start(self, args, log_name, cpu=None):
        log = open(self.root / f"{log_name}.log", "w")
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        proc = subprocess.Popen([*pin, str(spark_home() / "bin" / "spark-class"), *args],
                                env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, timeout=120):
        port, ui = free_port(), free_port()
        self.master_proc = self._start(["org.apache.spark.deploy.master.Master", "--host",
                                        "127.0.0.1", "--port", str(port), "--webui-port",
                                        str(ui)], "master")
        self.url, self.ui = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}"
        wait_for_port(port, self.master_proc, timeout)
        wait_for_port(ui, self.master_proc, timeout)
        for i in range(self.n_workers):
            work = self.root / f"work-{i}"
            work.mkdir(exist_ok=True)
            self.workers.append(self._start(
                ["org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                 "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", "1",
                 "--memory", "2g", "--work-dir", str(work)], f"worker-{i}",
                cpu=i % os.cpu_count() if self.pin_workers else None))
        deadline = time.time() + timeout
        while self.alive_workers() < self.n_workers:
            if time.time() > deadline:
                raise RuntimeError(f"{self.alive_workers()} of {self.n_workers} Spark workers "
                                   f"registered after {timeout} s; logs in {self.root}")
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a Spark daemon exited ({proc.returncode}); logs in "
                                       f"{self.root}")
            time.sleep(0.5)
        return self

    def alive_workers(self):
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(self.ui + "/json/", timeout=2) as r:
                return int(json.load(r).get("aliveworkers", 0))
        return 0

    def executor_pids(self):
        """The executor JVMs now running under this cluster's workers."""
        return [pid for w in self.workers for pid in descendants(w.pid)
                if "CoarseGrainedExecutorBackend" in cmdline(pid)]

    def submit(self, *job_args, conf=(), log_name="driver"):
        """Starts `python -m imgfeat.spark_job` against this cluster (a driver
        process of its own, stopped with the cluster)."""
        args = [sys.executable, "-m", "imgfeat.spark_job", *map(str, job_args), "--master",
                self.url, "--quiet", "--conf", "spark.ui.enabled=false",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.executor.cores=1",
                "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2"]
        for setting in conf:
            args += ["--conf", setting]
        return self.submit_command(args, log_name)

    def submit_command(self, args, log_name="driver"):
        """Starts a driver command (its output in ROOT/LOG_NAME.log)."""
        args = [str(a) for a in args]
        log = open(self.root / f"{log_name}.log", "w")
        proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        proc.log_path = self.root / f"{log_name}.log"
        self.procs.append(proc)
        return proc

    def run(self, *job_args, conf=(), timeout=600, log_name="driver"):
        return self.wait(self.submit(*job_args, conf=conf, log_name=log_name), timeout)

    def wait(self, proc, timeout=600):
        """Waits for a driver; fails with the end of its log unless it succeeded."""
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill_tree(proc)
            raise AssertionError(f"spark_job did not finish in {timeout} s:\n"
                                 + proc.log_path.read_text()[-4000:])
        if proc.returncode != 0:
            raise AssertionError(f"spark_job failed ({proc.returncode}):\n"
                                 + proc.log_path.read_text()[-4000:])
        return proc

    def kill(self, proc):
        """SIGKILL to a driver started here and every process under it."""
        pids = [proc.pid] + descendants(proc.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(30)

    @staticmethod
    def _kill_tree(proc):
        pids = [proc.pid]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is None:
                pids = list(dict.fromkeys(pids + descendants(proc.pid)))
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.time() + 10
            while proc.poll() is None and time.time() < deadline:
                time.sleep(0.1)
            if proc.poll() is not None and not any(os.path.exists(f"/proc/{p}") and
                                                   "Z" not in _state(p) for p in pids):
                return

    def stop(self):
        # Drivers first (they end their applications), then workers (with
        # their executors and Python workers), then the master.
        for proc in reversed(self.procs):
            self._kill_tree(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def classes_by_source(log_text):
    """Counts of a JVM's -Xlog:class+load log: classes mapped from the top
    layer of a class-data archive (the node's), and classes read from jars."""
    return (log_text.count("source: shared objects file (top)"),
            log_text.count("source: file:"))


def run_to_end(cmd, env, cwd=None, timeout=900):
    """Runs `cmd` (spark-submit, or a script that starts one) to its end:
    (returncode, stdout, stderr). Past `timeout` it and every process under
    it (the JVM, its Python workers) are killed, so that nothing of it
    outlives a failing test."""
    proc = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        SparkCluster._kill_tree(proc)
        out, err = proc.communicate()
        raise AssertionError(f"{cmd} did not finish in {timeout} s:\n{err[-4000:]}")
    return proc.returncode, out, err
