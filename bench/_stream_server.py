"""A fake chatgptfree site in its own process, streaming a reply of a given size.

``python bench/_stream_server.py --size 1000000 [--chunk 10] [--pause 0.3]``
prints ``PORT <n>`` and serves until killed. Its own process (not a thread), so
its work never holds the GIL of the process being measured.

The body is an OpenAI-style SSE stream of ``--delta``-character text deltas
written ``--chunk`` bytes at a time. With ``--pause S`` the server waits S
seconds after the first event, writes the first text delta in one piece and
prints ``SENT_FIRST <time.monotonic()>`` (CLOCK_MONOTONIC is system-wide on
Linux, so the client can subtract it from its own clock).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web  # noqa: E402

from tests.fakes.wordpress import FakeWordPress, Script, sse_body  # noqa: E402


def reply_text(size: int) -> str:
    """``size`` characters of plain text (ASCII, so bytes == characters)."""
    words = "the quick brown fox jumps over the lazy dog and keeps on running "
    return (words * (size // len(words) + 1))[:size]


def deltas(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


class StreamingSite(FakeWordPress):
    """FakeWordPress whose reply can pause before its first text and log the moment."""

    def __init__(self, body: bytes, chunk: int, pause: float, first: bytes) -> None:
        super().__init__()
        self.body = body
        self.chunk = chunk
        self.pause = pause
        self.first = first
        self.reply = Script(headers={"Content-Type": "text/event-stream"})

    async def _play(self, request: web.Request, script: Script) -> web.StreamResponse:
        response = web.StreamResponse(headers=script.headers)
        await response.prepare(request)
        body = self.body
        if self.pause:
            await response.write(b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n')
            await asyncio.sleep(self.pause)
            await response.write(self.first)
            print(f"SENT_FIRST {time.monotonic():.6f}", flush=True)
        for i in range(0, len(body), self.chunk):
            await response.write(body[i : i + self.chunk])
        await response.write_eof()
        return response


async def serve(args: argparse.Namespace) -> None:
    parts = deltas(reply_text(args.size), args.delta)
    first = sse_body(parts[:1], comment=False, role_first=False, done=False)
    body = sse_body(parts[1:] if args.pause else parts, role_first=not args.pause)
    site = StreamingSite(body, args.chunk, args.pause, first)
    runner = web.AppRunner(site.app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    print(f"PORT {tcp._server.sockets[0].getsockname()[1]}", flush=True)  # type: ignore[union-attr]
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True, help="reply text size in bytes")
    parser.add_argument("--chunk", type=int, default=10, help="bytes per network write")
    parser.add_argument("--delta", type=int, default=64, help="characters per text delta")
    parser.add_argument("--pause", type=float, default=0.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
