"""The conversation as a list of bubbles that follows a growing reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView

from deskchat.chat.conversation import ChatMessage

from .message_model import MessageModel
from .own_viewport import own_viewport

if TYPE_CHECKING:
    from .bubble_delegate import BubbleDelegate
    from .found_words import FoundWords
    from .message_overlays import HoverBar, JumpButton
    from .message_reading import MessageReading

__all__ = ["Bubbles", "MessageView"]

BOTTOM_SLACK = 4
"""Pixels from the bottom that still count as "at the bottom"."""
CLIPPED = 32_767
"""QListView keeps an item's height in 16 bits: a taller row's rect stops here."""


@dataclass(frozen=True)
class Bubbles:
    """What paints the messages and acts on them, made together (:meth:`MessageView.bubbles`)."""

    delegate: BubbleDelegate
    reading: MessageReading
    hover_bar: HoverBar
    jump_button: JumpButton


class MessageView(QListView):
    """Shows a :class:`MessageModel` as bubbles, kept at the bottom unless the user scrolls up.

    The bubbles (the delegate, the selection, the hover bar and the jump button) are
    made on first need: when the model gets rows, or anything asks for them. Never
    for the first frame, whose list is empty: :func:`deskchat.gui.app.main` makes
    them right after it (their modules cost ~55 ms, issue #9).

    Args:
        model: the messages to show; the view listens to it.

    Signals:
        None of its own: clicks on bubbles are :attr:`delegate`'s signals.

    Attributes:
        delegate: paints the bubbles and turns clicks on links, Copy buttons
            and version arrows into signals (wire them with :meth:`when_bubbles`).
        stick_to_bottom: whether new rows and a growing reply keep the view at
            the bottom (False once the user scrolls up).
        reading: text selection, keyboard paging, and Tab to links and Copy buttons.
        jump_button: "↓ Latest", shown while the view is scrolled up from the end.
        hover_bar: the time, model and main actions of the message under the pointer.
    """

    def __init__(self, model: MessageModel) -> None:
        super().__init__()
        # Before anything asks for viewport() (the first frame would pay ~20 ms: own_viewport).
        own_viewport(self)
        self.setModel(model)
        self._model = model
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWordWrap(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalScrollBar().setSingleStep(24)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.setFont(font)
        # Clicking or selecting in a tall message must not jump to its top.
        self.setAutoScroll(False)
        self.stick_to_bottom = True
        self._bubbles: Bubbles | None = None
        self._wiring: list[Callable[[BubbleDelegate], object]] = []
        self._connect_signals()
        if model.rowCount():
            self.bubbles()

    def _connect_signals(self) -> None:
        self._model.rows_flushed.connect(self.on_message_model_rows_flushed)
        # Rows need the bubbles: made before the first one is inserted.
        self._model.rowsAboutToBeInserted.connect(self.on_message_model_rows_about_to_be_inserted)
        self._model.modelReset.connect(self.on_message_model_reset)
        self._model.rowsInserted.connect(self.on_message_model_rows_inserted)
        scroll = self.verticalScrollBar()
        scroll.valueChanged.connect(self.on_scroll_bar_value_changed)
        scroll.rangeChanged.connect(self.on_scroll_bar_range_changed)

    # -- the bubbles, made on first need ----------------------------------------

    def bubbles(self) -> Bubbles:
        """The delegate, the selection, the hover bar and the jump button (made once)."""
        if self._bubbles is None:
            self._bubbles = self._make_bubbles()
            wiring, self._wiring = self._wiring, []
            for wire in wiring:
                wire(self._bubbles.delegate)
        return self._bubbles

    def _make_bubbles(self) -> Bubbles:
        from .bubble_delegate import BubbleDelegate
        from .message_overlays import HoverBar, JumpButton
        from .message_reading import MessageReading

        delegate = BubbleDelegate(self)
        self.setItemDelegate(delegate)
        reading = MessageReading(self, delegate)
        jump_button = JumpButton(self, self.follow)
        return Bubbles(delegate, reading, HoverBar(self, delegate), jump_button)

    def when_bubbles(self, wire: Callable[[BubbleDelegate], object]) -> None:
        """Call ``wire`` with the delegate once the bubbles are made (now, if they are)."""
        if self._bubbles is None:
            self._wiring.append(wire)
        else:
            wire(self._bubbles.delegate)

    @property
    def delegate(self) -> BubbleDelegate:
        return self.bubbles().delegate

    @property
    def reading(self) -> MessageReading:
        return self.bubbles().reading

    @property
    def hover_bar(self) -> HoverBar:
        return self.bubbles().hover_bar

    @property
    def jump_button(self) -> JumpButton:
        return self.bubbles().jump_button

    # -- rows taller than QListView can say ------------------------------------

    def visualRect(self, index: QModelIndex | QPersistentModelIndex) -> QRect:  # noqa: N802
        """The row's rect, at its true height even past 32,767 pixels.

        QListView places rows by their full heights but clips each rect it
        reports; without this, clicks, menus and painting past the clip in a
        long reply would miss it.
        """
        rect = super().visualRect(index)
        if rect.height() >= CLIPPED and index.isValid():
            below = self._model.index(index.row() + 1)
            after = super().visualRect(below) if below.isValid() else QRect()
            if after.isValid():
                rect.setBottom(after.top() - 1)
            else:
                message = self._model.message(index.row())
                rect.setHeight(self.delegate.layouts.row_size(message).height())
        return rect

    def indexAt(self, point: QPoint) -> QModelIndex:  # noqa: N802
        """The row at ``point``, also inside a row taller than 32,767 pixels."""
        index = super().indexAt(point)
        if index.isValid() or not self.viewport().rect().contains(point):
            return index
        # The last row whose top is at or above the point, if its true rect holds it.
        low, high = 0, self._model.rowCount() - 1
        while low < high:
            middle = (low + high + 1) // 2
            rect = super().visualRect(self._model.index(middle))
            if rect.isValid() and rect.top() <= point.y():
                low = middle
            else:
                high = middle - 1
        candidate = self._model.index(low)
        if (
            candidate.isValid()
            and super().visualRect(candidate).height() >= CLIPPED
            and self.visualRect(candidate).contains(point)
        ):
            return candidate
        return QModelIndex()

    def current_row(self) -> int | None:
        """The selected row, if any."""
        index = self.currentIndex()
        return index.row() if index.isValid() else None

    def follow(self) -> None:
        """Go to the bottom and stay there while replies grow (the rows back at the end)."""
        self._model.show_tail()
        self.stick_to_bottom = True
        self.scrollToBottom()

    def focus_row(self, row: int, words: tuple[str, ...] = ()) -> None:
        """Select ``row`` and show it in the middle (a search hit); stop following.

        ``words`` (the hit's matched words) are marked in the message, and the
        first of them is brought to the middle of a message taller than the view.
        """
        from .found_words import FoundWords

        index = self._model.index(row)
        self.stick_to_bottom = False
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        message = index.data(MessageModel.MessageRole)
        found = FoundWords(message, words) if words and isinstance(message, ChatMessage) else None
        self.delegate.found = found
        self.viewport().update()
        if found is not None:
            self._centre_on(index, found)

    def _centre_on(self, index: QModelIndex, found: FoundWords) -> None:
        """Scroll so the first found word is in the middle, when the row is taller than the view."""
        if self.visualRect(index).height() <= self.viewport().height():
            return
        measure, origin = self.delegate.hits.origin(self.visualRect(index), found.message)
        top = found.first_top(measure)
        if top is not None:
            scroll = self.verticalScrollBar()
            scroll.setValue(scroll.value() + int(origin.y() + top - self.viewport().height() / 2))

    def set_font_size(self, points: int) -> None:
        """Show the messages at ``points``; bubbles are measured again only if it changed."""
        font = self.font()
        if font.pointSize() != points:
            font.setPointSize(points)
            self.setFont(font)
            if self._bubbles is not None:
                self._bubbles.delegate.forget()
            self.doItemsLayout()

    @Slot(list)
    def on_message_model_rows_flushed(self, rows: list[int]) -> None:
        self.delegate.layouts.refresh_rows(self._model, rows)

    @Slot()
    def on_message_model_rows_about_to_be_inserted(self) -> None:
        self.bubbles()

    @Slot()
    def on_message_model_reset(self) -> None:
        if self._model.rowCount():
            self.bubbles()

    @Slot()
    def on_message_model_rows_inserted(self) -> None:
        if self.stick_to_bottom:
            self.scrollToBottom()

    @Slot(int)
    def on_scroll_bar_value_changed(self, value: int) -> None:
        # The bottom of rows moved up by a far jump is not the end to follow.
        at_bottom = value >= self.verticalScrollBar().maximum() - BOTTOM_SLACK
        self.stick_to_bottom = at_bottom and not self._model.later
        # Without bubbles there are no rows to scroll up from.
        if self._bubbles is not None:
            self._bubbles.jump_button.update_shown(not self.stick_to_bottom)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._bubbles is not None and self._bubbles.jump_button.isVisible():
            self._bubbles.jump_button.place()

    @Slot(int, int)
    def on_scroll_bar_range_changed(self, _minimum: int, maximum: int) -> None:
        # A growing reply keeps the view at the bottom, unless the user scrolled up.
        if self.stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)
