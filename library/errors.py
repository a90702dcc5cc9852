"""The model library's errors: one root, and a subclass for each thing a person can do about it."""

from __future__ import annotations

from deskchat.errors import DeskChatError

__all__ = [
    "AccessDeniedError",
    "ChecksumMismatchError",
    "DownloadCancelled",
    "DownloadError",
    "InvalidSpecError",
    "LibraryError",
    "ModelNotFoundError",
    "NotEnoughDiskSpaceError",
    "NotOurModelError",
    "QuantNotFoundError",
    "TokenRequiredError",
]


class LibraryError(DeskChatError):
    """Root of the errors the model library raises on purpose."""


class InvalidSpecError(LibraryError):
    """The text does not name a Hugging Face repository, a .gguf file or a local model."""


class ModelNotFoundError(LibraryError):
    """No such model: not on this machine, or no such repository on the Hub."""


class QuantNotFoundError(ModelNotFoundError):
    """The repository has .gguf files, but none with the asked quantisation in its name.

    Attributes:
        available: the quantisations the repository does have.
    """

    def __init__(self, message: str, available: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.available = available


class TokenRequiredError(LibraryError):
    """A gated or private repository, and no Hugging Face token was given."""


class AccessDeniedError(LibraryError):
    """A token was given, but it has no access to the repository (terms not accepted)."""


class DownloadError(LibraryError):
    """The transfer failed (network, server); the part already downloaded is kept."""

    retryable = True


class ChecksumMismatchError(DownloadError):
    """The file does not match the sha256 the Hub publishes; it was deleted."""


class NotEnoughDiskSpaceError(LibraryError):
    """Too little free disk space for the download; nothing was written."""


class NotOurModelError(LibraryError):
    """The model belongs to another application (or to the user); DeskChat never deletes it."""


class DownloadCancelled(LibraryError):
    """The download was cancelled; the part downloaded is kept for the next attempt."""
