"""Files only their owner can read: the data folder 0700, what DeskChat writes 0600.

Chat history is private whatever the umask says. Where modes mean nothing
(Windows, where ``chmod`` sets at most the read-only flag) these functions
leave files alone. A mode that cannot be changed (a read-only disk, a file
owned by someone else) is logged, never raised: it must not stop DeskChat
from reading the user's history.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "create_private",
    "make_private_folder",
    "private_family",
    "private_file",
    "write_private",
]

log = logging.getLogger("deskchat.store")

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_POSIX = os.name == "posix"


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if needed, and make it the owner's alone.

    A folder shared on purpose (sticky, like ``/tmp``), the home folder, or one
    owned by another user keeps its mode: only the files DeskChat writes in it
    are made private.

    Raises:
        OSError: the folder cannot be created.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    if not _POSIX:
        return
    try:
        info = folder.stat()
        if info.st_mode & stat.S_ISVTX or info.st_uid != os.geteuid():
            return
        if folder.resolve() == Path.home().resolve():
            return
        if stat.S_IMODE(info.st_mode) != FOLDER_MODE:
            os.chmod(folder, FOLDER_MODE)
    except OSError as exc:
        log.info("cannot make %s private: %s", folder, exc)


def private_file(path: Path) -> None:
    """Make an existing file readable by its owner only; a missing file is left missing."""
    if not _POSIX:
        return
    try:
        if stat.S_IMODE(path.stat().st_mode) & ~FILE_MODE:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        return
    except OSError as exc:
        log.info("cannot make %s private: %s", path, exc)


def private_family(path: Path) -> None:
    """Make ``path`` and its companions (``<name>-wal``, ``<name>.bak-v1``, ...) private."""
    private_file(path)
    with contextlib.suppress(OSError):
        for other in path.parent.iterdir():
            if other.name.startswith(path.name) and other != path and other.is_file():
                private_file(other)


def create_private(path: Path) -> None:
    """Create ``path`` empty and private if it does not exist (SQLite then keeps its mode).

    SQLite gives a database's -wal, -shm and journal files the database's own
    mode, so a database created this way keeps all of them private.
    """
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


@contextlib.contextmanager
def write_private(path: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A new text file at ``path`` (replacing one there) that only its owner can read."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        if _POSIX:
            # O_CREAT's mode applies only to a new file; an old one keeps its own.
            os.fchmod(fd, FILE_MODE)
        fh = os.fdopen(fd, "w", encoding=encoding)
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh
