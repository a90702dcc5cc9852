"""Tool calls written as text, found in a reply's stream (sans-I/O).

The built-in engine renders the offered tools into the prompt through the
model's chat template, but llama-cpp-python hands back only text: the call is
in there, in the model's own format. :class:`ToolTextParser` takes the text
as it streams (split anywhere) and hands out :class:`TextDelta` for the text
and :class:`ToolCall` for each call, holding back only what could still turn
out to be the start of a call.

Formats handled (those of the catalogue's models that can call tools):

- **Hermes / Qwen2.5**: ``<tool_call>{"name": "...", "arguments": {...}}</tool_call>``,
  anywhere in the reply, one or several (whitespace just before a call is dropped).
  ``"parameters"`` is taken in place of ``"arguments"``, and arguments
  written as a JSON string are kept as that string.
- **Llama 3.1 / 3.2** (JSON tool calling, as their templates ask for it):
  ``{"name": "...", "parameters": {...}}`` as the whole start of the reply
  (whitespace before it allowed), optionally after ``<|python_tag|>``; several
  such objects one after another (separated by whitespace or ``;``) are
  several calls. A JSON object later in the text is text: prose that quotes
  JSON is not a call.

Not handled: Gemma 3 (its template offers no tools; the engine says so
before asking), Mistral's ``[TOOL_CALLS]``, Llama's built-in tools written as
Python after ``<|python_tag|>`` (shown as text).

What is not a call stays text, as the model wrote it: a marker whose inside
is not a JSON object with a string ``name``, a ``<tool_call>`` never closed,
a JSON object without ``name`` and ``parameters``/``arguments``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

from .events import TextDelta, ToolCall

__all__ = ["CALL_CLOSE", "CALL_OPEN", "PYTHON_TAG", "ToolTextParser"]

CALL_OPEN = "<tool_call>"
CALL_CLOSE = "</tool_call>"
PYTHON_TAG = "<|python_tag|>"

_MARKERS = (CALL_OPEN, PYTHON_TAG)
# A JSON call opens with one of these keys.
_KEYS = re.compile(r'\s*\{\s*"(?:name|parameters|arguments)"')
_KEY_WORDS = ('name"', 'parameters"', 'arguments"')

Piece = TextDelta | ToolCall


class ToolTextParser:
    """Text chunks in; text deltas and tool calls out.

    Args:
        new_id: makes each call's id (default ``call_1``, ``call_2``, ...).
    """

    def __init__(self, new_id: Callable[[], str] | None = None) -> None:
        self._counter = itertools.count(1)
        self._new_id = new_id if new_id is not None else self._next_id
        self._held = ""
        self._at_start = True  # nothing but whitespace since the start or the last call
        self._after_call = False
        self.calls = 0
        """Calls handed out so far."""

    def _next_id(self) -> str:
        return f"call_{next(self._counter)}"

    def feed(self, text: str) -> list[Piece]:
        """Take the next piece of the reply; return what can be handed out now."""
        self._held += text
        return self._drain(final=False)

    def finish(self) -> list[Piece]:
        """The reply ended: hand out everything held (an unfinished call as text)."""
        return self._drain(final=True)

    # -- the scanner ----------------------------------------------------------

    def _drain(self, *, final: bool) -> list[Piece]:
        out: list[Piece] = []
        while self._held:
            if not self._step(out, final=final):
                break
        return _joined(out)

    def _step(self, out: list[Piece], *, final: bool) -> bool:
        """One move over the held text; False when it must wait for more."""
        held = self._held
        if self._at_start:
            body = held.lstrip()
            if self._after_call:
                body = body.lstrip(";").lstrip()
            if not body:
                if final:
                    if not self._after_call:
                        out.append(TextDelta(held))
                    self._held = ""
                return False
            if body.startswith(PYTHON_TAG):
                return self._json_call(out, held, len(held) - len(body) + len(PYTHON_TAG), final)
            if body[0] == "{":
                return self._json_call(out, held, len(held) - len(body), final)
            if not final and any(m.startswith(body) for m in _MARKERS):
                return False
            self._at_start = False
            if body.startswith(CALL_OPEN):
                held = self._held = body  # whitespace before a call is not text
        if held.startswith(CALL_OPEN):
            return self._tagged_call(out, final)
        found = [i for i in (held.find(m) for m in _MARKERS) if i >= 0]
        if found:
            cut = min(found)
            self._text(out, held[:cut])
            self._held = held[cut:]
            if self._held.startswith(PYTHON_TAG):
                # Mid-text, the tag starts no call we read: it is text.
                self._text(out, PYTHON_TAG)
                self._held = self._held[len(PYTHON_TAG) :]
            return True
        keep = 0 if final else _partial_marker(held)
        self._text(out, held[: len(held) - keep])
        self._held = held[len(held) - keep :]
        return False

    def _tagged_call(self, out: list[Piece], final: bool) -> bool:
        held = self._held
        end = held.find(CALL_CLOSE)
        if end < 0:
            if final:
                self._text(out, held)
                self._held = ""
            return False
        whole = held[: end + len(CALL_CLOSE)]
        self._held = held[len(whole) :]
        call = self._call(held[len(CALL_OPEN) : end])
        if call is None:
            self._text(out, whole)
        else:
            self._called(out, call)
        return True

    def _json_call(self, out: list[Piece], held: str, start: int, final: bool) -> bool:
        """A JSON call at the start of the reply (or after the last call), from ``start``."""
        rest = held[start:]
        if not _KEYS.match(rest):
            if not final and _may_open_call(rest):
                return False  # so far it looks like a call's start
            return self._not_a_call(out, held)
        end = _object_end(rest)
        if end is None:
            if final:
                return self._not_a_call(out, held)
            return False
        call = self._call(rest[:end])
        if call is None:
            return self._not_a_call(out, held[: start + end], keep=held[start + end :])
        self._held = held[start + end :]
        self._called(out, call)
        return True

    def _not_a_call(self, out: list[Piece], text: str, keep: str | None = None) -> bool:
        """``text`` is plain text after all; scanning goes on after it."""
        self._at_start = False
        if keep is None:
            # Let the text scan take it (a marker inside it is still found).
            if text.lstrip().startswith(PYTHON_TAG):
                cut = text.index(PYTHON_TAG) + len(PYTHON_TAG)
                self._text(out, text[:cut])
                self._held = text[cut:]
            else:
                self._held = text
            return True
        self._text(out, text)
        self._held = keep
        return True

    def _call(self, body: str) -> ToolCall | None:
        try:
            value = json.loads(body)
        except ValueError:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return None
        name = value["name"].strip()
        arguments: Any = value.get("arguments", value.get("parameters", {}))
        if arguments is None:
            arguments = {}
        if not name or not isinstance(arguments, dict | str):
            return None
        if isinstance(arguments, dict):
            arguments = json.dumps(arguments, ensure_ascii=False)
        return ToolCall(self._new_id(), name, arguments)

    def _called(self, out: list[Piece], call: ToolCall) -> None:
        out.append(call)
        self.calls += 1
        self._at_start = True
        self._after_call = True

    def _text(self, out: list[Piece], text: str) -> None:
        if text:
            out.append(TextDelta(text))
            self._at_start = False
            self._after_call = False


def _partial_marker(text: str) -> int:
    """How many characters at the end of ``text`` could begin a marker."""
    for size in range(min(len(text), max(map(len, _MARKERS)) - 1), 0, -1):
        tail = text[-size:]
        if any(m.startswith(tail) for m in _MARKERS):
            return size
    return 0


def _may_open_call(text: str) -> bool:
    """Whether ``text`` (all that has arrived) is the start of ``{"name"`` or the like."""
    rest = text.lstrip()[1:].lstrip()  # after the "{"
    if not rest:
        return True
    return rest[0] == '"' and any(word.startswith(rest[1:]) for word in _KEY_WORDS)


def _object_end(text: str) -> int | None:
    """Where the JSON object that starts ``text`` (after whitespace) ends; None: not yet."""
    depth = 0
    in_string = escaped = False
    for i, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _joined(pieces: list[Piece]) -> list[Piece]:
    """Neighbouring text deltas as one."""
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, TextDelta) and out and isinstance(out[-1], TextDelta):
            out[-1] = TextDelta(out[-1].text + piece.text)
        else:
            out.append(piece)
    return out
