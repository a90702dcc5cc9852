"""The message model and bubble delegate: coalesced updates, only visible rows painted."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from deskchat.chat.conversation import ChatMessage, Conversation
from deskchat.chat.footer import WAITING
from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_model import FooterRole, MessageModel, VersionRole
from deskchat.provider import ReplyState
from tests.gui.conftest import until
from tests.gui.fakes import ScriptedProvider
from tests.gui.test_bubble_delegate import point_of_link


def many_messages(count: int) -> list[ChatMessage]:
    return [
        ChatMessage("user", text=f"Question {i}: " + "word " * (i % 40))
        if i % 2 == 0
        else ChatMessage("assistant", reply=_done(f"Answer {i}. " + "more text " * (i % 60)))
        for i in range(count)
    ]


def _done(text: str) -> ReplyState:
    reply = ReplyState()
    reply.handle(text)
    reply.complete()
    return reply


async def test_many_changes_in_one_frame_make_one_data_changed(qtbot) -> None:
    model = MessageModel()
    reply = ReplyState()
    message = ChatMessage("assistant", reply=reply)
    model.append(ChatMessage("user", text="hi"))
    model.append(message)
    changed: list[int] = []
    model.dataChanged.connect(lambda top, *_: changed.append(top.row()))
    flushed: list[list[int]] = []
    model.rows_flushed.connect(flushed.append)

    for i in range(200):
        reply.handle(f"chunk {i} ")
        model.touch(message)
    assert changed == []

    await until(lambda: flushed, what="the coalesced flush")
    assert changed == [1]
    assert flushed == [[1]]


async def test_a_change_to_a_conversation_not_shown_is_not_announced(qtbot) -> None:
    model = MessageModel()
    hidden = Conversation()
    message = ChatMessage("assistant", reply=ReplyState())
    hidden.add(message)
    changed: list[int] = []
    model.dataChanged.connect(lambda top, *_: changed.append(top.row()))
    model.touch(message)
    model.flush()
    assert changed == []


def test_ten_thousand_messages_paint_only_the_visible_rows(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.message_model.extend(many_messages(10_000))
    view = window.chat.message_view
    qtbot.waitUntil(lambda: view.indexAt(view.viewport().rect().center()).isValid(), timeout=30_000)

    assert window.message_model.rowCount() == 10_000
    window.chat.delegate.painted_rows.clear()
    view.viewport().grab()

    viewport = view.viewport().rect()
    visible = {
        row
        for row in range(10_000)
        if view.visualRect(window.message_model.index(row)).intersects(viewport)
    }
    painted = set(window.chat.delegate.painted_rows)
    assert painted
    assert painted <= visible
    assert len(visible) < 60


def test_a_long_reply_is_laid_out_once_per_revision(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.show()
    reply = ReplyState()
    message = ChatMessage("assistant", reply=reply)
    window.message_model.append(message)
    delegate = window.chat.delegate
    reply.handle("line of text " * 5000)
    first = delegate.layouts.measure(message)
    assert delegate.layouts.measure(message) is first
    reply.handle(" and more")
    assert delegate.layouts.measure(message) is not first
    assert delegate.layouts.row_size(message).height() > 500


def test_painting_a_long_reply_draws_only_what_is_visible(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.resize(700, 500)
    window.show()
    qtbot.waitExposed(window)
    window.message_model.append(ChatMessage("assistant", reply=_done("para\n" * 20000)))
    view = window.chat.message_view
    qtbot.waitUntil(lambda: view.visualRect(window.message_model.index(0)).height() > 10000)
    rect: QRect = view.visualRect(window.message_model.index(0))
    assert rect.height() > view.viewport().height() * 10
    window.chat.delegate.painted_rows.clear()
    view.viewport().grab()
    assert window.chat.delegate.painted_rows == [0]


def test_focus_is_in_the_input_at_start(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    assert window.focusWidget() is window.chat.input_box
    # Focus-in events arrive through the event loop after activation.
    qtbot.waitUntil(window.chat.input_box.hasFocus)


def test_shift_enter_inserts_a_newline_and_does_not_send(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    sent: list[str] = []
    window.chat.input_box.submitted.connect(sent.append)
    qtbot.keyClicks(window.chat.input_box, "first")
    qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.chat.input_box, "second")
    assert window.chat.input_box.toPlainText() == "first\nsecond"
    assert sent == []
    assert window.message_model.rowCount() == 0


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_blank_input_sends_nothing(qtbot, text: str) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    assert window.session.send(text) is False
    assert window.message_model.rowCount() == 0


def test_the_model_serves_footer_and_version_roles(qtbot) -> None:
    model = MessageModel()
    reply = ReplyState()
    model.append(ChatMessage("user", text="q", version=2, versions=3))
    model.append(ChatMessage("assistant", reply=reply, live=True))
    assert model.index(0).data(VersionRole) == (2, 3)
    assert model.index(1).data(VersionRole) == (1, 1)
    assert model.index(1).data(FooterRole) == WAITING
    assert model.roleNames()[FooterRole] == b"footer"


def test_in_the_window_a_link_asks_first_and_copy_fills_the_clipboard(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    opened: list[str] = []
    window.links.open_url = opened.append
    url = "https://example.com/page?x=1"
    window.message_model.append(
        ChatMessage("assistant", reply=_done(f"See [this]({url}).\n\n```\ncode here\n```\n"))
    )
    view = window.chat.message_view
    view.doItemsLayout()
    index = window.message_model.index(0)

    QGuiApplication.clipboard().setText("before")
    button = window.chat.delegate.hits.copy_button_rect(index, 0)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    assert QGuiApplication.clipboard().text() == "code here\n"

    point = point_of_link(window.chat.delegate, window.message_model, url)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    box = window.links.confirm_box
    assert box is not None
    assert box.isVisible()
    assert box.parent() is window
    assert url in box.text()
    assert opened == []
    box.button(QMessageBox.StandardButton.Open).click()
    assert opened == [url]


def test_the_first_change_after_a_quiet_frame_is_announced_at_the_next_turn(qtbot) -> None:
    model = MessageModel()
    message = ChatMessage("assistant", reply=ReplyState())
    model.append(message)
    flushed: list[list[int]] = []
    model.rows_flushed.connect(flushed.append)
    model.touch(message)
    # Quiet before: the reply's first words do not wait for a frame to pass.
    assert model._timer.interval() == 0
    qtbot.waitUntil(lambda: flushed == [[0]], timeout=1000)
    # Right after a flush, changes wait for the rest of the frame.
    model.touch(message)
    assert model._timer.interval() > 0
    model.touch(message)
    qtbot.waitUntil(lambda: len(flushed) == 2, timeout=1000)
    assert flushed == [[0], [0]]
