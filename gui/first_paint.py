"""Run something once a widget has been painted for the first time."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["FALLBACK_MS", "after_first_paint"]

FALLBACK_MS = 1000
"""Call back after this long even if no paint was seen."""


class _FirstPaint(QObject):
    """Watches ``widget`` for its first paint event, then calls back on the next loop turn.

    The call comes after the paint has been handed to the window system, so what
    the callback imports or computes no longer delays the window's first frame.
    """

    def __init__(self, widget: QWidget, callback: Callable[[], object]) -> None:
        super().__init__(widget)
        self._callback = callback
        self._done = False
        widget.installEventFilter(self)
        # In case the first paint came before this watched (start() after a repaint).
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(FALLBACK_MS)
        self._later.timeout.connect(self.fire)
        self._later.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parent() and event.type() == QEvent.Type.Paint:
            self.fire()
        return False

    def fire(self) -> None:
        if self._done:
            return
        self._done = True
        self._later.stop()
        parent = self.parent()
        if parent is not None:
            parent.removeEventFilter(self)
        # singleShot(0): after this paint has been flushed, not inside it.
        QTimer.singleShot(0, self._callback)
        self.deleteLater()


def after_first_paint(widget: QWidget, callback: Callable[[], object]) -> None:
    """Call ``callback`` once ``widget`` has painted (at once, next turn, if it is hidden)."""
    watcher = _FirstPaint(widget, callback)
    if widget.isVisible():
        widget.update()
    else:
        watcher.fire()
