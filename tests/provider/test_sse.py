"""LineDecoder and SSEDecoder: bytes split anywhere, and the WHATWG rules."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskchat.provider.sse import LineDecoder, ServerSentEvent, SSEDecoder, iter_events, iter_lines


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (sorted, inside the data)."""
    points = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def every_split_in_two(data: bytes) -> list[list[bytes]]:
    """Each way to cut ``data`` in two pieces (including an empty piece)."""
    return [[data[:i], data[i:]] for i in range(len(data) + 1)]


def every_split_into_bytes(data: bytes) -> list[bytes]:
    """One chunk per byte: every boundary at once."""
    return [data[i : i + 1] for i in range(len(data))]


def events(lines: Iterable[str], *, dispatch_unterminated: bool = True) -> list[ServerSentEvent]:
    """Run lines through a fresh SSEDecoder, finish included."""
    decoder = SSEDecoder(dispatch_unterminated=dispatch_unterminated)
    out = [event for line in lines if (event := decoder.decode(line)) is not None]
    last = decoder.finish()
    if last is not None:
        out.append(last)
    return out


def sse(text: str | bytes, **kwargs: bool) -> list[ServerSentEvent]:
    """The events of a whole stream given at once."""
    data = text.encode() if isinstance(text, str) else text
    return iter_events([data], **kwargs)


# --- LineDecoder ------------------------------------------------------------

SMALL_CASES = [
    (b"a\nb\n", ["a", "b"]),
    (b"a\r\nb\r\n", ["a", "b"]),
    (b"a\rb\r", ["a", "b"]),
    (b"a\r\n\r\nb", ["a", "", "b"]),
    (b"a\r\rb", ["a", "", "b"]),
    (b"a\n\rb", ["a", "", "b"]),
    (b"\r\n", [""]),
    (b"no end", ["no end"]),
    (b"", []),
    ("caf\u00e9 \U0001f600\r\n\u4e2d\u6587".encode(), ["caf\u00e9 \U0001f600", "\u4e2d\u6587"]),
]


@pytest.mark.parametrize(("data", "expected"), SMALL_CASES)
def test_every_split_in_two_gives_the_same_lines(data: bytes, expected: list[str]) -> None:
    for chunks in every_split_in_two(data):
        assert iter_lines(chunks) == expected, chunks


@pytest.mark.parametrize(("data", "expected"), SMALL_CASES)
def test_one_byte_at_a_time_gives_the_same_lines(data: bytes, expected: list[str]) -> None:
    assert iter_lines(every_split_into_bytes(data)) == expected


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"first\r") == ["first"]
    # The LF completes the CRLF: it must not end an empty line.
    assert decoder.feed(b"\nsecond\r") == ["second"]
    assert decoder.feed(b"\n") == []
    assert decoder.finish() == []


def test_crlf_split_with_an_empty_chunk_between() -> None:
    assert iter_lines([b"a\r", b"", b"\nb"]) == ["a", "b"]


def test_cr_then_partial_utf8_then_lf() -> None:
    # The chunk after the CR decodes to nothing yet; the CR state must survive it.
    assert iter_lines([b"a\r", b"\xf0\x9f", b"\x98\x80\n"]) == ["a", "\U0001f600"]
    assert iter_lines([b"a\r", b"\n\xf0\x9f", b"\x98\x80\n"]) == ["a", "\U0001f600"]


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_four_byte_character_across_chunks(cut: int) -> None:
    emoji = "\U0001f600".encode()
    assert len(emoji) == 4
    data = b"x" + emoji + b"y\n"
    chunks = [data[: 1 + cut], data[1 + cut :]]
    assert iter_lines(chunks) == ["x\U0001f600y"]


def test_four_byte_character_one_byte_per_chunk() -> None:
    decoder = LineDecoder()
    emoji = "\U0001f600".encode()
    for byte in emoji[:-1]:
        assert decoder.feed(bytes([byte])) == []
    assert decoder.feed(emoji[-1:] + b"\n") == ["\U0001f600"]


@pytest.mark.parametrize(
    "separator",
    ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"],
    ids=["LS", "PS", "NEL", "VT", "FF", "FS", "GS", "RS"],
)
def test_only_cr_and_lf_end_lines(separator: str) -> None:
    text = f"left{separator}right\n"
    assert iter_lines([text.encode()]) == [f"left{separator}right"]
    # str.splitlines would have broken the line here, which is why it is not used.
    assert len(text.splitlines()) == 2


def test_bom_is_kept_by_the_line_decoder_and_dropped_by_sse() -> None:
    data = b"\xef\xbb\xbfdata: x\n\n"
    lines = iter_lines(every_split_into_bytes(data))
    assert lines == ["\ufeffdata: x", ""]
    assert events(lines) == [ServerSentEvent(data="x")]


def test_only_the_first_bom_is_dropped() -> None:
    assert sse("\ufeffdata: a\n\n\ufeffdata: b\n\n") == [ServerSentEvent(data="a")]


def test_cr_only_stream() -> None:
    data = b"data: one\r\rdata: two\r\r"
    for chunks in every_split_in_two(data):
        assert events(iter_lines(chunks)) == [
            ServerSentEvent(data="one"),
            ServerSentEvent(data="two"),
        ]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert iter_lines([b"a\xffb\n"]) == ["a\ufffdb"]
    # A truncated sequence at the very end is flushed by finish().
    assert iter_lines([b"a\xf0\x9f"]) == ["a\ufffd"]


def test_finish_flushes_the_unterminated_line_once() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"abc") == []
    assert decoder.finish() == ["abc"]
    assert decoder.finish() == []


def test_a_line_longer_than_a_megabyte_in_small_chunks() -> None:
    line = ("\u00e9\U0001f600xyz" * 150_000).encode()  # about 1.5 MB
    assert len(line) > 1024 * 1024
    data = b"data: " + line + b"\r\n\r\n"
    decoder = LineDecoder()
    out: list[str] = []
    most_parts = 0
    for i in range(0, len(data), 1000):
        out.extend(decoder.feed(data[i : i + 1000]))
        most_parts = max(most_parts, len(decoder._parts))
    out.extend(decoder.finish())
    assert out == ["data: " + line.decode(), ""]
    # One stored piece per chunk, joined once at the end of the line: linear
    # work, never re-joining a growing buffer.
    assert most_parts <= len(data) // 1000 + 1
    assert decoder._parts == []


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=200)
    | st.lists(
        st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\xff"]),
        max_size=60,
    ).map(b"".join),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
)
def test_any_chunking_equals_decoding_the_whole(data: bytes, cuts: list[int]) -> None:
    chunks = split_at(data, (c for c in cuts if c <= len(data)))
    assert b"".join(chunks) == data
    assert iter_lines(chunks) == iter_lines([data])


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(exclude_categories=["Cs"]) | st.sampled_from(["\r", "\n"]),
        max_size=80,
    )
)
def test_lines_match_a_split_on_cr_lf_and_crlf_only(text: str) -> None:
    expected = re.split(r"\r\n|\r|\n", text)
    if expected[-1] == "":
        expected.pop()
    assert iter_lines(every_split_into_bytes(text.encode())) == expected


# --- SSEDecoder: the WHATWG examples and rules -------------------------------


def test_spec_example_stock_ticker() -> None:
    stream = "data: YHOO\ndata: +2\ndata: 10\n\n"
    assert sse(stream) == [ServerSentEvent(data="YHOO\n+2\n10")]


def test_spec_example_comment_and_ids() -> None:
    stream = (
        ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
    )
    assert sse(stream) == [
        ServerSentEvent(data="first event", id="1"),
        # "id" with no colon resets the last event id to empty.
        ServerSentEvent(data="second event", id=""),
        # Only one leading space is removed; the last event needs no blank line here.
        ServerSentEvent(data=" third event", id=""),
    ]
    assert sse(stream, dispatch_unterminated=False) == [
        ServerSentEvent(data="first event", id="1"),
        ServerSentEvent(data="second event", id=""),
    ]


def test_spec_example_empty_data() -> None:
    # "data" and "data:" both add an empty line; two of them join to one LF.
    assert sse("data\n\ndata\ndata\n\ndata:\n") == [
        ServerSentEvent(data=""),
        ServerSentEvent(data="\n"),
        ServerSentEvent(data=""),
    ]
    assert sse("data\n\ndata\ndata\n\ndata:\n", dispatch_unterminated=False) == [
        ServerSentEvent(data=""),
        ServerSentEvent(data="\n"),
    ]


def test_spec_example_space_after_colon_is_optional() -> None:
    assert sse("data:test\n\ndata: test\n\n") == [
        ServerSentEvent(data="test"),
        ServerSentEvent(data="test"),
    ]


def test_event_field_names_the_type_for_one_event_only() -> None:
    assert sse("event: add\ndata: 73857293\n\ndata: plain\n\n") == [
        ServerSentEvent(event="add", data="73857293"),
        ServerSentEvent(event="message", data="plain"),
    ]


def test_event_without_data_is_not_dispatched_and_its_type_is_reset() -> None:
    assert sse("event: ping\n\ndata: x\n\n") == [ServerSentEvent(data="x")]


def test_id_persists_and_null_ids_are_ignored() -> None:
    assert sse("id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n") == [
        ServerSentEvent(data="a", id="7"),
        ServerSentEvent(data="b", id="7"),
        ServerSentEvent(data="c", id="7"),
    ]


def test_retry_takes_digits_only() -> None:
    assert sse("retry: 3000\ndata: a\n\nretry: 12x\ndata: b\n\nretry:\ndata: c\n\n") == [
        ServerSentEvent(data="a", retry=3000),
        ServerSentEvent(data="b"),
        ServerSentEvent(data="c"),
    ]
    # Non-ASCII digits are not ASCII digits.
    assert sse("retry: \u0663\ndata: d\n\n") == [ServerSentEvent(data="d")]


def test_unknown_fields_and_comments_are_ignored() -> None:
    assert sse(": hello\nfoo: bar\nDATA: no\ndata: yes\n:\n\n") == [ServerSentEvent(data="yes")]


def test_field_value_keeps_further_colons() -> None:
    assert sse('data: {"a": "b:c"}\n\n') == [ServerSentEvent(data='{"a": "b:c"}')]


def test_blank_lines_alone_dispatch_nothing() -> None:
    assert sse("\n\n\r\n\r") == []


def test_final_event_without_blank_line_both_modes() -> None:
    assert sse("data: last") == [ServerSentEvent(data="last")]
    assert sse("data: last", dispatch_unterminated=False) == []
    # After a strict finish, the decoder holds nothing over.
    decoder = SSEDecoder(dispatch_unterminated=False)
    decoder.decode("data: dropped")
    assert decoder.finish() is None
    assert decoder.decode("") is None


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_byte_split_of_a_stream_gives_the_same_events(newline: str) -> None:
    stream = newline.join(
        [": c", "event: e", "id: 1", "data: caf\u00e9", "data:\U0001f600", "", "data: two", "", ""]
    )
    data = stream.encode()
    expected = [
        ServerSentEvent(event="e", data="caf\u00e9\n\U0001f600", id="1"),
        ServerSentEvent(data="two", id="1"),
    ]
    assert events(iter_lines(every_split_into_bytes(data))) == expected
    for chunks in every_split_in_two(data):
        assert events(iter_lines(chunks)) == expected
