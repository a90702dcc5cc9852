"""The chat session: conversations, sending, retrying, editing, versions, and the history.

:class:`ChatSession` is what the window and ``deskchat ask`` share. It owns the
conversations, the one reply streaming at a time (as an ``asyncio.Task`` that
Stop cancels) and the history store; it tells its front end what happened
through :class:`SessionEvents` and changes the conversation on show only
through a :class:`~deskchat.chat.conversation.MessageList`. No Qt.

asyncio is imported where it is used, not at the top: the window builds its
session before the loop exists, to show its first frame before asyncio has
loaded (tests/gui/test_startup_order.py keeps it so).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from deskchat import provider
from deskchat.i18n import N_, _, ngettext, number
from deskchat.provider import Message, ProviderError, ReplyState
from deskchat.store import LEAF, ParentRef, SearchHit, StoreError
from deskchat.store import Message as StoredMessage

from .conversation import (
    ChatMessage,
    Conversation,
    Conversations,
    MessageList,
    ShownConversation,
    bubbles,
)
from .signals import Notice
from .streaming import CONTINUE_PROMPT, WAITING, Plan, ReplyRun, Target, pause

if TYPE_CHECKING:
    import asyncio

    from deskchat.attach import Attachment
    from deskchat.store import AsyncStore, Store

    from .tools_loop import ChatTools

__all__ = ["FINISHED", "ChatSession", "SessionEvents"]

log = logging.getLogger("deskchat.chat")
T = TypeVar("T")

FINISHED = {
    "stopped": N_("Stopped. The partial reply is kept."),
    "error": N_("The reply failed; press Retry to send it again."),
}
"""The status line after a reply ended other than complete."""

FIRST_READ = 100
"""How many of a conversation's last messages are read and shown first; the rest after them."""


class SessionEvents:
    """What a :class:`ChatSession` announces (connect to each :class:`Notice`).

    Attributes:
        busy_changed(bool): True when a reply starts streaming, False when it ends.
        status_changed(str): a one-line status ("" when there is nothing to say).
        retrying(float): a reply failed before its first event; tried again in N s.
        text_added(ChatMessage, str): a piece of a reply's text arrived.
        reply_finished(str): a reply ended: "complete", "stopped" or "error".
        retry_available(bool): whether the shown conversation ends in a failed reply.
        continue_available(bool): whether it ends in a reply cut off by a closed app.
        models_loaded(list, str): the provider's model names and the selected one.
        conversations_changed(): a conversation was added, renamed, moved or removed.
        conversation_selected(int): the id of the conversation now shown.
        conversation_deleted(int, str): a conversation went to the bin (id, title).
        message_focused(int): the row to scroll to and select.
    """

    def __init__(self) -> None:
        self.busy_changed: Notice[bool] = Notice()
        self.status_changed: Notice[str] = Notice()
        self.retrying: Notice[float] = Notice()
        self.text_added: Notice[ChatMessage, str] = Notice()
        self.reply_finished: Notice[str] = Notice()
        self.retry_available: Notice[bool] = Notice()
        self.continue_available: Notice[bool] = Notice()
        self.models_loaded: Notice[list[str], str] = Notice()
        self.conversations_changed: Notice[()] = Notice()
        self.conversation_selected: Notice[int] = Notice()
        self.conversation_deleted: Notice[int, str] = Notice()
        self.message_focused: Notice[int] = Notice()


class ChatSession:
    """Sends messages, streams replies into the shown conversation, keeps the history.

    Without a history store the conversations live in memory only; with one,
    every message is saved (the user's before it is sent, a reply while it
    streams) and conversations are read back lazily when first shown.

    A reply that fails before its first event with a connection error, a 429
    or a 5xx is tried again (``provider.with_retries``), then on
    :attr:`fallback_provider` if set. An error after text has arrived is never
    retried: the text stays.

    Args:
        chat_provider: what streams replies.
        shown: what shows the current conversation; None for a plain one.
        model_name: the model to ask for; None for the provider's default.
        provider_id: the id recorded in the history; None for the provider's name.
        conversations: the conversations to start with; a new, empty one is
            added if there are none.
        history: the open history store, or None to keep nothing.

    Attributes:
        events: the notices this session emits.
        system_prompt, temperature: sent with every reply.
        fallback_provider: asked (with its default model) when the provider
            fails before replying.
        retry_sleep: how retries wait (tests pass one that returns at once).
        retry_attempts: tries in all for a reply that fails before anything arrived.
        tools: the tools the next replies may call, each call put to the user (None: none).
    """

    _looking_up: asyncio.Task[None] | None = None
    """The look-up :meth:`look_up_images_then` started, while it runs."""

    def __init__(
        self,
        chat_provider: provider.Provider,
        shown: MessageList | None = None,
        *,
        model_name: str | None = None,
        provider_id: str | None = None,
        conversations: Conversations | None = None,
        history: AsyncStore | None = None,
    ) -> None:
        self.events = SessionEvents()
        self._provider = chat_provider
        self._shown: MessageList = shown if shown is not None else ShownConversation()
        self._history = history
        self._requested_model = model_name
        self.model_name = str(model_name or chat_provider.default_model or "")
        self.provider_id = str(provider_id or chat_provider.name)
        self.system_prompt = ""
        self.temperature: float | None = None
        self.fallback_provider: provider.Provider | None = None
        self.retry_sleep: Callable[[float], Awaitable[object]] = pause
        self.retry_attempts = 3
        self.tools: ChatTools | None = None
        self.conversations = conversations or Conversations()
        if not self.conversations.items:
            self.conversations.new()
        self._shown.set_conversation(self.conversations.items[0])
        self._task: asyncio.Task[None] | None = None
        self._run: ReplyRun | None = None
        self._streaming: ChatMessage | None = None
        self._replacing: tuple[Conversation, ChatMessage] | None = None
        """The failed reply the streaming one took the place of, put back if it brings nothing."""
        self._jobs: set[asyncio.Task[Any]] = set()
        self._images_asked: set[tuple[int, str]] = set()
        """(provider, model) pairs :meth:`look_up_images_then` asked about: not again."""
        self._wanted: int | None = None
        self._reading_earlier: set[int] = set()
        """The conversations whose earlier messages are being read (their ids)."""
        self._focus_later: dict[int, int] = {}
        """A search hit's message to show once a conversation's earlier messages are read."""
        self.found_words: tuple[str, ...] = ()
        """The words the search hit opened last matched, to mark in its message."""
        self._deleted: dict[int, tuple[int, Conversation]] = {}
        self._store_trouble: str | None = None
        """The history's sentence from the reply streaming now, kept as its last word."""

    # -- state -------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a reply streams."""
        return self._task is not None and not self._task.done()

    def _reading(self) -> bool:
        """A reply streams, or the shown conversation's earlier messages are still being read."""
        return self.busy or bool(self._shown.conversation.earlier)

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
        return self._shown.conversation

    @property
    def history(self) -> AsyncStore | None:
        """The history store, or None when nothing is kept."""
        return self._history

    def attach_history(self, history: AsyncStore) -> None:
        """Keep conversations in ``history`` from now on (opened after the window showed).

        Call it before anything is sent or loaded; :meth:`load_history` then reads it.
        """
        if self._history is not None:
            raise RuntimeError("the session has a history already")
        self._history = history

    @property
    def chat_provider(self) -> provider.Provider:
        """The provider the next reply comes from."""
        return self._provider

    def set_provider(
        self, chat_provider: provider.Provider, provider_id: str | None = None
    ) -> None:
        """Use another provider from the next reply on (a streaming one keeps its own)."""
        self._provider = chat_provider
        self.provider_id = str(provider_id or chat_provider.name)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        import asyncio

        task = asyncio.ensure_future(coroutine)
        # Keep a reference: the loop holds tasks only weakly.
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    async def _guard(self, awaitable: Awaitable[T]) -> T | None:
        """Await a store call; a StoreError becomes the status line and None."""
        try:
            return await awaitable
        except StoreError as exc:
            log.warning("history: %s", exc.text())
            if self.busy:
                self._store_trouble = exc.text()
            self.events.status_changed.emit(exc.text())
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
            or Conversation(
                title=c.title or _("Untitled chat"),
                renamed=c.title_chosen,
                store_id=c.id,
                tools_always=set(c.tools_always),
                loaded=False,
            )
            for c in stored
        ]
        shown = self._shown.conversation
        # Unsaved chats stay on top; an empty one gives way at start when there is history.
        unsaved = [
            c
            for c in self.conversations.items
            if c.store_id is None and (c.messages or (c is shown and not (show_newest and listed)))
        ]
        self.conversations.items = unsaved + listed
        if not self.conversations.items:
            self.conversations.new()
        self.events.conversations_changed.emit()
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
        title = where.title if where is not None else _("a conversation")
        text = ngettext(
            "A reply was cut off when DeskChat last closed (in “{title}”); open it and "
            "choose Continue to finish.",
            "{n} replies were cut off when DeskChat last closed (latest in “{title}”); open "
            "it and choose Continue to finish.",
            len(cut),
        )
        self.events.status_changed.emit(text.format(n=number(len(cut)), title=title))

    def new_conversation(self) -> Conversation:
        """Start an empty conversation and show it (reuses an empty one on top).

        Nothing is stored until its first message is sent.
        """
        top = self.conversations.items[0] if self.conversations.items else None
        reuse = top is not None and not top.messages and top.store_id is None
        conversation = top if reuse and top is not None else self.conversations.new()
        self.select_conversation(conversation.id)
        self.events.conversations_changed.emit()
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
        if conversation is not self._shown.conversation:
            self._shown.set_conversation(conversation)
            self.events.conversation_selected.emit(conversation.id)
            self._announce()
        if conversation.earlier:
            self._read_earlier(conversation)
        if focus is not None:
            row = self._shown.row_of_store_id(focus)
            if row is not None:
                self.events.message_focused.emit(row)
            elif conversation.earlier:
                # Likely above the messages read first: shown once the rest is read.
                self._focus_later[conversation.id] = focus
            elif self._history is not None and not self.busy:
                # Another version (an edited question's old branch): show that branch.
                self._spawn(self._show_version_of(conversation, focus))

    async def _show_version_of(self, conversation: Conversation, message_id: int) -> None:
        assert self._history is not None
        path = await self._guard(self._history.select_version(message_id))
        if path is None or self.busy or self._shown.conversation is not conversation:
            return
        self._show_path(conversation, path)
        row = self._shown.row_of_store_id(message_id)
        if row is not None:
            self.events.message_focused.emit(row)

    async def open_latest(self) -> Conversation | None:
        """Show the most recently used stored conversation, read in full; None if none."""
        await self.load_history()
        stored = [c for c in self.conversations.items if c.store_id is not None]
        if not stored:
            return None
        latest = stored[0]
        if not latest.loaded:
            await self._load(latest, None, whole=True)
        if latest.earlier:
            await self._load_earlier(latest)
        self.select_conversation(latest.id)
        return latest

    async def _load(
        self, conversation: Conversation, focus: int | None, *, whole: bool = False
    ) -> None:
        """Read a conversation and show it if it is still the one wanted.

        Its last :data:`FIRST_READ` messages come first, to show them soon; the
        earlier ones are read after them (:meth:`_load_earlier`). ``whole``
        reads the whole path at once.
        """
        assert self._history is not None
        assert conversation.store_id is not None
        if whole:
            path = await self._guard(self._history.current_path(conversation.store_id))
            if path is None or conversation.loaded:
                return
            conversation.messages = bubbles(path)
        else:
            part = await self._guard(self._history.path_tail(conversation.store_id, FIRST_READ))
            if part is None or conversation.loaded:
                return
            tail, total = part
            conversation.messages = bubbles(tail)
            conversation.earlier = total - len(tail)
        conversation.loaded = True
        if conversation.earlier:
            self._read_earlier(conversation)
        if self._wanted == conversation.id:
            self.select_conversation(conversation.id, focus)

    def _read_earlier(self, conversation: Conversation) -> None:
        """Start reading the messages above the ones shown, unless that is under way."""
        if self._history is not None and conversation.id not in self._reading_earlier:
            self._reading_earlier.add(conversation.id)
            self._spawn(self._load_earlier(conversation))

    async def _load_earlier(self, conversation: Conversation) -> None:
        """Read the whole path and put what is above the shown messages on top of them.

        Until then the conversation takes no new message, edit or retry (its
        history is not all there); a failed read is tried again when it is next shown.
        """
        assert self._history is not None
        store_id = conversation.store_id
        assert store_id is not None
        shown = conversation.messages
        first = shown[0].store_id if shown else None

        def read(store: Store) -> tuple[list[ChatMessage] | None, list[StoredMessage]]:
            # On the store's thread: the path's bubbles are made as it is read, so the
            # GUI thread is not held for 10,000 of them.
            path = store.current_path(store_id)
            cut = next((i for i, m in enumerate(path) if m.id == first), None)
            return (None if cut is None else bubbles(path[:cut])), path

        try:
            part = await self._guard(self._call(read))
        finally:
            self._reading_earlier.discard(conversation.id)
        if part is None or not conversation.earlier:
            return
        older, path = part
        conversation.earlier = 0
        now = conversation.messages
        if older is None or not now or now[0].store_id != first:
            # The path is not the one the first read saw: show the path read now.
            self._show_path(conversation, path)
        elif conversation is self._shown.conversation:
            self._shown.prepend(older)
        else:
            now[0:0] = older
        focus = self._focus_later.pop(conversation.id, None)
        if focus is not None and conversation is self._shown.conversation:
            self.select_conversation(conversation.id, focus)

    async def _call(self, fn: Callable[[Store], T]) -> T:
        """``fn(store)`` on the history's thread (a closed history raises inside, for _guard)."""
        assert self._history is not None
        return await self._history.call(fn)

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
        self.events.conversations_changed.emit()

    def delete_conversation(self, conversation_id: int) -> bool:
        """Move a conversation to the bin; :meth:`restore_conversation` undoes it."""
        conversation = self.conversations.by_id(conversation_id)
        if conversation is None:
            return False
        if self.busy and self._streaming in conversation.messages:
            self.events.status_changed.emit(_("Stop the reply before deleting this conversation."))
            return False
        index = self.conversations.items.index(conversation)
        self.conversations.items.remove(conversation)
        self._deleted[conversation.id] = (index, conversation)
        if self._history is not None and conversation.store_id is not None:
            self._spawn(self._guard(self._history.delete_conversation(conversation.store_id)))
        if conversation is self._shown.conversation:
            if not self.conversations.items:
                self.conversations.new()
            self.select_conversation(self.conversations.items[0].id)
        self.events.conversations_changed.emit()
        self.events.conversation_deleted.emit(conversation.id, conversation.title)
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
        self.events.conversations_changed.emit()
        self.select_conversation(conversation.id)
        return True

    async def search(self, text: str) -> list[SearchHit]:
        """Titles and messages matching ``text`` (highlights between \\x02 and \\x03)."""
        if self._history is None or not text.strip():
            return []
        return await self._guard(self._history.search(text)) or []

    def open_hit(self, hit: SearchHit) -> None:
        """Show the conversation of a search hit and scroll to its message (see found_words)."""
        conversation = self.conversations.by_store_id(hit.conversation_id)
        if conversation is not None:
            self.found_words = hit.terms
            self.select_conversation(conversation.id, focus=hit.message_id)

    # -- models ------------------------------------------------------------

    async def load_models(self) -> list[str]:
        """Ask the provider for its models; select the requested or default one."""
        try:
            names = await provider.list_models(self._provider)
        except ProviderError as exc:
            self.events.status_changed.emit(exc.text())
            names = []
        wanted = self._resolve(self._requested_model) if self._requested_model else None
        default = self._provider.default_model
        self.model_name = wanted or default or (names[0] if names else "")
        if self.model_name and self.model_name not in names:
            names.append(self.model_name)
        self.events.models_loaded.emit(names, self.model_name)
        return names

    def _resolve(self, name: str) -> str | None:
        get_model = getattr(self._provider, "get_model", None)
        if get_model is None:
            return name
        try:
            return str(get_model(name))
        except ProviderError as exc:
            self.events.status_changed.emit(exc.text())
            return None

    def set_model_name(self, name: str) -> None:
        """Use ``name`` for the next replies."""
        if name:
            self.model_name = name

    def request_model(self, name: str | None) -> None:
        """Prefer ``name`` the next time the models are loaded."""
        self._requested_model = name or None

    # -- sending -----------------------------------------------------------

    def send(self, text: str, attachments: Sequence[Attachment] = ()) -> bool:
        """Add the user's message and stream a reply; False if nothing was sent.

        ``attachments``: files read by ``deskchat.attach`` (see
        :func:`deskchat.chat.attachments.read_attachments`), sent and kept with it.

        Raises:
            ImagesNotSupportedError: images for a provider, or a model, that takes
                none (nothing is added or sent; see :meth:`look_up_images`).
        """
        if self.busy or not (text.strip() or attachments):
            return False
        conversation = self._shown.conversation
        if self._wanted not in (None, conversation.id) or conversation.earlier:
            # Another chat, or this one's earlier messages, still being read from the
            # history: the text stays in the box.
            return False
        if attachments:
            from .attachments import check_images

            check_images(self.provider_id, attachments, self._provider, self.model_name)
        user = ChatMessage("user", text=text, attachments=tuple(attachments))
        parent = _last_stored(conversation.messages)
        self._shown.append(user)
        self._bring_to_top(conversation)
        self._start(conversation, conversation.history(), Plan(user=user, parent=parent))
        return True

    def needs_image_look_up(self, attachments: Sequence[Attachment]) -> bool:
        """Whether an image in ``attachments`` would go to a model the provider has not
        asked its server about yet: then :meth:`look_up_images_then`, and send after it."""
        from .attachments import needs_look_up

        if (id(self._provider), self.model_name) in self._images_asked:
            return False  # Asked, and the server did not answer: send, it decides.
        return needs_look_up(self._provider, self.model_name, attachments)

    def look_up_images_then(
        self, attachments: Sequence[Attachment], then: Callable[[], object]
    ) -> None:
        """Let the provider ask about the model's images (a few seconds at most), then
        call ``then`` (to send again: :meth:`send` then knows, and refuses before adding
        anything, or sends). A call while one asks is ignored; closing cancels it."""
        if self._looking_up is not None and not self._looking_up.done():
            return

        self._images_asked.add((id(self._provider), self.model_name))

        async def look_up() -> None:
            await self.look_up_images(attachments)
            self._looking_up = None
            then()

        self._looking_up = self._spawn(look_up())

    async def look_up_images(self, attachments: Sequence[Attachment]) -> None:
        """Before :meth:`send` with an image: let the provider learn whether the model
        reads images (a few seconds at most, once per model), so send can refuse first."""
        from .attachments import look_up_images

        await look_up_images(self._provider, self.model_name, attachments)

    async def ask(self, text: str, attachments: Sequence[Attachment] = ()) -> ChatMessage | None:
        """Send ``text`` and wait for the whole reply; the reply's bubble, or None if not sent."""
        if attachments and not self.busy:
            await self.look_up_images(attachments)
        if not self.send(text, attachments):
            return None
        import asyncio

        reply = self._streaming
        assert self._task is not None
        await asyncio.wait([self._task])
        return reply

    def can_retry(self) -> bool:
        """True when the shown conversation ends in a failed reply and nothing streams."""
        messages = self._shown.conversation.messages
        last = messages[-1] if messages else None
        failed = last is not None and last.reply is not None and last.reply.status == "error"
        return failed and not self.busy

    def can_continue(self) -> bool:
        """True when the shown conversation ends in an interrupted reply and nothing streams."""
        messages = self._shown.conversation.messages
        return bool(messages) and messages[-1].interrupted and not self.busy

    def retry(self) -> bool:
        """Send the shown conversation again after a failed reply, which the new one replaces."""
        if not self.can_retry():
            return False
        return self.regenerate(len(self._shown.conversation.messages) - 1)

    def continue_reply(self, row: int | None = None) -> bool:
        """Ask the provider to go on with an interrupted reply; the text joins the same bubble."""
        messages = self._shown.conversation.messages
        row = len(messages) - 1 if row is None else row
        if self._reading() or not 0 <= row < len(messages) or not messages[row].interrupted:
            return False
        message = messages[row]
        conversation = self._shown.conversation
        history = [*conversation.history(upto=row), {"role": "user", "content": CONTINUE_PROMPT}]
        old = message.content
        message.reply = ReplyState()
        message.reply.handle(old)
        message.prefix = len(old)
        message.interrupted = False
        self._shown.touch(message)
        self._start(conversation, history, Plan(resume=message.store_id), message=message)
        return True

    def regenerate(self, row: int) -> bool:
        """Ask for a new answer in place of the reply at ``row``.

        A good answer stays a version beside the new one; a failed one is
        replaced (an error is never a version), unless the new one brings
        nothing at all (stopped before its first word): then it comes back.
        """
        messages = self._shown.conversation.messages
        if self._reading() or not 0 <= row < len(messages) or messages[row].role != "assistant":
            return False
        old = messages[row]
        conversation = self._shown.conversation
        parent: ParentRef = old.parent_id if old.store_id is not None else LEAF
        failed = old.reply is not None and old.reply.status == "error"
        plan = Plan(parent=parent, replaces=old.store_id if failed else None)
        self._shown.truncate(row)
        self._start(
            conversation,
            conversation.history(),
            plan,
            replacing=(conversation, old) if failed else None,
        )
        return True

    def edit_message(
        self, row: int, text: str, attachments: Sequence[Attachment] | None = None
    ) -> bool:
        """Send an edited user message; the old one and its answers stay a branch.

        ``attachments``: the new version's files; None keeps the old one's.
        """
        messages = self._shown.conversation.messages
        if self._reading() or not 0 <= row < len(messages):
            return False
        old = messages[row]
        files = old.attachments if attachments is None else tuple(attachments)
        if old.role != "user" or not (text.strip() or files):
            return False
        conversation = self._shown.conversation
        if files:
            from .attachments import check_images

            check_images(self.provider_id, files, self._provider, self.model_name)
        user = ChatMessage("user", text=text, attachments=files)
        self._shown.truncate(row)
        self._shown.append(user)
        self._bring_to_top(conversation)
        plan = Plan(user=user, edit_of=old.store_id, parent=old.parent_id)
        self._start(conversation, conversation.history(), plan)
        return True

    def switch_version(self, row: int, step: int) -> bool:
        """Show the previous (-1) or next (+1) version of the message at ``row``."""
        messages = self._shown.conversation.messages
        if self._reading() or self._history is None or not 0 <= row < len(messages):
            return False
        message = messages[row]
        target = message.version + step
        if message.store_id is None or not 1 <= target <= message.versions:
            return False
        self._spawn(self._switch_version(self._shown.conversation, message.store_id, target))
        return True

    async def _switch_version(self, conversation: Conversation, store_id: int, target: int) -> None:
        assert self._history is not None
        siblings = await self._guard(self._history.siblings(store_id))
        if not siblings or target > len(siblings):
            return
        chosen = siblings[target - 1].id
        path = await self._guard(self._history.select_version(chosen))
        if path is not None:
            self._show_path(conversation, path)

    def delete_message(self, row: int) -> bool:
        """Delete the message at ``row`` and everything after it on this branch."""
        messages = self._shown.conversation.messages
        if self._reading() or not 0 <= row < len(messages):
            return False
        message = messages[row]
        conversation = self._shown.conversation
        if self._history is None or message.store_id is None:
            self._shown.truncate(row)
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
            self._show_path(conversation, path)

    def _show_path(self, conversation: Conversation, path: list[StoredMessage]) -> None:
        """Show another branch: only the rows that differ change, so the view stays put."""
        new = bubbles(path)
        conversation.earlier = 0  # the path read is the whole one
        if conversation is not self._shown.conversation:
            conversation.messages = new
            return
        old = conversation.messages
        same = 0
        while same < min(len(old), len(new)) and _same_bubble(old[same], new[same]):
            same += 1
        self._shown.replace(same, new[same:])
        self._announce()

    def stop(self) -> None:
        """Stop the streaming reply; what arrived stays, marked as stopped."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def aclose(self, *, interrupt: bool = False) -> None:
        """Cancel the streaming reply and wait until it is saved and its connection closed.

        Args:
            interrupt: DeskChat is closing mid-reply (the window): the reply is kept
                as interrupted, so the next start offers Continue. Otherwise it is
                stopped, as by Stop.
        """
        import asyncio

        task = self._task
        if task is not None and not task.done():
            if interrupt and self._run is not None:
                self._run.closing = True
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
                self.events.conversations_changed.emit()  # the title changed
            return
        self.conversations.move_to_top(conversation)
        self.events.conversations_changed.emit()

    def _start(
        self,
        conversation: Conversation,
        history: list[Message],
        plan: Plan,
        *,
        message: ChatMessage | None = None,
        replacing: tuple[Conversation, ChatMessage] | None = None,
    ) -> None:
        self._replacing = replacing
        if message is None:
            message = ChatMessage("assistant", reply=ReplyState())
            self._shown.append(message)
        message.live = True
        message.model = self.model_name or None
        self._streaming = message
        self._store_trouble = None
        if self.system_prompt:
            history = [{"role": "system", "content": self.system_prompt}, *history]
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        run = ReplyRun(
            Target(self._provider, self.model_name, self.provider_id, self.fallback_provider),
            self._history,
            guard=self._guard,
            touched=self._shown.touch,
            text_added=self.events.text_added.emit,
            status=self.events.status_changed.emit,
            retrying=self.events.retrying.emit,
            sleep=self.retry_sleep,
            attempts=self.retry_attempts,
            tools=self.tools,
        )
        self._run = run
        coroutine = run.run(
            conversation, message, history, plan, system_prompt=self.system_prompt, params=params
        )
        import asyncio

        self._task = asyncio.ensure_future(coroutine)
        self._task.add_done_callback(self._on_task_done)
        self.events.retry_available.emit(False)
        self.events.continue_available.emit(False)
        self.events.busy_changed.emit(True)
        self.events.status_changed.emit(_(WAITING))

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if task is not self._task:
            return
        message = self._streaming
        self._streaming = None
        status = message.reply.status if message is not None and message.reply else "stopped"
        replacing, self._replacing = self._replacing, None
        if replacing is not None and message is not None and status == "stopped":
            self._put_back(replacing, message)
        # Show the end of the reply now rather than one frame later.
        self._shown.flush()
        self.events.busy_changed.emit(False)
        # A history that failed during the reply keeps the last word: the reply is not kept.
        trouble, self._store_trouble = self._store_trouble, None
        finished = FINISHED.get(status)
        self.events.status_changed.emit(trouble or (_(finished) if finished else ""))
        self.events.reply_finished.emit(status)
        self._announce()

    def _announce(self) -> None:
        self.events.retry_available.emit(self.can_retry())
        self.events.continue_available.emit(self.can_continue())

    def _put_back(self, replacing: tuple[Conversation, ChatMessage], message: ChatMessage) -> None:
        """A retry stopped before its first word: the failed reply it replaced comes back."""
        conversation, failed = replacing
        if message.content or message not in conversation.messages:
            return
        row = conversation.messages.index(message)
        if conversation is self._shown.conversation:
            self._shown.replace(row, [failed, *conversation.messages[row + 1 :]])
        else:
            conversation.messages[row] = failed


def _same_bubble(shown: ChatMessage, stored: ChatMessage) -> bool:
    """Whether a shown bubble already shows the stored message, in the same place."""
    return shown.store_id is not None and (shown.store_id, shown.version, shown.versions) == (
        stored.store_id,
        stored.version,
        stored.versions,
    )


def _last_stored(messages: Sequence[ChatMessage]) -> ParentRef:
    for message in reversed(messages):
        if message.store_id is not None:
            return message.store_id
    return None
