"""Download progress (size, speed, time left) and the token that cancels a download."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from deskchat.i18n import _

from .errors import DownloadCancelled

__all__ = ["CancelToken", "DownloadProgress", "ProgressCallback", "ProgressMeter"]

Phase = Literal["checking", "downloading", "verifying", "done"]


@dataclass(frozen=True)
class DownloadProgress:
    """A snapshot of one download, for a progress line or a progress bar.

    Attributes:
        filename: the file being transferred now.
        phase: ``"checking"`` (hashing a part downloaded before), ``"downloading"``,
            ``"verifying"`` or ``"done"``.
        done: bytes on disk so far, all files of the model together.
        total: bytes in all, or 0 when unknown.
        speed: bytes per second over the last few seconds (0 until measured).
        eta: seconds left at that speed, or None when unknown.
        resumed_from: bytes that were already on disk when this download began.
    """

    filename: str
    phase: Phase
    done: int
    total: int
    speed: float = 0.0
    eta: float | None = None
    resumed_from: int = 0

    @property
    def fraction(self) -> float | None:
        """Done as a share of the total (0 to 1), or None when the total is unknown."""
        return min(self.done / self.total, 1.0) if self.total else None


ProgressCallback = Callable[[DownloadProgress], None]


class CancelToken:
    """Cancels a download from another thread (the window's Stop, or asyncio cancellation).

    The download checks it between chunks and while it waits to retry, and
    stops with :class:`DownloadCancelled`, keeping the part downloaded so far.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise DownloadCancelled(_("The download was cancelled; run it again to resume."))

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if cancelled meanwhile (then raise)."""
        self._event.wait(seconds)
        self.raise_if_cancelled()


class ProgressMeter:
    """Turns byte counts into :class:`DownloadProgress` reports, at most ``interval`` apart.

    Speed is measured over a sliding window of ``window`` seconds, on the bytes
    transferred now (a resumed part does not count as speed).

    Args:
        callback: receives each report; None to measure silently.
        total: bytes of the whole model.
        clock: seconds, monotonic (injectable for tests).
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        total: int,
        *,
        interval: float = 0.1,
        window: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.callback = callback
        self.total = total
        self.interval = interval
        self.window = window
        self.clock = clock
        self.done = 0
        self.resumed_from = 0
        self.filename = ""
        self._samples: deque[tuple[float, int]] = deque()
        self._last_report = float("-inf")

    def start_file(self, filename: str, already: int) -> None:
        """A file begins; ``already`` of its bytes are on disk from an earlier attempt."""
        self.filename = filename
        self.resumed_from += already
        self.done += already
        self._samples.clear()
        self.report("downloading", force=True)

    def advance(self, count: int) -> None:
        """``count`` more bytes arrived."""
        self.done += count
        now = self.clock()
        self._samples.append((now, self.done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window:
            self._samples.popleft()
        if now - self._last_report >= self.interval:
            self.report("downloading")

    def rewind(self, count: int) -> None:
        """``count`` bytes were thrown away (the server ignored a Range request)."""
        self.done -= count
        self.resumed_from = max(0, self.resumed_from - count)
        self._samples.clear()

    def speed(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def report(self, phase: Phase, *, force: bool = False) -> None:
        now = self.clock()
        if self.callback is None or (not force and now - self._last_report < self.interval):
            return
        self._last_report = now
        speed = self.speed()
        left = max(self.total - self.done, 0)
        eta = left / speed if speed > 0 and self.total else None
        if phase == "done":
            eta = 0.0
        self.callback(
            DownloadProgress(
                self.filename, phase, self.done, self.total, speed, eta, self.resumed_from
            )
        )
