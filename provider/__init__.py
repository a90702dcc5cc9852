"""DeskChat's providers: async, Qt-free clients that stream a model's reply.

This package is the one door the GUI and the CLI use: import names from
here, not from the private modules behind it.

The provider classes and the network helpers (:data:`_LATER`) are imported
the first time one of their names is read: the window reads this package
before its first paint, and those modules (asyncio, yarl, the engine's protocol,
the discovery) cost ~80 ms it need not wait for. mypy and other tools see them as
plain imports (the ``TYPE_CHECKING`` block).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskchat.lazy import on_first_use

from .base import Message, Provider, format_prompt, list_models, stream_events
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
    ImagesNotSupportedError,
    IncompleteReplyError,
    KeyringUnavailableError,
    LineTooLongError,
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
    ToolsNotSupportedError,
    UnknownModelError,
    WidgetNotFoundError,
)
from .events import (
    Event,
    FinishEvent,
    LoadProgress,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    UsageEvent,
)
from .registry import PROVIDERS, Capabilities, ProviderInfo, provider_ids
from .registry import create as create_provider
from .registry import get_info as get_provider_info
from .reply import ReplyState, ReplyStatus, error_text
from .secrets import (
    RedactingFilter,
    delete_api_key,
    get_api_key,
    in_keyring,
    is_secret_header,
    keyring_available,
    load_secret_headers,
    redact,
    save_extra_headers,
    set_api_key,
    set_session_key,
    split_secret_headers,
)

if TYPE_CHECKING:
    from .chatgptfree import ChatgptFree
    from .discovery import FoundServer, discover_local
    from .http import client_timeout, redact_url
    from .images import ImageInput, has_images
    from .local import LocalProvider
    from .ollama import Ollama
    from .openai_compat import OpenAICompatible
    from .retry import with_retries
    from .sse import LineDecoder, ServerSentEvent, SSEDecoder

_LATER = {
    "ChatgptFree": ".chatgptfree",
    "FoundServer": ".discovery",
    "discover_local": ".discovery",
    "client_timeout": ".http",
    "redact_url": ".http",
    "ImageInput": ".images",
    "has_images": ".images",
    "LocalProvider": ".local",
    "Ollama": ".ollama",
    "OpenAICompatible": ".openai_compat",
    "with_retries": ".retry",
    "LineDecoder": ".sse",
    "ServerSentEvent": ".sse",
    "SSEDecoder": ".sse",
}
"""Names imported on first use, and the module of each (the TYPE_CHECKING block above)."""


__getattr__, __dir__ = on_first_use(__name__, _LATER, globals())


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
    "ImageInput",
    "ImagesNotSupportedError",
    "ToolsNotSupportedError",
    "IncompleteReplyError",
    "KeyringUnavailableError",
    "LineDecoder",
    "LineTooLongError",
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
    "ToolCall",
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
    "has_images",
    "in_keyring",
    "is_secret_header",
    "keyring_available",
    "list_models",
    "load_secret_headers",
    "provider_ids",
    "redact",
    "redact_url",
    "save_extra_headers",
    "set_api_key",
    "set_session_key",
    "split_secret_headers",
    "stream_events",
    "with_retries",
]
