"""Registration against scripted registrars (sipp): challenges of every kind, 423, 503,
silence, and short expiries. sipp's verifyauth recomputes each digest from the plain
password, independently of the gateway's code."""

import asyncio
import hashlib
import re
import time

import pytest

from conftest import Client, add_account_request, run
from sipp import Sipp

HA1 = hashlib.md5(b"alice:example.com:secret").hexdigest()


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def digest_parameters(header_value):
    """{"username": ..., "nonce": ..., ...} from 'Digest username="alice", nc=00000001, ...'."""
    assert header_value.startswith("Digest "), header_value
    return {key.lower(): quoted if quoted else bare
            for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header_value[len("Digest "):])}


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


def test_retries_of_a_failing_first_registration_back_off_5_10_20_seconds(start_gateway, scripted_registrar):
    peer = scripted_registrar("backoff_503.xml")
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy()})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 2, 10) == [{"state": "registering"},
                                                    {"state": "failed", "reason": "503 Service Unavailable"}]
        # The retries fail the same way (no new event) until the fourth REGISTER is accepted.
        assert await next_states(client, 1, 50) == [{"state": "registered"}]
        await asyncio.get_running_loop().run_in_executor(None, finished_cleanly, peer)
        await client.close()

    run(conversation())
    times = [seconds for seconds, _ in peer.received_requests("REGISTER")]
    assert len(times) == 4, peer.transcript()
    intervals = [later - earlier for earlier, later in zip(times, times[1:])]
    # Protocol timing as documented (5 s, then doubling); the tolerance is for a loaded machine.
    for interval, expected in zip(intervals, [5, 10, 20]):
        assert expected - 0.5 <= interval <= expected + 2.0, intervals


def test_an_md5_sess_challenge_is_answered_with_the_md5_sess_response(start_gateway, scripted_registrar):
    peer = scripted_registrar("md5_sess.xml")
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy()})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 2, 10) == [{"state": "registering"}, {"state": "registered"}]
        finished_cleanly(peer)
        await client.close()

    run(conversation())
    requests = peer.received_requests("REGISTER")
    assert len(requests) == 2, peer.transcript()
    header = re.search(r"^Authorization: (.*)$", requests[1][1], re.M)
    assert header, requests[1][1]
    answer = digest_parameters(header.group(1).strip())
    assert answer["algorithm"].lower() == "md5-sess" and answer["qop"] == "auth", answer
    assert answer["username"] == "alice" and answer["realm"] == "example.com", answer
    assert answer["nonce"].startswith("sess") and answer["opaque"].startswith("op"), answer
    # RFC 2617 3.2.2.2: with MD5-sess, HA1 = MD5(MD5(user:realm:password):nonce:cnonce).
    session_ha1 = md5(f"{md5('alice:example.com:secret')}:{answer['nonce']}:{answer['cnonce']}")
    ha2 = md5(f"REGISTER:{answer['uri']}")
    expected = md5(f"{session_ha1}:{answer['nonce']}:{answer['nc']}:{answer['cnonce']}:auth:{ha2}")
    assert answer["response"] == expected, answer
    # (and not the plain MD5 response, which the registrar would refuse)
    assert answer["response"] != md5(f"{HA1}:{answer['nonce']}:{answer['nc']}:{answer['cnonce']}:auth:{ha2}")


def test_stopping_with_a_registrar_that_stopped_answering_returns_after_unregister_timeout(
        start_gateway, scripted_registrar):
    peer = scripted_registrar("unregister_unanswered.xml")
    gateway = start_gateway(general={"outbound_sip_proxy": peer.proxy(), "unregister_timeout": "3"})

    async def conversation():
        client = await register(gateway)
        assert await next_states(client, 2, 10) == [{"state": "registering"}, {"state": "registered"}]
        started = time.monotonic()
        assert await asyncio.get_running_loop().run_in_executor(None, gateway.stop) == 0
        return time.monotonic() - started

    elapsed = run(conversation())
    # The unregister was sent and got no answer; stopping waited for it about
    # unregister_timeout (3 s), not SIP's 32 s transaction timeout, then gave up with a warning.
    unregisters = [text for _, text in peer.received_requests("REGISTER") if re.search(r"^Expires: 0", text, re.M)]
    assert len(unregisters) == 1, peer.transcript()
    assert 3 - 0.5 <= elapsed <= 3 + 5, elapsed
    warnings = [line for line in gateway.log().splitlines() if "WARNING" in line and "unregister_timeout" in line]
    assert warnings, gateway.log()
