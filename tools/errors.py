"""Errors of the tools package, each with a sentence a person can act on.

Hierarchy::

    DeskChatError (deskchat.errors)
    └── ToolError
        ├── ToolConfigError     mcp.json cannot be read or names a server wrongly
        ├── ServerStartError    a server would not start or answer its handshake
        ├── ServerCrashedError  a server went away during a call (restarted next time)
        ├── ToolTimeoutError    a tool did not answer in time
        └── UnknownToolError    the model asked for a tool no server offers
"""

from __future__ import annotations

from deskchat.errors import DeskChatError

__all__ = [
    "ServerCrashedError",
    "ServerStartError",
    "ToolConfigError",
    "ToolError",
    "ToolTimeoutError",
    "UnknownToolError",
]


class ToolError(DeskChatError):
    """Base of the errors raised by :mod:`deskchat.tools`."""


class ToolConfigError(ToolError):
    """mcp.json is not valid JSON, or a server in it is described wrongly."""


class ServerStartError(ToolError):
    """A server could not be started, or did not complete the MCP handshake."""

    retryable = True


class ServerCrashedError(ToolError):
    """A server's connection closed during a call; it is started again on the next call."""

    retryable = True


class ToolTimeoutError(ToolError):
    """A tool did not answer within the time allowed."""


class UnknownToolError(ToolError):
    """The model asked for a tool that no enabled server offers."""
