"""Light, dark or the system's colours: asked of the platform, else set as a palette."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["apply_theme", "dark_palette"]

log = logging.getLogger("deskchat.gui")

_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
_system_palette: QPalette | None = None


def dark_palette() -> QPalette:
    """A plain dark palette, for platforms that cannot switch the scheme themselves."""
    role = QPalette.ColorRole
    palette = QPalette()
    colours = {
        role.Window: "#202124",
        role.WindowText: "#e8eaed",
        role.Base: "#17181a",
        role.AlternateBase: "#26282b",
        role.ToolTipBase: "#303134",
        role.ToolTipText: "#e8eaed",
        role.PlaceholderText: "#9aa0a6",
        role.Text: "#e8eaed",
        role.Button: "#2d2f31",
        role.ButtonText: "#e8eaed",
        role.BrightText: "#ff6b6b",
        role.Light: "#3c4043",
        role.Midlight: "#34373a",
        role.Mid: "#4a4d51",
        role.Dark: "#111214",
        role.Shadow: "#000000",
        role.Highlight: "#3d6fb6",
        role.HighlightedText: "#ffffff",
        role.Link: "#8ab4f8",
        role.LinkVisited: "#c58af9",
    }
    for which, colour in colours.items():
        palette.setColor(which, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for which in (role.Text, role.ButtonText, role.WindowText):
        palette.setColor(disabled, which, QColor("#80868b"))
    return palette


def apply_theme(theme: str) -> None:
    """Use ``theme`` ("system", "light" or "dark") for the whole application."""
    global _system_palette
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if _system_palette is None:
        _system_palette = QPalette(app.palette())
    hints = QGuiApplication.styleHints()
    wanted = _SCHEMES.get(theme, Qt.ColorScheme.Unknown)
    hints.setColorScheme(wanted)
    if wanted == Qt.ColorScheme.Unknown or hints.colorScheme() == wanted:
        # The platform follows (or was asked to follow the system again).
        app.setPalette(_system_palette)
        return
    # The platform ignored the request (offscreen, some X11 desktops): set colours ourselves.
    log.info("platform cannot switch to %s; using a palette", theme)
    style = app.style()
    app.setPalette(dark_palette() if theme == "dark" else style.standardPalette())
