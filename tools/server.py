"""One MCP server: started when first needed, kept by one task, stopped on request.

The SDK's client lives inside anyio task groups and cancel scopes, which must
be left by the task that entered them. So each server is entered and left by
a task of its own (:meth:`McpServer._run`); calls from the replies' tasks only
send requests over the session it opened. A server whose connection closed
(its process died, the HTTP server went away) is marked crashed and started
again on the next call.

The ``mcp`` package (~100 ms and several MB with pydantic) is imported when
the first server starts, never at DeskChat's start.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TextIO, TypeAlias

from deskchat.i18n import _

from .config import ServerConfig
from .errors import ServerCrashedError, ServerStartError, ToolError, ToolTimeoutError
from .output import ToolOutput, output_from_result
from .secrets import SecretLookup, keyring_secret, resolve

if TYPE_CHECKING:
    from mcp import Client

__all__ = ["McpServer", "RemoteTool", "ServerState", "START_TIMEOUT"]

log = logging.getLogger("deskchat.tools")

START_TIMEOUT = 30.0
"""Seconds a server may take from being started to listing its tools."""

ServerState: TypeAlias = Literal["stopped", "starting", "running", "crashed", "failed"]


@dataclass(frozen=True)
class RemoteTool:
    """A tool as its server lists it.

    Attributes:
        name: the server's name for it.
        description: the server's description: untrusted text, shown and passed
            to the model as it is, never obeyed by DeskChat.
        schema: the JSON Schema of its arguments.
    """

    name: str
    description: str
    schema: dict[str, Any]


class McpServer:
    """The connection to one configured server.

    Args:
        config: the server as ``mcp.json`` describes it.
        log_dir: where a stdio server's standard error is written
            (``mcp-<name>.log``); None: DeskChat's own standard error.
        secrets: where values marked ``${keyring}`` come from.

    Attributes:
        state: stopped, starting, running, crashed (restarted on the next
            call) or failed (did not start; tried again on the next call).
        problem: the sentence saying why it crashed or failed, else None.
        tools: what it offered when it last started.
    """

    def __init__(
        self,
        config: ServerConfig,
        *,
        log_dir: Path | None = None,
        secrets: SecretLookup = keyring_secret,
    ) -> None:
        self.config = config
        self.state: ServerState = "stopped"
        self.problem: str | None = None
        self.tools: list[RemoteTool] = []
        self._log_dir = log_dir
        self._secrets = secrets
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._stop: asyncio.Event | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.config.name

    async def start(self) -> list[RemoteTool]:
        """Start the server if it is not running; return its tools.

        Raises:
            ServerStartError: it did not start or list its tools in time.
        """
        async with self._lock:
            if self.state == "running" and self._task is not None and not self._task.done():
                return self.tools
            await self._halt()
            self.state = "starting"
            loop = asyncio.get_running_loop()
            self._ready = loop.create_future()
            self._stop = asyncio.Event()
            self._task = asyncio.ensure_future(self._run(self._ready, self._stop))
            try:
                async with asyncio.timeout(START_TIMEOUT):
                    await asyncio.shield(self._ready)
            except TimeoutError:
                await self._halt()
                self._failed(
                    ServerStartError(
                        _(
                            "The tool server “{name}” did not start within {seconds} s; "
                            "check its command in Settings → Tools."
                        ).format(name=self.name, seconds=round(START_TIMEOUT))
                    )
                )
            except ToolError as exc:
                await self._halt()
                self._failed(exc)
            except asyncio.CancelledError:
                await self._halt()
                self.state = "stopped"
                raise
            self.state = "running"
            self.problem = None
            return self.tools

    def _failed(self, exc: ToolError) -> NoReturn:
        self.state = "failed"
        self.problem = exc.text()
        log.info("tool server %s: %s", self.name, exc.text())
        raise exc

    async def call(
        self, tool: str, arguments: dict[str, Any], *, time_limit: float | None, limit: int
    ) -> ToolOutput:
        """Run ``tool`` with ``arguments``; its output, cut at ``limit`` characters.

        Raises:
            ServerStartError: the server was not running and would not start.
            ServerCrashedError: the connection closed during the call.
            ToolTimeoutError: no answer within ``time_limit`` seconds.
        """
        await self.start()
        client = self._client
        assert client is not None
        from mcp import MCPError

        try:
            async with asyncio.timeout(time_limit):
                result = await client.call_tool(tool, arguments)
        except TimeoutError:
            raise ToolTimeoutError(
                _("The tool {tool} did not answer within {seconds} s.").format(
                    tool=tool, seconds=_seconds(time_limit)
                )
            ) from None
        except MCPError as exc:
            if self._closed(exc):
                raise self._crashed() from exc
            # The server said no (an unknown tool, bad arguments): the model reads why.
            return ToolOutput(text=str(exc), is_error=True)
        except (OSError, EOFError) as exc:
            raise self._crashed() from exc
        except ValueError:
            # pydantic's ValidationError: the server answered with something malformed.
            return ToolOutput(
                text=_("The tool server sent an answer that is not a valid result."), is_error=True
            )
        return output_from_result(result, limit)

    def _closed(self, exc: Exception) -> bool:
        from mcp_types import CONNECTION_CLOSED

        gone = self._task is None or self._task.done()
        return getattr(exc, "code", None) == CONNECTION_CLOSED or gone

    def _crashed(self) -> ServerCrashedError:
        self.state = "crashed"
        self.problem = _(
            "The tool server “{name}” stopped during the call; it is started again on the "
            "next one.{where}"
        ).format(name=self.name, where=self._log_hint())
        log.info("tool server %s crashed", self.name)
        if self._stop is not None:
            self._stop.set()
        return ServerCrashedError(self.problem)

    def _log_hint(self) -> str:
        path = self._log_path()
        return "" if path is None else " " + _("Its messages are in {path}.").format(path=path)

    def _log_path(self) -> Path | None:
        if self._log_dir is None or self.config.kind != "stdio":
            return None
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
        return self._log_dir / f"mcp-{safe}.log"

    async def aclose(self) -> None:
        """Stop the server and wait until its process is gone (no orphans)."""
        async with self._lock:
            await self._halt()
            if self.state != "failed":
                self.state = "stopped"

    async def _halt(self) -> None:
        task, stop = self._task, self._stop
        self._task = None
        self._client = None
        if task is None:
            return
        if stop is not None:
            stop.set()
        # The SDK's shutdown closes stdin, waits, then kills the process group (~5 s at most).
        done, _pending = await asyncio.wait([task], timeout=10)
        if not done:
            task.cancel()
            await asyncio.wait([task])

    async def _run(self, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
        """The server's own task: enter the client, list the tools, wait for the stop."""
        errlog: TextIO | None = None
        try:
            from mcp import Client

            transport, errlog = self._transport()
            async with Client(transport, mode="legacy") as client:
                listed = await _list_all(client)
                self.tools = listed
                self._client = client
                if not ready.done():
                    ready.set_result(None)
                await stop.wait()
        except asyncio.CancelledError:
            raise
        except ToolError as exc:
            _settle(ready, exc)
        except Exception as exc:  # noqa: BLE001 - any failure to start is the server's, told as one
            log.info("tool server %s failed", self.name, exc_info=True)
            _settle(ready, self._start_error(exc))
        finally:
            self._client = None
            if errlog is not None and errlog is not sys.stderr:
                errlog.close()
            if self.state == "running" and not stop.is_set():
                self.state = "crashed"
            if not ready.done():
                _settle(ready, self._start_error(None))

    def _transport(self) -> tuple[Any, TextIO | None]:
        config = self.config
        if config.kind == "http":
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            headers = resolve(self.name, config.headers, self._secrets)
            assert config.url is not None
            url = config.url

            @asynccontextmanager
            async def http_transport() -> AsyncIterator[Any]:
                # The SDK closes only a client it made itself; this one carries the headers.
                async with (
                    create_mcp_http_client(headers=headers) as http,
                    streamable_http_client(url, http_client=http) as streams,
                ):
                    yield streams

            return http_transport(), None
        from mcp.client.stdio import StdioServerParameters, stdio_client

        env = resolve(self.name, config.env, self._secrets)
        assert config.command is not None
        # command + args as an argv list: the OS runs the program itself, no shell parses it.
        params = StdioServerParameters(
            command=config.command, args=list(config.args), env=env, cwd=config.cwd
        )
        errlog: TextIO = sys.stderr
        path = self._log_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            errlog = path.open("w", encoding="utf-8", errors="replace")
        return stdio_client(params, errlog=errlog), errlog

    def _start_error(self, exc: BaseException | None) -> ServerStartError:
        if isinstance(exc, ImportError):
            # Ours, not the server's: the MCP SDK (or what it needs) is missing here.
            log.error("the MCP SDK cannot be imported", exc_info=exc)
            reason = _(
                "DeskChat's support for tool servers is incomplete in this installation "
                "({error}); reinstall DeskChat"
            ).format(error=exc)
        elif isinstance(exc, FileNotFoundError):
            reason = _("the program {command} was not found").format(command=self.config.command)
        elif isinstance(exc, PermissionError):
            reason = _("the program {command} may not be run").format(command=self.config.command)
        elif exc is not None and self.config.kind == "http":
            reason = _("its address did not answer as an MCP server ({error})").format(
                error=_brief(exc)
            )
        else:
            reason = _("it closed before completing the handshake")
        return ServerStartError(
            _("The tool server “{name}” could not be started: {reason}.{where}").format(
                name=self.name, reason=reason, where=self._log_hint()
            )
        )


def _settle(ready: asyncio.Future[None], exc: BaseException) -> None:
    if not ready.done():
        ready.set_exception(exc)


def _brief(exc: BaseException) -> str:
    # anyio wraps the real failure in an ExceptionGroup; show the innermost one.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _seconds(timeout: float | None) -> str:
    return f"{timeout:g}" if timeout is not None else "?"


async def _list_all(client: Client) -> list[RemoteTool]:
    """Every tool the server lists, following its pages (at most 100 of them)."""
    tools: list[RemoteTool] = []
    cursor: str | None = None
    for _page in range(100):
        listed = await client.list_tools(cursor=cursor)
        tools.extend(_remote(tool) for tool in listed.tools)
        cursor = listed.next_cursor
        if not cursor:
            break
    return tools


def _remote(tool: Any) -> RemoteTool:
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
    return RemoteTool(name=str(tool.name), description=str(tool.description or ""), schema=schema)
