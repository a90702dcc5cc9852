"""The seed's provider: chatgptfree.ai's WordPress chat widget (gpt4free's ChatgptFree).

The site serves an AI chat plugin. Its home page carries two values the
plugin needs, ``data-post-id`` and ``data-nonce``; a form POST to
``/wp-admin/admin-ajax.php`` then streams the reply as ``data:`` lines of
OpenAI-style chunks, or answers with one JSON object whose ``data`` field is
the whole reply.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from deskchat.i18n import _

from . import errors
from .base import Message, format_prompt
from .errors import LineTooLongError, clip, quoted, said
from .http import (
    CONNECT_TIMEOUT,
    IDLE_TIMEOUT,
    USER_AGENT,
    client_timeout,
    display_host,
    iter_chunks,
    open_request,
    raise_for_status,
    read_text,
    session_scope,
    with_scheme,
)
from .images import refuse_images
from .sse import MAX_LINE, LineDecoder

if TYPE_CHECKING:
    import aiohttp

__all__ = ["ChatgptFree", "ChatgptFreeReplyParser"]

log = logging.getLogger("deskchat.provider.chatgptfree")

_POST_ID = re.compile(r'data-post-id="(\d+)"')
_NONCE = re.compile(r'data-nonce="(.*?)"')
_SSE_FIELD = re.compile(r"^(event|id|retry):")
# What the plugin says when the nonce has expired, in its JSON "msg".
_EXPIRED = re.compile(r"expired|nonce|refresh the page|security check", re.IGNORECASE)
_PAGE_LIMIT = 8 * 1024 * 1024
# Markers of Cloudflare's browser-check page. A cf-ray header alone proves
# nothing: every page of a site behind Cloudflare carries one.
_CHALLENGE = re.compile(r"Just a moment|cf-chl|challenge-platform|cf_chl_opt")


class ChatgptFreeReplyParser:
    """Pure state of one reply: bytes in, text chunks out (no I/O).

    Follows the seed's algorithm: each line is stripped; ``data: `` lines hold
    a JSON chunk whose ``choices[0].delta.content`` is the text, and
    ``data: [DONE]`` ends the reply; every other non-empty line is kept, and
    at the end the kept lines, joined, are a JSON object whose ``data`` field
    is the reply. SSE comments and other SSE fields are skipped.

    Args:
        host: the site's name, for messages.
    """

    def __init__(self, host: str) -> None:
        self.host = host
        self.done = False
        self.text_seen = False
        self._lines = LineDecoder(what=host)
        self._kept: list[str] = []
        self._kept_size = 0
        self._first_line = True
        # An error met after text in the same chunk waits here, so the text
        # before it still reaches the user (see _handle).
        self._pending: errors.ProviderError | None = None

    def feed(self, data: bytes) -> list[str]:
        """Take the next bytes; return the text chunks they complete."""
        return self._handle(self._lines.feed(data))

    def finish(self) -> list[str]:
        """End of the body: the last line, then the kept lines as final JSON."""
        self._raise_pending()
        chunks = [] if self.done else self._handle(self._lines.finish())
        chunks.extend(self._final_json())
        if not chunks and not self.text_seen:
            raise errors.EmptyReplyError(
                _(
                    "{host} ended the reply without any text. Try again; if it keeps "
                    "happening, the prompt may be too long for the model."
                ).format(host=self.host)
            )
        return chunks

    def _raise_pending(self) -> None:
        if self._pending is not None:
            error, self._pending = self._pending, None
            raise error

    def _handle(self, lines: list[str]) -> list[str]:
        self._raise_pending()
        chunks: list[str] = []
        for raw in lines:
            if self.done:
                break
            if self._first_line:
                # A byte order mark is not whitespace to str.strip().
                self._first_line = False
                raw = raw.removeprefix("\ufeff")
            try:
                text = self._line(raw.strip())
            except errors.ProviderError as exc:
                if not chunks:
                    raise
                # Hand out the text that came before the error first.
                self._pending = exc
                self.done = True
                break
            if text:
                self.text_seen = True
                chunks.append(text)
        return chunks

    def _line(self, line: str) -> str | None:
        if line.startswith("data:"):
            # SSE allows "data:" without the space; the seed only knew "data: ".
            payload = line[5:].strip()
            return self._data(payload) if payload else None
        if not line or line.startswith(":") or _SSE_FIELD.match(line):
            return None
        self._kept_size += len(line)
        if self._kept_size > MAX_LINE:
            # The kept lines are one JSON answer: as limited as one line.
            self._kept.clear()
            raise LineTooLongError(
                _(
                    "{host} sent an answer of more than {value} MiB of text, far more than "
                    "any reply needs, so the reply was stopped; the text received so far is "
                    "kept."
                ).format(host=self.host, value=MAX_LINE // (1024 * 1024))
            )
        self._kept.append(line)
        return None

    def _data(self, payload: str) -> str | None:
        if payload == "[DONE]":
            self.done = True
            return None
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise errors.ProtocolError(
                _("{host} sent a piece of the reply that is not valid JSON: {quoted}").format(
                    host=self.host, quoted=quoted(payload)
                )
            ) from None
        if not isinstance(chunk, dict):
            return None
        _raise_if_error(chunk, self.host, stale_ok=not self.text_seen)
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return None
        delta = choices[0].get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        return content if isinstance(content, str) else None

    def _final_json(self) -> list[str]:
        if not self._kept:
            return []
        body = "".join(self._kept)
        try:
            answer = json.loads(body)
        except ValueError:
            if "<html" in body.lower() or "<!doctype" in body.lower():
                raise errors.ProtocolError(
                    _(
                        "{host} answered with a web page instead of a reply; the site may have "
                        "changed or be down."
                    ).format(host=self.host)
                ) from None
            raise errors.ProtocolError(
                _("{host} sent an answer DeskChat cannot read: {quoted}").format(
                    host=self.host, quoted=quoted(body)
                )
            ) from None
        if answer in (-1, 0) and not isinstance(answer, bool):
            if self.text_seen:
                raise errors.StaleNonceError(
                    _(
                        "{host} refused its security token (nonce) in the middle of the reply; "
                        "the text so far is kept. Send the message again."
                    ).format(host=self.host)
                )
            raise errors.StaleNonceError(_refused_message(self.host))
        if not isinstance(answer, dict):
            return []
        _raise_if_error(answer, self.host, stale_ok=not self.text_seen)
        data = answer.get("data")
        if isinstance(data, dict):
            _raise_if_error(data, self.host, stale_ok=not self.text_seen, nested=True)
        if isinstance(data, str) and data:
            return [data]
        return []


def _raise_if_error(
    obj: dict[str, Any], host: str, *, stale_ok: bool, nested: bool = False
) -> None:
    """Raise when ``obj`` is the plugin's way of saying no.

    At the top level that is ``{"status": "error", "msg": ...}`` or an
    ``error`` field; inside ``data`` a ``msg`` or ``tokenLimitReached`` is
    enough (a successful reply's ``data`` is a plain string).
    """
    message = _error_message(obj, nested=nested)
    if obj.get("tokenLimitReached"):
        detail = f" ({_clip(message)})" if message else ""
        raise errors.ServiceError(
            _(
                "{host} says the free usage limit has been reached{detail}; try again "
                "later or use another provider."
            ).format(host=host, detail=detail)
        )
    if message is None:
        return
    if stale_ok and _EXPIRED.search(message):
        raise errors.StaleNonceError(
            _("{host} said its security token (nonce) is no longer valid: {said}").format(
                host=host, said=said(message, 200)
            )
        )
    raise errors.ServiceError(
        _("{host} said: {said}").format(
            host=host, said=said(message or _("an error, without details"), 200)
        )
    )


def _error_message(obj: dict[str, Any], *, nested: bool) -> str | None:
    """The error text in ``obj`` ("" for an error without text), or None."""
    error = obj.get("error")
    if isinstance(error, dict):
        error = error.get("message") or "error"
    msg = obj.get("msg")
    is_error = obj.get("status") == "error" or bool(error) or (nested and msg is not None)
    if not is_error:
        return None
    for candidate in (msg, error):
        if isinstance(candidate, str) and candidate and candidate != "error":
            return candidate
    return ""


def _clip(text: str, limit: int = 200) -> str:
    return clip(text, limit)


class ChatgptFree:
    """Streams replies from chatgptfree.ai (or a mirror of the same plugin).

    Args:
        base_url: the site's address; a mirror or a local test server works.
        session: an ``aiohttp.ClientSession`` to share; one is made per call
            when omitted.
        proxy: an HTTP proxy URL for every request, e.g. ``http://host:3128``.
        idle_timeout: seconds the stream may stay silent before giving up.
        connect_timeout: seconds allowed to open a connection.

    Attributes:
        models: the models the site offers.
        default_model: used when no model is named.
        model_aliases: short names accepted for ``models``.
    """

    name = "chatgptfree"
    display_name = "ChatgptFree (chatgptfree.ai)"
    url = "https://chatgptfree.ai"
    models: Sequence[str] = ("gpt-4o-mini-2024-07-18",)
    default_model = "gpt-4o-mini-2024-07-18"
    model_aliases = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18"}

    def __init__(
        self,
        base_url: str = url,
        session: aiohttp.ClientSession | None = None,
        *,
        proxy: str | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.base_url = with_scheme(base_url).rstrip("/")
        self.session = session
        self.proxy = proxy
        self.idle_timeout = idle_timeout
        self.connect_timeout = connect_timeout
        self._post_id: str | None = None
        self._nonce: str | None = None
        self.host = display_host(self.base_url)

    def get_model(self, model: str | None) -> str:
        """The full model name for ``model`` (an alias, or None for the default)."""
        if not model:
            return self.default_model
        if model in self.models:
            return model
        if model in self.model_aliases:
            return self.model_aliases[model]
        raise errors.UnknownModelError(
            self.display_name, model, [*self.models, *self.model_aliases]
        )

    async def create_async_generator(
        self,
        model: str | None,
        messages: Sequence[Message],
        *,
        proxy: str | None = None,
        **params: Any,
    ) -> AsyncIterator[str]:
        """Yield the reply's text chunks as they arrive.

        The site has one model and no parameters: ``params`` (temperature and
        the like) are accepted so callers can treat providers alike, and
        ignored. A stale nonce is refreshed and the request retried once, but
        only while nothing has been yielded.
        """
        self.get_model(model)
        refuse_images(messages, self.display_name, None)
        prompt = format_prompt(messages)
        if params:
            log.debug("ignoring parameters the site does not take: %s", sorted(params))
        proxy = proxy or self.proxy
        async with session_scope(self.session) as session:
            for attempt in (1, 2):
                if self._nonce is None or attempt == 2:
                    await self._fetch_credentials(session, proxy)
                parser = ChatgptFreeReplyParser(self.host)
                try:
                    async for chunk in self._post(session, prompt, parser, proxy):
                        yield chunk
                    return
                except errors.StaleNonceError as exc:
                    if parser.text_seen:
                        raise
                    if attempt == 2:
                        raise errors.StaleNonceError(_stale_message(self.host)) from exc
                    log.info("%s: nonce refused, loading the page again", self.host)

    async def _fetch_credentials(self, session: aiohttp.ClientSession, proxy: str | None) -> None:
        """Load the home page and take the widget's post id and nonce from it."""
        headers = {
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-language": "en-US,en;q=0.9",
            "user-agent": USER_AGENT,
        }
        async with open_request(
            session,
            "GET",
            f"{self.base_url}/",
            headers=headers,
            proxy=proxy,
            idle=self.idle_timeout,
            timeout=client_timeout(connect=self.connect_timeout, idle=self.idle_timeout),
        ) as response:
            await raise_for_status(response, what=self.host)
            # Read strictly: a page that stalls or drops halfway must say so,
            # not pass for a page without the widget.
            body = await _read_page(response, self.idle_timeout)
        post_id = _POST_ID.search(body)
        nonce = _NONCE.search(body)
        if post_id is None or nonce is None:
            if _CHALLENGE.search(body):
                raise errors.CloudflareChallengeError(
                    _(
                        "{host} is behind a Cloudflare challenge that DeskChat cannot pass; set "
                        "a proxy or another base URL."
                    ).format(host=self.host),
                    status_code=response.status,
                    body=body,
                )
            raise errors.WidgetNotFoundError(
                _(
                    "{host} has no chat widget on its home page (no post id or nonce), so "
                    "there is nothing to talk to. The site may have changed; try another "
                    "base URL."
                ).format(host=self.host)
            )
        self._post_id = post_id.group(1)
        self._nonce = nonce.group(1)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        prompt: str,
        parser: ChatgptFreeReplyParser,
        proxy: str | None,
    ) -> AsyncIterator[str]:
        form = {
            "_wpnonce": self._nonce or "",
            "post_id": self._post_id or "",
            "url": self.base_url,
            "action": "wpaicg_chat_shortcode_message",
            "message": prompt,
            "bot_id": "0",
        }
        headers = {
            "accept": "*/*",
            "accept-language": "en-US,en;q=0.9",
            "origin": self.base_url,
            "referer": f"{self.base_url}/",
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
            "user-agent": USER_AGENT,
        }
        async with open_request(
            session,
            "POST",
            f"{self.base_url}/wp-admin/admin-ajax.php",
            data=form,
            headers=headers,
            proxy=proxy,
            idle=self.idle_timeout,
            timeout=client_timeout(connect=self.connect_timeout, idle=self.idle_timeout),
        ) as response:
            if response.status >= 400:
                body = await read_text(response)
                if response.status in (400, 403) and _is_stale_nonce_body(body):
                    raise errors.StaleNonceError(_refused_message(self.host))
                await raise_for_status(response, what=self.host, body=body)
            async for data in iter_chunks(response, idle=self.idle_timeout):
                for chunk in parser.feed(data):
                    yield chunk
                if parser.done:
                    break
            for chunk in parser.finish():
                yield chunk


async def _read_page(response: aiohttp.ClientResponse, idle: float) -> str:
    """The page's text, up to ``_PAGE_LIMIT`` bytes; silences and cuts raise."""
    parts: list[bytes] = []
    size = 0
    async for data in iter_chunks(response, idle=idle):
        parts.append(data)
        size += len(data)
        if size >= _PAGE_LIMIT:
            break
    raw = b"".join(parts)
    try:
        return raw.decode(response.charset or "utf-8", "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def _refused_message(host: str) -> str:
    return _(
        "{host} refused its security token (nonce); load the page again for a fresh one."
    ).format(host=host)


def _stale_message(host: str) -> str:
    return _(
        "{host} refused its own security token (nonce) even after the page was "
        "loaded again; the site may be blocking automated use. Try again later."
    ).format(host=host)


def _is_stale_nonce_body(body: str) -> bool:
    """WordPress answers ``-1`` or ``0`` to a bad nonce; the plugin may say so in words."""
    text = body.strip()
    if text in ("-1", "0"):
        return True
    try:
        answer = json.loads(text)
    except ValueError:
        return False
    if isinstance(answer, dict):
        message = answer.get("msg") or answer.get("message") or ""
        return isinstance(message, str) and bool(_EXPIRED.search(message))
    return False
