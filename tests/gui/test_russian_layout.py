"""The window in Russian at its default size: every label and button is wide enough for
its text (Russian runs about 30 % longer than English), nothing is elided or cut off."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QWidget,
)

from deskchat.gui.settings_dialog import SettingsDialog
from deskchat.i18n import _
from deskchat.store import Settings
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.scripted import serving
from tests.gui.conftest import until
from tests.gui.setup_helpers import ollama_probe, put_model, setup_window, tmp_locations

pytestmark = pytest.mark.gui


def _cut_off(root: QWidget) -> list[str]:
    """The visible labels, buttons and lists in ``root`` narrower than their own text needs."""
    QApplication.processEvents()
    short: list[str] = []
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if not widget.isVisibleTo(root) or widget.width() <= 0:
            continue
        if isinstance(widget, QLabel):
            if widget.wordWrap() or not widget.text() or widget.pixmap() is not None:
                # A wrapping label needs only the height its width gives it.
                if widget.wordWrap() and widget.text():
                    needed = widget.heightForWidth(widget.width())
                    if needed > widget.height() + 1:
                        short.append(
                            f"label {widget.text()!r}: {widget.height()} < {needed} px high"
                        )
                continue
            text = widget.text()
        elif isinstance(widget, QAbstractButton):
            text = widget.text()
            if not text:
                continue
        elif isinstance(widget, QComboBox):
            text = widget.currentText()
            if not text:
                continue
        else:
            continue
        needed = widget.minimumSizeHint().width()
        if widget.width() + 1 < needed:
            short.append(f"{type(widget).__name__} {text!r}: {widget.width()} < {needed} px")
    return short


def _texts(root: QWidget) -> str:
    found = [*root.findChildren(QLabel), *root.findChildren(QAbstractButton)]
    return " ".join(w.text() for w in found if w.isVisibleTo(root))


async def test_the_main_window_in_russian_fits(russian: None, window) -> None:
    window.show()
    assert window.chat.send_button.text() == "Отправить"
    assert _cut_off(window) == []


def test_the_settings_dialog_in_russian_fits(russian: None, qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(tmp_path / "settings.json"))
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    assert dialog.windowTitle() == "Настройки DeskChat"
    assert "Язык:" in _texts(dialog)
    assert _cut_off(dialog) == []
    dialog.reject()


async def test_the_setup_panel_in_russian_fits(russian: None, qtbot, tmp_path: Path) -> None:
    locations = tmp_locations(tmp_path)
    put_model(locations)
    async with (
        serving(FakeOllama().app) as url,
        setup_window(qtbot, tmp_path, probes=ollama_probe(url), locations=locations) as window,
    ):
        await until(
            lambda: window.setup is not None and window.setup.panel is not None,
            what="the setup panel",
        )
        panel = window.setup.panel
        assert _("Set up DeskChat") == "Настройка DeskChat"
        assert "Настройка DeskChat" in _texts(panel)
        assert _cut_off(window) == []


def test_the_check_finds_a_cut_off_button(russian: None, qtbot) -> None:
    from PySide6.QtWidgets import QPushButton

    button = QPushButton(
        _("Delete this message and everything after it on this branch? This cannot be undone.")
    )
    qtbot.addWidget(button)
    button.setFixedWidth(60)
    button.show()
    assert _cut_off(button) != []


def test_qt_own_words_are_russian_and_english_again(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from deskchat.gui import translation

    monkeypatch.delenv("DESKCHAT_LANGUAGE")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    app = QApplication.instance()
    try:
        assert translation.install(app, "ru") == "ru"
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(box)
        assert (
            box.button(QDialogButtonBox.StandardButton.Cancel).text().replace("&", "") == "Отмена"
        )
        assert _("Send") == "Отправить"
    finally:
        assert translation.install(app, "en") == "en"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text().replace("&", "") == "Cancel"


def test_the_settings_dialog_saves_the_language(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    settings = Settings(tmp_path / "settings.json")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.load()
    box = dialog.language_box
    assert box.currentData() == ""  # follows the system by default
    assert [box.itemText(i) for i in range(1, box.count())] == ["English", "Русский"]
    box.setCurrentIndex(box.findData("ru"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert Settings.load(tmp_path / "settings.json").language == "ru"
