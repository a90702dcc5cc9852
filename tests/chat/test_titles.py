"""The chat's title follows its first question's latest version, in memory and in the
history, until the user renames the chat; a restart keeps both rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

from deskchat.chat.conversation import ShownConversation
from deskchat.chat.session import ChatSession
from deskchat.store import AsyncStore, Store
from tests.chat.fakes import QueuedProvider
from tests.chat.test_session import make, until


async def edited_first_question(session: ChatSession, text: str) -> None:
    assert session.edit_message(0, text)
    assert session.task is not None
    await asyncio.wait([session.task])


async def restarted(db_path: Path) -> tuple[ChatSession, AsyncStore]:
    history = await AsyncStore.open(db_path)
    session = ChatSession(QueuedProvider(["again"]), ShownConversation(), history=history)
    await session.load_history()
    await until(lambda: session.conversation.loaded and bool(session.conversation.messages))
    return session, history


async def test_an_edited_first_question_retitles_the_chat_here_and_after_a_restart(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "deskchat.sqlite3"
    history = await AsyncStore.open(db_path)
    try:
        session = make(QueuedProvider(["a"], ["b"]), history)
        await session.ask("Old question")
        await edited_first_question(session, "New question")
        assert session.conversation.title == "New question"
    finally:
        await history.close()
    with Store(db_path) as s:
        assert [c.title for c in s.list_conversations()] == ["New question"]

    session, history = await restarted(db_path)
    try:
        assert session.conversation.title == "New question"
        assert not session.conversation.renamed
        await edited_first_question(session, "Newer question")
        assert session.conversation.title == "Newer question"
    finally:
        await history.close()
    with Store(db_path) as s:
        assert [c.title for c in s.list_conversations()] == ["Newer question"]


async def test_a_renamed_chat_keeps_its_name_after_a_restart_and_an_edit(tmp_path: Path) -> None:
    db_path = tmp_path / "deskchat.sqlite3"
    history = await AsyncStore.open(db_path)
    try:
        session = make(QueuedProvider(["a"]), history)
        await session.ask("Question")
        session.rename_conversation(session.conversation.id, "My name for it")
        await until(lambda: not session.pending)
    finally:
        await history.close()

    session, history = await restarted(db_path)
    try:
        assert session.conversation.title == "My name for it"
        assert session.conversation.renamed
        await edited_first_question(session, "Edited question")
        assert session.conversation.title == "My name for it"
    finally:
        await history.close()
    with Store(db_path) as s:
        assert [c.title for c in s.list_conversations()] == ["My name for it"]
