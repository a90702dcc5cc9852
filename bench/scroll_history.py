"""Far jumps and scrolling through a 10,000-message conversation (issue #11).

Target: Home and a search hit in the oldest messages show the target in < 200 ms;
scrolling from the bottom to the top never holds the GUI thread over ~16 ms.

A fresh database holds one conversation of 10,000 messages (~70 words each),
read whole and shown in a window that is already up (the state once the session
has read the rest of a long chat: its last ``FIRST_ROWS`` are rows). Each
measurement opens it afresh in a new window:

- ``home_ms``: Ctrl+Home pressed on the message view → the first paint that shows
  the conversation's first message; ``home_settled_ms``: → the view's rows all
  laid out (its batched layout done), and ``home_max_stall_ms`` (``_cpu_ms``) the
  longest gap of a 1 ms QTimer on the way; ``home_rows``: the model's rows then;
- ``search_hit_ms``: the session told to show the 5th message (what a click on a
  search hit does: ``select_conversation(..., focus=store id)``) → the first paint
  that shows it selected; ``search_settled_ms`` and ``search_max_stall_ms`` as for Home;
- ``scroll_*``: from the end to the first message by steps of :data:`STEP_PAGES`
  pages up (as a fast wheel or PgUp held down), one step per turn of the loop
  after the last step's paint; the longest gap of a 1 ms QTimer (and the GUI
  thread's CPU time in it) over the whole way, the steps and the time taken;
  ``scroll_max_stall_no_gc_cpu_ms`` the same CPU time less the cycle collector's
  full (generation 2) collections in the gap, and ``scroll_max_full_gc_ms`` the
  longest of those (they walk every object alive, 10,000 messages' worth: a
  stall of their own, not the rows').
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, repeats, summary
from _corpus import messages
from _qt import PaintWatcher, TickMeter, run_qt
from open_conversation import close
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from deskchat import provider
from deskchat.chat.conversation import ChatMessage, Conversation, bubbles
from deskchat.gui.main_window import MainWindow
from deskchat.store import Store

COUNT = 10_000
TARGET_MS = 200.0
STALL_MS = 16.0
STEP_PAGES = 3
HIT = 4
"""The search hit's conversation row: the 5th message."""


async def shown(path: list) -> tuple[MainWindow, Conversation]:  # type: ignore[type-arg]
    """A window showing the whole conversation, at its end, painted."""
    window = MainWindow(provider.ChatgptFree(base_url="http://127.0.0.1:9"))
    window.resize(900, 700)
    window.show()
    await asyncio.sleep(0.2)
    conversation = Conversation(title="Bench", messages=bubbles(path))
    window.session.conversations.items.insert(0, conversation)
    window.session.select_conversation(conversation.id)
    await asyncio.sleep(0.3)
    return window, conversation


def on_screen(window: MainWindow, message: ChatMessage) -> bool:
    view, model = window.chat.message_view, window.message_model
    row = model.row_of(message)
    if row is None:
        return False
    return view.visualRect(model.index(row)).intersects(view.viewport().rect())


async def until_painted(window: MainWindow, shows: object) -> float:
    """The time of the first paint of the view for which ``shows()`` is true."""
    painted: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def on_paint(at: float) -> None:
        if not painted.done() and shows():  # type: ignore[operator]
            painted.set_result(at)

    watcher = PaintWatcher(window.chat.message_view.viewport(), on_paint)
    try:
        return await asyncio.wait_for(painted, 60)
    finally:
        del watcher


async def settle(window: MainWindow, start: float) -> float:
    """Wait until the view has laid out all its rows; ms since ``start`` (60 s at most)."""
    view, model = window.chat.message_view, window.message_model
    while time.monotonic() - start < 60:
        last = model.index(model.rowCount() - 1)
        if not last.isValid() or view.visualRect(last).isValid():
            break
        await asyncio.sleep(0.005)
    return (time.monotonic() - start) * 1000


async def home_once(path: list) -> dict[str, float]:  # type: ignore[type-arg]
    window, conversation = await shown(path)
    view = window.chat.message_view
    view.setFocus()
    first = conversation.messages[0]
    waiting = asyncio.ensure_future(until_painted(window, lambda: on_screen(window, first)))
    await asyncio.sleep(0)
    meter = TickMeter()
    meter.start()
    start = time.monotonic()
    QTest.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    at = await waiting
    settled = await settle(window, start)
    meter.stop()
    still = on_screen(window, first)
    rows = window.message_model.rowCount()
    await close(window)
    return {
        "home_ms": (at - start) * 1000,
        "home_settled_ms": settled,
        "home_max_stall_ms": meter.max_gap_ms,
        "home_max_stall_cpu_ms": meter.max_busy_ms,
        "home_first_still_shown": float(still),
        "home_rows": float(rows),
    }


async def search_once(path: list) -> dict[str, float]:  # type: ignore[type-arg]
    window, conversation = await shown(path)
    view, model = window.chat.message_view, window.message_model
    hit = conversation.messages[HIT]
    assert hit.store_id is not None

    def selected() -> bool:
        index = view.currentIndex()
        return index.isValid() and model.message(index.row()) is hit and on_screen(window, hit)

    waiting = asyncio.ensure_future(until_painted(window, selected))
    await asyncio.sleep(0)
    meter = TickMeter()
    meter.start()
    start = time.monotonic()
    window.session.select_conversation(conversation.id, hit.store_id)
    at = await waiting
    settled = await settle(window, start)
    meter.stop()
    still = selected()
    await close(window)
    return {
        "search_hit_ms": (at - start) * 1000,
        "search_settled_ms": settled,
        "search_max_stall_ms": meter.max_gap_ms,
        "search_max_stall_cpu_ms": meter.max_busy_ms,
        "search_hit_still_shown": float(still),
    }


class GcTicks(TickMeter):
    """A :class:`TickMeter` that also keeps the longest gap's CPU time less the full
    collections of the cycle collector in it, and the longest such collection."""

    def __init__(self) -> None:
        super().__init__()
        self.max_busy_no_gc_ms = 0.0
        self.max_full_gc_ms = 0.0
        self._full = 0.0
        self._began = 0.0
        self._timer.timeout.connect(self._after_tick)

    def _on_gc(self, phase: str, info: dict) -> None:  # type: ignore[type-arg]
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.thread_time()
        else:
            took = (time.thread_time() - self._began) * 1000
            self._full += took
            self.max_full_gc_ms = max(self.max_full_gc_ms, took)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        super().start()
        self._from_cpu = self._last_cpu

    def stop(self) -> None:
        super().stop()
        gc.callbacks.remove(self._on_gc)

    def _after_tick(self) -> None:
        # Runs after TickMeter._tick moved _last_cpu on: the gap is since _from_cpu.
        busy = (self._last_cpu - self._from_cpu) * 1000 - self._full
        self.max_busy_no_gc_ms = max(self.max_busy_no_gc_ms, busy)
        self._from_cpu, self._full = self._last_cpu, 0.0


async def scroll_once(path: list) -> dict[str, float]:  # type: ignore[type-arg]
    window, conversation = await shown(path)
    view, model = window.chat.message_view, window.message_model
    bar = view.verticalScrollBar()
    first = conversation.messages[0]
    page = view.viewport().height() - 2 * bar.singleStep()
    meter = GcTicks()
    steps = 0
    start = time.monotonic()
    meter.start()
    while not (model.conversation_row(0) == 0 and bar.value() <= bar.minimum()):
        bar.setValue(bar.value() - STEP_PAGES * page)
        steps += 1
        await asyncio.sleep(0.002)
        if time.monotonic() - start > 600:
            raise TimeoutError("still not at the top after 10 minutes")
    meter.stop()
    took = time.monotonic() - start
    assert on_screen(window, first)
    rows = model.rowCount()
    await close(window)
    return {
        "scroll_max_stall_ms": meter.max_gap_ms,
        "scroll_max_stall_cpu_ms": meter.max_busy_ms,
        "scroll_max_stall_no_gc_cpu_ms": meter.max_busy_no_gc_ms,
        "scroll_max_full_gc_ms": meter.max_full_gc_ms,
        "scroll_steps": float(steps),
        "scroll_s": took,
        "rows_at_top": float(rows),
    }


def main() -> None:
    n = repeats(3)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.sqlite3")
        stored = store.create_conversation("Ten thousand messages")
        store.add_messages_bulk(stored.id, messages(COUNT))
        path = store.current_path(stored.id)
        store.close()
    if "--profile" in sys.argv:
        from pyinstrument import Profiler

        with Profiler(interval=0.0002) as profiler:
            run_qt(lambda: home_once(path))
        out = Path(__file__).with_name("profiles") / "scroll_history.txt"
        out.write_text(profiler.output_text(unicode=False, color=False))
        print(f"profile written to {out}", file=sys.stderr)
        return
    runs: list[dict[str, float]] = []
    for _ in range(n):
        run = run_qt(lambda: home_once(path))
        run.update(run_qt(lambda: search_once(path)))
        runs.append(run)
    scrolls = [run_qt(lambda: scroll_once(path)) for _ in range(max(1, n // 3))]
    results = {key: summary([r[key] for r in runs], 1) for key in runs[0]}
    results.update({key: summary([r[key] for r in scrolls], 1) for key in scrolls[0]})
    emit(
        "scroll_history",
        {"messages": COUNT, "step_pages": STEP_PAGES, **results},
        target={"ms": TARGET_MS, "stall_ms": STALL_MS},
    )


if __name__ == "__main__":
    main()
