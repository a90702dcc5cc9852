"""A local imitation of chatgptfree.ai: the WordPress page and admin-ajax endpoint.

Tests set ``reply`` to a :class:`Script` and read ``posts`` to see what the
client sent. Bytes go out in the chunks the script lists, so a test decides
exactly where the network splits them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.scripted import Reply, send_reply, split_randomly

__all__ = ["FakeWordPress", "Script", "final_json", "split_randomly", "sse_body", "stream"]

PAGE = """<!doctype html><html><head><title>ChatGPT Free</title></head><body>
<div class="wpaicg-chat-shortcode" data-user-bg-color="#444" data-post-id="{post_id}"
 data-url="{url}" data-nonce="{nonce}" data-bot-id="0">chat</div></body></html>"""


@dataclass
class Script(Reply):
    """What the admin-ajax endpoint answers to one POST (see :class:`Reply`);
    unlike an API server, WordPress names no content type unless told."""

    headers: dict[str, str] = field(default_factory=dict)


def sse_body(
    texts: Iterable[str],
    *,
    newline: str = "\n",
    role_first: bool = True,
    comment: bool = True,
    done: bool = True,
) -> bytes:
    """An OpenAI-style stream, the way the plugin sends it."""
    nl = newline
    out: list[str] = []
    if comment:
        out.append(f": keep-alive{nl}{nl}")
    if role_first:
        out.append("data: " + json.dumps({"choices": [{"delta": {"role": "assistant"}}]}) + nl + nl)
    for text in texts:
        out.append("data: " + json.dumps({"choices": [{"delta": {"content": text}}]}) + nl + nl)
    if done:
        out.append(f"data: [DONE]{nl}{nl}")
    return "".join(out).encode("utf-8")


def stream(texts: Iterable[str], *, seed: int | None = None, **kwargs: object) -> Script:
    """A streamed reply of ``texts``, split at random places when ``seed`` is given."""
    body = sse_body(texts, **kwargs)  # type: ignore[arg-type]
    chunks = split_randomly(body, seed) if seed is not None else [body]
    return Script(chunks=chunks, headers={"Content-Type": "text/event-stream"})


def final_json(reply: object) -> Script:
    """A whole reply as one JSON object, the plugin's non-streaming answer."""
    body = json.dumps({"status": "success", "data": reply}).encode()
    return Script(chunks=[body], headers={"Content-Type": "application/json"})


class FakeWordPress:
    """The fake site. Build it, then serve ``app`` (see ``wordpress`` fixture).

    Attributes:
        reply: the script for the next POSTs (or a list: one per POST, in order).
        page_status, page_html: override the home page.
        stale_posts: how many POSTs still get WordPress's ``-1`` for a bad nonce.
        nonce_rotates: a new nonce for each page load, so a retry can be checked.
        page_loads, posts: what the client did.
    """

    def __init__(self) -> None:
        self.post_id = "42"
        self.nonce_rotates = True
        self.page_loads = 0
        self.page_status = 200
        self.page_html: str | None = None
        self.page_headers: dict[str, str] = {}
        self.reply: Script | list[Script] = stream(["Hello", ", world"])
        self.stale_posts = 0
        self.posts: list[dict[str, object]] = []
        self.cancelled = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_get("/", self._page)
        self.app.router.add_post("/wp-admin/admin-ajax.php", self._ajax)

    @property
    def nonce(self) -> str:
        return f"nonce{self.page_loads}"

    async def _page(self, request: web.Request) -> web.Response:
        self.page_loads += 1 if self.nonce_rotates or self.page_loads == 0 else 0
        html = self.page_html
        if html is None:
            html = PAGE.format(post_id=self.post_id, nonce=self.nonce, url=request.url.origin())
        return web.Response(
            text=html,
            status=self.page_status,
            content_type="text/html",
            headers=self.page_headers,
        )

    async def _ajax(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        self.posts.append({"form": dict(form), "headers": dict(request.headers)})
        if form.get("_wpnonce") != self.nonce or self.stale_posts > 0:
            self.stale_posts = max(0, self.stale_posts - 1)
            return web.Response(text="-1", status=403)
        script = self.reply
        if isinstance(script, list):
            script = script.pop(0) if len(script) > 1 else script[0]
        return await send_reply(request, script, self.cancelled)
