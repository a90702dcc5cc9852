"""API keys: keyring, environment, session store, redaction; keys never leak into errors."""

from __future__ import annotations

import logging

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from deskchat.provider import errors, secrets
from tests.fakes.keyrings import MemoryKeyring, isolated_secrets, use_memory_keyring


class LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    with isolated_secrets(monkeypatch):
        yield


@pytest.fixture
def memory() -> MemoryKeyring:
    return use_memory_keyring()


def test_set_and_get_through_the_keyring(memory):
    assert secrets.keyring_available()
    secrets.set_api_key("openai", "sk-stored-1")
    assert memory.store[("deskchat", "openai")] == "sk-stored-1"
    assert secrets.get_api_key("openai") == "sk-stored-1"
    secrets.delete_api_key("openai")
    assert secrets.get_api_key("openai") is None
    secrets.delete_api_key("openai")  # deleting twice is fine


def test_lookup_order_keyring_then_env_then_session(memory, monkeypatch):
    secrets.set_session_key("groq", "from-session")
    assert secrets.get_api_key("groq") == "from-session"
    monkeypatch.setenv("DESKCHAT_API_KEY", "generic-env")
    assert secrets.get_api_key("groq") == "generic-env"
    monkeypatch.setenv("GROQ_API_KEY", "groq-env")
    assert secrets.get_api_key("groq") == "groq-env"
    secrets.set_api_key("groq", "from-keyring")
    assert secrets.get_api_key("groq") == "from-keyring"


def test_no_backend_raises_a_clear_error_and_session_works():
    keyring.set_keyring(fail.Keyring())
    assert not secrets.keyring_available()
    with pytest.raises(errors.KeyringUnavailableError, match="for this session only") as info:
        secrets.set_api_key("openai", "sk-nowhere-to-go")
    assert isinstance(info.value, errors.ConfigurationError)
    assert "sk-nowhere-to-go" not in str(info.value)
    assert secrets.get_api_key("openai") is None  # never raises without a keyring
    secrets.set_session_key("openai", "sk-session")
    assert secrets.get_api_key("openai") == "sk-session"
    secrets.delete_api_key("openai")
    assert secrets.get_api_key("openai") is None


def test_locked_keyring(monkeypatch):
    keyring.set_keyring(LockedKeyring())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert secrets.get_api_key("openai") == "sk-env"
    with pytest.raises(errors.SecretStoreError, match="locked") as info:
        secrets.set_api_key("openai", "sk-locked-out")
    assert "sk-locked-out" not in str(info.value)


def test_redact_keys_and_url_credentials():
    text = (
        "key sk-abc123456 via http://bob:hunter2@proxy.local:3128 and "
        "Authorization: Bearer tok-999 at https://h/x?api_key=qqq&x=1"
    )
    clean = secrets.redact(text, ["sk-abc123456"])
    for leaked in ("sk-abc123456", "hunter2", "bob:", "tok-999", "qqq"):
        assert leaked not in clean
    assert "http://***@proxy.local:3128" in clean
    assert "x=1" in clean


def test_known_keys_are_redacted_without_being_named(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-known-from-env-42")
    secrets.get_api_key("openai")
    assert secrets.redact("oops sk-known-from-env-42") == "oops ***"


def test_logging_filter_hides_secrets(caplog):
    secrets.set_session_key("openrouter", "or-log-secret-7")
    logger = logging.getLogger("deskchat.test.secrets")
    log_filter = secrets.RedactingFilter(["extra-secret-9"])
    logger.addFilter(log_filter)
    try:
        with caplog.at_level(logging.INFO, logger="deskchat.test.secrets"):
            logger.info("sending %s and %s", "or-log-secret-7", "extra-secret-9")
    finally:
        logger.removeFilter(log_filter)
    assert caplog.records[0].getMessage() == "sending *** and ***"
    assert "or-log-secret-7" not in caplog.text
