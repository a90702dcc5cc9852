"""Replies that ask for tools, as OpenAI-compatible servers and Ollama stream them."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from tests.fakes.ollama_server import line, ndjson, ndjson_reply
from tests.fakes.openai_server import Reply, chunk, sse, stream_reply

__all__ = ["ollama_tools_reply", "openai_text_reply", "openai_tools_reply", "pieces"]

Call = tuple[str, str, dict[str, Any]]
"""(id, name, arguments) of one call."""


def pieces(text: str, rng: random.Random) -> list[str]:
    """``text`` cut at random places into 1..4 pieces (never an empty one)."""
    if len(text) < 2:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), min(3, len(text) - 1)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _tool_chunk(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "model": "tiny.gguf",
        "choices": [{"index": 0, "delta": {"tool_calls": entries}, "finish_reason": None}],
    }


def openai_tools_reply(
    calls: Sequence[Call], *, text: str = "", seed: int = 0, interleave: bool = False
) -> Reply:
    """A streamed reply: ``text``, then ``calls`` whose names and arguments come in pieces.

    ``interleave``: the calls' pieces alternate (two calls streaming at once).
    Split at random byte places too (``seed``).
    """
    rng = random.Random(seed)
    objects: list[dict[str, Any]] = [chunk(role="assistant")]
    if text:
        objects += [chunk(p) for p in pieces(text, rng)]
    streams: list[list[dict[str, Any]]] = []
    for index, (call_id, name, arguments) in enumerate(calls):
        name_parts = pieces(name, rng)
        entries = [
            {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name_parts[0], "arguments": ""},
            }
        ]
        entries += [{"index": index, "function": {"name": p}} for p in name_parts[1:]]
        entries += [
            {"index": index, "function": {"arguments": p}}
            for p in pieces(json.dumps(arguments), rng)
        ]
        streams.append(entries)
    if interleave:
        while any(streams):
            for entries in streams:
                if entries:
                    objects.append(_tool_chunk([entries.pop(0)]))
    else:
        objects += [_tool_chunk([e]) for entries in streams for e in entries]
    objects.append(chunk(finish="tool_calls"))
    return stream_reply(sse(objects), seed=seed)


def openai_text_reply(text: str, *, seed: int = 0) -> Reply:
    rng = random.Random(seed)
    objects = [chunk(role="assistant"), *(chunk(p) for p in pieces(text, rng))]
    return stream_reply(sse([*objects, chunk(finish="stop")]), seed=seed)


def ollama_tools_reply(calls: Sequence[Call], *, text: str = "", seed: int = 0) -> Reply:
    """Ollama's way: each call whole in one line, arguments as an object."""
    first = line(text)
    first["message"]["tool_calls"] = [
        {"function": {"name": name, "arguments": arguments}} for _id, name, arguments in calls
    ]
    return ndjson_reply(ndjson([first, line(done=True, done_reason="stop")]), seed=seed)
