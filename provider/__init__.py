"""DeskChat's providers: async, Qt-free clients that stream a model's reply.

This package is the one door the GUI and the CLI use: import names from
here, not from the private modules behind it.
"""

from __future__ import annotations

from .base import Message, Provider, format_prompt, list_models, stream_events
from .chatgptfree import ChatgptFree
from .errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    CloudflareChallengeError,
    ConfigurationError,
    ConnectTimeoutError,
    EmptyReplyError,
    IdleTimeoutError,
    NotFoundError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    ServerError,
    ServiceError,
    StaleNonceError,
    StreamInterruptedError,
    UnknownModelError,
    WidgetNotFoundError,
)
from .events import Event, FinishEvent, ReasoningDelta, TextDelta, UsageEvent
from .http import client_timeout, redact_url
from .reply import ReplyState, ReplyStatus, error_text
from .sse import LineDecoder, ServerSentEvent, SSEDecoder

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "ChatgptFree",
    "CloudflareChallengeError",
    "ConfigurationError",
    "ConnectTimeoutError",
    "EmptyReplyError",
    "Event",
    "FinishEvent",
    "IdleTimeoutError",
    "LineDecoder",
    "Message",
    "NotFoundError",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "RateLimitError",
    "ReasoningDelta",
    "ReplyState",
    "ReplyStatus",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "ServiceError",
    "StaleNonceError",
    "StreamInterruptedError",
    "TextDelta",
    "UnknownModelError",
    "UsageEvent",
    "WidgetNotFoundError",
    "client_timeout",
    "error_text",
    "format_prompt",
    "list_models",
    "redact_url",
    "stream_events",
]
