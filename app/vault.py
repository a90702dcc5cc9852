"""The OS keyring, as DeskChat uses it: one service, entries by name, imported on first use.

API keys (:mod:`deskchat.provider.secrets`) and the secrets of tool servers
(:mod:`deskchat.tools.secrets`) both live here under the service :data:`SERVICE`;
each caller names its entries and says what a refusal means in its own words.
``keyring`` is imported only when an entry is read or written, so importing this
module costs nothing and works where ``keyring`` has no backend at all.
"""

from __future__ import annotations

import logging

__all__ = ["SERVICE", "Refused", "Unavailable", "available", "forget", "read", "write"]

log = logging.getLogger("deskchat.vault")

SERVICE = "deskchat"
"""The keyring service every DeskChat secret is stored under."""


class Refused(Exception):  # noqa: N818 - a condition the callers put in their own words
    """The keyring exists but refused (locked, access denied)."""


class Unavailable(Refused):
    """This system has no keyring backend (or ``keyring`` is not installed)."""


def available() -> bool:
    """True when a real keyring backend (not keyring's "fail" stand-in) is set."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken backend config means "no keyring" to the UI
        log.debug("keyring backend could not be loaded", exc_info=True)
        return False
    return not isinstance(backend, fail.Keyring)


def read(name: str) -> str | None:
    """The secret stored as ``name``; None when there is none, or no keyring to ask."""
    try:
        import keyring
        import keyring.errors
    except ImportError:
        return None
    try:
        return keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError:
        # No backend, or a locked one: the caller may have another source.
        log.debug("no %s in the keyring (keyring unavailable)", name)
        return None


def write(name: str, secret: str) -> None:
    """Store ``secret`` as ``name``.

    Raises:
        Unavailable: there is no keyring backend.
        Refused: the keyring refused (locked, access denied).
    """
    if not available():
        raise Unavailable(name)
    import keyring
    import keyring.errors

    try:
        keyring.set_password(SERVICE, name, secret)
    except keyring.errors.NoKeyringError as exc:
        raise Unavailable(name) from exc
    except keyring.errors.KeyringError as exc:
        raise Refused(name) from exc


def forget(name: str) -> None:
    """Delete the secret stored as ``name``; one that is not there, or no keyring, is fine.

    Raises:
        Refused: the keyring refused to delete it (locked, access denied).
    """
    if not available():
        return
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        pass  # Nothing was stored: nothing to forget.
    except keyring.errors.KeyringError as exc:
        raise Refused(name) from exc
