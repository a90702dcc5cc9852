"""A loopback TCP server that answers HTTP requests with whatever bytes a test writes.

aiohttp's own server cannot send a malformed chunked body, a bad status line
or 20,000 headers; this one writes the bytes a test scripts, as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

__all__ = ["RawRequest", "Responder", "chunked", "raw_server"]


@dataclass
class RawRequest:
    """What the client sent: the request line's method and target, and the headers."""

    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


Responder = Callable[[RawRequest, asyncio.StreamWriter], Awaitable[None]]
"""Writes the answer to one request; returning closes the connection."""


def chunked(*pieces: bytes) -> bytes:
    """Well-formed chunks of ``pieces`` (no final zero chunk: the test adds what it wants)."""
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)


async def _read_request(reader: asyncio.StreamReader) -> RawRequest:
    head = await reader.readuntil(b"\r\n\r\n")
    line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _version = line.split(" ", 2)
    headers: dict[str, str] = {}
    for header in lines:
        if header:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    if length := int(headers.get("content-length", "0") or 0):
        body = await reader.readexactly(length)
    return RawRequest(method, target, headers, body)


@asynccontextmanager
async def raw_server(respond: Responder) -> AsyncIterator[tuple[str, list[RawRequest]]]:
    """Serve on 127.0.0.1 for the block; yield (``http://127.0.0.1:PORT``, requests seen).

    Each connection serves requests one after another until ``respond``
    closes it or the client goes away; the server's own tasks end with the block.
    """
    seen: list[RawRequest] = []
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not writer.is_closing():
                request = await _read_request(reader)
                seen.append(request)
                await respond(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass  # the client went away, or sent what this fake does not read
        finally:
            writer.close()

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(serve(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
