"""Earlier messages of a long conversation join the view as it is scrolled to its top;
rows far below the view go, so the rows stay few (:data:`~.message_later.KEPT`)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPersistentModelIndex, QPoint, QTimer, Slot

from .message_later import KEPT
from .message_model import MessageModel
from .message_view import MessageView

__all__ = ["PAGE", "TOP_SLACK", "EarlierMessages"]

PAGE = 40
"""How many earlier messages join at a time (each is measured as it joins)."""
TOP_SLACK = 4
"""Pixels from the top that count as "at the top"."""


class EarlierMessages(QObject):
    """Adds the messages above the first row when the view reaches its top.

    The message on top stays where it was, so scrolling up goes on from there;
    a view that is not full yet takes more until it is, or until all are rows.
    Past :data:`~.message_later.KEPT` rows, as many go from the bottom as join at
    the top (:class:`~.message_later.LaterMessages` brings them back).

    Args:
        view: the message list.
        model: its model (:attr:`MessageModel.earlier` messages are not rows yet).
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._adding = False
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        self._check.setInterval(0)
        self._check.timeout.connect(self._at_top)
        bar = view.verticalScrollBar()
        bar.valueChanged.connect(self.on_scroll_bar_moved)
        bar.rangeChanged.connect(self.on_scroll_bar_moved)
        model.earlier_changed.connect(self.on_scroll_bar_moved)

    @Slot()
    def on_scroll_bar_moved(self) -> None:
        # Looked at in the next turn of the loop, once the rows are laid out: a view
        # just reset is at the top only until it goes to its end.
        if not self._adding and self._model.earlier and not self._check.isActive():
            self._check.start()

    @Slot()
    def _at_top(self) -> None:
        view, model = self._view, self._model
        if not model.earlier:
            return
        view.executeDelayedItemsLayout()
        last = model.index(model.rowCount() - 1)
        if last.isValid() and not view.visualRect(last).isValid():
            # Still laying out the rows in batches (after the last page, past 200
            # rows): the view would lay out the new ones only after them, and the
            # message on top could not be kept in place. Each batch moves the range.
            return
        bar = view.verticalScrollBar()
        if bar.value() <= bar.minimum() + TOP_SLACK:
            self.show_page()

    def show_page(self) -> int:
        """Add up to :data:`PAGE` earlier messages above the first row; how many joined."""
        view, model = self._view, self._model
        top = view.indexAt(QPoint(view.viewport().width() // 2, 0))
        kept = QPersistentModelIndex(top) if top.isValid() else None
        y = view.visualRect(top).top() if top.isValid() else 0
        self._adding = True
        try:
            coming = min(PAGE, model.earlier)
            if not coming:
                return 0
            # The farthest rows below go first: none while the view follows the end,
            # never the one on top or those in view.
            extra = model.rowCount() + coming - KEPT
            if extra > 0 and not view.stick_to_bottom:
                viewport = view.viewport()
                bottom = view.indexAt(QPoint(viewport.width() // 2, viewport.height() - 1))
                below = model.rowCount() - 1 - bottom.row() if bottom.isValid() else 0
                model.hide_later(min(extra, below))
            added = model.show_earlier(coming)
            # The new rows and the one on top are in the layout's first batch.
            view.executeDelayedItemsLayout()
            if view.stick_to_bottom:
                view.scrollToBottom()
            elif kept is not None and kept.isValid():
                bar = view.verticalScrollBar()
                bar.setValue(bar.value() + view.visualRect(model.index(kept.row())).top() - y)
        finally:
            self._adding = False
        # Still at the top (a view not full yet): more at the next turn of the loop.
        self.on_scroll_bar_moved()
        return added
