#!/usr/bin/env bash
# build-deb.sh [OUTPUT_DIR]: builds the binary packages from this source tree with
# dpkg-buildpackage (packaging/debian serves as debian/), then checks them with lintian.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/build-deb}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A clean copy of the sources (tracked and new files, nothing ignored such as build/).
mkdir -p "$work/sylk-webrtcgateway" "$out"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |  # skip deleted files
  xargs -0 cp --parents -t "$work/sylk-webrtcgateway")
cp -r "$root/packaging/debian" "$work/sylk-webrtcgateway/debian"

(cd "$work/sylk-webrtcgateway" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b)
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
lintian --fail-on error --suppress-tags no-manual-page "$out"/*.changes
ls "$out"/*.deb
