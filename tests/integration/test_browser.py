"""The demo page the gateway serves under /webrtcgateway/, in headless Chromium with fake
camera and microphone: log in (the page computes the HA1), register through Kamailio,
call an echoing SIP phone with audio and video, answer a phone's call, hang up; as a
softphone: early media heard before the answer, the call's state and running duration,
the dial pad (DTMF by SIP INFO both ways), mute, hold and resume both ways, a caller's
name shown as text. What the
browser itself measures (getStats) proves the media: packets received on every media
line, over SRTP. Every message the page sent and received is checked against schema/.
The page speaks sylkRTC-1, or sylkRTC-2 with ?dialect=sylkRTC-2: the tests marked
`dialect` run in both."""

import asyncio
import hashlib
import json
import os
import pathlib
import urllib.error
import urllib.request

import pytest

from chromium import Chromium
from kamailio import Kamailio
from phones import PhoneMedia, SippPhone
from schema_check import assert_client_message, assert_server_message

PASSWORD = "browser secret"
ALICE = "alice@example.com"


@pytest.fixture
def registrar(tmp_path):
    ha1 = hashlib.md5(f"alice:example.com:{PASSWORD}".encode()).hexdigest()
    kamailio = Kamailio(tmp_path / "kamailio", {ALICE: ha1}, log_requests=True).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def gateway(start_gateway, registrar):
    return start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")})


DIALECTS = pytest.mark.parametrize("dialect", ["sylkRTC-1", "sylkRTC-2"])


def page_url(gateway, dialect="sylkRTC-1"):
    page = gateway.url.replace("ws://", "http://").replace("/webrtcgateway/ws", "/webrtcgateway/")
    return page + ("?dialect=sylkRTC-2" if dialect == "sylkRTC-2" else "")


async def logged_in(browser, gateway, dialect="sylkRTC-1"):
    await browser.start(page_url(gateway, dialect))
    await browser.fill("account", ALICE)
    await browser.fill("password", PASSWORD)
    await browser.fill("display-name", "Alice")
    await browser.click("login")
    await browser.wait_for("document.getElementById('registration-state').textContent === 'registered'")
    return browser


def state_is(state):
    return f"document.getElementById('call-state').textContent === {json.dumps(state)}"


async def call_phone(browser, phone, video=False):
    await browser.evaluate(f"document.getElementById('with-video').checked = {json.dumps(video)}")
    await browser.fill("target", phone.uri())
    await browser.click("call")


async def hang_up(browser):
    await browser.click("hangup")
    await browser.wait_for(state_is("terminated"))
    assert await browser.evaluate("demo.lastReason") == "200 Call completed"


async def assert_messages_follow_the_schema(browser, dialect="sylkRTC-1"):
    """What the page sent and what it received, against its dialect's schema (the page keeps the last 200)."""
    trace = await browser.evaluate("demo.trace")
    assert trace
    for entry in trace:
        check = assert_client_message if entry["direction"] == "sent" else assert_server_message
        check(entry["message"], dialect)
    return trace


def trace_sent(trace, request):
    return next(m["message"] for m in trace if m["direction"] == "sent" and m["message"]["sylkrtc"] == request)


async def until_media(browser, kinds, packets=50, timeout=20):
    """getStats() until every kind in `kinds` has received `packets`; returns the last stats."""
    for _ in range(int(timeout / 0.2)):
        stats = await browser.evaluate("demo.stats()")
        if all(stats[kind] >= packets for kind in kinds):
            return stats
        await asyncio.sleep(0.2)
    raise AssertionError(f"media did not arrive: {stats}")


def test_the_page_is_served_under_webrtcgateway(gateway):
    with urllib.request.urlopen(page_url(gateway)) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        page = answer.read().decode()
    assert "sylkRTC-1" in page and 'id="login"' in page
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(page_url(gateway) + "nothing-here")
    assert missing.value.code == 404


@DIALECTS
def test_the_page_calls_an_echoing_phone_with_audio_and_video(tmp_path, gateway, registrar, dialect):
    phone = SippPhone(tmp_path / "phone", "uas_echo_audio_video.xml").start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway, dialect)
            await browser.fill("target", phone.uri())
            await browser.click("call")
            await browser.wait_for(state_is("established"))
            stats = await until_media(browser, ["audio", "video"])
            assert stats["srtpCipher"] == "SRTP_AEAD_AES_128_GCM", stats  # the gateway prefers GCM; Chromium offers it
            assert stats["dtlsState"] == "connected", stats
            shot = os.environ.get("SYLK_SCREENSHOT")  # README's picture: SYLK_SCREENSHOT=path pytest ...
            await browser.screenshot(shot or tmp_path / "in-call.png")
            await hang_up(browser)
            await assert_messages_follow_the_schema(browser, dialect)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()  # it answered, echoed, and got the BYE
    invites = [r for r in registrar.requests() if r["method"] == "INVITE"]
    assert len(invites) == 2  # challenged with 407, then sent again with the digest


@DIALECTS
def test_the_page_answers_a_phone_that_calls(tmp_path, gateway, registrar, dialect):
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "pcap").symlink_to("/usr/share/sip-tester")
    phone = SippPhone(tmp_path / "phone", "uac_pcap", echo_rtp=False, extra=("-s", "alice"))

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway, dialect)
            phone.start(f"127.0.0.1:{registrar.udp_port}")
            await browser.wait_for("!document.getElementById('incoming').hidden")
            assert "sipp@127.0.0.1" in await browser.text("incoming-from")
            await browser.click("answer")
            await browser.wait_for(state_is("established"))
            stats = await until_media(browser, ["audio"])
            assert stats["srtpCipher"] == "SRTP_AEAD_AES_128_GCM", stats  # the gateway prefers GCM; Chromium offers it
            # The phone hangs up when its pcap has played (about 8 s).
            await browser.wait_for(state_is("terminated"), timeout=30)
            await assert_messages_follow_the_schema(browser, dialect)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()


@DIALECTS
def test_the_page_plays_early_media_then_shows_the_answered_call_and_its_duration(tmp_path, gateway, dialect):
    # 183 with SDP, 6 s of early media (sipp echoes the browser's audio), then the 200.
    phone = SippPhone(tmp_path / "phone", "uas_early_media.xml").start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway, dialect)
            await call_phone(browser, phone)
            await browser.wait_for(state_is("early media"))
            assert await browser.evaluate("document.getElementById('dialpad').hidden")  # no DTMF before the answer
            stats = await until_media(browser, ["audio"], timeout=5)  # the early answer applied: audio flows ...
            assert await browser.text("call-state") == "early media", stats  # ... before the 200
            assert await browser.text("call-duration") == ""
            await browser.wait_for(state_is("established"), timeout=15)
            # sylkRTC-1's accepted carries the same answer again; the page kept the one it had (no second
            # setRemoteDescription).
            trace = await assert_messages_follow_the_schema(browser, dialect)
            if dialect == "sylkRTC-1":
                states = [m["message"]["data"] for m in trace if m["message"].get("event") == "state"]
                assert [(s["state"], "sdp" in s) for s in states] == [
                    ("progress", True), ("accepted", True), ("established", False)], states
            else:  # the answer once, with early-media; accepted without it
                states = [m["message"] for m in trace if m["message"].get("event") == "state"]
                assert [(s["state"], "sdp" in s) for s in states] == [
                    ("progress", False), ("early-media", True), ("accepted", False), ("established", False)], states
            assert "answer:" not in await browser.text("log")
            assert await browser.evaluate("demo.call.pc.signalingState") == "stable"
            assert not await browser.evaluate("document.getElementById('dialpad').hidden")
            await browser.wait_for("document.getElementById('call-duration').textContent === '00:02'", timeout=5)
            await until_media(browser, ["audio"], packets=stats["audio"] + 50, timeout=5)  # still heard once answered
            await hang_up(browser)
            duration = await browser.text("call-duration")
            assert duration >= "00:02", duration
            await asyncio.sleep(1.2)
            assert await browser.text("call-duration") == duration  # stopped with the call
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()


@DIALECTS
def test_in_a_call_the_dial_pad_works_both_ways_and_mute_silences_the_microphone(tmp_path, gateway, dialect):
    # The phone expects an INFO with Signal=5, then sends its own with Signal=9.
    phone = SippPhone(tmp_path / "phone", "uas_dtmf_info.xml").start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway, dialect)
            await call_phone(browser, phone)
            await browser.wait_for("!document.getElementById('dialpad').hidden")  # answered
            # Mute: the track the connection sends is switched off, then on again.
            sending = "demo.call.pc.getSenders().find(s => s.track && s.track.kind === 'audio').track.enabled"
            assert await browser.evaluate(sending) is True and await browser.text("mute") == "Mute"
            await browser.click("mute")
            assert await browser.evaluate(sending) is False and await browser.text("mute") == "Unmute"
            assert await browser.evaluate("document.getElementById('mute').getAttribute('aria-pressed')") == "true"
            await browser.click("mute")
            assert await browser.evaluate(sending) is True and await browser.text("mute") == "Mute"
            await browser.click("dtmf-5")
            await browser.wait_for("document.getElementById('dtmf-received').textContent === '9'", timeout=10)
            assert await browser.text("dtmf-sent") == "5"
            trace = await assert_messages_follow_the_schema(browser, dialect)
            assert trace_sent(trace, "session-dtmf-info")["digit"] == "5"
            await hang_up(browser)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()  # its INFO came with Signal=5 as application/dtmf-relay


def test_the_dial_pad_sends_rfc_4733_digits_in_the_audio_and_shows_the_phones(tmp_path, gateway):
    media = PhoneMedia()
    phone = SippPhone(tmp_path / "phone", "uas_media_sink.xml", echo_rtp=False, extra=media.sipp_key()).start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway)
            await call_phone(browser, phone)
            await browser.wait_for("!document.getElementById('dialpad').hidden", timeout=15)  # answered
            await until_media(browser, ["audio"], packets=25)  # the phone's tone
            await browser.evaluate("document.getElementById('dtmf-inband').checked = true")
            await browser.click("dtmf-3")
            for _ in range(50):  # its telephone-events, renumbered to the phone's 101, end included
                if (3, True) in media.events:
                    break
                await asyncio.sleep(0.1)
            assert (3, True) in media.events, media.events
            assert {code for code, _ in media.events} == {3}, media.events
            media.send_digit("7")  # the phone's own, told to the page as an event
            await browser.wait_for("document.getElementById('dtmf-received').textContent === '7'", timeout=10)
            trace = await assert_messages_follow_the_schema(browser)
            assert not any(m["message"]["sylkrtc"] == "session-dtmf-info" for m in trace if m["direction"] == "sent")
            await hang_up(browser)
        finally:
            await browser.stop()
            media.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()


def test_the_page_answers_the_phones_move_to_another_codec_and_media_goes_on(tmp_path, gateway):
    # The phone answers PCMU, then re-INVITEs with PCMA only (the page offered both).
    phone = SippPhone(tmp_path / "phone", "uas_changes_codec.xml").start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway)
            await call_phone(browser, phone)
            await browser.wait_for(state_is("established"), timeout=15)
            await until_media(browser, ["audio"], packets=25)
            await browser.wait_for("demo.trace.some(m => m.direction === 'sent' && m.message.sylkrtc === 'session-update')",
                                   timeout=15)
            await until_media_in(browser, "audio/PCMA")  # its echo, now of our PCMA
            trace = await assert_messages_follow_the_schema(browser)
            assert "PCMA/8000" in trace_sent(trace, "session-update")["sdp"]
            await hang_up(browser)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()  # its re-INVITE was answered with PCMA


CODECS_IN_USE = "demo.call.pc.getStats().then(r => [...r.values()].filter(s => s.type === 'codec').map(s => s.mimeType))"


async def until_media_in(browser, codec):
    """Until the page's connection carries `codec` and 50 more audio packets come with it."""
    await browser.wait_for(f"{CODECS_IN_USE}.then(codecs => codecs.length === 2 && codecs.every(c => c === {json.dumps(codec)}))",
                           timeout=15)
    before = (await browser.evaluate("demo.stats()"))["audio"]
    await until_media(browser, ["audio"], packets=before + 50)


def test_after_early_media_in_pcmu_the_answer_in_pcma_is_offered_to_the_page_and_media_goes_on(tmp_path, gateway):
    phone = SippPhone(tmp_path / "phone", "uas_early_media_then_pcma.xml").start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway)
            await call_phone(browser, phone)
            await browser.wait_for(state_is("early media"), timeout=15)
            await browser.wait_for(state_is("established"), timeout=15)
            await until_media_in(browser, "audio/PCMA")  # its echo of our PCMA, after the page's renegotiation
            trace = await assert_messages_follow_the_schema(browser)
            assert "PCMA/8000" in trace_sent(trace, "session-update")["sdp"]
            await hang_up(browser)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()


def test_an_offerless_caller_choosing_pcma_in_its_ack_is_offered_to_the_page_and_heard(tmp_path, gateway, registrar):
    phone = SippPhone(tmp_path / "phone", "uac_offerless_pcma.xml", extra=("-s", "alice"))

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway)
            phone.start(f"127.0.0.1:{registrar.udp_port}")
            await browser.wait_for("!document.getElementById('incoming').hidden")
            await browser.click("answer")
            await browser.wait_for(state_is("established"))
            await until_media_in(browser, "audio/PCMA")
            await browser.wait_for(state_is("terminated"), timeout=30)  # it hangs up after 8 s
            await assert_messages_follow_the_schema(browser)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()


@DIALECTS
def test_hold_and_resume_from_the_page_and_from_the_phone(tmp_path, gateway, dialect):
    # The first phone expects a re-INVITE with a=sendonly, then one with a=sendrecv.
    phone = SippPhone(tmp_path / "phone", "uas_held_by_browser.xml").start()
    media = PhoneMedia()
    # The second holds the call itself (re-INVITE sendonly, inactive, sendrecv...).
    holder = SippPhone(tmp_path / "holder", "uas_holds_and_resumes.xml", echo_rtp=False, extra=media.sipp_key()).start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway, dialect)
            await call_phone(browser, phone)
            await browser.wait_for("!document.getElementById('hold').disabled", timeout=15)  # answered
            await until_media(browser, ["audio"], packets=25)  # its echo of our microphone
            await browser.click("hold")
            await browser.wait_for("document.getElementById('hold').textContent === 'Resume'", timeout=10)
            assert await browser.evaluate("document.getElementById('hold').getAttribute('aria-pressed')") == "true"
            assert await browser.evaluate("demo.call.pc.getTransceivers()[0].currentDirection") == "sendonly"
            await browser.click("hold")
            await browser.wait_for("document.getElementById('hold').textContent === 'Hold'", timeout=10)
            assert await browser.evaluate("demo.call.pc.getTransceivers()[0].currentDirection") == "sendrecv"
            before = (await browser.evaluate("demo.stats()"))["audio"]
            await until_media(browser, ["audio"], packets=before + 25)  # the echo again, once resumed
            trace = await assert_messages_follow_the_schema(browser, dialect)
            assert "a=sendonly" in trace_sent(trace, "session-update")["sdp"]  # the first one: hold
            await hang_up(browser)

            await call_phone(browser, holder)
            await browser.wait_for("!document.getElementById('held-by-peer').hidden", timeout=20)
            await browser.wait_for("document.getElementById('held-by-peer').hidden", timeout=20)  # resumed
            await hang_up(browser)
        finally:
            await browser.stop()
            media.stop()
            holder.stop()  # hung up before its scenario's end (its refresh and UPDATEs)

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()  # sendonly, then sendrecv, in two re-INVITEs


@DIALECTS
def test_an_incoming_callers_name_is_shown_as_text_and_the_call_can_be_declined(tmp_path, gateway, registrar, dialect):
    phone = SippPhone(tmp_path / "phone", "uac_markup_name_declined.xml", echo_rtp=False, extra=("-s", "alice"))

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway, dialect)
            phone.start(f"127.0.0.1:{registrar.udp_port}")
            await browser.wait_for("!document.getElementById('incoming').hidden")
            assert await browser.text("incoming-name") == "<b>Carol</b> &amp; Co"  # the text itself ...
            assert await browser.evaluate("document.getElementById('incoming-name').childElementCount") == 0  # no <b>
            assert await browser.text("incoming-from") == "carol@127.0.0.1"
            assert await browser.text("call-state") == "incoming"
            await browser.click("decline")
            await browser.wait_for(state_is("terminated"))
            assert await browser.evaluate("demo.lastReason") == "486 Busy Here"
            assert await browser.evaluate("document.getElementById('incoming').hidden")
            await assert_messages_follow_the_schema(browser, dialect)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()  # it got the 486

