"""Errors raised by the history store, each with a sentence a person can act on.

Hierarchy::

    StoreError
    ├── ReadOnlyError       the database is from a newer DeskChat, or opened read-only
    ├── NotFoundError       no conversation or message with that id
    ├── MigrationError      upgrading the database file failed (the file is untouched)
    └── ImportError_        a file to import is broken; nothing was imported
"""

from __future__ import annotations

from deskchat.errors import DeskChatError

__all__ = ["ImportError_", "MigrationError", "NotFoundError", "ReadOnlyError", "StoreError"]


class StoreError(DeskChatError):
    """Base of every error the store raises on purpose (``.text()`` is the sentence)."""


class ReadOnlyError(StoreError):
    """A write was asked of a database that is open read-only."""


class NotFoundError(StoreError):
    """A conversation or message id that does not exist (or was purged)."""


class MigrationError(StoreError):
    """Upgrading the database to this version's schema failed."""


class ImportError_(StoreError):  # noqa: N801 - trailing underscore: not the builtin ImportError
    """A file could not be imported; the database was not changed."""
