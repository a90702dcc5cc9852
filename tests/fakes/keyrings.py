"""Keyrings for tests: one in a dict, and a clean slate for API keys around each test."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.errors
import pytest

from deskchat.provider import secrets

HOSTED_KEYS = ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "DESKCHAT_API_KEY")
"""The environment variables a provider would take a key from."""


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("no such password")
        del self.store[(service, username)]


@contextmanager
def isolated_secrets(
    monkeypatch: pytest.MonkeyPatch,
    *,
    env: Sequence[str] = HOSTED_KEYS,
    backend: keyring.backend.KeyringBackend | None = None,
) -> Iterator[None]:
    """No key from ``env``, no session keys, and ``backend`` as the keyring (None: as it is);
    the keyring and the session keys are put back afterwards."""
    for name in env:
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    if backend is not None:
        keyring.set_keyring(backend)
    secrets.clear_session_keys()
    try:
        yield
    finally:
        secrets.clear_session_keys()
        keyring.set_keyring(previous)


def use_memory_keyring() -> MemoryKeyring:
    """Make a :class:`MemoryKeyring` the keyring (until :func:`isolated_secrets` ends)."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend
