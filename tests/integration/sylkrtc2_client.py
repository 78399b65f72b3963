"""A sylkRTC-2 client of our own, written from the description of the dialect (today's
Sylk apps, sylkrtc.js 1.x, speak it): UUID transactions, `ready-event`, a `ping` every
5 s like the apps, and every message it sends or receives checked against
schema/sylkrtc-2/. Replies are matched to their requests by transaction, so pings may
run while a test waits for events."""

import asyncio
import json
import uuid

import websockets

import schema_check

DIALECT = "sylkRTC-2"


class Sylkrtc2Client:
    def __init__(self, websocket):
        self.ws = websocket
        self.events = asyncio.Queue()
        self._waiting = {}  # transaction -> future of its reply
        self.pings_acked = 0
        self._reader = asyncio.ensure_future(self._read())
        self._pinger = None
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(cls, url, ping_every=None, subprotocols=(DIALECT,), **kwargs):
        ws = await websockets.connect(url, subprotocols=list(subprotocols), **kwargs)
        assert ws.subprotocol == DIALECT, ws.subprotocol
        client = cls(ws)
        assert await client.event() == {"sylkrtc": "ready-event"}
        if ping_every:
            client._pinger = asyncio.ensure_future(client._ping(ping_every))
        return client

    async def _read(self):
        try:
            async for text in self.ws:
                assert isinstance(text, str), "the gateway sends text frames only"
                message = json.loads(text)
                schema_check.assert_server_message(message, DIALECT)
                future = self._waiting.pop(message.get("transaction"), None)
                if future and not future.done():
                    future.set_result(message)
                elif "transaction" in message:
                    raise AssertionError(f"a reply nobody waits for: {message}")
                else:
                    await self.events.put(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result(True)

    async def _ping(self, every):
        while True:
            await asyncio.sleep(every)
            answer = await self.request({"sylkrtc": "ping"})
            assert answer["sylkrtc"] == "ack", answer
            self.pings_acked += 1

    async def request(self, message, timeout=10, malformed=False):
        """Sends `message` with a fresh transaction; returns its one reply. `malformed`: the
        test means it to break the schema (it must then not be valid)."""
        transaction = str(uuid.uuid4())
        message = {**message, "transaction": transaction}
        if malformed:
            assert not schema_check.is_valid("sylkrtc-2/client-message.json", message), message
        else:
            schema_check.assert_client_message(message, DIALECT)
        future = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = future
        await self.ws.send(json.dumps(message))
        return await asyncio.wait_for(future, timeout)

    async def ok(self, message, timeout=10):
        answer = await self.request(message, timeout)
        assert answer["sylkrtc"] == "ack", (message["sylkrtc"], answer)
        return answer

    async def event(self, timeout=10):
        return await asyncio.wait_for(self.events.get(), timeout)

    async def event_where(self, predicate, timeout=15):
        """The next event `predicate` accepts; the ones before it are dropped."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, "no such event in time"
            event = await self.event(left)
            if predicate(event):
                return event

    async def states_until(self, session, state, timeout=15):
        """The session's state events up to and including `state`; fails on an earlier `terminated`."""
        seen = []
        while True:
            event = await self.event_where(lambda e: e["sylkrtc"] == "session-event" and e["session"] == session,
                                           timeout)
            if event["event"] != "state":
                continue
            seen.append(event)
            if event["state"] == state:
                return seen
            assert event["state"] != "terminated", seen

    async def update_event(self, session, timeout=15):
        return await self.event_where(lambda e: e["sylkrtc"] == "session-event" and e["session"] == session
                                      and e["event"] == "update", timeout)

    async def log_in(self, account, password, registered=True, **fields):
        """account-add, account-register, and the events up to `registered` (or `failed`)."""
        await self.ok({"sylkrtc": "account-add", "account": account, "password": password, **fields})
        await self.ok({"sylkrtc": "account-register", "account": account})
        wanted = "registered" if registered else "failed"
        states = []
        while True:
            event = await self.event_where(lambda e: e["sylkrtc"] == "account-event"
                                           and e["event"] == "registration-state")
            states.append(event["state"])
            if event["state"] in ("registered", "failed"):
                assert event["state"] == wanted, (states, event)
                return states

    async def close(self):
        if self._pinger:
            self._pinger.cancel()
        await self.ws.close()
        await self._reader
