"""SIP phones for call tests, on loopback: sipp (Debian's sip-tester) running a built-in or
scripted scenario (or on another address, in a network namespace, when told), and baresip
(Debian's baresip-core) driven over its ctrl_tcp socket."""

import audioop
import json
import math
import pathlib
import socket
import select
import struct
import subprocess
import threading
import time
import wave

from conftest import free_port, free_sip_port, peer_environment, stop_process

CALL_SCENARIOS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "sipp" / "calls"


class SippPhone:
    """One sipp process. `scenario` is a built-in name ("uas", "uac_pcap") or a file in
    tests/fixtures/sipp/calls. Exit code 0 means every step of it happened as written."""

    def __init__(self, directory, scenario, calls=1, echo_rtp=True, extra=(), address="127.0.0.1", wrapper=None):
        """address: where it listens for SIP and media (and what its SDP shows); wrapper: a
        function that turns the command into the one to run (NatNetwork.in_phone: inside a
        network namespace)."""
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.port, self.media_port = free_sip_port(), free_sip_port()
        source = ["-sn", scenario] if not scenario.endswith(".xml") else ["-sf", str(CALL_SCENARIOS / scenario)]
        self.wrapper = wrapper or (lambda command: command)
        self.command = ["sipp", *source, "-i", address, "-p", str(self.port), "-mi", address,
                        "-mp", str(self.media_port), "-m", str(calls), "-nostdin", "-timeout", "60s",
                        "-trace_err", *(["-rtp_echo"] if echo_rtp else []), *extra]
        self.process = None

    def start(self, target=None):
        """Starts it; a calling scenario sends its INVITE to `target` ("host:port")."""
        self._log = open(self.directory / "sipp.log", "w")
        self.process = subprocess.Popen(self.wrapper(self.command + ([target] if target else [])), cwd=self.directory,
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=peer_environment())
        return self

    def uri(self, user="service"):
        return f"{user}@{self.address}:{self.port}"

    def wait(self, timeout=30):
        """The exit code, with sipp's own account of what went wrong when it is not 0."""
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            self._log.close()
        return code

    def errors(self):
        logs = sorted(self.directory.glob("*_errors.log")) + [self.directory / "sipp.log"]
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in logs if p.exists())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def write_tone(path, seconds=30, rate=8000):
    """440 Hz, mono 16-bit WAV at 8 kHz: what G.711 carries without resampling."""
    samples = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                       for i in range(seconds * rate))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)


class PhoneMedia:
    """The media end of a phone whose signalling is sipp's (its scenario writes this
    socket's port in its SDP, as [media_sink]): it records when each RTP packet arrives,
    and sends a 440 Hz PCMU tone in 20 ms packets to wherever the gateway's RTP comes
    from, as a phone playing music on hold would."""

    EVENT_TYPE = 101  # telephone-event/8000, as its scenarios write it

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.arrivals = []  # time.monotonic() of each RTP packet received
        self.events = []    # (event code, end bit) of each RFC 4733 packet received
        self._digits = []   # RFC 4733 packets to send, in place of tone packets
        self._peer = None
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sipp_key(self):
        return ("-key", "media_sink", str(self.port))

    def received_between(self, start, end):
        return sum(1 for arrival in list(self.arrivals) if start <= arrival < end)

    def _run(self):
        tone = audioop.lin2ulaw(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                                         for i in range(8000)), 2)
        sequence, timestamp, next_send = 0, 0, time.monotonic()
        while self._running:
            readable, _, _ = select.select([self.socket], [], [], max(0.0, next_send - time.monotonic()))
            if readable:
                data, self._peer = self.socket.recvfrom(2048)
                if len(data) >= 12 and data[0] >> 6 == 2 and not 200 <= data[1] <= 204:  # RTP, not RTCP
                    self.arrivals.append(time.monotonic())
                    if data[1] & 0x7F == self.EVENT_TYPE and len(data) >= 16:
                        self.events.append((data[12], bool(data[13] & 0x80)))
            if time.monotonic() >= next_send:
                next_send += 0.02
                if self._peer:
                    destination = (self._peer[0], self._peer[1] - self._peer[1] % 2)
                    if self._digits:
                        event_timestamp, payload = self._digits.pop(0)
                        header = struct.pack("!BBHII", 0x80, self.EVENT_TYPE, sequence & 0xFFFF, event_timestamp, 0x5EED)
                    else:
                        start = (timestamp % 8000)
                        payload = (tone + tone)[start:start + 160]
                        header = struct.pack("!BBHII", 0x80, 0, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, 0x5EED)
                    self.socket.sendto(header + payload, destination)
                    sequence, timestamp = sequence + 1, timestamp + 160

    def send_digit(self, digit, duration=800):
        """One RFC 4733 digit in place of the tone: updates every 20 ms, then its end three
        times (RFC 4733 2.5.1.4), all with the event's timestamp."""
        code = "0123456789*#ABCD".index(digit)
        event_timestamp = int(time.monotonic() * 8000) & 0xFFFFFFFF
        packets = [(event_timestamp, struct.pack("!BBH", code, 10, length))
                   for length in range(160, duration, 160)]
        packets += [(event_timestamp, struct.pack("!BBH", code, 0x80 | 10, duration))] * 3
        self._digits.extend(packets)

    def stop(self):
        self._running = False
        self._thread.join(timeout=2)
        self.socket.close()


class Baresip:
    """baresip with one local account and G.711, a 440 Hz tone as its microphone, what it
    hears written to a file. Listens on loopback only; `answermode=auto` answers every call.
    Commands and events go over ctrl_tcp (netstring-framed JSON)."""

    def __init__(self, directory, user="phone"):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.user, self.port, self.control_port = user, free_sip_port(), free_port()
        self.received_audio = self.directory / "heard.wav"
        self.tone = self.directory / "tone.wav"
        write_tone(self.tone)
        (self.directory / "config").write_text("\n".join([
            f"sip_listen 127.0.0.1:{self.port}",
            "net_interface 127.0.0.1",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module aufile.so",
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            f"audio_source aufile,{self.tone}",
            f"audio_player aufile,{self.received_audio}",
            "audio_alert aufile,/dev/null",
            f"ctrl_tcp_listen 127.0.0.1:{self.control_port}",
            "rtp_stats yes",
        ]) + "\n")
        (self.directory / "accounts").write_text(f"<sip:{user}@127.0.0.1>;regint=0;answermode=auto\n")
        self.process = None
        self._control = None
        self._buffer = b""

    def start(self):
        self._log = open(self.directory / "baresip.log", "w")
        self.process = subprocess.Popen(["baresip", "-f", str(self.directory), "-v"], cwd=self.directory,
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                self._control = socket.create_connection(("127.0.0.1", self.control_port), timeout=1)
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"baresip did not start:\n{self.log()}")
                time.sleep(0.1)

    def uri(self):
        return f"{self.user}@127.0.0.1:{self.port}"

    def log(self):
        return (self.directory / "baresip.log").read_text(errors="replace")

    def command(self, command, params=""):
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self._control.sendall(str(len(body)).encode() + b":" + body + b",")

    def event(self, wanted, timeout=15):
        """Reads ctrl_tcp messages until an event of type `wanted`; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            while b":" in self._buffer:
                length, _, rest = self._buffer.partition(b":")
                if len(rest) < int(length) + 1:
                    break
                message, self._buffer = json.loads(rest[:int(length)]), rest[int(length) + 1:]
                if message.get("event") and message.get("type") == wanted:
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"baresip sent no {wanted} event in {timeout} s:\n{self.log()[-3000:]}")
            self._control.settimeout(remaining)
            try:
                chunk = self._control.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError(f"baresip closed its control socket:\n{self.log()[-3000:]}")
            self._buffer += chunk

    def rtp_packets(self):
        """(sent, received) RTP packets of its last call, from the stats baresip prints
        when a call ends (rtp_stats); fails when it printed none within 5 s (it prints
        them as it closes the call, which may be a moment after the call has ended)."""
        import re
        deadline = time.monotonic() + 5
        while not (counts := re.findall(r"^packets:\s+(\d+)\s+(\d+)", self.log(), re.M)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert counts, f"baresip printed no RTP stats:\n{self.log()[-3000:]}"
        return int(counts[-1][0]), int(counts[-1][1])

    def stop(self):
        if self._control:
            self._control.close()
        stop_process(self.process)
        self._log.close()
