"""Sizes, durations, progress and model lists as text for the command line and the window."""

from __future__ import annotations

from collections.abc import Iterable

from .models import LocalModelInfo
from .progress import DownloadProgress

__all__ = [
    "format_duration",
    "format_local_model",
    "format_local_models",
    "format_progress",
    "format_size",
]


def format_size(count: float) -> str:
    """Bytes in decimal units, as the Hub shows them: ``398 MB``, ``1.93 GB``, ``512 B``."""
    if count < 1000:
        return f"{int(count)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        count /= 1000
        if count < 999.5 or unit == "TB":
            break
    digits = 0 if count >= 99.95 else 1 if count >= 9.995 else 2
    return f"{count:.{digits}f} {unit}"


def format_duration(seconds: float) -> str:
    """``8 s``, ``3 min 05 s``, ``2 h 10 min``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_progress(progress: DownloadProgress) -> str:
    """One line: ``name  45%  180 MB of 398 MB  12.3 MB/s  18 s left``."""
    parts = [progress.filename]
    if progress.phase == "checking":
        parts.append("checking the part downloaded before…")
    elif progress.phase == "verifying":
        parts.append("checking the sha256…")
    fraction = progress.fraction
    if fraction is not None:
        parts.append(f"{fraction * 100:3.0f}%")
        parts.append(f"{format_size(progress.done)} of {format_size(progress.total)}")
    else:
        parts.append(format_size(progress.done))
    if progress.phase == "downloading":
        if progress.speed > 0:
            parts.append(f"{format_size(progress.speed)}/s")
        if progress.eta is not None:
            parts.append(f"{format_duration(progress.eta)} left")
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
