"""Closing DeskChat mid-reply keeps the reply as interrupted (Continue at the next start);
Stop, and a plain aclose, keep it as stopped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from deskchat.chat.conversation import ShownConversation
from deskchat.chat.session import ChatSession
from deskchat.store import AsyncStore
from tests.chat.fakes import HANG, QueuedProvider
from tests.chat.test_session import Recorder, make, stored, until


async def cut_off(db_path: Path, *, interrupt: bool) -> None:
    history = await AsyncStore.open(db_path)
    try:
        chat = QueuedProvider(["so ", "far", HANG])
        session = make(chat, history)
        assert session.send("Tell me a story")
        await until(lambda: session.conversation.messages[-1].content == "so far")
        await session.aclose(interrupt=interrupt)
        assert chat.cancelled.is_set()
        assert session.conversation.messages[-1].interrupted is interrupt
    finally:
        await history.close()


async def test_closing_mid_reply_keeps_it_interrupted_and_the_next_start_continues(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "deskchat.sqlite3"
    await cut_off(db_path, interrupt=True)
    assert [(m.content, m.status) for m in stored(db_path)] == [
        ("Tell me a story", "complete"),
        ("so far", "streaming"),
    ]

    history = await AsyncStore.open(db_path)
    try:
        chat = QueuedProvider([" and the end."])
        session = ChatSession(chat, ShownConversation(), history=history)
        heard = Recorder(session)
        await session.load_history()
        await until(lambda: len(session.conversation.messages) == 2)
        assert session.can_continue()
        assert any("cut off when DeskChat last closed" in a[0] for a in heard.of("status_changed"))
        assert session.continue_reply()
        assert session.task is not None
        await asyncio.wait([session.task])
        assert session.conversation.messages[-1].content == "so far and the end."
    finally:
        await history.close()
    assert [(m.content, m.status) for m in stored(db_path)][-1] == (
        "so far and the end.",
        "complete",
    )


async def test_a_plain_close_is_a_stop(tmp_path: Path) -> None:
    db_path = tmp_path / "deskchat.sqlite3"
    await cut_off(db_path, interrupt=False)
    assert [(m.content, m.status) for m in stored(db_path)][-1] == ("so far", "stopped")


async def test_the_last_words_before_the_close_are_kept(tmp_path: Path) -> None:
    # The writer saves at most every 0.2 s; what arrived since is saved at the close.
    db_path = tmp_path / "deskchat.sqlite3"
    history = await AsyncStore.open(db_path)
    try:
        chat = QueuedProvider(["a", "b", "c", "d", HANG])
        session = make(chat, history)
        assert session.send("q")
        await until(lambda: session.conversation.messages[-1].content == "abcd")
        await session.aclose(interrupt=True)
    finally:
        await history.close()
    assert [(m.content, m.status) for m in stored(db_path)][-1] == ("abcd", "streaming")
