#!/usr/bin/env bash
# Installs, from Debian's packages, what building (and with --test, testing) needs.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev   # Boost.JSON exists only in 1.81
  libwebsocketpp-dev libre-dev libssl-dev liburing-dev   # liburing: the media workers' PhoneRing
  pybind11-dev python3-dev python3
)
test_packages=(
  python3-pytest python3-websockets python3-jsonschema openssl procps
  debhelper dh-python lintian   # the Debian package test
  kamailio sip-tester socat python3-dnslib   # real SIP peers: registrar, scripted peers, TLS front, DNS
  iproute2 iptables   # tests/integration/netns.py: a NAT of network namespaces (test_nat.py, as root)
  clang libfuzzer-14-dev libclang-rt-14-dev   # the fuzz targets (fuzz/)
  python3-aiortc   # the browser in tests/media (ICE, DTLS-SRTP, audio codecs; brings python3-aioice, python3-av)
  baresip-core chromium   # a second SIP phone; a real browser for the demo page (tests/integration/test_browser.py)
  rtpengine-daemon   # the reference relay that bench/call-bench.py --reference rtpengine measures beside ours
)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--test" ]] && packages+=("${test_packages[@]}")

sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
