"""The demo page the gateway serves under /webrtcgateway/, in headless Chromium with fake
camera and microphone: log in (the page computes the HA1), register through Kamailio,
call an echoing SIP phone with audio and video, answer a phone's call, hang up. What the
browser itself measures (getStats) proves the media: packets received on every media
line, over SRTP."""

import asyncio
import hashlib
import os
import pathlib
import urllib.error
import urllib.request

import pytest

from chromium import Chromium
from kamailio import Kamailio
from phones import SippPhone

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


def page_url(gateway):
    return gateway.url.replace("ws://", "http://").replace("/webrtcgateway/ws", "/webrtcgateway/")


async def logged_in(browser, gateway):
    await browser.start(page_url(gateway))
    await browser.fill("account", ALICE)
    await browser.fill("password", PASSWORD)
    await browser.fill("display-name", "Alice")
    await browser.click("login")
    await browser.wait_for("document.getElementById('registration-state').textContent === 'registered'")
    return browser


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


def test_the_page_calls_an_echoing_phone_with_audio_and_video(tmp_path, gateway, registrar):
    phone = SippPhone(tmp_path / "phone", "uas_echo_audio_video.xml").start()

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway)
            await browser.fill("target", phone.uri())
            await browser.click("call")
            await browser.wait_for("document.getElementById('call-state').textContent === 'established'")
            stats = await until_media(browser, ["audio", "video"])
            assert stats["srtpCipher"] == "SRTP_AEAD_AES_128_GCM", stats  # the gateway prefers GCM; Chromium offers it
            assert stats["dtlsState"] == "connected", stats
            shot = os.environ.get("SYLK_SCREENSHOT")  # README's picture: SYLK_SCREENSHOT=path pytest ...
            await browser.screenshot(shot or tmp_path / "in-call.png")
            await browser.click("hangup")
            await browser.wait_for("document.getElementById('call-state').textContent === 'terminated'")
            assert await browser.evaluate("demo.lastReason") == "200 Call completed"
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()  # it answered, echoed, and got the BYE
    invites = [r for r in registrar.requests() if r["method"] == "INVITE"]
    assert len(invites) == 2  # challenged with 407, then sent again with the digest


def test_the_page_answers_a_phone_that_calls(tmp_path, gateway, registrar):
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "pcap").symlink_to("/usr/share/sip-tester")
    phone = SippPhone(tmp_path / "phone", "uac_pcap", echo_rtp=False, extra=("-s", "alice"))

    async def scenario():
        browser = Chromium(tmp_path)
        try:
            await logged_in(browser, gateway)
            phone.start(f"127.0.0.1:{registrar.udp_port}")
            await browser.wait_for("document.getElementById('incoming').style.display === 'block'")
            assert "sipp@127.0.0.1" in await browser.text("incoming-from")
            await browser.click("answer")
            await browser.wait_for("document.getElementById('call-state').textContent === 'established'")
            stats = await until_media(browser, ["audio"])
            assert stats["srtpCipher"] == "SRTP_AEAD_AES_128_GCM", stats  # the gateway prefers GCM; Chromium offers it
            # The phone hangs up when its pcap has played (about 8 s).
            await browser.wait_for("document.getElementById('call-state').textContent === 'terminated'", timeout=30)
        finally:
            await browser.stop()

    asyncio.run(scenario())
    assert phone.wait() == 0, phone.errors()
