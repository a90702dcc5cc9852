"""A provider that needs no network, for tests that only look at the window."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any


class ScriptedProvider:
    """Yields ``chunks`` for every request; records the messages it was sent."""

    name = "scripted"
    default_model = "small"
    models: Sequence[str] = ("small", "large")

    def __init__(self, chunks: Sequence[str] = ("ok",)) -> None:
        self.chunks = list(chunks)
        self.requests: list[list[dict[str, str]]] = []

    async def create_async_generator(
        self, model: str, messages: Sequence[Any], **params: Any
    ) -> AsyncIterator[str]:
        self.requests.append([dict(m) for m in messages])
        for chunk in self.chunks:
            yield chunk
