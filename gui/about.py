"""Help → About DeskChat: the version, Qt and Python, where the data lives, the icon."""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from deskchat.chat.version import version
from deskchat.i18n import _
from deskchat.store import data_dir

__all__ = ["AboutDialog", "app_icon"]

log = logging.getLogger("deskchat.gui")

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
"""The PNGs of the icon (scripts/icons.py renders them from icons/deskchat.svg)."""


def app_icon() -> QIcon:
    """DeskChat's icon from the resources (an empty icon, logged, if it is missing).

    PNGs, not the SVG: an SVG icon would load Qt's SVG module and icon engine
    into every start (~2.2 MiB of RSS).
    """
    from deskchat import resources

    icon = QIcon()
    try:
        for size in ICON_SIZES:
            icon.addFile(str(resources.path(f"icons/deskchat-{size}.png")))
    except FileNotFoundError as exc:
        log.warning("%s", exc)
        return QIcon()
    return icon


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
