"""Earlier messages of a long conversation join the view as it is scrolled to its top;
rows far below the view go, so the rows stay few (:data:`~.message_pages.KEPT`)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint
from PySide6.QtWidgets import QScrollBar

from .message_model import MessageModel
from .message_pages import KEPT, PAGE, SLACK, RowPages
from .message_view import MessageView

__all__ = ["PAGE", "TOP_SLACK", "EarlierMessages"]

TOP_SLACK = SLACK
"""Pixels from the top that count as "at the top"."""


class EarlierMessages(RowPages):
    """Adds the messages above the first row when the view reaches its top.

    The message on top stays where it was, so scrolling up goes on from there;
    a view that is not full yet takes more until it is, or until all are rows.
    Past :data:`~.message_pages.KEPT` rows, as many go from the bottom as join at
    the top (:class:`~.message_later.LaterMessages` brings them back).

    Args:
        view: the message list.
        model: its model (:attr:`MessageModel.earlier` messages are not rows yet).
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view, model)
        model.earlier_changed.connect(self.on_scroll_bar_moved)

    def waiting(self) -> int:
        return self._model.earlier

    def at_end(self, bar: QScrollBar) -> bool:
        return bar.value() <= bar.minimum() + TOP_SLACK

    def join(self, coming: int, top: QModelIndex | None) -> int:  # noqa: ARG002 (the row on top stays)
        view, model = self._view, self._model
        # The farthest rows below go first: none while the view follows the end,
        # never the one on top or those in view.
        extra = model.rowCount() + coming - KEPT
        if extra > 0 and not view.stick_to_bottom:
            viewport = view.viewport()
            bottom = view.indexAt(QPoint(viewport.width() // 2, viewport.height() - 1))
            below = model.rowCount() - 1 - bottom.row() if bottom.isValid() else 0
            model.hide_later(min(extra, below))
        return model.show_earlier(coming)

    def settle(self, kept: QPersistentModelIndex | None, y: int) -> None:
        if self._view.stick_to_bottom:
            self._view.scrollToBottom()
        else:
            super().settle(kept, y)
