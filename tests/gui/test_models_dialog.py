"""The Models dialog and downloads: progress that outlives the dialog, Cancel, failures as
sentences, the models on disk (add, remove, use), and a download started from the panel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from deskchat import library
from deskchat.gui.main_window import MainWindow
from deskchat.gui.models_dialog import ModelsDialog
from deskchat.provider.local import LocalProvider
from tests.fakes.hf_hub import make_gguf
from tests.gui.conftest import until
from tests.gui.setup_helpers import (
    MB,
    TINY,
    choice,
    fake_hub,
    put_model,
    setup_window,
    tmp_locations,
)

SPEC = TINY.spec


def open_models(window: MainWindow) -> ModelsDialog:
    assert window.menus.models_action.isEnabled()
    window.menus.models_action.trigger()
    assert window.setup is not None
    dialog = window.setup.models_dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def cells(tree) -> list[list[str]]:
    return [
        [tree.topLevelItem(i).text(c) for c in range(tree.columnCount())]
        for i in range(tree.topLevelItemCount())
    ]


async def test_a_download_shows_progress_outlives_the_dialog_and_cancels(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locations = tmp_locations(tmp_path)
    async with (
        fake_hub(monkeypatch, tmp_path, slow=0.02, size=4 * MB),
        setup_window(qtbot, tmp_path, locations=locations) as window,
    ):
        dialog = open_models(window)
        # The recommended model first, and the one that will not fit marked.
        assert cells(dialog.catalogue) == [
            ["Tiny Chat", "1.00 MB", library.format_size(TINY.ram_needed()), "recommended"],
            ["Huge Chat", "100 GB", "101 GB", "will not fit (8.00 GB free)"],
        ]
        assert dialog.catalogue.currentItem() is dialog.catalogue.topLevelItem(0)
        # Enter on the chosen model downloads it (and leaves the dialog open).
        qtbot.keyClick(dialog.catalogue, Qt.Key.Key_Return)
        assert dialog.isVisible()
        row = dialog.rows[SPEC]
        assert row.isVisible()
        await until(lambda: "left" in row.line.text(), what="the speed and the time left")
        line = row.line.text()
        assert line.startswith("Tiny-Q4_K_M.gguf")
        assert "%" in line
        assert "of 4.00 MB" in line
        assert "/s" in line
        assert 0 < row.bar.value() < 1000

        # Closed, the dialog's download goes on; opened again, it is still shown.
        dialog.reject()
        assert not dialog.isVisible()
        download = window.setup.downloads.get(SPEC)
        assert download is not None
        assert download.progress is not None
        before = download.progress.done
        await until(lambda: download.progress.done > before, what="more bytes")
        assert open_models(window) is dialog
        assert dialog.rows[SPEC].isVisible()

        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
        await until(lambda: SPEC not in dialog.rows, what="the row to go")
        assert "cancelled" in dialog.status.text()
        assert not download.running
        # What arrived is kept for the next attempt, never as a complete-looking file.
        folder = locations.models_dir / "fake" / "Tiny-GGUF"
        assert (folder / "Tiny-Q4_K_M.gguf.incomplete").stat().st_size > 0
        assert not (folder / "Tiny-Q4_K_M.gguf").exists()


async def test_a_failed_download_says_the_librarys_sentence(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fake_hub(monkeypatch, tmp_path), setup_window(qtbot, tmp_path) as window:
        dialog = open_models(window)
        qtbot.keyClicks(dialog.repo_edit, "fake/Missing-GGUF")
        qtbot.keyClick(dialog.repo_edit, Qt.Key.Key_Return)
        row = dialog.rows["fake/Missing-GGUF"]
        await until(lambda: row.cancel_button.text() == "Dismiss", what="the failure")
        assert row.line.text().startswith("fake/Missing-GGUF was not found on http://127.0.0.1:")
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
        assert "fake/Missing-GGUF" not in dialog.rows
        # Not OWNER/REPO at all: said before anything is asked.
        dialog.repo_edit.setText("no slash here")
        qtbot.mouseClick(dialog.repo_button, Qt.MouseButton.LeftButton)
        assert dialog.rows == {}
        assert dialog.status.text()


async def test_the_models_on_disk_add_remove_and_use(qtbot, tmp_path: Path) -> None:
    locations = tmp_locations(tmp_path)
    downloaded = put_model(locations)
    elsewhere = tmp_path / "elsewhere" / "mine.gguf"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(make_gguf(name="Mine", file_type=7, size=30_000))
    async with setup_window(qtbot, tmp_path, locations=locations) as window:
        dialog = open_models(window)
        await until(lambda: dialog.local_list.topLevelItemCount() == 1, what="the models")
        assert cells(dialog.local_list) == [
            ["fake/Tiny-GGUF:Q4_K_M", "20.0 kB", "Q4_K_M", "DeskChat"]
        ]
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        assert dialog.file_dialog is not None
        assert dialog.file_dialog.isVisible()
        dialog.file_dialog.fileSelected.emit(str(elsewhere))
        await until(lambda: dialog.local_list.topLevelItemCount() == 2, what="the added model")
        assert cells(dialog.local_list)[1] == ["mine", "30.0 kB", "Q8_0", "added by you"]

        # Only DeskChat's own downloads can be removed.
        dialog.local_list.setCurrentItem(dialog.local_list.topLevelItem(1))
        assert not dialog.remove_button.isEnabled()
        assert dialog.use_button.isEnabled()
        dialog.local_list.setCurrentItem(dialog.local_list.topLevelItem(0))
        assert dialog.remove_button.isEnabled()
        qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
        assert dialog.removal is not None
        dialog.removal.accept()
        await until(lambda: dialog.local_list.topLevelItemCount() == 1, what="the removal")
        assert not downloaded.exists()
        assert elsewhere.exists()
        assert "Removed fake/Tiny-GGUF:Q4_K_M" in dialog.status.text()

        # Use: the built-in engine answers with that file, and the setup panel goes.
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
        assert isinstance(window.session.chat_provider, LocalProvider)
        assert window.session.chat_provider.default_model == str(elsewhere)
        assert window.setup.panel is None
        assert window.chat.source_label.text() == "Built-in engine · Mine Q8_0"
        saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
        assert (saved["provider"], saved["model"]) == ("local", str(elsewhere))


async def test_a_download_from_the_panel_is_used_when_it_is_done(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locations = tmp_locations(tmp_path)
    async with (
        fake_hub(monkeypatch, tmp_path, slow=0.01, size=MB),
        setup_window(qtbot, tmp_path, locations=locations) as window,
    ):
        assert window.setup is not None
        await until(lambda: window.setup.panel is not None, what="the setup panel")
        panel = window.setup.panel
        qtbot.mouseClick(choice(window, "Download Tiny Chat"), Qt.MouseButton.LeftButton)
        assert panel.progress_box.isVisible()
        await until(lambda: "%" in panel.progress_line.text(), what="the progress")
        await until(lambda: window.ready, seconds=20, what="the downloaded model in use")
        path = locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf"
        assert path.stat().st_size == MB
        assert isinstance(window.session.chat_provider, LocalProvider)
        assert window.session.chat_provider.default_model == str(path)
        assert window.setup.panel is None
        saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
        assert (saved["provider"], saved["setup_choice"]) == ("local", "download")


async def test_cancel_in_the_panel_keeps_the_panel(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        fake_hub(monkeypatch, tmp_path, slow=0.05, size=4 * MB),
        setup_window(qtbot, tmp_path) as window,
    ):
        assert window.setup is not None
        await until(lambda: window.setup.panel is not None, what="the setup panel")
        panel = window.setup.panel
        qtbot.mouseClick(choice(window, "Download Tiny Chat"), Qt.MouseButton.LeftButton)
        await until(lambda: "%" in panel.progress_line.text(), what="the progress")
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        await until(lambda: "cancelled" in panel.progress_line.text(), what="the cancel")
        assert not panel.cancel_button.isVisible()
        assert window.setup.panel is panel
        assert not window.ready
