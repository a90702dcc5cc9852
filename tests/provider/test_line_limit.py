"""A line that never ends is refused at MAX_LINE, with a sentence (#12, point 11).

200 MB without a newline used to be held whole (the CLI peaked at 800 MB).
A line, and an event, may be as long as :data:`provider.sse.MAX_LINE`
characters, far above any real event; past it the reply stops with
:class:`provider.LineTooLongError`, keeping the text that arrived before.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from deskchat.provider import LineTooLongError, ReplyState, sse
from deskchat.provider.chatgptfree import ChatgptFree
from deskchat.provider.ollama import OllamaStreamParser
from deskchat.provider.openai_compat import ChatCompletionStreamParser
from tests.fakes.openai_server import chunk
from tests.fakes.openai_server import sse as sse_events
from tests.fakes.raw_http import RawRequest, raw_server
from tests.reliability.servers import KINDS, Target, collect
from tests.reliability.test_faults import assert_one_sentence


def _feed(parser: object, data: bytes, times: int) -> None:
    for _ in range(times):
        parser.feed(data)  # type: ignore[attr-defined]


def test_the_limit_is_far_above_any_real_event() -> None:
    assert sse.MAX_LINE == 16 * 1024 * 1024


def test_a_line_longer_than_the_limit_is_refused() -> None:
    decoder = sse.LineDecoder(max_line=100, what="The test server")
    assert decoder.feed(b"x" * 60) == []
    with pytest.raises(LineTooLongError) as caught:
        decoder.feed(b"y" * 60)
    text = caught.value.text()
    assert text.startswith("The test server sent a line of more than 100 characters")
    assert "the text received so far is kept" in text


def test_a_line_of_exactly_the_limit_passes() -> None:
    decoder = sse.LineDecoder(max_line=100)
    assert decoder.feed(b"x" * 50) == []
    assert decoder.feed(b"x" * 50 + b"\n") == ["x" * 100]
    assert decoder.feed(b"z" * 100) == []
    assert decoder.finish() == ["z" * 100]


def test_lines_finished_in_the_same_chunk_are_handed_out_first() -> None:
    decoder = sse.LineDecoder(max_line=100)
    assert decoder.feed(b"kept 1\nkept 2\n" + b"x" * 200) == ["kept 1", "kept 2"]
    with pytest.raises(LineTooLongError):
        decoder.feed(b"more")
    with pytest.raises(LineTooLongError):
        decoder.finish()


def test_an_event_of_many_data_lines_is_limited_too() -> None:
    decoder = sse.SSEDecoder(max_event=100, what="The test server")
    for _ in range(9):
        assert decoder.decode("data: " + "d" * 10) is None
    with pytest.raises(LineTooLongError) as caught:
        decoder.decode("data: " + "d" * 10)
    assert "event" in caught.value.text()


@pytest.mark.parametrize("make", [ChatCompletionStreamParser, OllamaStreamParser])
def test_the_parsers_refuse_an_endless_line_at_the_limit(make) -> None:  # type: ignore[no-untyped-def]
    parser = make("Example (127.0.0.1)")
    piece = b"x" * (1024 * 1024)
    with pytest.raises(LineTooLongError) as caught:
        _feed(parser, piece, sse.MAX_LINE // len(piece) + 2)
    assert caught.value.text().startswith("Example (127.0.0.1) sent a line of more than")
    assert_one_sentence(caught.value)


def test_many_pieces_make_one_whole_text() -> None:
    """The reply keeps its pieces in blocks; the text is every piece, in order."""
    state = ReplyState()
    pieces = [f"{i}," for i in range(50_000)] + ["\ud83d", "\ude00", "end"]
    for piece in pieces:
        state.handle(piece)
        if len(piece) == 5 and piece.startswith("2500"):
            assert state.text.endswith(piece)  # read while streaming, as the window does
    expected = "".join(pieces[:-3]) + "\U0001f600end"
    assert state.text == expected
    assert state.length == len(expected)


@pytest.mark.parametrize("kind", KINDS)
async def test_every_provider_stops_an_endless_line_and_keeps_the_text(kind: str) -> None:
    """The issue's case, at the real limit: a data line that never ends after some text."""
    if kind == "ollama":
        first, content_type = b'{"message":{"content":"Partial"},"done":false}\n', b"x-ndjson"
        endless = b'{"message":{"content":"'
    else:
        first, content_type = sse_events([chunk("Partial")], done=False), b"event-stream"
        endless = b'data: {"choices":[{"delta":{"content":"'
    if kind == "chatgptfree":
        first = b'data: {"choices":[{"delta":{"content":"Partial"}}]}\n\n'
    sent = 0
    block = b"x" * (256 * 1024)

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        if request.method == "GET":  # chatgptfree's page
            from tests.fakes.wordpress import PAGE

            page = PAGE.format(post_id="42", nonce="n0", url="").encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page))
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/%s\r\n\r\n" % content_type)
        writer.write(first + endless)
        await writer.drain()
        for _ in range(4 * sse.MAX_LINE // len(block)):
            writer.write(block)
            await writer.drain()
            sent += len(block)
        writer.close()

    async with raw_server(respond) as (base, _seen), aiohttp.ClientSession() as session:
        url = base + ("/v1" if kind == "openai" else "")
        chat = Target(kind, None, url, session).provider()
        model = {"chatgptfree": None, "openai": "m", "ollama": "qwen3:0.6b"}[kind]
        text, exc = await asyncio.wait_for(collect(chat, model), 60)
    assert text == "Partial"
    assert isinstance(exc, LineTooLongError), repr(exc)
    assert_one_sentence(exc)
    assert "16 MiB" in exc.text() or "16,777,216" in exc.text()
    assert sent < 4 * sse.MAX_LINE  # refused while the server was still sending


def test_chatgptfree_lines_kept_for_the_final_json_are_limited() -> None:
    from deskchat.provider.chatgptfree import ChatgptFreeReplyParser as ReplyParser

    parser = ReplyParser("chatgptfree.ai")
    line = b'{"a": "' + b"k" * 1000 + b'"}\n'
    with pytest.raises(LineTooLongError):
        _feed(parser, line, sse.MAX_LINE // 1000 + 10)
    assert ChatgptFree  # the provider that uses this parser
