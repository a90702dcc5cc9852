"""How a reply's tool calls read on screen: one compact line per call, and the details.

Qt-free: the footer under a reply (:mod:`chat.footer`) shows :func:`tool_summary`,
and the window's "Tool calls" dialog shows :func:`pretty_arguments` and the output.
Names and output come from the model and the servers: plain text, never markup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from deskchat.i18n import N_, _

from .tool_uses import ToolStatus, ToolUse

__all__ = ["STATUS_WORDS", "pretty_arguments", "tool_line", "tool_summary"]

STATUS_WORDS: dict[ToolStatus, str] = {
    "pending": N_("waiting for your approval"),
    "running": N_("running"),
    "ok": N_("ran"),
    "error": N_("failed"),
    "denied": N_("denied"),
    "timeout": N_("timed out"),
    "stopped": N_("stopped"),
    "skipped": N_("not run (step limit)"),
}


def tool_line(use: ToolUse) -> str:
    """``⚙ server · tool — ran``: one call as the footer shows it."""
    name = use.tool or use.name
    where = f"{use.server} · {name}" if use.server else name
    word = STATUS_WORDS.get(use.status)
    return f"⚙ {where} — {_(word) if word else use.status}"


def tool_summary(uses: Sequence[ToolUse]) -> str:
    """Every call of a reply, a line each ("" for none)."""
    return "\n".join(tool_line(use) for use in uses)


def pretty_arguments(arguments: str) -> str:
    """The arguments as indented JSON; as written when they are not JSON."""
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments
