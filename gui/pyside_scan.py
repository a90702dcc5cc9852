"""PySide6's look at every imported module, without keeping each module's source.

WORKAROUND (PYSIDE-2029, https://bugreports.qt.io/browse/PYSIDE-2029): once PySide6
is imported, shiboken's ``__feature__`` support asks of every module imported after it
whether its source mentions "PySide6" (``shibokensupport.feature._mod_uses_pyside``).
It reads the source with ``inspect.getsource``, which keeps every file's lines in
``linecache`` for good and fills ``inspect``'s tables of modules by file on the way:
7-8 MiB of the idle window's resident memory, ~14 MiB once a reply has loaded the
network and markdown modules (bench/README.md, 2026-12-02). :func:`install` answers
the same question from the module's loader, which reads the file and keeps nothing.
DeskChat uses no ``__feature__``; the answer is the same all the same.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType

# Loads shiboken and its support modules, one of which install() changes.
import PySide6  # noqa: F401

__all__ = ["install", "mentions_pyside"]

log = logging.getLogger("deskchat.gui")


def mentions_pyside(module: ModuleType) -> bool:
    """Whether ``module``'s source holds the word "PySide6"; False when it has no source."""
    spec = getattr(module, "__spec__", None)
    get_source = getattr(getattr(spec, "loader", None), "get_source", None)
    if spec is None or get_source is None:
        return False
    try:
        source = get_source(spec.name)
    except (ImportError, OSError, SyntaxError, UnicodeError):
        return False
    return isinstance(source, str) and "PySide6" in source


def install() -> bool:
    """Have shiboken ask :func:`mentions_pyside` from now on; False if this PySide6 has no
    such check (then nothing changes)."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        log.debug("shiboken has no _mod_uses_pyside: nothing to replace")
        return False
    feature._mod_uses_pyside = mentions_pyside  # type: ignore[attr-defined]
    return True


install()
