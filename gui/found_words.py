"""The words a search hit matched, highlighted in the message it opened."""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextLayout,
)

from deskchat.chat.conversation import ChatMessage

from .bubble_parts import Measure

__all__ = ["FoundWords"]

_MOST = 500
"""Highlights at most this many matches in one message."""
# A find highlight readable in light and dark themes alike.
_BACKGROUND = QColor(255, 214, 10)
_INK = QColor(0, 0, 0)


class FoundWords:
    """The words of a search hit (as the message writes them) to mark in that message.

    Args:
        message: the shown message the hit opened.
        words: the matched words, as :attr:`store.SearchHit.terms` gives them.
    """

    def __init__(self, message: ChatMessage, words: tuple[str, ...]) -> None:
        self.message = message
        self.words = words
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        self._python = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)
        self._qt = QRegularExpression(
            rf"(?<![^\W_])(?:{alternatives})(?![^\W_])",
            QRegularExpression.PatternOption.CaseInsensitiveOption
            | QRegularExpression.PatternOption.UseUnicodePropertiesOption,
        )
        self.format = QTextCharFormat()
        self.format.setBackground(_BACKGROUND)
        self.format.setForeground(_INK)
        self._selections: dict[int, list[QAbstractTextDocumentLayout.Selection]] = {}

    def _cursors(self, document: QTextDocument) -> list[QTextCursor]:
        found: list[QTextCursor] = []
        cursor = document.find(self._qt, 0)
        while not cursor.isNull() and len(found) < _MOST:
            found.append(cursor)
            cursor = document.find(self._qt, cursor)
        return found

    def selections(self, document: QTextDocument) -> list[QAbstractTextDocumentLayout.Selection]:
        """The matches in a rendered document, as a paint context's selections (kept)."""
        key = id(document)
        if key not in self._selections:
            selections = []
            for cursor in self._cursors(document):
                selection = QAbstractTextDocumentLayout.Selection()
                selection.cursor = cursor
                selection.format = self.format
                selections.append(selection)
            self._selections[key] = selections
        return self._selections[key]

    def ranges(self, layout: QTextLayout) -> list[QTextLayout.FormatRange]:
        """The matches in a plain text layout, as format ranges to draw it with."""
        ranges = []
        for match in self._python.finditer(layout.text()):
            part = QTextLayout.FormatRange()
            part.start = match.start()
            part.length = match.end() - match.start()
            part.format = self.format
            ranges.append(part)
            if len(ranges) >= _MOST:
                break
        return ranges

    def first_top(self, measure: Measure) -> float | None:
        """How far below the top of the message's text the first match is, or None."""
        for piece in measure.pieces:
            if piece.document is not None:
                cursors = self._cursors(piece.document)
                if cursors:
                    return piece.top + _cursor_top(piece.document, cursors[0])
            if piece.layout is not None:
                match = self._python.search(piece.layout.text())
                if match is not None:
                    line = piece.layout.lineForTextPosition(match.start())
                    if line.isValid():
                        return piece.layout_top + line.y()
        return None


def _cursor_top(document: QTextDocument, cursor: QTextCursor) -> float:
    block = document.findBlock(cursor.selectionStart())
    top = document.documentLayout().blockBoundingRect(block).top()
    layout = block.layout()
    if layout is not None:
        line = layout.lineForTextPosition(cursor.selectionStart() - block.position())
        if line.isValid():
            top += line.y()
    return top
