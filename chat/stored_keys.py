"""Which providers' optional API keys the keyring holds, as the settings note it. No Qt.

A server on this machine (llama.cpp, vLLM, LM Studio) or an OpenAI-compatible
one takes a key only if it was started with one. Reading the keyring loads its
backend (secretstorage, cryptography, jeepney: ~11 MiB, ~90 ms), so building
their providers reads it only when ``settings.json`` notes a stored key
(:attr:`store.Settings.keyring_keys`, as ``keyring_headers`` does for the
extra headers): the settings dialog notes a key it stores; settings written
before the record ask the keyring once and note what they find. Hosted
providers need a key and look for it as before.
"""

from __future__ import annotations

import logging

from deskchat import provider
from deskchat.store import Settings

__all__ = ["keyring_key", "note_stored_key", "noted_key", "optional_key"]

log = logging.getLogger("deskchat.chat")


def optional_key(provider_id: str) -> bool:
    """True for a provider that takes a key but does not need one."""
    info = provider.PROVIDERS.get(provider_id)
    if info is None:
        return False
    caps = info.capabilities
    return caps.accepts_api_key and not caps.needs_api_key


def noted_key(settings: Settings, provider_id: str) -> bool | None:
    """What the settings note of ``provider_id``'s optional key: stored or not.

    None when its key is not optional, or when the settings do not know yet
    (nothing is asked: see :func:`keyring_key`).
    """
    names = settings.keyring_keys
    if not optional_key(provider_id) or names is None:
        return None
    return provider_id in names


def _noted(settings: Settings) -> tuple[str, ...]:
    """The providers the settings note a stored key for; not known yet: asked, then noted."""
    names = settings.keyring_keys
    if names is None:
        names = tuple(p for p in provider.PROVIDERS if optional_key(p) and provider.in_keyring(p))
        settings.keyring_keys = names
    return names


def keyring_key(settings: Settings, provider_id: str) -> bool | None:
    """Whether building ``provider_id``'s provider reads the keyring for its key.

    None for a provider whose key is not optional: the provider's own rule
    holds (``provider.create_provider``'s ``keyring_key``). Settings that do
    not know yet ask the keyring once; what was found is noted and saved (a
    failed save is logged, and the keyring is asked again next time).
    """
    if not optional_key(provider_id):
        return None
    if settings.keyring_keys is None:
        _noted(settings)
        try:
            settings.save()
        except OSError as exc:
            log.warning("could not note the keyring's API keys in the settings: %s", exc)
    return provider_id in _noted(settings)


def note_stored_key(settings: Settings, provider_id: str) -> None:
    """Note that the keyring now holds ``provider_id``'s key (the caller saves the settings)."""
    names = _noted(settings)
    if optional_key(provider_id) and provider_id not in names:
        settings.keyring_keys = (*names, provider_id)
