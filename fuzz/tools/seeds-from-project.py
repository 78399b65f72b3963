#!/usr/bin/env python3
"""Writes the seeds that come from the project itself:

- decode_message: every JSON message shown in docs/protocol.md, each request in each of
  its spellings, and the bad inputs its table lists;
- configuration: the JSON the reference host makes of the sample config/ directory, the
  same with every setting of docs/configuration.md set, and one seed per setting that
  module/src/config/configuration.cpp knows (its name also goes into the dictionary, so
  that a new setting is fuzzed once this script runs again);
- account_address: the addresses, hosts and HA1 values the protocol and docs show.

Run it again after those documents change; other seeds (Kamailio's answers) come from
capture-kamailio-answers.py.
"""

import json
import logging
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"
sys.path.insert(0, str(ROOT / "bindings" / "python"))

from sylk_host import settings  # noqa: E402  (the host's own reading of config/)

HA1 = "0cc175b9c0f1b6a831c399e269772661"


def write(target, name, text):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)


def protocol_messages():
    text = (ROOT / "docs" / "protocol.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    for index, block in enumerate(blocks):
        message = json.loads(block)
        kind = message.get("event") or message["sylkrtc"]
        write("decode_message", f"protocol-md-{index:02d}-{kind}.json", block.strip())
    spellings = {
        "add_account": ("add_account", "account-add", "account_add"),
        "remove_account": ("remove_account", "account-remove", "account_remove"),
        "register": ("register", "account-register", "account_register"),
        "unregister": ("unregister", "account-unregister", "account_unregister"),
        "session_create": ("session-create", "session_create"),
        "session_answer": ("session-answer", "session_answer"),
        "session_trickle": ("session-trickle", "session_trickle"),
        "session_terminate": ("session-terminate", "session_terminate"),
    }
    fields = {
        "add_account": {"account": "alice@example.com", "password": HA1, "display_name": "Alice"},
        "remove_account": {"account": "alice@example.com"},
        "register": {"account": "alice@example.com"},
        "unregister": {"account": "alice@example.com"},
        "session_create": {"account": "alice@example.com", "session": "c0ffee", "uri": "sip:bob@example.com",
                           "sdp": "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nt=0 0\r\n"},
        "session_answer": {"session": "c0ffee", "sdp": "v=0\r\n"},
        "session_trickle": {"session": "c0ffee", "candidates": [
            {"candidate": "candidate:1 1 udp 2122260223 192.0.2.7 54321 typ host", "sdpMid": "0", "sdpMLineIndex": 0},
            {"candidate": "candidate:2 1 tcp 1518280447 [2001:db8::7] 9 typ host tcptype active", "sdpMid": None}]},
        "session_terminate": {"session": "c0ffee"},
    }
    for kind, names in spellings.items():
        for number, name in enumerate(names):
            message = {"sylkrtc": name, "transaction": f"t{number}", **fields[kind]}
            write("decode_message", f"request-{name}.json", json.dumps(message))
    bad = {
        "not-json": "{sylkrtc: add_account",
        "array": '["sylkrtc", "ack"]',
        "no-sylkrtc": '{"transaction": "1"}',
        "sylkrtc-not-string": '{"sylkrtc": 7, "transaction": "1"}',
        "no-transaction": '{"sylkrtc": "register", "account": "alice@example.com"}',
        "transaction-not-string": '{"sylkrtc": "register", "transaction": 1, "account": "alice@example.com"}',
        "unknown-request": '{"sylkrtc": "account-teleport", "transaction": "1"}',
        "missing-field": '{"sylkrtc": "add_account", "transaction": "1", "account": "alice@example.com"}',
        "bad-ha1": '{"sylkrtc": "add_account", "transaction": "1", "account": "alice@example.com", "password": "secret"}',
        "bad-account": '{"sylkrtc": "account-remove", "transaction": "1", "account": "sip:alice@example.com"}',
        "empty-trickle": '{"sylkrtc": "session-trickle", "transaction": "1", "session": "c0ffee", "candidates": []}',
        "escapes": '{"sylkrtc": "add_account", "transaction": "\\u00e9\\ud83d\\ude00", "account": "al%20ice@EXAMPLE.com",'
                   ' "password": "' + HA1 + '", "display_name": "A\\"lice\\\\"}',
    }
    for name, text in bad.items():
        write("decode_message", f"bad-{name}.json", text)


def configurations():
    config = settings.ConfigDirectory(str(ROOT / "config"))
    sample = settings.application_settings(config, "webrtcgateway", logging.getLogger("seeds"))
    write("configuration", "sample-config-dir.json", json.dumps(sample, indent=2))
    every = {
        "web_listen_address": "::1", "web_listen_port": 8443, "tls_certificate": "/etc/sylkserver/tls/default.crt",
        "web_origins": ["https://a.example", "https://b.example/"], "sip_domains": "Example.COM, other.org",
        "outbound_sip_proxy": "proxy.example.com:5061;transport=tls", "trace_client": True,
        "websocket_ping_interval": 30, "websocket_max_message_size": 4096, "sip_listen_address": "10.0.0.5",
        "sip_udp_port": 0, "sip_tcp_port": 5070, "sip_tls_port": 5071, "sip_tls_certificate": None,
        "sip_tls_ca_file": "/etc/ssl/certs/ca-certificates.crt", "dns_servers": ["127.0.0.1:5353", "10.0.0.53"],
        "register_expires": 120, "unregister_timeout": 2,
    }
    write("configuration", "every-setting.json", json.dumps(every))
    write("configuration", "proxy-ipv6.json", '{"outbound_sip_proxy": "sip:[2001:db8::1]:5060;transport=udp", '
          '"sip_domains": ["*"], "dns_servers": "", "tls_certificate": null}')
    write("configuration", "empty.json", "{}")
    write("configuration", "out-of-range.json", '{"web_listen_port": 70000, "register_expires": -1}')
    source = (ROOT / "module" / "src" / "config" / "configuration.cpp").read_text()
    names = re.findall(r'^\s*\{"([a-z0-9_]+)",', source, re.M)
    for name in names:
        write("configuration", f"setting-{name}.json", json.dumps({name: guess_value(name)}))
    dictionary = ROOT / "fuzz" / "dict" / "configuration.dict"
    marker = "# Setting names (fuzz/tools/seeds-from-project.py writes them from configuration.cpp)\n"
    kept = dictionary.read_text().split(marker)[0]
    dictionary.write_text(kept + marker + "".join(f'"\\"{name}\\""\n' for name in names))


def guess_value(name):
    """A plausible value for a setting, from its name; the fuzzer varies it."""
    if "range" in name:
        return "50000:50500"
    if any(word in name for word in ("port", "expires", "timeout", "interval", "size", "code", "workers")):
        return 600 if "expires" in name else 486 if "code" in name else 5
    if "verify" in name or name.startswith("trace"):
        return True
    if "address" in name:
        return "192.0.2.7"
    if "certificate" in name or "file" in name:
        return "/etc/ssl/certs/ca-certificates.crt"
    if name in ("web_origins", "sip_domains", "dns_servers"):
        return ["127.0.0.1", "*"]
    return "proxy.example.com:5060;transport=tcp"


def addresses():
    examples = ["alice@example.com", "Alice@Example.COM", "al%20ice@example.com", "+15551234567@sip.example.net",
                "bob@[2001:db8::1]", "bob@192.0.2.7", "carol@example.org.", "sip:bob@example.com",
                "sips:carol@example.org", "example.com", "2001:db8::1", HA1, "user;phone=x@host", "a@b@c"]
    for index, text in enumerate(examples):
        write("account_address", f"example-{index:02d}", text)


if __name__ == "__main__":
    protocol_messages()
    configurations()
    addresses()
