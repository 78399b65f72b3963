"""Whole calls through the gateway, both ways: aiortc plays the browser (ICE, DTLS-SRTP, a
tone), Kamailio is the proxy (challenging alice's INVITEs with 407), and the SIP phone is
sipp (its built-in scenarios: echoing RTP, or calling with a G.711 pcap) or baresip
(answering on its own, or calling; a 440 Hz tone each way). Loopback only."""

import asyncio
import hashlib
import re
import subprocess

import pytest
from aiortc import RTCSessionDescription

from conftest import Client, add_account_request, free_sip_port
from test_registration import registration_events
from kamailio import Kamailio
from phones import Baresip
from webrtc_peer import Browser, call_until_established, events_until, hang_up, session_updates, until_audible

SECRET = "call secret"
ALICE_HA1 = hashlib.md5(f"alice:example.com:{SECRET}".encode()).hexdigest()


@pytest.fixture
def registrar(tmp_path):
    kamailio = Kamailio(tmp_path / "kamailio", {"alice@example.com": ALICE_HA1}, log_requests=True).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def echo_phone(tmp_path):
    """sipp's built-in answering phone: 180, 200 with PCMU, echoes RTP, expects one BYE."""
    port, media_port = free_sip_port(), free_sip_port()
    log = open(tmp_path / "sipp.log", "w")
    process = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(media_port),
         "-rtp_echo", "-m", "1", "-nostdin", "-timeout", "60s"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    yield port, process
    if process.poll() is None:
        process.kill()
    process.wait()
    log.close()


def test_a_browser_calls_an_echoing_phone_through_a_challenging_proxy(start_gateway, registrar, echo_phone):
    phone_port, phone = echo_phone
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")},
                            sip={"local_ip": "127.0.0.1"})

    async def call():
        browser = Browser()
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ALICE_HA1))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        await registration_events(client, "alice@example.com", {"registered"})
        offer = await browser.offer()
        ack = await client.request({"sylkrtc": "session-create", "account": "alice@example.com", "session": "S1",
                                    "uri": f"service@127.0.0.1:{phone_port}", "sdp": offer})
        assert ack["sylkrtc"] == "ack", ack
        # Trickled candidates are acknowledged before and after the answer, an empty list too.
        candidate = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0",
                     "sdpMLineIndex": 0}
        trickle = await client.request({"sylkrtc": "session-trickle", "session": "S1", "candidates": [candidate]})
        assert trickle["sylkrtc"] == "ack", trickle
        states = await events_until(client, "accepted")
        assert [s["state"] for s in states] == ["progress", "accepted"]
        await browser.accept(states[-1]["sdp"])
        trickle = await client.request({"sylkrtc": "session-trickle", "session": "S1", "candidates": []})
        assert trickle["sylkrtc"] == "ack", trickle
        await events_until(client, "established")
        await until_audible(browser, frames=50)  # the tone goes out, the phone echoes it, it comes back decoded
        await client.request({"sylkrtc": "session-terminate", "session": "S1"})
        end = await events_until(client, "terminated")
        assert end[-1]["reason"] == "200 Call completed"
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait(timeout=30) == 0  # sipp saw the whole call, BYE included
    # The proxy challenged the first INVITE (407); the one it let through carried the answer.
    invites = [r for r in registrar.requests() if r["method"] == "INVITE"]
    assert len(invites) == 2, invites


@pytest.fixture
def calling_phone(tmp_path, registrar):
    """sipp's built-in caller with real audio: INVITE (PCMA), then ACK, 8 s of G.711 from a
    pcap, a BYE. Started by the test once alice is registered."""
    (tmp_path / "pcap").symlink_to("/usr/share/sip-tester")
    processes = []

    def start(user):
        log = open(tmp_path / "sipp-caller.log", "w")
        processes.append((subprocess.Popen(
            ["sipp", "-sn", "uac_pcap", "-s", user, "-i", "127.0.0.1", "-p", str(free_sip_port()), "-mi", "127.0.0.1",
             "-m", "1", "-nostdin", "-timeout", "60s", "-trace_msg", f"127.0.0.1:{registrar.udp_port}"],
            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), log))
        return processes[-1][0]

    yield start
    for process, log in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        log.close()


def test_a_phone_calls_the_browser_which_answers(start_gateway, registrar, calling_phone):
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")}, sip={"local_ip": "127.0.0.1"})

    async def call():
        browser = Browser()
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ALICE_HA1))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        await registration_events(client, "alice@example.com", {"registered"})
        phone = calling_phone("alice")
        incoming = await client.receive(timeout=15)
        assert incoming["event"] == "incoming_session", incoming
        assert incoming["data"]["originator"] == "sipp@127.0.0.1"
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=incoming["data"]["sdp"], type="offer"))
        await browser.pc.setLocalDescription(await browser.pc.createAnswer())
        answer = await client.request({"sylkrtc": "session-answer", "session": incoming["session"],
                                       "sdp": browser.pc.localDescription.sdp})
        assert answer["sylkrtc"] == "ack", answer
        await events_until(client, "established")
        end = await events_until(client, "terminated", timeout=30)  # the phone hangs up after its pcap
        assert end[-1]["reason"] == "200 Call completed"
        await browser.pc.close()
        await client.close()
        return phone

    phone = asyncio.run(call())
    assert phone.wait(timeout=30) == 0  # sipp's whole scenario ran: 200 to its INVITE and to its BYE
    # Media both ways, as the gateway counted it: the phone's 236-packet G.711 pcap towards
    # the browser, the browser's tone towards the phone. aiortc receives the packets (its
    # inbound-rtp stats count them) but cannot decode them: its G.711 decoder takes 20 ms
    # packets only ("got 480 bytes; need 320"), and sipp's pcap carries 30 ms ones.
    relayed = re.search(r"relayed (\d+) RTP packets to the phone, (\d+) to the browser", gateway.log())
    assert relayed, gateway.log()
    assert int(relayed.group(1)) >= 100 and int(relayed.group(2)) >= 200, relayed.group(0)


async def alice_calls(gateway, browser, baresip):
    """alice registered, in an established call to baresip (session B1); returns her client."""
    client = await Client.connect(gateway.url)
    await client.request(add_account_request("alice@example.com", ALICE_HA1))
    await client.request({"sylkrtc": "register", "account": "alice@example.com"})
    await registration_events(client, "alice@example.com", {"registered"})
    await call_until_established(client, browser, "alice@example.com", baresip.uri(), session="B1")
    return client


@pytest.fixture
def baresip(tmp_path):
    phone = Baresip(tmp_path / "baresip").start()
    yield phone
    phone.stop()


def test_a_browser_calls_baresip_which_answers_on_its_own(start_gateway, registrar, baresip):
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})

    async def call():
        browser = Browser()
        client = await alice_calls(gateway, browser, baresip)
        await until_audible(browser, frames=50)  # baresip's 440 Hz tone, decoded by aiortc
        baresip.event("CALL_ESTABLISHED")
        await asyncio.sleep(1)
        await hang_up(client, browser, "B1")

    asyncio.run(call())
    baresip.event("CALL_CLOSED")
    sent, received = baresip.rtp_packets()
    assert sent >= 50 and received >= 50, (sent, received)  # the browser's tone reached the phone


def test_baresip_holds_and_resumes_from_its_own_commands(start_gateway, registrar, baresip):
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})

    async def call():
        browser = Browser()
        client = await alice_calls(gateway, browser, baresip)
        await until_audible(browser, frames=50)
        baresip.event("CALL_ESTABLISHED")
        baresip.command("hold")  # a re-INVITE with a=sendonly
        (_, held), = await session_updates(client, 1)
        assert held == {"originator": "remote", "hold": True}, held
        await asyncio.sleep(2)
        baresip.command("resume")  # and one with a=sendrecv
        (_, resumed), = await session_updates(client, 1)
        assert resumed == {"originator": "remote", "hold": False}, resumed
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 50)  # its tone again
        await hang_up(client, browser, "B1")

    asyncio.run(call())
    baresip.event("CALL_CLOSED")
    # While it held the call, the browser's tone was held back rather than sent to it.
    held_back = re.findall(r"phone_on_hold=(\d+)", gateway.log())
    assert held_back and int(held_back[-1]) >= 25, gateway.log()[-2000:]


def test_baresip_calls_the_browser_which_answers(start_gateway, registrar, baresip):
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})

    async def call():
        browser = Browser()
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ALICE_HA1))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        await registration_events(client, "alice@example.com", {"registered"})
        baresip.command("dial", f"sip:alice@127.0.0.1:{registrar.udp_port}")
        incoming = await client.receive(timeout=15)
        assert incoming["event"] == "incoming_session", incoming
        assert incoming["data"]["originator"] == "phone@127.0.0.1"
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=incoming["data"]["sdp"], type="offer"))
        await browser.pc.setLocalDescription(await browser.pc.createAnswer())
        await client.request({"sylkrtc": "session-answer", "session": incoming["session"],
                              "sdp": browser.pc.localDescription.sdp})
        await events_until(client, "established")
        baresip.event("CALL_ESTABLISHED")
        await until_audible(browser, frames=50)
        await asyncio.sleep(1)
        baresip.command("hangup")
        end = await events_until(client, "terminated")
        assert end[-1]["reason"] == "200 Call completed", end
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    baresip.event("CALL_CLOSED")
    sent, received = baresip.rtp_packets()
    assert sent >= 50 and received >= 50, (sent, received)
