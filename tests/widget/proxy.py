"""A TCP proxy on loopback whose connections a test can cut, to drop a browser's live stream
for real (the socket dies mid-response, as on a flaky network)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class CuttableProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.refusing = False
        self.requests: list[str] = []  # the head of every request that passed, lower-cased
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if record and data[:4] in (b"GET ", b"POST"):
                    self.requests.append(data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower())
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, True), self._pipe(up_reader, writer, False)
            )
        finally:
            self._writers.difference_update((writer, up_writer))

    def _abort_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    def cut(self) -> None:
        """Kill every open connection now, both ways."""
        self._loop.call_soon_threadsafe(self._abort_all)

    @contextmanager
    def down(self) -> Iterator[None]:
        """Cut everything and refuse new connections until the block ends."""
        self.refusing = True
        self.cut()
        try:
            yield
        finally:
            self.refusing = False

    def __enter__(self) -> CuttableProxy:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
