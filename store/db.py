"""Opening the database file: pragmas, upgrade with a backup, corruption recovery.

What can go wrong at open, and what the user gets:

- the file is garbage or damaged: it is moved aside (never deleted), a fresh
  database is made, and a one-sentence notice says where the old file went;
- the file is from a newer DeskChat: it is opened read-only, with a reason;
- the file is from an older DeskChat: a backup copy is taken, then it is upgraded.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import MigrationError
from .paths import SETTINGS_NAME
from .private import create_private, make_private_folder, private_family, private_file
from .schema import SCHEMA_VERSION, migrate

__all__ = ["Opened", "open_database"]

log = logging.getLogger("deskchat.store")

_BUSY_TIMEOUT_MS = 5000
# Errors that mean "this file is damaged", as opposed to "locked" or "no space".
_CORRUPT_CODES = {
    getattr(sqlite3, "SQLITE_CORRUPT", 11),
    getattr(sqlite3, "SQLITE_NOTADB", 26),
}


@dataclass
class Opened:
    """A ready connection and what happened while opening it.

    Attributes:
        conn: autocommit connection (transactions are explicit).
        read_only_reason: why writes are refused, or None.
        recovery_notice: one sentence about a damaged file moved aside, or None.
        backup: the copy taken before an upgrade, or None.
    """

    conn: sqlite3.Connection
    read_only_reason: str | None = None
    recovery_notice: str | None = None
    backup: Path | None = None


class _Corrupt(Exception):
    """The file failed its check; internal signal to move it aside."""


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS:d}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    # OperationalError ("database is locked", "disk I/O error") is not damage:
    # moving a locked file aside would lose the user's history for nothing.
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _CORRUPT_CODES
    return not isinstance(exc, sqlite3.OperationalError)


def _check(path: Path) -> sqlite3.Connection:
    """Connect, set pragmas and quick-check; raise _Corrupt if the file is damaged."""
    conn = _connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a user message that was "sent" survives a power cut.
        conn.execute("PRAGMA synchronous = FULL")
        rows = [r[0] for r in conn.execute("PRAGMA quick_check")]
        if rows != ["ok"]:
            raise _Corrupt("; ".join(str(r) for r in rows[:5]))
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _is_corruption(exc):
            raise _Corrupt(str(exc)) from exc
        raise
    except _Corrupt:
        conn.close()
        raise
    return conn


def _move_aside(path: Path) -> Path:
    """Rename the damaged file (and its -wal/-shm) to ``<name>.corrupt-<timestamp>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    path.replace(target)
    private_file(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
            private_file(target.with_name(target.name + suffix))
    return target


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the database (WAL included) to ``<name>.bak-v<version>`` before an upgrade."""
    target = path.with_name(f"{path.name}.bak-v{version}")
    if target.exists():
        # An earlier upgrade attempt already saved this version; keep the first copy.
        return target
    create_private(target)
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def _make_private(path: Path) -> None:
    """The folder 0700 and the files in it DeskChat wrote 0600, before SQLite opens any.

    A new database is created empty and private first: SQLite gives its -wal
    and -shm files the database's mode.
    """
    make_private_folder(path.parent)
    private_family(path)
    private_family(path.parent / SETTINGS_NAME)
    create_private(path)


def open_database(path: Path) -> Opened:
    """Open (creating if needed) the database at ``path``; see the module docstring."""
    _make_private(path)
    notice = None
    try:
        conn = _check(path)
    except _Corrupt as exc:
        moved = _move_aside(path)
        log.warning("database %s is damaged (%s); moved to %s", path, exc, moved)
        notice = (
            f"Your chat history file was damaged, so DeskChat started a new one; "
            f"the old file was kept at {moved}."
        )
        create_private(path)
        conn = _check(path)
    # The -wal and -shm files exist now; an older DeskChat may have left them readable.
    private_family(path)
    opened = Opened(conn, recovery_notice=notice)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        opened.conn = _connect(path, read_only=True)
        opened.read_only_reason = (
            f"This chat history was written by a newer version of DeskChat "
            f"(schema {version}, this version knows {SCHEMA_VERSION}), so it is open "
            f"read-only; update DeskChat to add to it."
        )
        log.warning("database %s has schema %d > %d; read-only", path, version, SCHEMA_VERSION)
        return opened
    if version < SCHEMA_VERSION:
        if version > 0:
            opened.backup = _backup(conn, path, version)
            log.info("upgrading %s from schema %d; backup at %s", path, version, opened.backup)
        try:
            migrate(conn, SCHEMA_VERSION)
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            raise MigrationError(
                f"DeskChat could not upgrade your chat history ({exc}); the file was not "
                f"changed, and a copy is at {opened.backup}."
            ) from exc
    return opened
