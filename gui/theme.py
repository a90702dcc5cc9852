"""Light, dark or the system's colours, and the interface's size, for the whole application.

The colours are asked of the platform, else set as a palette; with "system" they
follow the system's light or dark setting while the window runs
(:func:`apply_appearance`). The font-size setting scales every widget: the
application's font is the system's, times the setting over its default.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

__all__ = [
    "DEFAULT_FONT_SIZE",
    "apply_appearance",
    "apply_scale",
    "apply_theme",
    "dark_palette",
    "is_dark",
    "reset_appearance",
]

log = logging.getLogger("deskchat.gui")

_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
DEFAULT_FONT_SIZE = 11
"""The font-size setting's default (``Settings.DEFAULTS``): at it, the system's font is used."""
_system_font: QFont | None = None
_theme = "system"
"""The theme last applied: with "system", a change of the system's scheme is followed."""
_following = False


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


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark one (light text on a dark window)."""
    role = QPalette.ColorRole
    return palette.color(role.WindowText).lightness() > palette.color(role.Window).lightness()


def _application() -> QApplication | None:
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else None


def apply_theme(theme: str, system: Qt.ColorScheme | None = None) -> None:
    """Use ``theme`` ("system", "light" or "dark") for the whole application.

    Args:
        system: the system's scheme when it is known better than the style
            hints say (the argument of ``colorSchemeChanged``); None asks the hints.
    """
    global _theme
    app = _application()
    if app is None:
        return
    _theme = theme
    hints = QGuiApplication.styleHints()
    wanted = _SCHEMES.get(theme, Qt.ColorScheme.Unknown)
    hints.setColorScheme(wanted)
    scheme = wanted
    if wanted == Qt.ColorScheme.Unknown:
        scheme = hints.colorScheme() if system is None else system
    before = QPalette(app.palette())
    # The platform's own palette first (a palette with nothing set follows the platform).
    app.setPalette(QPalette())
    if scheme != Qt.ColorScheme.Unknown and is_dark(app.palette()) != (
        scheme == Qt.ColorScheme.Dark
    ):
        # The platform ignored the request (offscreen, X11 without a desktop theme),
        # or says "dark" with a light palette: set the colours ourselves.
        log.info("the platform's palette is not %s; using our own", scheme.name)
        dark = scheme == Qt.ColorScheme.Dark
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
    if app.palette() != before:
        _repolish_style_sheets(app)


def _repolish_style_sheets(app: QApplication) -> None:
    """Give widgets with a style sheet the new palette and font (they keep the ones they
    were polished with: the sidebar's list stayed white in the dark theme)."""
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)


def apply_scale(font_size: int) -> None:
    """Scale the whole interface for the font-size setting ``font_size`` (points).

    Every widget that does not set a size of its own follows the application's
    font: the sidebar, the input, menus, dialogs. The messages are sized by the
    message view itself (``MessageView.set_font_size``).
    """
    global _system_font
    app = _application()
    if app is None:
        return
    if _system_font is None:
        _system_font = QFont(app.font())
    font = QFont(_system_font)
    font.setPointSizeF(max(_system_font.pointSizeF() * font_size / DEFAULT_FONT_SIZE, 4.0))
    if font != app.font():
        app.setFont(font)
        _repolish_style_sheets(app)


def reset_appearance() -> None:
    """Back to the system's colours and font (tests: the next one starts from them)."""
    app = _application()
    if app is None:
        return
    if _system_font is not None and app.font() != _system_font:
        app.setFont(_system_font)
        _repolish_style_sheets(app)
    if QGuiApplication.styleHints().colorScheme() != Qt.ColorScheme.Unknown or is_dark(
        app.palette()
    ):
        apply_theme("system")


def apply_appearance(theme: str, font_size: int) -> None:
    """Use ``theme`` and scale the interface for ``font_size``; from now on, while the
    theme is "system", follow the system's light or dark setting as it changes."""
    global _following
    if not _following and _application() is not None:
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(_on_color_scheme_changed)
        _following = True
    apply_theme(theme)
    apply_scale(font_size)


def _on_color_scheme_changed(scheme: Qt.ColorScheme) -> None:
    log.info("the system's colour scheme is now %s", scheme.name)
    if _theme == "system":
        apply_theme("system", scheme)
