"""Glue between the window and the history store that needs no Qt."""

from __future__ import annotations

from store import AsyncReplyWriter, AsyncStore, ReplyWriter
from store import Message as StoredMessage

from .conversation import ChatMessage, from_stored

__all__ = ["CONTINUE_PROMPT", "bubbles", "resume_reply"]

CONTINUE_PROMPT = (
    "Your previous answer was cut off. Continue it exactly where it stopped, "
    "without repeating anything already written."
)
"""The user turn sent after a partial reply when the user asks to continue it."""


def bubbles(path: list[StoredMessage]) -> list[ChatMessage]:
    """The bubbles for a stored path (system messages are settings, not bubbles)."""
    return [from_stored(m) for m in path if m.role != "system"]


async def resume_reply(
    history: AsyncStore, stored: StoredMessage, *, interval: float = 0.2
) -> AsyncReplyWriter:
    """A writer that appends to an existing reply row instead of making a new one."""

    def make(s: object) -> ReplyWriter:
        writer = ReplyWriter(
            s,  # type: ignore[arg-type]
            stored.conversation_id,
            stored.parent_id,
            provider=stored.provider,
            model=stored.model,
            interval=0.0,
        )
        # The row exists: with its id set, every save rewrites it in place.
        writer.message_id = stored.id
        return writer

    inner = await history.call(make)
    writer = AsyncReplyWriter(history, inner, interval=interval)
    # Start from the old text, so the row keeps it and the new text follows.
    writer.append(stored.content)
    return writer
