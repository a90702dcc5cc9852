"""What the window's settings and model picker mean for the chat session. No Qt.

The window shows the widgets; the decisions are here: which settings go to
the session, which provider stands by as the fallback, and which provider a
model-picker entry means (the main provider's model, or a local server's).
"""

from __future__ import annotations

from collections.abc import Callable

from deskchat.i18n import _
from deskchat.provider import Provider
from deskchat.store import Settings

from .local_servers import LocalModel, LocalServers
from .session import ChatSession

__all__ = [
    "ProviderChoice",
    "ProviderFactory",
    "apply_chat_settings",
    "fallback_provider",
    "fallback_settings",
]

ProviderFactory = Callable[[Settings], Provider]
"""Builds the provider saved settings name (raises ``provider.ProviderError``)."""


def apply_chat_settings(session: ChatSession, settings: Settings) -> None:
    """Use the settings' system prompt and temperature from the next reply on."""
    session.system_prompt = settings.system_prompt
    session.temperature = settings.temperature


def fallback_settings(settings: Settings) -> Settings | None:
    """The settings to build the fallback provider from, or None when there is none.

    The fallback talks to its own default address (the saved server address is
    the main provider's) through the same proxy.
    """
    wanted = settings.fallback_provider
    if not wanted or wanted == settings.provider:
        return None
    return Settings(settings.path, {"provider": wanted, "proxy": settings.proxy})


def fallback_provider(settings: Settings, factory: ProviderFactory) -> Provider | None:
    """The provider the settings name as fallback, or None (raises ``ProviderError``)."""
    chosen = fallback_settings(settings)
    return None if chosen is None else factory(chosen)


class ProviderChoice:
    """Which provider answers: the main one, or the server of a local model chosen instead.

    The main provider's models head the model picker. Choosing a local model
    switches replies to that server's provider until one of the main
    provider's models is chosen again.

    Args:
        session: the session whose provider is switched.
        local_servers: builds providers for local models; None when none are offered.
    """

    def __init__(self, session: ChatSession, local_servers: LocalServers | None = None) -> None:
        self.session = session
        self.local_servers = local_servers
        self._main: tuple[Provider, str] = (session.chat_provider, session.provider_id)

    @property
    def main_provider(self) -> Provider:
        """The provider whose models head the picker."""
        return self._main[0]

    def use_main(self, chat_provider: Provider, provider_id: str) -> None:
        """Make ``chat_provider`` the main provider, answering from the next reply on."""
        self.session.set_provider(chat_provider, provider_id)
        self._main = (chat_provider, self.session.provider_id)

    def apply_settings(self, settings: Settings, factory: ProviderFactory) -> None:
        """Use the provider and model the settings name (raises ``ProviderError``).

        The models are not loaded here: the caller asks the session for them.
        """
        self.use_main(factory(settings), settings.provider)
        self.session.request_model(settings.model or None)

    def choose(self, entry: LocalModel | str) -> str | None:
        """Answer with a model-picker entry: a local model, or a main provider's model name.

        Returns a sentence saying where replies now come from, or None when
        nothing worth saying changed. Raises ``ProviderError`` when a local
        server's provider cannot be built (the session is then unchanged).
        """
        session = self.session
        if isinstance(entry, LocalModel):
            # Local models reach the picker only from these servers.
            assert self.local_servers is not None
            local = self.local_servers.create(entry.server)
            session.set_provider(local, entry.server.provider_id)
            session.set_model_name(entry.model)
            return _("Replies now come from {model} on {display_name}.").format(
                model=entry.model, display_name=entry.server.display_name
            )
        main, main_id = self._main
        if session.chat_provider is not main:
            session.set_provider(main, main_id)
        session.set_model_name(entry)
        return None
