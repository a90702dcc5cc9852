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
import json
import time

from aiohttp import web

# Just what ChatgptFree reads from the home page (see tests/fakes/wordpress.py
# for the full imitation; this one only has to stream fast and stay stable).
PAGE = (
    '<html><body><div class="wpaicg-chat-shortcode" data-post-id="42" '
    'data-nonce="bench" data-bot-id="0">chat</div></body></html>'
)


def sse(texts: list[str], *, role: bool = True, done: bool = True) -> bytes:
    """OpenAI-style ``data:`` events, as the plugin streams them."""
    out = ['data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'] if role else []
    for text in texts:
        out.append("data: " + json.dumps({"choices": [{"delta": {"content": text}}]}) + "\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def reply_text(size: int) -> str:
    """``size`` characters of plain text (ASCII, so bytes == characters)."""
    words = "the quick brown fox jumps over the lazy dog and keeps on running "
    return (words * (size // len(words) + 1))[:size]


def deltas(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


class StreamingSite:
    """The home page and the admin-ajax endpoint; the reply can pause before its
    first text and print when it was sent."""

    def __init__(self, body: bytes, chunk: int, pause: float, first: bytes) -> None:
        self.body = body
        self.chunk = chunk
        self.pause = pause
        self.first = first
        self.app = web.Application()
        self.app.router.add_get("/", self.page)
        self.app.router.add_post("/wp-admin/admin-ajax.php", self.reply)

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def reply(self, request: web.Request) -> web.StreamResponse:
        await request.post()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        body = self.body
        if self.pause:
            await response.write(sse([], done=False))
            await asyncio.sleep(self.pause)
            await response.write(self.first)
            print(f"SENT_FIRST {time.monotonic():.6f}", flush=True)
        for i in range(0, len(body), self.chunk):
            await response.write(body[i : i + self.chunk])
        await response.write_eof()
        return response


async def serve(args: argparse.Namespace) -> None:
    parts = deltas(reply_text(args.size), args.delta)
    first = sse(parts[:1], role=False, done=False)
    body = sse(parts[1:] if args.pause else parts, role=not args.pause)
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
