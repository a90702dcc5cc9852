"""Model servers running on this computer (Ollama, llama.cpp, LM Studio), for the model picker.

The window asks once it is shown, in the background, with short timeouts
(``provider.discover_local``); nothing here touches the network at import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from deskchat import provider

if TYPE_CHECKING:
    import aiohttp

    from deskchat.provider import FoundServer

__all__ = ["PROBES", "TIMEOUT", "LocalModel", "LocalServers"]

log = logging.getLogger("deskchat.chat")

PROBES: Sequence[Any] | None = None
"""Where to look (``provider.discovery.Probe`` items); None for the provider's defaults.
Tests point it, or :class:`LocalServers`' ``probes``, at their own ports."""
TIMEOUT = 0.5
"""Seconds each probe may take: a silent port must not keep the list waiting."""


@dataclass(frozen=True)
class LocalModel:
    """One model offered by a server found on this computer.

    Attributes:
        server: the server that listed it.
        model: the model's name.
    """

    server: FoundServer
    model: str

    @property
    def label(self) -> str:
        """What the model picker shows, e.g. "llama3 — Ollama (127.0.0.1:11434)"."""
        where = urlsplit(self.server.base_url).netloc or self.server.base_url
        return f"{self.model} — {self.server.display_name} ({where})"


class LocalServers:
    """Finds local model servers and builds providers for them.

    Args:
        session: the session the providers share, or a function making it when first
            needed (looking for servers needs none: it reads their listings itself).
        probes: where to look; None for :data:`PROBES`, then the provider's defaults.
        timeout: seconds each probe may take.
        keyring_key: whether the keyring holds a provider's key, by its id (see
            :func:`deskchat.chat.stored_keys.keyring_key`); None: the provider's rule.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession],
        *,
        probes: Sequence[Any] | None = None,
        timeout: float = TIMEOUT,
        keyring_key: Callable[[str], bool | None] | None = None,
    ) -> None:
        self._session = session
        self._probes = probes
        self._timeout = timeout
        self._keyring_key = keyring_key

    async def discover(self) -> list[LocalModel]:
        """Every model of every server that answered, server by server."""
        probes = self._probes if self._probes is not None else PROBES
        options: dict[str, Any] = {"timeout": self._timeout}
        if probes is not None:
            options["probes"] = probes
        found = await provider.discover_local(**options)
        for server in found:
            log.info("found %s at %s", server.display_name, server.base_url)
        return [LocalModel(server, name) for server in found for name in server.models]

    def create(self, server: FoundServer) -> provider.Provider:
        """A provider talking to ``server`` (raises ``provider.ProviderError``)."""
        session = self._session() if callable(self._session) else self._session
        stored = self._keyring_key(server.provider_id) if self._keyring_key else None
        return provider.create_provider(
            server.provider_id, base_url=server.base_url, session=session, keyring_key=stored
        )
