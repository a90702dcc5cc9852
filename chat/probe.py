"""Asking a server what the settings dialog shows, before anything is saved. No Qt.

The dialog fills its model list and answers "Test connection" with
:func:`server_models`, built from the values on screen (a typed key, address,
proxy and headers), and says what it found with :func:`connection_sentence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from deskchat import provider
from deskchat.i18n import _, ngettext, number

__all__ = ["Probe", "connection_sentence", "models_sentence", "server_models"]


@dataclass(frozen=True)
class Probe:
    """A provider as the settings dialog shows it, not saved yet.

    Attributes:
        provider_id: the chosen provider's id.
        base_url: the address typed ("" for the provider's own).
        proxy: the proxy typed, password included ("" for none).
        api_key: the key typed ("" to use the stored one, if any).
        extra_headers: the headers to send.
        keyring_key: whether the keyring holds the provider's key (as
            ``provider.create_provider`` takes it); None: the provider's rule.
    """

    provider_id: str
    base_url: str = ""
    proxy: str = ""
    api_key: str = ""
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    keyring_key: bool | None = None


async def server_models(probe: Probe) -> list[str]:
    """The models the server offers, asked over a connection of its own.

    Raises:
        provider.ProviderError: the server could not be reached or refused (its
            ``.text()`` says so in one sentence), or the provider id is unknown.
    """
    chat = provider.create_provider(
        probe.provider_id,
        base_url=probe.base_url or None,
        api_key=probe.api_key or None,
        proxy=probe.proxy or None,
        extra_headers=dict(probe.extra_headers) or None,
        keyring_key=probe.keyring_key,
    )
    return await provider.list_models(chat)


def connection_sentence(models: list[str]) -> str:
    """What a test that worked found: "Connected: 12 models."."""
    count = len(models)
    return ngettext("Connected: {n} model.", "Connected: {n} models.", count).format(
        n=number(count)
    )


def models_sentence(error: provider.ProviderError) -> str:
    """Why the model list is empty, and what to do: type the name."""
    return _("{error} Type the model's name instead.").format(error=error.text())
