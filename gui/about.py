"""Help → About DeskChat: the version, Qt and Python, where the data lives, the icon."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from deskchat.chat.version import version
from deskchat.i18n import _
from deskchat.store import data_dir

from .icon import ICON_SIZES, app_icon

__all__ = ["ICON_SIZES", "AboutDialog", "app_icon"]


class AboutDialog(QDialog):
    """A small window naming DeskChat's version and what it runs on.

    Open it with ``.open()``: it never blocks the loop.

    Args:
        folder: the data folder in use; None for the default one.
        parent: the main window.
    """

    def __init__(self, folder: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About DeskChat"))
        icon = app_icon()
        self.setWindowIcon(icon)
        self.icon_label = QLabel()
        self.icon_label.setPixmap(icon.pixmap(64, 64))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.version = version()
        where = folder if folder is not None else data_dir()
        self.text_label = QLabel()
        # Plain text: a folder name is shown as it is, never read as markup.
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setText(
            _(
                "DeskChat {version}\n\nQt {qVersion} (PySide6 {version__})\nPython "
                "{python_version}\n\nData folder: {where}"
            ).format(
                version=self.version,
                qVersion=qVersion(),
                version__=PySide6.__version__,
                python_version=platform.python_version(),
                where=where,
            )
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.icon_label)
        row.addWidget(self.text_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
