"""A model that reads no images: send refuses at once, the files stay with the caller (#14)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from deskchat.attach import Attachment
from deskchat.chat.session import ChatSession
from deskchat.provider import ImagesNotSupportedError, OpenAICompatible
from tests.attach.files import png
from tests.fakes.openai_server import FakeOpenAI, json_reply
from tests.fakes.scripted import serving

SHOT = Attachment("shot.png", "image", "image/png", png(8, 8), size=100, width=8, height=8)


def _text_only_listing() -> object:
    entries = [
        {"id": "text-model", "architecture": {"input_modalities": ["text"]}},
        {"id": "vision-model", "architecture": {"input_modalities": ["text", "image"]}},
    ]
    return json_reply({"object": "list", "data": entries})


def _chats(fake: FakeOpenAI) -> list[dict]:
    return [r for r in fake.requests if r["path"] == "/v1/chat/completions"]


async def test_send_refuses_an_image_the_model_list_said_it_cannot_read() -> None:
    fake = FakeOpenAI()
    fake.listing = _text_only_listing()
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        session = ChatSession(provider, model_name="text-model", provider_id="openai-compatible")
        await session.load_models()  # the picker's list
        with pytest.raises(ImagesNotSupportedError) as exc:
            session.send("What is this?", [SHOT])
        assert "text-model on" in exc.value.text()
        assert "cannot look at images" in exc.value.text()
        assert session.conversation.messages == []
        assert not session.busy
        await session.aclose()
    assert _chats(fake) == []


async def test_ask_looks_the_model_up_first_and_refuses_before_anything() -> None:
    fake = FakeOpenAI()
    fake.listing = _text_only_listing()
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        session = ChatSession(provider, model_name="text-model", provider_id="openai-compatible")
        with pytest.raises(ImagesNotSupportedError):
            await session.ask("What is this?", [SHOT])
        assert session.conversation.messages == []
        await session.aclose()
    assert _chats(fake) == []
    assert [r["path"] for r in fake.requests] == ["/v1/models"]


async def test_ask_sends_the_image_to_a_vision_model() -> None:
    fake = FakeOpenAI()
    fake.listing = _text_only_listing()
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        session = ChatSession(provider, model_name="vision-model", provider_id="openai-compatible")
        reply = await session.ask("What is this?", [SHOT])
        assert reply is not None
        assert reply.reply is not None
        assert reply.reply.text == "Hi"
        if session.task is not None:
            await asyncio.wait([session.task])
        await session.aclose()
    (sent,) = _chats(fake)
    (user,) = [m for m in sent["json"]["messages"] if m["role"] == "user"]
    assert user["content"][1]["type"] == "image_url"


async def test_the_windows_look_up_comes_first_then_send_refuses_with_nothing_added() -> None:
    fake = FakeOpenAI()
    fake.listing = json_reply({"data": [{"id": "the-model"}]})  # says nothing of images

    async def studio(_request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "the-model", "type": "llm"}]})

    fake.app.router.add_get("/api/v0/models", studio)
    calls: list[int] = []
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        session = ChatSession(provider, model_name="the-model", provider_id="openai-compatible")
        assert session.needs_image_look_up([SHOT])
        assert not session.needs_image_look_up([])  # text alone asks nothing
        session.look_up_images_then([SHOT], lambda: calls.append(1))
        session.look_up_images_then([SHOT], lambda: calls.append(2))  # one at a time
        for _ in range(500):
            if calls:
                break
            await asyncio.sleep(0.01)
        assert calls == [1]
        assert not session.needs_image_look_up([SHOT])
        with pytest.raises(ImagesNotSupportedError):
            session.send("What is this?", [SHOT])
        assert session.conversation.messages == []
        await session.aclose()
    assert _chats(fake) == []


async def test_a_look_up_the_server_does_not_answer_is_not_asked_again_and_sends() -> None:
    fake = FakeOpenAI()
    fake.listing = json_reply({"error": "busy"}, status=503)  # and no /api/v0, no /props
    calls: list[int] = []
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        session = ChatSession(provider, model_name="the-model", provider_id="openai-compatible")
        session.look_up_images_then([SHOT], lambda: calls.append(1))
        for _ in range(500):
            if calls:
                break
            await asyncio.sleep(0.01)
        assert calls == [1]
        assert provider.takes_images("the-model") is None
        assert not session.needs_image_look_up([SHOT])  # the window now sends
        assert session.send("What is this?", [SHOT])
        assert session.task is not None
        await asyncio.wait([session.task])
        await session.aclose()
    (sent,) = _chats(fake)
    assert sent["json"]["messages"][0]["content"][1]["type"] == "image_url"
