"""A proxy's password: kept in the OS keyring, never in ``settings.json``.

The settings keep the proxy address without its password
(:func:`store.settings.split_proxy_password`). The password is stored with
``provider.set_api_key`` under the id :data:`PROXY_ID` (or held for this
session when there is no keyring) and put back into the address when a
provider is built (:func:`with_password`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from deskchat import provider
from deskchat.i18n import N_, _
from deskchat.store import join_proxy_password, split_proxy_password

__all__ = ["NO_KEYRING", "PROXY_ID", "Kept", "keep_password", "with_password"]

log = logging.getLogger("deskchat.chat")

PROXY_ID = "proxy"
"""The keyring id the proxy password is stored under."""
NO_KEYRING = N_(
    "This system has no keyring to store the proxy password safely, so "
    "DeskChat keeps it for this session only."
)


@dataclass(frozen=True)
class Kept:
    """What :func:`keep_password` did.

    Attributes:
        proxy: the address to save: the typed one without its password.
        note: :data:`NO_KEYRING` when the password is kept for this session only.
        error: a sentence when the keyring refused the password (nothing kept).
    """

    proxy: str
    note: str | None = None
    error: str | None = None


def keep_password(typed: str) -> Kept:
    """Move a password typed in the proxy address to the keyring.

    An address with no user part forgets a password stored earlier, so no
    secret outlives the proxy it was for.
    """
    clean, password = split_proxy_password(typed.strip())
    if password is None:
        if "@" not in clean:
            _forget()
        return Kept(clean)
    try:
        provider.set_api_key(PROXY_ID, password)
    except provider.KeyringUnavailableError:
        provider.set_session_key(PROXY_ID, password)
        return Kept(clean, note=_(NO_KEYRING))
    except provider.SecretStoreError as exc:
        return Kept(clean, error=exc.text().replace("API key", "proxy password"))
    return Kept(clean)


def with_password(proxy: str | None) -> str | None:
    """``proxy`` with the stored password put back (unchanged when none is stored)."""
    if not proxy:
        return proxy
    if "@" not in proxy:
        return proxy
    # No environment: DESKCHAT_API_KEY is an API key, never the proxy's password.
    password = provider.get_api_key(PROXY_ID, environ={})
    return join_proxy_password(proxy, password)


def _forget() -> None:
    try:
        provider.delete_api_key(PROXY_ID)
    except provider.SecretStoreError as exc:
        log.warning("could not forget the proxy password: %s", exc.text())
