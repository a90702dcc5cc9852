"""Files attached to messages: saved once by their sha256, read back with their messages.

The tables are schema v8's (:mod:`deskchat.store.schema`): ``attachment_blobs``
holds each file's bytes once, ``message_attachments`` which message uses
which, in order. A trigger deletes the bytes with the last message using them.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from deskchat.i18n import _

from .models import Message, StoredAttachment

__all__ = ["attachment_from_json", "attachment_to_json", "save_attachments", "with_attachments"]

KINDS = ("image", "text", "pdf")

_READ = """
    SELECT a.message_id, a.name, a.size, b.sha256, b.kind, b.mime, b.info, b.data
    FROM message_attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256
    WHERE a.message_id IN (SELECT value FROM json_each(?))
    ORDER BY a.message_id, a.position
"""


def save_attachments(
    conn: sqlite3.Connection, message_id: int, items: Sequence[StoredAttachment]
) -> None:
    """Link ``items`` to ``message_id`` in order; bytes not stored yet are stored (in a write)."""
    for position, item in enumerate(items):
        conn.execute(
            "INSERT OR IGNORE INTO attachment_blobs (sha256, kind, mime, info, data)"
            " VALUES (?,?,?,?,?)",
            (item.sha256, item.kind, item.mime, json.dumps(item.info), item.data),
        )
        conn.execute(
            "INSERT INTO message_attachments (message_id, position, sha256, name, size)"
            " VALUES (?,?,?,?,?)",
            (message_id, position, item.sha256, item.name, item.size),
        )


def with_attachments(conn: sqlite3.Connection, messages: Iterable[Message]) -> list[Message]:
    """``messages`` with their attachments filled in (one query for all of them)."""
    messages = list(messages)
    if not messages:
        return messages
    found: dict[int, list[StoredAttachment]] = {}
    ids = json.dumps([m.id for m in messages])
    for row in conn.execute(_READ, (ids,)):
        found.setdefault(row[0], []).append(
            StoredAttachment(
                sha256=row[3],
                name=row[1],
                kind=row[4],
                mime=row[5],
                data=bytes(row[7]),
                size=row[2],
                info=_info(row[6]),
            )
        )
    if not found:
        return messages
    return [
        dataclasses.replace(m, attachments=tuple(found[m.id])) if m.id in found else m
        for m in messages
    ]


def _info(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def attachment_to_json(item: StoredAttachment) -> dict[str, Any]:
    """An attachment for a JSON export: its bytes as base64, so the export restores it."""
    return {
        "name": item.name,
        "kind": item.kind,
        "mime": item.mime,
        "size": item.size,
        "sha256": item.sha256,
        "info": dict(item.info),
        "data": base64.b64encode(item.data).decode("ascii"),
    }


class _BadAttachment(ValueError):
    """An attachment in an import file that is not one; the message says what is wrong."""


def attachment_from_json(value: Any, where: str) -> StoredAttachment:
    """An attachment read back from an export (its sha256 checked against its bytes)."""
    if not isinstance(value, dict):
        raise _BadAttachment(
            _("{where} has an attachment that is not an object").format(where=where)
        )
    name, kind, mime = value.get("name"), value.get("kind"), value.get("mime")
    if not isinstance(name, str) or kind not in KINDS or not isinstance(mime, str):
        raise _BadAttachment(
            _("{where} has an attachment without a name, kind or type").format(where=where)
        )
    try:
        data = base64.b64decode(str(value.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise _BadAttachment(
            _("{where} has an attachment whose data is not base64").format(where=where)
        ) from None
    import hashlib  # here, not at import: _hashlib maps ~0.7 MiB the window need not hold

    digest = hashlib.sha256(data).hexdigest()
    claimed = value.get("sha256")
    if claimed is not None and claimed != digest:
        raise _BadAttachment(
            _("{where} has an attachment whose bytes do not match its sha256").format(where=where)
        )
    size = value.get("size", len(data))
    info = value.get("info", {})
    return StoredAttachment(
        sha256=digest,
        name=name,
        kind=kind,
        mime=mime,
        data=data,
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0,
        info=info if isinstance(info, dict) else {},
    )
