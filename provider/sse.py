"""Sans-I/O decoders for streamed replies: bytes in, lines out, events out.

Nothing here touches the network. A transport feeds raw byte chunks, split
wherever the network split them, and gets back whole lines or whole events.

- :class:`LineDecoder` turns bytes into text lines. Lines end in LF, CRLF or
  CR, and any of them may be split across chunks, as may a multi-byte UTF-8
  character. Only those three end a line (``str.splitlines`` would also break
  on U+2028, U+0085 and friends, which are ordinary text in a reply). A line
  has no length limit and costs time linear in its length however it arrives.
- :class:`SSEDecoder` turns lines into :class:`ServerSentEvent` values by the
  WHATWG rules: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LineDecoder", "SSEDecoder", "ServerSentEvent", "iter_events", "iter_lines"]

_LINE_END = re.compile(r"\r\n|\r|\n")


class LineDecoder:
    """Incremental splitter of a byte stream into text lines.

    Invalid UTF-8 becomes U+FFFD rather than an exception: a reply with one
    bad byte is still worth reading.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        # The previous chunk ended in CR: a LF at the start of the next one
        # belongs to the same CRLF and must not end an empty line.
        self._after_cr = False

    def feed(self, data: bytes) -> list[str]:
        """Take the next chunk of bytes; return the lines it completes."""
        return self._split(self._decoder.decode(data))

    def finish(self) -> list[str]:
        """End of stream: return the last line if it had no line ending."""
        lines = self._split(self._decoder.decode(b"", final=True))
        if self._parts:
            lines.append("".join(self._parts))
            self._parts.clear()
        return lines

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
            lines.append("".join(self._parts))
            self._parts.clear()
            start = match.end()
        rest = text[start:]
        if rest:
            self._parts.append(rest)
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
    """

    def __init__(self, *, dispatch_unterminated: bool = True) -> None:
        self._dispatch_unterminated = dispatch_unterminated
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
