"""Server-sent events: a conformance corpus fed in every way a network could split it.

The cases follow the WHATWG "event stream interpretation" rules, in the spirit
of the web-platform-tests ``eventsource/format-*`` tests (written here from the
spec, not copied). Each case is fed whole, cut in two at every offset, cut in
three at every pair of offsets (a seeded sample for long cases), and one byte
at a time; each time the events must be exactly the expected ones, in both
dispatch modes (strict: an event the stream ends before its blank line is
dropped, as the spec says; lenient: it is dispatched, DeskChat's default).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskchat.provider import errors
from deskchat.provider.errors import (
    ContextOverflowError,
    IncompleteReplyError,
    ServerReportedError,
)
from deskchat.provider.events import TextDelta
from deskchat.provider.openai_compat import ChatCompletionStreamParser
from deskchat.provider.sse import ServerSentEvent, iter_events
from tests.reliability.chunking import chunkings, outcome

E = ServerSentEvent
BOM = b"\xef\xbb\xbf"
LONG = 200_000


@dataclass(frozen=True)
class Case:
    """One stream and the events it must give.

    Attributes:
        strict: the events with the spec's rule (an unterminated event is dropped).
        lenient: the events when an unterminated event is dispatched; None if the same.
    """

    name: str
    data: bytes
    strict: list[ServerSentEvent]
    lenient: list[ServerSentEvent] | None = None


def _endings(name: str, newline: bytes) -> Case:
    body = b"data: a|data: b||event: x|data: c||".replace(b"|", newline)
    return Case(name, body, [E(data="a\nb"), E(event="x", data="c")])


CASES: list[Case] = [
    # --- byte order mark -------------------------------------------------------
    Case("bom-stripped", BOM + b"data: 1\n\n", [E(data="1")]),
    # Only the first BOM goes: the second makes the field name "\ufeffdata", unknown.
    Case("two-boms", BOM + BOM + b"data: 1\n\ndata: 2\n\n", [E(data="2")]),
    Case(
        "bom-later-is-text",
        b"data: 1\n\n" + BOM + b"data: 2\n\ndata: 3\n\n",
        [E("message", "1"), E(data="3")],
    ),
    Case("bom-alone-then-event", BOM + b"\ndata: x\n\n", [E(data="x")]),
    # --- line endings ----------------------------------------------------------
    _endings("lf", b"\n"),
    _endings("cr", b"\r"),
    _endings("crlf", b"\r\n"),
    Case("mixed-endings", b"data: a\rdata: b\r\n\ndata: c\n\r\n", [E(data="a\nb"), E(data="c")]),
    Case("lf-then-cr-is-two-ends", b"data: 1\n\rdata: 2\r\r", [E(data="1"), E(data="2")]),
    Case("crlf-twice", b"data: 1\r\n\r\n", [E(data="1")]),
    Case("cr-cr-lf", b"data: 1\r\r\ndata: 2\n\n", [E(data="1"), E(data="2")]),
    Case("many-blank-lines", b"data: a\n\n\n\r\n\rdata: b\n\n", [E(data="a"), E(data="b")]),
    Case("only-line-ends", b"\n\n\r\n\r\r", []),
    Case("empty-stream", b"", []),
    # --- the data field --------------------------------------------------------
    Case("data-without-space", b"data:x\n\n", [E(data="x")]),
    Case("data-two-spaces-keeps-one", b"data:  x\n\n", [E(data=" x")]),
    Case("data-trailing-space-kept", b"data: x \n\n", [E(data="x ")]),
    Case("data-tab-is-not-a-space", b"data:\tx\n\n", [E(data="\tx")]),
    Case("multi-line-data", b"data: a\ndata\ndata: c\n\n", [E(data="a\n\nc")]),
    Case("data-without-colon-is-empty", b"data\n\n", [E(data="")]),
    Case("data-colon-empty", b"data:\n\n", [E(data="")]),
    Case("two-empty-data-lines", b"data:\ndata:\n\n", [E(data="\n")]),
    Case("further-colons-kept", b'data: {"a": "b:c"}\n\n', [E(data='{"a": "b:c"}')]),
    Case("null-bytes-in-data", b"data: a\x00b\x00\n\n", [E(data="a\x00b\x00")]),
    Case("utf8-data", "data: café 😀 中文\n\n".encode(), [E(data="café 😀 中文")]),
    Case(
        "unicode-separators-are-text",
        "data: a\u2028b\u0085c\u2029d\n\n".encode(),
        [E(data="a\u2028b\u0085c\u2029d")],
    ),
    Case(
        "invalid-utf8", b"data: a\xffb\xc3\n\n", [E(data=b"a\xffb\xc3".decode("utf-8", "replace"))]
    ),
    Case("truncated-utf8", b"data: \xe2\x82\n\n", [E(data=b"\xe2\x82".decode("utf-8", "replace"))]),
    Case("ticker", b"data: YHOO\ndata: +2\ndata: 10\n\n", [E(data="YHOO\n+2\n10")]),
    Case("same-event-twice", b"data:test\n\ndata: test\n\n", [E(data="test"), E(data="test")]),
    # --- comments, unknown fields, field parsing ------------------------------
    Case("comments", b":c\n: another\ndata: x\n:\n\n", [E(data="x")]),
    Case("comment-only", b": keep-alive\n\n: again\n\n", []),
    Case("unknown-fields", b"foo: bar\nDATA: no\nData: no\ndata: yes\n\n", [E(data="yes")]),
    Case("whitespace-line-is-not-blank", b"data: a\n \ndata: b\n\n", [E(data="a\nb")]),
    Case("leading-space-field-ignored", b" data: x\n\n", []),
    Case("space-before-colon-ignored", b"data : x\n\n", []),
    Case(
        "field-parsing-mix",
        b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\r"
        b"data_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
        [E(data="\x00\n 2\n1\n3\n\n4")],
    ),
    # --- event -----------------------------------------------------------------
    Case("event-named", b"event: tick\ndata: 1\n\n", [E(event="tick", data="1")]),
    Case(
        "event-reset-after-dispatch",
        b"event: one\ndata: 1\n\ndata: 2\n\n",
        [E(event="one", data="1"), E(data="2")],
    ),
    Case("event-without-data-reset", b"event: x\n\ndata: 2\n\n", [E(data="2")]),
    Case("event-empty-is-message", b"event:\ndata: x\n\n", [E(data="x")]),
    Case("event-without-colon", b"event\ndata: x\n\n", [E(data="x")]),
    Case("event-last-wins", b"event: a\nevent: b\ndata: x\n\n", [E(event="b", data="x")]),
    # --- id --------------------------------------------------------------------
    Case(
        "id-persists", b"id: 7\ndata: a\n\ndata: b\n\n", [E(data="a", id="7"), E(data="b", id="7")]
    ),
    Case(
        "id-with-null-ignored",
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [E(data="a", id="1"), E(data="b", id="1")],
    ),
    Case("id-without-data-still-set", b"id: 9\n\ndata: x\n\n", [E(data="x", id="9")]),
    Case(
        "id-without-colon-clears",
        b"id: 5\ndata: a\n\nid\ndata: b\n\n",
        [E(data="a", id="5"), E(data="b", id="")],
    ),
    Case("id-leading-space-rule", b"id:  x\ndata: a\n\n", [E(data="a", id=" x")]),
    # --- retry -----------------------------------------------------------------
    Case("retry-valid", b"retry: 1000\ndata: x\n\n", [E(data="x", retry=1000)]),
    Case("retry-no-space", b"retry:25\ndata: x\n\n", [E(data="x", retry=25)]),
    Case(
        "retry-invalid",
        "retry: 1e3\ndata: a\n\nretry: -1\ndata: b\n\nretry:  10\ndata: c\n\n"
        "retry: \u0661\u0662\ndata: d\n\nretry\ndata: e\n\nretry: 10.5\ndata: f\n\n".encode(),
        [E(data=x) for x in "abcdef"],
    ),
    Case("retry-without-data-not-carried", b"retry: 5\n\ndata: x\n\n", [E(data="x")]),
    # --- the end of the stream ---------------------------------------------------
    Case("unterminated-last-line", b"data: last", [], [E(data="last")]),
    Case(
        "unterminated-after-lf", b"data: a\n\ndata: b\n", [E(data="a")], [E(data="a"), E(data="b")]
    ),
    Case(
        "unterminated-after-cr", b"data: a\r\rdata: b\r", [E(data="a")], [E(data="a"), E(data="b")]
    ),
    Case(
        "spec-empty-data-example",
        b"data\n\ndata\ndata\n\ndata:",
        [E(data=""), E(data="\n")],
        [E(data=""), E(data="\n"), E(data="")],
    ),
    Case("unterminated-event-type", b"event: end\ndata: bye", [], [E(event="end", data="bye")]),
    # --- long lines ----------------------------------------------------------------
    Case("long-data-line", b"data: " + b"x" * LONG + b"\n\n", [E(data="x" * LONG)]),
    Case(
        "long-multibyte-line-crlf",
        b"data: " + "é😀".encode() * (LONG // 6) + b"\r\n\r\ndata: end\r\n\r\n",
        [E(data="é😀" * (LONG // 6)), E(data="end")],
    ),
    Case("long-comment", b":" + b"c" * LONG + b"\ndata: after\n\n", [E(data="after")]),
]


def decode(chunks: Iterable[bytes], *, strict: bool) -> list[ServerSentEvent]:
    """Every event the chunks give, end of stream included."""
    return iter_events(chunks, dispatch_unterminated=not strict)


def test_the_corpus_is_large_and_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 55


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_chunking_gives_the_expected_events(case: Case) -> None:
    lenient = case.strict if case.lenient is None else case.lenient
    tried = 0
    for chunks in chunkings(case.data, seed=len(case.data)):
        assert decode(chunks, strict=True) == case.strict, chunks if len(case.data) < 200 else ""
        assert decode(chunks, strict=False) == lenient, chunks if len(case.data) < 200 else ""
        tried += 1
    assert tried > len(case.data) or tried > 400


# Pieces that make streams interesting to a decoder: field names, separators,
# a BOM, a split multi-byte character, NUL, and bytes that are not UTF-8.
_TOKENS = [
    b"data",
    b"event",
    b"id",
    b"retry",
    b":",
    b" ",
    b"\r",
    b"\n",
    b"\r\n",
    BOM,
    b"\x00",
    b"x",
    b"12",
    "é€😀".encode(),
    b"\xe2\x82",
    b"\xff",
]
_streams = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(_TOKENS), max_size=120).map(b"".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_streams, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_stream_any_chunking_gives_the_same_events(data: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    for strict in (True, False):
        assert decode(chunks, strict=strict) == decode([data], strict=strict)


# --- OpenAI chat-completion streams on top of SSE ---------------------------------

WHAT = "llama.cpp (127.0.0.1:8080)"


def _chunk(text: str) -> str:
    return "data: " + json.dumps({"choices": [{"delta": {"content": text}}]}) + "\n\n"


_STOP = "data: " + json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}]}) + "\n\n"


@dataclass(frozen=True)
class ChatCase:
    name: str
    data: bytes
    texts: list[str]
    error: type[errors.ProviderError] | None = None


CHAT_CASES = [
    ChatCase(
        "complete",
        (_chunk("Hel") + _chunk("lo") + _STOP + "data: [DONE]\n\n").encode(),
        ["Hel", "lo"],
    ),
    ChatCase("no-done-after-finish", (_chunk("a") + _STOP).encode(), ["a"]),
    ChatCase(
        "cut-without-finish", (_chunk("a") + _chunk("b")).encode(), ["a", "b"], IncompleteReplyError
    ),
    ChatCase(
        "error-object-after-text",
        (
            _chunk("Hel")
            + _chunk("lo")
            + 'data: {"error": {"message": "overloaded"}}\n\n'
            + _chunk("x")
        ).encode(),
        ["Hel", "lo"],
        ServerReportedError,
    ),
    ChatCase(
        "error-event-after-text",
        (_chunk("Hel") + "event: error\ndata: the model crashed\n\n").encode(),
        ["Hel"],
        ServerReportedError,
    ),
    ChatCase(
        "invalid-json-after-text",
        (_chunk("Hel") + "data: {not json\n\n" + _chunk("never")).encode(),
        ["Hel"],
        errors.ProtocolError,
    ),
    ChatCase("nothing-at-all", b": ping\n\n", [], ContextOverflowError),
]


@pytest.mark.parametrize("case", CHAT_CASES, ids=lambda c: c.name)
def test_chat_stream_every_chunking_keeps_the_text_before_an_error(case: ChatCase) -> None:
    for chunks in chunkings(case.data, seed=1):
        events, error, message = outcome(ChatCompletionStreamParser(WHAT), chunks)
        assert [e.text for e in events if isinstance(e, TextDelta)] == case.texts
        assert error is case.error, [len(c) for c in chunks]
        assert (message is None) == (case.error is None)
