"""`api.server`: a response's writes leave in one send, over a real loopback connection."""

from __future__ import annotations

import asyncio

from botdesk.api.server import CoalescedWrites


class _Peer(asyncio.Protocol):
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()


async def _pair() -> tuple[asyncio.Transport, _Peer, asyncio.Server]:
    loop = asyncio.get_running_loop()
    peer = _Peer()
    server = await loop.create_server(lambda: peer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    return transport, peer, server  # type: ignore[return-value]


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_writes_in_one_loop_turn_arrive_together() -> None:
    transport, peer, server = await _pair()
    coalesced = CoalescedWrites(transport, asyncio.get_running_loop())
    coalesced.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    coalesced.write(b"ok")
    assert transport.get_write_buffer_size() == 0 and peer.chunks == []  # nothing sent yet
    await _settle()
    assert peer.chunks == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    coalesced.write(b"later")
    await _settle()
    assert peer.chunks[-1] == b"later"
    coalesced.close()
    server.close()


async def test_close_sends_what_is_pending_first() -> None:
    transport, peer, server = await _pair()
    coalesced = CoalescedWrites(transport, asyncio.get_running_loop())
    coalesced.writelines([b"last ", b"words"])
    coalesced.close()
    await asyncio.wait_for(peer.closed.wait(), 5)
    assert b"".join(peer.chunks) == b"last words"
    assert coalesced.is_closing()  # everything else is the real transport's
    server.close()
