"""Reading a file to import: JSON, or the conversations.json inside a ChatGPT zip, bounded.

A file is parsed whole, so one too large for this computer's memory is refused
by its size before it is read, and a zip member is read no further than that
limit whatever its header claims (a zip bomb stops there). Everything that can
go wrong while reading becomes a :class:`BadImportFileError` sentence.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskchat.i18n import _

from .errors import BadImportFileError

__all__ = ["MAX_IMPORT_BYTES", "Loaded", "load_import_file"]

log = logging.getLogger("deskchat.store")

MAX_IMPORT_BYTES = 1 << 30
"""The largest file DeskChat parses (1 GiB), less where memory is short (see :func:`limit`)."""
# Parsed JSON takes several times its size in memory (a str, then the objects).
_MEMORY_PER_BYTE = 8
_ZIP_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ZIP_METHODS = {9: "Deflate64", 6: "Implode", 98: "PPMd", 93: "Zstandard", 95: "XZ", 99: "AES"}
_ENCRYPTED = 0x1
_NAME = "conversations.json"


@dataclass
class Loaded:
    """A parsed import file.

    Attributes:
        data: the parsed JSON.
        note: a sentence saying which of several conversations.json in a zip was
            read, or None.
    """

    data: Any
    note: str | None = None


def _available_memory() -> int | None:
    """Bytes of memory free for use, where the system says (Linux, macOS); else None."""
    try:
        # MemAvailable counts the page cache the kernel would give up; AVPHYS does not.
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def limit() -> int:
    """The largest file this computer can import now: :data:`MAX_IMPORT_BYTES` or less."""
    free = _available_memory()
    if free is None:
        return MAX_IMPORT_BYTES
    return max(1 << 20, min(MAX_IMPORT_BYTES, free // _MEMORY_PER_BYTE))


def _mb(size: int) -> str:
    return f"{max(1, round(size / (1 << 20))):,} MB"


def _too_large(name: str, size: int | None, most: int) -> BadImportFileError:
    what = _("{name} is too large to import").format(name=name) + (
        f" ({_mb(size)})" if size is not None else ""
    )
    return BadImportFileError(
        _(
            "{what}: DeskChat can import files up to {mb} on this computer, so "
            "nothing was imported."
        ).format(what=what, mb=_mb(most))
    )


def _choose(path: Path, found: list[zipfile.ZipInfo]) -> tuple[zipfile.ZipInfo, str | None]:
    """The conversations.json to read: the top-level one, else the newest; and a note why.

    A zip can hold an older export inside a newer one; the first in the zip's
    order may be any of them.
    """
    top = [i for i in found if "/" not in i.filename]
    chosen = top[0] if top else max(found, key=lambda i: (i.date_time, i.file_size))
    others = [i.filename for i in found if i is not chosen]
    if not others:
        return chosen, None
    which = _("the one at the top") if top else _("the newest")
    skipped = ", ".join(others[:3]) + (
        _(" and {value} more").format(value=len(others) - 3) if len(others) > 3 else ""
    )
    return chosen, (
        _(
            "{name} holds {n} conversations.json files; DeskChat read {which}, "
            "{filename}, and not {skipped}."
        ).format(
            name=path.name, n=len(found), which=which, filename=chosen.filename, skipped=skipped
        )
    )


def _read_zip(path: Path, most: int) -> tuple[bytes, str | None]:
    with zipfile.ZipFile(path) as zf:
        found = [i for i in zf.infolist() if i.filename.rsplit("/", 1)[-1] == _NAME]
        if not found:
            raise BadImportFileError(
                _(
                    "{name} is a zip file without a {_NAME} inside, so it is not a ChatGPT "
                    "export; nothing was imported."
                ).format(name=path.name, _NAME=_NAME)
            )
        info, note = _choose(path, found)
        if info.flag_bits & _ENCRYPTED:
            raise BadImportFileError(
                _(
                    "{name} is protected by a password; unzip it yourself and import the "
                    "{_NAME} inside. Nothing was imported."
                ).format(name=path.name, _NAME=_NAME)
            )
        if info.compress_type not in _ZIP_READABLE:
            method = _ZIP_METHODS.get(info.compress_type, f"method {info.compress_type}")
            raise BadImportFileError(
                _(
                    "{name} is compressed with {method}, which DeskChat cannot unpack; unzip "
                    "it with another tool and import the {_NAME} inside. Nothing was "
                    "imported."
                ).format(name=path.name, method=method, _NAME=_NAME)
            )
        if info.file_size > most:
            raise _too_large(path.name, info.file_size, most)
        with zf.open(info) as fh:
            raw = fh.read(most + 1)
        if len(raw) > most:
            raise _too_large(path.name, None, most)
        return raw, note


def load_import_file(path: str | Path) -> Loaded:
    """The parsed JSON of ``path`` (a .json file, or a ChatGPT .zip export).

    Raises:
        BadImportFileError: it cannot be read, is too large, or is not JSON.
    """
    path = Path(path)
    most = limit()
    note = None
    try:
        if zipfile.is_zipfile(path):
            raw, note = _read_zip(path, most)
        else:
            size = path.stat().st_size
            if size > most:
                raise _too_large(path.name, size, most)
            raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
        del raw  # the bytes and the text need not both stay while JSON is parsed
        return Loaded(json.loads(text), note)
    except BadImportFileError:
        raise
    except RecursionError as exc:
        raise BadImportFileError(
            _("{name} is nested too deeply to be a chat export; nothing was imported.").format(
                name=path.name
            )
        ) from exc
    except MemoryError as exc:
        raise _too_large(path.name, None, most) from exc
    except OSError as exc:
        raise BadImportFileError(
            _("DeskChat could not read {name}: {value}.").format(
                name=path.name, value=exc.strerror or exc
            )
        ) from exc
    except UnicodeDecodeError as exc:
        raise BadImportFileError(
            _(
                "{name} is not UTF-8 text ({reason} at byte {start:,}); nothing was imported."
            ).format(name=path.name, reason=exc.reason, start=exc.start)
        ) from exc
    except json.JSONDecodeError as exc:
        raise BadImportFileError(
            _(
                "{name} is not a JSON file DeskChat can read ({msg} at line {lineno}, "
                "column {colno}); nothing was imported."
            ).format(name=path.name, msg=exc.msg, lineno=exc.lineno, colno=exc.colno)
        ) from exc
    except ValueError as exc:
        if "digits" not in str(exc):
            raise _damaged(path, exc) from exc
        # Python refuses to read a whole number of over 4,300 digits.
        raise BadImportFileError(
            _(
                "{name} holds a number of over 4,300 digits, too long to be real; "
                "nothing was imported."
            ).format(name=path.name)
        ) from exc
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,  # zipfile: encrypted, or bz2/lzma missing from this Python
    ) as exc:
        raise _damaged(path, exc) from exc


def _damaged(path: Path, exc: BaseException) -> BadImportFileError:
    log.info("cannot read %s: %r", path, exc)
    return BadImportFileError(
        _("{name} is damaged or not a file DeskChat can read; nothing was imported.").format(
            name=path.name
        )
    )
