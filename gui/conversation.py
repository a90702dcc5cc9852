"""Conversations held in memory: plain objects the controller owns (no Qt).

This is the seam where persistence plugs in later: a history store only has
to produce and accept :class:`Conversation` objects.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

from provider import Message, ReplyState

__all__ = ["ChatMessage", "Conversation", "Conversations"]

_ids = itertools.count(1)
_TITLE_LIMIT = 48


@dataclass(eq=False)
class ChatMessage:
    """One bubble: the user's text, or an assistant reply streaming into ``reply``.

    Attributes:
        role: "user" or "assistant".
        text: the user's text (unused for replies).
        reply: the reply's state; None for user messages.
        id: unique within the process, used to key layout caches.
    """

    role: Literal["user", "assistant"]
    text: str = ""
    reply: ReplyState | None = None
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def content(self) -> str:
        """The text the bubble shows."""
        return self.reply.text if self.reply is not None else self.text

    @property
    def revision(self) -> tuple[int, str]:
        """Changes whenever what the bubble shows changes (cheap: no join)."""
        if self.reply is None:
            return (len(self.text), "user")
        return (self.reply.length, self.reply.status)


@dataclass(eq=False)
class Conversation:
    """A titled list of messages.

    Attributes:
        title: shown in the sidebar; taken from the first message.
        messages: the bubbles, oldest first.
    """

    title: str = "New chat"
    messages: list[ChatMessage] = field(default_factory=list)
    id: int = field(default_factory=lambda: next(_ids))

    def add(self, message: ChatMessage) -> None:
        if not self.messages and message.role == "user":
            self.title = _title(message.text)
        self.messages.append(message)

    def history(self) -> list[Message]:
        """What to send the provider: every message except failed or empty replies."""
        out: list[Message] = []
        for message in self.messages:
            if message.reply is not None and (
                message.reply.status in ("error", "waiting") or not message.reply.text
            ):
                continue
            out.append({"role": message.role, "content": message.content})
        return out


@dataclass
class Conversations:
    """Every conversation of this session, newest first."""

    items: list[Conversation] = field(default_factory=list)

    def new(self) -> Conversation:
        conversation = Conversation()
        self.items.insert(0, conversation)
        return conversation

    def by_id(self, conversation_id: int) -> Conversation | None:
        return next((c for c in self.items if c.id == conversation_id), None)


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _TITLE_LIMIT else line[: _TITLE_LIMIT - 1] + "…"
