"""What a file is, from its first bytes and from decoding it, never from its name.

The name only says what the file claims to be: an image or PDF by its
extension whose bytes are something else is mislabelled, and refused.
"""

from __future__ import annotations

import codecs
from pathlib import PurePath
from typing import Literal, TypeAlias

__all__ = ["Sniffed", "claimed_kind", "decode_text", "sniff"]

Sniffed: TypeAlias = Literal["png", "jpeg", "gif", "webp", "bmp", "pdf", "other"]

_IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".avif"}
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters text files do not hold (tab, newlines, form feed and ESC,
# which coloured logs carry, are allowed).
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}
# More control characters than this share of the text: a binary file that decodes.
_CONTROL_SHARE = 0.01


def sniff(head: bytes) -> Sniffed:
    """The format the first bytes of a file (at least 32) announce."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    # "BM" alone starts plenty of text; the header's own size field must be a known one.
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in (
        12,
        40,
        52,
        56,
        108,
        124,
    ):
        return "bmp"
    # PDF readers look for the header in the first kilobyte, not only at the start.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return "other"


def claimed_kind(name: str) -> Literal["image", "pdf", ""]:
    """What the file's name says it is: "image", "pdf", or "" (nothing in particular)."""
    suffix = PurePath(name).suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        return "image"
    if suffix == ".pdf":
        return "pdf"
    return ""


def decode_text(data: bytes, *, cut: bool = False) -> str | None:
    """``data`` as text, or None when it is not text.

    UTF-8 (with or without a byte-order mark) and UTF-16 or UTF-32 with one.
    Text with NUL bytes (without a BOM) or more than 1 % control characters
    is binary that happens to decode.

    Args:
        cut: ``data`` is the first part of a longer file, so a character cut in
            two at its end is dropped rather than making it binary.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            break
    else:
        if b"\x00" in data:
            return None
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        text = decoder.decode(data, final=not cut)
    except UnicodeDecodeError:
        return None
    if text:
        controls = sum(1 for ch in text if ord(ch) in _CONTROL)
        if controls > len(text) * _CONTROL_SHARE:
            return None
    return text.removeprefix("\ufeff")
