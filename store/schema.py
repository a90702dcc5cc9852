"""The database schema as a list of forward migrations, one per ``user_version``.

Step ``i`` upgrades a database from version ``i`` to ``i + 1``. Steps are only
ever appended: a released step never changes, because users' files were built
with it. Each step runs in its own transaction together with the version bump.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

# v1: the base schema. The current path of a conversation is the chain of
# messages with active = 1 from a root down; at most one sibling is active.
_V1 = """
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    provider      TEXT,
    model         TEXT,
    system_prompt TEXT,
    params        TEXT NOT NULL DEFAULT '{}',
    deleted_at    REAL
);
CREATE INDEX conversations_by_update ON conversations(deleted_at, updated_at);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id         INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL DEFAULT '',
    created_at        REAL NOT NULL,
    provider          TEXT,
    model             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    status            TEXT NOT NULL DEFAULT 'complete'
                      CHECK (status IN ('complete', 'streaming', 'stopped', 'error')),
    error             TEXT,
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id);
CREATE INDEX messages_by_parent_id ON messages(parent_id);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
CREATE UNIQUE INDEX messages_one_active_sibling
    ON messages(conversation_id, ifnull(parent_id, 0)) WHERE active = 1;
"""

# v2: full-text search over message text and conversation titles. External
# content tables keep one copy of the text; triggers keep the index in sync.
_V2 = """
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content='messages', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE conversations_fts USING fts5(
    title, content='conversations', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts(conversations_fts, rowid, title)
        VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts(conversations_fts, rowid, title)
        VALUES ('delete', old.id, old.title);
    INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
END;
INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild');
"""

# v3: where a conversation came from, so importing the same file twice adds
# nothing. Conversations made here get a random id under source 'deskchat'.
_V3 = """
ALTER TABLE conversations ADD COLUMN source TEXT NOT NULL DEFAULT 'deskchat';
ALTER TABLE conversations ADD COLUMN source_id TEXT;
UPDATE conversations SET source_id = lower(hex(randomblob(16))) WHERE source_id IS NULL;
CREATE UNIQUE INDEX conversations_by_source ON conversations(source, source_id);
"""

# v4: times an older DeskChat imported unchecked. Milliseconds (as JavaScript
# writes them), micro- and nanoseconds become seconds, recognised by their size
# as in store.times; times no calendar holds (infinite, negative, past the year
# 3000) take the conversation's start, or its first sound message's, or 0.
# NaN never got in: SQLite stores it as NULL, which NOT NULL refused.
_SCALE = """
    CASE WHEN {c} >= 1e17 AND {c} < 1e20 THEN {c} / 1e9
         WHEN {c} >= 1e14 THEN {c} / 1e6
         WHEN {c} >= 1e11 THEN {c} / 1e3
         ELSE {c} END
"""
_SOUND = "({c} BETWEEN 0 AND 32503680000.0)"


def _repair_times(conn: sqlite3.Connection) -> None:
    for table, columns in (
        ("conversations", ("created_at", "updated_at", "deleted_at")),
        ("messages", ("created_at",)),
    ):
        for column in columns:
            # Names are ours, not input: this builds four fixed statements.
            scaled = _SCALE.format(c=column)
            conn.execute(
                f"UPDATE {table} SET {column} = {scaled} WHERE {column} >= 1e11 AND {column} < 1e20"
            )
    sound_message = _SOUND.format(c="m.created_at")
    conn.execute(
        f"""UPDATE conversations SET created_at = coalesce(
            (SELECT min(m.created_at) FROM messages m
                WHERE m.conversation_id = conversations.id AND {sound_message}),
            CASE WHEN {_SOUND.format(c="updated_at")} THEN updated_at END,
            0)
        WHERE NOT {_SOUND.format(c="created_at")}"""
    )
    for column in ("updated_at", "deleted_at"):
        conn.execute(
            f"UPDATE conversations SET {column} = created_at"
            f" WHERE {column} IS NOT NULL AND NOT {_SOUND.format(c=column)}"
        )
    conn.execute(
        f"""UPDATE messages SET created_at =
            (SELECT c.created_at FROM conversations c WHERE c.id = messages.conversation_id)
        WHERE NOT {_SOUND.format(c="created_at")}"""
    )


# The same three triggers for the messages' text and the conversations' titles.
_TERMS_TRIGGERS = """
CREATE TRIGGER {kind}_terms_insert AFTER INSERT ON {table} BEGIN
    INSERT OR IGNORE INTO terms_pending (kind, id) VALUES ('{kind}', new.id);
END;
CREATE TRIGGER {kind}_terms_update AFTER UPDATE OF {column} ON {table} BEGIN
    INSERT INTO terms_stale (kind, id, text) SELECT '{kind}', old.id, old.{column}
        WHERE NOT EXISTS (SELECT 1 FROM terms_pending WHERE kind = '{kind}' AND id = old.id);
    INSERT OR IGNORE INTO terms_pending (kind, id) VALUES ('{kind}', new.id);
END;
CREATE TRIGGER {kind}_terms_delete AFTER DELETE ON {table} BEGIN
    INSERT INTO terms_stale (kind, id, text) SELECT '{kind}', old.id, old.{column}
        WHERE NOT EXISTS (SELECT 1 FROM terms_pending WHERE kind = '{kind}' AND id = old.id);
    DELETE FROM terms_pending WHERE kind = '{kind}' AND id = old.id;
END;"""


# v5: search that knows word forms (store.search, store.terms). The FTS5 tables
# index each message's and title's words folded (case, ё, accents) and stemmed
# (Russian, English) by Python, which SQL triggers cannot call: the triggers note
# what to index in terms_pending, and what to take out of the index, with the text
# it was indexed from, in terms_stale; the store does both before each commit. The
# tables are contentless (they keep no copy of the text), so taking a row out needs
# its words again. A row is in the index exactly when it exists and is not pending.
# Prefixes of 2 and 3 letters are indexed too: the first letters typed match
# thousands of words, which FTS5 would otherwise merge at every keystroke.
_V5 = (
    """
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP TRIGGER IF EXISTS conversations_fts_insert;
DROP TRIGGER IF EXISTS conversations_fts_delete;
DROP TRIGGER IF EXISTS conversations_fts_update;
DROP TABLE IF EXISTS messages_fts;
DROP TABLE IF EXISTS conversations_fts;

CREATE VIRTUAL TABLE message_terms USING fts5(
    words, stems, content = '', tokenize = 'ascii', prefix = '2 3'
);
CREATE VIRTUAL TABLE title_terms USING fts5(
    words, stems, content = '', tokenize = 'ascii', prefix = '2 3'
);
CREATE TABLE terms_pending (
    kind TEXT NOT NULL CHECK (kind IN ('message', 'title')),
    id   INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE terms_stale (
    kind TEXT NOT NULL CHECK (kind IN ('message', 'title')),
    id   INTEGER NOT NULL,
    text TEXT NOT NULL
);
"""
    + "".join(
        _TERMS_TRIGGERS.format(kind=kind, table=table, column=column)
        for kind, table, column in (
            ("message", "messages", "content"),
            ("title", "conversations", "title"),
        )
    )
    + "\n"
)


def _stemmed_search(conn: sqlite3.Connection) -> None:
    _script(_V5)(conn)
    # Imported here: the search modules are not needed to open an up-to-date file.
    from .search import index_all

    index_all(conn)


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    """A migration step that runs SQL statements one by one (inside our transaction).

    ``executescript`` would COMMIT first, so the statements are split here;
    none of ours holds a ';' except at the end of a statement or trigger body.
    """

    def step(conn: sqlite3.Connection) -> None:
        buffer = ""
        for line in sql.splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                conn.execute(buffer)
                buffer = ""
        if buffer.strip():
            conn.execute(buffer)

    return step


# v6: the tools a reply called (#15): a JSON list of calls with their arguments and
# results (see store.models.Message.tools), NULL for a reply that called none.
_V6 = """
ALTER TABLE messages ADD COLUMN tools TEXT;
"""


# v7: whether a title was chosen (#11). An automatic title follows the first
# question's latest version; a chosen one (renamed, or given at the start or by an
# import) stays. Before v7 a title was taken once, from the first version: a
# title that is not that one was chosen. The others now follow the latest version.
_FIRST_QUESTIONS = """
    WITH RECURSIVE top(id, conversation_id, role, content) AS (
        SELECT id, conversation_id, role, content FROM messages WHERE parent_id IS NULL
        UNION ALL
        SELECT m.id, m.conversation_id, m.role, m.content
            FROM messages m JOIN top ON m.parent_id = top.id WHERE top.role != 'user'
    )
    SELECT conversation_id, content FROM top WHERE role = 'user' ORDER BY conversation_id, id
"""


def _chosen_titles(conn: sqlite3.Connection) -> None:
    # Imported here: only an upgrade needs it. Safe to run again (a column that is there stays).
    from .models import make_title

    columns = {row[1] for row in conn.execute("PRAGMA table_info(conversations)")}
    if "title_chosen" not in columns:
        conn.execute(
            "ALTER TABLE conversations ADD COLUMN title_chosen INTEGER NOT NULL DEFAULT 0"
            " CHECK (title_chosen IN (0, 1))"
        )
    questions: dict[int, list[str]] = {}
    for conversation_id, content in conn.execute(_FIRST_QUESTIONS):
        questions.setdefault(conversation_id, []).append(content)
    for conversation_id, title in conn.execute("SELECT id, title FROM conversations").fetchall():
        versions = questions.get(conversation_id, [])
        if title and title not in {make_title(v) for v in versions}:
            conn.execute(
                "UPDATE conversations SET title_chosen = 1 WHERE id = ?", (conversation_id,)
            )
            continue
        latest = make_title(versions[-1]) if versions else ""
        if latest and latest != title:
            conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (latest, conversation_id)
            )


# v8: files attached to messages (deskchat.attach). Each file's bytes once, by their
# sha256, however many messages attach them; when the last message that uses one
# goes (deleted, or its conversation purged), the trigger deletes the bytes too.
_V8 = """
CREATE TABLE attachment_blobs (
    sha256 TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('image', 'text', 'pdf')),
    mime   TEXT NOT NULL,
    info   TEXT NOT NULL DEFAULT '{}',
    data   BLOB NOT NULL
);
CREATE TABLE message_attachments (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sha256     TEXT NOT NULL REFERENCES attachment_blobs(sha256),
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE INDEX message_attachments_by_blob ON message_attachments(sha256);
CREATE TRIGGER attachment_blobs_release AFTER DELETE ON message_attachments
WHEN NOT EXISTS (SELECT 1 FROM message_attachments WHERE sha256 = old.sha256) BEGIN
    DELETE FROM attachment_blobs WHERE sha256 = old.sha256;
END;
"""


# v9: the tools the user let run without asking in a conversation ("Always for this
# tool in this chat", #15): a JSON list of tool names, NULL for none.
_V9 = """
ALTER TABLE conversations ADD COLUMN tools_always TEXT;
"""


# v10: a streaming reply's text in pieces (store.pieces): each save while it streams
# adds the text since the last one instead of rewriting the whole reply; the final
# save writes the text to the message's row and drops its pieces.
_V10 = """
CREATE TABLE reply_pieces (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    text       TEXT NOT NULL
);
CREATE INDEX reply_pieces_by_message ON reply_pieces(message_id, id);
"""


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _script(_V1),
    _script(_V2),
    _script(_V3),
    _repair_times,
    _stemmed_search,
    _script(_V6),
    _chosen_titles,
    _script(_V8),
    _script(_V9),
    _script(_V10),
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Upgrade ``conn`` step by step to ``target``; returns the version it started at.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Each step and
    its version bump commit together, so a crash leaves a consistent version.
    """
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    for version in range(start, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            # PRAGMA takes no parameters; version is an int we computed.
            conn.execute(f"PRAGMA user_version = {version + 1:d}")
        except BaseException:
            # SQLite rolls back by itself on a full disk or an I/O error; a second
            # ROLLBACK would hide that error behind "no transaction is active".
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return start
