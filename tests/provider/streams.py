"""Helpers for reading a provider's stream in tests."""

from __future__ import annotations

from typing import Any

from deskchat.provider import ProviderError, TextDelta

HELLO = [{"role": "user", "content": "Hello"}]


async def collect_until_error(provider: Any) -> tuple[list[Any], ProviderError]:
    """The events that arrived before the stream raised, and what it raised."""
    seen: list[Any] = []
    try:
        async for event in provider.create_async_generator("m", HELLO):
            seen.append(event)
    except ProviderError as exc:
        return seen, exc
    raise AssertionError(f"the stream ended without an error after {seen}")


def text_of(events: list[Any]) -> str:
    """The visible text among ``events``."""
    return "".join(e.text for e in events if isinstance(e, TextDelta))
