"""After a far jump up, the messages below the rows join as the view is scrolled to its
bottom; rows far above the view go, so the rows stay few (:data:`KEPT`)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QScrollBar

from .message_model import MessageModel
from .message_pages import KEPT, PAGE, SLACK, RowPages
from .message_view import MessageView

__all__ = ["BOTTOM_SLACK", "KEPT", "PAGE", "LaterMessages"]

BOTTOM_SLACK = SLACK
"""Pixels from the bottom that count as "at the bottom"."""


class LaterMessages(RowPages):
    """Adds the messages below the last row when the view reaches its bottom.

    The message on top stays where it was, so scrolling down goes on from there;
    past :data:`KEPT` rows, as many go from the top as join at the bottom.

    Args:
        view: the message list.
        model: its model (:attr:`MessageModel.later` messages are not rows now).
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view, model)
        model.later_changed.connect(self.on_scroll_bar_moved)

    def waiting(self) -> int:
        return self._model.later

    def at_end(self, bar: QScrollBar) -> bool:
        return bar.value() >= bar.maximum() - BOTTOM_SLACK

    def join(self, coming: int, top: QModelIndex | None) -> int:
        model = self._model
        # The farthest rows above go first, never the one on top.
        extra = model.rowCount() + coming - KEPT
        if extra > 0:
            model.hide_earlier(min(extra, top.row() if top is not None else 0))
        return model.show_later(coming)
