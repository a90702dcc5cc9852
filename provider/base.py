"""The interface every provider offers, and helpers shared by all of them."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from deskchat.i18n import _

from .errors import ConfigurationError
from .events import Event, ReasoningDelta, TextDelta
from .text import SurrogateJoiner

__all__ = ["Message", "Provider", "format_prompt", "list_models", "stream_events"]

Message: TypeAlias = Mapping[str, Any]
"""A chat message: ``{"role": "user" | "assistant" | "system", "content": str}``.

With tools, in OpenAI's shape: an assistant message may carry ``tool_calls``
(``[{"id", "type": "function", "function": {"name", "arguments": JSON text}}]``)
and a ``{"role": "tool", "tool_call_id", "name", "content"}`` message holds a result.
"""


@runtime_checkable
class Provider(Protocol):
    """What the GUI and the CLI need from a provider.

    ``create_async_generator`` yields :mod:`provider.events` values, or plain
    ``str`` chunks for providers that only stream text (the seed's
    ChatgptFree); :func:`stream_events` smooths the difference over.
    Cancelling or closing the generator must close the HTTP response at once.
    """

    name: str
    display_name: str
    default_model: str

    @property
    def models(self) -> Sequence[str] | Callable[[], Awaitable[list[str]]]:
        """A fixed list, or a coroutine method that asks the server (read-only, so both fit)."""

    def create_async_generator(
        self, model: str | None, messages: Sequence[Message], **params: Any
    ) -> AsyncIterator[Event | str]: ...


async def stream_events(
    provider: Provider, model: str | None, messages: Sequence[Message], **params: Any
) -> AsyncIterator[Event]:
    """Run a provider and yield typed events only (``str`` becomes TextDelta).

    Text and reasoning leave as valid Unicode: an emoji whose two UTF-16
    halves came in two events (as JSON escapes) is joined into one piece, and
    a half with no partner becomes U+FFFD (see :mod:`provider.text`), also
    when the stream ends or fails right after it.
    """
    stream = provider.create_async_generator(model, messages, **params)
    text, reasoning = SurrogateJoiner(), SurrogateJoiner()
    try:
        try:
            async for item in stream:
                event: Event | None = TextDelta(item) if isinstance(item, str) else item
                if isinstance(event, TextDelta):
                    event = _mended(event, text.feed(event.text))
                elif isinstance(event, ReasoningDelta):
                    event = _mended(event, reasoning.feed(event.text))
                if event is not None:
                    yield event
        except Exception:
            # The reply failed right after half a character: the text before
            # the error is kept, and so is the half, as U+FFFD.
            for tail in _tails(text, reasoning):
                yield tail
            raise
        for tail in _tails(text, reasoning):
            yield tail
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def _mended(event: TextDelta | ReasoningDelta, mended: str) -> Event | None:
    """``event`` with its text mended; None when nothing is left to show yet."""
    if mended == event.text:
        return event
    if not mended:
        return None
    return TextDelta(mended) if isinstance(event, TextDelta) else ReasoningDelta(mended)


def _tails(text: SurrogateJoiner, reasoning: SurrogateJoiner) -> list[Event]:
    tails: list[Event] = []
    if tail := text.finish():
        tails.append(TextDelta(tail))
    if tail := reasoning.finish():
        tails.append(ReasoningDelta(tail))
    return tails


async def list_models(provider: Provider) -> list[str]:
    """The provider's models, whether it lists them statically or asks the server."""
    models = provider.models
    if callable(models):
        result = models()
        return list(await result) if inspect.isawaitable(result) else list(result)
    return list(models)


def format_prompt(messages: Sequence[Message]) -> str:
    """Flatten a conversation into one prompt, for sites that take plain text.

    A single message is sent as its content alone. Several become one
    ``Role: content`` line each, then ``Assistant:`` to ask for the reply.
    """
    if not messages:
        raise ConfigurationError(_("There is no message to send."))
    if len(messages) == 1:
        return messages[0]["content"]
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"
