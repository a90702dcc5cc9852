"""A long stored chat opens with its last messages as rows; scrolling up brings the rest (#11)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from deskchat.chat.conversation import ChatMessage, Conversation
from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_earlier import PAGE
from deskchat.gui.message_later import KEPT
from deskchat.gui.message_model import FIRST_ROWS, MessageModel
from deskchat.store import Store, database_path
from tests.fakes.wordpress import FakeWordPress
from tests.gui.conftest import until
from tests.gui.history_helpers import open_window, send, status_of

COUNT = 600


def seed(count: int = COUNT) -> None:
    with Store(database_path()) as s:
        conversation = s.create_conversation("Long")
        s.add_messages_bulk(
            conversation.id,
            [
                ("user" if i % 2 == 0 else "assistant", f"message {i}\n\n" + "word " * (i % 7 * 9))
                for i in range(count)
            ],
        )


def first_line(window: MainWindow, row: int) -> str:
    return str(window.message_model.index(row).data()).split("\n", 1)[0]


async def read_whole(window: MainWindow, count: int = COUNT) -> None:
    model = window.message_model
    await until(
        lambda: len(model.conversation.messages) == count and not model.conversation.earlier,
        what="the whole chat",
    )


async def test_the_chat_opens_at_its_end_with_only_its_last_messages_as_rows(
    qtbot, wordpress: str
) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        assert model.rowCount() == FIRST_ROWS
        assert model.earlier == COUNT - FIRST_ROWS
        assert first_line(window, FIRST_ROWS - 1) == f"message {COUNT - 1}"
        bottom = view.indexAt(QPoint(view.viewport().width() // 2, view.viewport().height() - 2))
        assert bottom.row() == FIRST_ROWS - 1
        assert view.stick_to_bottom


async def test_scrolling_to_the_top_brings_every_message_in_order(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        bar = view.verticalScrollBar()
        steps = 0
        while model.earlier:
            before, earlier = model.rowCount(), model.earlier
            first = model.message(0)
            bar.setValue(bar.minimum())
            assert view.visualRect(model.index(0)).top() == 0
            await until(lambda earlier=earlier: model.earlier < earlier, what="a page")  # type: ignore[misc]
            # The rows stay few: past KEPT, those farthest below go as a page joins.
            assert model.rowCount() == min(KEPT, before + PAGE)
            assert model.earlier == max(0, earlier - PAGE)
            assert model.earlier + model.rowCount() + model.later == COUNT
            # The message that was on top stays where it was: scrolling up goes on from there.
            row = model.row_of(first)
            assert row == earlier - model.earlier
            assert view.visualRect(model.index(row)).top() == 0
            assert bar.value() > bar.minimum()
            steps += 1
        assert steps == -(-(COUNT - FIRST_ROWS) // PAGE)
        assert (model.rowCount(), model.later) == (KEPT, COUNT - KEPT)
        assert [first_line(window, r) for r in range(KEPT)] == [f"message {i}" for i in range(KEPT)]
        bar.setValue(bar.minimum())
        await until(
            lambda: view.indexAt(QPoint(view.viewport().width() // 2, 1)).row() == 0,
            what="the first message on top",
        )


async def test_a_search_hit_in_an_old_message_opens_at_the_match(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        window.sidebar.search_box.insert('"message 12"')
        results = window.sidebar.search_results
        await until(lambda: results.hits, what="the search results")
        (hit,) = [h for h in results.hits if h.message_id is not None]
        results.itemClicked.emit(results.item(results.hits.index(hit)))
        view, model = window.chat.message_view, window.message_model
        await until(lambda: view.currentIndex().isValid(), what="the hit's message")
        index = view.currentIndex()
        assert model.message(index.row()).store_id == hit.message_id
        assert first_line(window, index.row()) == "message 12"
        assert model.conversation_row(index.row()) == 12
        await until(
            lambda: view.visualRect(view.currentIndex()).intersects(view.viewport().rect()),
            what="the hit in view",
        )


async def test_a_message_sent_in_a_long_chat_goes_with_all_of_it(
    qtbot, wordpress: str, fake_site: FakeWordPress
) -> None:
    seed(300)
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window, 300)
        await send(qtbot, window, "One more")
        await until(lambda: status_of(window) == "complete", what="the reply")
        model = window.message_model
        assert len(model.conversation.messages) == 302
        assert model.rowCount() == FIRST_ROWS + 2
        assert model.conversation_row(model.rowCount() - 2) == 300
        assert first_line(window, model.rowCount() - 2) == "One more"
        prompt = str(fake_site.posts[-1]["form"])
        assert "message 0" in prompt
        assert "message 299" in prompt


def test_the_model_counts_the_sessions_rows_from_the_first_message(qtbot) -> None:
    model = MessageModel()
    above = 60  # messages above the first row
    count = above + FIRST_ROWS
    conversation = Conversation(messages=[ChatMessage("user", text=f"m{i}") for i in range(count)])
    replaced: list[int] = []
    inserted: list[tuple[int, int]] = []
    model.rows_replaced.connect(replaced.append)
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.set_conversation(conversation)
    assert (model.rowCount(), model.earlier) == (FIRST_ROWS, above)
    assert model.message(0) is conversation.messages[above]
    assert model.conversation_row(0) == above
    assert model.conversation_row(None) is None
    assert model.row_of(conversation.messages[0]) is None
    assert model.row_of_store_id(-1) is None
    # Another branch from the conversation's row above + 5: the model's row 5 on.
    model.replace(above + 5, [ChatMessage("user", text="other")])
    assert replaced == [5]
    assert model.rowCount() == 6
    assert model.index(5).data() == "other"
    # A row above the first is made one before it is shown (a search hit there).
    assert model.view_row(5) == 0
    assert (model.earlier, inserted[-1]) == (5, (0, above - 5 - 1))
    assert model.index(0).data() == "m5"
    assert model.append(ChatMessage("user", text="new")) == above + 6
    # The rest of a chat read later sits above without being rows yet.
    before = list(inserted)
    model.prepend([ChatMessage("user", text=f"older {i}") for i in range(3)])
    assert (model.earlier, inserted) == (8, before)
    assert model.index(0).data() == "m5"
    model.truncate(2)
    assert (model.earlier, model.rowCount(), len(conversation.messages)) == (2, 0, 2)


async def test_a_page_waits_for_the_rows_still_being_laid_out(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        bar = view.verticalScrollBar()
        # More rows than one batch of the view's layout: the last ones come later.
        model.show_earlier(400)
        view.executeDelayedItemsLayout()
        last = model.index(model.rowCount() - 1)
        assert not view.visualRect(last).isValid()
        before, first, earlier = model.rowCount(), model.message(0), model.earlier
        laid_out: list[bool] = []

        def changing(*_: object) -> None:
            if not laid_out:
                laid_out.append(view.visualRect(model.index(before - 1)).isValid())

        # The rows far below go first (past KEPT), then the page joins at the top:
        # looked at before either (the view's own slots lay the rows out again).
        for name in ("hide_later", "show_earlier"):
            real = getattr(model, name)
            setattr(model, name, lambda count, real=real: changing() or real(count))
        bar.setValue(bar.minimum())
        await until(lambda: model.earlier < earlier, what="a page")
        # Joined once the layout was done, the message on top kept in place.
        assert laid_out == [True]
        assert model.rowCount() == KEPT
        row = model.row_of(first)
        assert row == PAGE
        assert view.visualRect(model.index(row)).top() == 0
        assert bar.value() > bar.minimum()


async def test_home_goes_to_the_first_message_of_a_long_chat(qtbot, wordpress: str) -> None:
    seed()
    async with open_window(qtbot, wordpress) as window:
        await read_whole(window)
        model, view = window.message_model, window.chat.message_view
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_Home)
        # The rows move to the start (#11): the first messages, the rest hidden below.
        assert (model.earlier, model.rowCount()) == (0, FIRST_ROWS)
        assert model.later == COUNT - FIRST_ROWS
        assert view.currentIndex().row() == 0
        await until(
            lambda: view.indexAt(QPoint(view.viewport().width() // 2, 1)).row() == 0,
            what="the first message on top",
        )
        assert first_line(window, 0) == "message 0"
