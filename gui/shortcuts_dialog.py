"""Help → Keyboard shortcuts: every shortcut of the window, read from its actual QActions.

Nothing here lists keys by hand: the rows come from the window's actions (their
shortcuts, and the widgets they are added to) and from widgets that answer
``key_help()`` with keys of their own (the input box's Enter and Shift+Enter),
so the list cannot fall behind the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deskchat.i18n import _

__all__ = ["Shortcut", "ShortcutsDialog", "window_shortcuts"]


@dataclass(frozen=True)
class Shortcut:
    """One row of the list.

    Attributes:
        place: where it works: "Anywhere", or the accessible name of the widget
            that must have the focus ("Messages", "Conversations", …).
        keys: the keys as the platform writes them ("Ctrl+N"; several joined by ", ").
        what: what it does (the action's text without "&" and "…").
    """

    place: str
    keys: str
    what: str


def _place(action: QAction, window: QWidget) -> str | None:
    """Where ``action``'s shortcut works; None: nowhere (it sits in no widget but menus)."""
    widgets = [o for o in action.associatedObjects() if isinstance(o, QWidget)]
    if window in widgets:
        return _("Anywhere")
    for widget in widgets:
        if not isinstance(widget, QMenu):
            return widget.accessibleName() or widget.objectName() or type(widget).__name__
    return None


def window_shortcuts(window: QWidget) -> list[Shortcut]:
    """Every shortcut that works in ``window``: "Anywhere" first, then by widget, each in
    the order the window made them."""
    rows: list[Shortcut] = []
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        place = _place(action, window)
        if keys and place is not None:
            rows.append(Shortcut(place, ", ".join(keys), action.iconText()))
    for widget in window.findChildren(QWidget):
        key_help = getattr(widget, "key_help", None)
        if callable(key_help):
            name = widget.accessibleName() or type(widget).__name__
            rows += [Shortcut(name, keys, what) for keys, what in key_help()]
    anywhere = _("Anywhere")
    first: dict[str, int] = {}
    for index, row in enumerate(rows):
        first.setdefault(row.place, index)
    return sorted(rows, key=lambda row: (row.place != anywhere, first[row.place]))


class ShortcutsDialog(QDialog):
    """The window's shortcuts in a list grouped by where they work; :meth:`refresh` reads
    them again (call it before ``open()``).

    Args:
        window: the window whose shortcuts are listed (and the dialog's parent).

    Attributes:
        tree: the list: one top row per place, the shortcuts under it (keys, then what).
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.setWindowTitle(_("Keyboard shortcuts"))
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([_("Keys"), _("Action")])
        self.tree.setRootIsDecorated(False)
        self.tree.setItemsExpandable(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setAccessibleName(_("Keyboard shortcuts"))
        self.tree.setAccessibleDescription(_("Every shortcut of the window, by where it works"))
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(520, 560)
        self.refresh()

    def refresh(self) -> None:
        """List the window's shortcuts as they are now."""
        self.tree.clear()
        heading: QTreeWidgetItem | None = None
        for row in window_shortcuts(self._window):
            if heading is None or heading.text(0) != row.place:
                heading = QTreeWidgetItem(self.tree, [row.place])
                heading.setFirstColumnSpanned(True)
                font = heading.font(0)
                font.setBold(True)
                heading.setFont(0, font)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item = QTreeWidgetItem(heading, [row.keys, row.what])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.expandAll()

    def rows(self) -> list[tuple[str, str, str]]:
        """What the list shows, as (place, keys, what) rows."""
        shown: list[tuple[str, str, str]] = []
        for top in range(self.tree.topLevelItemCount()):
            heading = self.tree.topLevelItem(top)
            assert heading is not None
            for child in range(heading.childCount()):
                item = heading.child(child)
                assert item is not None
                shown.append((heading.text(0), item.text(0), item.text(1)))
        return shown
