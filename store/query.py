"""What a person types into search, read into terms and written as a safe FTS5 query.

The language: words (all of them must be there, in any of their forms),
``"an exact phrase"``, ``-word`` and ``-"a phrase"`` to leave out, and the last
word a prefix while it is being typed (from its second letter). Everything else (``*``, ``NEAR(``,
``AND``, ``OR``, ``^``, ``:``, parentheses, ``c++``, emoji, a lone ``"``) is
plain text: only the words in it count, and they are always quoted in the FTS5
query, so no text can be an FTS5 syntax error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .terms import split, word

__all__ = ["Clause", "Query", "parse"]

_MAX_WORDS = 64
"""Words past this many are ignored (a page pasted into the search box)."""
_MIN_PREFIX = 2
"""The last word is a prefix once it has this many letters."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One part of a query.

    Attributes:
        words: the folded words; one for a word, one or more for a phrase.
        phrase: the words must be there as they are, in this order, one after another.
        prefix: the last word may go on (it is still being typed).
        negated: the message must not have it.
    """

    words: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False
    negated: bool = False

    def fts(self) -> str:
        """This clause in FTS5 syntax (over the ``words`` and ``stems`` columns)."""
        star = " *" if self.prefix else ""
        if self.phrase:
            return f'words : "{" ".join(self.words)}"{star}'
        folded = self.words[0]
        stem = word(folded).stem
        if not self.prefix:
            return f'stems : "{stem}"'
        return f'(stems : "{stem}" * OR words : "{folded}" *)'


@dataclass(frozen=True)
class Query:
    """A parsed query: the clauses to match and to leave out."""

    clauses: tuple[Clause, ...]

    @property
    def wanted(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    def fts(self) -> str | None:
        """The FTS5 MATCH expression, or None when nothing is wanted (no hit)."""
        wanted = [c.fts() for c in self.wanted]
        if not wanted:
            return None
        expression = " AND ".join(wanted)
        unwanted = [c.fts() for c in self.clauses if c.negated]
        if unwanted:
            expression = f"({expression}) NOT ({' OR '.join(unwanted)})"
        return expression

    @functools.cached_property
    def _initials(self) -> frozenset[str]:
        # Stems only lose endings, so a match starts as a wanted word does.
        return frozenset(w[0] for c in self.wanted for w in c.words if w)

    def matches(self, token: str) -> bool:
        """Whether the folded ``token`` of a text is one of the words wanted (to highlight)."""
        if not token or token[0] not in self._initials:
            return False
        found = word(token)
        for clause in self.wanted:
            if clause.phrase:
                last = len(clause.words) - 1
                for i, w in enumerate(clause.words):
                    if token == w or (clause.prefix and i == last and token.startswith(w)):
                        return True
                continue
            want = word(clause.words[0])
            if found.stem == want.stem:
                return True
            if clause.prefix and (
                found.stem.startswith(want.stem) or found.folded.startswith(want.folded)
            ):
                return True
        return False


def _chunks(text: str) -> list[tuple[str, bool, bool, bool]]:
    """(text, quoted, closed, negated) pieces: quoted phrases and runs without spaces."""
    pieces: list[tuple[str, bool, bool, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = ch == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            closed = end >= 0
            stop = end if closed else n
            pieces.append((text[i + 1 : stop], True, closed, negated))
            i = stop + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        pieces.append((text[start:i], False, True, negated))
    return pieces


def parse(text: str) -> Query:
    """Read what a person typed; never raises, whatever the text."""
    clauses: list[Clause] = []
    budget = _MAX_WORDS
    for piece, quoted, closed, negated in _chunks(text):
        tokens = split(piece)[:budget]
        if not tokens:
            continue
        budget -= len(tokens)
        if quoted:
            clauses.append(Clause(tuple(tokens), phrase=True, prefix=not closed, negated=negated))
        else:
            clauses.extend(Clause((t,), negated=negated) for t in tokens)
        if budget <= 0:
            break
    if clauses and not clauses[-1].negated and not clauses[-1].phrase:
        last = clauses[-1]
        # One letter is no prefix yet: it would match a good part of every language.
        if len(last.words[0]) >= _MIN_PREFIX:
            clauses[-1] = Clause(last.words, prefix=True)
    return Query(tuple(clauses))
