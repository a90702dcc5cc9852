"""Files DeskChat loads at run time (icons, desktop entry), found the same way
from a source checkout, an installed wheel, and a PyInstaller build."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["path"]


def _root() -> Path:
    # PyInstaller unpacks data next to the executable and names the folder in
    # sys._MEIPASS; build.spec puts this package's files under "resources/".
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent


def path(name: str) -> Path:
    """The absolute path of a resource, e.g. ``path("icons/deskchat.svg")``.

    Raises:
        FileNotFoundError: the resource is missing (a broken install).
    """
    found = _root() / name
    if not found.exists():
        raise FileNotFoundError(f"DeskChat's resource {name!r} is missing from {_root()}")
    return found
