"""A local server speaking Ollama's native API (``/api/chat`` NDJSON, ``/api/tags``).

Scripts reuse :class:`tests.fakes.openai_server.Reply`: chunks are written one
by one, so a test decides where lines are split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.scripted import FakeChatServer, Reply, split_randomly


def line(
    content: str = "",
    *,
    thinking: str | None = None,
    done: bool = False,
    done_reason: str | None = None,
    prompt_eval_count: int | None = None,
    eval_count: int | None = None,
) -> dict[str, Any]:
    """One object of an ``/api/chat`` stream."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    obj: dict[str, Any] = {
        "model": "qwen3:0.6b",
        "created_at": "2026-11-25T20:00:00Z",
        "message": message,
        "done": done,
    }
    if done_reason is not None:
        obj["done_reason"] = done_reason
    if prompt_eval_count is not None:
        obj["prompt_eval_count"] = prompt_eval_count
    if eval_count is not None:
        obj["eval_count"] = eval_count
    return obj


def ndjson(objects: Iterable[Mapping[str, Any] | str], *, newline: str = "\n") -> bytes:
    """Objects one per line (a ``str`` item is sent as it is)."""
    parts = [o if isinstance(o, str) else json.dumps(o) for o in objects]
    return "".join(p + newline for p in parts).encode("utf-8")


def ndjson_reply(body: bytes, *, seed: int | None = None, **kwargs: Any) -> Reply:
    """A 200 NDJSON stream of ``body``, split at random places when ``seed`` is given."""
    chunks = split_randomly(body, seed) if seed is not None else [body]
    return Reply(chunks=chunks, headers={"Content-Type": "application/x-ndjson"}, **kwargs)


class FakeOllama(FakeChatServer):
    """The fake Ollama: serve ``app`` at the root.

    ``listing`` answers ``GET /api/tags``; see :class:`FakeChatServer`.
    """

    def __init__(self) -> None:
        models = [{"name": "qwen3:0.6b", "model": "qwen3:0.6b"}, {"name": "llama3.2:1b"}]
        super().__init__(
            chat_path="/api/chat",
            list_path="/api/tags",
            replies=[ndjson_reply(ndjson([line("Hi"), line(done=True, done_reason="stop")]))],
            listing=Reply(
                chunks=[json.dumps({"models": models}).encode()],
                headers={"Content-Type": "application/json"},
            ),
        )
