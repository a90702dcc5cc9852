"""One reply, from the first request to the saved row: retries, fallback, saving while it streams.

:class:`ReplyRun` is what a chat session starts for every reply: it saves the
conversation and the user's message first, streams the provider's events into
the reply's state, saves the text as it grows (at most :data:`FLUSH_SECONDS`
behind), and saves the end: complete, stopped or failed. No Qt.

asyncio is imported where it is used: the window's session exists before the
loop does (see :mod:`deskchat.chat.session`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deskchat import provider
from deskchat.errors import DeskChatError
from deskchat.i18n import N_, _
from deskchat.provider import Event, LoadProgress, Message
from deskchat.store import LEAF, ParentRef

from .conversation import ChatMessage, Conversation

if TYPE_CHECKING:
    import asyncio

    from deskchat.store import AsyncReplyWriter, AsyncStore

    from .tools_loop import ChatTools

__all__ = [
    "CONTINUE_PROMPT",
    "FLUSH_SECONDS",
    "Plan",
    "ReplyRun",
    "loading_status",
    "mark_saved",
    "pause",
]

log = logging.getLogger("deskchat.chat")

FLUSH_SECONDS = 0.2
"""How often a streaming reply is saved when chunks stall (the writer throttles the rest)."""

CONTINUE_PROMPT = (
    "Your previous answer was cut off. Continue it exactly where it stopped, "
    "without repeating anything already written."
)
"""The user turn sent after a partial reply when the user asks to continue it."""


@dataclass
class Plan:
    """What to save before a reply streams, and where the reply goes.

    Attributes:
        user: a new user message to save first (None: nothing to save).
        edit_of: the stored user message ``user`` is a new version of.
        parent: where the reply goes when ``user`` is None.
        resume: the stored id of a reply to continue in place.
        replaces: the stored id of a failed reply this one takes the place of
            (a Retry): once this one is saved, the failed one is deleted, so an
            error never stays a version.
    """

    user: ChatMessage | None = None
    edit_of: int | None = None
    parent: ParentRef = LEAF
    resume: int | None = None
    replaces: int | None = None


def mark_saved(message: ChatMessage, saved: Any) -> None:
    """Copy a stored message's id and version place onto its bubble."""
    message.store_id = saved.id
    message.parent_id = saved.parent_id
    message.version = saved.version
    message.versions = saved.versions


@dataclass
class Target:
    """Who answers: the provider and the model name asked for, and the names kept in history."""

    chat: provider.Provider
    model: str
    provider_id: str
    fallback: provider.Provider | None = None


class ReplyRun:
    """Streams one reply into ``message.reply`` and keeps it in the history.

    Args:
        target: who answers.
        history: the open history store, or None to keep nothing.
        guard: awaits a store call and turns a StoreError into a status (None).
        touched: called after every change of ``message`` (the view repaints).
        text_added: called with each piece of text as it arrives.
        status: called with a one-line status ("Retrying in 2 s…").
        retrying: called with the seconds before a retry.
        sleep: how retries wait (tests pass one that returns at once).
        attempts: tries in all before the first event (1: no retry).
        tools: the tools the model may call (each call put to the user); None: no tools.

    Attributes:
        closing: set before cancelling when DeskChat closes mid-reply: the text
            so far is saved as interrupted (Continue at the next start), not stopped.
    """

    def __init__(
        self,
        target: Target,
        history: AsyncStore | None,
        *,
        guard: Callable[[Awaitable[Any]], Awaitable[Any]],
        touched: Callable[[ChatMessage], None],
        text_added: Callable[[ChatMessage, str], None],
        status: Callable[[str], None],
        retrying: Callable[[float], None],
        sleep: Callable[[float], Awaitable[object]] | None = None,
        attempts: int = 3,
        tools: ChatTools | None = None,
    ) -> None:
        self.target = target
        self._tools = tools
        self._history = history
        self._guard = guard
        self._touched = touched
        self._text_added = text_added
        self._status = status
        self._retrying = retrying
        self._sleep = sleep or pause
        self._attempts = attempts
        self.closing = False

    async def run(
        self,
        conversation: Conversation,
        message: ChatMessage,
        messages: Sequence[Message],
        plan: Plan,
        *,
        system_prompt: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        """Stream and save the reply; failures end up in ``message.reply``, never raised.

        Cancelling the task running this is Stop: the text so far is kept and
        saved as stopped, then CancelledError goes on up. Cancelled after
        :attr:`closing` was set, the text is saved as interrupted instead.
        """
        import asyncio

        reply = message.reply
        assert reply is not None
        writer: AsyncReplyWriter | None = None
        flusher: asyncio.Task[None] | None = None
        try:
            writer = await self._prepare(conversation, plan, system_prompt)
            async for event in self._rounds(conversation, message, messages, params or {}, writer):
                if isinstance(event, LoadProgress):
                    self._status(loading_status(event))
                    continue
                added = reply.handle(event)
                if added:
                    if writer is not None:
                        writer.append(added)
                    self._text_added(message, added)
                self._touched(message)
                if flusher is None and reply.status != "waiting":
                    flusher = asyncio.ensure_future(_flush_every(writer, FLUSH_SECONDS))
                    self._status(_("Receiving the reply…"))
        except asyncio.CancelledError:
            reply.stop()
            message.interrupted = self.closing
            self._touched(message)
            raise
        except Exception as exc:  # noqa: BLE001 - shown in the bubble as a sentence
            _fail(reply, exc)
        else:
            reply.complete()
        finally:
            if flusher is not None:
                flusher.cancel()
            await self._finish(writer, message, plan.replaces)
        self._touched(message)

    def _rounds(
        self,
        conversation: Conversation,
        message: ChatMessage,
        messages: Sequence[Message],
        params: dict[str, Any],
        writer: AsyncReplyWriter | None,
    ) -> AsyncIterator[Event]:
        """The reply's events; with tools, round after round of calls (see tools_loop)."""
        if self._tools is None:
            return self._events(messages, params)
        from .tool_uses import uses_json
        from .tools_loop import tool_rounds

        tools = self._tools

        async def save() -> None:
            if writer is not None:
                await self._guard(writer.set_tools(uses_json(message.tools)))
            # "Always for this tool in this chat" is kept with the chat.
            always = tools.always.get(conversation.id)
            history, row = self._history, conversation.store_id
            if always is not None and always != conversation.tools_always and history and row:
                conversation.tools_always = set(always)
                await self._guard(history.set_tools_always(row, sorted(always)))

        return tool_rounds(
            self._tools,
            self._events,
            conversation,
            message,
            messages,
            params,
            save=save,
            touched=self._touched,
            status=self._status,
        )

    def _events(self, messages: Sequence[Message], params: dict[str, Any]) -> AsyncIterator[Event]:
        """The reply's events, tried again (then on the fallback) while nothing has arrived."""
        chat, model, fallback = self.target.chat, self.target.model, self.target.fallback

        def first() -> AsyncIterator[Event]:
            return provider.stream_events(chat, model, messages, **params)

        def second() -> AsyncIterator[Event]:
            assert fallback is not None
            # The fallback's own default model: the chosen name belongs to the first provider.
            name = str(getattr(fallback, "default_model", "") or model)
            return provider.stream_events(fallback, name, messages, **params)

        async def wait(seconds: float) -> None:
            self._retrying(seconds)
            self._status(_("Retrying in {seconds:g} s…").format(seconds=seconds))
            await self._sleep(seconds)
            self._status(_(WAITING))

        return provider.with_retries(
            first,
            attempts=self._attempts,
            sleep=wait,
            fallback=second if fallback is not None else None,
        )

    async def _prepare(
        self, conversation: Conversation, plan: Plan, system_prompt: str
    ) -> AsyncReplyWriter | None:
        """Save the conversation and the user's message; a writer for the reply."""
        history = self._history
        if history is None:
            return None
        provider_id = self.target.provider_id or None
        model = self.target.model or None
        if conversation.store_id is None:
            created = await self._guard(
                history.create_conversation(
                    conversation.title if conversation.renamed else "",
                    provider=provider_id,
                    model=model,
                    system_prompt=system_prompt or None,
                )
            )
            if created is None:
                return None
            conversation.store_id = created.id
        if plan.resume is not None:
            return await self._guard(history.resume_reply(plan.resume))
        parent = plan.parent
        if plan.user is not None:
            files = None
            if plan.user.attachments:
                from .attachments import stored_attachments

                files = stored_attachments(plan.user.attachments)
            if plan.edit_of is not None:
                # The bubble holds the new version's files (the old one's, if kept).
                saving = history.edit_user_message(plan.edit_of, plan.user.text, files or [])
            else:
                saving = history.add_message(
                    conversation.store_id,
                    "user",
                    plan.user.text,
                    parent_id=plan.parent,
                    attachments=files or (),
                )
            saved = await self._guard(saving)
            if saved is None:
                return None
            mark_saved(plan.user, saved)
            self._touched(plan.user)
            parent = saved.id
        return await self._guard(
            history.begin_reply(conversation.store_id, parent, provider=provider_id, model=model)
        )

    async def _finish(
        self, writer: AsyncReplyWriter | None, message: ChatMessage, replaces: int | None
    ) -> None:
        reply = message.reply
        if writer is None or reply is None or self._history is None:
            return
        if message.tools:
            from .tool_uses import uses_json

            # The calls as they ended (a Stop marks the open ones stopped).
            await self._guard(writer.set_tools(uses_json(message.tools)))
        if self.closing:
            # Still 'streaming' in the history: cut off by the close, to be continued.
            await self._guard(writer.save())
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
        if saved is not None and replaces is not None:
            # The failed reply goes; read the new one again for its place among versions.
            await self._guard(self._history.drop_failed_reply(replaces))
            saved = await self._guard(self._history.get_message(saved.id)) or saved
        if saved is not None:
            mark_saved(message, saved)


WAITING = N_("Waiting for the first reply…")


def loading_status(event: LoadProgress) -> str:
    """The status line while the built-in engine loads a model: "Loading Qwen2.5 1.5B… 40 %"."""
    if event.done:
        return _(WAITING)
    if event.fraction is None:
        return _("Loading {model}…").format(model=event.model)
    return _("Loading {model}… {value} %").format(
        model=event.model, value=round(event.fraction * 100)
    )


async def pause(seconds: float) -> None:
    """``asyncio.sleep``, imported when first needed (the default between retries)."""
    import asyncio

    await asyncio.sleep(seconds)


async def _flush_every(writer: AsyncReplyWriter | None, seconds: float) -> None:
    """Save the tail of the reply when chunks stall (the writer throttles the rest)."""
    if writer is None:
        return
    while True:
        await pause(seconds)
        writer.flush()


def _fail(reply: provider.ReplyState, exc: BaseException) -> None:
    """A failed stream: the reply keeps its text and gains a sentence.

    A DeskChatError is the network's, the server's or the disk's fault: the
    reply shows it, so it is only logged for ``-v``. Anything else is a
    DeskChat bug and is logged with its traceback.
    """
    if isinstance(exc, DeskChatError):
        log.info("reply failed: %s", exc.text())
    else:
        log.error("reply failed with an internal error", exc_info=exc)
    reply.fail(exc)
