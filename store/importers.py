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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskchat.i18n import N_, _

from .attachments import _BadAttachment, attachment_from_json, save_attachments
from .errors import BadImportFileError
from .export import EXPORT_FORMAT, EXPORT_VERSION
from .failures import store_error
from .import_files import load_import_file
from .models import ROLES, STATUSES, StoredAttachment
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
        notes: sentences worth showing after the count (which of several
            conversations.json files in a zip was read).
    """

    imported: list[int] = field(default_factory=list)
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Node:
    where: str
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
    attachments: list[StoredAttachment] = field(default_factory=list)


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
    title_chosen: bool | None = None
    """None: chosen when the file gives a title (another app's); a DeskChat export says."""


class _Bad(Exception):
    """A reason the file is malformed, worded for the user."""


# The largest INTEGER SQLite holds; a token count of 2**64 would not fit.
_MAX_COUNT = 2**63 - 1


# -- reading ------------------------------------------------------------------


def import_file(store: Store, path: str | Path) -> ImportResult:
    """Import a DeskChat export or a ChatGPT export, recognised by its content.

    Raises:
        BadImportFileError: the file is unreadable, too large or malformed
            anywhere; nothing was imported.
        StoreError: the history could not be written (disk full, locked, ...);
            nothing was imported.
    """
    loaded = load_import_file(path)
    data = loaded.data
    name = Path(path).name
    try:
        if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
            return import_deskchat(store, data, name=name)
        if isinstance(data, list) or (isinstance(data, dict) and "mapping" in data):
            result = import_chatgpt(store, data, name=name)
            if loaded.note:
                result.notes.append(loaded.note)
            return result
    except RecursionError as exc:
        # Parsed, but too deep to copy or hash (a structure just under json's own limit).
        raise BadImportFileError(
            _("{name} is nested too deeply to be a chat export; nothing was imported.").format(
                name=name
            )
        ) from exc
    raise BadImportFileError(
        _(
            "{name} is neither a DeskChat export nor a ChatGPT conversations.json; "
            "nothing was imported."
        ).format(name=name)
    )


# -- DeskChat JSON ----------------------------------------------------------------


def _need(cond: bool, why: str) -> None:
    if not cond:
        raise _Bad(why)


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _opt(v: Any, kind: type | tuple[type, ...]) -> bool:
    return v is None or (isinstance(v, kind) and not isinstance(v, bool))


def _key(v: Any) -> bool:
    """A message id: text, or a whole number (not true/false)."""
    return isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))


def _count(v: Any) -> bool:
    """A token count: null, or a whole number SQLite can hold."""
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= _MAX_COUNT)


def _label(key: Any) -> str:
    """A node's id as it can appear in a sentence: printable, short."""
    text = str(key).encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= 40 else text[:37] + "..."


def _unicode(text: str | None, where: str, what: str) -> None:
    """Refuse text SQLite and UTF-8 cannot hold: half of a surrogate pair ("\\ud83d")."""
    if text is None:
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        half = ord(text[exc.start])
        raise _Bad(
            _(
                "{where} has {what} that is not valid Unicode (a lone surrogate, U+{half:04X})"
            ).format(where=where, what=what, half=half)
        ) from exc


def _check(conv: _Conv, where: str) -> _Conv:
    """The checks both formats share: text, params and token counts SQLite can keep."""
    for what, text in (
        (_("a title"), conv.title),
        (_("a source"), conv.source),
        (_("a source id"), conv.source_id),
        (_("a provider"), conv.provider),
        (_("a model"), conv.model),
        (_("a system prompt"), conv.system_prompt),
    ):
        _unicode(text, where, what)
    try:
        json.dumps(conv.params, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Bad(
            _("{where} has params that are not valid Unicode (a lone surrogate)").format(
                where=where
            )
        ) from exc
    except ValueError as exc:
        raise _Bad(
            _("{where} has params holding NaN or Infinity, which JSON has not").format(where=where)
        ) from exc
    for node in conv.nodes:
        _unicode(node.content, node.where, "text")
        for what, text in (
            (_("a provider"), node.provider),
            (_("a model"), node.model),
            (_("an error"), node.error),
        ):
            _unicode(text, node.where, what)
        for key, count in (
            ("prompt_tokens", node.prompt_tokens),
            ("completion_tokens", node.completion_tokens),
        ):
            _need(
                _count(count),
                _("{where} has a {key} that is no token count").format(where=node.where, key=key),
            )
    conv.nodes = _in_tree_order(conv.nodes, where)
    return conv


def _in_tree_order(nodes: list[_Node], where: str) -> list[_Node]:
    """``nodes`` with every parent before its children, else in file order; linear.

    Exports list parents first, but a file need not: a message whose parent
    comes later waits, and follows its parent at once. Versions (siblings)
    keep their order in the file.
    """
    keys: set[Any] = set()
    for node in nodes:
        _need(
            node.key not in keys,
            _("{where} has the message id {label} twice").format(
                where=where, label=_label(node.key)
            ),
        )
        keys.add(node.key)
    placed: set[Any] = set()
    ordered: list[_Node] = []
    waiting: dict[Any, list[_Node]] = {}
    for node in nodes:
        if node.parent is not None and node.parent not in placed:
            waiting.setdefault(node.parent, []).append(node)
            continue
        ready = [node]
        while ready:
            done = ready.pop()
            ordered.append(done)
            placed.add(done.key)
            ready.extend(reversed(waiting.pop(done.key, [])))
    if waiting:
        missing = next((k for k in waiting if k not in keys), None)
        if missing is not None:
            raise _Bad(
                _("a message in {where} answers the message {label}, which is missing").format(
                    where=where, label=_label(missing)
                )
            )
        raise _Bad(_("the messages of {where} answer each other in a loop").format(where=where))
    return ordered


def _time(value: Any, where: str, what: str, fallback: float | None = None) -> float:
    """``value`` as seconds (milliseconds and the like recognised); ``fallback`` if absent.

    Without a fallback the time is required.
    """
    if value is None and fallback is not None:
        return fallback
    label = what if "time" in what else _("{what} time").format(what=what)
    _need(value is not None, _("{where} has no {label}").format(where=where, label=label))
    sound = seconds(value)
    if sound is None:
        if not _num(value):
            raise _Bad(
                _("{where} has a {label} that is not a number").format(where=where, label=label)
            )
        raise _Bad(
            _("{where} has a {label} ({describe}) that no calendar holds").format(
                where=where, label=label, describe=describe(value)
            )
        )
    return sound


def _parse_deskchat_conv(c: Any, n: int) -> _Conv:
    _need(isinstance(c, dict), _("conversation {n} is not an object").format(n=n))
    _need(
        isinstance(c.get("title", ""), str),
        _("conversation {n} has a title that is not text").format(n=n),
    )
    created = _time(c.get("created_at"), _("conversation {n}").format(n=n), "created_at")
    updated = _time(c.get("updated_at"), _("conversation {n}").format(n=n), "updated_at", created)
    messages = c.get("messages")
    _need(isinstance(messages, list), _("conversation {n} has no message list").format(n=n))
    for key in ("provider", "model", "system_prompt"):
        _need(
            _opt(c.get(key), str),
            _("conversation {n} has a {key} that is not text").format(n=n, key=key),
        )
    params = c.get("params") or {}
    _need(
        isinstance(params, dict),
        _("conversation {n} has params that are not an object").format(n=n),
    )
    nodes = []
    for i, m in enumerate(messages, 1):
        where = _("message {i} of conversation {n}").format(i=i, n=n)
        _need(isinstance(m, dict), _("{where} is not an object").format(where=where))
        _need(_key(m.get("id")), _("{where} has no id").format(where=where))
        parent = m.get("parent_id")
        _need(
            parent is None or _key(parent),
            _("{where} has a parent_id that is neither a message id nor null").format(where=where),
        )
        role = m.get("role")
        _need(
            role in ROLES,
            _("{where} has an unknown role {describe}").format(
                where=where, describe=describe(role)
            ),
        )
        _need(isinstance(m.get("content"), str), _("{where} has no text").format(where=where))
        status = m.get("status", "complete")
        _need(
            status in STATUSES,
            _("{where} has an unknown status {describe}").format(
                where=where, describe=describe(status)
            ),
        )
        for key in ("prompt_tokens", "completion_tokens"):
            _need(
                _count(m.get(key)),
                _("{where} has a {key} that is no token count").format(where=where, key=key),
            )
        for key in ("provider", "model", "error"):
            _need(
                _opt(m.get(key), str),
                _("{where} has a {key} that is not text").format(where=where, key=key),
            )
        files = m.get("attachments") or []
        _need(
            isinstance(files, list),
            _("{where} has attachments that are not a list").format(where=where),
        )
        try:
            attached = [attachment_from_json(a, where) for a in files]
        except _BadAttachment as exc:
            raise _Bad(str(exc)) from None
        nodes.append(
            _Node(
                where=where,
                key=m["id"],
                parent=parent,
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
                attachments=attached,
            )
        )
    source_id = c.get("source_id")
    if not isinstance(source_id, str) or not source_id:
        # An export without ids (hand-written): the content itself identifies it.
        source_id = hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()[:32]
    source = c.get("source")
    conv = _Conv(
        source=source if isinstance(source, str) and source else EXPORT_FORMAT,
        source_id=source_id,
        title=c.get("title", ""),
        title_chosen=chosen if isinstance(chosen := c.get("title_chosen"), bool) else None,
        created_at=created,
        updated_at=updated,
        nodes=nodes,
        provider=c.get("provider"),
        model=c.get("model"),
        system_prompt=c.get("system_prompt"),
        params=params,
    )
    return _check(conv, _("conversation {n}").format(n=n))


def import_deskchat(store: Store, data: Any, *, name: str = _("The file")) -> ImportResult:
    """Import the parsed content of a DeskChat JSON export."""
    try:
        _need(isinstance(data, dict), _("it is not a JSON object"))
        _need(data.get("format") == EXPORT_FORMAT, _("it is not a DeskChat export"))
        version = data.get("version")
        _need(
            isinstance(version, int) and not isinstance(version, bool),
            _("it has no format version"),
        )
        if version > EXPORT_VERSION:
            raise BadImportFileError(
                _(
                    "{name} was exported by a newer DeskChat (format {describe}); update "
                    "DeskChat to import it. Nothing was imported."
                ).format(name=name, describe=describe(version))
            )
        convs = data.get("conversations")
        _need(isinstance(convs, list), _("it has no conversation list"))
        parsed = [_parse_deskchat_conv(c, n) for n, c in enumerate(convs, 1)]
    except _Bad as exc:
        raise BadImportFileError(
            _("{name} cannot be imported because {exc}; nothing was imported.").format(
                name=name, exc=exc
            )
        ) from exc
    return _write(store, parsed, name)


# -- ChatGPT ----------------------------------------------------------------------


def _typed(value: Any, kind: type, where: str, what: str) -> Any:
    """``value`` if it is null or of ``kind``; else the file is malformed there."""
    _need(
        _opt(value, kind),
        _("{where} has {what} that is not {_KINDS}").format(
            where=where, what=what, _KINDS=_(_KINDS[kind])
        ),
    )
    return value


_KINDS: dict[type, str] = {dict: N_("an object"), list: N_("a list"), str: N_("text")}


def _chatgpt_text(content: dict[str, Any] | None, where: str) -> str:
    if content is None:
        return ""
    parts = _typed(content.get("parts"), list, where, _("content parts"))
    if parts is not None:
        # Non-text parts (images, files) are objects; keep the words only.
        return "\n".join(p for p in parts if isinstance(p, str)).strip()
    text = _typed(content.get("text"), str, where, _("a content text"))
    return text.strip() if text is not None else ""


@dataclass
class _ChatGPTNode:
    """One mapping node, its fields checked."""

    parent: str | None
    children: list[str]
    role: str | None = None
    to_tool: bool = False
    text: str = ""
    hidden: bool = False
    model: str | None = None
    create_time: Any = None


def _chatgpt_node(key: str, node: Any, n: int) -> _ChatGPTNode:
    where = _("node {label} of conversation {n}").format(label=_label(key), n=n)
    _need(isinstance(node, dict), _("{where} is not an object").format(where=where))
    parent = _typed(node.get("parent"), str, where, _("a parent"))
    children = _typed(node.get("children"), list, where, _("a children field"))
    _need(
        all(isinstance(ch, str) for ch in children or ()),
        _("{where} has a bad children list").format(where=where),
    )
    checked = _ChatGPTNode(parent, list(children or ()))
    msg = _typed(node.get("message"), dict, where, _("a message"))
    if msg is None:
        return checked
    author = _typed(msg.get("author"), dict, where, _("an author")) or {}
    meta = _typed(msg.get("metadata"), dict, where, "metadata") or {}
    checked.role = _typed(author.get("role"), str, where, _("an author role"))
    # A tool call is the assistant writing to a tool ("python", "browser"), not to the user.
    recipient = _typed(msg.get("recipient"), str, where, _("a recipient"))
    checked.to_tool = recipient not in (None, "all")
    checked.text = _chatgpt_text(_typed(msg.get("content"), dict, where, "content"), where)
    checked.hidden = bool(meta.get("is_visually_hidden_from_conversation"))
    checked.model = _typed(meta.get("model_slug"), str, where, _("a model_slug"))
    checked.create_time = msg.get("create_time")
    return checked


def _parse_chatgpt_conv(c: Any, n: int) -> _Conv:
    _need(isinstance(c, dict), _("conversation {n} is not an object").format(n=n))
    mapping = c.get("mapping")
    _need(isinstance(mapping, dict), _("conversation {n} has no message mapping").format(n=n))
    cid = c.get("conversation_id") or c.get("id")
    _need(isinstance(cid, str) and bool(cid), _("conversation {n} has no id").format(n=n))
    title = _typed(c.get("title"), str, _("conversation {n}").format(n=n), _("a title"))
    created = _time(c.get("create_time"), _("conversation {n}").format(n=n), "create_time", 0.0)
    updated = _time(c.get("update_time"), _("conversation {n}").format(n=n), "update_time", created)
    tree = {key: _chatgpt_node(key, node, n) for key, node in mapping.items()}

    on_path: set[str] = set()
    cur = _typed(c.get("current_node"), str, _("conversation {n}").format(n=n), _("a current_node"))
    while cur is not None and cur in tree and cur not in on_path:
        on_path.add(cur)
        cur = tree[cur].parent

    nodes: list[_Node] = []
    model = None
    roots = [k for k, v in tree.items() if v.parent not in tree]
    # A node is reached through its parent's children list, or failing that (a list
    # that left it out) through its own parent field.
    listed = {key: set(checked.children) for key, checked in tree.items()}
    unlisted: dict[str, list[str]] = {}
    for key, checked in tree.items():
        parent = checked.parent
        if parent is not None and parent in tree and key not in listed[parent]:
            unlisted.setdefault(parent, []).append(key)
    # Depth-first from each root, children in order; skipped nodes (the empty
    # root, hidden system prompts, tool calls) pass their children upward.
    stack: list[tuple[str, str | None]] = [(k, None) for k in reversed(roots)]
    seen: set[str] = set()
    while stack:
        key, kept_parent = stack.pop()
        if key in seen or key not in tree:
            continue
        seen.add(key)
        node = tree[key]
        parent_for_children = kept_parent
        if node.role in ROLES and node.text and not node.hidden and not node.to_tool:
            role = node.role
            model = node.model or model
            where = _("node {label} of conversation {n}").format(label=_label(key), n=n)
            nodes.append(
                _Node(
                    where=where,
                    key=key,
                    parent=kept_parent,
                    role=role,
                    content=node.text,
                    created_at=_time(node.create_time, where, "create_time", created),
                    active=key in on_path,
                    provider="chatgpt" if role == "assistant" else None,
                    model=node.model if role == "assistant" else None,
                )
            )
            parent_for_children = key
        children = node.children + unlisted.get(key, [])
        stack.extend((ch, parent_for_children) for ch in reversed(children))
    lost = next((k for k in tree if k not in seen), None)
    if lost is not None:
        # Only a loop of parents keeps a node from every root: say so rather than
        # import the conversation without those messages (or empty).
        raise _Bad(
            _(
                "the messages of conversation {n} answer each other in a loop (node "
                "{label} is one of them)"
            ).format(n=n, label=_label(lost))
        )
    conv = _Conv(
        source="chatgpt",
        source_id=cid,
        title=" ".join(title.split()) if title is not None else "",
        created_at=created,
        updated_at=updated,
        nodes=nodes,
        provider="chatgpt",
        model=model,
    )
    return _check(conv, _("conversation {n}").format(n=n))


def import_chatgpt(store: Store, data: Any, *, name: str = _("The file")) -> ImportResult:
    """Import the parsed content of a ChatGPT ``conversations.json``."""
    try:
        if isinstance(data, dict):
            data = [data]
        _need(isinstance(data, list), _("it is not a list of conversations"))
        parsed = [_parse_chatgpt_conv(c, n) for n, c in enumerate(data, 1)]
    except _Bad as exc:
        raise BadImportFileError(
            _("{name} cannot be imported because {exc}; nothing was imported.").format(
                name=name, exc=exc
            )
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
            _("{name} cannot be imported because {exc}; nothing was imported.").format(
                name=name, exc=exc
            )
        ) from exc
    except (sqlite3.Error, OSError) as exc:
        error = store_error(
            exc, _("import {name} (nothing was imported)").format(name=name), waited=store.lock_wait
        )
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
        " system_prompt, params, source, source_id, title_chosen)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
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
            # A title the file brings was chosen there; without one, the first question's.
            bool(conv.title) if conv.title_chosen is None else conv.title_chosen,
        ),
    )
    cid = cur.lastrowid
    ids: dict[Any, int] = {}
    groups: dict[int | None, list[tuple[int, bool]]] = {}
    for node in conv.nodes:  # parents first: _in_tree_order saw to that
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
        ids[node.key] = cur.lastrowid
        save_attachments(conn, cur.lastrowid, node.attachments)
        groups.setdefault(parent, []).append((cur.lastrowid, node.active))
    # Exactly one selected version per set of siblings: the marked one, else the newest.
    for members in groups.values():
        chosen = [mid for mid, active in members if active]
        pick = chosen[-1] if chosen else members[-1][0]
        conn.execute("UPDATE messages SET active = 1 WHERE id = ?", (pick,))
    return int(cid)
