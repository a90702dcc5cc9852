"""Images in requests: the exact bodies each provider sends; refusals before anything is sent."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from deskchat.attach import Limits, read_file
from deskchat.provider import (
    ChatgptFree,
    ImageInput,
    ImagesNotSupportedError,
    Ollama,
    OpenAICompatible,
    get_provider_info,
    stream_events,
)
from tests.attach.files import GPS_MAKER, jpeg_with_gps, write
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving


def _image(tmp_path: Path, side: int = 2048) -> ImageInput:
    found = read_file(
        write(tmp_path, "photo.jpg", jpeg_with_gps(3000, 1500)), Limits(image_side=side)
    )
    return ImageInput(found.mime, found.data, found.name)


def _decoded(data: bytes, side: int) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    assert max(image.size) <= side
    assert not image.getexif()
    assert GPS_MAKER.encode() not in data


async def _collect(provider: object, model: str | None, messages: list[dict]) -> str:
    text = ""
    async for event in stream_events(provider, model, messages):  # type: ignore[arg-type]
        text += getattr(event, "text", "")
    return text


async def test_openai_sends_images_as_data_uri_content_parts(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("A red square.")])))
    image = _image(tmp_path)
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        messages = [{"role": "user", "content": "What is this?", "images": [image]}]
        assert await _collect(provider, "vision-model", messages) == "A red square."
    # Before it, the model list was asked whether the model reads images (it did not say).
    (sent,) = [r for r in fake.requests if r["path"] == "/v1/chat/completions"]
    (message,) = sent["json"]["messages"]
    assert message["role"] == "user"
    text_part, image_part = message["content"]
    assert text_part == {"type": "text", "text": "What is this?"}
    assert image_part["type"] == "image_url"
    url = image_part["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    _decoded(base64.b64decode(url.split(",", 1)[1]), 2048)
    assert "images" not in message


async def test_openai_messages_without_images_keep_plain_text(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("ok")])))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        await _collect(OpenAICompatible(base, http), "m", [{"role": "user", "content": "hi"}])
    assert fake.requests[0]["json"]["messages"] == [{"role": "user", "content": "hi"}]


def _show(capabilities: list[str] | None) -> web.RequestHandler:
    async def handler(request: web.Request) -> web.Response:
        body = {"modelfile": "FROM x"}
        if capabilities is not None:
            body["capabilities"] = capabilities
        return web.json_response(body)

    return handler


async def test_ollama_sends_images_as_base64_in_the_message(tmp_path: Path) -> None:
    fake = FakeOllama()
    fake.app.router.add_post("/api/show", _show(["completion", "vision"]))
    image = _image(tmp_path, 1344)
    async with serving(fake.app) as base, aiohttp.ClientSession() as http:
        messages = [{"role": "user", "content": "Describe it", "images": [image]}]
        assert await _collect(Ollama(base, http), "llava", messages) == "Hi"
    (chat,) = [r for r in fake.requests if r["path"] == "/api/chat"]
    (message,) = chat["json"]["messages"]
    assert message["content"] == "Describe it"
    (encoded,) = message["images"]
    _decoded(base64.b64decode(encoded), 1344)


async def test_ollama_refuses_images_for_a_model_without_vision_before_the_chat(
    tmp_path: Path,
) -> None:
    fake = FakeOllama()
    fake.app.router.add_post("/api/show", _show(["completion"]))
    async with serving(fake.app) as base, aiohttp.ClientSession() as http:
        messages = [{"role": "user", "content": "Look", "images": [_image(tmp_path)]}]
        with pytest.raises(ImagesNotSupportedError) as exc:
            await _collect(Ollama(base, http), "qwen3:0.6b", messages)
    assert "qwen3:0.6b" in exc.value.text()
    assert "vision model" in exc.value.text()
    assert not [r for r in fake.requests if r["path"] == "/api/chat"]


async def test_an_ollama_that_cannot_say_gets_the_images(tmp_path: Path) -> None:
    fake = FakeOllama()  # no /api/show at all: 404, as an old server
    async with serving(fake.app) as base, aiohttp.ClientSession() as http:
        messages = [{"role": "user", "content": "Look", "images": [_image(tmp_path)]}]
        assert await _collect(Ollama(base, http), "llava", messages) == "Hi"
    (chat,) = [r for r in fake.requests if r["path"] == "/api/chat"]
    assert len(chat["json"]["messages"][0]["images"]) == 1


async def test_chatgptfree_refuses_images_before_anything_is_sent(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        # An address nothing listens on: a request would fail differently.
        provider = ChatgptFree(session=http, base_url="http://127.0.0.1:9")
        messages = [{"role": "user", "content": "Look", "images": [_image(tmp_path)]}]
        with pytest.raises(ImagesNotSupportedError) as exc:
            await _collect(provider, None, messages)
    assert "cannot look at images" in exc.value.text()


def test_the_registry_says_who_takes_images() -> None:
    assert not get_provider_info("chatgptfree").capabilities.images
    # The built-in engine takes them; a model without a projector refuses (provider.local).
    assert get_provider_info("local").capabilities.images
    assert get_provider_info("local").capabilities.image_side == 1024
    assert get_provider_info("openai").capabilities.images
    assert get_provider_info("ollama").capabilities.image_side == 1344


def test_image_input_never_shows_its_bytes() -> None:
    image = ImageInput("image/png", b"\x89PNG" * 1000, "a.png")
    assert "PNG" not in repr(image).replace("image/png", "")
    assert json.dumps({"url": image.data_uri()}).startswith('{"url": "data:image/png;base64,')
