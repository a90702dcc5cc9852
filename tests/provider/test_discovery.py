"""discover_local against real loopback servers, a silent port and a wrong kind of server."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from deskchat.provider.discovery import DEFAULT_PROBES, FoundServer, Probe, discover_local
from deskchat.provider.ollama import parse_tags
from deskchat.provider.openai_compat import parse_models
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI


def free_port() -> int:
    """A port nobody listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def servers():
    """Ollama, llama.cpp, a web page and a hanging server on loopback; yields their ports."""
    hang = asyncio.Event()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>not a model server</html>", content_type="text/html")

    async def slow(request: web.Request) -> web.Response:
        await hang.wait()
        return web.Response(text="{}")

    other = web.Application()
    other.router.add_get("/v1/models", page)
    hanging = web.Application()
    hanging.router.add_get("/api/tags", slow)
    started = [
        TestServer(app, host="127.0.0.1")
        for app in (FakeOllama().app, FakeOpenAI().app, other, hanging)
    ]
    for server in started:
        await server.start_server()
    try:
        yield [server.port for server in started]
    finally:
        hang.set()
        for server in started:
            await server.close()


async def test_finds_the_servers_that_answer(servers):
    ollama, llama, web_page, hanging = servers
    probes = [
        Probe("ollama", "Ollama", ollama, "/api/tags", "", parse_tags),
        Probe("llamacpp", "llama.cpp", llama, "/v1/models", "/v1", parse_models),
        Probe("lmstudio", "LM Studio", free_port(), "/v1/models", "/v1", parse_models),
        Probe("vllm", "vLLM", web_page, "/v1/models", "/v1", parse_models),
        Probe("ollama", "Ollama", hanging, "/api/tags", "", parse_tags),
    ]
    found = await discover_local(timeout=0.3, probes=probes)
    assert found == [
        FoundServer(
            "ollama", "Ollama", f"http://127.0.0.1:{ollama}", ("qwen3:0.6b", "llama3.2:1b")
        ),
        FoundServer("llamacpp", "llama.cpp", f"http://127.0.0.1:{llama}/v1", ("tiny.gguf",)),
    ]


async def test_nothing_listening_gives_an_empty_list():
    probes = [Probe("ollama", "Ollama", free_port(), "/api/tags", "", parse_tags)]
    assert await discover_local(timeout=0.3, probes=probes) == []


def test_default_probes_cover_the_three_local_servers():
    assert {(p.provider_id, p.port, p.models_path) for p in DEFAULT_PROBES} == {
        ("ollama", 11434, "/api/tags"),
        ("llamacpp", 8080, "/v1/models"),
        ("lmstudio", 1234, "/v1/models"),
    }
