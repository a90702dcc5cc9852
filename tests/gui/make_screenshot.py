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
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import aiohttp  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from qasync import QEventLoop  # noqa: E402

from deskchat.chat.options import Options, make_provider  # noqa: E402
from deskchat.gui.main_window import MainWindow  # noqa: E402
from tests.fakes.scripted import serving  # noqa: E402
from tests.fakes.wordpress import FakeWordPress, Script, sse_body, stream  # noqa: E402
from tests.gui.conftest import until  # noqa: E402

log = logging.getLogger("deskchat.screenshot")
# `--language ru` shows the window in Russian and writes docs/screenshot-ru.png.
LANGUAGE = sys.argv[sys.argv.index("--language") + 1] if "--language" in sys.argv else "en"
SUFFIX = "" if LANGUAGE == "en" else f"-{LANGUAGE}"
OUT = Path(__file__).resolve().parents[2] / "docs" / f"screenshot{SUFFIX}.png"

ANSWER = (
    "Sourdough rises because of a living culture of wild yeast and lactic acid bacteria.\n\n"
    "1. Feed your starter 4–12 hours before baking, so it is bubbly and active.\n"
    "2. Mix flour, water and starter; rest 30 minutes, then add salt.\n"
    "3. Stretch and fold every half hour for two hours, then shape and proof overnight.\n\n"
    "Bake at 250 °C in a covered pot for 20 minutes, then uncovered until deep brown."
)


async def reply_done(window: MainWindow) -> None:
    await until(lambda: not window.session.busy, seconds=30, what="the reply")


def word_by_word(text: str, delay: float) -> Script:
    """``text`` streamed one word per event, so the reply visibly streams."""
    body = sse_body([w + " " for w in text.split(" ")])
    events = [part + b"\n\n" for part in body.split(b"\n\n") if part]
    return Script(chunks=events, delay=delay, headers={"Content-Type": "text/event-stream"})


def save(window: MainWindow, out: Path) -> None:
    out.parent.mkdir(exist_ok=True)
    window.grab().save(str(out))
    log.info("saved %s", out)


def run(shot: Coroutine[Any, Any, None], app: QApplication) -> int:
    """Run ``shot`` on a qasync loop over ``app``."""
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
        runner.run(shot)
    return 0


def application() -> QApplication:
    logging.basicConfig(level=logging.INFO)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    return app


async def shoot() -> None:
    site = FakeWordPress()
    async with serving(site.app) as base, aiohttp.ClientSession() as session:
        window = MainWindow(make_provider(Options(provider="chatgptfree", base_url=base), session))
        window.resize(1040, 700)
        window.show()
        window.start()
        for text in ("Ideas for a birthday picnic", "Explain HTTP caching briefly"):
            site.reply = stream(["Sure — here are a few ideas."])
            window.session.send(text)
            await reply_done(window)
            window.session.new_conversation()
        site.reply = word_by_word(ANSWER, 0.005)
        started = time.perf_counter()
        window.session.send("How do I bake a simple sourdough loaf at home?")
        await reply_done(window)
        log.info("reply streamed in %.2f s", time.perf_counter() - started)
        site.reply = Script(
            chunks=[sse_body(["Bread flour with about 12% protein "], done=False), b"x"],
            cut_after=1,
            headers={"Content-Type": "text/event-stream"},
        )
        window.session.send("And what flour should I use?")
        await reply_done(window)
        await asyncio.sleep(0.1)
        save(window, OUT)
        window.close()


def main() -> int:
    app = application()
    from deskchat.gui import translation

    translation.install(app, LANGUAGE)
    return run(shoot(), app)


if __name__ == "__main__":
    sys.exit(main())
