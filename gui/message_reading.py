"""Reading the message list: selecting text with the mouse and keyboard, paging through long
messages, and reaching links and Copy buttons with Tab.

:class:`MessageReading` filters the view's key events and its viewport's mouse
events; what it does not take goes on to the view (and to the delegate, which
turns clicks on links, Copy buttons and version arrows into signals).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication

from deskchat.chat.conversation import ChatMessage

from . import bubble_select as select
from .bubble_delegate import BubbleDelegate
from .bubble_parts import Measure
from .bubble_select import Spot
from .code_scroll import CodeScroll, sideways_steps
from .message_model import FooterRole, MessageModel
from .message_paging import Paging

__all__ = ["MessageReading", "Target"]

CODE_STEP = 40
"""Pixels a code block scrolls sideways per arrow key or wheel notch."""
AUTOSCROLL_MS = 30
"""How often a drag beyond the viewport's edge scrolls it."""
EDGE_STEP = 4
"""Pixels a drag-scroll moves per pixel the pointer is beyond the edge (per tick, capped)."""

_Key = Qt.Key
_Mod = Qt.KeyboardModifier

# Shift+key extends the selection by one move of bubble_select.move.
_SHIFT_MOVES = {
    _Key.Key_Left: "left",
    _Key.Key_Right: "right",
    _Key.Key_Up: "up",
    _Key.Key_Down: "down",
    _Key.Key_Home: "line_start",
    _Key.Key_End: "line_end",
}
_CTRL_SHIFT_MOVES = {
    _Key.Key_Left: "word_left",
    _Key.Key_Right: "word_right",
    _Key.Key_Home: "start",
    _Key.Key_End: "end",
}


@dataclass(frozen=True)
class Target:
    """Something in a message the keyboard can reach: a link or a Copy button.

    Attributes:
        kind: "link", "copy" or "reasoning" (its header).
        value: the link's address, or the code to copy.
        rect: where it is, in body coordinates.
        block: for "copy", the code block's index in the message.
    """

    kind: str
    value: str
    rect: QRectF
    block: int = -1


class MessageReading(QObject):
    """Text selection, keyboard paging and Tab targets for a message view.

    Args:
        view: the message list (a :class:`~gui.message_view.MessageView`).
        delegate: the view's delegate: its measures, hit tests and paint state.

    Attributes:
        message: the message holding the selection (or the caret), if any.
        anchor, caret: where the selection began and where it ends now.
        target: the index of the Tab target in :meth:`targets` of the current row, or -1.
    """

    def __init__(self, view: QAbstractItemView, delegate: BubbleDelegate) -> None:
        super().__init__(view)
        self._view = view
        self._delegate = delegate
        self.message: ChatMessage | None = None
        self.anchor: Spot = (0, 1, 0)
        self.caret: Spot = (0, 1, 0)
        self.target = -1
        self._targets: list[Target] = []
        self._selecting = False
        self._last_pointer = QPoint()
        self._double_click = QElapsedTimer()
        self._double_click_at = QPoint()
        self._autoscroll = QTimer(self)
        self._autoscroll.setInterval(AUTOSCROLL_MS)
        self._autoscroll.timeout.connect(self._on_autoscroll_timeout)
        self._viewport = view.viewport()
        self._paging = Paging(view)
        view.installEventFilter(self)
        self._viewport.installEventFilter(self)
        model = view.model()
        model.modelReset.connect(self.clear)
        model.rowsRemoved.connect(self._on_rows_removed)
        view.selectionModel().currentChanged.connect(self._on_current_changed)

    # -- the selection -----------------------------------------------------

    def has_selection(self) -> bool:
        return self.message is not None and self.anchor != self.caret

    def selected_text(self) -> str:
        """The selected text as plain text ("" without a selection)."""
        if not self.has_selection():
            return ""
        assert self.message is not None
        return select.text_between(self._measure(self.message), self.anchor, self.caret)

    def select(self, message: ChatMessage, anchor: Spot, caret: Spot) -> None:
        """Select from ``anchor`` to ``caret`` in ``message`` (both spots of its measure)."""
        self.message, self.anchor, self.caret = message, anchor, caret
        self._show()

    def select_all(self, message: ChatMessage) -> None:
        measure = self._measure(message)
        self.select(message, select.start_spot(measure), select.end_spot(measure))

    def clear(self) -> None:
        self.message = None
        self._selecting = False
        self._autoscroll.stop()
        self._set_target(-1)
        self._show()

    def copy(self) -> bool:
        """Put the selected text on the clipboard; False when nothing is selected."""
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)
        return bool(text)

    def _show(self) -> None:
        if self.message is None or self.anchor == self.caret:
            self._delegate.selection = None
        else:
            first, last = sorted((self.anchor, self.caret))
            self._delegate.selection = (self.message.id, first, last)
        self._view.viewport().update()

    def _on_rows_removed(self) -> None:
        model = self._view.model()
        if self.message is not None and (
            not isinstance(model, MessageModel) or model.row_of(self.message) is None
        ):
            self.clear()

    def _on_current_changed(self) -> None:
        self._set_target(-1)

    # -- geometry ----------------------------------------------------------

    def _measure(self, message: ChatMessage) -> Measure:
        return self._delegate.layouts.measure(message)

    def _origin(self, message: ChatMessage) -> QPointF | None:
        """Where ``message``'s body (0, 0) is in the viewport, or None when it is not shown."""
        model = self._view.model()
        if not isinstance(model, MessageModel):
            return None
        row = model.row_of(message)
        if row is None:
            return None
        index = model.index(row)
        footer = str(index.data(FooterRole) or "")
        rect = self._view.visualRect(index)
        return self._delegate.hits.origin(rect, message, footer)[1]

    def _spot_at(self, message: ChatMessage, position: QPoint) -> Spot:
        origin = self._origin(message)
        measure = self._measure(message)
        if origin is None:
            return select.start_spot(measure)
        local = QPointF(position) - origin
        found = CodeScroll.block_at(measure, local)
        if found is not None:
            piece, number = found
            # The code block is scrolled sideways: its text sits further left.
            local += QPointF(self._delegate.code.offset(message, piece.code_base + number), 0)
        return select.spot_at(measure, local)

    def _wheel(self, event: QWheelEvent) -> bool:
        """Shift+wheel, or a sideways wheel, over a code block wider than the bubble
        scrolls that block."""
        sideways = sideways_steps(event)
        position = event.position().toPoint()
        index = self._view.indexAt(position)
        message = self._message(index.row()) if sideways and index.isValid() else None
        origin = self._origin(message) if message is not None else None
        if message is None or origin is None:
            return False
        found = CodeScroll.block_at(self._measure(message), QPointF(position) - origin)
        if found is not None:
            self._delegate.code.scroll(message, *found, -sideways * CODE_STEP)
        return found is not None

    def _scroll_target_code(self, step: int) -> bool:
        """Left/Right on a Copy button scroll its code block sideways."""
        current = self._current()
        if current is None or not 0 <= self.target < len(self._targets):
            return False
        target = self._targets[self.target]
        if target.kind != "copy":
            return False
        for piece in self._measure(current).pieces:
            number = target.block - piece.code_base
            if piece.geometry is not None and 0 <= number < len(piece.geometry.code):
                self._delegate.code.scroll(current, piece, number, step * CODE_STEP)
                return True
        return False

    def _reveal(self, message: ChatMessage, rect: QRectF) -> None:
        """Scroll just enough to show body ``rect`` of ``message``."""
        origin = self._origin(message)
        if origin is None:
            return
        shown = rect.translated(origin)
        height = self._view.viewport().height()
        scroll = self._view.verticalScrollBar()
        if shown.top() < 0:
            scroll.setValue(scroll.value() + int(shown.top()) - 8)
        elif shown.bottom() > height:
            scroll.setValue(scroll.value() + int(shown.bottom() - height) + 8)

    def _message(self, row: int) -> ChatMessage | None:
        model = self._view.model()
        if not isinstance(model, MessageModel) or not 0 <= row < model.rowCount():
            return None
        return model.message(row)

    def _current(self) -> ChatMessage | None:
        index = self._view.currentIndex()
        return self._message(index.row()) if index.isValid() else None

    # -- the mouse ---------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Only the events' own kinds first: while the view is destroyed, other
        # events still pass through here, and the view must not be touched then.
        kind = event.type()
        if watched is self._viewport and isinstance(event, QMouseEvent):
            return self._mouse(kind, event)
        if watched is self._viewport and isinstance(event, QWheelEvent):
            return self._wheel(event)
        if watched is self._view and isinstance(event, QKeyEvent):
            if kind == QEvent.Type.ShortcutOverride:
                if self._wants(event):
                    event.accept()
                    return True
                return False
            if kind == QEvent.Type.KeyPress:
                return self._key(event)
        return False

    def _mouse(self, kind: QEvent.Type, event: QMouseEvent) -> bool:
        position = event.position().toPoint()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            return self._press(position, event)
        if kind == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            return self._double(position)
        if kind == QEvent.Type.MouseMove and self._selecting:
            self._drag(position)
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._selecting:
            self._drag(position)
            self._selecting = False
            self._autoscroll.stop()
            return True
        return False

    def _press(self, position: QPoint, event: QMouseEvent) -> bool:
        view = self._view
        index = view.indexAt(position)
        if index.isValid() and self._delegate.hits.hit_test(index, position) is not None:
            return False  # A link, Copy button or version arrow: the delegate's.
        message = self._message(index.row()) if index.isValid() else None
        view.setFocus(Qt.FocusReason.MouseFocusReason)
        if message is None:
            self.clear()
            return True
        view.setCurrentIndex(index)
        spot = self._spot_at(message, position)
        triple = (
            self._double_click.isValid()
            and self._double_click.elapsed() < QApplication.doubleClickInterval()
            and (position - self._double_click_at).manhattanLength()
            < QApplication.startDragDistance()
        )
        self._double_click.invalidate()
        measure = self._measure(message)
        if triple:
            self.select(message, *select.paragraph_at(measure, spot))
            return True
        if event.modifiers() & _Mod.ShiftModifier and self.message is message:
            self.select(message, self.anchor, spot)
        else:
            self.select(message, spot, spot)
        self._selecting = True
        self._last_pointer = position
        return True

    def _double(self, position: QPoint) -> bool:
        index = self._view.indexAt(position)
        message = self._message(index.row()) if index.isValid() else None
        if message is None or self._delegate.hits.hit_test(index, position) is not None:
            return False
        spot = self._spot_at(message, position)
        self.select(message, *select.word_at(self._measure(message), spot))
        self._double_click.start()
        self._double_click_at = position
        self._selecting = False
        return True

    def _drag(self, position: QPoint) -> None:
        self._last_pointer = position
        if self.message is None:
            return
        self.caret = self._spot_at(self.message, position)
        self._show()
        height = self._view.viewport().height()
        if position.y() < 0 or position.y() > height:
            if not self._autoscroll.isActive():
                self._autoscroll.start()
        else:
            self._autoscroll.stop()

    def _on_autoscroll_timeout(self) -> None:
        y = self._last_pointer.y()
        height = self._view.viewport().height()
        beyond = y if y < 0 else max(y - height, 0)
        if not self._selecting or beyond == 0:
            self._autoscroll.stop()
            return
        scroll = self._view.verticalScrollBar()
        step = max(-height, min(height, beyond * EDGE_STEP))
        scroll.setValue(scroll.value() + step)
        self._drag(self._last_pointer)

    # -- the keyboard ------------------------------------------------------

    def _wants(self, event: QKeyEvent) -> bool:
        """Whether a key that is also a shortcut means something here first."""
        if event.matches(QKeySequence.StandardKey.Copy):
            return self.has_selection()
        if event.matches(QKeySequence.StandardKey.SelectAll):
            return self._current() is not None
        key = event.key()
        if key in (_Key.Key_Return, _Key.Key_Enter, _Key.Key_Space):
            return self.target >= 0 and event.modifiers() == _Mod.NoModifier
        return False

    def _key(self, event: QKeyEvent) -> bool:
        key = Qt.Key(event.key())
        modifiers = event.modifiers() & ~_Mod.KeypadModifier
        if event.matches(QKeySequence.StandardKey.Copy):
            return self.copy()
        if event.matches(QKeySequence.StandardKey.SelectAll):
            current = self._current()
            if current is not None:
                self.select_all(current)
            return current is not None
        if key in (_Key.Key_Tab, _Key.Key_Backtab):
            return self._tab(key == _Key.Key_Tab and not modifiers & _Mod.ShiftModifier)
        if key in (_Key.Key_Return, _Key.Key_Enter, _Key.Key_Space) and self.target >= 0:
            return self._activate()
        if key in (_Key.Key_Left, _Key.Key_Right) and modifiers == _Mod.NoModifier:
            return self._scroll_target_code(1 if key == _Key.Key_Right else -1)
        if modifiers == _Mod.ShiftModifier and key in _SHIFT_MOVES:
            return self._extend(_SHIFT_MOVES[key])
        shift_ctrl = _Mod.ShiftModifier | _Mod.ControlModifier
        if modifiers == shift_ctrl and key in _CTRL_SHIFT_MOVES:
            return self._extend(_CTRL_SHIFT_MOVES[key])
        if modifiers in (_Mod.NoModifier, _Mod.ControlModifier):
            return self._paging.navigate(key, modifiers == _Mod.ControlModifier)
        return False

    def _extend(self, how: str) -> bool:
        """Move the caret of the current message's selection by ``how``, keeping its anchor."""
        current = self._current()
        if current is None:
            return False
        measure = self._measure(current)
        if self.message is not current:
            start = self._first_visible_spot(current, measure)
            self.message, self.anchor, self.caret = current, start, start
        self.caret = select.move(measure, self.caret, how)
        self._show()
        self._reveal(current, select.caret_rect(measure, self.caret))
        return True

    def _first_visible_spot(self, message: ChatMessage, measure: Measure) -> Spot:
        """The message's start, or the first position inside the viewport when its start
        is scrolled away above."""
        origin = self._origin(message)
        if origin is None or origin.y() >= 0:
            return select.start_spot(measure)
        return select.spot_at(measure, QPointF(0, -origin.y()))

    # -- links and Copy buttons by keyboard ----------------------------------

    def targets(self, message: ChatMessage) -> list[Target]:
        """The links and Copy buttons of ``message``, in reading order."""
        return [
            Target(hit.kind, hit.value, rect, hit.block)
            for hit, rect in self._delegate.hits.targets(self._measure(message))
        ]

    def _tab(self, forward: bool) -> bool:
        """Tab moves to the current message's next link or Copy button; past the last one
        it leaves the view."""
        current = self._current()
        if current is None:
            return False
        if self.target < 0:
            self._targets = self.targets(current)
            number = 0 if forward else len(self._targets) - 1
        else:
            number = self.target + (1 if forward else -1)
        if not 0 <= number < len(self._targets):
            self._set_target(-1)
            return False
        self._set_target(number)
        self._reveal(current, self._targets[number].rect)
        return True

    def _set_target(self, number: int) -> None:
        self.target = number
        current = self._current()
        if number < 0 or current is None or number >= len(self._targets):
            self.target = -1
            self._delegate.focus_target = None
        else:
            self._delegate.focus_target = (current.id, self._targets[number].rect)
        self._view.viewport().update()

    def _activate(self) -> bool:
        if not 0 <= self.target < len(self._targets):
            return False
        target = self._targets[self.target]
        index = self._view.currentIndex()
        if target.kind == "copy":
            self._delegate.press_copy(index, target.block, target.value)
        elif target.kind == "reasoning":
            current = self._current()
            if current is not None:
                self._delegate.layouts.toggle_reasoning(current)
                # The pieces below it moved: their places are found again.
                self._targets = self.targets(current)
                self._set_target(self.target)
        else:
            self._delegate.link_clicked.emit(target.value)
        return True
