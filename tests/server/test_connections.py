"""Peers that stop half-way are cut off within the configured limits, by a raw HTTP/2 client.

The client speaks just enough HTTP/2 by hand to open a call: the preface, SETTINGS (and the
acknowledgement of the server's), a HEADERS frame (HPACK literals) and a DATA frame whose gRPC
message header promises 16 bytes while only 3 follow. It never answers the server's PINGs, as
a crashed or hostile peer would not.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import pytest
from grpc_support import within

from marketsim.errors import InvalidCommandError
from marketsim.server.connections import ConnectionLimits

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING = 0x0, 0x1, 0x4, 0x6
END_HEADERS, ACK = 0x4, 0x1
SHORT = ConnectionLimits(keepalive=0.5, keepalive_timeout=0.5, idle=1.0, handshake=1.0)


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream)
        + payload
    )


def literal(name: str, value: str) -> bytes:
    """An HPACK literal header field without indexing, with a new name (short strings)."""
    return b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()


def open_call(address: str) -> bytes:
    host = address
    headers = b"".join(
        literal(name, value)
        for name, value in (
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/marketsim.wire.v1.MarketService/SubmitOrder"),
            (":authority", host),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        )
    )
    return frame(HEADERS, END_HEADERS, 1, headers)


def closed_after(sock: socket.socket, limit: float) -> float | None:
    """Read (acknowledging SETTINGS, ignoring PINGs) until the server closes the connection;
    the seconds that took, or None if it was still open after ``limit``."""
    started = time.monotonic()
    buffer = b""
    while time.monotonic() - started < limit:
        sock.settimeout(max(0.01, limit - (time.monotonic() - started)))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return None
        except ConnectionError:
            return time.monotonic() - started
        if not chunk:
            return time.monotonic() - started
        buffer += chunk
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < 9 + length:
                break
            kind, flags = buffer[3], buffer[4]
            if kind == SETTINGS and not flags & ACK:
                sock.sendall(frame(SETTINGS, ACK, 0))
            buffer = buffer[9 + length :]
    return None


def connect(address: str) -> socket.socket:
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
    return sock


async def test_a_half_sent_message_is_cut_off_when_the_peer_stops_answering_pings(make_server):
    server = await make_server(connections=SHORT)
    sock = connect(server.address)
    try:
        promise_16_send_3 = b"\x00" + struct.pack(">I", 16) + b"abc"
        sock.sendall(open_call(server.address) + frame(DATA, 0, 1, promise_16_send_3))
        took = await asyncio.to_thread(closed_after, sock, 10.0)
    finally:
        sock.close()

    assert took is not None and took < 5.0, took
    assert server.exchange["ACME"].seq == 0


async def test_a_silent_peer_is_cut_off(make_server):
    server = await make_server(connections=SHORT)
    sock = connect(server.address)
    try:
        took = await asyncio.to_thread(closed_after, sock, 10.0)
    finally:
        sock.close()

    assert took is not None and took < 5.0, took


async def test_the_default_limits_leave_a_brief_pause_alone(make_server):
    server = await make_server()  # keepalive 30 s: a peer quiet for 2 s is not cut off
    sock = connect(server.address)
    try:
        sock.sendall(open_call(server.address))
        took = await asyncio.to_thread(closed_after, sock, 2.0)
    finally:
        sock.close()

    assert took is None
    assert await within(server.service.ListInstruments(None, None)) is not None


def test_limits_are_validated():
    with pytest.raises(InvalidCommandError, match="keepalive must be a positive"):
        ConnectionLimits(keepalive=0)
    with pytest.raises(InvalidCommandError, match="max_streams must be at least 1"):
        ConnectionLimits(max_streams=0)
