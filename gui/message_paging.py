"""Paging through the message list: PgUp/PgDn by a page even inside a long message,
Up/Down by lines inside a message taller than the view, Home/End to the true ends.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView

from .message_model import MessageModel

__all__ = ["Paging"]


class Paging:
    """Moves a message view by the keyboard; the row in view becomes the current one.

    Args:
        view: the message list (its ``follow()``, when it has one, keeps it at the end).
    """

    def __init__(self, view: QAbstractItemView) -> None:
        self._view = view

    def navigate(self, key: int, control: bool) -> bool:
        """Act on a paging key (PgUp/PgDn, Home/End, Ctrl+Up/Down, Up/Down); False if
        ``key`` is none of them."""
        view = self._view
        scroll = view.verticalScrollBar()
        page = max(view.viewport().height() - 2 * scroll.singleStep(), scroll.singleStep())
        if key == Qt.Key.Key_PageDown:
            scroll.setValue(scroll.value() + page)
            self._current_at_middle()
        elif key == Qt.Key.Key_PageUp:
            scroll.setValue(scroll.value() - page)
            self._current_at_middle()
        elif key == Qt.Key.Key_Home or (control and key == Qt.Key.Key_Up):
            model = view.model()
            if isinstance(model, MessageModel) and model.earlier:
                # A long chat's first messages: the rows move there, the rest hidden below.
                model.show_from(0)
                if hasattr(view, "stick_to_bottom"):
                    view.stick_to_bottom = False
            scroll.setValue(scroll.minimum())
            self._set_current_row(0)
        elif key == Qt.Key.Key_End or (control and key == Qt.Key.Key_Down):
            model = view.model()
            if isinstance(model, MessageModel):
                model.show_tail()  # back at the end, if a far jump moved the rows up
            count = model.rowCount()
            self._set_current_row(count - 1)
            scroll.setValue(scroll.maximum())
            follow = getattr(view, "follow", None)
            if callable(follow):
                follow()
        elif key == Qt.Key.Key_Down and not control:
            self._line(+1)
        elif key == Qt.Key.Key_Up and not control:
            self._line(-1)
        else:
            return False
        return True

    def _line(self, step: int) -> None:
        """Down/Up: scroll inside a message taller than the view, else go to the next row."""
        view = self._view
        model = view.model()
        scroll = view.verticalScrollBar()
        height = view.viewport().height()
        line = 3 * scroll.singleStep()
        index = view.currentIndex()
        if not index.isValid():
            self._current_at_middle()
            return
        rect = view.visualRect(index)
        if step > 0 and rect.bottom() > height:
            scroll.setValue(scroll.value() + min(line, rect.bottom() - height + 1))
            return
        if step < 0 and rect.top() < 0:
            scroll.setValue(scroll.value() - min(line, -rect.top()))
            return
        row = index.row() + step
        if not 0 <= row < model.rowCount():
            return
        self._set_current_row(row)
        after = view.visualRect(model.index(row, 0))
        if after.height() > height:
            # Enter a tall message at its top going down, at its bottom going up.
            shift = after.top() if step > 0 else after.bottom() - height + 1
            if (step > 0 and after.top() > 0) or (step < 0 and after.bottom() < height):
                scroll.setValue(scroll.value() + shift)
        elif after.top() < 0:
            scroll.setValue(scroll.value() + after.top())
        elif after.bottom() > height:
            scroll.setValue(scroll.value() + after.bottom() - height + 1)

    def _current_at_middle(self) -> None:
        """Make the row in the middle of the viewport the current one (after paging)."""
        view = self._view
        index = view.indexAt(QPoint(view.viewport().width() // 2, view.viewport().height() // 2))
        if not index.isValid():
            index = view.indexAt(QPoint(view.viewport().width() // 2, 1))
        if index.isValid() and index != view.currentIndex():
            self._set_current_row(index.row())

    def _set_current_row(self, row: int) -> None:
        view = self._view
        model = view.model()
        if 0 <= row < model.rowCount():
            view.selectionModel().setCurrentIndex(
                model.index(row, 0),
                view.selectionModel().SelectionFlag.ClearAndSelect,
            )
