"""Widgets over the message list: "jump to the latest" while scrolled up, and the actions
of the message under the pointer (with its time and model).

Both are children of the view, not of its viewport, so scrolling does not move them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDateTime, QEvent, QLocale, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QCursor, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
)
from shiboken6 import isValid

from deskchat.chat.conversation import ChatMessage
from deskchat.i18n import _

from .bubble_delegate import BubbleDelegate
from .bubble_parts import bubble_rect
from .message_model import FooterRole, MessageModel, author

__all__ = ["HoverBar", "JumpButton", "written_at"]

EDGE = 12
"""Pixels between the jump button and the viewport's corner."""
_WATCHED = (QEvent.Type.MouseMove, QEvent.Type.Leave, QEvent.Type.Wheel, QEvent.Type.Resize)


def written_at(message: ChatMessage) -> str:
    """When ``message`` was written, in the language's short form (today: the time only)."""
    when = QDateTime.fromMSecsSinceEpoch(int(message.created_at * 1000))
    locale = QLocale()
    if when.date() == QDateTime.currentDateTime().date():
        return locale.toString(when.time(), QLocale.FormatType.ShortFormat)
    return locale.toString(when, QLocale.FormatType.ShortFormat)


class JumpButton(QToolButton):
    """ "↓ Latest" at the bottom right of the list while it is scrolled up from the end.

    Args:
        view: the message list; :meth:`place` follows its size, ``follow`` is called
            on a click.
        follow: goes to the bottom and keeps following.
    """

    def __init__(self, view: QAbstractItemView, follow: Callable[[], None]) -> None:
        super().__init__(view)
        self._view = view
        self.setText(_("↓ Latest"))
        self.setToolTip(_("Jump to the latest message (End)"))
        self.setAccessibleName(_("Jump to the latest message"))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clicked.connect(follow)
        self.hide()

    def update_shown(self, scrolled_up: bool) -> None:
        self.setVisible(scrolled_up)
        if scrolled_up:
            self.place()
            self.raise_()

    def place(self) -> None:
        self.adjustSize()
        area = self._view.viewport().geometry()
        corner = area.bottomRight() - QPoint(self.width() + EDGE, self.height() + EDGE)
        self.move(corner)


class HoverBar(QFrame):
    """The message under the pointer: when it was written, its model, and buttons for the
    message menu's main actions (Copy, Edit or Regenerate).

    Args:
        view: the message list (its model is a :class:`MessageModel`).
        delegate: where the bubbles are.

    Attributes:
        row: the row the bar is shown for, or -1.
        when: the label with the time (and the model of a reply).
    """

    def __init__(self, view: QAbstractItemView, delegate: BubbleDelegate) -> None:
        super().__init__(view)
        self._view = view
        self._delegate = delegate
        self.row = -1
        self.setObjectName("hoverBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 2, 2, 2)
        self._layout.setSpacing(2)
        self.when = QLabel()
        self._layout.addWidget(self.when)
        self._buttons: list[tuple[QToolButton, QAction, str]] = []
        view.viewport().installEventFilter(self)
        self.hide()

    def add_action(self, action: QAction, role: str = "") -> QToolButton:
        """A button for ``action`` (run on the hovered message); ``role`` ("user",
        "assistant" or "") limits it to that author's messages."""
        button = QToolButton(self)
        button.setText(action.text())
        button.setToolTip(action.toolTip() or action.text())
        button.setAccessibleName(action.text())
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda: self._run(action))
        self._layout.addWidget(button)
        self._buttons.append((button, action, role))
        return button

    def _run(self, action: QAction) -> None:
        model = self._view.model()
        if 0 <= self.row < model.rowCount():
            self._view.setCurrentIndex(model.index(self.row, 0))
            action.trigger()

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in _WATCHED or not isValid(self._view):
            # While the view is destroyed, events still pass through here.
            return False
        if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if not event.buttons():
                self.show_for(self._view.indexAt(event.position().toPoint()).row())
        elif kind == QEvent.Type.Leave:
            # Onto the bar itself is not away from the message.
            if not self.geometry().contains(self._view.mapFromGlobal(QCursor.pos())):
                self.show_for(-1)
        elif kind in (QEvent.Type.Wheel, QEvent.Type.Resize):
            self.show_for(-1)
        return False

    def show_for(self, row: int) -> None:
        """Show the bar over row ``row``'s bubble (-1: hide it)."""
        model = self._view.model()
        if not isinstance(model, MessageModel) or not 0 <= row < model.rowCount():
            self.row = -1
            self.hide()
            return
        message = model.message(row)
        if row != self.row or not self.isVisible():
            self.row = row
            self._fill(message)
        self._place(row, message)
        self.show()
        self.raise_()

    def _fill(self, message: ChatMessage) -> None:
        when = written_at(message)
        if message.role == "assistant":
            self.when.setText(f"{when} · {author(message)}")
        else:
            self.when.setText(when)
        for button, action, role in self._buttons:
            button.setVisible((not role or role == message.role) and action.isEnabled())

    def _place(self, row: int, message: ChatMessage) -> None:
        index = self._view.model().index(row, 0)
        rect = self._view.visualRect(index)
        footer = str(index.data(FooterRole) or "")
        measure = self._delegate.layouts.measure(message, footer)
        bubble = bubble_rect(rect, measure, message.role == "user")
        self.adjustSize()
        viewport = self._view.viewport()
        # Over the bubble's top right corner, or the top of its visible part.
        top = max(bubble.top() - self.height() / 2, 2)
        top = min(top, viewport.height() - self.height() - 2)
        left = min(bubble.right() - self.width(), viewport.width() - self.width() - 2)
        self.move(viewport.mapTo(self._view, QPoint(int(max(left, 2)), int(top))))
