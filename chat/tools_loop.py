"""The tool loop: the model asks, the user decides, the tool runs, the model goes on.

:class:`ChatTools` is what a session is given to offer tools: the servers'
tools (a :class:`ToolBox`, in practice ``deskchat.tools.McpTools``), the
approval callback each front end brings (the command line asks on the
terminal, the window shows a card), and the limits. Nothing runs without the
user's yes, unless they chose "always" for that tool in that chat. A tool's
description and output are untrusted text from another program: they go to
the model and the screen as text, and nothing in them changes what is asked.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from deskchat.i18n import _, ngettext, number
from deskchat.provider import Event, ToolCall, ToolsNotSupportedError
from deskchat.tools import ToolError, ToolInfo, ToolOutput, ToolTimeoutError

from .tool_uses import ToolUse, reply_turns

if TYPE_CHECKING:
    from deskchat.provider import Message

    from .conversation import ChatMessage, Conversation

__all__ = [
    "DEFAULT_STEPS",
    "DEFAULT_TIME_LIMIT",
    "Approver",
    "ChatTools",
    "Decision",
    "ToolBox",
    "ToolRequest",
    "tool_rounds",
]

log = logging.getLogger("deskchat.chat.tools")

DEFAULT_STEPS = 10
"""Rounds of tool calls one reply may make (the ``tool_steps`` setting)."""
DEFAULT_TIME_LIMIT = 60.0
"""Seconds one tool call may take (the ``tool_timeout`` setting)."""


class Decision(StrEnum):
    """What the user chose for one call."""

    ONCE = "once"
    ALWAYS = "always"
    DENY = "deny"


@dataclass(frozen=True)
class ToolRequest:
    """One call waiting for the user's decision (what the card and the terminal show).

    Attributes:
        use: the call: tool, server, the full arguments.
        description: the server's description of the tool (untrusted text).
        conversation: the chat it is asked in.
    """

    use: ToolUse
    description: str
    conversation: Conversation


Approver = Callable[[ToolRequest], Awaitable[Decision]]
"""Asks the user about one call; must not block the loop (a dialog is awaited, not exec'd)."""


class ToolBox(Protocol):
    """The tools on offer (``deskchat.tools.McpTools``)."""

    async def tools(self) -> list[ToolInfo]: ...

    def find(self, name: str) -> ToolInfo | None: ...

    async def call(
        self, name: str, arguments: dict[str, Any], *, time_limit: float | None = None
    ) -> ToolOutput: ...


class ChatTools:
    """Tools for a chat session's replies.

    Args:
        box: the tools on offer.
        approve: asks the user about each call.
        steps: rounds of calls one reply may make.
        time_limit: seconds one call may take.

    Attributes:
        always: per conversation, the tools the user let run without asking.
    """

    def __init__(
        self,
        box: ToolBox,
        approve: Approver,
        *,
        steps: int = DEFAULT_STEPS,
        time_limit: float = DEFAULT_TIME_LIMIT,
    ) -> None:
        self.box = box
        self.approve = approve
        self.steps = steps
        self.time_limit = time_limit
        self.always: dict[int, set[str]] = {}

    async def specs(self) -> list[dict[str, Any]]:
        """The ``tools`` of the request (the servers start here, when first needed)."""
        return [tool.spec() for tool in await self.box.tools()]

    def uses_for(self, calls: Sequence[ToolCall], step: int, at: int) -> list[ToolUse]:
        """Records for the calls the model just asked for."""
        uses: list[ToolUse] = []
        for call in calls:
            info = self.box.find(call.name)
            uses.append(
                ToolUse(
                    id=call.id,
                    name=call.name,
                    arguments=call.arguments,
                    server=info.server if info is not None else "",
                    tool=info.tool if info is not None else "",
                    step=step,
                    at=at,
                )
            )
        return uses

    async def run(
        self,
        conversation: Conversation,
        message: ChatMessage,
        uses: Sequence[ToolUse],
        touched: Callable[[ChatMessage], None],
    ) -> None:
        """Ask about each call in turn, then run the approved ones together.

        Stop (cancelling the task) marks the calls still open as stopped and
        goes on up.
        """
        approved: list[tuple[ToolUse, dict[str, Any]]] = []
        try:
            for use in uses:
                arguments = self._check(use)
                if arguments is None:
                    touched(message)
                    continue
                if await self._allowed(conversation, use):
                    use.status = "running"
                    approved.append((use, arguments))
                else:
                    use.finish("denied", _("The user denied this tool call."))
                touched(message)
            if approved:
                await asyncio.gather(*(self._call(use, args) for use, args in approved))
        except asyncio.CancelledError:
            for use in uses:
                if not use.done:
                    use.finish("stopped", _("The user stopped this tool call."))
            touched(message)
            raise
        touched(message)

    def skip(self, uses: Sequence[ToolUse]) -> None:
        """Calls over the step limit: not run, and the model reads why."""
        text = ngettext(
            "Not run: this reply reached its limit of {n} round of tool calls.",
            "Not run: this reply reached its limit of {n} rounds of tool calls.",
            self.steps,
        ).format(n=number(self.steps))
        for use in uses:
            use.finish("skipped", text)

    def _check(self, use: ToolUse) -> dict[str, Any] | None:
        """The call's arguments as an object; None (and the call failed) when they are not."""
        if self.box.find(use.name) is None:
            use.finish(
                "error",
                _("No tool named {name} is available; use one of the tools offered.").format(
                    name=use.name
                ),
            )
            return None
        try:
            arguments = json.loads(use.arguments) if use.arguments.strip() else {}
        except ValueError as exc:
            use.finish(
                "error",
                _("The arguments are not valid JSON ({reason}); send them again.").format(
                    reason=exc
                ),
            )
            return None
        if not isinstance(arguments, dict):
            use.finish("error", _("The arguments must be a JSON object; send them again."))
            return None
        return arguments

    async def _allowed(self, conversation: Conversation, use: ToolUse) -> bool:
        always = self.always.setdefault(conversation.id, set(conversation.tools_always))
        if use.name in always:
            return True
        info = self.box.find(use.name)
        request = ToolRequest(use, info.description if info else "", conversation)
        try:
            decision = await self.approve(request)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a broken prompt denies, it never approves
            log.exception("asking about a tool call failed; the call is denied")
            return False
        if decision == Decision.ALWAYS:
            always.add(use.name)
        return decision in (Decision.ONCE, Decision.ALWAYS)

    async def _call(self, use: ToolUse, arguments: dict[str, Any]) -> None:
        try:
            output = await self.box.call(use.name, arguments, time_limit=self.time_limit)
        except ToolTimeoutError as exc:
            use.finish("timeout", exc.text())
        except ToolError as exc:
            use.finish("error", exc.text())
        else:
            use.finish("error" if output.is_error else "ok", output.text)


EventSource = Callable[[Sequence["Message"], dict[str, Any]], AsyncIterator[Event]]
"""Streams one request's events: (messages, params) -> events (ReplyRun's retrying stream)."""


async def tool_rounds(
    tools: ChatTools,
    events: EventSource,
    conversation: Conversation,
    message: ChatMessage,
    messages: Sequence[Message],
    params: dict[str, Any],
    *,
    save: Callable[[], Awaitable[None]],
    touched: Callable[[ChatMessage], None],
    status: Callable[[str], None],
) -> AsyncIterator[Event]:
    """The events of a reply that may call tools, round after round.

    Each round streams the model's answer; the calls it asked for are put to
    the user, run, saved, and sent back with the text so far, until a round
    asks for none. Past :attr:`ChatTools.steps` rounds the calls are skipped
    and the model is asked once more without tools, to answer in words. A model
    that cannot call tools at all (its chat template has no place for them) answers
    without them, and the status line says so.
    """
    reply = message.reply
    assert reply is not None
    status(_("Starting the tool servers…"))
    offered = await tools.specs()
    params = {**params, "tools": offered} if offered else dict(params)
    base = list(messages)
    pending = [use for use in message.tools if use.status == "pending"]
    if pending:
        # A reply cut off while its calls waited: ask about them again, then go on.
        await _run_round(tools, conversation, message, pending, save, touched, status)
        system = [m for m in base[:1] if m.get("role") == "system"]
        row = conversation.messages.index(message)
        base = [*system, *conversation.history(upto=row)]
    first, text_from = len(message.tools), reply.length
    step = max((use.step for use in message.tools), default=0)
    final = False
    while True:
        sent = [*base, *reply_turns(reply.text, message.tools[first:], text_from)]
        try:
            async for event in events(sent if message.tools[first:] else base, params):
                yield event
        except ToolsNotSupportedError:
            # Said before anything was sent: the same question, without the tools.
            if "tools" not in params:
                raise
            status(_("This model cannot call tools, so it answers without them."))
            params = {k: v for k, v in params.items() if k != "tools"}
            continue
        calls = reply.take_tool_calls()
        if not calls:
            return
        step += 1
        uses = tools.uses_for(calls, step, reply.length)
        message.tools.extend(uses)
        touched(message)
        await save()
        if final:
            tools.skip(uses)
            await save()
            return
        if step > tools.steps:
            tools.skip(uses)
            await save()
            params = {k: v for k, v in params.items() if k != "tools"}
            final = True
            continue
        await _run_round(tools, conversation, message, uses, save, touched, status)


async def _run_round(
    tools: ChatTools,
    conversation: Conversation,
    message: ChatMessage,
    uses: Sequence[ToolUse],
    save: Callable[[], Awaitable[None]],
    touched: Callable[[ChatMessage], None],
    status: Callable[[str], None],
) -> None:
    names = ", ".join(dict.fromkeys(use.name for use in uses))
    status(_("Tool calls: {names}…").format(names=names))
    try:
        await tools.run(conversation, message, uses, touched)
    finally:
        await save()
    status(_("Receiving the reply…"))
