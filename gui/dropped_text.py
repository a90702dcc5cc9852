"""Reading a file dropped on the input box as text, or saying in one sentence why not."""

from __future__ import annotations

from pathlib import Path

from deskchat.errors import DeskChatError
from deskchat.i18n import _, size

__all__ = ["MAX_DROP_BYTES", "DropRefused", "read_dropped_file"]

MAX_DROP_BYTES = 5 * 1000 * 1000
"""A dropped file larger than this is refused (it would not fit a model's context anyway)."""
_SNIFF = 8192
"""How much of a file is looked at for a NUL byte, the mark of a binary file."""


class DropRefused(DeskChatError):
    """A dropped file was not added to the message: a folder, binary, not UTF-8, too large."""


def read_dropped_file(path: Path) -> str:
    """The text of the dropped file at ``path``, with its line ends as "\\n".

    Raises:
        DropRefused: it is a folder, larger than :data:`MAX_DROP_BYTES`, binary
            (a NUL byte) or not UTF-8 text; the sentence names the file.
        OSError: it could not be read.
    """
    name = path.name or str(path)
    if path.is_dir():
        raise DropRefused(_("“{name}” is a folder: drop text files instead.").format(name=name))
    byte_count = path.stat().st_size
    if byte_count > MAX_DROP_BYTES:
        raise DropRefused(
            _("“{name}” is too large to add ({size}; up to {limit}).").format(
                name=name, size=size(byte_count), limit=size(MAX_DROP_BYTES)
            )
        )
    data = path.read_bytes()
    text: str | None = None
    if b"\0" not in data[:_SNIFF]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
    if text is None:
        raise DropRefused(
            _(
                "“{name}” is not a text file, so it was not added: only text can be dropped here."
            ).format(name=name)
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")
