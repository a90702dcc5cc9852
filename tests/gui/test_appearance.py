"""The theme reaches every part of the window (sidebar, dialogs, menus, code blocks), follows
the system's light or dark setting while it runs, and the font-size setting scales it all."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from deskchat.gui.main_window import MainWindow
from deskchat.gui.theme import DEFAULT_FONT_SIZE, is_dark
from deskchat.store import Settings, settings_path
from tests.gui.fakes import ScriptedProvider

BASE = QPalette.ColorRole.Base
WINDOW = QPalette.ColorRole.Window


def make_window(qtbot, **values: object) -> tuple[MainWindow, Settings]:
    settings = Settings.load(settings_path())
    for name, value in values.items():
        setattr(settings, name, value)
    window = MainWindow(ScriptedProvider(), settings=settings)
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    return window, settings


def apply(window: MainWindow, settings: Settings) -> None:
    window.apply_settings(settings)
    # The new palette and sizes reach the widgets through posted events, as the loop runs.
    for _ in range(3):
        QApplication.processEvents()


def painted_lightness(widget: QWidget) -> int:
    """The lightness of what ``widget`` paints near its bottom-left corner (an empty spot)."""
    image = widget.grab().toImage()
    return image.pixelColor(QPoint(4, image.height() - 4)).lightness()


def dark_everywhere(window: MainWindow) -> None:
    side = window.sidebar
    for widget in (side, side.conversation_list, side.search_box, window.chat.input_box):
        assert is_dark(widget.palette()), widget
        assert widget.palette().color(BASE).lightness() < 80, widget
    for widget in (side.conversation_list, window.chat.input_box, window.chat.message_view):
        assert painted_lightness(widget) < 80, widget
    # The bubbles and their code blocks take the dark colours too.
    assert window.chat.delegate.layouts.dark()


def test_the_dark_theme_reaches_the_sidebar_dialogs_and_menus(qtbot) -> None:
    window, settings = make_window(qtbot)
    assert not is_dark(window.sidebar.conversation_list.palette())
    assert painted_lightness(window.sidebar.conversation_list) > 200
    settings.theme = "dark"
    apply(window, settings)

    dark_everywhere(window)
    window.menus.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    assert is_dark(dialog.palette())
    assert painted_lightness(dialog) < 80
    window.menus.about_action.trigger()
    assert window.about_dialog is not None
    assert is_dark(window.about_dialog.palette())
    menu = window.menuBar().actions()[0].menu()
    assert isinstance(menu, QMenu)
    assert is_dark(menu.palette())
    dialog.close()
    window.about_dialog.close()

    settings.theme = "light"
    apply(window, settings)
    assert not is_dark(window.sidebar.conversation_list.palette())
    assert painted_lightness(window.sidebar.conversation_list) > 200
    assert not window.chat.delegate.layouts.dark()


def test_the_system_theme_follows_the_system_while_the_window_runs(qtbot) -> None:
    window, _settings = make_window(qtbot, theme="system")
    hints = QGuiApplication.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    QApplication.processEvents()
    dark_everywhere(window)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    QApplication.processEvents()
    assert not is_dark(QApplication.palette())
    assert not is_dark(window.sidebar.conversation_list.palette())
    assert painted_lightness(window.sidebar.conversation_list) > 200


def test_a_chosen_theme_stays_when_the_system_changes(qtbot) -> None:
    window, _settings = make_window(qtbot, theme="light")
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    QApplication.processEvents()
    assert not is_dark(QApplication.palette())
    assert not is_dark(window.sidebar.conversation_list.palette())


def point_size(widget: QWidget) -> float:
    return widget.font().pointSizeF()


def test_the_font_size_setting_scales_the_whole_interface(qtbot) -> None:
    system = QApplication.font().pointSizeF()
    window, settings = make_window(qtbot)
    side, chat = window.sidebar, window.chat
    parts = (side.conversation_list, side.search_box, side.new_chat_button, chat.input_box)
    parts += (chat.send_button, window.model_picker, window.menuBar())
    assert [point_size(w) for w in parts] == pytest.approx([system] * len(parts))
    height = chat.input_box.height()

    settings.font_size = DEFAULT_FONT_SIZE * 2
    apply(window, settings)
    assert [point_size(w) for w in parts] == pytest.approx([system * 2] * len(parts))
    assert chat.message_view.font().pointSize() == DEFAULT_FONT_SIZE * 2
    menu = window.menuBar().actions()[0].menu()
    assert isinstance(menu, QMenu)
    assert point_size(menu) == pytest.approx(system * 2)
    window.menus.settings_action.trigger()
    assert window.settings_dialog is not None
    assert point_size(window.settings_dialog.font_size_box) == pytest.approx(system * 2)
    window.settings_dialog.close()
    # The input box is measured in lines, so it grew with the font.
    assert chat.input_box.height() > height * 1.5

    settings.font_size = DEFAULT_FONT_SIZE
    apply(window, settings)
    assert [point_size(w) for w in parts] == pytest.approx([system] * len(parts))
