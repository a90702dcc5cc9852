"""Per-message actions: regenerate and edit keep the old versions, which can be switched."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_model import VersionRole
from deskchat.store import Store, database_path
from tests.fakes.wordpress import FakeWordPress, stream
from tests.gui.conftest import until
from tests.gui.history_helpers import (
    hanging,
    last_prompt,
    open_window,
    send,
    status_of,
    stored_path,
)


def texts(window: MainWindow) -> list[str]:
    model = window.message_model
    return [model.index(i).data() for i in range(model.rowCount())]


def version(window: MainWindow, row: int) -> tuple[int, int]:
    return window.message_model.index(row).data(VersionRole)


def select(window: MainWindow, row: int) -> None:
    window.chat.message_view.setFocus()
    window.chat.message_view.setCurrentIndex(window.message_model.index(row))


async def finished(window: MainWindow) -> None:
    await until(lambda: status_of(window) in ("complete", "error"), what="the reply")
    await until(lambda: not window.session.busy, what="the reply to be saved")


async def test_regenerate_keeps_the_old_answer_and_alt_arrows_switch(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = [stream(["First answer"]), stream(["Second answer"])]
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Question")
        await finished(window)
        assert version(window, 1) == (1, 1)

        select(window, 1)
        assert window.menus.regenerate_action in window.chat.message_actions(
            window.chat.message_view.currentIndex()
        )
        window.menus.regenerate_action.trigger()
        await finished(window)

        assert texts(window) == ["Question", "Second answer"]
        assert version(window, 1) == (2, 2)
        with Store(database_path()) as s:
            answers = s.siblings(stored_path()[1].id)
        assert [m.content for m in answers] == ["First answer", "Second answer"]

        select(window, 1)
        qtbot.keyClick(window.chat.message_view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
        await until(lambda: texts(window) == ["Question", "First answer"], what="version 1")
        assert version(window, 1) == (1, 2)
        assert window.chat.message_view.currentIndex().row() == 1

        qtbot.keyClick(window.chat.message_view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        await until(lambda: texts(window) == ["Question", "Second answer"], what="version 2")
        assert [m.content for m in stored_path()] == ["Question", "Second answer"]


async def test_edit_resends_and_the_old_branch_stays(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = [stream(["About cats"]), stream(["More on cats"]), stream(["About dogs"])]
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Tell me about cats")
        await finished(window)
        await send(qtbot, window, "More please")
        await finished(window)

        select(window, 0)
        window.menus.edit_action.trigger()
        assert window.chat.input_box.toPlainText() == "Tell me about cats"
        assert window.chat.edit_label.isVisibleTo(window)
        window.chat.input_box.clear()
        await send(qtbot, window, "Tell me about dogs")
        await finished(window)

        assert texts(window) == ["Tell me about dogs", "About dogs"]
        assert version(window, 0) == (2, 2)
        assert not window.chat.edit_label.isVisibleTo(window)
        # The provider saw the edited question only, not the old branch.
        assert last_prompt(fake_site) == "Tell me about dogs"

        select(window, 0)
        window.menus.previous_version_action.trigger()
        await until(
            lambda: (
                texts(window) == ["Tell me about cats", "About cats", "More please", "More on cats"]
            ),
            what="the old branch",
        )
        assert version(window, 0) == (1, 2)


async def test_escape_cancels_an_edit(qtbot, wordpress: str, fake_site: FakeWordPress) -> None:
    fake_site.reply = stream(["Answer"])
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Original")
        await finished(window)
        select(window, 0)
        window.menus.edit_action.trigger()
        qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Escape)
        assert not window.chat.edit_label.isVisibleTo(window)
        assert window.chat.input_box.toPlainText() == ""
        assert texts(window) == ["Original", "Answer"]


async def test_delete_message_removes_it_and_what_follows(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = [stream(["One"]), stream(["Two"])]
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "First")
        await finished(window)
        await send(qtbot, window, "Second")
        await finished(window)
        select(window, 2)
        qtbot.keyClick(window.chat.message_view, Qt.Key.Key_Delete)
        box = window.chat.delete_confirmation
        assert box is not None
        assert box.isVisible()
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert len(texts(window)) == 4

        qtbot.keyClick(window.chat.message_view, Qt.Key.Key_Delete)
        box = window.chat.delete_confirmation
        assert box is not None
        box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: texts(window) == ["First", "One"], what="the delete")
        assert [m.content for m in stored_path()] == ["First", "One"]


async def test_copy_puts_the_message_on_the_clipboard(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = stream(["Copy me"])
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Hi")
        await finished(window)
        select(window, 1)
        qtbot.keyClick(window.chat.message_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        assert QGuiApplication.clipboard().text() == "Copy me"


def distinct_colours(window: MainWindow, area: QRect) -> int:
    """How many colours the message view shows inside ``area`` (1: nothing drawn there)."""
    image = window.chat.message_view.viewport().grab().toImage()
    return len(
        {
            image.pixel(x, y)
            for x in range(area.left(), area.right() + 1)
            for y in range(area.top(), area.bottom() + 1)
        }
    )


def arrows(window: MainWindow, row: int) -> tuple[QRect, QRect]:
    index = window.message_model.index(row)
    delegate = window.chat.delegate
    return delegate.hits.version_arrow_rect(index, -1), delegate.hits.version_arrow_rect(index, +1)


async def test_version_arrows_show_only_with_versions_and_clicks_switch(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = [stream(["First answer"]), stream(["Second answer"])]
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Question")
        await finished(window)
        single = window.chat.delegate.layouts.measure(window.message_model.message(1))
        assert single.nav is None
        assert arrows(window, 1) == (QRect(), QRect())
        assert arrows(window, 0) == (QRect(), QRect())

        select(window, 1)
        window.menus.regenerate_action.trigger()
        await finished(window)
        assert version(window, 1) == (2, 2)
        previous, following = arrows(window, 1)
        assert not previous.isEmpty()
        assert not following.isEmpty()
        # The user's message has one version: still no arrows under it.
        assert arrows(window, 0) == (QRect(), QRect())
        measure = window.chat.delegate.layouts.measure(window.message_model.message(1))
        assert measure.nav == (2, 2)
        assert measure.row.height() == single.row.height() + measure.nav_height
        window.chat.message_view.viewport().repaint()
        assert distinct_colours(window, previous.united(following)) > 1

        history = window.session.history
        assert history is not None
        chosen: list[int] = []
        select_version = history.select_version

        async def spy(message_id: int) -> object:
            chosen.append(message_id)
            return await select_version(message_id)

        history.select_version = spy  # type: ignore[method-assign]
        viewport = window.chat.message_view.viewport()
        # The next arrow of the last version does nothing.
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=following.center())
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=previous.center())
        await until(lambda: texts(window) == ["Question", "First answer"], what="version 1")
        assert version(window, 1) == (1, 2)
        assert len(chosen) == 1
        assert [m.content for m in stored_path()] == ["Question", "First answer"]

        previous, following = arrows(window, 1)
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=following.center())
        await until(lambda: texts(window) == ["Question", "Second answer"], what="version 2")
        assert len(chosen) == 2
        assert [m.content for m in stored_path()] == ["Question", "Second answer"]


async def test_version_arrows_do_nothing_while_a_reply_streams(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = [stream(["First answer"]), stream(["Second answer"]), hanging(["Hm"])]
    async with open_window(qtbot, wordpress) as window:
        await send(qtbot, window, "Question")
        await finished(window)
        select(window, 1)
        window.menus.regenerate_action.trigger()
        await finished(window)
        assert window.chat.delegate.versions_enabled

        await send(qtbot, window, "Go on")
        await until(lambda: window.session.busy and texts(window)[-1] == "Hm", what="stream")
        assert not window.chat.delegate.versions_enabled
        previous, _following = arrows(window, 1)
        index = window.message_model.index(1)
        assert window.chat.delegate.hits.hit_test(index, previous.center()) is None
        qtbot.mouseClick(
            window.chat.message_view.viewport(), Qt.MouseButton.LeftButton, pos=previous.center()
        )
        # A switch would have started a history job at once.
        assert not window.session.pending
        await asyncio.sleep(0.2)
        assert texts(window)[:2] == ["Question", "Second answer"]
        assert version(window, 1) == (2, 2)

        window.session.stop()
        await until(lambda: not window.session.busy, what="the stop")
        assert window.chat.delegate.versions_enabled
