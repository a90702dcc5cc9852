"""The provider ``auto``: where replies come from when the user has not chosen.

In order: a provider the user chose; else a model server found running on this
computer (Ollama, llama.cpp, LM Studio); else a model file on disk for the
built-in engine (downloaded by DeskChat or found in another app's folder); else
nothing, and the front end shows the ways to get a reply (:data:`NO_ROUTE_HELP`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from deskchat import provider
from deskchat.i18n import N_, _

__all__ = [
    "AUTO",
    "LOCAL",
    "NO_ROUTE_HELP",
    "RECOMMENDED_PULL",
    "LocalFile",
    "Route",
    "find_route",
]

log = logging.getLogger("deskchat.chat")

AUTO = "auto"
"""The default provider id: choose by :func:`find_route`."""
LOCAL = "local"
"""The built-in engine's provider id."""

RECOMMENDED_PULL = "bartowski/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M"
"""What the help suggests downloading: small enough for a CPU, good enough to be useful."""

_NO_ROUTE_HELP = N_("""\
DeskChat has nothing to answer with yet. Three ways to get a reply:
  1. Download a small model for the built-in engine (about 1 GB, runs on the CPU):
       deskchat pull {model}
  2. Start a model server on this computer; DeskChat finds it by itself:
       ollama serve            (then: ollama pull llama3.2)
       llama-server -m MODEL.gguf
  3. Use a hosted provider with an API key:
       OPENAI_API_KEY=sk-... deskchat ask --provider openai "hi"
     (or --provider openrouter with OPENROUTER_API_KEY, --provider groq with GROQ_API_KEY)""")

NO_ROUTE_HELP: str
"""The ways to get a reply, in the current language (read when it is imported or used)."""


def __getattr__(name: str) -> str:
    # Translated when read, not at import: the language is chosen after the imports.
    if name == "NO_ROUTE_HELP":
        return _(_NO_ROUTE_HELP).format(model=RECOMMENDED_PULL)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class LocalFile(Protocol):
    """A model file the built-in engine can run (``deskchat.library``'s models are these)."""

    @property
    def path(self) -> Path: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Route:
    """Where the next replies come from.

    Attributes:
        kind: "chosen" (the user's provider), "server" (found running), "model"
            (a file for the built-in engine) or "none".
        provider_id: the provider to build (None for "none").
        base_url: the server's address, for "server" (None: the provider's own).
        model: the model to ask for (a server's model name or a .gguf path).
        label: what the window shows, e.g. "llama3.2 — Ollama (127.0.0.1:11434)".
    """

    kind: Literal["chosen", "server", "model", "none"]
    provider_id: str | None = None
    base_url: str | None = None
    model: str | None = None
    label: str = ""


Discover = Callable[[], Awaitable[Sequence["provider.FoundServer"]]]


async def find_route(
    chosen: str,
    *,
    local_models: Callable[[], Sequence[LocalFile]],
    model: str | None = None,
    base_url: str | None = None,
    discover: Discover | None = None,
) -> Route:
    """The first of: the chosen provider, a server found running, a model on disk.

    Args:
        chosen: the provider id the user chose, or :data:`AUTO`.
        local_models: the model files on this computer, best first.
        model, base_url: what the user gave for this run (kept for a chosen provider;
            with ``auto``, a model picks among the servers' and files' models).
        discover: how to look for servers (default ``provider.discover_local``).
    """
    if chosen != AUTO:
        return Route("chosen", chosen, base_url, model, _label_of(chosen, model))
    servers = await (discover or provider.discover_local)()
    for server in servers:
        if not server.models:
            continue
        name = model if model in server.models else server.models[0]
        label = f"{name} — {server.display_name} ({_where(server.base_url)})"
        return Route("server", server.provider_id, server.base_url, name, label)
    files = list(local_models())
    if files:
        picked = next((f for f in files if model and model in (f.name, str(f.path))), files[0])
        return Route(
            "model",
            LOCAL,
            None,
            str(picked.path),
            _("{name} — built-in engine").format(name=picked.name),
        )
    return Route("none")


def _where(base_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(base_url).netloc or base_url


def _label_of(provider_id: str, model: str | None) -> str:
    try:
        display = provider.get_provider_info(provider_id).display_name
    except provider.ProviderError:
        display = provider_id
    return f"{model} — {display}" if model else display
