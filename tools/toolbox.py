"""Every enabled MCP server as one set of tools, named for the model.

:class:`McpTools` starts the enabled servers the first time their tools are
asked for (never at DeskChat's start), names each tool the way model APIs
accept (``[A-Za-z0-9_-]``, at most 64 characters; a name two servers share
gets its server's name in front), runs calls on the right server, and stops
every server in :meth:`McpTools.aclose` when DeskChat quits.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskchat.i18n import _

from .config import ServerConfig
from .errors import ToolError, UnknownToolError
from .output import OUTPUT_LIMIT, ToolOutput
from .secrets import SecretLookup, keyring_secret
from .server import McpServer, RemoteTool, ServerState

__all__ = ["McpTools", "ServerStatus", "ToolInfo", "model_name"]

log = logging.getLogger("deskchat.tools")

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ToolInfo:
    """A tool as offered to the model.

    Attributes:
        name: the name the model calls it by (unique among the offered tools).
        server: the name of the server that runs it.
        tool: the server's own name for it.
        description: the server's description (untrusted text).
        schema: the JSON Schema of its arguments.
    """

    name: str
    server: str
    tool: str
    description: str
    schema: dict[str, Any]

    def spec(self) -> dict[str, Any]:
        """The OpenAI-style ``tools`` entry for it."""
        schema = self.schema or {"type": "object", "properties": {}}
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": schema},
        }


@dataclass(frozen=True)
class ServerStatus:
    """What Settings → Tools and ``deskchat tools`` show of one server."""

    name: str
    where: str
    enabled: bool
    state: ServerState
    problem: str | None
    tools: tuple[RemoteTool, ...]


def model_name(text: str) -> str:
    """``text`` as a function name model APIs accept."""
    return _UNSAFE.sub("_", text).strip("_")[:64] or "tool"


class McpTools:
    """The tools of the enabled servers in ``servers``.

    Args:
        servers: the servers of ``mcp.json`` (disabled ones are listed, never started).
        log_dir: where stdio servers' standard error goes.
        secrets: where values marked ``${keyring}`` come from.
        limit: characters of a tool's output kept.
    """

    def __init__(
        self,
        servers: Sequence[ServerConfig],
        *,
        log_dir: Path | None = None,
        secrets: SecretLookup = keyring_secret,
        limit: int = OUTPUT_LIMIT,
    ) -> None:
        self.configs = list(servers)
        self.limit = limit
        self._servers = {
            c.name: McpServer(c, log_dir=log_dir, secrets=secrets)
            for c in self.configs
            if not c.disabled
        }
        self._offered: dict[str, ToolInfo] = {}

    @property
    def enabled(self) -> bool:
        """True when at least one server is enabled."""
        return bool(self._servers)

    async def tools(self) -> list[ToolInfo]:
        """The tools of every enabled server, starting the servers not running.

        A server that does not start is left out (its problem is in
        :meth:`status`); the others' tools are still offered.
        """
        servers = list(self._servers.values())
        results = await asyncio.gather(*(s.start() for s in servers), return_exceptions=True)
        listed: list[tuple[str, RemoteTool]] = []
        for server, result in zip(servers, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, ToolError):
                continue
            if isinstance(result, BaseException):
                log.error("tool server %s failed to start", server.name, exc_info=result)
                continue
            listed.extend((server.name, tool) for tool in result)
        self._offered = _named(listed)
        return list(self._offered.values())

    def find(self, name: str) -> ToolInfo | None:
        """The offered tool the model calls ``name``."""
        return self._offered.get(name)

    async def call(
        self, name: str, arguments: dict[str, Any], *, time_limit: float | None = None
    ) -> ToolOutput:
        """Run the offered tool ``name``.

        Raises:
            UnknownToolError: no offered tool has that name.
            ToolError: the server would not start, crashed or timed out.
        """
        info = self._offered.get(name)
        server = self._servers.get(info.server) if info is not None else None
        if info is None or server is None:
            raise UnknownToolError(
                _(
                    "The model asked for a tool named {name}, which no enabled server offers."
                ).format(name=name)
            )
        return await server.call(info.tool, arguments, time_limit=time_limit, limit=self.limit)

    def status(self) -> list[ServerStatus]:
        """Every configured server with its state and the tools it offered."""
        out: list[ServerStatus] = []
        for config in self.configs:
            server = self._servers.get(config.name)
            out.append(
                ServerStatus(
                    name=config.name,
                    where=config.where,
                    enabled=server is not None,
                    state=server.state if server is not None else "stopped",
                    problem=server.problem if server is not None else None,
                    tools=tuple(server.tools) if server is not None else (),
                )
            )
        return out

    async def aclose(self) -> None:
        """Stop every server and wait until they are gone."""
        await asyncio.gather(*(s.aclose() for s in self._servers.values()))


def _named(listed: Sequence[tuple[str, RemoteTool]]) -> dict[str, ToolInfo]:
    """Model-safe, unique names: the tool's own where it is unique, else server_tool."""
    counts: dict[str, int] = {}
    for _server, tool in listed:
        key = model_name(tool.name)
        counts[key] = counts.get(key, 0) + 1
    named: dict[str, ToolInfo] = {}
    for server, tool in listed:
        name = model_name(tool.name)
        if counts[name] > 1:
            name = model_name(f"{server}_{tool.name}")
        base, n = name, 2
        while name in named:
            name = f"{base[:60]}_{n}"
            n += 1
        named[name] = ToolInfo(
            name=name,
            server=server,
            tool=tool.name,
            description=tool.description,
            schema=tool.schema,
        )
    return named
