"""A key for a server on this machine, read from the keyring only when the settings note one.

llama.cpp, vLLM and LM Studio take a key only if they were started with
``--api-key``. Reading the keyring loads its backend (~11 MiB, ~90 ms), so
building their providers reads it only when ``settings.json`` notes a key
stored for them (``keyring_keys``), as ``keyring_headers`` does for headers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from deskchat.chat import stored_keys
from deskchat.chat.connection import Connection
from deskchat.chat.local_servers import LocalServers
from deskchat.chat.options import Options
from deskchat.provider import FoundServer, TextDelta, secrets, stream_events
from deskchat.store import Settings
from tests.fakes.keyrings import MemoryKeyring, isolated_secrets
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving

HELLO = [{"role": "user", "content": "hi"}]
KEY = "sk-llama-DO-NOT-LOG-8080"


class WatchedKeyring(MemoryKeyring):
    """A keyring that counts how often it is read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_secrets(monkeypatch, backend=fail.Keyring()):
        yield


@pytest.fixture
def watched() -> WatchedKeyring:
    backend = WatchedKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeOpenAI, str]]:
    server = FakeOpenAI()
    server.reply_with(stream_reply(sse([chunk("ok")])))
    async with serving(server.app, "/v1") as base:
        yield server, base


async def _reply(chat: object) -> str:
    events = [e async for e in stream_events(chat, "m", HELLO)]  # type: ignore[arg-type]
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def _settings(path: Path, base_url: str, provider_id: str = "llamacpp") -> Settings:
    settings = Settings.load(path)  # no file yet: nothing in the keyring is noted
    settings.provider = provider_id
    settings.base_url = base_url
    return settings


async def _built_reply(settings: Settings, tmp_path: Path) -> str:
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        return await _reply(connection.provider_for(settings))
    finally:
        await connection.aclose()


def test_the_local_servers_take_an_optional_key_and_the_rest_do_not_change() -> None:
    for server in ("llamacpp", "vllm", "lmstudio", "openai-compatible"):
        assert stored_keys.optional_key(server), server
    # Hosted providers need theirs; Ollama, chatgptfree and the engine take none.
    for other in ("openai", "openrouter", "groq", "ollama", "chatgptfree", "local", "auto"):
        assert not stored_keys.optional_key(other), other


async def test_a_noted_key_is_read_and_sent_as_a_bearer_token(
    fake: tuple[FakeOpenAI, str], tmp_path: Path, watched: WatchedKeyring
) -> None:
    server, base = fake
    secrets.set_api_key("llamacpp", KEY)
    settings = _settings(tmp_path / "settings.json", base)
    stored_keys.note_stored_key(settings, "llamacpp")
    assert settings.keyring_keys == ("llamacpp",)
    assert await _built_reply(settings, tmp_path) == "ok"
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert watched.reads == 1


async def test_a_key_not_noted_is_not_read_and_nothing_is_sent(
    fake: tuple[FakeOpenAI, str], tmp_path: Path, watched: WatchedKeyring
) -> None:
    server, base = fake
    # Something in the keyring the settings know nothing of (another data folder's).
    watched.store[("deskchat", "llamacpp")] = KEY
    watched.store[("deskchat", "openai-compatible")] = KEY
    for provider_id in ("llamacpp", "openai-compatible"):
        settings = _settings(tmp_path / provider_id / "settings.json", base, provider_id)
        assert await _built_reply(settings, tmp_path) == "ok"
        assert "Authorization" not in server.requests[-1]["headers"]
    assert watched.reads == 0


async def test_a_session_key_is_sent_without_the_keyring(
    fake: tuple[FakeOpenAI, str], tmp_path: Path, watched: WatchedKeyring
) -> None:
    server, base = fake
    secrets.set_session_key("vllm", KEY)
    settings = _settings(tmp_path / "settings.json", base, "vllm")
    assert await _built_reply(settings, tmp_path) == "ok"
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert watched.reads == 0


async def test_settings_from_before_the_record_ask_the_keyring_once_and_note_the_keys(
    fake: tuple[FakeOpenAI, str], tmp_path: Path, watched: WatchedKeyring
) -> None:
    server, base = fake
    watched.store[("deskchat", "openai-compatible")] = KEY
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"provider": "openai-compatible", "base_url": base}))
    settings = Settings.load(path)
    assert settings.keyring_keys is None
    assert await _built_reply(settings, tmp_path) == "ok"
    # The key an older version stored still goes out, and is noted for the next start.
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert json.loads(path.read_text(encoding="utf-8"))["keyring_keys"] == ["openai-compatible"]
    asked = watched.reads
    assert await _built_reply(Settings.load(path), tmp_path) == "ok"
    assert watched.reads == asked + 1  # only the noted key itself, not every provider's


async def test_a_hosted_provider_still_reads_the_keyring(
    tmp_path: Path, watched: WatchedKeyring
) -> None:
    watched.store[("deskchat", "openrouter")] = KEY
    settings = _settings(tmp_path / "settings.json", "", "openrouter")
    assert settings.keyring_keys == ()
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        chat = connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert chat._api_key == KEY  # type: ignore[attr-defined]


async def test_a_found_server_chosen_in_the_picker_gets_its_noted_key(
    fake: tuple[FakeOpenAI, str], tmp_path: Path, watched: WatchedKeyring
) -> None:
    server, base = fake
    secrets.set_api_key("lmstudio", KEY)
    found = FoundServer("lmstudio", "LM Studio", base, ("m",))
    noted = {"lmstudio": True}
    servers = LocalServers(lambda: None, keyring_key=noted.get)  # type: ignore[arg-type,return-value]
    assert await _reply(servers.create(found)) == "ok"
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
    noted["lmstudio"] = False
    reads = watched.reads
    assert await _reply(servers.create(found)) == "ok"
    assert "Authorization" not in server.requests[-1]["headers"]
    assert watched.reads == reads


def _modules_after_building(tmp_path: Path, settings: dict[str, object]) -> set[str]:
    """The modules loaded once the window's connection has built the saved provider."""
    path = tmp_path / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if settings:
        path.write_text(json.dumps(settings), encoding="utf-8")
    code = (
        "import asyncio, json, sys\n"
        "from deskchat.chat.connection import Connection\n"
        "from deskchat.chat.options import Options\n"
        "from deskchat.store import Settings\n"
        "async def main():\n"
        f"    settings = Settings.load({str(path)!r})\n"
        "    settings.provider = 'llamacpp'\n"
        "    connection = Connection(Options(), settings)\n"
        "    connection.provider_for(settings)\n"
        "    await connection.aclose()\n"
        "asyncio.run(main())\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_building_a_local_servers_provider_with_no_key_noted_never_imports_keyring(
    tmp_path: Path,
) -> None:
    fresh = _modules_after_building(tmp_path / "fresh", {})
    assert "keyring" not in fresh
    assert "deskchat.provider.openai_compat" in fresh  # the provider was really built
    noted_none = {"keyring_keys": [], "keyring_headers": []}
    assert "keyring" not in _modules_after_building(tmp_path / "none", noted_none)
    # The check can fail: with a key noted the keyring is read, so it is imported.
    noted = {"keyring_keys": ["llamacpp"], "keyring_headers": []}
    assert "keyring" in _modules_after_building(tmp_path / "noted", noted)
