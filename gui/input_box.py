"""The message input: Enter sends, Shift+Enter starts a new line."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

__all__ = ["InputBox"]


class InputBox(QPlainTextEdit):
    """A plain-text box that submits on Enter.

    Signals:
        submitted(str): Enter was pressed; the argument is the box's text.
    """

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText("Message DeskChat — Enter sends, Shift+Enter adds a line")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            event.accept()
            self.submitted.emit(self.toPlainText())
            return
        if enter:
            # Shift+Enter: a plain newline, not the paragraph separator Qt inserts.
            self.insertPlainText("\n")
            event.accept()
            return
        super().keyPressEvent(event)
