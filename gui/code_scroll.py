"""Code blocks wider than their bubble: each scrolls sideways on its own.

Code lines never wrap (:func:`gui.markdown.render` writes them ``white-space: pre``);
a block keeps an offset, moved by Shift+wheel, a sideways wheel, or the arrow keys on
its Copy button (:mod:`gui.message_reading`), and the delegate paints it moved by that.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView

from deskchat.chat.conversation import ChatMessage

from . import markdown
from .bubble_parts import Measure, Piece

__all__ = ["CODE_RADIUS", "CodeScroll", "sideways_steps"]

CODE_RADIUS = 8


def sideways_steps(event: QWheelEvent) -> float:
    """How many notches ``event`` turns sideways: a sideways wheel, or Shift+wheel."""
    delta = event.angleDelta()
    if delta.x():
        return delta.x() / 120
    if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
        return delta.y() / 120
    return 0.0


class CodeScroll:
    """Every code block's sideways offset, by message and block.

    Args:
        view: repainted when an offset changes.

    Attributes:
        offsets: pixels each (message id, code block) is scrolled by.
    """

    def __init__(self, view: QAbstractItemView) -> None:
        self._view = view
        self.offsets: dict[tuple[int, int], float] = {}

    def offset(self, message: ChatMessage, block: int) -> float:
        """How far code block ``block`` of ``message`` is scrolled sideways, in pixels."""
        return self.offsets.get((message.id, block), 0.0)

    @staticmethod
    def room(piece: Piece, number: int) -> float:
        """How far code block ``number`` of ``piece`` can scroll sideways (0: it fits)."""
        geometry = piece.geometry
        if geometry is None or number >= len(geometry.code_widths):
            return 0.0
        return max(0.0, geometry.code_widths[number] - geometry.code[number][0].width())

    def scroll(self, message: ChatMessage, piece: Piece, number: int, delta: float) -> bool:
        """Scroll code block ``number`` of ``piece`` by ``delta`` pixels; False if it
        cannot move that way."""
        block = piece.code_base + number
        before = self.offset(message, block)
        after = min(max(before + delta, 0.0), self.room(piece, number))
        if after == before:
            return False
        self.offsets[(message.id, block)] = after
        self._view.viewport().update()
        return True

    @staticmethod
    def block_at(measure: Measure, local: QPointF) -> tuple[Piece, int] | None:
        """The piece and code block (its number in the piece) at body point ``local``."""
        piece = measure.piece_at(local.y())
        if piece is None or piece.geometry is None:
            return None
        inner = local - QPointF(0, piece.top)
        for number, (background, _button) in enumerate(piece.geometry.code):
            if background.contains(inner):
                return piece, number
        return None

    def paint_bar(
        self,
        painter: QPainter,
        piece: Piece,
        number: int,
        background: QRectF,
        look: markdown.Theme,
        shift: float,
    ) -> None:
        """A thin bar under a code block wider than the bubble: how much of it is shown."""
        room = self.room(piece, number)
        if room <= 0:
            return
        track = background.adjusted(CODE_RADIUS, 0, -CODE_RADIUS, 0)
        share = track.width() / (track.width() + room)
        bar = QRectF(
            track.left() + (track.width() - track.width() * share) * (shift / room),
            background.bottom() - 5,
            track.width() * share,
            3,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(look.muted))
        painter.drawRoundedRect(bar, 1.5, 1.5)
