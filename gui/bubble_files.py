"""The files sent with a question, as chips in its bubble: a thumbnail or the kind, name, size.

The bubble's footer area holds them (where a reply has its model line). The
thumbnails are made from the stored attachment on a worker thread and kept by
the file's sha256, so a chip is drawn at once with an empty frame and its
picture arrives a moment later (the view repaints; the size never changes).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

if TYPE_CHECKING:
    from deskchat.attach import Attachment

__all__ = ["FileChips"]

log = logging.getLogger("deskchat.gui")

THUMB = 28
"""The side of an image's thumbnail on a sent chip, in pixels."""
PAD = 4
SPACING = 4
TEXT_WIDTH = 220
"""The widest a chip's name and size get before the name is elided."""
KEPT = 300
"""Thumbnails kept (~3 kB each)."""


def _label(attachment: Attachment) -> str:
    from deskchat.attach import format_size

    return f"{attachment.name} · {format_size(attachment.size)}"


class FileChips(QObject):
    """Measures and paints a sent message's files; makes and keeps their thumbnails.

    Signals:
        thumbnail_ready(): a thumbnail was made (the view repaints to show it).
    """

    thumbnail_ready = Signal()
    _made = Signal(str, bytes)  # Emitted on the worker thread, received on the GUI thread.

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thumbs: OrderedDict[str, QImage] = OrderedDict()
        self._pending: set[str] = set()
        self._worker: ThreadPoolExecutor | None = None
        self._made.connect(self._on_made)

    # -- measuring --------------------------------------------------------

    def _chips(
        self, attachments: Sequence[Attachment], font: QFont, width: int
    ) -> list[tuple[QRect, Attachment, str]]:
        """Each chip's place (from the top left of the footer), its file and its text."""
        metrics = QFontMetrics(font)
        height = max(THUMB, metrics.height()) + 2 * PAD
        placed: list[tuple[QRect, Attachment, str]] = []
        x = y = 0
        for attachment in attachments:
            text = metrics.elidedText(_label(attachment), Qt.TextElideMode.ElideMiddle, TEXT_WIDTH)
            side = THUMB if attachment.is_image else metrics.horizontalAdvance("PDF")
            chip_width = PAD + side + PAD + metrics.horizontalAdvance(text) + PAD
            if x and x + chip_width > width:
                x, y = 0, y + height + SPACING
            placed.append((QRect(x, y, chip_width, height), attachment, text))
            x += chip_width + SPACING
        return placed

    def size(self, attachments: Sequence[Attachment], font: QFont, width: int) -> QSize:
        """The footer's size for ``attachments`` in a bubble ``width`` wide."""
        area = QRect()
        for rect, _attachment, _text in self._chips(attachments, font, width):
            area = area.united(rect)
        return area.size()

    # -- painting ---------------------------------------------------------

    def paint(
        self,
        painter: QPainter,
        top_left: QPoint,
        width: int,
        attachments: Sequence[Attachment],
        font: QFont,
        ink: QColor,
    ) -> None:
        """The chips, from ``top_left``, in ``ink`` (the footer's colour)."""
        painter.save()
        painter.setFont(font)
        frame = QColor(ink)
        frame.setAlphaF(0.45)
        for rect, attachment, text in self._chips(attachments, font, width):
            chip = rect.translated(top_left)
            painter.setPen(frame)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(chip.adjusted(0, 0, -1, -1), 5, 5)
            inner = chip.adjusted(PAD, PAD, -PAD, -PAD)
            if attachment.is_image:
                box = QRect(inner.left(), chip.center().y() - THUMB // 2, THUMB, THUMB)
                image = self.thumbnail(attachment)
                if image is not None:
                    picture = image.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
                    target = QRect(QPoint(0, 0), picture)
                    target.moveCenter(box.center())
                    painter.drawImage(target, image)
                else:
                    painter.drawRect(box.adjusted(0, 0, -1, -1))
                text_left = box.right() + 1 + PAD
            else:
                kind = "PDF" if attachment.kind == "pdf" else "TXT"
                painter.setPen(frame)
                painter.drawText(inner, int(Qt.AlignmentFlag.AlignVCenter), kind)
                text_left = inner.left() + QFontMetrics(font).horizontalAdvance("PDF") + PAD
            painter.setPen(ink)
            label = QRect(text_left, inner.top(), inner.right() - text_left + 1, inner.height())
            painter.drawText(label, int(Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()

    # -- thumbnails -------------------------------------------------------

    def thumbnail(self, attachment: Attachment) -> QImage | None:
        """The image's thumbnail if made; else None, and it is being made."""
        kept = self._thumbs.get(attachment.sha256)
        if kept is not None:
            self._thumbs.move_to_end(attachment.sha256)
            return kept
        if attachment.sha256 not in self._pending:
            self._pending.add(attachment.sha256)
            if self._worker is None:
                self._worker = ThreadPoolExecutor(1, thread_name_prefix="deskchat-thumbs")
            self._worker.submit(self._make, attachment)
        return None

    def _make(self, attachment: Attachment) -> None:
        """On the worker thread: scale the stored image down (Pillow, as the chips above
        the input)."""
        from .attachments_bar import thumbnail

        try:
            made = thumbnail(attachment, THUMB * 2)  # Sharp on a 2x screen too.
        except Exception:  # noqa: BLE001 - a stored image that no longer decodes: no picture
            log.info("no thumbnail for %s", attachment.name, exc_info=True)
            made = b""
        try:
            self._made.emit(attachment.sha256, made)
        except RuntimeError:  # The view closed meanwhile.
            pass

    def _on_made(self, sha256: str, png: bytes) -> None:
        image = QImage.fromData(png) if png else QImage()
        if image.isNull():
            return  # Stays pending: an empty frame, and not tried again.
        self._pending.discard(sha256)
        self._thumbs[sha256] = image
        while len(self._thumbs) > KEPT:
            self._thumbs.popitem(last=False)
        self.thumbnail_ready.emit()

    def close(self) -> None:
        """Stop the worker (thumbnails not made yet are dropped)."""
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
            self._worker = None
