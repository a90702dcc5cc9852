"""Lone surrogates in a reply (#12, point 1): joined when split, U+FFFD when alone, never lost.

JSON may carry UTF-16 surrogates as ``\\uD83D`` escapes. An emoji's two halves
may arrive in two events; a broken server may send one half alone. Python
decodes each event's JSON into its own ``str``, so the halves meet only when
the pieces are put together: until then each piece holds a surrogate that
cannot be encoded as UTF-8 (to a terminal, or into SQLite).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from deskchat.chat.session import ChatSession
from deskchat.provider import (
    OpenAICompatible,
    ReasoningDelta,
    ReplyState,
    TextDelta,
    stream_events,
)
from deskchat.store import AsyncStore, Store, database_path
from tests.child import ask_args, child_env, run_deskchat
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import Reply, serving
from tests.reliability.servers import HELLO, KINDS, collect, serve

GRIN = "\U0001f600"

# (pieces as the server sends them, one JSON string each) -> the text the user must get
CASES = {
    "split-pair": (["before ", "\ud83d", "\ude00", " after"], f"before {GRIN} after"),
    "split-pair-in-words": (["a\ud83d", "\ude00b"], f"a{GRIN}b"),
    "lone-high": (["before ", "\ud800", " after"], "before \ufffd after"),
    "lone-low": (["before \udc00 after"], "before \ufffd after"),
    "lone-high-last": (["before ", "\ud83d"], "before \ufffd"),
    "two-highs": (["\ud83d", "\ud83d", "\ude00"], f"\ufffd{GRIN}"),
    "whole-pair-in-one-event": ([f"x{GRIN}y"], f"x{GRIN}y"),
}
CASE_IDS = list(CASES)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASE_IDS)
async def test_every_provider_hands_on_clean_text(kind: str, case: str) -> None:
    pieces, expected = CASES[case]
    async with aiohttp.ClientSession() as session, serve(kind, session) as target:
        target.script(_reply(kind, target.body(pieces)), repeat=True)
        text, exc = await collect(target.provider(), target.model)
    assert exc is None, exc
    assert text == expected
    text.encode("utf-8")  # nothing left that UTF-8 cannot hold


def _reply(kind: str, body: bytes) -> Reply:
    content_type = "application/x-ndjson" if kind == "ollama" else "text/event-stream"
    # Written 7 bytes at a time: the halves arrive in separate network reads too.
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    return Reply(chunks=chunks, headers={"Content-Type": content_type})


async def test_a_half_left_over_when_the_stream_fails_is_kept_as_a_replacement() -> None:
    async with aiohttp.ClientSession() as session, serve("openai", session) as target:
        body = target.body(["kept ", "\ud83d"], done=False)
        target.script(Reply(chunks=[body, b"x"], cut_after=1), repeat=True)
        text, exc = await collect(target.provider(), target.model)
    assert exc is not None
    assert text == "kept \ufffd"


async def test_reasoning_halves_are_joined_too(session: aiohttp.ClientSession) -> None:
    fake = FakeOpenAI()
    fake.reply_with(
        stream_reply(
            sse([chunk(reasoning="think \ud83d"), chunk(reasoning="\ude00"), chunk("done")])
        )
    )
    async with serving(fake.app, "/v1") as base:
        chat = OpenAICompatible(base, session=session)
        events = [e async for e in stream_events(chat, "m", HELLO)]
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == f"think {GRIN}"
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "done"


def test_reply_state_joins_the_halves_itself() -> None:
    """Whoever feeds the state directly gets the same clean text."""
    state = ReplyState()
    assert state.handle("before ") == "before "
    assert state.handle("\ud83d") == ""
    assert state.handle("\ude00 after") == f"{GRIN} after"
    assert state.handle("\udc00") == "\ufffd"
    assert state.text == f"before {GRIN} after\ufffd"
    assert state.length == len(state.text)


@pytest.mark.parametrize("end", ["complete", "stop", "fail"])
def test_reply_state_keeps_a_last_half_as_a_replacement(end: str) -> None:
    state = ReplyState()
    state.handle("tail ")
    state.handle("\ud83d")
    assert state.text == "tail "
    if end == "fail":
        state.fail(RuntimeError("boom"))
    else:
        getattr(state, end)()
    assert state.text == "tail \ufffd"
    assert state.length == len("tail \ufffd")


def test_reply_state_reasoning_is_clean() -> None:
    state = ReplyState()
    state.handle(ReasoningDelta("a\ud83d"))
    state.handle(ReasoningDelta("\ude00\udfff"))
    assert state.reasoning == f"a{GRIN}\ufffd"


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (["before ", "\ud83d", "\ude00", " after"], f"before {GRIN} after"),
        (["before ", "\ud800", " after"], "before \ufffd after"),
    ],
    ids=["split-pair", "lone"],
)
async def test_deskchat_ask_prints_and_saves_the_whole_reply(
    pieces: list[str], expected: str, tmp_path: Path
) -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk(p) for p in pieces] + [chunk(finish="stop")])))
    data = tmp_path / "data"
    async with serving(fake.app, "/v1") as base:
        code, out, err = await run_deskchat(
            *ask_args(base), env=child_env(data, PYTHONIOENCODING="utf-8")
        )
    assert b"Traceback" not in err, err.decode(errors="replace")
    assert code == 0, err
    assert out.decode("utf-8") == expected + "\n"
    with Store(database_path(str(data))) as db:
        (conversation,) = db.list_conversations()
        user, reply = db.current_path(conversation.id)
    assert reply.content == expected
    assert reply.status == "complete"


async def test_the_window_core_saves_the_whole_reply_complete(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The window's ChatSession: the saved reply is whole and complete, not cut at the half."""
    fake = FakeOpenAI()
    pieces = ["before ", "\ud83d", "\ude00", " and ", "\ud800", " after"]
    fake.reply_with(stream_reply(sse([chunk(p) for p in pieces] + [chunk(finish="stop")])))
    db_path = tmp_path / "history.sqlite3"
    history = await AsyncStore.open(db_path)
    try:
        async with serving(fake.app, "/v1") as base:
            chat = ChatSession(OpenAICompatible(base, session=session), history=history)
            message = await chat.ask("hi")
            await chat.aclose()
    finally:
        await history.close()
    expected = f"before {GRIN} and \ufffd after"
    assert message is not None
    assert message.reply is not None
    assert message.reply.text == expected
    assert message.reply.status == "complete"
    with Store(db_path) as db:
        (conversation,) = db.list_conversations()
        _user, reply = db.current_path(conversation.id)
    assert (reply.content, reply.status) == (expected, "complete")
