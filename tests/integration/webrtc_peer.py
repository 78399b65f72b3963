"""aiortc (Debian's python3-aiortc) as the browser in call tests: an RTCPeerConnection with
a tone as its microphone, counting the audible frames it decodes from what comes back.
Loopback only: aioice is handed 127.0.0.1, which it otherwise leaves out of its host
candidates."""

import asyncio
import math
import re
import socket
import struct
import time

import aioice.ice
import aioice.stun as stun
import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class Tone(AudioStreamTrack):
    """440 Hz, 20 ms frames in real time: what the phone echoes back must not be silence."""

    def __init__(self):
        super().__init__()
        self._sample = 0

    async def recv(self):
        paced = await super().recv()
        frame = av.AudioFrame(format="s16", layout="mono", samples=paced.samples)
        samples = [int(8000 * math.sin(2 * math.pi * 440 * (self._sample + i) / paced.sample_rate))
                   for i in range(paced.samples)]
        self._sample += paced.samples
        frame.planes[0].update(struct.pack(f"<{len(samples)}h", *samples))
        frame.pts, frame.sample_rate, frame.time_base = paced.pts, paced.sample_rate, paced.time_base
        return frame


class Browser:
    """aiortc with one audio track; counts the audible frames it decodes."""

    def __init__(self):
        self.pc = RTCPeerConnection()
        self.pc.addTrack(Tone())
        self.audible_frames = 0
        self.frames = 0
        self.video_frames = 0  # decoded from a video track, once one is added
        self.loudest = 0
        self.pc.on("track", self._on_track)

    def _on_track(self, track):
        async def consume():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                if track.kind == "video":
                    self.video_frames += 1
                    continue
                samples = struct.unpack(f"<{len(bytes(frame.planes[0])) // 2}h", bytes(frame.planes[0]))
                self.frames += 1
                self.loudest = max(self.loudest, max(abs(s) for s in samples))
                if max(abs(s) for s in samples) > 1000:
                    self.audible_frames += 1
        asyncio.ensure_future(consume())

    def vanish(self):
        """Drops off the network without a word, as a browser whose machine sleeps: consent
        checks stop, RTP and DTLS stop, no close_notify, no ICE goodbye."""
        for transceiver in self.pc.getTransceivers():
            connection = transceiver.sender.transport.transport._connection
            if connection._query_consent_handle:
                connection._query_consent_handle.cancel()
            for protocol in connection._protocols:
                protocol.transport.close()

    async def offer(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, sdp):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))


def ice_check_answered(gateway_sdp, browser_sdp, timeout=3):
    """Sends one ICE check with the session's credentials, from a socket of its own, to the
    candidate of the gateway's SDP: whether a success answer came within `timeout` s."""
    port = int(re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", gateway_sdp).group(1))
    gateway_ufrag = re.search(r"a=ice-ufrag:(\S+)", gateway_sdp).group(1)
    gateway_pwd = re.search(r"a=ice-pwd:(\S+)", gateway_sdp).group(1)
    browser_ufrag = re.search(r"a=ice-ufrag:(\S+)", browser_sdp).group(1)
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    request.attributes["USERNAME"] = f"{gateway_ufrag}:{browser_ufrag}"
    request.attributes["PRIORITY"] = 1
    request.attributes["ICE-CONTROLLING"] = 1
    request.add_message_integrity(gateway_pwd.encode())  # and FINGERPRINT
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        probe.settimeout(timeout)
        probe.sendto(bytes(request), ("127.0.0.1", port))
        try:
            answer = stun.parse_message(probe.recv(1500))
        except socket.timeout:
            return False
    return answer.message_class == stun.Class.RESPONSE and answer.transaction_id == request.transaction_id


async def events_until(client, state, timeout=15):
    """The session's state events up to and including `state`."""
    seen = []
    while True:
        event = await client.receive(timeout=timeout)
        if event["sylkrtc"] != "session_event" or event.get("event") != "state":
            continue
        seen.append(event["data"])
        if event["data"]["state"] == state:
            return seen
        assert event["data"]["state"] != "terminated", seen


async def hang_up(client, browser, session="S1"):
    """session-terminate, `terminated` with "200 Call completed", then both ends closed."""
    await client.request({"sylkrtc": "session-terminate", "session": session})
    assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
    await browser.pc.close()
    await client.close()


async def session_updates(client, count, timeout=15):
    """The next `count` update events of the session, each with the time it arrived."""
    seen = []
    while len(seen) < count:
        event = await client.receive(timeout=timeout)
        if event["sylkrtc"] == "session_event" and event["event"] == "update":
            seen.append((time.monotonic(), event["data"]))
        else:
            assert event.get("data", {}).get("state") != "terminated", event
    return seen


async def until_audible(browser, frames=25, timeout=10):
    """Waits until the browser has decoded `frames` audible frames; fails after `timeout` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while browser.audible_frames < frames:
        assert asyncio.get_running_loop().time() < deadline, f"only {browser.audible_frames} audible frames decoded"
        await asyncio.sleep(0.05)


async def until_video(browser, frames=10, timeout=15):
    """Waits until the browser has decoded `frames` video frames; fails after `timeout` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while browser.video_frames < frames:
        assert asyncio.get_running_loop().time() < deadline, f"only {browser.video_frames} video frames came back"
        await asyncio.sleep(0.1)


async def call_until_established(client, browser, account, uri, session="S1"):
    """session-create with the browser's offer, its answer applied on `accepted`; returns
    once the session is `established` (fails on `terminated` before)."""
    ack = await client.request({"sylkrtc": "session-create", "account": account, "session": session, "uri": uri,
                                "sdp": await browser.offer()})
    assert ack["sylkrtc"] == "ack", ack
    states = await events_until(client, "accepted")
    await browser.accept(states[-1]["sdp"])
    await events_until(client, "established")
