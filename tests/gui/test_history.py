"""The window with a history store: chats survive a restart, replies are saved as they stream."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt

from deskchat.chat.footer import INTERRUPTED, STOPPED
from deskchat.chat.streaming import CONTINUE_PROMPT
from deskchat.gui.controller import ChatController
from deskchat.gui.message_model import FIRST_ROWS, FooterRole, MessageModel
from deskchat.store import AsyncStore, Store, database_path
from tests.fakes.wordpress import FakeWordPress, Script, stream
from tests.gui.conftest import until
from tests.gui.fakes import ScriptedProvider
from tests.gui.history_helpers import (
    hanging,
    last_prompt,
    open_window,
    send,
    status_of,
    stored_path,
)


async def test_history_survives_a_restart(qtbot, wordpress: str, fake_site: FakeWordPress) -> None:
    fake_site.reply = stream(["Bonjour", " à vous"])
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Say hello in French")
        await until(lambda: status_of(window) == "complete", what="the reply")
        await until(lambda: not window.session.busy)

    async with open_window(qtbot, wordpress) as window:
        await until(lambda: window.message_model.rowCount() == 2, what="the stored chat")
        model = window.message_model
        assert model.index(0).data() == "Say hello in French"
        assert model.index(1).data() == "Bonjour à vous"
        assert window.sidebar.conversation_list.item(0).text() == "Say hello in French"
        # Stored replies have no timing; nothing pretends otherwise. The model is named.
        assert model.index(1).data(FooterRole) == "gpt-4o-mini-2024-07-18"
    assert [(m.role, m.content, m.status) for m in stored_path()] == [
        ("user", "Say hello in French", "complete"),
        ("assistant", "Bonjour à vous", "complete"),
    ]


async def test_the_user_message_is_saved_before_the_request(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = Script(chunks=[b""], hang_after=0)
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Saved first")
        await until(lambda: len(fake_site.posts) == 1, what="the POST")
        assert [(m.role, m.content) for m in stored_path()] == [("user", "Saved first")]


async def test_stop_saves_the_partial_reply_as_stopped(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = hanging(["Partial ", "answer"])
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Tell me")
        await until(lambda: window.message_model.index(1).data() == "Partial answer")
        window.menus.stop_action.trigger()
        await until(lambda: not window.session.busy, what="the stop")
        assert window.message_model.index(1).data(FooterRole) == STOPPED
        path = stored_path()
    assert [(m.content, m.status) for m in path] == [
        ("Tell me", "complete"),
        ("Partial answer", "stopped"),
    ]


async def test_closing_mid_stream_keeps_the_reply_interrupted_with_continue(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = hanging(["Half ", "way"])
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Long story")
        await until(lambda: window.message_model.index(1).data() == "Half way")
        task = window.session.task
    # open_window closed the window mid-stream, then the store.
    assert task is not None
    assert task.cancelled()
    await asyncio.wait_for(fake_site.cancelled.wait(), 10)
    # Not "stopped": cut off by the close, as after a crash.
    assert [(m.content, m.status) for m in stored_path()] == [
        ("Long story", "complete"),
        ("Half way", "streaming"),
    ]

    fake_site.reply = stream([" there."])
    async with open_window(qtbot, wordpress) as window:
        model = window.message_model
        await until(lambda: model.rowCount() == 2, what="the interrupted chat")
        assert model.index(1).data(FooterRole) == INTERRUPTED
        assert window.chat.continue_button.isVisibleTo(window)
        window.chat.continue_button.click()
        await until(lambda: status_of(window) == "complete", what="the continuation")
        assert model.index(1).data() == "Half way there."
        await until(lambda: not window.session.busy)
    assert [(m.content, m.status) for m in stored_path()] == [
        ("Long story", "complete"),
        ("Half way there.", "complete"),
    ]


async def test_a_chunk_is_on_disk_while_the_reply_still_streams(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = hanging(["Still ", "coming"])
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Go")
        await until(
            lambda: [m.content for m in stored_path()] == ["Go", "Still coming"],
            what="the flushed reply",
        )
        assert stored_path()[-1].status == "streaming"


async def test_an_interrupted_reply_shows_continue_and_continue_appends(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    # A previous run died while writing the reply: its row is still 'streaming'.
    with Store(database_path()) as s:
        conversation = s.create_conversation()
        s.add_message(conversation.id, "user", "Write a poem")
        writer = s.begin_reply(conversation.id, interval=0)
        writer.append("Roses are red,")
    fake_site.reply = stream([" violets", " are blue."])

    async with open_window(qtbot, wordpress) as window:
        model = window.message_model
        await until(lambda: model.rowCount() == 2, what="the interrupted chat")
        assert model.index(1).data(FooterRole) == INTERRUPTED
        await until(lambda: "cut off" in window.statusBar().currentMessage(), what="the notice")
        assert "Write a poem" in window.statusBar().currentMessage()
        assert window.chat.retry_bar.isVisibleTo(window)
        assert window.chat.continue_button.isVisibleTo(window)
        assert window.session.can_continue()

        window.chat.continue_button.click()

        await until(lambda: status_of(window) == "complete", what="the continuation")
        assert model.rowCount() == 2
        assert model.index(1).data() == "Roses are red, violets are blue."
        sent = last_prompt(fake_site)
        assert "Roses are red," in sent
        assert CONTINUE_PROMPT in sent
        assert not window.chat.continue_button.isVisibleTo(window)
        await until(lambda: not window.session.busy)
    assert [(m.content, m.status) for m in stored_path()] == [
        ("Write a poem", "complete"),
        ("Roses are red, violets are blue.", "complete"),
    ]


async def test_a_damaged_database_is_a_notice_and_the_window_still_starts(
    qtbot, wordpress: str
) -> None:
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    async with open_window(qtbot, wordpress) as window:
        message = window.statusBar().currentMessage()
        assert message
        assert message == window.session.history.recovery_notice  # type: ignore[union-attr]


async def test_ctrl_n_creates_the_conversation_only_with_its_first_message(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = stream(["ok"])
    async with open_window(qtbot, wordpress) as window:
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        with Store(database_path()) as s:
            assert s.list_conversations() == []
        await send(qtbot, window, "Now it exists")
        await until(lambda: status_of(window) == "complete", what="the reply")
        await until(lambda: not window.session.busy)
        with Store(database_path()) as s:
            assert [c.title for c in s.list_conversations()] == ["Now it exists"]


async def test_a_long_conversation_opens_with_one_insert(qtbot) -> None:
    with Store(database_path()) as s:
        conversation = s.create_conversation("Long")
        s.add_messages_bulk(
            conversation.id,
            [("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(10_000)],
        )
    history = await AsyncStore.open(database_path())
    try:
        model = MessageModel()
        controller = ChatController(ScriptedProvider(), model, history=history)
        resets: list[bool] = []
        inserted: list[int] = []
        model.modelReset.connect(lambda: resets.append(True))
        model.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
        await controller.session.load_history()
        await until(
            lambda: len(model.conversation.messages) == 10_000 and not model.conversation.earlier,
            what="the long conversation",
        )
        # One reset for the whole conversation, never a row at a time: its last
        # messages are rows, the rest joins above them in one insert when asked.
        assert len(resets) == 1
        assert inserted == []
        assert model.rowCount() == FIRST_ROWS
        assert model.index(FIRST_ROWS - 1).data() == "message 9999"
        assert model.show_earlier(model.earlier) == 10_000 - FIRST_ROWS
        assert inserted == [10_000 - FIRST_ROWS]
        assert model.rowCount() == 10_000
        assert model.index(0).data() == "message 0"
        assert model.index(9_999).data() == "message 9999"
        await controller.session.aclose()
    finally:
        await history.close()
