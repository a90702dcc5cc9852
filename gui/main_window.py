"""The main window: conversations on the left, messages and the input on the right.

The window is built and shown before asyncio and the history have loaded (its
first frame comes first: :func:`deskchat.gui.app.main`), so asyncio is imported
where tasks are made, and the history arrives through :meth:`MainWindow.attach_history`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QSplitter

from deskchat.chat import source
from deskchat.chat.auto import AUTO
from deskchat.chat.conversation import Conversations
from deskchat.chat.local_servers import LocalServers
from deskchat.chat.window_settings import (
    ProviderChoice,
    ProviderFactory,
    apply_chat_settings,
    fallback_provider,
)
from deskchat.errors import DeskChatError
from deskchat.i18n import _
from deskchat.provider import Provider, ProviderError
from deskchat.store import Settings

from . import markdown
from .chat_pane import ChatPane
from .controller import ChatController
from .errors import show_error
from .first_paint import after_first_paint
from .icon import app_icon
from .links import LinkOpener
from .menus import Menus
from .message_model import MessageModel
from .model_picker import ModelPicker
from .sidebar import Sidebar
from .theme import apply_appearance
from .transfer import Transfer
from .window_layout import WindowLayout

if TYPE_CHECKING:
    import asyncio

    from deskchat.chat.connection import Connection
    from deskchat.store import AsyncStore

    from .about import AboutDialog
    from .settings_dialog import SettingsDialog
    from .setup_flow import SetupFlow

__all__ = ["MainWindow"]

log = logging.getLogger("deskchat.gui")


class MainWindow(QMainWindow):
    """DeskChat's window. Builds its parts and wires them together.

    The parts are :attr:`sidebar` (:class:`~gui.sidebar.Sidebar`), :attr:`chat`
    (:class:`~gui.chat_pane.ChatPane`), :attr:`model_picker`
    (:class:`~gui.model_picker.ModelPicker`) and :attr:`menus`
    (:class:`~gui.menus.Menus`). Each connects its own children; every
    connection between parts is made in :meth:`_connect_signals`.

    Args:
        chat_provider: what streams replies; None until ``connect`` has found one
            (Send waits, disabled, meanwhile).
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
        connect: makes the window's :class:`~deskchat.chat.connection.Connection`
            after its first paint; it finds the provider (or the window shows the
            setup panel) and stands in for ``provider_factory`` and ``local_servers``.

    Signals:
        closed(): the window has closed and no reply task is left running.
        provider_ready(): a provider is set up; sending works from now on.

    Attributes:
        session: the chat core (:class:`~deskchat.chat.session.ChatSession`).
        controller: the session's notices as Qt signals.
        links: asks before a clicked link is opened.
        window_layout: the minimum size, the folding sidebar, Tab order, the shortcuts list.
        transfer: export and import (None without a history).
        data_dir: the data folder the About dialog names (None: the default one).
        setup: finds the provider and runs the setup panel, the downloads and the
            Models dialog (:class:`~gui.setup_flow.SetupFlow`), made after the
            first paint when there is ``connect``.
    """

    closed = Signal()
    provider_ready = Signal()

    def __init__(
        self,
        chat_provider: Provider | None = None,
        *,
        model_name: str | None = None,
        conversations: Conversations | None = None,
        history: AsyncStore | None = None,
        notice: str | None = None,
        settings: Settings | None = None,
        provider_factory: ProviderFactory | None = None,
        local_servers: LocalServers | None = None,
        connect: Callable[[], Connection] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("DeskChat")
        self.setWindowIcon(app_icon())
        self.resize(980, 680)
        self.message_model = MessageModel(self)
        self.controller = ChatController(
            chat_provider or source.NoProvider(),
            self.message_model,
            model_name=model_name,
            conversations=conversations,
            parent=self,
        )
        self.session = self.controller.session
        self.settings = settings
        self._provider_factory = provider_factory
        self.provider_choice = ProviderChoice(self.session, local_servers)
        self.settings_dialog: SettingsDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self.data_dir: Path | None = None
        self.transfer: Transfer | None = None
        self.links = LinkOpener(self)
        self._closing = False
        self._closed = False
        self._shown = False
        self._background: set[asyncio.Task[Any]] = set()
        self._connect = connect
        self.setup: SetupFlow | None = None
        self.menus = Menus(self, can_configure=settings is not None, can_transfer=False)
        self.model_picker = ModelPicker(self.provider_choice)
        self.model_picker.main_base_url = settings.base_url or None if settings else None
        self.chat = ChatPane(self.message_model, self.session, self.menus, self.model_picker)
        self.sidebar = Sidebar(self.session, self.menus, self._spawn)
        self._build()
        self._connect_signals()
        if history is not None:
            self.attach_history(history)
        self.sidebar.refresh()
        if settings is not None:
            self.apply_settings(settings, initial=True)
        if notice:
            self.statusBar().showMessage(notice)
        if chat_provider is None:
            self.chat.set_ready(False, _("Looking for a model…"))
        else:
            self._show_source()
        self.chat.input_box.setFocus()

    @property
    def ready(self) -> bool:
        """Whether a provider is set up (sending works)."""
        return self.chat.ready

    def _build(self) -> None:
        splitter = QSplitter()
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.chat)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 750])
        self.setCentralWidget(splitter)
        parts = (splitter, self.sidebar, self.chat, self.menus, self.model_picker)
        self.window_layout = WindowLayout(self, *parts)
        self.statusBar().setSizeGripEnabled(False)
        self.statusBar().addPermanentWidget(self.sidebar.undo_button)
        # Shortcuts that mean something only where the focus is.
        self.chat.message_view.addActions(list(self.menus.message_view_actions))
        self.sidebar.conversation_list.addActions(list(self.menus.conversation_list_actions))

    def _connect_signals(self) -> None:
        """Every connection between the window's parts, in one place."""
        c, m, chat, side = self.controller, self.menus, self.chat, self.sidebar
        c.busy_changed.connect(chat.on_controller_busy_changed)
        c.status_changed.connect(self.on_controller_status_changed)
        c.retry_available.connect(chat.on_controller_retry_available)
        c.continue_available.connect(chat.on_controller_continue_available)
        c.message_focused.connect(chat.on_controller_message_focused)
        c.models_loaded.connect(self.model_picker.on_controller_models_loaded)
        c.models_loaded.connect(self._show_source)
        self.model_picker.currentIndexChanged.connect(self._show_source)
        chat.status_message.connect(self.statusBar().showMessage)
        c.conversations_changed.connect(side.on_controller_conversations_changed)
        c.conversation_selected.connect(self.on_controller_conversation_selected)
        c.conversation_deleted.connect(side.on_controller_conversation_deleted)
        chat.message_view.when_bubbles(lambda d: d.link_clicked.connect(self.links.confirm_open))
        side.new_chat_button.clicked.connect(self.on_new_chat_action_triggered)
        side.status_message.connect(self.statusBar().showMessage)
        self.model_picker.status_message.connect(self.statusBar().showMessage)
        m.new_chat_action.triggered.connect(self.on_new_chat_action_triggered)
        m.quit_action.triggered.connect(self.close)
        m.find_action.triggered.connect(side.on_find_action_triggered)
        m.rename_action.triggered.connect(side.on_rename_action_triggered)
        m.delete_conversation_action.triggered.connect(side.on_delete_conversation_action_triggered)
        m.stop_action.triggered.connect(chat.on_stop_action_triggered)
        m.retry_action.triggered.connect(chat.on_retry_button_clicked)
        m.continue_action.triggered.connect(chat.on_continue_action_triggered)
        m.copy_action.triggered.connect(chat.on_copy_action_triggered)
        m.edit_action.triggered.connect(chat.on_edit_action_triggered)
        m.regenerate_action.triggered.connect(chat.on_regenerate_action_triggered)
        m.previous_version_action.triggered.connect(chat.on_previous_version_action_triggered)
        m.next_version_action.triggered.connect(chat.on_next_version_action_triggered)
        m.delete_message_action.triggered.connect(chat.on_delete_message_action_triggered)
        m.settings_action.triggered.connect(self.on_settings_action_triggered)
        m.models_action.triggered.connect(self.on_models_action_triggered)
        m.about_action.triggered.connect(self.on_about_action_triggered)

    def attach_history(self, history: AsyncStore) -> None:
        """Keep the conversations in ``history`` from now on, and offer export and import.

        The window gets its history after its first frame (:func:`deskchat.gui.app.main`);
        :meth:`start` then reads it.
        """
        self.session.attach_history(history)
        transfer = self.transfer = Transfer(history, self, self._spawn)
        self.menus.offer_transfer(transfer, lambda: self.session.conversation.store_id)
        transfer.finished.connect(self.on_controller_status_changed)
        transfer.imported.connect(self.on_transfer_imported)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            after_first_paint(self, self.after_first_frame)

    def after_first_frame(self) -> None:
        """Make what the first frame did not need (once; see :func:`_after_first_frame`)."""
        if not self._closed:
            _after_first_frame(self)

    def start(self) -> None:
        """Finish starting once the loop runs: read the history, fill the model picker.

        With ``connect``, the network is set up only after the window's first
        paint: then the provider is found, or the setup panel shown.
        """
        # Not for the first frame: the clear button loads an icon theme's icon (~7 ms).
        self.sidebar.search_box.setClearButtonEnabled(True)
        self._spawn(self.session.load_history())
        if self._connect is not None:
            after_first_paint(self, self._begin_setup)
            return
        self._spawn(self.session.load_models())
        if self.provider_choice.local_servers is not None:
            self._spawn(self.model_picker.discover())

    def _begin_setup(self) -> None:
        # Imported here, not for the first paint: the library, the setup panel, aiohttp.
        from .setup_flow import SetupFlow

        if self._closed or self._connect is None:
            return
        connection = self._connect()
        self._provider_factory = connection.provider_for
        self.menus.models_action.setEnabled(True)
        flow = self.setup = SetupFlow(
            connection, self.settings, self.chat, self.model_picker, self._spawn, self
        )
        flow.connected.connect(self.on_setup_connected)
        flow.ready.connect(self._now_ready)
        flow.status_message.connect(self.statusBar().showMessage)
        flow.settings_requested.connect(self.open_settings)
        self._spawn(flow.find())

    @property
    def connection(self) -> Connection | None:
        """The network and the model library's side, once set up after the first paint."""
        return self.setup.connection if self.setup is not None else None

    @Slot()
    def on_setup_connected(self) -> None:
        if self.settings is not None and self._provider_factory is not None:
            self.session.fallback_provider = _fallback(self, self.settings, self._provider_factory)

    def _now_ready(self) -> None:
        self.chat.set_ready(True)
        self._show_source()
        self.provider_ready.emit()

    @Slot()
    def _show_source(self) -> None:
        """Name the provider and model of the next reply beside the model picker."""
        if self.chat.ready:
            self.chat.source_label.setText(self.model_picker.source())

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        import asyncio

        task = asyncio.ensure_future(coroutine)
        # Keep a reference: the loop holds tasks only weakly.
        self._background.add(task)
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        # What a background job did not handle itself would otherwise vanish with the task.
        if not task.cancelled() and (exc := task.exception()) is not None:
            show_error(self.statusBar().showMessage, exc, doing=_("finish a background job"))

    # -- slots -------------------------------------------------------------

    @Slot(str)
    def on_controller_status_changed(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    @Slot(int)
    def on_controller_conversation_selected(self, conversation_id: int) -> None:
        self.sidebar.select(conversation_id)
        self.chat.message_view.follow()

    @Slot()
    def on_new_chat_action_triggered(self) -> None:
        self.sidebar.search_box.clear()
        self.session.new_conversation()
        self.chat.input_box.setFocus()

    # -- settings, export and import ----------------------------------------

    @Slot()
    def on_settings_action_triggered(self) -> None:
        self.open_settings()

    @Slot(str)
    def open_settings(self, provider_id: str = "") -> None:
        """Open the settings; with ``provider_id``, on that provider and its API key."""
        if self.settings is None:
            return
        if self.settings_dialog is None:
            from deskchat.chat.probe import server_models  # only once the dialog opens

            from .settings_dialog import SettingsDialog

            self.settings_dialog = SettingsDialog(
                self.settings, self, probe=server_models, spawn=self._spawn
            )
            self.settings_dialog.saved.connect(self.on_settings_dialog_saved)
        self.settings_dialog.load()
        # open(), not exec(): the loop (and a streaming reply) keeps running.
        self.settings_dialog.open()
        if provider_id:
            self.settings_dialog.choose_provider(provider_id)

    @Slot()
    def on_models_action_triggered(self) -> None:
        if self.setup is not None:
            self.setup.open_models_dialog(self)

    @Slot()
    def on_about_action_triggered(self) -> None:
        if self.about_dialog is None:
            from .about import AboutDialog

            self.about_dialog = AboutDialog(self.data_dir, self)
        # open(), not exec(): the loop keeps running behind it.
        self.about_dialog.open()

    @Slot(object)
    def on_settings_dialog_saved(self, settings: Settings) -> None:
        self.apply_settings(settings)
        notice = self.settings_dialog.notice if self.settings_dialog is not None else None
        if notice:
            self.statusBar().showMessage(_("Settings saved. {notice}").format(notice=notice))
        else:
            self.statusBar().showMessage(_("Settings saved."), 3000)

    def apply_settings(self, settings: Settings, *, initial: bool = False) -> None:
        """Use ``settings`` now: prompt, temperature, font, theme, send key, provider.

        Args:
            initial: the window is being built: the provider it was given
                already is the one the settings name.
        """
        apply_chat_settings(self.session, settings)
        self.chat.input_box.send_key = settings.send_key
        self.chat.message_view.set_font_size(settings.font_size)
        apply_appearance(settings.theme, settings.font_size)
        factory = self._provider_factory
        if factory is None or (initial and self._connect is not None):
            # With a connection the fallback is built once the network is set up.
            return
        self.session.fallback_provider = _fallback(self, settings, factory)
        if initial:
            return
        if self.setup is not None:
            self.setup.follow_settings(settings)
            if settings.provider == AUTO:
                return
        old = self.session.chat_provider
        try:
            self.provider_choice.apply_settings(settings, factory)
        except DeskChatError as exc:
            show_error(self.statusBar().showMessage, exc, doing=_("use the new provider"))
            return
        self.model_picker.main_base_url = settings.base_url or None
        self.session.set_model_name(settings.model or self.session.chat_provider.default_model)
        if self.setup is not None:
            self.setup.retire(old)
            self.setup.finish()
        self._spawn(self.session.load_models())
        self._now_ready()

    @Slot()
    def on_transfer_imported(self) -> None:
        self._spawn(self.session.load_history(show_newest=False))

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
        # Closed mid-reply: kept as interrupted, so the next start offers Continue.
        await self.session.aclose(interrupt=True)
        self.close()

    async def shutdown(self) -> None:
        """After :attr:`closed`: stop the background jobs, the downloads and the engines,
        and close the network session."""
        import asyncio

        tasks = [t for t in self._background if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        if self.setup is not None:
            await self.setup.aclose()


def _after_first_frame(window: MainWindow) -> None:
    """Make what the first frame did not need, before the first message.

    The bubbles: the list is empty in the first frame, and a first message would
    otherwise import and build them on the GUI thread in the middle of its reply
    (~60 ms). Then the markdown parser, on a worker thread: the first reply's
    render would otherwise wait for its import (issue #11). :func:`gui.app.main`
    calls this right after the first frame, before the loop and the history; a
    window shown any other way calls it after its own first paint.
    """
    window.chat.message_view.bubbles()
    markdown.preload_in_background()


def _fallback(window: MainWindow, settings: Settings, factory: ProviderFactory) -> Provider | None:
    """The provider the settings name as fallback, or None (said in the status bar)."""
    try:
        return fallback_provider(settings, factory)
    except ProviderError as exc:

        def say(line: str) -> None:
            window.statusBar().showMessage(
                _("The fallback provider is not used: {line}").format(line=line)
            )

        show_error(say, exc, doing=_("use the fallback provider"))
        return None
