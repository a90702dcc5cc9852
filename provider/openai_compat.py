"""Any server speaking OpenAI's chat completions API: OpenAI, OpenRouter, Groq, llama.cpp, ...

The reply is a server-sent event stream (``stream: true``) of
``chat.completion.chunk`` objects, read as raw bytes through
:class:`provider.sse.LineDecoder` and :class:`provider.sse.SSEDecoder`.

How a stream may end, and what the caller sees:

- ``data: [DONE]``: the reply is complete.
- closed with no event at all: :class:`~provider.errors.ContextOverflowError`
  (llama.cpp does this when the prompt is longer than the model's context).
- closed without ``[DONE]`` after a ``finish_reason``: complete; some servers
  and proxies omit ``[DONE]`` but the model said it was done.
- closed without ``[DONE]`` and without a ``finish_reason`` after some
  events: :class:`~provider.errors.IncompleteReplyError` (a
  :class:`~provider.errors.StreamInterruptedError`), raised after every event
  that arrived, so the caller keeps the text.

``stream_options.include_usage`` is sent so OpenAI reports token counts; a
server that refuses the field (HTTP 400/422 naming it) is asked once more
without it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from functools import cached_property
from typing import TYPE_CHECKING, Any

from deskchat.i18n import N_, _

from . import errors
from .base import Message
from .errors import (
    ContextOverflowError,
    IncompleteReplyError,
    ServerReportedError,
    _StreamOptionsRejected,
    quoted,
    said,
)
from .events import Event, FinishEvent, ReasoningDelta, TextDelta, UsageEvent
from .http import (
    client_timeout,
    error_message_from_body,
    open_request,
    raise_for_status,
    read_text,
    session_scope,
)
from .images import has_images, openai_image_parts, refuse_images
from .server import ServerProvider, chat_messages, scrub_error
from .sse import LineDecoder, SSEDecoder
from .tool_calls import ToolCallAssembler
from .vision import LOOK_UP_TIMEOUT, from_listing_entry, from_props, is_image_refusal, probably_not

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "ChatCompletionStreamParser",
    "DEFAULT_BASE_URL",
    "OpenAICompatible",
    "error_from_payload",
    "events_from_completion",
    "parse_models",
    "scrub_error",
]

log = logging.getLogger("deskchat.provider.openai")

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"

# Parameters that are ours, not the API's: never sent in the request body.
_RESERVED = frozenset({"model", "messages", "stream", "stream_options", "system", "proxy"})
_WHOLE_REPLY_LIMIT = 16 * 1024 * 1024


def error_from_payload(payload: Any, what: str) -> ServerReportedError | None:
    """The error an ``{"error": ...}`` object stands for, or None if it is not one."""
    if not isinstance(payload, dict) or not payload.get("error"):
        return None
    error = payload["error"]
    code: str | None = None
    if isinstance(error, dict):
        message = error.get("message") or error.get("type") or _("an error without details")
        raw_code = error.get("code") or error.get("type")
        code = str(raw_code) if raw_code is not None else None
    else:
        message = error
    return ServerReportedError(
        _("{what} reported an error instead of a reply: {said}").format(
            what=what, said=said(str(message))
        ),
        code=code,
    )


def events_from_completion(
    chunk: Mapping[str, Any], calls: ToolCallAssembler | None = None
) -> list[Event]:
    """The events in one ``chat.completion.chunk`` (or a whole ``chat.completion``).

    Only the first choice is read; DeskChat asks for one. Empty text is dropped.
    Pieces of tool calls go into ``calls`` (one per reply, as they stream in
    pieces); the whole calls come out before the ``finish_reason``'s event.
    Without ``calls``, a whole completion's calls come out at once.
    """
    whole = calls is None
    calls = calls if calls is not None else ToolCallAssembler()
    events: list[Event] = []
    choices = chunk.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = choices[0]
        # A streamed chunk has "delta"; a whole completion (a server that
        # ignored stream: true) has "message" with the same fields.
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = choice.get("message")
        if isinstance(delta, dict):
            # Servers name reasoning differently: DeepSeek and llama.cpp use
            # reasoning_content, OpenRouter and vLLM (newer) use reasoning.
            for key in ("reasoning_content", "reasoning"):
                reasoning = delta.get(key)
                if isinstance(reasoning, str) and reasoning:
                    events.append(ReasoningDelta(reasoning))
                    break
            content = delta.get("content")
            if isinstance(content, str) and content:
                events.append(TextDelta(content))
            calls.feed(delta.get("tool_calls"))
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            events.extend(calls.flush())
            events.append(FinishEvent(reason))
    if whole:
        events.extend(calls.flush())
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        events.append(
            UsageEvent(
                prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
                completion_tokens=_int_or_none(usage.get("completion_tokens")),
            )
        )
    return events


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ChatCompletionStreamParser:
    """Pure state of one streamed reply: bytes in, events out (no I/O).

    Args:
        what: how to name the server in messages, e.g. "llama.cpp (127.0.0.1)".

    Attributes:
        done: ``[DONE]`` arrived, or an error after text ended the reply (raised by
            :meth:`finish`); later bytes are ignored.
        pending_error: set by :meth:`finish` when the stream was cut short; the
            caller raises it after handing on the events that did arrive.
        received: how many data events arrived (any, even role-only ones).
        finished: a ``finish_reason`` arrived.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.done = False
        self.received = 0
        self.finished = False
        self.pending_error: errors.ProviderError | None = None
        self._lines = LineDecoder(what=what)
        self._sse = SSEDecoder(what=what)
        self._calls = ToolCallAssembler()
        # An error met after events in the same chunk waits here, so the text
        # before it still reaches the user; finish() raises it.
        self._held: errors.ProviderError | None = None

    def feed(self, data: bytes) -> list[Event]:
        """Take the next bytes; return the events they complete."""
        return self._handle_lines(self._lines.feed(data))

    def finish(self) -> list[Event]:
        """End of the body: the last unterminated event, then a verdict on the ending."""
        if self._held is not None:
            error, self._held = self._held, None
            raise error
        events: list[Event] = []
        if not self.done:
            events = self._handle_lines(self._lines.finish())
            last = self._sse.finish()
            if last is not None and not self.done:
                events.extend(self._handle_event(last.event, last.data))
        # Calls whose reply ended without a finish_reason (some servers send only [DONE]).
        events.extend(self._calls.flush())
        if self.done or self.finished:
            return events
        if self.received == 0:
            raise ContextOverflowError(
                _(
                    "{what} closed the reply without sending anything. The prompt may exceed "
                    "the model's context length: shorten the conversation, start a new one, "
                    "or load the model with a larger context."
                ).format(what=self.what)
            )
        # Hand over what arrived first: the caller raises after yielding it.
        self.pending_error = IncompleteReplyError(
            _(
                "{what} stopped sending before the reply was finished; the text received "
                "so far is kept. Try again for a complete reply."
            ).format(what=self.what)
        )
        return events

    def _handle_lines(self, lines: list[str]) -> list[Event]:
        events: list[Event] = []
        for line in lines:
            if self.done:
                break
            sse = self._sse.decode(line)
            if sse is None:
                continue
            try:
                events.extend(self._handle_event(sse.event, sse.data))
            except errors.ProviderError as exc:
                if not events:
                    raise
                # Raising now would lose the text that came before the error
                # in the same network read: hand it out, stop, raise at finish.
                self._held = exc
                self.done = True
                break
        return events

    def _handle_event(self, event: str, data: str) -> list[Event]:
        payload = data.strip()
        if payload == "[DONE]":
            self.done = True
            return list(self._calls.flush())
        if not payload:
            return []
        try:
            chunk = json.loads(payload)
        except ValueError:
            if event == "error":
                raise ServerReportedError(
                    _("{what} reported an error instead of a reply: {said}").format(
                        what=self.what, said=said(payload)
                    )
                ) from None
            raise errors.ProtocolError(
                _(
                    "{what} sent a piece of the reply that is not valid JSON, so it cannot "
                    "be shown: {quoted}"
                ).format(what=self.what, quoted=quoted(payload))
            ) from None
        self.received += 1
        error = error_from_payload(chunk, self.what)
        if error is None and event == "error":
            error = ServerReportedError(
                _("{what} reported an error instead of a reply: {said}").format(
                    what=self.what, said=said(payload)
                )
            )
        if error is not None:
            raise error
        if not isinstance(chunk, dict):
            log.debug("ignoring a stream chunk that is not an object: %.80s", payload)
            return []
        events = events_from_completion(chunk, self._calls)
        if any(isinstance(e, FinishEvent) for e in events):
            self.finished = True
        return events


class OpenAICompatible(ServerProvider):
    """Streams replies from a server with OpenAI's ``/chat/completions`` API.

    Takes :class:`provider.server.ServerProvider`'s arguments; ``base_url`` is
    the API root including its version, e.g. ``http://127.0.0.1:8080/v1``, and
    an empty ``default_model`` means the first model the server lists.

    Attributes:
        models: a coroutine method that asks the server (``GET {base}/models``).
    """

    name = "openai-compatible"
    display_name = N_("OpenAI-compatible server")
    default_model = ""
    default_base_url = DEFAULT_BASE_URL

    # Made on first use, not in an __init__: registry.create reads the parameters a
    # provider takes from its class's signature.
    @cached_property
    def _vision(self) -> dict[str, bool | None]:
        """Whether each model reads images, as the server's listings said (None: they do
        not say); filled by every listing, so the picker's fetch teaches it too."""
        return {}

    @cached_property
    def _asked(self) -> set[str]:
        """The models already asked about, answered or not: never asked again."""
        return set()

    async def models(self) -> list[str]:
        """The model ids the server lists at ``GET {base}/models``."""
        return await self.with_session(self._list_models)

    async def _list_models(self, session: aiohttp.ClientSession) -> list[str]:
        names, vision = model_listing(await self.get_text(session, "/models"), self.what)
        self._learn(vision)
        return names

    def _learn(self, vision: Mapping[str, bool | None]) -> None:
        for name, known in vision.items():
            if known is not None or name not in self._vision:
                self._vision[name] = known

    def takes_images(self, model: str) -> bool | None:
        """Whether ``model`` reads images, as far as this provider has learned (no request)."""
        return self._vision.get(model)

    def asked_about_images(self, model: str) -> bool:
        """Whether :meth:`look_up_images` would learn nothing new of ``model`` (no request)."""
        return model in self._asked or self._vision.get(model) is not None

    async def look_up_images(self, model: str) -> bool | None:
        """Whether ``model`` reads images: learned, or asked (a few seconds at most);
        None when the server cannot say. Never raises a ProviderError."""
        try:
            return await self.with_session(lambda session: self._vision_of(session, model))
        except errors.ProviderError:
            return None

    async def _vision_of(self, session: aiohttp.ClientSession, model: str) -> bool | None:
        """Ask what the server says of ``model`` and images, within
        :data:`~provider.vision.LOOK_UP_TIMEOUT` seconds in all: its ``/models`` (OpenRouter,
        newer llama.cpp), then, beside a ``/v1`` address, LM Studio's ``/api/v0/models`` and
        llama.cpp's ``/props``. Asked once per model once a server answered; a server that
        could not be reached is asked again by the next image."""
        if self.asked_about_images(model):
            return self._vision.get(model)
        answered = False
        try:
            async with asyncio.timeout(LOOK_UP_TIMEOUT):
                listed: list[str] = []
                try:
                    listed = await self._list_models(session)
                    answered = True
                except errors.ProviderError as exc:
                    log.info("%s lists no models to learn images from: %s", self.what, exc)
                root = self.base_url.removesuffix("/v1")
                if self._vision.get(model) is None and root != self.base_url:
                    studio = await self._get_json(session, root + "/api/v0/models")
                    if studio is not None:
                        answered = True
                        self._learn(_listing_vision(studio))
                if self._vision.get(model) is None and root != self.base_url and len(listed) <= 1:
                    # /props speaks of the one model a llama-server has loaded.
                    props = await self._get_json(session, root + "/props")
                    if props is not None:
                        answered = True
                        known = from_props(props)
                        if known is not None:
                            self._vision[model] = known
        except TimeoutError:
            log.info("%s did not say in time whether %s reads images", self.what, model)
        if answered:
            self._asked.add(model)
        return self._vision.get(model)

    async def _get_json(self, session: aiohttp.ClientSession, url: str) -> Any:
        """The JSON of a small ``GET`` answer at ``url``; None on any failure (a probe)."""
        try:
            async with open_request(
                session,
                "GET",
                url,
                headers=self.headers(),
                secret_headers=self._secret_headers,
                proxy=self.proxy,
                idle=LOOK_UP_TIMEOUT,
                timeout=client_timeout(connect=LOOK_UP_TIMEOUT, idle=LOOK_UP_TIMEOUT),
            ) as response:
                if response.status != 200:
                    return None
                return json.loads(await read_text(response, 4 * 1024 * 1024))
        except (errors.ProviderError, ValueError):
            return None

    async def _resolve_model(self, session: aiohttp.ClientSession, model: str | None) -> str:
        """``model``, or the default, or else the first model the server lists."""
        if model:
            return model
        if self.default_model:
            return self.default_model
        names = await self._list_models(session)
        if not names:
            raise errors.ConfigurationError(
                _("{what} lists no models; load a model on the server or name one.").format(
                    what=self.what
                )
            )
        return names[0]

    def build_body(
        self, model: str, messages: Sequence[Message], params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The JSON request body: messages (system prompt first, images as content parts),
        stream, parameters."""
        chat = openai_image_parts(chat_messages(messages, params))
        body: dict[str, Any] = {
            k: v for k, v in params.items() if k not in _RESERVED and v is not None
        }
        body.update(
            model=model,
            messages=chat,
            stream=True,
            # Without this, OpenAI sends no token counts in a stream.
            stream_options={"include_usage": True},
        )
        return body

    def create_async_generator(
        self, model: str | None, messages: Sequence[Message], **params: Any
    ) -> AsyncIterator[Event]:
        """Yield the reply's events as they arrive.

        ``params`` go into the request body as they are (``temperature``,
        ``max_tokens``, ``top_p``, ``stop``, ``seed``, ...), except ``system``
        (a system prompt, sent as the first message) and ``proxy`` (this call's
        proxy). None values are left out.
        """
        return self.guarded(self._chat(model, messages, params))

    async def _chat(
        self, model: str | None, messages: Sequence[Message], params: Mapping[str, Any]
    ) -> AsyncGenerator[Event, None]:
        proxy = params.get("proxy") or self.proxy
        images = has_images(messages)
        async with session_scope(self.session) as session:
            model = await self._resolve_model(session, model)
            if images and await self._vision_of(session, model) is False:
                # Before the request: no byte of the image leaves.
                refuse_images(messages, self.what, model)
            body = self.build_body(model, messages, params)
            try:
                async with aclosing(self._stream(session, body, proxy, images)) as stream:
                    async for event in stream:
                        yield event
            except _StreamOptionsRejected:
                # Nothing was yielded (the server refused before the body).
                log.info("%s refused stream_options; asking again without it", self.what)
                body.pop("stream_options", None)
                async with aclosing(self._stream(session, body, proxy, images)) as stream:
                    async for event in stream:
                        yield event

    async def _stream(
        self,
        session: aiohttp.ClientSession,
        body: dict[str, Any],
        proxy: str | None,
        images: bool = False,
    ) -> AsyncGenerator[Event, None]:
        async with self.request(
            session,
            "POST",
            "/chat/completions",
            json=body,
            accept="text/event-stream",
            proxy=proxy,
        ) as response:
            if response.status >= 400 and (images or "stream_options" in body):
                text = await read_text(response)
                if images and is_image_refusal(response.status, text):
                    model = str(body.get("model", ""))
                    self._vision[model] = False
                    raise probably_not(self.what, model, error_message_from_body(text) or "")
                stream_options = "stream_options" in body and "stream_options" in text
                if response.status in (400, 422) and stream_options:
                    # Older servers and proxies reject the field they do not know.
                    raise _StreamOptionsRejected(text)
                await raise_for_status(response, what=self.what, body=text)
            await raise_for_status(response, what=self.what)
            if response.content_type == "text/html":
                # A web page is no event stream; read as one it would pass for
                # an empty reply and blame the prompt's length.
                raise errors.ProtocolError(
                    _(
                        "{what} answered with a web page instead of a reply; check the base URL "
                        "(it usually ends in /v1)."
                    ).format(what=self.what)
                )
            if response.content_type == "application/json":
                # The server ignored stream: true and sent the whole reply.
                for event in await self._whole_reply(response):
                    yield event
                return
            parser = ChatCompletionStreamParser(self.what)
            async for event in self.feed(response, parser):
                yield event
            if parser.pending_error is not None:
                raise parser.pending_error

    async def _whole_reply(self, response: aiohttp.ClientResponse) -> list[Event]:
        text = await read_text(response, _WHOLE_REPLY_LIMIT)
        try:
            payload = json.loads(text)
        except ValueError:
            raise errors.ProtocolError(
                _("{what} sent an answer that is not valid JSON: {quoted}").format(
                    what=self.what, quoted=quoted(text)
                )
            ) from None
        error = error_from_payload(payload, self.what)
        if error is not None:
            raise error
        events = events_from_completion(payload) if isinstance(payload, dict) else []
        if not events:
            raise errors.EmptyReplyError(
                _("{what} answered without any reply; try again.").format(what=self.what)
            )
        return events


def parse_models(body: str, what: str) -> list[str]:
    """Model ids from a ``/models`` answer (``{"data": [{"id": ...}]}`` and close cousins)."""
    return model_listing(body, what)[0]


def model_listing(body: str, what: str) -> tuple[list[str], dict[str, bool | None]]:
    """The ids a ``/models`` answer lists, and what each entry says of images
    (see :func:`provider.vision.from_listing_entry`)."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise errors.ProtocolError(
            _(
                "{what} sent a model list that is not valid JSON; check the base URL (it "
                "usually ends in /v1)."
            ).format(what=what)
        ) from None
    items = _listing_items(payload)
    if items is None:
        raise errors.ProtocolError(
            _(
                "{what} did not send a model list; check the base URL (it usually ends in /v1)."
            ).format(what=what)
        )
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            name = item.get("id") or item.get("name")
            if isinstance(name, str) and name:
                names.append(name)
    return names, _listing_vision(payload)


def _listing_items(payload: Any) -> list[Any] | None:
    items: Any = payload
    if isinstance(payload, dict):
        items = payload.get("data", payload.get("models"))
    return items if isinstance(items, list) else None


def _listing_vision(payload: Any) -> dict[str, bool | None]:
    """What each entry of a listing (``data``, and llama.cpp's ``models`` beside it) says
    of images, by id and by name."""
    found: dict[str, bool | None] = {}
    lists = [payload.get("data"), payload.get("models")] if isinstance(payload, dict) else [payload]
    for items in lists:
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict):
                continue
            known = from_listing_entry(item)
            for key in ("id", "name", "model"):
                name = item.get(key)
                if isinstance(name, str) and name and found.get(name) is None:
                    found[name] = known
    return found
