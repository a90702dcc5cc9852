"""Retry replaces a failed reply (an error is never a version); another version changes
only the rows that differ, so whatever shows the conversation stays where it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deskchat.chat.conversation import ChatMessage, ShownConversation
from deskchat.chat.footer import footer
from deskchat.chat.session import ChatSession
from deskchat.provider import ServerError, StreamInterruptedError
from deskchat.store import AsyncStore, Store
from tests.chat.fakes import HANG, QueuedProvider
from tests.chat.test_session import make, stored, until

DROPPED = StreamInterruptedError("The connection dropped in the middle of the reply.")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "deskchat.sqlite3"


@pytest.fixture
async def history(db_path: Path) -> AsyncIterator[AsyncStore]:
    store = await AsyncStore.open(db_path)
    try:
        yield store
    finally:
        await store.close()


def replies(db_path: Path) -> list[tuple[str, str]]:
    """Every stored reply of the newest conversation, all versions: (text, status)."""
    with Store(db_path) as s:
        (newest, *_rest) = s.list_conversations()
        return [(m.content, m.status) for m in s.all_messages(newest.id) if m.role == "assistant"]


async def retried(session: ChatSession) -> None:
    assert session.retry()
    assert session.task is not None
    await asyncio.wait([session.task])


async def test_a_retry_that_works_replaces_the_failed_reply_in_view_and_history(
    history: AsyncStore, db_path: Path
) -> None:
    session = make(QueuedProvider(["partial ", DROPPED], ["second try"]), history)
    failed = await session.ask("q")
    assert failed is not None
    assert session.can_retry()

    await retried(session)

    messages = session.conversation.messages
    assert [m.content for m in messages] == ["q", "second try"]
    assert failed not in messages
    answer = messages[1]
    # Not "2/2": the failure was never a version.
    assert (answer.version, answer.versions) == (1, 1)
    assert replies(db_path) == [("second try", "complete")]
    assert [m.content for m in stored(db_path)] == ["q", "second try"]
    assert not session.can_retry()


async def test_a_retry_that_fails_again_leaves_one_failure_not_two(
    history: AsyncStore, db_path: Path
) -> None:
    overloaded = ServerError("The server is overloaded.", status_code=503)
    session = make(QueuedProvider(["partial ", DROPPED], [overloaded]), history)
    session.retry_attempts = 1
    await session.ask("q")

    await retried(session)

    messages = session.conversation.messages
    assert len(messages) == 2
    assert messages[1].reply is not None
    assert messages[1].reply.status == "error"
    assert (messages[1].version, messages[1].versions) == (1, 1)
    assert [status for _text, status in replies(db_path)] == ["error"]
    assert session.can_retry()


async def test_a_retry_stopped_before_its_first_word_brings_the_failure_back(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["partial ", DROPPED], [HANG])
    session = make(chat, history)
    failed = await session.ask("q")
    assert session.retry()
    assert session.conversation.messages[-1] is not failed
    await until(lambda: len(chat.requests) == 2)
    session.stop()
    assert session.task is not None
    await asyncio.wait([session.task])

    assert session.conversation.messages[-1] is failed
    assert session.can_retry()
    assert replies(db_path) == [("partial ", "error")]


async def test_a_retry_stopped_after_some_text_keeps_that_text_in_place_of_the_failure(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["partial ", DROPPED], ["some ", HANG])
    session = make(chat, history)
    await session.ask("q")
    assert session.retry()
    await until(lambda: session.conversation.messages[-1].content == "some ")
    session.stop()
    assert session.task is not None
    await asyncio.wait([session.task])
    assert [m.content for m in session.conversation.messages] == ["q", "some "]
    assert replies(db_path) == [("some ", "stopped")]


async def test_retry_without_a_history_replaces_the_bubble_too() -> None:
    session = make(QueuedProvider(["partial ", DROPPED], ["fine"]))
    await session.ask("q")
    await retried(session)
    assert [m.content for m in session.conversation.messages] == ["q", "fine"]


async def test_regenerating_a_good_answer_still_keeps_it_as_a_version(
    history: AsyncStore, db_path: Path
) -> None:
    session = make(QueuedProvider(["one"], ["two"]), history)
    await session.ask("q")
    assert session.regenerate(1)
    assert session.task is not None
    await asyncio.wait([session.task])
    assert replies(db_path) == [("one", "complete"), ("two", "complete")]


async def test_an_old_failure_with_replies_after_it_is_never_deleted(db_path: Path) -> None:
    with Store(db_path) as s:
        conversation = s.create_conversation()
        question = s.add_message(conversation.id, "user", "q")
        failed = s.add_message(
            conversation.id, "assistant", "", parent_id=question.id, status="error", error="x"
        )
        s.add_message(conversation.id, "user", "and then", parent_id=failed.id)
        s.add_message(conversation.id, "assistant", "other", parent_id=question.id)
        assert not s.drop_failed_reply(failed.id)
        good = s.current_path(conversation.id)[1]
        assert not s.drop_failed_reply(good.id)
        assert len(s.all_messages(conversation.id)) == 4


async def test_the_footer_of_a_failure_is_its_sentence_with_no_second_retry() -> None:
    session = make(QueuedProvider(["partial ", DROPPED]))
    failed = await session.ask("q")
    assert failed is not None
    assert footer(failed) == "⚠ The connection dropped in the middle of the reply."


async def test_another_version_changes_only_the_rows_that_differ(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["a1"], ["a2"], ["a3"], ["a3 again"])
    shown = ShownConversation()
    session = ChatSession(chat, shown, history=history)
    await session.ask("q1")
    await session.ask("q2")
    assert session.regenerate(3)
    assert session.task is not None
    await asyncio.wait([session.task])
    first_rows = list(session.conversation.messages[:3])
    assert [m.content for m in session.conversation.messages] == ["q1", "a1", "q2", "a3"]

    changed: list[tuple[int, list[ChatMessage]]] = []
    original = shown.replace

    def spy(row: int, messages: list[ChatMessage]) -> None:
        changed.append((row, list(messages)))
        original(row, messages)

    shown.replace = spy  # type: ignore[method-assign]
    assert session.switch_version(3, -1)
    await until(lambda: session.conversation.messages[3].content == "a2")
    # Only the last row was replaced; the rows above are the same objects, untouched.
    assert [(row, [m.content for m in ms]) for row, ms in changed] == [(3, ["a2"])]
    assert session.conversation.messages[:3] == first_rows
    assert (
        session.conversation.messages[3].version,
        session.conversation.messages[3].versions,
    ) == (
        1,
        2,
    )
    # The title is not taken from another version.
    assert session.conversation.title == "q1"


async def test_switching_the_first_question_replaces_the_branch_below_it(
    history: AsyncStore,
) -> None:
    session = make(QueuedProvider(["about cats"], ["more"], ["about dogs"]), history)
    await session.ask("cats")
    await session.ask("more please")
    assert session.edit_message(0, "dogs")
    assert session.task is not None
    await asyncio.wait([session.task])
    assert session.switch_version(0, -1)
    await until(lambda: session.conversation.messages[0].content == "cats")
    assert [m.content for m in session.conversation.messages] == [
        "cats",
        "about cats",
        "more please",
        "more",
    ]
