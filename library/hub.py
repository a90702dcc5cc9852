"""Talking to the Hugging Face Hub through huggingface_hub: which .gguf files a
repository has, their sizes and published sha256, and its errors as sentences.

huggingface_hub is imported only when the Hub is needed, so listing local
models never pays for it (about 0.25 s). HF_ENDPOINT and HF_TOKEN (or the
token ``hf auth login`` saved) are honoured the way huggingface_hub honours them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deskchat.i18n import _

from .errors import (
    AccessDeniedError,
    DownloadError,
    LibraryError,
    ModelNotFoundError,
    TokenRequiredError,
)

if TYPE_CHECKING:
    import httpx2

__all__ = ["Hub", "RemoteFile", "RepoListing"]

_DEFAULT_ENDPOINT = "https://huggingface.co"
_LIBRARY_NAME = "deskchat"


@dataclass(frozen=True)
class RemoteFile:
    """A file in a Hub repository.

    Attributes:
        path: its path in the repository.
        size: bytes.
        sha256: the sha256 the Hub publishes for it (LFS and Xet files), or None.
    """

    path: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class RepoListing:
    """What the Hub says about a repository.

    Attributes:
        repo: ``OWNER/REPO``.
        commit: the commit the listing is of; downloads are pinned to it.
        files: every file, with sizes and checksums.
        gated: ``"auto"``/``"manual"`` for a gated repository, else None.
    """

    repo: str
    commit: str
    files: tuple[RemoteFile, ...]
    gated: str | None = None

    def file(self, path: str) -> RemoteFile:
        return next(f for f in self.files if f.path == path)


@dataclass(frozen=True)
class Hub:
    """Where the Hub is and who we are to it.

    Attributes:
        endpoint: the Hub's address; None for $HF_ENDPOINT, else https://huggingface.co.
        token: a Hugging Face token; None for $HF_TOKEN, else the one ``hf auth login``
            saved, else none.
    """

    endpoint: str | None = None
    token: str | None = None

    def resolved_endpoint(self) -> str:
        return (self.endpoint or os.environ.get("HF_ENDPOINT") or _DEFAULT_ENDPOINT).rstrip("/")

    def resolved_token(self) -> str | None:
        if self.token:
            return self.token
        from huggingface_hub import get_token

        return get_token()

    def repo_url(self, repo: str) -> str:
        return f"{self.resolved_endpoint()}/{repo}"

    def list_repo(self, repo: str) -> RepoListing:
        """The repository's files with sizes and sha256 (``model_info(files_metadata=True)``).

        Raises:
            ModelNotFoundError, TokenRequiredError, AccessDeniedError, DownloadError.
        """
        from huggingface_hub import HfApi

        token = self.resolved_token()
        api = HfApi(endpoint=self.resolved_endpoint(), token=token or False)
        try:
            info = api.model_info(repo, files_metadata=True)
        except Exception as exc:  # noqa: BLE001 - translated below, or re-raised if not the Hub's
            raise self.translate(exc, repo, token) from exc
        files = tuple(
            RemoteFile(
                s.rfilename,
                int(s.lfs.size if s.lfs is not None else s.size or 0),
                s.lfs.sha256 if s.lfs is not None else None,
            )
            for s in info.siblings or ()
        )
        return RepoListing(repo, info.sha or "main", files, info.gated or None)

    def file_url(self, repo: str, path: str, commit: str) -> str:
        from huggingface_hub import hf_hub_url

        return hf_hub_url(repo, path, revision=commit, endpoint=self.resolved_endpoint())

    def headers(self, token: str | None) -> dict[str, str]:
        """huggingface_hub's headers (user agent, the token as ``authorization``)."""
        # The documented name; huggingface_hub.utils re-exports it without __all__.
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

        return build_hf_headers(token=token or False, library_name=_LIBRARY_NAME)

    def session(self) -> httpx2.Client:
        """huggingface_hub's shared HTTP client (its proxy and certificate settings)."""
        from huggingface_hub import get_session

        return get_session()

    def translate(self, exc: BaseException, repo: str, token: str | None) -> BaseException:
        """The Hub's exception as a :class:`LibraryError` sentence; others unchanged."""
        from huggingface_hub import errors as hf

        page = self.repo_url(repo)
        if isinstance(exc, hf.GatedRepoError):
            if token:
                return AccessDeniedError(
                    _(
                        "Your Hugging Face token has no access to {repo} yet: accept its terms "
                        "at {page} (some repositories also need the author's approval), then try "
                        "again."
                    ).format(repo=repo, page=page)
                )
            return TokenRequiredError(
                _(
                    "{repo} is a gated repository: it needs a Hugging Face token. Accept its "
                    "terms at {page}, then give DeskChat your token with HF_TOKEN=hf_… or by "
                    "running `hf auth login`, and try again."
                ).format(repo=repo, page=page)
            )
        if isinstance(exc, hf.DisabledRepoError):
            return ModelNotFoundError(
                _("{repo} has been disabled on Hugging Face.").format(repo=repo)
            )
        if isinstance(exc, hf.RepositoryNotFoundError):
            hint = (
                _("or your token has no access to it")
                if token
                else _("if it is private, give a token with HF_TOKEN or `hf auth login`")
            )
            return ModelNotFoundError(
                _("{repo} was not found on {resolved_endpoint} ({hint}).").format(
                    repo=repo, resolved_endpoint=self.resolved_endpoint(), hint=hint
                )
            )
        if isinstance(exc, hf.RevisionNotFoundError | hf.RemoteEntryNotFoundError):
            return ModelNotFoundError(
                _("{repo} changed on Hugging Face meanwhile; try again.").format(repo=repo)
            )
        if isinstance(exc, hf.OfflineModeIsEnabled):
            return LibraryError(
                _(
                    "HF_HUB_OFFLINE is set, so DeskChat does not contact Hugging Face; unset "
                    "it to download."
                )
            )
        if isinstance(exc, hf.HfHubHTTPError):
            status = exc.response.status_code if exc.response is not None else _("an error")
            return DownloadError(
                _("Hugging Face answered {status} for {repo}; try again in a while.").format(
                    status=status, repo=repo
                )
            )
        if isinstance(exc, transport_errors(self.session())):
            return DownloadError(
                _(
                    "Could not reach {resolved_endpoint} ({name__}: {exc}). Check the "
                    "connection (and HF_ENDPOINT if it is set), then try again."
                ).format(
                    resolved_endpoint=self.resolved_endpoint(),
                    name__=exc.__class__.__name__,
                    exc=exc,
                )
            )
        return exc


def transport_errors(session: Any) -> type[Exception]:
    """The HTTP library's ``TransportError`` (connection refused, dropped, timed out).

    huggingface_hub 1.x uses httpx and 2.x its fork httpx2: take the class from
    the module of the session it hands out, rather than importing either.
    """
    module = sys.modules[type(session).__module__.partition(".")[0]]
    errors: type[Exception] = module.TransportError
    return errors
