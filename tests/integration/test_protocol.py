"""sylkRTC-1 requests and answers over a real WebSocket (protocol sections 2 to 5)."""

import json

import pytest

from conftest import HA1, Client, add_account_request, run

ACK = "ack"


async def still_works(client):
    """After any bad input the same connection must still answer requests."""
    answer = await client.request({"sylkrtc": "remove_account", "account": "nobody@example.com"})
    assert answer["sylkrtc"] == "error" and answer["error"] == "unknown account: nobody@example.com"


@pytest.mark.parametrize("kind", ["add_account", "account-add", "account_add"])
def test_add_and_remove_account_in_every_spelling(gateway, kind):
    removals = {"add_account": "remove_account", "account-add": "account-remove", "account_add": "account_remove"}

    async def conversation():
        client = await Client.connect(gateway.url)
        assert (await client.request({**add_account_request(kind=kind), "display_name": "Alice"}))["sylkrtc"] == ACK
        assert (await client.request({"sylkrtc": removals[kind], "account": "alice@example.com"}))["sylkrtc"] == ACK
        # Removed means gone: it can be added again.
        assert (await client.request(add_account_request(kind=kind)))["sylkrtc"] == ACK
        await client.close()

    run(conversation())


def test_account_validations(start_gateway):
    gateway = start_gateway(general={"sip_domains": "example.com, example.org"})

    async def conversation():
        client = await Client.connect(gateway.url)
        cases = [
            (add_account_request(ha1="password"), "invalid field: password must be the HA1 digest (32 lowercase hex characters)"),
            (add_account_request(ha1=HA1.upper()), "invalid field: password must be the HA1 digest (32 lowercase hex characters)"),
            (add_account_request(account="alice"), "invalid field: account 'alice' is not user@domain"),
            (add_account_request(account="sip:alice@example.com"), "invalid field: account 'sip:alice@example.com' is not user@domain"),
            (add_account_request(account="alice@evil.com"), "domain not allowed: evil.com"),
            ({"sylkrtc": "add_account", "account": "alice@example.com"}, "missing field: password"),
            ({**add_account_request(), "display_name": 42}, "invalid field: display_name must be a string"),
        ]
        for request, error in cases:
            answer = await client.request(request)
            assert answer["sylkrtc"] == "error" and answer["error"] == error, (request, answer)
        assert (await client.request(add_account_request("alice@Example.ORG")))["sylkrtc"] == ACK
        duplicate = await client.request(add_account_request("alice@Example.ORG", kind="account-add"))
        assert duplicate["error"] == "account already added: alice@Example.ORG"
        unknown = await client.request({"sylkrtc": "account-remove", "account": "bob@example.com"})
        assert unknown["error"] == "unknown account: bob@example.com"
        await client.close()

    run(conversation())


def test_accounts_belong_to_their_connection(gateway):
    async def conversation():
        first = await Client.connect(gateway.url)
        second = await Client.connect(gateway.url)
        assert (await first.request(add_account_request()))["sylkrtc"] == ACK
        assert (await second.request(add_account_request()))["sylkrtc"] == ACK  # same account, other connection
        await first.close()
        # Closing the first connection did not take the second one's account.
        duplicate = await second.request(add_account_request())
        assert duplicate["error"] == "account already added: alice@example.com"
        assert (await second.request({"sylkrtc": "remove_account", "account": "alice@example.com"}))["sylkrtc"] == ACK
        await second.close()

    run(conversation())


@pytest.mark.parametrize("register, unregister", [("register", "unregister"),
                                                 ("account-register", "account-unregister"),
                                                 ("account_register", "account_unregister")])
def test_registration_requests_in_every_spelling(gateway, register, unregister):
    async def conversation():
        client = await Client.connect(gateway.url)
        for kind in (register, unregister):
            unknown = await client.request({"sylkrtc": kind, "account": "alice@example.com"})
            assert unknown["error"] == "unknown account: alice@example.com"
        await client.request(add_account_request())
        assert (await client.request({"sylkrtc": register, "account": "alice@example.com"}))["sylkrtc"] == "ack"
        assert (await client.receive())["data"] == {"state": "registering"}
        assert (await client.request({"sylkrtc": unregister, "account": "alice@example.com"}))["sylkrtc"] == "ack"
        await client.close()

    run(conversation())


def test_call_requests_are_validated_and_refer_to_known_state(gateway):
    async def conversation():
        client = await Client.connect(gateway.url)
        create = {"sylkrtc": "session-create", "account": "alice@example.com", "session": "S1",
                  "uri": "bob@example.com", "sdp": "v=0\r\n"}
        assert (await client.request(create))["error"] == "unknown account: alice@example.com"
        await client.request(add_account_request())
        # By default an account calls only once its registrar has accepted its HA1.
        assert (await client.request(create))["error"] == \
            "account not registered: alice@example.com (register it before calling)"
        assert (await client.request({**create, "uri": "bob@"}))["error"] == "invalid field: uri 'bob@' is not user@domain"
        for request, error in [
            ({"sylkrtc": "session-answer", "session": "S9", "sdp": "v=0"}, "unknown session: S9"),
            ({"sylkrtc": "session-trickle", "session": "S1", "candidates": []}, "unknown session: S1"),
            ({"sylkrtc": "session-terminate", "session": "S1"}, "unknown session: S1"),
            ({"sylkrtc": "session-trickle", "session": "S1"}, "missing field: candidates"),
            ({"sylkrtc": "session-answer", "session": "S9"}, "missing field: sdp"),
        ]:
            assert (await client.request(request))["error"] == error
        await still_works(client)
        await client.close()

    run(conversation())


def test_every_row_of_the_bad_input_table(gateway):
    async def conversation():
        client = await Client.connect(gateway.url)
        # Dropped: nothing comes back, and the connection still works.
        for frame in ["not json at all", "[1, 2, 3]", "\"a string\"", "42", "null",
                      json.dumps({"account": "alice@example.com"}),                    # no sylkrtc, no transaction
                      json.dumps({"sylkrtc": "add_account", "account": "a@b.c"}),      # request without transaction
                      json.dumps({"sylkrtc": "add_account", "transaction": 5})]:       # transaction not a string
            await client.ws.send(frame)
            await client.expect_silence()
            await still_works(client)
        # Answered with an error on the request's transaction.
        for message, error in [
            ({"transaction": "x1"}, "missing field: sylkrtc"),
            ({"sylkrtc": 7, "transaction": "x2"}, "invalid field: sylkrtc must be a string"),
            ({"sylkrtc": "fly_to_the_moon", "transaction": "x3"}, "unknown request: fly_to_the_moon"),
            ({"sylkrtc": "add_account", "transaction": "x4", "password": HA1}, "missing field: account"),
            ({"sylkrtc": "add_account", "transaction": "x5", "account": ["a@b.c"], "password": HA1},
             "invalid field: account must be a string"),
        ]:
            await client.ws.send(json.dumps(message))
            answer = await client.receive()
            assert answer == {"sylkrtc": "error", "transaction": message["transaction"], "error": error}
            await still_works(client)
        # Bad input changed nothing: no account was added by any of it.
        assert (await client.request(add_account_request("a@b.c")))["sylkrtc"] == ACK
        await client.close()

    run(conversation())
    log = gateway.log()
    assert "dropped message: message is not JSON" in log
    assert "dropped message: request 'add_account' has no transaction" in log


def test_binary_frames_are_logged_and_dropped(gateway):
    async def conversation():
        client = await Client.connect(gateway.url)
        await client.ws.send(b"\x00\x01binary")
        await client.expect_silence()
        await still_works(client)
        await client.close()

    run(conversation())
    assert "dropped a binary frame of 8 bytes" in gateway.log()


def test_transactions_with_any_characters_are_echoed_exactly(gateway):
    async def conversation():
        client = await Client.connect(gateway.url)
        transaction = "tr\"ans\\act\u00efon \u2603"
        await client.ws.send(json.dumps({**add_account_request(), "transaction": transaction}))
        assert await client.receive() == {"sylkrtc": "ack", "transaction": transaction}
        await client.close()

    run(conversation())
