"""Errors raised by providers, each with a sentence a person can act on.

Every error a provider raises on purpose is a :class:`ProviderError`, itself a
:class:`deskchat.errors.DeskChatError`. Anything else escaping a provider is a
bug in DeskChat, not a fault of the network or the server, and the GUI reports
it differently. Every provider error class lives in this module.

Hierarchy::

    DeskChatError (deskchat.errors)
    └── ProviderError
        ├── ConfigurationError          bad model name, bad base URL, no key
        │   ├── UnknownModelError
        │   ├── ModelFileNotFoundError  no file at the model's path (built-in engine)
        │   ├── ImagesNotSupportedError  the provider or model takes no images (said before sending)
        │   ├── ToolsNotSupportedError  the model's template offers no tools (said before sending)
        │   └── SecretStoreError        the keyring refused to store, read or delete a key
        │       └── KeyringUnavailableError  no keyring at all: session-only keys
        ├── APIConnectionError          could not reach the server (DNS, refused, TLS)
        │   ├── ConnectTimeoutError
        │   ├── IdleTimeoutError        the stream went silent
        │   └── StreamInterruptedError  the connection dropped mid-reply
        │       └── IncompleteReplyError  the stream ended before the reply was finished
        ├── APIStatusError              the server answered with an HTTP error
        │   ├── AuthenticationError     401 / 403
        │   ├── NotFoundError           404
        │   ├── RateLimitError          429
        │   ├── ServerError             5xx
        │   └── CloudflareChallengeError
        ├── ServiceError                the service said no, in words (quota, bad nonce)
        │   ├── StaleNonceError
        │   └── ServerReportedError     an error object in place of the reply
        ├── ProtocolError               the answer was not what the protocol promises
        │   ├── MalformedResponseError  not even valid HTTP (framing, status line, headers)
        │   ├── RefusedRedirectError    a redirect to something other than http(s)
        │   ├── LineTooLongError        a line or event past provider.sse.MAX_LINE
        │   ├── WidgetNotFoundError
        │   └── EmptyReplyError
        │       └── ContextOverflowError  accepted, then closed with nothing in it
        ├── LocalEngineError            the built-in engine (llama.cpp in a child process)
        │   ├── LlamaNotInstalledError  llama-cpp-python cannot be imported
        │   ├── NotAGGUFError           not a GGUF file
        │   ├── CorruptModelError       a GGUF file cut short or damaged
        │   ├── NotEnoughMemoryError    said before loading, with the numbers
        │   ├── ModelLoadError          llama.cpp refused the model
        │   ├── EngineStoppedError      the child died (out of memory, crashed)
        │   └── GenerationError         a reply failed inside the child
        │       └── ContextFullError    the conversation no longer fits the context
        └── _StreamOptionsRejected      internal to openai_compat; never reaches a caller
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskchat.errors import DeskChatError
from deskchat.i18n import _

if TYPE_CHECKING:
    from .llama_sizing import MemoryEstimate, MemoryReading

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "CloudflareChallengeError",
    "ConfigurationError",
    "ConnectTimeoutError",
    "ContextFullError",
    "ContextOverflowError",
    "CorruptModelError",
    "EmptyReplyError",
    "EngineStoppedError",
    "GenerationError",
    "IdleTimeoutError",
    "ImagesNotSupportedError",
    "ToolsNotSupportedError",
    "IncompleteReplyError",
    "KeyringUnavailableError",
    "LineTooLongError",
    "LlamaNotInstalledError",
    "LocalEngineError",
    "MalformedResponseError",
    "ModelFileNotFoundError",
    "ModelLoadError",
    "NotAGGUFError",
    "NotEnoughMemoryError",
    "NotFoundError",
    "ProtocolError",
    "ProviderError",
    "RateLimitError",
    "RefusedRedirectError",
    "SecretStoreError",
    "ServerError",
    "ServerReportedError",
    "ServiceError",
    "StaleNonceError",
    "StreamInterruptedError",
    "UnknownModelError",
    "WidgetNotFoundError",
    "clip",
    "quoted",
    "said",
]

_BODY_PREVIEW = 300


def clip(text: str, limit: int = 300) -> str:
    """Server text fit for a message: whitespace folded, cut at ``limit`` with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def said(text: str, limit: int = 300) -> str:
    """A server's own words, fit to end a message: clipped, ending in a full stop."""
    text = clip(text, limit)
    return text if text.endswith((".", "!", "?")) else text + "."


def quoted(text: str, limit: int = 120) -> str:
    """Bytes a server sent that are not words (bad JSON, markup), quoted to end a message."""
    return f"\u201c{clip(text, limit)}\u201d."


class ProviderError(DeskChatError):
    """Base of every error a provider raises on purpose (``.text()``, ``.retryable``)."""


class ConfigurationError(ProviderError):
    """The request cannot be made as configured (model, URL, options)."""


class ImagesNotSupportedError(ConfigurationError):
    """Images were attached for a provider or model that cannot look at them."""


class ToolsNotSupportedError(ConfigurationError):
    """Tools were offered to a model whose chat template has no place for them."""


class UnknownModelError(ConfigurationError):
    """A model name that the provider does not offer.

    Attributes:
        model: the name that was asked for.
        available: the names the provider offers.
    """

    def __init__(self, provider: str, model: str, available: list[str]) -> None:
        listing = ", ".join(available) if available else "none"
        super().__init__(
            _("{provider} has no model named {model!r}. Available models: {listing}.").format(
                provider=provider, model=model, listing=listing
            )
        )
        self.model = model
        self.available = list(available)


class SecretStoreError(ConfigurationError):
    """The keyring exists but refused to store, read or delete a key."""


class KeyringUnavailableError(SecretStoreError):
    """This system has no keyring backend, so a key can be kept for this session only."""


class APIConnectionError(ProviderError):
    """The server could not be reached, or the connection failed."""

    retryable = True


class ConnectTimeoutError(APIConnectionError):
    """Connecting took longer than the connect limit."""


class IdleTimeoutError(APIConnectionError):
    """The server sent nothing for longer than the idle limit.

    Attributes:
        seconds: the idle limit that was exceeded.
    """

    def __init__(self, host: str, seconds: float) -> None:
        super().__init__(
            _(
                "{host} sent nothing for {seconds:g} seconds, so the reply was stopped. "
                "The server may be overloaded; try again."
            ).format(host=host, seconds=seconds)
        )
        self.seconds = seconds


class StreamInterruptedError(APIConnectionError):
    """The connection dropped after the reply had started."""


class IncompleteReplyError(StreamInterruptedError):
    """The stream ended before the server said the reply was finished."""


class APIStatusError(ProviderError):
    """The server answered with an HTTP error status.

    Attributes:
        status_code: the HTTP status.
        body: the start of the response body, for logs and bug reports.
    """

    def __init__(self, message: str, *, status_code: int, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body[:_BODY_PREVIEW]


class AuthenticationError(APIStatusError):
    """401 or 403: the key, the cookie or the nonce was refused."""


class NotFoundError(APIStatusError):
    """404: wrong base URL or model."""


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: seconds the server asked us to wait, when it said.
    """

    retryable = True

    def __init__(
        self, message: str, *, status_code: int = 429, body: str = "", retry_after: float | None
    ) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the server failed."""

    retryable = True


class CloudflareChallengeError(APIStatusError):
    """The site sits behind a Cloudflare browser check that a client cannot pass."""


class ServiceError(ProviderError):
    """The service answered but refused, with a message of its own."""


class StaleNonceError(ServiceError):
    """The WordPress nonce expired; a fresh page load gives a new one."""


class ServerReportedError(ServiceError):
    """The server put an error object in its answer instead of more reply.

    Attributes:
        code: the error's ``code`` or ``type``, when it gave one.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ProtocolError(ProviderError):
    """The server's answer did not follow the protocol."""


class MalformedResponseError(ProtocolError):
    """The answer broke HTTP's own rules: its status line, headers or chunked framing."""


class RefusedRedirectError(ProtocolError):
    """A redirect DeskChat does not follow: to ``file:``, ``data:``, or no address at all."""


class LineTooLongError(ProtocolError):
    """A line (or one event) longer than any real event: the server never ended it."""


class WidgetNotFoundError(ProtocolError):
    """The page has no chat widget to take the post id and nonce from."""


class EmptyReplyError(ProtocolError):
    """The server closed the reply without sending any text."""


class ContextOverflowError(EmptyReplyError):
    """The server accepted the request, then closed the stream with nothing in it."""


class LocalEngineError(ProviderError):
    """Base of the built-in engine's errors."""


class LlamaNotInstalledError(LocalEngineError):
    """llama-cpp-python cannot be imported in the child."""


class ModelFileNotFoundError(ConfigurationError):
    """No file at the model's path."""


class NotAGGUFError(LocalEngineError):
    """The file does not start with the GGUF magic bytes."""


class CorruptModelError(LocalEngineError):
    """A GGUF file whose header cannot be read: cut short or damaged."""


class NotEnoughMemoryError(LocalEngineError):
    """The model would need more memory than the machine has free; said before loading.

    Attributes:
        estimate: what the model needs, part by part.
        memory: the machine's memory when it was checked.
    """

    def __init__(self, message: str, *, estimate: MemoryEstimate, memory: MemoryReading) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.memory = memory


class ModelLoadError(LocalEngineError):
    """llama.cpp refused to load the model (an unknown architecture, a damaged file)."""


class EngineStoppedError(LocalEngineError):
    """The child process ended: killed (out of memory), crashed, or would not start.

    Attributes:
        returncode: its exit status (negative: the signal that ended it), if known.
    """

    def __init__(self, message: str, *, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


class GenerationError(LocalEngineError):
    """A reply failed inside the child."""


class ContextFullError(GenerationError):
    """The conversation no longer fits in the model's context."""


class _StreamOptionsRejected(ProviderError):
    """Internal: the server refused ``stream_options``; openai_compat asks again without it."""
