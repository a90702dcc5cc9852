"""The small line under a reply: waiting, interrupted, stopped, failed, or its speed.

Qt-free so it is easy to test; :class:`gui.message_model.MessageModel` serves
it as ``FooterRole``.
"""

from __future__ import annotations

from pathlib import PurePath

from deskchat.i18n import N_, _, ngettext, number

from .conversation import ChatMessage
from .tool_lines import tool_summary

__all__ = ["INTERRUPTED", "STOPPED", "WAITING", "footer", "model_label"]

WAITING = N_("Waiting for the first reply…")
STOPPED = N_("Stopped — the reply above is partial.")
INTERRUPTED = N_(
    "Interrupted when DeskChat closed — choose Continue (Ctrl+Shift+Enter) to finish it."
)


def _seconds(value: float) -> str:
    if value < 60:
        return _("{seconds} s").format(seconds=number(value, 1))
    return _("{minutes} min {seconds} s").format(minutes=int(value // 60), seconds=int(value % 60))


def _tokens(n: int) -> str:
    return ngettext("{n} token", "{n} tokens", n).format(n=number(n))


def _characters(n: int) -> str:
    return ngettext("{n} character", "{n} characters", n).format(n=number(n))


def _speed(message: ChatMessage) -> str:
    """Tokens per second when the server counted them, else characters per second."""
    reply = message.reply
    assert reply is not None
    elapsed = _seconds(reply.elapsed)
    tps = reply.tokens_per_second
    if tps is not None:
        return _("{tokens} · {speed} tokens/s · {elapsed}").format(
            tokens=_tokens(reply.completion_tokens or 0), speed=number(tps, 1), elapsed=elapsed
        )
    chars = reply.length - message.prefix
    if reply.first_text_at is None or reply.finished_at is None or chars <= 0:
        return elapsed
    span = reply.finished_at - reply.first_text_at
    if span <= 0:
        return f"{_characters(chars)} · {elapsed}"
    # No token count from the server: say characters, never pretend they are tokens.
    return _("{characters} · {speed} characters/s · {elapsed}").format(
        characters=_characters(chars), speed=number(chars / span), elapsed=elapsed
    )


def footer(message: ChatMessage) -> str:
    """The footer for ``message``: a line per tool call, then :func:`status_line`."""
    lines = tool_summary(message.tools) if message.tools else ""
    status = status_line(message)
    return f"{lines}\n{status}" if lines and status else lines or status


def status_line(message: ChatMessage) -> str:
    """The status under ``message`` ("" for user messages and replies still arriving)."""
    reply = message.reply
    if reply is None:
        return ""
    if message.interrupted:
        return _(INTERRUPTED)
    if reply.status == "waiting":
        return _(WAITING)
    if reply.status == "error":
        # The sentence only: the one Retry is the button under the messages (and Ctrl+R),
        # and an older failed reply in the middle of a chat cannot be retried at all.
        return f"⚠ {reply.error}"
    if reply.status == "stopped":
        return _(STOPPED)
    if reply.status != "complete":
        return ""
    if message.live:
        facts = _speed(message)
    elif reply.completion_tokens:
        facts = _tokens(reply.completion_tokens)
    else:
        facts = ""
    # Name the model that wrote it: the picker may show another one by now.
    return " · ".join(part for part in (model_label(message.model), facts) if part)


def model_label(model: str | None) -> str:
    """A model as a person reads it: the built-in engine's are files, shown by their name."""
    if not model:
        return ""
    if model.endswith(".gguf"):
        return PurePath(model).name.removesuffix(".gguf")
    return model
