"""A scroll area's viewport made from Python, so that asking for it at start costs nothing.

WORKAROUND (PySide6 6.11, types made on first use): the first time PySide6 hands
Python a ``QWidget *`` that has no Python object yet, ``viewport()`` of a view for
example, it looks for the pointer's most derived class by visiting every QWidget
subclass of QtWidgets, and makes each class it visits: 68 classes and their enums,
~20 ms of the window's start (issue #9). A viewport made here has its Python
object from the start, so ``viewport()`` returns it without that search.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

__all__ = ["own_viewport"]


def own_viewport(area: QAbstractScrollArea) -> QWidget:
    """Give ``area`` a viewport made from Python, set up as Qt sets up its own; return it.

    Call it first in the area's constructor, before anything reads ``viewport()``.
    """
    viewport = QWidget()
    # What QAbstractScrollArea does to the viewport it makes (setViewport does the rest:
    # the parent, the focus proxy, its event filter, the pan gesture).
    viewport.setObjectName("qt_scrollarea_viewport")
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(True)
    area.setViewport(viewport)
    return viewport
