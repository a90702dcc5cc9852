"""DeskChat's icon, for the window and the About dialog (its own module: the window's
first frame needs the icon, not the dialog and what the dialog imports)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QIcon

__all__ = ["ICON_SIZES", "app_icon"]

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
