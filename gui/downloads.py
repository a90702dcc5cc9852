"""Model downloads that outlive the dialog that started them: the window owns this object."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from deskchat import library
from deskchat.i18n import _

from .errors import show_error

__all__ = ["Download", "Downloads"]

log = logging.getLogger("deskchat.gui")


@dataclass
class Download:
    """One download, running or ended.

    Attributes:
        spec: what was asked for, ``OWNER/REPO[:QUANT]``.
        title: what to call it ("Qwen2.5 1.5B Instruct", else the spec).
        progress: the last progress report, None before the first.
        plan: the file chosen, once the Hub has answered.
        error: the sentence a failed download ended with.
        task: the task doing it (None once it ended).
    """

    spec: str
    title: str
    progress: library.DownloadProgress | None = None
    plan: library.PullPlan | None = None
    error: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def line(self) -> str:
        """What a progress row says now: size, speed and time left, or what it waits for."""
        if self.error:
            return self.error
        if self.progress is not None:
            return library.format_progress(self.progress)
        if self.plan is not None:
            return _("{filename}: starting ({format_size})…").format(
                filename=self.plan.filename, format_size=library.format_size(self.plan.size)
            )
        return _("{spec}: asking Hugging Face which file to download…").format(spec=self.spec)


class Downloads(QObject):
    """Runs ``deskchat pull`` downloads in the background, one per spec.

    Args:
        locations: where models are downloaded to and looked for (called when a
            download starts).

    Signals:
        started(str): a download of this spec began.
        progressed(str, object): its :class:`Download` has a new progress report.
        finished(str, str): it is on disk: the spec and the model file's path.
        failed(str, str): it failed: the spec and the sentence to show.
        cancelled(str): it was cancelled (the part is kept for next time).
    """

    started = Signal(str)
    progressed = Signal(str, object)
    finished = Signal(str, str)
    failed = Signal(str, str)
    cancelled = Signal(str)

    def __init__(
        self, locations: Callable[[], library.Locations], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._locations = locations
        self.downloads: dict[str, Download] = {}

    def get(self, spec: str) -> Download | None:
        return self.downloads.get(spec)

    def running(self) -> list[Download]:
        return [d for d in self.downloads.values() if d.running]

    def start(self, spec: str, title: str = "") -> bool:
        """Begin downloading ``spec``; False if it is already downloading."""
        spec = spec.strip()
        known = self.downloads.get(spec)
        if known is not None and known.running:
            return False
        download = Download(spec, title or spec)
        self.downloads[spec] = download
        download.task = asyncio.ensure_future(self._run(download))
        self.started.emit(spec)
        return True

    def cancel(self, spec: str) -> None:
        """Stop the download of ``spec``; what arrived stays for the next attempt."""
        download = self.downloads.get(spec)
        if download is not None and download.task is not None:
            download.task.cancel()

    def forget(self, spec: str) -> None:
        """Drop an ended download from the list."""
        download = self.downloads.get(spec)
        if download is not None and not download.running:
            del self.downloads[spec]

    async def aclose(self) -> None:
        """Cancel every download and wait until each has let go of its file."""
        tasks = [d.task for d in self.downloads.values() if d.task is not None and d.running]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _run(self, download: Download) -> None:
        spec = download.spec
        try:
            plan = await asyncio.to_thread(library.plan_pull, spec, locations=self._locations())
            download.plan = plan
            self.progressed.emit(spec, download)

            def report(update: library.DownloadProgress) -> None:
                download.progress = update
                self.progressed.emit(spec, download)

            path = await library.adownload(plan, progress=report)
        except asyncio.CancelledError:
            download.task = None
            self.cancelled.emit(spec)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes the row's sentence
            said: list[str] = []
            show_error(said.append, exc, doing=_("download {spec}").format(spec=spec))
            download.error = " ".join(said)
            download.task = None
            log.info("download of %s failed: %s", spec, download.error)
            self.failed.emit(spec, download.error)
            return
        download.task = None
        log.info("downloaded %s to %s", spec, path)
        self.finished.emit(spec, str(path))
