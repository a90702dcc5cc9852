"""Tool calls that stream in pieces, joined into whole :class:`~provider.events.ToolCall` events.

OpenAI's streamed ``delta.tool_calls`` entries carry an ``index``; the first
piece of a call has its ``id`` and (most of) its name, the later ones pieces
of the ``arguments`` JSON text. Several calls may stream in one reply. Pure
state, no I/O: pieces in, whole calls out when the reply says it is done.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .events import ToolCall

__all__ = ["ToolCallAssembler", "ollama_tool_calls", "openai_messages_for_ollama"]


class _Partial:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name: list[str] = []
        self.arguments: list[str] = []


class ToolCallAssembler:
    """Joins ``tool_calls`` deltas; :meth:`flush` hands out the calls completed so far."""

    def __init__(self) -> None:
        self._calls: dict[int, _Partial] = {}
        self._issued = 0

    @property
    def pending(self) -> bool:
        return bool(self._calls)

    def feed(self, deltas: Any) -> None:
        """Take one chunk's ``tool_calls`` list (anything else is ignored)."""
        if not isinstance(deltas, list):
            return
        for position, delta in enumerate(deltas):
            if not isinstance(delta, dict):
                continue
            self._absorb(self._partial(delta, position), delta)

    def _partial(self, delta: Mapping[str, Any], position: int) -> _Partial:
        index = delta.get("index")
        call_id = delta.get("id")
        if not isinstance(index, int) or isinstance(index, bool):
            # No index (some servers): a new id is a new call, no id goes on with the last.
            if isinstance(call_id, str) and call_id:
                for key, partial in self._calls.items():
                    if partial.id == call_id:
                        return self._calls[key]
                index = max(self._calls, default=-1) + 1
            else:
                index = max(self._calls, default=position)
        return self._calls.setdefault(index, _Partial())

    @staticmethod
    def _absorb(partial: _Partial, delta: Mapping[str, Any]) -> None:
        call_id = delta.get("id")
        if isinstance(call_id, str) and call_id and not partial.id:
            partial.id = call_id
        function = delta.get("function")
        if not isinstance(function, dict):
            return
        name = function.get("name")
        if isinstance(name, str) and name:
            partial.name.append(name)
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            partial.arguments.append(arguments)
        elif isinstance(arguments, dict):
            # A whole object (Ollama, some proxies) rather than JSON text.
            partial.arguments.append(json.dumps(arguments, ensure_ascii=False))

    def flush(self) -> list[ToolCall]:
        """The calls assembled so far, in index order; the assembler is empty after."""
        calls: list[ToolCall] = []
        for index in sorted(self._calls):
            partial = self._calls[index]
            name = "".join(partial.name)
            if not name:
                continue
            self._issued += 1
            call_id = partial.id or f"call_{self._issued}"
            calls.append(ToolCall(call_id, name, "".join(partial.arguments) or "{}"))
        self._calls.clear()
        return calls


def ollama_tool_calls(message: Mapping[str, Any], issued: int) -> list[ToolCall]:
    """The whole calls in one Ollama ``message`` (``arguments`` is an object there)."""
    raw = message.get("tool_calls")
    if not isinstance(raw, list):
        return []
    calls: list[ToolCall] = []
    for item in raw:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        arguments = function.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        call_id = item.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"call_{issued + len(calls) + 1}"
        calls.append(ToolCall(call_id, function["name"], arguments))
    return calls


def openai_messages_for_ollama(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-shaped tool messages as Ollama takes them (arguments as objects, ``tool_name``)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        item = dict(message)
        calls = item.get("tool_calls")
        if isinstance(calls, list):
            item["tool_calls"] = [_ollama_call(c) for c in calls if isinstance(c, dict)]
        if item.get("role") == "tool":
            name = item.pop("name", None)
            item.pop("tool_call_id", None)
            if name:
                item["tool_name"] = name
        out.append(item)
    return out


def _ollama_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") if isinstance(call.get("function"), dict) else {}
    assert isinstance(function, dict)
    arguments: Any = function.get("arguments", "{}")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            arguments = {}
    if not isinstance(arguments, dict):
        arguments = {}
    return {"function": {"name": function.get("name", ""), "arguments": arguments}}
