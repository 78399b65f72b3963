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
