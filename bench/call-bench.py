#!/usr/bin/python3
"""Calls through the gateway, measured: setups per second end to end, then N concurrent
calls at 50 audio packets/s each way (or video-shaped: --video): relayed packets/s, the
gateway's CPU, loss, the one-way latency the gateway adds, its memory and descriptors
per call; and the same load through a bare UDP relay (the floor), with the gateway's
packets/s per core as a ratio of the floor's. Prints numbers (and an SVG with --plot);
asserts nothing.

Usage: bench/call-bench.py [N ...] [--seconds S] [--workers W] [--video] [--pin] [--slot-us US]
       [--second-worker-on-cpu0] [--gateway-layout-floor-only] [--plot FILE.svg]
(default: 50 200, 10 s, 1 worker, audio; after a build in build/, or BUILD_DIR=...; needs
kamailio, sipp)

For each N, one fresh gateway (host process, `media_workers` W) with Kamailio as its
outbound proxy (alice's INVITEs challenged with 407 and answered from the HA1), and the
N phones: one sipp answering every call (bench/sipp_uas_external_echo.xml), its SDP
naming bench/rtp_echo's one port as every call's media address, and rtp_echo sending
each RTP packet back (recvmmsg/sendmmsg; sipp's own -rtp_echo, one recvfrom and one
sendto per packet, cost more than the relay's spare core could give). One echo port for
all calls is a shortcut that still runs the gateway's whole media path, one port pair
per call on the phone side. bench/call_load plays the N browsers: its SDP offers go
out as session-create over 10 calls per WebSocket connection, at most 100 being set up at
a time (every call's packets leave in its own 100 us slot of each 20 ms, so that, as
independent browsers' do, they reach the relay spread out, not in one burst per
millisecond: --slot-us); each call is timed from session-create to `accepted` (SIP signalling, SDP
translation, media ports) and to `established` (then ICE and the DTLS handshake, done by
call_load). Then every call sends SRTP packets carrying their send time; the gateway
decrypts, relays to rtp_echo, which writes in when its kernel received the packet and
when it sends it back, and the gateway encrypts back; call_load takes the kernel's
receive time of what comes back. So each direction's one-way latency is measured on its
own, from kernel receive times at both ends (CLOCK_REALTIME, one clock), with neither
peer's scheduling in it; on loopback the kernel's receive time is when the previous hop
sent. The same load straight from call_load to the echo gives the same latencies
without the gateway; the difference, per direction and percentile, is the one-way
latency the gateway adds (one pass through it, plus one more loopback hop); the worse
direction's is the figure given. Relayed packets/s counts both directions (2 per echoed
packet).

Where each relay stood still (bench/delivery_gaps.hpp): the stretches over 1 ms in which
a direction delivered nothing while packets waited, how many packets waited across one,
and the added p99 of all the others (the relay's own work, and its draining of each
backlog, included). It is printed for the gateway and the floor of the same run, so
that gaps of the relay's own making would show as gaps the floor does not have.

The straight load runs after the browsers' sockets are closed (their consent checks
would reach whatever binds the gateway's port next), the gateway has stopped and the
machine has gone quiet (its hang-ups are BYE transactions that Kamailio and the
gateway's SIP thread carry on for seconds). With --pin, bench/cpu_stalls spins alone on
the relay's CPU meanwhile, and says how much of the CPU this (virtual) machine takes
away and in stalls of what length: the p99 wait those stalls alone impose on any relay there. The
steal column of /proc/stat for that CPU is printed beside every relay's CPU.

The floor: after the gateway has stopped, bench/udp_relay --uring (the gateway's socket
layout: one browser-side socket for all calls read with recvmmsg and sent to with
sendmmsg, a socket per call towards the phone whose reads and sends of one round go
through io_uring together; no SRTP) carries the same streams to the same echo; then
with --shared (the phone side one recvfrom and one sendto per packet: the gateway's
layout before PhoneRing), then with neither (a browser-side socket per call as well:
the layout before BrowserPort).
Packets/s per core = relayed packets / CPU seconds used, for each; their ratio says how
close the gateway's relay is to the least any relay of these calls costs here. With
UDP_RELAY_WORK_NS=N in the environment, every floor also spins N ns per packet (as busy
as the gateway, say), to see whether a busier relay stands still more often here; with
UDP_RELAY_STATE_KB=K, every floor also reads and writes a cache line of each page of K
KiB of state of each call per packet (memory touched as a relay's per-call state is).
Each relay's window also says what each process dropped for a full socket receive
buffer (/proc/net/udp): the floor's browser-side socket asks for the same 4 MiB as the
gateway's, so that neither drops what the other holds as latency.
Memory and descriptors per call: the host's RSS and open descriptors with every call up,
less those of the idle host, over N (WebSocket connections included).
"""

import argparse
import asyncio
import hashlib
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import websockets

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
os.environ.setdefault("SYLK_APPLICATIONS_DIR", str(BUILD / "module"))
os.environ["PYTHONPATH"] = f"{ROOT / 'bindings' / 'python'}:{BUILD / 'bindings' / 'python'}"

from conftest import HostProcess, free_port, free_sip_port, write_config  # noqa: E402
from kamailio import Kamailio  # noqa: E402
from process_stats import cpu_busy_seconds, cpu_seconds, cpu_steal_seconds, ksoftirqd_pid, thread_cpu_seconds, thread_ids, open_descriptors, rss_kib, udp_receive_drops, udp_socket_drops  # noqa: E402
from rtpengine_ng import RtpEngine, phone_answer, sdes_offer  # noqa: E402
from svg_plot import write_plot  # noqa: E402

ALICE, PASSWORD = "alice@example.com", "bench secret"
HA1 = hashlib.md5(f"alice:example.com:{PASSWORD}".encode()).hexdigest()
CALLS_PER_CONNECTION = 10
# Calls being set up at once (session-create sent, `accepted` not yet back). An unbounded
# burst of 500 INVITEs overflows sipp's and Kamailio's UDP receive buffers on this
# machine, and some calls then end in 408 (see README).
SETUP_WINDOW = 100
SHAPE = "audio"  # what each call sends (call_load's stream shapes); --video for the other
IO_URING = True  # --no-io-uring: the gateway's phone sockets make a system call per read and per send
PIN = False  # --pin: the relay under test alone on CPU 1, everything else on CPU 0
ALL_FLOORS = True  # --gateway-layout-floor-only: the two older layouts' floors are left out
SLOT_US = 100  # --slot-us: call_load spreads each millisecond's sends over slots this long
SECOND_WORKER_ON_CPU0 = False  # --second-worker-on-cpu0: with --pin, odd workers run on the peers' CPU


class housekeeping_off_relay_cpu:
    """With --pin, everything the bench does not start moves off the relay's CPU for the
    duration: every user-space thread of the machine to CPU 0, and the kernel's DAMON
    threads (kdamond.N) to CPU 0 at SCHED_IDLE; CPUs and policies are restored after. A
    media server keeps housekeeping off its media cores; here two kinds of it took the
    relay's CPU in the middle of the load (README):
    - kdamond: this machine's kernel samples physical memory with DAMON every 500 ms; under
      the kernel's no-preemption model each pass holds whichever CPU it runs on for 1-10
      ms, and the scheduler put it on the relay's, the less busy one (40 % of the perf
      samples inside the gaps in which a relay delivered nothing). On the peers' CPU at its
      normal policy it cut into their sends between stamping a packet and sending it,
      which counted as latency of whichever relay ran; at SCHED_IDLE it takes that CPU's
      idle moments.
    - the virtual machine's own agent (process 1 here, at nice -10, so it preempts the
      relay at once): traced on the relay's CPU about once a second for 1-14 ms, the
      relay off the CPU meanwhile (in 21 of the 126 gaps of one traced run).
    Per-CPU kernel threads (ksoftirqd/1 and the like) cannot move and stay."""

    def __init__(self):
        self.moved = {}  # thread id: (CPUs, policy, parameters), as they were

    def __enter__(self):
        if not PIN:
            return self
        samplers, threads, processes = [], 0, set()
        for process in pathlib.Path("/proc").glob("[0-9]*"):
            try:
                user_space = bool((process / "cmdline").read_bytes())  # kernel threads have none
                sampler = (process / "comm").read_text().startswith("kdamond")
                tasks = list((process / "task").iterdir())
            except OSError:
                continue  # gone meanwhile
            if not (sampler or user_space):
                continue
            for task in tasks:
                try:
                    tid = int(task.name)
                    cpus = os.sched_getaffinity(tid)
                    if 1 not in cpus:
                        continue
                    self.moved[tid] = (cpus, os.sched_getscheduler(tid), os.sched_getparam(tid))
                    os.sched_setaffinity(tid, {0})
                    if sampler:
                        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
                        samplers.append(f"kdamond pid {tid}")
                    else:
                        threads += 1
                        processes.add(process.name)
                except (OSError, ValueError):
                    continue  # gone meanwhile, or not ours to move
        print(f"moved to CPU 0 for the run: {threads} user-space threads of {len(processes)} processes; "
              f"kernel memory samplers, at SCHED_IDLE: {', '.join(samplers) or 'none found'}")
        return self

    def __exit__(self, *exc):
        for tid, (cpus, policy, param) in self.moved.items():
            try:
                os.sched_setscheduler(tid, policy, param)
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass  # ended meanwhile


class relay_cpu:
    """With --pin, processes started inside this block run on CPU 1 only (children inherit
    the starting thread's affinity); everything else stays on CPU 0."""

    def __enter__(self):
        if PIN:
            os.sched_setaffinity(0, {1})

    def __exit__(self, *exc):
        if PIN:
            os.sched_setaffinity(0, {0})


class CpuMeter:
    """What a relay's run costs: the process's own CPU seconds and, with --pin, every busy
    second of its CPU (interrupt work included), in `process` and `pinned` after stop()."""

    def __init__(self, pid):
        self.pid = pid
        self.process_before = cpu_seconds(pid)
        self.pinned_before = cpu_busy_seconds(1) if PIN else None
        self.steal_before = cpu_steal_seconds(1) if PIN else None
        # The kernel's deferred network work on the relay's CPU runs as ksoftirqd/1, a
        # task that takes turns with the relay (its CPU is busy then, the relay's is not).
        self.softirqd = ksoftirqd_pid(1) if PIN else None
        self.softirqd_before = cpu_seconds(self.softirqd) if self.softirqd else None

    def stop(self):
        self.process = cpu_seconds(self.pid) - self.process_before
        self.pinned = cpu_busy_seconds(1) - self.pinned_before if PIN else None
        self.steal = cpu_steal_seconds(1) - self.steal_before if PIN else None
        self.deferred = cpu_seconds(self.softirqd) - self.softirqd_before if self.softirqd else None
        return self

    def describe(self, seconds):
        text = f"CPU {100 * self.process / seconds:.1f} % of a core"
        if self.pinned is not None:
            text += (f" (its CPU busy {100 * self.pinned / seconds:.1f} %, stolen by the hypervisor "
                     f"{100 * self.steal / seconds:.1f} %, ksoftirqd/1 {100 * self.deferred / seconds:.1f} %)")
        return text


class SocketDrops:
    """Datagrams each named process dropped for a full socket receive buffer between
    construction and stop() (/proc/net/udp), in `dropped` after stop()."""

    def __init__(self, holders):
        self.holders = holders
        self.before = {name: udp_socket_drops(pid) for name, pid in holders.items()}

    def stop(self):
        self.dropped = {name: udp_socket_drops(pid) - self.before[name] for name, pid in self.holders.items()}
        return self

    def describe(self):
        return ", ".join(f"{name} {drops:,}" for name, drops in self.dropped.items())


def wait_until_quiet(busy_share=0.1, window_s=0.5, timeout_s=60):
    """Waits until both CPUs stay under `busy_share` busy for a `window_s` window: after a
    gateway's 1,000 hang-ups, Kamailio and the gateway's SIP thread retransmit BYEs for
    seconds, and a baseline or stall probe run meanwhile measures that work, not the
    machine."""
    deadline = time.monotonic() + timeout_s
    while True:
        before = [cpu_busy_seconds(cpu) for cpu in (0, 1)]
        time.sleep(window_s)
        busy = [(cpu_busy_seconds(cpu) - was) / window_s for cpu, was in zip((0, 1), before)]
        if max(busy) < busy_share:
            return
        if time.monotonic() > deadline:
            busiest = subprocess.run(["top", "-b", "-n", "2", "-d", "1"], capture_output=True, text=True).stdout
            print("  " + "\n  ".join(busiest.split("top - ")[-1].splitlines()[6:16]))  # the busiest processes
            raise RuntimeError(f"the machine did not go quiet within {timeout_s} s (CPUs busy {busy})")


class CpuStalls:
    """With --pin: bench/cpu_stalls spinning alone on the relay's CPU (1) for `seconds`,
    while the peers run the same load straight to the echo: how long that CPU is taken
    away, in stalls of what length, and the p99 wait those stalls alone impose on any
    relay there (see bench/cpu_stalls.cpp). None without --pin."""

    def __init__(self, seconds):
        self.process = subprocess.Popen([str(BUILD / "bench" / "cpu_stalls"), "1", str(seconds)],
                                        stdout=subprocess.PIPE, text=True) if PIN else None

    def result(self):
        if not self.process:
            return None
        out, _ = self.process.communicate(timeout=60)
        line = next((line for line in out.splitlines() if line.startswith("STALLS")), None)
        if self.process.returncode != 0 or not line:
            raise RuntimeError(f"cpu_stalls failed: {out.strip()}")
        return {key: float(value) for key, value in (item.split("=") for item in line.split()[1:])}


def browser_offer(index, port, ufrag, pwd, fingerprint):
    return "\r\n".join([
        "v=0", f"o=- {index + 1} 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0", "a=msid-semantic: WMS",
        f"m=audio {port} UDP/TLS/RTP/SAVPF 0", "c=IN IP4 127.0.0.1", f"a=rtcp:{port} IN IP4 127.0.0.1",
        f"a=candidate:1 1 udp 2130706431 127.0.0.1 {port} typ host", f"a=ice-ufrag:{ufrag}", f"a=ice-pwd:{pwd}",
        f"a=fingerprint:sha-256 {fingerprint}", "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux",
        "a=rtpmap:0 PCMU/8000", ""])


def gateway_side(sdp):
    """(ip, port, ufrag, pwd) of the gateway's answer."""
    port = re.search(r"^m=audio (\d+)", sdp, re.M).group(1)
    ip = re.search(r"^c=IN IP4 (\S+)", sdp, re.M).group(1)
    ufrag = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.M).group(1)
    pwd = re.search(r"^a=ice-pwd:(\S+)", sdp, re.M).group(1)
    return ip, port, ufrag, pwd


class Load:
    """bench/call_load as a subprocess, line by line."""

    def __init__(self, srtp):
        options = (["--srtp", "aes-cm"] if srtp == "aes-cm" else []) + ["--slot-us", str(SLOT_US)]
        self.process = subprocess.Popen([str(BUILD / "bench" / "call_load"), *options], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        self.sends = self.expect("SENDS").split()[1]  # io_uring, or sendmsg without it
        self.fingerprint = self.expect("FINGERPRINT").split()[1]

    def send(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, prefix):
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("call_load exited")
            if line.startswith("FAILED"):
                raise RuntimeError(line.strip())
            if line.startswith(prefix):
                return line.strip()

    def result(self):
        fields = dict(item.split("=") for item in self.expect("RESULT").split()[1:])
        return {key: int(value) for key, value in fields.items()}

    def window(self, command, begin=lambda: None, end=lambda: None):
        """Sends a media command; begin() runs when its measured window begins (after the
        warm-up second), end() when its last packet is sent: CPU read between the two is
        what the window's packets cost. Returns the RESULT."""
        self.send(command)
        self.expect("RECORDING")
        begin()
        self.expect("SENT_ALL")
        end()
        return self.result()

    def stop(self):
        self.send("quit")
        self.process.wait(timeout=10)


async def run_calls(host, load, count, seconds, phone, echo):
    idle = {"rss_kib": rss_kib(host.process.pid), "descriptors": open_descriptors(host.process.pid)}
    opened = []
    load.send(f"open {count}")
    while len(opened) < count:
        line = load.expect("CALL")
        _, index, port, ufrag, pwd = line.split()
        opened.append((int(index), int(port), ufrag, pwd))
    load.expect("OPENED")

    connections = []
    for _ in range((count + CALLS_PER_CONNECTION - 1) // CALLS_PER_CONNECTION):
        ws = await websockets.connect(host.url, subprotocols=["sylkRTC-1"], max_queue=None)
        assert json.loads(await ws.recv())["event"] == "ready"
        await ws.send(json.dumps({"sylkrtc": "account-add", "transaction": "a", "account": ALICE, "password": HA1}))
        assert json.loads(await ws.recv())["sylkrtc"] == "ack"
        connections.append(ws)

    started, accepted_at, established_at = {}, {}, {}
    secured = 0

    async def reader(ws):
        async for text in ws:
            message = json.loads(text)
            if message["sylkrtc"] == "error":
                raise RuntimeError(message)
            if message["sylkrtc"] != "session_event":
                continue
            index, state = int(message["session"][1:]), message["data"]["state"]
            if state == "accepted":
                accepted_at[index] = time.monotonic()
                window.release()
                ip, port, ufrag, pwd = gateway_side(message["data"]["sdp"])
                load.send(f"connect {index} {ip} {port} {ufrag} {pwd}")
            elif state == "established":
                established_at[index] = time.monotonic()
            elif state == "terminated" and index not in ended:
                ended[index] = message["data"]["reason"]
                if index not in accepted_at:
                    window.release()

    ended = {}
    window = asyncio.Semaphore(SETUP_WINDOW)
    readers = [asyncio.ensure_future(reader(ws)) for ws in connections]
    drops_before = udp_receive_drops()
    burst = time.monotonic()
    for index, port, ufrag, pwd in opened:
        await window.acquire()
        ws = connections[index // CALLS_PER_CONNECTION]
        started[index] = time.monotonic()
        await ws.send(json.dumps({"sylkrtc": "session-create", "transaction": f"c{index}", "account": ALICE,
                                  "session": f"S{index}", "uri": phone,
                                  "sdp": browser_offer(index, port, ufrag, pwd, load.fingerprint)}))
    deadline = time.monotonic() + 60
    while len(established_at) < count:
        if ended or time.monotonic() > deadline:
            raise RuntimeError(f"{len(established_at)} of {count} calls established; ended: {list(ended.items())[:5]}")
        await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    while secured < count:  # call_load's own word that each call has its SRTP keys
        await loop.run_in_executor(None, load.expect, "SECURED")
        secured += 1

    setup = {
        "to_accepted_per_s": count / (max(accepted_at.values()) - burst),
        "to_established_per_s": count / (max(established_at.values()) - burst),
        "accepted_p50_ms": 1000 * statistics.median(accepted_at[i] - started[i] for i in started),
        "established_p50_ms": 1000 * statistics.median(established_at[i] - started[i] for i in started),
        "established_max_ms": 1000 * max(established_at[i] - started[i] for i in started),
        "udp_drops": udp_receive_drops() - drops_before,
        "idle": idle,
    }

    rss_before = rss_kib(host.process.pid)
    descriptors_calls = open_descriptors(host.process.pid)
    window = {}

    def begin():
        window["meter"] = CpuMeter(host.process.pid)
        window["peers"] = cpu_seconds(load.process.pid), cpu_seconds(echo.pid)
        window["threads"] = thread_cpu_seconds(host.process.pid)
        window["drops"] = SocketDrops({"gateway": host.process.pid, "call_load": load.process.pid,
                                       "rtp_echo": echo.pid})

    def end():
        window["cpu"] = window["meter"].stop()
        setup["peers_cpu"] = (cpu_seconds(load.process.pid) - window["peers"][0],
                              cpu_seconds(echo.pid) - window["peers"][1])
        threads = thread_cpu_seconds(host.process.pid)
        setup["threads_cpu"] = {name: threads[name] - window["threads"].get(name, 0) for name in threads}
        setup["media_drops"] = window["drops"].stop()

    media = await loop.run_in_executor(None, lambda: load.window(f"media {seconds} {SHAPE}", begin, end))
    cpu = window["cpu"]
    rss_calls = rss_kib(host.process.pid)

    for index in range(count):
        await connections[index // CALLS_PER_CONNECTION].send(
            json.dumps({"sylkrtc": "session-terminate", "transaction": f"t{index}", "session": f"S{index}"}))
    deadline = time.monotonic() + 30
    while len(ended) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    if len(ended) < count:
        raise RuntimeError(f"only {len(ended)} of {count} calls ended after session-terminate")
    for ws in connections:
        await ws.close()
    reasons = {reason for reason in ended.values()}
    return setup, media, cpu, rss_before, rss_calls, descriptors_calls, reasons


def bench(count, seconds, workers, work, srtp, reference):
    # Kamailio's nonce-count replay check refuses some correct answers with hundreds of nonces
    # in flight (as in bench/register-bench.py): off here only.
    registrar = Kamailio(work / f"kamailio-{count}", {ALICE: HA1}, shared_memory_mb=256, check_nonce_count=False).start()
    phone_port, media_port = free_sip_port(), free_sip_port()
    echo = start_echo(media_port)
    sipp_log = open(work / f"sipp-{count}.log", "w")
    sipp = subprocess.Popen(["sipp", "-sf", str(ROOT / "bench" / "sipp_uas_external_echo.xml"), "-key", "echo_port",
                             str(media_port), "-i", "127.0.0.1", "-p", str(phone_port), "-nostdin", "-m", "1000000"],
                            cwd=work, stdout=sipp_log, stderr=subprocess.STDOUT)
    port = free_port()
    config = write_config(work / f"gateway-{count}", port, general={"outbound_sip_proxy": registrar.proxy("udp"),
                                                                     "media_workers": str(workers),
                                                                     "media_io_uring": "yes" if IO_URING else "no",
                                                                     # the load measures media, not registration
                                                                     "allow_unregistered_calls": "yes"},
                          # every connection comes from 127.0.0.1, and the sweep goes past the default max_calls
                          limits={"max_connections_per_ip": "10000", "max_calls": "100000",
                                  "max_calls_per_connection": str(CALLS_PER_CONNECTION),
                                  "max_call_setups_per_connection": str(CALLS_PER_CONNECTION)},
                          # Calls set up first wait for the last before media starts: more than
                          # the default 30 s without RTP must not end them.
                          rtp={"port_range": "20000:59998", "timeout": "300"})
    with relay_cpu():
        host = HostProcess(config, port).start(wait_ready=False)
    host.wait_for_log("sylk.host: running:")
    if PIN and SECOND_WORKER_ON_CPU0:
        for index in range(1, workers, 2):  # odd workers to the peers' CPU
            for tid in thread_ids(host.process.pid, f"sylk-media-{index}"):
                os.sched_setaffinity(tid, {0})
    load = Load(srtp)
    reference_result = None
    try:
        setup, media, cpu, rss_before, rss_calls, descriptors_calls, reasons = asyncio.run(
            run_calls(host, load, count, seconds, f"service@127.0.0.1:{phone_port}", echo))
        # The gateway stopped and its hang-ups done before the baseline: the stall probe
        # shares CPU 1 with nothing, and Kamailio's BYE traffic is not in the peers' way.
        load.send("close")  # the browsers' sockets: no more consent checks to the gateway's port
        load.expect("CLOSED")
        host.stop()
        wait_until_quiet()
        stalls = CpuStalls(seconds + 1)  # the baseline's warm-up second, then its window
        direct = load.window(f"baseline {count} 127.0.0.1 {media_port} {seconds} {SHAPE}")
        stalls = stalls.result()
        floor, floor_cpu = floor_run(load, count, seconds, echo, media_port, "--uring")
        if ALL_FLOORS:
            shared_floor, shared_floor_cpu = floor_run(load, count, seconds, echo, media_port, "--shared")
            per_socket_floor, per_socket_floor_cpu = floor_run(load, count, seconds, echo, media_port, None)
        if reference == "rtpengine":
            reference_result = rtpengine_run(load, count, seconds, echo, media_port, workers, work, srtp)
    finally:
        load.stop()
        if host.process.poll() is None:
            host.stop()
        sipp.kill()
        sipp_log.close()
        echo.stdin.close()
        echo.wait(timeout=10)
        registrar.stop()
    relayed = 2 * media["received"] / seconds
    loss = 1 - media["received"] / max(1, media["sent"])
    floor_relayed = 2 * floor["received"] / seconds
    per_core = relayed * seconds / max(cpu.process, 1e-9)
    floor_per_core = floor_relayed * seconds / max(floor_cpu.process, 1e-9)
    idle = setup["idle"]
    print(f"\n{count} {SHAPE} calls, {workers} media worker(s) {'with' if IO_URING else 'without'} io_uring, "
          f"{seconds} s of media, sends in {SLOT_US} us slots (reasons at the end: "
          f"{sorted(reasons)}; call_load sends with {load.sends})")
    print(f"  setups: {setup['to_accepted_per_s']:.0f}/s to accepted (median {setup['accepted_p50_ms']:.1f} ms), "
          f"{setup['to_established_per_s']:.0f}/s to established (median {setup['established_p50_ms']:.1f} ms, "
          f"slowest {setup['established_max_ms']:.0f} ms); UDP datagrams dropped meanwhile: {setup['udp_drops']}")
    print(f"  relayed: {relayed:,.0f} packets/s (sent {media['sent']:,}, echoed back {media['received']:,}, "
          f"loss {100 * loss:.3f} %)")
    print("  datagrams dropped meanwhile for a full socket receive buffer: " + setup["media_drops"].describe())
    print(f"  gateway {cpu.describe(seconds)}, {1000 * cpu.process / max(1, relayed * seconds / 1000):.3f} ms per "
          f"1,000 relayed packets; meanwhile call_load {100 * setup['peers_cpu'][0] / seconds:.1f} % and rtp_echo "
          f"{100 * setup['peers_cpu'][1] / seconds:.1f} % of a core")
    workers_cpu = {name: cpu_s for name, cpu_s in setup["threads_cpu"].items() if name.startswith("sylk-media-")}
    others_cpu = sum(setup["threads_cpu"].values()) - sum(workers_cpu.values())
    print("  gateway threads: " + ", ".join(
        f"{name} {100 * cpu_s / seconds:.1f} % of a core ({relayed / workers / max(cpu_s / seconds, 1e-9):,.0f} "
        f"packets/s per core of its own)" for name, cpu_s in sorted(workers_cpu.items())) +
        f"; every other thread {100 * others_cpu / seconds:.1f} %")
    if workers > 1:
        capacity = sum(relayed / workers / max(cpu_s / seconds, 1e-9) for cpu_s in workers_cpu.values())
        print(f"  at a full core each (calls split evenly by session id), the {workers} workers would carry about "
              f"{capacity:,.0f} packets/s")
    print(f"  round trip p50/p99: {media['p50_us']} / {media['p99_us']} us through the gateway, "
          f"{direct['p50_us']} / {direct['p99_us']} us straight to the echo")
    for way, name in (("fwd", "to the phone"), ("back", "from the phone")):
        print(f"  one-way {name} p50/p99/max: {media[f'{way}_p50_us']} / {media[f'{way}_p99_us']} / "
              f"{media[f'{way}_max_us']} us through the gateway, {direct[f'{way}_p50_us']} / "
              f"{direct[f'{way}_p99_us']} / {direct[f'{way}_max_us']} us straight")
    print(f"  added one-way latency p50/p99: {describe_added(media, direct)}")
    print(f"  gateway {describe_gaps(media, direct)}")
    if stalls:
        print(f"  CPU 1 while the peers ran the same load straight to the echo (bench/cpu_stalls spinning on it): "
              f"{stalls['stolen_pct']:.1f} % taken away, {stalls['over_1ms']:.0f} stalls over 1 ms, longest "
              f"{stalls['longest_us'] / 1000:.1f} ms; the wait these stalls alone impose on a relay there: p99 "
              f"{stalls['p99_wait_us']:.0f} us, p99.9 {stalls['p999_wait_us']:.0f} us")

    def describe(name, result, meter):
        relayed_here = 2 * result["received"] / seconds
        print(f"  {name}: {relayed_here:,.0f} packets/s, loss {100 * (1 - result['received'] / max(1, result['sent'])):.3f} %, "
              f"{meter.describe(seconds)}, {relayed_here * seconds / max(meter.process, 1e-9):,.0f} packets/s per core, "
              f"added one-way latency p50/p99 {describe_added(result, direct)}; dropped for a full socket buffer: "
              f"{result['drops'].describe()}" + (f"; the relay's own: {result['relay_lost']}" if "relay_lost" in result
                                                 else ""))
        return relayed_here * seconds / max(meter.process, 1e-9)

    describe("floor (bench/udp_relay --uring: the gateway's layout, no SRTP)", floor, floor_cpu)
    print(f"  floor {describe_gaps(floor, direct)}")
    print(f"  packets/s per core at this load: gateway {per_core:,.0f}, floor {floor_per_core:,.0f}, "
          f"ratio {per_core / floor_per_core:.2f}")
    if ALL_FLOORS:
        describe("floor without io_uring (udp_relay --shared: recvfrom and sendto on the phone side)", shared_floor,
                 shared_floor_cpu)
        describe("floor with a browser socket per call too (udp_relay: recvfrom/sendto)", per_socket_floor,
                 per_socket_floor_cpu)
    if reference_result:
        engine, engine_cpu = reference_result
        engine_per_core = describe(f"rtpengine (user space, {workers} thread(s), SDES {SDES_SUITES[srtp]})", engine,
                                   engine_cpu)
        print(f"  gateway/rtpengine packets/s per core: {per_core / engine_per_core:.2f}")
    per_call_kib = (rss_before - idle["rss_kib"]) / count
    per_call_fds = (descriptors_calls - idle["descriptors"]) / count
    print(f"  gateway RSS: {idle['rss_kib']:,} KiB idle, {rss_before:,} KiB with the calls up "
          f"({1024 * per_call_kib:,.0f} B per call), {rss_calls - rss_before:+,} KiB while media flowed")
    print(f"  descriptors: {idle['descriptors']} idle, {descriptors_calls} with the calls up "
          f"({per_call_fds:.2f} per call, WebSocket connections included: {CALLS_PER_CONNECTION} calls each)")
    return {"calls": count, "relayed": relayed, "loss": loss, "per_core": per_core, "floor_per_core": floor_per_core,
            "floor_relayed": floor_relayed, "p99_added_us": added_one_way(media, direct)["p99"],
            "floor_p99_added_us": added_one_way(floor, direct)["p99"], "cpu_share": cpu.process / seconds,
            "p99_unheld_added_us": unheld_added_p99(media, direct),
            "floor_p99_unheld_added_us": unheld_added_p99(floor, direct),
            "floor_cpu_share": floor_cpu.process / seconds,
            "stall_p99_wait_us": stalls["p99_wait_us"] if stalls else None}


def added_one_way(result, direct):
    """What a relay adds to one pass, per direction ('fwd': browser to phone, 'back') and
    percentile: its one-way latency there minus the same straight to the echo (one
    loopback hop, and the sender's moment between stamping a packet and handing it to the
    kernel); 'p50' and 'p99' are the worse direction's."""
    added = {f"{way}_{q}": result[f"{way}_{q}_us"] - direct[f"{way}_{q}_us"] for way in ("fwd", "back")
             for q in ("p50", "p99")}
    added["p50"] = max(added["fwd_p50"], added["back_p50"])
    added["p99"] = max(added["fwd_p99"], added["back_p99"])
    return added


def describe_added(result, direct):
    added = added_one_way(result, direct)
    return (f"{added['p50']} / {added['p99']} us (to the phone {added['fwd_p50']} / {added['fwd_p99']}, "
            f"from it {added['back_p50']} / {added['back_p99']})")


def unheld_added_p99(result, direct):
    """The worse direction's p99 of the packets that no gap held (bench/delivery_gaps.hpp),
    minus the same straight to the echo."""
    return max(result[f"{way}_p99_unheld_us"] - direct[f"{way}_p99_unheld_us"] for way in ("fwd", "back"))


def describe_gaps(result, direct):
    """Where a relay stood still: stretches over 1 ms in which a direction delivered
    nothing while packets waited, the packets that waited across one, and the added p99
    of all the others (bench/delivery_gaps.hpp)."""
    ways = []
    for way, name in (("fwd", "to the phone"), ("back", "from it")):
        held = 100 * result[f"{way}_held"] / max(1, result["received"])
        ways.append(f"{name} {result[f'{way}_gaps']} ({result[f'{way}_gap_ms']} ms in all, longest "
                    f"{result[f'{way}_longest_gap_us'] / 1000:.1f} ms, {held:.2f} % of packets waited across one)")
    return (f"stood still over 1 ms with packets waiting: {', '.join(ways)}; the added p99 of the packets no such "
            f"gap held: {unheld_added_p99(result, direct)} us")


SDES_SUITES = {"gcm": "AEAD_AES_128_GCM", "aes-cm": "AES_CM_128_HMAC_SHA1_80"}


def rtpengine_run(load, count, seconds, echo, media_port, threads, work, srtp):
    """The same streams through rtpengine, keyed by SDES with the suite the gateway's DTLS
    got (call_load keys both alike): (call_load's RESULT, rtpengine's CPU seconds)."""
    with relay_cpu():
        engine = RtpEngine(work, free_sip_port(), threads).start()
    try:
        load.send(f"sdes_open {count}")
        streams = []
        while len(streams) < count:
            _, index, port, key = load.expect("SDES").split()
            streams.append((int(index), int(port), key))
        load.expect("OPENED")
        for index, port, key in streams:
            call = {"call-id": f"bench-{index}", "from-tag": "browser"}
            engine.command({**call, "command": "offer", "sdp": sdes_offer(index, port, key, SDES_SUITES[srtp]),
                            "transport-protocol": "RTP/AVP"})
            answer = engine.command({**call, "command": "answer", "to-tag": "phone",
                                     "sdp": phone_answer(index, media_port), "transport-protocol": "RTP/SAVP"})
            relay_port = re.search(r"^m=audio (\d+)", answer["sdp"], re.M).group(1)
            relay_key = re.search(r"inline:([A-Za-z0-9+/=]+)", answer["sdp"]).group(1)
            relay_key += "=" * (-len(relay_key) % 4)  # rtpengine leaves out the padding; libre's decoder needs it
            load.send(f"sdes_connect {index} 127.0.0.1 {relay_port} {relay_key}")
        return measured_window(load, f"sdes_media {seconds} {SHAPE}", engine.process.pid, echo)
    finally:
        engine.stop()


def measured_window(load, command, relay_pid, echo):
    """Runs a media command through a relay other than the gateway: (call_load's RESULT, a
    CpuMeter of the relay); the RESULT's "drops" are what each process dropped meanwhile."""
    window = {}

    def begin():
        window["meter"] = CpuMeter(relay_pid)
        window["drops"] = SocketDrops({"relay": relay_pid, "call_load": load.process.pid, "rtp_echo": echo.pid})

    def end():
        window["meter"].stop()
        window["drops"].stop()

    result = load.window(command, begin, end)
    result["drops"] = window["drops"]
    return result, window["meter"]


def start_echo(port):
    """bench/rtp_echo on 127.0.0.1:port, ready: the phones' media."""
    echo = subprocess.Popen([str(BUILD / "bench" / "rtp_echo"), "127.0.0.1", str(port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    ready = echo.stdout.readline()
    if not ready.startswith("READY"):
        echo.kill()
        raise RuntimeError(f"rtp_echo: {ready.strip() or 'exited'}")
    return echo


def floor_run(load, count, seconds, echo, media_port, layout):
    """The same load through bench/udp_relay: (call_load's RESULT, a CpuMeter of the relay).
    layout: --uring or --shared (the browser side one socket for all calls, batched; the
    phone side through io_uring, or not), or None (a browser socket per call)."""
    first_port = 20000  # the gateway has stopped: its range is free again
    with relay_cpu():
        relay = subprocess.Popen([str(BUILD / "bench" / "udp_relay"), str(count), str(first_port), "127.0.0.1",
                                  str(media_port), *([layout] if layout else [])],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready = relay.stdout.readline()
        if not ready.startswith("READY"):
            raise RuntimeError(f"udp_relay: {ready.strip() or 'exited'}")
        # Every stream to the one port, or (no layout) stream i to first_port + i.
        command = f"{'baseline' if layout else 'floor'} {count} 127.0.0.1 {first_port} {seconds} {SHAPE}"
        result, meter = measured_window(load, command, relay.pid, echo)
    finally:
        out, _ = relay.communicate(timeout=10)  # closes its stdin: it prints what it lost and exits
    lost = next((line for line in out.splitlines() if line.startswith("LOST")), None)
    if not lost:
        raise RuntimeError(f"udp_relay said nothing of what it lost: {out.strip()}")
    result["relay_lost"] = lost[len("LOST "):]
    return result, meter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("counts", nargs="*", type=int, default=[50, 200])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--plot", help="write an SVG of packets/s and p99 latency against calls here")
    parser.add_argument("--video", action="store_true",
                        help="video-shaped streams: 3 packets of 1,100 bytes per frame, 30 frames/s")
    parser.add_argument("--srtp", choices=["gcm", "aes-cm"], default="gcm",
                        help="the SRTP suite call_load offers in DTLS, and keys rtpengine's SDES streams with "
                             "(default: AES-GCM first, as Chromium)")
    parser.add_argument("--reference", choices=["rtpengine"],
                        help="also run the same streams through rtpengine (Debian's rtpengine-daemon)")
    parser.add_argument("--no-io-uring", action="store_true",
                        help="the gateway without its PhoneRing (media_io_uring = no), to see what it buys")
    parser.add_argument("--pin", action="store_true",
                        help="run the relay under test (gateway, floor, rtpengine) on CPU 1 and the rest on CPU 0")
    parser.add_argument("--gateway-layout-floor-only", action="store_true",
                        help="measure only the floor in the gateway's layout (udp_relay --uring), not the older two")
    parser.add_argument("--second-worker-on-cpu0", action="store_true",
                        help="with --pin and --workers 2: the second media worker on CPU 0, beside the peers, so "
                             "that each worker has a core (its own CPU time is printed)")
    parser.add_argument("--slot-us", type=int, default=100, choices=[10, 20, 25, 50, 100, 125, 200, 250, 500, 1000],
                        help="call_load sends in slots this long (default 100 us); 1000 sends each millisecond's "
                             "packets in one burst, as call_load did before")
    arguments = parser.parse_args()
    global SHAPE, PIN, IO_URING, ALL_FLOORS, SECOND_WORKER_ON_CPU0, SLOT_US
    SLOT_US = arguments.slot_us
    PIN = arguments.pin
    SECOND_WORKER_ON_CPU0 = arguments.second_worker_on_cpu0
    ALL_FLOORS = not arguments.gateway_layout_floor_only
    IO_URING = not arguments.no_io_uring
    if PIN:
        os.sched_setaffinity(0, {0})
    SHAPE = "video" if arguments.video else "audio"
    keep = os.environ.get("CALL_BENCH_KEEP")  # a directory: the logs of every run stay there
    with tempfile.TemporaryDirectory(prefix="call-bench-") as scratch, housekeeping_off_relay_cpu():
        work = pathlib.Path(keep or scratch)
        work.mkdir(parents=True, exist_ok=True)
        rows = [bench(count, arguments.seconds, arguments.workers, work, arguments.srtp, arguments.reference)
                for count in arguments.counts]
    if arguments.plot:
        write_plot(arguments.plot, rows, f"{SHAPE}, {arguments.workers} media worker(s), {arguments.seconds} s per point")
        rows_file = pathlib.Path(arguments.plot).with_suffix(".json")
        rows_file.write_text(json.dumps(rows, indent=1) + "\n")
        print(f"\nplot: {arguments.plot} (its rows: {rows_file})")


if __name__ == "__main__":
    main()
