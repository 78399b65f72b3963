"""A phone behind a NAT (docs/media.md, module/src/media/source_latch.hpp): its SDP shows its
private address, which nobody outside can reach; its RTP arrives from the NAT's public
address and a port the NAT chose. The gateway must learn where to send from where the
phone's packets come from (comedia) and send there, never to the SDP's address.

The NAT is real: the test makes a router and a phone in network namespaces (netns.py), the
router masquerading the phone's traffic (iptables MASQUERADE onto ports 61000-61999, never
the phone's own) and forwarding the phone's SIP port. Kamailio and the gateway listen on
the root namespace's end of the router's public link; the browser (aiortc) stays on
loopback in the root namespace. The phone is sipp inside its namespace: it speaks first
(a second of silence from the INVITE on, as real phones send as soon as they can), then
echoes the browser's tone, so the browser decodes the tone only if audio went both ways
through the NAT. Counting rules in the router show where the gateway's packets were addressed. Needs
root (network namespaces and iptables)."""

import asyncio
import hashlib
import json
import os
import re

import pytest

from conftest import Client, add_account_request
from kamailio import Kamailio
from netns import NAT_PORTS, NatNetwork
from phones import SippPhone
from test_registration import registration_events
from webrtc_peer import Browser, call_until_established, events_until, until_audible

ALICE = "alice@example.com"
ALICE_HA1 = hashlib.md5(b"alice:example.com:nat secret").hexdigest()


@pytest.fixture
def nat_network():
    """A NatNetwork, not yet created (the test knows the port to forward first); removed at
    the end whatever happened."""
    if os.geteuid() != 0:
        pytest.skip("a NAT of network namespaces and iptables needs root (CI runs the tests as root)")
    network = NatNetwork()
    yield network
    network.destroy()


def sent_answers_with_sdp(phone):
    """The SDP bodies of the 200s that sipp sent (its -trace_msg log)."""
    bodies = []
    for path in phone.directory.glob("*_messages.log"):
        text = path.read_text(errors="replace").replace("\r\n", "\n")
        for entry in re.split(r"^-{10,} .*\n", text, flags=re.M):
            heading, _, message = entry.partition("\n")
            message = message.lstrip("\n")
            if " message sent " in heading and message.startswith("SIP/2.0 200 ") and "\n\nv=0" in message:
                bodies.append(message.split("\n\n", 1)[1])
    return bodies


def test_a_phone_behind_a_nat_whose_sdp_shows_its_private_address_hears_and_is_heard(
        tmp_path, nat_network, start_gateway):
    network = nat_network
    phone = SippPhone(tmp_path / "phone", "uas_behind_nat.xml", address=network.phone_address,
                      wrapper=network.in_phone, extra=["-set", "public_address", network.public_address, "-trace_msg"])
    (phone.directory / "silence.ulaw").write_bytes(b"\xff" * 160 * 50)  # 1 s of PCMU silence
    network.create(forwarded_udp_port=phone.port)
    public, inside = network.router_public_link, network.router_inside_link
    rtp, rtcp = phone.media_port, phone.media_port + 1
    network.count("phone sent RTP", "-i", inside, "-s", network.phone_address, "-p", "udp", "--sport", rtp)
    network.count("to the mapped ports", "-i", public, "-s", network.gateway_address, "-d", network.public_address,
                  "-p", "udp", "--dport", f"{NAT_PORTS[0]}:{NAT_PORTS[1]}")
    network.count("to the private RTP port", "-i", public, "-d", network.phone_address, "-p", "udp", "--dport", rtp,
                  drop=True)
    network.count("to the private RTCP port", "-i", public, "-d", network.phone_address, "-p", "udp", "--dport", rtcp,
                  drop=True)

    registrar = Kamailio(tmp_path / "kamailio", {ALICE: ALICE_HA1}, address=network.gateway_address).start()
    try:
        phone.start()
        # The gateway's SIP and media on the "internet" side of the NAT. The NAT's public
        # address is in the network of the gateway's own SIP address (10.200.N.0/30), which
        # the address policy allows with no setting. The phone's private address is an
        # inside address: with the default settings, the gateway takes it but never sends
        # there, and learns from the phone's packets where to send.
        gateway = start_gateway(general={"outbound_sip_proxy": registrar.proxy("udp")},
                                sip={"local_ip": network.gateway_address})

        async def call():
            client = await Client.connect(gateway.url)
            await client.request(add_account_request(ALICE, ALICE_HA1))
            await client.request({"sylkrtc": "register", "account": ALICE})
            await registration_events(client, ALICE, {"registered"})
            browser = Browser()
            # The phone is reached at the NAT's public address, whose SIP port it forwards.
            await call_until_established(client, browser, ALICE, f"service@{network.public_address}:{phone.port}")
            await until_audible(browser, frames=50)  # our tone, echoed by the phone through the NAT
            await client.request({"sylkrtc": "session-terminate", "session": "S1"})
            assert (await events_until(client, "terminated"))[-1]["reason"] == "200 Call completed"
            await browser.pc.close()
            await client.close()
            return browser.audible_frames

        audible = asyncio.run(call())
        assert phone.wait() == 0, phone.errors()  # INVITE, ACK and BYE reached it through the NAT
        gateway.wait_for_log("media quality ")
    finally:
        phone.stop()
        registrar.stop()

    answers = sent_answers_with_sdp(phone)
    assert len(answers) >= 1, "sipp's trace holds no 200 with SDP"
    assert all(f"c=IN IP4 {network.phone_address}" in sdp and f"m=audio {rtp} " in sdp for sdp in answers), answers
    log = gateway.log()
    quality = json.loads(re.search(r"media quality (\{.*\})", log).group(1))["lines"][0]
    dropped = re.search(r"media session \d+ closed: .*; dropped: (.*)", log).group(1)
    counted = network.counters()
    assert counted["phone sent RTP"] >= 50 + audible, counted  # its silence first, then the echo
    # Where the gateway's RTP for the phone went, counted as it reached the NAT: every packet
    # to the NAT's mapping (an address and a port that no SDP names: learnt from where the
    # phone's packets came from), none to the private address of the phone's SDP.
    # The RTCP the gateway relays for the phone goes beside the RTP's mapping (port + 1, in
    # the same range): a few packets more than the RTP it sent.
    rtcp_to_mapping = counted["to the mapped ports"] - quality["browser_to_phone"]["sent"]
    assert quality["browser_to_phone"]["sent"] >= audible and 0 <= rtcp_to_mapping <= 10, (counted, quality)
    assert counted["to the private RTP port"] == 0, counted
    assert counted["to inside network"] == 0, counted
    # And the phone's packets, all from the NAT's address, were taken once learnt.
    assert quality["phone_to_browser"]["received"] >= 50 + audible, quality
    assert "phone_rtp_stranger" not in dropped, dropped
    # The phone sends no RTCP (sipp cannot): the gateway's RTCP for it went beside where its
    # RTP came from (the NAT's mapping, port + 1), never to its private address.
    assert counted["to the private RTCP port"] == 0, counted
