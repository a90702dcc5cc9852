"""Full-text search: user text in, safe FTS5 query out, hits with highlighted snippets."""

from __future__ import annotations

import re
import sqlite3

from .models import SearchHit

__all__ = ["HIGHLIGHT_END", "HIGHLIGHT_START", "fts_query", "search"]

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
_SNIPPET_TOKENS = 12


def fts_query(text: str) -> str | None:
    """An FTS5 query matching every word of ``text``, the last one as a prefix.

    Users type words, not FTS syntax: every word is quoted, so AND, OR, NEAR,
    ``*``, quotes and parentheses are plain text and can never raise. Returns
    None when ``text`` has no word at all.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    # \w never matches '"', so the quoting cannot be broken out of.
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 50,
    start: str = HIGHLIGHT_START,
    end: str = HIGHLIGHT_END,
) -> list[SearchHit]:
    """Messages and titles of conversations not in the bin matching ``text``, best first."""
    query = fts_query(text)
    if query is None or limit <= 0:
        return []
    sql = """
        SELECT m.conversation_id AS cid, m.id AS mid, c.title AS title,
               snippet(messages_fts, 0, :start, :end, '…', :tokens) AS snippet,
               bm25(messages_fts) AS rank
        FROM messages_fts
        JOIN messages m ON m.id = messages_fts.rowid
        JOIN conversations c ON c.id = m.conversation_id
        WHERE messages_fts MATCH :q AND c.deleted_at IS NULL
        UNION ALL
        SELECT c.id, NULL, c.title,
               highlight(conversations_fts, 0, :start, :end),
               bm25(conversations_fts)
        FROM conversations_fts
        JOIN conversations c ON c.id = conversations_fts.rowid
        WHERE conversations_fts MATCH :q AND c.deleted_at IS NULL
        ORDER BY rank, cid DESC, mid
        LIMIT :limit
    """
    params = {"q": query, "start": start, "end": end, "tokens": _SNIPPET_TOKENS, "limit": limit}
    return [
        SearchHit(
            conversation_id=row[0], message_id=row[1], title=row[2], snippet=row[3], rank=row[4]
        )
        for row in conn.execute(sql, params)
    ]
