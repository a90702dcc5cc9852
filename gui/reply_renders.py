"""Replies' markdown as segments, rendered once each and at most a budget per layout.

A reply is split into segments (:class:`~gui.markdown.Segmenter`, 2-4 KB
each), one inert document per segment: a closed segment is rendered once;
only the last, open one is parsed again while the reply streams, when a
:class:`~gui.markdown.RenderThrottle` allows. One call renders at most
:data:`RENDER_BUDGET` characters (beyond its first segment); the caller
shows the rest as plain text and asks again on the next event-loop turn.
Code block numbers run across segments.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QFont,
    QFontInfo,
    QFontMetricsF,
    QGuiApplication,
    QTextCursor,
    QTextDocument,
    QTextOption,
)

from deskchat.chat.conversation import ChatMessage

from . import markdown, math_render
from .bubble_parts import InertDocument, ReplyMarkdown, Segment
from .reply_text import ReplyText

__all__ = ["CACHED_REPLIES", "OPEN_INTERVAL", "RENDER_BUDGET", "ReplyRenders"]

RENDER_BUDGET = 8_000
"""Characters of markdown one layout renders at most (beyond its first segment)."""
OPEN_INTERVAL = 0.08
"""Seconds between renders of the open segment while it streams (about five frames):
its markdown shows a few frames behind the text, which shows as plain text meanwhile."""
CACHED_REPLIES = 128
"""How many replies keep their segments and documents."""


class ReplyRenders:
    """Every shown reply's segments and their rendered documents, newest used last.

    Args:
        font: the font documents are set in (the view's, read at each render).

    Attributes:
        clock: seconds, monotonic; paces markdown renders of streaming replies.
        full_renders: how many times markdown was rendered (for tests).
        rendered_chars: the characters of all those renders (for tests).
        last_chars: the characters rendered by the last :meth:`segments` call.
    """

    def __init__(self, font: Callable[[], QFont]) -> None:
        self._font = font
        self._replies: OrderedDict[int, ReplyMarkdown] = OrderedDict()
        self.clock: Callable[[], float] = time.monotonic
        self.full_renders = 0
        self.rendered_chars = 0
        self.last_chars = 0

    def forget(self) -> None:
        """Drop every render (after a font or palette change)."""
        self._replies.clear()

    def segments(self, message: ChatMessage, text: ReplyText, dark: bool) -> ReplyMarkdown:
        """The reply's segments, with what the render budget allows rendered now.

        Closed segments are rendered once, in order; the open one again when
        its throttle allows. What is left waits (``state.behind(...)``). Only
        the text from the first segment still to render on is read.
        """
        self.last_chars = 0
        state = self._state(message, text, dark)
        for start in state.segmenter.feed(text):
            closing = state.segments[-1]
            closing.end = start
            if closing.rendered_length == start - closing.start:
                closing.final = True
            else:
                # The render of the open segment showed a prefix only.
                closing.document = closing.rendered = None
                closing.rendered_length = 0
                closing.geometry.clear()
            state.segments.append(Segment(start))
            state.throttle = self._throttle()
        finished = message.reply is None or message.reply.finished
        spent = self._render_closed(state, text, dark)
        last = state.segments[-1]
        size = len(text) - last.start
        closed = len(state.segments) - 1
        if state.rendered == closed and not (spent and spent + size > RENDER_BUDGET):
            if state.throttle.should_render(size, final=finished):
                self._render(last, text.slice(last.start), dark, state.code_count)
        if finished and last.rendered_length == size and last.document is not None:
            last.final = True
        return state

    def _state(self, message: ChatMessage, text: ReplyText, dark: bool) -> ReplyMarkdown:
        """The reply's kept state, or a fresh one when its text is not the one seen before."""
        length = len(text)
        state = self._replies.get(message.id)
        if state is not None:
            seen, tail = state.check
            # A different text than before (shorter, or other characters where
            # it ended) means the message was replaced: start over.
            if state.dark != dark or length < seen or text.slice(seen - len(tail), seen) != tail:
                state = None
        if state is None:
            state = ReplyMarkdown(dark, markdown.Segmenter(), [Segment(0)], self._throttle())
            self._replies[message.id] = state
            if len(self._replies) > CACHED_REPLIES:
                self._replies.popitem(last=False)
        else:
            self._replies.move_to_end(message.id)
        state.check = (length, text.slice(max(0, length - 32)))
        return state

    def _throttle(self) -> markdown.RenderThrottle:
        return markdown.RenderThrottle(self.clock, interval=OPEN_INTERVAL)

    def _render_closed(self, state: ReplyMarkdown, text: ReplyText, dark: bool) -> int:
        """Render closed segments in order while the budget lasts; the characters spent."""
        spent = 0
        closed = len(state.segments) - 1
        while state.rendered < closed:
            segment = state.segments[state.rendered]
            if not segment.final:
                assert segment.end is not None
                size = segment.end - segment.start
                if spent and spent + size > RENDER_BUDGET:
                    break
                self._render(
                    segment, text.slice(segment.start, segment.end), dark, state.code_count
                )
                segment.final = True
                spent += size
            assert segment.rendered is not None
            state.code_count += len(segment.rendered.code_blocks)
            state.rendered += 1
        return spent

    def _render(self, segment: Segment, text: str, dark: bool, first_code: int) -> None:
        """Render ``text``, the segment or its prefix; its code blocks count from ``first_code``."""
        self.full_renders += 1
        self.rendered_chars += len(text)
        self.last_chars += len(text)
        look = markdown.theme(dark)
        size = self._math_size()
        segment.rendered = markdown.render(
            text,
            dark=dark,
            first_code=first_code,
            math=lambda f: math_render.draw(f.source, f.display, look.code_text, size) is not None,
        )
        segment.rendered_length = len(text)
        document = self._document(segment.rendered.html)
        self._add_formulas(document, segment.rendered.formulas, look.code_text, size)
        segment.document = document
        first = document.begin()
        starts_table = QTextCursor(first).currentTable() is not None or (
            not first.text() and QTextCursor(first.next()).currentTable() is not None
        )
        # A table keeps its own top margin, and Qt then drops the margin above it.
        top = -1.0 if starts_table else first.blockFormat().topMargin()
        segment.margins = (top, document.lastBlock().blockFormat().bottomMargin())
        segment.geometry.clear()
        segment.plain.clear()

    def _math_size(self) -> float:
        """Formulas' size in pixels: the text's."""
        return float(QFontInfo(self._font()).pixelSize())

    def _add_formulas(
        self,
        document: InertDocument,
        formulas: tuple[markdown.Formula, ...],
        color: str,
        size: float,
    ) -> None:
        """Give ``document`` its formulas' images (``deskchat-math:i``), in the text's colour."""
        document.formulas = formulas
        if not formulas:
            return
        x_height = QFontMetricsF(self._font()).xHeight()
        app = QGuiApplication.instance()
        ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
        for number, formula in enumerate(formulas):
            drawn = math_render.draw(formula.source, formula.display, color, size)
            if drawn is not None:
                document.addResource(
                    QTextDocument.ResourceType.ImageResource.value,
                    QUrl(f"{markdown.MATH_SCHEME}:{number}"),
                    math_render.image(drawn, x_height, ratio),
                )

    def _document(self, html: str) -> InertDocument:
        # No Qt parent: the document dies with the last cache entry holding it.
        document = InertDocument()
        document.setUndoRedoEnabled(False)
        document.setDocumentMargin(0)
        document.setIndentWidth(20)
        document.setDefaultFont(self._font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        document.setDefaultTextOption(option)
        document.setHtml(html)
        return document
