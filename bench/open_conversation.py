"""Opening a 10,000-message conversation: from the click to the first paint.

Target (issue #5): < 200 ms to first paint.

A fresh database holds one conversation of 10,000 messages (~70 words each).
Each run, in a window that is already showing: read the conversation's
messages with ``Store.current_path`` (what the window would show), turn them
into the window's ChatMessage objects (the seam gui/conversation.py documents
for a history store), select it in the controller, and wait for the message
view's first paint. Reported: each step and the total.
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
from deskchat.gui.main_window import MainWindow
from deskchat.store import Store

COUNT = 10_000
TARGET_MS = 200.0


def to_chat(stored: list) -> Conversation:  # type: ignore[type-arg]
    """Store messages as the window's conversation objects, as the app makes them."""
    return Conversation(title="Bench", messages=bubbles(stored))


async def open_once(store: Store, conversation_id: int) -> dict[str, float]:
    window = MainWindow(provider.ChatgptFree(base_url="http://127.0.0.1:9"))
    window.show()
    await asyncio.sleep(0.2)
    painted = asyncio.get_running_loop().create_future()

    def on_paint(at: float) -> None:
        if not painted.done():
            painted.set_result(at)

    start = time.monotonic()
    stored = store.current_path(conversation_id)
    loaded = time.monotonic()
    conversation = to_chat(stored)
    converted = time.monotonic()
    watcher = PaintWatcher(window.chat.message_view.viewport(), on_paint)
    window.session.conversations.items.insert(0, conversation)
    window.session.select_conversation(conversation.id)
    selected = time.monotonic()
    at = await asyncio.wait_for(painted, 10)
    del watcher
    window.close()
    await asyncio.sleep(0.05)
    return {
        "load_ms": (loaded - start) * 1000,
        "convert_ms": (converted - loaded) * 1000,
        "select_ms": (selected - converted) * 1000,
        "to_first_paint_ms": (at - start) * 1000,
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
    results = {key: summary([r[key] for r in runs], 1) for key in runs[0]}
    emit("open_conversation", {"messages": COUNT, **results}, target={"ms": TARGET_MS})


if __name__ == "__main__":
    main()
