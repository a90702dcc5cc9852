"""What the settings dialog asks a server before anything is saved: its models, in one
sentence for "Test connection"."""

from __future__ import annotations

import socket

import pytest

from deskchat import provider
from deskchat.chat.probe import Probe, connection_sentence, models_sentence, server_models
from tests.fakes.openai_server import FakeOpenAI, json_reply
from tests.fakes.scripted import serving


async def test_the_models_come_from_the_address_shown_with_the_key_typed() -> None:
    server = FakeOpenAI()
    server.listing = json_reply(
        {"object": "list", "data": [{"id": "qwen2.5-7b"}, {"id": "llama-3.2-3b"}]}
    )
    async with serving(server.app, "/v1") as base:
        probe = Probe(
            "openai-compatible",
            base_url=base,
            api_key="sk-typed-not-saved",
            extra_headers={"X-Title": "DeskChat"},
        )
        models = await server_models(probe)
    assert models == ["qwen2.5-7b", "llama-3.2-3b"]
    sent = server.requests[-1]["headers"]
    assert sent["Authorization"] == "Bearer sk-typed-not-saved"
    assert sent["X-Title"] == "DeskChat"
    assert connection_sentence(models) == "Connected: 2 models."


def test_one_model_is_one() -> None:
    assert connection_sentence(["a"]) == "Connected: 1 model."
    assert connection_sentence([str(n) for n in range(1234)]) == "Connected: 1,234 models."


async def test_a_server_that_is_not_there_is_one_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
    probe = Probe("openai-compatible", base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(provider.ProviderError) as caught:
        await server_models(probe)
    sentence = caught.value.text()
    assert "127.0.0.1" in sentence
    assert models_sentence(caught.value) == f"{sentence} Type the model's name instead."


async def test_a_provider_with_a_fixed_list_needs_no_network() -> None:
    assert await server_models(Probe("chatgptfree")) == list(
        provider.create_provider("chatgptfree").models  # type: ignore[arg-type]
    )
