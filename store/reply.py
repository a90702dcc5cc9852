"""Saving an assistant reply while it streams, so a crash loses at most ~200 ms.

The row is created at the first chunk with status 'streaming', the text that
arrived since is added at most every ``interval`` seconds (only the new text is
written, see ``store.pieces``), and the row is finished with its final status. A reply
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
    first chunk, ``Store.append_reply`` while streaming, ``Store.finish_reply``
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
        # The text saved, one string per save, and the chunks since: a save
        # writes only the chunks since the last one.
        self._parts: list[str] = []
        self._unsaved: list[str] = []
        self._last_save = 0.0
        self._finished = False
        self._tools: str | None = None

    @property
    def text(self) -> str:
        saved = "".join(self._parts)
        self._parts = [saved] if saved else []
        return saved + "".join(self._unsaved)

    def resume(self, message_id: int, text: str) -> None:
        """Go on with the existing row ``message_id`` whose saved text is ``text``."""
        self.message_id = message_id
        self._parts = [text] if text else []
        self._unsaved = []
        self._last_save = self.clock()

    def append(self, chunk: str) -> None:
        """Add text; save now if this is the first chunk or ``interval`` has passed."""
        if self._finished:
            raise RuntimeError("append() after finish()")
        if not chunk:
            return
        self._unsaved.append(chunk)
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
        if self.message_id is None or not self._unsaved:
            return
        new = "".join(self._unsaved)
        self.store.append_reply(self.message_id, new)
        self._parts.append(new)
        self._unsaved.clear()
        self._mark_saved()

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
        self._parts, self._unsaved = [text] if text else [], []
        self._mark_saved()
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
        self._parts, self._unsaved = [text] if text else [], []
        self._mark_saved()

    def _mark_saved(self) -> None:
        self._last_save = self.clock()
        self.saves += 1
