#!/usr/bin/env bash
# Runs every benchmark behind docs/BENCHMARKS.md and prints its figures.
#   bench/run_all.sh [BUILD_DIR]     (make bench)
# The machine should be otherwise idle; each comparison is made within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
py=.venv/bin/python
export IMGFEAT_MODEL_DIR=${IMGFEAT_MODEL_DIR:-$(realpath ../shared/models)}

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Flags)' | cut -c1-120
echo "== decode + resize + preprocess (imgfeat vs Pillow)"
"$build/bench/decode_resize_bench"
$py bench/pillow_decode_resize.py
echo "== inference engines"
"$build/bench/engine_bench"
echo "== end to end, features in memory"
"$build/bench/pipeline_bench" --images 2000
echo "== end to end, imgfeat run vs the notebook's pipeline"
$py bench/end_to_end.py --images 1000
echo "== report over 100,000 x 9,468 (a 3 GB synthetic output in a temporary folder)"
report_dir=$(mktemp -d)
trap 'rm -rf "$report_dir"' EXIT
"$build/bench/report_bench" write "$report_dir/out"
/usr/bin/time -f "peak RSS %M KiB, %e s" "$build/bench/report_bench" report "$report_dir/out"
"$build/bench/report_bench" pairs
echo "== S3: images/s from a local S3 server against the local disk (--list 100000: listing memory)"
IMGFEAT_BUILD="$build" $py bench/s3_bench.py --images 1000
echo "== --embedding: time and bytes against a default run (the sample)"
IMGFEAT_BUILD="$build" $py bench/embedding_cost.py --rounds 3
echo "== near-duplicates: precision and recall on a set with known copies, beside phash (docs/DUPLICATES.md)"
if $py -c 'import imagehash' 2>/dev/null; then
  IMGFEAT_BUILD="$build" $py bench/duplicates_eval.py --at 0.955 0.975
else
  echo "skipped: imagehash is not installed (make setup-test installs requirements-test.txt)"
fi
echo "== neighbours at 10,000 / 100,000 / 1,000,000 rows (synthetic rows with the sample's pooled covariance)"
"$build/imgfeat" run ../shared/datasets/fruits-360-sample "$report_dir/pooled" --pooling avg \
  --reduce none --quiet
IMGFEAT_BUILD="$build" $py bench/neighbours_scale.py --like "$report_dir/pooled"
