"""Per-message actions: regenerate and edit keep the old versions, which can be switched."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_model import FooterRole, VersionRole
from deskchat.store import Store, database_path
from tests.fakes.wordpress import FakeWordPress, Script, stream
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


def seed_long_chat(pairs: int, versions_at: int) -> None:
    """A stored chat of ``pairs`` questions and answers; answer ``versions_at`` has two
    versions, a short and a long one (selected), each with the rest of the chat under it."""
    with Store(database_path()) as s:
        conversation = s.create_conversation()
        chain: list[tuple[str, str]] = []
        for n in range(pairs):
            chain += [("user", f"Question {n}"), ("assistant", f"Answer {n}\n\n" + "text " * 80)]
        ids = s.add_messages_bulk(conversation.id, chain[: 2 * versions_at + 1])
        rest = chain[2 * versions_at + 2 :]
        for answer in ("Short answer", "Long answer\n\n" + "more " * 400):
            s.add_message(conversation.id, "assistant", answer, parent_id=ids[-1])
            s.add_messages_bulk(conversation.id, rest)


async def settle(window: MainWindow) -> None:
    """Let the view finish laying out (it does so in batches, on timers)."""
    for _ in range(20):
        await asyncio.sleep(0.02)
        window.chat.message_view.executeDelayedItemsLayout()


async def test_switching_versions_keeps_the_view_where_it_is(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    # 240 pairs: more rows than the view lays out in one batch.
    seed_long_chat(240, versions_at=200)
    async with open_window(qtbot, wordpress) as window:
        model = window.message_model
        await until(
            lambda: len(model.conversation.messages) == 480 and not model.conversation.earlier,
            what="the long chat",
        )
        # Every message a row (a long chat shows its last ones first, the rest on scrolling up).
        model.show_earlier(model.earlier)
        assert model.rowCount() == 480
        view = window.chat.message_view
        row = 2 * 200 + 1
        assert version(window, row) == (2, 2)
        await settle(window)
        view.scrollTo(window.message_model.index(row))
        await settle(window)
        # Scrolled up from the bottom, reading the reply that has versions.
        assert not view.stick_to_bottom
        select(window, row)
        index = window.message_model.index(row)
        top = view.visualRect(index).top()
        assert view.verticalScrollBar().value() > 0

        qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
        await until(lambda: texts(window)[row] == "Short answer", what="version 1")
        await settle(window)
        # The row switched stays where it was on screen, and so does what is above it.
        assert view.visualRect(index).top() == top
        assert view.currentIndex().row() == row
        assert texts(window)[row + 1] == "Question 201"
        before = view.verticalScrollBar().value()

        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        await until(lambda: texts(window)[row].startswith("Long answer"), what="version 2")
        await settle(window)
        assert view.visualRect(index).top() == top
        assert view.verticalScrollBar().value() == before


async def test_switching_the_last_reply_at_the_bottom_does_not_move_the_view(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    seed_long_chat(6, versions_at=5)
    async with open_window(qtbot, wordpress) as window:
        await until(lambda: window.message_model.rowCount() == 12, what="the chat")
        view = window.chat.message_view
        await settle(window)
        view.scrollTo(window.message_model.index(11))
        await settle(window)
        before = view.verticalScrollBar().value()
        select(window, 11)
        qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
        await until(lambda: texts(window)[11] == "Short answer", what="version 1")
        await settle(window)
        # The short version makes the chat shorter: only the range can pull the view up.
        bar = view.verticalScrollBar()
        assert bar.value() == min(before, bar.maximum())
        before = bar.value()
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        await until(lambda: texts(window)[11].startswith("Long answer"), what="version 2")
        await settle(window)
        # The long one comes back below: the view is not pulled down to follow it.
        assert bar.value() == before
        assert bar.maximum() > before


async def test_one_retry_control_and_the_failure_gives_way_to_the_answer(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    fake_site.reply = [stream(["Fine"]), Script(status=500, chunks=[b"down"]), stream(["Back"])]
    async with open_window(qtbot, wordpress) as window:
        window.session.retry_attempts = 1
        await send(qtbot, window, "One")
        await finished(window)
        await send(qtbot, window, "Two")
        await until(lambda: status_of(window) == "error", what="the error")
        await until(lambda: not window.session.busy)
        chat, menus = window.chat, window.menus
        # The failed reply's menu offers Retry once, in place of Regenerate; the good
        # reply above it offers Regenerate only; the footer names no second control.
        failed = chat.message_actions(window.message_model.index(3))
        assert menus.retry_action in failed
        assert menus.regenerate_action not in failed
        earlier = chat.message_actions(window.message_model.index(1))
        assert menus.retry_action not in earlier
        assert menus.regenerate_action in earlier
        assert "Retry" not in window.message_model.index(3).data(FooterRole)
        assert chat.retry_button.isVisibleTo(window)

        chat.retry_button.click()
        await until(lambda: status_of(window) == "complete", what="the retried reply")
        await until(lambda: not window.session.busy)
        assert texts(window) == ["One", "Fine", "Two", "Back"]
        assert version(window, 3) == (1, 1)
        assert [m.content for m in stored_path()] == ["One", "Fine", "Two", "Back"]
        with Store(database_path()) as s:
            assert [m.status for m in s.siblings(stored_path()[3].id)] == ["complete"]
        assert not chat.retry_button.isVisibleTo(window)
