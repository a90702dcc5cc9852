"""What every provider that talks to a model server's HTTP API shares.

:class:`ServerProvider` holds the connection settings (address, session,
proxy, key, headers, timeouts), names the server in messages, fetches small
JSON answers, and runs a streamed reply through a sans-I/O parser. Each
protocol (OpenAI's chat completions, Ollama's native API) subclasses it and
adds only its request body and its parser.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from deskchat.i18n import N_, _

from . import errors
from .base import Message
from .events import Event
from .http import (
    CONNECT_TIMEOUT,
    IDLE_TIMEOUT,
    client_timeout,
    display_host,
    iter_chunks,
    open_request,
    raise_for_status,
    read_text,
    session_scope,
    with_scheme,
)
from .secrets import is_secret_header, redact, remember_secret

if TYPE_CHECKING:
    import aiohttp

__all__ = ["ServerProvider", "StreamParser", "chat_messages", "scrub_error"]

_T = TypeVar("_T")
_SMALL_ANSWER = 4 * 1024 * 1024


class StreamParser(Protocol):
    """A sans-I/O parser of one streamed reply: bytes in, events out."""

    done: bool

    def feed(self, data: bytes) -> list[Event]: ...

    def finish(self) -> list[Event]: ...


def chat_messages(messages: Sequence[Message], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The conversation for a JSON body, with ``params["system"]`` sent first."""
    if not messages:
        raise errors.ConfigurationError(_("There is no message to send."))
    chat: list[dict[str, Any]] = [dict(m) for m in messages]
    system = params.get("system")
    if system:
        chat.insert(0, {"role": "system", "content": str(system)})
    return chat


def scrub_error(exc: errors.ProviderError, secret: str | None) -> None:
    """Hide ``secret`` in ``exc``'s message and body, should a server have echoed it."""
    if not secret:
        return
    clean = redact(exc.message, [secret])
    if clean != exc.message:
        exc.message = clean
        exc.args = (clean,)
    if isinstance(exc, errors.APIStatusError):
        exc.body = redact(exc.body, [secret])


class ServerProvider:
    """Connection settings and request plumbing for a model server.

    Args:
        base_url: the server's address; None for the class's ``default_base_url``.
        session: an ``aiohttp.ClientSession`` to share; one is made per call
            when omitted.
        api_key: sent as ``Authorization: Bearer``; never shown in messages.
        proxy: an HTTP proxy URL for every request.
        extra_headers: sent with every request. Those that carry credentials
            (named like a key, token or secret, or listed in ``secret_headers``)
            are never shown in messages, and are dropped on a redirect to
            another origin, as the key is.
        secret_headers: names of extra headers the user marked secret.
        idle_timeout: seconds the server may stay silent mid-reply.
        connect_timeout: seconds allowed to open a connection.
        name, display_name, default_model: override the class's own (for
            classes that serve several registry entries).
        requires_api_key: refuse to send a request without a key.
    """

    name = "server"
    display_name = N_("Model server")
    default_model = ""
    default_base_url = "http://127.0.0.1"

    def __init__(
        self,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        *,
        api_key: str | None = None,
        proxy: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        secret_headers: Iterable[str] = (),
        idle_timeout: float = IDLE_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        name: str | None = None,
        display_name: str | None = None,
        default_model: str | None = None,
        requires_api_key: bool = False,
    ) -> None:
        # "127.0.0.1:8080/v1" is a common typo for a local server: http:// is meant.
        self.base_url = self.normalize_base_url(with_scheme(base_url or self.default_base_url))
        self.session = session
        self.proxy = proxy
        self.extra_headers = dict(extra_headers or {})
        marked = tuple(secret_headers)
        self._secret_headers = frozenset(
            name.lower() for name in self.extra_headers if is_secret_header(name, marked)
        )
        for name, value in self.extra_headers.items():
            if name.lower() in self._secret_headers:
                remember_secret(value)
        self.idle_timeout = idle_timeout
        self.requires_api_key = requires_api_key
        self._api_key = api_key or None
        self.connect_timeout = connect_timeout
        if name:
            self.name = name
        # The class's own name is marked with N_ and shown in the current language.
        self.display_name = display_name or _(self.display_name)
        if default_model is not None:
            self.default_model = default_model
        self.host = display_host(self.base_url)

    @staticmethod
    def normalize_base_url(base_url: str) -> str:
        """The address as requests are built from it (no trailing slash)."""
        return base_url.rstrip("/")

    def __repr__(self) -> str:
        # Never the key: a repr ends up in logs and tracebacks.
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.base_url!r})"

    @property
    def what(self) -> str:
        """How messages name this server, e.g. "llama.cpp (127.0.0.1:8080)"."""
        return f"{self.display_name} ({self.host})"

    def headers(self, accept: str = "application/json") -> dict[str, str]:
        headers = {"Accept": accept, **self.extra_headers}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def check_key(self) -> None:
        if self.requires_api_key and not self._api_key:
            raise errors.ConfigurationError(
                _(
                    "{display_name} needs an API key; add one in the settings or set it in "
                    "the environment."
                ).format(display_name=self.display_name)
            )

    async def with_session(self, action: Callable[[aiohttp.ClientSession], Awaitable[_T]]) -> _T:
        """Run ``action(session)`` with the shared or a private session, key scrubbed."""
        self.check_key()
        try:
            async with session_scope(self.session) as session:
                return await action(session)
        except errors.ProviderError as exc:
            self._scrub(exc)
            raise

    def _scrub(self, exc: errors.ProviderError) -> None:
        """Hide the key and the secret headers' values, should a server have echoed them."""
        scrub_error(exc, self._api_key)
        for name, value in self.extra_headers.items():
            if name.lower() in self._secret_headers:
                scrub_error(exc, value)

    async def get_text(self, session: aiohttp.ClientSession, path: str) -> str:
        """A small answer (a model list) as text; HTTP errors raised as ProviderErrors."""
        async with self.request(session, "GET", path) as response:
            body = await read_text(response, _SMALL_ANSWER, idle=self.idle_timeout)
            await raise_for_status(response, what=self.what, body=body)
        return body

    @asynccontextmanager
    async def request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        *,
        accept: str = "application/json",
        proxy: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send a request to ``base_url + path``; the response is released on exit."""
        async with open_request(
            session,
            method,
            f"{self.base_url}{path}",
            headers=self.headers(accept),
            secret_headers=self._secret_headers,
            proxy=proxy or self.proxy,
            idle=self.idle_timeout,
            timeout=client_timeout(connect=self.connect_timeout, idle=self.idle_timeout),
            **kwargs,
        ) as response:
            yield response

    async def feed(
        self, response: aiohttp.ClientResponse, parser: StreamParser
    ) -> AsyncIterator[Event]:
        """The body's events as they arrive, until the parser is done or the body ends."""
        async for data in iter_chunks(response, idle=self.idle_timeout):
            for event in parser.feed(data):
                yield event
            if parser.done:
                break
        for event in parser.finish():
            yield event

    async def guarded(self, stream: AsyncGenerator[_T, None]) -> AsyncIterator[_T]:
        """Yield from ``stream``, closing it at once on cancel or early exit.

        aclosing: a closed or cancelled reply closes the HTTP response now,
        not whenever the inner generator is garbage-collected. Errors leave
        with the key scrubbed from their text.
        """
        self.check_key()
        try:
            async with aclosing(stream) as events:
                async for event in events:
                    yield event
        except errors.ProviderError as exc:
            self._scrub(exc)
            raise
