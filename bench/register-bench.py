#!/usr/bin/python3
"""Registrations per second through the gateway into a real Kamailio (WebSocket register ->
REGISTER with digest challenge -> registered event), 1,000 accounts over 100 connections,
against sipp registering the same accounts straight into the same Kamailio; and the
gateway's memory per registered account. Prints numbers; asserts nothing.

Usage: bench/register-bench.py [ROUNDS]   (after a build in build/; needs kamailio, sipp)"""

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

ACCOUNTS, CONNECTIONS, PASSWORD, DOMAIN = 1000, 100, "secret", "example.com"


def rss_kib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def sipp_rate(work, registrar, registrations):
    users = work / "users.csv"
    # sipp expands no field inside [authentication], so the CSV carries the whole keyword.
    users.write_text("SEQUENTIAL\n" + "".join(f"bench{i};[authentication username=bench{i} password={PASSWORD}];\n"
                                               for i in range(ACCOUNTS)))
    started = time.monotonic()
    result = subprocess.run(
        ["sipp", "-sf", str(ROOT / "bench" / "sipp_register_uac.xml"), "-inf", str(users), "-i", "127.0.0.1",
         "-p", str(free_sip_port()), "-m", str(registrations), "-l", "200", "-r", "100000", "-nostdin",
         f"127.0.0.1:{registrar.udp_port}"],
        cwd=work, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        print(f"sipp failed ({result.returncode}): {result.stdout[-2000:]}", file=sys.stderr)
    return registrations / elapsed


def gateway_rates(work, registrar, rounds):
    port = free_port()
    config = write_config(work / "gateway", port, general={"outbound_sip_proxy": registrar.proxy("udp")})
    host = HostProcess(config, port).start()
    try:
        load = subprocess.Popen(
            [str(BUILD / "bench" / "ws_register_load"), str(port), str(CONNECTIONS), str(ACCOUNTS), str(rounds),
             DOMAIN, PASSWORD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert load.stdout.readline().strip() == "connected"
        rss_connected = rss_kib(host.process.pid)
        load.stdin.write("\n")
        load.stdin.flush()
        rates = []
        for line in load.stdout:
            if line.startswith("holding"):
                break
            fields = line.split()
            rates.append(float(fields[fields.index("registrations_per_s") + 1]))
        time.sleep(6)  # finished SIP transactions linger a few seconds (RFC 3261 timer K)
        rss_registered = rss_kib(host.process.pid)
        load.stdin.write("\n")
        load.stdin.flush()
        load.wait(timeout=120)
        return rates, (rss_registered - rss_connected) * 1024 / ACCOUNTS
    finally:
        host.stop()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        accounts = {f"bench{i}@{DOMAIN}": hashlib.md5(f"bench{i}:{DOMAIN}:{PASSWORD}".encode()).hexdigest()
                    for i in range(ACCOUNTS)}
        # Kamailio's nonce-count replay check rejects some correct answers when thousands of
        # nonces are in flight at once (sipp sees it as much as the gateway): off for the benchmark.
        registrar = Kamailio(work / "kamailio", accounts, check_nonce_count=False).start()
        try:
            sipp = [sipp_rate(work, registrar, 5 * ACCOUNTS) for _ in range(3)]
            rates, bytes_per_account = gateway_rates(work, registrar, rounds)
        finally:
            registrar.stop()
    best_sipp = max(sipp)
    median = statistics.median(rates)
    print(f"registrar: Kamailio on loopback, {ACCOUNTS} accounts; gateway: {CONNECTIONS} WebSocket connections")
    print(f"sipp straight into Kamailio:  {best_sipp:8.0f} registrations/s (runs: {', '.join(f'{r:.0f}' for r in sipp)})")
    print(f"through the gateway:          {median:8.0f} registrations/s median of {len(rates)} rounds "
          f"(rounds: {', '.join(f'{r:.0f}' for r in rates)})")
    print(f"gateway / sipp:               {median / best_sipp:8.2f}")
    print(f"gateway memory per registered account: {bytes_per_account:.0f} bytes "
          "(RSS growth with all registered; includes the allocator's high-water mark of the bursts)")


if __name__ == "__main__":
    main()
