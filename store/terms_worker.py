"""The child process that finds a long text's index terms, away from the window's GIL.

Stemming a 4 MB reply takes ~1 s of Python. On the store's thread it holds the
GIL the window's thread needs at each turn of its event loop: each turn waited
up to the interpreter's switch interval, and the window stalled 15-25 ms while
doing nothing. :func:`deskchat.store.terms.index_terms` sends a text this long
here instead.

``python -m deskchat.store.terms_worker`` (in the frozen build ``DeskChat
--terms-worker``) reads the text as UTF-8 from stdin and writes its words, a NUL
byte and its stems, as UTF-8, to stdout: the two columns of
:class:`deskchat.store.terms.Terms`.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    from .terms import SEPARATOR, index_terms_here

    text = sys.stdin.buffer.read().decode("utf-8")
    terms = index_terms_here(text)
    out = sys.stdout.buffer
    out.write(terms.words.encode("utf-8"))
    out.write(SEPARATOR)
    out.write(terms.stems.encode("utf-8"))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
