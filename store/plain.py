"""Markdown as the words it shows: what search indexes and what its snippets show."""

from __future__ import annotations

import re

__all__ = ["plain"]

_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[^\n]*$", re.MULTILINE)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)?")
_REFERENCE = re.compile(r"\[([^\]\n]*)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]*)>")
# HTML that chat replies use; other <words> stay (List<String> is code, not a tag).
_TAG = re.compile(
    r"</?(?:a|b|i|u|s|p|br|hr|em|strong|code|pre|kbd|sup|sub|span|div|img|del|ins|mark"
    r"|small|details|summary|table|thead|tbody|tr|td|th|ul|ol|li|h[1-6]|blockquote)"
    r"(?:\s[^<>\n]*)?/?>",
    re.IGNORECASE,
)
_LINE_MARK = re.compile(r"^[ \t]*(?:(?:#{1,6}|>|[-*+]|\d{1,9}[.)])(?=\s|$)[ \t]*)+", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*(?:[-*_=|:][ \t]*){3,}$", re.MULTILINE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")
_EMPHASIS = re.compile(r"\*+|`+|~~+|(?<![^\W_])_+|_+(?![^\W_])|\|")
_SPACE = re.compile(r"\s+")


# Text without any of these has no marks to take off (most of a chat's text).
_MARKED = re.compile(r"[`*_~|#>\[<\\=-]|^[ \t]*(?:\d|\+)", re.MULTILINE)


def plain(markdown: str) -> str:
    """``markdown`` as the words it shows, on one line: the marks and link addresses gone."""
    if _MARKED.search(markdown) is None:
        return _SPACE.sub(" ", markdown).strip()
    text = _FENCE.sub(" ", markdown)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _REFERENCE.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _LINE_MARK.sub("", text)
    # An escaped mark is text: it hides in the private use area while the marks go.
    escaped = "\\" in text
    if escaped:
        text = _ESCAPE.sub(lambda m: chr(_HIDDEN + ord(m.group(1))), text)
    text = _SPACE.sub(" ", _EMPHASIS.sub("", text)).strip()
    return text.translate(_UNHIDE) if escaped else text


_HIDDEN = 0xE000
_UNHIDE = {_HIDDEN + code: code for code in range(128)}
