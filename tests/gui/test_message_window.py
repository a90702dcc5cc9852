"""Far jumps in a long chat (#11): the rows are a window over the conversation.

Home and a far search hit move the rows there with the rest hidden; scrolling down
brings the messages below in order; End, and sending, bring the rows back to the end.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from deskchat.chat.conversation import ChatMessage, Conversation
from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_later import KEPT, PAGE
from deskchat.gui.message_model import FIRST_ROWS, NEAR, MessageModel
from tests.fakes.wordpress import FakeWordPress
from tests.gui.conftest import until
from tests.gui.history_helpers import open_window, send, status_of
from tests.gui.test_long_chats import COUNT, first_line, read_whole, seed


def rows_are_the_window(model: MessageModel) -> None:
    """The rows are the conversation's messages from ``earlier`` on, ``later`` left below."""
    messages = model.conversation.messages
    assert model.earlier + model.rowCount() + model.later == len(messages)
    shown = [model.message(row) for row in range(model.rowCount())]
    assert all(a is b for a, b in zip(shown, messages[model.earlier :], strict=False))


async def home(qtbot, window: MainWindow) -> None:
    view = window.chat.message_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)


def top_row(window: MainWindow) -> int:
    view = window.chat.message_view
    return view.indexAt(QPoint(view.viewport().width() // 2, 1)).row()


async def test_home_shows_the_first_message_with_few_rows(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        await home(qtbot, window)
        assert (model.earlier, model.rowCount(), model.later) == (0, FIRST_ROWS, COUNT - FIRST_ROWS)
        rows_are_the_window(model)
        assert view.currentIndex().row() == 0
        await until(lambda: top_row(window) == 0, what="the first message on top")
        assert first_line(window, 0) == "message 0"
        # The bottom of these rows is not the end: the view does not follow it.
        assert not view.stick_to_bottom
        assert view.jump_button.isVisibleTo(view)


async def test_scrolling_down_from_home_brings_every_later_message_in_order(
    qtbot, wordpress: str
) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        bar = view.verticalScrollBar()
        await home(qtbot, window)
        await until(lambda: top_row(window) == 0, what="the first message on top")
        seen: list[str] = [first_line(window, row) for row in range(model.rowCount())]
        pages = 0
        while model.later:
            later, earlier = model.later, model.earlier
            bar.setValue(bar.maximum())
            top = view.indexAt(QPoint(view.viewport().width() // 2, 0))
            on_top, y = model.message(top.row()), view.visualRect(top).top()
            await until(lambda later=later: model.later < later, what="a page")  # type: ignore[misc]
            assert model.later == max(0, later - PAGE)
            assert model.rowCount() <= KEPT
            rows_are_the_window(model)
            # The message on top stays where it was: scrolling down goes on from there.
            row = model.row_of(on_top)
            assert row is not None
            assert view.visualRect(model.index(row)).top() == y
            # What joined comes right after what was shown: no gap, no message twice.
            joined = later - model.later
            end = model.rowCount()
            seen += [first_line(window, r) for r in range(end - joined, end)]
            assert model.earlier >= earlier
            pages += 1
        assert pages == -(-(COUNT - FIRST_ROWS) // PAGE)
        assert seen == [f"message {i}" for i in range(COUNT)]
        assert first_line(window, model.rowCount() - 1) == f"message {COUNT - 1}"
        # At the true end the view follows it again.
        bar.setValue(bar.maximum())
        await until(lambda: view.stick_to_bottom, what="the view at the end")


async def test_end_after_home_goes_back_to_the_last_message(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        await home(qtbot, window)
        await until(lambda: top_row(window) == 0, what="the first message on top")
        qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        assert model.later == 0
        assert model.rowCount() <= KEPT
        rows_are_the_window(model)
        last = model.rowCount() - 1
        assert view.currentIndex().row() == last
        assert first_line(window, last) == f"message {COUNT - 1}"
        await until(
            lambda: (
                view.visualRect(model.index(last)).bottom() < view.viewport().height()
                and view.visualRect(model.index(last)).intersects(view.viewport().rect())
            ),
            what="the last message in view",
        )
        assert view.stick_to_bottom


async def test_sending_after_home_shows_the_reply_at_the_end(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    seed(300)
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window, 300)
        model, view = window.message_model, window.chat.message_view
        await home(qtbot, window)
        assert model.later
        await send(qtbot, window, "One more")
        await until(lambda: status_of(window) == "complete", what="the reply")
        assert len(model.conversation.messages) == 302
        assert model.later == 0
        rows_are_the_window(model)
        question = model.rowCount() - 2
        assert first_line(window, question) == "One more"
        assert model.conversation_row(question) == 300
        reply = model.index(model.rowCount() - 1)
        await until(
            lambda: view.visualRect(reply).intersects(view.viewport().rect()),
            what="the reply in view",
        )
        assert view.stick_to_bottom
        assert "message 0" in str(fake_site.posts[-1]["form"])


async def test_a_search_hit_in_the_first_messages_moves_the_rows_there(
    qtbot, wordpress: str
) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        window.sidebar.search_box.insert('"message 4"')
        results = window.sidebar.search_results
        await until(lambda: results.hits, what="the search results")
        (hit,) = [h for h in results.hits if h.message_id is not None]
        results.itemClicked.emit(results.item(results.hits.index(hit)))
        view, model = window.chat.message_view, window.message_model
        await until(lambda: view.currentIndex().isValid(), what="the hit's message")
        # Not every message down to it: only the rows around it.
        assert model.rowCount() <= FIRST_ROWS + PAGE
        assert model.later > 0
        rows_are_the_window(model)
        index = view.currentIndex()
        assert model.message(index.row()).store_id == hit.message_id
        assert model.conversation_row(index.row()) == 4
        await until(
            lambda: view.visualRect(view.currentIndex()).intersects(view.viewport().rect()),
            what="the hit in view",
        )
        # Its context menu still acts on it.
        assert window.chat.message_actions(index)


def conversation_of(count: int) -> Conversation:
    return Conversation(messages=[ChatMessage("user", text=f"m{i}") for i in range(count)])


def test_a_far_row_moves_the_window_and_a_near_one_joins(qtbot) -> None:
    model = MessageModel()
    count = 1000
    model.set_conversation(conversation_of(count))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    # A message far above: the window moves to it (one reset, few rows).
    assert model.view_row(10) == FIRST_ROWS // 2
    assert (model.earlier, model.rowCount(), resets) == (0, FIRST_ROWS, [True])
    assert model.later == count - FIRST_ROWS
    rows_are_the_window(model)
    # A message just below the rows joins with those between, no reset.
    below = FIRST_ROWS + 5
    assert model.view_row(below) == below
    assert (model.rowCount(), len(resets)) == (below + 1, 1)
    # Far below: the window moves again.
    far = FIRST_ROWS + NEAR + 200
    assert model.message(model.view_row(far)).text == f"m{far}"
    assert len(resets) == 2
    rows_are_the_window(model)
    # Rows go from either end, and come back.
    model.show_from(0, 50)
    assert (model.hide_earlier(10), model.hide_later(10)) == (10, 10)
    assert (model.earlier, model.rowCount(), model.later) == (10, 30, count - 40)
    assert (model.show_earlier(100), model.show_later(5)) == (10, 5)
    rows_are_the_window(model)


def test_a_new_message_after_a_far_jump_goes_at_the_end_of_the_rows(qtbot) -> None:
    model = MessageModel()
    conversation = conversation_of(500)
    model.set_conversation(conversation)
    model.show_from(0)
    assert model.append(ChatMessage("user", text="new")) == 500
    assert model.later == 0
    assert model.message(model.rowCount() - 1).text == "new"
    rows_are_the_window(model)


def test_cutting_and_replacing_after_a_far_jump_keep_the_window(qtbot) -> None:
    model = MessageModel()
    conversation = conversation_of(500)
    model.set_conversation(conversation)
    model.show_from(100)
    # Cut below the rows: only the hidden messages go.
    model.truncate(400)
    assert (model.earlier, model.rowCount(), model.later) == (100, FIRST_ROWS, 280)
    rows_are_the_window(model)
    # Another branch from a row on show: the rows stay as many, the rest below them.
    replaced: list[int] = []
    model.rows_replaced.connect(replaced.append)
    branch = [ChatMessage("user", text=f"b{i}") for i in range(50)]
    model.replace(105, branch)
    assert replaced == [5]
    assert (model.rowCount(), model.later) == (FIRST_ROWS, 50 - (FIRST_ROWS - 5))
    assert model.message(5).text == "b0"
    assert conversation.messages[-1].text == "b49"
    rows_are_the_window(model)
    # A shorter branch: the rows after it go, nothing is left below.
    model.replace(110, [ChatMessage("user", text="short")])
    assert (model.rowCount(), model.later) == (11, 0)
    rows_are_the_window(model)
    # Cut inside the rows: the rest goes, hidden or not.
    model.show_from(0)
    model.truncate(10)
    assert (model.earlier, model.rowCount(), model.later) == (0, 10, 0)
    assert len(conversation.messages) == 10
