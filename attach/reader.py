"""Reading one file into an :class:`Attachment`: what it is, whether it fits, or why not.

Blocking (disk, decoding, a child process for PDFs): run it off the GUI
thread (:func:`read_files` in a worker thread; the window and the command
line both do). Pillow and pypdf load only when an image or a PDF comes.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from deskchat import i18n
from deskchat.i18n import N_, _, number

from .errors import (
    AttachmentError,
    BrokenImageError,
    BrokenPdfError,
    FileTooLargeError,
    FileVanishedError,
    NotAFileError,
    UnreadableFileError,
    UnsupportedFileError,
)
from .models import DEFAULT_LIMITS, Attachment, Limits, approximate_tokens
from .sniff import claimed_kind, decode_text, sniff

__all__ = ["format_size", "read_file", "read_files"]

log = logging.getLogger("deskchat.attach")

_HEAD = 4096
_IMAGES = frozenset({"png", "jpeg", "gif", "webp", "bmp"})


def read_files(paths: Iterable[str | Path], limits: Limits = DEFAULT_LIMITS) -> list[Attachment]:
    """Each of ``paths`` read; the first that cannot be attached raises (nothing is sent)."""
    return [read_file(path, limits) for path in paths]


def read_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Attachment:
    """The file at ``path`` as an attachment: an image, a text file or a PDF's text.

    What it is comes from its bytes, never its name; a name that promises an
    image or a PDF the bytes are not is refused as mislabelled.

    Raises:
        AttachmentError: a subclass with the sentence saying why not.
    """
    path = Path(path)
    name = path.name or str(path)
    info = _stat(path, name)
    if stat.S_ISDIR(info.st_mode):
        raise NotAFileError(
            _("“{name}” is a folder; attach the files in it one by one.").format(name=name)
        )
    if not stat.S_ISREG(info.st_mode):
        raise NotAFileError(
            _("“{name}” is not a regular file, so it cannot be attached.").format(name=name)
        )
    if info.st_size > limits.max_file_bytes:
        raise FileTooLargeError(
            _(
                "“{name}” is {size}, more than the {limit} DeskChat attaches; attach a "
                "smaller file."
            ).format(
                name=name,
                size=format_size(info.st_size),
                limit=format_size(limits.max_file_bytes),
            ),
            size=info.st_size,
        )
    head = _read(path, name, _HEAD)
    found = sniff(head)
    if found in _IMAGES:
        return _image(path, name, info.st_size, limits)
    if found == "pdf":
        return _pdf(path, name, info.st_size, limits)
    claimed = claimed_kind(name)
    if claimed == "image":
        raise BrokenImageError(
            _(
                "“{name}” is named as an image, but its content is not one DeskChat reads; "
                "check that it is the file you meant, or save it again as PNG or JPEG."
            ).format(name=name)
        )
    if claimed == "pdf":
        raise BrokenPdfError(
            _(
                "“{name}” is named as a PDF, but its content is not a PDF; check that it "
                "is the file you meant."
            ).format(name=name)
        )
    return _text(path, name, info.st_size, limits)


def _stat(path: Path, name: str) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError as exc:
        raise UnreadableFileError(
            _("There is no file “{name}”; check its name and folder.").format(name=name)
        ) from exc
    except OSError as exc:
        raise _unreadable(name, exc) from exc


def _read(path: Path, name: str, limit: int) -> bytes:
    """Up to ``limit`` bytes from the start of the file."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit)
    except FileNotFoundError as exc:
        raise _vanished(name) from exc
    except IsADirectoryError as exc:
        raise NotAFileError(
            _("“{name}” is a folder; attach the files in it one by one.").format(name=name)
        ) from exc
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    # Deleted (or replaced) while it was read: what was read may be anything.
    if not path.exists():
        raise _vanished(name)
    return data


def _vanished(name: str) -> FileVanishedError:
    return FileVanishedError(
        _(
            "“{name}” disappeared while DeskChat was reading it (moved or deleted); "
            "attach it again from where it is now."
        ).format(name=name)
    )


def _unreadable(name: str, exc: OSError) -> UnreadableFileError:
    log.info("cannot read %s: %s", name, exc)
    if isinstance(exc, PermissionError):
        return UnreadableFileError(
            _(
                "DeskChat may not read “{name}”; check the file's permissions, or copy it "
                "somewhere you can read it."
            ).format(name=name)
        )
    return UnreadableFileError(
        _("“{name}” could not be read ({reason}); check the disk and try again.").format(
            name=name, reason=exc.strerror or type(exc).__name__
        )
    )


def _image(path: Path, name: str, size: int, limits: Limits) -> Attachment:
    from .images import read_image

    data = _read(path, name, limits.max_file_bytes)
    return read_image(data, name, size, limits)


def _pdf(path: Path, name: str, size: int, limits: Limits) -> Attachment:
    from .pdf import read_pdf_text

    pdf = read_pdf_text(path, name, limits)
    if not path.exists():
        raise _vanished(name)
    text = pdf.joined()
    if not text.strip():
        raise UnsupportedFileError(
            _(
                "“{name}” has no text DeskChat can read (its pages may be scanned images); "
                "attach the pages as images instead."
            ).format(name=name)
        )
    truncated = pdf.cut
    tokens = approximate_tokens(text)
    if tokens > limits.max_tokens or (pdf.cut and not limits.allow_partial):
        if not limits.allow_partial:
            raise _too_long(name, size, tokens, limits, more=pdf.cut)
        text, truncated = _cut(text, limits), True
    return Attachment(
        name,
        "pdf",
        "text/plain",
        text.encode("utf-8"),
        size=size,
        pages=len(pdf.pages),
        truncated=truncated,
    )


def _text(path: Path, name: str, size: int, limits: Limits) -> Attachment:
    budget = limits.max_tokens * 4
    if size > budget and not limits.allow_partial:
        # Too long to send whole: still say "binary" for a file that is not text at all.
        head = _read(path, name, min(size, 64 * 1024))
        if decode_text(head, cut=True) is None:
            raise _binary(name)
        raise _too_long(name, size, -(-size // 4), limits)
    data = _read(path, name, budget + 1)
    cut = len(data) > budget
    text = decode_text(data[:budget], cut=cut)
    if text is None:
        raise _binary(name)
    if cut:
        text = _cut(text, limits)
    return Attachment(name, "text", "text/plain", text.encode("utf-8"), size=size, truncated=cut)


def _cut(text: str, limits: Limits) -> str:
    """The first ``limits.max_tokens`` (approximately) of ``text``, at a line end if one is near."""
    data = text.encode("utf-8")[: limits.max_tokens * 4]
    kept = data.decode("utf-8", "ignore")
    newline = kept.rfind("\n")
    if newline > len(kept) * 0.9:
        kept = kept[: newline + 1]
    return kept


def _binary(name: str) -> UnsupportedFileError:
    return UnsupportedFileError(
        _(
            "“{name}” is neither text, an image nor a PDF, so DeskChat cannot send it; "
            "attach a text, PNG, JPEG or PDF file."
        ).format(name=name)
    )


def _too_long(
    name: str, size: int, tokens: int, limits: Limits, *, more: bool = False
) -> AttachmentError:
    sentence = (
        N_(
            "“{name}” is {size}, more than about {tokens} tokens, and the model's context "
            "takes {limit}; attach a part of it, or choose to send only its beginning."
        )
        if more
        else N_(
            "“{name}” is {size}, about {tokens} tokens, and the model's context takes "
            "{limit}; attach a part of it, or choose to send only its beginning."
        )
    )
    return FileTooLargeError(
        _(sentence).format(
            name=name,
            size=format_size(size),
            tokens=number(tokens),
            limit=number(limits.max_tokens),
        ),
        size=size,
        tokens=tokens,
    )


format_size = i18n.size
"""Bytes in decimal units: ``512 B``, ``398 kB``, ``1.93 MB`` (:func:`deskchat.i18n.size`)."""
