"""Streaming through the window: ChatgptFree -> controller -> message model -> bubble.

Targets (issue #5): the longest gap between Qt event-loop ticks < 16 ms while a
reply streams into the window, and total time linear in size (100 KB, 1 MB,
4 MB of text from a local server in another process, 10 bytes per write).
Offscreen platform; the window is 980x680 as the app opens it.

``--profile`` writes a pyinstrument text profile of the 1 MB run to
bench/profiles/stream_gui.txt. ``--history`` gives the window a history store
(a fresh folder, its worker thread), as the app has: the reply is then saved
while it streams and indexed for search when it ends (rows ``1MB+history``).
Each run waits for the window's markdown preload (a worker thread started at
the first paint) before the reply starts, as a person's first question does.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from _common import StreamServer, emit, repeats, summary
from _qt import TickMeter, run_qt, wait_signal

from deskchat import provider
from deskchat.gui import markdown
from deskchat.gui.main_window import MainWindow

SIZES = {"100KB": 100_000, "1MB": 1_000_000, "4MB": 4_000_000}
TARGET_GAP_MS = 16.0


async def stream_once(url: str, history: bool = False) -> dict[str, float]:
    """One reply into a fresh window: total seconds and the longest GUI stalls."""
    from deskchat.store import AsyncStore

    folder = tempfile.TemporaryDirectory(prefix="deskchat-bench-")
    store = await AsyncStore.open(Path(folder.name) / "history.db") if history else None
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        window = MainWindow(provider.ChatgptFree(base_url=url, session=session), history=store)
        window.show()
        await asyncio.sleep(0.2)  # Let the first layout and paint settle.
        await _preloaded()
        meter = TickMeter()
        meter.start()
        start = time.perf_counter()
        window.session.send("Write a long answer.")
        (status,) = await wait_signal(window.controller.reply_finished)
        await asyncio.sleep(0.05)  # The final repaint belongs to the reply too.
        total = time.perf_counter() - start
        meter.stop()
        row = window.message_model.rowCount() - 1
        length = len(window.message_model.message(row).content)
        window.close()
        await asyncio.sleep(0.05)
    if store is not None:
        await store.close()
    folder.cleanup()
    # The closed window's Qt objects are collected here, on the GUI thread: left to
    # the cycle collector, they may be freed by whichever thread allocates next (the
    # next run's store worker), and Qt objects freed off their thread crash.
    del window
    gc.collect()
    if status != "complete":
        raise RuntimeError(f"the reply ended {status!r}")
    return {
        "total": total,
        "gap": meter.max_gap_ms,
        "busy": meter.max_busy_ms,
        "length": length,
    }


async def _preloaded() -> None:
    """Wait until the markdown preload the first paint started has finished."""
    loader = markdown._preloader
    if loader is not None:
        await asyncio.get_running_loop().run_in_executor(None, loader.join)


def measure(size: int, n: int, history: bool = False) -> dict[str, object]:
    with StreamServer(size) as server:
        runs = [run_qt(lambda: stream_once(server.url, history)) for _ in range(n)]
    assert all(r["length"] == size for r in runs), "the reply arrived incomplete"
    best = min(r["total"] for r in runs)
    return {
        "total_ms": summary([r["total"] * 1000 for r in runs], 1),
        "ms_per_mb": round(best * 1000 / (size / 1e6), 1),
        "max_gap_ms": summary([r["gap"] for r in runs], 1),
        "max_busy_ms": summary([r["busy"] for r in runs], 1),
    }


def profile() -> None:
    from pyinstrument import Profiler

    with StreamServer(SIZES["1MB"]) as server:
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        with profiler:
            run_qt(lambda: stream_once(server.url))
    out = Path(__file__).with_name("profiles") / "stream_gui.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(profiler.output_text(unicode=False, color=False))
    print(f"profile written to {out}", file=sys.stderr)


def main() -> None:
    if "--profile" in sys.argv:
        profile()
        return
    n = repeats(3)
    names = [a for a in sys.argv[1:] if a in SIZES] or list(SIZES)
    results: dict[str, object] = {name: measure(SIZES[name], n) for name in names}
    if "--history" in sys.argv:
        for name in names:
            results[f"{name}+history"] = measure(SIZES[name], n, history=True)
    if "1MB" in results:
        base = results["1MB"]["ms_per_mb"]  # type: ignore[index]
        results["linearity"] = {
            name: round(results[name]["ms_per_mb"] / base, 2)  # type: ignore[index]
            for name in names
        }
    emit(
        "stream_gui",
        results,
        target={"max_gap_ms": TARGET_GAP_MS, "time": "linear in size"},
        setup="qasync loop, MainWindow 980x680 offscreen, 64-char deltas, 10-byte writes",
    )


if __name__ == "__main__":
    main()
