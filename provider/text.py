"""Text fit to keep: UTF-16 surrogates from JSON escapes joined into characters, or replaced.

JSON may write a character outside the Basic Multilingual Plane as two
escapes, ``"\\ud83d\\ude00"``. Within one string :func:`json.loads` joins
them, but a server may put the two halves in two events, and a broken one may
send a half alone. Python then holds code points that no encoder accepts:
writing them to a terminal or into SQLite raises ``UnicodeEncodeError``.

:class:`SurrogateJoiner` mends a stream of pieces: a high half at the end of
one piece waits for the next; a pair becomes its character; a half that has
no partner becomes U+FFFD, so nothing the server sent disappears silently.
"""

from __future__ import annotations

import re

__all__ = ["REPLACEMENT", "SurrogateJoiner", "mend_surrogates"]

REPLACEMENT = "\ufffd"
"""What a lone half becomes (U+FFFD REPLACEMENT CHARACTER)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def mend_surrogates(text: str) -> str:
    """``text`` with each surrogate pair as its character and each lone half as U+FFFD."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    # UTF-16 is where surrogates mean something: encoded as they stand, a pair
    # decodes to its character and a lone half to one U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class SurrogateJoiner:
    """Mends text that arrives in pieces; see the module docstring.

    An ASCII piece costs nothing (CPython records that a string is ASCII);
    any other costs one scan for a surrogate, in C; only a piece that holds
    one is re-coded.
    """

    def __init__(self) -> None:
        self._high = ""

    @property
    def pending(self) -> bool:
        """A high half is waiting for the next piece."""
        return bool(self._high)

    def feed(self, piece: str) -> str:
        """The mended text of ``piece``; a high half at its end waits for the next one."""
        if piece.isascii() and not self._high:
            return piece  # CPython knows this without a scan: the common case is free
        if self._high:
            piece = self._high + piece
            self._high = ""
        if not piece or _SURROGATE.search(piece) is None:
            return piece
        if "\ud800" <= piece[-1] <= "\udbff":
            self._high = piece[-1]
            piece = piece[:-1]
        return mend_surrogates(piece)

    def finish(self) -> str:
        """The end of the text: a half still waiting becomes U+FFFD ("" if none)."""
        if not self._high:
            return ""
        self._high = ""
        return REPLACEMENT
