"""Every provider DeskChat knows, with what it can do, and one factory to build any of them.

Each entry holds a loader of its class: a function whose plain import runs
when the class is first wanted, typed ``type[Provider]`` so mypy checks that
every one is a :class:`~provider.base.Provider`. Importing this module loads
no provider module (the window needs the ids and names before its first
paint, not the classes), touches no network and no keyring, and loads no
aiohttp. Adding a provider is one new module, one loader and one
:data:`PROVIDERS` line.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deskchat.i18n import N_, _

from .base import Provider
from .errors import ConfigurationError
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
            server that may or may not (``openai-compatible``, and llama.cpp,
            vLLM and LM Studio, which may be started with ``--api-key``). The
            settings show the key field when this is true.
        lists_models: ``models`` asks the server (else it is a fixed list).
        local: runs on this machine (no data leaves it).
        streaming: the reply arrives piece by piece.
        images: images may be sent (whether a given model reads them is the
            server's to say; the provider checks where it can, before sending).
        image_side: the longest side, in pixels, an image is scaled down to.
    """

    needs_api_key: bool = False
    accepts_api_key: bool = False
    lists_models: bool = True
    local: bool = False
    streaming: bool = True
    images: bool = True
    image_side: int = 2048


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """One registry entry.

    Attributes:
        id: the stable name used in settings and on the command line.
        label: the name shown to people, in English (marked with N_);
            :attr:`display_name` is it in the current language.
        load: returns the implementation, importing its module the first time
            (:attr:`provider_class`).
        base_url: the default server address; None when the class has its own.
        capabilities: see :class:`Capabilities`.
        options: extra keyword arguments for the class (a preset's default model).
    """

    id: str
    label: str
    load: Callable[[], type[Provider]]
    base_url: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """The name shown to people, in the current language."""
        return _(self.label)

    @property
    def provider_class(self) -> type[Provider]:
        """The implementation; :func:`create` builds it."""
        return self.load()


# The loaders. Plain imports inside functions: the provider modules (aiohttp's
# helpers, yarl, the engine's protocol, ~40 ms together) load when a provider is
# built, after the window's first paint, not when the registry is read.


def _chatgptfree() -> type[Provider]:
    from .chatgptfree import ChatgptFree

    return ChatgptFree


def _openai_compatible() -> type[Provider]:
    from .openai_compat import OpenAICompatible

    return OpenAICompatible


def _ollama() -> type[Provider]:
    from .ollama import Ollama

    return Ollama


def _local() -> type[Provider]:
    from .local import LocalProvider

    return LocalProvider


_HOSTED = Capabilities(needs_api_key=True, accepts_api_key=True)
# A server on this machine takes a key only if it was started with one.
_LOCAL = Capabilities(local=True, accepts_api_key=True)

PROVIDERS: dict[str, ProviderInfo] = {
    info.id: info
    for info in (
        ProviderInfo(
            "chatgptfree",
            "ChatgptFree (chatgptfree.ai)",
            _chatgptfree,
            capabilities=Capabilities(lists_models=False, images=False),
        ),
        ProviderInfo(
            "openai-compatible",
            N_("OpenAI-compatible server"),
            _openai_compatible,
            "http://127.0.0.1:8080/v1",
            Capabilities(accepts_api_key=True),
        ),
        ProviderInfo(
            "openai",
            "OpenAI",
            _openai_compatible,
            "https://api.openai.com/v1",
            _HOSTED,
            {"default_model": "gpt-4o-mini"},
        ),
        ProviderInfo(
            "openrouter",
            "OpenRouter",
            _openai_compatible,
            "https://openrouter.ai/api/v1",
            _HOSTED,
            {"default_model": "openai/gpt-4o-mini"},
        ),
        ProviderInfo(
            "groq",
            "Groq",
            _openai_compatible,
            "https://api.groq.com/openai/v1",
            _HOSTED,
            {"default_model": "llama-3.1-8b-instant"},
        ),
        ProviderInfo(
            "lmstudio", "LM Studio", _openai_compatible, "http://127.0.0.1:1234/v1", _LOCAL
        ),
        ProviderInfo(
            "llamacpp", "llama.cpp", _openai_compatible, "http://127.0.0.1:8080/v1", _LOCAL
        ),
        ProviderInfo("vllm", "vLLM", _openai_compatible, "http://127.0.0.1:8000/v1", _LOCAL),
        # Ollama's vision models read far less than 2048 px (llama3.2-vision: 1120).
        ProviderInfo(
            "ollama",
            "Ollama",
            _ollama,
            "http://127.0.0.1:11434",
            Capabilities(local=True, image_side=1344),
        ),
        ProviderInfo(
            "local",
            N_("Built-in engine (llama.cpp)"),
            _local,
            # Images go to a model with its vision projector (provider.local refuses
            # them for one without); 1024 px keeps an image to ~1,300 tokens for
            # Qwen2.5-VL, which a CPU reads in tens of seconds, not minutes.
            capabilities=Capabilities(local=True, image_side=1024),
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
            _("Unknown provider {provider_id!r}. Available providers: {join}.").format(
                provider_id=provider_id, join=", ".join(PROVIDERS)
            )
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
    idle_timeout: float | None = None,
    keyring_key: bool | None = None,
) -> Provider:
    """Build the provider ``provider_id`` names.

    Args:
        base_url: the server's address; None for the entry's default.
        api_key: None looks it up with :func:`provider.secrets.get_api_key`
            (keyring, environment, session) for providers that take one.
        secret_headers: names of ``extra_headers`` the user marked secret
            (see :func:`provider.secrets.is_secret_header`).
        keyring_key: whether the keyring holds this provider's key, for a caller
            that knows (the window notes it in its settings): False looks only in
            the environment and this session, so the keyring's backend (~11 MiB)
            is not loaded. None: the keyring is read for every provider that takes
            a key except a server on this machine (``local``), whose key is read
            only when the caller says one is stored.
        idle_timeout: None for :data:`provider.http.IDLE_TIMEOUT`.
        proxy, session, extra_headers: passed on when the class takes them,
            as ``idle_timeout`` is; settings a class does not take are ignored
            (logged).
    """
    from .http import IDLE_TIMEOUT  # With the provider's own module, not at import.

    if idle_timeout is None:
        idle_timeout = IDLE_TIMEOUT
    info = get_info(provider_id)
    cls = info.provider_class
    caps = info.capabilities
    if api_key is None and (caps.needs_api_key or caps.accepts_api_key):
        read = not caps.local if keyring_key is None else keyring_key
        api_key = get_api_key(info.id, from_keyring=read)
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
    accepted = _parameters(cls)
    kwargs = {k: v for k, v in wanted.items() if v is not None and k in accepted}
    ignored = sorted(k for k, v in wanted.items() if v is not None and k not in accepted)
    if ignored:
        log.debug("%s does not take %s; ignored", info.id, ", ".join(ignored))
    return cls(**kwargs)


def _parameters(cls: type) -> Mapping[str, inspect.Parameter]:
    """The keyword arguments ``cls`` takes, looked up past ``__init__(*args, **kwargs)``.

    A subclass that only adds state forwards everything to its base; its own
    signature would hide every name, so the first class up the MRO that names
    its parameters is the one that says what is taken.
    """
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(vars(klass)["__init__"]).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return parameters
    return inspect.signature(cls).parameters
