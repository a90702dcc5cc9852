"""Faults injected against every provider: one readable sentence, text kept, next request works.

Each fault is played by a local server misbehaving on purpose (or by no
server at all). For each, the reply must end in exactly one
:class:`provider.ProviderError` whose text is one sentence a person can act
on, the text that arrived before the fault must reach the consumer, and the
next request on the same session must work.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from deskchat.provider import errors
from tests.fakes.scripted import Reply
from tests.reliability.servers import (
    KINDS,
    Target,
    collect,
    free_port,
    plain_app,
    self_signed_context,
    serve,
)

PARTIAL = ["Partial ", "text"]
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b'<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/jsch/v1"></script></body></html>'
)
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1></body></html>"
)
# Names a programmer would recognise and a user would not.
RAW_NAMES = re.compile(
    r"Traceback|\b\w*(?:Error|Exception)\b|aiohttp|asyncio|_ssl\.c|\[Errno|\bssl:|OSError|None\b"
)

Arm = Callable[[Target, AsyncExitStack, Path], Awaitable[str | None]]


@dataclass(frozen=True)
class Fault:
    """A way for a request to go wrong.

    Attributes:
        arm: scripts the fault; returns a base URL to use instead of the target's, or None.
        error: the ProviderError class expected; None when the reply must survive.
        partial: the text the consumer must have kept.
        kinds: the providers it applies to.
        says: words the message must contain (where the class alone proves too little).
    """

    name: str
    arm: Arm
    error: type[errors.ProviderError] | None
    partial: str = ""
    kinds: tuple[str, ...] = KINDS
    says: str = ""


def scripted(make: Callable[[Target], Reply], *, repeat: bool = False) -> Arm:
    async def arm(target: Target, stack: AsyncExitStack, tmp: Path) -> str | None:
        target.script(make(target), repeat=repeat)
        return None

    return arm


def status(code: int, body: bytes = b"Nope", **headers: str) -> Arm:
    return scripted(
        lambda _target: Reply(
            chunks=[body], status=code, headers={"Content-Type": "text/plain", **headers}
        )
    )


def _suffix(target: Target) -> str:
    return "/v1" if target.kind == "openai" else ""


async def refused(target: Target, stack: AsyncExitStack, tmp: Path) -> str:
    return f"http://127.0.0.1:{free_port()}{_suffix(target)}"


async def dns_failure(target: Target, stack: AsyncExitStack, tmp: Path) -> str:
    return f"http://deskchat-no-such-host.invalid{_suffix(target)}"


async def plain_http_on_https(target: Target, stack: AsyncExitStack, tmp: Path) -> str:
    server = TestServer(plain_app(), host="127.0.0.1")
    await server.start_server()
    stack.push_async_callback(server.close)
    return f"https://127.0.0.1:{server.port}{_suffix(target)}"


async def untrusted_certificate(target: Target, stack: AsyncExitStack, tmp: Path) -> str:
    server = TestServer(plain_app(), host="127.0.0.1")
    await server.start_server(ssl=self_signed_context(tmp))
    stack.push_async_callback(server.close)
    return f"https://127.0.0.1:{server.port}{_suffix(target)}"


async def silent_before_headers(target: Target, stack: AsyncExitStack, tmp: Path) -> str:
    writers: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)  # Hold the connection open, say nothing.

    server = await asyncio.start_server(accept, "127.0.0.1", 0)

    async def close() -> None:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()

    stack.push_async_callback(close)
    port = server.sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}{_suffix(target)}"


async def stale_nonce(target: Target, stack: AsyncExitStack, tmp: Path) -> None:
    target.fake.stale_posts = 2  # the first post and the retry after a fresh page
    return


async def cloudflare(target: Target, stack: AsyncExitStack, tmp: Path) -> None:
    headers = {
        "Content-Type": "text/html",
        "cf-ray": "8f00000000000000-AMS",
        "Server": "cloudflare",
    }
    if target.kind == "chatgptfree":
        target.fake.page_status = 403
        target.fake.page_html = CHALLENGE.decode()
        target.fake.page_headers = {"cf-ray": headers["cf-ray"], "Server": "cloudflare"}
    else:
        target.script(Reply(chunks=[CHALLENGE], status=403, headers=headers))
    return


def _partial_then(extra: bytes, **kwargs: object) -> Callable[[Target], Reply]:
    def make(target: Target) -> Reply:
        body = target.body(PARTIAL, done=False)
        return Reply(chunks=[body, extra], headers={"Content-Type": "text/event-stream"}, **kwargs)  # type: ignore[arg-type]

    return make


def _same_chunk(extra: Callable[[Target], bytes]) -> Callable[[Target], Reply]:
    def make(target: Target) -> Reply:
        body = target.body(PARTIAL, done=False) + extra(target) + target.body(["never"])
        return Reply(chunks=[body], headers={"Content-Type": "text/event-stream"})

    return make


def _own_read(extra: Callable[[Target], bytes]) -> Callable[[Target], Reply]:
    def make(target: Target) -> Reply:
        chunks = [target.body(PARTIAL, done=False), extra(target), target.body(["never"])]
        return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})

    return make


def _bad_json(target: Target) -> bytes:
    return b"{oops, not json\n" if target.kind == "ollama" else b"data: {oops, not json\n\n"


def _big_line(target: Target) -> Reply:
    return Reply(chunks=[target.body(["x" * (1024 * 1024), " end"])])


def _bad_utf8(target: Target) -> Reply:
    # The fakes escape non-ASCII in JSON; put a raw Latin-1 byte where "@" is.
    body = target.body(["caf@ ok"]).replace(b"@", b"\xe9")
    return Reply(chunks=[body])


def _html_page(target: Target) -> Reply:
    return Reply(chunks=[HTML_ERROR], headers={"Content-Type": "text/html"})


def _redirect_loop(target: Target) -> Reply:
    path = {
        "chatgptfree": "/wp-admin/admin-ajax.php",
        "openai": "/v1/chat/completions",
        "ollama": "/api/chat",
    }[target.kind]
    return Reply(status=307, headers={"Location": path})


FAULTS: list[Fault] = [
    Fault("connection-refused", refused, errors.APIConnectionError),
    Fault("dns-failure", dns_failure, errors.APIConnectionError),
    Fault("tls-plain-http-on-https", plain_http_on_https, errors.APIConnectionError),
    Fault("tls-untrusted-certificate", untrusted_certificate, errors.APIConnectionError),
    Fault("silent-before-headers", silent_before_headers, errors.IdleTimeoutError),
    Fault(
        "cut-mid-stream",
        scripted(_partial_then(b"more", cut_after=1)),
        errors.StreamInterruptedError,
        "Partial text",
    ),
    Fault(
        "silent-mid-stream",
        scripted(_partial_then(b"", hang_after=1)),
        errors.IdleTimeoutError,
        "Partial text",
    ),
    Fault(
        "invalid-json-own-read",
        scripted(_own_read(_bad_json)),
        errors.ProtocolError,
        "Partial text",
    ),
    Fault(
        "invalid-json-mid-stream",
        scripted(_same_chunk(_bad_json)),
        errors.ProtocolError,
        "Partial text",
    ),
    Fault(
        "error-object-mid-stream",
        scripted(_same_chunk(Target.error_object)),
        errors.ServiceError,
        "Partial text",
    ),
    Fault("megabyte-line", scripted(_big_line), None, "x" * (1024 * 1024) + " end"),
    Fault("invalid-utf8", scripted(_bad_utf8), None, "caf\ufffd ok"),
    Fault(
        "html-error-page-502",
        status(502, HTML_ERROR, **{"Content-Type": "text/html"}),
        errors.ServerError,
    ),
    Fault("html-page-200", scripted(_html_page), errors.ProtocolError, says="web page"),
    Fault("empty-200", scripted(lambda _target: Reply(chunks=[])), errors.EmptyReplyError),
    Fault("http-401", status(401), errors.AuthenticationError),
    Fault("http-403", status(403), errors.AuthenticationError),
    Fault("http-404", status(404), errors.NotFoundError),
    Fault("http-429", status(429, **{"Retry-After": "7"}), errors.RateLimitError),
    Fault("http-500", status(500), errors.ServerError),
    Fault("http-503", status(503), errors.ServerError),
    Fault("redirect-loop", scripted(_redirect_loop, repeat=True), errors.APIConnectionError),
    Fault("stale-nonce", stale_nonce, errors.StaleNonceError, kinds=("chatgptfree",)),
    Fault("cloudflare-challenge", cloudflare, errors.CloudflareChallengeError),
]
CASES = [
    pytest.param(kind, fault, id=f"{kind}-{fault.name}") for fault in FAULTS for kind in fault.kinds
]


def assert_one_sentence(exc: errors.ProviderError) -> None:
    """One readable sentence (or two short ones): no traceback, no class names, ends well."""
    text = exc.text()
    assert text == str(exc)
    assert 20 < len(text) < 400, text
    assert "\n" not in text
    assert text[0].isupper() or text[0].isdigit() or "." in text.split()[0], text
    assert RAW_NAMES.search(text) is None, text
    assert text.rstrip().endswith((".", "!", "?")), text


def test_the_fault_table_is_large() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("kind", "fault"), CASES)
async def test_fault(kind: str, fault: Fault, tmp_path: Path) -> None:
    async with (
        aiohttp.ClientSession() as session,
        serve(kind, session) as target,
        AsyncExitStack() as stack,
    ):
        url = await fault.arm(target, stack, tmp_path)
        chat = target.provider(url)
        text, exc = await collect(chat, target.model)

        if fault.error is None:
            assert exc is None, exc
        else:
            assert isinstance(exc, fault.error), repr(exc)
            assert_one_sentence(exc)
            assert fault.says in exc.text()
        assert text == fault.partial

        # The next request works: on the same provider when the server
        # misbehaved, on the same session when the address itself was the fault.
        target.reset()
        after = chat if url is None else target.provider()
        text, exc = await collect(after, target.model)
        assert exc is None, exc
        assert text == "All good"
