"""Exporting conversations to Markdown (to read) and JSON (to keep or re-import).

The JSON format is documented in docs/export-format.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from deskchat.i18n import _

from .attachments import attachment_to_json
from .failures import os_error
from .models import Conversation, Message, StoredAttachment
from .private import FILE_MODE, make_private_folder, write_private
from .store import Store
from .times import shown

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "export_json",
    "export_markdown",
    "to_json_data",
    "to_markdown",
    "write_export",
]

EXPORT_FORMAT = "deskchat"
EXPORT_VERSION = 1
_ROLE_HEADINGS = {"user": "You", "assistant": "Assistant", "system": "System"}
_MESSAGE_FIELDS = (
    "id",
    "parent_id",
    "role",
    "content",
    "created_at",
    "provider",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "status",
    "error",
    "active",
)


def _conversations(store: Store, ids: Iterable[int] | None) -> list[Conversation]:
    if ids is None:
        return list(reversed(store.list_conversations()))
    return [store.get_conversation(i) for i in ids]


def to_json_data(store: Store, conversation_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """The export as plain data: all conversations (not in the bin) or the given ones."""
    out = []
    for conv in _conversations(store, conversation_ids):
        data = asdict(conv)
        data.pop("deleted_at")
        data["messages"] = [_message_data(m) for m in store.all_messages(conv.id)]
        out.append(data)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": time.time(),
        "conversations": out,
    }


def _message_data(message: Message) -> dict[str, Any]:
    data = {k: v for k, v in asdict(message).items() if k in _MESSAGE_FIELDS}
    if message.tools:
        # Only for replies that called tools: older exports stay as they were.
        data["tools"] = [dict(t) for t in message.tools]
    if message.attachments:
        # Only for messages with files: the bytes as base64, so an import restores them.
        data["attachments"] = [attachment_to_json(a) for a in message.attachments]
    return data


def export_json(store: Store, conversation_ids: Iterable[int] | None = None) -> str:
    """The export as JSON text (UTF-8, indented)."""
    data = to_json_data(store, conversation_ids)
    # allow_nan=False: NaN and Infinity are not JSON; the store never holds them.
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _message_markdown(msg: Message, files: dict[str, str] | None = None) -> str:
    heading = _ROLE_HEADINGS.get(msg.role, msg.role)
    if msg.role == "assistant" and msg.model:
        heading += f" ({msg.model})"
    notes = {
        "streaming": "*(interrupted)*",
        "stopped": "*(stopped)*",
        "error": f"*(error: {msg.error or 'unknown'})*",
    }
    body = msg.content.rstrip()
    calls = "\n".join(_tool_markdown(t) for t in msg.tools)
    if calls:
        body = f"{calls}\n{body}" if body else calls
    note = notes.get(msg.status)
    if note:
        body = f"{body}\n\n{note}" if body else note
    attached = "\n".join(_attachment_markdown(a, files) for a in msg.attachments)
    if attached:
        body = f"{attached}\n\n{body}" if body else attached
    return f"### {heading}\n\n{body}\n"


def _attachment_markdown(item: StoredAttachment, files: dict[str, str] | None) -> str:
    """A link to the file written beside the export, or a note when there is none."""
    where = (files or {}).get(item.sha256)
    if where is None:
        return f"*(attached: {item.name}, {item.size} bytes)*"
    if item.kind == "image":
        return f"![{_label(item.name)}]({where})"
    return f"*(attached: [{_label(item.name)}]({where}))*"


def _label(name: str) -> str:
    return re.sub(r"[\[\]\\\n]", "_", name)


def _file_name(item: StoredAttachment) -> str:
    """A safe, unique name for an attachment's file: its digest's start, then its own name."""
    safe = re.sub(r"[^\w.\- ]", "_", item.name).strip(". ") or "file"
    if item.kind == "pdf":
        safe += ".txt"  # What was kept is the PDF's text.
    return f"{item.sha256[:12]}-{safe}"


def _write_files(store: Store, ids: list[int] | None, folder: Path) -> dict[str, str]:
    """Write each attachment on the exported paths into ``folder``; digest -> relative path."""
    written: dict[str, str] = {}
    for conv in _conversations(store, ids):
        for message in store.current_path(conv.id):
            for item in message.attachments:
                if item.sha256 in written:
                    continue
                if not written:
                    make_private_folder(folder)
                target = folder / _file_name(item)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(item.data)
                written[item.sha256] = f"{folder.name}/{target.name}"
    return written


def _fence(text: str, info: str = "") -> str:
    """``text`` in a code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}\n"


def _tool_markdown(call: dict[str, Any]) -> str:
    name, server = call.get("name", "?"), call.get("server", "")
    status = call.get("status", "")
    where = f" on {server}" if server else ""
    head = f"> **Tool call** `{name}`{where}: {status}\n"
    arguments = _fence(str(call.get("arguments", "")), "json")
    output = call.get("output")
    result = f"Result:\n\n{_fence(str(output))}" if output else ""
    return f"{head}\n{arguments}\n{result}"


def to_markdown(store: Store, conversation_ids: Iterable[int] | None = None) -> str:
    """The current path of each conversation as Markdown (other versions are left out).

    An attachment is a note with its name and size; :func:`write_export` writes
    the files beside the Markdown and links them.
    """
    return _markdown(store, conversation_ids, None)


def _markdown(
    store: Store, conversation_ids: Iterable[int] | None, files: dict[str, str] | None
) -> str:
    """:func:`to_markdown`, each attachment linked where ``files`` says (digest -> path)."""
    parts = []
    for conv in _conversations(store, conversation_ids):
        stamp = shown(conv.created_at)
        lines = [f"# {conv.title or 'Untitled conversation'}\n", f"*{stamp}*\n"]
        if conv.system_prompt:
            lines.append(f"> System prompt: {conv.system_prompt}\n")
        lines.extend(_message_markdown(m, files) for m in store.current_path(conv.id))
        parts.append("\n".join(lines))
    return "\n---\n\n".join(parts)


def export_markdown(store: Store, conversation_ids: Iterable[int] | None = None) -> str:
    """Alias of :func:`to_markdown`, named like :func:`export_json`."""
    return to_markdown(store, conversation_ids)


def write_export(
    store: Store,
    path: str | Path,
    conversation_ids: Iterable[int] | None = None,
    *,
    fmt: str | None = None,
) -> Path:
    """Write an export file; the format is ``fmt`` ("json"/"markdown") or the suffix.

    The file appears whole or not at all: it is written beside the target
    first and renamed over it, so an older export there survives a failure.
    A Markdown export's attachments are files in ``<name>_files/`` beside it.

    Raises:
        StoreError: the file could not be written (a full or read-only disk, a
            missing folder); nothing is left behind.
    """
    path = Path(path)
    kind = fmt or ("json" if path.suffix.lower() == ".json" else "markdown")
    ids = None if conversation_ids is None else list(conversation_ids)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if kind == "json":
            text = export_json(store, ids)
        else:
            files = _write_files(store, ids, path.with_name(path.stem + "_files"))
            text = _markdown(store, ids, files)
        # Private from the first byte: the export holds the user's chats.
        with write_private(tmp) as fh:
            fh.write(text)
            fh.flush()
            # A full disk may say so only now (NFS, some FUSE file systems), not at write().
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # Named after the file the user chose, not the temporary one beside it.
        raise os_error(
            OSError(exc.errno, exc.strerror), _("write {path}").format(path=path)
        ) from exc
    return path
