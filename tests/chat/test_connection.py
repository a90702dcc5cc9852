"""The window's connection: no network until asked, the survey, the providers a choice builds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deskchat import library, provider
from deskchat.chat import setup
from deskchat.chat.auto import AUTO, LOCAL
from deskchat.chat.connection import Connection
from deskchat.chat.options import Options
from deskchat.provider.discovery import Probe
from deskchat.provider.local import LocalProvider
from deskchat.provider.ollama import parse_tags
from deskchat.store import Settings
from tests.fakes.hf_hub import make_gguf
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.scripted import serving

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def locations(tmp_path: Path) -> library.Locations:
    """DeskChat's data folder with one downloaded model; no other app's folder."""
    data = tmp_path / "data"
    folder = data / "models" / "fake" / "Tiny-GGUF"
    folder.mkdir(parents=True)
    (folder / "Tiny-Q4_K_M.gguf").write_bytes(make_gguf(name="Tiny", size=10_000))
    return library.Locations(data, tmp_path / "hf-cache")


@pytest.fixture
async def ollama() -> AsyncIterator[tuple[FakeOllama, list[Probe]]]:
    fake = FakeOllama()
    async with serving(fake.app) as url:
        port = int(url.rsplit(":", 1)[1])
        yield fake, [Probe("ollama", "Ollama", port, "/api/tags", "", parse_tags)]


NOBODY = [Probe("ollama", "Ollama", 9, "/api/tags", "", parse_tags)]
"""Port 9 (discard) on loopback: nothing listens there in a test run."""


def connection(
    tmp_path: Path, locations: library.Locations, probes: list[Probe], **options: object
) -> Connection:
    settings = Settings(tmp_path / "settings.json")
    return Connection(
        Options(data_dir=str(locations.data_dir), **options),  # type: ignore[arg-type]
        settings,
        locations=locations,
        probes=probes,
    )


def test_nothing_network_related_loads_until_the_session_is_asked_for() -> None:
    code = (
        "import sys\n"
        "from deskchat.chat.connection import Connection\n"
        "from deskchat.chat.options import Options\n"
        "from deskchat.store import Settings\n"
        "c = Connection(Options(), Settings('unused.json'))\n"
        "print(sorted(m for m in ('aiohttp', 'huggingface_hub', 'llama_cpp') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_a_server_found_running_is_the_route_and_answers(
    tmp_path: Path, locations: library.Locations, ollama: tuple[FakeOllama, list[Probe]]
) -> None:
    fake, probes = ollama
    conn = connection(tmp_path, locations, probes)
    try:
        survey = await conn.survey()
        # Looking for servers and files made no aiohttp session: only a provider does.
        assert conn._http is None
        assert survey.route.kind == "server"
        assert (survey.route.provider_id, survey.route.model) == ("ollama", "qwen3:0.6b")
        assert [m.model for m in survey.servers] == ["qwen3:0.6b", "llama3.2:1b"]
        # The model files are listed too, for the setup panel.
        assert [m.name for m in survey.models] == ["fake/Tiny-GGUF:Q4_K_M"]
        assert survey.engine == setup.engine_available()
        built = conn.build_server(survey.servers[1])
        assert (built.provider_id, built.model) == ("ollama", "llama3.2:1b")
        pieces = [
            e.text
            async for e in provider.stream_events(built.chat, built.model, [_hi()])
            if isinstance(e, provider.TextDelta)
        ]
        assert "".join(pieces) == "Hi"
        assert fake.requests[-1]["json"]["model"] == "llama3.2:1b"
    finally:
        await conn.aclose()


async def test_without_a_server_a_model_on_disk_is_the_route(
    tmp_path: Path, locations: library.Locations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup, "find_spec", lambda _name: object())
    conn = connection(tmp_path, locations, NOBODY)
    conn.settings.engine_context = 2048
    conn.settings.engine_idle_minutes = 0
    try:
        survey = await conn.survey()
        assert survey.servers == []
        assert survey.route.kind == "model"
        built = conn.build(survey.route)
        assert built.provider_id == LOCAL
        assert isinstance(built.chat, LocalProvider)
        assert built.chat.default_model == str(survey.models[0].path)
        # The engine's settings reach the engine.
        assert (built.chat.n_ctx, built.chat.idle_unload) == (2048, None)
    finally:
        await conn.aclose()


async def test_without_the_engine_a_model_on_disk_is_no_route(
    tmp_path: Path, locations: library.Locations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup, "find_spec", lambda _name: None)
    conn = connection(tmp_path, locations, NOBODY)
    try:
        survey = await conn.survey()
        assert survey.route.kind == "none"
        assert not survey.engine
        assert len(survey.models) == 1  # still listed: the panel says why it cannot run
    finally:
        await conn.aclose()


async def test_a_chosen_provider_is_the_route_and_the_disk_is_not_read(
    tmp_path: Path, locations: library.Locations, monkeypatch: pytest.MonkeyPatch
) -> None:
    def scan(*args: object, **kwargs: object) -> list[library.LocalModelInfo]:
        raise AssertionError("the model folders were read")

    monkeypatch.setattr(library, "local_models", scan)
    conn = connection(tmp_path, locations, NOBODY, provider="chatgptfree")
    try:
        survey = await conn.survey()
        assert (survey.route.kind, survey.route.provider_id) == ("chosen", "chatgptfree")
        assert survey.models == []
        built = conn.build(survey.route)
        assert built.chat.name == "chatgptfree"
    finally:
        await conn.aclose()


async def test_providers_from_settings(tmp_path: Path, locations: library.Locations) -> None:
    conn = connection(tmp_path, locations, NOBODY)
    model = locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf"
    try:
        settings = Settings(tmp_path / "other.json")
        settings.provider = "local"
        settings.model = str(model)
        settings.engine_gpu_layers = "none"
        local = conn.provider_for(settings)
        assert isinstance(local, LocalProvider)
        assert (local.default_model, local.n_gpu_layers) == (str(model), 0)
        settings.provider = "openai-compatible"
        settings.base_url = "http://127.0.0.1:9/v1"
        assert conn.provider_for(settings).name == "openai-compatible"
        settings.provider = AUTO
        with pytest.raises(provider.ConfigurationError, match="auto"):
            conn.provider_for(settings)
    finally:
        await conn.aclose()


async def test_closing_stops_the_engines_and_the_session(
    tmp_path: Path, locations: library.Locations
) -> None:
    conn = connection(tmp_path, locations, NOBODY)
    model = str(locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf")
    closed: list[str] = []
    first, second = conn.build_model(model).chat, conn.build_model(model).chat
    for engine in (first, second):

        async def aclose(engine: object = engine) -> None:
            closed.append("first" if engine is first else "second")

        engine.aclose = aclose  # type: ignore[attr-defined]
    http = conn.http
    await conn.retire(first)
    assert closed == ["first"]
    await conn.retire(first)  # once only
    await conn.aclose()
    assert closed == ["first", "second"]
    assert http.closed


def _hi() -> provider.Message:
    return {"role": "user", "content": "hi"}
