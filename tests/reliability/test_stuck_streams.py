"""A malformed chunked body never hangs a reply (#12, point 5).

aiohttp's ``sock_read`` limit counts bytes on the socket, not bytes of the
body: a server that breaks the chunked framing and then drips bytes the
parser swallows (a chunk-size line that never ends, trailers that never end;
aiohttp issue 10355 is one such case) resets it forever, and ``deskchat ask``
waits forever. DeskChat's own watchdog ends any reply that receives no body
bytes for the idle limit, whatever aiohttp does. A framing error aiohttp does
notice is one sentence too, not a traceback.

Each case is played by a raw TCP server on 127.0.0.1 (tests/fakes/raw_http.py)
against every provider, with the idle limit at 0.3 s.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import aiohttp
import pytest

from deskchat.provider import errors
from tests.fakes.ollama_server import line, ndjson
from tests.fakes.openai_server import chunk, sse
from tests.fakes.raw_http import RawRequest, chunked, raw_server
from tests.fakes.wordpress import PAGE, sse_body
from tests.reliability.servers import IDLE, KINDS, collect
from tests.reliability.test_faults import assert_one_sentence

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
DRIP_SECONDS = 0.05
DRIPS = 200  # ten seconds of drips, far past the idle limit


@dataclass(frozen=True)
class Malformed:
    """Bytes after a first well-formed chunk: ``broken`` once, then ``drip`` every 50 ms."""

    name: str
    broken: bytes
    drip: bytes = b""
    error: type[errors.ProviderError] = errors.IdleTimeoutError


CASES = [
    # Bytes keep coming, so sock_read never fires; none of them is body.
    Malformed("chunk-size-line-never-ends", b"1", drip=b"1"),
    Malformed("trailers-never-end", b"0\r\nX-Trailer: a", drip=b"a"),
    Malformed("chunk-extension-never-ends", b"5;name=", drip=b"a"),
    # aiohttp sees the framing break here, keeps the error on the connection and
    # leaves the body waiting (sock_read no longer runs): the watchdog ends it.
    Malformed("chunk-tail-never-ends", b"5\r\nHello", b" ", errors.MalformedResponseError),
    Malformed("empty-lines-forever", b"", b"\r\n", errors.MalformedResponseError),
    # Broken, then silent: the same wait.
    Malformed("missing-crlf-after-data", b"5\r\nHelloXX", error=errors.MalformedResponseError),
    Malformed("bad-chunk-size", b"zz\r\nHello\r\n", error=errors.MalformedResponseError),
    Malformed("size-without-line-end", b"5"),
    Malformed("chunk-shorter-than-its-size", b"64\r\nHello"),
    Malformed("chunk-size-of-2-to-the-64", b"ffffffffffffffff\r\nHello"),
]


def _first_event(kind: str) -> tuple[bytes, bytes]:
    """(content type, one well-formed event carrying "Partial") in ``kind``'s format."""
    if kind == "ollama":
        return b"application/x-ndjson", ndjson([line("Partial")])
    if kind == "openai":
        return b"text/event-stream", sse([chunk("Partial")], done=False)
    return b"text/event-stream", sse_body(["Partial"], done=False, comment=False, role_first=False)


def _provider(kind: str, base: str, session: aiohttp.ClientSession):  # type: ignore[no-untyped-def]
    from tests.reliability.servers import Target

    return Target(kind, None, base + ("/v1" if kind == "openai" else ""), session).provider()


async def _play(kind: str, case: Malformed) -> tuple[str, errors.ProviderError | None]:
    content_type, event = _first_event(kind)

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if request.method == "GET":  # chatgptfree's page, for its nonce
            page = PAGE.format(post_id="42", nonce="n0", url="").encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
                % (len(page), page)
            )
            await writer.drain()
            return
        writer.write(CHUNKED_HEAD % content_type + chunked(event))
        await writer.drain()
        await asyncio.sleep(DRIP_SECONDS)  # the first event arrives on its own
        writer.write(case.broken)
        await writer.drain()
        for _ in range(DRIPS if case.drip else 0):
            await asyncio.sleep(DRIP_SECONDS)
            writer.write(case.drip)
            await writer.drain()
        await asyncio.sleep(3600 if not case.drip else 0)
        writer.close()

    async with raw_server(respond) as (base, _seen), aiohttp.ClientSession() as session:
        chat = _provider(kind, base, session)
        model = {"chatgptfree": None, "openai": "m", "ollama": "qwen3:0.6b"}[kind]
        # A liveness bound, far above the idle limit: a hang fails here, not forever.
        return await asyncio.wait_for(collect(chat, model), 20 * IDLE + 5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_malformed_chunked_body_ends_the_reply(kind: str, case: Malformed) -> None:
    text, exc = await _play(kind, case)
    assert text == "Partial"
    assert isinstance(exc, case.error), repr(exc)
    assert_one_sentence(exc)


async def test_the_watchdog_leaves_a_slow_but_steady_stream_alone() -> None:
    """Gaps shorter than the idle limit, for longer than it in all: the reply completes."""
    pieces = [sse([chunk(f"{i} ")], done=False) for i in range(8)]

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(CHUNKED_HEAD % b"text/event-stream")
        for piece in pieces:
            writer.write(chunked(piece))
            await writer.drain()
            await asyncio.sleep(IDLE / 3)
        done = sse([chunk(finish="stop")])
        writer.write(chunked(done) + b"0\r\n\r\n")
        await writer.drain()

    async with raw_server(respond) as (base, _seen), aiohttp.ClientSession() as session:
        text, exc = await asyncio.wait_for(collect(_provider("openai", base, session), "m"), 30)
    assert exc is None, exc
    assert text == "".join(f"{i} " for i in range(8))


async def test_a_model_list_that_never_ends_is_bounded_too() -> None:
    """The model list (a small answer read whole) is watched as well."""

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(
            CHUNKED_HEAD % b"application/json" + chunked(json.dumps({"data": []})[:5].encode())
        )
        writer.write(b"1")
        for _ in range(DRIPS):
            await asyncio.sleep(DRIP_SECONDS)
            writer.write(b"1")
            await writer.drain()

    async with raw_server(respond) as (base, _seen), aiohttp.ClientSession() as session:
        chat = _provider("openai", base, session)
        with pytest.raises(errors.ProviderError) as caught:
            await asyncio.wait_for(chat.models(), 20 * IDLE + 5)
    assert_one_sentence(caught.value)


async def test_time_the_consumer_takes_is_not_the_servers_silence() -> None:
    """A slow reader (a window busy painting) between two reads is no idle server."""
    from deskchat.provider import TextDelta, stream_events

    pieces = [sse([chunk(f"{i} ")], done=False) for i in range(4)]

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(CHUNKED_HEAD % b"text/event-stream")
        for piece in pieces:
            writer.write(chunked(piece))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(chunked(sse([chunk(finish="stop")])) + b"0\r\n\r\n")
        await writer.drain()

    texts: list[str] = []
    async with raw_server(respond) as (base, _seen), aiohttp.ClientSession() as session:
        chat = _provider("openai", base, session)
        async for event in stream_events(chat, "m", [{"role": "user", "content": "hi"}]):
            if isinstance(event, TextDelta):
                texts.append(event.text)
                await asyncio.sleep(IDLE * 2)
    assert "".join(texts) == "0 1 2 3 "
