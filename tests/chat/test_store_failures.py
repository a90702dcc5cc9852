"""The history failing under a streaming reply: the text stays in the bubble, a sentence says why.

Issue 12, point 4, as the chat core sees it: a full disk (a real tmpfs filled
to the last byte, see ``tests/fakes/disks.py``) or a lock held by another
program while a reply streams. The reply is never cut short for it: every
chunk stays in ``message.reply``, the status line says what happened, and
the history works again once the disk has room.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from deskchat.chat.conversation import ShownConversation
from deskchat.chat.session import ChatSession
from deskchat.provider import Event, Message
from deskchat.store import AsyncStore, Store
from tests.fakes.disks import Disk, small_disk

LONG = "All work and no play makes Jack a dull boy. " * 6_000  # ~270 KB


class FaultMidReply:
    """Streams a first piece, waits until it is saved, brings on a fault, then streams more."""

    name = "fault"
    display_name = "Fault"
    default_model = "fake-1"
    models: Sequence[str] = ("fake-1",)

    def __init__(self, db: Path, fault: Callable[[], None], pieces: Sequence[str]) -> None:
        self.db = db
        self.fault = fault
        self.pieces = pieces
        self.asked = 0

    async def create_async_generator(
        self, model: str | None, messages: Sequence[Message], **params: Any
    ) -> AsyncIterator[Event | str]:
        del model, messages, params
        self.asked += 1
        if self.asked > 1:
            yield "A later reply."
            return
        yield "Part one. "
        await _until_saved(self.db, "Part one. ")
        self.fault()
        for piece in self.pieces:
            yield piece
            await asyncio.sleep(0.05)


def _saved(db: Path, text: str) -> bool:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT content FROM messages WHERE role = 'assistant'").fetchall()
    return any(row[0] == text for row in rows)


async def _until_saved(db: Path, text: str) -> None:
    for _ in range(200):
        if _saved(db, text):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{text!r} was never saved")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    with small_disk(tmp_path / "disk", "4m") as d:
        yield d


def statuses(session: ChatSession) -> list[str]:
    seen: list[str] = []
    session.events.status_changed.connect(seen.append)
    return seen


async def _ask_on_a_full_disk(disk: Disk) -> tuple[ChatSession, list[str], str, Path]:
    db = disk.root / "data" / "deskchat.sqlite3"
    pieces = [LONG, LONG, "The end."]
    history = await AsyncStore.open(db)
    chat = FaultMidReply(db, disk.fill, pieces)
    session = ChatSession(chat, ShownConversation(), history=history)
    seen = statuses(session)
    reply = await session.ask("Tell me a long story")
    assert reply is not None
    return session, seen, reply.content, db


async def test_a_full_disk_mid_reply_keeps_the_text_and_says_so(disk: Disk) -> None:
    session, seen, shown, db = await _ask_on_a_full_disk(disk)
    try:
        # Every chunk is in the bubble, and the reply is complete (the model did no wrong).
        assert shown == "Part one. " + LONG + LONG + "The end."
        reply = session.conversation.messages[-1]
        assert reply.reply is not None
        assert reply.reply.status == "complete"
        full = [s for s in seen if "full" in s]
        assert full, seen
        assert "reply" in full[0]
        assert full[0].endswith(".")
        # Room again: what was saved is there (marked as cut short), and the next reply saves.
        disk.free()
        with Store(db) as s:
            (conv,) = s.list_conversations()
            path = s.current_path(conv.id)
            assert path[0].content == "Tell me a long story"
            assert "Part one. ".startswith(path[1].content) or path[1].content.startswith(
                "Part one. "
            )
        again = await session.ask("And another?")
        assert again is not None
        assert again.content == "A later reply."
        with Store(db) as s:
            assert s.current_path(conv.id)[-1].content == "A later reply."
    finally:
        await session.aclose()
        assert session.history is not None
        await session.history.close()


async def test_the_disk_full_sentence_is_still_the_status_when_the_reply_ends(
    disk: Disk,
) -> None:
    session, seen, _shown, _db = await _ask_on_a_full_disk(disk)
    try:
        assert "full" in seen[-1], seen
    finally:
        disk.free()
        await session.aclose()
        assert session.history is not None
        await session.history.close()


async def test_a_lock_held_mid_reply_keeps_the_text_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("deskchat.store.store.LOCK_WAIT", 0.3, raising=False)
    monkeypatch.setattr("deskchat.store.db._BUSY_TIMEOUT_MS", 100)
    db = tmp_path / "history" / "deskchat.sqlite3"
    holder: list[sqlite3.Connection] = []

    def lock() -> None:
        conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN EXCLUSIVE")
        holder.append(conn)

    history = await AsyncStore.open(db)
    chat = FaultMidReply(db, lock, ["while ", "another ", "program ", "writes."])
    session = ChatSession(chat, ShownConversation(), history=history)
    seen = statuses(session)
    try:
        reply = await session.ask("Hello?")
        assert reply is not None
        assert reply.content == "Part one. while another program writes."
        busy = [s for s in seen if "busy" in s]
        assert busy, seen
        assert busy[0].endswith(".")
        holder[0].execute("ROLLBACK")
        again = await session.ask("Still there?")
        assert again is not None
        assert again.content == "A later reply."
    finally:
        for conn in holder:
            conn.close()
        await session.aclose()
        await history.close()
