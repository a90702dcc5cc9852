"""What a chat bubble is made of: sizes, a message's measure, its pieces, and where they sit.

Plain data and arithmetic shared by measuring (:mod:`gui.bubble_layouts`),
hit testing (:mod:`gui.bubble_hits`) and painting (:mod:`gui.bubble_delegate`).
Body coordinates: (0, 0) is the top-left of a bubble's text area.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, QUrl
from PySide6.QtGui import QFont, QTextDocument, QTextLayout

from deskchat.i18n import N_

from . import markdown
from .bubble_sizes import MARGIN_X

__all__ = [
    "COPIED",
    "COPY",
    "GAP",
    "MARGIN_X",
    "MARGIN_Y",
    "PAD_X",
    "PAD_Y",
    "Geometry",
    "Hit",
    "Index",
    "InertDocument",
    "Measure",
    "Piece",
    "ReplyMarkdown",
    "Segment",
    "body_origin",
    "bubble_rect",
    "nav_rects",
    "small_font",
]

log = logging.getLogger("deskchat.gui")

MARGIN_Y = 6
PAD_X = 14
PAD_Y = 10
GAP = 6
NAV_GAP = 2
"""Pixels between a bubble and its ``‹ 2/3 ›`` line."""

COPY = N_("Copy")
COPIED = N_("Copied")
"""The code blocks' button, marked for translation and shown through ``_()``."""

Index = QModelIndex | QPersistentModelIndex


def small_font(font: QFont) -> QFont:
    """The font of footers, version lines and Copy buttons: a little smaller than ``font``."""
    small = QFont(font)
    small.setPointSizeF(max(font.pointSizeF() * 0.88, 7.0))
    return small


class InertDocument(QTextDocument):
    """A QTextDocument that never loads a resource: no image, file or style sheet.

    Markdown rendering already leaves no image in the HTML; this is the second
    wall, so even HTML that slipped through cannot make the app fetch anything.
    Formulas are images the renderer adds itself (``addResource``).

    Attributes:
        formulas: the formulas its images ``deskchat-math:i`` show.
    """

    formulas: tuple[markdown.Formula, ...] = ()

    def loadResource(self, _kind: int, name: QUrl | str) -> object:  # noqa: N802
        log.debug("refused to load resource %s", QUrl(name).toString())
        return None


@dataclass(frozen=True)
class Hit:
    """What is under a point of a row: a link, a Copy button or a version arrow.

    Attributes:
        kind: "link", "copy", "version" or "reasoning" (its header: show or hide it).
        value: the link's address, the code to copy, or the arrow's tooltip.
        block: for "copy", the code block's index in the message.
        step: for "version", -1 (previous) or +1 (next).
    """

    kind: Literal["link", "copy", "version", "reasoning"]
    value: str
    block: int = -1
    step: int = 0


@dataclass
class Geometry:
    """A segment's document laid out at one text width."""

    height: float
    width: float
    code: list[tuple[QRectF, QRectF]]
    """Per code block: its background and its Copy button, in the document's coordinates."""
    code_widths: list[float] = field(default_factory=list)
    """Per code block: how wide its longest line is, margins included (its lines never
    wrap; a block wider than its background scrolls sideways)."""


@dataclass
class Segment:
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
    geometry: dict[int, Geometry] = field(default_factory=dict)
    plain: dict[int, tuple[QTextLayout, float, float]] = field(default_factory=dict)
    """A closed segment not rendered yet, as plain text, per text width."""


@dataclass
class ReplyMarkdown:
    """A reply's segments and their renders, kept across revisions while it streams."""

    dark: bool
    segmenter: markdown.Segmenter
    segments: list[Segment]
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
class Piece:
    """What one segment shows, placed in body coordinates.

    The segment's document (if rendered) is at ``top``; its not-yet-rendered
    rest, as plain text, at ``layout_top``.
    """

    top: float
    height: float
    document: InertDocument | None = None
    geometry: Geometry | None = None
    code_base: int = 0
    """The global index of this segment's first code block."""
    code_blocks: tuple[markdown.CodeBlock, ...] = ()
    layout: QTextLayout | None = None
    layout_top: float = 0.0
    segment: Segment | None = None
    """The reply segment this piece shows (None for a user's message)."""
    kind: str = ""
    """"reasoning-header" (click to show or hide), "reasoning" (its text), or "" (text)."""
    natural: float = 0.0
    """A plain piece's natural width."""
    after: tuple[float, float, float, int] = (0.0, 0.0, 0.0, 0)
    """What the stack holds after this piece: the next piece's lowest top, the bottom
    margin to collapse with it, the widest natural width so far, and the rendered
    length so far (lets the next measure reuse the pieces of finished segments)."""


@dataclass
class Measure:
    """One message laid out at one width.

    A reply is a column of pieces, one per segment; a user message is one
    piece with a plain layout.
    """

    revision: tuple[object, ...]
    """The message's revision, and its reasoning's length and whether it is shown."""
    width: int
    dark: bool
    text_width: int
    body: QSize
    footer: str
    footer_size: QSize
    pieces: list[Piece] = field(default_factory=list)
    nav: tuple[int, int] | None = None
    """``(version, versions)`` when the message has several versions, else None."""
    nav_button: QSize = field(default_factory=QSize)
    """The size of one version arrow."""
    nav_label: QSize = field(default_factory=QSize)
    """The size of the ``2/3`` between the arrows."""
    rendered_length: int = 0
    """How much of the text the documents show; plain layouts show the rest."""
    settled: int = 0
    """How many of a reply's segment pieces show finished segments (the next measure
    at this width takes them as they are)."""

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

    def first_below(self, y: float) -> int:
        """The index of the first piece whose bottom is below body height ``y`` (pieces
        are stacked top to bottom, so a binary search finds it in a long reply)."""
        low, high = 0, len(self.pieces)
        while low < high:
            middle = (low + high) // 2
            piece = self.pieces[middle]
            if piece.top + piece.height <= y:
                low = middle + 1
            else:
                high = middle
        return low

    def piece_at(self, y: float) -> Piece | None:
        """The piece covering body height ``y``, if any."""
        for piece in self.pieces[self.first_below(y) :]:
            if piece.top > y:
                return None
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


def bubble_rect(rect: QRect, measure: Measure, mine: bool) -> QRectF:
    """The bubble of a row at ``rect``: the user's on the right, replies on the left."""
    size = measure.bubble
    left = rect.right() - MARGIN_X - size.width() if mine else rect.left() + MARGIN_X
    return QRectF(left, rect.top() + MARGIN_Y, size.width(), size.height())


def visible_part(shape: QRectF, area: QRectF, margin: float) -> QRectF:
    """``shape`` cut to ``area`` and ``margin`` beyond it, above and below.

    A rounded rectangle drawn cut like this looks the same inside ``area`` when
    ``margin`` exceeds its radius and pen: the corners that moved are out of
    sight. Drawing a bubble of a million pixels whole outlines all of it.
    """
    top = max(shape.top(), area.top() - margin)
    bottom = min(shape.bottom(), area.bottom() + margin)
    if bottom <= top:
        return QRectF(shape.left(), top, shape.width(), 0.0)
    return QRectF(shape.left(), top, shape.width(), bottom - top)


def body_origin(rect: QRect, measure: Measure, mine: bool) -> QPointF:
    """Where the body's (0, 0) of a row at ``rect`` is, in the same coordinates as ``rect``."""
    bubble = bubble_rect(rect, measure, mine)
    return QPointF(bubble.left() + PAD_X, bubble.top() + PAD_Y)


def nav_rects(rect: QRect, measure: Measure, mine: bool) -> tuple[QRectF, QRectF, QRectF]:
    """The previous arrow, the ``2/3`` label and the next arrow of a row at ``rect``.

    The line sits under the bubble, on the bubble's side of the row.
    """
    bubble = bubble_rect(rect, measure, mine)
    arrow, label = measure.nav_button, measure.nav_label
    width = 2 * arrow.width() + label.width()
    left = bubble.right() - width if mine else bubble.left()
    top = bubble.bottom() + NAV_GAP
    previous = QRectF(left, top, arrow.width(), arrow.height())
    middle = QRectF(previous.right(), top, label.width(), label.height())
    following = QRectF(middle.right(), top, arrow.width(), arrow.height())
    return previous, middle, following
