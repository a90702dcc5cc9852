"""Small real disks for store fault tests: a tmpfs of a few MB that can fill up or turn read-only.

Mounting needs root (or CAP_SYS_ADMIN); where it is refused the tests that
need a disk skip with the reason. ``chmod`` is no substitute: root writes
through any mode.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["Disk", "small_disk"]

_FILLER = ".filler"


class Disk:
    """A mounted tmpfs at ``root``.

    Attributes:
        root: the mount point.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _remount(self, how: str) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,{how}", str(self.root)],
            check=True,
            capture_output=True,
        )

    def read_only(self) -> None:
        """Remount read-only (every file on it must be closed for writing)."""
        self._remount("ro")

    def writable(self) -> None:
        self._remount("rw")

    def fill(self) -> None:
        """Take every free byte (more calls take what was freed since)."""
        block = b"\0" * 4096
        with open(self.root / _FILLER, "ab", buffering=0) as fh:
            while True:
                try:
                    fh.write(block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        # Smaller writes take the last partial block too.
        with open(self.root / _FILLER, "ab", buffering=0) as fh, contextlib.suppress(OSError):
            while fh.write(b"\0"):
                pass

    def free(self) -> None:
        """Give the filled space back."""
        (self.root / _FILLER).unlink(missing_ok=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize


@contextlib.contextmanager
def small_disk(root: Path, size: str = "4m") -> Iterator[Disk]:
    """Mount a tmpfs of ``size`` at ``root`` for the block; skip the test if that is refused."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("no mount command here")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
    try:
        yield Disk(root)
    finally:
        # Lazy: a connection the test leaked must not leave the mount behind.
        subprocess.run(["umount", "-l", str(root)], capture_output=True, check=False)
