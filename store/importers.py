"""Importing DeskChat JSON exports and ChatGPT data exports (conversations.json).

An import is all or nothing: the whole file is checked first and written in one
transaction, so a bad file changes nothing. Each conversation remembers where
it came from (source + source_id), so importing a file again adds no copies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadImportFileError
from .export import EXPORT_FORMAT, EXPORT_VERSION
from .failures import store_error
from .models import ROLES, STATUSES
from .store import Store
from .times import describe, seconds

__all__ = ["ImportResult", "import_chatgpt", "import_deskchat", "import_file", "load_import_file"]

log = logging.getLogger("deskchat.store")


@dataclass
class ImportResult:
    """What an import did.

    Attributes:
        imported: ids of the conversations added.
        skipped: how many were already there (imported before).
    """

    imported: list[int] = field(default_factory=list)
    skipped: int = 0


@dataclass
class _Node:
    key: Any
    parent: Any
    role: str
    content: str
    created_at: float
    active: bool = False
    status: str = "complete"
    error: str | None = None
    provider: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class _Conv:
    source: str
    source_id: str
    title: str
    created_at: float
    updated_at: float
    nodes: list[_Node]
    provider: str | None = None
    model: str | None = None
    system_prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


class _Bad(Exception):
    """A reason the file is malformed, worded for the user."""


# -- reading ------------------------------------------------------------------


def load_import_file(path: str | Path) -> Any:
    """The parsed JSON of ``path`` (a .json file, or a ChatGPT .zip export)."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "conversations.json"]
                if not names:
                    raise BadImportFileError(
                        f"{path.name} is a zip file without a conversations.json inside, "
                        "so it is not a ChatGPT export."
                    )
                raw = zf.read(names[0])
        else:
            raw = path.read_bytes()
        return json.loads(raw.decode("utf-8-sig"))
    except BadImportFileError:
        raise
    except OSError as exc:
        raise BadImportFileError(
            f"DeskChat could not read {path.name}: {exc.strerror or exc}."
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile) as exc:
        raise BadImportFileError(
            f"{path.name} is not a JSON file DeskChat can read ({exc}); nothing was imported."
        ) from exc


def import_file(store: Store, path: str | Path) -> ImportResult:
    """Import a DeskChat export or a ChatGPT export, recognised by its content."""
    data = load_import_file(path)
    name = Path(path).name
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        return import_deskchat(store, data, name=name)
    if isinstance(data, list) or (isinstance(data, dict) and "mapping" in data):
        return import_chatgpt(store, data, name=name)
    raise BadImportFileError(
        f"{name} is neither a DeskChat export nor a ChatGPT conversations.json; "
        "nothing was imported."
    )


# -- DeskChat JSON ----------------------------------------------------------------


def _need(cond: bool, why: str) -> None:
    if not cond:
        raise _Bad(why)


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _opt(v: Any, kind: type | tuple[type, ...]) -> bool:
    return v is None or (isinstance(v, kind) and not isinstance(v, bool))


def _time(value: Any, where: str, what: str, fallback: float | None = None) -> float:
    """``value`` as seconds (milliseconds and the like recognised); ``fallback`` if absent.

    Without a fallback the time is required.
    """
    if value is None and fallback is not None:
        return fallback
    _need(value is not None, f"{where} has no {what} time")
    sound = seconds(value)
    if sound is None:
        if not _num(value):
            raise _Bad(f"{where} has a {what} time that is not a number")
        raise _Bad(f"{where} has a {what} time ({describe(value)}) that no calendar holds")
    return sound


def _parse_deskchat_conv(c: Any, n: int) -> _Conv:
    _need(isinstance(c, dict), f"conversation {n} is not an object")
    _need(isinstance(c.get("title", ""), str), f"conversation {n} has a title that is not text")
    created = _time(c.get("created_at"), f"conversation {n}", "created_at")
    updated = _time(c.get("updated_at"), f"conversation {n}", "updated_at", created)
    messages = c.get("messages")
    _need(isinstance(messages, list), f"conversation {n} has no message list")
    for key in ("provider", "model", "system_prompt"):
        _need(_opt(c.get(key), str), f"conversation {n} has a {key} that is not text")
    params = c.get("params") or {}
    _need(isinstance(params, dict), f"conversation {n} has params that are not an object")
    nodes = []
    for i, m in enumerate(messages, 1):
        where = f"message {i} of conversation {n}"
        _need(isinstance(m, dict), f"{where} is not an object")
        _need(isinstance(m.get("id"), int | str), f"{where} has no id")
        _need(m.get("role") in ROLES, f"{where} has an unknown role {m.get('role')!r}")
        _need(isinstance(m.get("content"), str), f"{where} has no text")
        status = m.get("status", "complete")
        _need(status in STATUSES, f"{where} has an unknown status {status!r}")
        for key in ("prompt_tokens", "completion_tokens"):
            _need(_opt(m.get(key), int), f"{where} has a {key} that is not a number")
        for key in ("provider", "model", "error"):
            _need(_opt(m.get(key), str), f"{where} has a {key} that is not text")
        nodes.append(
            _Node(
                key=m["id"],
                parent=m.get("parent_id"),
                role=m["role"],
                content=m["content"],
                created_at=_time(m.get("created_at"), where, "created_at", created),
                active=bool(m.get("active", True)),
                status=status,
                error=m.get("error"),
                provider=m.get("provider"),
                model=m.get("model"),
                prompt_tokens=m.get("prompt_tokens"),
                completion_tokens=m.get("completion_tokens"),
            )
        )
    source_id = c.get("source_id")
    if not isinstance(source_id, str) or not source_id:
        # An export without ids (hand-written): the content itself identifies it.
        source_id = hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()[:32]
    source = c.get("source")
    return _Conv(
        source=source if isinstance(source, str) and source else EXPORT_FORMAT,
        source_id=source_id,
        title=c.get("title", ""),
        created_at=created,
        updated_at=updated,
        nodes=nodes,
        provider=c.get("provider"),
        model=c.get("model"),
        system_prompt=c.get("system_prompt"),
        params=params,
    )


def import_deskchat(store: Store, data: Any, *, name: str = "The file") -> ImportResult:
    """Import the parsed content of a DeskChat JSON export."""
    try:
        _need(isinstance(data, dict), "it is not a JSON object")
        _need(data.get("format") == EXPORT_FORMAT, "it is not a DeskChat export")
        version = data.get("version")
        _need(isinstance(version, int), "it has no format version")
        if version > EXPORT_VERSION:
            raise BadImportFileError(
                f"{name} was exported by a newer DeskChat (format {version}); update DeskChat "
                "to import it. Nothing was imported."
            )
        convs = data.get("conversations")
        _need(isinstance(convs, list), "it has no conversation list")
        parsed = [_parse_deskchat_conv(c, n) for n, c in enumerate(convs, 1)]
    except _Bad as exc:
        raise BadImportFileError(
            f"{name} cannot be imported because {exc}; nothing was imported."
        ) from exc
    return _write(store, parsed, name)


# -- ChatGPT ----------------------------------------------------------------------


def _chatgpt_text(message: dict[str, Any]) -> str:
    content = message.get("content") or {}
    if not isinstance(content, dict):
        return ""
    parts = content.get("parts")
    if isinstance(parts, list):
        # Non-text parts (images, files) are dicts; keep the words only.
        return "\n".join(p for p in parts if isinstance(p, str)).strip()
    text = content.get("text")
    return text.strip() if isinstance(text, str) else ""


def _parse_chatgpt_conv(c: Any, n: int) -> _Conv:
    _need(isinstance(c, dict), f"conversation {n} is not an object")
    mapping = c.get("mapping")
    _need(isinstance(mapping, dict), f"conversation {n} has no message mapping")
    cid = c.get("conversation_id") or c.get("id")
    _need(isinstance(cid, str) and bool(cid), f"conversation {n} has no id")
    created = _time(c.get("create_time"), f"conversation {n}", "create_time", 0.0)
    updated = _time(c.get("update_time"), f"conversation {n}", "update_time", created)
    for key, node in mapping.items():
        _need(isinstance(node, dict), f"node {key} of conversation {n} is not an object")
        _need(
            isinstance(node.get("children", []), list),
            f"node {key} of conversation {n} has a bad children list",
        )
        _need(_opt(node.get("message"), dict), f"node {key} of conversation {n} is malformed")

    on_path: set[str] = set()
    cur = c.get("current_node")
    while isinstance(cur, str) and cur in mapping and cur not in on_path:
        on_path.add(cur)
        cur = mapping[cur].get("parent")

    nodes: list[_Node] = []
    model = None
    roots = [k for k, v in mapping.items() if v.get("parent") not in mapping]
    # Depth-first from each root, children in order; skipped nodes (the empty
    # root, hidden system prompts, tool calls) pass their children upward.
    stack: list[tuple[str, str | None]] = [(k, None) for k in reversed(roots)]
    seen: set[str] = set()
    while stack:
        key, kept_parent = stack.pop()
        if key in seen or key not in mapping:
            continue
        seen.add(key)
        node = mapping[key]
        msg = node.get("message")
        parent_for_children = kept_parent
        if msg is not None:
            role = (msg.get("author") or {}).get("role")
            text = _chatgpt_text(msg)
            hidden = bool((msg.get("metadata") or {}).get("is_visually_hidden_from_conversation"))
            if role in ROLES and text and not hidden:
                meta = msg.get("metadata") or {}
                slug = meta.get("model_slug") if isinstance(meta.get("model_slug"), str) else None
                model = slug or model
                where = f"node {key} of conversation {n}"
                t = _time(msg.get("create_time"), where, "create_time", created)
                nodes.append(
                    _Node(
                        key=key,
                        parent=kept_parent,
                        role=role,
                        content=text,
                        created_at=t,
                        active=key in on_path,
                        provider="chatgpt" if role == "assistant" else None,
                        model=slug if role == "assistant" else None,
                    )
                )
                parent_for_children = key
        children = [ch for ch in node.get("children", []) if isinstance(ch, str)]
        stack.extend((ch, parent_for_children) for ch in reversed(children))
    title = c.get("title")
    return _Conv(
        source="chatgpt",
        source_id=cid,
        title=" ".join(title.split()) if isinstance(title, str) else "",
        created_at=created,
        updated_at=updated,
        nodes=nodes,
        provider="chatgpt",
        model=model,
    )


def import_chatgpt(store: Store, data: Any, *, name: str = "The file") -> ImportResult:
    """Import the parsed content of a ChatGPT ``conversations.json``."""
    try:
        if isinstance(data, dict):
            data = [data]
        _need(isinstance(data, list), "it is not a list of conversations")
        parsed = [_parse_chatgpt_conv(c, n) for n, c in enumerate(data, 1)]
    except _Bad as exc:
        raise BadImportFileError(
            f"{name} cannot be imported because {exc}; nothing was imported."
        ) from exc
    return _write(store, parsed, name)


# -- writing --------------------------------------------------------------------


def _write(store: Store, convs: Iterable[_Conv], name: str) -> ImportResult:
    result = ImportResult()
    try:
        with store.transaction() as conn:
            for conv in convs:
                if store.find_conversation(conv.source, conv.source_id) is not None:
                    result.skipped += 1
                    continue
                result.imported.append(_write_conv(conn, conv))
    except _Bad as exc:
        raise BadImportFileError(
            f"{name} cannot be imported because {exc}; nothing was imported."
        ) from exc
    except (sqlite3.Error, OSError) as exc:
        error = store_error(exc, f"import {name} (nothing was imported)", waited=store.lock_wait)
        if error is None:
            raise
        raise error from exc
    log.info(
        "imported %d conversations from %s (%d already there)",
        len(result.imported),
        name,
        result.skipped,
    )
    return result


def _write_conv(conn: Any, conv: _Conv) -> int:
    cur = conn.execute(
        "INSERT INTO conversations (title, created_at, updated_at, provider, model,"
        " system_prompt, params, source, source_id) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            conv.title,
            conv.created_at,
            conv.updated_at,
            conv.provider,
            conv.model,
            conv.system_prompt,
            json.dumps(conv.params),
            conv.source,
            conv.source_id,
        ),
    )
    cid = cur.lastrowid
    ids: dict[Any, int] = {}
    groups: dict[int | None, list[tuple[int, bool]]] = {}
    pending = list(conv.nodes)
    # Parents first; exports list them first, but don't rely on it.
    while pending:
        left = []
        for node in pending:
            if node.parent is not None and node.parent not in ids:
                left.append(node)
                continue
            parent = None if node.parent is None else ids[node.parent]
            cur = conn.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, created_at,"
                " provider, model, prompt_tokens, completion_tokens, status, error, active)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,0)",
                (
                    cid,
                    parent,
                    node.role,
                    node.content,
                    node.created_at,
                    node.provider,
                    node.model,
                    node.prompt_tokens,
                    node.completion_tokens,
                    node.status,
                    node.error,
                ),
            )
            _need(node.key not in ids, f"message id {node.key!r} appears twice in {conv.title!r}")
            ids[node.key] = cur.lastrowid
            groups.setdefault(parent, []).append((cur.lastrowid, node.active))
        _need(
            len(left) < len(pending),
            f"a message in {conv.title or 'a conversation'!r} answers a message that is missing",
        )
        pending = left
    # Exactly one selected version per set of siblings: the marked one, else the newest.
    for members in groups.values():
        chosen = [mid for mid, active in members if active]
        pick = chosen[-1] if chosen else members[-1][0]
        conn.execute("UPDATE messages SET active = 1 WHERE id = ?", (pick,))
    return int(cid)
