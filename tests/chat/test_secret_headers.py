"""Secret extra headers on the way from the settings to a provider (#12, point 9).

The window's providers get the headers kept in the keyring besides the plain
ones in ``settings.json``, with their names marked secret (dropped on a
redirect to another origin); headers an older version saved in the file move
into the keyring the first time a provider is built.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from deskchat.chat.auto import LOCAL
from deskchat.chat.connection import Connection
from deskchat.chat.options import Options
from deskchat.provider import TextDelta, secrets, stream_events
from deskchat.store import Settings
from tests.fakes.keyrings import MemoryKeyring, isolated_secrets, use_memory_keyring
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.raw_http import RawRequest, raw_server
from tests.fakes.scripted import serving
from tests.fakes.tiny_gguf import write_tiny_model

HELLO = [{"role": "user", "content": "hi"}]
OLD_KEY = "k-old-DO-NOT-KEEP-4711"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_secrets(monkeypatch, env=("DESKCHAT_API_KEY",), backend=fail.Keyring()):
        yield


@pytest.fixture
def memory() -> MemoryKeyring:
    return use_memory_keyring()


def old_settings(path: Path, base_url: str = "http://127.0.0.1:9/v1") -> Settings:
    """A settings file as an older version wrote it: the key header in plain text."""
    path.write_text(
        json.dumps(
            {
                "provider": "openai-compatible",
                "base_url": base_url,
                "extra_headers": {"X-Api-Key": OLD_KEY, "X-Title": "DeskChat"},
            }
        ),
        encoding="utf-8",
    )
    return Settings.load(path)


async def _reply(chat: object) -> str:
    events = [e async for e in stream_events(chat, "m", HELLO)]  # type: ignore[arg-type]
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_headers_an_older_version_saved_move_to_the_keyring_once(
    tmp_path: Path, memory: MemoryKeyring
) -> None:
    path = tmp_path / "settings.json"
    settings = old_settings(path)
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    # Nothing moves while the window is being built: only a provider's build moves them.
    assert memory.store == {}
    try:
        chat = connection.provider_for(settings)
        stored = json.loads(memory.store[("deskchat", secrets.HEADERS_ID)])
        assert stored == {"X-Api-Key": OLD_KEY}
        saved = path.read_text(encoding="utf-8")
        assert OLD_KEY not in saved
        assert json.loads(saved)["extra_headers"] == {"X-Title": "DeskChat"}
        assert chat.extra_headers == {"X-Title": "DeskChat", "X-Api-Key": OLD_KEY}  # type: ignore[attr-defined]
        # Once, at the first build: later builds read the keyring and leave the file alone.
        settings.extra_headers = {"X-Title": "DeskChat", "X-Token": "t-later-5"}
        again = connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert settings.extra_headers["X-Token"] == "t-later-5"
    assert json.loads(memory.store[("deskchat", secrets.HEADERS_ID)]) == {"X-Api-Key": OLD_KEY}
    assert again.extra_headers["X-Api-Key"] == OLD_KEY  # type: ignore[attr-defined]


async def test_without_a_keyring_old_headers_stay_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = old_settings(path)
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        chat = connection.provider_for(settings)
    finally:
        await connection.aclose()
    # Dropping them would lose them at the next start.
    assert OLD_KEY in path.read_text(encoding="utf-8")
    assert chat.extra_headers["X-Api-Key"] == OLD_KEY  # type: ignore[attr-defined]


def _redirecting_to(target: str):  # type: ignore[no-untyped-def]
    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
            % target.encode()
        )
        await writer.drain()

    return respond


async def test_the_key_and_secret_headers_reach_the_server_and_never_another_origin(
    tmp_path: Path, memory: MemoryKeyring
) -> None:
    secrets.set_api_key("openai-compatible", "sk-from-settings-21")
    plain = secrets.save_extra_headers(
        {"X-Api-Key": "k-22", "X-Org": "o-23", "X-Title": "DeskChat"}, marked=["X-Org"]
    )
    server = FakeOpenAI()
    server.reply_with(stream_reply(sse([chunk("ok")])))
    async with (
        serving(server.app, "/v1") as base,
        raw_server(_redirecting_to(f"{base}/chat/completions")) as (other, seen),
    ):
        settings = Settings(tmp_path / "settings.json")
        settings.provider = "openai-compatible"
        settings.base_url = f"{other}/v1"
        settings.extra_headers = plain
        connection = Connection(Options(data_dir=str(tmp_path)), settings)
        try:
            chat = connection.provider_for(settings)
            assert await _reply(chat) == "ok"
        finally:
            await connection.aclose()
    first = seen[0].headers
    assert first["authorization"] == "Bearer sk-from-settings-21"
    assert first["x-api-key"] == "k-22"
    assert first["x-org"] == "o-23"
    assert first["x-title"] == "DeskChat"
    # The redirect led to another origin: the credentials stayed behind, the ticked one too.
    after = server.requests[-1]["headers"]
    for name in ("Authorization", "X-Api-Key", "X-Org"):
        assert name not in after, name
    assert after["X-Title"] == "DeskChat"


async def test_a_fallback_gets_no_secret_headers(tmp_path: Path, memory: MemoryKeyring) -> None:
    secrets.save_extra_headers({"X-Api-Key": "k-24"})
    settings = Settings(tmp_path / "settings.json")
    settings.provider = "openai-compatible"
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    fallback = Settings(settings.path, {"provider": "ollama"})
    try:
        main = connection.provider_for(settings)
        other = connection.provider_for(fallback)
    finally:
        await connection.aclose()
    assert main.extra_headers == {"X-Api-Key": "k-24"}  # type: ignore[attr-defined]
    assert "X-Api-Key" not in getattr(other, "extra_headers", {})


class WatchedKeyring(MemoryKeyring):
    """A keyring that counts how often it is read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


@pytest.fixture
def watched() -> WatchedKeyring:
    backend = WatchedKeyring()
    keyring.set_keyring(backend)
    return backend


def _server_settings(path: Path) -> Settings:
    settings = Settings.load(path)
    settings.provider = "ollama"
    settings.extra_headers = {"X-Title": "DeskChat"}
    return settings


async def test_a_fresh_data_folder_builds_providers_without_reading_the_keyring(
    tmp_path: Path, watched: WatchedKeyring
) -> None:
    # Something in the keyring the settings know nothing of (another data folder's).
    watched.store[("deskchat", secrets.HEADERS_ID)] = json.dumps({"X-Api-Key": "k-other-30"})
    settings = _server_settings(tmp_path / "settings.json")
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        chat = connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert watched.reads == 0
    assert chat.extra_headers == {"X-Title": "DeskChat"}  # type: ignore[attr-defined]


async def test_headers_kept_for_this_session_still_come_without_the_keyring(
    tmp_path: Path, watched: WatchedKeyring
) -> None:
    secrets.save_extra_headers({"X-Api-Key": "k-session-31"}, session_only=True)
    settings = _server_settings(tmp_path / "settings.json")
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        chat = connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert watched.reads == 0
    assert chat.extra_headers == {"X-Title": "DeskChat", "X-Api-Key": "k-session-31"}  # type: ignore[attr-defined]


async def test_headers_the_settings_name_are_read_from_the_keyring(
    tmp_path: Path, watched: WatchedKeyring
) -> None:
    secrets.save_extra_headers({"X-Api-Key": "k-noted-32"})
    settings = _server_settings(tmp_path / "settings.json")
    settings.keyring_headers = ("X-Api-Key",)
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        chat = connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert watched.reads == 1
    assert chat.extra_headers["X-Api-Key"] == "k-noted-32"  # type: ignore[attr-defined]


async def test_settings_from_before_the_record_ask_the_keyring_once_and_note_the_names(
    tmp_path: Path, watched: WatchedKeyring
) -> None:
    secrets.save_extra_headers({"X-Api-Key": "k-older-33"})
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"provider": "ollama"}), encoding="utf-8")
    settings = Settings.load(path)
    assert settings.keyring_headers is None
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        chat = connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert chat.extra_headers == {"X-Api-Key": "k-older-33"}  # type: ignore[attr-defined]
    assert json.loads(path.read_text(encoding="utf-8"))["keyring_headers"] == ["X-Api-Key"]
    assert Settings.load(path).keyring_headers == ("X-Api-Key",)


async def test_the_built_in_engine_is_built_without_reading_the_keyring(
    tmp_path: Path, watched: WatchedKeyring
) -> None:
    secrets.save_extra_headers({"X-Api-Key": "k-engine-34"})
    model = tmp_path / "tiny.gguf"
    write_tiny_model(model)
    settings = Settings(tmp_path / "settings.json")  # not known: the keyring could hold some
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        built = connection.build_model(str(model))
    finally:
        await connection.aclose()
    assert built.provider_id == LOCAL
    assert watched.reads == 0


async def test_moved_headers_are_noted_in_the_settings(
    tmp_path: Path, memory: MemoryKeyring
) -> None:
    path = tmp_path / "settings.json"
    settings = old_settings(path)
    connection = Connection(Options(data_dir=str(tmp_path)), settings)
    try:
        connection.provider_for(settings)
    finally:
        await connection.aclose()
    assert json.loads(path.read_text(encoding="utf-8"))["keyring_headers"] == ["X-Api-Key"]
