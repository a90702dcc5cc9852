"""API keys: kept in the OS keyring, found in the environment, or held for one session.

Nothing here imports Qt. ``keyring`` is imported on first use, so importing
this module is cheap and works where ``keyring`` has no backend at all.

Lookup order for :func:`get_api_key`: the keyring (service ``deskchat``,
username = provider id), then the provider's environment variable (or
``DESKCHAT_API_KEY``), then keys set for this session only.
Every key this module hands out or stores is remembered so that
:func:`redact` and :class:`RedactingFilter` can hide it from texts and logs.

Extra HTTP headers that carry credentials (``Authorization``, ``X-Api-Key``,
anything named like a key, token or secret, and any header the user marks
secret) live here too, as one keyring entry (:data:`HEADERS_ID`), never in
``settings.json``: :func:`save_extra_headers` stores them and returns the rest
for the settings file, :func:`load_secret_headers` gives them back.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping

from deskchat import vault
from deskchat.i18n import _

from .errors import KeyringUnavailableError, SecretStoreError

__all__ = [
    "ENV_VARS",
    "HEADERS_ID",
    "SERVICE",
    "RedactingFilter",
    "clear_session_keys",
    "delete_api_key",
    "get_api_key",
    "in_keyring",
    "is_secret_header",
    "keyring_available",
    "known_secrets",
    "load_secret_headers",
    "redact",
    "remember_secret",
    "save_extra_headers",
    "set_api_key",
    "set_session_key",
    "split_secret_headers",
]

log = logging.getLogger("deskchat.secrets")

SERVICE = vault.SERVICE
"""The keyring service name every key is stored under."""

ENV_VARS: Mapping[str, str] = {
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "groq": "GROQ_API_KEY",
}
"""Environment variables read for a provider's key; ``DESKCHAT_API_KEY`` serves all."""

GENERIC_ENV_VAR = "DESKCHAT_API_KEY"

HEADERS_ID = "extra-headers"
"""The keyring username the secret extra headers are stored under (one JSON object)."""

# Named like a credential: any of these words anywhere in the (lowercased) name.
_SECRET_WORDS = ("key", "token", "secret", "passw", "auth", "cookie", "credential")

_session_keys: dict[str, str] = {}
_known: set[str] = set()

# scheme://user:password@host -> scheme://***@host
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_BEARER = re.compile(r"(?P<word>\bBearer\s+)[^\s\"',;]+", re.IGNORECASE)
_QUERY_KEY = re.compile(
    r"(?P<name>[?&](?:api[_-]?key|key|token|access_token|password)=)[^&\s#\"']+", re.IGNORECASE
)


def remember_secret(secret: str | None) -> None:
    """Add ``secret`` to the values :func:`redact` hides without being told."""
    if secret:
        _known.add(secret)


def known_secrets() -> frozenset[str]:
    """Every key this process has read or stored so far."""
    return frozenset(_known)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with each secret, URL credential and Bearer token replaced by ``***``.

    Args:
        secrets: values to hide besides those already known to this module.
    """
    # Longest first, so a key that contains another known key goes whole.
    values = sorted({s for s in (*secrets, *_known) if s}, key=len, reverse=True)
    for value in values:
        text = text.replace(value, "***")
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    text = _BEARER.sub(r"\g<word>***", text)
    return _QUERY_KEY.sub(r"\g<name>***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that hides known secrets in every record it passes.

    Args:
        secrets: extra values to hide, besides the keys this module knows.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._extra = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets hidden; never drop it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A broken format string: leave it for logging to report as usual.
            return True
        clean = redact(message, self._extra)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._extra)
        return True


def keyring_available() -> bool:
    """True when a real keyring backend (not keyring's "fail" stand-in) is set."""
    return vault.available()


def get_api_key(
    provider_id: str, *, environ: Mapping[str, str] | None = None, from_keyring: bool = True
) -> str | None:
    """The key for ``provider_id`` from the keyring, the environment or this session.

    Never raises for a missing or broken keyring: it just looks further.

    Args:
        from_keyring: False looks only in the environment and this session, without
            touching the keyring (its backend's discovery imports ~11 MiB of
            modules): for callers that know the keyring holds no key for it.
    """
    key = _from_keyring(provider_id) if from_keyring else None
    key = key or _from_env(provider_id, environ)
    key = key or _session_keys.get(provider_id)
    remember_secret(key)
    return key


def in_keyring(provider_id: str) -> bool:
    """True when the keyring holds a key for ``provider_id`` (it reads it; never raises)."""
    return bool(_from_keyring(provider_id))


def set_api_key(provider_id: str, key: str) -> None:
    """Store ``key`` in the OS keyring.

    Raises:
        KeyringUnavailableError: no keyring backend exists; the caller may
            offer :func:`set_session_key` instead.
        SecretStoreError: the keyring refused (locked, access denied).
    """
    remember_secret(key)
    _store(provider_id, key, _("the API key"))


def _store(username: str, secret: str, what: str) -> None:
    try:
        vault.write(username, secret)
    except vault.Unavailable as exc:
        raise _unavailable(what) from exc
    except vault.Refused as exc:
        raise SecretStoreError(
            _(
                "The system keyring refused to store {what} (it may be locked); unlock "
                "it and try again, or keep it for this session only."
            ).format(what=what)
        ) from exc


def delete_api_key(provider_id: str) -> None:
    """Forget the key in the keyring and in this session (a missing key is fine)."""
    _session_keys.pop(provider_id, None)
    try:
        vault.forget(provider_id)
    except vault.Refused as exc:
        raise SecretStoreError(
            _(
                "The system keyring refused to delete the API key (it may be locked); "
                "unlock it and try again."
            )
        ) from exc


def set_session_key(provider_id: str, key: str) -> None:
    """Hold ``key`` in memory until DeskChat quits; it is never written anywhere."""
    remember_secret(key)
    _session_keys[provider_id] = key


def clear_session_keys() -> None:
    """Forget every session-only key (they stay redacted in logs)."""
    _session_keys.clear()


def _from_keyring(provider_id: str) -> str | None:
    return vault.read(provider_id)


def _from_env(provider_id: str, environ: Mapping[str, str] | None) -> str | None:
    env = os.environ if environ is None else environ
    name = ENV_VARS.get(provider_id)
    value = env.get(name) if name else None
    return value or env.get(GENERIC_ENV_VAR) or None


def _unavailable(what: str = _("the API key")) -> KeyringUnavailableError:
    return KeyringUnavailableError(
        _(
            "This system has no keyring to store {what} safely; DeskChat can keep it "
            "for this session only."
        ).format(what=what)
    )


def is_secret_header(name: str, marked: Iterable[str] = ()) -> bool:
    """True for a header that carries a credential: named like one, or marked by the user.

    Args:
        marked: header names the user marked secret (compared without case).
    """
    lower = name.strip().lower()
    if lower in {m.strip().lower() for m in marked}:
        return True
    return any(word in lower for word in _SECRET_WORDS)


def split_secret_headers(
    headers: Mapping[str, str], marked: Iterable[str] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """(plain headers, secret headers) of ``headers``; see :func:`is_secret_header`."""
    marked = tuple(marked)
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for name, value in headers.items():
        (secret if is_secret_header(name, marked) else plain)[name] = value
    return plain, secret


def save_extra_headers(
    headers: Mapping[str, str], marked: Iterable[str] = (), *, session_only: bool = False
) -> dict[str, str]:
    """Keep the secret ones of ``headers`` in the keyring; return the rest, for ``settings.json``.

    The secret headers replace those stored before (none: the entry is
    deleted). With ``session_only`` they are held in memory until DeskChat
    quits, as :func:`set_session_key` holds a key.

    Raises:
        KeyringUnavailableError: no keyring exists (nothing was kept); call again
            with ``session_only=True`` to keep them for this session.
        SecretStoreError: the keyring refused (locked, access denied).
    """
    plain, secret = split_secret_headers(headers, marked)
    for value in secret.values():
        remember_secret(value)
    if not secret:
        delete_api_key(HEADERS_ID)
        return plain
    payload = json.dumps(secret, ensure_ascii=False, sort_keys=True)
    if session_only:
        set_session_key(HEADERS_ID, payload)
        return plain
    _store(HEADERS_ID, payload, _("the secret headers"))
    _session_keys.pop(HEADERS_ID, None)
    return plain


def load_secret_headers(*, session_only: bool = False) -> dict[str, str]:
    """The secret extra headers from the keyring (or this session); {} when none or unreadable.

    Never raises: a missing or locked keyring gives {} like an empty one.

    Args:
        session_only: read only those kept for this session, without touching the
            keyring (its backend's discovery imports ~12 MB of modules): for callers
            that know the keyring holds none.
    """
    payload = None if session_only else _from_keyring(HEADERS_ID)
    payload = payload or _session_keys.get(HEADERS_ID)
    if not payload:
        return {}
    try:
        data = json.loads(payload)
    except ValueError:
        log.warning("the secret headers in the keyring are unreadable; they are ignored")
        return {}
    if not isinstance(data, dict):
        return {}
    headers = {str(k): str(v) for k, v in data.items() if isinstance(v, str)}
    for value in headers.values():
        remember_secret(value)
    return headers
