"""Try a reply again when it failed before anything arrived, then maybe another provider.

A retry is safe only while the user has seen nothing of the reply: after the
first event, trying again would repeat text, so an error then is raised as it
is. What is retried: :class:`~provider.errors.APIConnectionError` (refused,
DNS, dropped; an idle timeout excepted, since waiting the whole idle limit
again helps nobody), :class:`~provider.errors.RateLimitError` (429) and
:class:`~provider.errors.ServerError` (5xx). Waits double from ``base_delay``
up to ``max_delay``; a 429's ``Retry-After`` is used instead, capped the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from . import errors

__all__ = ["StreamFactory", "is_retryable", "retry_delay", "with_retries"]

log = logging.getLogger("deskchat.provider.retry")

T = TypeVar("T")

StreamFactory = Callable[[], AsyncIterator[T]]
"""A callable that starts a fresh stream each time it is called."""


def is_retryable(exc: BaseException) -> bool:
    """True for failures that another try may well get past."""
    if isinstance(exc, errors.IdleTimeoutError):
        return False
    return isinstance(exc, errors.ProviderError) and exc.retryable


def retry_delay(attempt: int, exc: BaseException, *, base_delay: float, max_delay: float) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
    retry_after = exc.retry_after if isinstance(exc, errors.RateLimitError) else None
    if retry_after is not None and retry_after >= 0:
        return float(min(retry_after, max_delay))
    return float(min(base_delay * 2 ** (attempt - 1), max_delay))


async def with_retries(
    factory: StreamFactory[T],
    *,
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    fallback: StreamFactory[T] | None = None,
) -> AsyncIterator[T]:
    """Yield ``factory()``'s items, starting it again on early retryable failures.

    Args:
        factory: starts the stream, e.g.
            ``lambda: provider.create_async_generator(model, messages)``.
        attempts: tries in all for ``factory`` (1 means no retry).
        sleep: how to wait (tests pass a recorder that returns at once).
        fallback: started once ``factory`` has failed before any output, for
            any :class:`~provider.errors.ProviderError`; it gets the same
            retries. Errors that are not ProviderErrors (bugs) are never
            retried nor hidden by a fallback.
    """
    sources = [factory] if fallback is None else [factory, fallback]
    last: errors.ProviderError | None = None
    for index, source in enumerate(sources):
        if index:
            log.info("first provider failed before replying (%s); trying the fallback", last)
        for attempt in range(1, max(1, attempts) + 1):
            started = False
            stream = source()
            try:
                async for item in stream:
                    started = True
                    yield item
                return
            except errors.ProviderError as exc:
                if started:
                    raise
                last = exc
                if not is_retryable(exc) or attempt >= attempts:
                    break
                delay = retry_delay(attempt, exc, base_delay=base_delay, max_delay=max_delay)
                log.info(
                    "try %d failed before any output (%s); again in %.1f s", attempt, exc, delay
                )
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
            await sleep(delay)
    if last is None:  # pragma: no cover - every loop ends in a return or records an error
        raise RuntimeError("with_retries ran no attempt")
    raise last
