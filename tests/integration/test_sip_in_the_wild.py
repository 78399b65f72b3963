"""Calls as real SIP networks make them (docs/protocol.md, docs/architecture.md): what strict
proxies, PBXs and carriers do that our plain test peers do not. Kamailio as the proxy, sipp
as the phone, aiortc as the browser; loopback only."""

import asyncio
import hashlib
import re
import socket
import time
import uuid

import pytest
from aiortc import RTCSessionDescription, VideoStreamTrack

from conftest import Client, add_account_request, free_sip_port
from kamailio import Kamailio
from phones import PhoneMedia
from test_registration import registration_events
from test_security import metric
from webrtc_peer import (Browser, call_until_established, events_until, hang_up, session_updates, until_audible,
                         until_video)

ALICE = "alice@example.com"
ALICE_HA1 = hashlib.md5(b"alice:example.com:wild secret").hexdigest()


@pytest.fixture
def proxy(tmp_path):
    """Kamailio challenging alice's INVITEs (407), as in the other call tests."""
    kamailio = Kamailio(tmp_path / "kamailio", {ALICE: ALICE_HA1}).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def strict_proxy(tmp_path):
    """Kamailio whose nonces answer only requests with the Call-ID they were issued under."""
    kamailio = Kamailio(tmp_path / "kamailio", {ALICE: ALICE_HA1}, check_nonce_count=False,
                        nonce_bound_to_call_id=True).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def gateway_behind(start_gateway):
    """gateway_behind(kamailio) -> a gateway with that Kamailio as its outbound proxy."""
    return lambda registrar: start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})


async def registered_client(gateway):
    client = await Client.connect(gateway.url)
    await client.request(add_account_request(ALICE, ALICE_HA1))
    await client.request({"sylkrtc": "register", "account": ALICE})
    await registration_events(client, ALICE, {"registered"})
    return client


async def answer_incoming(client, browser):
    """Waits for incoming_session and answers it from the browser; returns the session id."""
    incoming = await client.receive(timeout=15)
    assert incoming["event"] == "incoming_session", incoming
    await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=incoming["data"]["sdp"], type="offer"))
    await browser.pc.setLocalDescription(await browser.pc.createAnswer())
    answer = await client.request({"sylkrtc": "session-answer", "session": incoming["session"],
                                   "sdp": browser.pc.localDescription.sdp})
    assert answer["sylkrtc"] == "ack", answer
    return incoming["session"]


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def invite_through(registrar, call_id, cseq, target, proxy_authorization=None):
    """One INVITE from alice straight to Kamailio, as a plain UDP client; returns the first
    answer's status code and the answer's text."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        port = sock.getsockname()[1]
        lines = [f"INVITE {target} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{port};rport;branch=z9hG4bK{uuid.uuid4().hex}",
                 "Max-Forwards: 70", f"From: <sip:{ALICE}>;tag=probe", f"To: <{target}>", f"Call-ID: {call_id}",
                 f"CSeq: {cseq} INVITE", f"Contact: <sip:alice@127.0.0.1:{port}>"]
        if proxy_authorization:
            lines.append(f"Proxy-Authorization: {proxy_authorization}")
        sock.sendto(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", registrar.udp_port))
        answer = sock.recv(65535).decode(errors="replace")
    return int(answer.split(" ", 2)[1]), answer


def digest_answer(challenge, target, ha1):
    """Proxy-Authorization for a 407's challenge (qop=auth), from the HA1."""
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    cnonce, count = uuid.uuid4().hex[:16], "00000001"
    response = md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{md5(f'INVITE:{target}')}")
    return (f'Digest username="alice", realm="example.com", nonce="{nonce}", uri="{target}", '
            f'response="{response}", algorithm=MD5, qop=auth, nc={count}, cnonce="{cnonce}"')


def test_the_proxy_of_these_tests_refuses_a_challenge_answered_in_a_new_dialog(strict_proxy):
    """The control for the test below: with nonces bound to the Call-ID, Kamailio challenges
    again an answer sent under another Call-ID, and lets the same answer through under the
    Call-ID its nonce was issued for (what a retry in a new dialog, as libre's sipsess
    makes it, runs into at a strict proxy)."""
    target = f"sip:nobody@127.0.0.1:{free_sip_port()}"  # nothing answers there: Kamailio says 100 first
    first_call_id = uuid.uuid4().hex
    code, challenge = invite_through(strict_proxy, first_call_id, 1, target)
    assert code == 407, challenge
    credentials = digest_answer(challenge, target, ALICE_HA1)
    code, answer = invite_through(strict_proxy, uuid.uuid4().hex, 1, target, credentials)
    assert code == 407, answer  # another Call-ID: the nonce is not good for it
    code, challenge = invite_through(strict_proxy, first_call_id, 1, target)
    credentials = digest_answer(challenge, target, ALICE_HA1)
    code, answer = invite_through(strict_proxy, first_call_id, 2, target, credentials)
    assert code == 100, answer  # the same Call-ID: authenticated and relayed


def test_a_challenged_invite_is_answered_in_the_same_dialog_at_a_strict_proxy(strict_proxy, phones, gateway_behind):
    echo = phones("uas").start()
    gateway = gateway_behind(strict_proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, echo.uri(), "S1")
        await until_audible(browser, frames=25)
        await hang_up(client, browser)

    asyncio.run(call())
    assert echo.wait() == 0, echo.errors()  # it saw its INVITE, ACK and BYE
    invites = [r for r in strict_proxy.requests() if r["method"] == "INVITE"]
    assert [r["credentials"] for r in invites] == [False, True], invites
    first, retry = invites
    # RFC 3261 8.1.3.5 and 22.2: the same Call-ID and From tag, CSeq + 1.
    assert retry["call_id"] == first["call_id"] and retry["from_tag"] == first["from_tag"], invites
    assert retry["cseq"] == first["cseq"] + 1, invites


def test_the_phone_hangs_up_a_call_placed_in_one_dialog_through_the_route_set(strict_proxy, phones, gateway_behind):
    """A phone that copies Record-Route: our ACK and its BYE go through the proxy, in the
    dialog the challenged INVITE began."""
    callee = phones("uas_answer_then_hang_up.xml").start()
    gateway = gateway_behind(strict_proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # its BYE got its 200
    call_id = next(r["call_id"] for r in strict_proxy.requests() if r["method"] == "INVITE")
    in_dialog = [r["method"] for r in strict_proxy.requests() if r["call_id"] == call_id]
    # Two INVITEs (one challenged), the ACK of the 2xx and the phone's BYE: one dialog.
    assert sorted(in_dialog) == ["ACK", "BYE", "INVITE", "INVITE"], in_dialog


def test_early_media_is_heard_before_the_answer_which_then_changes_nothing_for_the_browser(
        proxy, phones, gateway_behind):
    callee = phones("uas_early_media.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        ack = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": "S1",
                                    "uri": callee.uri(), "sdp": await browser.offer()})
        assert ack["sylkrtc"] == "ack", ack
        progress = (await events_until(client, "progress"))[-1]
        assert "a=setup:passive" in progress.get("sdp", ""), progress  # the 183's answer, for the browser
        await browser.accept(progress["sdp"])
        await until_audible(browser, frames=25, timeout=5)  # the phone's early media (its echo of our tone)
        try:  # ... heard while the phone has not answered (it waits 6 s)
            early = await client.receive(timeout=0.2)
        except asyncio.TimeoutError:
            early = None
        assert early is None, f"the answer came before the early media was heard: {early}"
        states = await events_until(client, "established")
        assert [s["state"] for s in states] == ["accepted", "established"], states
        # The same codecs in the 200: the same answer, which a client that took the early one ignores.
        assert states[0]["sdp"] == progress["sdp"], states
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 25, timeout=5)  # still flowing once answered
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()


def test_early_media_a_phone_plays_from_a_pcap_reaches_the_browser_before_the_answer(proxy, phones, gateway_behind):
    """sipp's own announcement (its G.711 A-law pcap, 30 ms packets that aiortc does not
    decode): counted by the gateway as relayed to the browser while the call rings."""
    callee = phones("uas_early_media_pcap.xml", echo_rtp=False)
    callee.directory.mkdir(parents=True, exist_ok=True)
    (callee.directory / "pcap").symlink_to("/usr/share/sip-tester")
    callee.start()
    gateway = gateway_behind(proxy)
    relayed = 'packets_relayed_total{direction="phone_to_browser",kind="rtp"}'

    async def call():
        client, browser = await registered_client(gateway), Browser()
        before = metric(gateway, relayed)
        ack = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": "S1",
                                    "uri": callee.uri(), "sdp": await browser.offer()})
        assert ack["sylkrtc"] == "ack", ack
        progress = (await events_until(client, "progress"))[-1]
        assert "PCMA/8000" in progress.get("sdp", ""), progress
        await browser.accept(progress["sdp"])
        deadline = time.monotonic() + 4
        while metric(gateway, relayed) - before < 50:  # 1.5 s of the announcement
            assert time.monotonic() < deadline, f"{metric(gateway, relayed) - before} packets relayed while ringing"
            await asyncio.sleep(0.05)
        try:  # ... while the phone has not answered
            early = await client.receive(timeout=0.1)
        except asyncio.TimeoutError:
            early = None
        assert early is None or early.get("data", {}).get("state") == "established", early
        states = await events_until(client, "accepted", timeout=10)
        assert states[-1]["sdp"] == progress["sdp"], states  # the same codec in the 200
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()


def test_a_reliable_183_with_early_media_is_pracked_and_heard(phones, start_gateway):
    """A phone that requires 100rel, reached directly (an unregistered account, as the
    original server allows: sipp is no registrar)."""
    callee = phones("uas_reliable_183.xml").start()
    gateway = start_gateway(general={"allow_unregistered_calls": "yes"})

    async def call():
        client, browser = await Client.connect(gateway.url), Browser()
        await client.request(add_account_request(ALICE, ALICE_HA1))
        ack = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": "S1",
                                    "uri": callee.uri(), "sdp": await browser.offer()})
        assert ack["sylkrtc"] == "ack", ack
        states = await events_until(client, "progress")
        assert "sdp" in states[-1], states  # the reliable 183's early media
        await browser.accept(states[-1]["sdp"])
        states = await events_until(client, "established")
        assert [s["state"] for s in states] == ["accepted", "established"], states
        await until_audible(browser, frames=25)
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # Supported: 100rel, then the PRACK with the right RAck


def test_a_forked_invite_gets_each_reliable_183_pracked_and_the_fork_that_answers_carries_the_call(
        proxy, phones, gateway_behind):
    """Kamailio forks the INVITE to bob's two contacts. Both ring with a reliable 183, the
    second 300 ms after the first; each must get its PRACK in its own early dialog (sipp
    checks the RAck and its To tag). The second answers: the call is up with it and its
    media, and Kamailio cancels the first."""
    fork_a = phones("uas_fork_rings_then_cancelled.xml", echo_rtp=False).start()
    fork_b = phones("uas_fork_answers.xml").start()
    proxy.add_contact("bob@example.com", f"sip:bob@127.0.0.1:{fork_a.port}")
    proxy.add_contact("bob@example.com", f"sip:bob@127.0.0.1:{fork_b.port}")
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        ack = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": "S1",
                                    "uri": "bob@example.com", "sdp": await browser.offer()})
        assert ack["sylkrtc"] == "ack", ack
        progress = (await events_until(client, "progress"))[-1]
        assert "sdp" in progress, progress  # the first fork's early media
        await browser.accept(progress["sdp"])
        states = await events_until(client, "established")
        assert [s["state"] for s in states if s["state"] != "progress"] == ["accepted", "established"], states
        await until_audible(browser, frames=25)  # fork b's echo of our tone
        await hang_up(client, browser)

    asyncio.run(call())
    assert fork_a.wait() == 0, fork_a.errors()  # PRACKed in its dialog, then CANCELled
    assert fork_b.wait() == 0, fork_b.errors()  # PRACKed in its dialog, answered, our BYE


def test_dtmf_goes_to_the_phone_as_sip_info_and_the_phones_digits_reach_the_browser(proxy, phones, gateway_behind):
    callee = phones("uas_dtmf_info.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        unknown = await client.request({"sylkrtc": "session-dtmf-info", "session": "S0", "digit": "5"})
        assert unknown["sylkrtc"] == "error", unknown  # no such session
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        sent = await client.request({"sylkrtc": "session-dtmf-info", "session": "S1", "digit": "5"})
        assert sent["sylkrtc"] == "ack", sent
        while (event := await client.receive(timeout=10))["event"] != "dtmf":
            pass
        assert event["session"] == "S1" and event["data"] == {"digit": "9", "duration": 120}, event
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # its INFO carried Signal=5 as dtmf-relay


def test_an_offerless_invite_offers_the_browsers_choice_and_takes_the_phones_answer_from_its_ack(
        proxy, phones, gateway_behind):
    caller = phones("uac_offerless.xml", extra=("-s", "alice"))
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        caller.start(f"127.0.0.1:{proxy.udp_port}")
        await answer_incoming(client, browser)
        await events_until(client, "established")
        await until_audible(browser, frames=25)  # our tone, echoed by the phone at its ACK's address
        # The caller hangs up after 4 s.
        assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert caller.wait() == 0, caller.errors()  # our 200 offered PCMU, its BYE was answered


def test_an_offerless_invite_whose_ack_brings_no_answer_ends_with_the_reason(proxy, phones, gateway_behind):
    caller = phones("uac_offerless_no_answer.xml", echo_rtp=False, extra=("-s", "alice"))
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        caller.start(f"127.0.0.1:{proxy.udp_port}")
        await answer_incoming(client, browser)
        end = await events_until(client, "terminated")
        assert end[-1]["reason"] == "488 no SDP answer in the ACK", end
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert caller.wait() == 0, caller.errors()  # it got the gateway's BYE


def test_the_phone_holds_and_resumes_music_on_hold_is_heard_and_nothing_is_sent_to_it_meanwhile(
        proxy, phones, gateway_behind):
    media = PhoneMedia()
    callee = phones("uas_holds_and_resumes.xml", echo_rtp=False, extra=media.sipp_key()).start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        await until_audible(browser, frames=25)  # the phone's tone
        assert media.arrivals, "the browser's audio never reached the phone"
        # re-INVITE sendonly: held. Its music keeps reaching the browser; nothing goes to it.
        (held_at, held), = await session_updates(client, 1)
        assert held == {"originator": "remote", "hold": True}, held
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 50, timeout=5)
        # re-INVITE inactive: still held.
        (inactive_at, inactive), = await session_updates(client, 1)
        assert inactive == {"originator": "remote", "hold": True}, inactive
        # re-INVITE sendrecv: resumed. (The refresh that follows changes nothing: no event.)
        (resumed_at, resumed), = await session_updates(client, 1)
        assert resumed == {"originator": "remote", "hold": False}, resumed
        await asyncio.sleep(1)
        assert media.received_between(held_at + 0.2, resumed_at) == 0, "RTP went to a phone that said it holds"
        assert media.received_between(resumed_at + 0.2, resumed_at + 1) >= 25, "no RTP after the resume"
        # UPDATE sendonly, then UPDATE sendrecv.
        updates = await session_updates(client, 2)
        assert [data["hold"] for _, data in updates] == [True, False], updates
        await asyncio.sleep(1)
        await hang_up(client, browser)

    try:
        asyncio.run(call())
    finally:
        media.stop()
    assert callee.wait() == 0, callee.errors()  # each answer had the direction RFC 3264 asks for
    assert "phone_on_hold=" in gateway.log(), gateway.log()[-2000:]  # the relay counted what it held back


async def browser_update(client, browser, direction, session="S1", timeout=15):
    """The browser's transceiver set to `direction`, its new offer sent as session-update;
    returns the update event that answers it (its answer applied when accepted)."""
    browser.pc.getTransceivers()[0].direction = direction
    await browser.pc.setLocalDescription(await browser.pc.createOffer())
    ack = await client.request({"sylkrtc": "session-update", "session": session, "sdp": browser.pc.localDescription.sdp})
    assert ack["sylkrtc"] == "ack", ack
    (_, update), = await session_updates(client, 1, timeout=timeout)
    assert update["originator"] == "local", update
    if update["state"] == "accepted":
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=update["sdp"], type="answer"))
    return update


def test_the_browser_holds_and_resumes_by_reinvite(proxy, phones, gateway_behind):
    callee = phones("uas_held_by_browser.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        unknown = await client.request({"sylkrtc": "session-update", "session": "S0", "sdp": await browser.offer()})
        assert unknown["sylkrtc"] == "error" and "unknown session" in unknown["error"], unknown
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        await until_audible(browser, frames=25)  # our tone, echoed by the phone
        held = await browser_update(client, browser, "sendonly")
        assert held["state"] == "accepted" and "a=recvonly" in held["sdp"], held
        assert held["hold"] is False  # the browser holds, not the phone
        resumed = await browser_update(client, browser, "sendrecv")
        assert resumed["state"] == "accepted" and "a=sendrecv" in resumed["sdp"], resumed
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 25, timeout=5)  # the echo again, once resumed
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # sendonly, then sendrecv, each in a re-INVITE


def test_the_browser_adds_video_mid_call_by_reinvite_and_the_phones_video_comes_back(proxy, phones, gateway_behind):
    callee = phones("uas_video_added.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        await until_audible(browser, frames=25)
        browser.pc.addTrack(VideoStreamTrack())  # the camera turned on: a video m-line added
        await browser.pc.setLocalDescription(await browser.pc.createOffer())
        ack = await client.request({"sylkrtc": "session-update", "session": "S1",
                                    "sdp": browser.pc.localDescription.sdp})
        assert ack["sylkrtc"] == "ack", ack
        (_, update), = await session_updates(client, 1)
        assert update["originator"] == "local" and update["state"] == "accepted", update
        video = re.search(r"^m=video (\d+) ", update["sdp"], re.M)
        assert video and video.group(1) != "0", update["sdp"]  # carried, on the bundled port
        assert "VP8/90000" in update["sdp"], update["sdp"]
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=update["sdp"], type="answer"))
        await until_video(browser, frames=10)  # our frames, echoed by the phone's video port
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 25, timeout=5)  # the audio goes on
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # the re-INVITE carried a VP8 line with a port


def test_video_the_phone_adds_is_offered_to_the_browser_and_carried_once_it_answers(proxy, phones, gateway_behind):
    callee = phones("uas_adds_video.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        await until_audible(browser, frames=25)
        (_, offered), = await session_updates(client, 1)  # the phone's re-INVITE with video
        assert offered["originator"] == "remote" and offered["state"] == "received", offered
        assert re.search(r"^m=video [1-9][0-9]* UDP/TLS/RTP/SAVPF 96", offered["sdp"], re.M), offered["sdp"]
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=offered["sdp"], type="offer"))
        browser.pc.addTrack(VideoStreamTrack())  # the browser's camera on the new line
        await browser.pc.setLocalDescription(await browser.pc.createAnswer())
        ack = await client.request({"sylkrtc": "session-update", "session": "S1",
                                    "sdp": browser.pc.localDescription.sdp})
        assert ack["sylkrtc"] == "ack", ack
        await until_video(browser, frames=10)  # our frames, echoed by the phone's video port
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 25, timeout=5)  # the audio goes on
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # its 200 carried a VP8 line with a port


def test_glare_our_reinvite_is_sent_again_after_a_491_and_the_phones_crossing_one_gets_491(
        proxy, phones, gateway_behind):
    callee = phones("uas_glare.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        held = await browser_update(client, browser, "sendonly", timeout=20)
        assert held["state"] == "accepted" and "a=recvonly" in held["sdp"], held
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # 491 to its re-INVITE, ours again after the 491


async def direct_call(gateway, browser, callee, session="S1"):
    """A call to a sipp phone reached directly (an unregistered account, as the original
    server allows), until established; returns the client."""
    client = await Client.connect(gateway.url)
    await client.request(add_account_request(ALICE, ALICE_HA1))
    await call_until_established(client, browser, ALICE, callee.uri(), session)
    return client


def test_a_422_is_answered_by_asking_the_phones_least_session_interval(phones, start_gateway):
    callee = phones("uas_session_timer_422.xml").start()
    gateway = start_gateway(general={"allow_unregistered_calls": "yes"})

    async def call():
        browser = Browser()
        client = await direct_call(gateway, browser, callee)
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # 1800 asked, 422 Min-SE 3600, then 3600 asked


@pytest.mark.parametrize("method", ["update", "invite"])
def test_the_gateway_refreshes_the_session_when_the_phone_makes_it_the_refresher(phones, start_gateway, method):
    callee = phones(f"uas_session_timer_refresh_{method}.xml").start()
    gateway = start_gateway(general={"allow_unregistered_calls": "yes"})

    async def call():
        browser = Browser()
        client = await direct_call(gateway, browser, callee)
        await asyncio.sleep(5)  # two refreshes, 2 s apart
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # each refresh came in time, by the method the phone allows


def test_a_call_whose_phone_never_refreshes_ends_with_the_reason(phones, start_gateway):
    callee = phones("uas_session_timer_expires.xml").start()
    gateway = start_gateway(general={"allow_unregistered_calls": "yes"})

    async def call():
        browser = Browser()
        client = await direct_call(gateway, browser, callee)
        ended = (await events_until(client, "terminated", timeout=10))[-1]
        assert ended["reason"] == "408 Session Timer expired (no refresh within 6 s)", ended
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # it got the BYE


def test_a_phone_that_refreshes_keeps_the_call_beyond_its_interval(phones, start_gateway):
    callee = phones("uas_session_timer_phone_refreshes.xml").start()
    gateway = start_gateway(general={"allow_unregistered_calls": "yes"})

    async def call():
        browser = Browser()
        client = await direct_call(gateway, browser, callee)
        try:  # three refreshes, 2.5 s apart: 7.5 s, beyond the 6 s interval
            early = await client.receive(timeout=8.5)
        except asyncio.TimeoutError:
            early = None
        assert early is None, f"the call did not outlive its refreshed interval: {early}"
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # each UPDATE answered 6 s, refresher=uac, Require: timer


def test_an_incoming_session_interval_below_90_s_gets_422_and_the_retry_is_answered_with_timer_terms(
        proxy, phones, gateway_behind):
    caller = phones("uac_session_timer_too_small.xml", extra=("-s", "alice"))
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        caller.start(f"127.0.0.1:{proxy.udp_port}")
        await answer_incoming(client, browser)  # the first INVITE (422) never rang the browser
        await events_until(client, "established")
        assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert caller.wait() == 0, caller.errors()  # 422 Min-SE 90, then Session-Expires 90;refresher=uas


def test_a_phone_moving_to_a_codec_the_browser_had_not_agreed_is_renegotiated_with_the_browser(
        proxy, phones, gateway_behind):
    callee = phones("uas_changes_codec.xml").start()
    gateway = gateway_behind(proxy)

    async def call():
        client, browser = await registered_client(gateway), Browser()
        await call_until_established(client, browser, ALICE, callee.uri(), "S1")
        await until_audible(browser, frames=25)  # our tone echoed, in PCMU
        (_, asked), = await session_updates(client, 1)
        assert asked["originator"] == "remote" and asked["state"] == "received", asked
        assert "PCMA/8000" in asked["sdp"] and "PCMU/8000" not in asked["sdp"], asked["sdp"]
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=asked["sdp"], type="offer"))
        await browser.pc.setLocalDescription(await browser.pc.createAnswer())
        answered = await client.request({"sylkrtc": "session-update", "session": "S1",
                                         "sdp": browser.pc.localDescription.sdp})
        assert answered["sylkrtc"] == "ack", answered
        # (aiortc keeps its first encoder after a renegotiation: media in the new codec is
        # shown with Chromium, in test_browser.py.)
        await hang_up(client, browser)

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # its re-INVITE answered with PCMA
