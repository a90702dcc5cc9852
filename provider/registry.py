"""Every provider DeskChat knows, with what it can do, and one factory to build any of them.

Each entry holds its class, so mypy checks that every one is a
:class:`~provider.base.Provider` and the table's imports are plain ones that
tools follow. Importing this module touches no network and no keyring, and
loads no aiohttp: the provider modules import it only when a provider is
built or a request is made. Adding a provider is one new module plus one
:data:`PROVIDERS` line.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .base import Provider
from .chatgptfree import ChatgptFree
from .errors import ConfigurationError
from .http import IDLE_TIMEOUT
from .local import LocalProvider
from .ollama import Ollama
from .openai_compat import OpenAICompatible
from .secrets import get_api_key

if TYPE_CHECKING:
    import aiohttp

__all__ = ["PROVIDERS", "Capabilities", "ProviderInfo", "create", "get_info", "provider_ids"]

log = logging.getLogger("deskchat.provider.registry")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do, for the UI to decide what to offer.

    Attributes:
        needs_api_key: requests fail without a key.
        accepts_api_key: a key is sent when there is one (keyring, environment,
            session); true for every provider that needs one, and for a
            server that may or may not (``openai-compatible``). The settings
            show the key field when this is true.
        lists_models: ``models`` asks the server (else it is a fixed list).
        local: runs on this machine (no data leaves it).
        streaming: the reply arrives piece by piece.
    """

    needs_api_key: bool = False
    accepts_api_key: bool = False
    lists_models: bool = True
    local: bool = False
    streaming: bool = True


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """One registry entry.

    Attributes:
        id: the stable name used in settings and on the command line.
        display_name: the name shown to people.
        provider_class: the implementation; :func:`create` builds it.
        base_url: the default server address; None when the class has its own.
        capabilities: see :class:`Capabilities`.
        options: extra keyword arguments for the class (a preset's default model).
    """

    id: str
    display_name: str
    provider_class: type[Provider]
    base_url: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    options: Mapping[str, Any] = field(default_factory=dict)


_HOSTED = Capabilities(needs_api_key=True, accepts_api_key=True)
_LOCAL = Capabilities(local=True)

PROVIDERS: dict[str, ProviderInfo] = {
    info.id: info
    for info in (
        ProviderInfo(
            "chatgptfree",
            "ChatgptFree (chatgptfree.ai)",
            ChatgptFree,
            capabilities=Capabilities(lists_models=False),
        ),
        ProviderInfo(
            "openai-compatible",
            "OpenAI-compatible server",
            OpenAICompatible,
            "http://127.0.0.1:8080/v1",
            Capabilities(accepts_api_key=True),
        ),
        ProviderInfo(
            "openai",
            "OpenAI",
            OpenAICompatible,
            "https://api.openai.com/v1",
            _HOSTED,
            {"default_model": "gpt-4o-mini"},
        ),
        ProviderInfo(
            "openrouter",
            "OpenRouter",
            OpenAICompatible,
            "https://openrouter.ai/api/v1",
            _HOSTED,
            {"default_model": "openai/gpt-4o-mini"},
        ),
        ProviderInfo(
            "groq",
            "Groq",
            OpenAICompatible,
            "https://api.groq.com/openai/v1",
            _HOSTED,
            {"default_model": "llama-3.1-8b-instant"},
        ),
        ProviderInfo("lmstudio", "LM Studio", OpenAICompatible, "http://127.0.0.1:1234/v1", _LOCAL),
        ProviderInfo("llamacpp", "llama.cpp", OpenAICompatible, "http://127.0.0.1:8080/v1", _LOCAL),
        ProviderInfo("vllm", "vLLM", OpenAICompatible, "http://127.0.0.1:8000/v1", _LOCAL),
        ProviderInfo("ollama", "Ollama", Ollama, "http://127.0.0.1:11434", _LOCAL),
        ProviderInfo(
            "local",
            "Built-in engine (llama.cpp)",
            LocalProvider,
            capabilities=Capabilities(local=True),
        ),
    )
}
"""Known providers by id, in the order the UI lists them."""


def provider_ids() -> list[str]:
    """The ids of every known provider, in display order."""
    return list(PROVIDERS)


def get_info(provider_id: str) -> ProviderInfo:
    """The entry for ``provider_id``, or a ConfigurationError naming the choices."""
    try:
        return PROVIDERS[provider_id]
    except KeyError:
        raise ConfigurationError(
            f"Unknown provider {provider_id!r}. Available providers: {', '.join(PROVIDERS)}."
        ) from None


def create(
    provider_id: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    proxy: str | None = None,
    session: aiohttp.ClientSession | None = None,
    extra_headers: Mapping[str, str] | None = None,
    secret_headers: Iterable[str] = (),
    idle_timeout: float = IDLE_TIMEOUT,
) -> Provider:
    """Build the provider ``provider_id`` names.

    Args:
        base_url: the server's address; None for the entry's default.
        api_key: None looks it up with :func:`provider.secrets.get_api_key`
            (keyring, environment, session) for providers that take one.
        secret_headers: names of ``extra_headers`` the user marked secret
            (see :func:`provider.secrets.is_secret_header`).
        proxy, session, extra_headers, idle_timeout: passed on when the class
            takes them; settings a class does not take are ignored (logged).
    """
    info = get_info(provider_id)
    cls = info.provider_class
    caps = info.capabilities
    if api_key is None and (caps.needs_api_key or caps.accepts_api_key):
        api_key = get_api_key(info.id)
    wanted: dict[str, Any] = {
        "base_url": base_url or info.base_url,
        "session": session,
        "api_key": api_key,
        "proxy": proxy,
        "extra_headers": extra_headers,
        "secret_headers": tuple(secret_headers) or None,
        "idle_timeout": idle_timeout,
        # For classes that serve several entries (the OpenAI-compatible presets).
        "name": info.id,
        "display_name": info.display_name,
        "requires_api_key": info.capabilities.needs_api_key or None,
        **info.options,
    }
    accepted = inspect.signature(cls).parameters
    kwargs = {k: v for k, v in wanted.items() if v is not None and k in accepted}
    ignored = sorted(k for k, v in wanted.items() if v is not None and k not in accepted)
    if ignored:
        log.debug("%s does not take %s; ignored", info.id, ", ".join(ignored))
    return cls(**kwargs)
