"""rtpengine (Debian's rtpengine-daemon, user space: --table=-1) as the reference relay in
bench/call-bench.py: the process, and its ng control protocol (bencoded dictionaries over
UDP, each datagram "cookie dictionary")."""

import os
import socket
import subprocess
import time


def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(key) + bencode(value[key]) for key in sorted(value)) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data, at=0):
    """(value, where it ended); dictionary keys and strings come back as str."""
    kind = data[at:at + 1]
    if kind == b"i":
        end = data.index(b"e", at)
        return int(data[at + 1:end]), end + 1
    if kind in (b"l", b"d"):
        at += 1
        items = []
        while data[at:at + 1] != b"e":
            item, at = bdecode(data, at)
            items.append(item)
        if kind == b"l":
            return items, at + 1
        return dict(zip(items[::2], items[1::2])), at + 1
    colon = data.index(b":", at)
    size = int(data[at:colon])
    return data[colon + 1:colon + 1 + size].decode(errors="replace"), colon + 1 + size


class RtpEngine:
    def __init__(self, work, ng_port, threads, port_min=30000, port_max=50000):
        self.work, self.ng_port, self.threads = work, ng_port, threads
        self.ports = (port_min, port_max)
        self.process = None
        self.control = None

    def start(self):
        self.log = open(self.work / "rtpengine.log", "w")
        self.process = subprocess.Popen(
            ["rtpengine", "--config-file=none", "--table=-1", "--foreground", "--log-stderr", "--log-level=4",
             "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{self.ng_port}", f"--num-threads={self.threads}",
             f"--port-min={self.ports[0]}", f"--port-max={self.ports[1]}", "--timeout=300"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.control.settimeout(1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.command({"command": "ping"}).get("result") == "pong":
                    return self
            except (OSError, RuntimeError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rtpengine did not answer ping (see {self.work / 'rtpengine.log'})")
            time.sleep(0.1)

    def command(self, dictionary):
        cookie = os.urandom(6).hex().encode()
        self.control.sendto(cookie + b" " + bencode(dictionary), ("127.0.0.1", self.ng_port))
        while True:
            data = self.control.recv(65535)
            if data.startswith(cookie + b" "):
                answer, _ = bdecode(data, len(cookie) + 1)
                if answer.get("result") == "error":
                    raise RuntimeError(f"rtpengine: {answer.get('error-reason')}")
                return answer

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.control:
            self.control.close()
        if getattr(self, "log", None):
            self.log.close()


def sdes_offer(index, port, key, suite):
    """The browser side as rtpengine takes it: RTP/SAVP keyed by a=crypto with `suite`
    (AEAD_AES_128_GCM or AES_CM_128_HMAC_SHA1_80)."""
    return "\r\n".join([
        "v=0", f"o=- {index + 1} 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
        f"m=audio {port} RTP/SAVP 0", f"a=crypto:1 {suite} inline:{key}", "a=rtpmap:0 PCMU/8000",
        "a=sendrecv", ""])


def phone_answer(index, port):
    return "\r\n".join([
        "v=0", f"o=- {index + 1} 2 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
        f"m=audio {port} RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=sendrecv", ""])
