"""The state of one reply as it streams: a pure object, events in, snapshot out.

The GUI's bubble, the CLI and the history writer all read the same state, so
"what has arrived" is decided in one place. Nothing here does I/O or knows Qt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from deskchat.errors import DeskChatError
from deskchat.i18n import _

from .events import Event, FinishEvent, ReasoningDelta, TextDelta, ToolCall, UsageEvent
from .text import SurrogateJoiner, mend_surrogates

__all__ = ["ReplyState", "ReplyStatus", "error_text"]

ReplyStatus: TypeAlias = Literal["waiting", "streaming", "complete", "stopped", "error"]


def error_text(exc: BaseException) -> str:
    """One sentence for the user; a bug (not a DeskChatError) says so plainly."""
    if isinstance(exc, DeskChatError):
        return exc.text()
    name = type(exc).__name__
    return _("DeskChat hit an internal error ({name}: {exc}). The partial reply is kept.").format(
        name=name, exc=exc
    )


_BLOCK = 1024
"""Pieces joined into one string at a time (see :class:`_Pieces`)."""


class _Pieces:
    """Text that grows piece by piece, held in blocks so memory stays flat in the piece count.

    A million three-character deltas kept as they came are a million string
    objects (about 50 bytes each: 60 MB for 3 MB of text). Every
    :data:`_BLOCK` pieces are joined into one string instead, so each
    character is copied once on the way in; reading the whole text joins the
    blocks and keeps the result as the one block.
    """

    __slots__ = ("_blocks", "_joined", "_tail", "length")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._tail: list[str] = []
        self._joined: str | None = ""
        self.length = 0

    def append(self, text: str) -> None:
        self._tail.append(text)
        self.length += len(text)
        self._joined = None
        if len(self._tail) >= _BLOCK:
            self._blocks.append("".join(self._tail))
            self._tail.clear()

    def text(self) -> str:
        if self._joined is None:
            self._blocks.extend(self._tail)
            self._tail.clear()
            self._joined = "".join(self._blocks)
            self._blocks = [self._joined]
        return self._joined

    def text_since(self, start: int) -> str:
        """``text()[start:]``, joining only the blocks from ``start`` on."""
        if self._joined is not None:
            return self._joined[start:]
        taken: list[str] = []
        left = self.length - start  # characters still to take, from the end back
        for piece in reversed(self._tail):
            if left <= 0:
                break
            taken.append(piece[-left:] if len(piece) > left else piece)
            left -= len(piece)
        for block in reversed(self._blocks):
            if left <= 0:
                break
            taken.append(block[-left:] if len(block) > left else block)
            left -= len(block)
        taken.reverse()
        return "".join(taken)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Pieces) and self.text() == other.text()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


@dataclass
class ReplyState:
    """Everything known about one reply so far.

    Attributes:
        status: waiting (nothing yet), streaming, complete, stopped or error.
        error: the sentence shown when status is "error".
        prompt_tokens, completion_tokens: as reported by the server, if it did.
        finish_reason: why the model stopped, if the server said.
        started, first_text_at, finished_at: ``time.monotonic()`` readings.
    """

    clock: Callable[[], float] = time.monotonic
    status: ReplyStatus = "waiting"
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    started: float = 0.0
    first_text_at: float | None = None
    finished_at: float | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    """The tools the model asked for in this round, not yet taken (:meth:`take_tool_calls`)."""
    _text: _Pieces = field(default_factory=_Pieces)
    _reasoning: _Pieces = field(default_factory=_Pieces)
    # Half an emoji from one event waits here for its other half in the next
    # (see provider.text): text that enters the reply is always encodable.
    _text_halves: SurrogateJoiner = field(default_factory=SurrogateJoiner)
    _reasoning_halves: SurrogateJoiner = field(default_factory=SurrogateJoiner)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @classmethod
    def ended(cls, text: str, status: Literal["complete", "stopped"] = "complete") -> ReplyState:
        """A reply that already ended with ``text``, as if it had streamed in one piece.

        For a reply read back from a history: the same state as ``handle(text)``
        then ``complete()`` (or ``stop()``), without the stream's per-event work.
        """
        reply = cls()
        if text:
            reply.first_text_at = reply.clock()
            reply._text.append(mend_surrogates(text))
        reply.status = status
        reply.finished_at = reply.clock()
        return reply

    @property
    def text(self) -> str:
        """The visible reply so far (joined once per change, not per chunk)."""
        return self._text.text()

    def text_since(self, start: int) -> str:
        """``text[start:]`` without joining the text before ``start``: a window on a
        long reply costs what it holds, not the reply's length."""
        return self._text.text_since(max(start, 0))

    @property
    def reasoning(self) -> str:
        return self._reasoning.text()

    @property
    def length(self) -> int:
        """Characters of visible text, without joining."""
        return self._text.length

    @property
    def finished(self) -> bool:
        return self.status in ("complete", "stopped", "error")

    def handle(self, event: Event | str) -> str:
        """Apply one event; return the visible text it added ("" if none).

        A UTF-16 surrogate half (from a JSON escape) waits for its other half
        in the next piece; one left alone becomes U+FFFD.
        """
        if isinstance(event, str):
            event = TextDelta(event)
        if isinstance(event, TextDelta):
            if not event.text:
                return ""
            if self.first_text_at is None:
                self.first_text_at = self.clock()
            self.status = "streaming"
            return self._add_text(self._text_halves.feed(event.text))
        if isinstance(event, ReasoningDelta):
            reasoning = self._reasoning_halves.feed(event.text)
            if reasoning:
                self._reasoning.append(reasoning)
            if self.status == "waiting":
                self.status = "streaming"
        elif isinstance(event, UsageEvent):
            self.prompt_tokens = event.prompt_tokens
            self.completion_tokens = event.completion_tokens
        elif isinstance(event, FinishEvent):
            self.finish_reason = event.reason
        elif isinstance(event, ToolCall):
            self.tool_calls.append(event)
            if self.status == "waiting":
                self.status = "streaming"
        return ""

    def take_tool_calls(self) -> list[ToolCall]:
        """The calls asked for since the last take; the state holds none after."""
        calls, self.tool_calls = self.tool_calls, []
        return calls

    def _add_text(self, text: str) -> str:
        if text:
            self._text.append(text)
        return text

    def complete(self) -> None:
        self._finish("complete")

    def stop(self) -> None:
        """The user pressed Stop: keep what arrived, marked as stopped."""
        self._finish("stopped")

    def fail(self, exc: BaseException) -> None:
        """The stream failed: keep what arrived, with a sentence saying why."""
        self.error = error_text(exc)
        self._finish("error")

    def _finish(self, status: ReplyStatus) -> None:
        if not self.finished:
            # A half still waiting had no partner: kept as U+FFFD, not dropped.
            self._add_text(self._text_halves.finish())
            reasoning = self._reasoning_halves.finish()
            if reasoning:
                self._reasoning.append(reasoning)
            self.status = status
            self.finished_at = self.clock()

    @property
    def elapsed(self) -> float:
        end = self.finished_at if self.finished_at is not None else self.clock()
        return end - self.started

    @property
    def tokens_per_second(self) -> float | None:
        """Completion tokens over the time since the first text, when known."""
        if not self.completion_tokens or self.first_text_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else self.clock()
        span = end - self.first_text_at
        return self.completion_tokens / span if span > 0 else None
