"""The window's language: deskchat.i18n's catalogue for our strings, Qt's for its own.

Our strings (Python and Qt alike) go through :mod:`deskchat.i18n`. Qt's own words
(the standard dialog buttons, a text field's context menu) come from Qt's
``qtbase_<language>.qm``, shipped with PySide6 and bundled by build.spec. QLocale
follows the language too, so numbers and dates the window formats with it match.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from deskchat import i18n

__all__ = ["install"]

log = logging.getLogger("deskchat.gui")

_installed: list[QTranslator] = []


def install(app: QCoreApplication, saved: str = "") -> str:
    """Choose the language (``saved``: the setting, "" for the system's) and use it in
    DeskChat's strings and Qt's; returns its code."""
    code = i18n.setup(saved, desktop=QLocale.system().uiLanguages())
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    QLocale.setDefault(QLocale(code))
    if code == i18n.SOURCE:
        return code
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if translator.load(f"qtbase_{code}", folder):
        app.installTranslator(translator)
        _installed.append(translator)
    else:
        log.warning("Qt's own translation qtbase_%s is missing from %s", code, folder)
    return code
