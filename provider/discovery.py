"""Find model servers already running on this machine (Ollama, llama.cpp, LM Studio).

:func:`discover_local` asks each known port at once, with a short timeout,
and never raises: a port with nothing (or something else) behind it is
simply not listed. Nothing here runs at import.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ollama import parse_tags
from .openai_compat import parse_models

if TYPE_CHECKING:
    import aiohttp

__all__ = ["DEFAULT_PROBES", "FoundServer", "Probe", "discover_local"]

log = logging.getLogger("deskchat.provider.discovery")


@dataclass(frozen=True, slots=True)
class Probe:
    """One place a server may be listening.

    Attributes:
        provider_id: the registry id to use for a server found here.
        display_name: the name shown to people.
        port: the TCP port to ask.
        models_path: the path that lists models (proves the server's kind).
        api_root: the path of the base URL the provider takes ("" or "/v1").
        parse: turns the listing's body into model names; raises on a wrong shape.
    """

    provider_id: str
    display_name: str
    port: int
    models_path: str
    api_root: str
    parse: Callable[[str, str], list[str]]


@dataclass(frozen=True, slots=True)
class FoundServer:
    """A server that answered.

    Attributes:
        provider_id: the registry id to create it with.
        display_name: e.g. "Ollama".
        base_url: the address to give :func:`provider.registry.create`.
        models: the models it listed (may be empty: nothing loaded yet).
    """

    provider_id: str
    display_name: str
    base_url: str
    models: tuple[str, ...]


DEFAULT_PROBES: tuple[Probe, ...] = (
    Probe("ollama", "Ollama", 11434, "/api/tags", "", parse_tags),
    Probe("llamacpp", "llama.cpp", 8080, "/v1/models", "/v1", parse_models),
    Probe("lmstudio", "LM Studio", 1234, "/v1/models", "/v1", parse_models),
)


async def discover_local(
    session: aiohttp.ClientSession,
    *,
    timeout: float = 0.5,  # noqa: ASYNC109 - a per-probe limit, applied inside
    host: str = "127.0.0.1",
    probes: Sequence[Probe] = DEFAULT_PROBES,
) -> list[FoundServer]:
    """The servers among ``probes`` that answer on ``host``, in ``probes`` order.

    Args:
        session: the session to ask with (no proxy is used: these are local).
        timeout: seconds each probe may take in all.
    """
    results = await asyncio.gather(*(_probe(session, host, p, timeout) for p in probes))
    return [found for found in results if found is not None]


async def _probe(
    session: aiohttp.ClientSession, host: str, probe: Probe, limit: float
) -> FoundServer | None:
    root = f"http://{host}:{probe.port}"
    try:
        async with asyncio.timeout(limit):
            async with session.get(
                root + probe.models_path,
                # Never through a proxy from the environment: the server is here.
                proxy=None,
                allow_redirects=False,
            ) as response:
                if response.status != 200:
                    return None
                body = await response.text(errors="replace")
        models = probe.parse(body, probe.display_name)
    except Exception as exc:  # noqa: BLE001 - discovery must never break the caller
        log.debug("no %s on port %d: %s", probe.display_name, probe.port, type(exc).__name__)
        return None
    return FoundServer(probe.provider_id, probe.display_name, root + probe.api_root, tuple(models))
