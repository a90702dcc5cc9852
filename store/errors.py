"""Errors raised by the history store, each with a sentence a person can act on.

Every error the store raises on purpose is a :class:`StoreError`, itself a
:class:`deskchat.errors.DeskChatError`. Anything else escaping the store is a
bug in DeskChat, not the disk's fault. Every store error class lives here.

Hierarchy::

    DeskChatError (deskchat.errors)
    └── StoreError
        ├── ReadOnlyError         the database is from a newer DeskChat, or opened read-only
        ├── NoSuchRecordError     no conversation or message with that id
        ├── MigrationError        upgrading the database file failed (the file is untouched)
        ├── BadImportFileError    a file to import is broken; nothing was imported
        ├── DatabaseBusyError     another program kept the database locked past the wait
        ├── DiskFullError         the disk is full; nothing of that change was written
        └── DiskError             the disk failed or refused (I/O error, cannot open or create)

A full disk, a lock and a failing disk are the environment's doing, not a bug:
:func:`deskchat.store.failures.store_error` turns SQLite's and the OS's errors
into these, worded for what DeskChat was doing.
"""

from __future__ import annotations

from deskchat.errors import DeskChatError

__all__ = [
    "BadImportFileError",
    "DatabaseBusyError",
    "DiskError",
    "DiskFullError",
    "MigrationError",
    "NoSuchRecordError",
    "ReadOnlyError",
    "StoreError",
]


class StoreError(DeskChatError):
    """Base of every error the store raises on purpose (``.text()`` is the sentence)."""


class ReadOnlyError(StoreError):
    """A write was asked of a database that is open read-only."""


class NoSuchRecordError(StoreError):
    """A conversation or message id that does not exist (or was purged)."""


class MigrationError(StoreError):
    """Upgrading the database to this version's schema failed."""


class BadImportFileError(StoreError):
    """A file could not be imported; the database was not changed."""


class DatabaseBusyError(StoreError):
    """Another program (a second DeskChat, an import) held the write lock past the wait."""

    retryable = True


class DiskFullError(StoreError):
    """The disk holding the history is full; the change was not written."""

    retryable = True


class DiskError(StoreError):
    """The disk failed or refused: an I/O error, a file that cannot be opened or created."""
