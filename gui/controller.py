"""The chat session's Qt side: its notices as Qt signals, its conversation in the list model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from deskchat.chat.conversation import Conversations
from deskchat.chat.session import ChatSession
from deskchat.provider import Provider

from .message_model import MessageModel

if TYPE_CHECKING:
    from deskchat.store import AsyncStore

__all__ = ["ChatController"]


class ChatController(QObject):
    """Owns a :class:`~deskchat.chat.session.ChatSession` shown in a :class:`MessageModel`.

    Everything the session does is in :attr:`session` (send, retry, edit,
    versions, conversations); this object turns the session's notices into
    Qt signals, so widgets connect to them like to any other Qt signal.

    Args:
        chat_provider: what streams replies.
        model: the list model the message view shows.
        model_name: the model to ask for; None for the provider's default.
        conversations: the conversations to start with.
        history: the open history store, or None to keep nothing.

    Signals:
        busy_changed(bool): True when a reply starts streaming, False when it ends.
        status_changed(str): a one-line status ("" when there is nothing to say).
        reply_finished(str): a reply ended: "complete", "stopped" or "error".
        retry_available(bool): whether the shown conversation ends in a failed reply.
        continue_available(bool): whether it ends in a reply cut off by a closed app.
        models_loaded(list, str): the provider's model names and the selected one.
        conversations_changed(): a conversation was added, renamed, moved or removed.
        conversation_selected(int): the id of the conversation now shown.
        conversation_deleted(int, str): a conversation went to the bin (id, title).
        message_focused(int): the row to scroll to and select.
    """

    busy_changed = Signal(bool)
    status_changed = Signal(str)
    reply_finished = Signal(str)
    retry_available = Signal(bool)
    continue_available = Signal(bool)
    models_loaded = Signal(list, str)
    conversations_changed = Signal()
    conversation_selected = Signal(int)
    conversation_deleted = Signal(int, str)
    message_focused = Signal(int)

    def __init__(
        self,
        chat_provider: Provider,
        model: MessageModel,
        *,
        model_name: str | None = None,
        conversations: Conversations | None = None,
        history: AsyncStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.session = ChatSession(
            chat_provider,
            model,
            model_name=model_name,
            conversations=conversations,
            history=history,
        )
        self._connect_signals()

    def _connect_signals(self) -> None:
        events = self.session.events
        events.busy_changed.connect(self.busy_changed.emit)
        events.status_changed.connect(self.status_changed.emit)
        events.reply_finished.connect(self.reply_finished.emit)
        events.retry_available.connect(self.retry_available.emit)
        events.continue_available.connect(self.continue_available.emit)
        events.models_loaded.connect(self.models_loaded.emit)
        events.conversations_changed.connect(self.conversations_changed.emit)
        events.conversation_selected.connect(self.conversation_selected.emit)
        events.conversation_deleted.connect(self.conversation_deleted.emit)
        events.message_focused.connect(self.message_focused.emit)
