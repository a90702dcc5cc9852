"""Sans-I/O decoders for streamed replies: bytes in, lines out, events out.

Nothing here touches the network. A transport feeds raw byte chunks, split
wherever the network split them, and gets back whole lines or whole events.

- :class:`LineDecoder` turns bytes into text lines. Lines end in LF, CRLF or
  CR, and any of them may be split across chunks, as may a multi-byte UTF-8
  character. Only those three end a line (``str.splitlines`` would also break
  on U+2028, U+0085 and friends, which are ordinary text in a reply). A line
  costs time linear in its length however it arrives, and may be up to
  :data:`MAX_LINE` characters long: a server that never ends one (200 MB
  without a newline) is refused with :class:`~provider.errors.LineTooLongError`
  rather than held in memory whole.
- :class:`SSEDecoder` turns lines into :class:`ServerSentEvent` values by the
  WHATWG rules: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from deskchat.i18n import _, ngettext, number

from .errors import LineTooLongError

__all__ = [
    "MAX_LINE",
    "LineDecoder",
    "SSEDecoder",
    "ServerSentEvent",
    "iter_events",
    "iter_lines",
]

MAX_LINE = 16 * 1024 * 1024
"""The most characters a line, or one event's data, may hold.

Far above any real event: a whole reply of several megabytes sent as one
JSON object (a server that ignores ``stream: true``) fits, and a streamed
delta is a few characters. Past it the reply stops with a sentence.
"""

_LINE_END = re.compile(r"\r\n|\r|\n")


def _amount(limit: int) -> str:
    mib = 1024 * 1024
    if limit % mib == 0:
        return _("{n} MiB of text").format(n=number(limit // mib))
    return ngettext("{n} character", "{n} characters", limit).format(n=number(limit))


def _too_long(what: str, kind: Literal["line", "event"], limit: int) -> LineTooLongError:
    if kind == "line":
        text = _(
            "{what} sent a line of more than {amount} without ending it, far more than any "
            "reply needs, so the reply was stopped; the text received so far is kept."
        )
    else:
        text = _(
            "{what} sent an event of more than {amount} without ending it, far more than any "
            "reply needs, so the reply was stopped; the text received so far is kept."
        )
    return LineTooLongError(text.format(what=what, amount=_amount(limit)))


class LineDecoder:
    """Incremental splitter of a byte stream into text lines.

    Invalid UTF-8 becomes U+FFFD rather than an exception: a reply with one
    bad byte is still worth reading.

    Args:
        max_line: the most characters a line may hold (see :data:`MAX_LINE`).
        what: how to name the server in the error, e.g. "llama.cpp (127.0.0.1:8080)".

    Raises:
        LineTooLongError: from :meth:`feed` or :meth:`finish`, once the line
            being received is longer than ``max_line``. The lines a chunk
            completed before are handed out first, the error comes with the
            next call.
    """

    def __init__(self, *, max_line: int = MAX_LINE, what: str | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._pending = 0  # characters in _parts
        self._max_line = max_line
        self._what = what or _("The server")
        self._too_long: LineTooLongError | None = None
        # The previous chunk ended in CR: a LF at the start of the next one
        # belongs to the same CRLF and must not end an empty line.
        self._after_cr = False

    def feed(self, data: bytes) -> list[str]:
        """Take the next chunk of bytes; return the lines it completes."""
        if self._too_long is not None:
            raise self._too_long
        return self._checked(self._split(self._decoder.decode(data)))

    def finish(self) -> list[str]:
        """End of stream: return the last line if it had no line ending."""
        if self._too_long is not None:
            raise self._too_long
        lines = self._checked(self._split(self._decoder.decode(b"", final=True)))
        if self._parts:
            lines.append("".join(self._parts))
            self._parts.clear()
            self._pending = 0
        return lines

    def _checked(self, lines: list[str]) -> list[str]:
        if self._pending <= self._max_line:
            return lines
        # What a server sends past the limit is never needed: drop it now.
        self._parts.clear()
        self._pending = 0
        self._too_long = _too_long(self._what, "line", self._max_line)
        if lines:
            return lines  # handed out first; the error comes with the next call
        raise self._too_long

    def _split(self, text: str) -> list[str]:
        if not text:
            return []
        if self._after_cr and text[0] == "\n":
            text = text[1:]
        self._after_cr = False
        lines: list[str] = []
        start = 0
        for match in _LINE_END.finditer(text):
            self._parts.append(text[start : match.start()])
            line = "".join(self._parts)
            self._parts.clear()
            self._pending = 0
            if len(line) > self._max_line:
                # A whole line in one piece: as refused as one that keeps coming.
                self._parts.append(line)
                self._pending = len(line)
                return lines
            lines.append(line)
            start = match.end()
        rest = text[start:]
        if rest:
            self._parts.append(rest)
            self._pending += len(rest)
        elif text.endswith("\r"):
            self._after_cr = True
        return lines


def iter_lines(chunks: Iterable[bytes]) -> list[str]:
    """Decode a whole sequence of chunks at once (for tests and small bodies)."""
    decoder = LineDecoder()
    lines: list[str] = []
    for chunk in chunks:
        lines.extend(decoder.feed(chunk))
    lines.extend(decoder.finish())
    return lines


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    Attributes:
        event: the event type; "message" when the stream named none.
        data: the data lines joined with LF.
        id: the last event id seen so far in the stream.
        retry: the reconnection time in ms, if this event's block set one.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


class SSEDecoder:
    """Turns lines (from :class:`LineDecoder`) into server-sent events.

    Args:
        dispatch_unterminated: the spec drops an event that the stream ends
            before its blank line. A chat reply cut that way still carries
            text the user paid for, so by default it is dispatched; pass
            False for the strict behaviour.
        max_event: the most characters of data one event may gather from its
            ``data:`` lines (see :data:`MAX_LINE`); past it
            :class:`~provider.errors.LineTooLongError`.
        what: how to name the server in that error.
    """

    def __init__(
        self,
        *,
        dispatch_unterminated: bool = True,
        max_event: int = MAX_LINE,
        what: str | None = None,
    ) -> None:
        self._dispatch_unterminated = dispatch_unterminated
        self._max_event = max_event
        self._what = what or _("The server")
        self._size = 0
        self._first_line = True
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None

    def decode(self, line: str) -> ServerSentEvent | None:
        """Take one line; return an event when the line completes one."""
        if self._first_line:
            self._first_line = False
            if line.startswith("\ufeff"):
                line = line[1:]
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self._process_field(field, value)
        return None

    def finish(self) -> ServerSentEvent | None:
        """End of stream: the unterminated event, when allowed and present."""
        if self._dispatch_unterminated:
            return self._dispatch()
        self._reset()
        return None

    def _process_field(self, field: str, value: str) -> None:
        if field == "data":
            self._size += len(value) + 1
            if self._size > self._max_event:
                self._reset()
                raise _too_long(self._what, "event", self._max_event)
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        # Any other field is ignored, as the spec says.

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._reset()
            return None
        event = ServerSentEvent(
            event=self._event or "message",
            data="\n".join(self._data),
            id=self._last_id,
            retry=self._retry,
        )
        self._reset()
        return event

    def _reset(self) -> None:
        self._data = []
        self._size = 0
        self._event = ""
        self._retry = None


def iter_events(
    chunks: Iterable[bytes], *, dispatch_unterminated: bool = True
) -> list[ServerSentEvent]:
    """Every event of a whole sequence of chunks, end of stream included."""
    decoder = SSEDecoder(dispatch_unterminated=dispatch_unterminated)
    events = [e for line in iter_lines(chunks) if (e := decoder.decode(line)) is not None]
    last = decoder.finish()
    if last is not None:
        events.append(last)
    return events
