"""Run the window as ``python -m deskchat`` does, and print what had loaded when.

Used by test_startup_order.py in a child process (a fresh interpreter, so
``sys.modules`` tells what start-up imported). Prints one JSON line on stdout.
"""

from __future__ import annotations

import json
import sys

from PySide6 import QtWidgets
from PySide6.QtCore import SIGNAL, QEvent, QObject

from deskchat.chat.session import ChatSession
from deskchat.gui import app, main_window, markdown

WATCHED = ("aiohttp", "deskchat.library", "deskchat.chat.connection", "huggingface_hub")
FIRST_FRAME = (
    "asyncio",
    "qasync",
    "sqlite3",
    "deskchat.store.aio",
    "deskchat.store.store",
    # Dialogs: made when asked for.
    "deskchat.gui.about",
    "deskchat.gui.settings_dialog",
    # The bubbles: the list is empty in the first frame; they are made right after it.
    "deskchat.gui.bubble_delegate",
    "deskchat.gui.bubble_layouts",
    "deskchat.gui.bubble_hits",
    "deskchat.gui.message_reading",
    "deskchat.gui.message_overlays",
    # The markdown parser: imported on a worker thread right after the first frame.
    "markdown_it",
)
"""Not needed for the window's first frame: they load after it has painted."""
UNUSED_WIDGETS = ("QWizard", "QCalendarWidget", "QMdiArea", "QLCDNumber")
"""Widget classes the window never uses. PySide6 makes a class on first use; all of
QtWidgets' widget classes get made at once when a ``QWidget *`` without a Python
object reaches Python (gui/own_viewport.py): the first frame must not pay for that."""
seen: dict[str, object] = {"paints": 0}


def loaded(names: tuple[str, ...] = WATCHED) -> list[str]:
    return [m for m in names if m in sys.modules]


class Paints(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            seen.setdefault("at first paint", loaded(FIRST_FRAME))
            # The icon is PNGs: Qt's SVG library (~2.2 MiB) is not loaded for it.
            seen.setdefault("qt svg at first paint", "libQt6Svg" in open("/proc/self/maps").read())
            made = [name for name in UNUSED_WIDGETS if name in vars(QtWidgets)]
            seen.setdefault("unused widget classes at first paint", made)
            seen["paints"] = int(seen["paints"]) + 1  # type: ignore[call-overload]
        return False


paints = Paints()
show = main_window.MainWindow.show
begin = main_window.MainWindow._begin_setup
start = main_window.MainWindow.start
send = ChatSession.send


def patched_show(self: main_window.MainWindow) -> None:
    seen["before show"] = loaded()
    seen["first frame's before show"] = loaded(FIRST_FRAME)
    seen["connection before show"] = self.connection is not None
    seen["unused widget classes before show"] = [n for n in UNUSED_WIDGETS if n in vars(QtWidgets)]
    self.installEventFilter(paints)
    show(self)


def patched_start(self: main_window.MainWindow) -> None:
    # Before the history is read: the bubbles must be in place and wired.
    delegate = self.chat.message_view.itemDelegate()
    seen["delegate at start"] = type(delegate).__name__
    signals = (
        "link_clicked(QString)",
        "copy_requested(QString)",
        "version_step_requested(int,int)",
    )
    seen["delegate's receivers at start"] = [delegate.receivers(SIGNAL(s)) for s in signals]
    # Before any message: the first reply's render must not wait for the parser's import.
    seen["markdown preload at start"] = markdown._preloader is not None
    start(self)


def patched_begin(self: main_window.MainWindow) -> None:
    seen["paints before setup"] = seen["paints"]
    seen["at setup"] = loaded()
    begin(self)


def patched_send(self: ChatSession, text: str) -> bool:
    seen["provider when sent"] = self.provider_id
    return send(self, text)


main_window.MainWindow.show = patched_show  # type: ignore[method-assign]
main_window.MainWindow._begin_setup = patched_begin  # type: ignore[method-assign]
main_window.MainWindow.start = patched_start  # type: ignore[method-assign]
ChatSession.send = patched_send  # type: ignore[method-assign]
code = app.main(sys.argv[1:])
seen["at exit"] = loaded()
sys.stdout.write(json.dumps(seen) + "\n")
sys.exit(code)
