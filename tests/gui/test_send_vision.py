"""An image for a model that reads none: one sentence at Send, the files stay in the box (#14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from deskchat.gui.main_window import MainWindow
from deskchat.provider import OpenAICompatible
from tests.attach.files import png, write
from tests.fakes.openai_server import FakeOpenAI, chunk, json_reply, sse, stream_reply
from tests.fakes.scripted import serving
from tests.gui.conftest import until

pytestmark = pytest.mark.gui


def _studio(kind: str) -> web.RequestHandler:
    # LM Studio's own listing; its OpenAI-style /v1/models says nothing of images.
    async def handler(_request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "the-model", "type": kind}]})

    return handler


async def _window(qtbot, fake: FakeOpenAI, base: str, http: aiohttp.ClientSession) -> MainWindow:
    main = MainWindow(OpenAICompatible(base, http, default_model="the-model"))
    qtbot.addWidget(main)
    main.resize(900, 640)
    main.show()
    main.start()
    await until(lambda: any(r["path"] == "/v1/models" for r in fake.requests), what="the list")
    return main


@pytest.fixture
def fake() -> FakeOpenAI:
    server = FakeOpenAI()
    server.listing = json_reply({"data": [{"id": "the-model"}]})
    server.reply_with(stream_reply(sse([chunk("I see it.", finish="stop")])))
    return server


def _chats(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["path"] == "/v1/chat/completions"]


async def test_a_text_model_keeps_the_image_and_the_question_in_the_box(
    qtbot, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.app.router.add_get("/api/v0/models", _studio("llm"))
    said: list[str] = []
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        main = await _window(qtbot, fake, base, http)
        try:
            pane = main.chat
            pane.status_message.connect(lambda text, _ms: said.append(text))
            pane.attachments_bar.attach_paths([write(tmp_path, "red.png", png(60, 40))])
            await until(lambda: len(pane.attachments_bar.attachments()) == 1, what="the chip")
            pane.input_box.setPlainText("What is this?")
            pane.on_input_box_submitted("What is this?")
            await until(lambda: any("cannot look at images" in s for s in said), what="it")
            (sentence,) = [s for s in said if "cannot look at images" in s]
            assert "the-model on" in sentence
            assert [a.name for a in pane.attachments_bar.attachments()] == ["red.png"]
            assert pane.input_box.toPlainText() == "What is this?"
            assert main.session.conversation.messages == []
            # Known now: the next Send says it at once, asking nothing more.
            asked = len(fake.requests)
            said.clear()
            pane.on_input_box_submitted("What is this?")
            assert any("cannot look at images" in s for s in said)
            assert len(fake.requests) == asked
        finally:
            await main.session.aclose()
    assert _chats(fake) == []


async def test_a_vision_model_gets_the_image_after_the_look_up(
    qtbot, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.app.router.add_get("/api/v0/models", _studio("vlm"))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        main = await _window(qtbot, fake, base, http)
        try:
            pane = main.chat
            pane.attachments_bar.attach_paths([write(tmp_path, "red.png", png(60, 40))])
            await until(lambda: len(pane.attachments_bar.attachments()) == 1, what="the chip")
            pane.input_box.setPlainText("What is this?")
            pane.on_input_box_submitted("What is this?")
            await until(lambda: len(_chats(fake)) == 1, what="the chat request")
            await until(lambda: not main.session.busy, what="the reply")
            assert pane.attachments_bar.attachments() == []
            assert pane.input_box.toPlainText() == ""
        finally:
            await main.session.aclose()
    (sent,) = _chats(fake)
    (user,) = [m for m in sent["json"]["messages"] if m["role"] == "user"]
    text, image = user["content"]
    assert text == {"type": "text", "text": "What is this?"}
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
