"""The module in the plain C host (abi_host --serve), driven over WebSocket into a real
Kamailio: registrations that succeed, fail, are refreshed by a second register, are
unregistered, removed, dropped with their connection and left for stop to remove, over
UDP, TCP and TLS; and calls over wss (aiortc as the browser, sipp as the phone) that
end every way a call ends, one left for stop to end. In the sanitizer build (SYLK_LEAK_CHECK=1) nothing but instrumented code
and its libraries runs in that process, and LeakSanitizer is on: any allocation the
module's WebSocket or SIP paths lose is reported at exit and fails the test.

Environment (set by tests/CMakeLists.txt): SYLK_ABI_HOST (the abi_host binary),
SYLK_MODULE (the .so), SYLK_LEAK_CHECK=1 when LeakSanitizer must be on."""

import asyncio
import hashlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from conftest import Client, add_account_request, certificate, free_port, free_sip_port  # noqa: E402,F401
from kamailio import Kamailio  # noqa: E402
from phones import SippPhone  # noqa: E402
from webrtc_peer import Browser, call_until_established, events_until, until_audible  # noqa: E402

ABI_HOST = os.environ.get("SYLK_ABI_HOST", "")
MODULE = os.environ.get("SYLK_MODULE", "")
LEAK_CHECK = os.environ.get("SYLK_LEAK_CHECK") == "1"
SANITIZER_REPORTS = ("ERROR: LeakSanitizer", "ERROR: AddressSanitizer", "runtime error:")


def ha1(user, password="secret"):
    return hashlib.md5(f"{user}:example.com:{password}".encode()).hexdigest()


@pytest.fixture(scope="module", autouse=True)
def binaries():
    if not (os.path.isfile(ABI_HOST) and os.path.isfile(MODULE)):
        pytest.fail(f"SYLK_ABI_HOST ({ABI_HOST!r}) and SYLK_MODULE ({MODULE!r}) must name the built files; "
                    "run this through ctest", pytrace=False)


class ServingHost:
    def __init__(self, directory, configuration):
        self.log_path = pathlib.Path(directory) / "abi_host.log"
        self.configuration = configuration
        self.port = configuration["web_listen_port"]
        self.url = f"ws://127.0.0.1:{self.port}/webrtcgateway/ws"

    def __enter__(self):
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([ABI_HOST, MODULE, "--serve", json.dumps(self.configuration)],
                                        stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self.process.stdout.readline()
        assert line == "serving\n", f"abi_host did not start ({line!r}):\n{self.log()}"
        return self

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(timeout=60)
        finally:
            self._log.close()

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            self._log.close()


def test_leak_checking_is_on_when_required():
    """Guards the rest: an abi_host that loses memory on purpose must be caught."""
    result = subprocess.run([ABI_HOST, "--leak-self-test"], capture_output=True, text=True)
    if LEAK_CHECK:
        assert result.returncode != 0 and "ERROR: LeakSanitizer: detected memory leaks" in result.stderr, result
        assert "4242 byte(s) leaked" in result.stderr, result.stderr
    else:
        assert result.returncode == 0, result


async def registration_states(client, account, until, timeout=15):
    states = []
    while True:
        event = await client.receive(timeout=timeout)
        assert event["sylkrtc"] == "account_event" and event["account"] == account, event
        states.append(event["data"])
        if event["data"]["state"] in until:
            return states


async def wait_until(predicate, timeout=15):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def every_path(url, registrar):
    # 1: register, register again, unregister, register, remove the account.
    first = await Client.connect(url)
    await first.request(add_account_request("alice@example.com", ha1("alice")))
    assert (await first.request({"sylkrtc": "register", "account": "alice@example.com"}))["sylkrtc"] == "ack"
    assert await registration_states(first, "alice@example.com", {"registered", "failed"}) == [
        {"state": "registering"}, {"state": "registered"}]
    await first.request({"sylkrtc": "register", "account": "alice@example.com"})
    await first.request({"sylkrtc": "unregister", "account": "alice@example.com"})
    assert (await registration_states(first, "alice@example.com", {"unregistered", "failed"}))[-1] == {
        "state": "unregistered"}
    await first.request({"sylkrtc": "register", "account": "alice@example.com"})
    assert (await registration_states(first, "alice@example.com", {"registered", "failed"}))[-1] == {
        "state": "registered"}
    await first.request({"sylkrtc": "remove_account", "account": "alice@example.com"})
    # Requests the gateway refuses, and text that is not a request at all.
    assert (await first.request({"sylkrtc": "register", "account": "nobody@example.com"}))["sylkrtc"] == "error"
    await first.ws.send("{not json")  # dropped without an answer
    await first.ws.send(json.dumps({"transaction": "no-kind"}))
    assert await first.receive() == {"sylkrtc": "error", "transaction": "no-kind", "error": "missing field: sylkrtc"}
    await wait_until(lambda: registrar.contacts("alice@example.com") == [])

    # 2: a wrong HA1 fails; bob registers; the connection drops with bob registered.
    second = await Client.connect(url)
    await second.request(add_account_request("carol@example.com", ha1("carol", "wrong")))
    await second.request({"sylkrtc": "register", "account": "carol@example.com"})
    assert (await registration_states(second, "carol@example.com", {"registered", "failed"}))[-1]["state"] == "failed"
    await second.request(add_account_request("bob@example.com", ha1("bob")))
    await second.request({"sylkrtc": "register", "account": "bob@example.com"})
    assert (await registration_states(second, "bob@example.com", {"registered", "failed"}))[-1] == {
        "state": "registered"}
    await second.ws.close()
    await wait_until(lambda: registrar.contacts("bob@example.com") == [])

    # 3: registered when the application stops (stop unregisters it); a connection that
    # closes while its registration is in flight.
    third = await Client.connect(url)
    await third.request(add_account_request("alice@example.com", ha1("alice")))
    await third.request({"sylkrtc": "register", "account": "alice@example.com"})
    assert (await registration_states(third, "alice@example.com", {"registered", "failed"}))[-1] == {
        "state": "registered"}
    fourth = await Client.connect(url)
    await fourth.request(add_account_request("bob@example.com", ha1("bob")))
    await fourth.request({"sylkrtc": "register", "account": "bob@example.com"})
    await fourth.ws.close()
    await wait_until(lambda: registrar.contacts("bob@example.com") == [])
    assert len(registrar.contacts("alice@example.com")) == 1
    return third  # kept open: the application closes it when it stops


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_every_registration_path_in_the_c_host_ends_clean(tmp_path, certificate, transport):
    combined, cert = certificate
    accounts = {f"{user}@example.com": ha1(user) for user in ("alice", "bob", "carol")}
    registrar = Kamailio(tmp_path / "kamailio", accounts, certificate=combined).start()
    try:
        configuration = {
            "web_listen_address": "127.0.0.1", "web_listen_port": free_port(), "sip_listen_address": "127.0.0.1",
            "sip_udp_port": free_sip_port(), "sip_tcp_port": free_sip_port(), "sip_tls_port": free_port(),
            "dns_servers": [f"127.0.0.1:{free_sip_port()}"],  # nobody answers: no lookup leaves the machine
            "outbound_sip_proxy": registrar.proxy(transport), "sip_tls_ca_file": str(cert),
            "trace_client": True, "unregister_timeout": 5}
        with ServingHost(tmp_path, configuration) as host:
            async def conversation():
                still_open = await every_path(host.url, registrar)
                code = await asyncio.get_running_loop().run_in_executor(None, host.stop)
                await still_open.close()
                return code

            try:
                code = asyncio.run(conversation())
            except (AssertionError, asyncio.TimeoutError) as failure:
                raise AssertionError(f"{failure!r}\n--- abi_host:\n{host.log()}") from failure
            log = host.log()
        assert code == 0, log
        for report in SANITIZER_REPORTS:
            assert report not in log, log
        assert "abi_host: stopped" in log, log
        assert registrar.contact_count() == 0, log  # stopping unregistered alice
    finally:
        registrar.stop()


async def call_paths(url, ssl_context, registrar, phones, steps):
    """Every way a call ends, on one wss connection and a second one that drops. Each
    step is appended to `steps` as it starts, so that a failure says where it stopped."""
    steps.append("register alice")
    client = await Client.connect(url, ssl=ssl_context)
    await client.request(add_account_request("alice@example.com", ha1("alice")))
    await client.request({"sylkrtc": "register", "account": "alice@example.com"})
    await registration_states(client, "alice@example.com", {"registered"})

    async def answered_call(session, phone):
        browser = Browser()
        await call_until_established(client, browser, "alice@example.com", phone.uri(), session)
        await until_audible(browser, frames=20, timeout=15)
        return browser

    steps.append("S1: answered, hung up by the browser")
    browser = await answered_call("S1", phones["echo"])
    await client.request({"sylkrtc": "session-terminate", "session": "S1"})
    assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
    await browser.pc.close()
    steps.append("S2: busy")
    busy = Browser()
    await client.request({"sylkrtc": "session-create", "account": "alice@example.com", "session": "S2",
                          "uri": phones["busy"].uri(), "sdp": await busy.offer()})
    assert (await events_until(client, "terminated"))[-1]["reason"] == "486 Busy Here"
    await busy.pc.close()
    steps.append("incoming, cancelled by the caller: missed")
    phones["caller"].start(f"127.0.0.1:{registrar.udp_port}")
    incoming = await client.receive(timeout=15)
    assert incoming["event"] == "incoming_session", incoming
    while (message := await client.receive(timeout=15))["sylkrtc"] != "session_event":
        assert message["event"] == "missed_session", message
    assert message["data"]["state"] == "terminated"
    steps.append("D1: register bob on a second connection, call, drop the connection")
    second = await Client.connect(url, ssl=ssl_context)
    await second.request(add_account_request("bob@example.com", ha1("bob")))
    await second.request({"sylkrtc": "register", "account": "bob@example.com"})
    await registration_states(second, "bob@example.com", {"registered"})
    dropped = Browser()
    await call_until_established(second, dropped, "bob@example.com", phones["dropped"].uri(), "D1")
    await second.ws.close()
    await dropped.pc.close()
    steps.append("S3: answered, left for stop to end")
    left = await answered_call("S3", phones["left"])
    return client, left


def test_calls_in_the_c_host_over_wss_end_clean(tmp_path, certificate):
    import ssl
    combined, cert = certificate
    accounts = {f"{user}@example.com": ha1(user) for user in ("alice", "bob")}
    registrar = Kamailio(tmp_path / "kamailio", accounts).start()
    phones = {"echo": SippPhone(tmp_path / "echo", "uas"), "busy": SippPhone(tmp_path / "busy", "uas_busy.xml"),
              "caller": SippPhone(tmp_path / "caller", "uac_cancel.xml", echo_rtp=False, extra=("-s", "alice")),
              "dropped": SippPhone(tmp_path / "dropped", "uas"), "left": SippPhone(tmp_path / "left", "uas")}
    for name, phone in phones.items():
        if name != "caller":
            phone.start()
    try:
        port = free_port()
        configuration = {
            "web_listen_address": "127.0.0.1", "web_listen_port": port, "tls_certificate": str(combined),
            "sip_listen_address": "127.0.0.1", "sip_udp_port": free_sip_port(), "sip_tcp_port": 0, "sip_tls_port": 0,
            "dns_servers": [f"127.0.0.1:{free_sip_port()}"], "outbound_sip_proxy": registrar.proxy("udp"),
            "rtp_port_range": "42000:42999", "unregister_timeout": 5}
        context = ssl.create_default_context(cafile=str(cert))
        with ServingHost(tmp_path, configuration) as host:
            steps = []

            async def conversation():
                client, browser = await call_paths(f"wss://127.0.0.1:{port}/webrtcgateway/ws", context, registrar,
                                                   phones, steps)
                steps.append("stop the host")
                code = await asyncio.get_running_loop().run_in_executor(None, host.stop)
                await browser.pc.close()
                await client.close()
                return code

            try:
                code = asyncio.run(conversation())
            except (AssertionError, asyncio.TimeoutError) as failure:
                # The step last, where a shortened CI log still shows it.
                phone_logs = "\n".join(f"--- {name}:\n{phone.errors()}" for name, phone in phones.items())
                raise AssertionError(f"--- abi_host:\n{host.log()}\n{phone_logs}\n"
                                     f"failed at step {steps[-1]!r}: {failure!r}") from failure
            log = host.log()
        assert code == 0, log
        for report in SANITIZER_REPORTS:
            assert report not in log, log
        assert "abi_host: stopped" in log, log
        for name, phone in phones.items():  # each saw its whole call, the BYEs included
            assert phone.wait() == 0, f"{name}: {phone.errors()}"
        assert registrar.contact_count() == 0, log
    finally:
        for phone in phones.values():
            phone.stop()
        registrar.stop()
