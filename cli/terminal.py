"""Writing to the terminal: control sequences shown rather than obeyed, a closed pipe quietly.

A model's reply, a server's error text or an imported title may hold
terminal control sequences: OSC 52 writes the user's clipboard, OSC 8 makes a
link whose text lies about its target, CSI clears the screen, OSC 0 retitles
the window, DCS talks to the terminal itself, and the C1 controls (U+0080 to
U+009F; U+009B is CSI) do the same in a single character. Written to a
terminal, every control character but newline and tab is shown instead, as
``cat -v`` shows it (ESC as ``^[``, DEL as ``^?``), and C1 controls and
bidirectional overrides as ``less`` shows them (``<U+009B>``). A CR before
a LF is a line end and stays; a lone CR (which would let a line overwrite
itself) is shown as ``^M``.

Piped or redirected output keeps the text byte for byte, unless asked:
``--safe`` (or ``DESKCHAT_OUTPUT=safe``) neutralises it anywhere, ``--raw``
(or ``DESKCHAT_OUTPUT=raw``) nowhere.

Bidirectional text itself (Arabic, Hebrew) is left alone, and so are the
marks LRM, RLM and ALM, which only nudge neutral characters; the embeddings,
overrides and isolates (U+202A to U+202E, U+2066 to U+2069) are shown, since
they let displayed text read differently from what it is ("Trojan Source").
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Literal, ParamSpec, TextIO, TypeAlias, cast

from deskchat.errors import DeskChatError
from deskchat.i18n import _

__all__ = [
    "OUTPUT_ENV",
    "Neutralizer",
    "OutputMode",
    "TerminalWriter",
    "add_output_arguments",
    "neutralize",
    "output_mode",
    "quiet_on_closed_pipe",
    "reader_gone",
    "reports_errors",
    "say",
    "text_stream",
    "wants_neutral",
    "writer_for",
]

OutputMode: TypeAlias = Literal["auto", "raw", "safe"]
P = ParamSpec("P")

OUTPUT_ENV = "DESKCHAT_OUTPUT"
"""``safe`` or ``raw``: the default for ``--safe`` / ``--raw`` (the flags win)."""

_MODES: tuple[OutputMode, ...] = ("auto", "raw", "safe")

# C0 but LF and TAB, DEL, C1, and the bidi embeddings, overrides and isolates;
# a CRLF is matched first so that it stays a line end.
_CONTROL = re.compile("\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r\n":
        return char
    code = ord(char)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    return f"<U+{code:04X}>"


def neutralize(text: str) -> str:
    """``text`` with every control character but newline and tab made visible."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_shown, text)


class Neutralizer:
    """:func:`neutralize` for text that arrives in pieces: a CR at a piece's end waits.

    Each control character is neutralised on its own, so a sequence split
    across pieces is as harmless as a whole one; only a CR needs the next
    piece, to know whether it ends a line (CRLF) or not.
    """

    def __init__(self) -> None:
        self._cr = False

    def feed(self, piece: str) -> str:
        """The next piece, neutralised (a trailing CR held back)."""
        if self._cr:
            piece = "\r" + piece
            self._cr = False
        if piece.endswith("\r"):
            self._cr = True
            piece = piece[:-1]
        return neutralize(piece)

    def finish(self) -> str:
        """The end of the text: a CR still held is shown."""
        if not self._cr:
            return ""
        self._cr = False
        return "^M"


class TerminalWriter:
    """Writes text to ``stream``, neutralised when ``neutral``; characters the stream's
    encoding lacks become ``?`` rather than an exception.

    Args:
        stream: where to write (stdout or stderr).
        neutral: show control characters (see the module docstring).
    """

    def __init__(self, stream: TextIO, *, neutral: bool) -> None:
        self.stream = stream
        self._neutralizer = Neutralizer() if neutral else None

    @property
    def neutral(self) -> bool:
        """Control characters are shown, not written as they are."""
        return self._neutralizer is not None

    def write(self, text: str) -> None:
        """Write one piece (BrokenPipeError goes on to the caller)."""
        if self._neutralizer is not None:
            text = self._neutralizer.feed(text)
        if text:
            _write_encodable(self.stream, text)

    def finish(self) -> None:
        """Write what is held back (a CR at the very end)."""
        if self._neutralizer is not None and (tail := self._neutralizer.finish()):
            _write_encodable(self.stream, tail)

    def flush(self) -> None:
        self.stream.flush()


class _NeutralStream(io.TextIOBase):
    """A text stream writing through a :class:`TerminalWriter`, for code that takes a TextIO."""

    def __init__(self, writer: TerminalWriter) -> None:
        super().__init__()
        self._writer = writer

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._writer.write(text)
        return len(text)

    def flush(self) -> None:
        self._writer.flush()


def text_stream(stream: TextIO, mode: OutputMode = "auto") -> TextIO:
    """``stream`` as a TextIO whose writes are neutralised as :func:`writer_for` decides."""
    writer = writer_for(stream, mode)
    if not writer.neutral:
        return stream
    return cast(TextIO, _NeutralStream(writer))


def _write_encodable(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:
        # A terminal set to Latin-1 or ASCII: a "?" in place of each character
        # it cannot show beats losing the rest of the reply.
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--raw`` and ``--safe``, documented in ``parser``'s help."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--raw",
        dest="output",
        action="store_const",
        const="raw",
        help=_(
            "write control characters as they are, also on a terminal (default: "
            "shown as ^[ on a terminal, kept when piped; env {OUTPUT_ENV}=raw)"
        ).format(OUTPUT_ENV=OUTPUT_ENV),
    )
    group.add_argument(
        "--safe",
        dest="output",
        action="store_const",
        const="safe",
        help=_(
            "show control characters as ^[ even when the output is piped (env {OUTPUT_ENV}=safe)"
        ).format(OUTPUT_ENV=OUTPUT_ENV),
    )


def output_mode(
    args: argparse.Namespace | None = None, environ: Mapping[str, str] = os.environ
) -> OutputMode:
    """The mode the flags chose, else ``DESKCHAT_OUTPUT``, else auto."""
    chosen = getattr(args, "output", None) or environ.get(OUTPUT_ENV, "").strip().lower()
    for mode in _MODES:
        if chosen == mode:
            return mode
    return "auto"


def wants_neutral(stream: TextIO, mode: OutputMode) -> bool:
    """True when text for ``stream`` must be neutralised: ``safe``, or ``auto`` on a terminal."""
    if mode != "auto":
        return mode == "safe"
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def writer_for(stream: TextIO, mode: OutputMode = "auto") -> TerminalWriter:
    """A :class:`TerminalWriter` for ``stream`` in ``mode``."""
    return TerminalWriter(stream, neutral=wants_neutral(stream, mode))


def say(text: str) -> None:
    """``deskchat: TEXT`` on stderr, neutralised on a terminal; never raises for a closed stderr.

    An error sentence may quote a server's own words, so it gets the same care
    as a reply.
    """
    stream = sys.stderr
    try:
        writer = writer_for(stream, output_mode())
        writer.write(f"deskchat: {text}\n")
        writer.finish()
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass  # Nobody reads stderr any more: there is nowhere left to say it.


def reports_errors(command: Callable[P, int]) -> Callable[P, int]:
    """``command`` with a :class:`DeskChatError` it raises said in one line (exit code 1).

    For the subcommands, which are also run without ``main`` (in tests): the
    same as ``main`` does for every command.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return command(*args, **kwargs)
        except DeskChatError as exc:
            say(exc.text())
            return 1

    return run


def reader_gone() -> int:
    """The reader of stdout went away (``deskchat … | head``): exit quietly, with 0.

    Python would report the closed pipe once more when it flushes stdout at
    exit; pointing stdout at /dev/null first keeps that quiet too.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is no real file (a test's StringIO): nothing to quieten
    return 0


def quiet_on_closed_pipe(run: Callable[[], int]) -> int:
    """``run()``'s exit code, with stdout flushed; 0 and no traceback if its reader left.

    The flush is part of the run, so a pipe closed after the last write is
    noticed here and not in Python's own flush at exit.
    """
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_gone()
    return code
