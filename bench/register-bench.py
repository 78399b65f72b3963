#!/usr/bin/python3
"""Registrations per second through the gateway into a real Kamailio (WebSocket register ->
REGISTER with digest challenge -> registered event), 1,000 accounts over 100 connections,
against sipp registering the same accounts straight into the same Kamailio; and the
gateway's memory per registered account. Prints numbers; asserts nothing.

Usage: bench/register-bench.py [ROUNDS] [--sustained [SECONDS]] [--transport udp|tcp|both]
(after a build in build/, or BUILD_DIR=...; needs kamailio, sipp)

Spaced (the default): ROUNDS bursts (5), 6 s apart, each timed alone; the median burst,
and the gateway's memory per registered account (RSS growth from all connected to all
registered, the last burst held, 6 s after it).
--sustained: bursts back to back for SECONDS (60), every burst's rate printed, median and
slowest; sipp is measured the same way (one sipp run of 1,000 registrations per burst,
back to back, each timed from its start to its exit). Between the gateway's bursts its
accounts are unregistered and removed: not timed, but work for the gateway and Kamailio.
--transport: towards Kamailio, for the gateway (its outbound proxy) and sipp alike
(both, the default: UDP, then TCP).
"""

import argparse
import hashlib
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
os.environ.setdefault("SYLK_APPLICATIONS_DIR", str(BUILD / "module"))
os.environ["PYTHONPATH"] = f"{ROOT / 'bindings' / 'python'}:{BUILD / 'bindings' / 'python'}"

from conftest import HostProcess, free_port, free_sip_port, write_config  # noqa: E402
from kamailio import Kamailio  # noqa: E402
from process_stats import cpu_seconds, rss_kib, udp_receive_drops  # noqa: E402

ACCOUNTS, CONNECTIONS, PASSWORD, DOMAIN = 1000, 100, "secret", "example.com"
# sipp's REGISTERs in flight: its best on this machine. Over UDP more than about 50 overflow
# sipp's own socket receive buffer (its answers queue while it sends) and each lost datagram
# costs a 500 ms retransmission: bursts of 1,000 measured a median of 941/s at 200 in flight,
# 1,869/s at 100, 5,599/s at 50, 3,723/s at 25. Over TCP: 8,942/s at 200, 10,511/s at 100,
# 7,715/s at 50. (The gateway keeps 100 in flight, SendWindow.)
SIPP_IN_FLIGHT = {"udp": 50, "tcp": 100}
SPACING_MS = 6000  # long enough for anything a burst leaves in flight to end (RFC 3261 timer K is 5 s)


class Sipp:
    """sipp registering the benchmark's accounts straight into Kamailio, from one local port
    (so that Kamailio updates the same contacts instead of piling up new ones)."""

    def __init__(self, work, registrar, transport):
        self.work, self.registrar, self.transport = work, registrar, transport
        self.port = free_sip_port()
        self.users = work / "users.csv"
        # sipp expands no field inside [authentication], so the CSV carries the whole keyword.
        self.users.write_text("SEQUENTIAL\n" + "".join(
            f"bench{i};[authentication username=bench{i} password={PASSWORD}];\n" for i in range(ACCOUNTS)))

    def rate(self, registrations):
        """One sipp run of `registrations`; registrations/s from its start to its exit."""
        started = time.monotonic()
        result = subprocess.run(
            ["sipp", "-sf", str(ROOT / "bench" / "sipp_register_uac.xml"), "-inf", str(self.users),
             "-t", "u1" if self.transport == "udp" else "t1", "-i", "127.0.0.1", "-p", str(self.port),
             "-m", str(registrations), "-l", str(SIPP_IN_FLIGHT[self.transport]), "-r", "100000", "-nostdin",
             f"127.0.0.1:{self.registrar.udp_port}"],
            cwd=self.work, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            print(f"sipp failed ({result.returncode}): {result.stdout[-2000:]}", file=sys.stderr)
        return registrations / elapsed

    def sustained(self, seconds):
        rates, started = [], time.monotonic()
        while time.monotonic() - started < seconds:
            rates.append(self.rate(ACCOUNTS))
        return rates


def gateway_run(work, registrar, transport, rounds, pause_ms, seconds=0):
    """The gateway's bursts: (registrations/s of each, bytes of RSS per registered account
    with the last burst held, gateway CPU seconds over the bursts)."""
    port = free_port()
    config = write_config(work / f"gateway-{transport}-{pause_ms}", port,
                          general={"outbound_sip_proxy": registrar.proxy(transport)},
                          # rounds of requests as fast as the gateway answers, every connection from 127.0.0.1
                          limits={"max_requests_per_second": "100000", "max_connections_per_ip": "10000"})
    host = HostProcess(config, port).start()
    try:
        load = subprocess.Popen(
            [str(BUILD / "bench" / "ws_register_load"), str(port), str(CONNECTIONS), str(ACCOUNTS), str(rounds),
             DOMAIN, PASSWORD, str(pause_ms), str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert load.stdout.readline().strip() == "connected"
        rss_connected = rss_kib(host.process.pid)
        cpu_before = cpu_seconds(host.process.pid)
        load.stdin.write("\n")
        load.stdin.flush()
        rates = []
        for line in load.stdout:
            if line.startswith("holding"):
                break
            fields = line.split()
            if "registrations_per_s" in fields:
                rates.append(float(fields[fields.index("registrations_per_s") + 1]))
        cpu = cpu_seconds(host.process.pid) - cpu_before
        time.sleep(SPACING_MS / 1000)  # let the last burst's finished transactions go (timer K)
        rss_registered = rss_kib(host.process.pid)
        load.stdin.write("\n")
        load.stdin.flush()
        load.wait(timeout=120)
        return rates, (rss_registered - rss_connected) * 1024 / ACCOUNTS, cpu
    finally:
        host.stop()


def listing(rates):
    return ", ".join(f"{r:.0f}" for r in rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=5, help="spaced bursts (default 5)")
    parser.add_argument("--sustained", nargs="?", type=int, const=60, metavar="SECONDS",
                        help="bursts back to back for SECONDS (60) instead of spaced bursts")
    parser.add_argument("--transport", choices=["udp", "tcp", "both"], default="both")
    args = parser.parse_args()
    transports = ["udp", "tcp"] if args.transport == "both" else [args.transport]

    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        accounts = {f"bench{i}@{DOMAIN}": hashlib.md5(f"bench{i}:{DOMAIN}:{PASSWORD}".encode()).hexdigest()
                    for i in range(ACCOUNTS)}
        # Kamailio's nonce-count replay check rejects some correct answers when thousands of
        # nonces are in flight at once (sipp sees it as much as the gateway): off for the benchmark.
        registrar = Kamailio(work / "kamailio", accounts, check_nonce_count=False, log_requests=False).start()
        print(f"registrar: Kamailio on loopback, {ACCOUNTS} accounts; gateway: {CONNECTIONS} WebSocket connections;"
              f" load average {os.getloadavg()[0]:.2f}")
        try:
            for transport in transports:
                sipp = Sipp(work, registrar, transport)
                if args.sustained:
                    drops = udp_receive_drops()
                    sipp_rates = sipp.sustained(args.sustained)
                    sipp_drops, drops = udp_receive_drops() - drops, udp_receive_drops()
                    rates, _, cpu = gateway_run(work, registrar, transport, 0, 0, args.sustained)
                    gateway_drops = udp_receive_drops() - drops
                    print(f"[{transport}, sustained {args.sustained} s, bursts of {ACCOUNTS} back to back]")
                    print(f"sipp straight into Kamailio:  median {statistics.median(sipp_rates):6.0f}  "
                          f"slowest {min(sipp_rates):6.0f} registrations/s, {len(sipp_rates)} bursts "
                          f"({listing(sipp_rates)})")
                    print(f"through the gateway:          median {statistics.median(rates):6.0f}  "
                          f"slowest {min(rates):6.0f} registrations/s, {len(rates)} bursts ({listing(rates)})")
                    print(f"gateway CPU: {cpu:.1f} s for {len(rates)} bursts (registering, unregistering, removing)")
                    if transport == "udp":
                        print(f"UDP datagrams dropped for full receive buffers (whole machine; a drop costs a 500 ms "
                              f"retransmission): {sipp_drops} during sipp's bursts, {gateway_drops} during the gateway's")
                    continue
                sipp_rates = [sipp.rate(5 * ACCOUNTS) for _ in range(3)]
                rates, bytes_per_account, cpu = gateway_run(work, registrar, transport, args.rounds, SPACING_MS)
                best_sipp, median = max(sipp_rates), statistics.median(rates)
                print(f"[{transport}, bursts {SPACING_MS / 1000:.0f} s apart]")
                print(f"sipp straight into Kamailio:  {best_sipp:8.0f} registrations/s (runs: {listing(sipp_rates)})")
                print(f"through the gateway:          {median:8.0f} registrations/s median of {len(rates)} rounds "
                      f"(rounds: {listing(rates)})")
                print(f"gateway / sipp:               {median / best_sipp:8.2f}")
                print(f"gateway memory per registered account: {bytes_per_account:.0f} bytes "
                      "(RSS growth with all registered; includes the allocator's high-water mark of the bursts)")
        finally:
            registrar.stop()


if __name__ == "__main__":
    main()
