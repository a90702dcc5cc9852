"""A long stored conversation shows its last messages first and reads the rest after them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deskchat.chat.conversation import ChatMessage, ShownConversation
from deskchat.chat.session import FIRST_READ, ChatSession
from deskchat.store import AsyncStore, DiskError, Message, Store
from tests.chat.fakes import QueuedProvider

COUNT = FIRST_READ + 150


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "deskchat.sqlite3"
    with Store(path) as store:
        long = store.create_conversation("Long")
        pairs = [("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(COUNT)]
        store.add_messages_bulk(long.id, pairs)
    return path


@pytest.fixture
async def history(db_path: Path) -> AsyncIterator[AsyncStore]:
    store = await AsyncStore.open(db_path)
    try:
        yield store
    finally:
        await store.close()


async def until(condition: object, seconds: float = 5.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("timed out")
        await asyncio.sleep(0.01)


async def settled(session: ChatSession) -> None:
    await until(lambda: not session.pending)


def contents(messages: list[ChatMessage]) -> list[str]:
    return [m.content for m in messages]


async def test_the_last_messages_show_first_and_the_rest_joins_above_them(
    history: AsyncStore,
) -> None:
    session = ChatSession(QueuedProvider(["ok"]), ShownConversation(), history=history)
    first_shown: list[list[str]] = []
    session.events.conversation_selected.connect(
        lambda _id: first_shown.append(contents(session.conversation.messages))
    )
    await session.load_history()
    await settled(session)
    everything = [f"m{i}" for i in range(COUNT)]
    assert first_shown == [everything[-FIRST_READ:]]
    conversation = session.conversation
    assert conversation.earlier == 0
    assert contents(conversation.messages) == everything
    assert [m.store_id for m in conversation.messages] == sorted(
        m.store_id or 0 for m in conversation.messages
    )


async def test_the_bubbles_shown_first_stay_the_same_objects(history: AsyncStore) -> None:
    session = ChatSession(QueuedProvider(["ok"]), ShownConversation(), history=history)
    shown_first: list[ChatMessage] = []
    session.events.conversation_selected.connect(
        lambda _id: shown_first.extend(session.conversation.messages)
    )
    await session.load_history()
    await settled(session)
    assert len(shown_first) == FIRST_READ
    assert all(
        a is b
        for a, b in zip(session.conversation.messages[-FIRST_READ:], shown_first, strict=True)
    )


async def test_nothing_is_sent_until_the_whole_history_is_read(history: AsyncStore) -> None:
    chat = QueuedProvider(["answer"])
    session = ChatSession(chat, ShownConversation(), history=history)
    refused: list[bool] = []
    session.events.conversation_selected.connect(
        lambda _id: refused.append(
            session.conversation.earlier > 0
            and not session.send("too soon")
            and not session.regenerate(len(session.conversation.messages) - 1)
            and not session.edit_message(len(session.conversation.messages) - 2, "x")
            and not session.delete_message(0)
        )
    )
    await session.load_history()
    await settled(session)
    assert refused == [True]
    reply = await session.ask("next")
    assert reply is not None
    assert reply.content == "answer"
    sent = chat.requests[0]
    assert len(sent) == COUNT + 1
    assert sent[0] == {"role": "user", "content": "m0"}
    assert sent[-1] == {"role": "user", "content": "next"}


async def test_a_search_hit_above_the_first_messages_is_focused_once_they_are_read(
    history: AsyncStore,
) -> None:
    session = ChatSession(QueuedProvider(["ok"]), ShownConversation(), history=history)
    await session.load_history(show_newest=False)
    (hit,) = [h for h in await history.search('"m7"') if h.message_id is not None]
    focused: list[int] = []
    session.events.message_focused.connect(focused.append)
    shown_first: list[ChatMessage] = []
    session.events.conversation_selected.connect(
        lambda _id: shown_first.extend(session.conversation.messages)
    )
    session.open_hit(hit)
    await settled(session)
    assert focused == [7]
    assert session.conversation.messages[7].store_id == hit.message_id
    # Read, not switched to: the bubbles shown first stay (no other branch was shown).
    assert len(shown_first) == FIRST_READ
    assert all(
        a is b
        for a, b in zip(session.conversation.messages[-FIRST_READ:], shown_first, strict=True)
    )


async def test_open_latest_reads_the_whole_conversation(history: AsyncStore) -> None:
    chat = QueuedProvider(["ok"])
    session = ChatSession(chat, ShownConversation(), history=history)
    latest = await session.open_latest()
    assert latest is not None
    assert latest.earlier == 0
    assert len(latest.messages) == COUNT
    await session.ask("more")
    assert len(chat.requests[0]) == COUNT + 1


async def test_a_failed_read_of_the_rest_is_said_and_tried_again_when_shown_again(
    history: AsyncStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = ChatSession(QueuedProvider(["ok"]), ShownConversation(), history=history)
    statuses: list[str] = []
    session.events.status_changed.connect(statuses.append)
    whole = Store.current_path

    def failing(store: Store, conversation_id: int) -> list[Message]:
        raise DiskError("The disk could not be read.")

    monkeypatch.setattr(Store, "current_path", failing)
    await session.load_history()
    await settled(session)
    conversation = session.conversation
    assert statuses == ["The disk could not be read."]
    assert conversation.earlier == COUNT - FIRST_READ
    assert len(conversation.messages) == FIRST_READ
    assert not session.send("not yet")
    monkeypatch.setattr(Store, "current_path", whole)
    session.select_conversation(conversation.id)
    await settled(session)
    assert conversation.earlier == 0
    assert contents(conversation.messages) == [f"m{i}" for i in range(COUNT)]
