"""A sent question's files drawn as chips in its bubble, an image's with its thumbnail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtGui import QImage

from deskchat.gui.bubble_delegate import BubbleDelegate
from deskchat.gui.bubble_files import THUMB
from deskchat.gui.main_window import MainWindow
from deskchat.provider import OpenAICompatible
from tests.attach.files import png, write
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving
from tests.gui.conftest import until

pytestmark = pytest.mark.gui

RED = (200, 30, 30)


@pytest.fixture
async def served(qtbot) -> AsyncIterator[MainWindow]:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("I see it.", finish="stop")])))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        main = MainWindow(OpenAICompatible(base, http, default_model="m"))
        qtbot.addWidget(main)
        main.resize(980, 680)
        main.show()
        main.start()
        try:
            yield main
        finally:
            await main.session.aclose()


def _red_pixels(image: QImage) -> int:
    found = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            color = image.pixelColor(x, y)
            if (
                abs(color.red() - RED[0]) + abs(color.green() - RED[1]) + abs(color.blue() - RED[2])
                < 40
            ):
                found += 1
    return found


async def test_a_sent_image_is_a_chip_with_its_thumbnail_in_the_bubble(
    served: MainWindow, tmp_path: Path
) -> None:
    main = served
    bar = main.chat.attachments_bar
    bar.attach_paths([write(tmp_path, "red.png", png(400, 300, color=RED)),
                      write(tmp_path, "notes.md", "remember\n")])  # fmt: skip
    await until(lambda: len(bar.attachments()) == 2, what="two chips")
    # The waiting chip's thumbnail is red too: hide the bar's after sending, so the red
    # found below is the sent bubble's.
    main.chat.on_input_box_submitted("What is this?")
    # An image: the server is asked first whether the model reads images (#14).
    await until(lambda: main.session.task is not None, what="the reply's start")
    await until(lambda: not main.session.busy, what="the reply")
    assert bar.isHidden()

    view = main.chat.message_view
    delegate = view.itemDelegate()
    assert isinstance(delegate, BubbleDelegate)
    chips = delegate.layouts.file_chips
    message = main.message_model.index(0).data(main.message_model.MessageRole)
    image, notes = message.attachments
    assert (image.name, notes.name) == ("red.png", "notes.md")
    # The footer is as tall as a chip with its thumbnail, not a line of text.
    measure = delegate.layouts.measure(message)
    assert measure.footer_size.height() >= THUMB
    assert chips.thumbnail(notes) is not None or not notes.is_image

    # Painted at once with an empty frame; the thumbnail comes from the worker thread.
    view.viewport().grab()
    await until(lambda: chips.thumbnail(image) is not None, what="the thumbnail")
    assert chips.thumbnail(image).width() <= 2 * THUMB
    shown = view.viewport().grab().toImage()
    assert _red_pixels(shown) > 40  # ~(28 / 2)^2 * 3/4 sampled pixels of the thumbnail


async def test_a_sent_text_file_is_a_chip_without_a_thumbnail(
    served: MainWindow, tmp_path: Path
) -> None:
    main = served
    bar = main.chat.attachments_bar
    bar.attach_paths([write(tmp_path, "notes.md", "remember\n")])
    await until(lambda: len(bar.attachments()) == 1, what="the chip")
    main.chat.on_input_box_submitted("Read this")
    await until(lambda: not main.session.busy, what="the reply")
    delegate = main.chat.message_view.itemDelegate()
    assert isinstance(delegate, BubbleDelegate)
    message = main.message_model.index(0).data(main.message_model.MessageRole)
    main.chat.message_view.viewport().grab()
    (notes,) = message.attachments
    assert delegate.layouts.file_chips._pending == set()  # No thumbnail asked for text.
    assert not notes.is_image
