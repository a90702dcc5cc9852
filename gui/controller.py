"""The chat controller: owns the conversations and the streaming reply task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

import provider
from provider import Message, ProviderError, ReplyState

from .conversation import ChatMessage, Conversation, Conversations
from .errors import show_error
from .message_model import MessageModel

__all__ = ["ChatController"]

log = logging.getLogger("deskchat.gui")

WAITING = "Waiting for the first reply…"


class ChatController(QObject):
    """Sends messages, streams replies into :class:`MessageModel`, stops and retries.

    One reply streams at a time; the controller keeps its ``asyncio.Task`` so
    Stop (and closing the window) can cancel it. The conversations live in
    memory (:class:`Conversations`), the seam where a history store plugs in.

    Args:
        chat_provider: what streams replies (see ``provider.Provider``).
        model: the list model the message view shows.
        model_name: the model to ask for; None for the provider's default.
        conversations: the conversations to start with; a new, empty one is
            added if there are none.

    Signals:
        busy_changed(bool): True when a reply starts streaming, False when it ends.
        status_changed(str): a one-line status ("" when there is nothing to say).
        reply_finished(str): a reply ended: "complete", "stopped" or "error".
        retry_available(bool): whether the shown conversation ends in a failed reply.
        models_loaded(list, str): the provider's model names and the selected one.
        conversations_changed(): a conversation was added or renamed.
        conversation_selected(int): the id of the conversation now shown.
    """

    busy_changed = Signal(bool)
    status_changed = Signal(str)
    reply_finished = Signal(str)
    retry_available = Signal(bool)
    models_loaded = Signal(list, str)
    conversations_changed = Signal()
    conversation_selected = Signal(int)

    def __init__(
        self,
        chat_provider: Any,
        model: MessageModel,
        *,
        model_name: str | None = None,
        conversations: Conversations | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._provider = chat_provider
        self._model = model
        self._requested_model = model_name
        self.model_name: str = model_name or getattr(chat_provider, "default_model", "")
        self.conversations = conversations or Conversations()
        if not self.conversations.items:
            self.conversations.new()
        self._model.set_conversation(self.conversations.items[0])
        self._task: asyncio.Task[None] | None = None
        self._streaming: ChatMessage | None = None

    # -- state -------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a reply streams."""
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task streaming the current reply, if any."""
        return self._task

    @property
    def conversation(self) -> Conversation:
        """The conversation shown."""
        return self._model.conversation

    # -- conversations -----------------------------------------------------

    def new_conversation(self) -> Conversation:
        """Start an empty conversation and show it (reuses an empty one on top)."""
        top = self.conversations.items[0] if self.conversations.items else None
        conversation = top if top is not None and not top.messages else self.conversations.new()
        self.select_conversation(conversation.id)
        self.conversations_changed.emit()
        return conversation

    def select_conversation(self, conversation_id: int) -> None:
        """Show another conversation; a reply streaming elsewhere keeps streaming."""
        conversation = self.conversations.by_id(conversation_id)
        if conversation is None or conversation is self._model.conversation:
            return
        self._model.set_conversation(conversation)
        self.conversation_selected.emit(conversation.id)
        self.retry_available.emit(self.can_retry())

    # -- models ------------------------------------------------------------

    async def load_models(self) -> list[str]:
        """Ask the provider for its models; select the requested or default one."""
        try:
            names = await provider.list_models(self._provider)
        except ProviderError as exc:
            self.status_changed.emit(exc.text())
            names = []
        wanted = self._resolve(self._requested_model) if self._requested_model else None
        default = getattr(self._provider, "default_model", "")
        self.model_name = wanted or default or (names[0] if names else "")
        if self.model_name and self.model_name not in names:
            names.append(self.model_name)
        self.models_loaded.emit(names, self.model_name)
        return names

    def _resolve(self, name: str) -> str | None:
        get_model = getattr(self._provider, "get_model", None)
        if get_model is None:
            return name
        try:
            return str(get_model(name))
        except ProviderError as exc:
            self.status_changed.emit(exc.text())
            return None

    def set_model_name(self, name: str) -> None:
        """Use ``name`` for the next replies."""
        if name:
            self.model_name = name

    # -- sending -----------------------------------------------------------

    def send(self, text: str) -> bool:
        """Add the user's message and stream a reply; False if nothing was sent."""
        if self.busy or not text.strip():
            return False
        conversation = self._model.conversation
        was_empty = not conversation.messages
        self._model.append(ChatMessage("user", text=text))
        if was_empty:
            self.conversations_changed.emit()
        self._start(conversation)
        return True

    def can_retry(self) -> bool:
        """True when the shown conversation ends in a failed reply and nothing streams."""
        messages = self._model.conversation.messages
        last = messages[-1] if messages else None
        failed = last is not None and last.reply is not None and last.reply.status == "error"
        return failed and not self.busy

    def retry(self) -> bool:
        """Send the shown conversation again after a failed reply (the failed one stays)."""
        if not self.can_retry():
            return False
        self._start(self._model.conversation)
        return True

    def stop(self) -> None:
        """Stop the streaming reply; what arrived stays, marked as stopped."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def aclose(self) -> None:
        """Cancel the streaming reply and wait until it has closed its connection."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            # wait() does not raise the task's CancelledError into this coroutine.
            await asyncio.wait([task])

    def _start(self, conversation: Conversation) -> None:
        history = conversation.history()
        message = ChatMessage("assistant", reply=ReplyState())
        self._model.append(message)
        self._streaming = message
        self._task = asyncio.ensure_future(self._stream(message, history))
        self._task.add_done_callback(self._on_task_done)
        self.retry_available.emit(False)
        self.busy_changed.emit(True)
        self.status_changed.emit(WAITING)

    async def _stream(self, message: ChatMessage, history: Sequence[Message]) -> None:
        reply = message.reply
        assert reply is not None
        waiting = True
        try:
            async for event in provider.stream_events(self._provider, self.model_name, history):
                reply.handle(event)
                self._model.touch(message)
                if waiting and reply.status != "waiting":
                    waiting = False
                    self.status_changed.emit("Receiving the reply…")
        except asyncio.CancelledError:
            reply.stop()
            self._model.touch(message)
            raise
        except Exception as exc:  # noqa: BLE001 - shown in the bubble, see show_error
            show_error(reply, exc)
        else:
            reply.complete()
        self._model.touch(message)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if task is not self._task:
            return
        message = self._streaming
        self._streaming = None
        status = message.reply.status if message is not None and message.reply else "stopped"
        # Show the end of the reply now rather than one frame later.
        self._model.flush()
        self.busy_changed.emit(False)
        self.status_changed.emit(_FINISHED.get(status, ""))
        self.reply_finished.emit(status)
        self.retry_available.emit(self.can_retry())


_FINISHED = {
    "stopped": "Stopped. The partial reply is kept.",
    "error": "The reply failed; press Retry to send it again.",
}
