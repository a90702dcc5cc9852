"""Full-text search: the index of words and stems, and hits with plain-text snippets.

The index (schema v5) is two contentless FTS5 tables, ``message_terms`` and
``title_terms``, whose rows hold the words of a message or title as
:mod:`store.terms` folds and stems them. SQL triggers cannot run Python, so they
only note what changed (``terms_pending``; ``terms_stale`` with the old text, to
take out); :func:`index_pending` does it at the end of each of the store's write
transactions. A reply
still streaming stays pending until it is finished: it is rewritten every
0.2 s and would be indexed again each time.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import replace

from .models import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit
from .query import parse
from .snippets import Matcher, make_snippet
from .terms import index_terms, split

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "fts_query",
    "index_all",
    "index_pending",
    "search",
]

log = logging.getLogger("deskchat.store")

_SNIPPET_WORDS = 16
_BATCH = 500

_TABLES = {"message": "message_terms", "title": "title_terms"}
_PENDING = {
    "message": (
        "SELECT m.id, m.content FROM terms_pending p JOIN messages m ON m.id = p.id"
        " WHERE p.kind = 'message' AND m.status != 'streaming'"
    ),
    "title": (
        "SELECT c.id, c.title FROM terms_pending p JOIN conversations c ON c.id = p.id"
        " WHERE p.kind = 'title'"
    ),
}
_ORPHANS = {
    "message": (
        "DELETE FROM terms_pending WHERE kind = 'message'"
        " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = terms_pending.id)"
    ),
    "title": (
        "DELETE FROM terms_pending WHERE kind = 'title'"
        " AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = terms_pending.id)"
    ),
}
_HAS_PENDING = (
    "SELECT EXISTS (SELECT 1 FROM terms_stale)"
    " OR EXISTS (SELECT 1 FROM terms_pending p JOIN messages m ON m.id = p.id"
    " WHERE p.kind = 'message' AND m.status != 'streaming')"
    " OR EXISTS (SELECT 1 FROM terms_pending WHERE kind = 'title')"
)


def _write(
    conn: sqlite3.Connection, kind: str, rows: Iterable[tuple[int, str]], *, delete: bool = False
) -> list[int]:
    """Add rows to the index (or, with ``delete``, take rows indexed from these texts out)."""
    table = _TABLES[kind]
    # Names are ours: two fixed statements per table. A contentless table takes a row
    # out given the words it was indexed with.
    if delete:
        sql = f"INSERT INTO {table} ({table}, rowid, words, stems) VALUES ('delete', ?, ?, ?)"
    else:
        sql = f"INSERT INTO {table} (rowid, words, stems) VALUES (?, ?, ?)"
    done = []
    for row_id, text in rows:
        terms = index_terms(text or "")
        conn.execute(sql, (row_id, terms.words, terms.stems))
        done.append(row_id)
    return done


def has_pending(conn: sqlite3.Connection) -> bool:
    """Whether :func:`index_pending` has anything to write."""
    return bool(conn.execute(_HAS_PENDING).fetchone()[0])


def index_pending(conn: sqlite3.Connection) -> int:
    """Bring the index up to date with what was written since; call inside a transaction.

    All or nothing: if it fails, the index and the notes are as they were.
    Returns how many rows were indexed.
    """
    conn.execute("SAVEPOINT terms")
    try:
        count = _index_pending(conn)
    except BaseException:
        conn.execute("ROLLBACK TO terms")
        conn.execute("RELEASE terms")
        raise
    conn.execute("RELEASE terms")
    return count


def _index_pending(conn: sqlite3.Connection) -> int:
    stale = conn.execute("SELECT kind, id, text FROM terms_stale ORDER BY rowid").fetchall()
    for kind in _TABLES:
        _write(conn, kind, ((r[1], r[2]) for r in stale if r[0] == kind), delete=True)
    if stale:
        conn.execute("DELETE FROM terms_stale")
    count = 0
    for kind, sql in _PENDING.items():
        rows = conn.execute(sql).fetchall()
        if rows:
            done = _write(conn, kind, ((r[0], r[1]) for r in rows))
            conn.executemany(
                "DELETE FROM terms_pending WHERE kind = ? AND id = ?", [(kind, i) for i in done]
            )
            count += len(done)
        conn.execute(_ORPHANS[kind])
    return count


def index_all(conn: sqlite3.Connection) -> None:
    """Index every message and title anew (the migration to v5); inside a transaction."""
    for table in _TABLES.values():
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")
    conn.execute("DELETE FROM terms_pending")
    conn.execute("DELETE FROM terms_stale")
    for kind, sql in (
        ("message", "SELECT id, content FROM messages WHERE status != 'streaming'"),
        ("title", "SELECT id, title FROM conversations"),
    ):
        cursor = conn.execute(sql)
        while batch := cursor.fetchmany(_BATCH):
            _write(conn, kind, ((r[0], r[1]) for r in batch))
    conn.execute(
        "INSERT INTO terms_pending (kind, id)"
        " SELECT 'message', id FROM messages WHERE status = 'streaming'"
    )


def fts_query(text: str) -> str | None:
    """The FTS5 query for what a person typed (see :mod:`store.query`); None: no hit."""
    return parse(text).fts()


# Newest first: FTS5 walks the matches backwards by rowid and stops at the
# limit, where ranking (bm25) would read every match of a common word first.
_MESSAGES_SQL = """
    SELECT m.id AS mid, m.conversation_id AS cid, c.title AS title, m.content AS text,
           m.created_at AS at
    FROM message_terms
    JOIN messages m ON m.id = message_terms.rowid
    JOIN conversations c ON c.id = m.conversation_id
    WHERE message_terms MATCH :q AND c.deleted_at IS NULL
    ORDER BY message_terms.rowid DESC
    LIMIT :limit
"""
_TITLES_SQL = """
    SELECT c.id AS cid, c.title AS title, c.updated_at AS at, bm25(title_terms) AS rank
    FROM title_terms
    JOIN conversations c ON c.id = title_terms.rowid
    WHERE title_terms MATCH :q AND c.deleted_at IS NULL
    ORDER BY rank, cid DESC
    LIMIT :limit
"""


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 50,
    start: str = HIGHLIGHT_START,
    end: str = HIGHLIGHT_END,
) -> list[SearchHit]:
    """Titles and messages of conversations not in the bin matching ``text``.

    Titles come first, best first (bm25), then messages, newest first. One hit
    per message. A title made from a message that is a hit too is left
    out (it would show the same words twice).
    """
    query = parse(text)
    match = query.fts()
    if match is None or limit <= 0:
        return []
    params = {"q": match, "limit": limit}
    messages = conn.execute(_MESSAGES_SQL, params).fetchall()
    titles = conn.execute(_TITLES_SQL, params).fetchall()
    matcher = Matcher(query.matches)
    hits = [_title_hit(row, matcher, start, end) for row in titles if not _shown_in(row, messages)]
    hits += [_message_hit(row, matcher, start, end) for row in messages]
    return [replace(hit, rank=float(i)) for i, hit in enumerate(hits[:limit])]


def _message_hit(row: sqlite3.Row, matcher: Matcher, start: str, end: str) -> SearchHit:
    snippet = make_snippet(row[3], matcher, words=_SNIPPET_WORDS, start=start, end=end)
    return SearchHit(
        conversation_id=row[1],
        message_id=row[0],
        title=row[2],
        snippet=snippet.text,
        rank=0.0,
        created_at=row[4],
        terms=snippet.terms,
    )


def _title_hit(row: sqlite3.Row, matcher: Matcher, start: str, end: str) -> SearchHit:
    snippet = make_snippet(row[1], matcher, words=_SNIPPET_WORDS * 2, start=start, end=end)
    return SearchHit(
        conversation_id=row[0],
        message_id=None,
        title=row[1],
        snippet=snippet.text,
        rank=0.0,
        created_at=row[2],
        terms=snippet.terms,
    )


def _shown_in(title_row: sqlite3.Row, messages: list[sqlite3.Row]) -> bool:
    """Whether the title was made from one of the message hits (its first words)."""
    title = split(title_row[1].removesuffix("…"))
    if not title:
        return False
    for row in messages:
        if row[1] == title_row[0]:
            head = split(row[3][: len(title_row[1]) * 2 + 64])[: len(title)]
            # The title's last word may have been cut short.
            if (
                len(head) == len(title)
                and head[:-1] == title[:-1]
                and head[-1].startswith(title[-1])
            ):
                return True
    return False
