"""Starts the real host process (python3 -m sylk_host) with a configuration directory
made for each test, and gives tests WebSocket clients whose every received message is
checked against schema/server-message.json."""

import asyncio
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

import schema_check

ROOT = pathlib.Path(__file__).resolve().parents[2]
HA1 = "5f4dcc3b5aa765d61d8327deb882cf99"  # MD5 of some user:realm:password; the value does not matter here


_handed_out = set()


def free_port():
    """A TCP port free on 127.0.0.1 now, and never handed out before in this process: the
    kernel may offer the same port again until someone binds it, and a host's web port and
    its SIP TLS port, picked one after the other, once came out equal."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def peer_environment():
    """The environment for programs that are not ours (sipp, ip, iptables, Chromium): the
    sanitizer build preloads the ASan runtime into the test's processes, and it would
    check those too (iproute2's `ip` trips over it)."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def host_environment():
    env = dict(os.environ)
    # ctest sets SYLK_APPLICATIONS_DIR, and LD_PRELOAD/ASAN_OPTIONS for a sanitizer build.
    env.setdefault("SYLK_APPLICATIONS_DIR", str(ROOT / "build" / "module"))
    return env


class HostProcess:
    """One run of the reference host on a configuration directory."""

    def __init__(self, config_dir, port, scheme="ws"):
        self.config_dir = pathlib.Path(config_dir)
        self.port = port
        self.url = f"{scheme}://127.0.0.1:{port}/webrtcgateway/ws"
        self.log_path = self.config_dir / "host.log"
        self.process = None
        self.exit_expected = False  # set once the test stops the host or waits for its exit

    def start(self, wait_ready=True):
        self._log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sylk_host", "--config-dir", str(self.config_dir), "--log-level", "DEBUG"],
            stdout=self._log_file, stderr=subprocess.STDOUT, env=host_environment())
        if wait_ready:
            self.wait_for_log("sylk.host: running:")
        return self

    def log(self):
        return self.log_path.read_text()

    def wait_for_log(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"host exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"'{text}' not logged within {timeout}s:\n{self.log()}")

    def wait_exit(self, timeout=20):
        self.exit_expected = True
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log_file.close()

    def stats(self, timeout=10):
        """The gateway's counters (connections, accounts, sessions, requests), as the host
        logs them on SIGUSR1; fails when they do not appear."""
        before = self.log().count("stats webrtcgateway: ")
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while (lines := [l for l in self.log().splitlines() if "stats webrtcgateway: " in l])[before:] == []:
            assert self.process.poll() is None and time.monotonic() < deadline, f"no stats logged:\n{self.log()}"
            time.sleep(0.05)
        return json.loads(lines[before].split("stats webrtcgateway: ", 1)[1])

    def stop(self, signal_number=signal.SIGTERM):
        """Signals the host and returns its exit code; raises if it had already exited on its own."""
        self.exit_expected = True
        if self.process.poll() is not None:
            code = self.wait_exit()
            raise AssertionError(f"host had exited on its own (exit code {code}) before it was asked to stop:\n"
                                 f"{self.log()}")
        self.process.send_signal(signal_number)
        return self.wait_exit()


def stop_process(process, timeout=10):
    """SIGTERM, then SIGKILL if it has not exited within `timeout`; a process already gone is fine."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def teardown_problems(host):
    """Stops a host still running and lists what went wrong with it: an exit nobody asked
    for (a crash), a non-zero exit code, a sanitizer report in its log."""
    problems = []
    if not host.process:
        return problems
    if host.process.poll() is not None and not host.exit_expected:
        host.wait_exit()
        problems.append(f"host exited on its own during the test (exit code {host.process.returncode}, "
                        f"negative: killed by that signal):\n{host.log()}")
    elif host.process.poll() is None:
        code = host.stop()
        if code != 0:
            problems.append(f"host exit code {code}:\n{host.log()}")
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        if marker in host.log():
            problems.append(f"{marker} in the host's log:\n{host.log()}")
    return problems


def free_sip_port():
    """A port free for both UDP and TCP on 127.0.0.1 (SIP uses one number for both)."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def write_config(directory, port, general=None, webserver=None, server=None, sip=None, tls=None, rtp=None, limits=None):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sip_port = free_sip_port()
    sections = {
        "config.ini": {"Server": dict(server or {}),
                       "WebServer": {"local_ip": "127.0.0.1", "local_port": str(port), **(webserver or {})},
                       # DNS goes to a loopback port nobody serves unless a test brings its own
                       # server: no lookup may leave the machine.
                       "SIP": {"local_ip": "127.0.0.1", "local_udp_port": str(sip_port),
                               "local_tcp_port": str(sip_port), "local_tls_port": str(free_port()),
                               "nameservers": f"127.0.0.1:{free_sip_port()}", **(sip or {})},
                       "TLS": dict(tls or {}),
                       # Media ports below Linux's ephemeral range (32768-60999): the
                       # default 50000:50500 sits inside it, where the test's own peers
                       # (aiortc, sipp, Chromium) take ports too, and a call that finds
                       # its port taken ends with "cannot bind".
                       "RTP": {"port_range": "20000:29998", **(rtp or {})}},
        "webrtcgateway.ini": {"General": dict(general or {}), "Limits": dict(limits or {})},
    }
    for name, content in sections.items():
        lines = []
        for section, values in content.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {value}" for key, value in values.items()]
        (directory / name).write_text("\n".join(lines) + "\n")
    return directory


@pytest.fixture
def start_gateway(tmp_path):
    """start_gateway(general={...}, webserver={...}, server={...}, limits={...}) -> a running HostProcess.
    Every host it started is stopped at the end, and must have exited with 0. A host that
    exited on its own before the test stopped it (any exit code, a crash, a signal) fails
    the test, with its log."""
    hosts = []

    def start(general=None, webserver=None, server=None, scheme="ws", sip=None, tls=None, rtp=None, limits=None):
        port = free_port()
        directory = write_config(tmp_path / f"config{len(hosts)}", port, general, webserver, server, sip, tls, rtp,
                                 limits)
        host = HostProcess(directory, port, scheme)
        hosts.append(host)
        return host.start()

    yield start
    problems = [problem for host in hosts for problem in teardown_problems(host)]
    assert not problems, "\n\n".join(problems)


@pytest.fixture
def phones(tmp_path):
    """phones(scenario, ...) -> a SippPhone (phones.py), not started; every one is stopped at
    the end of the test."""
    from phones import SippPhone  # phones.py takes its ports from this module

    made = []

    def make(scenario, **options):
        made.append(SippPhone(tmp_path / f"phone{len(made)}", scenario, **options))
        return made[-1]

    yield make
    for phone in made:
        phone.stop()


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate and key in one PEM file, as SylkServer keeps them."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    combined = tmp_path / "default.crt"
    combined.write_text(cert.read_text() + key.read_text())
    return combined, cert


@pytest.fixture
def gateway(start_gateway):
    return start_gateway()


class Client:
    """A sylkRTC-1 client over the websockets library; checks every message it receives."""

    def __init__(self, websocket):
        self.ws = websocket
        self._transactions = 0
        self._pending = []  # events that arrived while a request waited for its answer

    @classmethod
    async def connect(cls, url, expect_ready=True, **kwargs):
        import websockets
        ws = await websockets.connect(url, subprotocols=["sylkRTC-1"], **kwargs)
        client = cls(ws)
        if expect_ready:
            assert await client.receive() == {"sylkrtc": "event", "event": "ready"}
        return client

    async def receive(self, timeout=5):
        if self._pending:
            return self._pending.pop(0)
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(text, str), "the gateway sends text frames only"
        message = json.loads(text)
        schema_check.assert_server_message(message)
        return message

    async def request(self, message, timeout=5):
        """Sends a request with a fresh transaction; returns its one answer. Events that
        come first (another call's progress) are kept, in order, for receive()."""
        self._transactions += 1
        transaction = f"t{self._transactions}"
        await self.ws.send(json.dumps({**message, "transaction": transaction}))
        held = []
        while True:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
            answer = json.loads(text)
            schema_check.assert_server_message(answer)
            if "transaction" in answer:
                assert answer["transaction"] == transaction, answer
                self._pending += held
                return answer
            held.append(answer)

    async def expect_silence(self, seconds=0.3):
        assert not self._pending, f"unexpected message {self._pending[0]}"
        try:
            message = await asyncio.wait_for(self.ws.recv(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")

    async def close(self):
        await self.ws.close()


def run(coroutine):
    return asyncio.run(coroutine)


def add_account_request(account="alice@example.com", ha1=HA1, kind="add_account"):
    return {"sylkrtc": kind, "account": account, "password": ha1}
