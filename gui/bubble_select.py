"""Text positions inside a bubble: where a point falls, words and paragraphs, caret moves,
and the plain text between two positions.

A position (:data:`Spot`) is ``(piece, part, offset)``: the piece of the
message's :class:`~gui.bubble_parts.Measure` (one per reply segment), its
rendered document (part 0) or its plain-text layout (part 1), and a
character offset there. Spots compare in reading order, so a selection is
the pair ``(min, max)`` of its anchor and its caret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QTextBlock, QTextCursor, QTextDocument, QTextLayout, QTextLine

from . import markdown
from .bubble_parts import Measure, Piece

__all__ = [
    "Spot",
    "caret_rect",
    "clean",
    "cursor_x",
    "end_spot",
    "move",
    "paragraph_at",
    "spot_at",
    "start_spot",
    "text_between",
    "word_at",
]

Spot = tuple[int, int, int]
"""``(piece, part, offset)``: part 0 is the piece's document, part 1 its plain layout."""

DOCUMENT, PLAIN = 0, 1
_WORD = re.compile(r"\w+|[^\w\s]+|\s+")
_SHOWN_ONLY = str.maketrans({"\u200b": None, "\u2028": "\n", "\u2029": "\n", "\u00a0": " "})


def cursor_x(line: QTextLine, offset: int) -> float:
    """Where the caret before ``offset`` is on ``line`` (PySide may return a pair)."""
    found: object = line.cursorToX(offset)
    if isinstance(found, tuple):
        found = found[0]
    assert isinstance(found, (int, float))
    return float(found)


def clean(text: str) -> str:
    """Shown text as it is copied: no zero-width breaks, line separators as newlines."""
    return text.translate(_SHOWN_ONLY)


def _parts(measure: Measure) -> Iterator[tuple[int, int, Piece]]:
    """Every (piece, part) that shows text, in reading order."""
    for number, piece in enumerate(measure.pieces):
        if piece.document is not None:
            yield number, DOCUMENT, piece
        if piece.layout is not None and piece.kind != "reasoning-header":
            yield number, PLAIN, piece


def _length(piece: Piece, part: int) -> int:
    if part == DOCUMENT:
        assert piece.document is not None
        return max(piece.document.characterCount() - 1, 0)
    assert piece.layout is not None
    return len(piece.layout.text())


def start_spot(measure: Measure) -> Spot:
    for number, part, _piece in _parts(measure):
        return (number, part, 0)
    return (0, PLAIN, 0)


def end_spot(measure: Measure) -> Spot:
    last: Spot = (0, PLAIN, 0)
    for number, part, piece in _parts(measure):
        last = (number, part, _length(piece, part))
    return last


def _document(measure: Measure, piece: Piece) -> QTextDocument:
    document = piece.document
    assert document is not None
    if document.textWidth() != measure.text_width:
        document.setTextWidth(measure.text_width)
    return document


def _line_at(layout: QTextLayout, y: float) -> QTextLine | None:
    """The line of ``layout`` at height ``y`` (the nearest one above or below)."""
    count = layout.lineCount()
    if count == 0:
        return None
    low, high = 0, count - 1
    while low < high:
        middle = (low + high) // 2
        line = layout.lineAt(middle)
        if y < line.y() + line.height():
            high = middle
        else:
            low = middle + 1
    return layout.lineAt(low)


def spot_at(measure: Measure, local: QPointF) -> Spot:
    """The position nearest body point ``local`` (above the text: its start; below: its end)."""
    parts = list(_parts(measure))
    if not parts:
        return (0, PLAIN, 0)
    y = local.y()
    for number, part, piece in parts:
        if part == DOCUMENT:
            assert piece.geometry is not None
            top, bottom = piece.top, piece.top + piece.geometry.height
        else:
            top = piece.layout_top
            bottom = piece.top + piece.height
        if y < top:
            return (number, part, 0)
        if y < bottom:
            return (number, part, _offset_in(measure, piece, part, local))
    number, part, piece = parts[-1]
    return (number, part, _length(piece, part))


def _offset_in(measure: Measure, piece: Piece, part: int, local: QPointF) -> int:
    if part == DOCUMENT:
        document = _document(measure, piece)
        inner = local - QPointF(0, piece.top)
        found = document.documentLayout().hitTest(inner, Qt.HitTestAccuracy.FuzzyHit)
        return max(found, 0)
    assert piece.layout is not None
    line = _line_at(piece.layout, local.y() - piece.layout_top)
    if line is None:
        return 0
    found = line.xToCursor(local.x())
    return found[0] if isinstance(found, tuple) else int(found)


def caret_rect(measure: Measure, spot: Spot) -> QRectF:
    """The line at ``spot``, one pixel wide, in body coordinates."""
    number, part, offset = spot
    if not 0 <= number < len(measure.pieces):
        return QRectF()
    piece = measure.pieces[number]
    if part == DOCUMENT and piece.document is not None:
        document = _document(measure, piece)
        block = document.findBlock(offset)
        if not block.isValid():
            return QRectF(0, piece.top, 1, 1)
        layout = block.layout()
        local = offset - block.position()
        line = layout.lineForTextPosition(local)
        top = document.documentLayout().blockBoundingRect(block).top() + piece.top
        if not line.isValid():
            return QRectF(0, top, 1, 1)
        x = cursor_x(line, local) + layout.position().x()
        return QRectF(x, top + line.y(), 1, line.height())
    if part == PLAIN and piece.layout is not None:
        line = piece.layout.lineForTextPosition(offset)
        if not line.isValid():
            return QRectF(0, piece.layout_top, 1, 1)
        return QRectF(cursor_x(line, offset), piece.layout_top + line.y(), 1, line.height())
    return QRectF(0, piece.top, 1, 1)


# -- the text between two positions ----------------------------------------------


def _is_label(block: QTextBlock) -> bool:
    """Whether ``block`` is a code block's language label (shown, never copied)."""
    index = markdown.code_index(block.userState())
    if index is None:
        return False
    previous = block.previous()
    return not previous.isValid() or previous.userState() != block.userState()


def _document_text(document: QTextDocument, start: int, end: int) -> str:
    lines: list[str] = []
    block = document.findBlock(start)
    while block.isValid() and block.position() <= end:
        first = block.position()
        text = block.text()
        if not block.next().isValid() and markdown.code_index(block.userState()) is None:
            # Qt turns the newline after the HTML's last paragraph into a space.
            text = text.removesuffix(" ")
        begin, stop = max(start - first, 0), min(end - first, len(text))
        if not _is_label(block) and (begin < stop or first >= start):
            line = _with_formulas(document, first + begin, text[begin:stop])
            lines.append("" if line == "\u00a0" else line)
        if first + block.length() > end:
            break
        block = block.next()
    return "\n".join(lines)


def _with_formulas(document: QTextDocument, position: int, text: str) -> str:
    """``text`` (from ``position`` of ``document``) with each formula's image as its TeX."""
    if "\ufffc" not in text:
        return text
    formulas = getattr(document, "formulas", ())
    cursor = QTextCursor(document)
    out = []
    for offset, char in enumerate(text):
        if char == "\ufffc":
            cursor.setPosition(position + offset + 1)
            name = cursor.charFormat().toImageFormat().name()
            scheme, _colon, number = name.partition(":")
            if scheme == markdown.MATH_SCHEME and number.isdigit() and int(number) < len(formulas):
                formula = formulas[int(number)]
                char = f"$${formula.source}$$" if formula.display else f"${formula.source}$"
        out.append(char)
    return "".join(out)


def text_between(measure: Measure, first: Spot, last: Spot) -> str:
    """The plain text shown from ``first`` to ``last`` (in either order)."""
    first, last = min(first, last), max(first, last)
    chunks: list[str] = []
    for number, part, piece in _parts(measure):
        here = (number, part)
        if here < first[:2] or here > last[:2]:
            continue
        start = first[2] if here == first[:2] else 0
        end = last[2] if here == last[:2] else _length(piece, part)
        if part == DOCUMENT:
            assert piece.document is not None
            chunks.append(_document_text(piece.document, start, end))
        else:
            assert piece.layout is not None
            chunks.append(piece.layout.text()[start:end])
    return clean("\n".join(chunks))


# -- words, paragraphs and caret moves -------------------------------------------


def _plain_text(measure: Measure, spot: Spot) -> tuple[str, int]:
    """The text of the paragraph at ``spot`` and where it starts within its part."""
    number, part, offset = spot
    piece = measure.pieces[number]
    if part == DOCUMENT:
        assert piece.document is not None
        block = piece.document.findBlock(offset)
        return block.text(), block.position()
    assert piece.layout is not None
    text = piece.layout.text()
    start = text.rfind("\u2028", 0, offset) + 1
    stop = text.find("\u2028", offset)
    return text[start : len(text) if stop < 0 else stop], start


def word_at(measure: Measure, spot: Spot) -> tuple[Spot, Spot]:
    """The word (or run of punctuation or spaces) at ``spot``."""
    if not measure.pieces:
        return spot, spot
    text, base = _plain_text(measure, spot)
    offset = spot[2] - base
    for match in _WORD.finditer(text):
        if match.start() <= offset < match.end() or match.end() == offset == len(text):
            return (spot[0], spot[1], base + match.start()), (spot[0], spot[1], base + match.end())
    return spot, spot


def paragraph_at(measure: Measure, spot: Spot) -> tuple[Spot, Spot]:
    """The paragraph (a document block, or a plain line) at ``spot``."""
    if not measure.pieces:
        return spot, spot
    text, base = _plain_text(measure, spot)
    return (spot[0], spot[1], base), (spot[0], spot[1], base + len(text))


_MOVES = {
    "left": QTextCursor.MoveOperation.PreviousCharacter,
    "right": QTextCursor.MoveOperation.NextCharacter,
    "word_left": QTextCursor.MoveOperation.PreviousWord,
    "word_right": QTextCursor.MoveOperation.NextWord,
    "up": QTextCursor.MoveOperation.Up,
    "down": QTextCursor.MoveOperation.Down,
    "line_start": QTextCursor.MoveOperation.StartOfLine,
    "line_end": QTextCursor.MoveOperation.EndOfLine,
}


def move(measure: Measure, spot: Spot, how: str) -> Spot:
    """``spot`` moved by one ``how`` ("left", "right", "word_left", "word_right", "up",
    "down", "line_start", "line_end", "start", "end"), crossing pieces."""
    if how == "start":
        return start_spot(measure)
    if how == "end":
        return end_spot(measure)
    parts = list(_parts(measure))
    place = next((i for i, (n, p, _x) in enumerate(parts) if (n, p) == spot[:2]), None)
    if place is None:
        return start_spot(measure)
    number, part, piece = parts[place]
    forward = how in ("right", "word_right", "down", "line_end")
    moved = _move_inside(measure, piece, part, spot[2], how)
    if moved is not None:
        return (number, part, moved)
    if forward and place + 1 < len(parts):
        after, after_part, _piece = parts[place + 1]
        return (after, after_part, 0)
    if not forward and place > 0:
        before, before_part, before_piece = parts[place - 1]
        return (before, before_part, _length(before_piece, before_part))
    return (number, part, _length(piece, part) if forward else 0)


def _move_inside(measure: Measure, piece: Piece, part: int, offset: int, how: str) -> int | None:
    """The offset after the move inside one part, or None when it would leave the part."""
    length = _length(piece, part)
    if part == DOCUMENT:
        cursor = QTextCursor(_document(measure, piece))
        cursor.setPosition(min(offset, length))
        if not cursor.movePosition(_MOVES[how]):
            return None
        return min(cursor.position(), length)
    assert piece.layout is not None
    layout = piece.layout
    if how in ("left", "right", "word_left", "word_right"):
        step = 1 if how.endswith("right") else -1
        mode = (
            QTextLayout.CursorMode.SkipWords
            if how.startswith("word")
            else QTextLayout.CursorMode.SkipCharacters
        )
        if (step > 0 and offset >= length) or (step < 0 and offset <= 0):
            return None
        if step > 0:
            return layout.nextCursorPosition(offset, mode)
        return layout.previousCursorPosition(offset, mode)
    line = layout.lineForTextPosition(offset)
    if not line.isValid():
        return None
    if how == "line_start":
        return line.textStart()
    if how == "line_end":
        return line.textStart() + line.textLength()
    target = line.lineNumber() + (1 if how == "down" else -1)
    if not 0 <= target < layout.lineCount():
        return None
    found = layout.lineAt(target).xToCursor(cursor_x(line, offset))
    return found[0] if isinstance(found, tuple) else int(found)
