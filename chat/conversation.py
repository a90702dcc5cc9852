"""Conversations held in memory: plain objects the chat session owns.

With a history store, each object remembers its row (``store_id``) and
:func:`from_stored` turns stored messages into bubbles; without one they
live for the session only. :class:`MessageList` is what the session needs of
whatever shows one conversation (the window's list model, or
:class:`ShownConversation` for the command line and tests).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

from deskchat.i18n import _
from deskchat.provider import Message, ProviderError, ReplyState
from deskchat.store import make_title

from .tool_uses import ToolUse, reply_turns, uses_from_stored

if TYPE_CHECKING:
    from deskchat.attach import Attachment
    from deskchat.store import Message as StoredMessage

__all__ = [
    "ChatMessage",
    "Conversation",
    "Conversations",
    "MessageList",
    "Revision",
    "ShownConversation",
    "bubbles",
    "from_stored",
]

_ids = itertools.count(1)

Revision: TypeAlias = tuple[int, str, int, int, str]
"""What a bubble shows, cheaply: text length, status, version, versions, the calls' states."""


@dataclass(eq=False)
class ChatMessage:
    """One bubble: the user's text, or an assistant reply streaming into ``reply``.

    Attributes:
        role: "user" or "assistant".
        text: the user's text (unused for replies).
        reply: the reply's state; None for user messages.
        id: unique within the process, used to key layout caches.
        store_id: the message's row in the history store (None until saved).
        parent_id: the stored message this one follows (None for the first).
        version, versions: its place among its stored siblings (``< 2/3 >``).
        interrupted: a reply DeskChat was still writing when it last closed.
        live: the reply streamed in this session, so its timing is known.
        prefix: characters that were already there when a reply was continued.
        model: the model that wrote a reply (None when not known).
        tools: the tools a reply called, in order (with their results).
        attachments: the files sent with a user message (``deskchat.attach``).
        created_at: when it was written, in seconds since the epoch (the store's
            time for a message read back; now for a new one).
    """

    role: Literal["user", "assistant"]
    text: str = ""
    reply: ReplyState | None = None
    id: int = field(default_factory=lambda: next(_ids))
    store_id: int | None = None
    parent_id: int | None = None
    version: int = 1
    versions: int = 1
    interrupted: bool = False
    live: bool = False
    prefix: int = 0
    model: str | None = None
    tools: list[ToolUse] = field(default_factory=list)
    attachments: tuple[Attachment, ...] = ()
    created_at: float = field(default_factory=time.time)

    @property
    def content(self) -> str:
        """The text the bubble shows."""
        return self.reply.text if self.reply is not None else self.text

    @property
    def revision(self) -> Revision:
        """Changes whenever what the bubble shows changes (cheap: no join)."""
        if self.reply is None:
            return (len(self.text), "user", self.version, self.versions, "")
        status = "interrupted" if self.interrupted else self.reply.status
        # The calls' states: a call approved, denied or finished repaints the bubble.
        calls = ",".join(use.status for use in self.tools) if self.tools else ""
        return (self.reply.length, status, self.version, self.versions, calls)


@dataclass(eq=False)
class Conversation:
    """A titled list of messages.

    Attributes:
        title: shown in the sidebar; taken from the first message the way the
            history store takes it, unless the user renamed the chat first.
        renamed: the user chose the title.
        messages: the bubbles, oldest first.
        store_id: the conversation's row in the history store (None until
            its first message is saved).
        loaded: False while its messages are still in the store only.
        earlier: how many stored messages of its path are above ``messages`` and
            not read yet (a long conversation shows its last ones first, and the
            session reads the rest after them); 0 once ``messages`` is the whole path.
    """

    title: str = field(default_factory=lambda: _("New chat"))
    renamed: bool = False
    messages: list[ChatMessage] = field(default_factory=list)
    id: int = field(default_factory=lambda: next(_ids))
    store_id: int | None = None
    loaded: bool = True
    earlier: int = 0
    tools_always: set[str] = field(default_factory=set)
    """The tools the user let run without asking here, as the history keeps them."""

    def add(self, message: ChatMessage) -> None:
        if not self.messages and message.role == "user" and not self.renamed:
            self.title = make_title(message.text) or self.title
        self.messages.append(message)

    def history(self, upto: int | None = None) -> list[Message]:
        """What to send the provider: every message except failed or empty replies.

        Args:
            upto: the last row to include (default: all of them).
        """
        out: list[Message] = []
        shown = self.messages if upto is None else self.messages[: upto + 1]
        for message in shown:
            if message.reply is not None and (
                message.reply.status in ("error", "waiting")
                or not (message.reply.text or message.tools)
            ):
                continue
            if message.tools:
                out.extend(reply_turns(message.content, message.tools))
                continue
            if message.attachments:
                # Imported here: only a chat with files loads the attachment modules.
                from .attachments import prompt_message

                out.append(prompt_message(message.content, message.attachments))
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

    def by_store_id(self, store_id: int) -> Conversation | None:
        return next((c for c in self.items if c.store_id == store_id), None)

    def move_to_top(self, conversation: Conversation) -> None:
        """Put ``conversation`` first (it was just used)."""
        if conversation in self.items:
            self.items.remove(conversation)
        self.items.insert(0, conversation)


class MessageList(Protocol):
    """The conversation on show, changed only through these methods.

    The session calls them; an implementation may tell a view (the window's
    list model announces rows to Qt) but must keep ``conversation.messages``
    as the one list of messages.
    """

    @property
    def conversation(self) -> Conversation: ...

    def set_conversation(self, conversation: Conversation) -> None:
        """Show another conversation."""

    def append(self, message: ChatMessage) -> int:
        """Add a message at the end; return its row."""

    def prepend(self, messages: Sequence[ChatMessage]) -> None:
        """Put ``messages`` above the first (the rest of a long conversation, read later).

        Rows are the conversation's: every row shown moves down by ``len(messages)``.
        """

    def truncate(self, row: int) -> None:
        """Remove the messages from ``row`` to the end."""

    def replace(self, row: int, messages: Sequence[ChatMessage]) -> None:
        """Show ``messages`` from ``row`` on, in place of the rows there (another branch).

        The rows above stay as they are and a row in both is changed in place,
        so a view scrolled anywhere stays where it is. The title does not change.
        """

    def touch(self, message: ChatMessage) -> None:
        """``message`` changed (its reply grew or ended); may be announced later."""

    def flush(self) -> None:
        """Announce every change noted by :meth:`touch` now."""

    def row_of_store_id(self, store_id: int) -> int | None:
        """The row of the stored message ``store_id``, if shown."""


class ShownConversation:
    """A :class:`MessageList` with nothing to tell: for the command line and tests."""

    def __init__(self, conversation: Conversation | None = None) -> None:
        self._conversation = conversation or Conversation()

    @property
    def conversation(self) -> Conversation:
        return self._conversation

    def set_conversation(self, conversation: Conversation) -> None:
        self._conversation = conversation

    def append(self, message: ChatMessage) -> int:
        self._conversation.add(message)
        return len(self._conversation.messages) - 1

    def extend(self, messages: Iterable[ChatMessage]) -> int:
        for message in messages:
            self._conversation.add(message)
        return len(self._conversation.messages) - 1

    def prepend(self, messages: Sequence[ChatMessage]) -> None:
        self._conversation.messages[0:0] = messages

    def truncate(self, row: int) -> None:
        del self._conversation.messages[row:]

    def replace(self, row: int, messages: Sequence[ChatMessage]) -> None:
        shown = self._conversation.messages
        shown[row:] = messages

    def touch(self, message: ChatMessage) -> None:
        pass

    def flush(self) -> None:
        pass

    def row_of_store_id(self, store_id: int) -> int | None:
        for row, message in enumerate(self._conversation.messages):
            if message.store_id == store_id:
                return row
        return None


def bubbles(path: list[StoredMessage]) -> list[ChatMessage]:
    """The bubbles for a stored path (system messages are settings, not bubbles)."""
    return [from_stored(m) for m in path if m.role != "system"]


def from_stored(stored: StoredMessage) -> ChatMessage:
    """A bubble for a message read from the history store."""
    if stored.role != "assistant":
        # System prompts are conversation settings, never bubbles; the caller drops them.
        attachments: tuple[Attachment, ...] = ()
        if stored.attachments:
            from .attachments import attachments_of

            attachments = attachments_of(stored)
        return ChatMessage(
            "user",
            text=stored.content,
            store_id=stored.id,
            parent_id=stored.parent_id,
            version=stored.version,
            versions=stored.versions,
            attachments=attachments,
            created_at=stored.created_at,
        )
    if stored.status == "error":
        reply = ReplyState()
        if stored.content:
            reply.handle(stored.content)
        reply.fail(ProviderError(stored.error or _("The reply failed.")))
    else:
        # Ended already: built whole, not fed through the stream's decoder piece
        # by piece. 'stopped' by the user, or 'streaming': cut off when DeskChat closed.
        reply = ReplyState.ended(
            stored.content, "complete" if stored.status == "complete" else "stopped"
        )
    reply.prompt_tokens = stored.prompt_tokens
    reply.completion_tokens = stored.completion_tokens
    return ChatMessage(
        "assistant",
        reply=reply,
        store_id=stored.id,
        parent_id=stored.parent_id,
        version=stored.version,
        versions=stored.versions,
        interrupted=stored.interrupted,
        model=stored.model,
        tools=uses_from_stored(stored.tools) if stored.tools else [],
        created_at=stored.created_at,
    )
