#!/usr/bin/env python3
"""Writes the sip_request and sip_invite_response seeds from the sipp scenarios of the
call tests (tests/fixtures/sipp/calls/): every message a scenario sends, its keywords
filled in as in a run against the gateway on loopback (the gateway's INVITE as the
last message received), with CRLF line ends and the body's length. Requests go to
fuzz/corpus/sip_request/, responses to fuzz/corpus/sip_invite_response/. Run it again
when the scenarios change.
"""

import pathlib
import re
import xml.etree.ElementTree as ElementTree

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "fixtures" / "sipp" / "calls"
CORPUS = ROOT / "fuzz" / "corpus"

# The headers of the gateway's INVITE that [last_*:] repeats (libre's sipsess writes them so).
LAST = {
    "Via": "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK8c1f2e3d4b5a6978;rport=5080",
    "From": 'From: "Alice" <sip:alice@example.com>;tag=6f1e2d3c4b5a6978',
    "To": "To: <sip:5000@127.0.0.1:5062>",
    "Call-ID": "Call-ID: 0a1b2c3d4e5f6071",
    "CSeq": "CSeq: 1 INVITE",
}
KEYWORDS = {
    "branch": "z9hG4bK-4242-1-0", "call_id": "1-4242@127.0.0.1", "call_number": "1",
    "local_ip": "127.0.0.1", "local_ip_type": "4", "local_port": "5062", "media_ip": "127.0.0.1",
    "media_ip_type": "4", "media_port": "6000", "pid": "4242", "remote_ip": "127.0.0.1",
    "remote_port": "5080", "service": "gw-00000000000000aa", "transport": "UDP",
    "next_url": "sip:alice@127.0.0.1:5080", "peer_tag_param": ";tag=6f1e2d3c4b5a6978",
    "routes": "",
}


def fill(template):
    text = template.strip("\n")
    text = re.sub(r"\[last_([A-Za-z-]+):\]", lambda m: LAST.get(m.group(1), ""), text)
    text = re.sub(r"\[([a-z_]+)\]", lambda m: KEYWORDS.get(m.group(1), m.group(0)), text)
    head, _, body = text.partition("\n\n")
    lines = [line for line in head.split("\n") if line.strip()]
    body = "".join(line + "\r\n" for line in body.split("\n") if line)
    head = "\r\n".join(lines).replace("[len]", str(len(body)))
    return (head + "\r\n\r\n" + body).encode()


def main():
    for scenario in sorted(SCENARIOS.glob("*.xml")):
        for number, send in enumerate(ElementTree.parse(scenario).getroot().iter("send")):
            message = fill(send.text or "")
            first = message.split(b" ", 2)
            response = first[0] == b"SIP/2.0"
            name = first[1].decode() if response else first[0].decode()
            directory = CORPUS / ("sip_invite_response" if response else "sip_request")
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"sipp-{scenario.stem}-{number}-{name}.sip").write_bytes(message)


if __name__ == "__main__":
    main()
