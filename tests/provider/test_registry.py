"""The provider registry: entries, capabilities, and the factory."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from deskchat.provider import errors, registry
from deskchat.provider.base import Provider, list_models
from deskchat.provider.chatgptfree import ChatgptFree
from deskchat.provider.events import TextDelta
from deskchat.provider.ollama import Ollama
from deskchat.provider.openai_compat import OpenAICompatible
from tests.fakes.openai_server import FakeOpenAI

EXPECTED_URLS = {
    "openai-compatible": "http://127.0.0.1:8080/v1",
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "groq": "https://api.groq.com/openai/v1",
    "lmstudio": "http://127.0.0.1:1234/v1",
    "llamacpp": "http://127.0.0.1:8080/v1",
    "vllm": "http://127.0.0.1:8000/v1",
    "ollama": "http://127.0.0.1:11434",
}


@pytest.fixture(autouse=True)
def _no_keys_from_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "DESKCHAT_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_every_spec_entry_is_present():
    assert registry.provider_ids()[0] == "chatgptfree"
    assert set(registry.provider_ids()) == {"chatgptfree", "local", *EXPECTED_URLS}


def test_the_built_in_engine_is_a_local_provider_with_no_address():
    info = registry.get_info("local")
    assert info.capabilities.local
    assert not info.capabilities.needs_api_key
    built = registry.create("local")
    assert isinstance(built, Provider)
    assert built.name == "local"


@pytest.mark.parametrize(("provider_id", "url"), sorted(EXPECTED_URLS.items()))
def test_create_uses_the_entry_default_url(provider_id, url):
    built = registry.create(provider_id)
    assert isinstance(built, Provider)
    assert built.base_url == url
    assert built.name == provider_id


def test_capabilities():
    caps = {i: registry.get_info(i).capabilities for i in registry.provider_ids()}
    assert caps["openai"].needs_api_key
    assert caps["groq"].needs_api_key
    assert not caps["llamacpp"].needs_api_key
    assert caps["ollama"].local
    assert caps["lmstudio"].local
    assert not caps["openrouter"].local
    assert not caps["chatgptfree"].lists_models
    assert all(c.streaming for c in caps.values())


def test_create_passes_settings_on():
    built = registry.create(
        "groq",
        base_url="http://127.0.0.1:1/v1",
        api_key="gsk-1",
        proxy="http://127.0.0.1:3128",
        extra_headers={"X-A": "b"},
        idle_timeout=5,
    )
    assert isinstance(built, OpenAICompatible)
    assert built.base_url == "http://127.0.0.1:1/v1"
    assert built.proxy == "http://127.0.0.1:3128"
    assert built.idle_timeout == 5
    assert built.display_name == "Groq"
    assert built.default_model == "llama-3.1-8b-instant"
    assert built.requires_api_key
    assert built.headers("x")["Authorization"] == "Bearer gsk-1"
    assert built.headers("x")["X-A"] == "b"


def test_create_chatgptfree_ignores_what_it_does_not_take():
    built = registry.create("chatgptfree", api_key="unused", proxy="http://127.0.0.1:3128")
    assert isinstance(built, ChatgptFree)
    assert built.proxy == "http://127.0.0.1:3128"
    assert built.base_url == "https://chatgptfree.ai"


def test_create_ollama():
    assert isinstance(registry.create("ollama"), Ollama)


def test_hosted_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "or-key-from-env")
    built = registry.create("openrouter")
    assert built.headers("x")["Authorization"] == "Bearer or-key-from-env"


def test_unknown_provider_lists_the_choices():
    with pytest.raises(errors.ConfigurationError, match="Available providers: chatgptfree, "):
        registry.create("nope")


async def test_created_provider_streams_from_a_local_server():
    fake = FakeOpenAI()
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            built = registry.create(
                "llamacpp", base_url=str(server.make_url("/v1")), session=session
            )
            assert await list_models(built) == ["tiny.gguf"]
            events = [
                e
                async for e in built.create_async_generator(
                    None, [{"role": "user", "content": "x"}]
                )
            ]
    finally:
        await server.close()
    assert events == [TextDelta("Hi")]


def test_importing_the_provider_door_loads_no_aiohttp_nor_keyring_nor_network():
    # Sockets are forbidden before the import: any connection attempt fails loudly.
    # aiohttp takes ~150 ms to import (it builds an SSL context), which the window's
    # start-up must not pay before the first request; nor does building a provider.
    code = (
        "import socket, sys\n"
        "def deny(*a, **k):\n"
        "    raise SystemExit('network used at import')\n"
        "socket.socket.connect = deny\n"
        "socket.socket.connect_ex = deny\n"
        "socket.getaddrinfo = deny\n"
        "import deskchat.provider as provider\n"
        "import deskchat.provider.discovery, deskchat.provider.registry\n"
        "print('keyring' in sys.modules, 'aiohttp' in sys.modules, len(provider.PROVIDERS))\n"
        "for provider_id in provider.provider_ids():\n"
        "    provider.create_provider(provider_id, api_key='unused')\n"
        "print('aiohttp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "10", "False"]


def test_every_entry_holds_its_class():
    classes = {i: registry.get_info(i).provider_class for i in registry.provider_ids()}
    assert classes["chatgptfree"] is ChatgptFree
    assert classes["ollama"] is Ollama
    assert {classes[i] for i in EXPECTED_URLS if i != "ollama"} == {OpenAICompatible}


def test_a_class_whose_init_only_forwards_still_gets_its_settings(monkeypatch):
    # A subclass that adds state with __init__(*args, **kwargs) hides its base's
    # parameter names from inspect.signature; the address must still reach it.
    from deskchat.provider.openai_compat import OpenAICompatible

    class Forwarding(OpenAICompatible):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.extra = True

    info = registry.get_info("openai-compatible")
    monkeypatch.setitem(
        registry.PROVIDERS, info.id, dataclasses.replace(info, load=lambda: Forwarding)
    )
    built = registry.create("openai-compatible", base_url="http://127.0.0.1:1/v1", api_key="k")
    assert isinstance(built, Forwarding)
    assert built.base_url == "http://127.0.0.1:1/v1"
    assert built.name == "openai-compatible"  # the preset's own name, passed on too
