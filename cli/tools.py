"""``deskchat ask --tools`` and ``deskchat tools``: MCP servers from the command line.

``ask --tools`` offers the tools of the servers enabled in ``mcp.json`` and asks
on the terminal before each call, showing the tool, its server and the full
arguments; ``--yes`` approves every call of that run. With no terminal to ask
and no ``--yes``, every call is denied and stderr says why. ``deskchat tools``
lists the servers and, with ``--start``, starts them to list their tools.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from deskchat.i18n import _
from deskchat.paths import data_dir

from . import terminal

if TYPE_CHECKING:
    # asyncio is imported where it is used: the bare `deskchat` loads this module on
    # the way to the window, whose first frame must not wait for asyncio.
    from deskchat.chat.tools_loop import ChatTools, Decision, ToolRequest
    from deskchat.tools import McpTools

__all__ = ["add_ask_arguments", "add_commands", "open_tools", "terminal_approver"]


def add_ask_arguments(ask: argparse.ArgumentParser) -> None:
    ask.add_argument(
        "--tools",
        action="store_true",
        help=_(
            "let the model call the tools of the MCP servers enabled in mcp.json (in the "
            "data folder); each call is asked about on the terminal first"
        ),
    )
    ask.add_argument(
        "--yes",
        action="store_true",
        help=_("with --tools: run every tool call of this run without asking"),
    )


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Register ``tools`` on the main parser."""
    tools = commands.add_parser(
        "tools",
        parents=[common],
        help=_("list the MCP servers of mcp.json and their tools"),
        description=_(
            "List the MCP servers configured in mcp.json in the data folder, one a line "
            "(NAME<tab>STATE<tab>COMMAND OR URL). With --start, start the enabled ones "
            "and list each tool under its server (<tab>TOOL<tab>DESCRIPTION)."
        ),
    )
    tools.add_argument(
        "--start", action="store_true", help=_("start the enabled servers to list their tools")
    )
    terminal.add_output_arguments(tools)
    tools.set_defaults(func=run_tools)


def _config_file(folder: str | None) -> Path:
    from deskchat.tools import config_path

    return config_path(data_dir(folder))


def load_box(folder: str | None) -> McpTools:
    """The servers of ``mcp.json`` (none started yet).

    Raises:
        ToolConfigError: the file is broken (one sentence naming it).
    """
    from deskchat.tools import McpTools, load_servers

    servers = load_servers(_config_file(folder))
    return McpTools(servers, log_dir=data_dir(folder) / "logs")


@terminal.reports_errors
def run_tools(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    box = load_box(getattr(args, "data_dir", None))
    writer = terminal.writer_for(out, terminal.output_mode(args))
    if not box.configs:
        terminal.say(
            _("No MCP servers are configured; add them to {path}.").format(
                path=_config_file(getattr(args, "data_dir", None))
            )
        )
        return 0

    import asyncio

    async def listed() -> None:
        try:
            if args.start:
                await box.tools()
            for status in box.status():
                state = status.state if status.enabled else "disabled"
                writer.write(f"{status.name}\t{state}\t{status.where}\n")
                if status.problem:
                    writer.write(f"\t{status.problem}\n")
                for tool in status.tools:
                    first = tool.description.strip().splitlines()[0] if tool.description else ""
                    writer.write(f"\t{tool.name}\t{first}\n")
        finally:
            await box.aclose()

    asyncio.run(listed())
    writer.finish()
    return 0


async def open_tools(folder: str | None, *, yes: bool) -> tuple[ChatTools, McpTools]:
    """The tools for ``ask --tools`` and the servers' box (to close when done).

    The step limit and the tool timeout are the settings' (``tool_steps``,
    ``tool_timeout``), as in the window.
    """
    from deskchat.chat.tools_loop import ChatTools
    from deskchat.store import Settings, settings_path

    settings = Settings.load(settings_path(folder))
    box = load_box(folder)
    if not box.enabled:
        terminal.say(
            _("No MCP server is enabled; add one to {path}.").format(path=_config_file(folder))
        )
    approve = terminal_approver(yes=yes, interactive=sys.stdin.isatty() and sys.stderr.isatty())
    steps, time_limit = settings.tool_steps, float(settings.tool_timeout)
    return ChatTools(box, approve, steps=steps, time_limit=time_limit), box


def terminal_approver(
    *,
    yes: bool,
    interactive: bool,
    ask: Callable[[str], str] | None = None,
    err: TextIO | None = None,
) -> Callable[[ToolRequest], Awaitable[Decision]]:
    """Asks about each call on the terminal (stderr, then a line read from stdin)."""
    from deskchat.chat.tools_loop import Decision

    def show(text: str) -> None:
        stream = err or sys.stderr
        # The arguments and names come from the model and the server: shown, never obeyed.
        stream.write(terminal.neutralize(text))
        stream.flush()

    def read_line(prompt: str) -> str:
        # The prompt on stderr: stdout carries the reply alone.
        show(prompt)
        return sys.stdin.readline()

    async def approve(request: ToolRequest) -> Decision:
        use = request.use
        try:
            pretty = json.dumps(json.loads(use.arguments), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = use.arguments
        server = use.server or "?"
        show(
            _("The model wants to run the tool {tool} of the server {server} with:").format(
                tool=use.name, server=server
            )
            + "\n"
            + pretty
            + "\n"
        )
        if yes:
            show(_("Running it (--yes).") + "\n")
            return Decision.ONCE
        if not interactive:
            show(
                _(
                    "Denied: there is no terminal to ask; run with --yes to allow the tools "
                    "of this run."
                )
                + "\n"
            )
            return Decision.DENY
        prompt = _("Run it? [y] once, [a] always in this chat, [N] no: ")
        reader = ask or read_line
        import asyncio

        try:
            answer = await asyncio.get_running_loop().run_in_executor(None, reader, prompt)
        except EOFError:
            answer = ""
        if not answer.endswith("\n"):
            show("\n")
        choice = answer.strip().lower()
        if choice in ("a", "always"):
            return Decision.ALWAYS
        if choice in ("y", "yes"):
            return Decision.ONCE
        return Decision.DENY

    return approve
