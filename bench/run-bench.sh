#!/usr/bin/env bash
# Measures the gateway as the host runs it: request->ack round trips with 1, 100 and
# 1,000 connections, CPU seconds per 100k requests, and resident memory per idle
# connection with 10,000 open. Prints numbers; asserts nothing.
# Usage: bench/run-bench.sh [SECONDS_PER_RUN]   (after a build in build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
seconds=${1:-5}
idle_connections=${IDLE_CONNECTIONS:-10000}
ulimit -n 20000  # the machine's cap; gateway and client each need one descriptor per connection

work=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = %s\n' "$port" > "$work/config.ini"
# every connection comes from 127.0.0.1 and sends as fast as it is answered: limits raised
printf '[General]\n[Limits]\nmax_connections = 20000\nmax_connections_per_ip = 20000\nmax_requests_per_second = 1000000\n' \
  > "$work/webrtcgateway.ini"
PYTHONPATH="$root/bindings/python:$build/bindings/python" /usr/bin/python3 -m sylk_host \
  --config-dir "$work" --applications-dir "$build/module" --log-level WARNING 2> "$work/host.log" &
host=$!
trap 'kill $host 2>/dev/null; wait $host 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$host/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$host/status"; }

echo "gateway: $(nproc) cores, $(date -u +%Y-%m-%d), ${seconds}s per run"
printf '%-12s %10s %10s %10s %16s\n' connections acks/s p50_ms p99_ms cpu_s/100k_req
for connections in 1 100 1000; do
  before=$(cpu_ticks)
  result=$("$build/bench/ws_load" rtt "$port" "$connections" "$seconds")
  after=$(cpu_ticks)
  read -r rate p50 p99 answers < <(awk '{for (i=1;i<NF;i++) v[$i]=$(i+1); print v["acks_per_s"], v["p50_ms"], v["p99_ms"], v["answers"]}' <<< "$result")
  cpu=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$answers" 'BEGIN {printf "%.2f", t / hz / n * 100000}')
  printf '%-12s %10s %10s %10s %16s\n' "$connections" "$rate" "$p50" "$p99" "$cpu"
done

rss_before=$(rss_kib)
coproc idle { "$build/bench/ws_load" idle "$port" "$idle_connections"; }
read -r held_line <&"${idle[0]}"
sleep 2
rss_after=$(rss_kib)
echo "idle: $held_line; gateway RSS ${rss_before} KiB -> ${rss_after} KiB:" \
  "$(( (rss_after - rss_before) * 1024 / idle_connections )) bytes per idle connection"
exec {idle[1]}>&-
wait "$idle_PID" || true
