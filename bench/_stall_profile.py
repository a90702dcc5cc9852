"""cProfile of the slowest GUI ticks while a reply streams into the window.

Not a bench of its own: ``python bench/_stall_profile.py 1MB`` streams one reply
as stream_gui.py does, with cProfile on the GUI thread cleared at every tick of
a 1 ms QTimer, and prints the top calls (own CPU and cumulative) of the slowest
ticks. cProfile slows Python code about twice, so read shares, not milliseconds.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import time

import aiohttp
from _common import StreamServer
from _qt import run_qt, wait_signal
from PySide6.QtCore import QObject, QTimer

from deskchat import provider
from deskchat.gui.main_window import MainWindow

SIZES = {"100KB": 100_000, "1MB": 1_000_000, "4MB": 4_000_000}
KEEP = 5


class Ticks(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.tick)
        self.worst: list[tuple[float, str]] = []
        self.profiler = cProfile.Profile()
        self.last = time.thread_time()

    def start(self) -> None:
        self.last = time.thread_time()
        self.profiler.enable()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.profiler.disable()

    def tick(self) -> None:
        self.profiler.disable()
        now = time.thread_time()
        gap = (now - self.last) * 1000
        if len(self.worst) < KEEP or gap > self.worst[-1][0]:
            out = io.StringIO()
            stats = pstats.Stats(self.profiler, stream=out)
            stats.sort_stats("tottime").print_stats(14)
            stats.sort_stats("cumulative").print_stats(22)
            self.worst.append((gap, out.getvalue()))
            self.worst.sort(key=lambda item: -item[0])
            del self.worst[KEEP:]
        self.profiler.clear()
        self.last = time.thread_time()
        self.profiler.enable()


async def stream_once(url: str) -> Ticks:
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        window = MainWindow(provider.ChatgptFree(base_url=url, session=session))
        window.show()
        await asyncio.sleep(0.2)
        ticks = Ticks()
        ticks.start()
        window.session.send("Write a long answer.")
        await wait_signal(window.controller.reply_finished)
        await asyncio.sleep(0.05)
        ticks.stop()
        window.close()
        await asyncio.sleep(0.05)
    return ticks


def main() -> None:
    size = SIZES[sys.argv[1] if len(sys.argv) > 1 else "1MB"]
    with StreamServer(size) as server:
        ticks = run_qt(lambda: stream_once(server.url))
    for gap, text in ticks.worst:
        print(f"==== tick of {gap:.1f} ms GUI CPU (profiled) ====")  # noqa: T201
        print("\n".join(line for line in text.splitlines() if line.strip()))  # noqa: T201


if __name__ == "__main__":
    main()
