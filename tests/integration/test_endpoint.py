"""The WebSocket endpoint (protocol section 1): handshake rules, TLS, frames, keep-alive."""

import asyncio
import base64
import os
import socket
import ssl
import struct
import subprocess
import time

import pytest
import websockets

from conftest import HA1, Client, add_account_request, run


def raw_handshake(port, path="/webrtcgateway/ws", protocol="sylkRTC-1", origin=None, upgrade=True):
    """Sends an HTTP request by hand; returns (status line, socket, leftover bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    headers = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    if upgrade:
        headers += ["Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version: 13"]
    if protocol:
        headers.append(f"Sec-WebSocket-Protocol: {protocol}")
    if origin:
        headers.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode(errors="replace"), sock, rest


def status_of(port, **kwargs):
    head, sock, _ = raw_handshake(port, **kwargs)
    sock.close()
    return head.split("\r\n")[0]


def test_ready_event_and_subprotocol(gateway):
    async def conversation():
        client = await Client.connect(gateway.url)
        assert client.ws.subprotocol == "sylkRTC-1"
        await client.close()

    run(conversation())


def test_handshake_without_the_subprotocol_is_refused_with_406(gateway):
    assert status_of(gateway.port, protocol=None) == "HTTP/1.1 406 No compatible protocol specified"
    assert status_of(gateway.port, protocol="chat, superchat") == "HTTP/1.1 406 No compatible protocol specified"
    # Offered among others, it is selected.
    head, sock, _ = raw_handshake(gateway.port, protocol="chat, sylkRTC-1")
    sock.close()
    assert head.startswith("HTTP/1.1 101") and "Sec-WebSocket-Protocol: sylkRTC-1" in head


def test_plain_http_to_the_endpoint_is_answered_426_and_the_endpoint_keeps_working(gateway):
    # A GET without Upgrade: the endpoint exists but speaks only WebSocket.
    head, sock, _ = raw_handshake(gateway.port, upgrade=False, protocol=None)
    sock.close()
    lines = head.split("\r\n")
    assert lines[0].startswith("HTTP/1.1 426"), head
    assert any(line.lower().replace(" ", "") == "upgrade:websocket" for line in lines[1:]), head  # RFC 7231 6.5.15
    # Also with the subprotocol offered (still no Upgrade), and on a query string.
    assert status_of(gateway.port, upgrade=False).startswith("HTTP/1.1 426")
    assert status_of(gateway.port, path="/webrtcgateway/ws?x=1", upgrade=False).startswith("HTTP/1.1 426")

    async def conversation():  # the refusal left the endpoint serving WebSocket clients
        client = await Client.connect(gateway.url)
        await client.close()

    run(conversation())


def test_other_paths_are_404(gateway):
    assert status_of(gateway.port, path="/webrtcgateway/other").startswith("HTTP/1.1 404")
    assert status_of(gateway.port, path="/").startswith("HTTP/1.1 404")
    assert status_of(gateway.port, path="/elsewhere", upgrade=False).startswith("HTTP/1.1 404")
    # The endpoint with a query string is still the endpoint.
    assert status_of(gateway.port, path="/webrtcgateway/ws?x=1").startswith("HTTP/1.1 101")


def test_origin_is_checked_against_web_origins(start_gateway):
    gateway = start_gateway(general={"web_origins": "https://good.example, https://also.example"})
    assert status_of(gateway.port, origin="https://evil.example").startswith("HTTP/1.1 403")
    assert status_of(gateway.port).startswith("HTTP/1.1 403")  # no Origin at all
    assert status_of(gateway.port, origin="https://GOOD.example").startswith("HTTP/1.1 101")
    assert status_of(gateway.port, origin="https://also.example").startswith("HTTP/1.1 101")
    assert "origin 'https://evil.example' is not allowed" in gateway.log()


def test_any_origin_by_default(gateway):
    assert status_of(gateway.port, origin="https://anything.example").startswith("HTTP/1.1 101")


def test_wss_when_a_certificate_is_configured(start_gateway, certificate):
    combined, cert = certificate
    gateway = start_gateway(webserver={"certificate": str(combined)}, scheme="wss")
    context = ssl.create_default_context(cafile=str(cert))

    async def conversation():
        client = await Client.connect(gateway.url, ssl=context)
        assert (await client.request(add_account_request()))["sylkrtc"] == "ack"
        await client.close()

    run(conversation())
    assert "listening for wss" in gateway.log()
    # Plain ws on the TLS port does not get through.
    with pytest.raises(Exception):
        run(Client.connect(gateway.url.replace("wss://", "ws://"), open_timeout=3))


def test_an_oversized_message_closes_with_1009(start_gateway):
    gateway = start_gateway(general={"websocket_max_message_size": "2048"})

    async def conversation():
        client = await Client.connect(gateway.url, max_size=None)
        big = {**add_account_request(), "pad": "x" * 1500}  # unknown fields are ignored
        assert (await client.request(big))["sylkrtc"] == "ack"  # under the limit
        await client.ws.send('{"sylkrtc":"add_account","transaction":"big","pad":"' + "y" * 4096 + '"}')
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.receive()
        assert closed.value.code == 1009

    run(conversation())


def read_frame(sock, buffer):
    """One server frame: (opcode, payload), or (None, b"") when the server closed the TCP
    connection. buffer: a bytearray with what was already read (the handshake's leftover)."""
    def take(count):
        while len(buffer) < count:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            buffer.extend(chunk)
        taken = bytes(buffer[:count])
        del buffer[:count]
        return taken

    header = take(2)
    if header is None:
        return None, b""
    opcode, length = header[0] & 0x0F, header[1] & 0x7F
    if length in (126, 127):
        extended = take(2 if length == 126 else 8)
        if extended is None:
            return None, b""
        length = struct.unpack("!H" if length == 126 else "!Q", extended)[0]
    payload = take(length)
    return (None, b"") if payload is None else (opcode, payload)


def test_a_peer_that_does_not_answer_pings_is_closed(start_gateway):
    gateway = start_gateway(general={"websocket_ping_interval": "1"})
    head, sock, rest = raw_handshake(gateway.port)
    assert head.startswith("HTTP/1.1 101")
    buffer = bytearray(rest)  # the ready event may come in the same read as the headers
    sock.settimeout(10)
    opcodes = []
    started = time.monotonic()
    while time.monotonic() - started < 10:
        opcode, _ = read_frame(sock, buffer)
        if opcode is None:
            break  # the server closed the TCP connection
        opcodes.append(opcode)
    sock.close()
    assert opcodes[0] == 0x1  # the ready event
    assert 0x9 in opcodes, "the server pinged"
    assert 0x8 in opcodes, "the server closed the silent peer"
    assert "no answer to ping" in gateway.log()


def test_a_peer_that_answers_pings_stays(start_gateway):
    gateway = start_gateway(general={"websocket_ping_interval": "1"})

    async def conversation():
        client = await Client.connect(gateway.url, ping_interval=None)  # the library still answers pings
        await asyncio.sleep(3.5)
        assert (await client.request(add_account_request()))["sylkrtc"] == "ack"
        await client.close()

    run(conversation())


def test_trace_client_logs_messages_with_the_ha1_masked(start_gateway):
    gateway = start_gateway(general={"trace_client": "yes"})

    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("tracy@example.com"))
        await client.ws.send('{"password":"' + HA1 + '", broken')  # unparseable, holds a secret
        await client.expect_silence()
        await client.close()

    run(conversation())
    log = gateway.log()
    assert "tracy@example.com" in log and "<HA1 hidden>" in log
    assert '"sylkrtc":"ack"' in log  # outgoing messages are traced too
    assert HA1 not in log


def test_the_ha1_never_reaches_the_log_without_tracing(gateway):
    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request())
        await client.request({**add_account_request(), "transaction": "dup"})
        await client.close()

    run(conversation())
    assert HA1 not in gateway.log()
