"""A model that reads no images is told so before the image leaves (#14), on real servers.

Each server says it in its own words (OpenRouter's and newer llama.cpp's
``input_modalities``, LM Studio's ``type``, llama.cpp's ``/props``, Ollama's
``/api/show``); what none says is sent, and a refusal naming images becomes
the sentence.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from deskchat.provider import (
    ImageInput,
    ImagesNotSupportedError,
    Ollama,
    OpenAICompatible,
    ServerError,
    stream_events,
)
from deskchat.provider.vision import from_listing_entry, from_props, is_image_refusal
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI, chunk, json_reply, sse, stream_reply
from tests.fakes.scripted import Reply, serving

IMAGE = ImageInput("image/png", b"\x89PNG\r\n\x1a\n-not-really-", "red.png")
LOOK = [{"role": "user", "content": "What is this?", "images": [IMAGE]}]


async def _collect(provider: Any, model: str | None, messages: list[dict[str, Any]]) -> str:
    text = ""
    async for event in stream_events(provider, model, messages):
        text += getattr(event, "text", "")
    return text


def _chats(fake: Any, path: str = "/v1/chat/completions") -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["path"] == path]


def _listing(*entries: dict[str, Any]) -> Reply:
    return json_reply({"object": "list", "data": list(entries)})


def _openrouter(model: str, *modalities: str) -> dict[str, Any]:
    return {"id": model, "architecture": {"input_modalities": list(modalities)}}


def _count(hits: list[str], path: str, answer: Any, status: int = 200) -> web.RequestHandler:
    async def handler(request: web.Request) -> web.Response:
        hits.append(path)
        return web.json_response(answer, status=status)

    return handler


# -- what the listings say ---------------------------------------------------


def test_listing_entries_say_what_they_say_and_nothing_more() -> None:
    assert from_listing_entry(_openrouter("a", "text", "image")) is True
    assert from_listing_entry(_openrouter("a", "text")) is False
    assert from_listing_entry({"id": "a", "type": "vlm"}) is True
    assert from_listing_entry({"id": "a", "type": "llm"}) is False
    assert from_listing_entry({"id": "a", "capabilities": ["completion", "vision"]}) is True
    assert from_listing_entry({"id": "a", "capabilities": {"vision": False}}) is False
    # Silence, or a list naming other things, is not a "no".
    assert from_listing_entry({"id": "a", "capabilities": ["completion"]}) is None
    assert from_listing_entry({"id": "a", "object": "model"}) is None
    assert from_listing_entry({"id": "a", "architecture": {"input_modalities": []}}) is None
    assert from_props({"modalities": {"vision": False}}) is False
    assert from_props({"modalities": {"vision": True}}) is True
    assert from_props({"model_path": "x.gguf"}) is None


def test_only_an_error_naming_images_is_a_refusal_of_images() -> None:
    llama = '{"error":{"code":500,"message":"image input is not supported - hint: mmproj"}}'
    assert is_image_refusal(500, llama)
    assert is_image_refusal(404, "No endpoints found that support image input")
    assert is_image_refusal(400, "Invalid content type. image_url is only supported by certain")
    assert not is_image_refusal(500, "out of memory")
    assert not is_image_refusal(429, "image input rate limited")
    assert not is_image_refusal(401, "image input: bad key")


# -- OpenAI-compatible servers ----------------------------------------------


async def test_a_text_model_in_the_listing_gets_the_sentence_and_no_chat_request() -> None:
    fake = FakeOpenAI()
    fake.listing = _listing(_openrouter("qwen/qwen3-8b", "text"))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        with pytest.raises(ImagesNotSupportedError) as exc:
            await _collect(provider, "qwen/qwen3-8b", LOOK)
    assert exc.value.text() == (
        f"qwen/qwen3-8b on {provider.what} cannot look at images; remove the image, or "
        "choose a vision model (one that reads images) and send again."
    )
    assert _chats(fake) == []


async def test_a_vision_model_still_gets_the_exact_image_part() -> None:
    fake = FakeOpenAI()
    fake.listing = _listing(_openrouter("vl", "text", "image"), _openrouter("t", "text"))
    fake.reply_with(stream_reply(sse([chunk("A red square.")])))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        assert await _collect(provider, "vl", LOOK) == "A red square."
        assert await _collect(provider, "vl", LOOK) == "A red square."
    first, second = _chats(fake)
    for sent in (first, second):
        (message,) = sent["json"]["messages"]
        assert message["content"] == [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": IMAGE.data_uri()}},
        ]
    # Asked once: the second image found the answer kept.
    assert len([r for r in fake.requests if r["path"] == "/v1/models"]) == 1


async def test_the_pickers_listing_teaches_it_without_another_request() -> None:
    fake = FakeOpenAI()
    fake.listing = _listing(_openrouter("t", "text"), _openrouter("vl", "image", "text"))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        assert await provider.models() == ["t", "vl"]
        assert provider.takes_images("t") is False
        assert provider.takes_images("vl") is True
        assert provider.takes_images("other") is None
        with pytest.raises(ImagesNotSupportedError):
            await _collect(provider, "t", LOOK)
    assert [r["path"] for r in fake.requests] == ["/v1/models"]


async def test_lm_studio_says_llm_or_vlm_at_its_own_address() -> None:
    fake = FakeOpenAI()
    fake.listing = _listing({"id": "gemma-3-4b"}, {"id": "qwen3-4b"})
    hits: list[str] = []
    studio = {
        "object": "list",
        "data": [{"id": "gemma-3-4b", "type": "vlm"}, {"id": "qwen3-4b", "type": "llm"}],
    }
    fake.app.router.add_get("/api/v0/models", _count(hits, "/api/v0/models", studio))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        with pytest.raises(ImagesNotSupportedError):
            await _collect(provider, "qwen3-4b", LOOK)
        assert await _collect(provider, "gemma-3-4b", LOOK) == "Hi"
    (sent,) = _chats(fake)
    assert sent["json"]["model"] == "gemma-3-4b"
    assert hits == ["/api/v0/models"]  # the second model was learned from the same answer


async def test_llama_server_props_say_there_is_no_vision_projector() -> None:
    fake = FakeOpenAI()  # one model listed, as llama-server does
    hits: list[str] = []
    props = {"model_path": "tiny.gguf", "modalities": {"vision": False}}
    fake.app.router.add_get("/props", _count(hits, "/props", props))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        with pytest.raises(ImagesNotSupportedError):
            await _collect(OpenAICompatible(base, http), "tiny.gguf", LOOK)
    assert hits == ["/props"]
    assert _chats(fake) == []


async def test_a_server_that_cannot_say_gets_the_image_and_is_asked_once() -> None:
    fake = FakeOpenAI()  # a plain listing; no /api/v0/models, no /props (404)
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        assert await _collect(provider, "tiny.gguf", LOOK) == "Hi"
        assert await _collect(provider, "tiny.gguf", LOOK) == "Hi"
        assert provider.takes_images("tiny.gguf") is None
    assert len(_chats(fake)) == 2
    assert len([r for r in fake.requests if r["path"] == "/v1/models"]) == 1


async def test_a_listing_that_fails_never_stops_the_image() -> None:
    fake = FakeOpenAI()
    fake.listing = json_reply({"error": "busy"}, status=503)
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        assert await _collect(OpenAICompatible(base, http), "m", LOOK) == "Hi"
    assert len(_chats(fake)) == 1


async def test_a_server_refusing_the_image_gives_the_sentence_then_refuses_first() -> None:
    fake = FakeOpenAI()
    fake.reply_with(
        json_reply(
            {
                "error": {
                    "code": 500,
                    "message": "image input is not supported - hint: if this is unexpected, "
                    "you may need to provide the mmproj",
                    "type": "server_error",
                }
            },
            status=500,
        )
    )
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        with pytest.raises(ImagesNotSupportedError) as exc:
            await _collect(provider, "tiny.gguf", LOOK)
        text = exc.value.text()
        assert text.startswith(f"tiny.gguf on {provider.what} probably does not take images")
        assert "image input is not supported" in text
        assert provider.takes_images("tiny.gguf") is False
        with pytest.raises(ImagesNotSupportedError):
            await _collect(provider, "tiny.gguf", LOOK)
    assert len(_chats(fake)) == 1  # the second never reached the server


async def test_another_server_error_with_an_image_stays_what_it_is() -> None:
    fake = FakeOpenAI()
    fake.reply_with(json_reply({"error": {"message": "out of memory"}}, status=500))
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        provider = OpenAICompatible(base, http)
        with pytest.raises(ServerError):
            await _collect(provider, "tiny.gguf", LOOK)
        assert provider.takes_images("tiny.gguf") is None


async def test_text_alone_asks_nothing_about_images() -> None:
    fake = FakeOpenAI()
    async with serving(fake.app, "/v1") as base, aiohttp.ClientSession() as http:
        await _collect(OpenAICompatible(base, http), "m", [{"role": "user", "content": "hi"}])
    assert [r["path"] for r in fake.requests] == ["/v1/chat/completions"]


# -- Ollama -----------------------------------------------------------------


def _show(hits: list[str], capabilities: list[str], delay: float = 0.0) -> web.RequestHandler:
    async def handler(request: web.Request) -> web.Response:
        hits.append((await request.json())["model"])
        await asyncio.sleep(delay)
        return web.json_response({"capabilities": capabilities})

    return handler


async def test_ollama_asks_api_show_once_per_model() -> None:
    fake = FakeOllama()
    hits: list[str] = []
    fake.app.router.add_post("/api/show", _show(hits, ["completion"]))
    async with serving(fake.app) as base, aiohttp.ClientSession() as http:
        provider = Ollama(base, http)
        for _ in range(2):
            with pytest.raises(ImagesNotSupportedError) as exc:
                await _collect(provider, "qwen3:0.6b", LOOK)
            assert "qwen3:0.6b on Ollama" in exc.value.text()
        assert provider.takes_images("qwen3:0.6b") is False
        assert await provider.look_up_images("qwen3:0.6b") is False
    assert hits == ["qwen3:0.6b"]
    assert _chats(fake, "/api/chat") == []


async def test_a_slow_api_show_does_not_hold_the_image_back(monkeypatch) -> None:
    monkeypatch.setattr("deskchat.provider.ollama.LOOK_UP_TIMEOUT", 0.2)
    fake = FakeOllama()
    hits: list[str] = []
    fake.app.router.add_post("/api/show", _show(hits, ["completion"], delay=5))
    async with serving(fake.app) as base, aiohttp.ClientSession() as http:
        provider = Ollama(base, http)
        assert await _collect(provider, "llava", LOOK) == "Hi"
        assert provider.takes_images("llava") is None
    (chat,) = _chats(fake, "/api/chat")
    assert chat["json"]["messages"][0]["images"] == [IMAGE.base64()]


async def test_ollama_refusing_the_image_gives_the_sentence() -> None:
    fake = FakeOllama()  # no /api/show: an old server, it cannot say
    fake.reply_with(
        Reply(
            chunks=[json.dumps({"error": "this model does not support images"}).encode()],
            status=500,
            headers={"Content-Type": "application/json"},
        )
    )
    async with serving(fake.app) as base, aiohttp.ClientSession() as http:
        provider = Ollama(base, http)
        with pytest.raises(ImagesNotSupportedError) as exc:
            await _collect(provider, "old", LOOK)
        assert "probably does not take images" in exc.value.text()
        with pytest.raises(ImagesNotSupportedError):
            await _collect(provider, "old", LOOK)
    assert len(_chats(fake, "/api/chat")) == 1
