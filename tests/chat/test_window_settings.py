"""What the window's settings and model picker mean for the session (no Qt, no QApplication)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskchat.chat.local_servers import LocalModel
from deskchat.chat.session import ChatSession
from deskchat.chat.window_settings import (
    ProviderChoice,
    apply_chat_settings,
    fallback_provider,
    fallback_settings,
)
from deskchat.provider import ConfigurationError, FoundServer, Provider
from deskchat.store import Settings
from tests.chat.fakes import QueuedProvider

SERVER = FoundServer("llamacpp", "llama.cpp", "http://127.0.0.1:8080/v1", ("tiny.gguf",))


class FakeServers:
    """Builds a provider per found server, or fails as a bad address would."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.built: list[FoundServer] = []

    def create(self, server: FoundServer) -> Provider:
        if self.fail:
            raise ConfigurationError("The server address is not valid; check it in Settings.")
        self.built.append(server)
        return QueuedProvider()


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(tmp_path / "settings.json", dict(values))


def test_prompt_and_temperature_go_to_the_session(tmp_path: Path) -> None:
    session = ChatSession(QueuedProvider())
    apply_chat_settings(session, settings(tmp_path, system_prompt="Be brief.", temperature=0.3))
    assert session.system_prompt == "Be brief."
    assert session.temperature == 0.3


@pytest.mark.parametrize("fallback", ["", "chatgptfree"])
def test_no_fallback_when_none_is_named_or_it_is_the_provider_itself(
    tmp_path: Path, fallback: str
) -> None:
    chosen = settings(tmp_path, provider="chatgptfree", fallback_provider=fallback)
    assert fallback_settings(chosen) is None
    built: list[Settings] = []

    def factory(s: Settings) -> Provider:
        built.append(s)
        return QueuedProvider()

    assert fallback_provider(chosen, factory) is None
    assert built == []


def test_the_fallback_uses_its_own_address_and_the_same_proxy(tmp_path: Path) -> None:
    chosen = settings(
        tmp_path,
        provider="llamacpp",
        base_url="http://127.0.0.1:8080/v1",
        proxy="http://proxy:3128",
        fallback_provider="ollama",
        model="tiny.gguf",
    )
    made = fallback_settings(chosen)
    assert made is not None
    assert made.provider == "ollama"
    assert made.base_url == ""
    assert made.model == ""
    assert made.proxy == "http://proxy:3128"
    backup = QueuedProvider()
    built: list[str] = []

    def factory(s: Settings) -> Provider:
        built.append(s.provider)
        return backup

    assert fallback_provider(chosen, factory) is backup
    assert built == ["ollama"]


def test_a_local_model_switches_the_provider_and_a_main_model_switches_back() -> None:
    main = QueuedProvider()
    session = ChatSession(main, provider_id="openai")
    servers = FakeServers()
    choice = ProviderChoice(session, servers)

    said = choice.choose(LocalModel(SERVER, "tiny.gguf"))
    assert said == "Replies now come from tiny.gguf on llama.cpp."
    assert servers.built == [SERVER]
    assert session.chat_provider is not main
    assert session.provider_id == "llamacpp"
    assert session.model_name == "tiny.gguf"

    assert choice.choose("fake-2") is None
    assert session.chat_provider is main
    assert session.provider_id == "openai"
    assert session.model_name == "fake-2"


def test_a_local_server_that_cannot_be_built_leaves_the_session_alone() -> None:
    main = QueuedProvider()
    session = ChatSession(main)
    choice = ProviderChoice(session, FakeServers(fail=True))
    with pytest.raises(ConfigurationError):
        choice.choose(LocalModel(SERVER, "tiny.gguf"))
    assert session.chat_provider is main
    assert session.model_name == "fake-1"


def test_settings_replace_the_main_provider_and_request_their_model(tmp_path: Path) -> None:
    session = ChatSession(QueuedProvider())
    choice = ProviderChoice(session)
    newer = QueuedProvider()
    choice.apply_settings(settings(tmp_path, provider="ollama", model="llama3"), lambda _s: newer)
    assert choice.main_provider is newer
    assert session.chat_provider is newer
    assert session.provider_id == "ollama"
    # A main model chosen later goes to the new provider, not the first one.
    choice.choose("fake-2")
    assert session.chat_provider is newer


async def test_the_requested_model_is_selected_when_the_models_load(tmp_path: Path) -> None:
    session = ChatSession(QueuedProvider())
    choice = ProviderChoice(session)
    choice.apply_settings(settings(tmp_path, model="fake-2"), lambda _s: QueuedProvider())
    assert await session.load_models() == ["fake-1", "fake-2"]
    assert session.model_name == "fake-2"


def test_a_provider_the_settings_cannot_build_changes_nothing(tmp_path: Path) -> None:
    main = QueuedProvider()
    session = ChatSession(main)
    choice = ProviderChoice(session)

    def factory(_s: Settings) -> Provider:
        raise ConfigurationError("Unknown provider 'nope'.")

    with pytest.raises(ConfigurationError):
        choice.apply_settings(settings(tmp_path, provider="nope"), factory)
    assert session.chat_provider is main
    assert choice.main_provider is main
