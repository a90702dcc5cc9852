"""Every control a person can reach has a name a screen reader says (and the main ones a
description): the window, the setup panel, the Models, Settings, About and shortcuts
dialogs, walked widget by widget through Qt's accessibility interfaces."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

from deskchat.gui.main_window import MainWindow
from deskchat.store import Settings, settings_path
from tests.gui.conftest import until
from tests.gui.fakes import ScriptedProvider
from tests.gui.setup_helpers import setup_window

CONTROLS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QAbstractSlider,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
)


def accessible(widget: QWidget, text: QAccessible.Text) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None, widget
    return interface.text(text).strip()


def is_control(widget: QWidget) -> bool:
    """What a person can reach and use: an input, a button, a list (not a label)."""
    parent = widget.parent()
    # Read as part of their owner: the editor of an editable combo box or a spin box,
    # the column headers of a list.
    if isinstance(widget, QLineEdit) and isinstance(parent, QComboBox | QAbstractSpinBox):
        return False
    if isinstance(widget, QHeaderView) and isinstance(parent, QAbstractItemView):
        return False
    return isinstance(widget, CONTROLS) or bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)


def unnamed(top: QWidget) -> list[str]:
    """The controls under ``top`` that would show, and have no accessible name."""
    missing = []
    for widget in [top, *top.findChildren(QWidget)]:
        if not is_control(widget) or not widget.isVisibleTo(top.window()):
            continue
        if widget.window() is not top.window():
            continue  # a popup or dialog of its own, walked on its own
        if not accessible(widget, QAccessible.Text.Name):
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_control_of_the_window_has_a_name(qtbot) -> None:
    window = MainWindow(ScriptedProvider(), settings=Settings.load(settings_path()))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert unnamed(window) == []
    side, chat = window.sidebar, window.chat
    named = {
        chat.input_box: "Message",
        chat.message_view: "Messages",
        side.search_box: "Search chats",
        side.conversation_list: "Conversations",
        side.search_results: "Search results",
        window.model_picker: "Model",
    }
    for widget, name in named.items():
        assert accessible(widget, QAccessible.Text.Name) == name
        assert accessible(widget, QAccessible.Text.Description), name
    for button in (side.new_chat_button, chat.send_button, chat.retry_button):
        assert accessible(button, QAccessible.Text.Description), button.text()

    # The search results replace the list while searching: then they are walked too.
    side.search_results.show()
    assert unnamed(window) == []


def test_every_control_of_the_dialogs_has_a_name(qtbot) -> None:
    window = MainWindow(ScriptedProvider(), settings=Settings.load(settings_path()))
    qtbot.addWidget(window)
    window.show()
    window.menus.settings_action.trigger()
    window.menus.about_action.trigger()
    window.menus.shortcuts_action.trigger()
    dialogs = [window.settings_dialog, window.about_dialog, window.window_layout.shortcuts_dialog]
    for dialog in dialogs:
        assert dialog is not None
        assert dialog.isVisible()
        assert unnamed(dialog) == [], dialog.windowTitle()
        dialog.close()


async def test_every_control_of_the_setup_panel_and_the_models_dialog_has_a_name(
    qtbot, tmp_path: Path
) -> None:
    async with setup_window(qtbot, tmp_path) as window:
        setup = window.setup
        assert setup is not None
        await until(lambda: setup.panel is not None and setup.panel.isVisible(), what="the panel")
        assert setup.panel is not None
        assert unnamed(setup.panel) == []
        dialog = setup.open_models_dialog(window)
        assert dialog.isVisible()
        assert unnamed(dialog) == []
        dialog.close()
