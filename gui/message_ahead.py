"""The messages next to join the rows of a long chat are measured while the loop is idle,
a few at a time, so a page joins within a frame (measuring 40 new bubbles takes ~16 ms)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot

from .message_earlier import PAGE
from .message_model import MessageModel, footer_line
from .message_view import MessageView

if TYPE_CHECKING:
    from .bubble_delegate import BubbleDelegate

__all__ = ["SLICE_MS", "MeasureAhead"]

SLICE_MS = 2.0
"""How long one turn of the loop measures (at least one message)."""


class MeasureAhead(QObject):
    """Measures the :data:`PAGE` messages above the first row and those below the last
    (after a far jump up), nearest first, once the rows change; nothing before the
    bubbles are made (not for the first frame).

    Args:
        view: the message list (its delegate keeps the sizes).
        model: its model.
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view)
        self._model = model
        self._delegate: BubbleDelegate | None = None
        self._queue: list[int] = []
        """The conversation's rows still to measure, the next one last."""
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._measure_some)
        model.earlier_changed.connect(self.on_rows_moved)
        model.later_changed.connect(self.on_rows_moved)
        view.when_bubbles(self._start)

    def _start(self, delegate: BubbleDelegate) -> None:
        self._delegate = delegate
        self.on_rows_moved()

    @property
    def waiting(self) -> int:
        """How many messages are still to be measured."""
        return len(self._queue)

    @Slot()
    def on_rows_moved(self) -> None:
        if self._delegate is None:
            return
        model = self._model
        first, end = model.earlier, len(model.conversation.messages) - model.later
        above = range(first - 1, max(0, first - PAGE) - 1, -1)
        below = range(end, min(end + model.later, end + PAGE))
        # Nearest first, above and below in turn; popped from the end.
        ahead = [row for pair in zip(above, below, strict=False) for row in pair]
        ahead += list(above[len(below) :]) + list(below[len(above) :])
        self._queue = ahead[::-1]
        if self._queue and not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _measure_some(self) -> None:
        delegate, messages = self._delegate, self._model.conversation.messages
        start = time.perf_counter()
        while self._queue and delegate is not None:
            row = self._queue.pop()
            if row < len(messages):
                message = messages[row]
                delegate.layouts.row_size(message, footer_line(message))
            if (time.perf_counter() - start) * 1000 >= SLICE_MS:
                break
        if not self._queue:
            self._timer.stop()
