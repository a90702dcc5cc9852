"""Keeps the message on top where it was while a version switch lays the rows out again,
or while a long chat's earlier messages join above it (:class:`EarlierMessages`)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPoint, QRect, QTimer, Slot
from PySide6.QtWidgets import QAbstractItemView

from .message_ahead import MeasureAhead
from .message_earlier import EarlierMessages
from .message_later import LaterMessages
from .message_model import MessageModel
from .message_view import MessageView

__all__ = ["ANCHOR_MS", "ScrollAnchor"]

ANCHOR_MS = 1000
"""How long after a version switch the view still puts its top row back (the layout's end)."""


class ScrollAnchor(QObject):
    """Holds the view's top row across a version switch: another version is not a new
    reply to follow, so the view stays where it was.

    Args:
        view: the message list.
        model: its model; its ``rows_replaced`` says when the rows change.

    Attributes:
        earlier: adds a long chat's earlier messages when the view reaches its top.
        later: adds those below the rows (after a far jump up) when it reaches its bottom.
        ahead: measures the messages next to join while the loop is idle.
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._anchor: tuple[QPersistentModelIndex, int] | None = None
        """The top row on show before the switch, and where it was (y)."""
        self._row = 0
        self.earlier = EarlierMessages(view, model)
        self.later = LaterMessages(view, model)
        self.ahead = MeasureAhead(view, model)
        model.rows_replaced.connect(self.on_message_model_rows_replaced)

    def top_index(self) -> QModelIndex:
        """The row at the top of the view now."""
        return self._view.indexAt(QPoint(self._view.viewport().width() // 2, 0))

    def hold(self, top: QModelIndex, row: int) -> None:
        """Keep ``top`` where it is while ``row`` (the switched message) changes version."""
        self._view.stick_to_bottom = False
        self._drop()
        if top.isValid():
            self._anchor = (QPersistentModelIndex(top), self._view.visualRect(top).top())
            self._row = row

    @Slot(int)
    def on_message_model_rows_replaced(self, _row: int) -> None:
        if self._anchor is not None:
            # The rows are laid out again in batches; the first leaves a short scroll
            # range that pulls the view up. Put the top row back once it is laid out.
            self._view.verticalScrollBar().rangeChanged.connect(self._put_back)
            self._view.executeDelayedItemsLayout()
            self._put_back()
            # A layout that ends without changing the range lets go all the same.
            QTimer.singleShot(ANCHOR_MS, self._drop)

    @Slot()
    def _drop(self) -> None:
        if self._anchor is not None:
            self._anchor = None
            self._view.verticalScrollBar().rangeChanged.disconnect(self._put_back)

    @Slot()
    def _put_back(self) -> None:
        anchor, view = self._anchor, self._view
        if anchor is None:
            return
        index, top = anchor
        rect = view.visualRect(index) if index.isValid() else QRect()
        last = self._model.index(self._model.rowCount() - 1)
        laid_out = not last.isValid() or view.visualRect(last).isValid()
        bar = view.verticalScrollBar()
        wanted = bar.value() + rect.top() - top
        if rect.isValid() and wanted <= bar.maximum():
            bar.setValue(max(wanted, bar.minimum()))
        elif not laid_out:
            return  # the rows are still being laid out: the next range change comes
        self._drop()
        view.stick_to_bottom = False
        # The version switched to must not end up out of sight above the view.
        switched = self._model.index(self._row)
        if switched.isValid() and view.visualRect(switched).bottom() < 0:
            view.scrollTo(switched, QAbstractItemView.ScrollHint.PositionAtBottom)
