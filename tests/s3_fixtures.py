"""A real S3 server (moto) and the fault proxy, on free 127.0.0.1 ports, for
the S3 tests and benchmarks. Each process started here is stopped by its id."""
import contextlib
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def moto_server(auth=False, auth_after=None):
    """Yields the endpoint URL of a fresh moto server. With auth, requests are
    checked against moto's (empty) IAM: every access key is unknown. With
    auth_after=N, the first N requests are not checked (to create IAM users
    and keys); after them every request's key and SigV4 signature are."""
    port = free_port()
    env = dict(os.environ, **CREDENTIALS)
    if auth:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    if auth_after is not None:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(auth_after)
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


class Proxy:
    def __init__(self, url, log):
        self.url, self._log = url, log

    def faults(self):
        """{'503': n, 'drop': n, 'truncate': n} injected so far."""
        counts = {"503": 0, "drop": 0, "truncate": 0}
        for line in pathlib.Path(self._log.name).read_text().split("\n"):
            if line.startswith("fault "):
                counts[line.split()[1]] += 1
        return counts

    def requests(self):
        """The request lines seen so far (with log_requests=1)."""
        return [line[len("request "):] for line in
                pathlib.Path(self._log.name).read_text().split("\n")
                if line.startswith("request ")]


@contextlib.contextmanager
def fault_proxy(upstream, **faults):
    """Yields a Proxy (tests/fault_proxy.py) in front of `upstream`; faults:
    p503, pdrop, ptruncate, delay, delay_match, seed, fail_match."""
    args = [sys.executable, str(HERE / "fault_proxy.py"), "--upstream-port",
            upstream.rsplit(":", 1)[1], "--port", "0"]
    for k, v in faults.items():
        if k == "log_requests":
            args += ["--log-requests"] if v else []
            continue
        args += [f"--{k.replace('_', '-')}", str(v)]
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = proc.stdout.readline().split()
            if len(line) != 2 or line[0] != "listening":
                raise RuntimeError("fault proxy did not start")
            yield Proxy(f"http://127.0.0.1:{line[1]}", log)
        finally:
            stop(proc)


def s3_client(endpoint):
    import boto3
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def arrow_s3(endpoint):
    import pyarrow.fs as pafs
    return pafs.S3FileSystem(endpoint_override=endpoint.split("://")[1], scheme="http",
                             access_key="testing", secret_key="testing", region="us-east-1")
