"""Hundreds of calls asked for at once on one connection, through Kamailio (407 answered
from the HA1) to one sipp that answers them all: every one is answered, none is lost to
full UDP buffers (the gateway keeps at most 100 INVITEs being set up at a time), and
every one ends with its BYE. The browsers' offers are written here (no media flows):
what is under test is the signalling at that scale."""

import asyncio
import hashlib
import json
import os

import pytest

from conftest import Client, add_account_request
from kamailio import Kamailio
from phones import SippPhone
from test_registration import registration_events

CALLS = 300
ALICE = "alice@example.com"
ALICE_HA1 = hashlib.md5(b"alice:example.com:scale secret").hexdigest()


def browser_offer(index):
    fingerprint = ":".join(f"{b:02X}" for b in os.urandom(32))
    return "\r\n".join([
        "v=0", f"o=- {index + 1} 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 0", "c=IN IP4 0.0.0.0", f"a=ice-ufrag:u{index}x",
        "a=ice-pwd:scalebrowserpasswordscale", f"a=fingerprint:sha-256 {fingerprint}", "a=setup:actpass",
        "a=mid:0", "a=sendrecv", "a=rtcp-mux", "a=rtpmap:0 PCMU/8000", ""])


@pytest.fixture
def registrar(tmp_path):
    # Hundreds of nonces in flight at once: Kamailio's nonce-count check refuses some
    # correct answers then (as in the registration scale test); off here only.
    kamailio = Kamailio(tmp_path / "kamailio", {ALICE: ALICE_HA1}, check_nonce_count=False,
                        shared_memory_mb=256).start()
    yield kamailio
    kamailio.stop()


def test_hundreds_of_calls_asked_for_at_once_are_all_answered_and_all_end(start_gateway, registrar, tmp_path):
    phone = SippPhone(tmp_path / "phone", "uas", calls=CALLS, echo_rtp=False).start()
    # One connection asks for them all: the per-connection limits are raised to fit. No
    # browser passes ICE here, so each call ends `timeout` s after its `accepted`: 120 s
    # (not 30) lets a slow machine answer all of them before the first one goes.
    gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")},
                            rtp={"port_range": "20000:29998", "timeout": "120"},
                            limits={"max_calls_per_connection": str(CALLS), "max_call_setups_per_connection": str(CALLS),
                                    "max_requests_per_second": str(10 * CALLS)})
    try:
        async def calls():
            client = await Client.connect(gateway.url, max_queue=None)
            await client.request(add_account_request(ALICE, ALICE_HA1))
            await client.request({"sylkrtc": "register", "account": ALICE})
            await registration_events(client, ALICE, {"registered"})
            for index in range(CALLS):  # all at once: no answer awaited in between
                await client.ws.send(json.dumps({"sylkrtc": "session-create", "transaction": f"c{index}",
                                                 "account": ALICE, "session": f"S{index}",
                                                 "uri": phone.uri(), "sdp": browser_offer(index)}))
            acks, accepted = 0, set()
            while acks < CALLS or len(accepted) < CALLS:
                message = await client.receive(timeout=60)
                if message["sylkrtc"] == "ack":
                    acks += 1
                    continue
                assert message["sylkrtc"] == "session_event", message
                state = message["data"]["state"]
                assert state != "terminated", message  # e.g. a 408: an INVITE lost for good
                if state == "accepted":
                    accepted.add(message["session"])
            assert gateway.stats()["sessions"] == CALLS
            for index in range(CALLS):
                await client.ws.send(json.dumps({"sylkrtc": "session-terminate", "transaction": f"t{index}",
                                                 "session": f"S{index}"}))
            ended = {}
            while len(ended) < CALLS or acks < 2 * CALLS:
                message = await client.receive(timeout=60)
                if message["sylkrtc"] == "ack":
                    acks += 1
                elif message["data"]["state"] == "terminated":
                    ended[message["session"]] = message["data"]["reason"]
            assert set(ended.values()) == {"200 Call completed"}, set(ended.values())
            await client.close()

        asyncio.run(calls())
        assert phone.wait(timeout=60) == 0, phone.errors()  # all of them, each with its BYE
        assert gateway.stats()["sessions"] == 0
    finally:
        phone.stop()
