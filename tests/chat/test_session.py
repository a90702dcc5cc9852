"""The chat core without Qt: send, retry, edit, regenerate, versions, continue, stop, saving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deskchat.chat.conversation import ShownConversation
from deskchat.chat.session import ChatSession
from deskchat.chat.streaming import CONTINUE_PROMPT
from deskchat.provider import LoadProgress, ServerError, StreamInterruptedError, UsageEvent
from deskchat.store import AsyncStore, Message, Store
from tests.chat.fakes import HANG, QueuedProvider


async def no_wait(_seconds: float) -> None:
    return None


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


def stored(db_path: Path) -> list[Message]:
    """The newest conversation's current path, read with a fresh Store."""
    with Store(db_path) as s:
        (newest, *_rest) = s.list_conversations()
        return s.current_path(newest.id)


def make(chat: QueuedProvider, history: AsyncStore | None = None) -> ChatSession:
    session = ChatSession(chat, ShownConversation(), history=history)
    session.retry_sleep = no_wait
    return session


class Recorder:
    """Every notice a session emits, by name, in order."""

    def __init__(self, session: ChatSession) -> None:
        self.seen: list[tuple[str, tuple[object, ...]]] = []
        for name, notice in vars(session.events).items():
            notice.connect(lambda *args, name=name: self.seen.append((name, args)))

    def of(self, name: str) -> list[tuple[object, ...]]:
        return [args for seen, args in self.seen if seen == name]


async def test_send_streams_the_reply_and_saves_both_messages(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["Hel", "lo", UsageEvent(prompt_tokens=3, completion_tokens=2)])
    session = make(chat, history)
    heard = Recorder(session)
    reply = await session.ask("Hi there")
    assert reply is not None
    assert reply.reply is not None
    assert reply.content == "Hello"
    assert reply.reply.status == "complete"
    assert chat.requests == [[{"role": "user", "content": "Hi there"}]]
    assert heard.of("busy_changed") == [(True,), (False,)]
    assert heard.of("reply_finished") == [("complete",)]
    assert [args[1] for args in heard.of("text_added")] == ["Hel", "lo"]
    path = stored(db_path)
    assert [(m.role, m.content, m.status) for m in path] == [
        ("user", "Hi there", "complete"),
        ("assistant", "Hello", "complete"),
    ]
    assert path[1].completion_tokens == 2
    assert path[1].provider == "queued"
    assert path[1].model == "fake-1"
    assert reply.store_id == path[1].id
    assert reply.model == "fake-1"


async def test_the_system_prompt_and_temperature_go_with_every_reply() -> None:
    chat = QueuedProvider(["ok"])
    session = make(chat)
    session.system_prompt = "Be brief."
    session.temperature = 0.2
    await session.ask("q")
    assert chat.requests[0][0] == {"role": "system", "content": "Be brief."}
    assert chat.params[0] == {"temperature": 0.2}


async def test_a_failure_before_the_first_byte_is_retried_once_and_then_answers(
    history: AsyncStore, db_path: Path
) -> None:
    overloaded = ServerError("The server is overloaded.", status_code=503)
    chat = QueuedProvider([overloaded], ["after the retry"])
    session = make(chat, history)
    heard = Recorder(session)
    reply = await session.ask("q")
    assert reply is not None
    assert reply.content == "after the retry"
    assert len(chat.requests) == 2
    assert heard.of("retrying") == [(0.5,)]
    assert [(m.role, m.content) for m in stored(db_path)] == [
        ("user", "q"),
        ("assistant", "after the retry"),
    ]


async def test_a_failure_after_text_arrived_is_never_retried_and_keeps_the_text(
    history: AsyncStore, db_path: Path
) -> None:
    dropped = StreamInterruptedError("The connection dropped in the middle of the reply.")
    chat = QueuedProvider(["partial ", dropped], ["second try"])
    session = make(chat, history)
    reply = await session.ask("q")
    assert reply is not None
    assert reply.reply is not None
    assert len(chat.requests) == 1
    assert reply.content == "partial "
    assert reply.reply.status == "error"
    assert reply.reply.error == "The connection dropped in the middle of the reply."
    last = stored(db_path)[-1]
    assert (last.content, last.status, last.error) == ("partial ", "error", reply.reply.error)
    # Retry sends the conversation again: the failed reply's text is not part of it.
    assert session.can_retry()
    assert session.retry()
    assert session.task is not None
    await session.task
    assert chat.requests[1] == [{"role": "user", "content": "q"}]
    assert session.conversation.messages[-1].content == "second try"
    assert not session.can_retry()


async def test_edit_keeps_the_old_question_and_answer_as_a_version(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["first answer"], ["second answer"])
    session = make(chat, history)
    await session.ask("first question")
    assert session.edit_message(0, "edited question")
    assert session.task is not None
    await session.task
    assert chat.requests[1] == [{"role": "user", "content": "edited question"}]
    path = stored(db_path)
    assert [m.content for m in path] == ["edited question", "second answer"]
    assert (path[0].version, path[0].versions) == (2, 2)
    user = session.conversation.messages[0]
    assert (user.version, user.versions) == (2, 2)
    # Back to version 1: the old question with its own answer.
    assert session.switch_version(0, -1)
    await until(lambda: session.conversation.messages[0].content == "first question")
    assert [m.content for m in session.conversation.messages] == ["first question", "first answer"]
    assert [m.content for m in stored(db_path)] == ["first question", "first answer"]


async def test_regenerate_asks_again_and_both_answers_stay_versions(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["answer one"], ["answer two"])
    session = make(chat, history)
    await session.ask("q")
    assert session.regenerate(1)
    assert session.task is not None
    await session.task
    assert chat.requests[1] == [{"role": "user", "content": "q"}]
    reply = session.conversation.messages[1]
    assert (reply.content, reply.version, reply.versions) == ("answer two", 2, 2)
    assert session.switch_version(1, -1)
    await until(lambda: session.conversation.messages[1].content == "answer one")
    assert (session.conversation.messages[1].version, len(stored(db_path))) == (1, 2)
    # No step past the first or the last version.
    assert not session.switch_version(1, -1)


async def test_stop_keeps_the_partial_reply_saved_as_stopped(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["so far", HANG])
    session = make(chat, history)
    assert session.send("q")
    await until(lambda: session.conversation.messages[-1].content == "so far")
    session.stop()
    assert session.task is not None
    await asyncio.wait([session.task])
    await asyncio.wait_for(chat.cancelled.wait(), 5)
    reply = session.conversation.messages[-1]
    assert reply.reply is not None
    assert reply.reply.status == "stopped"
    await session.aclose()
    last = stored(db_path)[-1]
    assert (last.content, last.status) == ("so far", "stopped")


async def test_an_interrupted_reply_continues_in_the_same_row(db_path: Path) -> None:
    with Store(db_path) as s:
        conversation = s.create_conversation("")
        question = s.add_message(conversation.id, "user", "Tell me a story")
        writer = s.begin_reply(conversation.id, question.id, interval=0.0)
        writer.append("Once upon")  # ...and DeskChat was killed: still 'streaming'.
    chat = QueuedProvider([" a time."])
    history = await AsyncStore.open(db_path)
    try:
        session = make(chat, history)
        heard = Recorder(session)
        await session.load_history()
        await until(lambda: len(session.conversation.messages) == 2)
        assert session.can_continue()
        assert any("cut off when DeskChat last closed" in a[0] for a in heard.of("status_changed"))
        assert session.continue_reply()
        assert session.task is not None
        await session.task
        assert chat.requests[0][-1] == {"role": "user", "content": CONTINUE_PROMPT}
        assert chat.requests[0][-2] == {"role": "assistant", "content": "Once upon"}
        reply = session.conversation.messages[-1]
        assert reply.content == "Once upon a time."
        assert not session.can_continue()
    finally:
        await history.close()
    path = stored(db_path)
    assert len(path) == 2
    assert (path[1].content, path[1].status) == ("Once upon a time.", "complete")


async def test_without_a_history_everything_works_in_memory() -> None:
    chat = QueuedProvider(["one"], ["two"])
    session = make(chat)
    await session.ask("a")
    await session.ask("b")
    assert [m.content for m in session.conversation.messages] == ["a", "one", "b", "two"]
    assert chat.requests[1] == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "one"},
        {"role": "user", "content": "b"},
    ]
    assert session.conversation.title == "a"


async def test_a_listener_that_raises_does_not_stop_the_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = make(QueuedProvider(["fine"]))

    def broken(_message: object, _piece: str) -> None:
        raise RuntimeError("a view's bug")

    session.events.text_added.connect(broken)
    reply = await session.ask("q")
    assert reply is not None
    assert reply.content == "fine"
    assert "a listener of" in caplog.text


async def test_one_reply_at_a_time_and_empty_text_is_not_sent() -> None:
    session = make(QueuedProvider(["x", HANG]))
    assert not session.send("   ")
    assert session.send("first")
    assert not session.send("second")
    await session.aclose()


async def test_open_latest_continues_the_newest_conversation(
    history: AsyncStore, db_path: Path
) -> None:
    chat = QueuedProvider(["one"], ["two"])
    first = make(chat, history)
    await first.ask("a")
    again = make(chat, history)
    latest = await again.open_latest()
    assert latest is not None
    assert latest.store_id == first.conversation.store_id
    await again.ask("b")
    assert chat.requests[1][:2] == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "one"},
    ]
    assert [m.content for m in stored(db_path)] == ["a", "one", "b", "two"]


async def until(condition: object, seconds: float = 5.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("timed out")
        await asyncio.sleep(0.01)


async def test_loading_a_model_is_said_in_the_status_line_and_is_not_reply_text() -> None:
    chat = QueuedProvider(
        [
            LoadProgress("Tiny Chat", 0.0),
            LoadProgress("Tiny Chat", 0.4),
            LoadProgress("Tiny Chat", None),
            LoadProgress("Tiny Chat", 1.0, done=True),
            "hi",
        ]
    )
    session = make(chat)
    heard = Recorder(session)
    reply = await session.ask("q")
    assert reply is not None
    assert reply.content == "hi"
    statuses = [args[0] for args in heard.of("status_changed")]
    assert "Loading Tiny Chat… 0 %" in statuses
    assert "Loading Tiny Chat… 40 %" in statuses
    assert "Loading Tiny Chat…" in statuses
    # The load's end hands over to the usual waiting line, then the reply arrives.
    done = statuses.index("Loading Tiny Chat…") + 1
    assert statuses[done] == "Waiting for the first reply…"
