"""A streaming reply's text saved in pieces, so each save writes only what is new.

Rewriting ``messages.content`` at every save wrote the whole reply again: five
times a second, 4 MB each at the end of a 4 MB reply, on a thread that shares
the GIL and the cores with the window. While a reply streams, each save adds
the text that arrived since the last one as a row of ``reply_pieces``; the row
of the message keeps the text it had when it started (or was resumed). The
reply's final save writes the whole text to ``messages.content`` once and drops
its pieces.

Whoever reads a reply still marked 'streaming' (this window, another DeskChat
process, the next start after a crash) gets the text and its pieces joined:
:func:`joined` is applied where the store reads messages.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence

from .models import Message

__all__ = ["append", "drop", "fold", "joined"]


def append(conn: sqlite3.Connection, message_id: int, text: str) -> None:
    """Add ``text`` after the reply's saved text; nothing if the row is gone (deleted
    while it streamed: it stays deleted)."""
    conn.execute(
        "INSERT INTO reply_pieces (message_id, text)"
        " SELECT ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)",
        (message_id, text, message_id),
    )


def drop(conn: sqlite3.Connection, message_id: int) -> None:
    """Forget the reply's pieces (its whole text has just been written to its row)."""
    conn.execute("DELETE FROM reply_pieces WHERE message_id = ?", (message_id,))


def fold(conn: sqlite3.Connection, message_id: int) -> None:
    """Write the reply's pieces into its row and drop them: its status is about to
    change, and only a streaming reply's pieces are read."""
    texts = [
        row[0]
        for row in conn.execute(
            "SELECT text FROM reply_pieces WHERE message_id = ? ORDER BY id", (message_id,)
        )
    ]
    if texts:
        conn.execute(
            "UPDATE messages SET content = content || ? WHERE id = ?",
            ("".join(texts), message_id),
        )
        drop(conn, message_id)


def joined(conn: sqlite3.Connection, messages: Sequence[Message]) -> list[Message]:
    """``messages`` with each streaming reply's pieces joined to its text."""
    streaming = [m.id for m in messages if m.status == "streaming"]
    if not streaming:
        return list(messages)
    marks = ", ".join("?" * len(streaming))
    pieces: dict[int, list[str]] = {}
    for message_id, text in conn.execute(
        f"SELECT message_id, text FROM reply_pieces WHERE message_id IN ({marks})"
        " ORDER BY message_id, id",
        streaming,
    ):
        pieces.setdefault(message_id, []).append(text)
    if not pieces:
        return list(messages)
    return [
        dataclasses.replace(m, content=m.content + "".join(pieces[m.id])) if m.id in pieces else m
        for m in messages
    ]
