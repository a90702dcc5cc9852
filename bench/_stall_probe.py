"""What the longest GUI ticks spent their time on while a reply streams into the window.

Not a bench of its own: ``python bench/_stall_probe.py 1MB [--history]`` streams one
reply as stream_gui.py does and prints, for the slowest ticks of the Qt event loop (by
the GUI thread's CPU time), the CPU time each of the expensive calls took inside that
tick (the bubble's, aiohttp's parsing, the decoders, the store writer's saves).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
from _common import StreamServer
from _qt import run_qt, wait_signal
from aiohttp.client_proto import ResponseHandler
from PySide6.QtCore import QObject, QTimer

from deskchat import provider
from deskchat.gui import bubble_delegate, bubble_layouts, markdown, reply_renders
from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_model import MessageModel
from deskchat.gui.message_view import MessageView
from deskchat.provider import ReplyState
from deskchat.provider.chatgptfree import ChatgptFreeReplyParser
from deskchat.provider.sse import LineDecoder
from deskchat.store.aio import AsyncReplyWriter

SIZES = {"100KB": 100_000, "1MB": 1_000_000, "4MB": 4_000_000}
_spent: dict[str, float] = defaultdict(float)
_calls: dict[str, int] = defaultdict(int)


def _timed(owner: object, name: str, label: str) -> None:
    inner = getattr(owner, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        start = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            _spent[label] += time.thread_time() - start
            _calls[label] += 1

    setattr(owner, name, wrapper)


for owner, name in (
    (bubble_layouts.BubbleLayouts, "measure"),
    (bubble_layouts.BubbleLayouts, "_plain_layout"),
    (bubble_layouts.BubbleLayouts, "_geometry"),
    (bubble_layouts.BubbleLayouts, "refresh_rows"),
    (reply_renders.ReplyRenders, "_render"),
    (reply_renders.ReplyRenders, "_document"),
    (bubble_delegate.BubbleDelegate, "paint"),
    (bubble_delegate.BubbleDelegate, "sizeHint"),
    (reply_renders.ReplyRenders, "segments"),
):
    _timed(owner, name, f"{owner.__name__}.{name}")
_timed(markdown, "render", "markdown.render")
_timed(ChatgptFreeReplyParser, "feed", "parser.feed")
_timed(ReplyState, "handle", "ReplyState.handle")
_timed(MessageView, "doItemsLayout", "view.doItemsLayout")
_timed(ResponseHandler, "data_received", "aiohttp.data_received")
_timed(LineDecoder, "feed", "LineDecoder.feed")
_timed(MessageModel, "flush", "model.flush")
_timed(AsyncReplyWriter, "_send", "store.writer._send")
_timed(MessageView, "updateGeometries", "view.updateGeometries")
_gc_start = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_start[0] = time.thread_time()
    else:
        _spent[f"gc{info['generation']}"] += time.thread_time() - _gc_start[0]


gc.callbacks.append(_on_gc)
reply_renders.markdown = markdown


class Ticks(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.tick)
        self.worst: list[tuple[float, dict[str, float]]] = []
        self.last = time.thread_time()

    def tick(self) -> None:
        now = time.thread_time()
        gap = (now - self.last) * 1000
        self.last = now
        spent = {f"{k} x{_calls[k]}": round(v * 1000, 1) for k, v in _spent.items() if v}
        self.worst.append((gap, spent))
        self.worst.sort(key=lambda item: -item[0])
        del self.worst[8:]
        _spent.clear()
        _calls.clear()


async def stream_once(url: str, history: bool) -> Ticks:
    from deskchat.store import AsyncStore

    folder = tempfile.TemporaryDirectory(prefix="deskchat-probe-")
    store = await AsyncStore.open(Path(folder.name) / "history.db") if history else None
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        window = MainWindow(provider.ChatgptFree(base_url=url, session=session), history=store)
        window.show()
        await asyncio.sleep(0.2)
        if markdown._preloader is not None:  # as stream_gui.py: after the preload
            await asyncio.get_running_loop().run_in_executor(None, markdown._preloader.join)
        ticks = Ticks()
        _spent.clear()
        _calls.clear()
        ticks.last = time.thread_time()
        ticks.timer.start()
        window.session.send("Write a long answer.")
        await wait_signal(window.controller.reply_finished)
        await asyncio.sleep(0.05)
        ticks.timer.stop()
        window.close()
        await asyncio.sleep(0.05)
    if store is not None:
        await store.close()
    folder.cleanup()
    return ticks


def main() -> None:
    names = [a for a in sys.argv[1:] if a in SIZES] or ["1MB"]
    history = "--history" in sys.argv  # with a history store, as the app has
    with StreamServer(SIZES[names[0]]) as server:
        ticks = run_qt(lambda: stream_once(server.url, history))
    for gap, spent in ticks.worst:
        print(f"{gap:6.1f} ms  {spent}")  # noqa: T201


if __name__ == "__main__":
    main()
