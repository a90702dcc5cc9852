"""Where DeskChat keeps its data: one rule for the history, the settings and the models.

The store (database, settings) and the model library (downloads, the added-models
list) sit side by side and may not import each other, so the rule lives here, on
the bottom floor. Nothing here creates a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["DATA_DIR_ENV", "data_dir"]

DATA_DIR_ENV = "DESKCHAT_DATA_DIR"
"""The environment variable that moves the data folder (tests, portable installs)."""


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """DeskChat's data folder: ``override``, else $DESKCHAT_DATA_DIR, else the OS's.

    An empty ``override`` or variable counts as not given.
    """
    if override is not None and str(override):
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("DeskChat", appauthor=False))
