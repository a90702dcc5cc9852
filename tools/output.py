"""A tool's result as the text that goes back to the model and into the history.

Tool output is untrusted text from another program: it is capped at a size a
model's context can take (a hostile or careless server can answer with
megabytes), and anything that is not text is described, never passed on raw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from deskchat.i18n import _, number

__all__ = ["OUTPUT_LIMIT", "ToolOutput", "cap", "output_from_result"]

OUTPUT_LIMIT = 50_000
"""Characters of one tool result kept; the rest is cut with a note saying so."""


@dataclass(frozen=True)
class ToolOutput:
    """What a tool answered.

    Attributes:
        text: its output as text, already capped.
        is_error: the tool reported a failure (the model still reads the text).
        cut: characters left out by the cap.
    """

    text: str
    is_error: bool = False
    cut: int = 0


def cap(text: str, limit: int = OUTPUT_LIMIT) -> tuple[str, int]:
    """``text`` cut at ``limit`` characters with a note; and how many were left out."""
    if len(text) <= limit:
        return text, 0
    left_out = len(text) - limit
    note = _("[The tool's output was cut here: {n} more characters were left out.]").format(
        n=number(left_out)
    )
    return text[:limit] + "\n" + note, left_out


def output_from_result(result: Any, limit: int = OUTPUT_LIMIT) -> ToolOutput:
    """The text of an MCP ``CallToolResult``: its text parts, the rest described."""
    parts: list[str] = []
    for item in getattr(result, "content", None) or []:
        parts.append(_describe(item))
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    text, cut = cap("\n".join(parts), limit)
    return ToolOutput(text=text, is_error=bool(getattr(result, "is_error", False)), cut=cut)


def _describe(item: Any) -> str:
    kind = getattr(item, "type", "")
    if kind == "text":
        return str(getattr(item, "text", ""))
    if kind in ("image", "audio"):
        mime = getattr(item, "mime_type", "") or kind
        size = len(getattr(item, "data", "") or "") * 3 // 4
        return _("[{kind} ({mime}, about {n} bytes), not shown]").format(
            kind=kind, mime=mime, n=number(size)
        )
    if kind == "resource":
        resource = getattr(item, "resource", None)
        text = getattr(resource, "text", None)
        if isinstance(text, str):
            return text
        return _("[a file {uri}, not shown]").format(uri=getattr(resource, "uri", ""))
    if kind == "resource_link":
        return _("[a link to {uri}]").format(uri=getattr(item, "uri", ""))
    return _("[content of type {kind}, not shown]").format(kind=kind or "?")
