"""The left side of the window: New chat, search, and the conversations (rename, delete, undo)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from deskchat.chat.session import ChatSession
from deskchat.i18n import _
from deskchat.store import SearchHit

from .menus import Menus
from .search_panel import SearchBox, SearchResults

__all__ = ["SEARCH_DELAY_MS", "UNDO_MS", "Sidebar"]

_ID_ROLE = Qt.ItemDataRole.UserRole + 1
UNDO_MS = 10_000
"""How long the Undo button stays after a conversation is deleted."""
SEARCH_DELAY_MS = 150
"""Typing pauses this long before the history is searched."""


class Sidebar(QWidget):
    """Lists the session's conversations; searching replaces the list with hits in messages.

    Typing in the search box filters the list by title at once; with a
    history, the messages are searched too once typing pauses for
    :data:`SEARCH_DELAY_MS`. A deleted conversation can be brought back with
    :attr:`undo_button` (shown in the window's status bar) for :data:`UNDO_MS`.

    Args:
        session: the chat session whose conversations are listed.
        menus: the Rename and Delete actions its context menu offers.
        spawn: runs a coroutine as a task the window keeps (the history search).

    Signals:
        status_message(str, int): a line for the status bar, and how long it
            stays in milliseconds (0: until the next one).

    Attributes:
        new_chat_button, search_box, conversation_list, search_results: its widgets.
        undo_button: brings the last deleted conversation back (the window places it).
    """

    status_message = Signal(str, int)

    def __init__(
        self,
        session: ChatSession,
        menus: Menus,
        spawn: Callable[[Coroutine[Any, Any, Any]], object],
    ) -> None:
        super().__init__()
        self._session = session
        self._menus = menus
        self._spawn = spawn
        self._undo_id: int | None = None
        self._renaming = False
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        self.new_chat_button = QPushButton(_("New chat"))
        self.new_chat_button.setToolTip(_("Start a new conversation (Ctrl+N)"))
        self.search_box = SearchBox()
        self.search_box.setPlaceholderText(_("Search chats (Ctrl+F)"))
        self.search_box.setAccessibleName(_("Search chats"))
        self.search_box.setAccessibleDescription(
            _("Finds conversations by their titles and by the words in their messages")
        )
        listing = self.conversation_list = QListWidget()
        listing.setAccessibleName(_("Conversations"))
        listing.setAccessibleDescription(
            _("Your conversations, the newest first: F2 renames one, Delete deletes it")
        )
        listing.setFrameShape(QFrame.Shape.NoFrame)
        listing.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        listing.setTextElideMode(Qt.TextElideMode.ElideRight)
        listing.setUniformItemSizes(True)
        # Padding only: colours still come from the palette, so dark mode follows.
        listing.setStyleSheet(
            "QListWidget::item { padding: 7px 6px; border-radius: 6px; }"
            "QListWidget::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }"
        )
        listing.setAutoFillBackground(False)
        listing.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        listing.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.search_results = SearchResults()
        self.search_results.setAccessibleName(_("Search results"))
        self.search_results.setAccessibleDescription(
            _("Messages and titles that match the search: Enter opens one")
        )
        self.search_results.hide()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        side = QVBoxLayout(self)
        side.setContentsMargins(10, 10, 6, 10)
        side.addWidget(self.new_chat_button)
        side.addWidget(self.search_box)
        side.addWidget(listing, 1)
        side.addWidget(self.search_results, 1)
        self.undo_button = QPushButton(_("Undo"))
        self.undo_button.setToolTip(_("Bring the deleted conversation back"))
        self.undo_button.hide()
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_MS)

    def _connect_signals(self) -> None:
        listing = self.conversation_list
        self.search_box.textChanged.connect(self.on_search_box_text_changed)
        self._search_timer.timeout.connect(self.on_search_timer_timeout)
        self.search_results.hit_chosen.connect(self.on_search_results_hit_chosen)
        listing.currentItemChanged.connect(self.on_conversation_list_current_changed)
        listing.itemChanged.connect(self.on_conversation_list_item_changed)
        listing.customContextMenuRequested.connect(self.on_conversation_list_context_menu_requested)
        self.undo_button.clicked.connect(self.on_undo_button_clicked)
        self._undo_timer.timeout.connect(self.on_undo_timer_timeout)

    # -- the list ----------------------------------------------------------

    def refresh(self) -> None:
        """List the session's conversations again, the shown one selected, the filter kept."""
        listing = self.conversation_list
        listing.blockSignals(True)
        listing.clear()
        for conversation in self._session.conversations.items:
            item = QListWidgetItem(conversation.title)
            item.setData(_ID_ROLE, conversation.id)
            item.setToolTip(conversation.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            listing.addItem(item)
        listing.blockSignals(False)
        self.select(self._session.conversation.id)
        self.on_search_box_text_changed(self.search_box.text())

    def select(self, conversation_id: int) -> None:
        """Mark ``conversation_id`` as the shown one, without asking the session to show it."""
        listing = self.conversation_list
        listing.blockSignals(True)
        for row in range(listing.count()):
            item = listing.item(row)
            if item.data(_ID_ROLE) == conversation_id:
                listing.setCurrentItem(item)
        listing.blockSignals(False)

    @Slot()
    def on_controller_conversations_changed(self) -> None:
        # While an item's editor commits a new title, rebuilding would delete the editor.
        if not self._renaming:
            self.refresh()

    @Slot(QListWidgetItem, QListWidgetItem)
    def on_conversation_list_current_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        if current is not None:
            self._session.select_conversation(int(current.data(_ID_ROLE)))

    @Slot(QPoint)
    def on_conversation_list_context_menu_requested(self, position: QPoint) -> None:
        item = self.conversation_list.itemAt(position)
        if item is None:
            return
        self.conversation_list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self._menus.rename_action)
        menu.addAction(self._menus.delete_conversation_action)
        menu.popup(self.conversation_list.viewport().mapToGlobal(position))

    @Slot()
    def on_rename_action_triggered(self) -> None:
        item = self.conversation_list.currentItem()
        if item is not None:
            self.conversation_list.editItem(item)

    @Slot(QListWidgetItem)
    def on_conversation_list_item_changed(self, item: QListWidgetItem) -> None:
        # The item already shows the new title; rebuilding the list now would
        # delete the editor that is still committing it.
        self._renaming = True
        try:
            self._session.rename_conversation(int(item.data(_ID_ROLE)), item.text())
        finally:
            self._renaming = False

    @Slot()
    def on_delete_conversation_action_triggered(self) -> None:
        item = self.conversation_list.currentItem()
        if item is not None:
            self._session.delete_conversation(int(item.data(_ID_ROLE)))

    @Slot(int, str)
    def on_controller_conversation_deleted(self, conversation_id: int, title: str) -> None:
        self._undo_id = conversation_id
        self.status_message.emit(_("Deleted “{title}”.").format(title=title), UNDO_MS)
        self.undo_button.show()
        self._undo_timer.start()

    @Slot()
    def on_undo_button_clicked(self) -> None:
        if self._undo_id is not None:
            self._session.restore_conversation(self._undo_id)
            self.status_message.emit(_("The conversation is back."), 3000)
        self.on_undo_timer_timeout()

    @Slot()
    def on_undo_timer_timeout(self) -> None:
        self._undo_id = None
        self._undo_timer.stop()
        self.undo_button.hide()

    # -- searching ---------------------------------------------------------

    @Slot()
    def on_find_action_triggered(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    @Slot(str)
    def on_search_box_text_changed(self, text: str) -> None:
        needle = text.casefold().strip()
        for row in range(self.conversation_list.count()):
            item = self.conversation_list.item(row)
            item.setHidden(bool(needle) and needle not in item.text().casefold())
        if self._session.history is None:
            return
        # With a history, words inside messages are found too: the results replace the list.
        searching = bool(needle)
        self.search_results.setVisible(searching)
        self.conversation_list.setVisible(not searching)
        if searching:
            self._search_timer.start()
        else:
            self._search_timer.stop()
            self.search_results.show_hits([])

    @Slot()
    def on_search_timer_timeout(self) -> None:
        self._spawn(self._search(self.search_box.text()))

    async def _search(self, text: str) -> None:
        hits = await self._session.search(text)
        # A newer search may have started while this one ran: show only the latest.
        if text == self.search_box.text() and not self._search_timer.isActive():
            self.search_results.show_hits(hits)

    @Slot(object)
    def on_search_results_hit_chosen(self, hit: SearchHit) -> None:
        self._session.open_hit(hit)
