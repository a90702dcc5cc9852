"""The settings dialog: opens while a reply streams, saves settings.json, keys go to the keyring."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from deskchat import provider
from deskchat.chat.options import Options, effective_options
from deskchat.chat.probe import Probe
from deskchat.chat.proxy import with_password
from deskchat.gui.app import move_proxy_password
from deskchat.gui.main_window import MainWindow
from deskchat.gui.settings_dialog import MASK, SettingsDialog
from deskchat.gui.theme import apply_theme
from deskchat.provider.secrets import HEADERS_ID, clear_session_keys
from deskchat.store import Settings, data_dir, settings_path
from tests.gui.conftest import until
from tests.gui.history_helpers import (
    QueueProvider,
    open_window,
    send,
)

SECRET = "sk-test-DO-NOT-STORE-1234567890"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _clean_state(monkeypatch) -> Iterator[None]:
    for name in ("OPENAI_API_KEY", "DESKCHAT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    yield
    clear_session_keys()
    # The theme is application-wide: leave it as the next test expects.
    apply_theme("system")


def save(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def choose(box, value: str) -> None:  # noqa: ANN001 - a QComboBox
    index = box.findData(value)
    assert index >= 0, value
    box.setCurrentIndex(index)


def files_containing(secret: str, folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


async def test_the_dialog_opens_while_a_reply_streams_and_saves_settings(
    qtbot, wordpress: str
) -> None:
    settings = Settings.load(settings_path())
    queue = QueueProvider()
    async with open_window(qtbot, wordpress, settings=settings) as window:
        model = window.message_model
        window.session.set_provider(queue)
        await send(qtbot, window, "Hello")
        await until(lambda: queue.requests, what="the request")
        await queue.chunks.put("First ")
        await until(lambda: model.index(1).data() == "First ", what="the first chunk")

        window.menus.settings_action.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        assert dialog.isVisible()
        await queue.chunks.put("second")
        await until(lambda: model.index(1).data() == "First second", what="a chunk behind it")
        assert window.session.busy

        dialog.system_prompt_edit.setPlainText("Be brief.")
        dialog.temperature_box.setValue(0.3)
        dialog.font_size_box.setValue(15)
        choose(dialog.theme_box, "dark")
        choose(dialog.send_key_box, "ctrl+enter")
        save(dialog)

        assert not dialog.isVisible()
        assert window.session.busy
        await queue.chunks.put(None)
        await until(lambda: not window.session.busy, what="the end of the reply")

        saved = json.loads(settings_path().read_text(encoding="utf-8"))
        assert saved["system_prompt"] == "Be brief."
        assert saved["temperature"] == 0.3
        assert saved["font_size"] == 15
        assert saved["theme"] == "dark"
        assert saved["send_key"] == "ctrl+enter"
        assert window.chat.message_view.font().pointSize() == 15
        window_colour = QApplication.palette().color(QPalette.ColorRole.Window)
        assert window_colour.lightness() < 100

        # Enter now adds a line; Ctrl+Enter sends, with the prompt and temperature.
        qtbot.keyClicks(window.chat.input_box, "Next")
        qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return)
        assert window.chat.input_box.toPlainText() == "Next\n"
        ctrl = Qt.KeyboardModifier.ControlModifier
        qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return, ctrl)
        await until(lambda: len(queue.requests) == 2, what="the second request")
        assert queue.requests[1][0] == {"role": "system", "content": "Be brief."}
        assert queue.params[1] == {"temperature": 0.3}
        await queue.chunks.put(None)
        await until(lambda: not window.session.busy)


async def test_a_new_provider_applies_without_restart_and_the_key_goes_to_the_keyring(
    qtbot, wordpress: str, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings.load(settings_path())
    built: list[tuple[str, str | None]] = []
    queue = QueueProvider()

    def factory(chosen: Settings) -> QueueProvider:
        built.append((chosen.provider, provider.get_api_key(chosen.provider)))
        return queue

    async with open_window(qtbot, wordpress, settings=settings, factory=factory) as window:
        window.menus.settings_action.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        assert not dialog.api_key_edit.isVisibleTo(dialog)  # chatgptfree needs no key
        choose(dialog.provider_box, "openai")
        assert dialog.api_key_edit.isVisibleTo(dialog)
        assert not dialog.key_note.isVisibleTo(dialog)
        dialog.model_edit.setText("small")
        dialog.api_key_edit.setText(SECRET)
        save(dialog)

        assert memory_keyring.passwords[("deskchat", "openai")] == SECRET
        assert built == [("openai", SECRET)]
        await until(lambda: window.model_picker.currentText() == "small", what="the models")
        await send(qtbot, window, "Via the new provider")
        await until(lambda: queue.requests, what="the request")
        await queue.chunks.put("ok")
        await queue.chunks.put(None)
        await until(lambda: not window.session.busy)
    assert json.loads(settings_path().read_text(encoding="utf-8"))["provider"] == "openai"
    assert files_containing(SECRET, data_dir()) == []
    assert caplog.records, "nothing was logged, so the log check below proves nothing"
    assert SECRET not in caplog.text


async def test_without_a_keyring_the_key_is_kept_for_this_session_only(
    qtbot, wordpress: str
) -> None:
    assert not provider.keyring_available()
    settings = Settings.load(settings_path())
    async with open_window(qtbot, wordpress, settings=settings) as window:
        window.menus.settings_action.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        choose(dialog.provider_box, "openai")
        assert dialog.key_note.isVisibleTo(dialog)
        assert "session only" in dialog.key_note.text()
        dialog.api_key_edit.setText(SECRET)
        save(dialog)
        assert not dialog.isVisible()
        assert provider.get_api_key("openai") == SECRET
    assert files_containing(SECRET, data_dir()) == []


def test_command_line_options_override_saved_settings() -> None:
    settings = Settings(Path("unused.json"))
    settings.provider = "ollama"
    settings.model = "llama3"
    settings.base_url = "http://saved:1"
    merged = effective_options(Options(base_url="http://given:2"), settings)
    assert merged.provider == "ollama"
    assert merged.model == "llama3"
    assert merged.base_url == "http://given:2"


async def test_the_settings_action_is_off_without_settings(window: MainWindow) -> None:
    assert not window.menus.settings_action.isEnabled()
    window.menus.settings_action.trigger()
    assert window.settings_dialog is None


PROXY_PASSWORD = "proxy-pw-DO-NOT-STORE-987"


async def test_a_proxy_password_goes_to_the_keyring_and_back_into_the_provider(
    qtbot, wordpress: str, memory_keyring: MemoryKeyring
) -> None:
    settings = Settings.load(settings_path())
    settings.provider = "chatgptfree"  # a provider the factory builds (auto is found instead)
    built: list[str | None] = []
    from deskchat.chat.connection import Connection
    from deskchat.chat.options import Options

    connection = Connection(Options(), settings)
    try:
        build = connection.provider_for

        def factory(chosen: Settings) -> object:
            made = build(chosen)
            built.append(made.proxy)
            return made

        async with open_window(qtbot, wordpress, settings=settings, factory=factory) as window:
            window.menus.settings_action.trigger()
            dialog = window.settings_dialog
            assert dialog is not None
            dialog.proxy_edit.setText(f"http://me:{PROXY_PASSWORD}@127.0.0.1:3128")
            save(dialog)
            assert not dialog.isVisible()
    finally:
        await connection.aclose()

    assert memory_keyring.passwords[("deskchat", "proxy")] == PROXY_PASSWORD
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["proxy"] == "http://me@127.0.0.1:3128"
    assert built == [f"http://me:{PROXY_PASSWORD}@127.0.0.1:3128"]
    assert files_containing(PROXY_PASSWORD, data_dir()) == []
    # At the next start the saved address gets the password back from the keyring.
    again = Settings.load(settings_path())
    assert with_password(again.proxy) == f"http://me:{PROXY_PASSWORD}@127.0.0.1:3128"


async def test_without_a_keyring_the_proxy_password_lasts_this_session_and_says_so(
    qtbot, wordpress: str
) -> None:
    assert not provider.keyring_available()
    settings = Settings.load(settings_path())
    async with open_window(qtbot, wordpress, settings=settings) as window:
        window.menus.settings_action.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        dialog.proxy_edit.setText(f"http://me:{PROXY_PASSWORD}@127.0.0.1:3128")
        save(dialog)
        assert "session only" in window.statusBar().currentMessage()
        assert with_password(settings.proxy) == f"http://me:{PROXY_PASSWORD}@127.0.0.1:3128"
    assert files_containing(PROXY_PASSWORD, data_dir()) == []


def test_a_password_saved_by_an_older_version_moves_to_the_keyring(
    memory_keyring: MemoryKeyring,
) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"proxy": f"http://me:{PROXY_PASSWORD}@127.0.0.1:3128"}))
    settings = Settings.load(path)
    assert move_proxy_password(settings) is None
    assert memory_keyring.passwords[("deskchat", "proxy")] == PROXY_PASSWORD
    assert PROXY_PASSWORD not in path.read_text(encoding="utf-8")
    assert settings.proxy == "http://me@127.0.0.1:3128"


def test_the_fallback_provider_is_chosen_and_saved(qtbot) -> None:
    settings = Settings.load(settings_path())
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.fallback_box.currentData() == ""
    choose(dialog.fallback_box, "ollama")
    save(dialog)
    assert json.loads(settings_path().read_text(encoding="utf-8"))["fallback_provider"] == "ollama"
    dialog.load()
    assert dialog.fallback_box.currentData() == "ollama"


async def test_extra_headers_are_saved_and_reach_the_provider(qtbot, wordpress: str) -> None:
    settings = Settings.load(settings_path())
    built: list[dict[str, str]] = []

    def factory(chosen: Settings) -> QueueProvider:
        built.append(chosen.extra_headers)
        return QueueProvider()

    async with open_window(qtbot, wordpress, settings=settings, factory=factory) as window:
        window.menus.settings_action.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        dialog.headers_edit.setPlainText("not a header")
        save(dialog)
        assert dialog.error_label.isVisibleTo(dialog)
        assert "'Name: value'" in dialog.error_label.text()
        assert built == []
        dialog.headers_edit.setPlainText("X-Title: DeskChat\n\nHTTP-Referer: https://e.x")
        save(dialog)
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["extra_headers"] == {"X-Title": "DeskChat", "HTTP-Referer": "https://e.x"}
    assert built == [{"X-Title": "DeskChat", "HTTP-Referer": "https://e.x"}]


def test_settings_that_cannot_be_saved_say_why_and_stay_open(qtbot, tmp_path: Path) -> None:
    # A folder where the file should be: writing it fails as a read-only disk would.
    blocked = tmp_path / "settings.json"
    blocked.mkdir()
    dialog = SettingsDialog(Settings(blocked))
    qtbot.addWidget(dialog)
    dialog.open()
    saved: list[object] = []
    dialog.saved.connect(saved.append)
    save(dialog)
    assert saved == []
    assert dialog.isVisible()
    assert dialog.error_label.isVisibleTo(dialog)
    text = dialog.error_label.text()
    assert text.startswith("DeskChat could not save the settings (")
    assert text.endswith("; check that the data folder is writable.")
    dialog.close()


def test_the_built_in_engines_settings_are_saved(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(tmp_path / "settings.json"))
    qtbot.addWidget(dialog)
    dialog.open()
    # 0 reads as what it means.
    assert dialog.context_box.text() == "Automatic (fits this computer's memory)"
    assert dialog.idle_box.value() == 10
    assert dialog.gpu_box.currentData() == "auto"
    dialog.context_box.setValue(8192)
    choose(dialog.gpu_box, "none")
    dialog.idle_box.setValue(0)
    assert dialog.idle_box.text() == "Never (keep the model loaded)"
    save(dialog)
    saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert (saved["engine_context"], saved["engine_gpu_layers"], saved["engine_idle_minutes"]) == (
        8192,
        "none",
        0,
    )


def test_auto_and_the_built_in_engine_are_offered_and_a_choice_ends_the_setup(
    qtbot, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(path))
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.provider_box.itemData(0) == "auto"
    assert dialog.provider_id == "auto"
    assert dialog.provider_box.findData("local") >= 0
    assert not dialog.api_key_edit.isVisibleTo(dialog)
    # Saving other settings with auto as it came is no setup choice.
    save(dialog)
    assert "setup_choice" not in json.loads(path.read_text(encoding="utf-8"))
    dialog.open()
    choose(dialog.provider_box, "ollama")
    save(dialog)
    assert json.loads(path.read_text(encoding="utf-8"))["setup_choice"] == "settings"
    dialog.open()
    choose(dialog.provider_box, "auto")
    save(dialog)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert (saved["provider"], saved["setup_choice"]) == ("auto", "auto")


HEADER_SECRET = "hk-DO-NOT-STORE-24680"


def secret_item(dialog: SettingsDialog, name: str):  # noqa: ANN201 - a QListWidgetItem
    found = dialog.secret_list.findItems(name, Qt.MatchFlag.MatchExactly)
    assert len(found) == 1, name
    return found[0]


def test_the_key_field_shows_for_an_openai_compatible_server(
    qtbot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    dialog = SettingsDialog(Settings(tmp_path / "settings.json"))
    qtbot.addWidget(dialog)
    dialog.open()
    choose(dialog.provider_box, "openai-compatible")
    assert dialog.api_key_edit.isVisibleTo(dialog)
    dialog.api_key_edit.setText(SECRET)
    save(dialog)
    assert memory_keyring.passwords[("deskchat", "openai-compatible")] == SECRET
    assert files_containing(SECRET, tmp_path) == []


def test_secret_headers_go_to_the_keyring_and_come_back_masked(
    qtbot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(path))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.headers_edit.setPlainText(
        f"X-Api-Key: {HEADER_SECRET}\nX-Org: org-135\nX-Title: DeskChat"
    )
    names = [dialog.secret_list.item(i).text() for i in range(dialog.secret_list.count())]
    assert names == ["X-Api-Key", "X-Org", "X-Title"]
    # Named like a credential: ticked, and not to be unticked.
    api_key = secret_item(dialog, "X-Api-Key")
    assert api_key.checkState() == Qt.CheckState.Checked
    assert not api_key.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert secret_item(dialog, "X-Title").checkState() == Qt.CheckState.Unchecked
    secret_item(dialog, "X-Org").setCheckState(Qt.CheckState.Checked)  # the user's choice
    save(dialog)

    stored = json.loads(memory_keyring.passwords[("deskchat", HEADERS_ID)])
    assert stored == {"X-Api-Key": HEADER_SECRET, "X-Org": "org-135"}
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["extra_headers"] == {"X-Title": "DeskChat"}
    assert files_containing(HEADER_SECRET, tmp_path) == []
    assert files_containing("org-135", tmp_path) == []

    # Opened again: the secret values are masked, the ticks kept.
    dialog.open()
    dialog.load()
    text = dialog.headers_edit.toPlainText()
    assert HEADER_SECRET not in text
    assert "org-135" not in text
    assert "X-Title: DeskChat" in text
    assert f"X-Api-Key: {MASK}" in text
    assert secret_item(dialog, "X-Org").checkState() == Qt.CheckState.Checked
    # Saved unchanged: the mask is never stored, the stored values stay.
    save(dialog)
    stored = json.loads(memory_keyring.passwords[("deskchat", HEADERS_ID)])
    assert stored == {"X-Api-Key": HEADER_SECRET, "X-Org": "org-135"}
    assert MASK not in path.read_text(encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["extra_headers"] == {"X-Title": "DeskChat"}

    # Unticked, X-Org is a plain header again: the file gets it, the keyring loses it.
    dialog.open()
    secret_item(dialog, "X-Org").setCheckState(Qt.CheckState.Unchecked)
    save(dialog)
    stored = json.loads(memory_keyring.passwords[("deskchat", HEADERS_ID)])
    assert stored == {"X-Api-Key": HEADER_SECRET}
    assert json.loads(path.read_text(encoding="utf-8"))["extra_headers"] == {
        "X-Org": "org-135",
        "X-Title": "DeskChat",
    }


def test_a_mask_with_nothing_stored_behind_it_is_refused(
    qtbot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(path))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.headers_edit.setPlainText(f"X-New-Token: {MASK}")
    save(dialog)
    assert dialog.isVisible()
    assert "X-New-Token" in dialog.error_label.text()
    assert memory_keyring.passwords == {}
    assert not path.exists()
    dialog.close()


def test_without_a_keyring_secret_headers_last_this_session_and_say_so(
    qtbot, tmp_path: Path
) -> None:
    assert not provider.keyring_available()
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(path))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.headers_edit.setPlainText(f"Authorization: Bearer {HEADER_SECRET}\nX-Title: DeskChat")
    save(dialog)
    assert not dialog.isVisible()
    assert dialog.notice is not None
    assert "session only" in dialog.notice
    assert provider.load_secret_headers() == {"Authorization": f"Bearer {HEADER_SECRET}"}
    assert json.loads(path.read_text(encoding="utf-8"))["extra_headers"] == {"X-Title": "DeskChat"}
    assert files_containing(HEADER_SECRET, tmp_path) == []


class _RefusingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")


def test_a_keyring_that_refuses_the_headers_keeps_the_dialog_open(qtbot, tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_RefusingKeyring())
    try:
        path = tmp_path / "settings.json"
        dialog = SettingsDialog(Settings(path))
        qtbot.addWidget(dialog)
        dialog.open()
        dialog.headers_edit.setPlainText(f"X-Api-Key: {HEADER_SECRET}")
        save(dialog)
        assert dialog.isVisible()
        assert "keyring refused" in dialog.error_label.text()
        assert not path.exists()
        dialog.close()
    finally:
        keyring.set_keyring(previous)


def test_the_settings_note_which_headers_the_keyring_holds(
    qtbot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings.load(path))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.headers_edit.setPlainText(f"X-Api-Key: {HEADER_SECRET}\nX-Title: DeskChat")
    save(dialog)
    # Noted by name only, so that a start reads the keyring only when it holds some.
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["keyring_headers"] == ["X-Api-Key"]
    dialog.open()
    dialog.headers_edit.setPlainText("X-Title: DeskChat")
    save(dialog)
    assert json.loads(path.read_text(encoding="utf-8"))["keyring_headers"] == []
    assert ("deskchat", HEADERS_ID) not in memory_keyring.passwords


def test_headers_kept_for_this_session_are_not_noted_as_in_the_keyring(
    qtbot, tmp_path: Path
) -> None:
    assert not provider.keyring_available()
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings.load(path))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.headers_edit.setPlainText(f"X-Api-Key: {HEADER_SECRET}")
    save(dialog)
    assert json.loads(path.read_text(encoding="utf-8"))["keyring_headers"] == []
    assert provider.load_secret_headers(session_only=True) == {"X-Api-Key": HEADER_SECRET}


# -- the address, the model list and Test connection ------------------------------------


class FakeProbe:
    """Answers the dialog's model questions as the test says; records what was asked."""

    def __init__(self) -> None:
        self.asked: list[Probe] = []
        self.answers: dict[str, list[str] | provider.ProviderError] = {}
        self.tasks: set[asyncio.Task[object]] = set()

    async def __call__(self, probe: Probe) -> list[str]:
        self.asked.append(probe)
        await asyncio.sleep(0)
        answer = self.answers.get(probe.provider_id, [])
        if isinstance(answer, provider.ProviderError):
            raise answer
        return list(answer)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def settled(self) -> None:
        while self.tasks:
            await asyncio.wait(list(self.tasks))


def probing_dialog(qtbot, settings: Settings, probe: FakeProbe) -> SettingsDialog:
    dialog = SettingsDialog(settings, probe=probe, spawn=probe.spawn)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_choosing_a_provider_fills_in_its_address_unless_one_was_typed(
    qtbot, tmp_path: Path
) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.provider = "openai-compatible"
    settings.base_url = "http://127.0.0.1:8080/v1"
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.base_url_edit.text() == "http://127.0.0.1:8080/v1"

    choose(dialog.provider_box, "openrouter")
    assert dialog.base_url_edit.text() == "https://openrouter.ai/api/v1"
    choose(dialog.provider_box, "ollama")
    assert dialog.base_url_edit.text() == "http://127.0.0.1:11434"
    # Back to the saved provider: its saved address.
    choose(dialog.provider_box, "openai-compatible")
    assert dialog.base_url_edit.text() == "http://127.0.0.1:8080/v1"
    choose(dialog.provider_box, "chatgptfree")
    assert dialog.base_url_edit.text() == ""

    # An address the user types stays, whatever is chosen next.
    choose(dialog.provider_box, "openai-compatible")
    dialog.base_url_edit.clear()
    qtbot.keyClicks(dialog.base_url_edit, "http://gpu-box:9000/v1")
    choose(dialog.provider_box, "vllm")
    assert dialog.base_url_edit.text() == "http://gpu-box:9000/v1"
    save(dialog)
    assert (settings.provider, settings.base_url) == ("vllm", "http://gpu-box:9000/v1")

    # Opening again starts afresh: nothing typed yet.
    dialog.load()
    choose(dialog.provider_box, "groq")
    assert dialog.base_url_edit.text() == "https://api.groq.com/openai/v1"


async def test_the_model_is_a_list_from_the_server_and_still_editable(
    qtbot, tmp_path: Path
) -> None:
    probe = FakeProbe()
    probe.answers["openai-compatible"] = ["qwen2.5-7b", "llama-3.2-3b"]
    settings = Settings(tmp_path / "settings.json")
    settings.provider = "openai-compatible"
    settings.model = "my-own-model"
    dialog = probing_dialog(qtbot, settings, probe)
    await probe.settled()

    box = dialog.model_box
    assert box.isEditable()
    assert [box.itemText(i) for i in range(box.count())] == ["qwen2.5-7b", "llama-3.2-3b"]
    # The saved name stays what the field shows until another is picked or typed.
    assert dialog.model_edit.text() == "my-own-model"
    assert not dialog.model_note.isVisibleTo(dialog)
    assert probe.asked[-1].provider_id == "openai-compatible"

    box.setCurrentIndex(1)
    assert dialog.model_edit.text() == "llama-3.2-3b"
    dialog.model_edit.setText("typed-by-hand")
    save(dialog)
    assert settings.model == "typed-by-hand"


async def test_a_list_that_cannot_be_had_says_so_in_a_sentence(qtbot, tmp_path: Path) -> None:
    probe = FakeProbe()
    refused = provider.APIConnectionError("The server at 127.0.0.1:8080 refused the connection.")
    probe.answers["openai-compatible"] = refused
    settings = Settings(tmp_path / "settings.json")
    settings.provider = "openai-compatible"
    dialog = probing_dialog(qtbot, settings, probe)
    await probe.settled()
    assert dialog.model_note.isVisibleTo(dialog)
    assert dialog.model_note.text() == (
        "The server at 127.0.0.1:8080 refused the connection. Type the model's name instead."
    )
    assert dialog.model_box.count() == 0
    assert dialog.model_edit.isEnabled()


async def test_the_answer_for_an_earlier_choice_is_dropped(qtbot, tmp_path: Path) -> None:
    probe = FakeProbe()
    probe.answers["openai-compatible"] = ["old-server-model"]
    probe.answers["openrouter"] = ["openai/gpt-4o-mini", "meta/llama"]
    settings = Settings(tmp_path / "settings.json")
    settings.provider = "openai-compatible"
    dialog = probing_dialog(qtbot, settings, probe)
    # Another provider chosen before the first answer came.
    choose(dialog.provider_box, "openrouter")
    await probe.settled()
    box = dialog.model_box
    assert [box.itemText(i) for i in range(box.count())] == ["openai/gpt-4o-mini", "meta/llama"]
    assert probe.asked[-1].base_url == "https://openrouter.ai/api/v1"


async def test_test_connection_says_what_it_found_with_the_values_shown(
    qtbot, tmp_path: Path
) -> None:
    probe = FakeProbe()
    probe.answers["openrouter"] = [f"model-{n}" for n in range(12)]
    settings = Settings(tmp_path / "settings.json")
    dialog = probing_dialog(qtbot, settings, probe)
    choose(dialog.provider_box, "openrouter")
    await probe.settled()
    assert dialog.test_button.isVisibleTo(dialog)
    dialog.api_key_edit.setText("sk-or-typed")
    dialog.test_button.click()
    assert dialog.test_result.text() == "Connecting…"
    await probe.settled()
    assert dialog.test_result.text() == "Connected: 12 models."
    # The key typed (not saved yet) is the one tried.
    assert probe.asked[-1].api_key == "sk-or-typed"

    refused = provider.AuthenticationError("OpenRouter refused the key.", status_code=401)
    probe.answers["openrouter"] = refused
    dialog.test_button.click()
    await probe.settled()
    assert dialog.test_result.text() == refused.text()
    assert "OpenRouter refused the key." in refused.text()


def test_without_a_probe_there_is_no_test_button(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(tmp_path / "settings.json"))
    qtbot.addWidget(dialog)
    dialog.open()
    choose(dialog.provider_box, "openrouter")
    assert not dialog.test_button.isVisibleTo(dialog)


async def test_the_window_gives_the_dialog_its_probe_and_its_tasks(
    qtbot, wordpress: str, tmp_path: Path
) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.provider = "openai-compatible"
    settings.base_url = f"{wordpress}/nothing-here/v1"
    async with open_window(qtbot, wordpress, settings=settings) as window:
        window.open_settings()
        dialog = window.settings_dialog
        assert dialog is not None
        # The window's own task asks the (fake) site, which has no model list there.
        await until(lambda: dialog.model_note.isVisibleTo(dialog), what="the model note")
        assert dialog.model_note.text().endswith("Type the model's name instead.")
        dialog.reject()
