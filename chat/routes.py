"""From options to a provider: the route ``auto`` found, or the provider the user chose.

The command line and the window both build their provider here, so
``deskchat ask`` and the window answer from the same place for the same
settings. A model for the built-in engine may be named as ``OWNER/REPO:QUANT``
(as pulled), a path to a ``.gguf`` file, or a name from ``deskchat models``;
:func:`build` turns it into the file's path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from deskchat import library, provider
from deskchat.i18n import _

from .auto import AUTO, LOCAL, Route, find_route
from .options import Options, make_provider

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Built", "build", "close", "is_auto", "local_provider", "route_for"]


@dataclass(frozen=True)
class Built:
    """A provider ready to answer, with the model to ask it for.

    Attributes:
        chat: the provider.
        provider_id: its id, as kept in the history.
        model: the model name to ask for (a path for the built-in engine); None
            for the provider's default.
        route: how it was chosen.
    """

    chat: provider.Provider
    provider_id: str
    model: str | None
    route: Route


async def route_for(options: Options) -> Route:
    """Where replies come from for ``options`` (see :func:`deskchat.chat.auto.find_route`)."""
    return await find_route(
        options.provider,
        local_models=lambda: library.local_models(options.data_dir),
        model=options.model,
        base_url=options.base_url,
    )


def build(
    route: Route,
    options: Options,
    http: aiohttp.ClientSession | None,
    *,
    local_options: Mapping[str, Any] | None = None,
    secret_headers: Iterable[str] = (),
    keyring_key: bool | None = None,
) -> Built:
    """The provider ``route`` names, sharing ``http``.

    Args:
        local_options: keyword arguments for the built-in engine (context size,
            GPU layers, idle unload), from the settings.
        secret_headers: names of ``options.extra_headers`` kept in the keyring
            (see :func:`options.make_provider`).
        keyring_key: whether the keyring holds the provider's key (as there).

    Raises:
        provider.ConfigurationError: the route is "none", or an unknown provider.
        library.ModelNotFoundError: a model for the built-in engine that is not on disk.
    """
    if route.kind == "none" or route.provider_id is None:
        raise provider.ConfigurationError(_("No provider or model is set up yet."))
    if route.provider_id == LOCAL:
        model = route.model or options.model
        chat = local_provider(model, options.data_dir, local_options)
        return Built(chat, LOCAL, str(chat.default_model) or None, route)
    chosen = replace(options, provider=route.provider_id, base_url=route.base_url)
    chat = make_provider(chosen, http, secret_headers=secret_headers, keyring_key=keyring_key)
    return Built(chat, route.provider_id, route.model, route)


def local_provider(
    model: str | None,
    data_dir: str | None,
    local_options: Mapping[str, Any] | None = None,
) -> provider.Provider:
    """The built-in engine with ``model`` (any of the forms above) as its default."""
    from deskchat.provider.local import LocalProvider  # the engine's module, on first use

    path = str(library.resolve(model, data_dir)) if model else ""
    return LocalProvider(
        library.models_dir(data_dir), default_model=path, **dict(local_options or {})
    )


def is_auto(options: Options) -> bool:
    """True when the user has not chosen a provider (the default ``auto``)."""
    return options.provider == AUTO


async def close(chat: provider.Provider) -> None:
    """Let a provider that owns a process (the built-in engine) stop it; others own none."""
    aclose = getattr(chat, "aclose", None)
    if aclose is not None:
        await aclose()
