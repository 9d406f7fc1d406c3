#!/usr/bin/env bash
# EMR step: imgfeat's Spark job from S3 to S3, on a cluster whose nodes ran
# bootstrap.sh (docs/AWS.md).
#
#   step.sh s3://BUCKET/images/ s3://BUCKET/features/ [imgfeat run options...]
#
# Runs `spark-submit` of the installed imgfeat/spark_job.py with the nodes'
# Python environment and model cache. Settings by environment:
#   IMGFEAT_PREFIX      the environment bootstrap.sh made (/opt/imgfeat)
#   IMGFEAT_MODEL_DIR   the model cache it filled (/mnt/imgfeat/models)
#   SPARK_MASTER        yarn (EMR's); local[N] runs it on this node alone
#   SPARK_SUBMIT        spark-submit
#   EXECUTOR_CORES      cores per executor, one task per core (4)
set -euo pipefail

if (($# < 2)); then
  echo "step.sh: INPUT and OUTPUT (s3://... or shared paths) are required" >&2
  exit 2
fi
input=$1 output=$2
shift 2
prefix=${IMGFEAT_PREFIX:-/opt/imgfeat}
models=${IMGFEAT_MODEL_DIR:-/mnt/imgfeat/models}
master=${SPARK_MASTER:-yarn}
cores=${EXECUTOR_CORES:-4}
python=$prefix/bin/python
export IMGFEAT_MODEL_DIR=$models  # the driver plans with the model too
job=$("$python" -c 'import imgfeat.spark_job as j; print(j.__file__)')

# One Python worker per core (spark.task.cpus=1), each with one compiled
# model (docs/SPARK.md, "Executor cores and memory"): about 1 GB of memory
# outside the JVM heap per core.
exec "${SPARK_SUBMIT:-spark-submit}" --master "$master" --deploy-mode client \
  --conf spark.pyspark.python="$python" --conf spark.pyspark.driver.python="$python" \
  --conf spark.executorEnv.IMGFEAT_MODEL_DIR="$models" \
  --conf spark.executor.cores="$cores" --conf spark.task.cpus=1 \
  --conf spark.executor.memory=2g --conf spark.executor.memoryOverhead="${cores}g" \
  "$job" "$input" "$output" "$@"
