"""Reading the messages: selecting and copying text, long replies end to end, the keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import (
    QAccessible,
    QAccessibleInterface,
    QContextMenuEvent,
    QGuiApplication,
    QWheelEvent,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QToolButton

from deskchat.chat.conversation import ChatMessage
from deskchat.gui import bubble_select as select
from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_view import CLIPPED, MessageView
from deskchat.provider import ReasoningDelta, ReplyState
from tests.gui.fakes import ScriptedProvider

Key = Qt.Key
Mod = Qt.KeyboardModifier


def done(text: str) -> ReplyState:
    reply = ReplyState()
    reply.handle(text)
    reply.complete()
    return reply


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    made = MainWindow(ScriptedProvider())
    qtbot.addWidget(made)
    made.resize(900, 700)
    made.show()
    qtbot.waitExposed(made)
    yield made
    if made.links.confirm_box is not None:
        made.links.confirm_box.close()


def view_of(window: MainWindow) -> MessageView:
    return window.chat.message_view


def add(window: MainWindow, *messages: ChatMessage) -> None:
    window.message_model.extend(messages)
    view_of(window).doItemsLayout()


def settle(qtbot, window: MainWindow, row: int) -> None:
    """Wait until row ``row`` is rendered in full and laid out at its final size."""
    view = view_of(window)
    layouts = window.chat.delegate.layouts
    message = window.message_model.message(row)

    def rendered() -> bool:
        view.executeDelayedItemsLayout()
        measure = layouts.measure(message)
        return (
            measure.rendered_length == len(message.content)
            and view.visualRect(window.message_model.index(row)).height()
            == layouts.row_size(message).height()
        )

    qtbot.waitUntil(rendered, timeout=60_000)


def point_of(window: MainWindow, row: int, needle: str, offset: int = 0) -> QPoint:
    """The viewport point just right of the boundary before character ``offset`` of
    ``needle`` in ``row`` (the first place ``needle`` is shown)."""
    measure = window.chat.delegate.layouts.measure(window.message_model.message(row))
    for number, piece in enumerate(measure.pieces):
        for part, text in (
            (0, piece.document.toPlainText() if piece.document else None),
            (1, piece.layout.text() if piece.layout else None),
        ):
            if text is None or needle not in text:
                continue
            at = text.index(needle) + offset
            rect = select.caret_rect(measure, (number, part, at))
            local = QPointF(rect.left() + 1, rect.center().y())
            origin = window.chat.delegate.hits.body_origin(window.message_model.index(row))
            return (origin + local).toPoint()
    raise AssertionError(f"{needle!r} is not shown in row {row}")


def reveal(window: MainWindow, row: int, needle: str) -> QPoint:
    """Scroll so ``needle`` in ``row`` is in the middle of the viewport; its point there."""
    view = view_of(window)
    view.stick_to_bottom = False
    point = point_of(window, row, needle)
    scroll = view.verticalScrollBar()
    scroll.setValue(scroll.value() + point.y() - view.viewport().height() // 2)
    return point_of(window, row, needle)


def drag(view: MessageView, start: QPoint, end: QPoint) -> None:
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, start)
    middle = (start + end) / 2
    for point in (middle, end):
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, end)


def copy_keys(view: MessageView) -> None:
    QTest.keyClick(view, Key.Key_C, Mod.ControlModifier)


REPLY = """First paragraph with several words.

Second paragraph here, then code:

```python
def greet(name):
    return name
```

Last words."""


def test_dragging_selects_and_ctrl_c_copies_exactly_that_text(qtbot, window) -> None:
    add(window, ChatMessage("user", text="Question"), ChatMessage("assistant", reply=done(REPLY)))
    settle(qtbot, window, 1)
    view = view_of(window)
    start = point_of(window, 1, "several")
    end = point_of(window, 1, "words.", 5)
    drag(view, start, end)
    assert view.reading.selected_text() == "several words"
    QGuiApplication.clipboard().setText("before")
    copy_keys(view)
    assert QGuiApplication.clipboard().text() == "several words"


def test_selection_runs_across_paragraphs_and_into_code(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(REPLY)))
    settle(qtbot, window, 0)
    view = view_of(window)
    drag(view, point_of(window, 0, "here, then"), point_of(window, 0, "    return", 10))
    # The code block's language label is shown, never copied.
    assert view.reading.selected_text() == "here, then code:\ndef greet(name):\n    return"


def test_the_selection_is_painted_in_the_highlight(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(REPLY)))
    settle(qtbot, window, 0)
    view = view_of(window)
    point = point_of(window, 0, "Second")
    highlight = view.palette().color(view.palette().ColorRole.Highlight).rgb()

    def highlighted() -> int:
        image = view.viewport().grab().toImage()
        y = point.y()
        return sum(
            image.pixel(x, y) & 0xFFFFFF == highlight & 0xFFFFFF for x in range(image.width())
        )

    assert highlighted() == 0
    drag(view, point, point_of(window, 0, "paragraph here", 9))
    assert highlighted() > 20


def test_double_click_selects_a_word_and_triple_click_a_paragraph(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(REPLY)))
    settle(qtbot, window, 0)
    view = view_of(window)
    viewport = view.viewport()
    point = point_of(window, 0, "several", 2)
    QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, point)
    assert view.reading.selected_text() == "several"
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, point)
    assert view.reading.selected_text() == "First paragraph with several words."
    # A later single click starts afresh: nothing selected.
    QTest.qWait(QApplication.doubleClickInterval() + 50)
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, point)
    assert view.reading.selected_text() == ""


def test_a_users_message_can_be_selected_too(qtbot, window) -> None:
    add(window, ChatMessage("user", text="please explain monads"))
    view = view_of(window)
    drag(view, point_of(window, 0, "explain"), point_of(window, 0, "monads", 6))
    copy_keys(view)
    assert QGuiApplication.clipboard().text() == "explain monads"


def test_shift_arrows_select_from_the_keyboard(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(REPLY)))
    settle(qtbot, window, 0)
    view = view_of(window)
    view.setFocus()
    view.setCurrentIndex(window.message_model.index(0))
    for _ in range(5):
        QTest.keyClick(view, Key.Key_Right, Mod.ShiftModifier)
    assert view.reading.selected_text() == "First"
    QTest.keyClick(view, Key.Key_Right, Mod.ShiftModifier | Mod.ControlModifier)
    QTest.keyClick(view, Key.Key_Right, Mod.ShiftModifier | Mod.ControlModifier)
    assert view.reading.selected_text().startswith("First paragraph")
    QTest.keyClick(view, Key.Key_Down, Mod.ShiftModifier)
    assert "\n" in view.reading.selected_text()
    copy_keys(view)
    assert QGuiApplication.clipboard().text() == view.reading.selected_text()
    QTest.keyClick(view, Key.Key_A, Mod.ControlModifier)
    everything = view.reading.selected_text()
    assert everything.startswith("First paragraph")
    assert everything.endswith("Last words.")


def test_without_a_selection_ctrl_c_copies_the_message_as_markdown(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(REPLY)))
    settle(qtbot, window, 0)
    view = view_of(window)
    view.setFocus()
    view.setCurrentIndex(window.message_model.index(0))
    copy_keys(view)
    assert QGuiApplication.clipboard().text() == REPLY


def test_the_menu_copies_markdown_or_text_and_the_selection(qtbot, window) -> None:
    text = "Some **bold** and `code`.\n\n- item"
    add(window, ChatMessage("assistant", reply=done(text)))
    settle(qtbot, window, 0)
    view = view_of(window)
    menus = window.menus
    index = window.message_model.index(0)
    view.setCurrentIndex(index)
    actions = window.chat.message_actions(index)
    assert actions[:2] == [menus.copy_action, menus.copy_text_action]
    menus.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == text
    menus.copy_text_action.trigger()
    assert QGuiApplication.clipboard().text() == "Some bold and code.\n\n- item"

    drag(view, point_of(window, 0, "bold"), point_of(window, 0, "bold", 4))
    actions = window.chat.message_actions(index)
    assert actions[0] is menus.copy_selection_action
    menus.copy_selection_action.trigger()
    assert QGuiApplication.clipboard().text() == "bold"


def test_the_selection_survives_another_row_streaming(qtbot, window) -> None:
    reply = ReplyState()
    add(
        window,
        ChatMessage("assistant", reply=done(REPLY)),
        ChatMessage("user", text="more?"),
        ChatMessage("assistant", reply=reply),
    )
    settle(qtbot, window, 0)
    view = view_of(window)
    view.stick_to_bottom = False
    view.scrollToTop()
    drag(view, point_of(window, 0, "Second"), point_of(window, 0, "paragraph here", 9))
    assert view.reading.selected_text() == "Second paragraph"
    for n in range(30):
        reply.handle(f"streamed words {n}\n\n")
        window.message_model.touch(window.message_model.message(2))
        window.message_model.flush()
        view.viewport().grab()
    assert view.reading.selected_text() == "Second paragraph"
    copy_keys(view)
    assert QGuiApplication.clipboard().text() == "Second paragraph"


END_URL = "https://example.com/the-end"


def megabyte_reply() -> str:
    parts: list[str] = []
    size = 0
    n = 0
    while size < 1_000_000:
        part = f"Paragraph {n}: " + "lorem ipsum dolor sit amet " * 6 + "\n\n"
        parts.append(part)
        size += len(part)
        n += 1
    parts.append(f"See [the end]({END_URL}).\n\n```\nlast code\n```\n\nThe very last words.")
    return "".join(parts)


@pytest.fixture
def long_window(qtbot, window) -> MainWindow:
    add(window, ChatMessage("user", text="Write a lot"))
    add(window, ChatMessage("assistant", reply=done(megabyte_reply())))
    settle(qtbot, window, 1)
    return window


def test_a_1mb_reply_is_one_row_taller_than_qt_can_clip(long_window) -> None:
    view = view_of(long_window)
    index = long_window.message_model.index(1)
    rect = view.visualRect(index)
    assert rect.height() > 5 * CLIPPED
    assert (
        rect.height()
        == long_window.chat.delegate.layouts.row_size(long_window.message_model.message(1)).height()
    )
    view.scrollToBottom()
    bottom = QPoint(view.viewport().width() // 3, view.viewport().height() - 30)
    assert view.indexAt(bottom) == index


@pytest.mark.qt_log_ignore(
    "does not support raise", "does not support grabbing the keyboard", "propagateSizeHints"
)
def test_menu_link_and_copy_work_at_the_end_of_a_1mb_reply(qtbot, long_window) -> None:
    window = long_window
    view = view_of(window)
    index = window.message_model.index(1)
    view.setFocus()
    QTest.keyClick(view, Key.Key_End, Mod.ControlModifier)
    assert view.verticalScrollBar().value() == view.verticalScrollBar().maximum()

    # The context menu, right-clicked on the last words.
    point = point_of(window, 1, "very last words")
    assert view.viewport().rect().contains(point)
    assert view.indexAt(point) == index
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, point, view.viewport().mapToGlobal(point)
    )
    QApplication.sendEvent(view.viewport(), event)
    menus = [m for m in window.chat.findChildren(QMenu) if m.isVisible()]
    assert len(menus) == 1
    assert window.menus.copy_action in menus[0].actions()
    assert window.menus.regenerate_action in menus[0].actions()
    menus[0].close()

    # The link just above.
    opened: list[str] = []
    window.links.open_url = opened.append
    link = point_of(window, 1, "the end", 2)
    assert view.viewport().rect().contains(link)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Mod.NoModifier, link)
    box = window.links.confirm_box
    assert box is not None
    assert box.isVisible()
    assert END_URL in box.text()
    box.button(QMessageBox.StandardButton.Open).click()
    assert opened == [END_URL]

    # The last code block's Copy button.
    blocks = window.chat.delegate.layouts.measure(window.message_model.message(1)).code_blocks
    button = window.chat.delegate.hits.copy_button_rect(index, len(blocks) - 1)
    assert view.viewport().rect().contains(button.center())
    QGuiApplication.clipboard().setText("before")
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Mod.NoModifier, button.center())
    assert QGuiApplication.clipboard().text() == "last code\n"

    # And text selected there.
    drag(view, point_of(window, 1, "very last"), point_of(window, 1, "last words", 4))
    assert view.reading.selected_text() == "very last"


def test_page_keys_move_by_a_page_inside_a_long_reply(qtbot, long_window) -> None:
    window = long_window
    view = view_of(window)
    scroll = view.verticalScrollBar()
    view.setFocus()
    QTest.keyClick(view, Key.Key_Home)
    assert scroll.value() == 0
    assert view.currentIndex().row() == 0
    QTest.keyClick(view, Key.Key_PageDown)
    QTest.keyClick(view, Key.Key_PageDown)
    first = scroll.value()
    assert view.viewport().height() < first <= 2 * view.viewport().height()
    assert view.currentIndex().row() == 1
    QTest.keyClick(view, Key.Key_PageDown)
    assert scroll.value() - first == pytest.approx(first / 2, abs=view.viewport().height() // 2)
    QTest.keyClick(view, Key.Key_Down)
    assert view.currentIndex().row() == 1
    moved = scroll.value()
    QTest.keyClick(view, Key.Key_Up)
    assert scroll.value() < moved
    QTest.keyClick(view, Key.Key_PageUp)
    assert scroll.value() < moved
    QTest.keyClick(view, Key.Key_End)
    assert scroll.value() == scroll.maximum() > 10 * CLIPPED // 2
    assert view.currentIndex().row() == 1
    assert view.stick_to_bottom
    QTest.keyClick(view, Key.Key_Home, Mod.ControlModifier)
    assert scroll.value() == 0


def test_down_walks_through_short_messages_then_inside_a_long_one(qtbot, window) -> None:
    add(
        window,
        ChatMessage("user", text="one"),
        ChatMessage("assistant", reply=done("two")),
        ChatMessage("user", text="three"),
        ChatMessage("assistant", reply=done("line\n\n" * 400)),
    )
    settle(qtbot, window, 3)
    view = view_of(window)
    view.setFocus()
    QTest.keyClick(view, Key.Key_Home)
    rows = []
    for _ in range(4):
        QTest.keyClick(view, Key.Key_Down)
        rows.append(view.currentIndex().row())
    assert rows == [1, 2, 3, 3]
    before = view.verticalScrollBar().value()
    for _ in range(5):
        QTest.keyClick(view, Key.Key_Down)
    assert view.verticalScrollBar().value() > before
    assert view.currentIndex().row() == 3


def test_tab_reaches_links_and_copy_buttons_and_enter_uses_them(qtbot, window) -> None:
    url = "https://example.com/a"
    text = f"Read [this]({url}) first.\n\n```\nprint(1)\n```\n"
    add(window, ChatMessage("assistant", reply=done(text)))
    settle(qtbot, window, 0)
    view = view_of(window)
    opened: list[str] = []
    window.links.open_url = opened.append
    view.setFocus()
    view.setCurrentIndex(window.message_model.index(0))
    assert [t.kind for t in view.reading.targets(window.message_model.message(0))] == [
        "link",
        "copy",
    ]
    QTest.keyClick(view, Key.Key_Tab)
    assert view.hasFocus()
    assert window.chat.delegate.focus_target is not None
    QTest.keyClick(view, Key.Key_Return)
    box = window.links.confirm_box
    assert box is not None
    assert url in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    view.setFocus()
    QTest.keyClick(view, Key.Key_Tab)
    QGuiApplication.clipboard().setText("before")
    QTest.keyClick(view, Key.Key_Space)
    assert QGuiApplication.clipboard().text() == "print(1)\n"
    # Past the last one, Tab leaves the list.
    QTest.keyClick(view, Key.Key_Tab)
    assert not view.hasFocus()
    assert window.chat.delegate.focus_target is None
    assert opened == []


def accessible_node(root: QAccessibleInterface, widget: object) -> QAccessibleInterface | None:
    """The node of ``widget`` in Qt's accessibility tree under ``root``, depth first."""
    if root.object() is widget:
        return root
    for number in range(root.childCount()):
        child = root.child(number)
        found = accessible_node(child, widget) if child is not None else None
        if found is not None:
            return found
    return None


def test_each_message_is_plain_text_with_its_author_in_the_accessibility_tree(
    qtbot, window
) -> None:
    add(
        window,
        ChatMessage("user", text="What is **this**?"),
        ChatMessage(
            "assistant",
            reply=done("It is *bold*, `code` and [a link](https://a.example)."),
            model="qwen2.5",
        ),
        ChatMessage("assistant", reply=done("# Title\n\n- one\n- two")),
    )
    # Walked down from the window, as a screen reader finds it.
    root = QAccessible.queryAccessibleInterface(window)
    assert root is not None
    messages = accessible_node(root, view_of(window))
    assert messages is not None
    assert messages.role() == QAccessible.Role.List
    items = [messages.child(n) for n in range(messages.childCount())]
    assert [item.role() for item in items] == [QAccessible.Role.ListItem] * 3
    assert [item.text(QAccessible.Text.Name) for item in items] == [
        "You: What is **this**?",
        "Assistant · qwen2.5: It is bold, code and a link.",
        "Assistant: Title\n\n- one\n- two",
    ]


WIDE = "x = " + " + ".join(f"value_{i}" for i in range(60))


def wheel(view: MessageView, point: QPoint, dx: int, dy: int, modifiers=Mod.NoModifier) -> None:
    event = QWheelEvent(
        QPointF(point),
        QPointF(view.viewport().mapToGlobal(point)),
        QPoint(),
        QPoint(dx, dy),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def test_long_code_lines_scroll_sideways_instead_of_wrapping(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(f"```python\n{WIDE}\nshort()\n```\n")))
    settle(qtbot, window, 0)
    view = view_of(window)
    delegate = window.chat.delegate
    message = window.message_model.message(0)
    measure = delegate.layouts.measure(message)
    piece = measure.pieces[0]
    # One line each: the label, the wide line and the short one.
    line = view.fontMetrics().lineSpacing()
    background = piece.geometry.code[0][0]
    assert background.height() < 5 * line
    room = delegate.code.room(piece, 0)
    assert room > 500
    point = point_of(window, 0, "value_1")
    vertical = view.verticalScrollBar().value()

    wheel(view, point, 0, -120, Mod.ShiftModifier)
    assert delegate.code.offset(message, 0) > 0
    assert view.verticalScrollBar().value() == vertical
    wheel(view, point, -120 * 1000, 0)
    assert delegate.code.offset(message, 0) == room
    wheel(view, point, 120 * 1000, 0)
    assert delegate.code.offset(message, 0) == 0

    # From the keyboard: Tab to the block's Copy button, then the arrows.
    view.setFocus()
    view.setCurrentIndex(window.message_model.index(0))
    QTest.keyClick(view, Key.Key_Tab)
    QTest.keyClick(view, Key.Key_Right)
    QTest.keyClick(view, Key.Key_Right)
    moved = delegate.code.offset(message, 0)
    assert moved > 0
    QTest.keyClick(view, Key.Key_Left)
    assert 0 < delegate.code.offset(message, 0) < moved


def test_selecting_in_a_scrolled_code_block_takes_the_text_under_the_pointer(qtbot, window) -> None:
    add(window, ChatMessage("assistant", reply=done(f"```\n{WIDE}\n```\n")))
    settle(qtbot, window, 0)
    view = view_of(window)
    delegate = window.chat.delegate
    message = window.message_model.message(0)
    piece = delegate.layouts.measure(message).pieces[0]
    start = point_of(window, 0, "value_2 ")
    end = point_of(window, 0, "value_3 ")
    shift = end.x() - start.x()
    # Scrolled by one "value_N + ", the text under the pointer is the next one.
    assert delegate.code.scroll(message, piece, 0, shift)
    drag(view, start, QPoint(end.x() - 4, end.y()))
    assert view.reading.selected_text() == "value_3 + "


def test_jump_to_latest_shows_while_scrolled_up_and_goes_to_the_end(qtbot, window) -> None:
    add(
        window,
        *[
            ChatMessage("assistant", reply=done(f"Answer {n}\n\n" + "words " * 300))
            for n in range(12)
        ],
    )
    settle(qtbot, window, 11)
    view = view_of(window)
    view.follow()
    scroll = view.verticalScrollBar()
    assert scroll.value() == scroll.maximum()
    assert not view.jump_button.isVisible()
    scroll.setValue(0)
    assert view.jump_button.isVisible()
    assert view.jump_button.accessibleName() == "Jump to the latest message"
    assert view.viewport().geometry().contains(view.jump_button.geometry())
    QTest.mouseClick(view.jump_button, Qt.MouseButton.LeftButton)
    assert scroll.value() == scroll.maximum()
    assert view.stick_to_bottom
    assert not view.jump_button.isVisible()


def test_hovering_a_message_shows_its_time_model_and_actions(qtbot, window) -> None:
    question = ChatMessage("user", text="A question", created_at=1_700_000_000.0)
    answer = ChatMessage("assistant", reply=done("An answer"), model="qwen2.5")
    add(window, question, answer)
    settle(qtbot, window, 1)
    view = view_of(window)
    bar = view.hover_bar
    QTest.mouseMove(view.viewport(), point_of(window, 1, "answer"))
    qtbot.waitUntil(bar.isVisible)
    assert bar.row == 1
    assert bar.when.text().endswith("· Assistant · qwen2.5")
    buttons = {b.text(): b for b in bar.findChildren(QToolButton) if b.isVisibleTo(bar)}
    assert set(buttons) == {"Copy", "Regenerate"}
    QGuiApplication.clipboard().setText("before")
    buttons["Copy"].click()
    assert QGuiApplication.clipboard().text() == "An answer"

    QTest.mouseMove(view.viewport(), point_of(window, 0, "question"))
    qtbot.waitUntil(lambda: bar.row == 0)
    # Not today: the date too.
    assert "2023" in bar.when.text() or "23" in bar.when.text()
    shown = {b.text() for b in bar.findChildren(QToolButton) if b.isVisibleTo(bar)}
    assert shown == {"Copy", "Edit and resend"}


def test_reasoning_is_a_collapsed_section_that_opens_and_closes(qtbot, window) -> None:
    reply = ReplyState()
    reply.handle(ReasoningDelta("First I think about it. "))
    message = ChatMessage("assistant", reply=reply)
    add(window, message)
    view = view_of(window)
    layouts = window.chat.delegate.layouts
    # While only reasoning has arrived, its header already shows and counts it.
    measure = layouts.measure(message)
    assert measure.pieces[0].kind == "reasoning-header"
    assert "24 characters" in measure.pieces[0].layout.text()
    reply.handle(ReasoningDelta("Then more."))
    window.message_model.touch(message)
    window.message_model.flush()
    assert "34 characters" in layouts.measure(message).pieces[0].layout.text()
    reply.handle("The answer is **42**.")
    reply.complete()
    window.message_model.touch(message)
    window.message_model.flush()
    settle(qtbot, window, 0)
    collapsed = view.visualRect(window.message_model.index(0)).height()
    assert "First I think" not in "".join(
        p.layout.text() for p in layouts.measure(message).pieces if p.layout is not None
    )

    header = point_of(window, 0, "Reasoning")
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Mod.NoModifier, header)
    settle(qtbot, window, 0)
    assert view.visualRect(window.message_model.index(0)).height() > collapsed
    drag(view, point_of(window, 0, "First I"), point_of(window, 0, "think about", 5))
    assert view.reading.selected_text() == "First I think"
    drag(view, point_of(window, 0, "answer"), point_of(window, 0, "answer", 6))
    assert view.reading.selected_text() == "answer"

    # From the keyboard: Tab to the header, Enter closes it again.
    view.setFocus()
    view.setCurrentIndex(window.message_model.index(0))
    QTest.keyClick(view, Key.Key_Tab)
    QTest.keyClick(view, Key.Key_Return)
    settle(qtbot, window, 0)
    assert view.visualRect(window.message_model.index(0)).height() == collapsed
