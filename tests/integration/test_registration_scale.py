"""10,000 bindings at once into a real Kamailio (issue: nothing lost between threads).

100 WebSocket connections each add 100 accounts and register them all without waiting
for answers. Every binding must report `registered`, Kamailio must hold every contact,
and every way of ending them (closing the connections, stopping the application,
closing while the REGISTERs are still in flight) must leave no contact behind."""

import asyncio
import hashlib
import json
import time

import pytest
import websockets

from conftest import HostProcess, free_port, teardown_problems, write_config
from kamailio import Kamailio

CONNECTIONS = 100
ACCOUNTS_PER_CONNECTION = 100
PASSWORD = "scale secret"
# Un-REGISTERs run at about 1,800/s over UDP after a burst (libre keeps every finished UDP
# transaction for 5 s on one sorted timer list, which each new transaction walks) and
# several times faster over TCP: the timeout a deployment needs grows with its bindings.
UNREGISTER_TIMEOUT = {"udp": 15, "tcp": 5}


def account(connection, index):
    return f"c{connection}u{index}@example.com"


def ha1(address):
    user, domain = address.split("@")
    return hashlib.md5(f"{user}:{domain}:{PASSWORD}".encode()).hexdigest()


ACCOUNTS = [account(c, i) for c in range(CONNECTIONS) for i in range(ACCOUNTS_PER_CONNECTION)]


@pytest.fixture
def registrar(tmp_path):
    # Kamailio's nonce-count replay check refuses some correct answers when thousands of
    # nonces are in flight at once (sipp straight into it sees the same): off here only.
    kamailio = Kamailio(tmp_path / "kamailio", {a: ha1(a) for a in ACCOUNTS}, check_nonce_count=False,
                        shared_memory_mb=256).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture(params=["udp", "tcp"])
def transport(request):
    return request.param


@pytest.fixture
def host(tmp_path, registrar, transport):
    port = free_port()
    directory = write_config(tmp_path / "gateway", port,
                             general={"outbound_sip_proxy": registrar.proxy(transport),
                                      "unregister_timeout": str(UNREGISTER_TIMEOUT[transport])},
                             # 100 accounts per connection, added and registered at once.
                             limits={"max_accounts_per_connection": str(ACCOUNTS_PER_CONNECTION),
                                     "max_requests_per_second": str(4 * ACCOUNTS_PER_CONNECTION)})
    process = HostProcess(directory, port).start()
    yield process
    problems = teardown_problems(process)
    assert not problems, "\n\n".join(problem[-4000:] for problem in problems)
    assert "ERROR" not in process.log(), process.log()[-4000:]


async def open_connection(url):
    ws = await websockets.connect(url, subprotocols=["sylkRTC-1"], max_queue=None)
    assert json.loads(await ws.recv()) == {"sylkrtc": "event", "event": "ready"}
    return ws


async def send_registrations(ws, connection):
    """Adds and registers the connection's accounts, all at once, without waiting."""
    messages = []
    for index in range(ACCOUNTS_PER_CONNECTION):
        address = account(connection, index)
        messages.append({"sylkrtc": "account-add", "transaction": f"a{index}", "account": address,
                         "password": ha1(address)})
        messages.append({"sylkrtc": "account-register", "transaction": f"r{index}", "account": address})
    for message in messages:
        await ws.send(json.dumps(message))


async def until_registered(ws, connection, timeout):
    """Reads until every account of the connection is registered; fails on an error
    answer, a `failed` state, or an account that has not reached `registered` in time."""
    waiting = {account(connection, index) for index in range(ACCOUNTS_PER_CONNECTION)}
    acks = 0
    deadline = time.monotonic() + timeout
    while waiting or acks < 2 * ACCOUNTS_PER_CONNECTION:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"connection {connection}: {len(waiting)} accounts never reported registered, "
                                 f"{acks} of {2 * ACCOUNTS_PER_CONNECTION} requests answered")
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        except asyncio.TimeoutError:
            continue
        if message["sylkrtc"] == "ack":
            acks += 1
            continue
        assert message["sylkrtc"] == "account_event", message
        state = message["data"]["state"]
        assert state in ("registering", "registered"), message
        if state == "registered":
            waiting.discard(message["account"])


async def register_everything(url, timeout=120):
    connections = await asyncio.gather(*(open_connection(url) for _ in range(CONNECTIONS)))
    await asyncio.gather(*(send_registrations(ws, c) for c, ws in enumerate(connections)))
    await asyncio.gather(*(until_registered(ws, c, timeout) for c, ws in enumerate(connections)))
    return connections


def wait_until_no_contacts(registrar, timeout=60):
    deadline = time.monotonic() + timeout
    while (count := registrar.contact_count()) != 0:
        assert time.monotonic() < deadline, f"{count} contacts still on the registrar after {timeout} s"
        time.sleep(0.5)


def assert_no_contact_comes_back(registrar, seconds=8):
    """A REGISTER still travelling could create a contact after the count first reads 0;
    watch longer than a UDP transaction lives after its answer (timer K, 5 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert registrar.contact_count() == 0
        time.sleep(0.5)


def test_ten_thousand_bindings_register_and_closing_the_connections_removes_them(host, registrar):
    async def scenario():
        connections = await register_everything(host.url)
        assert registrar.contact_count() == len(ACCOUNTS)
        assert len(registrar.contacts(ACCOUNTS[-1])) == 1
        await asyncio.gather(*(ws.close() for ws in connections))

    asyncio.run(scenario())
    wait_until_no_contacts(registrar)
    assert_no_contact_comes_back(registrar)


def test_ten_thousand_bindings_are_removed_when_the_application_stops(host, registrar, transport):
    async def scenario():
        connections = await register_everything(host.url)
        assert registrar.contact_count() == len(ACCOUNTS)
        started = time.monotonic()
        code = await asyncio.get_running_loop().run_in_executor(None, host.stop)
        elapsed = time.monotonic() - started
        for ws in connections:
            await ws.close()
        return code, elapsed

    code, elapsed = asyncio.run(scenario())
    assert code == 0, host.log()[-4000:]
    # Closing handshakes may take the endpoint's 3 s grace, then unregister_timeout at most.
    assert elapsed < UNREGISTER_TIMEOUT[transport] + 3 + 5, f"stop took {elapsed:.1f} s"
    assert "were not removed within unregister_timeout" not in host.log()
    assert registrar.contact_count() == 0


def test_connections_closed_while_registrations_are_in_flight_leave_nothing(host, registrar):
    async def scenario():
        connections = await asyncio.gather(*(open_connection(host.url) for _ in range(CONNECTIONS)))
        await asyncio.gather(*(send_registrations(ws, c) for c, ws in enumerate(connections)))
        # Close as soon as the first answers come back: most REGISTERs are queued or in flight.
        await asyncio.gather(*(ws.recv() for ws in connections))
        await asyncio.gather(*(ws.close() for ws in connections))

    asyncio.run(scenario())
    wait_until_no_contacts(registrar)
    assert_no_contact_comes_back(registrar)
    # The gateway is still serving: one more connection registers normally.
    async def one_more():
        ws = await open_connection(host.url)
        await send_registrations(ws, 0)
        await until_registered(ws, 0, timeout=60)
        await ws.close()

    asyncio.run(one_more())
