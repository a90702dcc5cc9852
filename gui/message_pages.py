"""Pages of a long chat's hidden messages join the rows as the view reaches an end.

:class:`~.message_earlier.EarlierMessages` joins them above the first row,
:class:`~.message_later.LaterMessages` below the last; this is what both do.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPoint, QTimer, Slot
from PySide6.QtWidgets import QScrollBar

from .message_model import MessageModel
from .message_view import MessageView

__all__ = ["KEPT", "PAGE", "SLACK", "RowPages"]

PAGE = 40
"""How many hidden messages join at a time (each is measured as it joins)."""
KEPT = 100
"""The most rows kept while pages join at one end: the rows farthest from the view at
the other end go (they join again when the view comes back). Every page makes the
view lay all its rows out again, so few rows keep each page within a frame; in one
batch of the view's layout (200)."""
SLACK = 4
"""Pixels from the top or the bottom that count as being there."""


class RowPages(QObject):
    """Adds up to :data:`PAGE` hidden messages at one end when the view reaches it.

    The message on top stays where it was, so scrolling goes on from there; a view
    that is not full yet takes more until it is, or until none are hidden.
    Subclasses say how many wait (:meth:`waiting`), whether the view is at their
    end (:meth:`at_end`) and how a page joins (:meth:`join`).

    Args:
        view: the message list.
        model: its model.
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._adding = False
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        self._check.setInterval(0)
        self._check.timeout.connect(self._look)
        bar = view.verticalScrollBar()
        bar.valueChanged.connect(self.on_scroll_bar_moved)
        bar.rangeChanged.connect(self.on_scroll_bar_moved)

    def waiting(self) -> int:
        """How many messages are hidden at this end."""
        raise NotImplementedError

    def at_end(self, bar: QScrollBar) -> bool:
        """Whether the view is scrolled to this end."""
        raise NotImplementedError

    def join(self, coming: int, top: QModelIndex | None) -> int:
        """Make ``coming`` hidden messages rows (``top``: the row on top, if any),
        letting rows go at the other end; how many joined."""
        raise NotImplementedError

    def settle(self, kept: QPersistentModelIndex | None, y: int) -> None:
        """After a page joined: the message on top (``kept``) back at ``y``."""
        if kept is not None and kept.isValid():
            view = self._view
            bar = view.verticalScrollBar()
            bar.setValue(bar.value() + view.visualRect(self._model.index(kept.row())).top() - y)

    @Slot()
    def on_scroll_bar_moved(self) -> None:
        # Looked at in the next turn of the loop, once the rows are laid out: a view
        # just reset is at the top only until it goes to its end.
        if not self._adding and self.waiting() and not self._check.isActive():
            self._check.start()

    @Slot()
    def _look(self) -> None:
        view, model = self._view, self._model
        if not self.waiting():
            return
        view.executeDelayedItemsLayout()
        last = model.index(model.rowCount() - 1)
        if last.isValid() and not view.visualRect(last).isValid():
            # Still laying out the rows in batches (after the last page, past 200
            # rows): the view would lay out the new ones only after them, and the
            # message on top could not be kept in place. Each batch moves the range.
            return
        if self.at_end(view.verticalScrollBar()):
            self.show_page()

    def show_page(self) -> int:
        """Add up to :data:`PAGE` hidden messages at this end; how many joined."""
        view = self._view
        top = view.indexAt(QPoint(view.viewport().width() // 2, 0))
        kept = QPersistentModelIndex(top) if top.isValid() else None
        y = view.visualRect(top).top() if top.isValid() else 0
        self._adding = True
        try:
            coming = min(PAGE, self.waiting())
            if not coming:
                return 0
            added = self.join(coming, top if kept is not None else None)
            # The new rows and the one on top are in the layout's first batch.
            view.executeDelayedItemsLayout()
            self.settle(kept, y)
        finally:
            self._adding = False
        # Still at the end (a view not full yet): more at the next turn of the loop.
        self.on_scroll_bar_moved()
        return added
