"""The message input: Enter (or Ctrl+Enter, if chosen) sends; otherwise a new line.

It grows with what is typed up to :data:`MAX_SHARE` of the window's height, then
scrolls; text files dropped on it add their text.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QWidget

from deskchat.i18n import N_, _

from .dropped_text import DropRefused, read_dropped_file
from .errors import show_error

__all__ = ["MAX_SHARE", "MIN_LINES", "InputBox"]

_PLACEHOLDERS = {
    "enter": N_("Message DeskChat — Enter sends, Shift+Enter adds a line"),
    "ctrl+enter": N_("Message DeskChat — Ctrl+Enter sends, Enter adds a line"),
}
MIN_LINES = 2
"""The box is never lower than this many lines."""
MAX_SHARE = 0.4
"""The box grows up to this share of the window's height, then scrolls."""


def _local_files(source: QMimeData) -> list[Path]:
    if not source.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in source.urls() if url.isLocalFile()]


class InputBox(QPlainTextEdit):
    """A plain-text box that submits on Enter or on Ctrl+Enter (see :attr:`send_key`).

    Signals:
        submitted(str): the send key was pressed; the argument is the box's text.
        pasted(str): text was pasted (or dragged) in; the argument is that text.
        files_added(str, int): text files were dropped in: their text (as
            inserted) and how many files.
        drop_refused(str): a dropped file was not added; the sentence says why.
    """

    submitted = Signal(str)
    pasted = Signal(str)
    files_added = Signal(str, int)
    drop_refused = Signal(str)

    # On the class too: an event can reach eventFilter before __init__ below has
    # set the instance's (seen at start-up under cProfile: an AttributeError logged).
    _watched: QWidget | None = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setAccessibleName(_("Message"))
        self._send_key = "enter"
        self._waiting = ""
        self._watched: QWidget | None = None
        self._wanted = 0
        """The height the text asks for (the size hint)."""
        policy = self.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Maximum)
        self.setSizePolicy(policy)
        self._describe()
        self.document().contentsChanged.connect(self.fit_height)

    @property
    def send_key(self) -> str:
        """The key that sends, "enter" or "ctrl+enter" (the other adds a line)."""
        return self._send_key

    @send_key.setter
    def send_key(self, value: str) -> None:
        self._send_key = value if value in _PLACEHOLDERS else "enter"
        self._describe()

    def _describe(self) -> None:
        self.setPlaceholderText(self._waiting or _(_PLACEHOLDERS[self._send_key]))
        self.setAccessibleDescription(_(_PLACEHOLDERS[self._send_key]))
        self.fit_height()

    def set_waiting(self, why: str) -> None:
        """Say ``why`` in the empty box while nothing can be sent ("" when sending works:
        the box says how to send again)."""
        self._waiting = why
        self._describe()

    def key_help(self) -> list[tuple[str, str]]:
        """The box's own keys as (keys, what they do), for the list of shortcuts."""
        send, line = ("Enter", "Shift+Enter")
        if self._send_key == "ctrl+enter":
            send, line = ("Ctrl+Enter", "Enter")
        return [(send, _("Send the message")), (line, _("Add a line to the message"))]

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

    # -- pasting and dropping ------------------------------------------------

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802
        return bool(_local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802
        files = _local_files(source)
        if files:
            self._add_files(files)
            return
        super().insertFromMimeData(source)
        if source.hasText():
            self.pasted.emit(source.text())

    def _add_files(self, paths: list[Path]) -> None:
        texts: list[str] = []
        refusals: list[str] = []
        for path in paths:
            try:
                texts.append(read_dropped_file(path))
            except (DropRefused, OSError) as exc:
                show_error(refusals.append, exc, doing=_("read {name}").format(name=path.name))
        text = "\n\n".join(texts)
        if text:
            self.textCursor().insertText(text)
            self.ensureCursorVisible()
            self.files_added.emit(text, len(texts))
        if refusals:
            self.drop_refused.emit(" ".join(refusals))

    # -- growing with the text -----------------------------------------------

    def fit_height(self) -> None:
        """Ask to be as tall as the text, between :data:`MIN_LINES` lines (or the whole
        placeholder) and :data:`MAX_SHARE` of the window's height (then the text scrolls).

        The lowest height is the box's minimum, so it counts in the window's
        smallest size; the rest is its size hint, which the layout gives when there
        is room (the box shrinks before it would push the window larger).
        """
        chrome = 2 * self.frameWidth() + 2 * self.document().documentMargin()
        margins = self.contentsMargins()
        chrome += margins.top() + margins.bottom()
        lowest = self.fontMetrics().lineSpacing() * MIN_LINES + chrome
        if self.document().isEmpty() and self.placeholderText():
            lowest = max(lowest, chrome + self._placeholder_height())
        window = self.window()
        highest = max(lowest, window.height() * MAX_SHARE) if window is not self else lowest
        # Only as many blocks as fill the highest box are measured (a paste may be huge).
        needed = chrome
        block = self.document().begin()
        while block.isValid() and needed < highest:
            needed += self.blockBoundingRect(block).height()
            block = block.next()
        wanted = round(min(max(needed, lowest), highest))
        if round(lowest) != self.minimumHeight():
            self.setMinimumHeight(round(lowest))
        if wanted != self._wanted:
            self._wanted = wanted
            self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().sizeHint().width(), self._wanted)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        # Qt's own (the scroll bars' room) would keep the box from ever being lower.
        return QSize(super().minimumSizeHint().width(), self.minimumHeight())

    def _placeholder_height(self) -> int:
        """How tall the placeholder is, wrapped at the box's width (it must show whole)."""
        # The empty box has no scroll bar, so its viewport spans maximumViewportSize;
        # viewport() itself would cost the first frame ~20 ms (see own_viewport).
        width = self.maximumViewportSize().width() - 2 * round(self.document().documentMargin())
        flags = Qt.TextFlag.TextWordWrap
        area = QRect(0, 0, max(width, 1), 100 * self.fontMetrics().lineSpacing())
        return self.fontMetrics().boundingRect(area, flags, self.placeholderText()).height()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            # A new width wraps the lines anew.
            self.fit_height()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.fit_height()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        window = self.window()
        if window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window
        self.fit_height()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._watched and event.type() == QEvent.Type.Resize:
            self.fit_height()
        return False
