"""Scripted HTTP replies for the fake servers: bytes written in the chunks a test chooses.

Every fake server plays a :class:`Reply` with :func:`send_reply`, so a test
decides exactly where the network splits a body, when it stalls, and where
the connection drops.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

__all__ = ["FakeChatServer", "Reply", "send_reply", "serving", "split_randomly"]


@asynccontextmanager
async def serving(app: web.Application, path: str = "") -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 for the block; yield the URL of ``path``, no trailing slash."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url(path)).rstrip("/")
    finally:
        await server.close()


def split_randomly(data: bytes, seed: int, *, max_size: int = 17) -> list[bytes]:
    """Split ``data`` at seeded random places (1..max_size bytes a piece)."""
    rng = random.Random(seed)
    chunks: list[bytes] = []
    i = 0
    while i < len(data):
        n = rng.randint(1, max_size)
        chunks.append(data[i : i + n])
        i += n
    return chunks


@dataclass
class Reply:
    """One scripted answer.

    Attributes:
        chunks: body bytes, each written separately.
        status: HTTP status.
        headers: response headers.
        delay: seconds to sleep before each chunk.
        cut_after: after this many chunks, drop the connection mid-body.
        hang_after: after this many chunks, keep the connection open silently
            (for Stop and idle-timeout tests).
        ping_forever: after the chunks, send these bytes every 10 ms until the
            client goes away (to see that closing a reply drops the connection).
    """

    chunks: list[bytes] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/event-stream"})
    delay: float = 0.0
    cut_after: int | None = None
    hang_after: int | None = None
    ping_forever: bytes | None = None


async def send_reply(
    request: web.Request, reply: Reply, disconnected: asyncio.Event | None = None
) -> web.StreamResponse:
    """Write ``reply`` chunk by chunk, cutting or hanging as scripted.

    ``disconnected`` is set when the client goes away before the end.
    """
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    await response.prepare(request)
    try:
        for i, piece in enumerate(reply.chunks):
            if reply.cut_after is not None and i >= reply.cut_after:
                assert request.transport is not None
                request.transport.close()
                return response
            if reply.hang_after is not None and i >= reply.hang_after:
                await asyncio.sleep(3600)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            await response.write(piece)
            # Let each write leave as its own packet where the kernel allows.
            await asyncio.sleep(0)
        if reply.hang_after is not None and reply.hang_after >= len(reply.chunks):
            await asyncio.sleep(3600)
        if reply.ping_forever is not None:
            for _ in range(6000):  # bounded: a minute at most
                await response.write(reply.ping_forever)
                await asyncio.sleep(0.01)
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        if disconnected is not None:
            disconnected.set()
    except asyncio.CancelledError:
        # aiohttp cancels a handler whose client went away.
        if disconnected is not None:
            disconnected.set()
        raise
    return response


class FakeChatServer:
    """A model server's chat and model-list endpoints, answering with scripts.

    Args:
        chat_path: where chat requests are POSTed (JSON body).
        list_path: where the model list is fetched.
        replies: the first chat scripts.
        listing: the answer to the model list.

    Attributes:
        replies: scripts for the next chat requests, in order; the last repeats.
        listing: the answer to ``GET list_path``.
        requests: what the client sent, one dict per request.
        disconnected: set when a client goes away mid-reply.
    """

    def __init__(
        self, *, chat_path: str, list_path: str, replies: list[Reply], listing: Reply
    ) -> None:
        self.replies = replies
        self.listing = listing
        self.requests: list[dict[str, Any]] = []
        self.disconnected = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post(chat_path, self._chat)
        self.app.router.add_get(list_path, self._list)

    def reply_with(self, *replies: Reply) -> None:
        """Answer the next chat requests with these scripts, in order."""
        self.replies = list(replies)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return await send_reply(request, reply, self.disconnected)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({"path": request.path, "headers": dict(request.headers)})
        return await send_reply(request, self.listing)
