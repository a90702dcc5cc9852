"""The small line under a reply: waiting, interrupted, stopped, failed, or its speed.

Qt-free so it is easy to test; :class:`gui.message_model.MessageModel` serves
it as ``FooterRole``.
"""

from __future__ import annotations

from pathlib import PurePath

from .conversation import ChatMessage

__all__ = ["INTERRUPTED", "STOPPED", "WAITING", "footer", "model_label"]

WAITING = "Waiting for the first reply…"
STOPPED = "Stopped — the reply above is partial."
INTERRUPTED = "Interrupted when DeskChat closed — choose Continue (Ctrl+Shift+Enter) to finish it."


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {int(value % 60)} s"


def _speed(message: ChatMessage) -> str:
    """Tokens per second when the server counted them, else characters per second."""
    reply = message.reply
    assert reply is not None
    elapsed = _seconds(reply.elapsed)
    tps = reply.tokens_per_second
    if tps is not None:
        return f"{reply.completion_tokens} tokens · {tps:.1f} tokens/s · {elapsed}"
    chars = reply.length - message.prefix
    if reply.first_text_at is None or reply.finished_at is None or chars <= 0:
        return elapsed
    span = reply.finished_at - reply.first_text_at
    if span <= 0:
        return f"{chars} characters · {elapsed}"
    # No token count from the server: say characters, never pretend they are tokens.
    return f"{chars} characters · {chars / span:.0f} characters/s · {elapsed}"


def footer(message: ChatMessage) -> str:
    """The footer for ``message`` ("" for user messages and replies still arriving)."""
    reply = message.reply
    if reply is None:
        return ""
    if message.interrupted:
        return INTERRUPTED
    if reply.status == "waiting":
        return WAITING
    if reply.status == "error":
        return f"⚠ {reply.error}  Press Retry (Ctrl+R) to try again."
    if reply.status == "stopped":
        return STOPPED
    if reply.status != "complete":
        return ""
    if message.live:
        facts = _speed(message)
    elif reply.completion_tokens:
        facts = f"{reply.completion_tokens} tokens"
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
