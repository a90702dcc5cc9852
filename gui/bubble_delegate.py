"""Paints messages as chat bubbles, and turns clicks on them into signals.

Measuring and caching live in :class:`~gui.bubble_layouts.BubbleLayouts`
(sizes, markdown renders within a budget, the catch-up timer) and hit testing
in :class:`~gui.bubble_hits.BubbleHits`; this delegate paints what they
measured, only the lines inside the visible area. A reply's segment that is
not rendered yet is drawn as plain text, so new text still shows every frame.

Replies are markdown (:mod:`gui.markdown`) shown in inert documents, which
never load a resource. A click on a link emits :attr:`BubbleDelegate.link_clicked`
(the window asks before opening it); each code block has a Copy button, which
emits :attr:`BubbleDelegate.copy_requested` and says "Copied" for a moment.
The line under a bubble is the model's ``FooterRole`` (:mod:`chat.footer`), and a
message with several versions gets ``‹ 2/3 ›`` under its bubble: clicking an
arrow emits :attr:`BubbleDelegate.version_step_requested`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from deskchat.chat.conversation import ChatMessage
from deskchat.i18n import _

from . import markdown
from .bubble_hits import BubbleHits
from .bubble_layouts import BubbleLayouts
from .bubble_marks import chosen_ranges, chosen_selections, paint_focus_target
from .bubble_parts import (
    COPIED,
    COPY,
    GAP,
    Index,
    Measure,
    Piece,
    bubble_rect,
    nav_rects,
    visible_part,
)
from .bubble_select import Spot
from .code_scroll import CODE_RADIUS, CodeScroll
from .found_words import FoundWords
from .message_model import FooterRole, MessageModel

__all__ = ["BubbleDelegate"]

log = logging.getLogger("deskchat.gui")

RADIUS = 14
COPIED_MS = 1500
"""How long a Copy button says "Copied"."""


class BubbleDelegate(QStyledItemDelegate):
    """Draws user messages right, replies left, using the view's palette.

    Args:
        view: the list view; its viewport width decides how wide bubbles get.

    Signals:
        version_step_requested(int, int): a version arrow was clicked: the row,
            and -1 (previous) or +1 (next).
        link_clicked(str): a link was clicked: its address (not opened yet).
        copy_requested(str): a code block's Copy button was clicked: its code.

    Attributes:
        layouts: the rows' measures (sizes, renders, their counters).
        hits: what is where in a row (links, Copy buttons, version arrows).
        painted_rows: every row painted since the last reset (for tests).
        found: the words of the search hit shown, marked in their message, or None.
        selection: the selected text: ``(message id, first, last)`` spots
            (:mod:`gui.bubble_select`), or None; set by the view.
        focus_target: the link or Copy button the keyboard is on: ``(message id,
            rect in body coordinates)``, or None; set by the view.
        code: how far code blocks are scrolled sideways (:class:`~gui.code_scroll.CodeScroll`).
    """

    version_step_requested = Signal(int, int)
    link_clicked = Signal(str)
    copy_requested = Signal(str)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self.layouts = BubbleLayouts(view)
        self.layouts.size_hint_changed.connect(self.sizeHintChanged)
        self.layouts.file_chips.thumbnail_ready.connect(view.viewport().update)
        self.hits = BubbleHits(view, self.layouts)
        self.painted_rows: list[int] = []
        self.found: FoundWords | None = None
        self.selection: tuple[int, Spot, Spot] | None = None
        self.focus_target: tuple[int, QRectF] | None = None
        self.code = CodeScroll(view)
        # Paint state: the (message id, code block) whose button says "Copied".
        self._copied: tuple[int, int] | None = None
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(COPIED_MS)
        self._copied_timer.timeout.connect(self._on_copied_timer_timeout)
        # Mouse moves without a button pressed reach the filter only with tracking on.
        self._viewport = view.viewport()
        self._viewport.setMouseTracking(True)
        self._viewport.installEventFilter(self)

    def forget(self) -> None:
        """Drop cached layouts and renders (after a font or palette change)."""
        self.layouts.forget()

    @property
    def versions_enabled(self) -> bool:
        """Whether the version arrows react (not while a reply streams)."""
        return self.hits.versions_enabled

    def set_versions_enabled(self, enabled: bool) -> None:
        """Let the version arrows react, or dim them (while a reply streams)."""
        if enabled != self.hits.versions_enabled:
            self.hits.versions_enabled = enabled
            self._view.viewport().update()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            return super().sizeHint(option, index)
        return self.layouts.size_hint(message, str(index.data(FooterRole) or ""))

    # -- pointing and clicking ---------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A pointing hand over links and Copy buttons; markdown preloads at the first paint
        with a message on it."""
        # The event type first: while the view is destroyed, other events still
        # pass through here, and the view must not be touched then.
        if event.type() == QEvent.Type.Paint:
            # The window is up and holds a message (a chat opened, or a question
            # sent, its reply on the way): import the markdown parser before the
            # reply needs it. Not for an empty chat: an idle window does not keep
            # the parser and highlighter (~5 MB) it may never use.
            model = self._view.model()
            if model is not None and model.rowCount() > 0:
                markdown.preload_in_background()
        elif event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if watched is self._viewport and not event.buttons():
                position = event.position().toPoint()
                index = self._view.indexAt(position)
                hit = self.hits.hit_test(index, position) if index.isValid() else None
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
        index: Index,
    ) -> bool:
        """Tooltips name a link's full address; a bubble itself has none.

        The model offers the whole message as a tooltip, which repeats the
        bubble and, for a long reply, would be a screenful of text.
        """
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        rect: QRect = option.rect
        hit = self.hits.hit_test(index, event.pos(), rect)
        if hit is None:
            QToolTip.hideText()
        elif hit.kind in ("link", "version", "reasoning"):
            QToolTip.showText(event.globalPos(), hit.value, view.viewport())
        else:
            QToolTip.showText(event.globalPos(), _("Copy this code"), view.viewport())
        return True

    def editorEvent(  # noqa: N802
        self,
        event: QEvent,
        model: object,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        """Clicks on links, Copy buttons and version arrows become this delegate's signals."""
        kinds = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease)
        if event.type() not in kinds or not isinstance(event, QMouseEvent):
            return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        rect: QRect = option.rect
        hit = self.hits.hit_test(index, event.position().toPoint(), rect)
        if hit is None:
            return False
        if event.type() == QEvent.Type.MouseButtonRelease:
            if hit.kind == "copy":
                self._show_copied(index, hit.block)
                self.copy_requested.emit(hit.value)
            elif hit.kind == "version":
                self.version_step_requested.emit(index.row(), hit.step)
            elif hit.kind == "reasoning":
                message = index.data(MessageModel.MessageRole)
                if isinstance(message, ChatMessage):
                    self.layouts.toggle_reasoning(message)
            else:
                self.link_clicked.emit(hit.value)
        return True

    def press_copy(self, index: Index, block: int, code: str) -> None:
        """Do what a click on code block ``block``'s Copy button of row ``index`` does."""
        self._show_copied(index, block)
        self.copy_requested.emit(code)

    def _show_copied(self, index: Index, block: int) -> None:
        """Show "Copied" on code block ``block``'s button of row ``index`` for a moment."""
        message = index.data(MessageModel.MessageRole)
        if isinstance(message, ChatMessage):
            self._copied = (message.id, block)
            self._copied_timer.start()
            self._view.viewport().update()

    def _on_copied_timer_timeout(self) -> None:
        self._copied = None
        self._view.viewport().update()

    # -- painting --------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        message = index.data(MessageModel.MessageRole)
        if not isinstance(message, ChatMessage):
            super().paint(painter, option, index)
            return
        self.painted_rows.append(index.row())
        palette = option.palette
        rect: QRect = option.rect
        mine = message.role == "user"
        measure, origin = self.hits.origin(rect, message, str(index.data(FooterRole) or ""))
        bubble = bubble_rect(rect, measure, mine)
        fill, ink = self._colors(palette, mine, message)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen if mine else palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(fill)
        # Only the part on screen is outlined (a long reply's bubble is a million px).
        viewport = QRectF(self._view.viewport().rect())
        outline = bubble.adjusted(0.5, 0.5, -0.5, -0.5)
        painter.drawRoundedRect(visible_part(outline, viewport, 2 * RADIUS), RADIUS, RADIUS)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            ring = bubble.adjusted(-1.5, -1.5, 1.5, 1.5)
            painter.drawRoundedRect(visible_part(ring, viewport, 2 * RADIUS), RADIUS, RADIUS)

        # The viewport in body coordinates: only what is inside it is drawn.
        visible = viewport.translated(-origin)
        first = measure.first_below(visible.top())
        for number, piece in enumerate(measure.pieces[first:], first):
            if piece.top > visible.bottom():
                break
            if piece.top + piece.height < visible.top():
                continue
            if piece.document is not None:
                self._paint_document(
                    painter, measure, piece, message, origin, visible, ink, piece_number=number
                )
            if piece.layout is not None:
                # The reasoning is quieter than the reply.
                painter.setPen(self._footer_color(palette, mine, message) if piece.kind else ink)
                top = QPointF(origin.x(), origin.y() + piece.layout_top)
                found = self._found_for(message)
                marks = [] if found is None else found.ranges(piece.layout)
                marks = marks + chosen_ranges(
                    self.selection, palette, mine, message, number, piece.layout
                )
                piece.layout.draw(painter, top, marks, visible.translated(origin))
        if measure.footer:
            footer_top = origin.y() + measure.body.height() + (GAP if measure.body.height() else 0)
            painter.setFont(self.layouts.small_font())
            painter.setPen(self._footer_color(palette, mine, message))
            box = QRect(QPointF(origin.x(), footer_top).toPoint(), measure.footer_size)
            if message.attachments:  # The sent files as chips (gui/bubble_files).
                chips = self.layouts.file_chips
                chips.paint(painter, box.topLeft(), measure.text_width, message.attachments,
                            painter.font(), painter.pen().color())  # fmt: skip
            else:
                painter.drawText(box, int(Qt.TextFlag.TextWordWrap), measure.footer)
        if measure.nav is not None:
            self._paint_nav(painter, palette, rect, measure, mine)
        paint_focus_target(painter, palette, self.focus_target, message, origin)
        painter.restore()

    def _paint_nav(
        self, painter: QPainter, palette: QPalette, rect: QRect, measure: Measure, mine: bool
    ) -> None:
        """``‹ 2/3 ›`` under the bubble; an arrow that cannot be used is dimmed."""
        assert measure.nav is not None
        version, versions = measure.nav
        previous, label, following = nav_rects(rect, measure, mine)
        ink = palette.color(QPalette.ColorRole.Text)
        dim = QColor(ink)
        dim.setAlphaF(0.3)
        centre = int(Qt.AlignmentFlag.AlignCenter)
        painter.setFont(self.layouts.small_font())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for step, arrow, glyph in ((-1, previous, "‹"), (1, following, "›")):
            painter.setPen(ink if self.hits.can_step(measure, step) else dim)
            painter.drawText(arrow, centre, glyph)
        painter.setPen(ink if self.versions_enabled else dim)
        painter.drawText(label, centre, f"{version}/{versions}")

    def _paint_document(
        self,
        painter: QPainter,
        measure: Measure,
        piece: Piece,
        message: ChatMessage,
        origin: QPointF,
        visible: QRectF,
        ink: QColor,
        piece_number: int = 0,
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
        shown = []
        for number, (background, button) in enumerate(piece.geometry.code):
            if not background.intersects(clip):
                continue
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(look.code_background))
            painter.drawRoundedRect(background, CODE_RADIUS, CODE_RADIUS)
            shown.append((number, background, button))
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, ink)
        # Code lines never wrap: whatever is wider than the bubble is cut at its edge.
        context.clip = clip.intersected(QRectF(0, clip.top(), measure.text_width, clip.height()))
        found = self._found_for(message)
        if found is not None:
            context.selections = found.selections(document)
        chosen = chosen_selections(
            self.selection, self._view.palette(), message, piece_number, document
        )
        if chosen:
            context.selections = [*context.selections, *chosen]
        layout = document.documentLayout()
        painter.save()
        painter.setClipRect(context.clip, Qt.ClipOperation.IntersectClip)
        layout.draw(painter, context)
        painter.restore()
        for number, background, button in shown:
            block = piece.code_base + number
            shift = self.code.offset(message, block)
            if shift:
                # Scrolled sideways: this block again, moved left, inside its background.
                painter.save()
                area = background.intersected(context.clip)
                painter.setClipRect(area, Qt.ClipOperation.IntersectClip)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(look.code_background))
                painter.drawRect(area)
                painter.translate(-shift, 0)
                moved = QAbstractTextDocumentLayout.PaintContext()
                moved.palette = context.palette
                moved.selections = context.selections
                moved.clip = area.translated(shift, 0)
                layout.draw(painter, moved)
                painter.restore()
            self.code.paint_bar(painter, piece, number, background, look, shift)
            copied = self._copied == (message.id, block)
            self._paint_copy_button(painter, button, look, copied)
        painter.restore()

    def _found_for(self, message: ChatMessage) -> FoundWords | None:
        """The search hit's words when ``message`` is the one it opened."""
        found = self.found
        return found if found is not None and found.message is message else None

    def _paint_copy_button(
        self, painter: QPainter, button: QRectF, look: markdown.Theme, copied: bool
    ) -> None:
        painter.setPen(QColor(look.rule))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(button.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.setFont(self.layouts.small_font())
        painter.setPen(QColor(look.muted))
        painter.drawText(
            button, int(Qt.AlignmentFlag.AlignCenter), _(COPIED) if copied else _(COPY)
        )

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
