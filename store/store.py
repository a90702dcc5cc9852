"""The synchronous history store: conversations, branching messages, search.

One :class:`Store` owns one SQLite connection and must be used from the thread
that opened it. The GUI uses :class:`store.AsyncStore`, which runs a Store on a
worker thread; the CLI and the tests use a Store directly.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from deskchat.i18n import N_, _

from . import pieces
from . import search as _search
from .attachments import save_attachments, with_attachments
from .db import open_database
from .errors import NoSuchRecordError, ReadOnlyError, StoreError
from .failures import is_busy, store_error
from .models import (
    LEAF,
    ROLES,
    STATUSES,
    Conversation,
    Message,
    ParentRef,
    SearchHit,
    StoredAttachment,
    conversation_from_row,
    make_title,
    message_reader,
)
from .paths import database_path
from .reply import ReplyWriter
from .times import LATEST

__all__ = ["LEAF", "LOCK_WAIT", "ParentRef", "Store", "make_title"]

log = logging.getLogger("deskchat.store")
P = ParamSpec("P")
R = TypeVar("R")

LOCK_WAIT = 15.0
"""The most seconds a write waits for another program's lock before giving up with a sentence."""
_REPLY = N_("save the reply (the text so far stays on screen)")
_READ = N_("read your chat history")


# A message row plus its 1-based position among its siblings and their count.
# Per row, for a few rows (one message, the current path): each counts its own
# siblings through the (conversation_id, parent_id) index.
_MESSAGE_SQL = """
    SELECT m.*,
        (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
            AND s.parent_id IS m.parent_id AND s.id <= m.id) AS version,
        (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
            AND s.parent_id IS m.parent_id) AS versions
    FROM messages m
"""
# The same for a set that holds every sibling of each of its rows (a whole
# conversation, the versions of one message, the replies to one): numbered in
# one sorted pass. Per row, as above, 16,000 versions would count 16,000 x 16,000.
_SIBLINGS_SQL = """
    SELECT m.*,
        row_number() OVER (PARTITION BY m.parent_id ORDER BY m.id) AS version,
        count(*) OVER (PARTITION BY m.parent_id) AS versions
    FROM messages m
"""
# The selected version among some siblings steps down. Written to match the
# partial index messages_one_active_sibling, so it finds that one row, not all siblings.
_STEP_DOWN = (
    "UPDATE messages SET active = 0"
    " WHERE conversation_id = ? AND ifnull(parent_id, 0) = ifnull(?, 0) AND active = 1"
)
_PATH_CTE = """
    WITH RECURSIVE path(id, depth) AS (
        SELECT id, 0 FROM messages
            WHERE conversation_id = :cid AND parent_id IS NULL AND active = 1
        UNION ALL
        SELECT m.id, path.depth + 1 FROM messages m JOIN path ON m.parent_id = path.id
            WHERE m.active = 1
    )
"""

# The current path with each message's place among its versions. Most messages
# have no other version: the parents with several children are counted in one
# pass over the conversation's (conversation_id, parent_id) index, and only
# their children count their place; the others are 1 of 1 without a lookup.
# Sorted by depth in Python (the rows come in path order; a sort in SQL would
# copy every row's text into a temporary b-tree first): for 10,000 messages,
# 40 ms instead of 70 with two counts per row and ORDER BY.
_PATH_SQL = (
    _PATH_CTE
    + """
    SELECT m.*,
        CASE WHEN n.versions IS NULL THEN 1 ELSE
            (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
                AND s.parent_id IS m.parent_id AND s.id <= m.id) END AS version,
        ifnull(n.versions, 1) AS versions,
        path.depth AS depth
    FROM path JOIN messages m ON m.id = path.id
    LEFT JOIN (SELECT parent_id, count(*) AS versions FROM messages
            WHERE conversation_id = :cid GROUP BY parent_id HAVING count(*) > 1) n
        ON n.parent_id IS m.parent_id
"""
)
# The last :last messages of the current path and the path's length (in every
# row). The walk reads ids only (~20 ms for 10,000 levels); only the rows kept
# are joined to their text and counted among their versions. A path has one
# message per depth from 0, so its length is its deepest depth + 1.
_TAIL_SQL = (
    _PATH_CTE
    + """,
    deepest(total) AS (SELECT max(depth) + 1 FROM path)
    SELECT m.*,
        (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
            AND s.parent_id IS m.parent_id AND s.id <= m.id) AS version,
        (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
            AND s.parent_id IS m.parent_id) AS versions,
        path.depth AS depth, deepest.total AS total
    FROM deepest JOIN path ON path.depth >= deepest.total - :last
        JOIN messages m ON m.id = path.id
"""
)


def _reported(
    doing: str,
) -> Callable[[Callable[Concatenate[Store, P], R]], Callable[Concatenate[Store, P], R]]:
    """Turn a locked database, a full or failing disk into one sentence about ``doing``.

    SQLite's other errors are DeskChat's bugs and go on up as they are.
    """

    def decorate(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
        @functools.wraps(method)
        def run(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                error = store_error(exc, _(doing), waited=self.lock_wait)
                if error is None:
                    raise
                raise error from exc

        return run

    return decorate


class Store:
    """The chat history in one SQLite file.

    Args:
        path: the database file; default ``deskchat.sqlite3`` in :func:`store.data_dir`.
        clock: wall-clock seconds for created/updated times (tests inject one).
        lock_wait: the most seconds a write waits for another program's lock;
            default :data:`LOCK_WAIT`.

    Failures of the disk or of a lock raise a :class:`StoreError` subclass with
    one sentence (:mod:`deskchat.store.failures`); the change is then not
    written, and everything written before stays.

    Attributes:
        path: the database file.
        lock_wait: as the argument.
        read_only_reason: a sentence when writes are refused (the file is from
            a newer DeskChat, or its disk cannot be written), else None.
        recovery_notice: a sentence when a damaged file was moved aside at open.
        backup_path: the copy taken before upgrading an older file, or None.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        lock_wait: float | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else database_path()
        self.clock = clock
        self.lock_wait = LOCK_WAIT if lock_wait is None else lock_wait
        opened = open_database(self.path, lock_wait=self.lock_wait)
        self._db: sqlite3.Connection | None = opened.conn
        self.read_only_reason = opened.read_only_reason
        self.recovery_notice = opened.recovery_notice
        self.backup_path = opened.backup
        self._in_tx = False

    # -- lifecycle ---------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def closed(self) -> bool:
        return self._db is None

    def close(self) -> None:
        """Close the connection (checkpointing the WAL). Safe to call twice."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(_("The chat history is already closed; restart DeskChat."))
        return self._db

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for checks and benches; prefer the methods."""
        return self._conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one).

        Another program's lock is waited for, up to :attr:`lock_wait` seconds.
        SQLite's errors come out as they are; the public methods word them.
        """
        self._writable()
        if self._in_tx:
            yield self._conn
            return
        conn = self._conn
        self._begin(conn)
        self._in_tx = True
        try:
            yield conn
            self._index_pending(conn)
            conn.execute("COMMIT")
        except BaseException:
            # On a full disk or an I/O error SQLite has rolled back already; a
            # second ROLLBACK would replace that error with "no transaction is active".
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        finally:
            self._in_tx = False

    @staticmethod
    def _index_pending(conn: sqlite3.Connection) -> None:
        """Put what this transaction wrote into the search index, before it commits.

        A bug of ours in the indexing must not cost the user the message: it is
        logged, the rows stay pending, and the write commits.
        """
        try:
            _search.index_pending(conn)
        except sqlite3.Error:
            raise
        except Exception:
            log.exception("could not index the new text for search; it is left for later")

    def _begin(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, tried again while another program holds the lock, up to the wait.

        SQLite's busy timeout waits too, but not in every case (a WAL snapshot
        gone stale, a checkpoint), and never longer than it was told.
        """
        deadline = time.monotonic() + self.lock_wait
        pause = 0.02
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                left = deadline - time.monotonic()
                if not is_busy(exc) or left <= 0:
                    raise
                log.info("the chat history is locked; trying again for %.1f s", left)
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)

    def _writable(self) -> None:
        if self.read_only_reason is not None:
            raise ReadOnlyError(self.read_only_reason)

    # -- conversations -----------------------------------------------------

    @_reported(N_("start a new conversation"))
    def create_conversation(
        self,
        title: str = "",
        *,
        provider: str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        params: Mapping[str, Any] | None = None,
        source: str = "deskchat",
        source_id: str | None = None,
        created_at: float | None = None,
    ) -> Conversation:
        """A new, empty conversation."""
        now = self.clock() if created_at is None else _sound_time(created_at)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, provider, model,"
                " system_prompt, params, source, source_id, title_chosen)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    title,
                    now,
                    now,
                    provider,
                    model,
                    system_prompt,
                    json.dumps(dict(params or {})),
                    source,
                    # 128 random bits in hex, as the migration gave older rows (uuid4's
                    # module imports platform: ~0.25 MiB the window would hold).
                    source_id or os.urandom(16).hex(),
                    bool(title.strip()),
                ),
            )
        return self.get_conversation(_rowid(cur))

    @_reported(_READ)
    def get_conversation(self, conversation_id: int) -> Conversation:
        """The conversation (also when in the bin); NoSuchRecordError when purged."""
        row = self._conn.execute(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise NoSuchRecordError(
                _("Conversation {conversation_id} no longer exists.").format(
                    conversation_id=conversation_id
                )
            )
        return conversation_from_row(row)

    @_reported(_READ)
    def find_conversation(self, source: str, source_id: str) -> Conversation | None:
        """The conversation imported from (or exported as) ``source``/``source_id``."""
        row = self._conn.execute(
            "SELECT * FROM conversations WHERE source = ? AND source_id = ?", (source, source_id)
        ).fetchone()
        return None if row is None else conversation_from_row(row)

    @_reported(_READ)
    def list_conversations(
        self, *, limit: int | None = None, offset: int = 0
    ) -> list[Conversation]:
        """Conversations not in the bin, most recently updated first."""
        rows = self._conn.execute(
            "SELECT * FROM conversations WHERE deleted_at IS NULL"
            " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (-1 if limit is None else limit, offset),
        )
        return [conversation_from_row(r) for r in rows]

    @_reported(_READ)
    def deleted_conversations(self) -> list[Conversation]:
        """Conversations in the bin, most recently deleted first."""
        rows = self._conn.execute(
            "SELECT * FROM conversations WHERE deleted_at IS NOT NULL"
            " ORDER BY deleted_at DESC, id DESC"
        )
        return [conversation_from_row(r) for r in rows]

    @_reported(N_("rename the conversation"))
    def rename(self, conversation_id: int, title: str) -> Conversation:
        """Set the title (one line; surrounding spaces dropped)."""
        title = " ".join(title.split())
        self._update_conversation(
            conversation_id, "title = ?, title_chosen = 1", (title,), touch=False
        )
        return self.get_conversation(conversation_id)

    @_reported(N_("save the tools allowed in the conversation"))
    def set_tools_always(self, conversation_id: int, names: Iterable[str]) -> None:
        """Keep the tools the user let run without asking in this conversation."""
        kept = sorted(set(names))
        value = json.dumps(kept, ensure_ascii=False) if kept else None
        self._update_conversation(conversation_id, "tools_always = ?", (value,), touch=False)

    @_reported(N_("save the conversation's settings"))
    def update_conversation(
        self,
        conversation_id: int,
        *,
        provider: str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Conversation:
        """Change the settings a conversation uses; arguments left None stay as they are."""
        sets: list[str] = []
        values: list[Any] = []
        for column, value in (
            ("provider", provider),
            ("model", model),
            ("system_prompt", system_prompt),
            ("params", None if params is None else json.dumps(dict(params))),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                values.append(value)
        if sets:
            self._update_conversation(conversation_id, ", ".join(sets), tuple(values))
        return self.get_conversation(conversation_id)

    @_reported(N_("move the conversation to the bin"))
    def delete_conversation(self, conversation_id: int) -> None:
        """Move to the bin (undo with :meth:`restore_conversation`)."""
        self._update_conversation(conversation_id, "deleted_at = ?", (self.clock(),), touch=False)

    @_reported(N_("take the conversation out of the bin"))
    def restore_conversation(self, conversation_id: int) -> None:
        """Take a conversation back out of the bin."""
        self._update_conversation(conversation_id, "deleted_at = NULL", (), touch=False)

    @_reported(N_("delete the conversation"))
    def purge_conversation(self, conversation_id: int) -> None:
        """Delete a conversation and its messages for good."""
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        if cur.rowcount == 0:
            raise NoSuchRecordError(
                _("Conversation {conversation_id} no longer exists.").format(
                    conversation_id=conversation_id
                )
            )

    @_reported(N_("empty the bin"))
    def purge_deleted(self, older_than: float | None = None) -> int:
        """Empty the bin (only what was deleted before ``older_than``, if given)."""
        cutoff = float("inf") if older_than is None else older_than
        with self.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?",
                (cutoff,),
            )
        return cur.rowcount

    def _update_conversation(
        self, conversation_id: int, sets: str, values: tuple[Any, ...], *, touch: bool = True
    ) -> None:
        if touch:
            sets += ", updated_at = ?"
            values += (self.clock(),)
        with self.transaction() as conn:
            cur = conn.execute(
                f"UPDATE conversations SET {sets} WHERE id = ?", (*values, conversation_id)
            )
        if cur.rowcount == 0:
            raise NoSuchRecordError(
                _("Conversation {conversation_id} no longer exists.").format(
                    conversation_id=conversation_id
                )
            )

    # -- messages ----------------------------------------------------------

    def _messages(self, sql: str, params: Any = (), *, sort_by: str = "") -> list[Message]:
        """The Messages a query's rows hold, read as plain tuples by position.

        ``sort_by``: a column to sort the rows by (stable) before reading them.
        """
        cursor = self._conn.cursor()
        cursor.row_factory = None  # tuples: no sqlite3.Row per row
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        read = message_reader(columns)
        if not sort_by:
            return pieces.joined(self._conn, [read(row) for row in cursor])
        rows = cursor.fetchall()
        rows.sort(key=itemgetter(columns.index(sort_by)))
        return pieces.joined(self._conn, [read(row) for row in rows])

    @_reported(_READ)
    def get_message(self, message_id: int) -> Message:
        found = self._messages(_MESSAGE_SQL + " WHERE m.id = ?", (message_id,))
        if not found:
            raise NoSuchRecordError(
                _("Message {message_id} no longer exists.").format(message_id=message_id)
            )
        return with_attachments(self._conn, found)[0]

    @_reported(N_("save the message"))
    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        parent_id: ParentRef = LEAF,
        status: str = "complete",
        provider: str | None = None,
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        error: str | None = None,
        created_at: float | None = None,
        attachments: Iterable[StoredAttachment] = (),
    ) -> Message:
        """Add a message and make it the current one among its siblings.

        ``parent_id`` is the message it follows: by default the current leaf;
        None makes a new root (a new version of the first message).
        ``attachments`` are kept with it (each file's bytes once, by sha256).
        """
        with self.transaction() as conn:
            message_id = self._insert_message(
                conversation_id,
                role,
                content,
                parent_id=parent_id,
                status=status,
                provider=provider,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                error=error,
                created_at=created_at,
            )
            save_attachments(conn, message_id, list(attachments))
        return self.get_message(message_id)

    @_reported(N_("save the messages"))
    def add_messages_bulk(
        self,
        conversation_id: int,
        messages: Iterable[tuple[str, str]],
        *,
        parent_id: ParentRef = LEAF,
    ) -> list[int]:
        """Append ``(role, content)`` pairs as one chain in one transaction; returns ids.

        Made for seeding large databases (benches, imports): 10,000 messages
        commit once. The title is taken from the first user message if unset.
        """
        ids: list[int] = []
        with self.transaction() as conn:
            parent = self._resolve_parent(conversation_id, parent_id)
            now = self.clock()
            for role, content in messages:
                if not ids:
                    ids.append(
                        self._insert_message(conversation_id, role, content, parent_id=parent)
                    )
                    continue
                _check_role_status(role, "complete")
                cur = conn.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, created_at)"
                    " VALUES (?,?,?,?,?)",
                    (conversation_id, ids[-1], role, content, now),
                )
                ids.append(_rowid(cur))
                if role == "user":
                    self._maybe_title(conversation_id, content)
        return ids

    @_reported(_READ)
    def current_path(self, conversation_id: int) -> list[Message]:
        """The messages shown: the active version at each level, first to last."""
        path = self._messages(_PATH_SQL, {"cid": conversation_id}, sort_by="depth")
        return with_attachments(self._conn, path)

    @_reported(_READ)
    def path_tail(self, conversation_id: int, last: int) -> tuple[list[Message], int]:
        """The last ``last`` (at least 1) messages of the current path, and how many it holds.

        What a long conversation shows first; :meth:`current_path` reads the rest.
        """
        cursor = self._conn.cursor()
        cursor.row_factory = None
        cursor.execute(_TAIL_SQL, {"cid": conversation_id, "last": max(1, last)})
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        if not rows:
            return [], 0
        depth, total = columns.index("depth"), columns.index("total")
        rows.sort(key=itemgetter(depth))
        read = message_reader(columns)
        messages = pieces.joined(self._conn, [read(row) for row in rows])
        return with_attachments(self._conn, messages), rows[0][total]

    @_reported(_READ)
    def current_leaf(self, conversation_id: int) -> Message | None:
        """The last message of the current path, or None for an empty conversation."""
        row = self._conn.execute(
            _PATH_CTE + "SELECT id FROM path ORDER BY depth DESC LIMIT 1", {"cid": conversation_id}
        ).fetchone()
        return None if row is None else self.get_message(row[0])

    @_reported(_READ)
    def siblings(self, message_id: int) -> list[Message]:
        """All versions of a message (itself included), oldest first."""
        msg = self.get_message(message_id)
        return self._messages(
            _SIBLINGS_SQL + " WHERE m.conversation_id = ? AND m.parent_id IS ? ORDER BY m.id",
            (msg.conversation_id, msg.parent_id),
        )

    @_reported(_READ)
    def children(self, message_id: int) -> list[Message]:
        """The replies to a message (all versions), oldest first."""
        return self._messages(_SIBLINGS_SQL + " WHERE m.parent_id = ? ORDER BY m.id", (message_id,))

    @_reported(_READ)
    def all_messages(self, conversation_id: int) -> list[Message]:
        """Every message of a conversation, all branches, oldest first (parents first)."""
        everything = self._messages(
            _SIBLINGS_SQL + " WHERE m.conversation_id = ? ORDER BY m.id", (conversation_id,)
        )
        return with_attachments(self._conn, everything)

    @_reported(N_("switch to that version"))
    def select_version(self, message_id: int) -> list[Message]:
        """Make this message (and the branch under it) current; returns the new path."""
        msg = self.get_message(message_id)
        with self.transaction():
            self._activate_up(message_id)
        return self.current_path(msg.conversation_id)

    @_reported(N_("save the edited message"))
    def edit_user_message(
        self,
        message_id: int,
        new_text: str,
        attachments: Iterable[StoredAttachment] | None = None,
    ) -> Message:
        """A new version of a user message, next to the old one, which is kept.

        ``attachments``: the new version's; None keeps the old version's.
        """
        old = self.get_message(message_id)
        if old.role != "user":
            raise StoreError(_("Only your own messages can be edited; regenerate a reply instead."))
        return self.add_message(
            old.conversation_id,
            "user",
            new_text,
            parent_id=old.parent_id,
            attachments=old.attachments if attachments is None else attachments,
        )

    @_reported(N_("delete the message"))
    def delete_message(self, message_id: int) -> None:
        """Delete a message and every reply under it; a sibling takes its place."""
        msg = self.get_message(message_id)
        with self.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            if msg.active:
                conn.execute(
                    "UPDATE messages SET active = 1 WHERE id = (SELECT max(id) FROM messages"
                    " WHERE conversation_id = ? AND parent_id IS ?)",
                    (msg.conversation_id, msg.parent_id),
                )
            self._touch(msg.conversation_id)

    @_reported(N_("replace the failed reply"))
    def drop_failed_reply(self, message_id: int) -> bool:
        """Delete a failed reply that another one replaced (a Retry): an error is never a version.

        Only a reply that failed, is not the selected version and has nothing
        under it goes; anything else stays. Returns whether it went.
        """
        with self.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM messages WHERE id = ? AND role = 'assistant' AND status = 'error'"
                " AND active = 0 AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = ?)",
                (message_id, message_id),
            )
        return cur.rowcount > 0

    @_reported(N_("save the message"))
    def set_status(self, message_id: int, status: str, error: str | None = None) -> None:
        """Change a message's status (e.g. mark an interrupted reply as stopped)."""
        _check_role_status("assistant", status)
        with self.transaction() as conn:
            pieces.fold(conn, message_id)
            cur = conn.execute(
                "UPDATE messages SET status = ?, error = ? WHERE id = ?",
                (status, error, message_id),
            )
        if cur.rowcount == 0:
            raise NoSuchRecordError(
                _("Message {message_id} no longer exists.").format(message_id=message_id)
            )

    @_reported(_READ)
    def interrupted_replies(self) -> list[Message]:
        """Replies still marked 'streaming': the app stopped while writing them."""
        return self._messages(_MESSAGE_SQL + " WHERE m.status = 'streaming' ORDER BY m.id")

    # -- streaming replies -------------------------------------------------

    @_reported(_REPLY)
    def begin_reply(
        self,
        conversation_id: int,
        parent_id: ParentRef = LEAF,
        *,
        provider: str | None = None,
        model: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> ReplyWriter:
        """A writer that saves an assistant reply as it streams (see ReplyWriter)."""
        self._writable()
        parent = self._resolve_parent(conversation_id, parent_id)
        return ReplyWriter(
            self,
            conversation_id,
            parent,
            provider=provider,
            model=model,
            clock=clock,
            interval=interval,
        )

    @_reported(_REPLY)
    def resume_reply(
        self,
        message_id: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> ReplyWriter:
        """A writer that goes on with the stored reply ``message_id``: its row, after its text.

        Raises:
            NoSuchRecordError: no such message.
            ReadOnlyError: the database is open read-only.
        """
        self._writable()
        stored = self.get_message(message_id)
        writer = ReplyWriter(
            self,
            stored.conversation_id,
            stored.parent_id,
            provider=stored.provider,
            model=stored.model,
            clock=clock,
            interval=interval,
        )
        writer.resume(stored.id, stored.content)
        return writer

    @_reported(_REPLY)
    def insert_reply(
        self,
        conversation_id: int,
        parent_id: int | None,
        content: str,
        *,
        status: str = "streaming",
        provider: str | None = None,
        model: str | None = None,
        error: str | None = None,
    ) -> int:
        """Add the row of an assistant reply under ``parent_id``; returns its id.

        The row becomes the selected version among its siblings, as with
        :meth:`add_message`, but without reading the new message back: it is
        written at a reply's first chunk, while the user waits for text.
        :class:`ReplyWriter` calls this; other code wants :meth:`begin_reply`.

        Raises:
            NoSuchRecordError: no such conversation, or ``parent_id`` is not in it.
            ReadOnlyError: the database is open read-only.
        """
        with self.transaction():
            return self._insert_message(
                conversation_id,
                "assistant",
                content,
                parent_id=parent_id,
                status=status,
                provider=provider,
                model=model,
                error=error,
            )

    @_reported(_REPLY)
    def save_reply(self, message_id: int, content: str) -> None:
        """Rewrite a streaming reply's text with all that arrived so far.

        Its status stays as it is. A row deleted meanwhile (the user deleted
        the conversation while the reply streamed) stays deleted.

        Raises:
            ReadOnlyError: the database is open read-only.
        """
        with self.transaction() as conn:
            conn.execute("UPDATE messages SET content = ? WHERE id = ?", (content, message_id))
            pieces.drop(conn, message_id)

    @_reported(_REPLY)
    def append_reply(self, message_id: int, text: str) -> None:
        """Add ``text`` to a streaming reply's saved text, writing only ``text``.

        What :class:`ReplyWriter` does at each save while a reply streams: the
        reply's row keeps its text and the new text goes in a piece beside it
        (see :mod:`store.pieces`), which every read of the reply joins to it.
        A row deleted meanwhile stays deleted, as with :meth:`save_reply`.

        Raises:
            ReadOnlyError: the database is open read-only.
        """
        if text:
            with self.transaction() as conn:
                pieces.append(conn, message_id, text)

    @_reported(_REPLY)
    def save_reply_tools(self, message_id: int, tools: str | None) -> None:
        """Rewrite the JSON list of the tools a reply called (see ``Message.tools``).

        Raises:
            ReadOnlyError: the database is open read-only.
        """
        with self.transaction() as conn:
            conn.execute("UPDATE messages SET tools = ? WHERE id = ?", (tools, message_id))

    @_reported(_REPLY)
    def finish_reply(
        self,
        message_id: int,
        content: str,
        status: str,
        *,
        error: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """Write a reply's final text, status, error sentence and token counts.

        A row deleted meanwhile stays deleted, as with :meth:`save_reply`.

        Raises:
            StoreError: ``status`` is not a message status.
            ReadOnlyError: the database is open read-only.
        """
        _check_role_status("assistant", status)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE messages SET content = ?, status = ?, error = ?, prompt_tokens = ?,"
                " completion_tokens = ? WHERE id = ?",
                (content, status, error, prompt_tokens, completion_tokens, message_id),
            )
            pieces.drop(conn, message_id)

    # -- search ------------------------------------------------------------

    @_reported(N_("search your chat history"))
    def search(
        self,
        query: str,
        limit: int = 50,
        *,
        start: str = _search.HIGHLIGHT_START,
        end: str = _search.HIGHLIGHT_END,
    ) -> list[SearchHit]:
        """Messages and titles matching every word of ``query`` (last word as a prefix).

        Words match their other forms (Russian and English stems), case and
        accents aside, ё as е; ``"a phrase"`` matches exactly, ``-word`` leaves
        out. Any text is a valid query: FTS syntax is treated as plain text.
        """
        self._catch_up()
        return _search.search(self._conn, query, limit=limit, start=start, end=end)

    def _catch_up(self) -> None:
        """Index text another program wrote straight into the file, if it can be written."""
        if self.read_only or not _search.has_pending(self._conn):
            return
        try:
            with self.transaction():
                pass
        except (sqlite3.Error, StoreError) as exc:
            # Locked or full: search what is indexed; the rest is indexed at the next write.
            log.info("could not index pending text before searching: %s", exc)

    # -- internals ---------------------------------------------------------

    def _resolve_parent(self, conversation_id: int, parent_id: ParentRef) -> int | None:
        self.get_conversation(conversation_id)
        if parent_id == LEAF:
            leaf = self._conn.execute(
                _PATH_CTE + "SELECT id FROM path ORDER BY depth DESC LIMIT 1",
                {"cid": conversation_id},
            ).fetchone()
            return None if leaf is None else int(leaf[0])
        if parent_id is None:
            return None
        assert isinstance(parent_id, int)
        row = self._conn.execute(
            "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
        ).fetchone()
        if row is None or row[0] != conversation_id:
            raise NoSuchRecordError(
                _("Message {parent_id} is not part of conversation {conversation_id}.").format(
                    parent_id=parent_id, conversation_id=conversation_id
                )
            )
        return parent_id

    def _insert_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        parent_id: ParentRef,
        status: str = "complete",
        provider: str | None = None,
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        error: str | None = None,
        created_at: float | None = None,
    ) -> int:
        """Insert one active message under ``parent_id``; call inside a transaction."""
        _check_role_status(role, status)
        if created_at is not None:
            created_at = _sound_time(created_at)
        parent = self._resolve_parent(conversation_id, parent_id)
        conn = self._conn
        # The new message becomes the selected version; the unique partial
        # index allows one active sibling, so the others step down first.
        conn.execute(_STEP_DOWN, (conversation_id, parent))
        now = self.clock()
        cur = conn.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, content, created_at,"
            " provider, model, prompt_tokens, completion_tokens, status, error, active)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,1)",
            (
                conversation_id,
                parent,
                role,
                content,
                now if created_at is None else created_at,
                provider,
                model,
                prompt_tokens,
                completion_tokens,
                status,
                error,
            ),
        )
        message_id = _rowid(cur)
        if parent is not None:
            self._activate_up(parent)
        if role == "user":
            self._maybe_title(conversation_id, content, first=self._is_first_question(parent))
        self._touch(conversation_id)
        return message_id

    def _activate_up(self, message_id: int) -> None:
        """Make ``message_id`` and every ancestor the selected version at its level."""
        inactive = self._conn.execute(
            """
            WITH RECURSIVE up(id, parent_id, active, conversation_id) AS (
                SELECT id, parent_id, active, conversation_id FROM messages WHERE id = ?
                UNION ALL
                SELECT m.id, m.parent_id, m.active, m.conversation_id
                    FROM messages m JOIN up ON m.id = up.parent_id
            )
            SELECT id, parent_id, conversation_id FROM up WHERE active = 0
            """,
            (message_id,),
        ).fetchall()
        for row in inactive:
            self._conn.execute(_STEP_DOWN, (row[2], row[1]))
            self._conn.execute("UPDATE messages SET active = 1 WHERE id = ?", (row[0],))

    def _maybe_title(self, conversation_id: int, content: str, *, first: bool = False) -> None:
        """Title the conversation from a user message.

        The first question (a new version of it too: an edit) gives its title
        to every conversation whose title was not chosen; a later message only
        to one still without a title.
        """
        title = make_title(content)
        if title:
            unchosen = "title_chosen = 0" if first else "title = ''"
            self._conn.execute(
                f"UPDATE conversations SET title = ? WHERE id = ? AND {unchosen}",
                (title, conversation_id),
            )

    def _is_first_question(self, parent: int | None) -> bool:
        """Whether a user message under ``parent`` is the first question (no user message
        above it: only a system prompt or nothing). Walks up to the nearest user message."""
        if parent is None:
            return True
        above = self._conn.execute(
            """
            WITH RECURSIVE up(id, parent_id, role) AS (
                SELECT id, parent_id, role FROM messages WHERE id = ?
                UNION ALL
                SELECT m.id, m.parent_id, m.role FROM messages m JOIN up ON m.id = up.parent_id
                    WHERE up.role != 'user'
            )
            SELECT 1 FROM up WHERE role = 'user' LIMIT 1
            """,
            (parent,),
        ).fetchone()
        return above is None

    def _touch(self, conversation_id: int) -> None:
        self._conn.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?", (self.clock(), conversation_id)
        )


def _rowid(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None
    return cur.lastrowid


def _sound_time(value: float) -> float:
    # The comparison is False for NaN too.
    if not 0 <= value <= LATEST:
        raise StoreError(
            _(
                "A message's time must be seconds since 1970 before the year 3000, not {value!r}."
            ).format(value=value)
        )
    return float(value)


def _check_role_status(role: str, status: str) -> None:
    # The schema's CHECKs would also refuse these, but with an unreadable message.
    if role not in ROLES:
        raise StoreError(
            _("A message's role must be one of {join}, not {role!r}.").format(
                join=", ".join(ROLES), role=role
            )
        )
    if status not in STATUSES:
        raise StoreError(
            _("A message's status must be one of {join}, not {status!r}.").format(
                join=", ".join(STATUSES), status=status
            )
        )
