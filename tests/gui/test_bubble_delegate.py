"""The bubble delegate's markdown: code Copy buttons, link confirmation, throttled streaming."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMessageBox,
    QStyleOptionViewItem,
    QToolTip,
)

from deskchat.chat.conversation import ChatMessage
from deskchat.gui import markdown, reply_renders
from deskchat.gui.bubble_delegate import BubbleDelegate
from deskchat.gui.bubble_parts import Hit, Measure
from deskchat.gui.links import LinkOpener
from deskchat.gui.message_model import MessageModel
from deskchat.provider import ReplyState


class View:
    """A message list like the main window's, without the rest of the window."""

    def __init__(self, qtbot, *, expose: bool = True) -> None:
        self.model = MessageModel()
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(False)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.delegate = BubbleDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        # Wired as the window wires them: links ask first, Copy goes to the clipboard.
        self.links = LinkOpener(self.list)
        self.delegate.link_clicked.connect(self.links.confirm_open)
        self.delegate.copy_requested.connect(lambda code: QGuiApplication.clipboard().setText(code))
        self.opened: list[str] = []
        self.links.open_url = self.opened.append
        qtbot.addWidget(self.list)
        self.list.resize(800, 600)
        self.list.show()
        if expose:
            qtbot.waitExposed(self.list)

    @classmethod
    def unexposed(cls, qtbot) -> View:
        """For async tests, which must not wait with qtbot (it would deadlock the loop)."""
        return cls(qtbot, expose=False)

    def add(self, text: str, *, done: bool = True) -> ChatMessage:
        reply = ReplyState()
        reply.handle(text)
        if done:
            reply.complete()
        message = ChatMessage("assistant", reply=reply)
        self.model.append(message)
        self.list.doItemsLayout()
        return message

    def measure(self, row: int = 0) -> Measure:
        return self.delegate.layouts.measure(self.model.message(row))

    def point_of_link(self, href: str, row: int = 0) -> QPoint:
        """The viewport point in the middle of the first character of link ``href``."""
        return point_of_link(self.delegate, self.model, href, row)


def point_of_link(delegate: BubbleDelegate, model: MessageModel, href: str, row: int = 0) -> QPoint:
    """The viewport point in the middle of the first character of link ``href`` in ``row``."""
    measure = delegate.layouts.measure(model.message(row))
    document = measure.document
    assert document is not None
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.charFormat().anchorHref() == href:
                offset = fragment.position() - block.position()
                line = block.layout().lineForTextPosition(offset)
                x = line.cursorToX(offset)
                x = x[0] if isinstance(x, tuple) else x
                top = document.documentLayout().blockBoundingRect(block).top()
                local = QPointF(x + 2, top + line.y() + line.height() / 2)
                index = model.index(row)
                return (delegate.hits.body_origin(index) + local).toPoint()
            fragments += 1
        block = block.next()
    raise AssertionError(f"no link to {href}")


@pytest.fixture
def view(qtbot) -> Iterator[View]:
    made = View(qtbot)
    yield made
    if made.links.confirm_box is not None:
        made.links.confirm_box.close()


SECOND = "echo 'second block'\t# ends in spaces" + "  \n"
REPLY = f"""Here are two snippets.

```python
def greet(name: str) -> str:
    return f"Hello, {{name}} <3"
```

and

```sh
{SECOND}```
"""


def test_copy_button_copies_exactly_that_blocks_code(qtbot, view: View) -> None:
    view.add(REPLY)
    index = view.model.index(0)
    measure = view.measure()
    assert [b.language for b in measure.code_blocks] == ["python", "sh"]
    QGuiApplication.clipboard().setText("before")

    button = view.delegate.hits.copy_button_rect(index, 1)
    assert view.list.viewport().rect().contains(button)
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    assert QGuiApplication.clipboard().text() == SECOND

    button = view.delegate.hits.copy_button_rect(index, 0)
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    assert QGuiApplication.clipboard().text() == (
        'def greet(name: str) -> str:\n    return f"Hello, {name} <3"\n'
    )
    assert view.delegate.hits.hit_test(index, button.center()) == Hit(
        "copy", measure.code_blocks[0].code, 0
    )


def test_clicking_outside_the_buttons_copies_nothing(qtbot, view: View) -> None:
    view.add(REPLY)
    QGuiApplication.clipboard().setText("unchanged")
    button = view.delegate.hits.copy_button_rect(view.model.index(0), 0)
    QTest.mouseClick(
        view.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center() - QPoint(200, 0)
    )
    assert QGuiApplication.clipboard().text() == "unchanged"


def test_code_blocks_are_painted_on_their_background(qtbot, view: View) -> None:
    view.add(REPLY)
    index = view.model.index(0)
    background, _button = view.measure().code[0]
    origin = view.delegate.hits.body_origin(index)
    # Inside the block's padding, left of any code text.
    probe = (origin + QPointF(background.left() + 4, background.center().y())).toPoint()
    image = view.list.viewport().grab().toImage()
    ratio = view.list.viewport().devicePixelRatioF()
    colour = image.pixelColor(int(probe.x() * ratio), int(probe.y() * ratio))
    assert colour == QColor(markdown.theme(view.delegate.layouts.dark()).code_background)


def test_copy_shows_copied_on_the_button(qtbot, view: View) -> None:
    view.add(REPLY)
    index = view.model.index(0)
    button = view.delegate.hits.copy_button_rect(index, 0)
    before = view.list.viewport().grab(button).toImage()
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    after = view.list.viewport().grab(button).toImage()
    assert before != after
    # It says "Copied" for a moment, then "Copy" again.
    qtbot.waitUntil(lambda: view.list.viewport().grab(button).toImage() == before, timeout=5000)


def test_link_asks_first_and_cancel_opens_nothing(qtbot, view: View) -> None:
    url = "https://example.com/docs?page=2&lang=en"
    view.add(f"Read [the docs]({url}) first.")
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=view.point_of_link(url))
    box = view.links.confirm_box
    assert box is not None
    assert box.isVisible()
    assert box.parent() is view.list.window()
    assert url in box.text()  # the full address, before anything is opened
    assert view.opened == []
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert view.opened == []
    assert view.links.confirm_box is None


def test_link_opens_the_exact_address_after_ok(qtbot, view: View) -> None:
    url = "https://example.com/a/b?q=1&r=%20x#frag"
    view.add(f"Read [here]({url}).")
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=view.point_of_link(url))
    box = view.links.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Open).click()
    assert view.opened == [url]


def test_a_javascript_link_is_no_link_at_all(qtbot, view: View) -> None:
    view.add("Click [me](javascript:alert(1)) or <javascript:alert(2)> please.")
    measure = view.measure()
    assert measure.document is not None
    index = view.model.index(0)
    origin = view.delegate.hits.body_origin(index)
    # Every point of the text area: no hit, and no click opens a question.
    for y in range(0, measure.body.height(), 3):
        for x in range(0, measure.body.width(), 3):
            point = (origin + QPointF(x, y)).toPoint()
            assert view.delegate.hits.hit_test(index, point) is None
    QTest.mouseClick(
        view.list.viewport(), Qt.MouseButton.LeftButton, pos=(origin + QPointF(60, 5)).toPoint()
    )
    assert view.links.confirm_box is None
    assert view.opened == []
    assert "javascript:alert(1)" in measure.document.toPlainText()


def test_user_messages_stay_plain_text(qtbot, view: View) -> None:
    view.model.append(ChatMessage("user", text="**not bold** [x](https://e.x)\u202e"))
    measure = view.measure()
    assert measure.document is None
    assert measure.layout is not None
    assert measure.layout.text() == "**not bold** [x](https://e.x)⟨U+202E⟩"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_streaming_reply_is_rendered_on_a_throttle_and_every_frame_shows_all_text(
    qtbot, view: View
) -> None:
    clock = FakeClock()
    view.delegate.layouts.renders.clock = clock
    message = view.add("", done=False)
    reply = message.reply
    assert reply is not None
    chunk = "Some **bold** words and `code`, then more. " * 2
    for _frame in range(600):
        reply.handle(chunk)
        clock.now += 0.016
        measure = view.delegate.layouts.measure(message)
        shown = measure.layout.text() if measure.layout is not None else ""
        # The rendered prefix plus the plain tail is all the text so far.
        assert measure.rendered_length + len(shown) == reply.length
        assert measure.document is not None
    partial = view.delegate.layouts.renders.full_renders
    # Each render is the open segment's on its throttle, or a segment's as it closes.
    frames, closed = 600, len(markdown.segment_starts(reply.text)) - 1
    assert 3 < partial <= frames * 0.016 / reply_renders.OPEN_INTERVAL + closed + 1
    assert partial < frames / 4
    view.list.viewport().grab()

    reply.complete()
    final = view.delegate.layouts.measure(message)
    assert view.delegate.layouts.renders.full_renders == partial + 1
    assert final.rendered_length == reply.length
    assert final.layout is None
    assert "<b>" not in reply.text
    # The final document has the bold words as markdown, not as asterisks.
    assert final.document is not None
    assert "**" not in final.document.toPlainText()


def test_footer_lines_stay(qtbot, view: View) -> None:
    message = view.add("", done=False)
    measure = view.measure()
    assert measure.footer == "Waiting for the first reply…"
    assert message.reply is not None
    message.reply.handle("partial *text*")
    message.reply.stop()
    assert view.delegate.layouts.measure(message).footer.startswith("Stopped")
    view.list.viewport().grab()


def test_the_pointer_is_a_hand_over_links_and_copy_buttons(qtbot, view: View) -> None:
    url = "https://example.com/"
    view.add(f"A [link]({url}).\n\n```\ncode\n```\n")
    viewport = view.list.viewport()
    QTest.mouseMove(viewport, view.point_of_link(url))
    assert viewport.cursor().shape() == Qt.CursorShape.PointingHandCursor
    QTest.mouseMove(viewport, QPoint(viewport.width() - 5, viewport.height() - 5))
    assert viewport.cursor().shape() == Qt.CursorShape.ArrowCursor
    button = view.delegate.hits.copy_button_rect(view.model.index(0), 0)
    QTest.mouseMove(viewport, button.center())
    assert viewport.cursor().shape() == Qt.CursorShape.PointingHandCursor


# WORKAROUND: the offscreen platform cannot raise the tooltip window; it says so.
@pytest.mark.qt_log_ignore("does not support raise")
def test_the_tooltip_of_a_link_is_its_full_address(qtbot, view: View) -> None:
    url = "https://example.com/" + "long/" * 30 + "end"
    view.add(f"[short]({url}) and plain text " * 3)
    viewport = view.list.viewport()
    point = view.point_of_link(url)
    event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    index = view.model.index(0)
    option = QStyleOptionViewItem()
    option.rect = view.list.visualRect(index)
    assert view.delegate.helpEvent(event, view.list, option, index)
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == url
    # Away from the link: no tooltip, not even the model's whole-message one.
    far = QPoint(5, view.list.visualRect(index).bottom() - 8)
    event = QHelpEvent(QEvent.Type.ToolTip, far, viewport.mapToGlobal(far))
    assert view.delegate.helpEvent(event, view.list, option, index)
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
