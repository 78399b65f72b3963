"""How calls end when they do not simply succeed: a busy phone, a call cancelled while it
rings, the phone hanging up, the browser's WebSocket closing mid-call, a browser that
never finishes DTLS, SDP that is not SDP, calls that cannot be bridged, a declined and a
missed incoming call, and two calls at once on one account. Real peers throughout:
Kamailio as the proxy (it challenges alice's INVITEs with 407), sipp as the phone,
aiortc as the browser."""

import asyncio
import hashlib

import pytest
from aiortc import RTCSessionDescription
from aiortc.rtcdtlstransport import RTCDtlsTransport

from conftest import Client, add_account_request
from kamailio import Kamailio
from test_registration import registration_events
from webrtc_peer import Browser, call_until_established, events_until, ice_check_answered, until_audible

ALICE = "alice@example.com"
ALICE_HA1 = hashlib.md5(b"alice:example.com:failure secret").hexdigest()
RTP_TIMEOUT = 4  # [RTP] timeout: also how long a browser has to finish ICE and DTLS


@pytest.fixture
def registrar(tmp_path):
    kamailio = Kamailio(tmp_path / "kamailio", {ALICE: ALICE_HA1}, log_requests=True).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def gateway(start_gateway, registrar):
    return start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")}, rtp={"timeout": str(RTP_TIMEOUT)})


async def connected(gateway, register=True):
    client = await Client.connect(gateway.url)
    assert (await client.request(add_account_request(ALICE, ALICE_HA1)))["sylkrtc"] == "ack"
    if register:
        await client.request({"sylkrtc": "register", "account": ALICE})
        await registration_events(client, ALICE, {"registered"})
    return client


async def place_call(client, browser, uri, session="S1"):
    ack = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": session, "uri": uri,
                                "sdp": await browser.offer()})
    assert ack["sylkrtc"] == "ack", ack


async def account_events_until_terminated(client, timeout=15):
    """Every message up to the session's `terminated` state event, in order."""
    seen = []
    while True:
        message = await client.receive(timeout=timeout)
        seen.append(message)
        if message["sylkrtc"] == "session_event" and message["data"]["state"] == "terminated":
            return seen


def invites(registrar):
    return [r for r in registrar.requests() if r["method"] == "INVITE"]


def test_a_busy_phone_ends_the_call_with_its_486(gateway, phones):
    phone = phones("uas_busy.xml").start()

    async def call():
        client, browser = await connected(gateway), Browser()
        await place_call(client, browser, phone.uri())
        end = await events_until(client, "terminated")
        assert end[-1]["reason"] == "486 Busy Here", end
        assert "accepted" not in [e["state"] for e in end]
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()


def test_a_ringing_call_cancelled_by_the_browser_sends_cancel(gateway, phones):
    phone = phones("uas_ring_until_cancel.xml").start()

    async def call():
        client, browser = await connected(gateway), Browser()
        await place_call(client, browser, phone.uri())
        assert [e["state"] for e in await events_until(client, "progress")] == ["progress"]
        assert (await client.request({"sylkrtc": "session-terminate", "session": "S1"}))["sylkrtc"] == "ack"
        end = await events_until(client, "terminated")
        assert end[-1]["reason"] == "487 Request Terminated", end
        answer = await client.request({"sylkrtc": "session-terminate", "session": "S1"})
        assert answer == {"sylkrtc": "error", "transaction": answer["transaction"], "error": "unknown session: S1"}
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # it saw the CANCEL and the ACK of its 487


def test_a_call_that_rings_past_the_setup_timeout_is_cancelled_with_a_reason(start_gateway, registrar, phones):
    # RFC 3261 Timer C, from our side: the slot, the ports and the INVITE window are not
    # held by a phone that never answers.
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")}, limits={"call_setup_timeout": "5"})
    phone = phones("uas_ring_until_cancel.xml").start()

    async def call():
        client, browser = await connected(gateway), Browser()
        await place_call(client, browser, phone.uri())
        end = await events_until(client, "terminated", timeout=20)
        assert end[-1]["reason"] == "408 Request Timeout (not answered within 5 s)", end
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # it saw the CANCEL and the ACK of its 487
    assert gateway.stats()["sessions"] == 0


def test_the_phone_hanging_up_ends_the_session(gateway, phones):
    phone = phones("uas_answer_then_hang_up.xml").start()

    async def call():
        client, browser = await connected(gateway), Browser()
        await call_until_established(client, browser, ALICE, phone.uri())
        await until_audible(browser)
        end = await events_until(client, "terminated", timeout=20)  # the phone's BYE after 3 s
        assert end[-1]["reason"] == "200 Call completed", end
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # its BYE was answered 200


def test_closing_the_websocket_mid_call_sends_the_phone_a_bye(gateway, phones):
    phone = phones("uas").start()  # sipp's built-in answering phone: it expects one BYE

    async def call():
        client, browser = await connected(gateway), Browser()
        await call_until_established(client, browser, ALICE, phone.uri())
        await until_audible(browser)
        await client.close()
        await browser.pc.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()
    assert gateway.stats()["sessions"] == 0


def test_a_browser_that_never_finishes_dtls_ends_the_call_and_leaves_nothing_behind(gateway, phones, monkeypatch):
    async def never(self, remote_parameters):  # ICE completes; the DTLS handshake never starts
        await asyncio.sleep(3600)

    monkeypatch.setattr(RTCDtlsTransport, "start", never)
    phone = phones("uas").start()

    async def call():
        client, browser = await connected(gateway), Browser()
        await place_call(client, browser, phone.uri())
        states = await events_until(client, "accepted")
        answer = states[-1]["sdp"]
        await browser.accept(answer)
        offer = browser.pc.localDescription.sdp
        # While the call lasts, the gateway's browser port answers the session's checks.
        assert await asyncio.to_thread(ice_check_answered, answer, offer)
        end = await events_until(client, "terminated", timeout=RTP_TIMEOUT + 10)
        assert end[-1]["reason"] == f"DTLS failed: handshake not completed in {RTP_TIMEOUT} s", end
        assert "established" not in [e["state"] for e in end]
        await browser.pc.close()
        await client.close()
        return answer, offer

    answer, offer = asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # it got its BYE
    # Nothing of the call is left in the gateway: no session, and the browser port (the
    # media worker's, shared by its calls) no longer answers the call's ICE credentials.
    assert gateway.stats()["sessions"] == 0
    assert not ice_check_answered(answer, offer)


@pytest.mark.parametrize("sdp, reason", [
    ("this is not SDP", "invalid SDP"),
    ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n", "invalid SDP"),
])
def test_sdp_that_a_browser_cannot_have_sent_is_refused_and_nothing_reaches_sip(gateway, registrar, phones, sdp,
                                                                                  reason):
    phone = phones("uas")

    async def call():
        client = await connected(gateway)
        answer = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": "S1",
                                       "uri": phone.uri(), "sdp": sdp})
        assert answer["sylkrtc"] == "error" and answer["error"].startswith(reason), answer
        await client.expect_silence(2)  # an INVITE would go out at once
        gone = await client.request({"sylkrtc": "session-terminate", "session": "S1"})
        assert gone["error"] == "unknown session: S1"
        await client.close()

    asyncio.run(call())
    assert invites(registrar) == []
    assert gateway.stats()["sessions"] == 0


async def two_answered_calls(client, phone):
    """Two browsers call `phone` at once on the one account; returns them once both hear
    their echo, or fails on any call that ends first."""
    browsers = [Browser(), Browser()]
    for index, browser in enumerate(browsers):
        await place_call(client, browser, phone.uri(), session=f"S{index}")
    answered = 0
    while answered < 2:
        event = await client.receive(timeout=15)
        if event["sylkrtc"] != "session_event":
            continue
        assert event["data"]["state"] != "terminated", event
        if event["data"]["state"] == "accepted":
            await browsers[int(event["session"][1:])].accept(event["data"]["sdp"])
            answered += 1
    await asyncio.gather(*(until_audible(browser) for browser in browsers))
    return browsers


def test_two_calls_at_once_on_one_account_both_carry_audio(gateway, phones):
    phone = phones("uas", calls=2).start()

    async def call():
        client = await connected(gateway)
        browsers = await two_answered_calls(client, phone)
        assert gateway.stats()["sessions"] == 2
        for index in range(2):
            await client.request({"sylkrtc": "session-terminate", "session": f"S{index}"})
        ended = set()
        while len(ended) < 2:
            event = await client.receive(timeout=15)
            if event["sylkrtc"] == "session_event" and event["data"]["state"] == "terminated":
                assert event["data"]["reason"] == "200 Call completed", event
                ended.add(event["session"])
        for browser in browsers:
            await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # both calls, each with its BYE


# The second: a caller's display name in Latin-1 once made the event vanish (websocketpp
# sends only UTF-8); it now arrives with U+FFFD in place of what is not UTF-8.
@pytest.mark.parametrize("scenario, display_name", [("uac_cancel.xml", "Carol"),
                                                    ("uac_cancel_latin1.xml", "Jos\ufffd")])
def test_an_incoming_call_the_caller_cancels_is_a_missed_session(gateway, registrar, phones, scenario, display_name):
    phone = phones(scenario, echo_rtp=False, extra=("-s", "alice"))

    async def call():
        client = await connected(gateway, register=True)
        phone.start(f"127.0.0.1:{registrar.udp_port}")
        incoming = await client.receive(timeout=15)
        assert incoming["event"] == "incoming_session", incoming
        assert incoming["data"]["originator"] == "carol@127.0.0.1"
        assert incoming["data"]["display_name"] == display_name
        rest = await account_events_until_terminated(client)
        missed = [m for m in rest if m.get("event") == "missed_session"]
        assert len(missed) == 1 and missed[0]["data"]["originator"] == "carol@127.0.0.1", rest
        assert missed[0]["account"] == ALICE
        assert rest[-1]["session"] == incoming["session"]
        assert rest[-1]["data"]["reason"] == "487 Request Terminated", rest
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()
    assert gateway.stats()["sessions"] == 0


def test_declining_an_incoming_call_answers_486(gateway, registrar, phones):
    phone = phones("uac_declined.xml", echo_rtp=False, extra=("-s", "alice"))

    async def call():
        client = await connected(gateway, register=True)
        phone.start(f"127.0.0.1:{registrar.udp_port}")
        incoming = await client.receive(timeout=15)
        assert incoming["event"] == "incoming_session", incoming
        await client.request({"sylkrtc": "session-terminate", "session": incoming["session"]})
        rest = await account_events_until_terminated(client)
        assert rest[-1]["data"]["reason"] == "486 Busy Here", rest
        assert not [m for m in rest if m.get("event") == "missed_session"], rest
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()


def test_an_incoming_call_that_cannot_be_bridged_gets_488_and_the_browser_hears_nothing(gateway, registrar, phones):
    phone = phones("uac_fax_only.xml", echo_rtp=False, extra=("-s", "alice"))

    async def call():
        client = await connected(gateway, register=True)
        phone.start(f"127.0.0.1:{registrar.udp_port}")
        assert phone.wait() == 0, phone.errors()  # its 488 came
        await client.expect_silence(1)
        await client.close()

    asyncio.run(call())
    assert gateway.stats()["sessions"] == 0


def test_a_browser_that_stops_answering_consent_checks_ends_the_call(start_gateway, registrar, phones):
    # The RTP timeout is set longer than the 30 s of consent, so that consent is what ends it.
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")}, rtp={"timeout": "60"})
    phone = phones("uas").start()

    async def call():
        client, browser = await connected(gateway), Browser()
        await call_until_established(client, browser, ALICE, phone.uri())
        await until_audible(browser)
        browser.vanish()
        end = await events_until(client, "terminated", timeout=45)
        assert end[-1]["reason"] == "ICE consent expired", end
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # it got its BYE
    assert gateway.stats()["sessions"] == 0


def test_stopping_the_application_ends_every_call(gateway, phones):
    phone = phones("uas", calls=2).start()

    async def call():
        client = await connected(gateway)
        browsers = await two_answered_calls(client, phone)
        code = await asyncio.get_running_loop().run_in_executor(None, gateway.stop)
        assert code == 0, gateway.log()
        for browser in browsers:
            await browser.pc.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()  # both calls got their BYE before the gateway stopped


def test_a_stale_nonce_on_an_invite_is_answered_again(start_gateway, phones):
    # sipp is the outbound proxy and the phone; it checks both digests with the password.
    phone = phones("uas_stale_nonce.xml").start()
    secret_ha1 = hashlib.md5(b"alice:example.com:secret").hexdigest()
    # sipp is no registrar: this account calls unregistered, as the original server allows.
    gateway = start_gateway(general={"outbound_sip_proxy": f"127.0.0.1:{phone.port};transport=udp",
                                     "allow_unregistered_calls": "yes"})

    async def call():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request(ALICE, secret_ha1))
        browser = Browser()
        await place_call(client, browser, "phone@example.com")
        states = await events_until(client, "accepted")
        await browser.accept(states[-1]["sdp"])
        await events_until(client, "established")
        await client.request({"sylkrtc": "session-terminate", "session": "S1"})
        assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert phone.wait() == 0, phone.errors()


def test_two_incoming_calls_at_once_on_one_account_are_both_answered(gateway, registrar, tmp_path, phones):
    callers = []
    for index in range(2):
        phone = phones("uac_pcap", echo_rtp=False, extra=("-s", "alice"))
        (phone.directory / "pcap").symlink_to("/usr/share/sip-tester")
        callers.append(phone)

    async def call():
        client = await connected(gateway, register=True)
        for phone in callers:
            phone.start(f"127.0.0.1:{registrar.udp_port}")
        offers = {}
        while len(offers) < 2:
            message = await client.receive(timeout=15)
            assert message.get("event") == "incoming_session", message
            offers[message["session"]] = message["data"]["sdp"]
        browsers = {}
        for session, offer in offers.items():
            browser = browsers[session] = Browser()
            await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await browser.pc.setLocalDescription(await browser.pc.createAnswer())
            answer = await client.request({"sylkrtc": "session-answer", "session": session,
                                           "sdp": browser.pc.localDescription.sdp})
            assert answer["sylkrtc"] == "ack", answer
        states = {session: [] for session in offers}
        while sum(1 for seen in states.values() if "terminated" in seen) < 2:  # each phone hangs up after its pcap
            message = await client.receive(timeout=30)
            assert message["sylkrtc"] == "session_event", message
            states[message["session"]].append(message["data"]["state"])
        for session, seen in states.items():
            assert seen == ["accepted", "established", "terminated"], (session, seen)
        for browser in browsers.values():
            await browser.pc.close()
        await client.close()

    asyncio.run(call())
    for phone in callers:
        assert phone.wait() == 0, phone.errors()
