"""Split a model's ``<think>…</think>`` block out of its text (sans-I/O).

Reasoning models (Qwen3, DeepSeek-R1, QwQ) write their reasoning first,
between ``<think>`` and ``</think>``, then the answer. A server would hand the
two apart (``reasoning_content``); the built-in engine gets raw text, so this
does it: text in, :class:`TextDelta` and :class:`ReasoningDelta` out, tags cut
even when they arrive split across pieces. Only a block at the very start of
the reply counts, so a reply that talks *about* ``<think>`` tags keeps them.
Some chat templates open the block themselves (the prompt ends in
``<think>``): then the reply starts inside it.
"""

from __future__ import annotations

from .events import Event, ReasoningDelta, TextDelta

__all__ = ["ReasoningSplitter"]

OPEN = "<think>"
CLOSE = "</think>"


class ReasoningSplitter:
    """Pure state of one reply's text: pieces in, events out.

    Args:
        inside: the reply starts inside the reasoning (the template opened it).
    """

    def __init__(self, *, inside: bool = False) -> None:
        # "start": nothing but whitespace yet; "think": in the block; "text": after it.
        self._state = "think" if inside else "start"
        self._held = ""
        self._trim = False  # drop the whitespace that follows </think>

    def feed(self, piece: str) -> list[Event]:
        """The events ``piece`` completes (a possible tag's start is held back)."""
        events: list[Event] = []
        text = self._held + piece
        self._held = ""
        while text:
            if self._state == "start":
                text = self._start(text)
            elif self._state == "think":
                text = self._think(text, events)
            else:
                self._visible(text, events)
                text = ""
        return events

    def finish(self) -> list[Event]:
        """End of the reply: whatever was held back, as what it turned out to be."""
        held, self._held = self._held, ""
        if not held:
            return []
        if self._state == "think":
            return [ReasoningDelta(held)]
        return [TextDelta(held)]

    def _start(self, text: str) -> str:
        stripped = text.lstrip()
        if not stripped:
            self._held = text
            return ""
        if stripped.startswith(OPEN):
            self._state = "think"
            return stripped[len(OPEN) :]
        if OPEN.startswith(stripped):
            self._held = text
            return ""
        self._state = "text"
        return text

    def _think(self, text: str, events: list[Event]) -> str:
        end = text.find(CLOSE)
        if end >= 0:
            if text[:end]:
                events.append(ReasoningDelta(text[:end]))
            self._state = "text"
            self._trim = True
            return text[end + len(CLOSE) :]
        keep = _partial_suffix(text, CLOSE)
        if len(text) > keep:
            events.append(ReasoningDelta(text[: len(text) - keep]))
        self._held = text[len(text) - keep :]
        return ""

    def _visible(self, text: str, events: list[Event]) -> None:
        if self._trim:
            text = text.lstrip()
            if not text:
                return
            self._trim = False
        events.append(TextDelta(text))


def _partial_suffix(text: str, tag: str) -> int:
    """The length of the longest end of ``text`` that begins ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
