"""The AWS deployment kit (deploy/aws, docs/AWS.md) as an EMR node runs it,
against the moto S3 server on 127.0.0.1 with the real `aws` command line:
bootstrap.sh installs the wheel from "S3" into a fresh virtual environment and
copies the model once per node; the installed `imgfeat` runs from S3 to S3;
step.sh runs the Spark job from S3 to S3 (a local master in place of YARN) and
gives the CLI's rows. shellcheck passes on every script of the kit."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import MODELS, ROOT, sample_files
from s3_fixtures import CREDENTIALS, moto_server, s3_client
from spark_cluster import run_to_end

pytestmark = [pytest.mark.wheel, pytest.mark.s3, pytest.mark.spark]

KIT = ROOT / "deploy" / "aws"


def run(cmd, env, cwd=None, timeout=900):
    code, out, err = run_to_end(cmd, env, cwd, timeout)
    assert code == 0, f"{cmd} failed:\n{out[-3000:]}\n{err[-5000:]}"
    return out


def test_shellcheck_passes_on_every_script():
    scripts = sorted(KIT.glob("*.sh"))
    assert len(scripts) >= 2
    proc = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    json.loads((KIT / "iam-policy.json").read_text())  # the policy is valid JSON


def read_rows(s3, bucket, prefix):
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"])
    assert f"{prefix}/_SUCCESS" in keys, keys
    tables = [pq.read_table(pa.BufferReader(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
              for k in keys if k.rsplit("/", 1)[1].startswith("part-")]
    return pa.concat_tables(tables).sort_by("path")


def test_bootstrap_then_cli_and_step_from_s3_to_s3(wheel, tmp_path):
    images = sample_files("Test", per_class=2)
    node = tmp_path / "node"
    with moto_server() as endpoint:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="my-bucket")
        s3.upload_file(wheel, "my-bucket", f"wheels/{os.path.basename(wheel)}")
        for f in MODELS.rglob("*"):
            if f.is_file():
                s3.upload_file(str(f), "my-bucket", f"models/{f.relative_to(MODELS)}")
        s3.create_bucket(Bucket="my-images")
        s3.create_bucket(Bucket="my-features")
        for f in images:
            s3.upload_file(str(f), "my-images", f"fruits/{f.parent.name}/{f.name}")

        # A node: no imgfeat, no model; the aws command line (from PyPI) and
        # Python 3.11 on PATH, S3 at the test server.
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "IMGFEAT_MODEL_DIR", "LD_LIBRARY_PATH")}
        env.update(CREDENTIALS, AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="us-east-1",
                   IMGFEAT_PYTHON=sys._base_executable, TZ="UTC",
                   PATH=os.pathsep.join([str(ROOT / ".venv" / "bin"), os.environ["PATH"]]))
        bootstrap = [KIT / "bootstrap.sh", "--wheel",
                     f"s3://my-bucket/wheels/{os.path.basename(wheel)}",
                     "--models", "s3://my-bucket/models/", "--prefix", node / "imgfeat",
                     "--model-cache", node / "models", "--env-file", node / "imgfeat.sh"]
        first = run(bootstrap, env)
        assert "copying s3://my-bucket/models/" in first
        prefix = node / "imgfeat"
        assert (node / "models" / ".complete").exists()
        for f in MODELS.rglob("*"):
            if f.is_file():
                copied = node / "models" / f.relative_to(MODELS)
                assert copied.read_bytes() == f.read_bytes(), copied
        profile = (node / "imgfeat.sh").read_text()
        assert f'IMGFEAT_MODEL_DIR="{node / "models"}"' in profile
        assert f'PATH="{prefix}/bin:$PATH"' in profile
        # Once per node: a second bootstrap (another action, a re-run) copies nothing.
        assert "already in" in run(bootstrap, env)

        # The node's shells: the env file, then the CLI from S3 to S3.
        run(["bash", "-c", f". {node / 'imgfeat.sh'} && command -v imgfeat | grep -q "
             f"'^{prefix}/bin/imgfeat$' && imgfeat run s3://my-images/fruits "
             f"s3://my-features/fruits-cli --components 64 --quiet"], env)
        cli = read_rows(s3, "my-features", "fruits-cli")
        assert cli.num_rows == len(images)

        # The EMR step, with a local master in place of YARN.
        pyspark_bin = ROOT / ".venv" / "bin"
        step_env = dict(env, IMGFEAT_PREFIX=str(prefix), IMGFEAT_MODEL_DIR=str(node / "models"),
                        SPARK_MASTER="local[2]", EXECUTOR_CORES="1", SPARK_LOCAL_IP="127.0.0.1",
                        SPARK_SUBMIT=str(pyspark_bin / "spark-submit"))
        run([KIT / "step.sh", "s3://my-images/fruits/", "s3://my-features/fruits-srp/",
             "--components", "64"], step_env, cwd=tmp_path)
        spark = read_rows(s3, "my-features", "fruits-srp")
        assert spark.column("path").to_pylist() == cli.column("path").to_pylist()
        assert spark.column("label").to_pylist() == cli.column("label").to_pylist()
        np.testing.assert_array_equal(
            np.stack(spark.column("features").to_numpy(zero_copy_only=False)),
            np.stack(cli.column("features").to_numpy(zero_copy_only=False)))
    shutil.rmtree(node, ignore_errors=True)
