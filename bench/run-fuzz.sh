#!/usr/bin/env bash
# bench/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]: runs each libFuzzer target (fuzz/)
# for longer than CI does, one after the other on one core (-workers=1 -jobs=1), and
# prints per target and in total: executions, executions/s, coverage and findings
# (crashes, leaks, timeouts, out-of-memory, sanitizer reports, failed properties).
# Default: 300 s per target, every target of fuzz/CMakeLists.txt. Exits 1 when anything was found.
#
# The corpus each target grows is kept in BUILD/fuzz/long/<target>/corpus (the seeds
# in fuzz/corpus/ are read, never written); findings land in BUILD/fuzz/long/findings/.
# BUILD is build-fuzz (SYLK_FUZZ_BUILD=DIR for another); it is configured with clang and
# the targets are built when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-300}
shift || true
targets=("$@")
# Every target fuzz/CMakeLists.txt builds, unless some are named.
((${#targets[@]})) || read -r -a targets <<< "$(sed -n '/^set(fuzz_targets/,/)/p' "$root/fuzz/CMakeLists.txt" |
  sed 's/^set(fuzz_targets//' | tr -d ')' | tr '\n' ' ')"
build=${SYLK_FUZZ_BUILD:-$root/build-fuzz}

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYLK_BUILD_FUZZERS=ON \
    -DSYLK_BUILD_TESTS=OFF -DSYLK_BUILD_PYTHON=OFF -DSYLK_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j2 --target fuzzers >/dev/null

long=$build/fuzz/long
findings_dir=$long/findings
mkdir -p "$findings_dir"

final_stat() {  # stat NAME LOG: a "stat::NAME: value" line of libFuzzer's final statistics
  sed -n "s/^stat::$1: *//p" "$2" | tail -1
}

total_execs=0
total_seconds=0
total_findings=0
rows=()
for target in "${targets[@]}"; do
  work=$long/$target
  mkdir -p "$work/corpus"
  dict=()
  [[ -f "$root/fuzz/dict/$target.dict" ]] && dict=("-dict=$root/fuzz/dict/$target.dict")
  before=$(find "$findings_dir" -name "$target-*" | wc -l)
  echo "== $target: ${seconds}s" >&2
  started=$(date +%s)
  # -jobs=1 runs the fuzzer in a child process whose output goes to fuzz-0.log in the
  # working directory; a crash ends it (and is counted below).
  (cd "$work" && rm -f fuzz-0.log &&
     "$build/fuzz/fuzz_$target" -workers=1 -jobs=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$findings_dir/$target-" "${dict[@]}" \
       corpus "$root/fuzz/corpus/$target" >/dev/null 2>&1) || true
  elapsed=$(( $(date +%s) - started ))
  log=$work/fuzz-0.log
  [[ -f "$log" ]] || echo "no log: the target did not run" >"$log"
  cp "$log" "$work/last-run.log"
  execs=$(final_stat number_of_executed_units "$log"); execs=${execs:-0}
  coverage=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  artifacts=$(( $(find "$findings_dir" -name "$target-*" | wc -l) - before ))
  reports=$(grep -Ec 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property failed' "$log" || true)
  found=$(( artifacts > reports ? artifacts : reports ))
  rate=$(final_stat average_exec_per_sec "$log"); rate=${rate:-0}  # libFuzzer's own: fuzzing time only
  total_execs=$((total_execs + execs))
  total_seconds=$((total_seconds + elapsed))
  total_findings=$((total_findings + found))
  rows+=("$(printf '%-18s %13s %9s %8s %-22s %s' "$target" "$execs" "$rate" "$elapsed" "${coverage:-?}" "$found")")
done

# execs/s per target as libFuzzer counts it; the total's is executions over wall-clock seconds.
printf '%-18s %13s %9s %8s %-22s %s\n' target executions "execs/s" seconds coverage findings
printf '%s\n' "${rows[@]}"
printf '%-18s %13s %9s %8s %-22s %s\n' total "$total_execs" \
  "$(( total_seconds > 0 ? total_execs / total_seconds : 0 ))" "$total_seconds" "" "$total_findings"
if ((total_findings)); then
  echo "findings: $findings_dir (logs: $long/<target>/last-run.log)"
  exit 1
fi
