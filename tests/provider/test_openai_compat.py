"""OpenAICompatible against a real aiohttp server on 127.0.0.1 speaking the OpenAI protocol."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from deskchat.provider import errors
from deskchat.provider.errors import (
    ContextOverflowError,
    IncompleteReplyError,
    ServerReportedError,
)
from deskchat.provider.events import FinishEvent, ReasoningDelta, TextDelta, UsageEvent
from deskchat.provider.openai_compat import ChatCompletionStreamParser, OpenAICompatible
from tests.fakes.openai_server import (
    FakeOpenAI,
    Reply,
    chunk,
    http_file_reply,
    json_reply,
    split_randomly,
    sse,
    stream_reply,
)
from tests.fakes.scripted import serving
from tests.fixtures import LLAMA_CPP as LLAMA
from tests.provider.streams import HELLO, collect_until_error, text_of

SEEDS = [0, 1, 2, 7, 42]


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
async def base_url(fake: FakeOpenAI):
    async with serving(fake.app, "/v1") as url:
        yield url


async def collect(provider: OpenAICompatible, model: str | None = "m", **params) -> list:
    return [e async for e in provider.create_async_generator(model, HELLO, **params)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
async def test_stream_split_anywhere_with_any_line_ending(fake, base_url, session, seed, newline):
    body = sse(
        [chunk(role="assistant"), chunk("Hé"), chunk("llo\u2028 wörld"), chunk(finish="stop")],
        newline=newline,
    )
    fake.reply_with(stream_reply(body, seed=seed))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == "Héllo\u2028 wörld"
    assert events[-1] == FinishEvent("stop")


@pytest.mark.parametrize("seed", SEEDS)
async def test_sse_fields_comments_bom_and_multiline_data(fake, base_url, session, seed):
    first = json.dumps(chunk("one "))
    # A JSON object split over two data: lines is joined with LF, which JSON allows
    # between tokens (here before "choices").
    half = first.index('"choices"')
    raw = (
        "\ufeff: a comment\n"
        "retry: 100\n"
        f"event: message\nid: 7\ndata: {first[:half]}\ndata:{first[half:]}\n\n"
        f"data: {json.dumps(chunk('two'))}\nunknown: field\n\n"
        f": keep-alive\n\ndata: {json.dumps(chunk(finish='stop'))}\n\n"
        "data: [DONE]\n\n"
    )
    fake.reply_with(stream_reply(raw.encode(), seed=seed))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == "one two"


async def test_one_byte_at_a_time_splits_every_utf8_character(fake, base_url, session):
    body = sse([chunk("日本語 ✓ 😀"), chunk(finish="stop")], newline="\r\n")
    fake.reply_with(Reply(chunks=[body[i : i + 1] for i in range(len(body))]))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == "日本語 ✓ 😀"


async def test_silent_server_hits_the_idle_limit_and_keeps_text(fake, base_url, session):
    body = sse([chunk("before the silence")], done=False)
    fake.reply_with(Reply(chunks=[body, b"never sent"], hang_after=1))
    seen, exc = await collect_until_error(OpenAICompatible(base_url, session, idle_timeout=0.3))
    assert text_of(seen) == "before the silence"
    assert isinstance(exc, errors.IdleTimeoutError)
    assert "sent nothing for 0.3 seconds" in exc.text()


async def test_final_event_without_blank_line_is_kept(fake, base_url, session):
    body = sse([chunk("all "), chunk("there", finish="stop")], done=False, trailing_blank=False)
    fake.reply_with(stream_reply(body, seed=3))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == "all there"
    assert FinishEvent("stop") in events


async def test_done_ends_the_stream_and_later_bytes_are_ignored(fake, base_url, session):
    body = sse([chunk("a")]) + b"data: not json at all\n\n"
    fake.reply_with(stream_reply(body, seed=5))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == "a"


async def test_reasoning_usage_and_finish(fake, base_url, session):
    body = sse(
        [
            chunk(role="assistant"),
            chunk(reasoning="Let me think. "),
            chunk(reasoning="Done.", reasoning_key="reasoning"),
            chunk("42"),
            chunk(finish="stop"),
            chunk(usage={"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}),
        ]
    )
    fake.reply_with(stream_reply(body, seed=11))
    events = await collect(OpenAICompatible(base_url, session))
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [
        ReasoningDelta("Let me think. "),
        ReasoningDelta("Done."),
    ]
    assert text_of(events) == "42"
    assert events[-2:] == [FinishEvent("stop"), UsageEvent(12, 3)]


async def test_request_body_headers_and_params(fake, base_url, session):
    provider = OpenAICompatible(
        base_url, session, api_key="sk-test-123", extra_headers={"X-Title": "DeskChat"}
    )
    await collect(
        provider, "llama", temperature=0.2, max_tokens=16, top_p=0.9, seed=None, system="Be brief."
    )
    sent = fake.requests[-1]
    assert sent["headers"]["Authorization"] == "Bearer sk-test-123"
    assert sent["headers"]["X-Title"] == "DeskChat"
    body = sent["json"]
    assert body["model"] == "llama"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 16
    assert body["top_p"] == 0.9
    assert "seed" not in body
    assert "system" not in body


async def test_server_that_rejects_stream_options_is_asked_again_without(fake, base_url, session):
    refusal = {"error": {"message": "Unrecognized request argument supplied: stream_options"}}
    fake.reply_with(json_reply(refusal, status=400), stream_reply(sse([chunk("ok")])))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == "ok"
    assert "stream_options" in fake.requests[0]["json"]
    assert "stream_options" not in fake.requests[1]["json"]


async def test_other_400_errors_are_not_retried(fake, base_url, session):
    fake.reply_with(json_reply({"error": {"message": "temperature too high"}}, status=400))
    with pytest.raises(errors.APIStatusError, match="temperature too high"):
        await collect(OpenAICompatible(base_url, session))
    assert len(fake.requests) == 1


async def test_no_model_uses_the_first_listed(fake, base_url, session):
    await collect(OpenAICompatible(base_url, session), None)
    assert [r["path"] for r in fake.requests] == ["/v1/models", "/v1/chat/completions"]
    assert fake.requests[-1]["json"]["model"] == "tiny.gguf"


async def test_error_object_mid_stream_raises_with_its_message(fake, base_url, session):
    error = {"error": {"message": "The model crashed while generating.", "code": 500}}
    fake.reply_with(stream_reply(sse([chunk("partial"), error], done=False), seed=9))
    seen, exc = await collect_until_error(OpenAICompatible(base_url, session))
    assert isinstance(exc, ServerReportedError)
    assert "The model crashed while generating" in exc.text()
    assert text_of(seen) == "partial"
    assert exc.code == "500"


async def test_event_error_with_plain_text(fake, base_url, session):
    fake.reply_with(stream_reply(b"event: error\ndata: overloaded, come back later\n\n"))
    with pytest.raises(ServerReportedError, match="overloaded, come back later"):
        await collect(OpenAICompatible(base_url, session))


async def test_invalid_json_is_a_readable_protocol_error(fake, base_url, session):
    fake.reply_with(stream_reply(b"data: {not json\n\n", seed=1))
    with pytest.raises(errors.ProtocolError, match="not valid JSON.*not json"):
        await collect(OpenAICompatible(base_url, session))


async def test_stream_cut_after_text_keeps_text_then_raises(fake, base_url, session):
    fake.reply_with(stream_reply(sse([chunk("kept"), chunk(" too")], done=False)))
    seen, exc = await collect_until_error(OpenAICompatible(base_url, session))
    assert isinstance(exc, IncompleteReplyError)
    assert isinstance(exc, errors.StreamInterruptedError)
    assert "text received so far is kept" in exc.text()
    assert text_of(seen) == "kept too"


async def test_connection_dropped_mid_body(fake, base_url, session):
    body = sse([chunk("one"), chunk("two"), chunk("three")])
    fake.reply_with(Reply(chunks=split_randomly(body, 4, max_size=30), cut_after=3))
    with pytest.raises(errors.StreamInterruptedError):
        await collect(OpenAICompatible(base_url, session))


@pytest.mark.parametrize(
    ("status", "cls", "words"),
    [
        (401, errors.AuthenticationError, "check the API key"),
        (404, errors.NotFoundError, "check the base URL"),
        (429, errors.RateLimitError, "Try again in 7 seconds"),
        (500, errors.ServerError, "internal error"),
    ],
)
async def test_http_errors_become_readable(fake, base_url, session, status, cls, words):
    reply = json_reply({"error": {"message": f"Boom {status} from server"}}, status=status)
    reply.headers["Retry-After"] = "7"
    fake.reply_with(reply)
    with pytest.raises(cls) as info:
        await collect(OpenAICompatible(base_url, session, display_name="llama.cpp"))
    text = info.value.text()
    assert words in text
    assert f"Boom {status} from server" in text
    assert text.startswith("llama.cpp (127.0.0.1:")


async def test_api_key_never_appears_in_errors(fake, base_url, session):
    key = "sk-secret-abcdef123456"
    fake.reply_with(json_reply({"error": {"message": f"Incorrect API key provided: {key}"}}, 401))
    provider = OpenAICompatible(base_url, session, api_key=key)
    with pytest.raises(errors.AuthenticationError) as info:
        await collect(provider)
    assert key not in str(info.value)
    assert key not in info.value.text()
    assert key not in info.value.body
    assert key not in repr(provider)
    fake.listing = json_reply({"error": f"bad key {key}"}, 403)
    with pytest.raises(errors.AuthenticationError) as info:
        await provider.models()
    assert key not in str(info.value)


async def test_hosted_api_without_key_says_so(base_url, session, fake):
    provider = OpenAICompatible(base_url, session, display_name="OpenAI", requires_api_key=True)
    with pytest.raises(errors.ConfigurationError, match="OpenAI needs an API key"):
        await collect(provider)
    assert fake.requests == []


async def test_whole_json_reply_when_server_ignores_stream(fake, base_url, session):
    fake.reply_with(
        json_reply(
            {
                "choices": [
                    {"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 2, "completion_tokens": 1},
            }
        )
    )
    events = await collect(OpenAICompatible(base_url, session))
    assert events == [TextDelta("hi"), FinishEvent("stop"), UsageEvent(2, 1)]


async def test_models_listing(fake, base_url, session):
    fake.listing = json_reply({"data": [{"id": "a"}, {"id": "b"}, {"nope": 1}]})
    provider = OpenAICompatible(base_url, session, api_key="k-1")
    assert await provider.models() == ["a", "b"]
    assert fake.requests[-1]["headers"]["Authorization"] == "Bearer k-1"


async def test_models_listing_not_json_suggests_v1(fake, base_url, session):
    fake.listing = Reply(chunks=[b"<html>hi</html>"], headers={"Content-Type": "text/html"})
    with pytest.raises(errors.ProtocolError, match="/v1"):
        await OpenAICompatible(base_url, session).models()


async def test_closing_the_reply_early_drops_the_connection(fake, base_url, session, monkeypatch):
    fake.reply_with(stream_reply(sse([chunk("first")], done=False), ping_forever=b": ping\n\n"))
    closed: list[bool] = []
    real_close = aiohttp.ClientResponse.close

    def spy(response: aiohttp.ClientResponse) -> None:
        closed.append(True)
        real_close(response)

    monkeypatch.setattr(aiohttp.ClientResponse, "close", spy)
    stream = OpenAICompatible(base_url, session).create_async_generator("m", HELLO)
    assert await anext(stream) == TextDelta("first")
    await stream.aclose()
    # Closed during aclose() itself, not later when a finalizer gets round to it.
    assert closed == [True]
    await asyncio.wait_for(fake.disconnected.wait(), timeout=10)


async def test_cancelling_the_reply_drops_the_connection(fake, base_url, session):
    fake.reply_with(stream_reply(sse([chunk("first")], done=False), ping_forever=b": ping\n\n"))
    chat = OpenAICompatible(base_url, session)
    got_first = asyncio.Event()

    async def consume() -> None:
        async for _ in chat.create_async_generator("m", HELLO):
            got_first.set()

    task = asyncio.create_task(consume())
    await got_first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(fake.disconnected.wait(), timeout=10)


async def test_proxy_is_used(fake, base_url, session):
    # The fake doubles as a plain HTTP proxy: aiohttp sends it the absolute URL of
    # a host that does not exist, so only a proxied request can succeed.
    chat = OpenAICompatible("http://upstream.invalid/v1", session, proxy=base_url[: -len("/v1")])
    events = await collect(chat)
    assert text_of(events) == "Hi"
    assert fake.requests[-1]["headers"]["Host"] == "upstream.invalid"


async def test_unreachable_server_is_a_connection_error(session):
    provider = OpenAICompatible("http://127.0.0.1:9/v1", session)
    with pytest.raises(errors.APIConnectionError, match="Could not connect to 127.0.0.1"):
        await collect(provider)


async def test_works_without_an_injected_session(fake, base_url):
    events = await collect(OpenAICompatible(base_url))
    assert text_of(events) == "Hi"


def test_parser_handles_pieces_without_io():
    parser = ChatCompletionStreamParser("srv")
    body = sse([chunk("x"), chunk(finish="length")])
    events = [e for piece in split_randomly(body, 8, max_size=3) for e in parser.feed(piece)]
    events += parser.finish()
    assert events == [TextDelta("x"), FinishEvent("length")]
    assert parser.done
    assert parser.pending_error is None


# --- recorded llama.cpp fixtures ---------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
async def test_replay_recorded_llamacpp_stream(fake, base_url, session, seed):
    raw = (LLAMA / "chat-stream.sse").read_bytes()
    expected = ""
    for line in raw.decode().splitlines():
        if line.startswith("data: {"):
            delta = json.loads(line[6:])["choices"][0]["delta"]
            expected += delta.get("content") or ""
    fake.reply_with(stream_reply(raw, seed=seed))
    events = await collect(OpenAICompatible(base_url, session))
    assert text_of(events) == expected
    assert "\x1c" in text_of(events)  # control characters are passed on as the model sent them
    assert all(e.text for e in events if isinstance(e, TextDelta))  # empty deltas dropped
    assert events[-1] == FinishEvent("length")
    assert not any(isinstance(e, UsageEvent) for e in events)


@pytest.mark.parametrize("seed", [None, 0])
async def test_replay_context_overflow_says_so(fake, base_url, session, seed):
    fake.reply_with(http_file_reply(LLAMA / "context-overflow.http", seed=seed))
    with pytest.raises(ContextOverflowError, match="may exceed the model's context") as info:
        await collect(OpenAICompatible(base_url, session))
    assert isinstance(info.value, errors.EmptyReplyError)


@pytest.mark.parametrize("seed", [None, 2])
async def test_replay_500_validation_error(fake, base_url, session, seed):
    fake.reply_with(http_file_reply(LLAMA / "error-500-validation.http", seed=seed))
    with pytest.raises(errors.ServerError) as info:
        await collect(OpenAICompatible(base_url, session, display_name="llama.cpp"))
    assert info.value.status_code == 500
    assert "Input should be a valid list" in info.value.text()
    assert "\n" not in info.value.text()


async def test_replay_models_json(fake, base_url, session):
    fake.listing = Reply(
        chunks=[(LLAMA / "models.json").read_bytes()],
        headers={"Content-Type": "application/json"},
    )
    assert await OpenAICompatible(base_url, session).models() == ["tiny.gguf"]
