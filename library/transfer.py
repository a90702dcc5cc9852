"""One file from the Hub to disk: resumable, verified, and never half a file under its final name.

Why not ``hf_hub_download``: in huggingface_hub 2.4 it writes to a temporary
file unique to each attempt and deletes it whenever the call fails or is
interrupted (``_download_to_tmp_and_move``, huggingface/huggingface_hub#4228),
so neither Ctrl+C, a Stop in the window nor a restart can resume (measured
against tests/fakes/hf_hub.py: after an interruption the cache holds no part
at all); its in-call retry after a dropped connection loses what its 10 MB
read buffer held; it checks the size but not the sha256; and it has no cancel
hook. The transfer here uses huggingface_hub's URL, headers, session, timeout
and errors, and adds those.

It is plain HTTP: ``/resolve/COMMIT/FILE`` redirects to the CDN (for Xet-backed
files, the Xet bridge), which honours ``Range``. hf_xet is not involved, so
HF_HUB_DISABLE_XET makes no difference here.

On disk, next to the final ``NAME``:

- ``NAME.incomplete``: the bytes so far (never mistaken for a model: wrong suffix);
- ``NAME.incomplete.json``: which file of which repository, its size and sha256,
  so a later attempt resumes only the same file.

The part becomes ``NAME`` (``os.replace``, after fsync) only once its size and
sha256 match what the Hub publishes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from deskchat.i18n import _

from .errors import ChecksumMismatchError, DownloadError, NotEnoughDiskSpaceError
from .formatting import format_size
from .progress import CancelToken, ProgressMeter

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = [
    "PART_SUFFIX",
    "FileRequest",
    "check_disk_space",
    "fetch_file",
    "partial_size",
]

log = logging.getLogger("deskchat.library")

PART_SUFFIX = ".incomplete"
_HASH_CHUNK = 4 * 1024 * 1024
# Attempts in a row that bring no new byte before giving up (a drop resets the count
# as soon as bytes flow again), and the waits between them.
_MAX_ATTEMPTS = 5
_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
# Left free after a download, so the disk does not end up full to the last byte.
DISK_RESERVE = 100 * 1000 * 1000


@dataclass(frozen=True)
class FileRequest:
    """One file to fetch.

    Attributes:
        repo: ``OWNER/REPO``.
        path: the file's path in the repository.
        url: where to GET it (pinned to a commit).
        size: its size in bytes, as the Hub lists it.
        sha256: its published sha256, or None (then only the size is checked).
        dest: the final path on disk.
    """

    repo: str
    path: str
    url: str
    size: int
    sha256: str | None
    dest: Path

    @property
    def part(self) -> Path:
        return self.dest.with_name(self.dest.name + PART_SUFFIX)

    @property
    def record(self) -> Path:
        return self.dest.with_name(self.dest.name + PART_SUFFIX + ".json")

    def describe(self) -> dict[str, Any]:
        return {"repo": self.repo, "path": self.path, "size": self.size, "sha256": self.sha256}


def partial_size(request: FileRequest) -> int:
    """Bytes of ``request`` already on disk from an earlier attempt that can be resumed."""
    try:
        recorded = json.loads(request.record.read_text(encoding="utf-8"))
        size = request.part.stat().st_size
    except (OSError, ValueError):
        return 0
    if recorded != request.describe() or size > request.size:
        return 0
    return size


def check_disk_space(folder: Path, needed: int, what: str) -> None:
    """Raise unless ``folder``'s disk has ``needed`` bytes free plus a small reserve.

    Raises:
        NotEnoughDiskSpaceError: with both numbers in the sentence.
    """
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed + DISK_RESERVE > free:
        raise NotEnoughDiskSpaceError(
            _(
                "Not enough free disk space for {what}: it needs {format_size} (and "
                "{format_size2} to spare) in {folder}, but only {format_size3} is free "
                "there. Free some space, or choose a smaller model."
            ).format(
                what=what,
                format_size=format_size(needed),
                format_size2=format_size(DISK_RESERVE),
                folder=folder,
                format_size3=format_size(free),
            )
        )


def fetch_file(
    request: FileRequest,
    *,
    session: Any,
    headers: dict[str, str],
    meter: ProgressMeter,
    cancel: CancelToken,
    transport_errors: type[Exception],
    raise_for_status: Any,
    timeout: float = 10.0,
) -> None:
    """Download ``request`` to ``request.dest``, resuming a part from an earlier attempt.

    Args:
        session: an httpx(2) client (huggingface_hub's).
        headers: huggingface_hub's headers (user agent, token).
        meter: receives the byte counts.
        cancel: checked between chunks; cancelling keeps the part.
        transport_errors: the HTTP library's connection-error class (retried).
        raise_for_status: huggingface_hub's ``hf_raise_for_status``.
        timeout: seconds to wait for the server (to connect, or for the next bytes).

    Raises:
        DownloadCancelled: ``cancel`` was set; the part is kept.
        DownloadError: the connection failed too often; the part is kept.
        ChecksumMismatchError: the file is not what the Hub publishes; it was deleted.
        huggingface_hub errors: the Hub refused (gated, gone); the caller translates them.
    """
    request.dest.parent.mkdir(parents=True, exist_ok=True)
    already = partial_size(request)
    if not already:
        request.part.unlink(missing_ok=True)
    request.record.write_text(json.dumps(request.describe()), encoding="utf-8")
    with open(request.part, "ab") as out:
        out.truncate(already)
        download = _Download(request, out, already, meter, cancel, timeout)
        if already:
            log.info("Resuming %s at byte %d", request.path, already)
            download.hash_existing()
        meter.start_file(Path(request.path).name, already)
        download.run(session, headers, transport_errors, raise_for_status)
        out.flush()
        os.fsync(out.fileno())
    _verify_and_commit(request, download.digest.hexdigest(), meter)


def _sha256() -> _Hash:
    """A new running sha256; hashlib on first use (its OpenSSL binding maps ~0.7 MiB
    the window need not hold until a download)."""
    import hashlib

    return hashlib.sha256()


class _Download:
    """The state of one transfer: the open part, the bytes in it and their running sha256."""

    def __init__(
        self,
        request: FileRequest,
        out: BinaryIO,
        done: int,
        meter: ProgressMeter,
        cancel: CancelToken,
        timeout: float,
    ) -> None:
        self.request = request
        self.timeout = timeout
        self.out = out
        self.done = done
        self.meter = meter
        self.cancel = cancel
        self.digest = _sha256()

    def hash_existing(self) -> None:
        """Feed the part already on disk to the digest, so it covers the whole file."""
        with open(self.request.part, "rb") as existing:
            left = self.done
            while left:
                block = existing.read(min(_HASH_CHUNK, left))
                if not block:
                    raise DownloadError(
                        _("{name} shrank while it was being read; try again.").format(
                            name=self.request.part.name
                        )
                    )
                self.digest.update(block)
                left -= len(block)
                self.cancel.raise_if_cancelled()

    def run(
        self,
        session: Any,
        headers: dict[str, str],
        transport_errors: type[Exception],
        raise_for_status: Any,
    ) -> None:
        """GET the missing bytes, again with ``Range`` after every dropped connection."""
        failures = 0
        while self.done < self.request.size:
            self.cancel.raise_if_cancelled()
            before = self.done
            try:
                self._get(session, headers, raise_for_status)
            except transport_errors as exc:
                failures = 0 if self.done > before else failures + 1
                if failures >= _MAX_ATTEMPTS:
                    raise DownloadError(
                        _(
                            "The download of {path} keeps failing ({name__}: {exc}); {format_size} "
                            "of {format_size2} are kept. Run the same command again to resume."
                        ).format(
                            path=self.request.path,
                            name__=exc.__class__.__name__,
                            exc=exc,
                            format_size=format_size(self.done),
                            format_size2=format_size(self.request.size),
                        )
                    ) from None
                log.warning(
                    "%s: connection lost at byte %d (%s); resuming",
                    self.request.path,
                    self.done,
                    exc,
                )
                self.cancel.sleep(_BACKOFF[min(failures, len(_BACKOFF) - 1)])
                continue
            if self.done == before or self.done > self.request.size:
                break  # _verify_and_commit says what is wrong with the file

    def _get(self, session: Any, headers: dict[str, str], raise_for_status: Any) -> None:
        wanted = dict(headers)
        if self.done:
            wanted["Range"] = f"bytes={self.done}-"
        # Identity: a compressed body would make byte counts and Range meaningless.
        wanted["Accept-Encoding"] = "identity"
        with session.stream(
            "GET", self.request.url, headers=wanted, timeout=self.timeout, follow_redirects=True
        ) as response:
            if response.status_code >= 400:
                response.read()  # the Hub's error details are in the body
                raise_for_status(response)
            if self.done and response.status_code != 206:
                self._restart()
            # As the bytes arrive (no re-chunking): progress and Stop stay prompt on a
            # slow line.
            for chunk in response.iter_bytes():
                self.cancel.raise_if_cancelled()
                self.out.write(chunk)
                self.digest.update(chunk)
                self.done += len(chunk)
                self.meter.advance(len(chunk))
                if self.done > self.request.size:
                    return

    def _restart(self) -> None:
        """The server ignored Range and sends the whole file: start the part over."""
        log.info("%s: the server ignored Range; downloading from the start", self.request.path)
        self.out.seek(0)
        self.out.truncate(0)
        self.meter.rewind(self.done)
        self.digest = _sha256()
        self.done = 0


def _verify_and_commit(request: FileRequest, got: str, meter: ProgressMeter) -> None:
    """Give the part its final name if it is the published file; else delete it."""
    meter.report("verifying", force=True)
    size = request.part.stat().st_size
    expected = request.sha256.lower() if request.sha256 else None
    if size == request.size and expected in (None, got):
        os.replace(request.part, request.dest)
        request.record.unlink(missing_ok=True)
        return
    request.part.unlink(missing_ok=True)
    request.record.unlink(missing_ok=True)
    if size != request.size:
        what = _("has {size} bytes instead of the {size2} the Hub lists").format(
            size=size, size2=request.size
        )
    else:
        what = _("has sha256 {got}… but the Hub publishes {value}…").format(
            got=got[:16], value=expected and expected[:16]
        )
    raise ChecksumMismatchError(
        _(
            "The download of {path} from {repo} {what}, so it was deleted. Run the "
            "same command again to download it anew; if it happens again, the file "
            "on the Hub may be broken."
        ).format(path=request.path, repo=request.repo, what=what)
    )
