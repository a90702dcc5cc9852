"""Ollama against a real aiohttp server on 127.0.0.1 speaking Ollama's NDJSON chat API."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from deskchat.provider import errors
from deskchat.provider.errors import IncompleteReplyError, ServerReportedError
from deskchat.provider.events import FinishEvent, ReasoningDelta, TextDelta, UsageEvent
from deskchat.provider.ollama import Ollama, OllamaStreamParser
from tests.fakes.ollama_server import FakeOllama, line, ndjson, ndjson_reply
from tests.fakes.openai_server import Reply, json_reply, split_randomly
from tests.fakes.scripted import serving
from tests.provider.streams import HELLO, collect_until_error, text_of

SEEDS = [0, 1, 3, 42]


@pytest.fixture
def fake() -> FakeOllama:
    return FakeOllama()


@pytest.fixture
async def base_url(fake: FakeOllama):
    async with serving(fake.app) as url:
        yield url


async def collect(provider: Ollama, model: str | None = "qwen3:0.6b", **params) -> list:
    return [e async for e in provider.create_async_generator(model, HELLO, **params)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
async def test_stream_split_anywhere(fake, base_url, session, seed, newline):
    body = ndjson(
        [
            line("", thinking="Hmm, "),
            line("", thinking="a greeting."),
            line("Héllo"),
            line("\u2028wörld"),
            line(done=True, done_reason="stop", prompt_eval_count=11, eval_count=4),
        ],
        newline=newline,
    )
    fake.reply_with(ndjson_reply(body, seed=seed))
    events = await collect(Ollama(base_url, session))
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [
        ReasoningDelta("Hmm, "),
        ReasoningDelta("a greeting."),
    ]
    assert text_of(events) == "Héllo\u2028wörld"
    assert events[-2:] == [UsageEvent(11, 4), FinishEvent("stop")]


async def test_last_line_without_newline_and_bom(fake, base_url, session):
    body = b"\xef\xbb\xbf" + ndjson([line("a")]) + ndjson([line(done=True, done_reason="length")])
    fake.reply_with(ndjson_reply(body.rstrip(b"\n"), seed=2))
    events = await collect(Ollama(base_url, session))
    assert text_of(events) == "a"
    assert events[-1] == FinishEvent("length")


async def test_request_body_maps_params(fake, base_url, session):
    await collect(
        Ollama(base_url, session),
        "llama3.2:1b",
        temperature=0.3,
        max_tokens=20,
        top_p=0.5,
        seed=None,
        think=True,
        system="Be brief.",
    )
    body = fake.requests[-1]["json"]
    assert body["model"] == "llama3.2:1b"
    assert body["stream"] is True
    assert body["think"] is True
    assert body["options"] == {"temperature": 0.3, "num_predict": 20, "top_p": 0.5}
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_no_model_uses_the_first_installed(fake, base_url, session):
    await collect(Ollama(base_url, session), None)
    assert [r["path"] for r in fake.requests] == ["/api/tags", "/api/chat"]
    assert fake.requests[-1]["json"]["model"] == "qwen3:0.6b"


async def test_openai_style_base_url_is_accepted(fake, base_url, session):
    events = await collect(Ollama(base_url + "/v1/", session))
    assert text_of(events) == "Hi"


async def test_error_line_mid_stream(fake, base_url, session):
    body = ndjson([line("partial"), {"error": "model runner has unexpectedly stopped"}])
    fake.reply_with(ndjson_reply(body, seed=1))
    seen, exc = await collect_until_error(Ollama(base_url, session))
    assert text_of(seen) == "partial"
    assert isinstance(exc, ServerReportedError)
    assert "model runner has unexpectedly stopped" in exc.text()


async def test_invalid_json_line(fake, base_url, session):
    fake.reply_with(ndjson_reply(b"{broken\n"))
    seen, exc = await collect_until_error(Ollama(base_url, session))
    assert isinstance(exc, errors.ProtocolError)
    assert "not valid JSON" in exc.text()


async def test_cut_without_done_keeps_text(fake, base_url, session):
    fake.reply_with(ndjson_reply(ndjson([line("so far")]), seed=4))
    seen, exc = await collect_until_error(Ollama(base_url, session))
    assert text_of(seen) == "so far"
    assert isinstance(exc, IncompleteReplyError)


async def test_empty_body_is_an_empty_reply_error(fake, base_url, session):
    fake.reply_with(Reply(chunks=[], headers={"Content-Type": "application/x-ndjson"}))
    seen, exc = await collect_until_error(Ollama(base_url, session))
    assert seen == []
    assert isinstance(exc, errors.EmptyReplyError)


async def test_connection_dropped(fake, base_url, session):
    body = ndjson([line("a" * 50), line("b" * 50), line(done=True)])
    fake.reply_with(Reply(chunks=split_randomly(body, 5, max_size=40), cut_after=2))
    seen, exc = await collect_until_error(Ollama(base_url, session))
    assert isinstance(exc, errors.StreamInterruptedError)


@pytest.mark.parametrize(
    ("status", "cls", "said"),
    [
        (404, errors.NotFoundError, "model 'nope' not found, try pulling it first"),
        (500, errors.ServerError, "llama runner process has terminated"),
        (401, errors.AuthenticationError, "unauthorized"),
        (429, errors.RateLimitError, "too many requests"),
    ],
)
async def test_http_errors(fake, base_url, session, status, cls, said):
    fake.reply_with(json_reply({"error": said}, status=status))
    seen, exc = await collect_until_error(Ollama(base_url, session))
    assert isinstance(exc, cls)
    assert said in exc.text()
    assert exc.text().startswith("Ollama (127.0.0.1:")


async def test_models_via_tags(fake, base_url, session):
    assert await Ollama(base_url, session).models() == ["qwen3:0.6b", "llama3.2:1b"]


async def test_models_from_a_server_that_is_not_ollama(fake, base_url, session):
    fake.listing = json_reply({"data": []})
    with pytest.raises(errors.ProtocolError, match="Ollama server"):
        await Ollama(base_url, session).models()


async def test_closing_the_reply_early_drops_the_connection(fake, base_url, session, monkeypatch):
    fake.reply_with(ndjson_reply(ndjson([line("first")]), ping_forever=b"\n"))
    closed: list[bool] = []
    real_close = aiohttp.ClientResponse.close

    def spy(response: aiohttp.ClientResponse) -> None:
        closed.append(True)
        real_close(response)

    monkeypatch.setattr(aiohttp.ClientResponse, "close", spy)
    stream = Ollama(base_url, session).create_async_generator("m", HELLO)
    assert await anext(stream) == TextDelta("first")
    await stream.aclose()
    # Closed during aclose() itself, not later when a finalizer gets round to it.
    assert closed == [True]
    await asyncio.wait_for(fake.disconnected.wait(), timeout=10)


async def test_api_key_is_sent_and_never_shown(fake, base_url, session):
    key = "ollama-proxy-key-123456"
    fake.reply_with(json_reply({"error": f"key {key} is not allowed"}, status=403))
    seen, exc = await collect_until_error(Ollama(base_url, session, api_key=key))
    assert fake.requests[-1]["headers"]["Authorization"] == f"Bearer {key}"
    assert key not in str(exc)
    assert key not in exc.body


def test_parser_ignores_lines_after_done():
    parser = OllamaStreamParser("srv")
    body = ndjson([line("x"), line(done=True), "garbage after the end"])
    events = [e for piece in split_randomly(body, 6, max_size=4) for e in parser.feed(piece)]
    events += parser.finish()
    assert events == [TextDelta("x"), FinishEvent("stop")]
