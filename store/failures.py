"""SQLite's and the OS's errors as the one sentence a person reads.

A locked database, a full or read-only disk and an I/O error are the
environment's doing: :func:`store_error` turns each into a
:class:`~deskchat.store.errors.StoreError` worded for what DeskChat was doing.
Anything else SQLite raises (a bad statement, a broken constraint) is a bug
in DeskChat and is left as it is, so it is reported as one.
"""

from __future__ import annotations

import errno
import sqlite3

from deskchat.i18n import _

from .errors import DatabaseBusyError, DiskError, DiskFullError, ReadOnlyError, StoreError

__all__ = ["is_busy", "is_unwritable", "os_error", "store_error"]

# Primary result codes (the low byte of an extended code).
_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_FULL = 13  # SQLITE_FULL
_READONLY = 8  # SQLITE_READONLY
_DISK = {3, 10, 14, 22}  # SQLITE_PERM, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_NOLFS
_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_TOOBIG = 18  # SQLITE_TOOBIG
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked": someone else holds the lock."""
    return isinstance(exc, sqlite3.OperationalError) and _code(exc) in _BUSY


def is_unwritable(exc: BaseException) -> bool:
    """True when the file or its disk cannot be written (read-only, cannot open, I/O, full)."""
    if isinstance(exc, sqlite3.OperationalError):
        code = _code(exc)
        return code == _READONLY or code == _FULL or code in _DISK
    return isinstance(exc, OSError) and exc.errno in _READONLY_ERRNOS | _FULL_ERRNOS


def store_error(
    exc: BaseException, doing: str, *, waited: float | None = None
) -> StoreError | None:
    """The sentence for ``exc``, met while DeskChat tried to ``doing``; None for a bug.

    Args:
        exc: what SQLite or the OS raised.
        doing: completes "DeskChat could not …", e.g. "save the message".
        waited: for a lock, how many seconds DeskChat waited for it.
    """
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, OSError):
        return os_error(exc, doing)
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    code = _code(exc)
    if code in _BUSY:
        after = _(" for over {waited:g} s").format(waited=waited) if waited else ""
        return DatabaseBusyError(
            _(
                "Another program (a second DeskChat, or an import) kept your chat "
                "history busy{after}, so DeskChat could not {doing}; try again once it "
                "is done."
            ).format(after=after, doing=doing)
        )
    if code == _FULL:
        return _full(doing)
    if code == _READONLY:
        return _read_only(doing)
    if code in _DISK:
        return DiskError(
            _(
                "The disk holding your chat history failed ({exc}), so DeskChat could "
                "not {doing}; check the disk and try again."
            ).format(exc=exc, doing=doing)
        )
    if code in _CORRUPT:
        return DiskError(
            _(
                "Your chat history file is damaged, so DeskChat could not {doing}; "
                "restart DeskChat to keep the damaged file aside and start a new one."
            ).format(doing=doing)
        )
    if code == _TOOBIG:
        return StoreError(
            _("A text is too large for the chat history, so DeskChat could not {doing}.").format(
                doing=doing
            )
        )
    return None


def os_error(exc: OSError, doing: str) -> StoreError:
    """The sentence for an OS error met while DeskChat tried to ``doing``."""
    if exc.errno in _FULL_ERRNOS:
        return _full(doing)
    if exc.errno == errno.EROFS:
        return _read_only(doing, _("The disk"))
    reason = exc.strerror or str(exc)
    where = f" at {exc.filename}" if exc.filename else ""
    return DiskError(
        _("DeskChat could not {doing} ({lower}{where}).").format(
            doing=doing, lower=reason.lower(), where=where
        )
    )


def _full(doing: str) -> DiskFullError:
    return DiskFullError(
        _("The disk is full, so DeskChat could not {doing}; free some space and try again.").format(
            doing=doing
        )
    )


def _read_only(doing: str, disk: str | None = None) -> ReadOnlyError:
    disk = disk or _("The disk holding your chat history")
    return ReadOnlyError(
        _("{disk} is read-only, so DeskChat could not {doing}.").format(disk=disk, doing=doing)
    )
