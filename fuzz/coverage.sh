#!/usr/bin/env bash
# fuzz/coverage.sh: which lines of the module's parsers the fuzz corpora reach.
# Builds the targets with clang's source-based coverage (build-fuzz-coverage), replays
# each target's seeds (fuzz/corpus/<target>) plus what the CI and long runs grew
# (build-fuzz/fuzz/ci/<target>, build-fuzz/fuzz/long/<target>/corpus), and prints
# llvm-cov's report per target and for all of them together.
# SHOW=1 also prints the uncovered lines of every parser file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SYLK_FUZZ_COVERAGE_BUILD:-$root/build-fuzz-coverage}
grown=${SYLK_FUZZ_BUILD:-$root/build-fuzz}/fuzz
src=$root/module/src

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYLK_BUILD_FUZZERS=ON \
  -DSYLK_FUZZ_COVERAGE=ON -DSYLK_BUILD_TESTS=OFF -DSYLK_BUILD_PYTHON=OFF -DSYLK_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target fuzzers >/dev/null

declare -A files=(
  [decode_message]="$src/protocol/decoder.cpp $src/protocol/account_address.cpp"
  [configuration]="$src/config/configuration.cpp"
  [account_address]="$src/protocol/account_address.cpp"
  [digest_challenge]="$src/sip/digest.cpp"
  [register_answer]="$src/sip/register_answer.cpp $src/sip/digest.cpp"
)
targets=(decode_message configuration account_address digest_challenge register_answer)
profiles=$build/profiles
rm -rf "$profiles"
mkdir -p "$profiles"
objects=()
for target in "${targets[@]}"; do
  corpora=("$root/fuzz/corpus/$target")
  for extra in "$grown/ci/$target" "$grown/long/$target/corpus"; do
    [[ -d "$extra" ]] && corpora+=("$extra")
  done
  inputs=$(find "${corpora[@]}" -type f | wc -l)
  LLVM_PROFILE_FILE="$profiles/$target.profraw" "$build/fuzz/fuzz_$target" -runs=0 "${corpora[@]}" >/dev/null 2>&1
  llvm-profdata-14 merge -sparse "$profiles/$target.profraw" -o "$profiles/$target.profdata"
  echo "== $target ($inputs inputs)"
  # shellcheck disable=SC2086
  llvm-cov-14 report "$build/fuzz/fuzz_$target" -instr-profile="$profiles/$target.profdata" ${files[$target]} |
    sed "s|$src/||"
  objects+=(-object "$build/fuzz/fuzz_$target")
done
llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o "$profiles/all.profdata"
all_files=("$src/protocol/decoder.cpp" "$src/protocol/account_address.cpp" "$src/config/configuration.cpp"
           "$src/sip/digest.cpp" "$src/sip/register_answer.cpp")
echo "== all targets together"
llvm-cov-14 report "${objects[@]:1}" -instr-profile="$profiles/all.profdata" "${all_files[@]}" | sed "s|$src/||"
if [[ "${SHOW:-}" == 1 ]]; then
  llvm-cov-14 show "${objects[@]:1}" -instr-profile="$profiles/all.profdata" -show-line-counts-or-regions \
    -region-coverage-lt=100 "${all_files[@]}"
fi
