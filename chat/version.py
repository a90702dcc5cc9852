"""DeskChat's version, as installed (a source checkout without metadata says so)."""

from __future__ import annotations

from importlib import metadata

__all__ = ["version"]


def version() -> str:
    """The installed release, e.g. ``"0.1.0"``; ``"0.1.0+source"`` when not installed."""
    try:
        return metadata.version("deskchat")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"
