"""Qt helpers for the GUI benches: a qasync loop, a window on a provider, a tick meter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _common  # noqa: F401  (sets QT_QPA_PLATFORM / QT_API before Qt loads)
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop  # noqa: I001  (after PySide6, so qasync binds to it)


def run_qt(main: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``main()`` on a qasync loop over a QApplication, like gui.app does."""
    app = QApplication.instance() or QApplication(["deskchat-bench"])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
        return runner.run(main())


class TickMeter(QObject):
    """A 1 ms QTimer on the GUI thread: the longest gap between its ticks is the
    longest the Qt event loop (and so the window) was unresponsive.

    ``max_busy_ms`` counts only this thread's CPU time within a gap, so time the
    OS gave to other processes (a busy CI machine) is not blamed on DeskChat.
    """

    def __init__(self) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self.max_gap_ms = 0.0
        self.max_busy_ms = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
        self.max_busy_ms = max(self.max_busy_ms, (cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu


class PaintWatcher(QObject):
    """Calls ``on_paint(monotonic time)`` for every Paint event of a widget."""

    def __init__(self, widget: QObject, on_paint: Callable[[float], None]) -> None:
        super().__init__()
        self._on_paint = on_paint
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self._on_paint(time.monotonic())
        return False


async def wait_signal(signal: Any, limit: float = 120.0) -> tuple[Any, ...]:
    """Wait on the running qasync loop until ``signal`` fires; return its arguments."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(fire)
    try:
        return await asyncio.wait_for(future, limit)
    finally:
        signal.disconnect(fire)
