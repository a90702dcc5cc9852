"""The first-run setup panel: what it offers and in which order, keyboard and clicks, the choice
saved and used at once, and the window naming where the next reply comes from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from deskchat.chat import setup, source
from deskchat.chat.options import Options
from deskchat.provider.local import LocalProvider
from deskchat.store import Settings
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scripted import serving
from tests.fakes.wordpress import FakeWordPress
from tests.gui.conftest import until
from tests.gui.history_helpers import send
from tests.gui.setup_helpers import (
    choice,
    choice_titles,
    ollama_probe,
    put_model,
    setup_window,
    tmp_locations,
)


def saved(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))


def panel_shown(window) -> bool:
    return window.setup is not None and window.setup.panel is not None


async def test_the_panel_offers_every_way_in_order_and_focuses_the_first(
    qtbot, tmp_path: Path
) -> None:
    locations = tmp_locations(tmp_path)
    put_model(locations)
    async with (
        serving(FakeOllama().app) as url,
        setup_window(qtbot, tmp_path, probes=ollama_probe(url), locations=locations) as window,
    ):
        await until(lambda: panel_shown(window), what="the setup panel")
        assert choice_titles(window) == [
            "Use qwen3:0.6b",
            "Use llama3.2:1b",
            "Use fake/Tiny-GGUF:Q4_K_M",
            "Download Tiny Chat",  # the recommended one first
            "Download Huge Chat",
            "OpenAI…",
            "OpenRouter…",
            "Groq…",
            "Try chatgptfree",
        ]
        panel = window.setup.panel
        assert panel.isVisible()
        assert not window.chat.message_view.isVisible()
        assert QApplication.focusWidget() is panel.choices[0]
        huge = choice(window, "Download Huge Chat")
        assert "will not fit" in huge.description()
        assert "recommended" in choice(window, "Download Tiny Chat").description()
        assert choice(window, "Try chatgptfree").description() == setup.CHATGPTFREE_NOTE
        local = choice(window, "Use fake/Tiny-GGUF:Q4_K_M").description()
        assert local == "Tiny Chat · 20.0 kB · Q4_K_M · from DeskChat"
        # Nothing can be sent into the void meanwhile.
        assert not window.chat.send_button.isEnabled()
        assert window.chat.source_label.text() == source.NOT_SET_UP
        qtbot.keyClicks(window.chat.input_box, "hello?")
        qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return)
        assert window.session.conversation.messages == []
        assert window.chat.input_box.toPlainText() == "hello?"


async def test_keyboard_down_and_enter_use_a_found_server(qtbot, tmp_path: Path) -> None:
    fake = FakeOllama()
    async with (
        serving(fake.app) as url,
        setup_window(qtbot, tmp_path, probes=ollama_probe(url)) as window,
    ):
        await until(lambda: panel_shown(window), what="the setup panel")
        panel = window.setup.panel
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
        assert QApplication.focusWidget() is panel.choices[1]
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is panel.choices[1]
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)

        assert not panel_shown(window)
        assert window.chat.message_view.isVisible()
        assert QApplication.focusWidget() is window.chat.input_box
        assert window.session.provider_id == "ollama"
        assert window.session.model_name == "llama3.2:1b"
        port = url.rsplit(":", 1)[1]
        assert window.chat.source_label.text() == f"Ollama (127.0.0.1:{port}) · llama3.2:1b"
        assert saved(tmp_path) | {"provider": "ollama"} == saved(tmp_path)
        assert (saved(tmp_path)["model"], saved(tmp_path)["setup_choice"]) == (
            "llama3.2:1b",
            "server",
        )
        assert saved(tmp_path)["base_url"] == url

        await send(qtbot, window, "Hello")
        await until(lambda: not window.session.busy and window.session.conversation.messages)
        await until(lambda: window.session.conversation.messages[-1].content == "Hi")
        assert fake.requests[-1]["json"]["model"] == "llama3.2:1b"


@pytest.mark.slow
async def test_offline_a_model_on_disk_answers_after_two_clicks(qtbot, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="the built-in engine needs llama-cpp-python")
    locations = tmp_locations(tmp_path)
    path = put_model(locations, real=True)
    async with setup_window(qtbot, tmp_path, locations=locations) as window:
        await until(lambda: panel_shown(window), what="the setup panel")
        assert choice_titles(window)[0] == "Use fake/Tiny-GGUF:Q4_K_M"
        qtbot.mouseClick(choice(window, "Use fake/Tiny-GGUF:Q4_K_M"), Qt.MouseButton.LeftButton)
        assert isinstance(window.session.chat_provider, LocalProvider)
        assert window.chat.source_label.text().startswith("Built-in engine · Tiny Chat")
        qtbot.keyClicks(window.chat.input_box, "hello")
        qtbot.mouseClick(window.chat.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.session.busy, what="the reply to start")
        await until(lambda: not window.session.busy, seconds=60, what="the reply")
        reply = window.session.conversation.messages[-1]
        assert reply.reply is not None
        assert reply.reply.status == "complete", reply.reply.error
        assert reply.model == str(path)
        assert saved(tmp_path)["provider"] == "local"
        assert saved(tmp_path)["setup_choice"] == "model"


async def test_without_llama_cpp_the_engine_says_why_and_the_rest_stays(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup, "find_spec", lambda _name: None)
    locations = tmp_locations(tmp_path)
    put_model(locations)
    async with (
        serving(FakeOllama().app) as url,
        setup_window(qtbot, tmp_path, probes=ollama_probe(url), locations=locations) as window,
    ):
        await until(lambda: panel_shown(window), what="the setup panel")
        titles = choice_titles(window)
        assert not [t for t in titles if t.startswith(("Download", "Use fake/"))]
        assert titles[:2] == ["Use qwen3:0.6b", "Use llama3.2:1b"]
        assert titles[-1] == "Try chatgptfree"
        note = window.setup.panel.engine_note
        assert note is not None
        assert note.isVisible()
        assert note.text() == setup.ENGINE_MISSING


async def test_a_hosted_provider_opens_the_settings_on_its_key(qtbot, tmp_path: Path) -> None:
    fake = FakeOpenAI()
    async with serving(fake.app) as url, setup_window(qtbot, tmp_path) as window:
        await until(lambda: panel_shown(window), what="the setup panel")
        qtbot.mouseClick(choice(window, "OpenAI…"), Qt.MouseButton.LeftButton)
        dialog = window.settings_dialog
        assert dialog is not None
        assert dialog.isVisible()
        assert dialog.provider_id == "openai"
        await until(lambda: QApplication.focusWidget() is dialog.api_key_edit, what="the key")
        qtbot.keyClicks(dialog.api_key_edit, "sk-test-not-a-real-key")
        # The fake stands in for api.openai.com (no network in tests).
        dialog.base_url_edit.setText(f"{url}/v1")
        dialog.buttons.accepted.emit()
        assert not panel_shown(window)
        assert window.session.provider_id == "openai"
        assert window.chat.send_button.isEnabled()
        assert window.chat.source_label.text() == "OpenAI · gpt-4o-mini"
        assert saved(tmp_path)["setup_choice"] == "settings"
        assert "sk-test" not in (tmp_path / "settings.json").read_text(encoding="utf-8")
        await send(qtbot, window, "Hello")
        await until(lambda: window.session.conversation.messages[-1].content == "Hi")
        assert fake.requests[-1]["headers"]["Authorization"] == "Bearer sk-test-not-a-real-key"


async def test_chatgptfree_is_one_click_and_answers(
    qtbot, tmp_path: Path, wordpress: str, fake_site: FakeWordPress
) -> None:
    options = Options(base_url=wordpress, data_dir=str(tmp_path / "data"))
    async with setup_window(qtbot, tmp_path, options=options) as window:
        await until(lambda: panel_shown(window), what="the setup panel")
        qtbot.mouseClick(choice(window, "Try chatgptfree"), Qt.MouseButton.LeftButton)
        assert window.session.provider_id == "chatgptfree"
        assert saved(tmp_path)["setup_choice"] == "chatgptfree"
        await send(qtbot, window, "Hello")
        await until(lambda: window.session.conversation.messages[-1:] and not window.session.busy)
        assert window.session.conversation.messages[-1].content == "Hello, world"
        assert len(fake_site.posts) == 1


async def test_a_saved_choice_is_used_at_the_next_start_without_the_panel(
    qtbot, tmp_path: Path
) -> None:
    locations = tmp_locations(tmp_path)
    path = put_model(locations)
    settings = Settings(tmp_path / "settings.json")
    setup.remember(settings, "model", "local", model=str(path))
    options = Options(provider="local", model=str(path), data_dir=str(locations.data_dir))
    async with setup_window(
        qtbot, tmp_path, locations=locations, settings=settings, options=options
    ) as window:
        await until(lambda: window.ready, what="the provider")
        assert not panel_shown(window)
        assert isinstance(window.session.chat_provider, LocalProvider)
        assert window.chat.source_label.text() == "Built-in engine · Tiny Chat Q4_K_M"


async def test_auto_with_nothing_found_shows_the_panel(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.setup_choice = "auto"
    async with setup_window(qtbot, tmp_path, settings=settings) as window:
        await until(lambda: panel_shown(window), what="the setup panel")
        assert not window.ready


async def test_auto_chosen_on_purpose_takes_the_server_found(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.setup_choice = "auto"
    async with (
        serving(FakeOllama().app) as url,
        setup_window(qtbot, tmp_path, probes=ollama_probe(url), settings=settings) as window,
    ):
        await until(lambda: window.ready, what="the provider")
        assert not panel_shown(window)
        assert (window.session.provider_id, window.session.model_name) == ("ollama", "qwen3:0.6b")
        # The found servers' models are in the picker too.
        picker = window.model_picker
        assert picker.findText(f"llama3.2:1b — Ollama (127.0.0.1:{url.rsplit(':', 1)[1]})") >= 0
