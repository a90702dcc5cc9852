"""A local server speaking OpenAI's chat completions API, byte for byte as a test scripts it.

Tests queue :class:`Reply` scripts and read ``requests`` to see what the
client sent. Each chunk of a script is written separately, so a test decides
where the network splits the body.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.fakes.scripted import FakeChatServer, Reply, send_reply, split_randomly

__all__ = [
    "FakeOpenAI",
    "Reply",
    "chunk",
    "http_file_reply",
    "json_reply",
    "send_reply",
    "split_randomly",
    "sse",
    "stream_reply",
]

# Headers a recording carries that the serving aiohttp sets itself.
_HOP_HEADERS = {"transfer-encoding", "content-length", "date", "server", "connection"}


def chunk(
    content: str | None = None,
    *,
    role: str | None = None,
    reasoning: str | None = None,
    reasoning_key: str = "reasoning_content",
    finish: str | None = None,
    usage: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` object."""
    delta: dict[str, Any] = {}
    if role is not None:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta[reasoning_key] = reasoning
    out: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "model": "tiny.gguf",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        out = {**out, "choices": [], "usage": dict(usage)}
    return out


def sse(
    objects: Iterable[Mapping[str, Any] | str],
    *,
    newline: str = "\n",
    done: bool = True,
    trailing_blank: bool = True,
) -> bytes:
    """An event stream of ``data:`` events (a ``str`` item is sent as raw lines)."""
    parts: list[str] = []
    for obj in objects:
        parts.append(obj if isinstance(obj, str) else "data: " + json.dumps(obj))
    if done:
        parts.append("data: [DONE]")
    body = (newline + newline).join(parts)
    if trailing_blank:
        body += newline + newline
    return body.encode("utf-8")


def stream_reply(body: bytes, *, seed: int | None = None, **kwargs: Any) -> Reply:
    """A 200 event stream of ``body``, split at random places when ``seed`` is given."""
    chunks = split_randomly(body, seed) if seed is not None else [body]
    return Reply(chunks=chunks, **kwargs)


def json_reply(payload: Any, status: int = 200) -> Reply:
    """A JSON answer in one piece."""
    return Reply(
        chunks=[json.dumps(payload).encode()],
        status=status,
        headers={"Content-Type": "application/json"},
    )


def http_file_reply(path: Path, *, seed: int | None = None) -> Reply:
    """Replay a recorded ``.http`` file: its status, its headers, its body bytes."""
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() not in _HOP_HEADERS:
            headers[name.strip()] = value.strip()
    chunks = split_randomly(body, seed) if seed is not None and body else [body] if body else []
    return Reply(chunks=chunks, status=status, headers=headers)


class FakeOpenAI(FakeChatServer):
    """The fake server: serve ``app``; the API lives under ``/v1``.

    ``listing`` answers ``GET /v1/models``; see :class:`FakeChatServer`.
    """

    def __init__(self) -> None:
        super().__init__(
            chat_path="/v1/chat/completions",
            list_path="/v1/models",
            replies=[stream_reply(sse([chunk(role="assistant"), chunk("Hi")]))],
            listing=json_reply(
                {"object": "list", "data": [{"id": "tiny.gguf", "object": "model"}]}
            ),
        )
