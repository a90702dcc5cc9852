"""The main window: conversations on the left, messages and the input on the right."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from deskchat.chat.conversation import ChatMessage, Conversations
from deskchat.chat.local_servers import LocalModel, LocalServers
from deskchat.provider import ProviderError
from deskchat.store import AsyncStore, SearchHit, Settings

from .about import AboutDialog, app_icon
from .bubble_delegate import BubbleDelegate
from .controller import ChatController
from .errors import show_error
from .input_box import InputBox
from .links import LinkOpener
from .message_model import MessageModel
from .search_panel import SearchResults
from .settings_dialog import SettingsDialog
from .theme import apply_theme
from .transfer import Transfer

__all__ = ["MainWindow"]

log = logging.getLogger("deskchat.gui")

_ID_ROLE = Qt.ItemDataRole.UserRole + 1
UNDO_MS = 10_000
"""How long the Undo button stays after a conversation is deleted."""
SEARCH_DELAY_MS = 150
"""Typing pauses this long before the history is searched."""


class MainWindow(QMainWindow):
    """DeskChat's window. Builds its widgets, the model and the controller.

    Args:
        chat_provider: what streams replies.
        model_name: the model to preselect; None for the provider's default.
        conversations: conversations to show (used when there is no history store).
        history: the open history store; None keeps conversations in memory only.
        notice: a sentence to show in the status bar at start (e.g. the
            store's recovery notice), or None.
        settings: the user's settings (applied now, edited in the settings
            dialog); None leaves the defaults and offers no dialog.
        provider_factory: builds a provider from saved settings, so a new
            provider or server takes effect without a restart.
        local_servers: finds model servers on this computer once the window
            is shown; their models join the model picker. None looks for none.

    Signals:
        closed(): the window has closed and no reply task is left running.
    """

    closed = Signal()

    def __init__(
        self,
        chat_provider: Any,
        *,
        model_name: str | None = None,
        conversations: Conversations | None = None,
        history: AsyncStore | None = None,
        notice: str | None = None,
        settings: Settings | None = None,
        provider_factory: Callable[[Settings], Any] | None = None,
        local_servers: LocalServers | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("DeskChat")
        self.setWindowIcon(app_icon())
        self.resize(980, 680)
        self.message_model = MessageModel(self)
        self.controller = ChatController(
            chat_provider,
            self.message_model,
            model_name=model_name,
            conversations=conversations,
            history=history,
            parent=self,
        )
        self.session = self.controller.session
        self._notice = notice
        self.settings = settings
        self._provider_factory = provider_factory
        self.local_servers = local_servers
        self.local_models: list[LocalModel] = []
        # The provider whose models head the picker; a local model's provider replaces
        # it for replies only until one of these is chosen again.
        self._main_provider: tuple[Any, str] = (chat_provider, self.session.provider_id)
        self.settings_dialog: SettingsDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self.data_dir: Path | None = None
        """The data folder the About dialog names (None: the default one)."""
        self.delete_confirmation: QMessageBox | None = None
        self.transfer = Transfer(history, self, self._spawn) if history is not None else None
        self._editing: ChatMessage | None = None
        self._undo_id: int | None = None
        self._renaming = False
        self._closing = False
        self._closed = False
        self._stick_to_bottom = True
        self._background: set[asyncio.Task[Any]] = set()
        self._build()
        self._build_actions()
        self._connect_signals()
        self._refresh_conversations()
        if settings is not None:
            self.apply_settings(settings, initial=True)
        if notice:
            self.statusBar().showMessage(notice)
        self.input_box.setFocus()

    # -- building ----------------------------------------------------------

    def _build(self) -> None:
        self.new_chat_button = QPushButton("New chat")
        self.new_chat_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search chats (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        self.conversation_list = QListWidget()
        self.conversation_list.setFrameShape(QFrame.Shape.NoFrame)
        self.conversation_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversation_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conversation_list.setUniformItemSizes(True)
        # Padding only: colours still come from the palette, so dark mode follows.
        self.conversation_list.setStyleSheet(
            "QListWidget::item { padding: 7px 6px; border-radius: 6px; }"
            "QListWidget::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }"
        )
        self.conversation_list.setAutoFillBackground(False)
        self.conversation_list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.conversation_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.search_results = SearchResults()
        self.search_results.hide()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        sidebar = QWidget()
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(10, 10, 6, 10)
        side.addWidget(self.new_chat_button)
        side.addWidget(self.search_box)
        side.addWidget(self.conversation_list, 1)
        side.addWidget(self.search_results, 1)

        self.model_picker = QComboBox()
        self.model_picker.setToolTip("The model that answers")
        self.model_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model:"))
        top.addWidget(self.model_picker)
        top.addStretch(1)

        self.message_view = QListView()
        self.message_view.setModel(self.message_model)
        self.message_view.setUniformItemSizes(False)
        self.message_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.message_view.setLayoutMode(QListView.LayoutMode.Batched)
        self.message_view.setBatchSize(200)
        self.message_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.message_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.message_view.setFrameShape(QFrame.Shape.NoFrame)
        self.message_view.setWordWrap(True)
        self.message_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.message_view.verticalScrollBar().setSingleStep(24)
        font = self.message_view.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.message_view.setFont(font)
        self.delegate = BubbleDelegate(self.message_view)
        self.message_view.setItemDelegate(self.delegate)
        self.links = LinkOpener(self)

        self.retry_label = QLabel("The last reply failed.")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Send the conversation again (Ctrl+R)")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Ask the model to finish the reply (Ctrl+Shift+Enter)")
        self.continue_button.hide()
        self.retry_bar = QWidget()
        bar = QHBoxLayout(self.retry_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.retry_label, 1)
        bar.addWidget(self.retry_button)
        bar.addWidget(self.continue_button)
        self.retry_bar.hide()

        self.edit_label = QLabel("Editing a message: Enter sends it as a new version, Esc cancels.")
        self.edit_label.hide()

        self.input_box = InputBox()
        self.input_box.setFixedHeight(self.input_box.fontMetrics().lineSpacing() * 3 + 18)
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.setMinimumWidth(80)
        bottom = QHBoxLayout()
        bottom.addWidget(self.input_box, 1)
        bottom.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        chat = QWidget()
        right = QVBoxLayout(chat)
        right.setContentsMargins(6, 10, 10, 10)
        right.addLayout(top)
        right.addWidget(self.message_view, 1)
        right.addWidget(self.retry_bar)
        right.addWidget(self.edit_label)
        right.addLayout(bottom)

        splitter = QSplitter()
        splitter.addWidget(sidebar)
        splitter.addWidget(chat)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 750])
        self.setCentralWidget(splitter)
        self.statusBar().setSizeGripEnabled(False)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Bring the deleted conversation back")
        self.undo_button.hide()
        self.statusBar().addPermanentWidget(self.undo_button)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_MS)

    def _build_actions(self) -> None:
        def action(text: str, keys: QKeySequence | QKeySequence.StandardKey | str) -> QAction:
            made = QAction(text, self)
            made.setShortcut(QKeySequence(keys))
            self.addAction(made)
            return made

        self.new_chat_action = action("New chat", QKeySequence.StandardKey.New)
        self.quit_action = action("Quit", "Ctrl+Q")
        self.find_action = action("Search chats", QKeySequence.StandardKey.Find)
        self.stop_action = action("Stop", "Esc")
        self.retry_action = action("Retry", "Ctrl+R")
        self.continue_action = action("Continue", "Ctrl+Shift+Return")

        def local(text: str, keys: str | None, widget: QWidget) -> QAction:
            # Shortcuts that mean something only where the focus is.
            made = QAction(text, self)
            if keys:
                made.setShortcut(QKeySequence(keys))
                made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                widget.addAction(made)
            return made

        view = self.message_view
        self.copy_action = local("Copy message", "Ctrl+C", view)
        self.edit_action = local("Edit and resend", "F2", view)
        self.regenerate_action = local("Regenerate", "Ctrl+Shift+R", view)
        self.previous_version_action = local("Previous version", "Alt+Left", view)
        self.next_version_action = local("Next version", "Alt+Right", view)
        self.delete_message_action = local("Delete message", "Delete", view)
        self.settings_action = action("Settings…", QKeySequence.StandardKey.Preferences)
        self.settings_action.setEnabled(self.settings is not None)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.export_markdown_action = QAction("Export this conversation as Markdown…", self)
        self.export_json_action = QAction("Export this conversation as JSON…", self)
        self.export_all_markdown_action = QAction("Export all conversations as Markdown…", self)
        self.export_all_json_action = QAction("Export all conversations as JSON…", self)
        self.import_action = QAction("Import conversations…", self)
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self.new_chat_action)
        menu.addSeparator()
        for made in (
            self.export_markdown_action,
            self.export_json_action,
            self.export_all_markdown_action,
            self.export_all_json_action,
            self.import_action,
        ):
            made.setEnabled(self.transfer is not None)
            menu.addAction(made)
        menu.addSeparator()
        menu.addAction(self.settings_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.about_action = QAction("About DeskChat", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.menuBar().addMenu("&Help").addAction(self.about_action)

        sidebar = self.conversation_list
        self.rename_action = local("Rename", None, sidebar)
        self.rename_action.setShortcut(QKeySequence("F2"))
        self.delete_conversation_action = local("Delete", "Delete", sidebar)

    def _connect_signals(self) -> None:
        """Every connection of the window, in one place."""
        c = self.controller
        c.busy_changed.connect(self.on_controller_busy_changed)
        c.status_changed.connect(self.on_controller_status_changed)
        c.retry_available.connect(self.on_controller_retry_available)
        c.models_loaded.connect(self.on_controller_models_loaded)
        c.conversations_changed.connect(self.on_controller_conversations_changed)
        c.conversation_selected.connect(self.on_controller_conversation_selected)
        self.message_model.rows_flushed.connect(self.on_message_model_rows_flushed)
        self.delegate.version_step_requested.connect(self.on_delegate_version_step_requested)
        self.delegate.link_clicked.connect(self.links.confirm_open)
        self.delegate.copy_requested.connect(self.on_delegate_copy_requested)
        self.message_model.rowsInserted.connect(self.on_message_model_rows_inserted)
        self.message_view.customContextMenuRequested.connect(
            self.on_message_view_context_menu_requested
        )
        scroll = self.message_view.verticalScrollBar()
        scroll.valueChanged.connect(self.on_scroll_bar_value_changed)
        scroll.rangeChanged.connect(self.on_scroll_bar_range_changed)
        self.input_box.submitted.connect(self.on_input_box_submitted)
        self.send_button.clicked.connect(self.on_send_button_clicked)
        self.retry_button.clicked.connect(self.on_retry_button_clicked)
        self.model_picker.currentIndexChanged.connect(self.on_model_picker_index_changed)
        self.new_chat_button.clicked.connect(self.on_new_chat_action_triggered)
        self.new_chat_action.triggered.connect(self.on_new_chat_action_triggered)
        self.quit_action.triggered.connect(self.close)
        self.find_action.triggered.connect(self.on_find_action_triggered)
        self.stop_action.triggered.connect(self.on_stop_action_triggered)
        self.retry_action.triggered.connect(self.on_retry_button_clicked)
        self.copy_action.triggered.connect(self.on_copy_action_triggered)
        self.search_box.textChanged.connect(self.on_search_box_text_changed)
        self.conversation_list.currentItemChanged.connect(self.on_conversation_list_current_changed)
        c.continue_available.connect(self.on_controller_continue_available)
        c.conversation_deleted.connect(self.on_controller_conversation_deleted)
        c.message_focused.connect(self.on_controller_message_focused)
        self.continue_button.clicked.connect(self.on_continue_action_triggered)
        self.continue_action.triggered.connect(self.on_continue_action_triggered)
        self.edit_action.triggered.connect(self.on_edit_action_triggered)
        self.regenerate_action.triggered.connect(self.on_regenerate_action_triggered)
        self.previous_version_action.triggered.connect(self.on_previous_version_action_triggered)
        self.next_version_action.triggered.connect(self.on_next_version_action_triggered)
        self.delete_message_action.triggered.connect(self.on_delete_message_action_triggered)
        self.rename_action.triggered.connect(self.on_rename_action_triggered)
        self.delete_conversation_action.triggered.connect(
            self.on_delete_conversation_action_triggered
        )
        self.conversation_list.itemChanged.connect(self.on_conversation_list_item_changed)
        self.conversation_list.customContextMenuRequested.connect(
            self.on_conversation_list_context_menu_requested
        )
        self.undo_button.clicked.connect(self.on_undo_button_clicked)
        self._undo_timer.timeout.connect(self.on_undo_timer_timeout)
        self._search_timer.timeout.connect(self.on_search_timer_timeout)
        self.search_results.hit_chosen.connect(self.on_search_results_hit_chosen)
        self.settings_action.triggered.connect(self.on_settings_action_triggered)
        self.about_action.triggered.connect(self.on_about_action_triggered)
        self.export_markdown_action.triggered.connect(lambda: self._export(True, "markdown"))
        self.export_json_action.triggered.connect(lambda: self._export(True, "json"))
        self.export_all_markdown_action.triggered.connect(lambda: self._export(False, "markdown"))
        self.export_all_json_action.triggered.connect(lambda: self._export(False, "json"))
        self.import_action.triggered.connect(self.on_import_action_triggered)
        if self.transfer is not None:
            self.transfer.finished.connect(self.on_controller_status_changed)
            self.transfer.imported.connect(self.on_transfer_imported)
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self.on_style_hints_color_scheme_changed)

    def start(self) -> None:
        """Finish starting once the loop runs: read the history, fill the model picker."""
        self._spawn(self.session.load_history())
        self._spawn(self.session.load_models())
        if self.local_servers is not None:
            self._spawn(self._discover(self.local_servers))

    async def _discover(self, servers: LocalServers) -> None:
        """Offer the models of servers running on this computer in the model picker."""
        found = await servers.discover()
        self.local_models = found
        self._fill_local_models()
        if found:
            names = sorted({m.server.display_name for m in found})
            self.statusBar().showMessage(
                f"Found {', '.join(names)} on this computer; its models are in the model list.",
                5000,
            )

    def _fill_local_models(self) -> None:
        """Put the local models after the provider's own, below a separator."""
        picker = self.model_picker
        picker.blockSignals(True)
        for index in range(picker.count() - 1, -1, -1):
            if isinstance(picker.itemData(index), LocalModel) or not picker.itemText(index):
                picker.removeItem(index)
        if self.local_models:
            picker.insertSeparator(picker.count())
            for local in self.local_models:
                picker.addItem(local.label, local)
        picker.blockSignals(False)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        # Keep a reference: the loop holds tasks only weakly.
        self._background.add(task)
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        # What a background job did not handle itself would otherwise vanish with the task.
        if not task.cancelled() and (exc := task.exception()) is not None:
            show_error(self.statusBar().showMessage, exc, doing="finish a background job")

    # -- slots -------------------------------------------------------------

    @Slot(str)
    def on_input_box_submitted(self, text: str) -> None:
        editing = self._editing
        if editing is not None:
            row = self.message_model.row_of(editing)
            sent = row is not None and self.session.edit_message(row, text)
            if sent:
                self._end_editing()
        else:
            sent = self.session.send(text)
        if sent:
            self.input_box.clear()
            self._stick_to_bottom = True

    @Slot()
    def on_send_button_clicked(self) -> None:
        if self.session.busy:
            self.session.stop()
        else:
            self.on_input_box_submitted(self.input_box.toPlainText())
        self.input_box.setFocus()

    @Slot()
    def on_stop_action_triggered(self) -> None:
        if self._editing is not None and not self.session.busy:
            self._end_editing()
            self.input_box.clear()
            return
        self.session.stop()

    @Slot()
    def on_retry_button_clicked(self) -> None:
        if self.session.retry():
            self._stick_to_bottom = True
        self.input_box.setFocus()

    @Slot(bool)
    def on_controller_busy_changed(self, busy: bool) -> None:
        self.send_button.setText("Stop" if busy else "Send")
        self.send_button.setToolTip("Stop the reply (Esc)" if busy else "Send (Enter)")
        # Switching versions while a reply streams would pull the branch from under it.
        self.delegate.set_versions_enabled(not busy)

    @Slot(str)
    def on_controller_status_changed(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    @Slot(bool)
    def on_controller_retry_available(self, available: bool) -> None:
        self.retry_action.setEnabled(available)
        self.retry_button.setVisible(available)
        if available:
            self.retry_label.setText("The last reply failed.")
        self._update_retry_bar()

    @Slot(bool)
    def on_controller_continue_available(self, available: bool) -> None:
        self.continue_action.setEnabled(available)
        self.continue_button.setVisible(available)
        if available:
            self.retry_label.setText("This reply was cut off when DeskChat closed.")
        self._update_retry_bar()

    def _update_retry_bar(self) -> None:
        shown = self.retry_button.isVisibleTo(self.retry_bar) or self.continue_button.isVisibleTo(
            self.retry_bar
        )
        self.retry_bar.setVisible(shown)

    @Slot(list, str)
    def on_controller_models_loaded(self, names: list[str], selected: str) -> None:
        self.model_picker.blockSignals(True)
        self.model_picker.clear()
        self.model_picker.addItems(names)
        self.model_picker.setCurrentText(selected)
        self.model_picker.blockSignals(False)
        self._fill_local_models()

    @Slot(int)
    def on_model_picker_index_changed(self, index: int) -> None:
        if index < 0:
            return
        chosen = self.model_picker.itemData(index)
        c = self.session
        if isinstance(chosen, LocalModel):
            assert self.local_servers is not None
            try:
                local = self.local_servers.create(chosen.server)
            except ProviderError as exc:
                show_error(self.statusBar().showMessage, exc, doing=f"reach {chosen.label}")
                return
            c.set_provider(local, chosen.server.provider_id)
            c.set_model_name(chosen.model)
            self.statusBar().showMessage(
                f"Replies now come from {chosen.model} on {chosen.server.display_name}.", 5000
            )
            return
        main, main_id = self._main_provider
        if c.chat_provider is not main:
            c.set_provider(main, main_id)
        c.set_model_name(self.model_picker.itemText(index))

    @Slot()
    def on_controller_conversations_changed(self) -> None:
        if not self._renaming:
            self._refresh_conversations()

    @Slot(int)
    def on_controller_conversation_selected(self, conversation_id: int) -> None:
        self._select_in_sidebar(conversation_id)
        self._stick_to_bottom = True
        self.message_view.scrollToBottom()

    @Slot()
    def on_new_chat_action_triggered(self) -> None:
        self.search_box.clear()
        self.session.new_conversation()
        self.input_box.setFocus()

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
        if self.session.history is None:
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
        hits = await self.session.search(text)
        # A newer search may have started while this one ran: show only the latest.
        if text == self.search_box.text() and not self._search_timer.isActive():
            self.search_results.show_hits(hits)

    @Slot(object)
    def on_search_results_hit_chosen(self, hit: SearchHit) -> None:
        self.session.open_hit(hit)

    @Slot(int)
    def on_controller_message_focused(self, row: int) -> None:
        index = self.message_model.index(row)
        self._stick_to_bottom = False
        self.message_view.setCurrentIndex(index)
        self.message_view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    @Slot(QListWidgetItem, QListWidgetItem)
    def on_conversation_list_current_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        if current is not None:
            self.session.select_conversation(int(current.data(_ID_ROLE)))

    @Slot(list)
    def on_message_model_rows_flushed(self, rows: list[int]) -> None:
        self.delegate.layouts.refresh_rows(self.message_model, rows)

    @Slot()
    def on_message_model_rows_inserted(self) -> None:
        if self._stick_to_bottom:
            self.message_view.scrollToBottom()

    @Slot(int)
    def on_scroll_bar_value_changed(self, value: int) -> None:
        self._stick_to_bottom = value >= self.message_view.verticalScrollBar().maximum() - 4

    @Slot(int, int)
    def on_scroll_bar_range_changed(self, _minimum: int, maximum: int) -> None:
        # A growing reply keeps the view at the bottom, unless the user scrolled up.
        if self._stick_to_bottom:
            self.message_view.verticalScrollBar().setValue(maximum)

    @Slot(QPoint)
    def on_message_view_context_menu_requested(self, position: QPoint) -> None:
        index = self.message_view.indexAt(position)
        menu = QMenu(self)
        if index.isValid():
            self.message_view.setCurrentIndex(index)
        for action in self.message_actions(index):
            menu.addAction(action)
        if self.session.can_retry():
            menu.addAction(self.retry_action)
        if not menu.isEmpty():
            menu.popup(self.message_view.viewport().mapToGlobal(position))

    def message_actions(self, index: QModelIndex) -> list[QAction]:
        """The actions the context menu offers for the message at ``index``."""
        message = index.data(MessageModel.MessageRole) if index.isValid() else None
        if not isinstance(message, ChatMessage):
            return []
        idle = not self.session.busy
        actions = [self.copy_action]
        if message.role == "user" and idle:
            actions.append(self.edit_action)
        if message.role == "assistant" and idle:
            actions.append(self.regenerate_action)
        if message.interrupted and idle:
            actions.append(self.continue_action)
        if message.versions > 1 and idle:
            self.previous_version_action.setEnabled(message.version > 1)
            self.next_version_action.setEnabled(message.version < message.versions)
            actions += [self.previous_version_action, self.next_version_action]
        if idle:
            actions.append(self.delete_message_action)
        return actions

    def _current_row(self) -> int | None:
        index = self.message_view.currentIndex()
        return index.row() if index.isValid() else None

    @Slot()
    def on_continue_action_triggered(self) -> None:
        row = self._current_row()
        messages = self.message_model.conversation.messages
        if row is None or not messages[row].interrupted:
            row = None
        if self.session.continue_reply(row):
            self._stick_to_bottom = row is None or row == len(messages) - 1

    @Slot()
    def on_edit_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or self.session.busy:
            return
        message = self.message_model.message(row)
        if message.role != "user":
            return
        self._editing = message
        self.edit_label.show()
        self.input_box.setPlainText(message.content)
        self.input_box.setFocus()

    def _end_editing(self) -> None:
        self._editing = None
        self.edit_label.hide()

    @Slot()
    def on_regenerate_action_triggered(self) -> None:
        row = self._current_row()
        if row is not None and self.session.regenerate(row):
            self._stick_to_bottom = True

    @Slot()
    def on_previous_version_action_triggered(self) -> None:
        row = self._current_row()
        if row is not None:
            self.session.switch_version(row, -1)

    @Slot()
    def on_next_version_action_triggered(self) -> None:
        row = self._current_row()
        if row is not None:
            self.session.switch_version(row, +1)

    @Slot(int, int)
    def on_delegate_version_step_requested(self, row: int, step: int) -> None:
        self.session.switch_version(row, step)

    @Slot()
    def on_delete_message_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or self.session.busy:
            return
        message = self.message_model.message(row)
        # Deleting a message is for good (and takes its replies along): ask first,
        # without blocking the loop.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete message",
            "Delete this message and everything after it on this branch? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: self._delete_message(message))
        box.finished.connect(box.deleteLater)
        self.delete_confirmation = box
        box.open()

    def _delete_message(self, message: ChatMessage) -> None:
        row = self.message_model.row_of(message)
        if row is not None:
            self.session.delete_message(row)

    # -- settings, export and import ----------------------------------------

    @Slot()
    def on_settings_action_triggered(self) -> None:
        if self.settings is None:
            return
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self.settings, self)
            self.settings_dialog.saved.connect(self.on_settings_dialog_saved)
        self.settings_dialog.load()
        # open(), not exec(): the loop (and a streaming reply) keeps running.
        self.settings_dialog.open()

    @Slot()
    def on_about_action_triggered(self) -> None:
        if self.about_dialog is None:
            self.about_dialog = AboutDialog(self.data_dir, self)
        # open(), not exec(): the loop keeps running behind it.
        self.about_dialog.open()

    @Slot(object)
    def on_settings_dialog_saved(self, settings: Settings) -> None:
        self.apply_settings(settings)
        notice = self.settings_dialog.notice if self.settings_dialog is not None else None
        if notice:
            self.statusBar().showMessage(f"Settings saved. {notice}")
        else:
            self.statusBar().showMessage("Settings saved.", 3000)

    def apply_settings(self, settings: Settings, *, initial: bool = False) -> None:
        """Use ``settings`` now: prompt, temperature, font, theme, send key, provider."""
        c = self.session
        c.system_prompt = settings.system_prompt
        c.temperature = settings.temperature
        self.input_box.send_key = settings.send_key
        font = self.message_view.font()
        if font.pointSize() != settings.font_size:
            font.setPointSize(settings.font_size)
            self.message_view.setFont(font)
            self.delegate.forget()
            self.message_view.doItemsLayout()
        apply_theme(settings.theme)
        self.message_view.viewport().update()
        if self._provider_factory is None:
            return
        c.fallback_provider = self._fallback(settings, self._provider_factory)
        if initial:
            return
        try:
            chat_provider = self._provider_factory(settings)
        except ProviderError as exc:
            show_error(self.statusBar().showMessage, exc, doing="use the new provider")
            return
        c.set_provider(chat_provider, settings.provider)
        self._main_provider = (chat_provider, c.provider_id)
        c.request_model(settings.model or None)
        self._spawn(c.load_models())

    def _fallback(self, settings: Settings, factory: Callable[[Settings], Any]) -> Any | None:
        """The provider the settings name as fallback (its own default address), or None."""
        wanted = settings.fallback_provider
        if not wanted or wanted == settings.provider:
            return None
        chosen = Settings(settings.path, {"provider": wanted, "proxy": settings.proxy})
        try:
            return factory(chosen)
        except ProviderError as exc:

            def say(line: str) -> None:
                self.statusBar().showMessage(f"The fallback provider is not used: {line}")

            show_error(say, exc, doing="use the fallback provider")
            return None

    def _export(self, current: bool, fmt: str) -> None:
        if self.transfer is None:
            return
        store_id = self.session.conversation.store_id
        if current and store_id is None:
            self.statusBar().showMessage("This conversation is empty; there is nothing to export.")
            return
        self.transfer.export(store_id if current else None, fmt)

    @Slot()
    def on_import_action_triggered(self) -> None:
        if self.transfer is not None:
            self.transfer.import_file()

    @Slot()
    def on_transfer_imported(self) -> None:
        self._spawn(self.session.load_history(show_newest=False))

    # -- sidebar actions ---------------------------------------------------

    @Slot(QPoint)
    def on_conversation_list_context_menu_requested(self, position: QPoint) -> None:
        item = self.conversation_list.itemAt(position)
        if item is None:
            return
        self.conversation_list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_conversation_action)
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
            self.session.rename_conversation(int(item.data(_ID_ROLE)), item.text())
        finally:
            self._renaming = False

    @Slot()
    def on_delete_conversation_action_triggered(self) -> None:
        item = self.conversation_list.currentItem()
        if item is not None:
            self.session.delete_conversation(int(item.data(_ID_ROLE)))

    @Slot(int, str)
    def on_controller_conversation_deleted(self, conversation_id: int, title: str) -> None:
        self._undo_id = conversation_id
        self.statusBar().showMessage(f"Deleted “{title}”.", UNDO_MS)
        self.undo_button.show()
        self._undo_timer.start()

    @Slot()
    def on_undo_button_clicked(self) -> None:
        if self._undo_id is not None:
            self.session.restore_conversation(self._undo_id)
            self.statusBar().showMessage("The conversation is back.", 3000)
        self.on_undo_timer_timeout()

    @Slot()
    def on_undo_timer_timeout(self) -> None:
        self._undo_id = None
        self._undo_timer.stop()
        self.undo_button.hide()

    @Slot()
    def on_copy_action_triggered(self) -> None:
        message = self.message_view.currentIndex().data(MessageModel.MessageRole)
        if isinstance(message, ChatMessage):
            QGuiApplication.clipboard().setText(message.content)

    @Slot(str)
    def on_delegate_copy_requested(self, code: str) -> None:
        QGuiApplication.clipboard().setText(code)

    @Slot(Qt.ColorScheme)
    def on_style_hints_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        # The delegate paints with palette roles, so a repaint picks up the new colours.
        log.info("colour scheme changed to %s", scheme.name)
        self.message_view.viewport().update()

    # -- sidebar -----------------------------------------------------------

    def _refresh_conversations(self) -> None:
        self.conversation_list.blockSignals(True)
        self.conversation_list.clear()
        for conversation in self.session.conversations.items:
            item = QListWidgetItem(conversation.title)
            item.setData(_ID_ROLE, conversation.id)
            item.setToolTip(conversation.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.conversation_list.addItem(item)
        self.conversation_list.blockSignals(False)
        self._select_in_sidebar(self.session.conversation.id)
        self.on_search_box_text_changed(self.search_box.text())

    def _select_in_sidebar(self, conversation_id: int) -> None:
        self.conversation_list.blockSignals(True)
        for row in range(self.conversation_list.count()):
            item = self.conversation_list.item(row)
            if item.data(_ID_ROLE) == conversation_id:
                self.conversation_list.setCurrentItem(item)
        self.conversation_list.blockSignals(False)

    # -- closing -----------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Close at once when idle; mid-stream, cancel the reply first, then close."""
        if self._closed:
            event.accept()
            return
        if not self.session.busy and not self.session.pending:
            self._closed = True
            event.accept()
            self.closed.emit()
            return
        event.ignore()
        if not self._closing:
            self._closing = True
            self._spawn(self._close_after_stream())

    async def _close_after_stream(self) -> None:
        await self.session.aclose()
        self.close()
