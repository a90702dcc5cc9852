"""The window's actions, with their shortcuts, and the menu bar built from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from deskchat.i18n import _

if TYPE_CHECKING:
    from .transfer import Transfer

__all__ = ["Menus"]


class Menus:
    """Every QAction of the window, and its File, View and Help menus.

    Window-wide shortcuts (Ctrl+N, Ctrl+Q, Esc, …) are added to the window.
    Shortcuts that mean something only where the focus is (Ctrl+C on a
    message, Delete in the sidebar) work once the window adds
    :attr:`message_view_actions` and :attr:`conversation_list_actions` to
    those widgets.

    Signals:
        None of its own: the window connects each action's ``triggered``.

    Args:
        window: the parent of every action, and the owner of the menu bar.
        can_configure: whether there are settings to edit (Settings… is off otherwise).
        can_transfer: whether there is a history to export and import.
    """

    def __init__(self, window: QMainWindow, *, can_configure: bool, can_transfer: bool) -> None:
        self._window = window
        self.new_chat_action = self._global(_("New chat"), QKeySequence.StandardKey.New)
        self.quit_action = self._global(_("Quit"), "Ctrl+Q")
        self.find_action = self._global(_("Search chats"), QKeySequence.StandardKey.Find)
        self.stop_action = self._global(_("Stop"), "Esc")
        self.retry_action = self._global(_("Retry"), "Ctrl+R")
        self.continue_action = self._global(_("Continue"), "Ctrl+Shift+Return")

        # Ctrl+C copies the selected text when there is one (the view takes the key
        # first), else the whole message as markdown.
        self.copy_action = self._local(_("Copy"), "Ctrl+C")
        self.copy_action.setToolTip(_("Copy the whole message as markdown"))
        self.copy_text_action = self._local(_("Copy as text"), "Ctrl+Shift+C")
        self.copy_text_action.setToolTip(_("Copy the whole message as plain text"))
        self.copy_selection_action = QAction(_("Copy selection"), window)
        self.edit_action = self._local(_("Edit and resend"), "F2")
        self.regenerate_action = self._local(_("Regenerate"), "Ctrl+Shift+R")
        self.previous_version_action = self._local(_("Previous version"), "Alt+Left")
        self.next_version_action = self._local(_("Next version"), "Alt+Right")
        self.delete_message_action = self._local(_("Delete message"), "Delete")
        self.message_view_actions = (
            self.copy_action,
            self.copy_text_action,
            self.edit_action,
            self.regenerate_action,
            self.previous_version_action,
            self.next_version_action,
            self.delete_message_action,
        )
        self.rename_action = self._local(_("Rename"), "F2")
        self.delete_conversation_action = self._local(_("Delete"), "Delete")
        self.conversation_list_actions = (self.rename_action, self.delete_conversation_action)

        self.settings_action = self._global(_("Settings…"), QKeySequence.StandardKey.Preferences)
        self.settings_action.setEnabled(can_configure)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.export_markdown_action = QAction(_("Export this conversation as Markdown…"), window)
        self.export_json_action = QAction(_("Export this conversation as JSON…"), window)
        self.export_all_markdown_action = QAction(
            _("Export all conversations as Markdown…"), window
        )
        self.export_all_json_action = QAction(_("Export all conversations as JSON…"), window)
        self.import_action = QAction(_("Import conversations…"), window)
        # On once the window has set its network up (after the first paint).
        self.models_action = QAction(_("Models…"), window)
        self.models_action.setToolTip(_("Download models, add .gguf files, choose one to use"))
        self.models_action.setEnabled(False)
        self.sidebar_action = self._global(_("Show sidebar"), "Ctrl+B")
        self.sidebar_action.setCheckable(True)
        self.sidebar_action.setChecked(True)
        self.shortcuts_action = self._global(
            _("Keyboard shortcuts"), QKeySequence.StandardKey.HelpContents
        )
        if self.shortcuts_action.shortcut().isEmpty():
            self.shortcuts_action.setShortcut(QKeySequence("F1"))
        self.about_action = QAction(_("About DeskChat"), window)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self._build_menus(can_transfer)

    def _global(self, text: str, keys: QKeySequence | QKeySequence.StandardKey | str) -> QAction:
        made = QAction(text, self._window)
        made.setShortcut(QKeySequence(keys))
        self._window.addAction(made)
        return made

    def _local(self, text: str, keys: str) -> QAction:
        made = QAction(text, self._window)
        made.setShortcut(QKeySequence(keys))
        made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return made

    def offer_transfer(self, transfer: Transfer, shown_id: Callable[[], int | None]) -> None:
        """Offer export and import through ``transfer`` (there is a history now).

        Args:
            shown_id: the store id of the conversation shown (None: not saved yet).
        """
        self.export_markdown_action.triggered.connect(
            lambda: transfer.export_shown(shown_id(), "markdown")
        )
        self.export_json_action.triggered.connect(lambda: transfer.export_shown(shown_id(), "json"))
        self.export_all_markdown_action.triggered.connect(lambda: transfer.export(None, "markdown"))
        self.export_all_json_action.triggered.connect(lambda: transfer.export(None, "json"))
        self.import_action.triggered.connect(transfer.import_file)
        for made in self._transfer_actions():
            made.setEnabled(True)

    def _transfer_actions(self) -> tuple[QAction, ...]:
        return (
            self.export_markdown_action,
            self.export_json_action,
            self.export_all_markdown_action,
            self.export_all_json_action,
            self.import_action,
        )

    def _build_menus(self, can_transfer: bool) -> None:
        menu = self._window.menuBar().addMenu(_("&File"))
        menu.addAction(self.new_chat_action)
        menu.addSeparator()
        for made in self._transfer_actions():
            made.setEnabled(can_transfer)
            menu.addAction(made)
        menu.addSeparator()
        menu.addAction(self.models_action)
        menu.addAction(self.settings_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self._window.menuBar().addMenu(_("&View")).addAction(self.sidebar_action)
        help_menu = self._window.menuBar().addMenu(_("&Help"))
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
