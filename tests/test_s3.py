"""imgfeat with s3:// INPUT and OUTPUT against a real S3 server (moto) on
127.0.0.1: the outputs equal the local-disk run's, faults end in an equal
output or one clear error line, and a run killed mid-upload resumes."""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conftest import IMGFEAT, SAMPLE, imgfeat_env, run_imgfeat, sample_files, wait_for
from s3_fixtures import CREDENTIALS, arrow_s3, fault_proxy, moto_server, s3_client

# Every test here talks to a moto server (the S3 tier).
pytestmark = pytest.mark.s3

PER_CLASS = 8  # 4 classes: 32 images, plus the broken files
RUN_FLAGS = ["--quiet", "--threads", "2"]


def broken_files():
    real = sample_files(per_class=1)[0].read_bytes()
    return {"broken/truncated.jpg": real[:200], "broken/text.jpg": b"not an image",
            "broken/empty.png": b""}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The same images as a local folder and as objects: {relative path: bytes}."""
    files = {str(f.relative_to(SAMPLE)): f.read_bytes() for f in sample_files(per_class=PER_CLASS)}
    files.update(broken_files())
    root = tmp_path_factory.mktemp("local") / "images"
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root, files


@pytest.fixture(scope="module")
def s3_server(dataset):
    _, files = dataset
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="images")
        s3.create_bucket(Bucket="features")
        for rel, data in files.items():
            s3.put_object(Bucket="images", Key=f"sample/{rel}", Body=data)
        yield endpoint


@pytest.fixture(scope="module")
def local_run(dataset, tmp_path_factory):
    root, _ = dataset
    out = tmp_path_factory.mktemp("ref") / "out"
    run_imgfeat("run", root, out, *RUN_FLAGS)
    return out


def s3_env(endpoint):
    return dict(CREDENTIALS, AWS_ENDPOINT_URL=endpoint)


def rows(table, prefix):
    """{path relative to the input: (label, length, features)}, every path once."""
    out = {}
    for path, label, length, feats in zip(*(table.column(c).to_pylist()
                                            for c in ("path", "label", "length", "features"))):
        assert path.startswith(prefix), path
        rel = path[len(prefix):]
        assert rel not in out, f"{rel} twice"
        out[rel] = (label, length, np.asarray(feats, dtype=np.float32))
    return out


def read_output(location, endpoint=None):
    if location.startswith("s3://"):
        fs, path = arrow_s3(endpoint), location[5:]
    else:
        fs, path = None, location
    data = ds.dataset(path, filesystem=fs, format="parquet",
                      exclude_invalid_files=False).to_table()
    errors = pq.read_table(f"{path}/_errors.parquet", filesystem=fs)
    return data, errors


def assert_same(local_out, local_root, location, input_prefix, endpoint):
    ref, ref_errors = read_output(str(local_out))
    got, got_errors = read_output(location, endpoint)
    ref_rows = rows(ref, str(local_root) + "/")
    got_rows = rows(got, input_prefix)
    assert sorted(got_rows) == sorted(ref_rows)
    assert len(ref_rows) == 4 * PER_CLASS
    for rel, (label, length, feats) in ref_rows.items():
        g = got_rows[rel]
        assert g[0] == label and g[1] == length
        np.testing.assert_array_equal(g[2], feats, err_msg=rel)  # bit for bit
    def errs(t, prefix):
        return sorted((p[len(prefix):], s) for p, s in zip(t.column("path").to_pylist(),
                                                            t.column("stage").to_pylist()))
    assert errs(got_errors, input_prefix) == errs(ref_errors, str(local_root) + "/")
    assert len(ref_errors) == 3


def s3_keys(endpoint, bucket, prefix):
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for o in listing.get("Contents", []))


def assert_no_uploads(endpoint, bucket):
    assert s3_client(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_s3_to_s3_equals_local(s3_server, dataset, local_run):
    root, _ = dataset
    run_imgfeat("run", "s3://images/sample", "s3://features/s3s3", *RUN_FLAGS,
                env=s3_env(s3_server))
    assert_same(local_run, root, "s3://features/s3s3", "s3://images/sample/", s3_server)
    keys = s3_keys(s3_server, "features", "s3s3/")
    assert not any(k.startswith("_temporary") for k in keys), keys
    assert {"_SUCCESS", "_errors.parquet", "_imgfeat.json", "_reducer.parquet",
            "_distortion.parquet"} <= set(keys)
    assert_no_uploads(s3_server, "features")
    # The distortion sample: every pair of the sampled rows, all of them S3 paths.
    body = s3_client(s3_server).get_object(Bucket="features", Key="s3s3/_distortion.parquet")["Body"].read()
    pairs = pq.read_table(pa.BufferReader(body))
    sampled = len(set(pairs.column("path_a").to_pylist()) | set(pairs.column("path_b").to_pylist()))
    assert pairs.num_rows == sampled * (sampled - 1) // 2 and sampled >= 2
    assert all(p.startswith("s3://images/sample/") for p in pairs.column("path_a").to_pylist())
    # modification_time is the object's LastModified (S3 keeps whole seconds).
    got, _ = read_output("s3://features/s3s3", s3_server)
    head = s3_client(s3_server).head_object(Bucket="images", Key="sample/" + str(
        sample_files(per_class=1)[0].relative_to(SAMPLE)))
    times = dict(zip(got.column("path").to_pylist(),
                     got.column("modification_time").cast("int64").to_pylist()))
    key = "s3://images/sample/" + str(sample_files(per_class=1)[0].relative_to(SAMPLE))
    assert times[key] == int(head["LastModified"].timestamp()) * 1_000_000


def test_local_to_s3_and_s3_to_local_equal_local(s3_server, dataset, local_run, tmp_path):
    root, _ = dataset
    run_imgfeat("run", root, "s3://features/local-s3", *RUN_FLAGS, "--s3-endpoint", s3_server,
                env=CREDENTIALS)
    assert_same(local_run, root, "s3://features/local-s3", str(root) + "/", s3_server)
    out = tmp_path / "s3-local"
    run_imgfeat("run", "s3://images/sample", out, *RUN_FLAGS, env=s3_env(s3_server))
    assert_same(local_run, root, str(out), "s3://images/sample/", s3_server)


def test_listing_is_paged_and_signed_as_s3_checks_it(tmp_path):
    """The listing's own ListObjectsV2 requests (one page held at a time,
    docs/S3.md) against a server that checks every key and signature: more
    than one page; a wrong secret fails in one line. (Temporary credentials
    from moto's STS are refused by moto for Arrow's own requests too, so a
    session token is not tested here.) (moto's check is wrong for keys and prefixes
    with '/', '+', '%' or non-ASCII bytes, which boto3's own requests fail
    too: the bucket's root is listed here, such names are listed in
    test_listing_of_names_that_need_encoding.)"""
    import boto3

    jpg = sample_files("Train", per_class=1)[0].read_bytes()
    with moto_server(auth_after=4) as endpoint:
        admin = dict(endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing")
        iam = boto3.client("iam", **admin)
        iam.create_user(UserName="lister")
        key = iam.create_access_key(UserName="lister")["AccessKey"]
        policy = iam.create_policy(PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        iam.attach_user_policy(UserName="lister", PolicyArn=policy["Policy"]["Arn"])
        # From here on moto checks the key and the signature of every request.
        user = dict(endpoint_url=endpoint, region_name="us-east-1",
                    aws_access_key_id=key["AccessKeyId"],
                    aws_secret_access_key=key["SecretAccessKey"])
        s3 = boto3.client("s3", **user)
        s3.create_bucket(Bucket="signed")
        names = ["a b.jpg", "zz top.jpg", "x.jpg"]
        for name in names:
            s3.put_object(Bucket="signed", Key=name, Body=jpg)
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket="signed", Key=f"n/{i:05d} x.txt",
                                                  Body=b"x"), range(1100)))
        env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1"}
        out = tmp_path / "out"
        run_imgfeat("run", "s3://signed", out, "--components", "8", "--quiet", env=env)
        got = sorted(pq.read_table(sorted(out.glob("part-*.parquet"))).column("path").to_pylist())
        assert got == sorted(f"s3://signed/{n}" for n in names)

        wrong = dict(env, AWS_SECRET_ACCESS_KEY="not-the-secret")
        proc = run_imgfeat("run", "s3://signed", tmp_path / "out3", "--components", "8",
                           "--quiet", "--s3-attempts", "1", env=wrong, check=False)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "s3://signed" in lines[0], proc.stderr


def test_listing_of_names_that_need_encoding(tmp_path):
    """Keys and a prefix with spaces, '+', '%' and non-ASCII letters, over
    more than one page: every image listed once, under its own name."""
    jpg = sample_files("Train", per_class=1)[0].read_bytes()
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="names")
        prefix = "in dir+%/fr\u00fcchte"
        names = ["a b.jpg", "c+d.jpg", "e%20f.jpg", "\u00e9t\u00e9.jpg", "g&h<i>.jpg"]
        for name in names:
            s3.put_object(Bucket="names", Key=f"{prefix}/{name}", Body=jpg)
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket="names", Key=f"{prefix}/n/{i:05d}.txt",
                                                  Body=b"x"), range(1100)))
        out = tmp_path / "out"
        run_imgfeat("run", f"s3://names/{prefix}", out, "--components", "8", "--quiet",
                    env=s3_env(endpoint))
    got = sorted(pq.read_table(sorted(out.glob("part-*.parquet"))).column("path").to_pylist())
    assert got == sorted(f"s3://names/{prefix}/{n}" for n in names)


def test_anonymous_access(s3_server, tmp_path):
    """--s3-anonymous sends unsigned requests: public objects are read; in a
    private bucket every GET is refused, and each refusal is an _errors row."""
    s3 = s3_client(s3_server)
    s3.create_bucket(Bucket="public", ACL="public-read")
    for f in sample_files(per_class=1):
        s3.put_object(Bucket="public", Key=f"img/{f.parent.name}/{f.name}", Body=f.read_bytes(),
                      ACL="public-read")
    env = {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_EC2_METADATA_DISABLED": "true"}
    out = tmp_path / "anon"
    run_imgfeat("run", "s3://public/img", out, *RUN_FLAGS, "--components", "8",
                "--s3-anonymous", env=env)
    got, errors = read_output(str(out))
    assert sorted(got.column("label").to_pylist()) == ["apple", "lemon", "mango", "raspberry"]
    assert errors.num_rows == 0
    run_imgfeat("run", "s3://images/sample/Train/apple", tmp_path / "private", *RUN_FLAGS,
                "--components", "8", "--s3-anonymous", env=env)
    got, errors = read_output(str(tmp_path / "private"))
    assert got.num_rows == 0 and errors.num_rows == PER_CLASS
    assert set(errors.column("stage").to_pylist()) == {"read"}
    assert all("ACCESS_DENIED" in e for e in errors.column("error").to_pylist())


def test_reducer_from_s3_gives_the_same_features(s3_server, dataset, local_run, tmp_path):
    root, _ = dataset
    s3 = s3_client(s3_server)
    s3.upload_file(str(local_run / "_reducer.parquet"), "features", "saved/_reducer.parquet")
    out = tmp_path / "reused"
    run_imgfeat("run", root, out, *RUN_FLAGS, "--reducer-from",
                "s3://features/saved/_reducer.parquet", env=s3_env(s3_server))
    a, _ = read_output(str(local_run))
    b, _ = read_output(str(out))
    assert rows(a, str(root)).keys() == rows(b, str(root)).keys()
    for rel, v in rows(a, str(root)).items():
        np.testing.assert_array_equal(rows(b, str(root))[rel][2], v[2])


def test_overwrite_and_refusal_on_s3(s3_server):
    loc = "s3://features/again"
    run_imgfeat("run", "s3://images/sample/Train/apple", loc, *RUN_FLAGS, env=s3_env(s3_server))
    proc = run_imgfeat("run", "s3://images/sample/Train/apple", loc, *RUN_FLAGS, check=False,
                       env=s3_env(s3_server))
    assert proc.returncode != 0 and "already exists" in proc.stderr
    run_imgfeat("run", "s3://images/sample/Train/lemon", loc, *RUN_FLAGS, "--overwrite",
                env=s3_env(s3_server))
    got, _ = read_output(loc, s3_server)
    assert set(got.column("label").to_pylist()) == {"lemon"}


def test_faults_end_in_an_equal_output(s3_server, dataset, local_run):
    """503 SlowDown, dropped connections, bodies cut short and delays on every
    kind of request: retries make the run complete and equal."""
    root, _ = dataset
    with fault_proxy(s3_server, p503=0.15, pdrop=0.05, ptruncate=0.15, delay=0.01) as flaky:
        run_imgfeat("run", "s3://images/sample", "s3://features/faults", *RUN_FLAGS,
                    env=s3_env(flaky.url), timeout=600)
        injected = flaky.faults()
    assert all(n >= 1 for n in injected.values()), injected
    assert_same(local_run, root, "s3://features/faults", "s3://images/sample/", s3_server)
    assert_no_uploads(s3_server, "features")


def one_line_failure(args, env, limit=300):
    """Runs imgfeat, which must fail with one line. `limit` is generous: a run
    that does not give up by itself (a hang, retries without end) exceeds it
    and fails the test with TimeoutExpired."""
    proc = run_imgfeat("run", *args, *RUN_FLAGS, check=False, env=env, timeout=limit)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("imgfeat: "), proc.stderr
    return lines[0]


def test_missing_bucket_is_one_line(s3_server, tmp_path):
    line = one_line_failure(["s3://no-such-bucket/x", tmp_path / "o"], s3_env(s3_server))
    assert "no-such-bucket" in line and "does not exist" in line
    line = one_line_failure(["s3://images/sample/Train/apple", "s3://no-such-bucket/o"],
                            s3_env(s3_server))
    assert "no-such-bucket" in line and "does not exist" in line


def test_missing_prefix_is_one_line(s3_server, tmp_path):
    line = one_line_failure(["s3://images/nothing-here", tmp_path / "o"], s3_env(s3_server))
    assert "s3://images/nothing-here" in line


def test_wrong_credentials_are_one_line(tmp_path):
    with moto_server(auth=True) as endpoint:
        line = one_line_failure(["s3://images/sample", tmp_path / "o"], s3_env(endpoint))
    assert "s3://images/sample" in line
    assert "access key" in line.lower() or "denied" in line.lower() or "403" in line, line


def test_unreachable_endpoint_is_one_line(tmp_path):
    """Refused connections are retried a bounded number of times, then the
    run ends with one line (a run retrying without end exceeds the limit)."""
    from s3_fixtures import free_port
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    line = one_line_failure(["s3://images/sample", tmp_path / "o"], s3_env(dead))
    assert "s3://images/sample" in line


def test_kill_during_upload_then_resume(s3_server, dataset, local_run):
    """A run killed while its parts are being uploaded leaves only whole parts
    and no unfinished upload; --resume then gives every image exactly once."""
    root, _ = dataset
    loc, prefix = "s3://features/killed", "killed/"
    with fault_proxy(s3_server, delay=0.05) as slow:
        env = imgfeat_env(s3_env(slow.url))
        proc = subprocess.Popen([str(IMGFEAT), "run", "s3://images/sample", loc, *RUN_FLAGS,
                                 "--rows-per-part", "2"], env=env, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: sum(k.startswith("part-")
                                 for k in s3_keys(s3_server, "features", prefix)) >= 3,
                     "3 parts uploaded", proc=proc)
            proc.send_signal(signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    keys = s3_keys(s3_server, "features", prefix)
    assert "_SUCCESS" not in keys
    parts = [k for k in keys if k.startswith("part-")]
    assert 3 <= len(parts) < 16
    fs = arrow_s3(s3_server)
    for part in parts:  # every object under a final name is a whole Parquet file
        pq.read_table(f"features/{prefix}{part}", filesystem=fs)
    assert_no_uploads(s3_server, "features")

    proc = run_imgfeat("run", "s3://images/sample", loc, *RUN_FLAGS, "--rows-per-part", "2",
                       "--resume", env=s3_env(s3_server))
    assert_same(local_run, root, loc, "s3://images/sample/", s3_server)
    assert "_SUCCESS" in s3_keys(s3_server, "features", prefix)
    assert_no_uploads(s3_server, "features")


def test_model_dir_on_s3(s3_server, dataset, local_run, tmp_path):
    """--model-dir s3://...: the model is copied to the cache once and gives
    the same features."""
    root, _ = dataset
    from conftest import MODELS
    name = "mobilenet_v2_1.0_224/mobilenet_v2_1.0_224_no_top_nhwc.onnx"
    s3_client(s3_server).upload_file(str(MODELS / name), "features", f"models/{name}")
    env = dict(s3_env(s3_server), XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = tmp_path / "out"
    run_imgfeat("run", root / "Train" / "apple", out, *RUN_FLAGS, "--components", "32",
                "--model-dir", "s3://features/models", env=env)
    copy = tmp_path / "cache" / "imgfeat" / "models" / "s3" / "features" / "models" / name
    assert copy.read_bytes() == (MODELS / name).read_bytes()
    ref = tmp_path / "ref"
    run_imgfeat("run", root / "Train" / "apple", ref, *RUN_FLAGS, "--components", "32")
    a, b = read_output(str(ref))[0], read_output(str(out))[0]
    assert a.column("path").to_pylist() == b.column("path").to_pylist()
    assert a.column("features").to_pylist() == b.column("features").to_pylist()
    proc = run_imgfeat("run", root, tmp_path / "o2", *RUN_FLAGS, "--model-dir",
                       "s3://features/no-models", check=False, env=env)
    assert proc.returncode != 0 and "s3://features/no-models" in proc.stderr


def test_pca_to_s3_saves_its_reducer_there(s3_server, dataset, tmp_path):
    """PCA on S3 output: the spill stays local, the fitted reducer is saved to
    the bucket, and the rows equal a local PCA run's."""
    root, _ = dataset
    flags = [*RUN_FLAGS, "--reduce", "pca", "--components", "4", "--glob", "*.jpg"]
    ref = tmp_path / "ref"
    run_imgfeat("run", root, ref, *flags)
    run_imgfeat("run", "s3://images/sample", "s3://features/pca", *flags, env=s3_env(s3_server))
    keys = s3_keys(s3_server, "features", "pca/")
    assert "_reducer.parquet" in keys and "_SUCCESS" in keys
    a, b = read_output(str(ref))[0], read_output("s3://features/pca", s3_server)[0]
    ra, rb = rows(a, str(root) + "/"), rows(b, "s3://images/sample/")
    assert ra.keys() == rb.keys() and len(ra) == 4 * PER_CLASS
    for rel, v in ra.items():
        np.testing.assert_allclose(rb[rel][2], v[2], rtol=1e-5, atol=1e-4, err_msg=rel)


def test_a_stalled_server_is_one_line(s3_server, tmp_path):
    """A server that accepts and never answers: each try gives up after 3 s
    without a byte, so the run ends with one line instead of hanging. The
    proxy holds every request for an hour, past one_line_failure's limit: only
    imgfeat's own timeout ends the run in time."""
    with fault_proxy(s3_server, delay=3600) as stalled:
        line = one_line_failure(["s3://images/sample", tmp_path / "o", "--s3-attempts", "2"],
                                s3_env(stalled.url))
    assert "s3://images/sample" in line and "Timeout" in line, line


def test_a_failed_multipart_upload_leaves_nothing_under_the_final_name(s3_server, tmp_path):
    """A part over 10 MiB (only with --rows-per-part) goes up as a multipart
    upload; when S3 refuses to complete it, the run fails with one line and
    nothing appears under the part's name. (Arrow marks the stream closed when
    the completion fails, so the unfinished upload itself cannot be aborted:
    docs/S3.md's lifecycle rule removes it.)"""
    src = tmp_path / "images"
    for f in sample_files(per_class=70):  # about 12 MB of Parquet in one part
        (src / f.parent.name).mkdir(parents=True, exist_ok=True)
        (src / f.parent.name / f.name).write_bytes(f.read_bytes())
    with fault_proxy(s3_server, fail_match=r"^POST .*uploadId=") as refusing:
        line = one_line_failure([src, "s3://features/multipart", "--reduce", "none",
                                 "--rows-per-part", "100000", "--s3-attempts", "2"],
                                s3_env(refusing.url))
        assert refusing.faults()["503"] >= 1
    assert "multipart" in line, line
    keys = s3_keys(s3_server, "features", "multipart/")
    assert not any(k.startswith("part-") or k == "_SUCCESS" for k in keys), keys
