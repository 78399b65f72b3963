"""sylkRTC-2, the dialect of today's Sylk apps, on the same endpoint as sylkRTC-1: a client
of our own (sylkrtc2_client.py) with aiortc as its browser, Kamailio as registrar and
proxy, sipp as the phones. Every message either way is checked against schema/sylkrtc-2/."""

import asyncio
import hashlib
import re
import time

import pytest
import websockets
from aiortc import RTCSessionDescription

from conftest import Client, add_account_request
from kamailio import Kamailio
from phones import PhoneMedia
from sylkrtc2_client import Sylkrtc2Client
from test_registration import registration_events
from webrtc_peer import Browser, until_audible

ALICE = "alice@example.com"
SECRET = "sylk two secret"
ALICE_HA1 = hashlib.md5(f"alice:example.com:{SECRET}".encode()).hexdigest()
AGENT = "SylkRTC (Chrome 120 on Linux) - Sylk 3.8.0"


@pytest.fixture
def registrar(tmp_path):
    kamailio = Kamailio(tmp_path / "kamailio", {ALICE: ALICE_HA1}, log_requests=True).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def gateway(start_gateway, registrar):
    return start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})


async def logged_in(gateway, **fields):
    client = await Sylkrtc2Client.connect(gateway.url)
    states = await client.log_in(f"sip:{ALICE}", ALICE_HA1, user_agent=AGENT, **fields)
    assert states == ["registering", "registered"], states
    return client


async def call_out(client, browser, uri, session="S1", headers=None):
    """session-create with trickled candidates as the apps send them; returns the state
    events up to `established`, the answer applied from `accepted` or `early-media`."""
    create = {"sylkrtc": "session-create", "account": ALICE, "session": session, "uri": uri,
              "sdp": await browser.offer()}
    if headers:
        create["headers"] = headers
    await client.ok(create)
    candidate = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0",
                 "sdpMLineIndex": 0, "usernameFragment": "abcd"}
    await client.ok({"sylkrtc": "session-trickle", "session": session, "candidates": [candidate]})
    await client.ok({"sylkrtc": "session-trickle", "session": session, "candidates": []})
    states = await client.states_until(session, "accepted", timeout=20)
    answer = next(s["sdp"] for s in states if "sdp" in s)
    await browser.accept(answer)
    states += await client.states_until(session, "established")
    return states


async def answer(client, browser, incoming, headers=None):
    await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=incoming["sdp"], type="offer"))
    await browser.pc.setLocalDescription(await browser.pc.createAnswer())
    request = {"sylkrtc": "session-answer", "session": incoming["session"], "sdp": browser.pc.localDescription.sdp}
    if headers:
        request["headers"] = headers
    await client.ok(request)


async def hang_up(client, browser, session="S1"):
    await client.ok({"sylkrtc": "session-terminate", "session": session})
    end = await client.states_until(session, "terminated")
    assert end[-1]["reason"] == "200 Call completed", end
    await browser.pc.close()


def call_id_session(call_id):
    digest = hashlib.md5(call_id.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def test_the_subprotocol_chooses_the_dialect_and_sylkrtc2_wins_when_both_are_offered(start_gateway):
    gateway = start_gateway()

    async def handshakes():
        both = await Sylkrtc2Client.connect(gateway.url, subprotocols=("sylkRTC-1", "sylkRTC-2"))
        await both.close()
        old = await Client.connect(gateway.url)  # sylkRTC-1 alone: its own ready event
        assert old.ws.subprotocol == "sylkRTC-1"
        await old.close()
        with pytest.raises(websockets.InvalidStatusCode) as refused:
            await websockets.connect(gateway.url, subprotocols=["sylkRTC-3"])
        assert refused.value.status_code == 406

    asyncio.run(handshakes())


def test_requests_answered_without_sip_and_features_this_gateway_does_not_carry(start_gateway):
    gateway = start_gateway(general={"trace_client": "yes"})  # every message logged, secrets masked

    async def conversation():
        client = await Sylkrtc2Client.connect(gateway.url)
        await client.ok({"sylkrtc": "ping"})
        # sip: is stripped; unknown fields are ignored; a plain password is taken (ha1:false).
        await client.ok({"sylkrtc": "account-add", "account": f"sip:{ALICE}", "password": "plain secret",
                         "display_name": "Alice", "user_agent": AGENT, "incoming_header_prefixes": ["X-"],
                         "future_field": {"ignored": True}})
        again = await client.request({"sylkrtc": "account-add", "account": ALICE, "password": ALICE_HA1})
        assert again["sylkrtc"] == "error" and "already added" in again["error"], again
        await client.ok({"sylkrtc": "account-fetch-addressbook", "account": ALICE})
        book = await client.event()
        assert book == {"sylkrtc": "account-event", "account": ALICE, "event": "addressbook-fetched",
                        "addressbook": {"contacts": [], "groups": [], "policies": []}}, book
        await client.ok({"sylkrtc": "lookup-public-key", "uri": "sip:bob@example.com"})
        assert await client.event() == {"sylkrtc": "lookup-public-key-event", "uri": "bob@example.com"}
        await client.ok({"sylkrtc": "account-devicetoken", "account": ALICE, "token": "t0k3n:AP/A91+x=",
                         "platform": "firebase", "device": "device-1", "app": "com.agprojects.sylk"})
        for unsupported in ({"sylkrtc": "account-message", "account": ALICE, "uri": "bob@example.com",
                             "message_id": "m1", "content": "hi", "content_type": "text/plain",
                             "timestamp": "2026-12-06T18:00:00Z"},
                            {"sylkrtc": "account-sync-conversations", "account": ALICE},
                            {"sylkrtc": "videoroom-join", "account": ALICE, "session": "R1",
                             "uri": "room@conference.example.com", "sdp": "v=0"}):
            refused = await client.request(unsupported)
            assert refused == {"sylkrtc": "error", "transaction": refused["transaction"],
                               "error": f"{unsupported['sylkrtc']} is not supported by this gateway"}, refused
        unknown = await client.request({"sylkrtc": "account-teleport", "account": ALICE}, malformed=True)
        assert unknown["sylkrtc"] == "error" and "unknown request" in unknown["error"], unknown
        # A header the gateway writes itself, or one that would end the line, changes nothing.
        for header in ({"name": "Via", "value": "SIP/2.0/UDP evil"}, {"name": "X-A", "value": "1\r\nVia: x"},
                       {"name": "X A", "value": "1"}):
            bad = await client.request({"sylkrtc": "session-create", "account": ALICE, "session": "S1",
                                        "uri": "bob@example.com", "sdp": "v=0\r\n", "headers": [header]},
                                       malformed=header["name"] != "Via")
            assert bad["sylkrtc"] == "error" and "header" in bad["error"], bad
        trickle = await client.request({"sylkrtc": "session-trickle", "session": "S1", "candidates": []})
        assert trickle["sylkrtc"] == "error" and "unknown session" in trickle["error"], trickle
        await client.close()

    asyncio.run(conversation())
    log = gateway.log()
    assert "<HA1 hidden>" in log and "<push token hidden>" in log and '"sylkrtc":"ready-event"' in log
    assert "plain secret" not in log and "t0k3n" not in log


def test_pings_every_5_s_for_a_minute_keep_the_connection(start_gateway):
    gateway = start_gateway()

    async def conversation():
        client = await Sylkrtc2Client.connect(gateway.url, ping_every=5)
        await asyncio.sleep(61)
        assert not client.closed.done(), "the connection dropped"
        assert client.pings_acked == 12, client.pings_acked
        await client.close()

    asyncio.run(conversation())


def test_log_in_register_with_a_push_token_and_call_an_echoing_phone_with_headers_both_ways(
        gateway, registrar, phones):
    callee = phones("uas_client_headers.xml").start()

    async def call():
        client = await logged_in(gateway, display_name="Alice Two", incoming_header_prefixes=["X-Sylk-"])
        contact = registrar.contact_details(ALICE)
        assert "pn_tok" not in contact, contact
        assert f"User-Agent: {AGENT}" in contact, contact  # the app's, on its REGISTER
        await client.ok({"sylkrtc": "account-devicetoken", "account": ALICE, "token": "tok:en/1=",
                         "platform": "firebase", "device": "dev1", "app": "com.agprojects.sylk", "silent": True})
        browser = Browser()
        states = await call_out(client, browser, f"sip:{callee.uri()}",
                                headers=[{"name": "X-Sylk-Call", "value": "hello"}])
        assert [s["state"] for s in states] == ["progress", "ringing", "accepted", "established"], states
        accepted = states[2]
        assert accepted["headers"] == {"X-Sylk-Reply": "yes"}, accepted  # Y-Hidden: not asked for
        assert accepted["call_id"] and "sdp" in accepted, accepted
        await until_audible(browser, frames=50)  # our tone, echoed: media both ways
        await hang_up(client, browser)
        # The token went with a REGISTER at once, as Contact parameters, escaped.
        deadline = time.monotonic() + 10
        while "pn_tok" not in str(registrar.contact_details(ALICE)):
            assert time.monotonic() < deadline, registrar.contact_details(ALICE)
            await asyncio.sleep(0.2)
        details = str(registrar.contact_details(ALICE))
        for parameter in ("pn_app=com.agprojects.sylk", "pn_tok=tok:en/1%3D", "pn_type=firebase",
                          "pn_device=dev1", "pn_silent=1"):
            assert parameter in details, details
        await client.ok({"sylkrtc": "account-unregister", "account": ALICE})
        await client.ok({"sylkrtc": "account-remove", "account": ALICE})
        await client.close()

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()  # its INVITE had the header
    registers = registrar.from_headers("REGISTER")
    assert registers and all('"Alice Two"' in line for line in registers), registers


def test_a_phone_calls_the_browser_which_answers_with_the_session_named_by_the_call_id(gateway, registrar, phones):
    caller = phones("uac_headers_answered.xml", extra=("-s", "alice"))

    async def call():
        client = await logged_in(gateway, incoming_header_prefixes=["X-Sylk-"])
        caller.start(f"127.0.0.1:{registrar.udp_port}")
        incoming = await client.event_where(lambda e: e.get("event") == "incoming-session", timeout=15)
        assert incoming["session"] == call_id_session(incoming["call_id"]), incoming
        assert incoming["originator"] == {"uri": "carol@127.0.0.1", "display_name": "Carol"}, incoming
        assert incoming["headers"] == {"X-Sylk-Trace": "abc-123"}, incoming
        browser = Browser()
        await answer(client, browser, incoming, headers=[{"name": "X-Sylk-Answer", "value": "ok"}])
        states = await client.states_until(incoming["session"], "established")
        assert [s["state"] for s in states] == ["accepted", "established"] and "sdp" not in states[0], states
        await until_audible(browser, frames=25)  # the caller echoes our tone
        end = await client.states_until(incoming["session"], "terminated")
        assert end[-1]["reason"].startswith("200"), end
        await browser.pc.close()
        await client.close()

    asyncio.run(call())
    assert caller.wait() == 0, caller.errors()  # its 200 carried X-Sylk-Answer: ok


def test_declining_with_the_configured_603_and_a_cancelled_call_is_missed(start_gateway, registrar, phones):
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp"), "decline_code": "603"})
    decliner = phones("uac_declined_603.xml", echo_rtp=False, extra=("-s", "alice"))
    canceller = phones("uac_cancel.xml", echo_rtp=False, extra=("-s", "alice"))

    async def calls():
        client = await logged_in(gateway)
        decliner.start(f"127.0.0.1:{registrar.udp_port}")
        incoming = await client.event_where(lambda e: e.get("event") == "incoming-session", timeout=15)
        await client.ok({"sylkrtc": "session-terminate", "session": incoming["session"]})
        end = await client.states_until(incoming["session"], "terminated")
        assert end[-1]["reason"].startswith("603"), end
        assert decliner.wait() == 0, decliner.errors()
        canceller.start(f"127.0.0.1:{registrar.udp_port}")
        incoming = await client.event_where(lambda e: e.get("event") == "incoming-session", timeout=15)
        missed = await client.event_where(lambda e: e.get("event") == "missed-session", timeout=15)
        assert missed["originator"]["uri"] == "carol@127.0.0.1" and missed["session"] == incoming["session"], missed
        end = await client.states_until(incoming["session"], "terminated")
        assert end[-1]["reason"] == "487 Request Terminated", end
        await client.close()

    asyncio.run(calls())
    assert canceller.wait() == 0, canceller.errors()


def test_early_media_is_heard_then_accepted_comes_without_a_second_answer(gateway, phones):
    callee = phones("uas_early_media.xml").start()

    async def call():
        client, browser = await logged_in(gateway), Browser()
        await client.ok({"sylkrtc": "session-create", "account": ALICE, "session": "S1", "uri": callee.uri(),
                         "sdp": await browser.offer()})
        states = await client.states_until("S1", "early-media")
        assert [s["state"] for s in states] == ["progress", "early-media"], states
        assert states[-1]["call_id"], states
        await browser.accept(states[-1]["sdp"])
        await until_audible(browser, frames=25, timeout=5)  # heard before the phone answers (it waits 6 s)
        states = await client.states_until("S1", "established")
        assert [s["state"] for s in states] == ["accepted", "established"], states
        assert "sdp" not in states[0], states  # applying a second answer would fail in the browser
        await hang_up(client, browser)
        await client.close()

    asyncio.run(call())
    assert callee.wait() == 0, callee.errors()


def test_hold_and_resume_from_each_side_and_dtmf_by_info(gateway, phones):
    media = PhoneMedia()
    holder = phones("uas_holds_and_resumes.xml", echo_rtp=False, extra=media.sipp_key()).start()
    held = phones("uas_held_by_browser.xml").start()
    dtmf = phones("uas_dtmf_info.xml").start()

    async def browser_update(client, browser, direction):
        browser.pc.getTransceivers()[0].direction = direction
        await browser.pc.setLocalDescription(await browser.pc.createOffer())
        await client.ok({"sylkrtc": "session-update", "session": "S2", "sdp": browser.pc.localDescription.sdp})
        update = await client.update_event("S2")
        assert update["state"] == "accepted", update
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=update["sdp"], type="answer"))
        return update["sdp"]

    async def answer_remote_update(client, browser, session):
        """The phone's change offered to the browser (`update` received), answered by session-update."""
        update = await client.update_event(session)
        assert update["state"] == "received", update
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=update["sdp"], type="offer"))
        await browser.pc.setLocalDescription(await browser.pc.createAnswer())
        await client.ok({"sylkrtc": "session-update", "session": session, "sdp": browser.pc.localDescription.sdp})
        return update["sdp"]

    async def calls():
        client = await logged_in(gateway)
        # The phone holds (sendonly, inactive), resumes, and holds and resumes by UPDATE.
        browser = Browser()
        await call_out(client, browser, holder.uri(), "S1")
        await until_audible(browser, frames=25)
        directions = []
        for _ in range(5):
            offer = await answer_remote_update(client, browser, "S1")
            directions.append(re.search(r"a=(sendonly|recvonly|inactive|sendrecv)", offer).group(1))
        assert directions == ["sendonly", "inactive", "sendrecv", "sendonly", "sendrecv"], directions
        await asyncio.sleep(1)
        await hang_up(client, browser, "S1")
        # The browser holds and resumes.
        browser = Browser()
        await call_out(client, browser, held.uri(), "S2")
        assert "a=recvonly" in await browser_update(client, browser, "sendonly")
        assert "a=sendrecv" in await browser_update(client, browser, "sendrecv")
        heard = browser.audible_frames
        await until_audible(browser, frames=heard + 25, timeout=5)
        await hang_up(client, browser, "S2")
        # DTMF by SIP INFO, both ways.
        browser = Browser()
        await call_out(client, browser, dtmf.uri(), "S3")
        await client.ok({"sylkrtc": "session-dtmf-info", "session": "S3", "digit": "5"})
        digit = await client.event_where(lambda e: e.get("event") == "dtmf")
        assert digit["digit"] == "9", digit
        await hang_up(client, browser, "S3")
        await client.close()

    try:
        asyncio.run(calls())
    finally:
        media.stop()
    for phone in (holder, held, dtmf):
        assert phone.wait() == 0, phone.errors()


def test_a_sylkrtc1_and_a_sylkrtc2_client_of_one_account_each_hear_their_own_dialect(gateway, registrar, phones):
    caller = phones("uac_cancel_forked.xml", echo_rtp=False, extra=("-s", "alice"))

    async def both():
        old = await Client.connect(gateway.url)
        await old.request(add_account_request(ALICE, ALICE_HA1))
        await old.request({"sylkrtc": "register", "account": ALICE})
        await registration_events(old, ALICE, {"registered"})
        new = await logged_in(gateway)
        assert len(registrar.contacts(ALICE)) == 2
        caller.start(f"127.0.0.1:{registrar.udp_port}")  # Kamailio forks to both contacts
        first = await new.event_where(lambda e: e.get("event") == "incoming-session", timeout=15)
        assert first["originator"]["uri"] == "carol@127.0.0.1", first
        while (event := await old.receive(timeout=15)).get("event") != "incoming_session":
            pass
        assert event["data"]["originator"] == "carol@127.0.0.1" and "call_id" not in event["data"], event
        assert re.fullmatch(r"[0-9a-f-]{36}", event["session"]), event
        await new.event_where(lambda e: e.get("event") == "missed-session", timeout=15)
        while (event := await old.receive(timeout=15)).get("event") != "missed_session":
            pass
        await old.close()
        await new.close()

    asyncio.run(both())
    assert caller.wait() == 0, caller.errors()


def test_1000_accounts_over_100_sylkrtc2_connections_all_register_and_none_stay(start_gateway, tmp_path):
    accounts = {f"user{i}@example.com": hashlib.md5(f"user{i}:example.com:pw{i}".encode()).hexdigest()
                for i in range(1000)}
    registrar = Kamailio(tmp_path / "kamailio", accounts).start()
    try:
        gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})
        names = sorted(accounts)

        async def connection(index):
            client = await Sylkrtc2Client.connect(gateway.url, ping_every=5)
            mine = names[index * 10:(index + 1) * 10]
            for account in mine:
                await client.ok({"sylkrtc": "account-add", "account": account, "password": accounts[account]})
                await client.ok({"sylkrtc": "account-register", "account": account})
            registered = set()
            while len(registered) < len(mine):
                event = await client.event_where(lambda e: e.get("event") == "registration-state", timeout=120)
                assert event["state"] != "failed", event
                if event["state"] == "registered":
                    registered.add(event["account"])
            return client

        async def everyone():
            clients = await asyncio.gather(*(connection(i) for i in range(100)))
            assert registrar.contact_count() == 1000
            await asyncio.gather(*(c.close() for c in clients))

        asyncio.run(everyone())
        deadline = time.monotonic() + 60
        while registrar.contact_count():
            assert time.monotonic() < deadline, f"{registrar.contact_count()} contacts left on Kamailio"
            time.sleep(0.5)
    finally:
        registrar.stop()
