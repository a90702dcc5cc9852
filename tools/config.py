"""``mcp.json``: the MCP servers DeskChat may use, in the ``mcpServers`` format.

The format is the one Claude Desktop, Cursor, LM Studio and Jan share::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@scope/server", "/home/me"],
                  "env": {"TOKEN": "${keyring}"}},
        "search": {"url": "https://example.com/mcp", "headers": {"Authorization": "${keyring}"},
                   "disabled": true}}}

A server runs a ``command`` with its ``args`` (never through a shell: the
program and each argument are passed to the OS as they are written) and
talks over its standard input and output, or is reached at a Streamable HTTP
``url``. A value of ``env`` or ``headers`` written as :data:`IN_KEYRING` is
kept in the system keyring instead of the file (:mod:`deskchat.tools.secrets`).
Keys DeskChat does not know are kept as they are when the file is written back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deskchat.i18n import _

from .errors import ToolConfigError

__all__ = [
    "CONFIG_NAME",
    "IN_KEYRING",
    "ServerConfig",
    "config_path",
    "dump_servers",
    "load_servers",
    "parse_servers",
    "save_servers",
]

CONFIG_NAME = "mcp.json"
IN_KEYRING = "${keyring}"
"""The value of an ``env`` or ``headers`` entry whose real value is in the keyring."""

_KNOWN = frozenset({"command", "args", "env", "cwd", "url", "headers", "disabled", "type"})


@dataclass(frozen=True)
class ServerConfig:
    """One MCP server as ``mcp.json`` describes it.

    Attributes:
        name: its key in ``mcpServers``; shown to the user and to the model.
        command, args: the program to start and its arguments (stdio servers).
        env: variables added to the server's environment.
        cwd: the folder it starts in (None: DeskChat's own).
        url, headers: the Streamable HTTP endpoint and the headers sent to it.
        disabled: listed but not used.
        extra: keys DeskChat does not know, written back unchanged.
    """

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    disabled: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> Literal["stdio", "http"]:
        return "http" if self.url else "stdio"

    @property
    def where(self) -> str:
        """What the server is, fit to show: its command line or its address."""
        if self.url:
            return self.url
        return " ".join([self.command or "", *self.args]).strip()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        if self.url:
            out["url"] = self.url
            if self.headers:
                out["headers"] = dict(self.headers)
        else:
            out["command"] = self.command
            if self.args:
                out["args"] = list(self.args)
            if self.env:
                out["env"] = dict(self.env)
            if self.cwd:
                out["cwd"] = self.cwd
        if self.disabled:
            out["disabled"] = True
        return out


def config_path(folder: Path) -> Path:
    """Where ``mcp.json`` lives in the data folder ``folder``."""
    return folder / CONFIG_NAME


def load_servers(path: Path) -> list[ServerConfig]:
    """The servers in ``path``; none when the file does not exist.

    Raises:
        ToolConfigError: the file cannot be read, is not JSON, or describes a
            server wrongly (the sentence names the file and the server).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolConfigError(
            _("DeskChat could not read {path} ({reason}); check the file.").format(
                path=path, reason=getattr(exc, "strerror", None) or exc
            )
        ) from exc
    try:
        payload = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise ToolConfigError(
            _("{path} is not valid JSON ({reason}); fix it or remove it.").format(
                path=path, reason=exc
            )
        ) from exc
    return parse_servers(payload, str(path))


def parse_servers(payload: Any, where: str = CONFIG_NAME) -> list[ServerConfig]:
    """The servers of a parsed ``mcp.json`` (``{"mcpServers": {...}}``)."""
    if not isinstance(payload, dict):
        raise ToolConfigError(
            _('{where} must hold an object with "mcpServers" in it.').format(where=where)
        )
    servers = payload.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise ToolConfigError(
            _('"mcpServers" in {where} must be an object of servers by name.').format(where=where)
        )
    return [_server(name, spec, where) for name, spec in servers.items()]


def _server(name: str, spec: Any, where: str) -> ServerConfig:
    def wrong(what: str) -> ToolConfigError:
        return ToolConfigError(
            _("The server “{name}” in {where}: {what}").format(name=name, where=where, what=what)
        )

    if not name.strip():
        raise ToolConfigError(_("A server in {where} has an empty name.").format(where=where))
    if not isinstance(spec, dict):
        raise wrong(_("it must be an object with a command or a url."))
    kind = spec.get("type")
    if kind == "sse":
        raise wrong(_("the old SSE transport is not supported; use its Streamable HTTP url."))
    command, url = spec.get("command"), spec.get("url")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise wrong(_("the url must start with http:// or https://."))
    elif not isinstance(command, str) or not command.strip():
        raise wrong(_("it needs a command to run or a url to reach."))
    args = spec.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise wrong(_("args must be a list of strings."))
    disabled = spec.get("disabled", False)
    if not isinstance(disabled, bool):
        raise wrong(_("disabled must be true or false."))
    cwd = spec.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise wrong(_("cwd must be a folder's path."))
    return ServerConfig(
        name=name,
        command=command if url is None else None,
        args=tuple(args),
        env=_strings(spec.get("env", {}), "env", wrong),
        cwd=cwd,
        url=url,
        headers=_strings(spec.get("headers", {}), "headers", wrong),
        disabled=disabled,
        extra={k: v for k, v in spec.items() if k not in _KNOWN},
    )


def _strings(value: Any, key: str, wrong: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise wrong(_("{key} must map names to strings.").format(key=key))
    return dict(value)


def dump_servers(servers: Sequence[ServerConfig], base: Mapping[str, Any] | None = None) -> str:
    """The text of an ``mcp.json`` holding ``servers`` (other top-level keys of ``base`` kept)."""
    payload = dict(base or {})
    payload["mcpServers"] = {s.name: s.as_json() for s in servers}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def save_servers(path: Path, servers: Sequence[ServerConfig]) -> None:
    """Write ``servers`` to ``path`` (atomically; top-level keys of the old file kept)."""
    base: dict[str, Any] = {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(old, dict):
            base = old
    except (OSError, ValueError):
        pass
    text = dump_servers(servers, base)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        raise ToolConfigError(
            _("DeskChat could not save {path} ({reason}).").format(
                path=path, reason=exc.strerror or exc
            )
        ) from exc
