"""The provider `auto`: the chosen provider, else a server found running, else a model on disk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deskchat.chat.auto import AUTO, NO_ROUTE_HELP, RECOMMENDED_PULL, find_route
from deskchat.provider import FoundServer


@dataclass(frozen=True)
class File:
    path: Path
    name: str


OLLAMA = FoundServer("ollama", "Ollama", "http://127.0.0.1:11434", ("llama3.2", "qwen2.5"))
EMPTY = FoundServer("llamacpp", "llama.cpp", "http://127.0.0.1:8080/v1", ())
ON_DISK = [File(Path("/m/qwen.gguf"), "Qwen2.5 1.5B Instruct Q4_K_M"), File(Path("/m/b.gguf"), "B")]


def servers(*found: FoundServer):
    asked: list[bool] = []

    async def discover() -> Sequence[FoundServer]:
        asked.append(True)
        return found

    return discover, asked


async def test_a_chosen_provider_wins_and_nothing_is_probed() -> None:
    discover, asked = servers(OLLAMA)
    route = await find_route(
        "openai", local_models=lambda: ON_DISK, model="gpt-4o", discover=discover
    )
    assert (route.kind, route.provider_id, route.model) == ("chosen", "openai", "gpt-4o")
    assert route.label == "gpt-4o — OpenAI"
    assert asked == []


async def test_a_server_found_running_comes_before_a_model_on_disk() -> None:
    discover, _ = servers(EMPTY, OLLAMA)
    route = await find_route(AUTO, local_models=lambda: ON_DISK, discover=discover)
    assert route.kind == "server"
    assert (route.provider_id, route.base_url, route.model) == (
        "ollama",
        "http://127.0.0.1:11434",
        "llama3.2",
    )
    assert route.label == "llama3.2 — Ollama (127.0.0.1:11434)"
    # A model the user named is taken when the server has it.
    named = await find_route(AUTO, local_models=list, model="qwen2.5", discover=discover)
    assert named.model == "qwen2.5"


async def test_with_no_server_a_model_on_disk_runs_in_the_built_in_engine() -> None:
    discover, _ = servers(EMPTY)
    route = await find_route(AUTO, local_models=lambda: ON_DISK, discover=discover)
    assert (route.kind, route.provider_id, route.model) == ("model", "local", "/m/qwen.gguf")
    assert route.label == "Qwen2.5 1.5B Instruct Q4_K_M — built-in engine"
    picked = await find_route(AUTO, local_models=lambda: ON_DISK, model="B", discover=discover)
    assert picked.model == "/m/b.gguf"


async def test_nothing_at_all_is_said_with_the_three_ways() -> None:
    discover, _ = servers()
    route = await find_route(AUTO, local_models=list, discover=discover)
    assert route.kind == "none"
    assert route.provider_id is None
    assert f"deskchat pull {RECOMMENDED_PULL}" in NO_ROUTE_HELP
    assert "ollama serve" in NO_ROUTE_HELP
    assert "OPENAI_API_KEY" in NO_ROUTE_HELP


def test_the_model_the_help_suggests_is_in_the_catalogue() -> None:
    from deskchat import library

    assert RECOMMENDED_PULL in {entry.spec for entry in library.CATALOGUE}
