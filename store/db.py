"""Opening the database file: pragmas, upgrade with a backup, corruption recovery.

What can go wrong at open, and what the user gets:

- the file is garbage or damaged: it is moved aside (never deleted), a fresh
  database is made, and a one-sentence notice says where the old file went;
- the file is from a newer DeskChat: it is opened read-only, with a reason;
- the file is from an older DeskChat: a backup copy is taken, then it is upgraded;
- the file or its disk cannot be written (read-only, full, failing): it is opened
  read-only, with a reason, so the history can still be read and exported;
- there is no file yet and none can be made: a StoreError says why.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskchat.i18n import N_, _

from .errors import DiskError, DiskFullError, MigrationError
from .failures import is_unwritable, store_error
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _mend(text: str) -> str:
    """``text`` with each UTF-16 surrogate pair as its character and each lone half U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    # In UTF-16 surrogates mean something: a pair decodes to its character, a half to U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _mended(parameters: Any) -> Any:
    if isinstance(parameters, Mapping):
        return {k: _mend(v) if isinstance(v, str) else v for k, v in parameters.items()}
    return tuple(_mend(v) if isinstance(v, str) else v for v in parameters)


class _Connection(sqlite3.Connection):
    """A connection that mends text UTF-8 cannot encode instead of raising.

    Surrogate halves reach the store from JSON escapes split across events
    and from command-line bytes that are not UTF-8 ("\\udcff"); SQLite would
    refuse the whole statement. Only a statement that failed so pays for it.
    """

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except UnicodeEncodeError:
            return super().execute(sql, _mended(parameters))


class _Corrupt(Exception):
    """The file failed its check; internal signal to move it aside."""


def _connect(
    path: Path,
    *,
    read_only: bool = False,
    immutable: bool = False,
    busy_ms: int = _BUSY_TIMEOUT_MS,
) -> sqlite3.Connection:
    if read_only or immutable:
        query = "mode=ro&immutable=1" if immutable else "mode=ro"
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?{query}",
            uri=True,
            isolation_level=None,
            factory=_Connection,
        )
    else:
        conn = sqlite3.connect(path, isolation_level=None, factory=_Connection)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    # OperationalError ("database is locked", "disk I/O error") is not damage:
    # moving a locked file aside would lose the user's history for nothing.
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _CORRUPT_CODES
    return not isinstance(exc, sqlite3.OperationalError)


def _check(path: Path, busy_ms: int) -> sqlite3.Connection:
    """Connect, set pragmas and quick-check; raise _Corrupt if the file is damaged."""
    conn = _connect(path, busy_ms=busy_ms)
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
    try:
        dest = sqlite3.connect(target)
        try:
            conn.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error:
        # A half-written copy must not pass for the backup at the next start.
        target.unlink(missing_ok=True)
        raise
    return target


def _make_private(path: Path) -> None:
    """The folder 0700 and the files in it DeskChat wrote 0600, before SQLite opens any.

    A new database is created empty and private first: SQLite gives its -wal
    and -shm files the database's mode.

    Raises:
        OSError: the folder or the new file cannot be created.
    """
    make_private_folder(path.parent)
    private_family(path)
    private_family(path.parent / SETTINGS_NAME)
    create_private(path)


def open_database(path: Path, *, lock_wait: float | None = None) -> Opened:
    """Open (creating if needed) the database at ``path``; see the module docstring.

    Args:
        path: the database file.
        lock_wait: the most seconds SQLite itself waits for a lock (at most 5).

    Raises:
        StoreError: the file can be neither opened for writing nor read.
    """
    busy_ms = _BUSY_TIMEOUT_MS
    if lock_wait is not None:
        busy_ms = max(1, min(busy_ms, int(lock_wait * 1000)))
    existed = _has_history(path)
    try:
        _make_private(path)
        if existed and not _can_write(path):
            return _open_read_only(path, busy_ms, _(_UNWRITABLE))
        return _open_writable(path, busy_ms)
    except (sqlite3.Error, OSError) as exc:
        if existed and is_unwritable(exc):
            log.warning("cannot write %s (%s); opening it read-only", path, exc)
            with contextlib.suppress(sqlite3.Error):
                return _open_read_only(path, busy_ms, _reason(exc))
        if not existed:
            # Leave no empty file behind for the next start to trip on.
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:
                    path.unlink()
        if existed:
            doing = _("open your chat history at {path}").format(path=path)
        else:
            doing = _("create your chat history at {path}").format(path=path)
        error = store_error(exc, doing)
        if error is None:
            raise
        raise error from exc


_UNWRITABLE = N_(
    "Your chat history is on a disk DeskChat cannot write to (read-only), so "
    "it is open read-only and nothing new can be saved."
)
_FULL = N_(
    "The disk holding your chat history is full, so it is open read-only and "
    "nothing new can be saved; free some space and restart DeskChat."
)


def _reason(exc: BaseException) -> str:
    error = store_error(exc, "write")
    return _(_FULL) if isinstance(error, DiskFullError) else _(_UNWRITABLE)


def _has_history(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _can_write(path: Path) -> bool:
    # access() reports a read-only mount (EROFS) even to root.
    return os.access(path.parent, os.W_OK) and os.access(path, os.W_OK)


def _open_read_only(path: Path, busy_ms: int, reason: str) -> Opened:
    """Open for reading only: through the WAL if possible, else the main file as it is."""
    try:
        conn = _connect(path, read_only=True, busy_ms=busy_ms)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        # mode=ro needs the -shm file, or the right to create it; without both,
        # only "immutable" reads, and it cannot see what a -wal file still holds.
        log.info("read-only open of %s failed (%s); reading it as immutable", path, exc)
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            log.warning("%s is read as it is; the newest changes in %s may not show", path, wal)
        conn = _connect(path, immutable=True, busy_ms=busy_ms)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        conn.close()
        raise MigrationError(
            _(
                "Your chat history was written by an older DeskChat and must be "
                "upgraded, which needs a disk DeskChat can write to; free some space, or "
                "copy {name} to a writable disk."
            ).format(name=path.name)
        )
    if version > SCHEMA_VERSION:
        reason = _newer(version)
    return Opened(conn, read_only_reason=reason)


def _newer(version: int) -> str:
    return _(
        "This chat history was written by a newer version of DeskChat (schema "
        "{version}, this version knows {SCHEMA_VERSION}), so it is open "
        "read-only; update DeskChat to add to it."
    ).format(version=version, SCHEMA_VERSION=SCHEMA_VERSION)


def _open_writable(path: Path, busy_ms: int) -> Opened:
    notice = None
    try:
        conn = _check(path, busy_ms)
    except _Corrupt as exc:
        moved = _move_aside(path)
        log.warning("database %s is damaged (%s); moved to %s", path, exc, moved)
        notice = _(
            "Your chat history file was damaged, so DeskChat started a new one; the "
            "old file was kept at {moved}."
        ).format(moved=moved)
        create_private(path)
        conn = _check(path, busy_ms)
    # The -wal and -shm files exist now; an older DeskChat may have left them readable.
    private_family(path)
    opened = Opened(conn, recovery_notice=notice)
    try:
        _upgrade(opened, path, busy_ms)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            opened.conn.close()
        raise
    return opened


def _upgrade(opened: Opened, path: Path, busy_ms: int) -> None:
    """Bring the schema up to date (a copy first), or reopen a newer one read-only."""
    conn = opened.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        opened.conn = _connect(path, read_only=True, busy_ms=busy_ms)
        opened.read_only_reason = _newer(version)
        log.warning("database %s has schema %d > %d; read-only", path, version, SCHEMA_VERSION)
        return
    if version == SCHEMA_VERSION:
        return
    if version > 0:
        opened.backup = _backup(conn, path, version)
        log.info("upgrading %s from schema %d; backup at %s", path, version, opened.backup)
    try:
        migrate(conn, SCHEMA_VERSION)
    except sqlite3.Error as exc:
        error = store_error(exc, _("upgrade your chat history"))
        if error is not None and not isinstance(error, DiskError):
            # Full, locked or read-only: the sentence says what to do; the file is as it was.
            raise error from exc
        raise MigrationError(
            _(
                "DeskChat could not upgrade your chat history ({exc}); the file was not "
                "changed, and a copy is at {backup}."
            ).format(exc=exc, backup=opened.backup)
        ) from exc
