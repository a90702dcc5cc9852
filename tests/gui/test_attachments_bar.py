"""The window's attachments: Attach, drop, paste, remove, refusals, and the sent message."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication

from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_model import FooterRole
from deskchat.provider import OpenAICompatible
from tests.attach.files import bomb_png, jpeg_with_gps, write
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving
from tests.gui.conftest import until

pytestmark = pytest.mark.gui


@pytest.fixture
async def served(qtbot) -> AsyncIterator[tuple[MainWindow, FakeOpenAI]]:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("I see it.", finish="stop")])))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        main = MainWindow(OpenAICompatible(base, http, default_model="m"))
        qtbot.addWidget(main)
        main.show()
        main.start()
        try:
            yield main, fake
        finally:
            await main.session.aclose()


async def test_attach_remove_and_send_with_the_files(
    served: tuple[MainWindow, FakeOpenAI], tmp_path: Path
) -> None:
    main, fake = served
    bar = main.chat.attachments_bar
    assert bar.isHidden()
    photo = write(tmp_path, "photo.jpg", jpeg_with_gps(3000, 1500))
    notes = write(tmp_path, "notes.md", "remember\n")
    extra = write(tmp_path, "extra.txt", "not this one\n")
    bar.attach_paths([photo, notes, extra])
    await until(lambda: len(bar.attachments()) == 3, what="three chips")
    assert bar.isVisible()
    (unwanted,) = [a for a in bar.attachments() if a.name == "extra.txt"]
    bar.remove(unwanted)
    assert [a.name for a in bar.attachments()] == ["photo.jpg", "notes.md"]

    main.chat.on_input_box_submitted("What is this?")
    # An image: the server is asked first whether the model reads images (#14).
    await until(lambda: main.session.task is not None, what="the reply's start")
    await until(lambda: not main.session.busy, what="the reply")
    assert bar.isHidden()
    assert bar.attachments() == []
    (chat,) = [r for r in fake.requests if "json" in r]
    (user,) = [m for m in chat["json"]["messages"] if m["role"] == "user"]
    text, image = user["content"]
    assert text["text"] == "```notes.md\nremember\n```\n\nWhat is this?"
    data = base64.b64decode(image["image_url"]["url"].split(",", 1)[1])
    assert QImage.fromData(data).width() == 2048
    # The sent bubble names its files under the question.
    index = main.message_model.index(0)
    assert index.data(FooterRole).startswith("Attached: photo.jpg · ")
    assert "notes.md · 9 B" in index.data(FooterRole)


async def test_a_file_that_cannot_be_attached_is_said_and_not_added(
    served: tuple[MainWindow, FakeOpenAI], tmp_path: Path
) -> None:
    main, _fake = served
    bar = main.chat.attachments_bar
    said: list[str] = []
    main.chat.status_message.connect(lambda text, _ms: said.append(text))
    bar.attach_paths([write(tmp_path, "bomb.png", bomb_png())])
    await until(lambda: bool(said), what="the refusal")
    assert "bomb.png" in said[0]
    assert "megapixels" in said[0]
    assert bar.attachments() == []
    assert bar.isHidden()


async def test_files_dropped_on_the_window_are_attached(
    served: tuple[MainWindow, FakeOpenAI], tmp_path: Path
) -> None:
    main, _fake = served
    pane = main.chat
    path = write(tmp_path, "log.txt", "a line\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(
        QPointF(QPoint(10, 10)),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Qt delivers a drop only during a real drag, which offscreen tests cannot start:
    # the event goes to the window's drop filter as Qt would hand it on.
    assert pane.attachments_bar.drop_filter is not None
    assert pane.attachments_bar.drop_filter.eventFilter(pane, drop)
    await until(lambda: len(pane.attachments_bar.attachments()) == 1, what="the dropped file")
    assert pane.attachments_bar.attachments()[0].name == "log.txt"


async def test_a_pasted_image_is_attached(served: tuple[MainWindow, FakeOpenAI]) -> None:
    main, _fake = served
    pane = main.chat
    image = QImage(320, 200, QImage.Format.Format_RGB32)
    image.fill(QColor(0, 128, 0))
    mime = QMimeData()
    mime.setImageData(image)
    QApplication.clipboard().setMimeData(mime)
    ctrl = Qt.KeyboardModifier.ControlModifier
    paste = QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_V, ctrl, "v")
    assert paste.matches(QKeySequence.StandardKey.Paste)
    QApplication.sendEvent(pane.input_box, paste)
    await until(lambda: len(pane.attachments_bar.attachments()) == 1, what="the pasted image")
    (pasted,) = pane.attachments_bar.attachments()
    assert (pasted.kind, pasted.mime, pasted.width, pasted.height) == (
        "image",
        "image/png",
        320,
        200,
    )
    assert pane.input_box.toPlainText() == ""
