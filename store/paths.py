"""Where DeskChat keeps its data: the history database and the settings file."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["DATABASE_NAME", "SETTINGS_NAME", "data_dir", "database_path", "settings_path"]

DATABASE_NAME = "deskchat.sqlite3"
SETTINGS_NAME = "settings.json"
_ENV = "DESKCHAT_DATA_DIR"


def data_dir(override: str | Path | None = None) -> Path:
    """The data folder: ``override``, else $DESKCHAT_DATA_DIR, else the OS user data folder.

    Nothing is created here; the store and the settings create it when they write.
    """
    if override is not None and str(override):
        return Path(override).expanduser()
    env = os.environ.get(_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("DeskChat", appauthor=False))


def database_path(override: str | Path | None = None) -> Path:
    """The history database file inside :func:`data_dir`."""
    return data_dir(override) / DATABASE_NAME


def settings_path(override: str | Path | None = None) -> Path:
    """The settings file inside :func:`data_dir`."""
    return data_dir(override) / SETTINGS_NAME
