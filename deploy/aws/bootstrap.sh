#!/usr/bin/env bash
# EMR bootstrap action: installs imgfeat on a node (docs/AWS.md).
#
#   bootstrap.sh --wheel s3://BUCKET/wheels/imgfeat-VERSION-....whl \
#                --models s3://BUCKET/models/ [--prefix /opt/imgfeat] \
#                [--model-cache /mnt/imgfeat/models] [--env-file /etc/profile.d/imgfeat.sh]
#
# - Python 3.11 (Amazon Linux 2023 installs it with dnf when it is missing),
#   and a virtual environment at PREFIX with the wheel from S3 in it: the
#   `imgfeat` command and the Python package with its Spark module;
# - the model files from S3 into MODEL_CACHE, once per node: a second run,
#   or a second bootstrap at the same time, finds them there (a lock, and a
#   marker written after the last file);
# - ENV_FILE: PATH and IMGFEAT_MODEL_DIR for the node's shells.
# The `aws` command line (on every EMR node) reads S3; AWS_ENDPOINT_URL points
# it elsewhere (a test server).
set -euo pipefail

wheel="" models="" prefix=/opt/imgfeat model_cache=/mnt/imgfeat/models
env_file=/etc/profile.d/imgfeat.sh
while (($#)); do
  case $1 in
    --wheel) wheel=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --model-cache) model_cache=$2; shift 2 ;;
    --env-file) env_file=$2; shift 2 ;;
    *) echo "bootstrap.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ -z $wheel || -z $models ]]; then
  echo "bootstrap.sh: --wheel s3://.../imgfeat-*.whl and --models s3://.../ are required" >&2
  exit 2
fi

# EMR runs bootstrap actions as the hadoop user, which may sudo.
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

python=${IMGFEAT_PYTHON:-python3.11}
if ! command -v "$python" >/dev/null; then
  echo "bootstrap.sh: installing Python 3.11"
  $sudo dnf install -y -q python3.11 python3.11-pip
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "bootstrap.sh: installing $wheel into $prefix"
aws s3 cp --only-show-errors "$wheel" "$work/"
$sudo mkdir -p "$prefix"
$sudo chown "$(id -u):$(id -g)" "$prefix"
if [[ ! -x $prefix/bin/python ]]; then
  "$python" -m venv "$prefix"
fi
# [spark]: pandas, which PySpark's mapInArrow needs in every Python it runs.
wheel_file=$(echo "$work"/imgfeat-*.whl)
"$prefix/bin/python" -m pip install -q --disable-pip-version-check "${wheel_file}[spark]"

# Once per node: under a lock, and only when no complete copy is there.
$sudo mkdir -p "$model_cache"
$sudo chown "$(id -u):$(id -g)" "$model_cache"
(
  flock 9
  if [[ -f $model_cache/.complete ]]; then
    echo "bootstrap.sh: the models are already in $model_cache"
  else
    echo "bootstrap.sh: copying $models to $model_cache"
    aws s3 cp --only-show-errors --recursive "$models" "$model_cache/"
    touch "$model_cache/.complete"
  fi
) 9>"$model_cache/.lock"

$sudo mkdir -p "$(dirname "$env_file")"
# $PATH is written as is, for the shells that read the file to expand.
# shellcheck disable=SC2016
printf 'export PATH="%s/bin:$PATH"\nexport IMGFEAT_MODEL_DIR="%s"\n' "$prefix" "$model_cache" |
  $sudo tee "$env_file" >/dev/null

# Fails the bootstrap (and so the node) when the model does not load.
IMGFEAT_MODEL_DIR=$model_cache "$prefix/bin/imgfeat" models fetch mobilenet_v2 >/dev/null
echo "bootstrap.sh: imgfeat is ready: $prefix/bin/imgfeat, models in $model_cache"
