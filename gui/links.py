"""Links in replies: asked about first (without blocking the loop), then opened by the system."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from deskchat.i18n import _

__all__ = ["LinkOpener", "open_url"]

log = logging.getLogger("deskchat.gui")


def open_url(url: str) -> None:
    """Open ``url`` in the user's browser or mail program."""
    if not QDesktopServices.openUrl(QUrl(url)):
        log.warning("the system could not open %s", url)


class LinkOpener(QObject):
    """Asks whether to open a clicked link, showing its full address; opens it only on Open.

    Args:
        parent: a widget of the window the question belongs to.

    Signals:
        None of its own: the question's buttons decide, and :attr:`open_url` opens.

    Attributes:
        confirm_box: the open "Open this link?" question, if any.
        open_url: called with an address once the user confirmed opening it
            (replaceable, for tests).
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.confirm_box: QMessageBox | None = None
        self.open_url: Callable[[str], object] = open_url

    def confirm_open(self, url: str) -> QMessageBox:
        """Ask whether to open ``url``; a newer question replaces an older one."""
        if self.confirm_box is not None:
            self.confirm_box.close()
        box = QMessageBox(self._parent.window())
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(_("Open link"))
        # Plain text: the address is shown exactly as it is, never interpreted.
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(_("Open this address in your browser?\n\n{url}").format(url=url))
        box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_finished(result: int) -> None:
            if self.confirm_box is box:
                self.confirm_box = None
            if result == QMessageBox.StandardButton.Open.value:
                self.open_url(url)

        box.finished.connect(on_finished)
        self.confirm_box = box
        # open(), not exec(): the loop (and a streaming reply) keeps running.
        box.open()
        return box
