"""The tools a reply called, as the bubble shows them and the history keeps them.

A :class:`ToolUse` is one call: what the model asked for, what the user
decided, and what came back. A reply's calls are kept in order with the reply
(``store.Message.tools``) and turned back into the messages a model API
expects (:func:`reply_turns`): the reply's text up to each round of calls, the
calls, their results, then the rest of the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from deskchat.i18n import N_, _

if TYPE_CHECKING:
    from deskchat.provider import Message

__all__ = [
    "NOT_RUN",
    "ToolStatus",
    "ToolUse",
    "reply_turns",
    "uses_from_stored",
    "uses_json",
]

ToolStatus: TypeAlias = Literal[
    "pending", "running", "ok", "error", "denied", "timeout", "stopped", "skipped"
]

NOT_RUN = N_("The call was not run.")
"""The result the model reads for a call that never ran (DeskChat closed before it)."""


@dataclass(eq=False)
class ToolUse:
    """One call of a tool in a reply.

    Attributes:
        id: the call's id from the model.
        name: the tool's name as offered to the model.
        server: the MCP server that offers it ("" when none does).
        tool: the server's own name for it.
        arguments: the arguments as the model wrote them (JSON text).
        status: pending (asked, not decided), running, ok, error, denied,
            timeout, stopped (by the user) or skipped (over the step limit).
        output: what goes back to the model: the tool's output or a sentence.
        step: the round of the reply it was asked in (1 for the first).
        at: characters of the reply's text written before it was asked.
    """

    id: str
    name: str
    arguments: str = "{}"
    server: str = ""
    tool: str = ""
    status: ToolStatus = "pending"
    output: str | None = None
    step: int = 1
    at: int = 0

    @property
    def done(self) -> bool:
        return self.status not in ("pending", "running")

    def finish(self, status: ToolStatus, output: str) -> None:
        self.status = status
        self.output = output

    def result(self) -> str:
        """The text the model reads as this call's result."""
        return self.output if self.output is not None else _(NOT_RUN)


def uses_json(uses: Sequence[ToolUse]) -> str | None:
    """The calls as the history keeps them (None for none)."""
    return json.dumps([asdict(u) for u in uses], ensure_ascii=False) if uses else None


def uses_from_stored(items: Iterable[Mapping[str, Any]]) -> list[ToolUse]:
    """Calls read back from the history; a call that was running is pending again."""
    uses: list[ToolUse] = []
    for item in items:
        status = str(item.get("status", "pending"))
        if status == "running":
            status = "pending"
        uses.append(
            ToolUse(
                id=str(item.get("id", "")),
                name=str(item.get("name", "")),
                arguments=str(item.get("arguments", "{}")),
                server=str(item.get("server", "")),
                tool=str(item.get("tool", "")),
                status=status,  # type: ignore[arg-type]  # read back as written
                output=item.get("output") if isinstance(item.get("output"), str) else None,
                step=int(item.get("step", 1) or 1),
                at=int(item.get("at", 0) or 0),
            )
        )
    return uses


def reply_turns(text: str, uses: Sequence[ToolUse], text_from: int = 0) -> list[Message]:
    """A reply with tool calls as the messages a model API expects.

    Each round becomes an assistant message with the text written before it
    and its ``tool_calls``, then one ``tool`` message per call; the text after
    the last round closes the list. ``text_from``: characters of ``text``
    already sent another way (the part of a continued reply before it went on).
    """
    turns: list[Message] = []
    start = text_from
    rounds: dict[int, list[ToolUse]] = {}
    for use in uses:
        rounds.setdefault(use.step, []).append(use)
    for step in sorted(rounds):
        calls = rounds[step]
        at = max(start, min(calls[0].at, len(text)))
        turns.append(
            {
                "role": "assistant",
                "content": text[start:at],
                "tool_calls": [
                    {
                        "id": use.id,
                        "type": "function",
                        "function": {"name": use.name, "arguments": use.arguments},
                    }
                    for use in calls
                ],
            }
        )
        turns.extend(
            {"role": "tool", "tool_call_id": use.id, "name": use.name, "content": use.result()}
            for use in calls
        )
        start = at
    if text[start:]:
        turns.append({"role": "assistant", "content": text[start:]})
    return turns
