"""Sizes, durations, progress and model lists as text for the command line and the window."""

from __future__ import annotations

from collections.abc import Iterable

from deskchat import i18n
from deskchat.i18n import _

from .models import LocalModelInfo
from .progress import DownloadProgress

__all__ = [
    "format_duration",
    "format_local_model",
    "format_local_models",
    "format_progress",
    "format_size",
]


format_size = i18n.size
"""Bytes in decimal units, as the Hub shows them (:func:`deskchat.i18n.size`)."""


def format_duration(seconds: float) -> str:
    """``8 s``, ``3 min 05 s``, ``2 h 10 min``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return _("{seconds} s").format(seconds=whole)
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return _("{minutes} min {secs:02d} s").format(minutes=minutes, secs=secs)
    hours, minutes = divmod(minutes, 60)
    return _("{hours} h {minutes:02d} min").format(hours=hours, minutes=minutes)


def format_progress(progress: DownloadProgress) -> str:
    """One line: ``name  45%  180 MB of 398 MB  12.3 MB/s  18 s left``."""
    parts = [progress.filename]
    if progress.phase == "checking":
        parts.append(_("checking the part downloaded before…"))
    elif progress.phase == "verifying":
        parts.append(_("checking the sha256…"))
    fraction = progress.fraction
    if fraction is not None:
        parts.append(f"{fraction * 100:3.0f}%")
        parts.append(
            _("{done} of {total}").format(
                done=format_size(progress.done), total=format_size(progress.total)
            )
        )
    else:
        parts.append(format_size(progress.done))
    if progress.phase == "downloading":
        if progress.speed > 0:
            parts.append(_("{size}/s").format(size=format_size(progress.speed)))
        if progress.eta is not None:
            parts.append(
                _("{format_duration} left").format(format_duration=format_duration(progress.eta))
            )
    return "  ".join(parts)


def format_local_model(model: LocalModelInfo) -> str:
    """``NAME<tab>SIZE<tab>QUANT<tab>SOURCE<tab>PATH`` (``?`` for an unknown quantisation)."""
    return "\t".join(
        (
            model.name,
            format_size(model.size),
            model.quantization or "?",
            model.source,
            str(model.path),
        )
    )


def format_local_models(models: Iterable[LocalModelInfo]) -> list[str]:
    """:func:`format_local_model` for each model, one line each (no newlines)."""
    return [format_local_model(m) for m in models]
