"""HTTP helpers: URL redaction, Retry-After, error bodies and the status mapping."""

from __future__ import annotations

import email.utils
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses

from deskchat.provider import errors
from deskchat.provider.http import (
    client_timeout,
    error_message_from_body,
    is_cloudflare_challenge,
    open_request,
    parse_retry_after,
    raise_for_status,
    redact_url,
)
from tests.reliability.servers import self_signed_context

# --- redact_url -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:secret@proxy.example:3128", "http://proxy.example:3128"),
        ("https://user@host.example/path", "https://host.example/path"),
        ("https://api.example/v1/chat?key=sk-123&x=1", "https://api.example/v1/chat"),
        ("https://api.example/v1#frag", "https://api.example/v1"),
        ("https://a:b@api.example/v1?token=t#f", "https://api.example/v1"),
        ("https://plain.example/", "https://plain.example/"),
        ("relative/path?secret=1", "relative/path"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://user:secret@h.example", "http://h.example/?api_key=secret"]
)
def test_redacted_urls_never_hold_the_secret(url: str) -> None:
    assert "secret" not in redact_url(url)


def test_redact_invalid_url() -> None:
    assert redact_url("http://[::1") == "<invalid URL>"


# --- parse_retry_after -------------------------------------------------------------

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW + 90), 90.0),
        (email.utils.formatdate(NOW - 600, usegmt=True), 0.0),
    ],
    ids=["int", "spaces", "zero", "fraction", "gmt-date", "zone-date", "past-date"],
)
def test_parse_retry_after(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == pytest.approx(seconds)


def test_date_without_a_zone_is_gmt() -> None:
    # "-0000" gives a naive datetime; it must not be read as local time.
    value = email.utils.formatdate(NOW + 45, usegmt=False).rsplit(" ", 1)[0] + " -0000"
    assert parse_retry_after(value, now=NOW) == pytest.approx(45.0)


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-5", "inf", "nan", "1e3", "Mon, 99 Foo 2024", "12 seconds", "9" * 400],
)
def test_unreadable_retry_after(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_retry_after_defaults_to_the_real_clock() -> None:
    future = email.utils.formatdate(usegmt=True)  # now, to the second
    wait = parse_retry_after(future)
    assert wait is not None
    assert 0.0 <= wait <= 1.0


# --- error_message_from_body --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"error": {"message": "Invalid key", "type": "auth"}}', "Invalid key"),
        ('{"error": "Bad model"}', "Bad model"),
        ('{"message": "Slow down"}', "Slow down"),
        ('{"status": "error", "msg": "Nonce expired"}', "Nonce expired"),
        ('{"detail": "Not found"}', "Not found"),
        ('{"error": {"code": 5}, "message": "fallback"}', "fallback"),
    ],
)
def test_error_message_shapes(body: str, message: str) -> None:
    assert error_message_from_body(body) == message


@pytest.mark.parametrize(
    "body", ["", "not json", "[1, 2]", '"just a string"', '{"data": "ok"}', "-1", '{"detail": [1]}']
)
def test_no_error_message(body: str) -> None:
    assert error_message_from_body(body) is None


# --- Cloudflare detection -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (403, {"cf-ray": "1"}, "<html>Just a moment...</html>", True),
        (503, {"CF-RAY": "1"}, "<html><body>error</body></html>", True),
        (403, {}, "<script src='/cdn-cgi/challenge-platform/x'>", True),
        (403, {"cf-ray": "1"}, "-1", False),
        (200, {"cf-ray": "1"}, "<html>Just a moment...</html>", False),
        (500, {"cf-ray": "1"}, "<html>Just a moment...</html>", False),
        (429, {"cf-ray": "1"}, "<html>rate limited</html>", False),
        (403, {}, "<html>Forbidden</html>", False),
    ],
)
def test_is_cloudflare_challenge(
    status: int, headers: dict[str, str], body: str, expected: bool
) -> None:
    assert is_cloudflare_challenge(status, headers, body) is expected


# --- raise_for_status ---------------------------------------------------------------

URL_ = "https://api.example.test/v1/chat?key=sk-secret"


async def status_error(
    status: int, body: str = "", headers: dict[str, str] | None = None
) -> errors.APIStatusError:
    """The error raise_for_status raises for a mocked answer."""
    with aioresponses() as mock:
        mock.get(URL_, status=status, body=body, headers=headers)
        async with ClientSession() as session, session.get(URL_) as response:
            with pytest.raises(errors.APIStatusError) as info:
                await raise_for_status(response, what="api.example.test")
    return info.value


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.APIStatusError),
        (401, errors.AuthenticationError),
        (403, errors.AuthenticationError),
        (404, errors.NotFoundError),
        (409, errors.APIStatusError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
    ],
)
async def test_status_mapping(status: int, cls: type[errors.APIStatusError]) -> None:
    exc = await status_error(status, '{"error": {"message": "Details here"}}')
    assert type(exc) is cls
    assert exc.status_code == status
    assert f"HTTP {status}" in exc.message
    assert "api.example.test" in exc.message
    assert "Details here" in exc.message
    assert "sk-secret" not in exc.message


async def test_ok_statuses_do_not_raise() -> None:
    with aioresponses() as mock:
        mock.get(URL_, status=204)
        async with ClientSession() as session, session.get(URL_) as response:
            await raise_for_status(response, what="api.example.test")


async def test_rate_limit_carries_retry_after() -> None:
    exc = await status_error(429, "slow", {"Retry-After": "30"})
    assert isinstance(exc, errors.RateLimitError)
    assert exc.retry_after == 30
    assert "30 seconds" in exc.message
    assert exc.retryable


async def test_rate_limit_without_retry_after() -> None:
    exc = await status_error(429)
    assert isinstance(exc, errors.RateLimitError)
    assert exc.retry_after is None
    assert "Wait a little" in exc.message


async def test_cloudflare_status() -> None:
    exc = await status_error(403, "<title>Just a moment...</title>", {"cf-ray": "abc"})
    assert type(exc) is errors.CloudflareChallengeError
    assert "Cloudflare" in exc.message


async def test_plain_body_is_quoted_for_other_statuses() -> None:
    exc = await status_error(418, "I am   a\nteapot")
    assert type(exc) is errors.APIStatusError
    assert exc.message.endswith("I am a teapot")


async def test_body_preview_is_capped() -> None:
    exc = await status_error(500, "x" * 5000)
    assert len(exc.body) == 300
    assert len(exc.message) < 500


def test_client_timeout() -> None:
    timeout = client_timeout()
    assert (timeout.total, timeout.sock_connect, timeout.sock_read) == (None, 15, 60)
    custom: Any = client_timeout(connect=3, idle=0.5)
    assert (custom.sock_connect, custom.sock_read) == (3, 0.5)


async def test_iter_chunks_slices_a_large_read_and_lets_the_loop_run() -> None:
    """A 100 KB burst is handed over in slices, with the loop free between them."""
    import asyncio

    import aiohttp
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from deskchat.provider.http import SLICE, iter_chunks

    body = bytes(range(256)) * 400  # 100 KB, in one write

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    try:
        async with aiohttp.ClientSession() as session, session.get(server.make_url("/")) as resp:
            await asyncio.sleep(0.2)  # Let the whole body pile up in the socket buffer.
            tick_task = asyncio.create_task(ticker())
            sizes: list[int] = []
            ticks_seen: list[int] = []
            async for piece in iter_chunks(resp):
                sizes.append(len(piece))
                ticks_seen.append(ticks)
            tick_task.cancel()
    finally:
        await server.close()
    assert sum(sizes) == len(body)
    assert max(sizes) <= SLICE
    # The ticker ran between the slices: the loop was never held for the whole burst.
    assert ticks_seen[-1] > ticks_seen[0]


async def test_open_request_parses_a_burst_of_tiny_chunks_a_little_at_a_time() -> None:
    """Thousands of 10-byte HTTP chunks waiting in the socket are not parsed in one
    go: aiohttp's parser stops once READ_BUFSIZE-ish bytes wait unread."""
    import asyncio

    from aiohttp import web

    from deskchat.provider.http import READ_BUFSIZE, open_request

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(20_000):  # 200 KB as 20,000 chunks
            await response.write(b"0123456789")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with (
            ClientSession() as session,
            open_request(session, "GET", str(server.make_url("/"))) as resp,
        ):
            assert resp.content.get_read_buffer_limits() == (READ_BUFSIZE, 2 * READ_BUFSIZE)
            await asyncio.sleep(0.3)  # The body piles up in the socket meanwhile.
            waiting = resp.content.total_bytes
            body = await resp.read()
    finally:
        await server.close()
    assert len(body) == 200_000
    # Parsed so far without anyone reading: bounded by the limits, not the burst.
    assert waiting <= 2 * READ_BUFSIZE + 10


# --- TLS failures in words ------------------------------------------------------------


async def _https_failure(tmp_path: Path, *, tls: bool) -> str:
    """The message open_request gives for https:// to a plain or self-signed local server."""

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(ssl=self_signed_context(tmp_path) if tls else None)
    try:
        async with ClientSession() as session:
            with pytest.raises(errors.APIConnectionError) as info:
                async with open_request(session, "GET", f"https://127.0.0.1:{server.port}/"):
                    pass
    finally:
        await server.close()
    return info.value.text()


async def test_plain_http_on_an_https_address_is_named(tmp_path: Path) -> None:
    text = await _https_failure(tmp_path, tls=False)
    assert "does not speak HTTPS on that port" in text
    assert "http://" in text


async def test_an_untrusted_certificate_is_named(tmp_path: Path) -> None:
    text = await _https_failure(tmp_path, tls=True)
    assert "its certificate was refused (self-signed certificate)" in text
