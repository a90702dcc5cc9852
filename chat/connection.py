"""The window's way to its models: the HTTP session (made after the window is shown),
the servers and model files found, and the providers a choice builds. No Qt.

Nothing here touches the network, or imports aiohttp, until :attr:`Connection.http`
is first read: the window reads it only after its first paint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from deskchat import library, provider
from deskchat.store import Settings

from . import proxy, routes, stored_keys
from .auto import AUTO, LOCAL, Route, find_route
from .engine_settings import engine_options
from .local_servers import TIMEOUT, LocalModel, LocalServers
from .options import Options, make_provider
from .setup import Offer, catalogue_offers, engine_available

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Connection", "Survey"]

log = logging.getLogger("deskchat.chat")


@dataclass(frozen=True)
class Survey:
    """What this computer offers, looked at once after the window is shown.

    Attributes:
        route: where replies come from by the options (``auto``'s order, or the chosen one).
        servers: every model of every model server found running, server by server.
        models: the model files on disk (found only when asked to look).
        engine: whether llama-cpp-python is installed (the built-in engine can run).
    """

    route: Route
    servers: list[LocalModel] = field(default_factory=list)
    models: list[library.LocalModelInfo] = field(default_factory=list)
    engine: bool = True


class Connection:
    """Builds the window's providers and owns what they share.

    Args:
        options: this run's options (the settings already merged in).
        settings: the user's settings (the engine's options are read from them).
        locations: where model files are looked for; None for this machine's folders.
        probes: where model servers are looked for; None for the usual ports.
        timeout: seconds each server probe may take.
        machine: the computer models must fit; None for this one, measured when asked.
        catalogue: the models offered for download.

    Attributes:
        options, settings: as given.
        local_servers: builds providers for found servers (after :attr:`http` exists).
    """

    def __init__(
        self,
        options: Options,
        settings: Settings,
        *,
        locations: library.Locations | None = None,
        probes: Sequence[Any] | None = None,
        timeout: float = TIMEOUT,
        machine: library.Machine | None = None,
        catalogue: Sequence[library.CatalogueEntry] | None = None,
    ) -> None:
        self.options = options
        self.settings = settings
        self._locations = locations
        self._probes = probes
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None
        # Looking for servers needs no aiohttp; building a provider for one does (lazily).
        self.local_servers: LocalServers | None = LocalServers(
            lambda: self.http, probes=probes, timeout=timeout, keyring_key=self._keyring_key
        )
        self._engines: list[provider.Provider] = []
        self._machine = machine
        self._catalogue = tuple(catalogue) if catalogue is not None else None
        self._headers_moved = False

    @property
    def catalogue(self) -> tuple[library.CatalogueEntry, ...]:
        """The models offered for download (DeskChat's catalogue, read when first asked)."""
        return self._catalogue if self._catalogue is not None else library.CATALOGUE

    @property
    def machine(self) -> library.Machine:
        """The computer models must fit (its free memory read now, unless given)."""
        return self._machine or library.Machine.current()

    def offers(self) -> list[Offer]:
        """The catalogue for this computer, the recommended model first."""
        return catalogue_offers(self.catalogue, self.machine)

    @property
    def locations(self) -> library.Locations:
        """Where model files are looked for and downloaded to."""
        return self._locations or library.Locations.default(self.options.data_dir)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session every provider shares, made (and aiohttp imported) on first use."""
        if self._http is None:
            import aiohttp

            self._http = aiohttp.ClientSession()
        return self._http

    async def local_models(self) -> list[library.LocalModelInfo]:
        """The model files on this computer, read on a worker thread (headers are read)."""
        return await asyncio.to_thread(library.local_models, locations=self.locations)

    async def survey(self) -> Survey:
        """Look for servers (and, for ``auto``, model files) and find the route."""
        assert self.local_servers is not None
        auto = self.options.provider == AUTO
        servers, models = await asyncio.gather(
            self.local_servers.discover(),
            self.local_models() if auto else _nothing(),
        )
        found = list(dict.fromkeys(m.server for m in servers))

        async def discover() -> list[provider.FoundServer]:
            return found

        engine = engine_available()
        route = await find_route(
            self.options.provider,
            local_models=lambda: models if engine else [],
            model=self.options.model,
            base_url=self.options.base_url,
            discover=discover,
        )
        return Survey(route, servers, models, engine)

    # -- building providers ---------------------------------------------------

    def secret_headers(self) -> dict[str, str]:
        """The extra headers kept in the keyring (or this session); {} when none.

        The first call also moves secret-looking headers an older version left
        in ``settings.json`` into the keyring (see :meth:`move_secret_headers`).
        It runs only when a provider is built: after the window's first paint.
        The keyring is read only when the settings say it holds some (or do not
        know, once: the names found are then noted in them); its backend alone
        costs about 90 ms and 12 MB.
        """
        if not self._headers_moved:
            self._headers_moved = True
            self.move_secret_headers()
        names = self.settings.keyring_headers
        if names == ():
            return provider.load_secret_headers(session_only=True)
        headers = provider.load_secret_headers()
        if names is None:
            self._note_keyring_headers(headers)
        return headers

    def _note_keyring_headers(self, headers: dict[str, str]) -> None:
        """Note in the settings which headers the keyring holds (saved; a failed save is logged)."""
        self.settings.keyring_headers = tuple(headers)
        try:
            self.settings.save()
        except OSError as exc:
            log.warning("could not note the keyring's header names in the settings: %s", exc)

    def move_secret_headers(self) -> bool:
        """Move the secret-looking extra headers of the settings into the keyring, once.

        Returns whether they moved (and the settings were saved without them).
        Without a keyring, or with one that refuses, they stay in the file
        (logged): dropping them would lose them at the next start.
        """
        saved = self.settings.extra_headers
        _plain, secret = provider.split_secret_headers(saved)
        if not secret:
            return False
        stored = provider.load_secret_headers()
        try:
            plain = provider.save_extra_headers({**saved, **stored}, marked=stored)
        except provider.KeyringUnavailableError:
            log.info("no keyring: the secret extra headers stay in the settings file")
            return False
        except provider.SecretStoreError as exc:
            log.warning("the secret extra headers stay in the settings file: %s", exc.text())
            return False
        self.settings.extra_headers = plain
        self.settings.keyring_headers = tuple(
            name for name in {**saved, **stored} if name not in plain
        )
        try:
            self.settings.save()
        except OSError as exc:
            # The keyring has them now; the file keeps its copy until a save works.
            log.warning("could not save the settings without the secret headers: %s", exc)
            return False
        log.info("moved %d secret extra header(s) into the keyring", len(secret))
        return True

    def _keyring_key(self, provider_id: str) -> bool | None:
        """Whether the keyring holds ``provider_id``'s key, as the settings note it.

        A key the user saved for a server that may take one is read only then:
        otherwise building its provider would load the keyring's backend (~11 MiB).
        """
        return stored_keys.keyring_key(self.settings, provider_id)

    def _with_secret_headers(self, options: Options) -> tuple[Options, tuple[str, ...]]:
        """``options`` with the keyring's headers added, and their names.

        Headers given for this run (``--header``) replace the saved ones, the
        keyring's included, as :func:`options.effective_options` does for the
        plain ones.
        """
        if "extra_headers" in options.given:
            return options, ()
        secret = self.secret_headers()
        if not secret:
            return options, ()
        headers = {**dict(options.extra_headers), **secret}
        return replace(options, extra_headers=tuple(headers.items())), tuple(secret)

    def build(self, route: Route) -> routes.Built:
        """The provider ``route`` names (raises ``provider.ProviderError``, ``LibraryError``)."""
        options = self.options
        secret: tuple[str, ...] = ()
        stored: bool | None = None
        if route.provider_id is not None and route.provider_id != LOCAL:
            # The built-in engine sends no HTTP headers: the keyring is not read for it.
            options, secret = self._with_secret_headers(self.options)
            stored = self._keyring_key(route.provider_id)
        built = routes.build(
            route,
            options,
            # The built-in engine talks over pipes: no aiohttp for it.
            None if route.provider_id == LOCAL else self.http,
            local_options=engine_options(self.settings),
            secret_headers=secret,
            keyring_key=stored,
        )
        if built.provider_id == LOCAL:
            self._engines.append(built.chat)
        return built

    def build_server(self, local: LocalModel) -> routes.Built:
        """A found server's provider, asking for ``local.model``."""
        server = local.server
        route = Route("server", server.provider_id, server.base_url, local.model, local.label)
        return self.build(route)

    def build_model(self, model: str) -> routes.Built:
        """The built-in engine with ``model`` (a .gguf path, or a name from the library)."""
        return self.build(Route("model", LOCAL, None, model))

    def build_chosen(self, provider_id: str, model: str | None = None) -> routes.Built:
        """The provider ``provider_id`` (chatgptfree, a hosted one), at the address given
        for this run (``--base-url``), else its own."""
        base_url = self.options.base_url
        options = replace(self.options, provider=provider_id, model=model)
        route = Route("chosen", provider_id, base_url, model)
        return routes.build(route, options, self.http, keyring_key=self._keyring_key(provider_id))

    def provider_for(self, settings: Settings) -> provider.Provider:
        """The provider saved settings name (the window's ``ProviderFactory``).

        Raises ``provider.ProviderError`` (``auto`` included: it is found, not built)
        or ``library.LibraryError`` (a model for the built-in engine not on disk).
        """
        if settings.provider == AUTO:
            raise provider.ConfigurationError(
                "auto is found rather than built; look again with Connection.survey."
            )
        if settings.provider == LOCAL:
            chat = routes.local_provider(
                settings.model or None, self.options.data_dir, engine_options(settings)
            )
            self._engines.append(chat)
            return chat
        # The keyring's headers belong with the saved ones: a fallback built from
        # other settings talks to its own address and gets neither.
        headers = dict(settings.extra_headers)
        secret = self.secret_headers() if settings is self.settings else {}
        headers.update(secret)
        chosen = Options(
            provider=settings.provider,
            base_url=settings.base_url or None,
            proxy=proxy.with_password(settings.proxy or None),
            extra_headers=tuple(headers.items()),
        )
        # The record is the window's (a fallback's settings are made, not loaded).
        stored = self._keyring_key(settings.provider)
        return make_provider(chosen, self.http, secret_headers=tuple(secret), keyring_key=stored)

    async def retire(self, chat: provider.Provider) -> None:
        """Stop a built-in engine no longer used (its child and the model's memory go)."""
        if chat in self._engines:
            self._engines.remove(chat)
            await routes.close(chat)

    async def aclose(self) -> None:
        """Stop the engines, then close the HTTP session (if one was ever made)."""
        engines, self._engines = self._engines, []
        for chat in engines:
            try:
                await routes.close(chat)
            except Exception:  # noqa: BLE001 - closing goes on for the others
                log.exception("could not stop %s", chat.name)
        if self._http is not None:
            await self._http.close()
            self._http = None


async def _nothing() -> list[library.LocalModelInfo]:
    return []
