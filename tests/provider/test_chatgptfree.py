"""ChatgptFree against a real local server: streaming, errors, timeouts, Stop."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskchat.provider import ChatgptFree, errors
from deskchat.provider.chatgptfree import ChatgptFreeReplyParser
from tests.fakes.wordpress import (
    FakeWordPress,
    Script,
    final_json,
    split_randomly,
    sse_body,
    stream,
)
from tests.provider.seed_reference import SeedChatgptFree, seed_prompt

HOST = "127.0.0.1"
HELLO = [{"role": "user", "content": "Hello"}]
TEXTS = ["Привет", ", мир! ", "\U0001f600 emoji", " 中文 ", "line\nbreak", "\u2028 and \u0085 kept"]

MakeProvider = Callable[..., ChatgptFree]


async def collect(chat: ChatgptFree, messages: Any = HELLO) -> list[str]:
    """Every chunk the provider yields for ``messages``."""
    return [chunk async for chunk in chat.create_async_generator(None, messages)]


async def failure(chat: ChatgptFree, got: list[str] | None = None) -> errors.ProviderError:
    """The ProviderError a run ends with (chunks yielded before it go to ``got``)."""
    sink: list[str] = [] if got is None else got

    async def drain() -> None:
        async for chunk in chat.create_async_generator(None, HELLO):
            sink.append(chunk)

    with pytest.raises(errors.ProviderError) as info:
        await drain()
    return info.value


def assert_sentence(exc: errors.ProviderError, host: str = HOST) -> None:
    """The message is a readable sentence that names the host, not a traceback."""
    text = exc.text()
    assert text == str(exc) == exc.message
    assert host in text
    assert text[0].isupper() or text.startswith(host)
    assert text.rstrip().endswith((".", "!", "?")) or ": " in text
    assert "Traceback" not in text
    assert len(text) < 500


def error_body(obj: object, status: int = 200) -> Script:
    return Script(chunks=[json.dumps(obj).encode()], status=status)


@pytest.fixture(params=["private-session", "injected-session"])
async def make(request: pytest.FixtureRequest, wordpress: str) -> AsyncIterator[MakeProvider]:
    """Build providers for the fake site, with their own session or a shared one."""
    if request.param == "private-session":
        yield lambda **kwargs: ChatgptFree(wordpress, **kwargs)
        return
    async with aiohttp.ClientSession() as session:
        yield lambda **kwargs: ChatgptFree(wordpress, session=session, **kwargs)
        assert not session.closed


# --- streaming ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
async def test_streams_every_delta_split_at_random_places(
    fake_site: FakeWordPress, make: MakeProvider, seed: int
) -> None:
    fake_site.reply = stream(TEXTS, seed=seed)
    assert await collect(make()) == TEXTS
    (post,) = fake_site.posts
    assert post["form"]["_wpnonce"] == "nonce1"
    assert post["form"]["post_id"] == "42"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"], ids=["CRLF", "CR", "LF"])
@pytest.mark.parametrize("seed", range(4))
async def test_line_ends_split_anywhere(
    fake_site: FakeWordPress, wordpress: str, newline: str, seed: int
) -> None:
    fake_site.reply = stream(TEXTS, seed=seed, newline=newline)
    assert await collect(ChatgptFree(wordpress)) == TEXTS


async def test_one_byte_per_chunk(fake_site: FakeWordPress, wordpress: str) -> None:
    body = sse_body(["\U0001f600", "é"], newline="\r\n")
    fake_site.reply = Script(chunks=[body[i : i + 1] for i in range(len(body))])
    assert await collect(ChatgptFree(wordpress)) == ["\U0001f600", "é"]


async def test_comments_role_only_deltas_and_sse_fields_yield_nothing(
    fake_site: FakeWordPress, wordpress: str
) -> None:
    role = json.dumps({"choices": [{"delta": {"role": "assistant"}}]})
    empty = json.dumps({"choices": [{"delta": {"content": ""}}]})
    none = json.dumps({"choices": [{"delta": {"content": None}, "finish_reason": "stop"}]})
    text = json.dumps({"choices": [{"delta": {"content": "only this"}}]})
    body = (
        f": ping\n\nevent: message\nid: 3\nretry: 10\ndata: {role}\n\n: more\n"
        f"data: {empty}\n\ndata:{text}\n\ndata: {none}\n\ndata: {json.dumps({'choices': []})}\n\n"
        "data: [DONE]\n\n"
    ).encode()
    fake_site.reply = Script(chunks=split_randomly(body, 7))
    assert await collect(ChatgptFree(wordpress)) == ["only this"]


async def test_nothing_after_done_is_read(fake_site: FakeWordPress, wordpress: str) -> None:
    body = sse_body(["kept"]) + b'data: {"choices":[{"delta":{"content":"after"}}]}\n\n'
    fake_site.reply = Script(chunks=[body])
    assert await collect(ChatgptFree(wordpress)) == ["kept"]


async def test_a_bom_at_the_start_is_ignored(fake_site: FakeWordPress, wordpress: str) -> None:
    body = b"\xef\xbb\xbf" + sse_body(["x"], comment=False, role_first=False)
    fake_site.reply = Script(chunks=[body[:1], body[1:]])
    assert await collect(ChatgptFree(wordpress)) == ["x"]


async def test_a_delta_longer_than_a_megabyte(fake_site: FakeWordPress, wordpress: str) -> None:
    big = "é\U0001f600ab" * 200_000
    body = sse_body([big, "end"])
    assert len(body) > 1024 * 1024
    fake_site.reply = Script(chunks=split_randomly(body, 3, max_size=70_000))
    assert await collect(ChatgptFree(wordpress)) == [big, "end"]


@pytest.mark.parametrize("seed", range(6))
async def test_final_json_reply(fake_site: FakeWordPress, make: MakeProvider, seed: int) -> None:
    body = json.dumps({"status": "success", "data": "Whole reply, ответ \U0001f600"}).encode()
    fake_site.reply = Script(chunks=split_randomly(body, seed, max_size=5))
    assert await collect(make()) == ["Whole reply, ответ \U0001f600"]


async def test_final_json_reply_over_several_crlf_lines(
    fake_site: FakeWordPress, wordpress: str
) -> None:
    body = json.dumps({"status": "success", "data": "pretty"}, indent=2).replace("\n", "\r\n")
    fake_site.reply = Script(chunks=split_randomly(body.encode(), 1, max_size=3))
    assert await collect(ChatgptFree(wordpress)) == ["pretty"]


async def test_final_json_helper_of_the_fake(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.reply = final_json("from the helper")
    assert await collect(ChatgptFree(wordpress)) == ["from the helper"]


async def test_nonce_is_fetched_once_and_reused(
    fake_site: FakeWordPress, make: MakeProvider
) -> None:
    chat = make()
    fake_site.nonce_rotates = False
    assert await collect(chat) == ["Hello", ", world"]
    assert await collect(chat) == ["Hello", ", world"]
    assert fake_site.page_loads == 1
    assert [p["form"]["_wpnonce"] for p in fake_site.posts] == ["nonce1", "nonce1"]


# --- what the service says --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"status": "error", "msg": "Your message is too long."}, "Your message is too long."),
        ({"status": "success", "data": {"msg": "Quota exhausted for today."}}, "Quota exhausted"),
        ({"error": {"message": "Model overloaded."}}, "Model overloaded."),
    ],
    ids=["status-error", "data-msg", "error-object"],
)
async def test_service_refusals_become_service_errors(
    fake_site: FakeWordPress, make: MakeProvider, body: object, words: str
) -> None:
    fake_site.reply = error_body(body)
    exc = await failure(make())
    assert type(exc) is errors.ServiceError
    assert words in exc.message
    assert_sentence(exc)
    assert len(fake_site.posts) == 1


async def test_token_limit_reached(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.reply = error_body({"data": {"tokenLimitReached": True, "msg": "Come back tomorrow"}})
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.ServiceError
    assert "limit" in exc.message
    assert "Come back tomorrow" in exc.message
    assert_sentence(exc)


async def test_an_error_inside_the_stream_after_text(
    fake_site: FakeWordPress, wordpress: str
) -> None:
    body = sse_body(["partial"], done=False) + b'data: {"status":"error","msg":"Rate cap hit"}\n\n'
    fake_site.reply = Script(chunks=split_randomly(body, 5))
    got: list[str] = []
    exc = await failure(ChatgptFree(wordpress), got)
    assert got == ["partial"]
    assert type(exc) is errors.ServiceError
    assert "Rate cap hit" in exc.message


async def test_empty_reply(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.reply = stream([])
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.EmptyReplyError
    assert_sentence(exc)


async def test_a_web_page_instead_of_a_reply(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.reply = Script(chunks=[b"<!DOCTYPE html>\n<html><body>Maintenance</body></html>\n"])
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.ProtocolError
    assert_sentence(exc)


async def test_a_broken_data_line(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.reply = Script(chunks=[b"data: {not json\n\n"])
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.ProtocolError
    assert_sentence(exc)


# --- the nonce ------------------------------------------------------------------


async def test_stale_nonce_is_refreshed_and_retried_once(
    fake_site: FakeWordPress, make: MakeProvider
) -> None:
    fake_site.stale_posts = 1
    assert await collect(make()) == ["Hello", ", world"]
    assert fake_site.page_loads == 2
    assert [p["form"]["_wpnonce"] for p in fake_site.posts] == ["nonce1", "nonce2"]


async def test_cached_nonce_gone_stale_is_refreshed(
    fake_site: FakeWordPress, wordpress: str
) -> None:
    chat = ChatgptFree(wordpress)
    assert await collect(chat) == ["Hello", ", world"]
    fake_site.page_loads += 1  # the site rotated its nonce meanwhile
    assert await collect(chat) == ["Hello", ", world"]
    assert [p["form"]["_wpnonce"] for p in fake_site.posts] == ["nonce1", "nonce1", "nonce3"]


@pytest.mark.parametrize(
    "script",
    [
        Script(chunks=[b"0"], status=400),
        Script(
            chunks=[b'{"status":"error","msg":"Nonce has expired, refresh the page"}'], status=403
        ),
        Script(chunks=[b'{"status":"error","msg":"Security check failed"}']),
        Script(chunks=[b"-1"]),
    ],
    ids=["400-zero", "403-json-msg", "200-json-msg", "200-minus-one"],
)
async def test_stale_nonce_shapes_are_retried(
    fake_site: FakeWordPress, wordpress: str, script: Script
) -> None:
    fake_site.reply = [script, stream(["fresh"])]
    assert await collect(ChatgptFree(wordpress)) == ["fresh"]
    assert len(fake_site.posts) == 2
    assert fake_site.page_loads == 2


async def test_stale_twice_is_an_error(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.stale_posts = 5
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.StaleNonceError
    assert isinstance(exc, errors.ServiceError)
    assert "again" in exc.message
    assert_sentence(exc)
    assert len(fake_site.posts) == 2
    assert fake_site.page_loads == 2


@pytest.mark.parametrize(
    "tail",
    [b"-1\n", b'data: {"status":"error","msg":"Nonce expired"}\n\n'],
    ids=["minus-one", "expired-msg"],
)
async def test_no_retry_after_text_was_yielded(
    fake_site: FakeWordPress, wordpress: str, tail: bytes
) -> None:
    fake_site.reply = Script(chunks=[sse_body(["half"], done=False), tail])
    got: list[str] = []
    exc = await failure(ChatgptFree(wordpress), got)
    assert got == ["half"]
    assert isinstance(exc, errors.ServiceError)
    assert_sentence(exc)
    assert len(fake_site.posts) == 1
    assert fake_site.page_loads == 1


# --- the page -------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"cf-ray": "8a1b2c3d4e-AMS", "Server": "cloudflare"}])
async def test_page_without_widget(
    fake_site: FakeWordPress, make: MakeProvider, headers: dict[str, str]
) -> None:
    # A site behind Cloudflare sends cf-ray on every page: that alone is no challenge.
    fake_site.page_html = "<!doctype html><html><body>We moved!</body></html>"
    fake_site.page_headers = headers
    exc = await failure(make())
    assert type(exc) is errors.WidgetNotFoundError
    assert_sentence(exc)
    assert fake_site.posts == []


CHALLENGE = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"


@pytest.mark.parametrize(
    ("status", "headers", "html"),
    [
        (403, {"cf-ray": "8a1b2c3d4e-AMS", "Server": "cloudflare"}, CHALLENGE),
        (503, {"cf-ray": "8a1b2c3d4e-AMS"}, "<html><body>checking your browser</body></html>"),
        (403, {}, CHALLENGE),
        (200, {"cf-ray": "8a1b2c3d4e-AMS"}, CHALLENGE),
    ],
    ids=["403-cf-ray-just-a-moment", "503-cf-ray", "403-just-a-moment", "200-just-a-moment"],
)
async def test_cloudflare_challenge_page(
    fake_site: FakeWordPress, wordpress: str, status: int, headers: dict[str, str], html: str
) -> None:
    fake_site.page_status = status
    fake_site.page_headers = headers
    fake_site.page_html = html
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.CloudflareChallengeError
    assert exc.status_code == status
    assert "Cloudflare" in exc.message
    assert_sentence(exc)


async def test_cloudflare_on_the_post(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.reply = Script(chunks=[CHALLENGE.encode()], status=403, headers={"cf-ray": "x"})
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.CloudflareChallengeError
    assert_sentence(exc)


# --- HTTP statuses --------------------------------------------------------------


async def test_rate_limited_with_retry_after(fake_site: FakeWordPress, make: MakeProvider) -> None:
    fake_site.reply = Script(
        chunks=[b"Too many requests"], status=429, headers={"Retry-After": "7"}
    )
    exc = await failure(make())
    assert type(exc) is errors.RateLimitError
    assert exc.retry_after == 7
    assert exc.retryable
    assert "7 seconds" in exc.message
    assert_sentence(exc)


async def test_rate_limited_page(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.page_status = 429
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.RateLimitError
    assert exc.retry_after is None
    assert_sentence(exc)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors(fake_site: FakeWordPress, wordpress: str, status: int) -> None:
    fake_site.reply = Script(chunks=[b'{"message": "upstream broke"}'], status=status)
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.ServerError
    assert exc.status_code == status
    assert "upstream broke" in exc.message
    assert_sentence(exc)


async def test_page_not_found(fake_site: FakeWordPress, wordpress: str) -> None:
    fake_site.page_status = 404
    exc = await failure(ChatgptFree(wordpress))
    assert type(exc) is errors.NotFoundError
    assert_sentence(exc)


# --- the network ----------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def test_connection_refused() -> None:
    exc = await failure(ChatgptFree(f"http://{HOST}:{closed_port()}"))
    assert type(exc) is errors.APIConnectionError
    assert exc.retryable
    assert "Could not connect" in exc.message
    assert_sentence(exc)


async def test_unknown_host() -> None:
    host = "deskchat-no-such-site.invalid"
    exc = await failure(ChatgptFree(f"http://{host}"))
    assert type(exc) is errors.APIConnectionError
    assert "Could not find the server" in exc.message
    assert_sentence(exc, host)


@pytest.mark.parametrize("hang_after", [0, 2])
async def test_idle_stream_times_out(
    fake_site: FakeWordPress, make: MakeProvider, hang_after: int
) -> None:
    body = sse_body(["one", "two"], comment=False, role_first=False, done=False)
    first = body.index(b"\n\n") + 2
    fake_site.reply = Script(chunks=[body[:first], body[first:]], hang_after=hang_after)
    got: list[str] = []
    exc = await failure(make(idle_timeout=0.5), got)
    assert type(exc) is errors.IdleTimeoutError
    assert exc.seconds == 0.5
    assert "0.5 seconds" in exc.message
    assert_sentence(exc)
    assert got == (["one", "two"] if hang_after == 2 else [])


async def test_page_that_never_answers_times_out(
    fake_site: FakeWordPress, wordpress: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()

    async def silent_page(request: aiohttp.web.Request) -> aiohttp.web.Response:
        await release.wait()
        return aiohttp.web.Response(text="late")

    # The route holds the fake's bound method: swap the route's handler.
    for route in fake_site.app.router.routes():
        if route.method == "GET":
            monkeypatch.setattr(route, "_handler", silent_page)
    try:
        exc = await failure(ChatgptFree(wordpress, idle_timeout=0.5))
    finally:
        release.set()
    assert type(exc) is errors.IdleTimeoutError
    assert_sentence(exc)


@pytest.mark.parametrize("cut_after", [1, 3])
async def test_connection_cut_mid_stream(
    fake_site: FakeWordPress, make: MakeProvider, cut_after: int
) -> None:
    body = sse_body(["a", "b", "c", "d"], comment=False, role_first=False)
    events = [part + b"\n\n" for part in body.split(b"\n\n") if part]
    fake_site.reply = Script(chunks=events, cut_after=cut_after)
    got: list[str] = []
    exc = await failure(make(), got)
    assert type(exc) is errors.StreamInterruptedError
    assert got == ["a", "b", "c", "d"][:cut_after]
    assert "kept" in exc.message
    assert_sentence(exc)


# --- Stop and the session's life ----------------------------------------------------


def hanging_stream() -> Script:
    body = sse_body(["first", "second"], comment=False, role_first=False)
    first = body.index(b"\n\n") + 2
    return Script(chunks=[body[:first], body[first:]], hang_after=1)


async def test_cancelling_the_consumer_closes_the_connection(
    fake_site: FakeWordPress, make: MakeProvider
) -> None:
    fake_site.reply = hanging_stream()
    got: list[str] = []
    arrived = asyncio.Event()

    async def consume() -> None:
        async for chunk in make().create_async_generator(None, HELLO):
            got.append(chunk)
            arrived.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(arrived.wait(), 10)
    assert not fake_site.cancelled.is_set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert got == ["first"]
    await asyncio.wait_for(fake_site.cancelled.wait(), 5)


async def test_break_and_aclose_close_the_connection(
    fake_site: FakeWordPress, make: MakeProvider
) -> None:
    fake_site.reply = hanging_stream()
    gen = make().create_async_generator(None, HELLO)
    async for chunk in gen:
        assert chunk == "first"
        break
    assert not fake_site.cancelled.is_set()
    await gen.aclose()
    await asyncio.wait_for(fake_site.cancelled.wait(), 5)


async def test_injected_session_stays_open(wordpress: str) -> None:
    async with aiohttp.ClientSession() as session:
        chat = ChatgptFree(wordpress, session=session)
        assert await collect(chat) == ["Hello", ", world"]
        assert not session.closed
        assert await collect(chat) == ["Hello", ", world"]


@pytest.mark.parametrize("outcome", ["success", "error", "cancel"])
async def test_private_session_is_closed(
    fake_site: FakeWordPress, wordpress: str, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    made: list[aiohttp.ClientSession] = []
    real = aiohttp.ClientSession

    def recording(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        session = real(*args, **kwargs)
        made.append(session)
        return session

    # provider.http imports aiohttp when it makes a session: patch it where it is looked up.
    monkeypatch.setattr(aiohttp, "ClientSession", recording)
    chat = ChatgptFree(wordpress)
    if outcome == "success":
        assert await collect(chat) == ["Hello", ", world"]
    elif outcome == "error":
        fake_site.reply = Script(chunks=[b"oops"], status=500)
        await failure(chat)
    else:
        fake_site.reply = hanging_stream()
        gen = chat.create_async_generator(None, HELLO)
        assert await anext(gen) == "first"
        await gen.aclose()
    assert len(made) == 1
    assert made[0].closed


# --- the same text as the seed's algorithm ------------------------------------------

SEED_CASES: dict[str, tuple[list[dict[str, str]], Script]] = {
    "single-message": (
        [{"role": "user", "content": "Say hello"}],
        stream(["Hello", " there", "!"]),
    ),
    "multi-message-crlf": (
        [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "How are you?"},
        ],
        stream(["I am ", "fine, ", "thanks."], newline="\r\n"),
    ),
    "final-json": (
        [{"role": "user", "content": "Whole answer please"}],
        final_json("One piece, all at once."),
    ),
    "non-ascii": (
        [
            {"role": "user", "content": "Привет! Как дела? \U0001f600 你好"},
            {"role": "assistant", "content": "Хорошо 👍"},
            {"role": "user", "content": "日本語で？"},
        ],
        stream(["Отлично", " \U0001f680\U0001f468\u200d\U0001f469", " 中文", "、日本語。", "é"]),
    ),
    "non-ascii-final-json": (
        [{"role": "user", "content": "Ответь целиком"}],
        final_json("Целиком: \U0001f600 — 完了"),
    ),
}


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("case", list(SEED_CASES))
async def test_same_text_as_the_seed_algorithm(
    fake_site: FakeWordPress, wordpress: str, case: str, seed: int
) -> None:
    messages, script = SEED_CASES[case]
    body = b"".join(script.chunks)
    fake_site.reply = Script(chunks=split_randomly(body, seed, max_size=9), headers=script.headers)

    reference = [c async for c in SeedChatgptFree(wordpress).create_async_generator(None, messages)]
    ours = [c async for c in ChatgptFree(wordpress).create_async_generator(None, messages)]

    assert reference  # the case exercises real text, not two empty answers
    assert "".join(ours) == "".join(reference)
    # Both sent the same form, the prompt included, each with the nonce it loaded.
    seed_post, our_post = (p["form"] for p in fake_site.posts)
    assert seed_post["message"] == seed_prompt(messages)
    assert {**our_post, "_wpnonce": ""} == {**seed_post, "_wpnonce": ""}
    assert (seed_post["_wpnonce"], our_post["_wpnonce"]) == ("nonce1", "nonce2")


# --- the reply parser alone (no I/O) ------------------------------------------------


def parse(chunks: list[bytes]) -> list[str]:
    parser = ChatgptFreeReplyParser("example.test")
    out: list[str] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
        if parser.done:
            break
    out.extend(parser.finish())
    return out


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=40),
)
def test_parser_any_chunking_gives_every_delta(
    texts: list[str], newline: str, cuts: list[int]
) -> None:
    body = sse_body(texts, newline=newline)
    points = sorted({0, len(body), *(c for c in cuts if c <= len(body))})
    chunks = [body[a:b] for a, b in zip(points, points[1:], strict=False)]
    assert parse(chunks) == texts


def test_parser_error_right_after_text_in_one_chunk_keeps_the_text() -> None:
    parser = ChatgptFreeReplyParser("example.test")
    body = sse_body(["kept"], done=False) + b'data: {"status":"error","msg":"Stop"}\n\n'
    assert parser.feed(body) == ["kept"]
    with pytest.raises(errors.ServiceError, match="Stop"):
        parser.finish()


async def test_page_that_stalls_halfway_times_out(
    fake_site: FakeWordPress, wordpress: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()

    async def stalling_page(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<!doctype html><html><body><div class=")
        await release.wait()
        return response

    for route in fake_site.app.router.routes():
        if route.method == "GET":
            monkeypatch.setattr(route, "_handler", stalling_page)
    try:
        exc = await failure(ChatgptFree(wordpress, idle_timeout=0.5))
    finally:
        release.set()
    # Not "no chat widget": the page never finished arriving.
    assert type(exc) is errors.IdleTimeoutError
    assert_sentence(exc)
