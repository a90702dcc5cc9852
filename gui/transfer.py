"""Export and import through the File menu, with non-blocking file dialogs.

Every dialog is a :class:`QFileDialog` instance opened with ``.open()``; the
work starts from its ``fileSelected`` signal, never from a static
``getSaveFileName`` inside a coroutine (that would run a nested loop).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from deskchat.i18n import N_, _, ngettext, number
from deskchat.store import StoreError

from .errors import show_error

if TYPE_CHECKING:
    from deskchat.store import AsyncStore

__all__ = ["Transfer"]

_FILTERS = {"markdown": N_("Markdown (*.md)"), "json": N_("DeskChat JSON (*.json)")}
_SUFFIX = {"markdown": "md", "json": "json"}
_IMPORT_FILTER = N_("DeskChat or ChatGPT export (*.json)")


class Transfer(QObject):
    """Asks for a file, then exports to it or imports from it.

    Args:
        history: the open history store.
        window: the dialogs' parent.
        spawn: runs a coroutine as a task the window keeps.

    Attributes:
        dialog: the file dialog currently asking (tests drive it), or None.

    Signals:
        finished(str): a sentence saying what happened (or what went wrong).
        imported(): conversations were added; the sidebar should be read again.
    """

    finished = Signal(str)
    imported = Signal()

    def __init__(
        self,
        history: AsyncStore,
        window: QWidget,
        spawn: Callable[[Coroutine[Any, Any, Any]], object],
    ) -> None:
        super().__init__(window)
        self._history = history
        self._window = window
        self._spawn = spawn
        self.dialog: QFileDialog | None = None

    def _ask(
        self, title: str, save: bool, name_filter: str, suffix: str, then: Callable[[str], None]
    ) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        dialog = QFileDialog(self._window, title)
        # Qt's own dialog: the same on every platform and drivable in tests.
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        mode = QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen
        dialog.setAcceptMode(mode)
        dialog.setFileMode(
            QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile
        )
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix)
        dialog.fileSelected.connect(then)
        self.dialog = dialog
        dialog.open()

    def export_shown(self, conversation_id: int | None, fmt: str) -> None:
        """Export the conversation shown (its store id; None: not saved, nothing to export)."""
        if conversation_id is None:
            self.finished.emit(_("This conversation is empty; there is nothing to export."))
            return
        self.export(conversation_id, fmt)

    def export(self, conversation_id: int | None, fmt: str) -> None:
        """Ask where to save, then write ``fmt`` ("markdown"/"json"); None exports all."""
        ids = None if conversation_id is None else [conversation_id]
        what = _("this conversation") if ids else _("all conversations")

        @Slot(str)
        def chosen(path: str) -> None:
            self._spawn(self._export(Path(path), ids, fmt))

        self._ask(
            _("Export {what}").format(what=what), True, _(_FILTERS[fmt]), _SUFFIX[fmt], chosen
        )

    def import_file(self) -> None:
        """Ask for a DeskChat or ChatGPT export, then import it."""

        @Slot(str)
        def chosen(path: str) -> None:
            self._spawn(self._import(Path(path)))

        self._ask(_("Import conversations"), False, _(_IMPORT_FILTER), "json", chosen)

    async def _export(self, path: Path, ids: list[int] | None, fmt: str) -> None:
        try:
            written = await self._history.write_export(path, ids, fmt=fmt)
        except (StoreError, OSError) as exc:
            show_error(
                self.finished.emit,
                exc,
                doing=_("write {name}").format(name=path.name),
                advice=_("choose another folder"),
            )
        else:
            self.finished.emit(_("Exported to {written}.").format(written=written))

    async def _import(self, path: Path) -> None:
        try:
            result = await self._history.import_file(path)
        except (StoreError, OSError) as exc:
            show_error(self.finished.emit, exc, doing=_("read {name}").format(name=path.name))
            return
        count = len(result.imported)
        text = ngettext("Imported {n} conversation.", "Imported {n} conversations.", count)
        text = text.format(n=number(count))
        if result.skipped:
            text += " " + ngettext(
                "{n} was already here.", "{n} were already here.", result.skipped
            ).format(n=number(result.skipped))
        self.finished.emit(text)
        if count:
            self.imported.emit()
