"""HTTP plumbing shared by providers: sessions, timeouts, and error mapping.

Providers take an injected :class:`aiohttp.ClientSession` so the app and the
tests share connection handling; :func:`session_scope` makes a private one
when none is given. Every aiohttp exception is turned into a
:mod:`provider.errors` class here, in one place.

aiohttp itself is imported by the functions that use it, not by this module:
importing it takes ~150 ms (its connector builds an SSL context at import),
which the window's start-up should not pay before the first request.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import logging
import math
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Collection, Mapping
from contextlib import asynccontextmanager
from datetime import UTC
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from yarl import URL

from deskchat.i18n import _

from . import errors
from .errors import clip
from .secrets import redact

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "CONNECT_TIMEOUT",
    "IDLE_TIMEOUT",
    "IdleWatchdog",
    "MAX_REDIRECTS",
    "check_address",
    "USER_AGENT",
    "client_timeout",
    "display_host",
    "error_message_from_body",
    "iter_chunks",
    "open_request",
    "parse_retry_after",
    "is_cloudflare_challenge",
    "raise_for_status",
    "read_text",
    "redact_url",
    "session_scope",
    "with_scheme",
]

log = logging.getLogger("deskchat.network")

_T = TypeVar("_T")

CONNECT_TIMEOUT = 15.0
"""Seconds to open a connection (DNS, TCP, TLS)."""

IDLE_TIMEOUT = 60.0
"""Seconds a stream may stay silent between two bytes before we give up."""

SLICE = 4 * 1024
"""The most bytes :func:`iter_chunks` hands over without letting the loop run (4 KB of
a chat stream is ~40 deltas, each decoded and shown on the GUI thread: stream_gui's
longest tick used ~1.5-2.5 ms less CPU than with 8 KB)."""

READ_BUFSIZE = 8 * 1024
"""aiohttp's ``read_bufsize`` for every request: its parser stops after about twice
this many body bytes (or 1/16 as many HTTP chunks) until they are read, so one turn
of the loop parses that much at most instead of 128 KB (thousands of tiny chunks,
~7 ms on the GUI thread after a busy frame)."""

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def client_timeout(
    *, connect: float = CONNECT_TIMEOUT, idle: float = IDLE_TIMEOUT
) -> aiohttp.ClientTimeout:
    """No total limit (a long reply may take minutes), but bounded silences."""
    import aiohttp

    return aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=idle)


@asynccontextmanager
async def session_scope(
    session: aiohttp.ClientSession | None,
) -> AsyncIterator[aiohttp.ClientSession]:
    """Yield the injected session, or a private one closed on exit."""
    if session is not None:
        yield session
        return
    import aiohttp

    own = aiohttp.ClientSession(timeout=client_timeout())
    try:
        yield own
    finally:
        await own.close()


def redact_url(url: str | URL) -> str:
    """The URL without user, password or query, fit for logs and messages."""
    try:
        parsed = URL(str(url))
    except (ValueError, TypeError):
        return "<invalid URL>"
    if not parsed.host:
        return str(parsed.with_query(None).with_fragment(None))
    return str(parsed.with_user(None).with_query(None).with_fragment(None))


def display_host(url: str | URL) -> str:
    """How to name a server to the user: its host, with the port when it is not the usual one."""
    try:
        parsed = URL(str(url))
    except (ValueError, TypeError):
        return str(url)
    if not parsed.host:
        return str(url)
    if parsed.explicit_port is not None and not parsed.is_default_port():
        return f"{parsed.host}:{parsed.port}"
    return parsed.host


_LOCAL_NAMES = frozenset({"localhost", "0.0.0.0"})
_SCHEME_TYPO = re.compile(r"(?i)(https?)(?::/{0,1}|/{1,3})(?!/)")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
"""Redirects followed for one request before it is called a loop."""
_CREDENTIALS = frozenset({"authorization", "proxy-authorization", "cookie"})


def with_scheme(base_url: str) -> str:
    """``base_url`` with ``http://`` in front when it names this machine or the local network.

    ``127.0.0.1:8080/v1`` and ``localhost:11434`` are common typos for local
    servers, which speak plain HTTP; any other address without a scheme is
    left as it is, for :func:`check_address` to refuse with advice.
    """
    text = base_url.strip()
    if "://" in text or not text:
        return text
    authority = text.split("/", 1)[0].rpartition("@")[2]
    if authority.startswith("["):
        host = authority[1:].partition("]")[0]
    else:
        name, colon, port = authority.rpartition(":")
        host = name if colon and port.isdigit() else authority
    return f"http://{text}" if _is_local(host) else text


def _is_local(host: str) -> bool:
    host = host.lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def check_address(url: str) -> None:
    """Refuse, with a sentence, an address that is no ``http://`` or ``https://`` URL.

    Raises:
        errors.ConfigurationError: no scheme, another scheme, or no server named.
    """
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        parsed = None
    if parsed is not None and parsed.scheme in ("http", "https") and parsed.host:
        return
    # The address may hold a password: never shown as typed.
    shown = clip(redact(redact_url(url) if parsed is not None else url), 80)
    if typo := _SCHEME_TYPO.match(url):
        fixed = f"{typo.group(1).lower()}://{url[typo.end() :]}"
        raise errors.ConfigurationError(
            _("The address {shown} looks mistyped; write it as {clip}.").format(
                shown=shown, clip=clip(redact(fixed), 80)
            )
        )
    if "://" not in url:
        raise errors.ConfigurationError(
            _(
                "The address {shown} has no http:// or https:// in front; write it as "
                "https://{shown} (or http:// for a server on your own network)."
            ).format(shown=shown)
        )
    if parsed is None:
        raise errors.ConfigurationError(
            _("The address {shown} is not a valid address; check the base URL.").format(shown=shown)
        )
    if parsed.scheme not in ("http", "https"):
        raise errors.ConfigurationError(
            _(
                "DeskChat talks to servers over http:// or https:// only, and {clip}:// "
                "is neither; check the base URL."
            ).format(clip=clip(parsed.scheme, 20))
        )
    raise errors.ConfigurationError(
        _("The address {shown} names no server; check the base URL.").format(shown=shown)
    )


@asynccontextmanager
async def open_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    proxy: str | None = None,
    idle: float = IDLE_TIMEOUT,
    headers: Mapping[str, str] | None = None,
    secret_headers: Collection[str] = (),
    **kwargs: Any,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """Send a request; yield the response, and always release it on exit.

    Args:
        idle: the ``sock_read`` limit the request is sent with, for the message
            when the server accepts the connection but never answers.
        headers: sent with the request; credentials among them
            (``Authorization``, ``Cookie`` and ``secret_headers``) are dropped
            on a redirect to another origin.
        secret_headers: names of more headers that carry credentials.

    Redirects are followed here, not by aiohttp, so that each one is checked:
    only to ``http:`` or ``https:`` addresses, at most :data:`MAX_REDIRECTS`.
    Connection failures become :class:`errors.APIConnectionError` subclasses
    whose text names the host (never the proxy's credentials); an answer that
    breaks HTTP, :class:`errors.MalformedResponseError`.
    """
    check_address(url)
    sent = dict(headers or {})
    credentials = _CREDENTIALS | {name.lower() for name in secret_headers}
    host = display_host(url)
    started = time.monotonic()
    redirects = 0
    while True:
        response = await _send(session, method, url, proxy, idle, headers=sent, **kwargs)
        location = response.headers.get("Location") if response.status in _REDIRECTS else None
        if location is None:
            break
        try:
            target = _redirect_target(host, response.url, location)
            redirects += 1
            if redirects > MAX_REDIRECTS:
                raise errors.APIConnectionError(
                    _(
                        "{host} redirected too many times (a redirect loop); check the base URL."
                    ).format(host=host)
                )
        except BaseException:
            response.close()
            raise
        log.debug("%s redirects to %s", redact_url(response.url), redact_url(target))
        if response.url.origin() != target.origin():
            # The next server is someone else: it gets no credentials meant for this one.
            sent = {k: v for k, v in sent.items() if k.lower() not in credentials}
        if (response.status == 303 and method != "HEAD") or (
            response.status in (301, 302) and method == "POST"
        ):
            # As browsers (and aiohttp) do: the next request is a GET without the body.
            method = "GET"
            kwargs = {k: v for k, v in kwargs.items() if k not in ("json", "data")}
        response.release()
        url = str(target)
    log.debug(
        "%s %s -> %s in %.0f ms",
        method,
        redact_url(url),
        response.status,
        (time.monotonic() - started) * 1000,
    )
    try:
        yield response
    finally:
        # Release the connection at once, also on cancel and early exit;
        # close() rather than release() since a half-read body cannot be reused.
        if not response.closed:
            response.close()


def _redirect_target(host: str, current: URL, location: str) -> URL:
    """Where a redirect leads, resolved against ``current``; refused unless http(s)."""
    try:
        target = URL(location)
        if target.scheme and target.scheme not in ("http", "https"):
            raise errors.RefusedRedirectError(
                _(
                    "{host} redirected to a {clip}: address, which DeskChat never follows "
                    "(only http: and https:); check the base URL."
                ).format(host=host, clip=clip(target.scheme, 20))
            )
        if not target.absolute or (target.scheme == current.scheme and not target.host):
            target = current.join(target)
        target.origin()  # a URL without a usable origin raises here
    except (ValueError, TypeError):
        raise errors.RefusedRedirectError(
            _(
                "{host} sent a redirect to something that is not an address, so DeskChat "
                "stopped there; check the base URL."
            ).format(host=host)
        ) from None
    return target


async def _send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    proxy: str | None,
    idle: float,
    **kwargs: Any,
) -> aiohttp.ClientResponse:
    """One request, no redirect followed; aiohttp's exceptions become provider errors."""
    import aiohttp

    host = display_host(url)
    try:
        kwargs.setdefault("read_bufsize", READ_BUFSIZE)
        return await session.request(method, url, proxy=proxy, allow_redirects=False, **kwargs)
    except aiohttp.InvalidURL as exc:
        raise errors.ConfigurationError(
            _("{redact_url} is not a valid address; check the base URL.").format(
                redact_url=redact_url(str(exc.url))
            )
        ) from exc
    except aiohttp.ClientProxyConnectionError as exc:
        raise errors.APIConnectionError(
            _("Could not connect through the proxy {redact_url}; check the proxy address.").format(
                redact_url=redact_url(proxy or "")
            )
        ) from exc
    except aiohttp.ClientConnectorDNSError as exc:
        raise errors.APIConnectionError(
            _(
                "Could not find the server {host}; check the address and your internet connection."
            ).format(host=host)
        ) from exc
    except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
        raise errors.APIConnectionError(_tls_message(host, exc)) from exc
    except aiohttp.ClientConnectorError as exc:
        raise errors.APIConnectionError(
            _(
                "Could not connect to {host}; the server may be down, or the address or "
                "port is wrong."
            ).format(host=host)
        ) from exc
    except aiohttp.SocketTimeoutError as exc:
        # Connected, but the server sent no headers within the idle limit: the
        # same silence as mid-stream, not a failure to connect.
        raise errors.IdleTimeoutError(host, idle) from exc
    except (TimeoutError, aiohttp.ConnectionTimeoutError) as exc:
        raise errors.ConnectTimeoutError(
            _("{host} did not answer in time; check your connection or try again later.").format(
                host=host
            )
        ) from exc
    except aiohttp.ClientResponseError as exc:
        raise _malformed_answer(host, exc) from exc
    except aiohttp.ClientError as exc:
        # Connection errors and anything aiohttp adds later: its own text names
        # library classes, so it goes to the log only.
        log.debug("request to %s failed: %r", host, exc)
        raise errors.APIConnectionError(
            _("The connection to {host} failed before it answered; try again.").format(host=host)
        ) from exc


def _malformed_answer(host: str, exc: BaseException) -> errors.MalformedResponseError:
    """The sentence for a status line or headers aiohttp could not read."""
    from aiohttp import http_exceptions

    log.debug("unreadable answer from %s: %r", host, exc)
    cause: BaseException | None = exc
    while cause is not None and not isinstance(
        cause,
        (
            http_exceptions.ContentEncodingError,
            http_exceptions.LineTooLong,
            http_exceptions.BadStatusLine,
        ),
    ):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, http_exceptions.ContentEncodingError):
        why = _(
            "{host} compressed its answer in a way DeskChat did not ask for and cannot "
            "read; check the server, or a proxy between."
        )
    elif isinstance(cause, http_exceptions.LineTooLong):
        why = _(
            "{host} sent a header line longer than DeskChat accepts, so its answer cannot "
            "be read; check the base URL, or a proxy between."
        )
    elif isinstance(cause, http_exceptions.BadStatusLine):
        why = _(
            "{host} did not answer in HTTP (its first line is no HTTP status line); check "
            "the address and the port, and whether it should start with https://."
        )
    else:
        why = _(
            "{host} sent headers that break the rules of HTTP (too many of them, or "
            "malformed), so its answer cannot be read; check the base URL, or a proxy between."
        )
    return errors.MalformedResponseError(why.format(host=host))


class IdleWatchdog:
    """Ends a body that has sent no bytes for ``idle`` seconds, whatever aiohttp does.

    aiohttp's ``sock_read`` limit counts bytes on the socket. A server that
    breaks the chunked framing and then drips bytes the parser swallows (a
    chunk-size line or trailers that never end), or breaks it and falls
    silent (aiohttp then keeps the error on the connection and leaves the
    body waiting, with ``sock_read`` stopped; compare
    https://github.com/aio-libs/aiohttp/issues/10355), would keep a reply
    waiting forever. This watchdog counts only bytes that reach DeskChat, and
    only while a read waits: the time the consumer spends between two reads
    (painting, saving) is not the server's silence.

    Use it as ``async with IdleWatchdog(idle) as watchdog:`` around the
    reads, calling :meth:`waiting` before each read and :meth:`received`
    after it; a read that waits ``idle`` seconds is cancelled, and the block
    raises ``TimeoutError``. One timer serves the whole body and fires at most
    once per idle period, so a read costs a clock reading and two attribute
    writes: the hot path stays O(1) a chunk.

    Args:
        idle: seconds a read may wait.
    """

    def __init__(self, idle: float) -> None:
        self.idle = idle
        self._loop = asyncio.get_running_loop()
        self._deadline = asyncio.timeout(None)
        self._waiting = False
        self._since = 0.0
        self._timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> IdleWatchdog:
        await self._deadline.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Turns the cancelled read into TimeoutError; never swallows an exception.
        await self._deadline.__aexit__(exc_type, exc, traceback)

    def waiting(self) -> None:
        """A read of the body starts now."""
        self._since = self._loop.time()
        self._waiting = True
        if self._timer is None:
            self._timer = self._loop.call_at(self._since + self.idle, self._check)

    def received(self) -> None:
        """The read returned: the time until the next read is the consumer's."""
        self._waiting = False

    async def read(self, pending: Awaitable[_T]) -> _T:
        """``await pending`` (one read of the body), watched."""
        self.waiting()
        try:
            return await pending
        finally:
            self.received()

    def _check(self) -> None:
        self._timer = None
        if not self._waiting:
            return  # Between two reads: the next read sets the timer again.
        now = self._loop.time()
        due = self._since + self.idle
        if now >= due:
            self._deadline.reschedule(now)  # Cancels the read; the block raises TimeoutError.
        else:
            self._timer = self._loop.call_at(due, self._check)


async def iter_chunks(
    response: aiohttp.ClientResponse, *, idle: float = IDLE_TIMEOUT
) -> AsyncIterator[bytes]:
    """The body's bytes as they arrive, however the network split them.

    Args:
        idle: the most seconds to wait for the next bytes (the request's
            ``sock_read`` limit too).

    Waiting longer than ``idle`` for body bytes raises
    :class:`errors.IdleTimeoutError`, even while the server sends bytes that
    are no body (:class:`IdleWatchdog`); a dropped connection raises
    :class:`errors.StreamInterruptedError`, a body that breaks HTTP's framing
    :class:`errors.MalformedResponseError`.
    """
    import aiohttp
    from aiohttp.http_exceptions import HttpProcessingError

    host = display_host(response.url)
    content = response.content
    try:
        async with IdleWatchdog(idle) as watchdog:
            while True:
                watchdog.waiting()
                # At most SLICE bytes a time: after the loop was busy, the socket may
                # hold 100 KB in thousands of tiny pieces, and taking (joining) them
                # all at once, then decoding them, would stall the window for frames.
                chunk = await content.read(SLICE)
                if not chunk:
                    return
                watchdog.received()
                yield chunk
                # More may be waiting already: let the loop run in between.
                await asyncio.sleep(0)
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        # aiohttp keeps a framing error it meets mid-body on the connection and
        # leaves the body waiting: the watchdog ends the wait, the error says why.
        framing = _framing_error(response)
        if framing is not None:
            raise _malformed_body(host, framing) from exc
        raise errors.IdleTimeoutError(host, idle) from exc
    except (aiohttp.ClientResponseError, HttpProcessingError) as exc:
        raise _malformed_body(host, exc) from exc
    except RuntimeError as exc:
        # WORKAROUND: StreamReader.read() on a connection aiohttp closed (after a framing
        # error mid-body, for one) raises a bare RuntimeError("Connection closed.").
        if "Connection closed" not in str(exc):
            raise
        framing = _framing_error(response)
        if framing is not None:
            raise _malformed_body(host, framing) from exc
        raise _dropped(host) from exc
    except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
        raise _dropped(host) from exc


def _dropped(host: str) -> errors.StreamInterruptedError:
    return errors.StreamInterruptedError(
        _(
            "The connection to {host} dropped in the middle of the reply; the text "
            "received so far is kept."
        ).format(host=host)
    )


def _framing_error(response: aiohttp.ClientResponse) -> BaseException | None:
    """The HTTP parsing error aiohttp recorded on the response's connection, if any."""
    from aiohttp.http_exceptions import HttpProcessingError

    protocol = getattr(response.connection, "protocol", None)
    exception = getattr(protocol, "exception", None)
    found = exception() if callable(exception) else None
    return found if isinstance(found, HttpProcessingError) else None


def _malformed_body(host: str, exc: BaseException) -> errors.MalformedResponseError:
    # aiohttp's text quotes the bytes with a caret under them: for the log only.
    log.debug("malformed body from %s: %r", host, exc)
    return errors.MalformedResponseError(
        _(
            "{host} broke the rules of HTTP in the middle of the reply (its chunked "
            "framing is malformed), so it was stopped; the text received so far is "
            "kept."
        ).format(host=host)
    )


_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date).

    Args:
        now: the current time as a Unix timestamp (for tests); defaults to now.

    Anything else ("soon", "inf", "-5", "nan") gives None: a wait we cannot
    read is better unsaid than shown as nonsense.
    """
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are GMT; "-0000" parses as naive, which timestamp()
        # would read as local time.
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_message_from_body(body: str) -> str | None:
    """The human message inside a JSON error body, in the common shapes."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])
    for key in ("error", "message", "msg", "detail"):
        if isinstance(data.get(key), str):
            return str(data[key])
    return None


def is_cloudflare_challenge(status: int, headers: Mapping[str, str], body: str) -> bool:
    """A Cloudflare browser check: 403/503 from Cloudflare with its page."""
    if status not in (403, 429, 503):
        return False
    from_cloudflare = "cf-ray" in {k.lower() for k in headers} or headers.get(
        "server", ""
    ).lower().startswith("cloudflare")
    challenge_page = "Just a moment" in body or "cf-chl" in body or "challenge-platform" in body
    return challenge_page or (from_cloudflare and status != 429 and "<html" in body.lower())


async def raise_for_status(
    response: aiohttp.ClientResponse, *, what: str, body: str | None = None
) -> None:
    """Raise the matching :class:`errors.APIStatusError` for an HTTP error.

    Args:
        what: how to name the service in the message, e.g. "chatgptfree.ai".
        body: the body, when the caller has read it already.
    """
    status = response.status
    if status < 400:
        return
    if body is None:
        body = await read_text(response)
    headers = response.headers
    detail = error_message_from_body(body)
    said = _(" The server said: {said}").format(said=errors.said(detail)) if detail else ""
    if is_cloudflare_challenge(status, headers, body):
        raise errors.CloudflareChallengeError(
            _(
                "{what} is behind a Cloudflare challenge that DeskChat cannot pass; set "
                "a proxy or another base URL."
            ).format(what=what),
            status_code=status,
            body=body,
        )
    if status in (401, 403):
        raise errors.AuthenticationError(
            _(
                "{what} refused the request (HTTP {status}); check the API key or access rights."
            ).format(what=what, status=status)
            + said,
            status_code=status,
            body=body,
        )
    if status == 404:
        raise errors.NotFoundError(
            _(
                "{what} has nothing at {redact_url} (HTTP 404); check the base URL and the model."
            ).format(what=what, redact_url=redact_url(response.url))
            + said,
            status_code=status,
            body=body,
        )
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        wait = (
            _(" Try again in {retry_after:.0f} seconds.").format(retry_after=retry_after)
            if retry_after
            else _(" Wait a little.")
        )
        raise errors.RateLimitError(
            _("{what} is limiting requests (HTTP 429).{wait}").format(what=what, wait=wait) + said,
            body=body,
            retry_after=retry_after,
        )
    if status >= 500:
        raise errors.ServerError(
            _("{what} had an internal error (HTTP {status}); try again later.").format(
                what=what, status=status
            )
            + said,
            status_code=status,
            body=body,
        )
    raise errors.APIStatusError(
        _("{what} rejected the request (HTTP {status}).").format(what=what, status=status)
        + (said or f" {clip(body)}"),
        status_code=status,
        body=body,
    )


async def read_text(
    response: aiohttp.ClientResponse, limit: int = 64 * 1024, *, idle: float = IDLE_TIMEOUT
) -> str:
    """Up to ``limit`` bytes of the body as text, never raising on bad bytes.

    A body that stops (dropped, malformed, or ``idle`` seconds without a
    byte, see :class:`IdleWatchdog`) gives what arrived until then.
    """
    import aiohttp
    from aiohttp.http_exceptions import HttpProcessingError

    parts: list[bytes] = []
    size = 0
    try:
        async with IdleWatchdog(idle) as watchdog:
            while size < limit:
                part = await watchdog.read(response.content.read(limit - size))
                if not part:
                    break
                parts.append(part)
                size += len(part)
    except (aiohttp.ClientError, HttpProcessingError, TimeoutError):
        pass  # An error page cut short still says something.
    raw = b"".join(parts)
    try:
        return raw.decode(response.charset or "utf-8", "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


# OpenSSL's reasons when the other end answered in plain text, not TLS.
_NOT_TLS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"}
)


def _tls_message(host: str, exc: aiohttp.ClientConnectorError) -> str:
    """Why a TLS connection failed, in words: never OpenSSL's own text, which names C files."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorCertificateError) and isinstance(
        exc.certificate_error, ssl.SSLCertVerificationError
    ):
        why = exc.certificate_error.verify_message or _("it could not be verified")
        return _(
            "The secure connection to {host} failed because its certificate was "
            "refused ({why}); the certificate may be wrong, or something on the "
            "network is intercepting the connection."
        ).format(host=host, why=why)
    cause = exc.os_error
    if isinstance(cause, ssl.SSLError) and cause.reason in _NOT_TLS:
        return _(
            "The secure connection to {host} failed because the server does not "
            "speak HTTPS on that port; check whether the address should start with "
            "http:// instead."
        ).format(host=host)
    return _(
        "The secure connection to {host} failed during the handshake; the "
        "server's certificate may be wrong, or something on the network is "
        "intercepting the connection."
    ).format(host=host)
