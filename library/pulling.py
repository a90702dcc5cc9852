"""``pull OWNER/REPO[:QUANT]``: choose the .gguf, then download it (or find it already here).

Two steps, so a caller can say what it took before the transfer starts:
:func:`plan_pull` asks the Hub and picks the file; :func:`download` fetches it.
Both block; :func:`aplan_pull` and :func:`adownload` run them on a worker
thread for the event loop, and cancelling the awaiting task stops the transfer
(the part is kept for the next attempt).

Downloads go to DeskChat's own folder, ``<data dir>/models/OWNER/REPO/FILE``,
not to the Hugging Face cache: the cache's partial files cannot be resumed
after an interruption (see :mod:`.transfer`), its files may be shared with
other tools (so ``deskchat rm`` could not tell whose they are), and it stores
models as symlinks into ``blobs/``. A file already in the Hugging Face cache
or LM Studio's folder is used where it is instead of being downloaded again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from deskchat.gguf import projector_rank
from deskchat.i18n import _

from .catalogue import CATALOGUE
from .errors import DownloadCancelled, InvalidSpecError, LibraryError
from .hub import Hub, RepoListing, transport_errors
from .models import Source
from .names import GGUFGroup, ModelSpec, group_gguf_files, is_projector, parse_spec, pick_group
from .paths import Locations
from .progress import CancelToken, DownloadProgress, ProgressCallback, ProgressMeter
from .transfer import FileRequest, check_disk_space, fetch_file, partial_size

__all__ = ["PullPlan", "adownload", "aplan_pull", "apull", "download", "plan_pull", "pull"]

log = logging.getLogger("deskchat.library")

CANCEL_GRACE = 2.0
"""Seconds a cancelled :func:`adownload` waits for its worker thread to let go of the file."""


@dataclass(frozen=True)
class PullPlan:
    """The file :func:`plan_pull` chose, and what downloading it takes.

    Attributes:
        repo: ``OWNER/REPO``.
        quant: the quantisation label of the chosen file (None if its name has none).
        commit: the repository commit the download is pinned to.
        files: the file (or every part of a split model) to fetch, first part first.
        size: bytes of all parts, and of the projector.
        resumable: bytes already downloaded by an earlier attempt (an interrupted
            one's part, or a whole file: a model pulled before its projector).
        existing: the model's path when it is already on this machine (then nothing
            is downloaded), else None.
        existing_source: who has it: ``"downloaded"``, ``"huggingface"``, ``"lmstudio"``.
        hub: the Hub to download from.
        projector: a vision model's projector (the ``mmproj`` .gguf beside the
            model in the repository), fetched with it into the same folder, where
            the built-in engine looks for it; None for a text model.
    """

    repo: str
    quant: str | None
    commit: str
    files: tuple[FileRequest, ...]
    size: int
    resumable: int = 0
    existing: Path | None = None
    existing_source: Source | None = None
    hub: Hub = Hub()
    projector: FileRequest | None = None

    @property
    def transfers(self) -> tuple[FileRequest, ...]:
        """Every file to fetch: the model's parts, then its projector."""
        return self.files + ((self.projector,) if self.projector is not None else ())

    @property
    def name(self) -> str:
        """Its name in the local list, e.g. ``bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M``."""
        return f"{self.repo}:{self.quant}" if self.quant else f"{self.repo}/{self.filename}"

    @property
    def filename(self) -> str:
        """The chosen file's path in the repository (the first part of a split model)."""
        return self.files[0].path

    @property
    def path(self) -> Path:
        """Where the model is (or will be) on disk."""
        return self.existing or self.files[0].dest

    @property
    def needed(self) -> int:
        """Bytes still to download."""
        return 0 if self.existing else self.size - self.resumable


def plan_pull(
    spec: str | ModelSpec,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    hub: Hub | None = None,
    locations: Locations | None = None,
    projector: bool | None = None,
) -> PullPlan:
    """Ask the Hub what ``spec`` names and pick the file (blocking; a few hundred ms).

    ``projector``: whether to fetch the vision projector beside the model in the
    repository too (True), not (False), or as the catalogue says (None: a catalogue
    vision model's, named there; no other repository's).

    Raises:
        InvalidSpecError: ``spec`` is not ``OWNER/REPO[:QUANT]``.
        ModelNotFoundError, QuantNotFoundError, TokenRequiredError, AccessDeniedError,
        DownloadError: as the Hub answers.
    """
    wanted = parse_spec(spec) if isinstance(spec, str) else spec
    hub = hub or Hub()
    where = locations or Locations.default(data_dir)
    listing = hub.list_repo(wanted.repo)
    group = pick_group(
        group_gguf_files((f.path, f.size) for f in listing.files), wanted.quant, wanted.repo
    )
    files = tuple(_request(hub, listing, path, where) for path in group.files)
    projector_path = _projector_beside(listing, group, projector)
    fetched = _request(hub, listing, projector_path, where) if projector_path else None
    transfers = files + ((fetched,) if fetched is not None else ())
    existing, source = _already_here(listing, group, transfers, where)
    return PullPlan(
        repo=listing.repo,
        quant=group.quant,
        commit=listing.commit,
        files=files,
        size=sum(f.size for f in transfers),
        resumable=sum(_already_fetched(f) for f in transfers) if existing is None else 0,
        existing=existing,
        existing_source=source,
        hub=hub,
        projector=fetched,
    )


def _already_fetched(request: FileRequest) -> int:
    """Bytes of ``request`` on disk from an earlier pull: a whole file (a model pulled
    before its projector was), or the part an interrupted one left."""
    return request.size if _same_size(request.dest, request.size) else partial_size(request)


def _projector_beside(listing: RepoListing, group: GGUFGroup, wanted: bool | None) -> str | None:
    """The projector to fetch with ``group`` (see :func:`plan_pull`'s ``projector``):
    the catalogue's file, else the one in the model's folder of the repository that
    :func:`deskchat.gguf.find_projector` would take on disk (Q8_0 first)."""
    named = _catalogue_projector(listing.repo)
    if wanted is False or (wanted is None and named is None):
        return None
    folder = PurePosixPath(group.name).parent
    found = [
        f
        for f in listing.files
        if f.path.lower().endswith(".gguf")
        and is_projector(f.path)
        and PurePosixPath(f.path).parent == folder
    ]
    if any(f.path == named for f in found):
        return named
    if not found:
        return None
    return min(found, key=lambda f: (projector_rank(f.path), f.size, f.path)).path


def _catalogue_projector(repo: str) -> str | None:
    """The projector the catalogue names for ``repo``'s vision model, if it has one."""
    for entry in CATALOGUE:
        if entry.vision and entry.repo.lower() == repo.lower():
            return entry.projector
    return None


def _request(hub: Hub, listing: RepoListing, path: str, where: Locations) -> FileRequest:
    remote = listing.file(path)
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        raise InvalidSpecError(
            _("{repo} lists a file with an unsafe path: {path}.").format(
                repo=listing.repo, path=path
            )
        )
    dest = where.models_dir.joinpath(*listing.repo.split("/"), *relative.parts)
    url = hub.file_url(listing.repo, path, listing.commit)
    return FileRequest(listing.repo, path, url, remote.size, remote.sha256, dest)


def _already_here(
    listing: RepoListing, group: GGUFGroup, files: tuple[FileRequest, ...], where: Locations
) -> tuple[Path | None, Source | None]:
    """The model's path if every part (and its projector) is already on disk at the
    published size, in one folder: the engine finds the projector beside the model."""
    if all(_same_size(f.dest, f.size) for f in files):
        return files[0].dest, "downloaded"
    owner, name = listing.repo.split("/")
    cache = where.hf_cache / f"models--{owner}--{name}" / "snapshots"
    for snapshot in _subdirs(cache):
        if all(_cached_copy(snapshot / f.path, f) for f in files):
            return snapshot / group.name, "huggingface"
    for root in where.lmstudio:
        folder = root / owner / name
        if all(_same_size(folder / f.path, f.size) for f in files):
            return folder / group.name, "lmstudio"
    return None, None


def _cached_copy(path: Path, request: FileRequest) -> bool:
    """Whether ``path`` in the Hugging Face cache is this file: its blob is named by the
    sha256 (huggingface_hub names LFS blobs so); a copy without links, by its size."""
    if not _same_size(path, request.size):
        return False
    if path.is_symlink() and request.sha256:
        return path.resolve().name == request.sha256.lower()
    return True


def _same_size(path: Path, size: int) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


def download(
    plan: PullPlan,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Fetch the planned files (blocking); returns the model's path.

    Checks the free disk space first. Resumes parts from earlier attempts.

    Raises:
        NotEnoughDiskSpaceError: before anything is written.
        DownloadCancelled: ``cancel`` was set; the part is kept.
        DownloadError: the network failed too often; the part is kept.
        ChecksumMismatchError: the file was not the published one; it was deleted.
        TokenRequiredError, AccessDeniedError, ModelNotFoundError: the Hub refused.
    """
    meter = ProgressMeter(progress, plan.size)
    if plan.existing is not None:
        meter.filename = PurePosixPath(plan.filename).name
        meter.done = plan.size
        meter.report("done", force=True)
        return plan.existing
    check_disk_space(plan.files[0].dest.parent, plan.needed, plan.filename)
    token_cancel = cancel or CancelToken()
    hub = plan.hub
    token = hub.resolved_token()
    session = hub.session()
    from huggingface_hub import constants, hf_raise_for_status

    for request in plan.transfers:
        if _same_size(request.dest, request.size):
            meter.start_file(PurePosixPath(request.path).name, request.size)
            continue
        try:
            fetch_file(
                request,
                session=session,
                headers=hub.headers(token),
                meter=meter,
                cancel=token_cancel,
                transport_errors=transport_errors(session),
                raise_for_status=hf_raise_for_status,
                timeout=constants.HF_HUB_DOWNLOAD_TIMEOUT,
            )
        except LibraryError:
            raise
        except Exception as exc:  # noqa: BLE001 - the Hub's errors become sentences
            translated = hub.translate(exc, plan.repo, token)
            if translated is exc:
                raise
            raise translated from exc
    meter.report("done", force=True)
    return plan.files[0].dest


def pull(
    spec: str | ModelSpec,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    hub: Hub | None = None,
    projector: bool | None = None,
) -> Path:
    """:func:`plan_pull` then :func:`download` (blocking); returns the model's path."""
    plan = plan_pull(spec, data_dir, hub=hub, projector=projector)
    return download(plan, progress=progress, cancel=cancel)


async def aplan_pull(
    spec: str | ModelSpec,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    hub: Hub | None = None,
    projector: bool | None = None,
) -> PullPlan:
    """:func:`plan_pull` on a worker thread."""
    return await asyncio.to_thread(plan_pull, spec, data_dir, hub=hub, projector=projector)


async def adownload(plan: PullPlan, *, progress: ProgressCallback | None = None) -> Path:
    """:func:`download` on a worker thread; ``progress`` is called on the event loop's thread.

    Cancelling the task that awaits this stops the transfer at its next chunk
    and re-raises ``CancelledError`` once the worker has closed the part (or after
    :data:`CANCEL_GRACE` seconds, if the connection is stalled: the worker then
    stops by itself at the next chunk or timeout, writing nothing more).
    """
    loop = asyncio.get_running_loop()
    cancel = CancelToken()
    callback = progress

    def report(update: DownloadProgress) -> None:
        if callback is not None:
            loop.call_soon_threadsafe(callback, update)

    future = loop.run_in_executor(
        None, functools.partial(download, plan, progress=report, cancel=cancel)
    )
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.cancel()
        future.add_done_callback(functools.partial(_log_after_cancel, plan.filename))
        await asyncio.wait([future], timeout=CANCEL_GRACE)
        raise


def _log_after_cancel(filename: str, future: asyncio.Future[Path]) -> None:
    """Collect how a cancelled worker ended (so asyncio does not report it as lost)."""
    error = None if future.cancelled() else future.exception()
    if error is not None and not isinstance(error, DownloadCancelled):
        log.info("The cancelled download of %s ended with: %s", filename, error)


async def apull(
    spec: str | ModelSpec,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    hub: Hub | None = None,
    projector: bool | None = None,
) -> Path:
    """:func:`aplan_pull` then :func:`adownload`; returns the model's path."""
    plan = await aplan_pull(spec, data_dir, hub=hub, projector=projector)
    return await adownload(plan, progress=progress)
