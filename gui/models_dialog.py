"""The Models dialog: the catalogue to download from, any repository, the models on disk.

Open it with ``.open()``. Downloads run in the window's
:class:`~gui.downloads.Downloads`, so they go on (and their rows come back)
after the dialog is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deskchat import library
from deskchat.chat import setup
from deskchat.i18n import _

from .downloads import Download, Downloads
from .errors import show_error

__all__ = ["DownloadRow", "ModelsDialog"]

log = logging.getLogger("deskchat.gui")

Spawn = Callable[[Coroutine[Any, Any, Any]], None]
_DATA = Qt.ItemDataRole.UserRole


class DownloadRow(QWidget):
    """One download: what it is, its progress line (size, speed, time left), Cancel.

    Signals:
        cancel_requested(str): Cancel (or Dismiss, once it ended) was pressed; the spec.
    """

    cancel_requested = Signal(str)

    def __init__(self, download: Download, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = download.spec
        self.title = QLabel(f"<b>{download.title}</b>")
        self.line = QLabel()
        self.line.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.spec))
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.line)
        layout.addLayout(row)
        self.show_download(download)

    def show_download(self, download: Download) -> None:
        """Show its latest state."""
        self.line.setText(download.line())
        fraction = download.progress.fraction if download.progress is not None else None
        if download.error:
            self.bar.hide()
            self.cancel_button.setText(_("Dismiss"))
        elif fraction is None:
            self.bar.setRange(0, 0)  # busy: the size is not known yet
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(fraction * 1000))


class ModelsDialog(QDialog):
    """Download models, add .gguf files, remove DeskChat's downloads, choose one to use.

    Args:
        downloads: the window's downloads (they outlive this dialog).
        locations: where models are looked for (called at each refresh).
        spawn: runs a coroutine in the window's background.
        offers: the catalogue for this computer, the recommended model first.
        machine: this computer, for "will not fit" notes.
        parent: the window.

    Signals:
        use_requested(str): "Use" on a model on disk: the path of its file.

    Attributes:
        catalogue, local_list: the two lists.
        repo_edit: where any ``OWNER/REPO[:QUANT]`` is typed.
        rows: a :class:`DownloadRow` per download shown, by spec.
        status: the dialog's last sentence (a download done, a file added, an error).
        file_dialog: the open "Add a .gguf file" dialog, if any.
    """

    use_requested = Signal(str)

    def __init__(
        self,
        downloads: Downloads,
        locations: Callable[[], library.Locations],
        spawn: Spawn,
        offers: Sequence[setup.Offer],
        machine: library.Machine,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Models"))
        self.resize(760, 620)
        self._downloads = downloads
        self._locations = locations
        self._spawn = spawn
        self.rows: dict[str, DownloadRow] = {}
        self.models: list[library.LocalModelInfo] = []
        self.file_dialog: QFileDialog | None = None
        self.removal: QMessageBox | None = None
        self._build(offers, machine)
        self._connect_signals()
        for download in downloads.downloads.values():
            self._row(download)

    def _build(self, offers: Sequence[setup.Offer], machine: library.Machine) -> None:
        self.catalogue = QTreeWidget()
        self.catalogue.setAccessibleName(_("Models to download"))
        self.catalogue.setAccessibleDescription(
            _("Small instruct models that run on a CPU: choose one, then download it")
        )
        self.catalogue.setHeaderLabels(
            [_("Model"), _("Download"), _("RAM needed"), _("On this computer")]
        )
        self.catalogue.setRootIsDecorated(False)
        free = library.format_size(machine.available_ram)
        for offer in offers:
            entry = offer.entry
            note = (
                _("recommended")
                if offer.recommended
                else ""
                if offer.fits
                else (_("will not fit ({free} free)").format(free=free))
            )
            item = QTreeWidgetItem(
                [
                    entry.title,
                    library.format_size(entry.size),
                    library.format_size(entry.ram_needed()),
                    note,
                ]
            )
            item.setData(0, _DATA, entry)
            item.setToolTip(0, f"{entry.spec} ({entry.licence})")
            self.catalogue.addTopLevelItem(item)
        _fit_columns(self.catalogue)
        first = self.catalogue.topLevelItem(0)
        if first is not None:
            self.catalogue.setCurrentItem(first)
        self.download_button = QPushButton(_("Download the chosen model"))
        self.repo_edit = QLineEdit()
        self.repo_edit.setAccessibleName(_("Any Hugging Face repository:"))
        self.repo_edit.setPlaceholderText(
            _("OWNER/REPO[:QUANT], e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF")
        )
        self.repo_button = QPushButton(_("Download"))
        self.downloads_box = QVBoxLayout()

        self.local_list = QTreeWidget()
        self.local_list.setAccessibleName(_("On this computer"))
        self.local_list.setAccessibleDescription(
            _("The models on this computer: Use answers with one, Remove deletes a download")
        )
        self.local_list.setHeaderLabels([_("Name"), _("Size"), _("Quantisation"), _("From")])
        self.local_list.setRootIsDecorated(False)
        self.use_button = QPushButton(_("Use"))
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.setToolTip(_("Delete a model DeskChat downloaded (never another app's)"))
        self.add_button = QPushButton(_("Add a .gguf file…"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(_bold(_("Download a model (small instruct models that run on a CPU)")))
        layout.addWidget(self.catalogue, 2)
        chosen = QHBoxLayout()
        chosen.addStretch(1)
        chosen.addWidget(self.download_button)
        layout.addLayout(chosen)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Any Hugging Face repository:")))
        row.addWidget(self.repo_edit, 1)
        row.addWidget(self.repo_button)
        layout.addLayout(row)
        layout.addLayout(self.downloads_box)
        layout.addWidget(_bold(_("On this computer")))
        layout.addWidget(self.local_list, 2)
        actions = QHBoxLayout()
        actions.addWidget(self.use_button)
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        actions.addWidget(self.add_button)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def _connect_signals(self) -> None:
        self.download_button.clicked.connect(self.on_download_button_clicked)
        self.catalogue.itemDoubleClicked.connect(self.on_download_button_clicked)
        self.repo_button.clicked.connect(self.on_repo_button_clicked)
        self.use_button.clicked.connect(self.on_use_button_clicked)
        self.local_list.itemDoubleClicked.connect(self.on_use_button_clicked)
        self.local_list.currentItemChanged.connect(self._update_buttons)
        # Enter acts where the focus is (a dialog would also press its default button).
        self._on_enter = {
            self.catalogue: self.on_download_button_clicked,
            self.repo_edit: self.on_repo_button_clicked,
            self.local_list: self.on_use_button_clicked,
        }
        for widget in self._on_enter:
            widget.installEventFilter(self)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        self.add_button.clicked.connect(self.on_add_button_clicked)
        d = self._downloads
        d.started.connect(self.on_downloads_started)
        d.progressed.connect(self.on_downloads_progressed)
        d.finished.connect(self.on_downloads_finished)
        d.failed.connect(self.on_downloads_failed)
        d.cancelled.connect(self.on_downloads_cancelled)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        act = self._on_enter.get(watched)  # type: ignore[call-overload]
        if act is None or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        act()
        return True

    def open(self) -> None:
        """Show the dialog (without blocking the loop) and read the models on disk again."""
        self._spawn(self.refresh())
        super().open()

    async def refresh(self) -> None:
        """List the models on disk (read on a worker thread)."""
        where = self._locations()
        try:
            models = await asyncio.to_thread(library.local_models, locations=where)
        except Exception as exc:  # noqa: BLE001 - said in the dialog
            show_error(self.status.setText, exc, doing=_("list the models on this computer"))
            return
        self.models = models
        self.local_list.clear()
        for model in models:
            item = QTreeWidgetItem(
                [
                    model.name,
                    library.format_size(model.size),
                    model.quantization or "?",
                    model.source_label,
                ]
            )
            item.setData(0, _DATA, model)
            item.setToolTip(0, model.problem or str(model.path))
            self.local_list.addTopLevelItem(item)
        _fit_columns(self.local_list)
        first = self.local_list.topLevelItem(0)
        if first is not None:
            self.local_list.setCurrentItem(first)
        self._update_buttons()

    def _chosen(self) -> library.LocalModelInfo | None:
        item = self.local_list.currentItem()
        model = item.data(0, _DATA) if item is not None else None
        return model if isinstance(model, library.LocalModelInfo) else None

    @Slot()
    def _update_buttons(self) -> None:
        model = self._chosen()
        self.use_button.setEnabled(model is not None and model.problem is None)
        self.remove_button.setEnabled(model is not None and model.removable)

    # -- downloading ---------------------------------------------------------------

    @Slot()
    def on_download_button_clicked(self) -> None:
        item = self.catalogue.currentItem()
        entry = item.data(0, _DATA) if item is not None else None
        if isinstance(entry, library.CatalogueEntry):
            self._start(entry.spec, entry.title)

    @Slot()
    def on_repo_button_clicked(self) -> None:
        spec = self.repo_edit.text().strip()
        try:
            library.parse_spec(spec)
        except library.LibraryError as exc:
            show_error(self.status.setText, exc, doing=_("download {spec}").format(spec=spec))
            return
        self._start(spec, spec)

    def _start(self, spec: str, title: str) -> None:
        if not self._downloads.start(spec, title):
            self.status.setText(_("{title} is already downloading.").format(title=title))

    def _row(self, download: Download) -> DownloadRow:
        row = self.rows.get(download.spec)
        if row is None:
            row = DownloadRow(download)
            row.cancel_requested.connect(self.on_row_cancel_requested)
            self.rows[download.spec] = row
            self.downloads_box.addWidget(row)
            row.show()
        row.show_download(download)
        return row

    def _drop_row(self, spec: str) -> None:
        row = self.rows.pop(spec, None)
        if row is not None:
            self.downloads_box.removeWidget(row)
            row.deleteLater()

    @Slot(str)
    def on_row_cancel_requested(self, spec: str) -> None:
        download = self._downloads.get(spec)
        if download is not None and download.running:
            self._downloads.cancel(spec)
            return
        self._downloads.forget(spec)
        self._drop_row(spec)

    @Slot(str)
    def on_downloads_started(self, spec: str) -> None:
        download = self._downloads.get(spec)
        if download is not None:
            self._row(download)

    @Slot(str, object)
    def on_downloads_progressed(self, _spec: str, download: Download) -> None:
        self._row(download)

    @Slot(str, str)
    def on_downloads_finished(self, spec: str, path: str) -> None:
        download = self._downloads.get(spec)
        title = download.title if download is not None else spec
        self._downloads.forget(spec)
        self._drop_row(spec)
        self.status.setText(_("Downloaded {title} to {path}.").format(title=title, path=path))
        self._spawn(self.refresh())

    @Slot(str, str)
    def on_downloads_failed(self, spec: str, _sentence: str) -> None:
        download = self._downloads.get(spec)
        if download is not None:
            self._row(download)

    @Slot(str)
    def on_downloads_cancelled(self, spec: str) -> None:
        download = self._downloads.get(spec)
        title = download.title if download is not None else spec
        self._downloads.forget(spec)
        self._drop_row(spec)
        self.status.setText(
            _(
                "The download of {title} was cancelled; what arrived is kept, so "
                "downloading it again resumes."
            ).format(title=title)
        )

    # -- the models on disk --------------------------------------------------------

    @Slot()
    def on_use_button_clicked(self) -> None:
        model = self._chosen()
        if model is not None and model.problem is None:
            self.use_requested.emit(str(model.path))
            self.status.setText(
                _("Replies now come from {name} (built-in engine).").format(name=model.name)
            )

    @Slot()
    def on_add_button_clicked(self) -> None:
        dialog = QFileDialog(self, _("Add a .gguf model file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(_("GGUF models (*.gguf)"))
        dialog.fileSelected.connect(self.on_file_dialog_file_selected)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        # open(), not exec(): the loop (and any download) keeps running.
        dialog.open()

    @Slot(str)
    def on_file_dialog_file_selected(self, path: str) -> None:
        self.file_dialog = None
        where = self._locations()
        try:
            added = library.add_model_file(path, where.data_dir)
        except (library.LibraryError, OSError) as exc:
            show_error(self.status.setText, exc, doing=f"add {path}")
            return
        self.status.setText(_("Added {added}; DeskChat uses it where it is.").format(added=added))
        self._spawn(self.refresh())

    @Slot()
    def on_remove_button_clicked(self) -> None:
        model = self._chosen()
        if model is None or not model.removable:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Remove model"),
            _("Delete {name} ({format_size}) from this computer?").format(
                name=model.name, format_size=library.format_size(model.size)
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: self._remove(model))
        box.finished.connect(box.deleteLater)
        self.removal = box
        box.open()

    def _remove(self, model: library.LocalModelInfo) -> None:
        self.removal = None
        try:
            removal = library.remove_model(model.name, locations=self._locations())
        except (library.LibraryError, OSError) as exc:
            show_error(self.status.setText, exc, doing=_("remove {name}").format(name=model.name))
            return
        self.status.setText(
            _("Removed {name}; {format_size} freed.").format(
                name=model.name, format_size=library.format_size(removal.freed)
            )
        )
        self._spawn(self.refresh())


def _bold(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _fit_columns(tree: QTreeWidget) -> None:
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, tree.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
