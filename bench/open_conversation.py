"""Opening a 10,000-message conversation: from the click to the first paint.

Target (issue #5): < 200 ms to first paint.

A fresh database holds one conversation of 10,000 messages (~70 words each).
Each run, in a window that is already showing, the steps the session takes
(chat.session ``_load``): read the path's last ``FIRST_READ`` messages and its
length (``Store.path_tail``; the app reads on the store's worker thread, here on
the GUI thread), turn them into bubbles (``bubbles()``), select the conversation
(the model makes its last ``FIRST_ROWS`` rows), and wait for the message view's
first paint. Reported: each step, the total, the GUI thread's CPU time in it,
whether that paint shows the conversation's last message, and
(after the paint) reading the rest: ``current_path`` + bubbles + prepend. Then
the same in the app's own way (``app_*``): a window over an AsyncStore, the chat
selected as a click in the sidebar does, to its first paint and until the whole
path is read (on the store's thread).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, repeats, summary
from _corpus import messages
from _qt import PaintWatcher, run_qt

from deskchat import provider
from deskchat.chat.conversation import Conversation, bubbles
from deskchat.chat.session import FIRST_READ
from deskchat.gui.main_window import MainWindow
from deskchat.store import AsyncStore, Store

COUNT = 10_000
TARGET_MS = 200.0


def to_chat(stored: list, total: int) -> Conversation:  # type: ignore[type-arg]
    """Store messages as the window's conversation objects, as the app makes them."""
    return Conversation(title="Bench", messages=bubbles(stored), earlier=total - len(stored))


async def close(window: MainWindow) -> None:
    """Close the window and let Qt delete it now, between two turns of the loop.

    Left to the cycle collector, the window would be freed whenever a collection
    runs: if that is inside one of its own calls into Python (the message view's
    batched layout asking a delegate for a row's sizeHint), Qt goes on in a deleted
    view and the process crashes (reproduced: a collection inside sizeHint of a
    closed window still laying out 3,000 rows).
    """
    gone = asyncio.get_running_loop().create_future()
    window.destroyed.connect(lambda: gone.done() or gone.set_result(None))
    window.close()
    window.deleteLater()
    await asyncio.wait_for(gone, 10)


async def open_once(store: Store, conversation_id: int) -> dict[str, float]:
    window = MainWindow(provider.ChatgptFree(base_url="http://127.0.0.1:9"))
    window.show()
    await asyncio.sleep(0.2)
    painted: asyncio.Future[tuple[float, float, bool]] = asyncio.get_running_loop().create_future()
    view, model = window.chat.message_view, window.message_model

    def on_paint(at: float) -> None:
        if not painted.done():
            row = model.rowCount() - 1
            rect = view.visualRect(model.index(row))
            last = (
                row >= 0
                and model.message(row) is conversation.messages[-1]
                and rect.intersects(view.viewport().rect())
            )
            painted.set_result((at, time.thread_time(), last))

    cpu = time.thread_time()
    start = time.monotonic()
    stored, total = store.path_tail(conversation_id, FIRST_READ)
    loaded = time.monotonic()
    conversation = to_chat(stored, total)
    converted = time.monotonic()
    watcher = PaintWatcher(view.viewport(), on_paint)
    window.session.conversations.items.insert(0, conversation)
    window.session.select_conversation(conversation.id)
    selected = time.monotonic()
    at, cpu_at, shows_last = await asyncio.wait_for(painted, 10)
    del watcher
    # The rest, after the first paint (the session's _load_earlier).
    rest = time.monotonic()
    path = store.current_path(conversation_id)
    model.prepend(bubbles(path[: len(path) - len(stored)]))
    conversation.earlier = 0
    rested = time.monotonic()
    assert len(conversation.messages) == COUNT
    await close(window)
    return {
        "load_ms": (loaded - start) * 1000,
        "convert_ms": (converted - loaded) * 1000,
        "select_ms": (selected - converted) * 1000,
        "to_first_paint_ms": (at - start) * 1000,
        "to_first_paint_cpu_ms": (cpu_at - cpu) * 1000,
        "first_paint_shows_last": float(shows_last),
        "rest_after_paint_ms": (rested - rest) * 1000,
    }


async def open_in_app(path: Path, conversation_id: int) -> dict[str, float]:
    """The app's own way: a click in the sidebar reads the chat on the store's thread."""
    history = await AsyncStore.open(path)
    window = MainWindow(provider.ChatgptFree(base_url="http://127.0.0.1:9"), history=history)
    window.show()
    await window.session.load_history(show_newest=False)
    await asyncio.sleep(0.2)
    conversation = window.session.conversations.by_store_id(conversation_id)
    assert conversation is not None
    model = window.message_model
    painted: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def on_paint(at: float) -> None:
        if not painted.done() and model.conversation is conversation and model.rowCount():
            painted.set_result(at)

    watcher = PaintWatcher(window.chat.message_view.viewport(), on_paint)
    start = time.monotonic()
    window.session.select_conversation(conversation.id)
    at = await asyncio.wait_for(painted, 10)
    del watcher
    read: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    # The rest joins the model above its rows (prepend), which says so.
    model.earlier_changed.connect(
        lambda _n: read.done() or conversation.earlier or read.set_result(time.monotonic())
    )
    whole = time.monotonic() if not conversation.earlier else await asyncio.wait_for(read, 30)
    assert len(conversation.messages) == COUNT
    await close(window)
    await history.close()
    return {
        "app_to_first_paint_ms": (at - start) * 1000,
        "app_whole_read_ms": (whole - start) * 1000,
    }


def main() -> None:
    n = repeats(5)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.sqlite3")
        conversation = store.create_conversation("Ten thousand messages")
        store.add_messages_bulk(conversation.id, messages(COUNT))
        if "--profile" in sys.argv:
            from pyinstrument import Profiler

            with Profiler(interval=0.0002) as profiler:
                run_qt(lambda: open_once(store, conversation.id))
            out = Path(__file__).with_name("profiles") / "open_conversation.txt"
            out.write_text(profiler.output_text(unicode=False, color=False))
            print(f"profile written to {out}", file=sys.stderr)
            return
        runs = [run_qt(lambda: open_once(store, conversation.id)) for _ in range(n)]
        store.close()
        path = Path(folder) / "bench.sqlite3"
        for run in runs:
            run.update(run_qt(lambda: open_in_app(path, conversation.id)))
    results = {key: summary([r[key] for r in runs], 1) for key in runs[0]}
    emit("open_conversation", {"messages": COUNT, **results}, target={"ms": TARGET_MS})


if __name__ == "__main__":
    main()
