"""Paints messages as chat bubbles, with layouts cached per message and width.

Only rows the view asks for are measured or painted. A row's size is keyed by
the message's revision and the available width, so a finished message is laid
out once per width; a streaming one at most once per frame (the model
coalesces its changes). Only the lines inside the visible area are drawn.

Replies are markdown (:mod:`gui.markdown`) shown in inert documents (:class:`InertDocument`),
which never load a resource. A reply is split into segments
(:class:`~gui.markdown.Segmenter`, 8-12 KB each), one document per segment: a
closed segment is rendered once and its height, width and code blocks are
cached per width; only the last, open segment is parsed again while the reply
streams, when a :class:`~gui.markdown.RenderThrottle` allows, and drawn as its
rendered prefix with the newer tail as plain text below it, so new text still
shows every frame. A frame's work is bounded by the segment size, not the
reply's: one layout renders at most :data:`RENDER_BUDGET` characters, and a
zero-delay timer renders what is left (shown as plain text meanwhile), one
budget per event-loop turn. Code block numbers run across segments. Clicking
a link asks before opening it; each code block has a Copy button. User
messages are plain text, laid out once per revision and width.

The line under a bubble is the model's ``FooterRole`` (:mod:`gui.footer`), and a
message with several versions gets ``‹ 2/3 ›`` under its bubble: clicking an
arrow emits :attr:`BubbleDelegate.version_step_requested`.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QTextCursor,
    QTextDocument,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMessageBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from deskchat.chat.conversation import ChatMessage, Revision
from deskchat.chat.footer import STOPPED, WAITING
from deskchat.chat.footer import footer as footer_text

from . import markdown
from .message_model import FooterRole, MessageModel

__all__ = [
    "STOPPED",
    "WAITING",
    "BubbleDelegate",
    "Hit",
    "InertDocument",
    "footer_text",
    "open_url",
]

log = logging.getLogger("deskchat.gui")

MARGIN_X = 16
MARGIN_Y = 6
PAD_X = 14
PAD_Y = 10
GAP = 6
RADIUS = 14
CODE_RADIUS = 8
CODE_PAD_TOP = 6
CODE_PAD_BOTTOM = 8
MAX_SHARE = 0.74
MIN_BUBBLE = 160
NAV_GAP = 2
"""Pixels between a bubble and its ``‹ 2/3 ›`` line."""
_LAYOUT_CACHE = 128
RENDER_BUDGET = 12_000
"""Characters of markdown one layout renders at most (beyond its first segment)."""

_Index = QModelIndex | QPersistentModelIndex

COPY = "Copy"
COPIED = "Copied"
COPIED_MS = 1500
"""How long a Copy button says "Copied"."""


def open_url(url: str) -> None:
    """Open ``url`` in the user's browser or mail program."""
    if not QDesktopServices.openUrl(QUrl(url)):
        log.warning("the system could not open %s", url)


class InertDocument(QTextDocument):
    """A QTextDocument that never loads a resource: no image, file or style sheet.

    Markdown rendering already leaves no image in the HTML; this is the second
    wall, so even HTML that slipped through cannot make the app fetch anything.
    """

    def loadResource(self, _kind: int, name: QUrl | str) -> object:  # noqa: N802
        log.debug("refused to load resource %s", QUrl(name).toString())
        return None


@dataclass(frozen=True)
class Hit:
    """What is under a point of a row: a link, a Copy button or a version arrow.

    Attributes:
        kind: "link", "copy" or "version".
        value: the link's address, the code to copy, or the arrow's tooltip.
        block: for "copy", the code block's index in the message.
        step: for "version", -1 (previous) or +1 (next).
    """

    kind: Literal["link", "copy", "version"]
    value: str
    block: int = -1
    step: int = 0


@dataclass
class _Geometry:
    """A segment's document laid out at one text width."""

    height: float
    width: float
    code: list[tuple[QRectF, QRectF]]
    """Per code block: its background and its Copy button, in the document's coordinates."""


@dataclass
class _Segment:
    """One segment of a reply (see :class:`gui.markdown.Segmenter`).

    A closed segment (``end`` set) is rendered once and never again; the open
    one, last, is rendered again on its throttle while the reply grows.
    """

    start: int
    end: int | None = None
    rendered: markdown.Rendered | None = None
    rendered_length: int = 0
    document: InertDocument | None = None
    final: bool = False
    margins: tuple[float, float] = (0.0, 0.0)
    """The document's first block's top margin (-1: it starts with a table, which
    keeps its own) and last block's bottom margin."""
    geometry: dict[int, _Geometry] = field(default_factory=dict)
    plain: dict[int, tuple[QTextLayout, float, float]] = field(default_factory=dict)
    """A closed segment not rendered yet, as plain text, per text width."""


@dataclass
class _Markdown:
    """A reply's segments and their renders, kept across revisions while it streams."""

    dark: bool
    segmenter: markdown.Segmenter
    segments: list[_Segment]
    throttle: markdown.RenderThrottle
    rendered: int = 0
    """How many closed segments are rendered (always the first ones)."""
    code_count: int = 0
    """How many code blocks those segments hold."""
    check: tuple[int, str] = (0, "")
    """The text's last characters when it was last seen: a changed text starts over."""

    def behind(self, finished: bool) -> bool:
        """Whether segments wait for a render that no new text will trigger."""
        closed = len(self.segments) - 1
        return self.rendered < closed or (finished and not self.segments[-1].final)


@dataclass
class _Piece:
    """What one segment shows, placed in body coordinates.

    The segment's document (if rendered) is at ``top``; its not-yet-rendered
    rest, as plain text, at ``layout_top``.
    """

    top: float
    height: float
    document: InertDocument | None = None
    geometry: _Geometry | None = None
    code_base: int = 0
    """The global index of this segment's first code block."""
    code_blocks: tuple[markdown.CodeBlock, ...] = ()
    layout: QTextLayout | None = None
    layout_top: float = 0.0


@dataclass
class _Measure:
    """One message laid out at one width.

    Body coordinates: (0, 0) is the top-left of the bubble's text area. A
    reply is a column of pieces, one per segment; a user message is one
    piece with a plain layout.
    """

    revision: Revision
    width: int
    dark: bool
    text_width: int
    body: QSize
    footer: str
    footer_size: QSize
    pieces: list[_Piece] = field(default_factory=list)
    nav: tuple[int, int] | None = None
    """``(version, versions)`` when the message has several versions, else None."""
    nav_button: QSize = field(default_factory=QSize)
    """The size of one version arrow."""
    nav_label: QSize = field(default_factory=QSize)
    """The size of the ``2/3`` between the arrows."""
    rendered_length: int = 0
    """How much of the text the documents show; plain layouts show the rest."""

    @property
    def document(self) -> InertDocument | None:
        """The first segment's document (the whole reply's, when it is short)."""
        return self.pieces[0].document if self.pieces else None

    @property
    def documents(self) -> list[InertDocument]:
        return [piece.document for piece in self.pieces if piece.document is not None]

    @property
    def layout(self) -> QTextLayout | None:
        """The last plain layout: a user's text, or a streaming reply's newest tail."""
        return self.pieces[-1].layout if self.pieces else None

    @property
    def code(self) -> list[tuple[QRectF, QRectF]]:
        """Every code block's background and Copy button, in body coordinates."""
        out: list[tuple[QRectF, QRectF]] = []
        for piece in self.pieces:
            if piece.geometry is not None:
                shift = QPointF(0, piece.top)
                out.extend(
                    (a.translated(shift), b.translated(shift)) for a, b in piece.geometry.code
                )
        return out

    @property
    def code_blocks(self) -> tuple[markdown.CodeBlock, ...]:
        return tuple(block for piece in self.pieces for block in piece.code_blocks)

    def piece_at(self, y: float) -> _Piece | None:
        """The piece covering body height ``y``, if any."""
        for piece in self.pieces:
            if piece.top <= y < piece.top + piece.height:
                return piece
        return None

    @property
    def bubble(self) -> QSize:
        width = max(self.body.width(), self.footer_size.width(), 24) + 2 * PAD_X
        height = self.body.height() + self.footer_size.height() + 2 * PAD_Y
        if self.body.height() and self.footer:
            height += GAP
        return QSize(width, height)

    @property
    def nav_height(self) -> int:
        """The height the ``‹ 2/3 ›`` line adds below the bubble (0 without versions)."""
        return self.nav_button.height() + NAV_GAP if self.nav is not None else 0

    @property
    def row(self) -> QSize:
        return QSize(self.width, self.bubble.height() + self.nav_height + 2 * MARGIN_Y)


class BubbleDelegate(QStyledItemDelegate):
    """Draws user messages right, replies left, using the view's palette.

    Args:
        view: the list view; its viewport width decides how wide bubbles get.

    Signals:
        version_step_requested(int, int): a version arrow was clicked: the row,
            and -1 (previous) or +1 (next).

    Attributes:
        painted_rows: every row painted since the last reset (for tests).
        open_url: called with an address once the user confirmed opening it
            (replaceable, for tests).
        clock: seconds, monotonic; paces markdown renders of streaming replies.
        confirm_box: the open "Open this link?" question, if any.
        full_renders: how many times markdown was rendered (for tests).
        rendered_chars: the characters of all those renders (for tests).
        last_layout_chars, max_layout_chars: characters rendered or laid out
            as plain text by the last layout, and by the largest (for tests).
    """

    version_step_requested = Signal(int, int)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._measures: OrderedDict[int, _Measure] = OrderedDict()
        self._markdown: OrderedDict[int, _Markdown] = OrderedDict()
        # Row sizes outlive the layouts (a few numbers per message, for every row).
        self._sizes: dict[int, tuple[Revision, int, str, QSize]] = {}
        self._versions_enabled = True
        self._given: dict[int, int] = {}
        self._copied: tuple[int, int] | None = None
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(COPIED_MS)
        self._copied_timer.timeout.connect(self._on_copied_timer_timeout)
        self.painted_rows: list[int] = []
        self.open_url: Callable[[str], object] = open_url
        self.clock: Callable[[], float] = time.monotonic
        self.confirm_box: QMessageBox | None = None
        self.full_renders = 0
        self.rendered_chars = 0
        self.last_layout_chars = 0
        self.max_layout_chars = 0
        # Replies whose segments wait for a render: one budget per event-loop turn.
        self._behind: dict[int, ChatMessage] = {}
        # Rows whose size changed without a new revision: the view must hear of it.
        self._resized: dict[int, ChatMessage] = {}
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.setInterval(0)
        self._catch_up.timeout.connect(self._on_catch_up_timeout)
        # Mouse moves without a button pressed reach the filter only with tracking on.
        self._viewport = view.viewport()
        self._viewport.setMouseTracking(True)
        self._viewport.installEventFilter(self)

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

    def _dark(self) -> bool:
        """Whether reply bubbles are dark (light text on a dark fill)."""
        palette = self._view.palette()
        role = QPalette.ColorRole
        return palette.color(role.ButtonText).lightness() > palette.color(role.Button).lightness()

    def _footer_of(self, message: ChatMessage) -> str:
        """The model's ``FooterRole`` for ``message`` ("" when the view does not show it)."""
        model = self._view.model()
        if not isinstance(model, MessageModel):
            return ""
        row = model.row_of(message)
        return "" if row is None else str(model.index(row).data(FooterRole) or "")

    def measure(self, message: ChatMessage, footer: str | None = None) -> _Measure:
        """The cached layout of ``message`` at the current width.

        Args:
            footer: the line under the bubble, as the model's ``FooterRole``
                gives it; None asks the view's model (slower: it finds the row).
        """
        if footer is None:
            footer = self._footer_of(message)
        width = self._row_width()
        dark = self._dark()
        cached = self._measures.get(message.id)
        if (
            cached is not None
            and cached.revision == message.revision
            and cached.width == width
            and cached.dark == dark
            and cached.footer == footer
        ):
            self._measures.move_to_end(message.id)
            return cached
        measure = self._lay_out(message, width, dark, footer)
        sized = self._sizes.get(message.id)
        if (
            sized is not None
            and sized[:3] == (message.revision, width, footer)
            and sized[3] != measure.row
        ):
            # More segments got rendered since the view was told this row's size.
            self._resized[message.id] = message
            self._catch_up.start()
        self._measures[message.id] = measure
        if len(self._measures) > _LAYOUT_CACHE:
            self._measures.popitem(last=False)
        return measure

    def _lay_out(self, message: ChatMessage, width: int, dark: bool, footer: str) -> _Measure:
        text_width = self._text_width(width)
        text = message.content
        measure = _Measure(
            message.revision,
            width,
            dark,
            text_width,
            QSize(0, 0),
            footer,
            QSize(0, 0),
        )
        self.last_layout_chars = 0
        body_width = 0.0
        top = 0.0
        if message.role == "user":
            if text:
                layout, natural, height = self._plain_layout(text, text_width)
                self.last_layout_chars += len(text)
                measure.pieces.append(_Piece(0.0, height, layout=layout))
                body_width, top = natural, height
        elif text:
            state = self._segments(message, text, dark)
            code_base = 0
            bottom = 0.0
            for segment in state.segments:
                rendered = segment.document is not None
                first_margin = segment.margins[0] if rendered else 0.0
                if measure.pieces and first_margin >= 0:
                    # Qt collapses the margins between two blocks of one document;
                    # between two documents the gap is added here.
                    top += max(bottom, first_margin)
                piece, natural = self._piece(text, segment, top, text_width, code_base)
                bottom = segment.margins[1] if rendered and piece.layout is None else 0.0
                measure.pieces.append(piece)
                measure.rendered_length += segment.rendered_length if piece.document else 0
                code_base += len(piece.code_blocks)
                body_width = max(body_width, natural)
                top += piece.height
        self.max_layout_chars = max(self.max_layout_chars, self.last_layout_chars)
        measure.body = QSize(int(body_width + 0.999), int(top + 0.999))
        if measure.footer:
            metrics = QFontMetrics(self._small_font())
            flags = int(Qt.TextFlag.TextWordWrap)
            box = QRect(0, 0, text_width, 10**6)
            measure.footer_size = metrics.boundingRect(box, flags, measure.footer).size()
        if message.versions > 1:
            self._lay_out_nav(measure, message.version, message.versions)
        return measure

    def _lay_out_nav(self, measure: _Measure, version: int, versions: int) -> None:
        """Size the ``‹ 2/3 ›`` line: two arrows around the place among the versions."""
        metrics = QFontMetrics(self._small_font())
        side = metrics.height() + 6
        arrow = max(side, metrics.horizontalAdvance("‹") + 12)
        # Sized for the widest label of this count, so the arrows stay put while switching.
        widest = f"{versions}/{versions}"
        measure.nav = (version, versions)
        measure.nav_button = QSize(arrow, side)
        measure.nav_label = QSize(metrics.horizontalAdvance(widest) + 8, side)

    def _piece(
        self, text: str, segment: _Segment, top: float, text_width: int, code_base: int
    ) -> tuple[_Piece, float]:
        """Segment ``segment`` placed at ``top``, and its natural width.

        A rendered segment's geometry is cached per width, so only the open
        segment's plain tail (bounded by the segment size) is laid out anew.
        """
        piece = _Piece(top, 0.0, code_base=code_base)
        natural = 0.0
        document = segment.document
        if document is not None and segment.rendered is not None:
            geometry = segment.geometry.get(text_width)
            if geometry is None:
                geometry = self._geometry(document, text_width)
                segment.geometry[text_width] = geometry
            piece.document = document
            piece.geometry = geometry
            piece.code_blocks = segment.rendered.code_blocks
            piece.height = geometry.height
            natural = geometry.width
        end = len(text) if segment.end is None else segment.end
        plain_start = segment.start + (segment.rendered_length if document is not None else 0)
        if plain_start < end:
            if segment.end is not None:
                # A closed segment waiting for its render: laid out once per width.
                cached = segment.plain.get(text_width)
                if cached is None:
                    cached = self._plain_layout(text[plain_start:end], text_width)
                    self.last_layout_chars += end - plain_start
                    segment.plain[text_width] = cached
            else:
                cached = self._plain_layout(text[plain_start:end], text_width)
                self.last_layout_chars += end - plain_start
            layout, plain_natural, plain_height = cached
            piece.layout = layout
            piece.layout_top = top + piece.height
            piece.height += plain_height
            natural = max(natural, plain_natural)
        return piece, natural

    def _geometry(self, document: InertDocument, text_width: int) -> _Geometry:
        document.setTextWidth(text_width)
        code = self._code_rects(document, text_width)
        width = float(text_width) if code else min(float(text_width), document.idealWidth())
        return _Geometry(document.size().height(), width, code)

    def _segments(self, message: ChatMessage, text: str, dark: bool) -> _Markdown:
        """The reply's segments, with what the render budget allows rendered now.

        Closed segments are rendered once, in order; the open one again when
        its throttle allows. One call renders at most :data:`RENDER_BUDGET`
        characters (or one segment); what is left waits for the catch-up
        timer, shown as plain text meanwhile.
        """
        length = len(text)
        state = self._markdown.get(message.id)
        if state is not None:
            seen, tail = state.check
            # A different text than before (shorter, or other characters where
            # it ended) means the message was replaced: start over.
            if state.dark != dark or length < seen or text[seen - len(tail) : seen] != tail:
                state = None
        if state is None:
            state = _Markdown(
                dark, markdown.Segmenter(), [_Segment(0)], markdown.RenderThrottle(self.clock)
            )
            self._markdown[message.id] = state
            if len(self._markdown) > _LAYOUT_CACHE:
                self._markdown.popitem(last=False)
        else:
            self._markdown.move_to_end(message.id)
        state.check = (length, text[max(0, length - 32) :])
        for start in state.segmenter.feed(text):
            closing = state.segments[-1]
            closing.end = start
            if closing.rendered_length == start - closing.start:
                closing.final = True
            else:
                # The render of the open segment showed a prefix only.
                closing.document = closing.rendered = None
                closing.rendered_length = 0
                closing.geometry.clear()
            state.segments.append(_Segment(start))
            state.throttle = markdown.RenderThrottle(self.clock)
        finished = message.reply is None or message.reply.finished
        spent = 0
        closed = len(state.segments) - 1
        while state.rendered < closed:
            segment = state.segments[state.rendered]
            if not segment.final:
                assert segment.end is not None
                size = segment.end - segment.start
                if spent and spent + size > RENDER_BUDGET:
                    break
                self._render(segment, text[segment.start : segment.end], dark, state.code_count)
                segment.final = True
                spent += size
            assert segment.rendered is not None
            state.code_count += len(segment.rendered.code_blocks)
            state.rendered += 1
        last = state.segments[-1]
        size = length - last.start
        if state.rendered == closed and not (spent and spent + size > RENDER_BUDGET):
            if state.throttle.should_render(size, final=finished):
                self._render(last, text[last.start :], dark, state.code_count)
        if finished and last.rendered_length == size and last.document is not None:
            last.final = True
        if state.behind(finished):
            self._behind[message.id] = message
            self._catch_up.start()
        return state

    def _render(self, segment: _Segment, text: str, dark: bool, first_code: int) -> None:
        """Render ``text``, the segment or its prefix; its code blocks count from ``first_code``."""
        self.full_renders += 1
        self.rendered_chars += len(text)
        self.last_layout_chars += len(text)
        segment.rendered = markdown.render(text, dark=dark, first_code=first_code)
        segment.rendered_length = len(text)
        document = self._document(segment.rendered.html)
        segment.document = document
        first = document.begin()
        starts_table = QTextCursor(first).currentTable() is not None or (
            not first.text() and QTextCursor(first.next()).currentTable() is not None
        )
        # A table keeps its own top margin, and Qt then drops the margin above it.
        top = -1.0 if starts_table else first.blockFormat().topMargin()
        segment.margins = (top, document.lastBlock().blockFormat().bottomMargin())
        segment.geometry.clear()
        segment.plain.clear()

    def _on_catch_up_timeout(self) -> None:
        """Lay out again the replies with segments still waiting for their render,
        and tell the view of rows whose size changed that way."""
        behind, self._behind = self._behind, {}
        resized, self._resized = self._resized, {}
        model = self._view.model()
        for message in behind.values():
            self._measures.pop(message.id, None)
        for message in {**resized, **behind}.values():
            self._sizes.pop(message.id, None)
            if not isinstance(model, MessageModel):
                continue
            row = model.row_of(message)
            if row is not None:
                # The view asks for the new size, which renders the next segments.
                self.sizeHintChanged.emit(model.index(row))
        self._view.viewport().update()

    def _document(self, html: str) -> InertDocument:
        # No Qt parent: the document dies with the last cache entry holding it.
        document = InertDocument()
        document.setUndoRedoEnabled(False)
        document.setDocumentMargin(0)
        document.setIndentWidth(20)
        document.setDefaultFont(self._font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        document.setDefaultTextOption(option)
        document.setHtml(html)
        return document

    def _code_rects(self, document: QTextDocument, text_width: int) -> list[tuple[QRectF, QRectF]]:
        """Each code block's background and Copy button, found by block user state."""
        spans: dict[int, list[float]] = {}
        layout = document.documentLayout()
        block = document.begin()
        while block.isValid():
            index = markdown.code_index(block.userState())
            if index is not None:
                rect = layout.blockBoundingRect(block)
                span = spans.setdefault(index, [rect.top(), rect.bottom()])
                span[1] = rect.bottom()
            block = block.next()
        metrics = QFontMetrics(self._small_font())
        button_width = metrics.horizontalAdvance(COPIED) + 16
        button_height = metrics.height() + 6
        rects: list[tuple[QRectF, QRectF]] = []
        for index in sorted(spans):
            top, bottom = spans[index]
            background = QRectF(0, top - CODE_PAD_TOP, text_width, 0)
            background.setBottom(bottom + CODE_PAD_BOTTOM)
            button = QRectF(
                background.right() - button_width - 6,
                background.top() + 4,
                button_width,
                button_height,
            )
            rects.append((background, button))
        return rects

    def _plain_layout(self, text: str, text_width: int) -> tuple[QTextLayout, float, float]:
        # QTextLayout breaks lines only at U+2028, not at "\n".
        text = markdown.breakable(markdown.inert(text.replace("\r\n", "\n")))
        shown = text.replace("\n", "\u2028")
        layout = QTextLayout(shown, self._font())
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
        return layout, natural + 1, y

    def row_size(self, message: ChatMessage, footer: str | None = None) -> QSize:
        """The row's size at the current width, from the size cache when possible.

        Args:
            footer: as for :meth:`measure`.
        """
        if footer is None:
            footer = self._footer_of(message)
        width = self._row_width()
        cached = self._sizes.get(message.id)
        if cached is not None and cached[:3] == (message.revision, width, footer):
            return cached[3]
        size = self.measure(message, footer).row
        self._sizes[message.id] = (message.revision, width, footer, size)
        return size

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # noqa: N802
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return super().sizeHint(option, index)
        size = self.row_size(message, str(index.data(FooterRole) or ""))
        self._given[message.id] = size.height()
        return size

    def refresh_rows(self, model: MessageModel, rows: list[int]) -> None:
        """Ask the view to lay out again only if one of ``rows`` changed height."""
        for row in rows:
            message = model.message(row)
            footer = str(model.index(row).data(FooterRole) or "")
            height = self.row_size(message, footer).height()
            if self._given.get(message.id) != height:
                self._given[message.id] = height
                self.sizeHintChanged.emit(model.index(row))

    # -- geometry shared by painting and clicking --------------------------

    @staticmethod
    def _bubble_rect(rect: QRect, measure: _Measure, mine: bool) -> QRectF:
        size = measure.bubble
        left = rect.right() - MARGIN_X - size.width() if mine else rect.left() + MARGIN_X
        return QRectF(left, rect.top() + MARGIN_Y, size.width(), size.height())

    def _body_origin(
        self, rect: QRect, message: ChatMessage, footer: str | None = None
    ) -> tuple[_Measure, QPointF]:
        """The message's measure and where its body's (0, 0) is, in view coordinates."""
        measure = self.measure(message, footer)
        bubble = self._bubble_rect(rect, measure, message.role == "user")
        return measure, QPointF(bubble.left() + PAD_X, bubble.top() + PAD_Y)

    @classmethod
    def _nav_rects(
        cls, rect: QRect, measure: _Measure, mine: bool
    ) -> tuple[QRectF, QRectF, QRectF]:
        """The previous arrow, the ``2/3`` label and the next arrow, in view coordinates.

        The line sits under the bubble, on the bubble's side of the row.
        """
        bubble = cls._bubble_rect(rect, measure, mine)
        arrow, label = measure.nav_button, measure.nav_label
        width = 2 * arrow.width() + label.width()
        left = bubble.right() - width if mine else bubble.left()
        top = bubble.bottom() + NAV_GAP
        previous = QRectF(left, top, arrow.width(), arrow.height())
        middle = QRectF(previous.right(), top, label.width(), label.height())
        following = QRectF(middle.right(), top, arrow.width(), arrow.height())
        return previous, middle, following

    def version_arrow_rect(self, index: _Index, step: int) -> QRect:
        """Where row ``index``'s previous (-1) or next (+1) arrow is; empty without versions."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return QRect()
        measure = self.measure(message, str(index.data(FooterRole) or ""))
        if measure.nav is None:
            return QRect()
        rects = self._nav_rects(self._view.visualRect(index), measure, message.role == "user")
        return (rects[0] if step < 0 else rects[2]).toAlignedRect()

    @property
    def versions_enabled(self) -> bool:
        """Whether the version arrows react (not while a reply streams)."""
        return self._versions_enabled

    def set_versions_enabled(self, enabled: bool) -> None:
        """Let the version arrows react, or dim them (while a reply streams)."""
        if enabled != self._versions_enabled:
            self._versions_enabled = enabled
            self._view.viewport().update()

    def _can_step(self, measure: _Measure, step: int) -> bool:
        if measure.nav is None or not self._versions_enabled:
            return False
        version, versions = measure.nav
        return 1 <= version + step <= versions

    def body_origin(self, index: _Index) -> QPointF:
        """Where row ``index``'s text area begins, in viewport pixels."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return QPointF()
        return self._body_origin(self._view.visualRect(index), message)[1]

    def copy_button_rect(self, index: _Index, block: int) -> QRect:
        """Where code block ``block``'s Copy button of row ``index`` is, in viewport pixels."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return QRect()
        measure, origin = self._body_origin(self._view.visualRect(index), message)
        for piece in measure.pieces:
            if piece.geometry is not None and 0 <= block - piece.code_base < len(
                piece.geometry.code
            ):
                button = piece.geometry.code[block - piece.code_base][1]
                return button.translated(origin + QPointF(0, piece.top)).toAlignedRect()
        return QRect()

    def hit_test(self, index: _Index, position: QPoint, rect: QRect | None = None) -> Hit | None:
        """The link, Copy button or usable version arrow at viewport ``position`` in row
        ``index``, if any."""
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return None
        rect = self._view.visualRect(index) if rect is None else rect
        measure, origin = self._body_origin(rect, message, str(index.data(FooterRole) or ""))
        if measure.nav is not None:
            previous, _label, following = self._nav_rects(rect, measure, message.role == "user")
            for step, arrow, name in (
                (-1, previous, "Previous version"),
                (1, following, "Next version"),
            ):
                # A dimmed arrow (first or last version, or a reply streaming) is no button.
                if arrow.contains(QPointF(position)) and self._can_step(measure, step):
                    return Hit("version", name, step=step)
        local = QPointF(position) - origin
        piece = measure.piece_at(local.y())
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

    # -- pointing and clicking ---------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A pointing hand over links and Copy buttons; markdown preloads at the first paint."""
        # The event type first: while the view is destroyed, other events still
        # pass through here, and the view must not be touched then.
        if event.type() == QEvent.Type.Paint:
            # The window is up: import the markdown parser before the first reply needs it.
            markdown.preload_in_background()
        elif event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if watched is self._viewport and not event.buttons():
                position = event.position().toPoint()
                index = self._view.indexAt(position)
                hit = self.hit_test(index, position) if index.isValid() else None
                viewport = self._view.viewport()
                if hit is None:
                    viewport.unsetCursor()
                else:
                    viewport.setCursor(Qt.CursorShape.PointingHandCursor)
        return False

    def helpEvent(  # noqa: N802
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: _Index,
    ) -> bool:
        """Tooltips name a link's full address; a bubble itself has none.

        The model offers the whole message as a tooltip, which repeats the
        bubble and, for a long reply, would be a screenful of text.
        """
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        rect: QRect = option.rect
        hit = self.hit_test(index, event.pos(), rect)
        if hit is None:
            QToolTip.hideText()
        elif hit.kind in ("link", "version"):
            QToolTip.showText(event.globalPos(), hit.value, view.viewport())
        else:
            QToolTip.showText(event.globalPos(), "Copy this code", view.viewport())
        return True

    def editorEvent(  # noqa: N802
        self,
        event: QEvent,
        model: object,
        option: QStyleOptionViewItem,
        index: _Index,
    ) -> bool:
        """Links ask before opening; Copy buttons copy their code block; arrows switch versions."""
        kinds = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease)
        if event.type() not in kinds or not isinstance(event, QMouseEvent):
            return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        rect: QRect = option.rect
        hit = self.hit_test(index, event.position().toPoint(), rect)
        if hit is None:
            return False
        if event.type() == QEvent.Type.MouseButtonRelease:
            if hit.kind == "copy":
                self.copy_code(index, hit.block, hit.value)
            elif hit.kind == "version":
                self.version_step_requested.emit(index.row(), hit.step)
            else:
                self.confirm_open(hit.value)
        return True

    def copy_code(self, index: _Index, block: int, code: str) -> None:
        """Put ``code`` on the clipboard and show "Copied" on its button."""
        QGuiApplication.clipboard().setText(code)
        message = index.data(MessageModel.MessageRole)
        if isinstance(message, ChatMessage):
            self._copied = (message.id, block)
            self._copied_timer.start()
            self._view.viewport().update()

    def _on_copied_timer_timeout(self) -> None:
        self._copied = None
        self._view.viewport().update()

    def confirm_open(self, url: str) -> QMessageBox:
        """Ask whether to open ``url`` (shown in full); open it only on OK."""
        if self.confirm_box is not None:
            self.confirm_box.close()
        box = QMessageBox(self._view.window())
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Open link")
        # Plain text: the address is shown exactly as it is, never interpreted.
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Open this address in your browser?\n\n{url}")
        box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_finished(result: int) -> None:
            if self.confirm_box is box:
                self.confirm_box = None
            if result == QMessageBox.StandardButton.Open.value:
                self.open_url(url)

        box.finished.connect(on_finished)
        self.confirm_box = box
        box.open()
        return box

    # -- painting --------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            super().paint(painter, option, index)
            return
        self.painted_rows.append(index.row())
        palette = option.palette
        rect: QRect = option.rect
        mine = message.role == "user"
        measure, origin = self._body_origin(rect, message, str(index.data(FooterRole) or ""))
        bubble = self._bubble_rect(rect, measure, mine)
        fill, ink = self._colors(palette, mine, message)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen if mine else palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(fill)
        painter.drawRoundedRect(bubble.adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bubble.adjusted(-1.5, -1.5, 1.5, 1.5), RADIUS, RADIUS)

        # The viewport in body coordinates: only what is inside it is drawn.
        visible = QRectF(self._view.viewport().rect()).translated(-origin)
        for piece in measure.pieces:
            if piece.top > visible.bottom():
                break
            if piece.top + piece.height < visible.top():
                continue
            if piece.document is not None:
                self._paint_document(painter, measure, piece, message, origin, visible, ink)
            if piece.layout is not None:
                painter.setPen(ink)
                top = QPointF(origin.x(), origin.y() + piece.layout_top)
                piece.layout.draw(painter, top, [], visible.translated(origin))
        if measure.footer:
            footer_top = origin.y() + measure.body.height() + (GAP if measure.body.height() else 0)
            painter.setFont(self._small_font())
            painter.setPen(self._footer_color(palette, mine, message))
            box = QRect(QPointF(origin.x(), footer_top).toPoint(), measure.footer_size)
            painter.drawText(box, int(Qt.TextFlag.TextWordWrap), measure.footer)
        if measure.nav is not None:
            self._paint_nav(painter, palette, rect, measure, mine)
        painter.restore()

    def _paint_nav(
        self, painter: QPainter, palette: QPalette, rect: QRect, measure: _Measure, mine: bool
    ) -> None:
        """``‹ 2/3 ›`` under the bubble; an arrow that cannot be used is dimmed."""
        assert measure.nav is not None
        version, versions = measure.nav
        previous, label, following = self._nav_rects(rect, measure, mine)
        ink = palette.color(QPalette.ColorRole.Text)
        dim = QColor(ink)
        dim.setAlphaF(0.3)
        centre = int(Qt.AlignmentFlag.AlignCenter)
        painter.setFont(self._small_font())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for step, arrow, glyph in ((-1, previous, "‹"), (1, following, "›")):
            painter.setPen(ink if self._can_step(measure, step) else dim)
            painter.drawText(arrow, centre, glyph)
        painter.setPen(ink if self._versions_enabled else dim)
        painter.drawText(label, centre, f"{version}/{versions}")

    def _paint_document(
        self,
        painter: QPainter,
        measure: _Measure,
        piece: _Piece,
        message: ChatMessage,
        origin: QPointF,
        visible: QRectF,
        ink: QColor,
    ) -> None:
        document = piece.document
        assert document is not None
        assert piece.geometry is not None
        if document.textWidth() != measure.text_width:
            # Another width's measure shares this document: lay it out for ours.
            document.setTextWidth(measure.text_width)
        look = markdown.theme(measure.dark)
        # The viewport in the document's coordinates.
        clip = visible.translated(0, -piece.top)
        painter.save()
        painter.translate(origin + QPointF(0, piece.top))
        for number, (background, button) in enumerate(piece.geometry.code):
            if not background.intersects(clip):
                continue
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(look.code_background))
            painter.drawRoundedRect(background, CODE_RADIUS, CODE_RADIUS)
            copied = self._copied == (message.id, piece.code_base + number)
            self._paint_copy_button(painter, button, look, copied)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, ink)
        context.clip = clip
        document.documentLayout().draw(painter, context)
        painter.restore()

    def _paint_copy_button(
        self, painter: QPainter, button: QRectF, look: markdown.Theme, copied: bool
    ) -> None:
        painter.setPen(QColor(look.rule))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(button.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.setFont(self._small_font())
        painter.setPen(QColor(look.muted))
        painter.drawText(button, int(Qt.AlignmentFlag.AlignCenter), COPIED if copied else COPY)

    @staticmethod
    def _colors(palette: QPalette, mine: bool, message: ChatMessage) -> tuple[QColor, QColor]:
        role = QPalette.ColorRole
        if mine:
            return palette.color(role.Highlight), palette.color(role.HighlightedText)
        if message.reply is not None and message.reply.status == "error":
            return palette.color(role.AlternateBase), palette.color(role.Text)
        return palette.color(role.Button), palette.color(role.ButtonText)

    @staticmethod
    def _footer_color(palette: QPalette, mine: bool, message: ChatMessage) -> QColor:
        role = QPalette.ColorRole
        if mine:
            return palette.color(role.HighlightedText)
        if message.reply is not None and message.reply.status == "error":
            return palette.color(role.Text)
        return palette.color(role.PlaceholderText)

    def forget(self) -> None:
        """Drop cached layouts and renders (after a font or palette change)."""
        self._measures.clear()
        self._markdown.clear()
        self._behind.clear()
        self._resized.clear()
        self._sizes.clear()
        self._given.clear()
