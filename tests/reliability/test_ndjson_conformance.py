"""Ollama's NDJSON stream: a corpus of bodies, each fed in every way a network could split it.

Each case is a body and what a consumer must see: the events before any
error, then the error's class (None when the reply ends well). The same
outcome, error text included, must come from every chunking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskchat.provider import errors
from deskchat.provider.errors import ServerReportedError
from deskchat.provider.events import Event, FinishEvent, ReasoningDelta, TextDelta, UsageEvent
from deskchat.provider.ollama import OllamaStreamParser
from tests.reliability.chunking import chunkings, outcome

WHAT = "Ollama (127.0.0.1:11434)"
BIG = 1024 * 1024


def obj(content: str = "", *, thinking: str | None = None, **extra: Any) -> bytes:
    """One object of an ``/api/chat`` stream, without its line end."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    return json.dumps({"model": "m", "message": message, "done": False, **extra}).encode()


def done(reason: str | None = "stop", prompt: int | None = 3, completion: int | None = 2) -> bytes:
    fields: dict[str, Any] = {"model": "m", "message": {"role": "assistant", "content": ""}}
    fields["done"] = True
    if reason is not None:
        fields["done_reason"] = reason
    if prompt is not None:
        fields["prompt_eval_count"] = prompt
    if completion is not None:
        fields["eval_count"] = completion
    return json.dumps(fields).encode()


def lines(*parts: bytes, nl: bytes = b"\n", last: bool = True) -> bytes:
    body = nl.join(parts)
    return body + nl if last else body


T = TextDelta
END = [UsageEvent(3, 2), FinishEvent("stop")]


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    events: list[Event]
    error: type[errors.ProviderError] | None = None


CASES: list[Case] = [
    Case("lf", lines(obj("Hel"), obj("lo"), done()), [T("Hel"), T("lo"), *END]),
    Case("crlf", lines(obj("Hel"), obj("lo"), done(), nl=b"\r\n"), [T("Hel"), T("lo"), *END]),
    Case("cr", lines(obj("Hel"), obj("lo"), done(), nl=b"\r"), [T("Hel"), T("lo"), *END]),
    Case("no-final-newline", lines(obj("a"), done(), last=False), [T("a"), *END]),
    Case(
        "blank-and-space-lines",
        b"\n  \n" + lines(obj("a"), b"", b"\t ", obj("b"), done()),
        [T("a"), T("b"), *END],
    ),
    Case("bom", b"\xef\xbb\xbf" + lines(obj("a"), done()), [T("a"), *END]),
    Case(
        "thinking-then-text",
        lines(obj(thinking="hmm"), obj("x", thinking="more"), done()),
        [ReasoningDelta("hmm"), ReasoningDelta("more"), T("x"), *END],
    ),
    Case("empty-content-skipped", lines(obj(""), obj("a"), obj(""), done()), [T("a"), *END]),
    Case(
        "after-done-ignored",
        lines(obj("a"), done(), obj("late"), b"not json"),
        [T("a"), *END],
    ),
    Case(
        "non-objects-ignored", lines(b"[]", b"5", b'"s"', b"null", obj("a"), done()), [T("a"), *END]
    ),
    Case(
        "escaped-newlines",
        lines(obj("line\nbreak\r\n"), done()),
        [T("line\nbreak\r\n"), *END],
    ),
    Case(
        "raw-unicode-separators",
        lines(
            '{"message": {"content": "a\u2028b\u0085c"}, "done": false}'.encode(),
            done(),
        ),
        [T("a\u2028b\u0085c"), *END],
    ),
    Case(
        "utf8-multibyte",
        lines(json.dumps({"message": {"content": "é😀中"}}, ensure_ascii=False).encode(), done()),
        [T("é😀中"), *END],
    ),
    Case(
        "invalid-utf8-in-a-string",
        lines(b'{"message": {"content": "a\xffb"}}', done()),
        [T("a\ufffdb"), *END],
    ),
    Case(
        "done-without-reason", lines(obj("a"), done(None)), [T("a"), *END[:1], FinishEvent("stop")]
    ),
    Case("done-length", lines(obj("a"), done("length")), [T("a"), *END[:1], FinishEvent("length")]),
    Case(
        "done-without-counts",
        lines(obj("a"), done(prompt=None, completion=None)),
        [T("a"), FinishEvent("stop")],
    ),
    Case("cut-before-done", lines(obj("a"), obj("b")), [T("a"), T("b")]),
    Case(
        "cut-mid-line", lines(obj("a"), last=True) + obj("b")[:10], [T("a")], errors.ProtocolError
    ),
    Case(
        "error-after-text",
        lines(obj("Hel"), obj("lo"), b'{"error": "model runner crashed"}', obj("never")),
        [T("Hel"), T("lo")],
        ServerReportedError,
    ),
    Case("error-first", lines(b'{"error": "no such model"}'), [], ServerReportedError),
    Case(
        "invalid-json-after-text",
        lines(obj("Hel"), b"{not json", obj("never")),
        [T("Hel")],
        errors.ProtocolError,
    ),
    Case("html-page", b"<html><body>502 Bad Gateway</body></html>", [], errors.ProtocolError),
    Case("empty-body", b"", []),
    Case("megabyte-line", lines(obj("x" * BIG), done()), [T("x" * BIG), *END]),
    Case(
        "megabyte-line-crlf-multibyte",
        lines(obj("é" * (BIG // 2)), obj("end"), done(), nl=b"\r\n"),
        [T("é" * (BIG // 2)), T("end"), *END],
    ),
]


def test_the_corpus_is_large_and_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_chunking_gives_the_same_outcome(case: Case) -> None:
    whole = outcome(OllamaStreamParser(WHAT), [case.data])
    assert whole[0] == case.events
    assert whole[1] is case.error
    if case.error is not None:
        message = whole[2]
        assert message is not None
        assert WHAT in message
        assert "Traceback" not in message
    # A megabyte case is sampled less: each decode of it costs milliseconds.
    samples = 40 if len(case.data) > BIG else 240
    for chunks in chunkings(case.data, seed=len(case.data), samples=samples):
        got = outcome(OllamaStreamParser(WHAT), chunks)
        assert got == whole, [len(c) for c in chunks]


_PIECES = [
    obj("a"),
    obj("é😀"),
    obj(thinking="t"),
    done(),
    b'{"error": "boom"}',
    b"{bad",
    b"[]",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    b"\xef\xbb\xbf",
    b"\xff",
]
_bodies = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(_PIECES), max_size=30).map(b"".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_bodies, cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_any_body_any_chunking_gives_the_same_outcome(data: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert outcome(OllamaStreamParser(WHAT), chunks) == outcome(OllamaStreamParser(WHAT), [data])
