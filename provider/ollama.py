"""Ollama's native chat API: ``POST /api/chat`` streaming one JSON object per line.

Each line is ``{"message": {"content": ..., "thinking": ...}, "done": false}``;
the last has ``"done": true`` with ``done_reason``, ``prompt_eval_count`` and
``eval_count``. A line ``{"error": "..."}`` is Ollama saying no mid-stream.
Lines are split from raw bytes by :class:`provider.sse.LineDecoder`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from deskchat.i18n import _

from . import errors
from .base import Message
from .errors import IncompleteReplyError, quoted
from .events import Event, FinishEvent, ReasoningDelta, TextDelta, UsageEvent
from .http import error_message_from_body, raise_for_status, read_text, session_scope
from .images import has_images, ollama_images, refuse_images
from .openai_compat import error_from_payload
from .server import ServerProvider, chat_messages
from .sse import LineDecoder
from .tool_calls import ollama_tool_calls, openai_messages_for_ollama
from .vision import LOOK_UP_TIMEOUT, is_image_refusal, probably_not

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "DEFAULT_OLLAMA_URL",
    "Ollama",
    "OllamaStreamParser",
    "ollama_request_body",
    "parse_tags",
]

log = logging.getLogger("deskchat.provider.ollama")

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"

# OpenAI-style names DeskChat uses, mapped to Ollama's "options" names.
_OPTION_NAMES = {
    "max_tokens": "num_predict",
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "seed": "seed",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "repeat_penalty": "repeat_penalty",
    "num_ctx": "num_ctx",
    "num_predict": "num_predict",
    "min_p": "min_p",
}
# Sent at the top level of the request, as Ollama expects them.
_TOP_LEVEL = frozenset({"think", "keep_alive", "format", "tools"})


def ollama_request_body(
    model: str, messages: Sequence[Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``/api/chat`` body: messages (system prompt first, images as base64), options."""
    chat = ollama_images(openai_messages_for_ollama(chat_messages(messages, params)))
    options: dict[str, Any] = {}
    body: dict[str, Any] = {"model": model, "messages": chat, "stream": True}
    for key, value in params.items():
        if value is None or key in ("system", "proxy"):
            continue
        if key in _OPTION_NAMES:
            options[_OPTION_NAMES[key]] = value
        elif key in _TOP_LEVEL:
            body[key] = value
        elif key == "options" and isinstance(value, Mapping):
            options.update(value)
        else:
            log.debug("ignoring a parameter Ollama does not take: %s", key)
    if options:
        body["options"] = options
    return body


class OllamaStreamParser:
    """Pure state of one ``/api/chat`` stream: bytes in, events out (no I/O).

    Args:
        what: how to name the server in messages.

    Attributes:
        done: the ``"done": true`` line arrived, or an error after text ended the
            reply (raised by :meth:`finish`).
        received: how many objects arrived.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.done = False
        self.received = 0
        self._lines = LineDecoder(what=what)
        self._calls = 0
        # An error met after events in the same chunk waits here, so the text
        # before it still reaches the user; finish() raises it.
        self._pending: errors.ProviderError | None = None

    def feed(self, data: bytes) -> list[Event]:
        """Take the next bytes; return the events the lines they complete hold."""
        return self._handle(self._lines.feed(data))

    def finish(self) -> list[Event]:
        """End of the body: the last line, if it had no newline; or the error held back."""
        if self._pending is not None:
            error, self._pending = self._pending, None
            raise error
        return [] if self.done else self._handle(self._lines.finish())

    def _handle(self, lines: list[str]) -> list[Event]:
        events: list[Event] = []
        for line in lines:
            if self.done:
                break
            line = line.strip().removeprefix("\ufeff")
            if not line:
                continue
            try:
                events.extend(self._object(line))
            except errors.ProviderError as exc:
                if not events:
                    raise
                # Raising now would lose the text that came before the error
                # in the same network read: hand it out, stop, raise at finish.
                self._pending = exc
                self.done = True
                break
        return events

    def _object(self, line: str) -> list[Event]:
        try:
            obj = json.loads(line)
        except ValueError:
            if self.received == 0 and line.startswith("<"):
                raise errors.ProtocolError(
                    _(
                        "{what} answered with a web page instead of a reply; check that the "
                        "address is an Ollama server (usually port 11434)."
                    ).format(what=self.what)
                ) from None
            raise errors.ProtocolError(
                _(
                    "{what} sent a line of the reply that is not valid JSON, so it cannot be "
                    "shown: {quoted}"
                ).format(what=self.what, quoted=quoted(line))
            ) from None
        self.received += 1
        error = error_from_payload(obj, self.what)
        if error is not None:
            raise error
        if not isinstance(obj, dict):
            return []
        events: list[Event] = []
        message = obj.get("message")
        if isinstance(message, dict):
            thinking = message.get("thinking")
            if isinstance(thinking, str) and thinking:
                events.append(ReasoningDelta(thinking))
            content = message.get("content")
            if isinstance(content, str) and content:
                events.append(TextDelta(content))
            # Ollama sends each call whole, its arguments as an object.
            calls = ollama_tool_calls(message, self._calls)
            self._calls += len(calls)
            events.extend(calls)
        if obj.get("done") is True:
            self.done = True
            prompt, completion = obj.get("prompt_eval_count"), obj.get("eval_count")
            if isinstance(prompt, int) or isinstance(completion, int):
                events.append(
                    UsageEvent(
                        prompt_tokens=prompt if isinstance(prompt, int) else None,
                        completion_tokens=completion if isinstance(completion, int) else None,
                    )
                )
            reason = obj.get("done_reason")
            events.append(FinishEvent(reason if isinstance(reason, str) and reason else "stop"))
        return events


class Ollama(ServerProvider):
    """Streams replies from an Ollama server through its native API.

    Takes :class:`provider.server.ServerProvider`'s arguments. ``base_url`` is
    the server root, e.g. ``http://127.0.0.1:11434`` (an OpenAI-style ``/v1``
    or ``/api`` suffix is dropped); ``api_key`` is only for Ollama behind a
    proxy; an empty ``default_model`` means the first installed model. The
    idle limit matters here: loading a big model can take a while before the
    first line.

    Attributes:
        models: a coroutine method listing the installed models (``/api/tags``).
    """

    name = "ollama"
    display_name = "Ollama"
    default_model = ""
    default_base_url = DEFAULT_OLLAMA_URL

    # Made on first use, not in an __init__: registry.create reads the parameters a
    # provider takes from its class's signature.
    @cached_property
    def _vision(self) -> dict[str, bool | None]:
        """Whether each model reads images, as /api/show said (None: it cannot say)."""
        return {}

    @staticmethod
    def normalize_base_url(base_url: str) -> str:
        # People paste the OpenAI-style address too; the native API lives at the root.
        return base_url.rstrip("/").removesuffix("/v1").removesuffix("/api")

    async def models(self) -> list[str]:
        """The installed models, as ``GET /api/tags`` lists them."""
        return await self.with_session(self._list_models)

    async def _list_models(self, session: aiohttp.ClientSession) -> list[str]:
        return parse_tags(await self.get_text(session, "/api/tags"), self.what)

    def create_async_generator(
        self, model: str | None, messages: Sequence[Message], **params: Any
    ) -> AsyncIterator[Event]:
        """Yield the reply's events as they arrive.

        ``params`` use OpenAI's names (``max_tokens``, ``temperature``, ...)
        and go into Ollama's ``options``; ``think``, ``keep_alive`` and
        ``format`` go at the top level; ``system`` is sent as the first message.
        """
        return self.guarded(self._chat(model, messages, params))

    def takes_images(self, model: str) -> bool | None:
        """Whether ``model`` reads images, as far as this provider has learned (no request)."""
        return self._vision.get(model)

    def asked_about_images(self, model: str) -> bool:
        """Whether :meth:`look_up_images` would learn nothing new of ``model`` (no request)."""
        return model in self._vision

    async def look_up_images(self, model: str) -> bool | None:
        """Whether ``model`` reads images: cached, or asked once (``/api/show``, a few
        seconds at most); None when the server cannot say. Never raises a ProviderError."""
        try:
            return await self.with_session(lambda session: self._vision_of(session, model))
        except errors.ProviderError:
            return None

    async def _chat(
        self, model: str | None, messages: Sequence[Message], params: Mapping[str, Any]
    ) -> AsyncGenerator[Event, None]:
        images = has_images(messages)
        async with session_scope(self.session) as session:
            if not model:
                model = self.default_model or await self._first_model(session)
            if images and await self._vision_of(session, model) is False:
                # Before the chat: no byte of the image leaves.
                refuse_images(messages, self.what, model)
            body = ollama_request_body(model, messages, params)
            async with self.request(
                session, "POST", "/api/chat", json=body, proxy=params.get("proxy")
            ) as response:
                if images and response.status >= 400:
                    await self._refused_images(response, model)
                await raise_for_status(response, what=self.what)
                parser = OllamaStreamParser(self.what)
                async for event in self.feed(response, parser):
                    yield event
        if not parser.done:
            raise self._cut_short(parser)

    async def _refused_images(self, response: aiohttp.ClientResponse, model: str) -> None:
        """An HTTP error to a chat with images: the sentence for a model that takes none,
        when the server's words say so; otherwise the usual error."""
        text = await read_text(response)
        if is_image_refusal(response.status, text):
            self._vision[model] = False
            raise probably_not(self.what, model, error_message_from_body(text) or "")
        await raise_for_status(response, what=self.what, body=text)

    async def _vision_of(self, session: aiohttp.ClientSession, model: str) -> bool | None:
        """What ``POST /api/show`` says of "vision" in the model's capabilities, asked once
        per model (Ollama 0.6 and later); an older server, or one that cannot say in
        :data:`~provider.vision.LOOK_UP_TIMEOUT` seconds, gets the images and decides."""
        if model in self._vision:
            return self._vision[model]
        try:
            async with asyncio.timeout(LOOK_UP_TIMEOUT):
                async with self.request(
                    session, "POST", "/api/show", json={"model": model}
                ) as response:
                    status = response.status
                    text = await read_text(response, 4 * 1024 * 1024, idle=LOOK_UP_TIMEOUT)
        except (errors.ProviderError, TimeoutError) as exc:
            log.info("%s could not say whether %s reads images: %s", self.what, model, exc)
            return None  # Not kept: the next image asks again.
        known: bool | None = None
        if status == 200:
            try:
                shown = json.loads(text)
            except ValueError:
                shown = None
            capabilities = shown.get("capabilities") if isinstance(shown, dict) else None
            if isinstance(capabilities, list):
                known = "vision" in capabilities
        self._vision[model] = known
        return known

    async def _first_model(self, session: aiohttp.ClientSession) -> str:
        names = await self._list_models(session)
        if not names:
            raise errors.ConfigurationError(
                _("{what} has no models installed; run `ollama pull <model>` first.").format(
                    what=self.what
                )
            )
        return names[0]

    def _cut_short(self, parser: OllamaStreamParser) -> errors.ProviderError:
        if parser.received == 0:
            return errors.EmptyReplyError(
                _(
                    "{what} closed the reply without sending anything; try again, and check "
                    "the Ollama server's log if it keeps happening."
                ).format(what=self.what)
            )
        return IncompleteReplyError(
            _(
                "{what} stopped sending before the reply was finished; the text received "
                "so far is kept. Try again for a complete reply."
            ).format(what=self.what)
        )


def parse_tags(body: str, what: str) -> list[str]:
    """Model names from an ``/api/tags`` answer: ``{"models": [{"name": ...}]}``."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise errors.ProtocolError(
            _(
                "{what} sent a model list that is not valid JSON; check that the address "
                "is an Ollama server (usually port 11434)."
            ).format(what=what)
        ) from None
    items = payload.get("models") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise errors.ProtocolError(
            _(
                "{what} did not send a model list; check that the address is an Ollama server."
            ).format(what=what)
        )
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("name") or item.get("model")
            if isinstance(name, str) and name:
                names.append(name)
    return names
