#!/usr/bin/env bash
# Runs every fuzz target (or those named) of a -DIMGFEAT_FUZZ=ON build for
# SECONDS each, on its seed corpus plus the committed regression inputs, and
# prints one PASS/FAIL line per target with libFuzzer's final statistics.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]   (FUZZ_JOBS=2 runs two at once;
# FUZZ_SEED=N fixes libFuzzer's random seed, so that a short run repeats the
# same mutations: CI uses it as a gate, the long campaigns leave it random).
set -uo pipefail
build=$(cd "$1" && pwd)
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for program in "$build"/fuzz/fuzz_*; do targets+=("$(basename "$program" | sed 's/^fuzz_//')"); done
fi
if [ ! -d "$build/corpus" ]; then
  "$root/.venv/bin/python" "$root/scripts/fuzz_corpus.py" "$build/corpus" >/dev/null 2>&1 ||
    { echo "FAIL: cannot write the seed corpora"; exit 1; }
fi

run_one() {
  local target=$1 log="$build/fuzz-logs/$1.log" artifacts="$build/fuzz-artifacts/$1/"
  mkdir -p "$build/fuzz-logs" "$artifacts" "$build/corpus/$target"
  # -close_fd_mask=2 would hide the reports; the decoders print nothing on success.
  nice "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    ${FUZZ_SEED:+-seed=$FUZZ_SEED} -print_final_stats=1 -artifact_prefix="$artifacts" \
    "$build/corpus/$target" "$root/fuzz/regressions/$target" >"$log" 2>&1
  local rc=$?
  local execs cov ft
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  if [ $rc -eq 0 ]; then
    echo "PASS fuzz_$target: ${seconds}s, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}"
  else
    echo "FAIL fuzz_$target (exit $rc): see $log; inputs in $artifacts"
    grep -m3 'ERROR\|SUMMARY\|runtime error' "$log" | sed 's/^/    /'
  fi
  return $rc
}
export -f run_one
export build seconds root FUZZ_SEED
printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_JOBS:-1}" -I{} bash -c 'run_one {}'
