"""Paints messages as chat bubbles, with layouts cached per message and width.

Only rows the view asks for are measured or painted. A row's size is keyed by
the message's revision and the available width, so a finished message is laid
out once per width; a streaming one at most once per frame (the model
coalesces its changes). Long text is laid out with :class:`QTextLayout` and
only the lines inside the visible area are drawn.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette, QTextLayout, QTextOption
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from .conversation import ChatMessage
from .message_model import MessageModel

__all__ = ["BubbleDelegate", "footer_text"]

MARGIN_X = 16
MARGIN_Y = 6
PAD_X = 14
PAD_Y = 10
GAP = 6
RADIUS = 14
MAX_SHARE = 0.74
MIN_BUBBLE = 160
_LAYOUT_CACHE = 128

_Index = QModelIndex | QPersistentModelIndex

WAITING = "Waiting for the first reply…"
STOPPED = "Stopped — the reply above is partial."


def footer_text(message: ChatMessage) -> str:
    """The small line under a reply: waiting, stopped, or the error sentence."""
    reply = message.reply
    if reply is None:
        return ""
    if reply.status == "waiting":
        return WAITING
    if reply.status == "stopped":
        return STOPPED
    if reply.status == "error":
        return f"⚠ {reply.error}  Press Retry (Ctrl+R) to try again."
    return ""


@dataclass
class _Measure:
    """One message laid out at one width."""

    revision: tuple[int, str]
    width: int
    layout: QTextLayout | None
    body: QSize
    footer: str
    footer_size: QSize

    @property
    def bubble(self) -> QSize:
        width = max(self.body.width(), self.footer_size.width(), 24) + 2 * PAD_X
        height = self.body.height() + self.footer_size.height() + 2 * PAD_Y
        if self.body.height() and self.footer:
            height += GAP
        return QSize(width, height)

    @property
    def row(self) -> QSize:
        return QSize(self.width, self.bubble.height() + 2 * MARGIN_Y)


class BubbleDelegate(QStyledItemDelegate):
    """Draws user messages right, replies left, using the view's palette.

    Args:
        view: the list view; its viewport width decides how wide bubbles get.

    Attributes:
        painted_rows: every row painted since the last reset (for tests).
    """

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._measures: OrderedDict[int, _Measure] = OrderedDict()
        # Row sizes outlive the layouts (a few numbers per message, for every row).
        self._sizes: dict[int, tuple[tuple[int, str], int, QSize]] = {}
        self._given: dict[int, int] = {}
        self.painted_rows: list[int] = []

    # -- measuring -------------------------------------------------------

    def _font(self) -> QFont:
        return self._view.font()

    def _small_font(self) -> QFont:
        font = QFont(self._view.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.88, 7.0))
        return font

    def _row_width(self) -> int:
        return max(self._view.viewport().width(), MIN_BUBBLE + 2 * MARGIN_X)

    def _text_width(self, row_width: int) -> int:
        bubble = max(MIN_BUBBLE, int((row_width - 2 * MARGIN_X) * MAX_SHARE))
        return bubble - 2 * PAD_X

    def measure(self, message: ChatMessage) -> _Measure:
        """The cached layout of ``message`` at the current width."""
        width = self._row_width()
        cached = self._measures.get(message.id)
        if cached is not None and cached.revision == message.revision and cached.width == width:
            self._measures.move_to_end(message.id)
            return cached
        measure = self._lay_out(message, width)
        self._measures[message.id] = measure
        if len(self._measures) > _LAYOUT_CACHE:
            self._measures.popitem(last=False)
        return measure

    def _lay_out(self, message: ChatMessage, width: int) -> _Measure:
        text_width = self._text_width(width)
        # QTextLayout breaks lines only at U+2028, not at "\n".
        text = message.content.replace("\r\n", "\n").replace("\n", "\u2028")
        layout: QTextLayout | None = None
        body = QSize(0, 0)
        if text:
            layout = QTextLayout(text, self._font())
            option = QTextOption()
            option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
            layout.setTextOption(option)
            layout.setCacheEnabled(True)
            y = 0.0
            natural = 0.0
            layout.beginLayout()
            while True:
                line = layout.createLine()
                if not line.isValid():
                    break
                line.setLineWidth(text_width)
                line.setPosition(QPointF(0, y))
                y += line.height()
                natural = max(natural, line.naturalTextWidth())
            layout.endLayout()
            body = QSize(int(natural) + 1, int(y + 0.999))
        footer = footer_text(message)
        footer_size = QSize(0, 0)
        if footer:
            metrics = QFontMetrics(self._small_font())
            flags = int(Qt.TextFlag.TextWordWrap)
            footer_size = metrics.boundingRect(QRect(0, 0, text_width, 10**6), flags, footer).size()
        return _Measure(message.revision, width, layout, body, footer, footer_size)

    def row_size(self, message: ChatMessage) -> QSize:
        """The row's size at the current width, from the size cache when possible."""
        width = self._row_width()
        cached = self._sizes.get(message.id)
        if cached is not None and cached[0] == message.revision and cached[1] == width:
            return cached[2]
        size = self.measure(message).row
        self._sizes[message.id] = (message.revision, width, size)
        return size

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # noqa: N802
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return super().sizeHint(option, index)
        size = self.row_size(message)
        self._given[message.id] = size.height()
        return size

    def refresh_rows(self, model: MessageModel, rows: list[int]) -> None:
        """Ask the view to lay out again only if one of ``rows`` changed height."""
        for row in rows:
            message = model.message(row)
            height = self.row_size(message).height()
            if self._given.get(message.id) != height:
                self._given[message.id] = height
                self.sizeHintChanged.emit(model.index(row))

    # -- painting --------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            super().paint(painter, option, index)
            return
        self.painted_rows.append(index.row())
        measure = self.measure(message)
        palette = option.palette  # type: ignore[attr-defined]
        rect: QRect = option.rect  # type: ignore[attr-defined]
        mine = message.role == "user"
        size = measure.bubble
        left = rect.right() - MARGIN_X - size.width() if mine else rect.left() + MARGIN_X
        bubble = QRectF(left, rect.top() + MARGIN_Y, size.width(), size.height())
        fill, ink = self._colors(palette, mine, message)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen if mine else palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(fill)
        painter.drawRoundedRect(bubble.adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bubble.adjusted(-1.5, -1.5, 1.5, 1.5), RADIUS, RADIUS)

        origin = QPointF(bubble.left() + PAD_X, bubble.top() + PAD_Y)
        if measure.layout is not None:
            painter.setPen(ink)
            # Draw only the lines inside the viewport (the clip is in painter
            # coordinates, like ``origin``).
            visible = QRectF(self._view.viewport().rect())
            measure.layout.draw(painter, origin, [], visible)
            origin.setY(origin.y() + measure.body.height() + GAP)
        if measure.footer:
            painter.setFont(self._small_font())
            painter.setPen(self._footer_color(palette, mine, message))
            box = QRect(origin.toPoint(), measure.footer_size)
            painter.drawText(box, int(Qt.TextFlag.TextWordWrap), measure.footer)
        painter.restore()

    @staticmethod
    def _colors(palette: QPalette, mine: bool, message: ChatMessage) -> tuple[object, object]:
        role = QPalette.ColorRole
        if mine:
            return palette.color(role.Highlight), palette.color(role.HighlightedText)
        if message.reply is not None and message.reply.status == "error":
            return palette.color(role.AlternateBase), palette.color(role.Text)
        return palette.color(role.Button), palette.color(role.ButtonText)

    @staticmethod
    def _footer_color(palette: QPalette, mine: bool, message: ChatMessage) -> object:
        role = QPalette.ColorRole
        if mine:
            return palette.color(role.HighlightedText)
        if message.reply is not None and message.reply.status == "error":
            return palette.color(role.Text)
        return palette.color(role.PlaceholderText)

    def forget(self) -> None:
        """Drop cached layouts (after a font or palette change)."""
        self._measures.clear()
        self._sizes.clear()
        self._given.clear()
