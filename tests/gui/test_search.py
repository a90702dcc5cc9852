"""Searching from the sidebar: word forms, the match marked where the hit opens, Esc (#13)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from deskchat.gui.found_words import FoundWords
from deskchat.gui.main_window import MainWindow
from deskchat.store import Store, database_path
from tests.gui.conftest import until
from tests.gui.history_helpers import open_window

FILLER = "\n\n".join(f"Абзац {i}: текст, который ничего не ищет." for i in range(60))


def seed() -> None:
    """ "Базы" (older, with a long reply whose match is near its end) and "Fruit" (newer)."""
    with Store(database_path()) as s:
        bases = s.create_conversation("Базы", created_at=1.0)
        s.add_message(bases.id, "user", "Расскажи про базы данных")
        s.add_message(bases.id, "assistant", FILLER + "\n\nНастройте **репликацию** заранее.")
        fruit = s.create_conversation("Fruit")
        s.add_message(fruit.id, "user", "Tell me about quinces")
        s.add_message(fruit.id, "assistant", "Quinces are fine.")


def highlighted(window: MainWindow) -> bool:
    """Whether the message view shows the find highlight's colour somewhere."""
    image = window.chat.message_view.viewport().grab().toImage()
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    return b"\xff\xd6\x0a" in bytes(image.constBits())


async def test_a_russian_hit_opens_with_its_word_marked_in_view(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        view = window.chat.message_view
        await until(lambda: window.sidebar.conversation_list.count() == 2, what="the chats")
        assert not highlighted(window)
        # QTest types only Latin-1: the Russian query is put in as an input method would.
        window.sidebar.search_box.insert("репликация")
        results = window.sidebar.search_results
        await until(lambda: results.hits, what="the search results")
        assert [h.message_id for h in results.hits] == [2]
        assert "<b>репликацию</b>" in results.snippet_text(0)
        assert "**" not in results.snippet_text(0)

        results.itemClicked.emit(results.item(0))

        await until(lambda: view.currentIndex().row() == 1, what="the hit's message")
        found = view.delegate.found
        assert isinstance(found, FoundWords)
        assert found.words == ("репликацию",)
        # The reply is taller than the view: its end, where the word is, is what shows.
        index = view.currentIndex()
        assert view.visualRect(index).height() > 2 * view.viewport().height()
        measure, origin = view.delegate.hits.origin(view.visualRect(index), found.message)
        top = found.first_top(measure)
        assert top is not None
        assert 0 < origin.y() + top < view.viewport().height()
        await until(lambda: highlighted(window), what="the word marked on screen")


async def test_a_hit_in_another_chat_moves_the_mark(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        view = window.chat.message_view
        await until(lambda: window.sidebar.conversation_list.count() == 2, what="the chats")
        qtbot.keyClicks(window.sidebar.search_box, "quince")
        results = window.sidebar.search_results
        await until(lambda: len(results.hits) == 2, what="the search results")
        results.itemClicked.emit(results.item(1))  # the question, the older of the two
        await until(lambda: view.currentIndex().row() == 0, what="the question")
        assert view.delegate.found is not None
        assert view.delegate.found.words == ("quinces",)
        assert view.delegate.found.message is view.currentIndex().data(view.model().MessageRole)
        await until(lambda: highlighted(window), what="the word marked on screen")


async def test_esc_in_the_search_box_clears_the_search(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        sidebar = window.sidebar
        await until(lambda: sidebar.conversation_list.count() == 2, what="the chats")
        qtbot.keyClicks(sidebar.search_box, "quince")
        await until(lambda: sidebar.search_results.hits, what="the search results")
        assert not sidebar.conversation_list.isVisibleTo(window)

        qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)

        assert sidebar.search_box.text() == ""
        assert sidebar.conversation_list.isVisibleTo(window)
        assert not sidebar.search_results.isVisibleTo(window)
        # Empty, the box lets Esc go on to the window (Stop), and nothing else changes.
        qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)
        assert sidebar.search_box.text() == ""
        assert sidebar.conversation_list.count() == 2


async def test_a_hit_in_an_older_version_shows_that_version(qtbot, wordpress: str) -> None:
    # The first question was edited: its old version and the old reply are a branch
    # that is not shown. Opening a hit there shows that branch, at the hit.
    with Store(database_path()) as s:
        chat = s.create_conversation("Fruit")
        old = s.add_message(chat.id, "user", "Tell me about quinces")
        s.add_message(chat.id, "assistant", "Quinces are fine.")
        new = s.edit_user_message(old.id, "Tell me about pears")
        s.add_message(chat.id, "assistant", "Pears are sweet.", parent_id=new.id)
    async with open_window(qtbot, wordpress) as window:
        view = window.chat.message_view
        await until(lambda: view.model().rowCount() == 2, what="the chat")
        shown = [view.model().message(r).content for r in range(2)]
        assert shown == ["Tell me about pears", "Pears are sweet."]
        qtbot.keyClicks(window.sidebar.search_box, "quince")
        results = window.sidebar.search_results
        await until(lambda: len(results.hits) == 2, what="the search results")
        results.itemClicked.emit(results.item(0))  # the reply, the newer of the two
        await until(
            lambda: view.model().message(1).content == "Quinces are fine.",
            what="the old branch",
        )
        assert view.model().message(0).content == "Tell me about quinces"
        await until(lambda: view.currentIndex().row() == 1, what="the hit's message")
