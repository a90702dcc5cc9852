"""What is where in a row: links, Copy buttons and version arrows, in viewport pixels."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractItemView

from deskchat.chat.conversation import ChatMessage
from deskchat.i18n import _

from . import markdown
from .bubble_layouts import BubbleLayouts
from .bubble_parts import Hit, Index, Measure, body_origin, nav_rects
from .bubble_select import cursor_x
from .message_model import FooterRole, MessageModel

__all__ = ["BubbleHits"]


class BubbleHits:
    """Finds what a point of a row is over, from the rows' measures.

    Args:
        view: the list view whose rows are tested.
        layouts: the measures of those rows.

    Attributes:
        versions_enabled: whether the version arrows react (not while a reply streams).
    """

    def __init__(self, view: QAbstractItemView, layouts: BubbleLayouts) -> None:
        self._view = view
        self._layouts = layouts
        self.versions_enabled = True

    def can_step(self, measure: Measure, step: int) -> bool:
        """Whether the arrow ``step`` (-1 or +1) of ``measure``'s version line can be used."""
        if measure.nav is None or not self.versions_enabled:
            return False
        version, versions = measure.nav
        return 1 <= version + step <= versions

    def origin(
        self, rect: QRect, message: ChatMessage, footer: str | None = None
    ) -> tuple[Measure, QPointF]:
        """The message's measure and where its body's (0, 0) is, for a row at ``rect``."""
        measure = self._layouts.measure(message, footer)
        return measure, body_origin(rect, measure, message.role == "user")

    def body_origin(self, index: Index) -> QPointF:
        """Where row ``index``'s text area begins, in viewport pixels."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return QPointF()
        return self.origin(self._view.visualRect(index), message)[1]

    def copy_button_rect(self, index: Index, block: int) -> QRect:
        """Where code block ``block``'s Copy button of row ``index`` is, in viewport pixels."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return QRect()
        measure, origin = self.origin(self._view.visualRect(index), message)
        for piece in measure.pieces:
            if piece.geometry is not None and 0 <= block - piece.code_base < len(
                piece.geometry.code
            ):
                button = piece.geometry.code[block - piece.code_base][1]
                return button.translated(origin + QPointF(0, piece.top)).toAlignedRect()
        return QRect()

    def version_arrow_rect(self, index: Index, step: int) -> QRect:
        """Where row ``index``'s previous (-1) or next (+1) arrow is; empty without versions."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return QRect()
        measure = self._layouts.measure(message, str(index.data(FooterRole) or ""))
        if measure.nav is None:
            return QRect()
        rects = nav_rects(self._view.visualRect(index), measure, message.role == "user")
        return (rects[0] if step < 0 else rects[2]).toAlignedRect()

    @staticmethod
    def targets(measure: Measure) -> list[tuple[Hit, QRectF]]:
        """Every link, Copy button and reasoning header of ``measure``, in reading order,
        with its rect in body coordinates (what Tab walks through)."""
        found: list[tuple[float, float, Hit, QRectF]] = []
        for piece in measure.pieces:
            if piece.kind == "reasoning-header":
                rect = QRectF(0, piece.top, piece.natural, piece.height)
                hit = Hit("reasoning", _("Show or hide the reasoning"))
                found.append((rect.top(), rect.left(), hit, rect))
            document = piece.document
            if document is None or piece.geometry is None:
                continue
            if document.textWidth() != measure.text_width:
                document.setTextWidth(measure.text_width)
            shift = QPointF(0, piece.top)
            for number, (_background, button) in enumerate(piece.geometry.code):
                if number < len(piece.code_blocks):
                    hit = Hit("copy", piece.code_blocks[number].code, piece.code_base + number)
                    rect = button.translated(shift)
                    found.append((rect.top(), rect.left(), hit, rect))
            for href, rect in _links(document):
                if markdown.is_safe_link(href):
                    rect = rect.translated(shift)
                    found.append((rect.top(), rect.left(), Hit("link", href), rect))
        found.sort(key=lambda item: (item[0], item[1]))
        return [(hit, rect) for _top, _left, hit, rect in found]

    def hit_test(self, index: Index, position: QPoint, rect: QRect | None = None) -> Hit | None:
        """The link, Copy button or usable version arrow at viewport ``position`` in row
        ``index``, if any."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return None
        rect = self._view.visualRect(index) if rect is None else rect
        measure, origin = self.origin(rect, message, str(index.data(FooterRole) or ""))
        if measure.nav is not None:
            previous, _label, following = nav_rects(rect, measure, message.role == "user")
            for step, arrow, name in (
                (-1, previous, _("Previous version")),
                (1, following, _("Next version")),
            ):
                # A dimmed arrow (first or last version, or a reply streaming) is no button.
                if arrow.contains(QPointF(position)) and self.can_step(measure, step):
                    return Hit("version", name, step=step)
        local = QPointF(position) - origin
        piece = measure.piece_at(local.y())
        if piece is not None and piece.kind == "reasoning-header":
            if 0 <= local.x() <= piece.natural:
                return Hit("reasoning", _("Show or hide the reasoning"))
            return None
        if piece is None or piece.document is None or piece.geometry is None:
            return None
        inner = local - QPointF(0, piece.top)
        for number, (_background, button) in enumerate(piece.geometry.code):
            if button.contains(inner) and number < len(piece.code_blocks):
                return Hit("copy", piece.code_blocks[number].code, piece.code_base + number)
        document = piece.document
        if document.textWidth() != measure.text_width:
            document.setTextWidth(measure.text_width)
        if not QRectF(QPointF(0, 0), document.size()).contains(inner):
            return None
        href = document.documentLayout().anchorAt(inner)
        # The HTML has only safe links; checking again costs nothing.
        if href and markdown.is_safe_link(href):
            return Hit("link", href)
        return None


def _links(document: QTextDocument) -> list[tuple[str, QRectF]]:
    """Each link of ``document`` and the rect of its first line, in document coordinates."""
    out: list[tuple[str, QRectF]] = []
    layout = document.documentLayout()
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        top = None
        while not fragments.atEnd():
            fragment = fragments.fragment()
            href = fragment.charFormat().anchorHref() if fragment.isValid() else ""
            if href:
                if top is None:
                    top = layout.blockBoundingRect(block).top()
                start = fragment.position() - block.position()
                line = block.layout().lineForTextPosition(start)
                if line.isValid():
                    end = min(start + fragment.length(), line.textStart() + line.textLength())
                    left = cursor_x(line, start)
                    right = cursor_x(line, end)
                    x = block.layout().position().x()
                    rect = QRectF(x + left, top + line.y(), right - left, line.height())
                    out.append((href, rect))
            fragments += 1
        block = block.next()
    return out
