"""Without an outbound proxy, the account's domain, and a call's destination, are resolved
as RFC 3263 says (NAPTR, SRV, A) by libre's DNS client, here against a DNS server the test
runs on loopback. Every answer passes the gateway's DNS filter: one that points inside
(a private or link-local address outside allowed_networks) never reaches libre."""

import hashlib

import pytest
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver

from conftest import Client, add_account_request, free_sip_port, run
from kamailio import Kamailio
from test_registration import registration_events, wait_for
from webrtc_peer import Browser

HA1 = hashlib.md5(b"alice:example.com:secret").hexdigest()


@pytest.fixture
def registrar(tmp_path):
    kamailio = Kamailio(tmp_path / "kamailio", {"alice@example.com": HA1}).start()
    yield kamailio
    kamailio.stop()


@pytest.fixture
def dns(registrar):
    """example.com -> NAPTR -> _sip._udp SRV -> sip1.example.com A 127.0.0.1 (Kamailio's port)."""
    zone = f"""
example.com.            60 IN NAPTR 10 10 "S" "SIP+D2U" "" _sip._udp.example.com.
_sip._udp.example.com.  60 IN SRV   0 0 {registrar.udp_port} sip1.example.com.
sip1.example.com.       60 IN A     127.0.0.1
intranet.example.       60 IN A     10.20.30.40
_sip._udp.steered.example. 60 IN SRV 0 0 6379 metadata.example.
metadata.example.       60 IN A     169.254.169.254
"""
    port = free_sip_port()
    server = DNSServer(ZoneResolver(zone), address="127.0.0.1", port=port, tcp=False)
    server.start_thread()
    yield f"127.0.0.1:{port}"
    server.stop()


def test_the_domain_is_found_through_naptr_srv_and_a(start_gateway, registrar, dns):
    gateway = start_gateway(sip={"nameservers": dns})

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", HA1))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        assert await registration_events(client, "alice@example.com", {"registered", "failed"}) == [
            {"state": "registering"}, {"state": "registered"}]
        await client.close()

    run(conversation())
    wait_for(lambda: registrar.contacts("alice@example.com") == [])  # and the dropped socket unregistered it


# The second domain resolves, but to an inside address: the DNS filter turns the answer
# into REFUSED, so libre never contacts it.
@pytest.mark.parametrize("domain, refused", [("nowhere.invalid", None),
                                             ("intranet.example", "10.20.30.40 is a private address")])
def test_a_domain_that_does_not_resolve_fails_with_a_clear_reason(start_gateway, dns, domain, refused):
    gateway = start_gateway(sip={"nameservers": dns})
    account = f"alice@{domain}"

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request(account, HA1))
        await client.request({"sylkrtc": "register", "account": account})
        states = await registration_events(client, account, {"registered", "failed"})
        assert states[0] == {"state": "registering"}
        assert states[1]["state"] == "failed"
        assert states[1]["reason"].startswith(f"DNS error: cannot resolve {domain}"), states
        await client.close()

    run(conversation())
    if refused:
        assert f"DNS answer refused: {refused}" in gateway.log()


# RFC 3263 4.3: no target for the request counts as a 503 from the far end; a DNS answer
# pointing inside (refused by the DNS filter) reads the same, before anything is sent.
# There is no registrar here: the account calls unregistered.
@pytest.mark.parametrize("target, refused", [("bob@nowhere.invalid", None),
                                             ("bob@intranet.example", "10.20.30.40 is a private address"),
                                             ("bob@steered.example", "169.254.169.254 is a link-local address")])
def test_a_call_whose_domain_does_not_resolve_or_points_inside_ends_with_503_naming_it(start_gateway, dns, target,
                                                                                        refused):
    gateway = start_gateway(sip={"nameservers": dns}, general={"allow_unregistered_calls": "yes"})

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", HA1))
        browser = Browser()
        ack = await client.request({"sylkrtc": "session-create", "account": "alice@example.com", "session": "S1",
                                    "uri": target, "sdp": await browser.offer()})
        assert ack["sylkrtc"] == "ack", ack  # a name: only its DNS answer can tell
        while True:
            event = await client.receive(timeout=15)
            if event["sylkrtc"] == "session_event" and event["data"]["state"] == "terminated":
                break
        host = target.split("@")[1]
        assert event["data"]["reason"] == f"503 Service Unavailable (cannot resolve {host})", event
        await browser.pc.close()
        await client.close()

    run(conversation())
    if refused:
        assert f"DNS answer refused: {refused}" in gateway.log()
