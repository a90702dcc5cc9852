"""Search results under the sidebar's search box: one row per hit, matches in bold."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QWidget

from deskchat.i18n import _
from deskchat.store import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit

__all__ = ["SearchBox", "SearchResults", "snippet_html"]


def snippet_html(snippet: str) -> str:
    """A hit's snippet as safe rich text: the text escaped, the matched words bold."""
    escaped = html.escape(" ".join(snippet.split()), quote=False)
    # The markers are control characters, so escaping leaves them alone.
    return escaped.replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")


class SearchBox(QLineEdit):
    """The search field: Esc clears what was typed (and so the search) before it stops a reply.

    With the field empty, Esc goes on to the window's Stop.
    """

    def event(self, event: QEvent) -> bool:
        # The window's Esc shortcut would take the key first; the field claims it while it
        # has text to clear.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.text()
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)


class SearchResults(QListWidget):
    """The hits of one search; choosing one emits :attr:`hit_chosen`.

    Signals:
        hit_chosen(object): the :class:`store.SearchHit` the user picked.
    """

    hit_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.hits: list[SearchHit] = []
        self.itemActivated.connect(self.on_item_activated)
        self.itemClicked.connect(self.on_item_activated)

    def show_hits(self, hits: list[SearchHit]) -> None:
        """Replace the rows with ``hits`` (best first)."""
        self.clear()
        self.hits = list(hits)
        if not hits:
            item = QListWidgetItem(_("No matches"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
            return
        for hit in hits:
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            label.setContentsMargins(6, 4, 6, 4)
            title = html.escape(hit.title or _("Untitled chat"), quote=False)
            label.setText(f"<small>{title}</small><br>{snippet_html(hit.snippet)}")
            item = QListWidgetItem()
            item.setToolTip(hit.title)
            item.setSizeHint(label.sizeHint())
            self.addItem(item)
            self.setItemWidget(item, label)

    def snippet_text(self, row: int) -> str:
        """The rich text shown for ``row`` (for tests and accessibility)."""
        widget = self.itemWidget(self.item(row))
        return widget.text() if isinstance(widget, QLabel) else self.item(row).text()

    @Slot(QListWidgetItem)
    def on_item_activated(self, item: QListWidgetItem) -> None:
        row = self.row(item)
        if 0 <= row < len(self.hits):
            self.hit_chosen.emit(self.hits[row])
