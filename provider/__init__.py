"""DeskChat's providers: async, Qt-free clients that stream a model's reply.

This package is the one door the GUI and the CLI use: import names from
here, not from the private modules behind it.
"""

from __future__ import annotations

from .base import Message, Provider, format_prompt, list_models, stream_events
from .chatgptfree import ChatgptFree
from .discovery import FoundServer, discover_local
from .errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    CloudflareChallengeError,
    ConfigurationError,
    ConnectTimeoutError,
    ContextFullError,
    ContextOverflowError,
    CorruptModelError,
    EmptyReplyError,
    EngineStoppedError,
    GenerationError,
    IdleTimeoutError,
    IncompleteReplyError,
    KeyringUnavailableError,
    LlamaNotInstalledError,
    LocalEngineError,
    MalformedResponseError,
    ModelFileNotFoundError,
    ModelLoadError,
    NotAGGUFError,
    NotEnoughMemoryError,
    NotFoundError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    RefusedRedirectError,
    SecretStoreError,
    ServerError,
    ServerReportedError,
    ServiceError,
    StaleNonceError,
    StreamInterruptedError,
    UnknownModelError,
    WidgetNotFoundError,
)
from .events import Event, FinishEvent, LoadProgress, ReasoningDelta, TextDelta, UsageEvent
from .http import client_timeout, redact_url
from .local import LocalProvider
from .ollama import Ollama
from .openai_compat import OpenAICompatible
from .registry import PROVIDERS, Capabilities, ProviderInfo, provider_ids
from .registry import create as create_provider
from .registry import get_info as get_provider_info
from .reply import ReplyState, ReplyStatus, error_text
from .retry import with_retries
from .secrets import (
    RedactingFilter,
    delete_api_key,
    get_api_key,
    keyring_available,
    redact,
    set_api_key,
    set_session_key,
)
from .sse import LineDecoder, ServerSentEvent, SSEDecoder

__all__ = [
    "PROVIDERS",
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "Capabilities",
    "ChatgptFree",
    "CloudflareChallengeError",
    "ConfigurationError",
    "ConnectTimeoutError",
    "ContextFullError",
    "ContextOverflowError",
    "CorruptModelError",
    "EmptyReplyError",
    "EngineStoppedError",
    "Event",
    "FinishEvent",
    "FoundServer",
    "GenerationError",
    "IdleTimeoutError",
    "IncompleteReplyError",
    "KeyringUnavailableError",
    "LineDecoder",
    "MalformedResponseError",
    "LlamaNotInstalledError",
    "LoadProgress",
    "LocalEngineError",
    "LocalProvider",
    "MalformedResponseError",
    "Message",
    "ModelFileNotFoundError",
    "ModelLoadError",
    "NotAGGUFError",
    "NotEnoughMemoryError",
    "NotFoundError",
    "Ollama",
    "OpenAICompatible",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "ProviderInfo",
    "RateLimitError",
    "ReasoningDelta",
    "RefusedRedirectError",
    "RedactingFilter",
    "ReplyState",
    "ReplyStatus",
    "SSEDecoder",
    "SecretStoreError",
    "ServerError",
    "ServerReportedError",
    "ServerSentEvent",
    "ServiceError",
    "StaleNonceError",
    "StreamInterruptedError",
    "TextDelta",
    "UnknownModelError",
    "UsageEvent",
    "WidgetNotFoundError",
    "client_timeout",
    "create_provider",
    "delete_api_key",
    "discover_local",
    "error_text",
    "format_prompt",
    "get_api_key",
    "get_provider_info",
    "keyring_available",
    "list_models",
    "provider_ids",
    "redact",
    "redact_url",
    "set_api_key",
    "set_session_key",
    "stream_events",
    "with_retries",
]
