"""After a far jump up, the messages below the rows join as the view is scrolled to its
bottom; rows far above the view go, so the rows stay few (:data:`KEPT`)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPersistentModelIndex, QPoint, QTimer, Slot

from .message_model import MessageModel
from .message_view import MessageView

__all__ = ["BOTTOM_SLACK", "KEPT", "PAGE", "LaterMessages"]

PAGE = 40
"""How many later messages join at a time (each is measured as it joins)."""
KEPT = 100
"""The most rows kept while pages join at one end: the rows farthest from the view at
the other end go (they join again when the view comes back). Every page makes the
view lay all its rows out again, so few rows keep each page within a frame; in one
batch of the view's layout (200)."""
BOTTOM_SLACK = 4
"""Pixels from the bottom that count as "at the bottom"."""


class LaterMessages(QObject):
    """Adds the messages below the last row when the view reaches its bottom.

    The message on top stays where it was, so scrolling down goes on from there;
    past :data:`KEPT` rows, as many go from the top as join at the bottom.

    Args:
        view: the message list.
        model: its model (:attr:`MessageModel.later` messages are not rows now).
    """

    def __init__(self, view: MessageView, model: MessageModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._adding = False
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        self._check.setInterval(0)
        self._check.timeout.connect(self._at_bottom)
        bar = view.verticalScrollBar()
        bar.valueChanged.connect(self.on_scroll_bar_moved)
        bar.rangeChanged.connect(self.on_scroll_bar_moved)
        model.later_changed.connect(self.on_scroll_bar_moved)

    @Slot()
    def on_scroll_bar_moved(self) -> None:
        # Looked at in the next turn of the loop, once the rows are laid out.
        if not self._adding and self._model.later and not self._check.isActive():
            self._check.start()

    @Slot()
    def _at_bottom(self) -> None:
        view, model = self._view, self._model
        if not model.later:
            return
        view.executeDelayedItemsLayout()
        last = model.index(model.rowCount() - 1)
        if last.isValid() and not view.visualRect(last).isValid():
            return  # still laying out the rows in batches: each batch moves the range
        bar = view.verticalScrollBar()
        if bar.value() >= bar.maximum() - BOTTOM_SLACK:
            self.show_page()

    def show_page(self) -> int:
        """Add up to :data:`PAGE` later messages below the last row; how many joined."""
        view, model = self._view, self._model
        top = view.indexAt(QPoint(view.viewport().width() // 2, 0))
        kept = QPersistentModelIndex(top) if top.isValid() else None
        y = view.visualRect(top).top() if top.isValid() else 0
        self._adding = True
        try:
            coming = min(PAGE, model.later)
            if not coming:
                return 0
            # The farthest rows above go first, never the one on top.
            extra = model.rowCount() + coming - KEPT
            if extra > 0:
                model.hide_earlier(min(extra, top.row() if kept is not None else 0))
            added = model.show_later(coming)
            view.executeDelayedItemsLayout()
            if kept is not None and kept.isValid():
                bar = view.verticalScrollBar()
                bar.setValue(bar.value() + view.visualRect(model.index(kept.row())).top() - y)
        finally:
            self._adding = False
        # Still at the bottom (a view not full yet): more at the next turn of the loop.
        self.on_scroll_bar_moved()
        return added
