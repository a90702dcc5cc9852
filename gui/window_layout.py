"""The window's layout: the smallest size at which everything still works, the sidebar
that folds away (View → Show sidebar, Ctrl+B), the Tab order, and Help → Keyboard shortcuts.

The window's smallest size is not a number picked once: each part says what it
needs (the sidebar a width, the messages room for the narrowest bubble and a few
lines, the input box its two lines), the splitter never squeezes a part below
that, and Qt makes the window's minimum the sum, so nothing is ever cut off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication, QMainWindow, QSizePolicy, QSplitter, QStyle, QWidget

from deskchat.i18n import _

from .bubble_sizes import MARGIN_X, MIN_BUBBLE
from .chat_pane import ChatPane
from .menus import Menus
from .model_picker import ModelPicker
from .sidebar import Sidebar

if TYPE_CHECKING:
    from .shortcuts_dialog import ShortcutsDialog

__all__ = ["MESSAGE_LINES", "SIDEBAR_MIN_WIDTH", "WindowLayout"]

SIDEBAR_MIN_WIDTH = 160
"""The sidebar is never narrower than this (its buttons and titles stay readable)."""
MESSAGE_LINES = 6
"""The messages always keep at least this many lines of height."""


class WindowLayout(QObject):
    """Sizes, the folding sidebar, the Tab order and the shortcuts dialog of ``window``.

    Args:
        window: the main window (the parent).
        splitter: holds ``sidebar`` and ``chat`` side by side.
        menus: the window's actions: Show sidebar, Keyboard shortcuts, Search.

    Attributes:
        shortcuts_dialog: Help → Keyboard shortcuts, once opened.
    """

    def __init__(
        self,
        window: QMainWindow,
        splitter: QSplitter,
        sidebar: Sidebar,
        chat: ChatPane,
        menus: Menus,
        model_picker: ModelPicker,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._sidebar = sidebar
        self._chat = chat
        self._menus = menus
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._size_parts(splitter, model_picker)
        self.set_tab_order(model_picker)
        view = chat.message_view
        view.setAccessibleName(_("Messages"))
        view.setAccessibleDescription(
            _("The conversation: Up and Down move between messages, the menu key acts on one")
        )
        menus.sidebar_action.toggled.connect(self.on_sidebar_action_toggled)
        # Before the sidebar's own slot (connected later): searching shows the sidebar first.
        menus.find_action.triggered.connect(self.show_sidebar)
        menus.shortcuts_action.triggered.connect(self.on_shortcuts_action_triggered)

    def _size_parts(self, splitter: QSplitter, model_picker: ModelPicker) -> None:
        # Dragging the splitter cannot squeeze a part to nothing; Ctrl+B hides the sidebar.
        splitter.setChildrenCollapsible(False)
        self._sidebar.setMinimumWidth(SIDEBAR_MIN_WIDTH)
        view = self._chat.message_view
        scroll_bar = QApplication.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        lines = view.fontMetrics().lineSpacing() * MESSAGE_LINES
        view.setMinimumSize(MIN_BUBBLE + 2 * MARGIN_X + scroll_bar + 2 * view.frameWidth(), lines)
        # The provider and model beside the picker give way rather than widen the window.
        label = self._chat.source_label
        label.setSizePolicy(QSizePolicy.Policy.Ignored, label.sizePolicy().verticalPolicy())
        label.setMinimumWidth(0)
        model_picker.setSizePolicy(
            QSizePolicy.Policy.Maximum, model_picker.sizePolicy().verticalPolicy()
        )

    def set_tab_order(self, model_picker: ModelPicker) -> None:
        """Tab goes: the input, Attach…, Send, the messages, the retry bar, then the sidebar (New
        chat, search, the list), then the model picker, and round to the input."""
        chat, side = self._chat, self._sidebar
        chain: list[QWidget] = [
            chat.input_box,
            chat.attachments_bar.attach_button,
            chat.send_button,
            chat.message_view,
            chat.retry_button,
            chat.continue_button,
            side.new_chat_button,
            side.search_box,
            side.conversation_list,
            side.search_results,
            model_picker,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # -- the sidebar ----------------------------------------------------------

    @Slot(bool)
    def on_sidebar_action_toggled(self, shown: bool) -> None:
        side = self._sidebar
        focus = QApplication.focusWidget()
        had_focus = focus is not None and (focus is side or side.isAncestorOf(focus))
        side.setVisible(shown)
        if had_focus and not shown:
            self._chat.input_box.setFocus()

    @Slot()
    def show_sidebar(self) -> None:
        """Show the sidebar if it is folded away (Search needs it)."""
        self._menus.sidebar_action.setChecked(True)

    # -- Help → Keyboard shortcuts ----------------------------------------------

    @Slot()
    def on_shortcuts_action_triggered(self) -> None:
        if self.shortcuts_dialog is None:
            from .shortcuts_dialog import ShortcutsDialog

            self.shortcuts_dialog = ShortcutsDialog(self._window)
        else:
            self.shortcuts_dialog.refresh()
        # open(), not exec(): the loop (and a streaming reply) keeps running.
        self.shortcuts_dialog.open()
