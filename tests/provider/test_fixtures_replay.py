"""Replay a stream recorded from a real llama.cpp server through the decoders."""

from __future__ import annotations

import json
import random

import pytest

from deskchat.provider import ChatgptFree, EmptyReplyError
from deskchat.provider.sse import ServerSentEvent, iter_events
from tests.fakes.wordpress import FakeWordPress, Script
from tests.fixtures import LLAMA_CPP as LLAMA

# The repo's parent holds shared/ (beside /work/main here, beside the clone on CI).
STREAM = LLAMA / "chat-stream.sse"


# What the recording holds, read by eye from the file (see its README).
CONTENTS = [
    "\x1c",
    "",
    " chat",
    "\x12",
    "\x14",
    "",
    "",
    "",
    "",
    "\x16",
    "",
    "u",
    "",
    "",
    "5",
    "y",
]


def random_chunks(data: bytes, seed: int) -> list[bytes]:
    """``data`` cut at seeded random places, including 1-byte and empty pieces."""
    rng = random.Random(seed)
    chunks: list[bytes] = []
    i = 0
    while i < len(data):
        n = rng.choice([0, 1, 1, 2, 3, rng.randint(1, 64), rng.randint(1, 900)])
        chunks.append(data[i : i + n])
        i += n
    return chunks


def decode(chunks: list[bytes]) -> list[ServerSentEvent]:
    """Run chunks through LineDecoder then SSEDecoder, end of stream included."""
    return iter_events(chunks)


def check(events: list[ServerSentEvent]) -> None:
    assert len(events) == 19
    assert all(e.event == "message" for e in events)
    assert events[-1].data == "[DONE]"
    chunks = [json.loads(e.data) for e in events[:-1]]
    assert {c["id"] for c in chunks} == {"chatcmpl-b48f6cfb-04a7-4e89-931a-f71b7eaf1bfe"}
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant"}
    assert [d["content"] for d in deltas[1:-1]] == CONTENTS
    assert deltas[-1] == {}
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_whole_recording() -> None:
    check(decode([STREAM.read_bytes()]))


@pytest.mark.parametrize("seed", range(40))
def test_recording_split_at_random_places(seed: int) -> None:
    data = STREAM.read_bytes()
    chunks = random_chunks(data, seed)
    assert b"".join(chunks) == data
    check(decode(chunks))


def test_recording_one_byte_at_a_time() -> None:
    data = STREAM.read_bytes()
    check(decode([data[i : i + 1] for i in range(len(data))]))


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_recording_with_other_line_ends(newline: bytes) -> None:
    # The server sent LF; the same events must come out of CRLF and CR streams.
    data = STREAM.read_bytes().replace(b"\n", newline)
    check(decode(random_chunks(data, 99)))


def test_control_characters_survive_as_text() -> None:
    # \x1c, \x12 ... are line breaks to str.splitlines but not to SSE.
    text = "".join(CONTENTS)
    assert len(text.splitlines()) > 1
    events = decode(random_chunks(STREAM.read_bytes(), 7))
    joined = "".join(
        json.loads(e.data)["choices"][0]["delta"].get("content", "") for e in events[:-1]
    )
    assert joined == text


def recorded_body(name: str) -> bytes:
    """The body of a recorded ``.http`` answer (after the blank line ending the headers)."""
    raw = (LLAMA / name).read_bytes()
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"{name} has no header/body separator"
    return body


def test_context_overflow_recording_has_no_events() -> None:
    body = recorded_body("context-overflow.http")
    assert decode([body]) == []
    assert decode(random_chunks(body, 3)) == []


@pytest.mark.parametrize("seed", range(8))
async def test_recording_through_chatgptfree(
    fake_site: FakeWordPress, wordpress: str, seed: int
) -> None:
    # The plugin relays the same OpenAI-style chunks: the non-empty contents come out.
    fake_site.reply = Script(chunks=random_chunks(STREAM.read_bytes(), seed))
    chat = ChatgptFree(wordpress)
    got = [c async for c in chat.create_async_generator(None, [{"role": "user", "content": "x"}])]
    assert got == [c for c in CONTENTS if c]


async def test_context_overflow_through_chatgptfree(
    fake_site: FakeWordPress, wordpress: str
) -> None:
    fake_site.reply = Script(chunks=[recorded_body("context-overflow.http")])
    chat = ChatgptFree(wordpress)
    with pytest.raises(EmptyReplyError, match="without any text") as info:
        await anext(chat.create_async_generator(None, [{"role": "user", "content": "x"}]))
    assert "127.0.0.1" in info.value.message
