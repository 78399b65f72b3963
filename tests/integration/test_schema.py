"""The schema itself: every example of the protocol documents validates, and it can fail."""

import json
import pathlib
import re

import pytest

import schema_check

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "docs" / "protocol.md", ROOT.parent / "shared" / "docs" / "sylkrtc-1.md"]
SERVER_TYPES = {"ack", "error", "event", "account_event", "session_event"}
# Placeholders the documents write where a real value would stand.
PLACEHOLDERS = {"<HA1>": "0cc175b9c0f1b6a831c399e269772661"}


SYLKRTC2_SERVER_TYPES = {"ack", "error", "ready-event", "account-event", "session-event", "lookup-public-key-event"}
# Where docs/protocol.md starts describing sylkRTC-2: its examples are checked against schema/sylkrtc-2/.
SYLKRTC2_HEADING = "\n## sylkRTC-2\n"


def examples(path):
    """(message, dialect) for every JSON object that starts an indented or fenced block of the document."""
    text = path.read_text()
    second_dialect_from = text.find(SYLKRTC2_HEADING)
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r'^(?: {4}|```json\n)(\{"sylkrtc")', text, re.M):
        snippet = text[match.start(1):]
        # Continuation lines of an indented block are indented too; json ignores the spaces.
        message, _ = decoder.raw_decode(snippet)
        dialect = "sylkRTC-2" if 0 <= second_dialect_from < match.start() else "sylkRTC-1"
        found.append(({key: PLACEHOLDERS.get(value, value) if isinstance(value, str) else value
                       for key, value in message.items()}, dialect))
    return found


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d.exists()], ids=lambda d: d.name)
def test_every_example_in_the_protocol_documents_validates(document):
    messages = examples(document)
    assert len(messages) >= 10, f"only {len(messages)} examples found in {document}"
    for message, dialect in messages:
        server_types = SYLKRTC2_SERVER_TYPES if dialect == "sylkRTC-2" else SERVER_TYPES
        if message["sylkrtc"] in server_types:
            schema_check.assert_server_message(message, dialect)
        else:
            schema_check.assert_client_message(message, dialect)


def test_the_protocol_page_has_sylkrtc2_examples():
    dialects = [dialect for _, dialect in examples(ROOT / "docs" / "protocol.md")]
    assert dialects.count("sylkRTC-2") >= 10, dialects


@pytest.mark.parametrize("schema, message", [
    ("server-message.json", {"sylkrtc": "ack"}),
    ("server-message.json", {"sylkrtc": "error", "transaction": "t"}),
    ("server-message.json", {"sylkrtc": "event", "event": "ready", "extra": 1}),
    ("server-message.json", {"sylkrtc": "account_event", "account": "a@b.c", "event": "registration_state",
                             "data": {"state": "failed"}}),
    ("server-message.json", {"sylkrtc": "session_event", "session": "S", "event": "state",
                             "data": {"state": "terminated"}}),
    ("client-message.json", {"sylkrtc": "add_account", "transaction": "t", "account": "a@b.c", "password": "plain"}),
    ("client-message.json", {"sylkrtc": "add_account", "transaction": "t", "account": "sip:a@b.c",
                             "password": "0" * 32}),
    ("client-message.json", {"sylkrtc": "session-trickle", "transaction": "t", "session": "S"}),
    ("client-message.json", {"sylkrtc": "register", "account": "a@b.c"}),
    ("sylkrtc-2/server-message.json", {"sylkrtc": "event", "event": "ready"}),
    ("sylkrtc-2/server-message.json", {"sylkrtc": "account-event", "account": "a@b.c", "event": "incoming-session",
                                       "session": "S", "originator": "a@b.c", "sdp": "v=0", "call_id": "c",
                                       "headers": {}}),
    ("sylkrtc-2/server-message.json", {"sylkrtc": "session-event", "session": "S", "event": "state",
                                       "state": "proceeding"}),
    ("sylkrtc-2/client-message.json", {"sylkrtc": "add_account", "transaction": "t", "account": "a@b.c",
                                       "password": "0" * 32}),
    ("sylkrtc-2/client-message.json", {"sylkrtc": "session-create", "transaction": "t", "account": "a@b.c",
                                       "session": "S", "uri": "b@c.d", "sdp": "v=0",
                                       "headers": [{"name": "X-A", "value": "1\r\nVia: x"}]}),
])
def test_the_schema_refuses_malformed_messages(schema, message):
    assert not schema_check.is_valid(schema, message)
