"""A search hit's snippet: a few words of plain text around the first match, marked.

Messages are markdown; a snippet shows the words a person reads, without the
marks (``**``, backticks, ``#``, ``>``, list bullets, ``[text](address)``).
Only the shown hits pay for this, in Python, after the index found them.
The marks go as :func:`store.plain.plain` takes them off.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .plain import plain
from .terms import split

__all__ = ["Matcher", "Snippet", "make_snippet"]

_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_BEFORE = 4
"""Words shown before the first match."""
_SCAN = 200_000
"""The first match is looked for in this many characters; past them the snippet is the start."""
_AROUND = 600
"""Characters of markdown taken after the match (and at most before it) before the marks go."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """A snippet and the words in it that matched, as the text writes them."""

    text: str
    terms: tuple[str, ...]


class Matcher:
    """Whether a word of a text, as written, is a match; remembered per word.

    Args:
        matches: says whether a folded word is a match (``Query.matches``).
    """

    def __init__(self, matches: Callable[[str], bool]) -> None:
        self._matches = matches
        self._seen: dict[str, bool] = {}

    def __call__(self, token: str) -> bool:
        found = self._seen.get(token)
        if found is None:
            folded = [token.lower()] if token.isascii() else split(token)
            found = self._seen[token] = any(self._matches(t) for t in folded)
        return found


def _first_match(text: str, matches: Matcher) -> int | None:
    """Where the first word ``matches`` approves starts in ``text`` (its first _SCAN characters)."""
    for found in _TOKEN.finditer(text, 0, min(len(text), _SCAN)):
        if matches(found.group()):
            return found.start()
    return None


def _region_start(text: str, at: int) -> int:
    """Where the shown text starts: the match's line, or a space shortly before the match."""
    line = text.rfind("\n", 0, at) + 1
    if at - line <= _AROUND:
        return line
    # A long paragraph: start a few words before the match.
    return text.rfind(" ", 0, at - _AROUND // 4) + 1


def make_snippet(
    text: str,
    matches: Matcher,
    *,
    words: int = 16,
    start: str = "\x02",
    end: str = "\x03",
) -> Snippet:
    """About ``words`` words of ``text`` as plain text from just before its first match.

    Every word ``matches`` approves is put between ``start`` and ``end``; "…"
    says that text was left out before or after.
    """
    at = _first_match(text, matches)
    left = 0 if at is None else _region_start(text, at)
    right = min(len(text), (at or 0) + _AROUND)
    region = plain(text[left:right])
    tokens = list(_TOKEN.finditer(region))
    first = next((i for i, t in enumerate(tokens) if matches(t.group())), 0)
    # A match near the end shows more words before it: the snippet stays full.
    first = max(0, min(first - _BEFORE, len(tokens) - words))
    shown = tokens[first : first + words]
    if not shown:
        return Snippet(region[: words * 8], ())
    cut_before = left > 0 or first > 0
    cut_after = right < len(text) or first + words < len(tokens)
    pieces: list[str] = []
    terms: list[str] = []
    position = shown[0].start()
    for token in shown:
        pieces.append(region[position : token.start()])
        word = token.group()
        if matches(word):
            pieces.append(f"{start}{word}{end}")
            if word not in terms:
                terms.append(word)
        else:
            pieces.append(word)
        position = token.end()
    if not cut_after:
        pieces.append(region[position:])
    body = "".join(pieces).strip()
    return Snippet(("…" if cut_before else "") + body + ("…" if cut_after else ""), tuple(terms))
