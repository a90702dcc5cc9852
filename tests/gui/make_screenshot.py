"""Save a screenshot of the real window to docs/screenshot.png.

Run from the repository: ``QT_QPA_PLATFORM=offscreen python -m tests.gui.make_screenshot``.
The window talks to the local fake site (tests/fakes/wordpress.py), so no network is used.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from qasync import QEventLoop  # noqa: E402

from cli.options import Options, make_provider  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from tests.fakes.wordpress import FakeWordPress, Script, sse_body, stream  # noqa: E402
from tests.gui.conftest import until  # noqa: E402

log = logging.getLogger("deskchat.screenshot")
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"

ANSWER = (
    "Sourdough rises because of a living culture of wild yeast and lactic acid bacteria.\n\n"
    "1. Feed your starter 4–12 hours before baking, so it is bubbly and active.\n"
    "2. Mix flour, water and starter; rest 30 minutes, then add salt.\n"
    "3. Stretch and fold every half hour for two hours, then shape and proof overnight.\n\n"
    "Bake at 250 °C in a covered pot for 20 minutes, then uncovered until deep brown."
)


async def reply_done(window: MainWindow) -> None:
    await until(lambda: not window.controller.busy, seconds=30, what="the reply")


async def shoot() -> None:
    site = FakeWordPress()
    server = TestServer(site.app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            base = str(server.make_url("")).rstrip("/")
            window = MainWindow(make_provider(Options(base_url=base), session))
            window.resize(1040, 700)
            window.show()
            window.start()
            for text in ("Ideas for a birthday picnic", "Explain HTTP caching briefly"):
                site.reply = stream(["Sure — here are a few ideas."])
                window.controller.send(text)
                await reply_done(window)
                window.controller.new_conversation()
            body = sse_body([w + " " for w in ANSWER.split(" ")])
            events = [part + b"\n\n" for part in body.split(b"\n\n") if part]
            site.reply = Script(
                chunks=events, delay=0.005, headers={"Content-Type": "text/event-stream"}
            )
            started = time.perf_counter()
            window.controller.send("How do I bake a simple sourdough loaf at home?")
            await reply_done(window)
            log.info("reply streamed in %.2f s", time.perf_counter() - started)
            site.reply = Script(
                chunks=[sse_body(["Bread flour with about 12% protein "], done=False), b"x"],
                cut_after=1,
                headers={"Content-Type": "text/event-stream"},
            )
            window.controller.send("And what flour should I use?")
            await reply_done(window)
            await asyncio.sleep(0.1)
            OUT.parent.mkdir(exist_ok=True)
            window.grab().save(str(OUT))
            log.info("saved %s", OUT)
            window.close()
    finally:
        await server.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
        runner.run(shoot())
    return 0


if __name__ == "__main__":
    sys.exit(main())
