"""The message input: Enter (or Ctrl+Enter, if chosen) sends; otherwise a new line."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from deskchat.i18n import N_, _

__all__ = ["InputBox"]

_PLACEHOLDERS = {
    "enter": N_("Message DeskChat — Enter sends, Shift+Enter adds a line"),
    "ctrl+enter": N_("Message DeskChat — Ctrl+Enter sends, Enter adds a line"),
}


class InputBox(QPlainTextEdit):
    """A plain-text box that submits on Enter or on Ctrl+Enter (see :attr:`send_key`).

    Signals:
        submitted(str): the send key was pressed; the argument is the box's text.
    """

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self._send_key = "enter"
        self.setPlaceholderText(_(_PLACEHOLDERS["enter"]))

    @property
    def send_key(self) -> str:
        """The key that sends, "enter" or "ctrl+enter" (the other adds a line)."""
        return self._send_key

    @send_key.setter
    def send_key(self, value: str) -> None:
        self._send_key = value if value in _PLACEHOLDERS else "enter"
        self.setPlaceholderText(_(_PLACEHOLDERS[self._send_key]))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            super().keyPressEvent(event)
            return
        modifiers = event.modifiers()
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        sends = ctrl and not shift if self._send_key == "ctrl+enter" else not shift
        event.accept()
        if sends:
            self.submitted.emit(self.toPlainText())
        else:
            # A plain newline, not the paragraph separator Qt inserts.
            self.insertPlainText("\n")
