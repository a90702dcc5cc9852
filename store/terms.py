"""Words as the search index keeps them: folded, and stemmed by their script.

Text is split into words (letters and digits); each word is folded (NFKC,
case folded for every alphabet, ё as е, accents off Latin letters) and then
stemmed with Snowball: Cyrillic words by the Russian stemmer, Latin ones by the
English stemmer, others are kept as folded. The index stores two aligned
columns, the folded words (for exact phrases and prefixes) and their stems (so
"репликацию" finds "репликация", "errors" finds "error"), written in a form
FTS5's ``ascii`` tokenizer never splits: words of letters and digits, one
space apart, lower case.

The stems depend on the Snowball version: PyStemmer is pinned, and a new
stemmer needs a migration that rebuilds the index (``store.schema``).
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
import time
import unicodedata
from typing import TYPE_CHECKING, NamedTuple

from .plain import plain

if TYPE_CHECKING:
    import Stemmer

__all__ = [
    "ELSEWHERE",
    "FROZEN_FLAG",
    "SEPARATOR",
    "Terms",
    "Word",
    "fold",
    "index_terms",
    "index_terms_here",
    "split",
    "word",
]

log = logging.getLogger("deskchat.store")

# Letters and digits, and the accents NFKC left apart ("İ" folds to "i" and a dot
# above; a stress mark over a Russian vowel); "_" is a separator, as for FTS5.
_WORD = re.compile(r"[^\W_]+(?:[\u0300-\u036f]+[^\W_]*)*")
_CYRILLIC = re.compile("[\u0400-\u052f]")
# Work is cut into pieces this long, and the GIL is given away after each piece and
# every _YIELD_EVERY words: the store indexes on its own thread while the window
# paints, and a thread that only waits for the interpreter's switch interval (5 ms)
# makes every return of the window's thread into Python wait that long (a 1 MB reply
# indexed at its end stalled the window 100-200 ms while it used 11 ms of CPU).
_PIECE = 32_768
_YIELD_EVERY = 512
ELSEWHERE = 200_000
"""Texts this long (characters) or longer are read in a child process: ~40 ms of
stemming and more, which would hold the GIL away from the window in turns."""
_SLICE = 262_144  # characters or bytes encoded or decoded at a time
_CHILD_DEADLINE = 120  # seconds; a 4 MB reply takes ~1 s
FROZEN_FLAG = "--terms-worker"
"""The frozen executable's flag that runs :mod:`deskchat.store.terms_worker`."""
SEPARATOR = b"\0"
"""Between the words and the stems in the child's output (neither holds one)."""
# Words seen, with their stems: a chat history has tens of thousands; ~250 bytes each.
_CACHE_LIMIT = 20_000


class Word(NamedTuple):
    """One word as indexed: ``folded`` for exact matches, ``stem`` for its other forms."""

    folded: str
    stem: str


class Terms(NamedTuple):
    """The two index columns of one text, word for word aligned."""

    words: str
    stems: str


class _Local(threading.local):
    """Stemmers are not thread-safe: each thread has its own, and its own cache."""

    def __init__(self) -> None:
        self.stemmers: dict[str, Stemmer.Stemmer] = {}
        self.cache: dict[str, Word] = {}


_local = _Local()


def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmer = _local.stemmers.get(language)
    if stemmer is None:
        # Imported on first use: the window starts without it.
        import Stemmer

        stemmer = _local.stemmers[language] = Stemmer.Stemmer(language)
    return stemmer


def fold(text: str) -> str:
    """``text`` in the form words are compared in: NFKC, case folded, ё as е."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold().replace("ё", "е")


def _strip_accents(token: str) -> str:
    decomposed = unicodedata.normalize("NFD", token)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def _make_word(token: str) -> Word:
    """The folded form and stem of one already folded ``token``."""
    if token.isascii():
        return Word(token, _stem("english", token))
    if _CYRILLIC.search(token):
        # й stays a letter of its own (NFKC made it one character; ё was folded
        # already): only marks apart from their letter go, such as stress marks.
        token = "".join(ch for ch in token if not unicodedata.combining(ch))
        return Word(token, _stem("russian", token))
    bare = _strip_accents(token)
    if not bare:
        # Only marks: nothing a person types; keep it as it is.
        return Word(token, token)
    return Word(bare, _stem("english", bare) if bare.isascii() else bare)


def _stem(language: str, token: str) -> str:
    if token.isdigit():
        return token
    return _stemmer(language).stemWord(token) or token


def word(token: str) -> Word:
    """The index form of one folded token (cached)."""
    cache = _local.cache
    found = cache.get(token)
    if found is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        found = cache[token] = _make_word(token)
    return found


def split(text: str) -> list[str]:
    """The folded tokens of ``text``, in order."""
    return _WORD.findall(fold(text))


def _pieces(text: str) -> list[str]:
    """``text`` cut at white space into pieces of about :data:`_PIECE` characters."""
    if len(text) <= _PIECE:
        return [text]
    pieces = []
    start = 0
    while start < len(text):
        end = start + _PIECE
        if end < len(text):
            space = text.find(" ", end)
            end = len(text) if space < 0 else space
        pieces.append(text[start:end])
        start = end
    return pieces


def index_terms(text: str) -> Terms:
    """The words and stems columns of markdown ``text`` for the index.

    The words a person reads are indexed: link addresses and marks are not.
    A text of :data:`ELSEWHERE` characters or more is read in a child process
    (:mod:`deskchat.store.terms_worker`), or here if that fails.
    """
    if len(text) >= ELSEWHERE:
        found = _index_elsewhere(text)
        if found is not None:
            return found
    return index_terms_here(text)


def index_terms_here(text: str) -> Terms:
    """:func:`index_terms` in this process."""
    # Joined piece by piece: one join of a 4 MB reply's 800,000 words held the GIL 10 ms.
    words: list[str] = []
    stems: list[str] = []
    pieces = _pieces(text)
    for piece in pieces:
        tokens = split(plain(piece))
        if len(pieces) > 1:
            _give_way()
        piece_words: list[str] = []
        piece_stems: list[str] = []
        for start in range(0, len(tokens), _YIELD_EVERY):
            for token in tokens[start : start + _YIELD_EVERY]:
                w = word(token)
                piece_words.append(w.folded)
                piece_stems.append(w.stem)
            if len(tokens) > _YIELD_EVERY:
                _give_way()
        if piece_words:
            words.append(" ".join(piece_words))
            stems.append(" ".join(piece_stems))
    return Terms(" ".join(words), " ".join(stems))


def _index_elsewhere(text: str) -> Terms | None:
    """:func:`index_terms` in a child process; None if it could not (logged)."""
    import subprocess

    from deskchat.children import child_command

    # Encoded and decoded a slice at a time, with the GIL given away between: in one
    # call, 4 MB of Cyrillic takes ~5 ms, which the window would wait.
    data = b"".join(_encoded(text))
    try:
        process = subprocess.Popen(
            child_command("deskchat.store.terms_worker", FROZEN_FLAG),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        log.warning("could not start the search index's child process: %s", exc)
        return None
    try:
        out, err = process.communicate(data, timeout=_CHILD_DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        log.warning("the search index's child process took over %d s", _CHILD_DEADLINE)
        return None
    if process.returncode != 0 or SEPARATOR not in out:
        log.warning(
            "the search index's child process failed (%s): %s",
            process.returncode,
            err.decode("utf-8", "replace").strip()[-500:],
        )
        return None
    words, stems = out.split(SEPARATOR, 1)
    return Terms(_decoded(words), _decoded(stems))


def _encoded(text: str) -> list[bytes]:
    parts = []
    for start in range(0, len(text), _SLICE):
        parts.append(text[start : start + _SLICE].encode("utf-8"))
        _give_way()
    return parts


def _decoded(data: bytes) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts = []
    for start in range(0, len(data), _SLICE):
        parts.append(decoder.decode(data[start : start + _SLICE]))
        _give_way()
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def _give_way() -> None:
    """Let a thread that waits for the GIL (the window's) take it now."""
    time.sleep(0)
