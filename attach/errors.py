"""Why a file cannot be attached, each with one sentence a person can act on.

Hierarchy::

    DeskChatError (deskchat.errors)
    └── AttachmentError
        ├── NotAFileError            the path is a folder, or not a regular file
        ├── UnreadableFileError      it cannot be opened or read (permissions, a failing disk)
        ├── FileVanishedError        it was deleted or changed while it was being read
        ├── UnsupportedFileError     it is neither an image, text nor a PDF (binary)
        ├── FileTooLargeError        too many bytes, or too many tokens for the model's context
        ├── ImageTooLargeError       its decoded pixels exceed the limit (a decompression bomb)
        ├── BrokenImageError         truncated, damaged, or named as an image it is not
        └── PdfError                 a PDF that cannot be read
            ├── EncryptedPdfError    it needs a password
            ├── BrokenPdfError       it is damaged or not really a PDF
            ├── PdfTooLongError      it has more pages than are read
            └── PdfTooSlowError      reading it took longer than the limit
"""

from __future__ import annotations

from deskchat.errors import DeskChatError

__all__ = [
    "AttachmentError",
    "BrokenImageError",
    "BrokenPdfError",
    "EncryptedPdfError",
    "FileTooLargeError",
    "FileVanishedError",
    "ImageTooLargeError",
    "NotAFileError",
    "PdfError",
    "PdfTooLongError",
    "PdfTooSlowError",
    "UnreadableFileError",
    "UnsupportedFileError",
]


class AttachmentError(DeskChatError):
    """Base of every reason a file cannot be attached (``.text()`` is the sentence)."""


class NotAFileError(AttachmentError):
    """The path names a folder, a device or something else that is not a file."""


class UnreadableFileError(AttachmentError):
    """The file cannot be opened or read."""


class FileVanishedError(AttachmentError):
    """The file disappeared or changed while it was being read."""


class UnsupportedFileError(AttachmentError):
    """The file is neither an image, a text file nor a PDF."""


class FileTooLargeError(AttachmentError):
    """The file is too large to read, or its text too long for the model's context.

    Attributes:
        size: the file's size in bytes.
        tokens: the approximate tokens its text takes (0 when not known).
    """

    def __init__(self, message: str, *, size: int = 0, tokens: int = 0) -> None:
        super().__init__(message)
        self.size = size
        self.tokens = tokens


class ImageTooLargeError(AttachmentError):
    """The image's decoded pixels exceed the limit (a decompression bomb or a huge scan)."""


class BrokenImageError(AttachmentError):
    """The image is truncated or damaged, or the file is named as an image it is not."""


class PdfError(AttachmentError):
    """A PDF whose text cannot be read."""


class EncryptedPdfError(PdfError):
    """The PDF needs a password to open."""


class BrokenPdfError(PdfError):
    """The PDF is damaged, or not really a PDF."""


class PdfTooLongError(PdfError):
    """The PDF has more pages than DeskChat reads."""


class PdfTooSlowError(PdfError):
    """Reading the PDF took longer than the limit (it was stopped)."""
