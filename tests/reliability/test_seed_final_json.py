"""The seed's reply format (chatgptfree.ai): SSE chunks, or one final JSON object.

Each body is fed to :class:`provider.chatgptfree.ChatgptFreeReplyParser` in
every chunking; the text chunks before any error, the error's class and its
text must not depend on where the network split the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskchat.provider import errors
from deskchat.provider.chatgptfree import ChatgptFreeReplyParser
from tests.reliability.chunking import chunkings, outcome

HOST = "chatgptfree.ai"


def data_line(text: str) -> str:
    return "data: " + json.dumps({"choices": [{"delta": {"content": text}}]}) + "\n\n"


def final(reply: object, **extra: object) -> bytes:
    return json.dumps({"status": "success", "data": reply, **extra}).encode()


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    chunks: list[str]
    error: type[errors.ProviderError] | None = None


PRETTY = json.dumps({"status": "success", "data": "Hi 😀 there"}, indent=2, ensure_ascii=False)

CASES: list[Case] = [
    Case("one-line", final("Hello"), ["Hello"]),
    Case("one-line-newline", final("Hello") + b"\n", ["Hello"]),
    Case("pretty-lf", PRETTY.encode(), ["Hi 😀 there"]),
    Case("pretty-crlf", PRETTY.replace("\n", "\r\n").encode(), ["Hi 😀 there"]),
    Case("pretty-cr", PRETTY.replace("\n", "\r").encode(), ["Hi 😀 there"]),
    Case("bom", b"\xef\xbb\xbf" + final("x"), ["x"]),
    Case("leading-blank-lines", b"\r\n\n  " + final("x") + b"\n\n", ["x"]),
    Case("escaped-newline-in-reply", final("a\nb\r\nc"), ["a\nb\r\nc"]),
    Case("unicode-separators", final("a\u2028b\u0085c"), ["a\u2028b\u0085c"]),
    Case("ascii-escaped", json.dumps({"data": "é😀"}).encode(), ["é😀"]),
    Case("nonce-minus-one", b"-1", [], errors.StaleNonceError),
    Case("nonce-zero", b"0\n", [], errors.StaleNonceError),
    Case(
        "error-expired-nonce",
        json.dumps({"status": "error", "msg": "Nonce verification failed"}).encode(),
        [],
        errors.StaleNonceError,
    ),
    Case(
        "error-plain",
        json.dumps({"status": "error", "msg": "Model overloaded"}).encode(),
        [],
        errors.ServiceError,
    ),
    Case("token-limit", json.dumps({"tokenLimitReached": True}).encode(), [], errors.ServiceError),
    Case(
        "nested-msg", json.dumps({"data": {"msg": "quota used"}}).encode(), [], errors.ServiceError
    ),
    Case(
        "html-page",
        b"<!DOCTYPE html>\n<html><body>\n<h1>502</h1>\n</body></html>\n",
        [],
        errors.ProtocolError,
    ),
    Case("garbage", b"upstream connect error", [], errors.ProtocolError),
    Case("empty-body", b"", [], errors.EmptyReplyError),
    Case("empty-reply", final(""), [], errors.EmptyReplyError),
    Case("json-not-object", b"[1, 2]", [], errors.EmptyReplyError),
    Case(
        "stream",
        (": ping\n\n" + data_line("Hel") + data_line("lo") + "data: [DONE]\n\n").encode(),
        ["Hel", "lo"],
    ),
    Case(
        "stream-no-space-crlf",
        (data_line("a") + data_line("b")).replace("data: ", "data:").replace("\n", "\r\n").encode(),
        ["a", "b"],
    ),
    Case(
        "stream-after-done-ignored",
        (data_line("a") + "data: [DONE]\n\n" + data_line("b") + "garbage").encode(),
        ["a"],
    ),
    Case("stream-without-done", data_line("a").encode(), ["a"]),
    Case(
        "stream-sse-fields-skipped",
        ("event: message\nid: 4\nretry: 9\n" + data_line("a")).encode(),
        ["a"],
    ),
    Case(
        "stream-error-after-text",
        (data_line("Hel") + 'data: {"error": {"message": "overloaded"}}\n\n').encode(),
        ["Hel"],
        errors.ServiceError,
    ),
    Case(
        "stream-invalid-json-after-text",
        (data_line("Hel") + "data: {oops\n\n" + data_line("never")).encode(),
        ["Hel"],
        errors.ProtocolError,
    ),
    Case(
        "stream-then-stale-nonce",
        (data_line("Hel") + "-1").encode(),
        ["Hel"],
        errors.StaleNonceError,
    ),
    Case(
        "stream-then-final-json",
        (data_line("a") + json.dumps({"data": "b"})).encode(),
        ["a", "b"],
    ),
    Case("megabyte-final", final("x" * 1024 * 1024), ["x" * 1024 * 1024]),
]


def test_the_corpus_is_large_and_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_chunking_gives_the_same_outcome(case: Case) -> None:
    whole = outcome(ChatgptFreeReplyParser(HOST), [case.data])
    assert whole[0] == case.chunks
    assert whole[1] is case.error
    if case.error is not None:
        assert whole[2] is not None
        assert HOST in whole[2]
    samples = 30 if len(case.data) > 1024 * 1024 else 240
    for chunks in chunkings(case.data, seed=7, samples=samples):
        assert outcome(ChatgptFreeReplyParser(HOST), chunks) == whole, [len(c) for c in chunks]


_PIECES = [
    data_line("a").encode(),
    data_line("é😀").encode(),
    b"data: [DONE]\n\n",
    b"data: {bad\n\n",
    b'{"data": "x"}',
    b"-1",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    b": c\n",
    b"\xef\xbb\xbf",
    b"\xff",
]
_bodies = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(_PIECES), max_size=25).map(b"".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_bodies, cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_any_body_any_chunking_gives_the_same_outcome(data: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    got = outcome(ChatgptFreeReplyParser(HOST), chunks)
    assert got == outcome(ChatgptFreeReplyParser(HOST), [data])
