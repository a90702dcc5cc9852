"""Measures messages as bubbles, with layouts cached per message and width.

Only rows the view asks for are measured. A row's size is keyed by the
message's revision and the available width, so a finished message is laid
out once per width; a streaming one at most once per frame (the model
coalesces its changes). Replies are markdown, rendered segment by segment
within a budget (:mod:`gui.reply_renders`); a segment not rendered yet is
laid out as plain text meanwhile, and a zero-delay timer renders what is left,
one budget per event-loop turn. User messages are plain text, laid out once
per revision and width.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QObject, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPalette, QTextDocument, QTextLayout, QTextOption
from PySide6.QtWidgets import QAbstractItemView

from deskchat.chat.conversation import ChatMessage
from deskchat.i18n import _

from . import markdown
from .bubble_files import FileChips
from .bubble_parts import (
    COPIED,
    COPY,
    MARGIN_X,
    PAD_X,
    Geometry,
    InertDocument,
    Measure,
    Piece,
    Segment,
    small_font,
)
from .bubble_sizes import MIN_BUBBLE
from .message_model import FooterRole, MessageModel
from .reasoning_pieces import GAP as REASONING_GAP
from .reasoning_pieces import ReasoningPieces
from .reply_renders import ReplyRenders
from .reply_text import ReplyText

__all__ = ["BubbleLayouts"]

MAX_SHARE = 0.74
CODE_PAD_TOP = 6
CODE_PAD_BOTTOM = 8
_LAYOUT_CACHE = 128
LAYOUT_BUDGET = 8_000
"""Characters one measure renders or lays out as plain text at most (beyond its first
piece of such work): a reply that grew faster than that shows the rest a turn later."""


class BubbleLayouts(QObject):
    """Every shown message's measure at the view's width, and the row sizes given to the view.

    Args:
        view: the list view; its viewport width decides how wide bubbles get,
            its font and palette how they look.

    Signals:
        size_hint_changed(QModelIndex): a row's size changed without the view
            asking (more of a reply got rendered): the view must lay it out again.

    Attributes:
        renders: the replies' markdown renders (and their clock and counters).
        reasoning: the replies' reasoning pieces, and whose are shown.
        last_layout_chars, max_layout_chars: characters rendered or laid out
            as plain text by the last layout, and by the largest (for tests).
        max_read_chars: the most of a reply's text one layout read (for tests: its tail).
    """

    size_hint_changed = Signal(QModelIndex)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self.renders = ReplyRenders(view.font)
        self.file_chips = FileChips(self)  # A sent question's files, in its footer.
        self._measures: OrderedDict[int, Measure] = OrderedDict()
        # Row sizes outlive the layouts (a few numbers per message, for every row).
        self._sizes: dict[int, tuple[tuple[object, ...], int, str, QSize]] = {}
        self._given: dict[int, int] = {}
        self.last_layout_chars = 0
        self.max_layout_chars = 0
        self.max_read_chars = 0
        # Replies whose segments wait for a render: one budget per event-loop turn.
        self._behind: dict[int, ChatMessage] = {}
        # Rows whose size changed without a new revision: the view must hear of it.
        self._resized: dict[int, ChatMessage] = {}
        self.reasoning = ReasoningPieces(self._plain_layout, self.small_font)
        # Streaming replies measured by the last flush: until the next one, the view's
        # size hints and paints use that measure, so a reply is laid out once a frame
        # even though text keeps arriving in between.
        self._pinned: set[int] = set()
        # Measures dropped to be measured again (more got rendered): the next one
        # takes their settled pieces.
        self._stale: dict[int, Measure] = {}
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.setInterval(0)
        self._catch_up.timeout.connect(self._on_catch_up_timeout)

    def forget(self) -> None:
        """Drop cached layouts and renders (after a font or palette change)."""
        self._measures.clear()
        self.renders.forget()
        self._behind.clear()
        self._resized.clear()
        self._sizes.clear()
        self._given.clear()
        self._pinned.clear()
        self.reasoning.forget()
        self._stale.clear()

    def small_font(self) -> QFont:
        return small_font(self._view.font())

    def dark(self) -> bool:
        """Whether reply bubbles are dark (light text on a dark fill)."""
        palette = self._view.palette()
        role = QPalette.ColorRole
        return palette.color(role.ButtonText).lightness() > palette.color(role.Button).lightness()

    def _row_width(self) -> int:
        return max(self._view.viewport().width(), MIN_BUBBLE + 2 * MARGIN_X)

    @staticmethod
    def _text_width(row_width: int) -> int:
        bubble = max(MIN_BUBBLE, int((row_width - 2 * MARGIN_X) * MAX_SHARE))
        return bubble - 2 * PAD_X

    def _footer_of(self, message: ChatMessage) -> str:
        """The model's ``FooterRole`` for ``message`` ("" when the view does not show it)."""
        model = self._view.model()
        if not isinstance(model, MessageModel):
            return ""
        row = model.row_of(message)
        return "" if row is None else str(model.index(row).data(FooterRole) or "")

    # -- sizes for the view ------------------------------------------------

    def row_size(self, message: ChatMessage, footer: str | None = None) -> QSize:
        """The row's size at the current width, from the size cache when possible.

        Args:
            footer: as for :meth:`measure`.
        """
        if footer is None:
            footer = self._footer_of(message)
        width = self._row_width()
        cached = self._sizes.get(message.id)
        revision = self._revision(message)
        if cached is not None and cached[:3] == (revision, width, footer):
            return cached[3]
        size = self.measure(message, footer).row
        self._sizes[message.id] = (revision, width, footer, size)
        return size

    def size_hint(self, message: ChatMessage, footer: str) -> QSize:
        """The row's size, remembered as the one the view was given."""
        size = self.row_size(message, footer)
        self._given[message.id] = size.height()
        return size

    def refresh_rows(self, model: MessageModel, rows: list[int]) -> None:
        """Ask the view to lay out again only if one of ``rows`` changed height."""
        for row in rows:
            message = model.message(row)
            footer = str(model.index(row).data(FooterRole) or "")
            self._pinned.discard(message.id)
            height = self.row_size(message, footer).height()
            if message.reply is not None and not message.reply.finished:
                self._pinned.add(message.id)
            if self._given.get(message.id) != height:
                self._given[message.id] = height
                self.size_hint_changed.emit(model.index(row))

    def _on_catch_up_timeout(self) -> None:
        """Lay out again the replies with segments still waiting for their render,
        and tell the view of rows whose size changed that way."""
        behind, self._behind = self._behind, {}
        resized, self._resized = self._resized, {}
        model = self._view.model()
        for message in behind.values():
            stale = self._measures.pop(message.id, None)
            if stale is not None:
                # Measured again next, from the pieces this one settled.
                self._stale[message.id] = stale
        for message in {**resized, **behind}.values():
            self._sizes.pop(message.id, None)
            if not isinstance(model, MessageModel):
                continue
            row = model.row_of(message)
            if row is not None:
                # The view asks for the new size, which renders the next segments.
                self.size_hint_changed.emit(model.index(row))
        self._view.viewport().update()

    # -- measuring ---------------------------------------------------------

    def measure(self, message: ChatMessage, footer: str | None = None) -> Measure:
        """The cached layout of ``message`` at the current width.

        Args:
            footer: the line under the bubble, as the model's ``FooterRole``
                gives it; None asks the view's model (slower: it finds the row).
        """
        if footer is None:
            footer = self._footer_of(message)
        width = self._row_width()
        dark = self.dark()
        cached = self._measures.get(message.id)
        if (
            cached is not None
            and (cached.revision == self._revision(message) or self._is_pinned(message))
            and cached.width == width
            and cached.dark == dark
            and cached.footer == footer
        ):
            self._measures.move_to_end(message.id)
            return cached
        before = cached if cached is not None else self._stale.pop(message.id, None)
        measure = self._lay_out(message, width, dark, footer, before)
        sized = self._sizes.get(message.id)
        if (
            sized is not None
            and sized[:3] == (self._revision(message), width, footer)
            and sized[3] != measure.row
        ):
            # More segments got rendered since the view was told this row's size.
            self._resized[message.id] = message
            self._catch_up.start()
        self._measures[message.id] = measure
        if len(self._measures) > _LAYOUT_CACHE:
            self._measures.popitem(last=False)
        return measure

    def _revision(self, message: ChatMessage) -> tuple[object, ...]:
        """What the message's measure depends on: its revision, and its reasoning's
        (which streams before the text, while the revision stays the same)."""
        return (*message.revision, *self.reasoning.revision(message))

    def toggle_reasoning(self, message: ChatMessage) -> None:
        """Show or hide the reasoning of ``message``; the view hears of the new size."""
        self.reasoning.toggle(message)
        self._measures.pop(message.id, None)
        self._sizes.pop(message.id, None)
        model = self._view.model()
        row = model.row_of(message) if isinstance(model, MessageModel) else None
        if row is not None:
            assert isinstance(model, MessageModel)
            self.size_hint_changed.emit(model.index(row))
        self._view.viewport().update()

    def _is_pinned(self, message: ChatMessage) -> bool:
        """Whether ``message`` streams and the last flush measured it (see ``_pinned``)."""
        if message.id not in self._pinned:
            return False
        if message.reply is None or message.reply.finished:
            self._pinned.discard(message.id)
            return False
        return True

    def _lay_out(
        self,
        message: ChatMessage,
        width: int,
        dark: bool,
        footer: str,
        before: Measure | None = None,
    ) -> Measure:
        text_width = self._text_width(width)
        measure = Measure(
            self._revision(message), width, dark, text_width, QSize(0, 0), footer, QSize(0, 0)
        )
        self.last_layout_chars = 0
        body_width = 0.0
        top = 0.0
        if message.role == "user":
            text = message.content
            if text:
                layout, natural, height = self._plain_layout(text, text_width)
                self.last_layout_chars += len(text)
                measure.pieces.append(Piece(0.0, height, layout=layout))
                body_width, top = natural, height
        else:  # A reply is read from its tail on (gui/reply_text), not joined whole.
            reply_text = ReplyText(message)
            if len(reply_text) or ReasoningPieces.text_of(message):
                body_width, top = self._lay_out_reply(message, reply_text, measure, before)
            self.max_read_chars = max(self.max_read_chars, reply_text.fetched)
        self.max_layout_chars = max(self.max_layout_chars, self.last_layout_chars)
        measure.body = QSize(int(body_width + 0.999), int(top + 0.999))
        if measure.footer and message.attachments:
            measure.footer_size = self.file_chips.size(
                message.attachments, self.small_font(), text_width
            )
        elif measure.footer:
            metrics = QFontMetrics(self.small_font())
            flags = int(Qt.TextFlag.TextWordWrap)
            box = QRect(0, 0, text_width, 10**6)
            measure.footer_size = metrics.boundingRect(box, flags, measure.footer).size()
        if message.versions > 1:
            self._lay_out_nav(measure, message.version, message.versions)
        return measure

    def _lay_out_reply(
        self, message: ChatMessage, text: ReplyText, measure: Measure, before: Measure | None = None
    ) -> tuple[float, float]:
        """Stack the reply's segments into ``measure``; the body's natural width and height.

        The pieces of finished segments are taken from ``before`` (the reply's last
        measure) when it was made at the same width and look, so a growing reply
        lays out only its last segments, however long it is.
        """
        state = self.renders.segments(message, text, measure.dark)
        self.last_layout_chars += self.renders.last_chars
        finished = message.reply is None or message.reply.finished
        if state.behind(finished):
            self._behind[message.id] = message
            self._catch_up.start()
        lead = self.reasoning.pieces(message, measure.text_width)
        self.last_layout_chars += self.reasoning.laid_out
        kept = _reusable(before, measure, state.segments, lead)
        spent = self.renders.last_chars
        code_base = 0
        bottom = 0.0
        body_width = 0.0
        top = 0.0
        measure.pieces = list(lead)
        if lead:
            top, _bottom, body_width, _rendered = lead[-1].after
        if kept:
            assert before is not None
            measure.pieces = before.pieces[: len(lead) + kept]
            last = measure.pieces[-1]
            top, bottom, body_width, measure.rendered_length = last.after
            code_base = last.code_base + len(last.code_blocks)
        if not len(text):
            return body_width, max(top - REASONING_GAP, 0.0)
        for segment in state.segments[kept:]:
            work = _plain_work(text, segment, measure.text_width)
            if work and spent and spent + work > LAYOUT_BUDGET:
                # Text came faster than a frame can lay out: the rest waits a turn.
                self._behind[message.id] = message
                self._catch_up.start()
                break
            spent += work
            rendered = segment.document is not None
            first_margin = segment.margins[0] if rendered else 0.0
            if len(measure.pieces) > len(lead) and first_margin >= 0:
                # Qt collapses the margins between two blocks of one document;
                # between two documents the gap is added here.
                top += max(bottom, first_margin)
            piece, natural = self._piece(text, segment, top, measure.text_width, code_base)
            bottom = segment.margins[1] if rendered and piece.layout is None else 0.0
            piece.segment = segment
            measure.pieces.append(piece)
            measure.rendered_length += segment.rendered_length if piece.document else 0
            code_base += len(piece.code_blocks)
            body_width = max(body_width, natural)
            top += piece.height
            piece.after = (top, bottom, body_width, measure.rendered_length)
        settled = kept
        while settled + len(lead) < len(measure.pieces) and settled < len(state.segments) - 1:
            if not _settled(measure.pieces[len(lead) + settled], state.segments[settled]):
                break
            settled += 1
        measure.settled = settled
        return body_width, top

    def _lay_out_nav(self, measure: Measure, version: int, versions: int) -> None:
        """Size the ``‹ 2/3 ›`` line: two arrows around the place among the versions."""
        metrics = QFontMetrics(self.small_font())
        side = metrics.height() + 6
        arrow = max(side, metrics.horizontalAdvance("‹") + 12)
        # Sized for the widest label of this count, so the arrows stay put while switching.
        widest = f"{versions}/{versions}"
        measure.nav = (version, versions)
        measure.nav_button = QSize(arrow, side)
        measure.nav_label = QSize(metrics.horizontalAdvance(widest) + 8, side)

    def _piece(
        self, text: ReplyText, segment: Segment, top: float, text_width: int, code_base: int
    ) -> tuple[Piece, float]:
        """Segment ``segment`` placed at ``top``, and its natural width.

        A rendered segment's geometry is cached per width, so only the open
        segment's plain tail (bounded by the segment size) is laid out anew.
        """
        piece = Piece(top, 0.0, code_base=code_base)
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
                    cached = self._plain_layout(text.slice(plain_start, end), text_width)
                    self.last_layout_chars += end - plain_start
                    segment.plain[text_width] = cached
            else:
                cached = self._plain_layout(text.slice(plain_start, end), text_width)
                self.last_layout_chars += end - plain_start
            layout, plain_natural, plain_height = cached
            piece.layout = layout
            piece.layout_top = top + piece.height
            piece.height += plain_height
            natural = max(natural, plain_natural)
        return piece, natural

    def _geometry(self, document: InertDocument, text_width: int) -> Geometry:
        document.setTextWidth(text_width)
        code, widths = _code_rects(document, text_width, self.small_font())
        width = float(text_width) if code else min(float(text_width), document.idealWidth())
        return Geometry(document.size().height(), width, code, widths)

    def _plain_layout(
        self, text: str, text_width: int, font: QFont | None = None
    ) -> tuple[QTextLayout, float, float]:
        # QTextLayout breaks lines only at U+2028, not at "\n".
        text = markdown.breakable(markdown.inert(text.replace("\r\n", "\n")))
        shown = text.replace("\n", "\u2028")
        layout = QTextLayout(shown, font or self._view.font())
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


def _settled(piece: Piece, segment: Segment) -> bool:
    """Whether ``piece`` shows the finished ``segment`` in full, as it will stay."""
    return (
        piece.segment is segment
        and segment.final
        and piece.document is segment.document
        and piece.layout is None
    )


def _plain_work(text: ReplyText, segment: Segment, text_width: int) -> int:
    """How many characters of ``segment`` a measure would lay out anew as plain text."""
    end = len(text) if segment.end is None else segment.end
    plain_start = segment.start + (segment.rendered_length if segment.document else 0)
    if plain_start >= end or (segment.end is not None and text_width in segment.plain):
        return 0
    return end - plain_start


def _reusable(
    before: Measure | None, measure: Measure, segments: list[Segment], lead: list[Piece]
) -> int:
    """How many pieces of ``before`` after the reasoning's (``lead``) show finished
    segments exactly as now."""
    if (
        before is None
        or before.width != measure.width
        or before.dark != measure.dark
        or before.text_width != measure.text_width
        or before.pieces[: len(lead)] != lead
        or any(piece.kind for piece in before.pieces[len(lead) : len(lead) + 1])
    ):
        return 0
    # The pieces ``before`` found settled are still (a finished segment never
    # changes); the check goes on from there, so a long reply costs no more.
    kept = min(before.settled, len(segments) - 1)
    if kept and before.pieces[len(lead) + kept - 1].segment is not segments[kept - 1]:
        kept = 0
    # The last segment may still change; the ones before it are closed.
    for place in range(kept, len(segments) - 1):
        if len(lead) + place >= len(before.pieces) or not _settled(
            before.pieces[len(lead) + place], segments[place]
        ):
            break
        kept += 1
    return kept


def _code_rects(
    document: QTextDocument, text_width: int, small: QFont
) -> tuple[list[tuple[QRectF, QRectF]], list[float]]:
    """Each code block's background and Copy button, found by block user state, and
    the width of its longest line."""
    spans: dict[int, list[float]] = {}
    widths: dict[int, float] = {}
    layout = document.documentLayout()
    block = document.begin()
    while block.isValid():
        index = markdown.code_index(block.userState())
        if index is not None:
            rect = layout.blockBoundingRect(block)
            span = spans.setdefault(index, [rect.top(), rect.bottom()])
            span[1] = rect.bottom()
            lines = block.layout()
            right = block.blockFormat().rightMargin()
            for number in range(lines.lineCount()):
                line = lines.lineAt(number)
                wide = lines.position().x() + line.x() + line.naturalTextWidth() + right
                widths[index] = max(widths.get(index, 0.0), wide)
        block = block.next()
    metrics = QFontMetrics(small)
    widest = max(metrics.horizontalAdvance(_(COPIED)), metrics.horizontalAdvance(_(COPY)))
    button_width = widest + 16
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
    return rects, [widths.get(index, 0.0) for index in sorted(spans)]
