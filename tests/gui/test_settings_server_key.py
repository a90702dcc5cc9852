"""The settings dialog's API key for a server on this machine (llama.cpp, vLLM, LM Studio).

Such a server takes a key only if it was started with ``--api-key``: the field
is offered and says so; a key saved is noted in ``settings.json`` (by provider,
never the key), so that building the provider reads the keyring only then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QDialogButtonBox

from deskchat import provider
from deskchat.chat.connection import Connection
from deskchat.chat.options import Options
from deskchat.gui.settings_dialog import SettingsDialog
from deskchat.provider import TextDelta, stream_events
from deskchat.store import Settings
from tests.fakes.keyrings import MemoryKeyring, isolated_secrets, use_memory_keyring
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving

KEY = "sk-local-DO-NOT-STORE-5150"
ONLY_IF = "Only if the server was started with an API key"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_secrets(monkeypatch, backend=fail.Keyring()):
        yield


def choose(dialog: SettingsDialog, provider_id: str) -> None:
    index = dialog.provider_box.findData(provider_id)
    assert index >= 0, provider_id
    dialog.provider_box.setCurrentIndex(index)


def save(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def opened(qtbot, settings: Settings) -> SettingsDialog:  # noqa: ANN001 - qtbot
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def _reply(settings: Settings) -> str:
    connection = Connection(Options(), settings)
    try:
        chat = connection.provider_for(settings)
        events = [e async for e in stream_events(chat, "m", [{"role": "user", "content": "hi"}])]
    finally:
        await connection.aclose()
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_the_key_field_shows_for_a_local_server_and_says_when_it_is_needed(
    qtbot, tmp_path: Path
) -> None:
    dialog = opened(qtbot, Settings.load(tmp_path / "settings.json"))
    for server in ("llamacpp", "vllm", "lmstudio"):
        choose(dialog, server)
        assert dialog.api_key_label.isVisibleTo(dialog), server
        assert dialog.api_key_edit.isVisibleTo(dialog), server
        assert dialog.api_key_edit.placeholderText() == ONLY_IF
    choose(dialog, "openai")
    assert dialog.api_key_edit.placeholderText() == "Leave empty to keep the stored key"
    # Ollama and the built-in engine take no key.
    for other in ("ollama", "local"):
        choose(dialog, other)
        assert not dialog.api_key_edit.isVisibleTo(dialog), other


async def test_a_saved_key_is_noted_and_the_provider_sends_it(qtbot, tmp_path: Path) -> None:
    memory: MemoryKeyring = use_memory_keyring()
    server = FakeOpenAI()
    server.reply_with(stream_reply(sse([chunk("ok")])))
    path = tmp_path / "settings.json"
    async with serving(server.app, "/v1") as base:
        settings = Settings.load(path)
        dialog = opened(qtbot, settings)
        choose(dialog, "llamacpp")
        dialog.base_url_edit.setText(base)
        dialog.api_key_edit.setText(KEY)
        save(dialog)
        assert not dialog.isVisible()

        assert memory.store[("deskchat", "llamacpp")] == KEY
        saved = path.read_text(encoding="utf-8")
        assert KEY not in saved
        assert json.loads(saved)["keyring_keys"] == ["llamacpp"]
        # The next start reads the note, then the key, and sends it.
        assert await _reply(Settings.load(path)) == "ok"
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"

    # Opened again: the field is empty and keeps the stored key.
    dialog.load()
    assert dialog.api_key_edit.text() == ""
    assert dialog.api_key_edit.placeholderText() == "Leave empty to keep the stored key"
    save(dialog)
    assert json.loads(path.read_text(encoding="utf-8"))["keyring_keys"] == ["llamacpp"]


async def test_without_a_keyring_the_key_lasts_this_session_and_is_not_noted(
    qtbot, tmp_path: Path
) -> None:
    assert not provider.keyring_available()
    server = FakeOpenAI()
    server.reply_with(stream_reply(sse([chunk("ok")])))
    path = tmp_path / "settings.json"
    async with serving(server.app, "/v1") as base:
        settings = Settings.load(path)
        dialog = opened(qtbot, settings)
        choose(dialog, "vllm")
        assert dialog.key_note.isVisibleTo(dialog)
        dialog.base_url_edit.setText(base)
        dialog.api_key_edit.setText(KEY)
        save(dialog)
        assert json.loads(path.read_text(encoding="utf-8"))["keyring_keys"] == []
        assert await _reply(settings) == "ok"
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert KEY not in path.read_text(encoding="utf-8")
