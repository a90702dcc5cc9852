"""Save a screenshot of a conversation with an image and a PDF to docs/screenshot-attachments.png.

Run from the repository:
``QT_QPA_PLATFORM=offscreen python -m tests.gui.make_attachments_screenshot``.
The window talks to the loopback OpenAI fake (tests/fakes/openai_server.py); the
photo and the PDF are made here, so no network is used.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import aiohttp  # noqa: E402

from deskchat.chat.attachments import limits_for, read_attachments  # noqa: E402
from deskchat.gui.main_window import MainWindow  # noqa: E402
from deskchat.provider import OpenAICompatible  # noqa: E402
from tests.attach.files import text_pdf, write  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply  # noqa: E402
from tests.fakes.scripted import serving  # noqa: E402
from tests.gui.conftest import until  # noqa: E402
from tests.gui.make_screenshot import application, run, save  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-attachments.png"

ANSWER = (
    "The chart shows **revenue by quarter**: it climbs from Q1 to Q3 and dips in Q4.\n\n"
    "The report agrees (page 1): *Quarterly revenue rose 18 % in Q3*, and it names the "
    "holiday returns as the reason for the dip in Q4."
)


def chart() -> bytes:
    """A bar chart drawn with Pillow: what a person would attach."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), (250, 250, 252))
    draw = ImageDraw.Draw(image)
    for i, height in enumerate((140, 210, 300, 190)):
        left = 80 + i * 130
        draw.rectangle((left, 360 - height, left + 80, 360), fill=(52, 120, 200))
        draw.text((left + 28, 370), f"Q{i + 1}", fill=(40, 40, 40))
    draw.line((60, 360, 600, 360), fill=(80, 80, 80), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def shoot() -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk(ANSWER, finish="stop")])))
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        paths = [
            write(here, "revenue-chart.png", chart()),
            write(
                here,
                "q3-report.pdf",
                text_pdf("Quarterly revenue rose 18 % in Q3.", "Holiday returns lowered Q4."),
            ),
        ]
        async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
            window = MainWindow(OpenAICompatible(base, http, default_model="vision-model"))
            window.resize(1040, 700)
            window.show()
            window.start()
            files = await read_attachments(paths, limits_for("openai-compatible"))
            window.session.send("What does this chart show, and does the report agree?", files)
            await until(lambda: not window.session.busy, seconds=30, what="the reply")
            # The next question waits with its files as chips above the input.
            window.chat.attachments_bar.attach_paths(paths)
            bar = window.chat.attachments_bar
            await until(lambda: len(bar.attachments()) == 2, seconds=30, what="the chips")
            window.chat.input_box.setPlainText("Make a table of the quarters")
            await asyncio.sleep(0.2)
            save(window, OUT)
            window.close()


def main() -> int:
    return run(shoot(), application())


if __name__ == "__main__":
    sys.exit(main())
