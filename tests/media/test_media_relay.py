"""The media relay end to end, without SIP: aiortc plays the browser (ICE, DTLS-SRTP,
a generated tone), a plain UDP socket plays the phone (counting RTP and echoing it),
and media_harness runs the gateway's media engine between them with the SDPs written
by module/src/sdp.

aioice leaves loopback out of its host candidates; the tests give it 127.0.0.1, the
only address they use, so nothing leaves the machine and no namespace is needed.
"""

import asyncio
import json
import math
import os
import re
import socket
import struct
import threading
import time

import aioice.ice
import aioice.stun as stun
import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

RTP_TIMEOUT = 3


class ToneTrack(AudioStreamTrack):
    """440 Hz at 8 kHz, 20 ms frames, paced in real time."""

    def __init__(self):
        super().__init__()
        self._sample = 0

    async def recv(self):
        silence = await super().recv()  # paces, and gives pts/time_base
        frame = av.AudioFrame(format="s16", layout="mono", samples=silence.samples)
        samples = [int(8000 * math.sin(2 * math.pi * 440 * (self._sample + i) / 8000)) for i in range(silence.samples)]
        self._sample += silence.samples
        frame.planes[0].update(struct.pack(f"<{len(samples)}h", *samples))
        frame.pts, frame.sample_rate, frame.time_base = silence.pts, silence.sample_rate, silence.time_base
        return frame


class Phone:
    """A SIP phone's media as a plain UDP socket: counts RTP, echoes it while asked to."""

    def __init__(self, pcmu_type=0):
        self.pcmu_type = pcmu_type  # the number its answer gives PCMU (a dynamic one is legal)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.received = 0
        self.payload_types = set()
        self.echo = True
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, source = self.socket.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            self.received += 1
            self.payload_types.add(data[1] & 0x7F)
            if self.echo:
                self.socket.sendto(data, source)

    def answer(self, offer):
        assert "m=audio" in offer and "RTP/AVP" in offer, offer
        return (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {self.port} RTP/AVP {self.pcmu_type}\r\na=rtpmap:{self.pcmu_type} PCMU/8000\r\na=sendrecv\r\n"
        )

    def close(self):
        self._stop = True
        self._thread.join()
        self.socket.close()


def settings(first_port):
    return {"rtp_port_range": f"{first_port}:{first_port + 99}", "rtp_timeout": RTP_TIMEOUT,
            "sip_listen_address": "127.0.0.1"}


async def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.05)


def port_is_free(port):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


@pytest.mark.parametrize("io_uring, pcmu_type", [(True, 98), (False, 0)],
                         ids=["phone-ring-renumbered", "syscall-each"])
def test_audio_both_ways_then_rtp_timeout(harness_factory, io_uring, pcmu_type):
    # Both ways a worker reaches its phone sockets: through its PhoneRing (io_uring), and
    # with media_io_uring off, one system call per read and per send. With the ring, the
    # phone calls PCMU 98: the relay renumbers it each way (aiortc decodes only 0).
    harness = harness_factory({**settings(42000), "media_io_uring": io_uring})
    phone = Phone(pcmu_type)

    async def call():
        pc = RTCPeerConnection()
        pc.addTrack(ToneTrack())
        frames = []

        @pc.on("track")
        def on_track(track):
            async def read():
                while True:
                    try:
                        frame = await track.recv()
                    except Exception:
                        return
                    frames.append(frame)

            asyncio.ensure_future(read())

        await pc.setLocalDescription(await pc.createOffer())
        harness.send_block(pc.localDescription.sdp)
        phone_offer = harness.read_block("PHONE-OFFER")
        harness.send_block(phone.answer(phone_offer))
        answer = harness.read_block("BROWSER-ANSWER")
        assert "a=ice-lite" in answer and "a=setup:passive" in answer and "a=rtcp-mux" in answer
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

        loop = asyncio.get_running_loop()
        established = await loop.run_in_executor(None, harness.wait_event, "EVENT established 1", 15)
        assert established

        # Media both ways: the tone reaches the phone as RTP, the phone's echo comes back
        # through SRTP and aiortc decodes it into audio frames.
        await wait_for(lambda: phone.received >= 100, 15, "RTP at the phone")
        await wait_for(lambda: len(frames) >= 100, 15, "audio frames decoded by aiortc")
        assert phone.payload_types == {pcmu_type}  # PCMU, the one codec the phone answered
        assert all(frame.sample_rate == 8000 for frame in frames)
        loud = [frame for frame in frames[-50:] if max(abs(s) for s in struct.unpack(
            f"<{frame.samples}h", bytes(frame.planes[0])[: 2 * frame.samples])) > 1000]
        assert loud, "the echoed tone came back as silence"

        # The phone stops sending: the session ends with "RTP timeout", while the browser still sends.
        phone.echo = False
        stopped = time.monotonic()
        ended = await loop.run_in_executor(None, harness.wait_event, "EVENT ended 1 RTP timeout", RTP_TIMEOUT + 10)
        waited = time.monotonic() - stopped
        assert RTP_TIMEOUT - 0.5 <= waited <= RTP_TIMEOUT + 2, (ended, waited)
        await pc.close()

    try:
        asyncio.run(call())
        assert harness.close() == 0
    finally:
        phone.close()
    # The worker's account at stop: with the ring, the call's phone-side reads and sends
    # went through it, several to a system call at times, every one on a socket registered
    # with the ring; without, there is no ring.
    ring = [re.search(r"phone ring: (\d+) reads and sends \((\d+) on registered descriptors\) in (\d+) system "
                      r"calls; (\d+) datagrams could not be sent", line) for line in harness.log]
    ring = [match for match in ring if match]
    if io_uring:
        assert len(ring) == 1, harness.log
        requests, registered, submissions, failed = (int(value) for value in ring[0].groups())
        assert requests >= 2 * 100 and submissions <= requests and failed == 0, ring[0].group(0)
        assert registered == requests, ring[0].group(0)
    else:
        assert not ring, ring[0].group(0)
    # The hang-up line: one JSON object for the call, with both directions of its line.
    quality = [line.split("media quality ", 1)[1] for line in harness.log if "media quality " in line]
    assert len(quality) == 1, harness.log
    call = json.loads(quality[0])
    assert call["session"] == 1 and call["duration_ms"] > RTP_TIMEOUT * 1000
    to_phone, to_browser = call["lines"][0]["browser_to_phone"], call["lines"][0]["phone_to_browser"]
    assert to_phone["received"] >= 100 and to_phone["sent"] >= 100, call
    assert to_browser["received"] >= 100 and to_browser["sent"] >= 100, call
    assert 0 <= to_phone["lost"] <= to_phone["expected"] // 10, call  # loopback: next to nothing lost
    assert 0 <= to_phone["jitter_ms"] < 100, call


def test_dtls_that_never_completes_ends_with_a_reason_and_leaves_nothing_behind(harness_factory):
    harness = harness_factory(settings(42200))
    phone = Phone()
    browser = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    browser.bind(("127.0.0.1", 0))
    browser.settimeout(5)  # a loaded machine (the sanitizer build) can take its time
    our_ufrag, our_pwd = "brws", "browserpasswordbrowserpw"
    fingerprint = ":".join(f"{b:02X}" for b in os.urandom(32))
    offer = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtcp-mux\r\na=sendrecv\r\n"
        f"a=ice-ufrag:{our_ufrag}\r\na=ice-pwd:{our_pwd}\r\na=fingerprint:sha-256 {fingerprint}\r\n"
        "a=setup:actpass\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    try:
        harness.send_block(offer)
        phone_offer = harness.read_block("PHONE-OFFER")
        phone_port = int(re.search(r"m=audio (\d+) RTP/AVP", phone_offer).group(1))
        harness.send_block(phone.answer(phone_offer))
        answer = harness.read_block("BROWSER-ANSWER")
        gw_ufrag = re.search(r"a=ice-ufrag:(\S+)", answer).group(1)
        gw_pwd = re.search(r"a=ice-pwd:(\S+)", answer).group(1)
        port = int(re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", answer).group(1))

        def check(password):
            request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
            request.attributes["USERNAME"] = f"{gw_ufrag}:{our_ufrag}"
            request.attributes["PRIORITY"] = 1
            request.attributes["ICE-CONTROLLING"] = 1
            request.attributes["USE-CANDIDATE"] = None
            request.add_message_integrity(password.encode())  # and FINGERPRINT
            browser.sendto(bytes(request), ("127.0.0.1", port))
            return stun.parse_message(browser.recv(1500))

        # Wrong credentials are refused (401); right ones answered with our mapped address.
        refused = check("not-the-gateway-password")
        assert refused.message_class == stun.Class.ERROR and refused.attributes["ERROR-CODE"][0] == 401
        answered = check(gw_pwd)
        assert answered.message_class == stun.Class.RESPONSE
        assert answered.attributes["XOR-MAPPED-ADDRESS"] == ("127.0.0.1", browser.getsockname()[1])

        # ICE done, no DTLS ever: the session ends with a reason within the timeout.
        started = time.monotonic()
        ended = harness.wait_event("EVENT ended 1 DTLS failed: handshake not completed", RTP_TIMEOUT + 10)
        assert time.monotonic() - started <= RTP_TIMEOUT + 2, ended
        # ... and leaves nothing behind: its phone ports are free again, and the worker's
        # browser port (shared by its sessions, so still bound) no longer answers its
        # ufrag, where it answered at once a moment ago.
        assert port_is_free(phone_port) and port_is_free(phone_port + 1)
        assert not port_is_free(port)
        browser.settimeout(3)
        with pytest.raises(socket.timeout):
            check(gw_pwd)
        assert harness.close() == 0
    finally:
        browser.close()
        phone.close()



def test_a_certificate_that_is_not_the_announced_one_ends_the_session_and_relays_nothing(harness_factory):
    harness = harness_factory(settings(42400))
    phone = Phone()

    async def call():
        pc = RTCPeerConnection()
        pc.addTrack(ToneTrack())
        await pc.setLocalDescription(await pc.createOffer())
        # The SDP announces another certificate than the one aiortc will present.
        forged = re.sub(r"(a=fingerprint:sha-256 )\S+", lambda m: m.group(1) + ":".join(
            f"{b:02X}" for b in os.urandom(32)), pc.localDescription.sdp)
        harness.send_block(forged)
        harness.send_block(phone.answer(harness.read_block("PHONE-OFFER")))
        answer = harness.read_block("BROWSER-ANSWER")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, harness.wait_event, "EVENT ended 1 DTLS fingerprint mismatch", 15)
        await asyncio.sleep(0.5)
        assert phone.received == 0  # nothing reached the phone from an unverified peer
        await pc.close()

    try:
        asyncio.run(call())
        assert harness.close() == 0
    finally:
        phone.close()
