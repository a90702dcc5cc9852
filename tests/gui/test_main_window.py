"""The window against the fake chatgptfree site: send, stream, stop, fail, retry, close."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import Qt

from deskchat.chat.conversation import ChatMessage
from deskchat.chat.footer import STOPPED, WAITING
from deskchat.chat.options import Options, make_provider
from deskchat.gui.main_window import MainWindow
from tests.fakes.wordpress import FakeWordPress, Script, sse_body, stream
from tests.gui.conftest import until

GUI_SOURCES = Path(__file__).resolve().parents[2] / "gui"


def last(window: MainWindow) -> ChatMessage:
    return window.message_model.conversation.messages[-1]


def shown_footer(window: MainWindow) -> str:
    """The line the delegate paints under the last bubble (from the model's FooterRole)."""
    return window.chat.delegate.layouts.measure(last(window)).footer


async def no_wait(_seconds: float) -> None:
    """Retries wait no time in tests."""


def status_of(window: MainWindow) -> str:
    reply = last(window).reply
    return reply.status if reply is not None else "user"


def hanging(texts: list[str]) -> Script:
    """A stream that sends ``texts`` and then keeps the connection open."""
    body = sse_body(texts, done=False)
    return Script(chunks=[body], headers={"Content-Type": "text/event-stream"}, hang_after=1)


async def type_and_enter(qtbot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(window.chat.input_box, text)
    qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return)


async def test_enter_sends_and_the_bubble_fills_with_the_reply(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    fake_site.reply = stream(["Hel", "lo, ", "wörld", "!"], seed=7)
    await type_and_enter(qtbot, window, "Hi there")

    await until(lambda: status_of(window) == "complete", what="the reply")
    await until(lambda: window.chat.send_button.text() == "Send")
    model = window.message_model
    assert model.rowCount() == 2
    assert model.index(0).data() == "Hi there"
    assert model.index(1).data() == "Hello, wörld!"
    assert fake_site.posts[0]["form"]["message"] == "Hi there"
    assert window.chat.input_box.toPlainText() == ""
    painted = window.chat.delegate.painted_rows
    painted.clear()
    window.chat.message_view.viewport().grab()
    assert set(painted) == {0, 1}


async def test_send_button_becomes_stop_while_streaming(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    fake_site.reply = hanging(["Part"])
    await type_and_enter(qtbot, window, "Go")
    await until(lambda: window.chat.send_button.text() == "Stop")
    await until(lambda: window.message_model.index(1).data() == "Part", what="the first chunk")
    # Typing Enter again while streaming sends nothing more.
    await type_and_enter(qtbot, window, "again")
    assert len(fake_site.posts) == 1


async def test_waiting_status_is_shown_before_the_first_byte(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    fake_site.reply = Script(chunks=[b""], hang_after=0)
    await type_and_enter(qtbot, window, "Anyone?")
    await until(lambda: len(fake_site.posts) == 1, what="the POST")
    assert shown_footer(window) == WAITING
    assert window.statusBar().currentMessage() == WAITING


async def test_stop_keeps_the_partial_reply_and_closes_the_connection(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    fake_site.reply = hanging(["Partial ", "answer"])
    await type_and_enter(qtbot, window, "Tell me")
    await until(lambda: last(window).content == "Partial answer", what="the partial reply")

    qtbot.mouseClick(window.chat.send_button, Qt.MouseButton.LeftButton)

    await until(lambda: status_of(window) == "stopped", what="the stop")
    assert last(window).content == "Partial answer"
    assert shown_footer(window) == STOPPED
    await asyncio.wait_for(fake_site.cancelled.wait(), 10)
    await until(lambda: window.chat.send_button.text() == "Send")
    assert not window.chat.retry_bar.isVisibleTo(window)


async def test_escape_stops_the_reply(qtbot, window: MainWindow, fake_site: FakeWordPress) -> None:
    fake_site.reply = hanging(["Half"])
    await type_and_enter(qtbot, window, "Tell me")
    await until(lambda: last(window).content == "Half", what="the partial reply")

    qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Escape)

    await until(lambda: status_of(window) == "stopped", what="the stop")
    assert last(window).content == "Half"
    await asyncio.wait_for(fake_site.cancelled.wait(), 10)


async def test_an_error_shows_a_sentence_and_retry_sends_again(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    # Every automatic try fails; the user's Retry gets the answer.
    window.session.retry_sleep = no_wait
    attempts = window.session.retry_attempts
    fake_site.reply = [
        *[Script(status=500, chunks=[b"upstream exploded"])] * attempts,
        stream(["Fine now"]),
    ]
    await type_and_enter(qtbot, window, "Hello?")
    await until(lambda: status_of(window) == "error", what="the error")

    failed = last(window)
    assert failed.reply is not None
    assert failed.reply.error
    assert "HTTP 500" in failed.reply.error
    assert failed.reply.error in shown_footer(window)
    assert not failed.reply.error.startswith("DeskChat hit an internal error")
    # The reply's status is set inside the task; the bar follows when the task is done.
    await until(lambda: window.chat.retry_bar.isVisibleTo(window), what="the retry bar")

    qtbot.mouseClick(window.chat.retry_button, Qt.MouseButton.LeftButton)

    await until(lambda: status_of(window) == "complete", what="the retried reply")
    assert last(window).content == "Fine now"
    assert len(fake_site.posts) == attempts + 1
    # The same conversation was sent again: the failed reply is not part of it.
    assert fake_site.posts[attempts]["form"]["message"] == "Hello?"
    # The answer took the failed reply's place: no error bubble above it, no "2/2".
    assert window.message_model.rowCount() == 2
    assert failed not in window.message_model.conversation.messages
    assert (last(window).version, last(window).versions) == (1, 1)
    await until(lambda: not window.chat.retry_bar.isVisibleTo(window))


async def test_a_dropped_connection_keeps_the_partial_text_with_the_error(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    body = sse_body(["Kept ", "text"], done=False)
    fake_site.reply = Script(
        chunks=[body, b"data: more"], cut_after=1, headers={"Content-Type": "text/event-stream"}
    )
    await type_and_enter(qtbot, window, "Hello?")
    await until(lambda: status_of(window) == "error", what="the error")
    assert last(window).content == "Kept text"
    assert window.session.can_retry()


async def test_retry_is_reachable_from_the_keyboard(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    window.session.retry_sleep = no_wait
    attempts = window.session.retry_attempts
    fake_site.reply = [*[Script(status=503, chunks=[b"busy"])] * attempts, stream(["Back"])]
    await type_and_enter(qtbot, window, "Hello?")
    await until(lambda: status_of(window) == "error", what="the error")
    window.menus.retry_action.trigger()
    await until(lambda: status_of(window) == "complete", what="the retried reply")
    assert last(window).content == "Back"


async def test_closing_mid_stream_cancels_the_reply_and_leaves_no_task(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    fake_site.reply = hanging(["Going"])
    await type_and_enter(qtbot, window, "Long story")
    await until(lambda: last(window).content == "Going", what="the partial reply")
    task = window.session.task
    assert task is not None
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    window.close()

    await until(lambda: closed, what="the window to close")
    assert task.cancelled()
    assert not window.isVisible()
    assert status_of(window) == "stopped"
    await asyncio.wait_for(fake_site.cancelled.wait(), 10)
    pending = [
        t
        for t in asyncio.all_tasks()
        if not t.done() and str(GUI_SOURCES) in t.get_coro().cr_code.co_filename
    ]
    assert pending == []


async def test_model_picker_lists_the_providers_models(window: MainWindow) -> None:
    picker = window.model_picker
    names = [picker.itemText(i) for i in range(picker.count())]
    assert names == ["gpt-4o-mini-2024-07-18"]
    assert picker.currentText() == "gpt-4o-mini-2024-07-18"
    assert window.session.model_name == "gpt-4o-mini-2024-07-18"


async def test_ctrl_n_starts_a_new_conversation_and_the_sidebar_switches(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    await type_and_enter(qtbot, window, "First chat")
    await until(lambda: status_of(window) == "complete", what="the reply")

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)

    sidebar = window.sidebar.conversation_list
    assert sidebar.count() == 2
    assert window.message_model.rowCount() == 0
    assert window.chat.input_box.hasFocus()
    assert sidebar.item(1).text() == "First chat"
    sidebar.setCurrentRow(1)
    assert window.message_model.rowCount() == 2
    assert window.message_model.index(0).data() == "First chat"


async def test_ctrl_f_focuses_search_which_filters_by_title(
    qtbot, window: MainWindow, fake_site: FakeWordPress
) -> None:
    await type_and_enter(qtbot, window, "Apples")
    await until(lambda: status_of(window) == "complete", what="the reply")
    window.menus.new_chat_action.trigger()
    await type_and_enter(qtbot, window, "Pears")
    await until(lambda: status_of(window) == "complete", what="the reply")

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search_box.hasFocus()
    qtbot.keyClicks(window.sidebar.search_box, "app")

    sidebar = window.sidebar.conversation_list
    items = [sidebar.item(i) for i in range(sidebar.count())]
    shown = [item.text() for item in items if not item.isHidden()]
    assert shown == ["Apples"]


@pytest.mark.parametrize("name", ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"])
async def test_model_option_preselects_and_resolves_aliases(
    qtbot, wordpress: str, name: str
) -> None:
    async with aiohttp.ClientSession() as session:
        main = MainWindow(
            make_provider(Options(provider="chatgptfree", base_url=wordpress), session),
            model_name=name,
        )
        qtbot.addWidget(main)
        main.start()
        await until(lambda: main.model_picker.count() > 0, what="the model list")
        assert main.model_picker.currentText() == "gpt-4o-mini-2024-07-18"
