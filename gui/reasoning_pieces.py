"""A reply's reasoning as the first pieces of its bubble: a header that shows or hides it,
and, when shown, its text (plain, in the footer's colour)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFont, QTextLayout

from deskchat.chat.conversation import ChatMessage
from deskchat.i18n import _, ngettext, number

from .bubble_parts import Piece

__all__ = ["GAP", "ReasoningPieces"]

GAP = 6.0
"""Pixels between the reasoning's header, its text and the reply."""

PlainLayout = Callable[[str, int, QFont | None], tuple[QTextLayout, float, float]]


class ReasoningPieces:
    """Every shown reply's reasoning pieces, kept while its length, width and state stay.

    Args:
        lay_out: lays out plain text at a width (in a font, or the view's).
        small_font: the font of the header line.

    Attributes:
        expanded: the ids of the messages whose reasoning is shown.
        laid_out: characters laid out by the last :meth:`pieces` call.
    """

    def __init__(self, lay_out: PlainLayout, small_font: Callable[[], QFont]) -> None:
        self._lay_out = lay_out
        self._small_font = small_font
        self.expanded: set[int] = set()
        self._kept: dict[int, tuple[tuple[int, int, bool], list[Piece]]] = {}
        self.laid_out = 0

    def forget(self) -> None:
        self._kept.clear()

    @staticmethod
    def text_of(message: ChatMessage) -> str:
        return message.reply.reasoning if message.reply is not None else ""

    def revision(self, message: ChatMessage) -> tuple[object, ...]:
        """What the pieces depend on: the reasoning's length and whether it is shown."""
        reasoning = self.text_of(message)
        return (len(reasoning), message.id in self.expanded) if reasoning else ()

    def toggle(self, message: ChatMessage) -> None:
        self.expanded ^= {message.id}

    def pieces(self, message: ChatMessage, text_width: int) -> list[Piece]:
        """The header line (and the text, when shown); empty without reasoning."""
        self.laid_out = 0
        reasoning = self.text_of(message)
        if not reasoning:
            return []
        shown = message.id in self.expanded
        key = (len(reasoning), text_width, shown)
        kept = self._kept.get(message.id)
        if kept is not None and kept[0] == key:
            return kept[1]
        if shown:
            title = _("▾ Reasoning")
        else:
            count = ngettext("{n} character", "{n} characters", len(reasoning))
            title = _("▸ Reasoning · {count}").format(count=count.format(n=number(len(reasoning))))
        layout, natural, height = self._lay_out(title, text_width, self._small_font())
        pieces = [Piece(0.0, height, layout=layout, kind="reasoning-header", natural=natural)]
        if shown:
            layout, natural, inner = self._lay_out(reasoning, text_width, None)
            self.laid_out = len(reasoning)
            top = height + GAP
            pieces.append(
                Piece(top, inner, layout=layout, layout_top=top, kind="reasoning", natural=natural)
            )
            height = top + inner
        for piece in pieces:
            piece.after = (height + GAP, 0.0, max(p.natural for p in pieces), 0)
        self._kept[message.id] = (key, pieces)
        return pieces
