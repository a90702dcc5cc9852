"""The list model behind the message view: one row per bubble of one conversation.

The rows are a window over the conversation: a long one shows its last
:data:`FIRST_ROWS` messages first; the ones above them join as rows when the view
asks (:meth:`MessageModel.show_earlier`, when it is scrolled to the top), so opening
it measures only what the first frame shows. A far jump (Home, a search hit in an
old message) moves the window there (:meth:`MessageModel.show_from`) with the rest
hidden above (:attr:`~MessageModel.earlier`) and below (:attr:`~MessageModel.later`);
those below join as the view is scrolled to its bottom, and the window goes back
to the end (:meth:`MessageModel.show_tail`) for End and for a new message (#11).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import overload

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from deskchat.chat.conversation import ChatMessage, Conversation, Revision
from deskchat.chat.footer import footer
from deskchat.i18n import _

from . import markdown

__all__ = [
    "FIRST_ROWS",
    "FRAME_MS",
    "NEAR",
    "FooterRole",
    "MessageModel",
    "StoreIdRole",
    "VersionRole",
    "author",
    "footer_line",
]

FRAME_MS = 16
"""How long changes to a streaming row are gathered before the view hears of them."""
FIRST_ROWS = 20
"""How many of a conversation's last messages are rows when it is shown (the rest join later):
about three screens of ~70-word messages, measured at once for the first paint."""

MessageRole = Qt.ItemDataRole.UserRole + 1
VersionRole = Qt.ItemDataRole.UserRole + 2
"""``(version, versions)``: 1-based place among the message's versions and their count."""
FooterRole = Qt.ItemDataRole.UserRole + 3
"""The line under a bubble (str): waiting, interrupted, stopped, error, or speed and time."""
StoreIdRole = Qt.ItemDataRole.UserRole + 4
"""The message's id in the history store (int), or None while unsaved."""

NEAR = 100
"""A message at most this many messages outside the rows joins with those between
(:meth:`MessageModel.view_row`); one farther off moves the window to it."""

_Index = QModelIndex | QPersistentModelIndex
_PLAIN_KEPT = 64
"""How many messages keep their plain text for assistive technology."""


def author(message: ChatMessage) -> str:
    """Who wrote ``message``, as a screen reader says it: "You", "Assistant · model"."""
    if message.role == "user":
        return _("You")
    if message.model:
        return _("Assistant · {model}").format(model=message.model)
    return _("Assistant")


def footer_line(message: ChatMessage) -> str:
    """The line under ``message``'s bubble (its :data:`FooterRole`)."""
    if message.attachments:  # The sent files, named under the question.
        from deskchat.chat.attachments import files_line

        return files_line(message.attachments)
    return footer(message)


class MessageModel(QAbstractListModel):
    """Rows are the messages of :attr:`conversation`.

    A streaming reply changes many times a second; :meth:`touch` records the
    change and a single-shot timer turns all changes of one frame into one
    ``dataChanged`` per row, so the view repaints at most once per frame.

    Rows: the model's rows are the conversation's messages from :attr:`earlier`
    on, but for the :attr:`later` last ones (those above and below are not rows
    now; :attr:`later` is 0 but after a far jump up). Qt's rows, :meth:`message`, :meth:`row_of`
    and the signals count from the first row; the :class:`MessageList` methods the
    session calls (``append``, ``truncate``, ``replace``, ``row_of_store_id``)
    count the conversation's messages, as the session does. :meth:`conversation_row`
    and :meth:`view_row` turn one into the other.

    Signals:
        rows_flushed(list): the rows announced by one coalesced flush.
        rows_replaced(int): the rows from this one on show another branch (:meth:`replace`).
        earlier_changed(int): how many messages are above the first row now.
        later_changed(int): how many messages are below the last row now.
    """

    MessageRole = MessageRole
    VersionRole = VersionRole
    FooterRole = FooterRole
    StoreIdRole = StoreIdRole
    rows_flushed = Signal(list)
    rows_replaced = Signal(int)
    earlier_changed = Signal(int)
    later_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._conversation = Conversation()
        self._earlier = 0
        """The conversation's messages above the first row (not rows yet)."""
        self._later = 0
        """The conversation's messages below the last row (not rows now)."""
        self._pending: dict[int, ChatMessage] = {}
        self._plain_texts: dict[int, tuple[Revision, str]] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._flushed_at = 0.0
        self._timer.timeout.connect(self.flush)

    @property
    def conversation(self) -> Conversation:
        return self._conversation

    def set_conversation(self, conversation: Conversation) -> None:
        """Show another conversation, its last :data:`FIRST_ROWS` messages as rows.

        A reset: the view lays it out afresh.
        """
        self.beginResetModel()
        self._conversation = conversation
        self._earlier = max(0, len(conversation.messages) - FIRST_ROWS)
        self._later = 0
        self._pending.clear()
        self.endResetModel()
        self.earlier_changed.emit(self._earlier)
        self.later_changed.emit(0)

    @property
    def earlier(self) -> int:
        """How many of the conversation's messages are above the first row (not rows yet)."""
        return self._earlier

    @property
    def later(self) -> int:
        """How many of the conversation's messages are below the last row (not rows now)."""
        return self._later

    def show_earlier(self, count: int) -> int:
        """Make up to ``count`` of the messages above the first row rows; how many joined."""
        count = max(0, min(count, self._earlier))
        if count:
            self.beginInsertRows(QModelIndex(), 0, count - 1)
            self._earlier -= count
            self.endInsertRows()
            self.earlier_changed.emit(self._earlier)
        return count

    def show_later(self, count: int) -> int:
        """Make up to ``count`` of the messages below the last row rows; how many joined."""
        count = max(0, min(count, self._later))
        if count:
            end = self.rowCount()
            self.beginInsertRows(QModelIndex(), end, end + count - 1)
            self._later -= count
            self.endInsertRows()
            self.later_changed.emit(self._later)
        return count

    def hide_earlier(self, count: int) -> int:
        """Take up to ``count`` rows off the top (far above the view); how many went."""
        count = max(0, min(count, self.rowCount()))
        if count:
            self.beginRemoveRows(QModelIndex(), 0, count - 1)
            self._earlier += count
            self.endRemoveRows()
            self.earlier_changed.emit(self._earlier)
        return count

    def hide_later(self, count: int) -> int:
        """Take up to ``count`` rows off the bottom (far below the view); how many went."""
        count = max(0, min(count, self.rowCount()))
        if count:
            end = self.rowCount()
            self.beginRemoveRows(QModelIndex(), end - count, end - 1)
            self._later += count
            self.endRemoveRows()
            self.later_changed.emit(self._later)
        return count

    def show_from(self, first: int, count: int = FIRST_ROWS) -> None:
        """Make the conversation's messages from ``first`` on, ``count`` of them, the rows
        (a far jump); the rest are hidden above and below. A reset: only they are laid out."""
        total = len(self._conversation.messages)
        first = max(0, min(first, total - count))
        end = min(total, first + count)
        if (first, total - end) == (self._earlier, self._later):
            return
        self.beginResetModel()
        self._earlier, self._later = first, total - end
        self._pending.clear()
        self.endResetModel()
        self.earlier_changed.emit(self._earlier)
        self.later_changed.emit(self._later)

    def show_tail(self) -> None:
        """Make the rows reach the conversation's end again (End, a new message)."""
        if self._later > NEAR:
            self.show_from(len(self._conversation.messages) - FIRST_ROWS)
        else:
            self.show_later(self._later)

    @overload
    def conversation_row(self, row: int) -> int: ...
    @overload
    def conversation_row(self, row: None) -> None: ...
    def conversation_row(self, row: int | None) -> int | None:
        """The conversation's row (the session's) of the model's ``row`` (None for None)."""
        return None if row is None else row + self._earlier

    def view_row(self, row: int) -> int:
        """The model's row of the conversation's ``row``, made a row first if it is not one:
        with the messages between when it is :data:`NEAR`, else the window moves to it."""
        end = len(self._conversation.messages) - self._later
        if self._earlier - NEAR <= row < self._earlier:
            self.show_earlier(self._earlier - row)
        elif end <= row < end + NEAR:
            self.show_later(row - end + 1)
        elif not self._earlier <= row < end:
            self.show_from(row - FIRST_ROWS // 2)
        return row - self._earlier

    def prepend(self, messages: Sequence[ChatMessage]) -> None:
        """Put ``messages`` above the conversation's first (the rest of it, read later).

        They are not rows yet: they join when the view shows earlier messages.
        """
        if messages:
            self._conversation.messages[0:0] = messages
            self._earlier += len(messages)
            self.earlier_changed.emit(self._earlier)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid():
            return 0
        return len(self._conversation.messages) - self._earlier - self._later

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        message = self._conversation.messages[index.row() + self._earlier]
        if role == MessageRole:
            return message
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return message.content
        if role == VersionRole:
            return (message.version, message.versions)
        if role == FooterRole:
            return footer_line(message)
        if role == StoreIdRole:
            return message.store_id
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{author(message)}: {self._plain(message)}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return footer(message) or author(message)
        return None

    def _plain(self, message: ChatMessage) -> str:
        """The message as plain text (a reply's markdown without its marks), kept per revision."""
        if message.reply is None:
            return message.text
        kept = self._plain_texts.get(message.id)
        if kept is None or kept[0] != message.revision:
            kept = (message.revision, markdown.plain(message.content))
            self._plain_texts[message.id] = kept
            if len(self._plain_texts) > _PLAIN_KEPT:
                del self._plain_texts[next(iter(self._plain_texts))]
        return kept[1]

    def roleNames(self) -> dict[int, QByteArray]:  # noqa: N802
        names = dict(super().roleNames())
        names[VersionRole] = QByteArray(b"version")
        names[FooterRole] = QByteArray(b"footer")
        names[StoreIdRole] = QByteArray(b"storeId")
        return names

    def message(self, row: int) -> ChatMessage:
        """The message of the model's ``row``."""
        return self._conversation.messages[row + self._earlier]

    def append(self, message: ChatMessage) -> int:
        """Add a message to the shown conversation; return its conversation row."""
        return self.extend([message])

    def extend(self, messages: Iterable[ChatMessage]) -> int:
        """Add many messages in one insert; return the last one's conversation row.

        The rows first go back to the end, if they were moved up (a far jump).
        """
        batch = list(messages)
        if batch and self._later:
            self.show_tail()
        first = self.rowCount()
        if batch:
            self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
            for message in batch:
                self._conversation.add(message)
            self.endInsertRows()
        return len(self._conversation.messages) - 1

    def truncate(self, row: int) -> None:
        """Remove the messages from the conversation's ``row`` to the end (a branch is replaced)."""
        messages = self._conversation.messages
        if not 0 <= row < len(messages):
            return
        end = len(messages) - self._later
        if row >= end:  # only messages below the rows
            self._later -= len(messages) - row
            del messages[row:]
            self.later_changed.emit(self._later)
            return
        first = self.view_row(row)
        later = self._later
        self.beginRemoveRows(QModelIndex(), first, self.rowCount() - 1)
        del messages[row:]
        self._later = 0
        self.endRemoveRows()
        if later:
            self.later_changed.emit(0)

    def replace(self, row: int, messages: Sequence[ChatMessage]) -> None:
        """Show ``messages`` from ``row`` on (another branch), the view staying where it is.

        Rows in both change in place (``dataChanged``), only the difference is
        removed or inserted: no reset, so the scroll position and the current
        row stay. The title does not change (switching versions is not editing).
        """
        shown = self._conversation.messages
        row = max(0, min(row, len(shown)))
        at = self.view_row(row)  # the model's row of the conversation's
        batch = list(messages)
        rows = self.rowCount() - at  # the rows from there on
        # Rows after a far jump up stay as many; the rest of the branch is below them.
        later, self._later = self._later, 0
        now = len(batch) if not later else min(len(batch), rows)
        kept = min(now, rows)
        del shown[row + rows :]  # those below the rows, if any
        if rows > kept:
            self.beginRemoveRows(QModelIndex(), at + kept, at + rows - 1)
            del shown[row + kept :]
            self.endRemoveRows()
        if kept:
            for old in shown[row : row + kept]:
                self._pending.pop(old.id, None)
            shown[row : row + kept] = batch[:kept]
            self.dataChanged.emit(self.index(at), self.index(at + kept - 1))
            self.rows_flushed.emit(list(range(at, at + kept)))
        if now > kept:
            self.beginInsertRows(QModelIndex(), at + kept, at + now - 1)
            shown.extend(batch[kept:now])
            self.endInsertRows()
        shown.extend(batch[now:])
        self._later = len(batch) - now
        if self._later != later:
            self.later_changed.emit(self._later)
        self.rows_replaced.emit(at)

    def row_of_store_id(self, store_id: int) -> int | None:
        """The conversation's row of the stored message ``store_id``, if it is there."""
        for row, message in enumerate(self._conversation.messages):
            if message.store_id == store_id:
                return row
        return None

    def touch(self, message: ChatMessage) -> None:
        """Note that ``message`` changed; the view hears of it within a frame.

        The first change after a quiet frame is announced at the next turn of the
        event loop (a reply's first words show at once); later ones wait for the
        frame to end, so the view hears at most once a frame.
        """
        self._pending[message.id] = message
        if not self._timer.isActive():
            since = (time.monotonic() - self._flushed_at) * 1000
            self._timer.start(max(0, int(FRAME_MS - since)))

    def flush(self) -> None:
        """Announce every pending change now, one ``dataChanged`` per row."""
        self._timer.stop()
        self._flushed_at = time.monotonic()
        pending, self._pending = self._pending, {}
        rows = [row for row in map(self._row_of, pending.values()) if row is not None]
        for row in rows:
            index = self.index(row)
            self.dataChanged.emit(index, index)
        if rows:
            self.rows_flushed.emit(rows)

    def row_of(self, message: ChatMessage) -> int | None:
        """The model's row showing ``message``; None when it is not a row (another
        conversation is shown, or it is above the first row)."""
        return self._row_of(message)

    def _row_of(self, message: ChatMessage) -> int | None:
        messages = self._conversation.messages
        # The streaming message is nearly always the last: search from the end.
        for row in range(len(messages) - self._later - 1, self._earlier - 1, -1):
            if messages[row] is message:
                return row - self._earlier
        return None
