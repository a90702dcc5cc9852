"""Marks painted over a bubble's text: the selected text, and the frame of the link or
Copy button the keyboard is on.

A selection is ``(message id, first, last)`` with spots of :mod:`gui.bubble_select`.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QPainter,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextLayout,
)

from deskchat.chat.conversation import ChatMessage

from .bubble_select import Spot

__all__ = [
    "Selection",
    "chosen_ranges",
    "chosen_selections",
    "paint_focus_target",
    "selection_format",
]

Selection = tuple[int, Spot, Spot]


def _selected(
    selection: Selection | None, message: ChatMessage, piece: int, part: int, length: int
) -> tuple[int, int] | None:
    """The selected offsets inside one part of one piece of ``message``, if any."""
    if selection is None or selection[0] != message.id:
        return None
    _id, first, last = selection
    here = (piece, part)
    if first == last or here < first[:2] or here > last[:2]:
        return None
    start = first[2] if here == first[:2] else 0
    end = last[2] if here == last[:2] else length
    return (start, end) if start < end else None


def chosen_ranges(
    selection: Selection | None,
    palette: QPalette,
    mine: bool,
    message: ChatMessage,
    number: int,
    layout: QTextLayout,
) -> list[QTextLayout.FormatRange]:
    """The selected part of piece ``number``'s plain layout, as format ranges."""
    span = _selected(selection, message, number, 1, len(layout.text()))
    if span is None:
        return []
    chosen = QTextLayout.FormatRange()
    chosen.start, chosen.length = span[0], span[1] - span[0]
    chosen.format = selection_format(palette, mine)
    return [chosen]


def chosen_selections(
    selection: Selection | None,
    palette: QPalette,
    message: ChatMessage,
    number: int,
    document: QTextDocument,
) -> list[QAbstractTextDocumentLayout.Selection]:
    """The selected part of piece ``number``'s document, as a paint context's selections."""
    last = document.characterCount() - 1
    span = _selected(selection, message, number, 0, last)
    if span is None:
        return []
    cursor = QTextCursor(document)
    cursor.setPosition(min(span[0], last))
    cursor.setPosition(min(span[1], last), QTextCursor.MoveMode.KeepAnchor)
    chosen = QAbstractTextDocumentLayout.Selection()
    chosen.cursor = cursor
    chosen.format = selection_format(palette, message.role == "user")
    return [chosen]


def selection_format(palette: QPalette, mine: bool) -> QTextCharFormat:
    """Selected text in the palette's highlight; inverted inside the user's own bubble,
    which is filled with it."""
    role = QPalette.ColorRole
    chosen = QTextCharFormat()
    if mine:
        chosen.setBackground(palette.color(role.Base))
        chosen.setForeground(palette.color(role.Text))
    else:
        chosen.setBackground(palette.color(role.Highlight))
        chosen.setForeground(palette.color(role.HighlightedText))
    return chosen


def paint_focus_target(
    painter: QPainter,
    palette: QPalette,
    target: tuple[int, QRectF] | None,
    message: ChatMessage,
    origin: QPointF,
) -> None:
    """A frame around the link, Copy button or header the keyboard is on in ``message``."""
    if target is None or target[0] != message.id:
        return
    pen = QPen(palette.color(QPalette.ColorRole.Highlight))
    pen.setWidthF(2.0)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    frame = target[1].translated(origin).adjusted(-2, -1, 2, 1)
    painter.drawRoundedRect(frame, 3, 3)
