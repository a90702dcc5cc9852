"""The window's side of tools: the approval card, the calls' details, Settings → Tools.

:meth:`WindowTools.attach` runs once the window has painted and its loop runs
(:func:`deskchat.gui.app._run`): it reads ``mcp.json`` and, when a server is
enabled, gives the chat session its :class:`~deskchat.chat.tools_loop.ChatTools`
with the card as the approval. No server starts then: the first reply starts
them (``ChatTools.specs``). The servers stop in :meth:`WindowTools.aclose`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QVBoxLayout

from deskchat.chat.conversation import ChatMessage
from deskchat.i18n import _
from deskchat.paths import data_dir

from .errors import show_error
from .message_model import MessageModel

if TYPE_CHECKING:
    from deskchat.chat.tools_loop import ChatTools
    from deskchat.tools import McpTools

    from .main_window import MainWindow
    from .tool_calls_dialog import ToolCallsDialog
    from .tool_card import CardApprover, ToolCard
    from .tools_settings import ToolsSettingsDialog

__all__ = ["WindowTools"]

log = logging.getLogger("deskchat.gui")

# deskchat.tools.CONFIG_NAME, named here so that a data folder without one imports none
# of the tools (tests/gui/test_connect_imports.py checks that the two agree).
CONFIG_NAME = "mcp.json"


class WindowTools(QObject):
    """Tools for ``window``'s chats.

    Attributes:
        card, approver: the approval card above the input box, and the loop's approval
            (made when first needed: a window without tools never imports them).
        box: the servers of ``mcp.json`` (None when none is enabled).
        chat_tools: what the session was given (None: no tools).
        calls_action: "Show tool calls" in a reply's context menu.
        tools_action: File → Tools…, Settings → Tools.
        calls_dialog, settings_dialog: once opened.
    """

    def __init__(self, window: MainWindow, folder: Path | None = None) -> None:
        super().__init__(window)
        self.setObjectName("windowTools")
        self._window = window
        self.folder = folder or window.data_dir or data_dir()
        self.box: McpTools | None = None
        self.chat_tools: ChatTools | None = None
        self._retired: list[McpTools] = []
        self.calls_dialog: ToolCallsDialog | None = None
        self.settings_dialog: ToolsSettingsDialog | None = None
        self._card: ToolCard | None = None
        self._approver: CardApprover | None = None
        chat = window.chat
        self.calls_action = QAction(_("Show tool calls"), window)
        self.calls_action.triggered.connect(self.on_calls_action_triggered)
        chat.extra_actions.append(self._actions_for)
        self.tools_action = QAction(_("Tools…"), window)
        self.tools_action.setToolTip(_("The MCP servers whose tools models may call"))
        self.tools_action.triggered.connect(self.open_settings)
        self._add_to_menu(window)
        window.controller.busy_changed.connect(self.on_controller_busy_changed)

    @classmethod
    def attach(cls, window: MainWindow) -> WindowTools:
        """Give ``window`` its tools (after its first paint) and read ``mcp.json``."""
        tools = cls(window)
        tools.load()
        return tools

    @property
    def card(self) -> ToolCard:
        """The approval card above the input box (hidden until a call asks)."""
        if self._card is None:
            self._make_card()
        assert self._card is not None
        return self._card

    @property
    def approver(self) -> CardApprover:
        """The loop's approval, through :attr:`card`."""
        if self._approver is None:
            self._make_card()
        assert self._approver is not None
        return self._approver

    def _make_card(self) -> None:
        from .tool_card import CardApprover, ToolCard

        chat = self._window.chat
        self._card = ToolCard(chat)
        layout = chat.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(chat.edit_label) + 1, self._card)
        self._approver = CardApprover(self._card, done=self._after_answer)

    def _add_to_menu(self, window: MainWindow) -> None:
        settings = window.menus.settings_action
        for menu in settings.associatedObjects():
            if isinstance(menu, QMenu):
                actions = menu.actions()
                at = actions.index(settings) + 1 if settings in actions else len(actions)
                menu.insertAction(actions[at] if at < len(actions) else None, self.tools_action)  # type: ignore[arg-type]
                return
        window.addAction(self.tools_action)

    # -- the servers ---------------------------------------------------------

    @property
    def config_file(self) -> Path:
        """``mcp.json`` in the data folder."""
        return self.folder / CONFIG_NAME

    def load(self) -> None:
        """Read ``mcp.json`` again and give the session tools if a server is enabled.

        The old servers stop once no reply uses them; "always" answers stay.
        Without ``mcp.json`` and no servers from before, nothing is imported.
        """
        if self.box is None and not self.config_file.exists():
            self.chat_tools = None
            self._window.session.tools = None
            return
        from deskchat.chat.tools_loop import ChatTools
        from deskchat.tools import McpTools, ToolConfigError, load_servers

        try:
            servers = load_servers(self.config_file)
        except ToolConfigError as exc:
            show_error(self._window.statusBar().showMessage, exc, doing=_("read mcp.json"))
            servers = []
        old, always = self.box, self.chat_tools.always if self.chat_tools else {}
        if old is not None:
            self._retired.append(old)
        box = McpTools(servers, log_dir=self.folder / "logs")
        self.box = box if box.enabled else None
        if self.box is None:
            self.chat_tools = None
        else:
            steps, seconds = self._limits()
            self.chat_tools = ChatTools(box, self.approver, steps=steps, time_limit=seconds)
            self.chat_tools.always = always
        self._window.session.tools = self.chat_tools
        self._close_retired()

    def _limits(self) -> tuple[int, float]:
        settings = self._window.settings
        if settings is None:
            from deskchat.chat.tools_loop import DEFAULT_STEPS, DEFAULT_TIME_LIMIT

            return DEFAULT_STEPS, DEFAULT_TIME_LIMIT
        return settings.tool_steps, float(settings.tool_timeout)

    def apply_limits(self) -> None:
        """Use the step limit and the timeout of the settings from the next reply on."""
        if self.chat_tools is not None:
            self.chat_tools.steps, self.chat_tools.time_limit = self._limits()

    def _close_retired(self) -> None:
        if self._retired and not self._window.session.busy:
            retired, self._retired = self._retired, []
            for box in retired:
                self._window._spawn(box.aclose())

    @Slot(bool)
    def on_controller_busy_changed(self, busy: bool) -> None:
        if not busy:
            self._close_retired()

    async def aclose(self) -> None:
        """Stop every server (DeskChat is quitting)."""
        boxes = [*self._retired, *([self.box] if self.box is not None else [])]
        self._retired, self.box = [], None
        for box in boxes:
            await box.aclose()

    def _after_answer(self) -> None:
        chat = self._window.chat
        if chat.isVisible():
            chat.input_box.setFocus()

    # -- a reply's calls -----------------------------------------------------

    def _actions_for(self, message: ChatMessage) -> list[QAction]:
        return [self.calls_action] if message.tools else []

    @Slot()
    def on_calls_action_triggered(self) -> None:
        message = self._window.chat.message_view.currentIndex().data(MessageModel.MessageRole)
        if isinstance(message, ChatMessage) and message.tools:
            self.show_calls(message)

    def show_calls(self, message: ChatMessage) -> None:
        """Open the calls of ``message`` (collapsed) in a dialog, without blocking."""
        from .tool_calls_dialog import ToolCallsDialog

        if self.calls_dialog is None:
            self.calls_dialog = ToolCallsDialog(self._window)
        self.calls_dialog.show_calls(message.tools)
        # open(), not exec(): the loop (and a streaming reply) keeps running.
        self.calls_dialog.open()

    # -- Settings → Tools ----------------------------------------------------

    @Slot()
    def open_settings(self) -> None:
        from .tools_settings import ToolsSettingsDialog

        if self.settings_dialog is None:
            dialog = ToolsSettingsDialog(
                self.config_file,
                self._window.settings,
                spawn=self._window._spawn,
                folder=self.folder,
                parent=self._window,
            )
            dialog.saved.connect(self.on_settings_saved)
            self.settings_dialog = dialog
        self.settings_dialog.load(self._status())
        self.settings_dialog.open()

    def _status(self) -> dict[str, Any]:
        box = self.box
        return {s.name: s for s in box.status()} if box is not None else {}

    @Slot()
    def on_settings_saved(self) -> None:
        self.load()
        self.apply_limits()
        self._window.statusBar().showMessage(_("Tool servers saved."), 3000)
