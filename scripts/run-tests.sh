#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: once on a normal build, once
# on an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test

"$root/scripts/build.sh" "$root/build" -DSYLK_BUILD_TESTS=ON -DSYLK_BUILD_BENCH=ON -DSYLK_SANITIZE=OFF
(cd "$root/build" && ctest --output-on-failure)

"$root/scripts/build.sh" "$root/build-sanitize" -DSYLK_BUILD_TESTS=ON -DSYLK_BUILD_BENCH=OFF -DSYLK_SANITIZE=ON
(cd "$root/build-sanitize" && ctest --output-on-failure)

# The fuzz targets (clang + libFuzzer), each run briefly from its seeds (docs/fuzzing.md).
CC=clang CXX=clang++ cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYLK_BUILD_FUZZERS=ON \
  -DSYLK_BUILD_TESTS=OFF -DSYLK_BUILD_PYTHON=OFF -DSYLK_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-fuzz" -j2 --target fuzzers
(cd "$root/build-fuzz" && ctest -j2 --output-on-failure)
