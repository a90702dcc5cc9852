"""The window at its smallest size still shows everything whole; Ctrl+B folds the sidebar
away and back; Help → Keyboard shortcuts lists the window's actual shortcuts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMenu, QWidget

from deskchat.chat.conversation import ChatMessage
from deskchat.gui.bubble_layouts import MIN_BUBBLE
from deskchat.gui.bubble_parts import MARGIN_X
from deskchat.gui.main_window import MainWindow
from deskchat.provider import ReplyState
from tests.gui.fakes import ScriptedProvider

CTRL = Qt.KeyboardModifier.ControlModifier
REPLY = (
    "Use **print**:\n\n```python\nprint('hello world, and a rather long line of code')\n```\n\n"
    "That is all there is to it, really: one call."
)


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


@pytest.fixture
def window(qtbot) -> MainWindow:
    main = MainWindow(ScriptedProvider())
    qtbot.addWidget(main)
    main.resize(900, 600)
    main.show()
    qtbot.waitExposed(main)
    reply = ReplyState()
    reply.handle(REPLY)
    main.message_model.append(ChatMessage("user", "How do I print in Python?"))
    main.message_model.append(ChatMessage("assistant", reply=reply))
    return main


def key_widgets(window: MainWindow) -> list[QWidget]:
    side, chat = window.sidebar, window.chat
    return [
        side.new_chat_button,
        side.search_box,
        side.conversation_list,
        window.model_picker,
        chat.message_view,
        chat.input_box,
        chat.send_button,
        window.menuBar(),
    ]


def assert_whole(window: MainWindow, widget: QWidget) -> None:
    """``widget`` shows, inside the window, at no less than the size it needs, uncovered."""
    assert widget.isVisible(), widget
    top_left = widget.mapTo(window, widget.rect().topLeft())
    bottom_right = widget.mapTo(window, widget.rect().bottomRight())
    assert window.rect().contains(top_left), widget
    assert window.rect().contains(bottom_right), widget
    needs = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    assert widget.width() >= needs.width(), widget
    assert widget.height() >= needs.height(), widget
    # Nothing covers it (a scroll area is all viewport: that is what shows).
    shown = widget.viewport() if isinstance(widget, QAbstractScrollArea) else widget
    assert shown.visibleRegion().boundingRect() == shown.rect(), widget


def assert_bubbles_fit(window: MainWindow) -> None:
    view = window.chat.message_view
    assert view.viewport().width() >= MIN_BUBBLE + 2 * MARGIN_X
    for row in range(window.message_model.rowCount()):
        rect = view.visualRect(window.message_model.index(row))
        assert rect.width() <= view.viewport().width(), row


@pytest.mark.parametrize("size", [QSize(1, 1), QSize(400, 300)], ids=["smallest", "400x300"])
def test_at_its_smallest_size_the_window_shows_everything_whole(
    qtbot, window: MainWindow, size: QSize
) -> None:
    window.resize(size)
    settle()
    smallest = window.minimumSize()
    assert QSize(300, 200).boundedTo(smallest) == QSize(300, 200)  # a real minimum…
    assert smallest.boundedTo(QSize(480, 360)) == smallest  # …that still fits a small screen
    assert window.size() == size.expandedTo(smallest)
    image = window.grab()
    assert image.size() == window.size()
    for widget in key_widgets(window):
        assert_whole(window, widget)
    assert_bubbles_fit(window)
    # The input box shows its whole placeholder, wrapped.
    box = window.chat.input_box
    assert box.height() >= box._placeholder_height() + 2 * box.frameWidth()

    # A long paste grows the box only into the room there is: the window keeps its size.
    before = window.size()
    box.setPlainText("line\n" * 500)
    settle()
    assert window.size() == before
    assert_whole(window, window.chat.message_view)
    assert_whole(window, box)


def test_the_splitter_cannot_squeeze_a_part_below_what_it_needs(window: MainWindow) -> None:
    splitter = window.centralWidget()
    splitter.moveSplitter(0, 1)  # type: ignore[attr-defined]
    settle()
    assert window.sidebar.width() >= window.sidebar.minimumWidth() > 100
    splitter.moveSplitter(window.width(), 1)  # type: ignore[attr-defined]
    settle()
    assert_bubbles_fit(window)


def test_ctrl_b_folds_the_sidebar_away_and_back(qtbot, window: MainWindow) -> None:
    action = window.menus.sidebar_action
    view_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&View"]
    assert view_menu
    assert isinstance(view_menu[0], QMenu)
    assert action in view_menu[0].actions()
    assert action.isChecked()
    assert window.sidebar.isVisible()
    chat_width = window.chat.width()

    window.sidebar.conversation_list.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_B, CTRL)
    assert not window.sidebar.isVisible()
    assert not action.isChecked()
    settle()
    assert window.chat.width() > chat_width  # the messages take the room
    # The focus was in the sidebar: it goes to the input, not nowhere.
    assert QApplication.focusWidget() is window.chat.input_box

    qtbot.keyClick(window, Qt.Key.Key_B, CTRL)
    assert window.sidebar.isVisible()
    assert action.isChecked()
    settle()
    assert window.chat.width() == pytest.approx(chat_width, abs=2)


def test_searching_brings_a_folded_sidebar_back(qtbot, window: MainWindow) -> None:
    window.menus.sidebar_action.trigger()
    assert not window.sidebar.isVisible()
    qtbot.keyClick(window.chat.input_box, Qt.Key.Key_F, CTRL)
    assert window.sidebar.isVisible()
    assert QApplication.focusWidget() is window.sidebar.search_box


def shortcut_actions(window: MainWindow) -> list[QAction]:
    return [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]


def native(keys: QKeySequence) -> str:
    return keys.toString(QKeySequence.SequenceFormat.NativeText)


def test_the_shortcuts_dialog_lists_the_windows_own_shortcuts(qtbot, window: MainWindow) -> None:
    help_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    assert help_menu
    assert window.menus.shortcuts_action in help_menu[0].actions()
    window.menus.shortcuts_action.trigger()
    dialog = window.window_layout.shortcuts_dialog
    assert dialog is not None
    # open(), not exec(): trigger() returned while the dialog is up.
    assert dialog.isVisible()
    rows = dialog.rows()
    listed = {(keys, what) for _place, keys, what in rows}
    actions = shortcut_actions(window)
    assert len(actions) >= 15
    for action in actions:
        assert (native(action.shortcut()), action.iconText()) in listed, action.text()
    places = {what: place for place, _keys, what in rows}
    assert places["New chat"] == "Anywhere"
    assert places["Show sidebar"] == "Anywhere"
    assert places["Edit and resend"] == window.chat.message_view.accessibleName()
    assert places["Rename"] == window.sidebar.conversation_list.accessibleName()
    assert places["Send the message"] == window.chat.input_box.accessibleName()
    assert ("Enter", "Send the message") in listed
    assert ("Shift+Enter", "Add a line to the message") in listed
    # "Anywhere" comes first, then each place once, together.
    order = [place for place, _keys, _what in rows]
    assert order[0] == "Anywhere"
    runs = [p for i, p in enumerate(order) if i == 0 or p != order[i - 1]]
    assert len(runs) == len(set(order))
    dialog.close()

    # Read from the window each time: a new action or another send key shows up.
    extra = QAction("Do something new", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.addAction(extra)
    window.chat.input_box.send_key = "ctrl+enter"
    window.menus.shortcuts_action.trigger()
    listed = {(keys, what) for _place, keys, what in dialog.rows()}
    assert (native(QKeySequence("Ctrl+Alt+J")), "Do something new") in listed
    assert ("Ctrl+Enter", "Send the message") in listed
    assert ("Enter", "Add a line to the message") in listed
    dialog.close()


def test_rename_works_from_f2_in_the_list(qtbot, window: MainWindow) -> None:
    listing = window.sidebar.conversation_list
    listing.setFocus()
    listing.setCurrentRow(0)
    qtbot.keyClick(listing, Qt.Key.Key_F2)
    assert listing.state() == listing.State.EditingState


def test_tab_goes_from_the_input_to_the_messages_then_the_sidebar(
    qtbot, window: MainWindow
) -> None:
    side, chat = window.sidebar, window.chat
    chat.input_box.setFocus()
    seen = [QApplication.focusWidget()]
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    expected = [
        chat.input_box,
        chat.attachments_bar.attach_button,
        chat.send_button,
        chat.message_view,
        side.new_chat_button,
        side.search_box,
        side.conversation_list,
        window.model_picker,
        chat.input_box,
    ]
    assert seen == expected
    # Shift+Tab walks the same way back.
    qtbot.keyClick(chat.input_box, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is window.model_picker


def test_the_attach_button_opens_the_file_dialog_from_the_keyboard(
    qtbot, window: MainWindow
) -> None:
    chat = window.chat
    chat.input_box.setFocus()
    qtbot.keyClick(chat.input_box, Qt.Key.Key_Tab)
    button = chat.attachments_bar.attach_button
    assert QApplication.focusWidget() is button
    qtbot.keyClick(button, Qt.Key.Key_Space)
    dialog = chat.attachments_bar._dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.reject()


def test_tab_skips_a_folded_sidebar(qtbot, window: MainWindow) -> None:
    window.menus.sidebar_action.trigger()
    window.chat.message_view.setFocus()
    qtbot.keyClick(window.chat.message_view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.model_picker
