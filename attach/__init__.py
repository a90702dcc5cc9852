"""DeskChat's attachments: a file read into what a model is sent, or one sentence why not.

This package is the one door: import names from here. It sits beside
``deskchat.provider`` and ``deskchat.store`` (the chat core joins them) and
imports no Qt. Pillow and pypdf load only when an image or a PDF is read
(:mod:`.images`, :mod:`.pdf`), never with the window's first frame.
"""

from __future__ import annotations

from .errors import (
    AttachmentError,
    BrokenImageError,
    BrokenPdfError,
    EncryptedPdfError,
    FileTooLargeError,
    FileVanishedError,
    ImageTooLargeError,
    NotAFileError,
    PdfError,
    PdfTooLongError,
    PdfTooSlowError,
    UnreadableFileError,
    UnsupportedFileError,
)
from .models import DEFAULT_LIMITS, Attachment, Kind, Limits, approximate_tokens, fenced
from .reader import format_size, read_file, read_files

__all__ = [
    "DEFAULT_LIMITS",
    "Attachment",
    "AttachmentError",
    "BrokenImageError",
    "BrokenPdfError",
    "EncryptedPdfError",
    "FileTooLargeError",
    "FileVanishedError",
    "ImageTooLargeError",
    "Kind",
    "Limits",
    "NotAFileError",
    "PdfError",
    "PdfTooLongError",
    "PdfTooSlowError",
    "UnreadableFileError",
    "UnsupportedFileError",
    "approximate_tokens",
    "fenced",
    "format_size",
    "read_file",
    "read_files",
]
