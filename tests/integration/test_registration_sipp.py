"""Registration against scripted registrars (sipp): challenges of every kind, 423, 503,
silence, and short expiries. sipp's verifyauth recomputes each digest from the plain
password, independently of the gateway's code."""

import asyncio
import hashlib

import pytest

from conftest import Client, add_account_request, run
from sipp import Sipp

HA1 = hashlib.md5(b"alice:example.com:secret").hexdigest()


@pytest.fixture
def scripted_registrar(tmp_path):
    started = []

    def start(scenario):
        peer = Sipp(scenario, tmp_path / f"sipp{len(started)}").start()
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()


async def register(gateway):
    client = await Client.connect(gateway.url)
    await client.request(add_account_request("alice@example.com", HA1))
    assert (await client.request({"sylkrtc": "register", "account": "alice@example.com"}))["sylkrtc"] == "ack"
    return client


async def next_states(client, count, timeout):
    states = []
    for _ in range(count):
        event = await client.receive(timeout=timeout)
        assert event["event"] == "registration_state" and event["account"] == "alice@example.com", event
        states.append(event["data"])
    return states


def finished_cleanly(peer, timeout=30):
    code = peer.wait(timeout)
    assert code == 0, f"sipp exit {code}\n{peer.errors()}\n{peer.transcript()[-4000:]}"


@pytest.mark.parametrize("scenario", [
    "proxy_challenge_and_423.xml",  # 407 answered with Proxy-Authorization, then 423 answered with Min-Expires
    "stale_nonce.xml",              # a stale nonce retried without reporting failure, qop and no qop
])
def test_challenges_and_423_end_registered_without_a_failure(start_gateway, scripted_registrar, scenario):
    peer = scripted_registrar(scenario)
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy()})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 2, 10) == [{"state": "registering"}, {"state": "registered"}]
        finished_cleanly(peer)
        await client.close()

    run(conversation())


def test_a_short_granted_expiry_is_refreshed_silently(start_gateway, scripted_registrar):
    peer = scripted_registrar("short_expiry_refreshes.xml")
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy()})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 2, 10) == [{"state": "registering"}, {"state": "registered"}]
        # Three refreshes (each before the 2 s run out) arrive and are answered 200...
        await asyncio.get_running_loop().run_in_executor(None, finished_cleanly, peer)
        # ...and the client heard nothing about them.
        assert len(client.ws.messages) == 0
        await client.close()

    run(conversation())
    transcript = peer.transcript()
    assert transcript.count("nc=00000002") >= 1 and transcript.count("nc=00000004") >= 1  # nonce reused, counted


def test_a_refresh_answered_503_fails_then_recovers(start_gateway, scripted_registrar):
    peer = scripted_registrar("refresh_503_then_recovery.xml")
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy()})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 2, 10) == [{"state": "registering"}, {"state": "registered"}]
        assert await next_states(client, 1, 10) == [{"state": "failed", "reason": "503 Service Unavailable"}]
        assert await next_states(client, 1, 15) == [{"state": "registered"}]  # after the back-off
        finished_cleanly(peer)
        await client.close()

    run(conversation())


def test_no_answer_at_all_gives_408(start_gateway, scripted_registrar):
    peer = scripted_registrar("no_answer.xml")
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy()})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 1, 5) == [{"state": "registering"}]
        # SIP's transaction timeout (64 x T1 = 32 s) decides.
        assert await next_states(client, 1, 45) == [{"state": "failed", "reason": "408 Request Timeout"}]
        await client.close()

    run(conversation())
