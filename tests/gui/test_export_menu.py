"""File menu export and import: file dialogs opened with open(), round trip through the store."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from deskchat.gui.main_window import MainWindow
from deskchat.store import Store, database_path
from tests.gui.conftest import until
from tests.gui.history_helpers import (
    open_window,
)

CHATGPT = Path(__file__).resolve().parents[1] / "store" / "data" / "chatgpt_conversations.json"


def seed() -> None:
    with Store(database_path()) as s:
        older = s.create_conversation("Older chat", created_at=1.0)
        s.add_message(older.id, "user", "Old question")
        s.add_message(older.id, "assistant", "Old answer")
        newer = s.create_conversation("Export me")
        s.add_message(newer.id, "user", "What is 2+2?")
        s.add_message(newer.id, "assistant", "It is **4**.")


def titles(window: MainWindow) -> list[str]:
    sidebar = window.sidebar.conversation_list
    return [sidebar.item(i).text() for i in range(sidebar.count())]


def asking(window: MainWindow) -> QFileDialog:
    assert window.transfer is not None
    dialog = window.transfer.dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.isVisible()
    return dialog


async def test_export_the_current_conversation_as_json_and_import_it_elsewhere(
    qtbot, wordpress: str, tmp_path: Path, monkeypatch
) -> None:
    seed()
    target = tmp_path / "one.json"
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: window.message_model.rowCount() == 2, what="the newest chat")
        window.menus.export_json_action.trigger()
        dialog = asking(window)
        assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
        dialog.fileSelected.emit(str(target))
        await until(target.exists, what="the export file")
        await until(lambda: "Exported to" in window.statusBar().currentMessage())
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [c["title"] for c in data["conversations"]] == ["Export me"]

    # A fresh history somewhere else imports it through the menu.
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "elsewhere"))
    async with open_window(qtbot, wordpress) as window:
        assert titles(window) == ["New chat"]
        window.menus.import_action.trigger()
        dialog = asking(window)
        assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptOpen
        dialog.fileSelected.emit(str(target))
        await until(lambda: "Export me" in titles(window), what="the imported chat")
        assert window.statusBar().currentMessage() == "Imported 1 conversation."
        window.sidebar.conversation_list.setCurrentRow(titles(window).index("Export me"))
        await until(lambda: window.message_model.rowCount() == 2, what="the imported messages")
        assert window.message_model.index(1).data() == "It is **4**."


async def test_export_all_as_markdown(qtbot, wordpress: str, tmp_path: Path) -> None:
    seed()
    target = tmp_path / "all.md"
    async with open_window(qtbot, wordpress) as window:
        window.menus.export_all_markdown_action.trigger()
        asking(window).fileSelected.emit(str(target))
        await until(target.exists, what="the export file")
    text = target.read_text(encoding="utf-8")
    assert "# Older chat" in text
    assert "# Export me" in text
    assert "It is **4**." in text


async def test_import_a_chatgpt_export(qtbot, wordpress: str) -> None:
    async with open_window(qtbot, wordpress) as window:
        window.menus.import_action.trigger()
        asking(window).fileSelected.emit(str(CHATGPT))
        await until(lambda: "Packing for Iceland" in titles(window), what="the imported chat")
        assert window.statusBar().currentMessage().startswith("Imported ")


async def test_a_broken_file_is_one_sentence(qtbot, wordpress: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    async with open_window(qtbot, wordpress) as window:
        window.menus.import_action.trigger()
        asking(window).fileSelected.emit(str(broken))
        await until(lambda: window.statusBar().currentMessage(), what="the error")
        message = window.statusBar().currentMessage()
        assert "Traceback" not in message
        assert message.endswith(".")
        assert titles(window) == ["New chat"]


async def test_exporting_an_empty_chat_says_there_is_nothing(qtbot, wordpress: str) -> None:
    async with open_window(qtbot, wordpress) as window:
        window.menus.export_markdown_action.trigger()
        assert window.transfer is not None
        assert window.transfer.dialog is None
        assert "nothing to export" in window.statusBar().currentMessage()
