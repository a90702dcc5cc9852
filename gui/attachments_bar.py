"""Files waiting to be sent: the Attach button, a chip per file above the input, drop and paste.

Reading, scaling and the thumbnails happen on a worker thread
(:func:`deskchat.chat.attachments.read_attachments`), so attaching a 20 MB
photo never holds up the window; a file that cannot be sent gives its one
sentence in the status line and adds nothing. ``deskchat.attach`` (and with
it Pillow and pypdf) loads when the first file is attached, not at start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeyEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from deskchat.i18n import _

from .errors import show_error

if TYPE_CHECKING:
    import asyncio

    from deskchat.attach import Attachment, Limits

__all__ = ["AttachmentsBar", "thumbnail"]

log = logging.getLogger("deskchat.gui")

_Reader = Callable[["Limits"], list[tuple["Attachment", bytes] | Exception]]

THUMB = 40
"""The side of an image's thumbnail on its chip, in pixels."""


def thumbnail(attachment: Attachment, side: int = THUMB) -> bytes:
    """A small PNG of an image attachment (b"" for text): made off the GUI thread."""
    if not attachment.is_image:
        return b""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(attachment.data)) as image:
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, "PNG")
    return out.getvalue()


def _read(paths: Sequence[Path], limits: Limits) -> list[tuple[Attachment, bytes] | Exception]:
    """Each file read, with its thumbnail, or why it could not be (in the order given)."""
    from deskchat.attach import read_file

    found: list[tuple[Attachment, bytes] | Exception] = []
    for path in paths:
        try:
            attachment = read_file(path, limits)
            found.append((attachment, thumbnail(attachment)))
        except Exception as exc:  # noqa: BLE001 - each refusal is said; the others are added
            found.append(exc)
    return found


def _read_image(image: QImage, limits: Limits) -> list[tuple[Attachment, bytes] | Exception]:
    """A pasted image, saved as PNG in a private temporary folder and read like a file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="deskchat-paste-") as folder:
        path = Path(folder) / (_("Pasted image") + ".png")
        if not image.save(str(path)):  # PNG, from the suffix
            raise OSError("the pasted image could not be written")
        return _read([path], limits)


def local_files(source: QMimeData) -> list[Path]:
    if not source.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in source.urls() if url.isLocalFile()]


class _Chip(QFrame):
    """One waiting file: its thumbnail or kind, name and size, and a remove button."""

    def __init__(self, attachment: Attachment, thumb: bytes, remove: Callable[[], None]) -> None:
        super().__init__()
        from deskchat.attach import format_size

        self.attachment = attachment
        self.setObjectName("attachmentChip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 2, 2)
        row.setSpacing(4)
        icon = QLabel()
        if thumb:
            pixmap = QPixmap()
            pixmap.loadFromData(thumb, "PNG")
            icon.setPixmap(pixmap)
        else:
            icon.setText("PDF" if attachment.kind == "pdf" else "TXT")
        row.addWidget(icon)
        label = QLabel(f"{attachment.name} · {format_size(attachment.size)}")
        label.setToolTip(attachment.name)
        row.addWidget(label)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip(_("Remove {name}").format(name=attachment.name))
        close.setAccessibleName(_("Remove {name}").format(name=attachment.name))
        close.clicked.connect(remove)
        row.addWidget(close)


class AttachmentsBar(QWidget):
    """The files to send with the next message, as chips; hidden while there are none.

    Args:
        limits: returns the reading limits for the provider in use (called on the
            worker thread: it must not touch Qt).
        report: shows a one-line sentence (a file that could not be attached).

    Attributes:
        attach_button: the "Attach…" button, placed beside the input by the pane.
        tasks: the reads in progress (the window keeps them, as every async job).

    Signals:
        changed(): a file was added or removed.
    """

    changed = Signal()

    def __init__(
        self,
        limits: Callable[[], Limits],
        report: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._limits = limits
        self._report = report
        self._chips: list[_Chip] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addStretch(1)
        self.attach_button = QPushButton(_("Attach…"))
        self.attach_button.setToolTip(
            _("Attach images, text files or PDFs (or drop them on the window, or paste)")
        )
        self.attach_button.setAccessibleName(_("Attach files"))
        # In the Tab chain the window sets, between the input and Send
        # (gui/window_layout.set_tab_order): Space opens the file dialog.
        self.attach_button.clicked.connect(self.on_attach_button_clicked)
        self._dialog: QFileDialog | None = None
        self.drop_filter: QObject | None = None
        self.hide()

    # -- what is waiting ------------------------------------------------------

    def attachments(self) -> list[Attachment]:
        return [chip.attachment for chip in self._chips]

    @property
    def busy(self) -> bool:
        """True while files are still being read."""
        return any(not task.done() for task in self.tasks)

    def clear(self) -> None:
        for chip in self._chips:
            chip.deleteLater()
        self._chips.clear()
        self.hide()
        self.changed.emit()

    def add(self, attachment: Attachment, thumb: bytes = b"") -> None:
        if any(c.attachment.sha256 == attachment.sha256 for c in self._chips):
            return  # The same file twice is sent once.
        chip = _Chip(attachment, thumb, lambda: self.remove(attachment))
        self._chips.append(chip)
        self._row.insertWidget(len(self._chips) - 1, chip)
        self.show()
        self.changed.emit()

    def remove(self, attachment: Attachment) -> None:
        for chip in list(self._chips):
            if chip.attachment is attachment:
                self._chips.remove(chip)
                chip.deleteLater()
        self.setVisible(bool(self._chips))
        self.changed.emit()

    # -- adding ---------------------------------------------------------------

    def on_attach_button_clicked(self) -> None:
        dialog = QFileDialog(self.window(), _("Attach files"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda names: self.attach_paths([Path(n) for n in names]))
        self._dialog = dialog
        dialog.open()  # Never exec(): the loop keeps running.

    def attach_paths(self, paths: Sequence[Path]) -> None:
        """Read ``paths`` on a worker thread and add them (each refusal is reported)."""
        chosen = list(paths)
        if chosen:
            names = ", ".join(p.name for p in chosen)
            self._spawn(lambda limits: _read(chosen, limits), names)

    def attach_image(self, image: QImage) -> None:
        """Add a pasted image (encoded and scaled on a worker thread)."""
        copy = image.copy()  # The clipboard's image may change meanwhile.
        self._spawn(lambda limits: _read_image(copy, limits), _("the pasted image"))

    def _spawn(self, read: _Reader, what: str) -> None:
        import asyncio

        task = asyncio.ensure_future(self._read(read, what))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _read(self, read: _Reader, what: str) -> None:
        import asyncio

        try:
            # The limits too on the worker: their first call imports deskchat.attach
            # (~6 ms, more without .pyc files), which would hold up the window.
            found = await asyncio.to_thread(lambda: read(self._limits()))
        except Exception as exc:  # noqa: BLE001 - one sentence in the status line
            show_error(self._report, exc, doing=_("attach {name}").format(name=what))
            return
        for item in found:
            if isinstance(item, Exception):
                show_error(self._report, item, doing=_("attach {name}").format(name=what))
            else:
                self.add(*item)

    # -- drop and paste --------------------------------------------------------

    def accept_drops_on(self, widget: QWidget) -> None:
        """Files dropped anywhere on ``widget`` (where no child takes them) are attached."""
        widget.setAcceptDrops(True)
        self.drop_filter = _DropFilter(self, widget)
        widget.installEventFilter(self.drop_filter)

    def paste_into(self, box: QWidget) -> None:
        """Ctrl+V in ``box`` attaches a copied image or files copied in a file manager."""
        box.installEventFilter(_PasteFilter(self, box))


class _DropFilter(QObject):
    def __init__(self, bar: AttachmentsBar, parent: QWidget) -> None:
        super().__init__(parent)
        self._bar = bar

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent | QDropEvent)
            if local_files(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            files = local_files(event.mimeData())
            if files:
                event.acceptProposedAction()
                self._bar.attach_paths(files)
                return True
        return False


class _PasteFilter(QObject):
    def __init__(self, bar: AttachmentsBar, parent: QWidget) -> None:
        super().__init__(parent)
        self._bar = bar

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        if not event.matches(QKeySequence.StandardKey.Paste):
            return False
        source = QApplication.clipboard().mimeData()
        if source is None:
            return False
        files = local_files(source)
        if files:
            self._bar.attach_paths(files)
            return True
        if source.hasImage() and not source.hasText():
            image = QApplication.clipboard().image()
            if not image.isNull():
                self._bar.attach_image(image)
                return True
        return False
