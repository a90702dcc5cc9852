"""A message's text as a measure reads it: from an offset on, never joined whole per frame.

A streaming reply's text lives in pieces (``ReplyState``); joining all of it
(``message.content``) copies the whole reply, which each frame of a 4 MB reply
would pay in milliseconds. A measure of a growing reply reads only its tail
(the open segment, what the segmenter has not scanned yet), so it asks for
slices by offset and this window fetches ``text[start:]`` once, from the
earliest offset asked for.
"""

from __future__ import annotations

from deskchat.chat.conversation import ChatMessage

__all__ = ["ReplyText"]


class ReplyText:
    """``message.content`` read by absolute offsets, fetched from the first one asked for.

    Attributes:
        base: the offset of :attr:`window`'s first character.
        window: ``content[base:]``.
        fetched: characters fetched so far (for tests: a growing reply's measure
            fetches its tail, not the whole reply).
    """

    def __init__(self, message: ChatMessage) -> None:
        self._message = message
        reply = message.reply
        self._length = reply.length if reply is not None else len(message.text)
        self.base = self._length
        self.window = ""
        self.fetched = 0

    def __len__(self) -> int:
        return self._length

    def reach(self, start: int) -> None:
        """Make sure :attr:`window` starts at ``start`` or before."""
        start = max(0, min(start, self._length))
        if start >= self.base:
            return
        reply = self._message.reply
        if reply is not None:
            window = reply.text_since(start)
        else:
            window = self._message.text[start:]
        self.fetched += len(window)
        self.base, self.window = start, window

    def slice(self, start: int, end: int | None = None) -> str:
        """``content[start:end]`` (offsets in the whole text)."""
        self.reach(start)
        stop = None if end is None else max(end - self.base, 0)
        return self.window[start - self.base : stop]
