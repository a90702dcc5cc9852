"""Time from a reply's first text leaving the server to it being painted in the window.

Target (issue #5): under one frame (16.7 ms at 60 Hz).

The local server (another process) sends the role event, waits 0.3 s, then
writes the first text delta in one piece and prints the moment
(``time.monotonic()``, system-wide on Linux). The window's message view
records the monotonic time of each paint; the first paint after that moment
in which the reply has text is when the user could see it.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from _common import StreamServer, emit, repeats, summary
from _qt import PaintWatcher, run_qt, wait_signal

from deskchat import provider
from deskchat.gui.main_window import MainWindow

FRAME_MS = 1000 / 60


async def latency_once(server: StreamServer) -> float:
    """Milliseconds from the server's write to the first paint showing text."""
    paints: list[float] = []
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        window = MainWindow(provider.ChatgptFree(base_url=server.url, session=session))
        window.show()
        await asyncio.sleep(0.2)
        model = window.message_model

        def on_paint(at: float) -> None:
            row = model.rowCount() - 1
            if row >= 0 and model.message(row).reply is not None:
                if model.message(row).reply.length:  # type: ignore[union-attr]
                    paints.append(at)

        watcher = PaintWatcher(window.chat.message_view.viewport(), on_paint)
        loop = asyncio.get_running_loop()
        sent = loop.run_in_executor(None, server.readline)
        window.session.send("hi")
        await wait_signal(window.controller.reply_finished)
        await asyncio.sleep(0.1)
        line = await sent
        window.close()
        await asyncio.sleep(0.05)
        del watcher
    at = float(line.split()[1])
    shown = [p for p in paints if p >= at]
    if not shown:
        raise RuntimeError("the reply's first text was never painted")
    return (shown[0] - at) * 1000


def main() -> None:
    n = repeats(10)
    with StreamServer(2_000, pause=0.3) as server:
        runs = [run_qt(lambda: latency_once(server)) for _ in range(n)]
    emit(
        "first_chunk",
        {"socket_to_paint_ms": summary(runs, 1)},
        target={"ms": round(FRAME_MS, 1)},
        clock_resolution_s=time.get_clock_info("monotonic").resolution,
    )


if __name__ == "__main__":
    main()
