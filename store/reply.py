"""Saving an assistant reply while it streams, so a crash loses at most ~200 ms.

The row is created at the first chunk with status 'streaming', rewritten at
most every ``interval`` seconds, and finished with its final status. A reply
still 'streaming' when the app next starts was interrupted
(``Store.interrupted_replies``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Message
    from .store import Store

__all__ = ["ReplyWriter"]

log = logging.getLogger("deskchat.store")


class ReplyWriter:
    """Writes one streaming reply into the store (made by ``Store.begin_reply``).

    It writes through the store's reply methods: ``Store.insert_reply`` at the
    first chunk, ``Store.save_reply`` while streaming, ``Store.finish_reply``
    at the end.

    Args:
        store: the open store.
        conversation_id, parent_id: where the reply goes (parent: the user message).
        provider, model: recorded on the row.
        clock: monotonic seconds; tests inject a fake.
        interval: the most time between saves while streaming; 0 saves every chunk.

    Attributes:
        message_id: the row's id once the first chunk arrived, else None.
        text: everything appended so far.
    """

    def __init__(
        self,
        store: Store,
        conversation_id: int,
        parent_id: int | None,
        *,
        provider: str | None = None,
        model: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.parent_id = parent_id
        self.provider = provider
        self.model = model
        self.clock = clock
        self.interval = interval
        self.message_id: int | None = None
        self.saves = 0
        self._parts: list[str] = []
        self._saved_len = 0
        self._last_save = 0.0
        self._finished = False
        self._tools: str | None = None

    @property
    def text(self) -> str:
        joined = "".join(self._parts)
        self._parts = [joined] if joined else []
        return joined

    def resume(self, message_id: int, text: str) -> None:
        """Go on with the existing row ``message_id`` whose saved text is ``text``."""
        self.message_id = message_id
        self._parts = [text] if text else []
        self._saved_len = len(text)
        self._last_save = self.clock()

    def append(self, chunk: str) -> None:
        """Add text; save now if this is the first chunk or ``interval`` has passed."""
        if self._finished:
            raise RuntimeError("append() after finish()")
        if not chunk:
            return
        self._parts.append(chunk)
        if self.message_id is None:
            self._create("streaming")
        elif self.clock() - self._last_save >= self.interval:
            self.flush()

    def set_tools(self, tools: str | None) -> None:
        """Save the JSON list of the reply's tool calls now (the row is made if need be)."""
        if self._finished:
            raise RuntimeError("set_tools() after finish()")
        self._tools = tools
        if self.message_id is None:
            self._create("streaming")
        else:
            self.flush()
        assert self.message_id is not None
        self.store.save_reply_tools(self.message_id, tools)

    def flush(self) -> None:
        """Save the text now if anything arrived since the last save."""
        if self.message_id is None:
            return
        text = self.text
        if len(text) != self._saved_len:
            self.store.save_reply(self.message_id, text)
            self._mark_saved(text)

    def finish(
        self,
        status: str = "complete",
        *,
        error: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> Message | None:
        """Save the final text and status; returns the message.

        A reply stopped before any text leaves no row and returns None; an
        error with no text still gets a row, so the error stays in history.
        """
        if self._finished:
            raise RuntimeError("finish() called twice")
        self._finished = True
        if self.message_id is None:
            if status == "stopped" or (status == "complete" and not self.text):
                return None
            self._create(status, error=error)
        assert self.message_id is not None
        text = self.text
        self.store.finish_reply(
            self.message_id,
            text,
            status,
            error=error,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        self._mark_saved(text)
        return self.store.get_message(self.message_id)

    def _create(self, status: str, *, error: str | None = None) -> None:
        text = self.text
        self.message_id = self.store.insert_reply(
            self.conversation_id,
            self.parent_id,
            text,
            status=status,
            provider=self.provider,
            model=self.model,
            error=error,
        )
        self._mark_saved(text)

    def _mark_saved(self, text: str) -> None:
        self._saved_len = len(text)
        self._last_save = self.clock()
        self.saves += 1
