"""Answers and addresses aiohttp refuses become one sentence each, never a traceback (#12, point 8).

A base URL without ``http://`` (assumed for this machine and the local
network, refused with advice elsewhere), ``file://`` and ``ftp://`` base
URLs, redirects to ``file:`` or ``data:``, a 1 MB header, 20,000 headers, a bad
status line and an encoding nobody asked for are played by raw servers on
127.0.0.1 against every provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from deskchat.provider import errors
from tests.child import ask_args, child_env, run_deskchat
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.raw_http import RawRequest, raw_server
from tests.fakes.scripted import serving
from tests.reliability.servers import KINDS, Target, collect
from tests.reliability.test_faults import assert_one_sentence

MODEL = {"chatgptfree": None, "openai": "m", "ollama": "qwen3:0.6b"}


def _suffix(kind: str) -> str:
    return "/v1" if kind == "openai" else ""


def _provider(kind: str, base: str, session: aiohttp.ClientSession):  # type: ignore[no-untyped-def]
    return Target(kind, None, base, session).provider()


# -- addresses -----------------------------------------------------------------------------

BAD_ADDRESSES = {
    "no-scheme-remote": ("api.example.invalid/v1", errors.ConfigurationError, "https://"),
    "file": ("file:///etc/passwd", errors.ConfigurationError, "file://"),
    "ftp": ("ftp://127.0.0.1:21/v1", errors.ConfigurationError, "ftp://"),
    "typo-colon": ("http//127.0.0.1:9/v1", errors.ConfigurationError, "http://"),
    "no-host": ("http://", errors.ConfigurationError, "address"),
    "scheme-typo": ("htp://127.0.0.1:9/v1", errors.ConfigurationError, "htp://"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(BAD_ADDRESSES))
async def test_an_address_that_is_no_http_url_is_one_sentence(kind: str, name: str) -> None:
    url, error, says = BAD_ADDRESSES[name]
    async with aiohttp.ClientSession() as session:
        text, exc = await collect(_provider(kind, url, session), MODEL[kind])
    assert text == ""
    assert isinstance(exc, error), repr(exc)
    assert_one_sentence(exc)
    assert says in exc.text()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("kind", KINDS)
async def test_a_local_address_without_http_is_taken_as_http(kind: str, host: str) -> None:
    async with aiohttp.ClientSession() as session:
        from tests.reliability.servers import serve

        async with serve(kind, session) as target:
            typed = target.base_url.removeprefix("http://").replace("127.0.0.1", host)
            text, exc = await collect(target.provider(typed), target.model)
    assert exc is None, exc
    assert text == "All good"


# -- answers that break HTTP ---------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    name: str
    answer: bytes
    error: type[errors.ProviderError]
    says: str = ""


def _headers(*lines: bytes) -> bytes:
    return b"".join(line + b"\r\n" for line in lines) + b"\r\n"


SSE = b"Content-Type: text/event-stream"
ANSWERS = [
    Broken(
        "one-megabyte-header",
        _headers(b"HTTP/1.1 200 OK", b"X-Big: " + b"a" * (1024 * 1024), b"Content-Length: 0"),
        errors.MalformedResponseError,
        "header",
    ),
    Broken(
        "twenty-thousand-headers",
        _headers(b"HTTP/1.1 200 OK", *(b"X-H%d: v" % i for i in range(20000))),
        errors.MalformedResponseError,
        "header",
    ),
    Broken("bad-status-line", _headers(b"HTTP/1.1 OK"), errors.MalformedResponseError, "HTTP"),
    Broken(
        "tls-bytes-for-a-status-line",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
        errors.MalformedResponseError,
        "HTTP",
    ),
    Broken(
        "brotli-not-asked-for",
        _headers(b"HTTP/1.1 200 OK", SSE, b"Content-Encoding: br", b"Content-Length: 4")
        + b"\x0b\x02\x80x",
        errors.MalformedResponseError,
        "compressed",
    ),
    Broken(
        "zstd-not-asked-for",
        _headers(b"HTTP/1.1 200 OK", SSE, b"Content-Encoding: zstd", b"Content-Length: 4")
        + b"\x28\xb5\x2f\xfd",
        errors.MalformedResponseError,
        "compressed",
    ),
    Broken(
        "redirect-to-file",
        _headers(b"HTTP/1.1 307 Temporary Redirect", b"Location: file:///etc/passwd"),
        errors.RefusedRedirectError,
        "file:",
    ),
    Broken(
        "redirect-to-data",
        _headers(b"HTTP/1.1 302 Found", b"Location: data:text/plain,hi"),
        errors.RefusedRedirectError,
        "data:",
    ),
    Broken(
        "redirect-to-ftp",
        _headers(b"HTTP/1.1 301 Moved Permanently", b"Location: ftp://127.0.0.1/v1"),
        errors.RefusedRedirectError,
        "ftp:",
    ),
    Broken(
        "redirect-to-no-url",
        _headers(b"HTTP/1.1 302 Found", b"Location: http://[::1"),
        errors.RefusedRedirectError,
        "redirect",
    ),
]


def _answering(answer: bytes) -> Callable[[RawRequest, asyncio.StreamWriter], object]:
    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(answer)
        await writer.drain()
        writer.close()

    return respond


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("broken", ANSWERS, ids=[b.name for b in ANSWERS])
async def test_an_answer_that_breaks_http_is_one_sentence(kind: str, broken: Broken) -> None:
    async with (
        raw_server(_answering(broken.answer)) as (base, _seen),  # type: ignore[arg-type]
        aiohttp.ClientSession() as session,
    ):
        chat = _provider(kind, base + _suffix(kind), session)
        text, exc = await asyncio.wait_for(collect(chat, MODEL[kind]), 30)
    assert text == ""
    assert isinstance(exc, broken.error), repr(exc)
    assert_one_sentence(exc)
    assert broken.says in exc.text()


@pytest.mark.parametrize("broken", ANSWERS[:3], ids=[b.name for b in ANSWERS[:3]])
async def test_a_model_list_that_breaks_http_is_one_sentence(broken: Broken) -> None:
    async with (
        raw_server(_answering(broken.answer)) as (base, _seen),  # type: ignore[arg-type]
        aiohttp.ClientSession() as session,
    ):
        with pytest.raises(errors.MalformedResponseError) as caught:
            await _provider("openai", base + "/v1", session).models()
    assert_one_sentence(caught.value)


# -- the same through `deskchat ask` ---------------------------------------------------------


async def _ask(base_url: str, data_dir: Path) -> tuple[int, bytes, bytes]:
    return await run_deskchat(*ask_args(base_url, "--no-save"), env=child_env(data_dir))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/v1", "api.example.invalid"])
async def test_ask_with_a_bad_base_url_says_so_in_one_line(url: str, tmp_path: Path) -> None:
    code, out, err = await _ask(url, tmp_path / "data")
    assert b"Traceback" not in err, err
    assert code == 1
    assert out == b""
    assert len(err.decode().strip().splitlines()) == 1, err


async def test_ask_against_a_bad_status_line_says_so_in_one_line(tmp_path: Path) -> None:
    async with raw_server(_answering(_headers(b"HTTP/1.1 OK"))) as (base, _seen):  # type: ignore[arg-type]
        code, out, err = await _ask(base + "/v1", tmp_path / "data")
    assert b"Traceback" not in err, err
    assert code == 1
    assert len(err.decode().strip().splitlines()) == 1, err


async def test_ask_with_a_local_address_without_http_works(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("assumed http")])))
    async with serving(fake.app, "/v1") as base:
        code, out, err = await _ask(base.removeprefix("http://"), tmp_path / "data")
    assert code == 0, err
    assert out == b"assumed http\n"
