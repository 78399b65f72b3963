#!/usr/bin/env bash
# Installs what is needed, builds, and runs the gateway on the sample configuration
# (config/: ws://127.0.0.1:10888/webrtcgateway/ws). Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build" -DSYLK_BUILD_TESTS=OFF -DSYLK_BUILD_BENCH=OFF
export PYTHONPATH="$root/bindings/python:$root/build/bindings/python"
exec /usr/bin/python3 -m sylk_host --config-dir "${SYLK_CONFIG_DIR:-$root/config}" \
  --applications-dir "$root/build/module" "$@"
