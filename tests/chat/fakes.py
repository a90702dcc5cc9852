"""A provider that plays scripted replies, for core tests that need no network and no Qt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from deskchat.provider import Event, Message

HANG = object()
"""In a script: wait here until cancelled (a server that stopped sending)."""


class QueuedProvider:
    """Each request plays the next script: text pieces, events, exceptions to raise, HANG.

    A request beyond the scripts plays the last one again.

    Attributes:
        requests: the messages of every request, oldest first.
        params: the extra parameters of every request.
        cancelled: set when a request was cancelled while it hung.
    """

    name = "queued"
    display_name = "Queued"
    default_model = "fake-1"
    models: Sequence[str] = ("fake-1", "fake-2")

    def __init__(self, *scripts: Sequence[object]) -> None:
        self.scripts = [list(s) for s in scripts] or [["ok"]]
        self.requests: list[list[dict[str, str]]] = []
        self.params: list[dict[str, Any]] = []
        self.models_asked: list[str | None] = []
        self.cancelled = asyncio.Event()

    async def create_async_generator(
        self, model: str | None, messages: Sequence[Message], **params: Any
    ) -> AsyncIterator[Event | str]:
        index = min(len(self.requests), len(self.scripts) - 1)
        self.requests.append([dict(m) for m in messages])
        self.params.append(params)
        self.models_asked.append(model)
        for item in self.scripts[index]:
            if item is HANG:
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:
                    self.cancelled.set()
                    raise
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
            await asyncio.sleep(0)
