"""Driven by tests/gui/test_real_window.py in a real X window (Xvfb), as a person would with
xdotool: drag-select a sentence and Ctrl+C; right-click at the end of a 1 MB reply; select
there and Ctrl+C. Prints what the clipboard and the menu held, one ``NAME: value`` a line.

Run: ``DISPLAY=:N QT_QPA_PLATFORM=xcb python -m tests.gui.real_window_probe``.
"""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

app = QApplication(sys.argv)

from deskchat.chat.conversation import ChatMessage  # noqa: E402
from deskchat.gui.main_window import MainWindow  # noqa: E402
from tests.gui.fakes import ScriptedProvider  # noqa: E402
from tests.gui.test_message_reading import done, megabyte_reply, point_of  # noqa: E402

window = MainWindow(ScriptedProvider())
window.resize(1000, 700)
window.show()
window.activateWindow()
window.message_model.extend(
    [
        ChatMessage("user", text="Explain"),
        ChatMessage("assistant", reply=done("First paragraph with several words.\n\nSecond.")),
    ]
)
view = window.chat.message_view


def say(name: str, value: object) -> None:
    print(f"{name}: {value!r}", flush=True)  # noqa: T201


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=False, timeout=10)


def on_screen(point: QPoint) -> tuple[str, str]:
    at = view.viewport().mapToGlobal(point)
    return str(at.x()), str(at.y())


def drag_and_copy(start: QPoint, end: QPoint) -> None:
    xdotool("mousemove", *on_screen(start))
    xdotool("mousedown", "1")
    xdotool("mousemove", *on_screen((start + end) / 2))
    xdotool("mousemove", *on_screen(end))
    xdotool("mouseup", "1")
    xdotool("key", "ctrl+c")


def first_drag() -> None:
    view.doItemsLayout()
    view.scrollToTop()
    xdotool("windowfocus", str(int(window.winId())))
    drag_and_copy(point_of(window, 1, "several"), point_of(window, 1, "words.", 5))
    QTimer.singleShot(500, add_long_reply)


def add_long_reply() -> None:
    say("CLIPBOARD", QGuiApplication.clipboard().text())
    window.message_model.append(ChatMessage("assistant", reply=done(megabyte_reply())))
    QTimer.singleShot(100, wait_for_render)


def wait_for_render() -> None:
    layouts = window.chat.delegate.layouts
    message = window.message_model.message(2)
    view.executeDelayedItemsLayout()
    height = view.visualRect(window.message_model.index(2)).height()
    if layouts.measure(message).rendered_length < len(message.content) or (
        height != layouts.row_size(message).height()
    ):
        QTimer.singleShot(50, wait_for_render)
        return
    view.follow()
    QTimer.singleShot(200, right_click_at_the_end)


def right_click_at_the_end() -> None:
    say("ROW_HEIGHT", view.visualRect(window.message_model.index(2)).height())
    xdotool("mousemove", *on_screen(point_of(window, 2, "very last words")))
    xdotool("click", "3")
    QTimer.singleShot(500, select_at_the_end)


def select_at_the_end() -> None:
    menus = [menu for menu in window.chat.findChildren(QMenu) if menu.isVisible()]
    say("MENU", [action.text() for action in menus[0].actions()] if menus else None)
    for menu in menus:
        menu.close()
    QGuiApplication.clipboard().setText("")
    drag_and_copy(point_of(window, 2, "very last"), point_of(window, 2, "last words", 4))
    QTimer.singleShot(500, finish)


def finish() -> None:
    say("CLIPBOARD_END", QGuiApplication.clipboard().text())
    app.quit()


QTimer.singleShot(1500, first_drag)
QTimer.singleShot(120_000, app.quit)
app.exec()
