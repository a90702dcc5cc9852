"""Tools through the Model Context Protocol: the servers of ``mcp.json`` and their calls.

This package is the one door to them; it loads nothing heavy: the ``mcp`` SDK is
imported when the first server starts. No Qt, and nothing of the provider or the
store (it sits beside them, under the chat core).
"""

from __future__ import annotations

from .config import (
    CONFIG_NAME,
    IN_KEYRING,
    ServerConfig,
    config_path,
    dump_servers,
    load_servers,
    parse_servers,
    save_servers,
)
from .errors import (
    ServerCrashedError,
    ServerStartError,
    ToolConfigError,
    ToolError,
    ToolTimeoutError,
    UnknownToolError,
)
from .output import OUTPUT_LIMIT, ToolOutput, cap
from .secrets import SecretLookup, delete_secret, keyring_secret, set_secret
from .server import START_TIMEOUT, McpServer, RemoteTool, ServerState
from .toolbox import McpTools, ServerStatus, ToolInfo, model_name

__all__ = [
    "CONFIG_NAME",
    "IN_KEYRING",
    "OUTPUT_LIMIT",
    "START_TIMEOUT",
    "McpServer",
    "McpTools",
    "RemoteTool",
    "SecretLookup",
    "ServerConfig",
    "ServerCrashedError",
    "ServerStartError",
    "ServerState",
    "ServerStatus",
    "ToolConfigError",
    "ToolError",
    "ToolInfo",
    "ToolOutput",
    "ToolTimeoutError",
    "UnknownToolError",
    "cap",
    "config_path",
    "delete_secret",
    "dump_servers",
    "keyring_secret",
    "load_servers",
    "model_name",
    "parse_servers",
    "save_servers",
    "set_secret",
]
