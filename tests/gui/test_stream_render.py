"""Long replies as segments: the segmenter, and bounded work per frame in the delegate."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from deskchat.chat.conversation import ChatMessage
from deskchat.gui import markdown
from deskchat.gui.bubble_parts import Hit
from deskchat.gui.markdown import SEGMENT_MAX, Segmenter, segment_starts
from deskchat.gui.reply_renders import RENDER_BUDGET

from .test_bubble_delegate import FakeClock, View


def pieces(text: str, starts: list[int]) -> list[str]:
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


# -- the segmenter, a pure function -----------------------------------------


def test_a_blank_line_ends_a_segment_once_it_is_long_enough() -> None:
    text = "one\n\ntwo\n\nthree\n\nfour\n"
    assert pieces(text, segment_starts(text, minimum=4)) == [
        "one\n\n",
        "two\n\n",
        "three\n\n",
        "four\n",
    ]
    # Shorter than the minimum: segments gather several blocks.
    assert pieces(text, segment_starts(text, minimum=9)) == ["one\n\ntwo\n\n", "three\n\nfour\n"]
    assert segment_starts(text) == [0]


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_blank_lines_inside_a_fence_never_split(fence: str) -> None:
    code = f"{fence}python\nx = 1\n\n\ny = 2\n\n{fence}\n"
    text = f"intro\n\n{code}\nafter\n"
    assert pieces(text, segment_starts(text, minimum=1)) == ["intro\n\n", code + "\n", "after\n"]


def test_a_fence_closes_only_with_its_own_character_and_length() -> None:
    text = "````\na\n\n```\n\n~~~\n\nb\n````\n\nafter\n"
    assert pieces(text, segment_starts(text, minimum=1)) == [text[: -len("after\n")], "after\n"]


def test_a_backtick_line_with_backticks_after_it_opens_no_fence() -> None:
    text = "```not a fence```\n\nnext\n"
    assert pieces(text, segment_starts(text, minimum=1)) == ["```not a fence```\n\n", "next\n"]


def test_indented_code_and_list_items_continue_across_blank_lines() -> None:
    text = "    code\n\n    more code\n\n- one\n\n- two\n\n1. three\n\nend\n"
    assert pieces(text, segment_starts(text, minimum=1)) == [text[: -len("end\n")], "end\n"]


def test_crlf_and_cr_are_line_breaks() -> None:
    text = "one\r\n\r\ntwo\r\rthree\r\n"
    assert pieces(text, segment_starts(text, minimum=1)) == ["one\r\n\r\n", "two\r\r", "three\r\n"]
    fenced = "```\r\na\r\n\r\nb\r\n```\r\n\r\nend\r\n"
    assert pieces(fenced, segment_starts(fenced, minimum=1)) == [fenced[:-5], "end\r\n"]
    # The line after a blank line decides, so it must be complete first.
    assert segment_starts("one\n\nend", minimum=1) == [0]


def test_a_huge_paragraph_is_split_after_a_space() -> None:
    text = "word " * 10_000
    starts = segment_starts(text, minimum=1_000, maximum=3_000)
    assert len(starts) > 10
    for a, b in zip(starts, starts[1:], strict=False):
        assert 1_000 <= b - a <= 3_000
        assert text[b - 1] == " "
        assert text[b] != " "


def test_a_huge_fence_is_never_split() -> None:
    text = "```\n" + "x = 1\n" * 5_000 + "```\n\nafter\n"
    assert pieces(text, segment_starts(text, minimum=100, maximum=1_000)) == [
        text[: -len("after\n")],
        "after\n",
    ]


_BLOCKS = [
    "Some *text* with `code` and a [link](https://example.com/).\n",
    "\n",
    "\n\n",
    "```python\ndef f():\n\n    return 1\n```\n",
    "~~~\nraw\n\n~~~\n",
    "    indented\n\n    code\n",
    "- item\n- item\n\n- loose item\n",
    "1. first\n2. second\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "# Heading\n",
    "> quoted\n> text\n",
    "line\r\n\r\n",
    "cr\r\r",
    "word " * 40,
    "---\n",
]


def random_markdown(rng: random.Random, size: int) -> str:
    out: list[str] = []
    total = 0
    while total < size:
        block = rng.choice(_BLOCKS)
        out.append(block)
        total += len(block)
    return "".join(out)


@pytest.mark.parametrize("seed", range(12))
def test_segmenting_as_it_grows_equals_segmenting_at_once(seed: int) -> None:
    rng = random.Random(seed)
    text = random_markdown(rng, 6_000)
    once = segment_starts(text, minimum=200, maximum=700)
    assert len(once) > 3
    segmenter = Segmenter(minimum=200, maximum=700)
    position = 0
    while position < len(text):
        position = min(len(text), position + rng.choice([1, 2, 3, 10, 64, 500]))
        segmenter.feed(text[:position])
        # A start once found never moves: it is a prefix of the final answer.
        assert segmenter.starts == once[: len(segmenter.starts)]
    assert segmenter.starts == once


class Window:
    """A text read as a TextWindow, remembering how far back each feed reached."""

    def __init__(self, text: str, length: int) -> None:
        self._text = text
        self._length = length
        self.base = length
        self.window = ""
        self.lowest = length

    def reach(self, start: int) -> None:
        self.lowest = min(self.lowest, start)
        if start < self.base:
            self.base, self.window = start, self._text[start : self._length]

    def __len__(self) -> int:
        return self._length


@pytest.mark.parametrize("seed", range(12))
def test_segmenting_windows_of_the_text_equals_segmenting_it_whole(seed: int) -> None:
    """Fed the text as windows it reaches back into, the segmenter finds the same
    starts as from the whole text (a streaming reply is read as its tail)."""
    rng = random.Random(seed)
    text = random_markdown(rng, 6_000)
    once = segment_starts(text, minimum=200, maximum=700)
    segmenter = Segmenter(minimum=200, maximum=700)
    position = 0
    while position < len(text):
        position = min(len(text), position + rng.choice([1, 2, 3, 10, 64, 500]))
        segmenter.feed(Window(text, position))
        assert segmenter.starts == once[: len(segmenter.starts)]
    assert segmenter.starts == once


def test_a_line_of_megabytes_is_read_from_its_new_end_each_time() -> None:
    """One endless line (no line break for 1 MB): each feed reads back only
    about a segment, not to where the line began."""
    text = "the quick brown fox jumps over the lazy dog " * 25_000
    segmenter = Segmenter()
    deepest = 0
    for position in range(0, len(text) + 1, 2_000):
        window = Window(text, position)
        segmenter.feed(window)
        deepest = max(deepest, position - window.lowest)
    assert segmenter.starts == segment_starts(text)
    assert len(segmenter.starts) > 200
    assert deepest <= 2 * SEGMENT_MAX + 2_000


TYPICAL = """# A heading

Text with **bold**, *emphasis*, `code` and a [link](https://example.com/a).

- a list
- with items

  and a second paragraph in an item

1. ordered
2. list

```python
def spans():

    return "a blank line inside the fence"
```

| name | value |
|------|-------|
| a    | 1     |

> a quote
> over two lines

    indented code

    with a blank line

~~~
tilde fence

still code
~~~

Last paragraph.
"""


def test_segments_render_to_the_same_html_as_the_whole_text() -> None:
    text = TYPICAL * 4
    starts = segment_starts(text, minimum=1)
    assert len(starts) > 20
    whole = markdown.render(text)
    html: list[str] = []
    blocks: list[markdown.CodeBlock] = []
    for part in pieces(text, starts):
        rendered = markdown.render(part, first_code=len(blocks))
        html.append(rendered.html)
        blocks.extend(rendered.code_blocks)
    assert "".join(html) == whole.html
    assert tuple(blocks) == whole.code_blocks


def test_reference_links_do_not_cross_segments() -> None:
    # Documented limitation: a definition in another segment is not found.
    text = "See [the docs][d].\n\n[d]: https://example.com/\n"
    assert '<a href="https://example.com/"' in markdown.render(text).html
    first, second = pieces(text, segment_starts(text, minimum=1))
    assert "<a " not in markdown.render(first).html + markdown.render(second).html


def test_importing_markdown_imports_neither_parser_nor_highlighter() -> None:
    code = (
        "import sys, gui.markdown as m\n"
        "assert not [n for n in sys.modules if n.split('.')[0] in ('markdown_it', 'pygments')]\n"
        "assert m.render('```python\\nx = 1\\n```\\n').code_blocks[0].highlighted\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- the delegate: a 1 MB reply, streamed ------------------------------------

CODE = "def later():\n    return 'the code block in a later segment'\n"


def long_reply(size: int) -> str:
    rng = random.Random(7)
    words = ["the", "quick", "**brown**", "fox", "`jumps`", "over", "lazy", "dogs"]
    out: list[str] = []
    total = 0
    number = 0
    while total < size:
        if number % 9 == 8:
            block = f"```python\nvalue = {number}\n\nprint(value)\n```\n\n"
        elif number % 13 == 12:
            block = "- one\n- two\n- three\n\n"
        else:
            block = " ".join(rng.choice(words) for _ in range(rng.randint(20, 200))) + "\n\n"
        out.append(block)
        total += len(block)
        number += 1
    return "".join(out) + f"```python\n{CODE}```\n\nThe end.\n"


def test_a_1mb_reply_streams_with_bounded_work_per_frame(qtbot) -> None:
    view = View(qtbot)
    clock = FakeClock()
    view.delegate.layouts.renders.clock = clock
    laid_out: list[int] = []
    plain_layout = view.delegate.layouts._plain_layout

    def counting(text: str, width: int) -> object:
        laid_out.append(len(text))
        return plain_layout(text, width)

    view.delegate.layouts._plain_layout = counting  # type: ignore[method-assign]
    pasted = "pasted line\n" * 80_000  # about 1 MB the user sent first
    view.model.append(ChatMessage("user", text=pasted))
    view.list.doItemsLayout()
    # Once per width (the scroll bar that appears changes it).
    user_layouts = laid_out.count(len(pasted))
    assert 1 <= user_layouts <= 2
    view.delegate.layouts.max_layout_chars = 0  # that was the user's text, not the reply
    view.delegate.layouts.max_read_chars = 0
    text = long_reply(1_000_000)
    message = view.add("", done=False)
    reply = message.reply
    assert reply is not None
    most = 0
    for start in range(0, len(text), 10):
        reply.handle(text[start : start + 10])
        if start % 2_000 == 0:  # a frame: about 2 KB arrive per frame
            clock.now += 0.016
            view.model.touch(message)
            view.model.flush()
            view.delegate.layouts.refresh_rows(view.model, [0, 1])
            view.list.viewport().grab()
            most = max(most, view.delegate.layouts.last_layout_chars)
    reply.complete()
    view.model.touch(message)
    view.model.flush()
    view.delegate.layouts.refresh_rows(view.model, [1])
    qtbot.waitUntil(lambda: view.measure(1).rendered_length == len(text), timeout=60_000)

    assert most <= 64_000
    assert view.delegate.layouts.max_layout_chars <= 64_000
    # Each layout read the reply's tail, never the whole reply joined.
    assert view.delegate.layouts.max_read_chars <= 64_000
    assert view.delegate.layouts.renders.rendered_chars < 5 * len(text)
    # The user's long text was laid out once, not every frame.
    assert laid_out.count(len(pasted)) == user_layouts
    measure = view.measure(1)
    assert len(measure.pieces) > 50
    assert measure.layout is None
    assert measure.code_blocks[-1].code == CODE
    # The pieces stack without overlapping, down to the body's height.
    for above, below in zip(measure.pieces, measure.pieces[1:], strict=False):
        assert above.top + above.height <= below.top
    assert measure.pieces[-1].top + measure.pieces[-1].height <= measure.body.height()

    # The last code block, in the last segment, has the last global index.
    index = view.model.index(1)
    last = len(measure.code_blocks) - 1
    button = view.delegate.hits.copy_button_rect(index, last)
    assert view.delegate.hits.hit_test(index, button.center()) == markdown_hit(CODE, last)


def markdown_hit(code: str, block: int) -> Hit:
    return Hit("copy", code, block)


def test_copy_in_a_later_segment_copies_that_block(qtbot) -> None:
    # Qt's list view caps a row at 32767 pixels, so this reply stays shorter.
    view = View(qtbot)
    clock = FakeClock()
    view.delegate.layouts.renders.clock = clock
    text = long_reply(80_000)
    message = view.add("", done=False)
    reply = message.reply
    assert reply is not None
    for start in range(0, len(text), 1_000):
        reply.handle(text[start : start + 1_000])
        clock.now += 0.016
        view.model.touch(message)
        view.model.flush()
        view.delegate.layouts.refresh_rows(view.model, [0])
    reply.complete()
    view.model.touch(message)
    view.model.flush()
    view.delegate.layouts.refresh_rows(view.model, [0])
    qtbot.waitUntil(lambda: view.measure().rendered_length == len(text), timeout=60_000)
    index = view.model.index(0)
    # The view hears of the last renders' size on the next event-loop turn.
    qtbot.waitUntil(lambda: view.list.visualRect(index).size() == view.measure().row)
    measure = view.measure()
    assert len(measure.pieces) > 4
    assert measure.row.height() < 32_767
    blocks = measure.code_blocks
    for block in (len(blocks) - 1, len(blocks) // 2):
        scroll = view.list.verticalScrollBar()
        button = view.delegate.hits.copy_button_rect(index, block)
        scroll.setValue(scroll.value() + button.top() - 100)
        button = view.delegate.hits.copy_button_rect(index, block)
        assert view.list.viewport().rect().contains(button)
        QGuiApplication.clipboard().setText("before")
        QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
        assert QGuiApplication.clipboard().text() == blocks[block].code
        assert view.delegate._copied == (message.id, block)
    assert blocks[-1].code == CODE
    view.list.viewport().grab()


def test_a_long_reply_opened_at_once_renders_a_budget_at_a_time(qtbot) -> None:
    view = View(qtbot)
    text = long_reply(200_000)
    view.add(text)
    first = view.measure()
    # The first layout rendered a part and laid out no more than a budget; the rest
    # shows in the next turns of the event loop.
    assert 0 < first.rendered_length < len(text)
    assert view.delegate.layouts.last_layout_chars <= RENDER_BUDGET + SEGMENT_MAX
    qtbot.waitUntil(lambda: view.measure().rendered_length == len(text), timeout=60_000)
    done = view.measure()
    assert [b.code for b in done.code_blocks] == [b.code for b in markdown.render(text).code_blocks]


def test_markdown_shows_while_a_reply_streams_and_its_end_barely_moves(qtbot) -> None:
    view = View(qtbot)
    clock = FakeClock()
    view.delegate.layouts.renders.clock = clock
    text = long_reply(30_000)
    message = view.add("", done=False)
    reply = message.reply
    assert reply is not None
    tails: list[int] = []
    per_frame = 40
    for start in range(0, len(text), per_frame):
        reply.handle(text[start : start + per_frame])
        clock.now += 0.016
        measure = view.measure()
        tail = measure.layout.text() if measure.layout is not None else ""
        assert measure.rendered_length + len(tail) == reply.length
        tails.append(len(tail))
    # The plain-text tail stays short: the open segment's markdown is a few frames behind.
    assert max(tails) <= 0.25 * SEGMENT_MAX + per_frame * 6
    shown = "".join(doc.toPlainText() for doc in view.measure().documents)
    assert "```" not in shown
    before = view.measure().body.height()
    reply.complete()
    after = view.measure()
    assert after.layout is None
    # Rendering the last few lines as markdown moves the end by a few lines at most.
    line = view.list.fontMetrics().lineSpacing()
    assert abs(after.body.height() - before) <= 4 * line


def test_a_tall_bubble_drawn_cut_to_the_viewport_looks_the_same(qtbot, monkeypatch) -> None:
    """Only the part of a long reply's bubble near the viewport is outlined, and the
    window shows exactly what drawing the whole bubble showed."""
    from deskchat.gui import bubble_delegate
    from deskchat.gui.bubble_parts import visible_part

    view = View(qtbot)
    text = "a line of the reply, long enough to wrap once or twice\n\n" * 3_000
    view.add(text)
    qtbot.waitUntil(lambda: view.measure(0).rendered_length == len(text), timeout=30_000)
    view.model.append(ChatMessage("user", text="and a question under it"))
    view.list.doItemsLayout()
    bar = view.list.verticalScrollBar()
    assert bar.maximum() > 20 * view.list.viewport().height()
    drawn: list[QRectF] = []

    def cut(shape: QRectF, area: QRectF, margin: float) -> QRectF:
        part = visible_part(shape, area, margin)
        drawn.append(part)
        return part

    for value in (0, bar.maximum() // 2, bar.maximum()):
        bar.setValue(value)
        monkeypatch.setattr(bubble_delegate, "visible_part", cut)
        shown = view.list.viewport().grab().toImage()
        monkeypatch.setattr(bubble_delegate, "visible_part", lambda shape, _area, _m: shape)
        whole = view.list.viewport().grab().toImage()
        assert shown == whole, f"the bubble looks different at scroll {value}"
    assert drawn
    assert max(part.height() for part in drawn) < 2 * view.list.viewport().height()
    assert view.measure(0).bubble.height() > 20 * view.list.viewport().height()


def test_visible_part_cuts_above_and_below_only() -> None:
    from deskchat.gui.bubble_parts import visible_part

    area = QRectF(0, 0, 800, 600)
    tall = QRectF(10, -1e6, 300, 2e6)
    assert visible_part(tall, area, 28) == QRectF(10, -28, 300, 656)
    inside = QRectF(10, 50, 300, 100)
    assert visible_part(inside, area, 28) == inside
    above = visible_part(QRectF(10, -500, 300, 100), area, 28)
    assert above.height() == 0
