"""Registration through the gateway into a real Kamailio registrar (protocol sections 4, 6)."""

import asyncio
import hashlib
import socket
import subprocess
import threading
import time

import pytest

from conftest import Client, HostProcess, add_account_request, free_port, run, write_config
from kamailio import Kamailio, RegistrarError

SECRET = "correct horse"


def ha1(user, domain="example.com", password=SECRET):
    return hashlib.md5(f"{user}:{domain}:{password}".encode()).hexdigest()


@pytest.fixture
def registrar(tmp_path, certificate):
    combined, cert = certificate
    kamailio = Kamailio(tmp_path / "kamailio", {"alice@example.com": ha1("alice"), "bob@example.com": ha1("bob")},
                        certificate=combined).start()
    yield kamailio
    kamailio.stop()


def test_the_registrar_helper_fails_loudly_when_kamailio_cannot_answer(tmp_path):
    # Every "no contact left" below relies on this: an unreachable Kamailio is never "no contacts".
    kamailio = Kamailio(tmp_path / "kamailio", {"alice@example.com": ha1("alice")}).start()
    assert kamailio.contacts("alice@example.com") == [] and kamailio.contact_count() == 0
    kamailio.stop()
    for ask in (lambda: kamailio.contacts("alice@example.com"), kamailio.contact_count,
                lambda: kamailio.contact_details("alice@example.com")):
        with pytest.raises(RegistrarError, match="connect"):
            ask()


def gateway_for(start_gateway, registrar, transport="udp", certificate=None, general=None):
    tls = {"ca_list": str(certificate)} if certificate else None
    return start_gateway(general={"outbound_sip_proxy": registrar.proxy(transport), **(general or {})}, tls=tls)


async def registration_events(client, account, until, timeout=10):
    """Collects registration_state events for account until one has a state in `until`."""
    states = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        event = await client.receive(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
        assert event["sylkrtc"] == "account_event" and event["account"] == account, event
        assert event["event"] == "registration_state"
        states.append(event["data"])
        if event["data"]["state"] in until:
            return states


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_right_ha1_registers_and_unregister_removes_the_contact(start_gateway, registrar, certificate, transport):
    gateway = gateway_for(start_gateway, registrar, transport, certificate[1] if transport == "tls" else None)

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ha1("alice"), kind="account-add"))
        assert (await client.request({"sylkrtc": "account-register", "account": "alice@example.com"}))["sylkrtc"] == "ack"
        states = await registration_events(client, "alice@example.com", {"registered", "failed"})
        assert states == [{"state": "registering"}, {"state": "registered"}]
        contacts = registrar.contacts("alice@example.com")
        assert len(contacts) == 1, registrar.contact_details("alice@example.com")
        if transport != "udp":
            assert f"transport={transport}" in contacts[0]
        assert (await client.request({"sylkrtc": "account-unregister", "account": "alice@example.com"}))["sylkrtc"] == "ack"
        assert await registration_events(client, "alice@example.com", {"unregistered", "failed"}) == [
            {"state": "unregistered"}]
        assert registrar.contacts("alice@example.com") == []
        await client.close()

    run(conversation())


def test_wrong_ha1_fails_with_the_registrars_reason_and_leaves_no_contact(start_gateway, registrar):
    gateway = gateway_for(start_gateway, registrar)

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ha1("alice", password="wrong")))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        states = await registration_events(client, "alice@example.com", {"registered", "failed"})
        assert states == [{"state": "registering"}, {"state": "failed", "reason": "401 Unauthorized"}]
        # A rejected first registration is not retried: a retry would come 5 s after the
        # failure (the back-off's first step); nothing comes within 7 s.
        await client.expect_silence(7.0)
        await client.close()

    run(conversation())
    assert registrar.contacts("alice@example.com") == []
    # What reached Kamailio: one REGISTER without credentials (challenged), one with the
    # wrong ones (challenged again), and nothing after.
    assert [request["credentials"] for request in registrar.requests("alice@example.com")] == [False, True]
    assert ha1("alice", password="wrong") not in gateway.log()


def test_register_again_while_registered_sends_a_fresh_register_and_keeps_one_contact(start_gateway, registrar):
    gateway = gateway_for(start_gateway, registrar)

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ha1("alice")))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        assert await registration_events(client, "alice@example.com", {"registered", "failed"}) == [
            {"state": "registering"}, {"state": "registered"}]
        [before] = registrar.contact_fields("alice@example.com")
        requests_before = len(registrar.requests("alice@example.com"))
        await asyncio.sleep(5.5)  # sooner than 5 s after a REGISTER, a register folds into it (storms)

        assert (await client.request({"sylkrtc": "register", "account": "alice@example.com"}))["sylkrtc"] == "ack"
        # A fresh REGISTER reaches the registrar and is saved: the binding's CSeq moves on...
        wait_for(lambda: int(registrar.contact_fields("alice@example.com")[0]["CSeq"]) > int(before["CSeq"]))
        # ...the state did not change, so the client hears nothing (protocol: no event unless
        # the state changes)...
        await client.expect_silence(2.0)
        # ...and it is the same binding, not a second one.
        [after] = registrar.contact_fields("alice@example.com")
        assert (after["Address"], after["Call-ID"]) == (before["Address"], before["Call-ID"]), (before, after)
        assert len(registrar.requests("alice@example.com")) > requests_before
        assert registrar.contact_count() == 1
        await client.close()

    run(conversation())
    wait_for(lambda: registrar.contact_count() == 0)


def test_remove_account_and_a_dropped_connection_remove_the_contact(start_gateway, registrar):
    gateway = gateway_for(start_gateway, registrar, "tcp")

    async def conversation():
        client = await Client.connect(gateway.url)
        for user in ("alice", "bob"):
            await client.request(add_account_request(f"{user}@example.com", ha1(user)))
            await client.request({"sylkrtc": "register", "account": f"{user}@example.com"})
            await registration_events(client, f"{user}@example.com", {"registered"})
        assert (await client.request({"sylkrtc": "remove_account", "account": "alice@example.com"}))["sylkrtc"] == "ack"
        wait_for(lambda: registrar.contacts("alice@example.com") == [])
        assert len(registrar.contacts("bob@example.com")) == 1
        await client.ws.close()  # the WebSocket goes away: bob must be unregistered too

    run(conversation())
    wait_for(lambda: registrar.contacts("bob@example.com") == [])


def test_the_same_account_on_two_connections_has_two_contacts(start_gateway, registrar):
    gateway = gateway_for(start_gateway, registrar)

    async def conversation():
        first = await Client.connect(gateway.url)
        second = await Client.connect(gateway.url)
        for client in (first, second):
            await client.request(add_account_request("alice@example.com", ha1("alice")))
            await client.request({"sylkrtc": "register", "account": "alice@example.com"})
            await registration_events(client, "alice@example.com", {"registered"})
        contacts = registrar.contacts("alice@example.com")
        assert len(set(contacts)) == 2, contacts
        await first.request({"sylkrtc": "remove_account", "account": "alice@example.com"})
        wait_for(lambda: len(registrar.contacts("alice@example.com")) == 1)
        assert registrar.contacts("alice@example.com")[0] in contacts
        await second.close()

    run(conversation())


def test_stopping_the_application_unregisters_everything(tmp_path, registrar):
    port = free_port()
    directory = write_config(tmp_path / "config", port, general={"outbound_sip_proxy": registrar.proxy("udp")})
    host = HostProcess(directory, port).start()

    async def conversation():
        client = await Client.connect(host.url)
        await client.request(add_account_request("alice@example.com", ha1("alice")))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        await registration_events(client, "alice@example.com", {"registered"})
        assert len(registrar.contacts("alice@example.com")) == 1
        assert await asyncio.get_running_loop().run_in_executor(None, host.stop) == 0

    run(conversation())
    assert registrar.contacts("alice@example.com") == []


async def registration_fails_with_a_network_error(gateway):
    client = await Client.connect(gateway.url)
    await client.request(add_account_request("alice@example.com", ha1("alice")))
    await client.request({"sylkrtc": "register", "account": "alice@example.com"})
    states = await registration_events(client, "alice@example.com", {"registered", "failed"})
    assert states[-1]["state"] == "failed" and states[-1]["reason"].startswith("network error"), states
    await client.close()


def test_tls_to_a_server_that_does_not_speak_it_fails_clearly(start_gateway):
    # A peer that answers the TLS hello with plain text and hangs up.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer_in_plain_text():
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"SIP/2.0 400 This is not TLS\r\n\r\n")

    threading.Thread(target=answer_in_plain_text, daemon=True).start()
    port = listener.getsockname()[1]
    gateway = start_gateway(general={"outbound_sip_proxy": f"127.0.0.1:{port};transport=tls"})

    run(registration_fails_with_a_network_error(gateway))
    listener.close()
    assert "WARNING sylk.webrtcgateway: libre: tls" in gateway.log()  # libre's own words reach the host's log


def test_with_ca_list_a_registrar_certificate_from_another_ca_is_refused(start_gateway, registrar, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
                    "-keyout", str(tmp_path / "other-key.pem"), "-out", str(other_ca)], check=True, capture_output=True)
    gateway = gateway_for(start_gateway, registrar, "tls", other_ca)

    run(registration_fails_with_a_network_error(gateway))
    assert registrar.contacts("alice@example.com") == []
