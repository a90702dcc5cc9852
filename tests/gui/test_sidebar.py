"""The sidebar over the history: rename, delete with Undo, search that jumps to the message."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

from deskchat.gui.main_window import MainWindow
from deskchat.gui.search_panel import snippet_html
from deskchat.store import Store, database_path
from tests.fakes.wordpress import FakeWordPress, stream
from tests.gui.conftest import until
from tests.gui.history_helpers import (
    open_window,
    send,
)


def seed() -> None:
    """Two stored chats: "Apples" (older) and "Pears" (newer)."""
    with Store(database_path()) as s:
        apples = s.create_conversation("Apples", created_at=1.0)
        s.add_message(apples.id, "user", "Do you like apples?")
        s.add_message(apples.id, "assistant", "Apples are fine.")
        pears = s.create_conversation("Pears")
        s.add_message(pears.id, "user", "Tell me about pears")
        s.add_message(pears.id, "assistant", "Pears grow in orchards.")
        s.add_message(pears.id, "user", "And what else grows there?")
        s.add_message(pears.id, "assistant", "The orchard also has quinces and plums.")


def titles(window: MainWindow) -> list[str]:
    sidebar = window.sidebar.conversation_list
    return [sidebar.item(i).text() for i in range(sidebar.count())]


def stored_titles() -> list[str]:
    with Store(database_path()) as s:
        return [c.title for c in s.list_conversations()]


async def test_the_sidebar_lists_stored_chats_newest_first(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: titles(window) == ["Pears", "Apples"], what="the stored chats")
        await until(lambda: window.message_model.rowCount() == 4, what="the newest chat")
        window.sidebar.conversation_list.setCurrentRow(1)
        await until(lambda: window.message_model.rowCount() == 2, what="the older chat")
        assert window.message_model.index(0).data() == "Do you like apples?"


async def test_f2_renames_inline_and_the_store_keeps_it(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: titles(window) == ["Pears", "Apples"], what="the stored chats")
        sidebar = window.sidebar.conversation_list
        sidebar.setCurrentRow(1)
        sidebar.setFocus()
        window.menus.rename_action.trigger()
        assert sidebar.state() == QAbstractItemView.State.EditingState
        editor = sidebar.indexWidget(sidebar.currentIndex())
        assert isinstance(editor, QLineEdit)
        assert editor.text() == "Apples"
        editor.selectAll()
        qtbot.keyClicks(editor, "Green apples")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        # Qt commits an item editor from a queued call, after this event.
        await until(lambda: titles(window) == ["Pears", "Green apples"], what="the new title")
        await until(lambda: "Green apples" in stored_titles(), what="the stored title")


async def test_delete_moves_to_the_bin_and_undo_brings_it_back(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: titles(window) == ["Pears", "Apples"], what="the stored chats")
        window.sidebar.conversation_list.setCurrentRow(0)
        window.menus.delete_conversation_action.trigger()

        assert titles(window) == ["Apples"]
        assert window.sidebar.undo_button.isVisibleTo(window)
        assert "Pears" in window.statusBar().currentMessage()
        await until(lambda: stored_titles() == ["Apples"], what="the soft delete")
        with Store(database_path()) as s:
            assert [c.title for c in s.deleted_conversations()] == ["Pears"]

        window.sidebar.undo_button.click()

        assert titles(window) == ["Pears", "Apples"]
        assert not window.sidebar.undo_button.isVisibleTo(window)
        await until(lambda: stored_titles() == ["Pears", "Apples"], what="the restore")
        await until(lambda: window.message_model.rowCount() == 4, what="the restored chat")


async def test_search_finds_message_text_and_jumps_to_the_message(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: titles(window) == ["Pears", "Apples"], what="the stored chats")
        window.sidebar.conversation_list.setCurrentRow(1)
        await until(lambda: window.message_model.rowCount() == 2, what="the older chat")

        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert window.sidebar.search_box.hasFocus()
        qtbot.keyClicks(window.sidebar.search_box, "quince")
        results = window.sidebar.search_results
        await until(lambda: results.hits, what="the search results")
        assert results.isVisibleTo(window)
        assert not window.sidebar.conversation_list.isVisibleTo(window)
        assert len(results.hits) == 1
        assert "<b>quinces</b>" in results.snippet_text(0)

        results.itemClicked.emit(results.item(0))

        await until(lambda: window.message_model.rowCount() == 4, what="the hit's chat")
        current = window.chat.message_view.currentIndex()
        assert current.row() == 3
        assert "quinces" in current.data()
        assert window.sidebar.conversation_list.currentItem().text() == "Pears"


async def test_search_finds_titles_and_says_when_nothing_matches(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: titles(window) == ["Pears", "Apples"], what="the stored chats")
        qtbot.keyClicks(window.sidebar.search_box, "zebra")
        await until(
            lambda: (
                window.sidebar.search_results.count() == 1
                and window.sidebar.search_results.item(0).text() == "No matches"
            ),
            what="no matches",
        )
        window.sidebar.search_box.clear()
        assert window.sidebar.conversation_list.isVisibleTo(window)
        assert not window.sidebar.search_results.isVisibleTo(window)


def test_snippets_are_escaped_and_matches_bold() -> None:
    assert snippet_html("a <i>\x02x\x03</i> & b") == "a &lt;i&gt;<b>x</b>&lt;/i&gt; &amp; b"


async def test_a_chat_renamed_before_its_first_message_keeps_the_name(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = stream(["ok"])
    async with open_window(qtbot, wordpress) as window:
        item = window.sidebar.conversation_list.item(0)
        item.setText("My plans")
        await send(qtbot, window, "First message")
        await until(lambda: not window.session.busy and window.message_model.rowCount() == 2)
        assert titles(window) == ["My plans"]
        await until(lambda: stored_titles() == ["My plans"], what="the stored title")


async def test_a_search_that_breaks_says_so_in_the_status_bar(
    qtbot, wordpress: str, monkeypatch
) -> None:
    async with open_window(qtbot, wordpress) as window:

        async def broken(_text: str) -> list[object]:
            raise RuntimeError("index broken")

        monkeypatch.setattr(window.session, "search", broken)
        qtbot.keyClicks(window.sidebar.search_box, "quince")
        await until(lambda: "internal error" in window.statusBar().currentMessage())
        assert window.statusBar().currentMessage() == (
            "DeskChat hit an internal error (RuntimeError: index broken)"
            " and could not finish a background job."
        )
