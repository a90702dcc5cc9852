"""The chat controller: owns the conversations, the streaming reply task and the history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

import provider
from provider import Event, Message, ProviderError, ReplyState
from store import LEAF, AsyncReplyWriter, AsyncStore, ParentRef, SearchHit, StoreError

from .conversation import ChatMessage, Conversation, Conversations
from .errors import show_error
from .history import CONTINUE_PROMPT, bubbles, resume_reply
from .message_model import MessageModel

__all__ = ["FLUSH_MS", "ChatController"]

log = logging.getLogger("deskchat.gui")

WAITING = "Waiting for the first reply…"
FLUSH_MS = 200
"""How often a streaming reply is saved when chunks stall (the writer throttles the rest)."""


@dataclass
class _Plan:
    """What to save before a reply streams, and where the reply goes.

    Attributes:
        user: a new user bubble to save first (None: nothing to save).
        edit_of: the stored user message ``user`` is a new version of.
        parent: where the reply goes when ``user`` is None.
        resume: the stored id of a reply to continue in place.
    """

    user: ChatMessage | None = None
    edit_of: int | None = None
    parent: ParentRef = LEAF
    resume: int | None = None


class ChatController(QObject):
    """Sends messages, streams replies into :class:`MessageModel`, keeps the history.

    One reply streams at a time; the controller keeps its ``asyncio.Task`` so
    Stop (and closing the window) can cancel it. Without a history store the
    conversations live in memory only; with one, every message is saved (the
    user's before it is sent, a reply while it streams) and conversations
    are read back lazily when first shown.

    A reply that fails before its first event with a connection error, a 429
    or a 5xx is tried again (``provider.with_retries``), the status line saying
    "Retrying in N s…" while it waits; then :attr:`fallback_provider`, if set.
    An error after text has arrived is never retried: the text stays.

    Args:
        chat_provider: what streams replies (see ``provider.Provider``).
        model: the list model the message view shows.
        model_name: the model to ask for; None for the provider's default.
        conversations: the conversations to start with; a new, empty one is
            added if there are none.
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
        chat_provider: Any,
        model: MessageModel,
        *,
        model_name: str | None = None,
        conversations: Conversations | None = None,
        history: AsyncStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._provider = chat_provider
        self._model = model
        self._history = history
        self._requested_model = model_name
        self.model_name = str(model_name or getattr(chat_provider, "default_model", ""))
        self.provider_id = str(getattr(chat_provider, "name", ""))
        self.system_prompt = ""
        self.temperature: float | None = None
        self.fallback_provider: Any | None = None
        """Asked (with its default model) when the provider fails before replying."""
        self.retry_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
        """How retries wait (tests pass one that returns at once)."""
        self.retry_attempts = 3
        """Tries in all for a reply that fails before anything arrived (1: no retry)."""
        self.conversations = conversations or Conversations()
        if not self.conversations.items:
            self.conversations.new()
        self._model.set_conversation(self.conversations.items[0])
        self._task: asyncio.Task[None] | None = None
        self._streaming: ChatMessage | None = None
        self._jobs: set[asyncio.Task[Any]] = set()
        self._wanted: int | None = None
        self._deleted: dict[int, tuple[int, Conversation]] = {}

    # -- state -------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a reply streams."""
        return self._task is not None and not self._task.done()

    @property
    def pending(self) -> bool:
        """True while history work (loading, renaming, deleting) is still running."""
        return any(not job.done() for job in self._jobs)

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task streaming the current reply, if any."""
        return self._task

    @property
    def conversation(self) -> Conversation:
        """The conversation shown."""
        return self._model.conversation

    @property
    def history(self) -> AsyncStore | None:
        """The history store, or None when nothing is kept."""
        return self._history

    @property
    def chat_provider(self) -> Any:
        """The provider the next reply comes from."""
        return self._provider

    def set_provider(self, chat_provider: Any, provider_id: str | None = None) -> None:
        """Use another provider from the next reply on (a streaming one keeps its own)."""
        self._provider = chat_provider
        self.provider_id = str(provider_id or getattr(chat_provider, "name", ""))

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        # Keep a reference: the loop holds tasks only weakly.
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    async def _guard(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Await a store call; a StoreError becomes the status line and None."""
        try:
            return await coroutine
        except StoreError as exc:
            log.warning("history: %s", exc.text())
            self.status_changed.emit(exc.text())
            return None

    # -- conversations -----------------------------------------------------

    async def load_history(self, *, show_newest: bool = True) -> None:
        """List the stored conversations, newest first.

        Args:
            show_newest: show the newest one (at start); False keeps the shown
                conversation (after an import).
        """
        if self._history is None:
            return
        stored = await self._guard(self._history.list_conversations())
        if stored is None:
            return
        known = {c.store_id: c for c in self.conversations.items if c.store_id is not None}
        listed = [
            known.get(c.id)
            or Conversation(title=c.title or "Untitled chat", store_id=c.id, loaded=False)
            for c in stored
        ]
        shown = self._model.conversation
        # Unsaved chats stay on top; an empty one gives way at start when there is history.
        unsaved = [
            c
            for c in self.conversations.items
            if c.store_id is None and (c.messages or (c is shown and not (show_newest and listed)))
        ]
        self.conversations.items = unsaved + listed
        if not self.conversations.items:
            self.conversations.new()
        self.conversations_changed.emit()
        first = self.conversations.items[0]
        if shown not in self.conversations.items or (show_newest and first is not shown):
            self.select_conversation(first.id)
        if show_newest:
            await self._tell_interrupted()

    async def _tell_interrupted(self) -> None:
        """Say where replies cut off by the last close are, so they can be continued."""
        assert self._history is not None
        cut = await self._guard(self._history.interrupted_replies())
        if not cut:
            return
        where = self.conversations.by_store_id(cut[-1].conversation_id)
        title = where.title if where is not None else "a conversation"
        count = "A reply was" if len(cut) == 1 else f"{len(cut)} replies were"
        self.status_changed.emit(
            f"{count} cut off when DeskChat last closed (latest in “{title}”); "
            "open it and choose Continue to finish."
        )

    def new_conversation(self) -> Conversation:
        """Start an empty conversation and show it (reuses an empty one on top).

        Nothing is stored until its first message is sent.
        """
        top = self.conversations.items[0] if self.conversations.items else None
        reuse = top is not None and not top.messages and top.store_id is None
        conversation = top if reuse and top is not None else self.conversations.new()
        self.select_conversation(conversation.id)
        self.conversations_changed.emit()
        return conversation

    def select_conversation(self, conversation_id: int, focus: int | None = None) -> None:
        """Show another conversation; a reply streaming elsewhere keeps streaming.

        Args:
            focus: a stored message id to scroll to once it is shown.
        """
        conversation = self.conversations.by_id(conversation_id)
        if conversation is None:
            return
        self._wanted = conversation.id
        if not conversation.loaded:
            self._spawn(self._load(conversation, focus))
            return
        if conversation is not self._model.conversation:
            self._model.set_conversation(conversation)
            self.conversation_selected.emit(conversation.id)
            self._announce()
        if focus is not None:
            row = self._model.row_of_store_id(focus)
            if row is not None:
                self.message_focused.emit(row)

    async def _load(self, conversation: Conversation, focus: int | None) -> None:
        assert self._history is not None
        assert conversation.store_id is not None
        path = await self._guard(self._history.current_path(conversation.store_id))
        if path is None or conversation.loaded:
            return
        conversation.messages = bubbles(path)
        conversation.loaded = True
        if self._wanted == conversation.id:
            self.select_conversation(conversation.id, focus)

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Give a conversation a new title (kept in the history)."""
        conversation = self.conversations.by_id(conversation_id)
        title = " ".join(title.split())
        if conversation is None or not title or title == conversation.title:
            return
        conversation.title = title
        conversation.renamed = True
        if self._history is not None and conversation.store_id is not None:
            self._spawn(self._guard(self._history.rename(conversation.store_id, title)))
        self.conversations_changed.emit()

    def delete_conversation(self, conversation_id: int) -> bool:
        """Move a conversation to the bin; :meth:`restore_conversation` undoes it."""
        conversation = self.conversations.by_id(conversation_id)
        if conversation is None:
            return False
        if self.busy and self._streaming in conversation.messages:
            self.status_changed.emit("Stop the reply before deleting this conversation.")
            return False
        index = self.conversations.items.index(conversation)
        self.conversations.items.remove(conversation)
        self._deleted[conversation.id] = (index, conversation)
        if self._history is not None and conversation.store_id is not None:
            self._spawn(self._guard(self._history.delete_conversation(conversation.store_id)))
        if conversation is self._model.conversation:
            if not self.conversations.items:
                self.conversations.new()
            self.select_conversation(self.conversations.items[0].id)
        self.conversations_changed.emit()
        self.conversation_deleted.emit(conversation.id, conversation.title)
        return True

    def restore_conversation(self, conversation_id: int) -> bool:
        """Take a conversation deleted in this session back out of the bin."""
        entry = self._deleted.pop(conversation_id, None)
        if entry is None:
            return False
        index, conversation = entry
        self.conversations.items.insert(min(index, len(self.conversations.items)), conversation)
        if self._history is not None and conversation.store_id is not None:
            self._spawn(self._guard(self._history.restore_conversation(conversation.store_id)))
        self.conversations_changed.emit()
        self.select_conversation(conversation.id)
        return True

    async def search(self, text: str) -> list[SearchHit]:
        """Titles and messages matching ``text`` (highlights between \\x02 and \\x03)."""
        if self._history is None or not text.strip():
            return []
        return await self._guard(self._history.search(text)) or []

    def open_hit(self, hit: SearchHit) -> None:
        """Show the conversation of a search hit and scroll to its message."""
        conversation = self.conversations.by_store_id(hit.conversation_id)
        if conversation is not None:
            self.select_conversation(conversation.id, focus=hit.message_id)

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

    def request_model(self, name: str | None) -> None:
        """Prefer ``name`` the next time the models are loaded."""
        self._requested_model = name or None

    # -- sending -----------------------------------------------------------

    def send(self, text: str) -> bool:
        """Add the user's message and stream a reply; False if nothing was sent."""
        if self.busy or not text.strip():
            return False
        conversation = self._model.conversation
        if self._wanted not in (None, conversation.id):
            # Another chat is still being read from the history: the text stays in the box.
            return False
        user = ChatMessage("user", text=text)
        parent = self._last_stored(conversation.messages)
        self._model.append(user)
        self._bring_to_top(conversation)
        self._start(conversation, conversation.history(), _Plan(user=user, parent=parent))
        return True

    def can_retry(self) -> bool:
        """True when the shown conversation ends in a failed reply and nothing streams."""
        messages = self._model.conversation.messages
        last = messages[-1] if messages else None
        failed = last is not None and last.reply is not None and last.reply.status == "error"
        return failed and not self.busy

    def can_continue(self) -> bool:
        """True when the shown conversation ends in an interrupted reply and nothing streams."""
        messages = self._model.conversation.messages
        return bool(messages) and messages[-1].interrupted and not self.busy

    def retry(self) -> bool:
        """Send the shown conversation again after a failed reply (the failed one stays)."""
        if not self.can_retry():
            return False
        conversation = self._model.conversation
        user = next((m for m in reversed(conversation.messages) if m.role == "user"), None)
        parent: ParentRef = LEAF if user is None or user.store_id is None else user.store_id
        self._start(conversation, conversation.history(), _Plan(parent=parent))
        return True

    def continue_reply(self, row: int | None = None) -> bool:
        """Ask the provider to go on with an interrupted reply; the text joins the same bubble."""
        messages = self._model.conversation.messages
        row = len(messages) - 1 if row is None else row
        if self.busy or not 0 <= row < len(messages) or not messages[row].interrupted:
            return False
        message = messages[row]
        conversation = self._model.conversation
        history = [*conversation.history(upto=row), {"role": "user", "content": CONTINUE_PROMPT}]
        old = message.content
        message.reply = ReplyState()
        message.reply.handle(old)
        message.prefix = len(old)
        message.interrupted = False
        self._model.touch(message)
        self._start(conversation, history, _Plan(resume=message.store_id), message=message)
        return True

    def regenerate(self, row: int) -> bool:
        """Ask for a new answer in place of the reply at ``row``; the old one stays a version."""
        messages = self._model.conversation.messages
        if self.busy or not 0 <= row < len(messages) or messages[row].role != "assistant":
            return False
        old = messages[row]
        conversation = self._model.conversation
        parent: ParentRef = old.parent_id if old.store_id is not None else LEAF
        self._model.truncate(row)
        self._start(conversation, conversation.history(), _Plan(parent=parent))
        return True

    def edit_message(self, row: int, text: str) -> bool:
        """Send an edited user message; the old one and its answers stay a branch."""
        messages = self._model.conversation.messages
        if self.busy or not text.strip() or not 0 <= row < len(messages):
            return False
        old = messages[row]
        if old.role != "user":
            return False
        conversation = self._model.conversation
        user = ChatMessage("user", text=text)
        self._model.truncate(row)
        self._model.append(user)
        self._bring_to_top(conversation)
        plan = _Plan(user=user, edit_of=old.store_id, parent=old.parent_id)
        self._start(conversation, conversation.history(), plan)
        return True

    def switch_version(self, row: int, step: int) -> bool:
        """Show the previous (-1) or next (+1) version of the message at ``row``."""
        messages = self._model.conversation.messages
        if self.busy or self._history is None or not 0 <= row < len(messages):
            return False
        message = messages[row]
        target = message.version + step
        if message.store_id is None or not 1 <= target <= message.versions:
            return False
        self._spawn(self._switch_version(self._model.conversation, message.store_id, target))
        return True

    async def _switch_version(self, conversation: Conversation, store_id: int, target: int) -> None:
        assert self._history is not None
        siblings = await self._guard(self._history.siblings(store_id))
        if not siblings or target > len(siblings):
            return
        chosen = siblings[target - 1].id
        path = await self._guard(self._history.select_version(chosen))
        if path is not None:
            self._show_path(conversation, path, chosen)

    def delete_message(self, row: int) -> bool:
        """Delete the message at ``row`` and everything after it on this branch."""
        messages = self._model.conversation.messages
        if self.busy or not 0 <= row < len(messages):
            return False
        message = messages[row]
        conversation = self._model.conversation
        if self._history is None or message.store_id is None:
            self._model.truncate(row)
            self._announce()
            return True
        self._spawn(self._delete_message(conversation, message.store_id))
        return True

    async def _delete_message(self, conversation: Conversation, store_id: int) -> None:
        assert self._history is not None
        assert conversation.store_id is not None
        await self._guard(self._history.delete_message(store_id))
        path = await self._guard(self._history.current_path(conversation.store_id))
        if path is not None:
            self._show_path(conversation, path, None)

    def _show_path(self, conversation: Conversation, path: list[Any], focus: int | None) -> None:
        conversation.messages = bubbles(path)
        if conversation is self._model.conversation:
            self._model.set_conversation(conversation)
            self._announce()
            row = None if focus is None else self._model.row_of_store_id(focus)
            if row is not None:
                self.message_focused.emit(row)

    def stop(self) -> None:
        """Stop the streaming reply; what arrived stays, marked as stopped."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def aclose(self) -> None:
        """Cancel the streaming reply and wait until it is saved and its connection closed."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            # wait() does not raise the task's CancelledError into this coroutine.
            await asyncio.wait([task])
        jobs = [job for job in self._jobs if not job.done()]
        if jobs:
            # Store jobs are short; let them finish so nothing is half written.
            await asyncio.wait(jobs)

    def _bring_to_top(self, conversation: Conversation) -> None:
        if self.conversations.items and self.conversations.items[0] is conversation:
            if len(conversation.messages) == 1:
                self.conversations_changed.emit()  # the title changed
            return
        self.conversations.move_to_top(conversation)
        self.conversations_changed.emit()

    @staticmethod
    def _last_stored(messages: Sequence[ChatMessage]) -> ParentRef:
        for message in reversed(messages):
            if message.store_id is not None:
                return message.store_id
        return None

    def _start(
        self,
        conversation: Conversation,
        history: list[Message],
        plan: _Plan,
        *,
        message: ChatMessage | None = None,
    ) -> None:
        if message is None:
            message = ChatMessage("assistant", reply=ReplyState())
            self._model.append(message)
        message.live = True
        self._streaming = message
        if self.system_prompt:
            history = [{"role": "system", "content": self.system_prompt}, *history]
        self._task = asyncio.ensure_future(self._stream(conversation, message, history, plan))
        self._task.add_done_callback(self._on_task_done)
        self.retry_available.emit(False)
        self.continue_available.emit(False)
        self.busy_changed.emit(True)
        self.status_changed.emit(WAITING)

    async def _stream(
        self,
        conversation: Conversation,
        message: ChatMessage,
        history: Sequence[Message],
        plan: _Plan,
    ) -> None:
        reply = message.reply
        assert reply is not None
        writer: AsyncReplyWriter | None = None
        # Chunks save themselves (throttled); the timer saves the tail when they stall.
        flusher = QTimer(self)
        flusher.setInterval(FLUSH_MS)

        def flush() -> None:
            if writer is not None:
                writer.flush()

        flusher.timeout.connect(flush)
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        waiting = True
        try:
            writer = await self._prepare(conversation, plan)
            async for event in self._events(history, params):
                added = reply.handle(event)
                if added and writer is not None:
                    writer.append(added)
                self._model.touch(message)
                if waiting and reply.status != "waiting":
                    waiting = False
                    flusher.start()
                    self.status_changed.emit("Receiving the reply…")
        except asyncio.CancelledError:
            reply.stop()
            self._model.touch(message)
            raise
        except Exception as exc:  # noqa: BLE001 - shown in the bubble, see show_error
            show_error(reply, exc)
        else:
            reply.complete()
        finally:
            flusher.stop()
            flusher.deleteLater()
            await self._finish(writer, message)
        self._model.touch(message)

    def _events(self, history: Sequence[Message], params: dict[str, Any]) -> AsyncIterator[Event]:
        """The reply's events, tried again (then on the fallback) while nothing has arrived."""
        chat, model = self._provider, self.model_name
        fallback: Any = self.fallback_provider

        def first() -> AsyncIterator[Event]:
            return provider.stream_events(chat, model, history, **params)

        def second() -> AsyncIterator[Event]:
            # The fallback's own default model: the chosen name belongs to the first provider.
            name = str(getattr(fallback, "default_model", "") or model)
            return provider.stream_events(fallback, name, history, **params)

        async def wait(seconds: float) -> None:
            self.status_changed.emit(f"Retrying in {seconds:g} s…")
            await self.retry_sleep(seconds)
            self.status_changed.emit(WAITING)

        return provider.with_retries(
            first,
            attempts=self.retry_attempts,
            sleep=wait,
            fallback=second if fallback is not None else None,
        )

    async def _prepare(self, conversation: Conversation, plan: _Plan) -> AsyncReplyWriter | None:
        """Save the conversation and the user's message; a writer for the reply."""
        history = self._history
        if history is None:
            return None
        if conversation.store_id is None:
            created = await self._guard(
                history.create_conversation(
                    conversation.title if conversation.renamed else "",
                    provider=self.provider_id or None,
                    model=self.model_name or None,
                    system_prompt=self.system_prompt or None,
                )
            )
            if created is None:
                return None
            conversation.store_id = created.id
        cid = conversation.store_id
        parent = plan.parent
        if plan.resume is not None:
            stored = await self._guard(history.get_message(plan.resume))
            return None if stored is None else await self._guard(resume_reply(history, stored))
        if plan.user is not None:
            if plan.edit_of is not None:
                saved = await self._guard(history.edit_user_message(plan.edit_of, plan.user.text))
            else:
                saved = await self._guard(
                    history.add_message(cid, "user", plan.user.text, parent_id=plan.parent)
                )
            if saved is None:
                return None
            _mark_saved(plan.user, saved)
            self._model.touch(plan.user)
            parent = saved.id
        return await self._guard(
            history.begin_reply(
                cid, parent, provider=self.provider_id or None, model=self.model_name or None
            )
        )

    async def _finish(self, writer: AsyncReplyWriter | None, message: ChatMessage) -> None:
        reply = message.reply
        if writer is None or reply is None:
            return
        status = reply.status if reply.status in ("complete", "stopped", "error") else "stopped"
        saved = await self._guard(
            writer.finish(
                status,
                error=reply.error,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
            )
        )
        if saved is not None:
            _mark_saved(message, saved)

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
        self._announce()

    def _announce(self) -> None:
        self.retry_available.emit(self.can_retry())
        self.continue_available.emit(self.can_continue())


def _mark_saved(message: ChatMessage, saved: Any) -> None:
    message.store_id = saved.id
    message.parent_id = saved.parent_id
    message.version = saved.version
    message.versions = saved.versions


_FINISHED = {
    "stopped": "Stopped. The partial reply is kept.",
    "error": "The reply failed; press Retry to send it again.",
}
