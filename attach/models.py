"""What an attached file becomes: a typed :class:`Attachment`, and the limits reading obeys.

No Pillow, no pypdf here: these records are what the chat core, the command
line and the window pass around, and they load with the window's first frame.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "DEFAULT_LIMITS",
    "Attachment",
    "Kind",
    "Limits",
    "approximate_tokens",
    "fenced",
]

Kind: TypeAlias = Literal["image", "text", "pdf"]

_BACKTICKS = re.compile(r"`+")
_UNSAFE_IN_LABEL = re.compile(r"[\x00-\x1f\x7f`]")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a file is read, and what is sent.

    The defaults and why they were chosen are in docs/attachments.md.

    Attributes:
        max_file_bytes: a file larger than this is refused before it is read.
        max_pixels: an image that decodes to more pixels than this is refused
            (a decompression bomb: a small file that claims 100,000 x 100,000).
        image_side: the longest side an image is sent with (scaled down to fit).
        image_bytes: an encoded image larger than this is sent as JPEG instead of PNG.
        max_tokens: text (a file's, or a PDF's) longer than this, approximately,
            is refused as too long for the model's context.
        allow_partial: send the first ``max_tokens`` (a PDF's first ``pdf_pages``)
            instead of refusing; the attachment is marked truncated.
        pdf_pages: a PDF with more pages is refused (or read in part).
        pdf_seconds: the most seconds a PDF's text may take to read; then the
            reader is stopped and the PDF refused.
    """

    max_file_bytes: int = 64 * 1024 * 1024
    max_pixels: int = 50_000_000
    image_side: int = 2048
    image_bytes: int = 4 * 1024 * 1024
    max_tokens: int = 32_000
    allow_partial: bool = False
    pdf_pages: int = 500
    pdf_seconds: float = 20.0


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file as it is sent: an image re-encoded without metadata, or text.

    Attributes:
        name: the file's name (no folder), shown on its chip and as its label.
        kind: "image", "text" or "pdf" (a PDF is sent as its text).
        mime: what ``data`` is: ``image/png``, ``image/jpeg``, ``text/plain``.
        data: what is sent: the image's bytes, or the text as UTF-8.
        size: the file's size on disk, in bytes.
        width, height: an image's size as sent, in pixels (0 for text).
        pages: how many pages of a PDF were read (0 for other kinds).
        truncated: only the first part of the text is sent (the caller agreed).
        sha256: the hex digest of ``data``; the history stores each digest once.
    """

    name: str
    kind: Kind
    mime: str
    data: bytes = field(repr=False)
    size: int = 0
    width: int = 0
    height: int = 0
    pages: int = 0
    truncated: bool = False
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def text(self) -> str:
        """The text sent for a text file or a PDF ("" for an image)."""
        return "" if self.is_image else self.data.decode("utf-8", "replace")

    @property
    def tokens(self) -> int:
        """About how many tokens the text takes (0 for an image)."""
        return 0 if self.is_image else approximate_tokens(self.text)

    def prompt_block(self) -> str:
        """The text as it goes into the prompt: a fenced block labelled with the name."""
        return fenced(self.name, self.text)


def approximate_tokens(text: str) -> int:
    """A rough token count: one per four bytes of UTF-8.

    Tokenisers differ; English runs about four characters a token, Russian
    (two bytes a letter) about two, Chinese (three) about one, and this
    follows all three closely enough to say whether a file fits.
    """
    return -(-len(text.encode("utf-8", "replace")) // 4)


def fenced(name: str, text: str) -> str:
    """``text`` in a Markdown fence labelled ``name``; the fence outgrows any backtick run in it."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * max(3, longest + 1)
    label = _UNSAFE_IN_LABEL.sub(" ", name).strip() or "file"
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{label}\n{body}{fence}"
